"""The derived vector index in Chroma, lexical ranking, and rank fusion.

- :class:`ChromaIndex` / :class:`AsyncChromaIndex`: a Chroma collection holding one vector per
  indexed field of an item, filtered by namespace prefix (see :mod:`.requests`).
- :class:`BM25Ranker`: the lexical side of hybrid search (``bm25s``).
- :func:`reciprocal_rank_fusion`: merges the vector and lexical rankings.
"""

from langgraph_genesis_memory.index._chroma import (
    AsyncChromaIndex,
    ChromaIndex,
    create_chroma_client,
)
from langgraph_genesis_memory.index._config import (
    DEFAULT_HNSW,
    ChromaConfig,
    HNSWSettings,
    resolve_chroma_config,
)
from langgraph_genesis_memory.index._fusion import reciprocal_rank_fusion
from langgraph_genesis_memory.index._lexical import BM25Ranker
from langgraph_genesis_memory.index._requests import (
    IndexHit,
    VectorRecord,
    best_per_item,
    build_where,
    namespace_where,
    vector_id,
    vector_metadata,
)

__all__ = [
    "AsyncChromaIndex",
    "BM25Ranker",
    "ChromaIndex",
    "ChromaConfig",
    "DEFAULT_HNSW",
    "HNSWSettings",
    "IndexHit",
    "VectorRecord",
    "best_per_item",
    "build_where",
    "create_chroma_client",
    "namespace_where",
    "reciprocal_rank_fusion",
    "resolve_chroma_config",
    "vector_id",
    "vector_metadata",
]
