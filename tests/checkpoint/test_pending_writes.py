"""Pending writes: a task's writes become visible all together or not at all.

A crash in the middle of a multi-document write once left only part of a task's writes on
disk, and a resumed graph then stopped early and reported success. A task's writes now live in
one document; these tests pin that layout and LangGraph's semantics on top of it (regular writes
kept, special writes replaced, the null task's writes accumulating), against ``InMemorySaver``.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.types import ERROR, INTERRUPT, RESUME
from pymongo import MongoClient

from langgraph_genesis_memory import GenesisSaver
from langgraph_genesis_memory._migrations import MIGRATIONS_COLLECTION
from langgraph_genesis_memory.checkpoint._documents import ID_SEP

NULL_TASK_ID = "00000000-0000-0000-0000-000000000000"
"""The task id LangGraph gives writes made outside a task (update_state, resume): its
``put_writes`` calls accumulate (each call re-sends the earlier writes)."""


def _stored(saver: Any, thread_id: str) -> Any:
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    return saver.put(config, empty_checkpoint(), {"source": "input", "step": -1}, {})


def _writes_docs(saver: GenesisSaver) -> list[dict]:
    return list(saver.client[saver.database][saver.collections.writes].find({}))


def test_a_tasks_writes_are_one_document(saver: GenesisSaver) -> None:
    config = _stored(saver, "t1")
    saver.put_writes(config, [(f"ch{i}", {"i": i}) for i in range(6)], "task-a")
    saver.put_writes(config, [("other", 1)], "task-b")
    docs = _writes_docs(saver)
    assert len(docs) == 2
    by_task = {d["task_id"]: d for d in docs}
    assert len(by_task["task-a"]["w"]) == 6
    pending = saver.get_tuple(config).pending_writes
    assert [(t, c) for t, c, _ in pending] == [("task-a", f"ch{i}") for i in range(6)] + [
        ("task-b", "other")
    ]


def test_the_null_task_accumulates_and_specials_replace(saver: GenesisSaver) -> None:
    memory = InMemorySaver()
    configs = [_stored(saver, "t2"), _stored(memory, "t2")]
    calls = [
        (NULL_TASK_ID, [("a", 1)]),
        (NULL_TASK_ID, [("a", 1), ("b", 2)]),
        (NULL_TASK_ID, [("a", 1), ("b", 2), (RESUME, "first")]),
        (NULL_TASK_ID, [(RESUME, "second")]),
        ("task", [("x", 1), ("y", 2)]),
        ("task", [("x", "changed"), ("y", "changed"), ("z", 3)]),  # regular: kept, z added
        ("task", [(ERROR, "boom"), (INTERRUPT, {"why": 1})]),
        ("task", [(ERROR, "boom again")]),
    ]
    for target, config in zip((saver, memory), configs, strict=True):
        for task_id, writes in calls:
            target.put_writes(config, writes, task_id)
    ours = saver.get_tuple(configs[0]).pending_writes
    theirs = memory.get_tuple(configs[1]).pending_writes
    assert sorted(map(repr, ours)) == sorted(map(repr, theirs))
    assert len(ours) == 8


CHANNELS = st.sampled_from(["a", "b", "c", ERROR, INTERRUPT, RESUME])
CALLS = st.lists(
    st.tuples(
        st.sampled_from(["t1", "t2", NULL_TASK_ID]),
        st.lists(st.tuples(CHANNELS, st.integers(0, 9)), min_size=1, max_size=4),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(calls=CALLS)
def test_put_writes_matches_in_memory_saver(mongo_client: MongoClient, calls) -> None:
    saver = GenesisSaver(client=mongo_client, database="pending_writes_differential",
                         collection=f"c{uuid.uuid4().hex[:8]}")  # fmt: skip
    memory = InMemorySaver()
    try:
        configs = [_stored(saver, "t"), _stored(memory, "t")]
        for target, config in zip((saver, memory), configs, strict=True):
            for task_id, writes in calls:
                target.put_writes(config, writes, task_id)
        ours = saver.get_tuple(configs[0]).pending_writes
        theirs = memory.get_tuple(configs[1]).pending_writes
        assert sorted(map(repr, ours)) == sorted(map(repr, theirs))
    finally:
        for name in saver.collections.all():
            mongo_client["pending_writes_differential"].drop_collection(name)


def test_large_writes_spill_to_chunks_and_replacing_never_corrupts(
    mongo_client: MongoClient, database_name: str
) -> None:
    saver = GenesisSaver(client=mongo_client, database=database_name, chunk_bytes=1024)
    saver.setup()
    config = _stored(saver, "t3")
    big = ["x" * 900, "y" * 3000, "z" * 2500]
    saver.put_writes(config, [("a", big[0]), ("b", big[1]), ("c", big[2])], "task")
    saver.put_writes(config, [(ERROR, "e" * 5000)], "task")
    saver.put_writes(config, [(ERROR, "f" * 4000)], "task")  # replaces with new chunks
    values = {c: v for _, c, v in saver.get_tuple(config).pending_writes}
    assert values == {"a": big[0], "b": big[1], "c": big[2], ERROR: "f" * 4000}
    doc = _writes_docs(saver)[0]
    assert len(doc["w"]) == 4 and all(len(e["blob"]) <= 1024 for e in doc["w"].values())
    # Pruning keeps the chunks the latest checkpoint's writes refer to.
    saver.prune(["t3"], strategy="keep_latest")
    assert {c: v for _, c, v in saver.get_tuple(config).pending_writes} == values


def test_concurrent_calls_for_one_task_lose_nothing(saver: GenesisSaver) -> None:
    config = _stored(saver, "t4")
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        barrier.wait()
        # Accumulating lists, as the null task's: every call re-sends the earlier writes.
        saver.put_writes(config, [(f"ch{i}", i) for i in range(n + 1)], NULL_TASK_ID)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pending = saver.get_tuple(config).pending_writes
    assert sorted(c for _, c, _ in pending) == sorted(f"ch{i}" for i in range(8))


def test_writes_stored_one_per_document_are_still_read(saver: GenesisSaver) -> None:
    # The layout before one-document-per-task kept one document per write, with the field
    # names of schema version 1 (t/d): setup() renames them and such data stays readable.
    config = _stored(saver, "t5")
    cp_id = f"t5{ID_SEP}{ID_SEP}{config['configurable']['checkpoint_id']}"
    typed = saver.serde.dumps_typed({"old": True})
    db = saver.client[saver.database]
    db[saver.collections.writes].insert_one(
        {
            "_id": f"{cp_id}{ID_SEP}old-task{ID_SEP}0",
            "thread_id": "t5",
            "checkpoint_ns": "",
            "t": typed[0],
            "d": typed[1],
            "n": 1,
            "kind": "write",
            "cp": cp_id,
            "checkpoint_id": config["configurable"]["checkpoint_id"],
            "task_id": "old-task",
            "task_path": "",
            "idx": 0,
            "channel": "legacy",
        }  # fmt: skip
    )
    db[MIGRATIONS_COLLECTION].update_one(
        {"_id": f"checkpoint:{saver.collections.writes}"}, {"$set": {"version": 1}}
    )
    assert saver.setup() == 3
    legacy = db[saver.collections.writes].find_one({"task_id": "old-task"})
    assert (legacy["type"], legacy["blob"]) == typed and "t" not in legacy and "d" not in legacy
    saver.put_writes(config, [("new", 1)], "new-task")
    pending = saver.get_tuple(config).pending_writes
    assert sorted((t, c, v) for t, c, v in pending if c == "legacy") == [
        ("old-task", "legacy", {"old": True})
    ]
    assert ("new-task", "new", 1) in pending


async def test_async_put_writes_share_the_layout(async_saver: GenesisSaver) -> None:
    config = await async_saver.aput(
        {"configurable": {"thread_id": "t6", "checkpoint_ns": ""}},
        empty_checkpoint(),
        {"source": "input", "step": -1},
        {},
    )
    await async_saver.aput_writes(config, [("a", 1), ("b", 2)], "task")
    await async_saver.aput_writes(config, [("a", 9), ("b", 9), ("c", 3)], "task")
    tup = await async_saver.aget_tuple(config)
    assert [(c, v) for _, c, v in tup.pending_writes] == [("a", 1), ("b", 2), ("c", 3)]
    assert len(_writes_docs(async_saver)) == 1


def test_a_later_call_that_spills_keeps_its_chunks_through_pruning(
    mongo_client: MongoClient, database_name: str
) -> None:
    # The task's document exists with small writes only; a later call (the null task's
    # accumulation) adds a write too large to keep inline. Its chunks must be recorded, so that
    # pruning (which deletes chunks nobody refers to) keeps them.
    saver = GenesisSaver(client=mongo_client, database=database_name, chunk_bytes=1024)
    saver.setup()
    config = _stored(saver, "t7")
    saver.put_writes(config, [("a", "small")], NULL_TASK_ID)
    big = "z" * 5000
    saver.put_writes(config, [("a", "small"), ("b", big)], NULL_TASK_ID)
    saver.prune(["t7"], strategy="keep_latest")
    values = {c: v for _, c, v in saver.get_tuple(config).pending_writes}
    assert values == {"a": "small", "b": big}
