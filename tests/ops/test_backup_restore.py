"""Backup and restore through the Python API, against the real local server and Chroma."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient, MongoClient

from langgraph_genesis_memory import (
    BackupFormatError,
    GenesisSaver,
    GenesisStore,
    InvalidArgumentError,
    RestoreConflictError,
)
from langgraph_genesis_memory.ops import abackup, arestore, backup, read_header, restore
from tests.ops.conftest import build_graph, documents


@pytest.fixture
def other_db(mongo_client: MongoClient) -> Iterator[str]:
    """A second database (the restore target), dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield name
    mongo_client.drop_database(name)


def _fill(store: GenesisStore) -> None:
    store.put(("agent", "qa"), "tea", {"text": "Caroline drinks green tea", "n": 1})
    store.put(("agent", "qa"), "dog", {"text": "They adopted a golden retriever"})
    store.put(("business", "saas_001"), "plan", {"tier": "pro", "seats": 40, "ok": True})
    store.put(("system", "cfg"), "schema", {"fields": ["a", "b"], "nested": {"x": 1.5}})
    store.put(("short_term", "t1"), "draft", {"text": "scratch"}, ttl=30)
    store.put(("misc",), "forever", {"text": "no policy"})
    store.put(("agent", "qa"), "unicode", {"text": "naïve café ✓", "none": None})


def test_backup_then_restore_keeps_items_timestamps_and_ttls(
    store: GenesisStore, mongo_client: MongoClient, database_name: str, other_db: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    _fill(store)
    path = tmp_path / "memories.jsonl.gz"
    report = backup(store, path, progress=False)
    assert report.items == 7 and path.is_file()
    header = read_header(path)
    assert header["format"] == "langgraph-genesis-memory/backup" and header["version"] == 1
    assert header["counts"] == {"item": 7, "checkpoint": 0}
    assert header["source"]["database"] == database_name

    target = GenesisStore(client=mongo_client, database=other_db)
    target.setup()
    restored = restore(target, path, progress=False)
    assert (restored.items_restored, restored.items_skipped) == (7, 0)
    assert documents(mongo_client, other_db) == documents(mongo_client, database_name)
    # Through the store's API too.
    got = target.get(("agent", "qa"), "tea", refresh_ttl=False)
    original = store.get(("agent", "qa"), "tea", refresh_ttl=False)
    assert got is not None and original is not None
    assert (got.value, got.created_at, got.updated_at) == (
        original.value, original.created_at, original.updated_at,
    )  # fmt: skip

    # Running it again changes nothing (idempotent): every item is kept as it is.
    again = restore(target, path, progress=False)
    assert (again.items_restored, again.items_skipped) == (0, 7)
    assert documents(mongo_client, other_db) == documents(mongo_client, database_name)


def test_conflict_policies(
    store: GenesisStore, mongo_client: MongoClient, other_db: str, tmp_path: Path
) -> None:
    _fill(store)
    path = tmp_path / "b.jsonl.gz"
    backup(store, path, progress=False)
    target = GenesisStore(client=mongo_client, database=other_db)
    target.setup()
    target.put(("agent", "qa"), "tea", {"text": "changed"})
    before = documents(mongo_client, other_db)

    with pytest.raises(RestoreConflictError) as caught:
        restore(target, path, conflict="fail", progress=False)
    assert caught.value.total == 1 and caught.value.conflicts == [(("agent", "qa"), "tea")]
    assert documents(mongo_client, other_db) == before  # nothing written

    skipped = restore(target, path, conflict="skip", progress=False)
    assert (skipped.items_restored, skipped.items_skipped) == (6, 1)
    assert target.get(("agent", "qa"), "tea").value == {"text": "changed"}  # type: ignore[union-attr]

    # "fail" accepts items identical to the backup's (an interrupted restore can run again).
    with pytest.raises(RestoreConflictError):
        restore(target, path, conflict="fail", progress=False)
    overwritten = restore(target, path, conflict="overwrite", progress=False)
    assert overwritten.items_restored == 7
    assert target.get(("agent", "qa"), "tea").value["n"] == 1  # type: ignore[union-attr]
    assert restore(target, path, conflict="fail", progress=False).items_skipped == 7


def test_damaged_backups_write_nothing(
    store: GenesisStore, mongo_client: MongoClient, other_db: str, tmp_path: Path
) -> None:
    _fill(store)
    path = tmp_path / "b.jsonl.gz"
    backup(store, path, progress=False)
    lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    target = GenesisStore(client=mongo_client, database=other_db)
    target.setup()

    changed = json.loads(lines[3])
    changed["value"] = {"text": "tampered"}
    tampered = tmp_path / "tampered.jsonl.gz"
    body = [*lines[:3], json.dumps(changed).encode() + b"\n", *lines[4:]]
    tampered.write_bytes(gzip.compress(b"".join(body)))
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(gzip.compress(b"".join(lines[:-2])))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(path.read_bytes()[:-40])
    other = tmp_path / "other.jsonl.gz"
    other.write_bytes(gzip.compress(b'{"hello": 1}\n'))
    newer = tmp_path / "newer.jsonl.gz"
    header = json.loads(lines[0])
    newer.write_bytes(gzip.compress(json.dumps({**header, "version": 99}).encode() + b"\n"))

    for bad, words in [
        (tampered, "checksum"),
        (truncated, "checksum"),
        (cut, "damaged or truncated"),
        (other, "not a langgraph-genesis-memory backup"),
        (newer, "newer"),
    ]:
        with pytest.raises(BackupFormatError, match=words):
            restore(target, bad, progress=False)
        assert mongo_client[other_db]["store"].count_documents({}) == 0, bad.name


def test_bad_arguments_are_refused_before_any_io(store: GenesisStore, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError):
        restore(store, tmp_path / "missing.jsonl.gz")
    path = tmp_path / "b.jsonl.gz"
    backup(store, path, progress=False)
    with pytest.raises(InvalidArgumentError, match="exists"):
        backup(store, path)
    with pytest.raises(InvalidArgumentError, match="conflict"):
        restore(store, path, conflict="replace")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="expiry"):
        restore(store, path, expiry="relative")
    with pytest.raises(InvalidArgumentError, match="GenesisStore"):
        backup(object(), tmp_path / "x.jsonl.gz")


