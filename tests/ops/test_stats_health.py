"""``stats()`` and ``health()`` against the real local server and Chroma."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient, MongoClient

from langgraph_genesis_memory import GenesisSaver, GenesisStore, InvalidArgumentError
from langgraph_genesis_memory.ops import PROBE_NAMESPACE
from tests.ops.conftest import build_graph


def test_stats_match_independent_counts(
    mongo_client: MongoClient, database_name: str, saver: GenesisSaver
) -> None:
    now = [datetime.now(UTC)]
    store = GenesisStore(client=mongo_client, database=database_name, clock=lambda: now[0])
    store.setup()
    for i in range(12):
        store.put(("agent", f"a{i % 3}"), f"k{i}", {"text": "x" * i})
    for i in range(5):
        store.put(("business", "b"), f"k{i}", {"n": i})
    store.put(("system", "cfg"), "s", {"v": 1})
    store.put(("short_term", "t"), "soon", {"v": 1})  # 24 hours
    store.put(("short_term", "t"), "gone", {"v": 1}, ttl=1)
    now[0] += timedelta(minutes=5)  # "gone" has expired, not swept
    build_graph(saver).invoke({"count": 0, "notes": []}, {"configurable": {"thread_id": "t"}})

    stats = store.stats(top=3, depth=2, saver=saver)
    coll = mongo_client[database_name]["store"]
    assert stats.items == coll.count_documents({}) == 20
    assert {g.namespace: g.items for g in stats.by_label} == {
        ("agent",): 12, ("business",): 5, ("system",): 1, ("short_term",): 2,
    }  # fmt: skip
    assert [(g.namespace, g.items) for g in stats.top_prefixes] == [
        (("business", "b"), 5), (("agent", "a0"), 4), (("agent", "a1"), 4),
    ]  # fmt: skip
    assert stats.expired_unswept == 1
    assert stats.expiring_24h == 1  # "soon" expires in 24 hours minus 5 minutes
    assert stats.never_expire == 1  # system
    assert stats.bytes > 0 and all(g.bytes > 0 for g in stats.by_label)
    assert stats.index is None and stats.pending_repair == 0
    checkpoints = mongo_client[database_name]["checkpoints"]
    assert stats.checkpoints is not None
    assert stats.checkpoints.checkpoints == checkpoints.count_documents({"kind": "checkpoint"})
    assert stats.checkpoints.threads == 1
    assert stats.checkpoints.documents == checkpoints.count_documents({})
    assert stats.to_dict()["by_label"][0]["namespace"] == ["agent"]
    store.sweep()
    assert store.stats().expired_unswept == 0


def test_stats_of_the_vector_index(vector_store: Callable[..., GenesisStore]) -> None:
    store = vector_store()
    store.put(("agent",), "a", {"text": "one"})
    store.put(("agent",), "b", {"text": "two"})
    store.put(("agent",), "c", {"other": "not indexed"})
    index = store.stats().index
    assert index is not None
    assert (index.dims, index.fields, index.model) == (32, ["text"], "HashEmbeddings")
    assert (index.vectors_recorded, index.vectors_in_index, index.pending) == (2, 2, 0)


def test_stats_refuse_bad_arguments(store: GenesisStore) -> None:
    for bad in ({"top": 0}, {"depth": 0}, {"top": True}):
        try:
            store.stats(**bad)  # type: ignore[arg-type]
        except InvalidArgumentError:
            continue
        raise AssertionError(f"stats({bad}) was accepted")


def test_health_ok_and_probe_cleaned_up(store: GenesisStore, mongo_client: MongoClient) -> None:
    report = store.health()
    assert report.status == "ok" and report.probe_ok and report.problems == []
    assert report.deployment_kind in ("standalone", "replica_set", "sharded")
    assert report.server_version
    assert set(report.latency_ms) == {"hello", "write", "read", "delete"}
    assert store.list_namespaces(prefix=PROBE_NAMESPACE) == []
    assert mongo_client[store.database]["store"].count_documents({}) == 0


def test_health_degraded_when_the_index_is_behind(
    vector_store: Callable[..., GenesisStore],
) -> None:
    store = vector_store()
    store.put(("agent",), "a", {"text": "one"})
    store.put(("agent",), "b", {"text": "two"})
    assert store.health().status == "ok"
    assert store.vector_index is not None
    store.vector_index.delete(item_ids=["agent\x01a"])  # Chroma loses an entry
    report = store.health()
    assert report.status == "degraded" and report.vector_index is not None
    assert report.vector_index["in_step"] is False and "reindex" in report.problems[0]
    store.reindex()
    assert store.health().status == "ok"


def test_health_unavailable_without_mongodb() -> None:
    client: MongoClient = MongoClient(
        "mongodb://127.0.0.1:9/?directConnection=true", serverSelectionTimeoutMS=300
    )
    store = GenesisStore(client=client, database="nowhere", timeout_ms=300)
    started = time.monotonic()
    report = store.health()
    assert report.status == "unavailable" and "did not answer" in report.problems[0]
    assert time.monotonic() - started < 5
    client.close()


async def test_async_twins(
    mongo_client: MongoClient, async_mongo_client: AsyncMongoClient, database_name: str
) -> None:
    store = GenesisStore(
        client=mongo_client, async_client=async_mongo_client, database=database_name
    )
    await store.asetup()
    await store.aput(("agent",), "a", {"text": "one"})
    assert (await store.astats()).items == 1
    assert (await store.ahealth()).status == "ok"
    saver = GenesisSaver(
        client=mongo_client, async_client=async_mongo_client, database=database_name
    )
    assert (await saver.astats()).checkpoints == 0
