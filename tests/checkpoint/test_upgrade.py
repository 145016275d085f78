"""Upgrading data stored by earlier versions: ``setup()`` migrates it in place, and every read
returns exactly what the earlier code returned.

``data/documents_v2.json`` was written once by ``GenesisSaver`` at commit 3e24d9e (its
checkpoints collection at schema version 2, its writes collection at version 1), with
``chunk_bytes=1024`` and a TTL of 10**8 minutes, for: a graph thread with a growing message list
(one message over the chunk size), an interrupt and its resume, a value over the chunk size,
pending writes (regular ones, errors, interrupts, payloads spilled to chunks, and one write in
the earlier one-document-per-write layout), a second namespace, nested metadata, and a thread
with an empty channel. The file holds:

* ``collections``: every document of the saver's two collections and of ``genesis_migrations``;
* ``steps``: calls on that data (``get_tuple``; ``list`` by thread, namespace, metadata
  filter, ``before`` and ``limit``; then ``delete_for_runs``, ``copy_thread``, ``prune`` and
  ``delete_thread``, each followed by a ``list``), each with what the earlier code returned,
  as indexes into
* ``tuples``: each returned tuple as a dict (``config``, ``checkpoint``, ``metadata``,
  ``parent_config``, ``pending_writes``) serialized by ``JsonPlusSerializer`` (msgpack).

Rule: a tuple read now matches when that dict, serialized and deserialized by the same serde,
equals the deserialized fixture tuple (so lists and tuples compare alike).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bson import json_util
from langgraph.checkpoint.base import CheckpointTuple, empty_checkpoint
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pymongo import AsyncMongoClient, MongoClient, UpdateOne

from langgraph_genesis_memory._migrations import MIGRATIONS_COLLECTION, Migration
from langgraph_genesis_memory.checkpoint import GenesisSaver, _upgrades
from langgraph_genesis_memory.checkpoint._documents import Codec, Collections
from langgraph_genesis_memory.checkpoint._plan import SaverSchema
from langgraph_genesis_memory.checkpoint._saver import CHECKPOINT_MIGRATIONS
from langgraph_genesis_memory.errors import ConfigurationError

DATA = Path(__file__).parent / "data" / "documents_v2.json"

# The field names of schema version 3, as documented in docs/checkpointer.md (written out here
# rather than imported, so that the test checks the documented mapping).
CHECKPOINT_RENAMES = {
    "t": "type",
    "d": "checkpoint",
    "mt": "metadata_type",
    "md_bytes": "metadata_blob",
    "md": "metadata",
    "mf": "metadata_terms",
}
RECORD_RENAMES = {"t": "type", "d": "blob"}


def _fixture() -> dict[str, Any]:
    return json_util.loads(DATA.read_text())


def _load_old_data(client: MongoClient, database: str, fixture: dict, version: int = 2) -> None:
    """The database as the earlier code left it: its indexes, documents, migration records."""
    db = client[database]
    old_steps = {"checkpoints": version, "writes": 1}
    for role, count in old_steps.items():
        name = "checkpoints" if role == "checkpoints" else "checkpoints_writes"
        for step in CHECKPOINT_MIGRATIONS[role][:count]:
            indexes = step.indexes if isinstance(step, Migration) else step
            if indexes:
                db[name].create_indexes(list(indexes))
    for name, docs in fixture["collections"].items():
        db[name].insert_many(docs)
    if version == 1:  # before version 2, checkpoints had no filter terms
        db["checkpoints"].update_many({"kind": "checkpoint"}, {"$unset": {"mf": ""}})
        db[MIGRATIONS_COLLECTION].update_one(
            {"_id": "checkpoint:checkpoints"}, {"$set": {"version": 1}}
        )


def _saver(fixture: dict, client: MongoClient, database: str, aclient: Any = None) -> GenesisSaver:
    options = fixture["saver"]
    return GenesisSaver(
        client=client,
        async_client=aclient,
        database=database,
        collection=options["collection"],
        chunk_bytes=options["chunk_bytes"],
        ttl_minutes=options["ttl_minutes"],
    )


def _view(t: CheckpointTuple) -> dict[str, Any]:
    return {
        "config": t.config,
        "checkpoint": t.checkpoint,
        "metadata": t.metadata,
        "parent_config": t.parent_config,
        "pending_writes": [list(w) for w in t.pending_writes],
    }


async def _call(saver: GenesisSaver, step: dict, use_async: bool) -> list[CheckpointTuple] | None:
    call, args = step["call"], step["args"]
    if call == "list":
        options = {k: args.get(k) for k in ("filter", "before", "limit")}
        if use_async:
            return [t async for t in saver.alist(args.get("config"), **options)]
        return list(saver.list(args.get("config"), **options))
    method = getattr(saver, f"a{call}" if use_async else call)
    result = await method(**args) if use_async else method(**args)
    if call == "get_tuple":
        return [] if result is None else [result]
    return None


async def _replay(saver: GenesisSaver, fixture: dict, use_async: bool = False) -> None:
    """Run the fixture's steps; each read must return what the earlier code returned."""
    serde = saver.serde
    tuples = [serde.loads_typed((t["type"], t["blob"])) for t in fixture["tuples"]]
    for i, step in enumerate(fixture["steps"]):
        got = await _call(saver, step, use_async)
        if got is None:
            continue
        expected = step["result"]
        want = [] if expected is None else [expected] if isinstance(expected, int) else expected
        got_views = [serde.loads_typed(serde.dumps_typed(_view(t))) for t in got]
        label = f"step {i}: {step['call']}({step['args']})"
        assert [v["checkpoint"]["id"] for v in got_views] == [
            tuples[k]["checkpoint"]["id"] for k in want
        ], label
        assert got_views == [tuples[k] for k in want], label


