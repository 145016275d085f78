"""langgraph-genesis-memory: shared, persistent memory for LangGraph agents on MongoDB.

The public surface:

* :class:`GenesisStore`: LangGraph's ``BaseStore`` on MongoDB (``compile(store=...)``), with
  semantic and hybrid search over a vector index in Chroma.
* :class:`GenesisSaver`: LangGraph's checkpointer on MongoDB (``compile(checkpointer=...)``).
* :class:`LocalServer`: the local MongoDB-compatible server of local mode.
* :data:`DEFAULT_NAMESPACE_TTL`: the namespace TTL policies (minutes).
* the errors of :mod:`langgraph_genesis_memory.errors`.
"""

from langgraph_genesis_memory.checkpoint import GenesisSaver
from langgraph_genesis_memory.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    GenesisMemoryError,
    InvalidFilterError,
    InvalidKeyError,
    InvalidNamespaceError,
    InvalidValueError,
    LocalServerError,
    MissingDependencyError,
    ValueTooLargeError,
)
from langgraph_genesis_memory.local import LocalServer, LocalServerStatus
from langgraph_genesis_memory.store import DEFAULT_NAMESPACE_TTL, GenesisStore

__version__ = "0.1.0"

__all__ = [
    "GenesisStore",
    "GenesisSaver",
    "LocalServer",
    "LocalServerStatus",
    "DEFAULT_NAMESPACE_TTL",
    "GenesisMemoryError",
    "InvalidNamespaceError",
    "InvalidKeyError",
    "InvalidValueError",
    "ValueTooLargeError",
    "InvalidFilterError",
    "ConfigurationError",
    "DatabaseUnavailableError",
    "LocalServerError",
    "MissingDependencyError",
]
