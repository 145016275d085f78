"""Helpers shared by the vector-index tests: entries and a recording plan driver."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langgraph_genesis_memory.index import IndexEntry, entry_id
from langgraph_genesis_memory.index._requests import CallPlan, ChromaCall

NEVER = 2**62
"""The expiry of an item that never expires (epoch ms)."""


def make_entry(
    item_id: str,
    namespace: Sequence[str],
    vector: Sequence[float] | None,
    path: str = "$",
    *,
    key: str | None = None,
    hash: str | None = None,
    expires_ms: int = NEVER,
) -> IndexEntry:
    """One vector entry of an item (id ``"<item_id>#<path>"``)."""
    return IndexEntry(
        id=entry_id(item_id, path),
        item_id=item_id,
        namespace=tuple(namespace),
        key=key if key is not None else item_id.rsplit("/", 1)[-1],
        path=path,
        hash=hash if hash is not None else f"h-{item_id}-{path}",
        expires_ms=expires_ms,
        vector=None if vector is None else list(vector),
    )


def run_recorded(plan: CallPlan, collection: Any) -> tuple[Any, list[ChromaCall]]:
    """Run a call plan on a real sync Chroma collection, recording the calls it made."""
    calls: list[ChromaCall] = []
    try:
        call = next(plan)
        while True:
            calls.append(call)
            call = plan.send(getattr(collection, call.method)(**call.kwargs))
    except StopIteration as stop:
        return stop.value, calls


def unit(*components: float) -> list[float]:
    """A vector normalised to length 1."""
    norm = sum(c * c for c in components) ** 0.5
    return [c / norm for c in components]