def _documents(client: MongoClient, database: str) -> dict[str, dict[str, dict]]:
    db = client[database]
    names = ("checkpoints", "checkpoints_writes")
    return {name: {d["_id"]: d for d in db[name].find()} for name in names}


def _renamed(doc: dict, renames: dict[str, str]) -> dict:
    return {renames.get(k, k): v for k, v in doc.items()}


def _expected_after_upgrade(before: dict[str, dict[str, dict]]) -> dict[str, dict[str, dict]]:
    """The documents with exactly the documented renames, and nothing else changed."""
    checkpoints = {
        i: _renamed(d, CHECKPOINT_RENAMES if d.get("kind") == "checkpoint" else RECORD_RENAMES)
        for i, d in before["checkpoints"].items()
    }
    writes = {}
    for i, d in before["checkpoints_writes"].items():
        doc = _renamed(d, RECORD_RENAMES)
        if "w" in doc:
            doc["w"] = {k: _renamed(e, RECORD_RENAMES) for k, e in doc["w"].items()}
        writes[i] = doc
    return {"checkpoints": checkpoints, "checkpoints_writes": writes}


def _index_keys(client: MongoClient, database: str) -> list[list[str]]:
    return [list(i["key"]) for i in client[database]["checkpoints"].list_indexes()]


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_schema_v2_documents_read_back_as_the_earlier_code_returned_them(
    mongo_client: MongoClient,
    async_mongo_client: AsyncMongoClient,
    database_name: str,
    use_async: bool,
) -> None:
    fixture = _fixture()
    _load_old_data(mongo_client, database_name, fixture)
    before = _documents(mongo_client, database_name)
    assert ["md.run_id"] in _index_keys(mongo_client, database_name)
    saver = _saver(fixture, mongo_client, database_name, async_mongo_client)

    assert (await saver.asetup() if use_async else saver.setup()) == 3

    after = _documents(mongo_client, database_name)
    assert after == _expected_after_upgrade(before)
    assert not any("type" in d for d in after["checkpoints"].values() if d["kind"] == "chunk")
    keys = _index_keys(mongo_client, database_name)
    assert ["metadata.run_id"] in keys and ["metadata_terms"] in keys
    assert ["md.run_id"] not in keys and ["mf"] not in keys
    records = mongo_client[database_name][MIGRATIONS_COLLECTION].find()
    versions = {d["_id"]: d["version"] for d in records}
    assert versions == {"checkpoint:checkpoints": 3, "checkpoint:checkpoints_writes": 2}

    # Idempotent: setup again (either API) changes nothing.
    assert saver.setup() == 3 and await saver.asetup() == 3
    assert _documents(mongo_client, database_name) == after
    assert _index_keys(mongo_client, database_name) == keys

    await _replay(saver, fixture, use_async)


async def test_schema_v1_documents_upgrade_through_every_version(
    mongo_client: MongoClient, database_name: str
) -> None:
    # Checkpoints from before version 2 get their filter terms, then the version-3 names.
    fixture = _fixture()
    _load_old_data(mongo_client, database_name, fixture, version=1)
    saver = _saver(fixture, mongo_client, database_name)
    assert saver.setup() == 3
    assert saver.setup() == 3
    await _replay(saver, fixture)


