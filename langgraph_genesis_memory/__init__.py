"""langgraph-genesis-memory: shared, persistent memory for LangGraph agents on MongoDB.

The public surface:

* :class:`GenesisStore`: LangGraph's ``BaseStore`` on MongoDB (``compile(store=...)``), with
  semantic and hybrid search over a vector index in Chroma.
* :class:`GenesisSaver`: LangGraph's checkpointer on MongoDB (``compile(checkpointer=...)``).
* Handoff tools (:func:`create_handoff_tool`, :func:`create_handoff_node`, context hooks for the
  receiving agent), :class:`SessionManager`, and memory tools
  (:func:`create_manage_memory_tool`, :func:`create_search_memory_tool`).
* :class:`LocalServer`: the local MongoDB-compatible server of local mode.
* :class:`AccessPolicy`: which agent, tenant or user may read, write or delete which
  namespaces (``GenesisStore(access=...)``, ``store.as_principal(...)``; more in
  :mod:`~langgraph_genesis_memory.access`).
* :class:`MiniLMEmbeddings`: offline all-MiniLM-L6-v2 embeddings for the vector index.
* :data:`DEFAULT_NAMESPACE_TTL`: the namespace TTL policies (minutes), and
  :data:`MEMORY_LAYERS`: the named TTLs (``ephemeral``, ``session``, ``short_term``,
  ``long_term``, ``permanent``) accepted wherever a TTL is.
* the errors of :mod:`langgraph_genesis_memory.errors`.

Public subpackages give the rest: :mod:`~langgraph_genesis_memory.store`,
:mod:`~langgraph_genesis_memory.checkpoint`, :mod:`~langgraph_genesis_memory.sessions`,
:mod:`~langgraph_genesis_memory.tools`, :mod:`~langgraph_genesis_memory.index` (the derived
indexes: Chroma), :mod:`~langgraph_genesis_memory.embeddings`,
:mod:`~langgraph_genesis_memory.local`, :mod:`~langgraph_genesis_memory.tokens`,
:mod:`~langgraph_genesis_memory.ops` (backup, restore, migration, statistics, health),
:mod:`~langgraph_genesis_memory.telemetry` (optional OpenTelemetry),
:mod:`~langgraph_genesis_memory.access` (access policies, principals, scopes) and
:mod:`~langgraph_genesis_memory.errors`. Modules whose name starts with ``_`` are internal.

Logging: the package logs through :mod:`logging` under ``langgraph_genesis_memory.*`` and is
quiet by default (a ``NullHandler``); configure logging in your application to see it.
"""

import logging as _logging

from langgraph_genesis_memory.access import AccessPolicy
from langgraph_genesis_memory.checkpoint import GenesisSaver
from langgraph_genesis_memory.embeddings import MiniLMEmbeddings
from langgraph_genesis_memory.errors import (
    AccessDeniedError,
    BackupFormatError,
    ConfigurationError,
    DatabaseUnavailableError,
    GenesisMemoryError,
    InvalidArgumentError,
    InvalidFilterError,
    InvalidKeyError,
    InvalidNamespaceError,
    InvalidValueError,
    LocalServerError,
    MissingDependencyError,
    PartialWriteError,
    RestoreConflictError,
    SessionConflictError,
    SessionEndedError,
    SessionExistsError,
    SessionNotFoundError,
    ValueTooLargeError,
)
from langgraph_genesis_memory.local import LocalServer, LocalServerStatus
from langgraph_genesis_memory.sessions import SessionContext, SessionManager
from langgraph_genesis_memory.store import DEFAULT_NAMESPACE_TTL, GenesisStore
from langgraph_genesis_memory.store._ttl import MEMORY_LAYERS
from langgraph_genesis_memory.tools import (
    HandoffContextMiddleware,
    alist_handoffs,
    create_handoff_node,
    create_handoff_tool,
    create_manage_memory_tool,
    create_search_memory_tool,
    handoff_pre_model_hook,
    handoff_prompt,
    list_handoffs,
)

__version__ = "0.1.0"

_logging.getLogger(__name__).addHandler(_logging.NullHandler())

__all__ = [
    "GenesisStore",
    "GenesisSaver",
    "MiniLMEmbeddings",
    "AccessPolicy",
    "SessionManager",
    "SessionContext",
    "create_handoff_tool",
    "create_handoff_node",
    "list_handoffs",
    "alist_handoffs",
    "handoff_prompt",
    "handoff_pre_model_hook",
    "HandoffContextMiddleware",
    "create_manage_memory_tool",
    "create_search_memory_tool",
    "LocalServer",
    "LocalServerStatus",
    "DEFAULT_NAMESPACE_TTL",
    "MEMORY_LAYERS",
    "GenesisMemoryError",
    "InvalidNamespaceError",
    "InvalidKeyError",
    "InvalidValueError",
    "ValueTooLargeError",
    "InvalidFilterError",
    "InvalidArgumentError",
    "ConfigurationError",
    "DatabaseUnavailableError",
    "PartialWriteError",
    "LocalServerError",
    "MissingDependencyError",
    "SessionNotFoundError",
    "SessionExistsError",
    "SessionEndedError",
    "SessionConflictError",
    "BackupFormatError",
    "RestoreConflictError",
    "AccessDeniedError",
]
