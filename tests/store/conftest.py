"""Store test helpers: a controllable clock for TTL tests, and stores in a collection of their
own (fixtures shared by all tests live in tests/conftest.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from langgraph_genesis_memory import GenesisStore
from langgraph_genesis_memory.embeddings import HashEmbeddings
from langgraph_genesis_memory.index import ChromaIndex


def make_store(client: Any, database: str, *, vectors: bool = False, **kwargs: Any) -> GenesisStore:
    """A set-up store in a fresh collection of ``database`` (``vectors``: with a 64-dimension
    HashEmbeddings index on ``text`` in an in-memory Chroma collection)."""
    name = uuid.uuid4().hex[:12]
    if vectors:
        kwargs["index"] = {"dims": 64, "embed": HashEmbeddings(64), "fields": ["text"]}
        kwargs["vector_index"] = ChromaIndex.from_config(in_memory=True, collection=f"g-{name}")
    store = GenesisStore(client=client, database=database, collection=f"s{name}", **kwargs)
    store.setup()
    return store


class FakeClock:
    """A controllable UTC clock for TTL tests."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