def test_prefix_expired_items_and_remaining_ttl(
    mongo_client: MongoClient, database_name: str, other_db: str, tmp_path: Path
) -> None:
    now = [datetime.now(UTC).replace(microsecond=0)]
    source = GenesisStore(client=mongo_client, database=database_name, clock=lambda: now[0])
    source.setup()
    source.put(("agent", "a"), "k1", {"text": "one"})
    source.put(("agent", "b"), "k2", {"text": "two"}, ttl=10)
    source.put(("business", "x"), "k3", {"text": "three"})
    path = tmp_path / "agent.jsonl.gz"
    assert backup(source, path, namespace_prefix=("agent",), progress=False).items == 2

    # Restored 20 minutes later: k2 (10 minutes) has expired; with expiry="remaining" its
    # 10 minutes count again from the restore.
    later = [now[0] + timedelta(minutes=20)]
    target = GenesisStore(client=mongo_client, database=other_db, clock=lambda: later[0])
    target.setup()
    report = restore(target, path, progress=False)
    assert (report.items_restored, report.items_expired) == (1, 1)
    report = restore(target, path, expiry="remaining", progress=False)
    assert report.items_restored == 1
    doc = mongo_client[other_db]["store"].find_one({"value.text": "two"})
    assert doc is not None
    expected = int((later[0] + timedelta(minutes=10)).timestamp() * 1000)
    assert abs(doc["expires_at_ms"] - expected) < 2000


