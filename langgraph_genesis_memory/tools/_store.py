"""Finding the store a tool works with."""

from __future__ import annotations

from langgraph.config import get_store
from langgraph.store.base import BaseStore

from langgraph_genesis_memory.errors import ConfigurationError


def resolve_store(store: BaseStore | None, missing: str, hint: str = "") -> BaseStore:
    """The store to use: ``store`` if given, else the running graph's (LangGraph ``get_store()``).

    Args:
        store: An explicit store, or ``None``.
        missing: The start of the error message when there is none (what lacks a store).
        hint: More advice appended to the message.

    Raises:
        ConfigurationError: If no store was given and none is found at call time (a
            configuration mistake: it escapes tool nodes instead of reaching the model).
    """
    if store is not None:
        return store
    try:
        found = get_store()
    except (RuntimeError, KeyError):  # not inside a graph run
        found = None
    if found is None:
        raise ConfigurationError(
            f"{missing}: compile the graph with store=GenesisStore(...) (or "
            f"create_agent(..., store=...)), or pass store= to the factory{hint}."
        )
    return found
