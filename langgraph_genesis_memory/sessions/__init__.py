"""Sessions: start, resume and end conversations over the store and the checkpointer.

:class:`SessionManager` starts sessions, adds messages to them (delivered to the
checkpointer's thread), hands them from agent to agent, reports their full context, and ends
and archives them; every change is a compare-and-set on the session's ``sync_version``. Its
results are typed objects with ``to_dict()``. See
:mod:`langgraph_genesis_memory.sessions._layout` for where sessions live in the store, and
:data:`MEMORY_LAYERS` for the named TTLs (minutes) accepted wherever a TTL is.
"""

from langgraph_genesis_memory.sessions._layout import (
    DEFAULT_TENANT,
    archive_namespace,
    handoffs_namespace,
    sessions_namespace,
    short_term_namespace,
)
from langgraph_genesis_memory.sessions._manager import SessionManager
from langgraph_genesis_memory.sessions._views import (
    AgentsView,
    ContextSnapshot,
    ConversationView,
    FullContext,
    HandoffBrief,
    HandoffResult,
    MemoryView,
    SessionArchive,
    SessionContext,
    SessionMessage,
    TasksView,
)
from langgraph_genesis_memory.store._ttl import MEMORY_LAYERS

__all__ = [
    "SessionManager",
    "SessionContext",
    "SessionMessage",
    "HandoffResult",
    "ContextSnapshot",
    "HandoffBrief",
    "FullContext",
    "ConversationView",
    "AgentsView",
    "TasksView",
    "MemoryView",
    "SessionArchive",
    "MEMORY_LAYERS",
    "DEFAULT_TENANT",
    "sessions_namespace",
    "handoffs_namespace",
    "archive_namespace",
    "short_term_namespace",
]
