"""GenesisSaver's API: parity with InMemorySaver, batching, construction and errors."""

from __future__ import annotations

import inspect
import uuid

import pytest
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.types import ERROR
from pymongo import AsyncMongoClient, MongoClient, monitoring

from langgraph_genesis_memory._connection import client_options
from langgraph_genesis_memory.checkpoint import GenesisSaver
from langgraph_genesis_memory.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    InvalidFilterError,
)
from langgraph_genesis_memory.store import GenesisStore


def _scenario(saver) -> list:
    """The same operations on any saver; returns everything observable about them."""
    out = []
    parent = None
    for step in range(4):
        cp = empty_checkpoint()
        cp["channel_values"] = {"count": step, "log": [f"m{i}" for i in range(step + 1)]}
        version = saver.get_next_version(parent and parent[1], None)
        cp["channel_versions"] = {"count": version, "log": version}
        config = parent[0] if parent else {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
        md = {"source": "input" if step % 2 == 0 else "loop", "step": step, "user": "ann"}
        stored = saver.put(config, cp, md, {"count": version, "log": version})
        saver.put_writes(stored, [("log", f"w{step}"), (ERROR, "boom")], f"task-{step}", "p")
        saver.put_writes(stored, [("log", "ignored duplicate")], f"task-{step}")
        parent = (stored, version)
    configs = {"configurable": {"thread_id": "t"}}
    views = [
        list(saver.list(configs)),
        list(saver.list(configs, filter={"source": "input"})),
        list(saver.list(configs, filter={"step": 2, "user": "ann"})),
        list(saver.list(configs, limit=2)),
        list(saver.list(configs, before=parent[0], limit=2)),
        list(saver.list(None, filter={"user": "nobody"})),
    ]
    for view in views:
        out.append([(t.checkpoint["id"], t.checkpoint["channel_values"], t.metadata,
                     t.pending_writes, t.parent_config is not None) for t in view])  # fmt: skip
    latest = saver.get_tuple(configs)
    out.append((latest.checkpoint["channel_values"], latest.pending_writes))
    return out


def _strip_ids(result: list) -> list:
    # Checkpoint ids differ between the two runs; compare their order and everything else.
    return [[row[1:] for row in view] if isinstance(view, list) else view for view in result]


def test_same_observable_behaviour_as_in_memory_saver(saver: GenesisSaver) -> None:
    ours, reference = _scenario(saver), _scenario(InMemorySaver())
    assert _strip_ids(ours) == _strip_ids(reference)
    assert [len(v) for v in ours[:6]] == [4, 2, 1, 2, 2, 0]


async def test_async_matches_sync(async_saver: GenesisSaver) -> None:
    thread = str(uuid.uuid4())
    cp = empty_checkpoint()
    cp["channel_values"] = {"a": [1, 2, 3], "b": {"x": 1}}
    cp["channel_versions"] = {"a": "1", "b": "1"}
    config = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    stored = await async_saver.aput(
        config, cp, {"source": "input", "step": -1}, {"a": "1", "b": "1"}
    )
    await async_saver.aput_writes(stored, [("a", 4)], "task")
    a = await async_saver.aget_tuple(stored)
    s = async_saver.get_tuple(stored)  # the sync client on the same data
    assert a == s
    assert [t async for t in async_saver.alist(config)] == list(async_saver.list(config))
    await async_saver.acopy_thread(thread, thread + "-copy")
    await async_saver.aprune([thread], strategy="keep_latest")
    await async_saver.adelete_for_runs(["unknown"])
    await async_saver.adelete_thread(thread)
    assert await async_saver.aget_tuple(config) is None
    copy = await async_saver.aget_tuple({"configurable": {"thread_id": thread + "-copy"}})
    assert copy.checkpoint["channel_values"] == {"a": [1, 2, 3], "b": {"x": 1}}
    assert await async_saver.asweep() == 0


class _Counter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[tuple[str, str]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        self.commands.append((name, str(event.command.get(name))))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def test_round_trips_do_not_grow_with_the_batch(mongodb_uri: str, database_name: str) -> None:
    counter = _Counter()
    client: MongoClient = MongoClient(mongodb_uri, event_listeners=[counter])
    try:
        saver = GenesisSaver(client=client, database=database_name)
        saver.setup()
        cp = empty_checkpoint()
        channels = {f"ch{i}": [f"v{i}", "x"] for i in range(20)}
        cp["channel_values"] = channels
        cp["channel_versions"] = dict.fromkeys(channels, "1")
        config = {"configurable": {"thread_id": "rt", "checkpoint_ns": ""}}
        counter.commands.clear()
        stored = saver.put(config, cp, {"step": 0}, dict.fromkeys(channels, "1"))
        assert counter.commands == [("update", "checkpoints")]  # values + checkpoint, ordered

        counter.commands.clear()
        saver.put_writes(stored, [(f"ch{i}", i) for i in range(50)], "task")
        assert counter.commands == [("update", "checkpoints_writes")]

        counter.commands.clear()
        tup = saver.get_tuple({"configurable": {"thread_id": "rt"}})
        assert len(tup.pending_writes) == 50 and tup.checkpoint["channel_values"] == channels
        assert [c[0] for c in counter.commands] == ["find"] * 4  # checkpoint, values+writes, items
    finally:
        client.close()


def test_errors_are_clear(saver: GenesisSaver, mongo_client: MongoClient) -> None:
    with pytest.raises(ConfigurationError, match="thread_id"):
        saver.get_tuple({"configurable": {}})
    # Filters are plain equality on metadata (as LangGraph's savers): an operator-looking key
    # or value is compared as data, never run as a query operator.
    saver.put(
        {"configurable": {"thread_id": "f", "checkpoint_ns": ""}},
        empty_checkpoint(),
        {"step": 2, "$where": "1"},
        {},
    )
    assert [t.metadata["step"] for t in saver.list(None, filter={"$where": "1"})] == [2]
    assert list(saver.list(None, filter={"step": {"$gt": 1}})) == []
    with pytest.raises(InvalidFilterError):
        list(saver.list(None, filter={"step": object()}))
    with pytest.raises(ConfigurationError, match="keep_latest"):
        saver.prune(["t"], strategy="everything")
    with pytest.raises(ConfigurationError, match="checkpoint_id"):
        saver.put_writes({"configurable": {"thread_id": "t"}}, [("a", 1)], "task")
    with pytest.raises(ConfigurationError):
        saver.get_tuple({"configurable": {"thread_id": "a\x1fb"}})
    with pytest.raises(ConfigurationError):
        GenesisSaver()
    with pytest.raises(ConfigurationError, match="minutes"):
        GenesisSaver(client=mongo_client, ttl_minutes=0)
    with pytest.raises(ConfigurationError, match="AsyncMongoClient"):
        import asyncio

        asyncio.run(
            GenesisSaver(client=mongo_client).aget_tuple({"configurable": {"thread_id": "t"}})
        )


def test_unreachable_mongodb_raises_database_unavailable() -> None:
    client: MongoClient = MongoClient("mongodb://127.0.0.1:9/?directConnection=true",
                                      **client_options(300))  # fmt: skip
    try:
        saver = GenesisSaver(client=client, database="nowhere", timeout_ms=300)
        with pytest.raises(DatabaseUnavailableError, match="did not answer within 300 ms"):
            saver.get_tuple({"configurable": {"thread_id": "t"}})
    finally:
        client.close()


async def test_setup_is_idempotent_and_versioned(async_saver: GenesisSaver) -> None:
    assert await async_saver.asetup() == 3
    assert async_saver.setup() == 3
    db = async_saver.client[async_saver.database]
    keys = [list(i["key"]) for i in db[async_saver.collections.checkpoints].list_indexes()]
    assert ["thread_id", "checkpoint_ns", "kind", "checkpoint_id"] in keys
    assert ["metadata.run_id"] in keys and ["metadata_terms"] in keys
    assert ["md.run_id"] not in keys and ["mf"] not in keys  # the names of schema version 2


async def test_from_conn_string_twins(mongodb_uri: str, mongo_client: MongoClient) -> None:
    name = f"test_{uuid.uuid4().hex[:12]}"
    try:
        with GenesisSaver.from_conn_string(mongodb_uri, database=name) as saver:
            saver.setup()
            cp = empty_checkpoint()
            saver.put({"configurable": {"thread_id": "x", "checkpoint_ns": ""}}, cp, {}, {})
        async with GenesisSaver.afrom_conn_string(mongodb_uri, database=name) as asaver:
            assert isinstance(asaver.async_client, AsyncMongoClient)
            tup = await asaver.aget_tuple({"configurable": {"thread_id": "x"}})
            assert tup is not None and tup.checkpoint["id"] == cp["id"]
    finally:
        mongo_client.drop_database(name)


def test_local_mode_is_shared_with_the_store(tmp_path, monkeypatch) -> None:
    from langgraph_genesis_memory.local import LocalServer

    monkeypatch.delenv("MONGODB_URI", raising=False)
    try:
        with GenesisSaver.from_conn_string(data_dir=tmp_path) as saver, \
                GenesisStore.from_conn_string(data_dir=tmp_path) as store:  # fmt: skip
            assert saver.client.address == store.client.address
            saver.setup()
            assert saver.get_tuple({"configurable": {"thread_id": "none"}}) is None
    finally:
        LocalServer(tmp_path).stop()


def test_public_methods_are_documented() -> None:
    for name, member in vars(GenesisSaver).items():
        func = getattr(member, "__func__", member)
        if not name.startswith("_") and inspect.isfunction(func):
            assert inspect.getdoc(func), f"GenesisSaver.{name} has no docstring"
    assert inspect.getdoc(GenesisSaver)
