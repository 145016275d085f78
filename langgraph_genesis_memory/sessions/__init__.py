"""Sessions: start, resume and end conversations over the store and the checkpointer.

See :mod:`langgraph_genesis_memory.sessions.layout` for where sessions live in the store.
"""

from langgraph_genesis_memory.errors import SessionExistsError, SessionNotFoundError
from langgraph_genesis_memory.sessions.layout import (
    DEFAULT_TENANT,
    handoffs_namespace,
    sessions_namespace,
    short_term_namespace,
)
from langgraph_genesis_memory.sessions.manager import SessionContext, SessionManager

__all__ = [
    "SessionManager",
    "SessionContext",
    "SessionNotFoundError",
    "SessionExistsError",
    "DEFAULT_TENANT",
    "sessions_namespace",
    "handoffs_namespace",
    "short_term_namespace",
]