def _crash_after(plan: Any, requests: int) -> Any:
    """Run ``plan`` for ``requests`` requests, then fail (a process killed mid-migration)."""
    request = next(plan)
    for _ in range(requests):
        request = plan.send((yield request))
    raise RuntimeError("crashed")


async def test_an_interrupted_upgrade_completes_on_the_next_setup(
    mongo_client: MongoClient, database_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_upgrades, "MIGRATION_BATCH_SIZE", 7)
    monkeypatch.setattr(_upgrades, "MIGRATION_WRITES_BATCH_SIZE", 3)
    fixture = _fixture()
    _load_old_data(mongo_client, database_name, fixture)
    before = _documents(mongo_client, database_name)
    saver = _saver(fixture, mongo_client, database_name)
    for plan in (
        _upgrades.plan_rename_checkpoint_fields(saver._schema),
        _upgrades.plan_rename_write_fields(saver._schema),
    ):
        with pytest.raises(RuntimeError, match="crashed"):
            saver._run(_crash_after(plan, 4))  # two batches renamed, then a crash
    half = _documents(mongo_client, database_name)
    assert half != before and half != _expected_after_upgrade(before)

    assert saver.setup() == 3
    assert _documents(mongo_client, database_name) == _expected_after_upgrade(before)
    await _replay(saver, fixture)


def test_reading_old_documents_before_setup_says_to_run_it(
    mongo_client: MongoClient, database_name: str
) -> None:
    fixture = _fixture()
    _load_old_data(mongo_client, database_name, fixture)
    saver = _saver(fixture, mongo_client, database_name)
    for config in ({"thread_id": "chat"}, {"thread_id": "other"}):
        with pytest.raises(ConfigurationError, match=r"setup\(\)"):
            saver.get_tuple({"configurable": config})


def test_threads_continue_after_the_upgrade(mongo_client: MongoClient, database_name: str) -> None:
    fixture = _fixture()
    _load_old_data(mongo_client, database_name, fixture)
    saver = _saver(fixture, mongo_client, database_name)
    saver.setup()
    latest = saver.get_tuple({"configurable": {"thread_id": "other"}})
    topics = latest.checkpoint["channel_values"]["topics"]
    checkpoint = empty_checkpoint()
    version = saver.get_next_version(latest.checkpoint["channel_versions"]["topics"])
    checkpoint["channel_values"] = {"topics": [*topics, "shipping"]}
    checkpoint["channel_versions"] = {**latest.checkpoint["channel_versions"], "topics": version}
    elements = {"thread_id": "other", "kind": "item"}
    count = mongo_client[database_name]["checkpoints"].count_documents(elements)

    metadata = {"source": "loop", "step": 2}
    stored = saver.put(latest.config, checkpoint, metadata, {"topics": version})

    tup = saver.get_tuple(stored)
    assert tup.checkpoint["channel_values"]["topics"] == [*topics, "shipping"]
    assert tup.parent_config == latest.config
    # Elements stored by the earlier code are reused (same digests): one new element only.
    assert mongo_client[database_name]["checkpoints"].count_documents(elements) == count + 1
    found = saver.list(None, filter={"user": {"id": 7, "tags": ["a", "b"]}})
    assert [t.metadata["source"] for t in found] == ["loop", "input"]


class _Result:
    def __init__(self, matched_count: int) -> None:
        self.matched_count = matched_count


def test_renaming_writes_reads_a_batch_again_when_a_writer_changed_it() -> None:
    # Planned without a server: the first update of the batch matches nothing (a writer
    # replaced the entry meanwhile), so the batch is read again and the rest renamed.
    schema = SaverSchema(Collections("checkpoints"), Codec(JsonPlusSerializer()))
    old = {"_id": "a", "w": {"s1": {"idx": -1, "channel": "__error__", "t": "msgpack", "d": b"x"}}}
    new = {"_id": "a", "w": {"s1": {"idx": -1, "channel": "__error__", "type": "m", "blob": b"y"}}}
    plan = _upgrades.plan_rename_write_fields(schema)
    find = next(plan)
    assert find.sort == [("_id", 1)] and find.filter == {}
    bulk = plan.send([old])
    assert list(bulk.requests) == [
        UpdateOne(
            {"_id": "a", "w.s1.d": {"$exists": True}},
            {"$rename": {"w.s1.t": "w.s1.type", "w.s1.d": "w.s1.blob"}},
        )
    ]
    again = plan.send(_Result(0))
    assert again.filter == {}  # the same batch, read again
    with pytest.raises(StopIteration) as done:
        plan.send([new])  # nothing left to rename
    assert done.value.value == 0
