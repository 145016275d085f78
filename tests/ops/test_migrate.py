"""Migration from real LangGraph stores and checkpointers (InMemory, SQLite, MongoDB), through
their public APIs, with data written by those packages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore
from pymongo import AsyncMongoClient, MongoClient

from langgraph_genesis_memory import GenesisSaver, GenesisStore, InvalidArgumentError
from langgraph_genesis_memory.ops import (
    amigrate_saver,
    amigrate_store,
    migrate_saver,
    migrate_store,
    open_sources,
)
from tests.ops.conftest import build_graph

ITEMS = [
    (("agent", "qa"), "tea", {"text": "Caroline drinks green tea", "n": 1}),
    (("agent", "qa"), "dog", {"text": "golden retriever", "tags": ["pet", "dog"]}),
    (("agent", "qa", "deep"), "nested", {"text": "a sub-namespace", "x": {"y": [1, 2.5]}}),
    (("business", "saas_001"), "plan", {"tier": "pro", "seats": 40, "active": True}),
    (("users", "u1", "prefs"), "lang", {"value": "fr", "none": None}),
]


def fill(store: BaseStore) -> None:
    """Write the test items with the source store's own API."""
    for namespace, key, value in ITEMS:
        store.put(namespace, key, value)
    for i in range(30):  # more than one page when batch_size is small
        store.put(("bulk", f"n{i % 3}"), f"k{i:02d}", {"i": i})


def run_threads(saver: Any) -> None:
    """Real checkpoints written by the source saver: two graph runs and a pending write."""
    graph = build_graph(saver)
    for thread in ("t1", "t2"):
        graph.invoke({"count": 0, "notes": []}, {"configurable": {"thread_id": thread}})
    head = saver.get_tuple({"configurable": {"thread_id": "t1"}})
    saver.put_writes(head.config, [("notes", ["pending"])], "task-9")


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def check_items(source: BaseStore, target: GenesisStore) -> None:
    """Every source item is in the target with the same value and timestamps (ms)."""
    for namespace, key, _ in ITEMS:
        theirs, ours = source.get(namespace, key), target.get(namespace, key, refresh_ttl=False)
        assert theirs is not None and ours is not None, (namespace, key)
        assert ours.value == theirs.value
        created = theirs.created_at
        if created.tzinfo is None:  # SQLite gives naive UTC datetimes
            created = created.replace(tzinfo=ours.created_at.tzinfo)
        assert ms(ours.created_at) == ms(created)
    assert len(target.search(("bulk",), limit=100)) == 30


def check_threads(saver: GenesisSaver) -> None:
    """The migrated threads resume with the same state, history and pending writes."""
    for thread in ("t1", "t2"):
        config = {"configurable": {"thread_id": thread}}
        assert build_graph(saver).get_state(config).values["count"] == 3
        assert len(list(saver.list(config))) == 5
    head = saver.get_tuple({"configurable": {"thread_id": "t1"}})
    assert head is not None and ("task-9", "notes", ["pending"]) in head.pending_writes


@pytest.fixture
def target_saver(mongo_client: MongoClient, database_name: str) -> GenesisSaver:
    saver = GenesisSaver(client=mongo_client, database=database_name)
    saver.setup()
    return saver


def test_from_in_memory_store_and_saver(store: GenesisStore, target_saver: GenesisSaver) -> None:
    source = InMemoryStore()
    fill(source)
    report = migrate_store(source, store, batch_size=7, seed=1, progress=False)
    assert (report.copied, report.invalid, report.verified) == (len(ITEMS) + 30, 0, True)
    assert report.sample_checked == len(ITEMS) + 30 and report.problems == []
    check_items(source, store)
    # Items take the target's namespace TTL policy (agent: 30 days).
    doc = store.client[store.database]["store"].find_one({"value.text": "golden retriever"})  # type: ignore[index]
    assert doc is not None and doc["ttl"] == 30 * 24 * 60

    memory_saver = InMemorySaver()
    run_threads(memory_saver)
    report = migrate_saver(memory_saver, target_saver, seed=1, progress=False)
    assert (report.copied, report.groups, report.verified) == (10, 2, True)
    check_threads(target_saver)
    # The graph goes on in the target where it stopped.
    graph = build_graph(target_saver, steps=5)
    graph.invoke({"notes": []}, {"configurable": {"thread_id": "t2"}})
    state = graph.get_state({"configurable": {"thread_id": "t2"}})
    assert state.values["count"] == 5
    assert state.values["notes"] == [f"note {i}" for i in range(1, 6)]

    # Again: idempotent; with "skip" nothing is rewritten.
    again = migrate_store(source, store, conflict="skip", progress=False)
    assert (again.copied, again.skipped, again.verified) == (0, len(ITEMS) + 30, True)


def test_invalid_items_are_reported_not_copied(store: GenesisStore) -> None:
    source = InMemoryStore()
    source.put(("agent",), "ok", {"text": "fine"})
    source.put(("agent",), "when", {"at": datetime(2024, 1, 1)})  # not JSON-like
    report = migrate_store(source, store, progress=False)
    assert (report.copied, report.invalid, report.verified) == (1, 1, False)
    assert "datetime" in report.problems[0]


