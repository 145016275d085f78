"""Concurrent single async calls are merged into one batch per event-loop tick, each caller
keeping its own result or its own error."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from pymongo import AsyncMongoClient, MongoClient, monitoring

from langgraph_genesis_memory import (
    GenesisStore,
    InvalidKeyError,
    InvalidValueError,
    PartialWriteError,
)
from langgraph_genesis_memory._connection import client_options


class Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.sent[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None: ...

    def failed(self, event: monitoring.CommandFailedEvent) -> None: ...


@pytest.fixture
async def counted(mongodb_uri: str, mongo_client: MongoClient, database_name: str):
    listener = Commands()
    client = AsyncMongoClient(mongodb_uri, event_listeners=[listener], **client_options(10_000))
    store = GenesisStore(client=mongo_client, async_client=client, database=database_name)
    await store.asetup()
    listener.sent.clear()
    yield store, listener
    await client.close()


async def test_concurrent_gets_and_puts_share_round_trips(counted) -> None:
    store, listener = counted
    await asyncio.gather(*(store.aput(("n",), f"k{i}", {"i": i}) for i in range(200)))
    assert listener.sent["update"] <= 3  # one bulk write per tick, not 200
    listener.sent.clear()
    items = await asyncio.gather(*(store.aget(("n",), f"k{i}") for i in range(200)))
    assert [item.value["i"] for item in items] == list(range(200))  # each caller its own item
    assert listener.sent["find"] <= 3
    listener.sent.clear()
    found, spaces, missing = await asyncio.gather(
        store.asearch(("n",), filter={"i": {"$lt": 3}}, limit=10),
        store.alist_namespaces(),
        store.aget(("n",), "nothing"),
    )
    assert sorted(i.key for i in found) == ["k0", "k1", "k2"]
    assert spaces == [("n",)] and missing is None
    assert sum(listener.sent.values()) <= 3  # one read step


async def test_a_bad_call_fails_alone(counted) -> None:
    store, _ = counted
    outcomes = await asyncio.gather(
        store.aput(("n",), "good", {"v": 1}),
        store.aput(("n",), "bad", {"v": float("nan")}),
        store.aget(("n",), 7),  # type: ignore[arg-type]
        store.aput(("n",), "also-good", {"v": 2}),
        return_exceptions=True,
    )
    assert outcomes[0] is None and outcomes[3] is None
    assert isinstance(outcomes[1], InvalidValueError)
    assert isinstance(outcomes[2], InvalidKeyError)
    assert (await store.aget(("n",), "good")).value == {"v": 1}
    assert (await store.aget(("n",), "also-good")).value == {"v": 2}
    assert await store.aget(("n",), "bad") is None


async def test_a_refused_write_fails_only_its_caller(counted) -> None:
    store, _ = counted
    coll = store.client[store.database][store.collection_name]
    coll.create_index("value.email", unique=True, sparse=True)
    await store.aput(("users",), "alice", {"email": "a@x"})
    outcomes = await asyncio.gather(
        store.aput(("users",), "bob", {"email": "b@x"}),
        store.aput(("users",), "mallory", {"email": "a@x"}),
        store.aput(("users",), "carol", {"email": "c@x"}),
        return_exceptions=True,
    )
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], PartialWriteError)
    assert await store.aget(("users",), "mallory") is None
    assert (await store.aget(("users",), "carol")).value == {"email": "c@x"}


async def test_without_coalescing_each_call_is_a_batch(
    mongodb_uri: str, mongo_client: MongoClient, database_name: str
) -> None:
    listener = Commands()
    client = AsyncMongoClient(mongodb_uri, event_listeners=[listener], **client_options(10_000))
    try:
        store = GenesisStore(
            client=mongo_client, async_client=client, database=database_name, coalesce=False
        )
        await asyncio.gather(*(store.aput(("n",), f"k{i}", {"i": i}) for i in range(20)))
        assert listener.sent["update"] == 20
    finally:
        await client.close()
