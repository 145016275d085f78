"""Sessions: start, resume and end conversations over the store and the checkpointer.

See :mod:`langgraph_genesis_memory.sessions._layout` for where sessions live in the store.
"""

from langgraph_genesis_memory.sessions._layout import (
    DEFAULT_TENANT,
    handoffs_namespace,
    sessions_namespace,
    short_term_namespace,
)
from langgraph_genesis_memory.sessions._manager import SessionContext, SessionManager

__all__ = [
    "SessionManager",
    "SessionContext",
    "DEFAULT_TENANT",
    "sessions_namespace",
    "handoffs_namespace",
    "short_term_namespace",
]
