"""The LangGraph ``BaseStore`` on MongoDB and its building blocks."""

from langgraph_genesis_memory.store.store import STORE_MIGRATIONS, GenesisStore
from langgraph_genesis_memory.store.ttl import DEFAULT_NAMESPACE_TTL, TTLPolicy

__all__ = ["GenesisStore", "STORE_MIGRATIONS", "DEFAULT_NAMESPACE_TTL", "TTLPolicy"]
