"""The store's derived indexes: the seam they implement, and the vector index in Chroma.

- :class:`DerivedIndex` / :class:`AsyncDerivedIndex`: what the store asks of a derived index
  (upsert, delete, query under a namespace prefix, hashes, expiries, reset, reopen), with
  :class:`IndexEntry` (one indexed text of an item) and :class:`IndexHit` (a query's answer).
- :class:`SqliteWordIndex`: the word index (BM25 over SQLite FTS5, a file shared by the
  processes of a data folder), passed to ``GenesisStore(word_index=...)``;
  :class:`ThreadedAsyncIndex` runs any sync index for the async API.
- :class:`ChromaIndex` / :class:`AsyncChromaIndex`: the vector index in a Chroma collection
  (embedded directory, in memory, or a Chroma server), passed to
  ``GenesisStore(vector_index=...)``; :func:`resolve_chroma_config` and :class:`HNSWSettings`
  configure where it lives and how it is built.
"""

from langgraph_genesis_memory.index._base import (
    AsyncDerivedIndex,
    DerivedIndex,
    IndexEntry,
    IndexHit,
    ThreadedAsyncIndex,
    entry_id,
)
from langgraph_genesis_memory.index._chroma import AsyncChromaIndex, ChromaIndex
from langgraph_genesis_memory.index._config import (
    DEFAULT_HNSW,
    ChromaConfig,
    HNSWSettings,
    resolve_chroma_config,
)
from langgraph_genesis_memory.index._words import SqliteWordIndex

__all__ = [
    "DerivedIndex",
    "AsyncDerivedIndex",
    "IndexEntry",
    "IndexHit",
    "entry_id",
    "ThreadedAsyncIndex",
    "SqliteWordIndex",
    "ChromaIndex",
    "AsyncChromaIndex",
    "HNSWSettings",
    "DEFAULT_HNSW",
    "ChromaConfig",
    "resolve_chroma_config",
]