def test_vectors_travel_with_the_backup(
    vector_store: Callable[..., GenesisStore], mongo_client: MongoClient, other_db: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    source = vector_store()
    _fill(source)
    path = tmp_path / "v.jsonl.gz"
    report = backup(source, path, include_vectors=True, progress=False)
    assert report.vectors == 5  # every item with a "text" field

    target = vector_store(other_db)
    restored = restore(target, path, progress=False)
    assert restored.vectors_restored == 5
    # reindex (run by restore) found every vector in place: nothing was embedded again.
    assert restored.reindex is not None and restored.reindex["vectors_written"] == 0
    assert mongo_client[other_db]["store"].count_documents({"index_pending": True}) == 0
    query = "who drinks tea"
    ours = [(i.key, round(i.score or 0, 6)) for i in target.search(("agent",), query=query)]
    theirs = [(i.key, round(i.score or 0, 6)) for i in source.search(("agent",), query=query)]
    assert ours == theirs and ours[0][0] == "tea"

    # Into a store with another model (other dims), reindex embeds them again.
    third = vector_store(f"{other_db}_3", dims=16)
    try:
        again = restore(third, path, progress=False)
        assert again.vectors_restored == 0 and again.reindex["vectors_written"] == 5  # type: ignore[index]
    finally:
        mongo_client.drop_database(f"{other_db}_3")


def test_checkpoints_are_backed_up_and_restored(
    store: GenesisStore, saver: GenesisSaver, mongo_client: MongoClient, other_db: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    graph = build_graph(saver)
    for thread in ("t1", "t2"):
        graph.invoke({"count": 0, "notes": []}, {"configurable": {"thread_id": thread}})
    head = saver.get_tuple({"configurable": {"thread_id": "t1"}})
    assert head is not None
    # A pending write on the latest checkpoint (as a crashed super-step leaves).
    saver.put_writes(head.config, [("notes", ["pending"])], "task-1")
    path = tmp_path / "c.jsonl.gz"
    report = backup(store, path, saver=saver, progress=False)
    total = len(list(saver.list(None)))
    assert report.checkpoints == total > 4

    target = GenesisSaver(client=mongo_client, database=other_db)
    target.setup()
    restored = restore(GenesisStore(client=mongo_client, database=other_db), path, saver=target)
    assert restored.checkpoints_restored == total
    again = restore(GenesisStore(client=mongo_client, database=other_db), path, saver=target)
    assert (again.checkpoints_restored, again.checkpoints_skipped) == (0, total)
    for thread in ("t1", "t2"):
        config = {"configurable": {"thread_id": thread}}
        assert build_graph(target).get_state(config).values == graph.get_state(config).values
        ours = [t.checkpoint["id"] for t in target.list(config)]
        assert ours == [t.checkpoint["id"] for t in saver.list(config)]
    moved = target.get_tuple({"configurable": {"thread_id": "t1"}})
    assert moved is not None and moved.pending_writes == [("task-1", "notes", ["pending"])]
    # Only some threads.
    part = tmp_path / "t2.jsonl.gz"
    assert backup(store, part, saver=saver, threads=["t2"], progress=False).checkpoints == len(
        list(saver.list({"configurable": {"thread_id": "t2"}}))
    )


async def test_async_twins(
    astore: GenesisStore, mongo_client: MongoClient, async_mongo_client: AsyncMongoClient,
    database_name: str, other_db: str, tmp_path: Path,
) -> None:  # fmt: skip
    await astore.aput(("agent", "qa"), "tea", {"text": "green tea"})
    await astore.aput(("system", "cfg"), "x", {"v": [1, 2, 3]})
    path = tmp_path / "a.jsonl.gz"
    report = await abackup(astore, path, progress=False)
    assert report.items == 2
    target = GenesisStore(client=mongo_client, async_client=async_mongo_client, database=other_db)
    await target.asetup()
    restored = await arestore(target, path, progress=False)
    assert restored.items_restored == 2
    assert documents(mongo_client, other_db) == documents(mongo_client, database_name)


def test_constant_memory_paging(
    store: GenesisStore, mongo_client: MongoClient, other_db: str, tmp_path: Path
) -> None:
    """More items than one page (1,000) round-trip in order, across page boundaries."""
    from langgraph.store.base import PutOp

    ops: list[Any] = [
        PutOp(("bulk", f"n{i % 7}"), f"k{i:05d}", {"i": i}, ttl=None) for i in range(2300)
    ]
    for start in range(0, len(ops), 500):
        store.batch(ops[start : start + 500])
    path = tmp_path / "big.jsonl.gz"
    assert backup(store, path, progress=False).items == 2300
    target = GenesisStore(client=mongo_client, database=other_db)
    target.setup()
    assert restore(target, path, progress=False).items_restored == 2300
    assert mongo_client[other_db]["store"].count_documents({}) == 2300


def test_links_and_time_survive_backup_and_restore(
    store: GenesisStore, mongo_client: MongoClient, other_db: str, tmp_path: Path
) -> None:
    store.put(("n",), "a", {"text": "tea", "valid_from": "2023-05-01"})
    store.put(("n",), "b", {"text": "lyon", "relationships": [{"key": "a"}]})
    store.supersede(("n",), "a2", {"text": "coffee", "valid_from": "2024-01-01"}, replaces="a")
    path = tmp_path / "links.jsonl.gz"
    backup(store, path, progress=False)
    target = GenesisStore(client=mongo_client, database=other_db)
    target.setup()
    restore(target, path, progress=False)
    # The link and validity fields are recomputed from the values, as a put records them.
    for db in (store.database, other_db):
        docs = {d["_id"]: d for d in mongo_client[db]["store"].find()}
        assert docs["n\x01b"]["link_to"] == ["n\x01a"]
        assert docs["n\x01a"]["valid_to_ms"] == docs["n\x01a2"]["valid_from_ms"]
    graph = target.search(("n",), query="lyon", search_mode="graph")
    assert [i.key for i in graph if i.score is not None] == ["b"]  # a has ended: not walked
    assert sorted(i.key for i in target.search(("n",))) == ["a2", "b"]
    then = datetime(2023, 6, 1, tzinfo=UTC)
    assert [i.key for i in target.search(("n",), as_of=then)] == ["a"]