def test_verification_finds_differences(store: GenesisStore) -> None:
    class Changing(InMemoryStore):
        """A source whose items change after they were copied (read back differently)."""

        def get(self, namespace: tuple[str, ...], key: str, **kwargs: Any) -> Any:
            item = super().get(namespace, key, **kwargs)
            if item is not None:
                item.value = {**item.value, "changed": True}
            return item

    source = Changing()
    fill(source)
    report = migrate_store(source, store, sample=5, progress=False)
    assert report.copied == len(ITEMS) + 30 and report.verified is False
    assert len(report.problems) == 5 and "differs" in report.problems[0]


def test_running_again_repairs_the_target(store: GenesisStore) -> None:
    source = InMemoryStore()
    fill(source)
    assert migrate_store(source, store, verify=False, progress=False).verified is None
    store.delete(("agent", "qa"), "tea")
    again = migrate_store(source, store, conflict="skip", sample=0, progress=False)
    assert again.verified is True and again.copied == 1  # the deleted one came back


def test_bad_arguments(store: GenesisStore, target_saver: GenesisSaver) -> None:
    with pytest.raises(InvalidArgumentError):
        migrate_store({}, store)
    with pytest.raises(InvalidArgumentError):
        migrate_store(InMemoryStore(), store, conflict="fail")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        migrate_store(InMemoryStore(), store, batch_size=0)
    with pytest.raises(InvalidArgumentError):
        migrate_saver(InMemorySaver(), target_saver, thread_ids="t1")
    with pytest.raises(InvalidArgumentError):
        migrate_saver(InMemorySaver(), InMemorySaver())


def test_from_sqlite_store_and_saver(
    store: GenesisStore, target_saver: GenesisSaver, tmp_path: Path
) -> None:
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.store.sqlite import SqliteStore

    path = tmp_path / "app.db"
    with SqliteStore.from_conn_string(str(path)) as sqlite_store:
        sqlite_store.setup()
        fill(sqlite_store)
    with SqliteSaver.from_conn_string(str(path)) as sqlite_saver:
        run_threads(sqlite_saver)
    with open_sources(f"sqlite:///{path}") as sources:
        assert sources.kind == "sqlite"
        items = migrate_store(sources.store, store, progress=False)
        threads = migrate_saver(sources.saver, target_saver, progress=False)
        assert (items.copied, items.verified) == (len(ITEMS) + 30, True)
        assert (threads.copied, threads.verified) == (10, True)
        check_items(sources.store, store)
    check_threads(target_saver)


@pytest.fixture
def mongodb_source(mongo_client: MongoClient) -> Iterator[str]:
    name = f"test_src_{uuid.uuid4().hex[:10]}"
    yield name
    mongo_client.drop_database(name)


def test_from_mongodb_store_and_saver(
    store: GenesisStore, target_saver: GenesisSaver, mongo_client: MongoClient,
    mongodb_uri: str, mongodb_source: str,
) -> None:  # fmt: skip
    from langgraph.checkpoint.mongodb import MongoDBSaver
    from langgraph.store.mongodb import MongoDBStore

    # "memories": the local server refuses MongoDBStore's default name ("persistent-store").
    fill(MongoDBStore(collection=mongo_client[mongodb_source]["memories"]))
    run_threads(MongoDBSaver(mongo_client, db_name=mongodb_source))
    with open_sources(mongodb_uri, database=mongodb_source, collection="memories") as sources:
        assert sources.kind == "mongodb"
        items = migrate_store(sources.store, store, progress=False)
        threads = migrate_saver(sources.saver, target_saver, progress=False)
    assert (items.copied, items.verified) == (len(ITEMS) + 30, True), items.problems
    assert (threads.copied, threads.verified) == (10, True), threads.problems
    check_threads(target_saver)


async def test_async_twins(
    mongo_client: MongoClient, async_mongo_client: AsyncMongoClient, database_name: str
) -> None:
    target = GenesisStore(
        client=mongo_client, async_client=async_mongo_client, database=database_name
    )
    await target.asetup()
    source = InMemoryStore()
    fill(source)
    report = await amigrate_store(source, target, progress=False)
    assert (report.copied, report.verified) == (len(ITEMS) + 30, True)
    saver = GenesisSaver(
        client=mongo_client, async_client=async_mongo_client, database=database_name
    )
    await saver.asetup()
    memory_saver = InMemorySaver()
    run_threads(memory_saver)
    threads = await amigrate_saver(memory_saver, saver, progress=False)
    assert (threads.copied, threads.verified) == (10, True)


def test_unknown_sources() -> None:
    with pytest.raises(InvalidArgumentError, match="Unknown source"):
        with open_sources("ftp://somewhere"):
            pass
    with pytest.raises(InvalidArgumentError, match="No SQLite file"):
        with open_sources("sqlite:///does/not/exist.db"):
            pass
