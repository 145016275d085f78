"""Time-to-live: policies, per-put TTLs, refresh on read, sweeps; time controlled by a clock."""

from __future__ import annotations

import asyncio

import pytest
from pymongo import AsyncMongoClient, MongoClient

from langgraph_genesis_memory import DEFAULT_NAMESPACE_TTL, ConfigurationError, GenesisStore

DAY = 24 * 60


def _store(client: MongoClient, db: str, clock, **kwargs) -> GenesisStore:
    store = GenesisStore(client=client, database=db, clock=clock, **kwargs)
    store.setup()
    return store


def test_default_namespace_policies() -> None:
    assert DEFAULT_NAMESPACE_TTL == {
        "agent": 30 * DAY,
        "business": 180 * DAY,
        "system": None,
        "short_term": 24 * 60,
    }


@pytest.mark.parametrize(
    ("label", "alive_after", "dead_after"),
    [("agent", 30 * DAY - 1, 30 * DAY + 1), ("business", 180 * DAY - 1, 180 * DAY + 1),
     ("short_term", 24 * 60 - 1, 24 * 60 + 1), ("system", 10_000 * DAY, None)],
)  # fmt: skip
def test_namespace_policy_expiry(
    mongo_client, database_name, clock, label, alive_after, dead_after
):
    store = _store(mongo_client, database_name, clock, ttl={"refresh_on_read": False})
    store.put((label, "x"), "k", {"v": 1})
    clock.advance(alive_after)
    assert store.get((label, "x"), "k") is not None
    if dead_after is not None:
        clock.advance(dead_after - alive_after)
        assert store.get((label, "x"), "k") is None
        assert store.search((label,)) == []
        assert store.list_namespaces() == []


def test_per_put_ttl_overrides_policy_and_none_never_expires(mongo_client, database_name, clock):
    store = _store(mongo_client, database_name, clock)
    store.put(("agent", "a"), "short", {"v": 1}, ttl=5)
    store.put(("agent", "a"), "forever", {"v": 2}, ttl=None)
    clock.advance(6)
    assert store.get(("agent", "a"), "short") is None
    clock.advance(365 * DAY)
    assert store.get(("agent", "a"), "forever").value == {"v": 2}


def test_overrides_and_default_ttl(mongo_client, database_name, clock):
    store = _store(
        mongo_client, database_name, clock,
        ttl={"default_ttl": 10, "refresh_on_read": False},
        namespace_ttl={"agent": 60, "system": 5},
    )  # fmt: skip
    store.put(("agent",), "a", {"v": 1})
    store.put(("system",), "s", {"v": 1})
    store.put(("misc",), "m", {"v": 1})  # no policy: default_ttl
    store.put(("business",), "b", {"v": 1})  # untouched default policy: 180 days
    clock.advance(7)
    assert store.get(("system",), "s") is None
    assert store.get(("misc",), "m") is not None
    clock.advance(4)
    assert store.get(("misc",), "m") is None
    assert store.get(("agent",), "a") is not None
    clock.advance(50)
    assert store.get(("agent",), "a") is None
    assert store.get(("business",), "b") is not None


def test_refresh_on_read_slides_expiry(mongo_client, database_name, clock):
    store = _store(mongo_client, database_name, clock)
    store.put(("short_term", "s1"), "k", {"v": 1})
    for _ in range(5):  # read every 20 hours: the 24 h TTL keeps sliding
        clock.advance(20 * 60)
        assert store.get(("short_term", "s1"), "k") is not None
    clock.advance(20 * 60)
    assert store.search(("short_term",))  # a search refreshes too
    clock.advance(20 * 60)
    assert store.get(("short_term", "s1"), "k", refresh_ttl=False) is not None
    clock.advance(5 * 60)
    assert store.get(("short_term", "s1"), "k") is None


def test_refresh_on_read_disabled(mongo_client, database_name, clock):
    store = _store(mongo_client, database_name, clock, ttl={"refresh_on_read": False})
    store.put(("short_term", "s1"), "k", {"v": 1})
    clock.advance(20 * 60)
    assert store.get(("short_term", "s1"), "k") is not None
    clock.advance(5 * 60)
    assert store.get(("short_term", "s1"), "k") is None
    # refresh_ttl=True per read wins over the store setting
    store.put(("short_term", "s1"), "k", {"v": 1})
    clock.advance(20 * 60)
    store.get(("short_term", "s1"), "k", refresh_ttl=True)
    clock.advance(20 * 60)
    assert store.get(("short_term", "s1"), "k") is not None


def test_sweep_removes_only_expired(mongo_client, database_name, clock):
    store = _store(mongo_client, database_name, clock)
    store.put(("short_term", "s"), "old", {"v": 1})
    store.put(("system",), "cfg", {"v": 1})
    store.put(("agent", "a"), "recent", {"v": 1})
    clock.advance(25 * 60)
    assert store.sweep() == 1
    assert store.sweep() == 0
    coll = mongo_client[database_name]["store"]
    assert sorted(d["_id"].split("\x01")[-1] for d in coll.find({}, {"_id": 1})) == [
        "cfg",
        "recent",
    ]


async def test_async_sweep_and_sweeper(
    mongo_client, async_mongo_client: AsyncMongoClient, database_name, clock
):
    store = GenesisStore(
        client=mongo_client, async_client=async_mongo_client, database=database_name, clock=clock
    )
    await store.asetup()
    await store.aput(("short_term", "s"), "k", {"v": 1})
    clock.advance(25 * 60)
    task = await store.astart_ttl_sweeper(sweep_interval_minutes=0.001)  # every 60 ms
    for _ in range(100):
        if await store.async_client[database_name]["store"].count_documents({}) == 0:
            break
        await asyncio.sleep(0.05)
    assert await store.astop_ttl_sweeper()
    assert task.done()
    assert await store.async_client[database_name]["store"].count_documents({}) == 0


def test_thread_sweeper(mongo_client, database_name, clock):
    import time

    store = _store(mongo_client, database_name, clock, ttl={"sweep_interval_minutes": 1})
    store.put(("short_term", "s"), "k", {"v": 1})
    clock.advance(25 * 60)
    done = store.start_ttl_sweeper(sweep_interval_minutes=0.001)
    coll = mongo_client[database_name]["store"]
    deadline = time.monotonic() + 10
    while coll.count_documents({}) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.stop_ttl_sweeper(timeout=5)
    assert done.result(timeout=5) is None
    assert coll.count_documents({}) == 0


def test_sweeper_needs_an_interval(store: GenesisStore):
    with pytest.raises(ConfigurationError, match="sweep_interval_minutes"):
        store.start_ttl_sweeper()


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "10", True])
def test_bad_ttl_values_are_refused(store: GenesisStore, bad):
    with pytest.raises(ValueError, match="ttl"):
        store.put(("agent",), "k", {"v": 1}, ttl=bad)
    assert store.get(("agent",), "k") is None
    with pytest.raises(ConfigurationError):
        GenesisStore(client=store.client, namespace_ttl={"agent": bad})


def test_expired_items_are_hidden_before_any_sweep(mongo_client, database_name, clock):
    """The TTL index removes documents later; reads must never return them meanwhile."""
    store = _store(mongo_client, database_name, clock)
    store.put(("short_term", "s"), "k", {"text": "expiring words"})
    clock.advance(24 * 60 + 1)
    assert mongo_client[database_name]["store"].count_documents({}) == 1  # still stored
    assert store.get(("short_term", "s"), "k") is None
    assert store.search(("short_term",), query="expiring") == []
    assert store.list_namespaces() == []
