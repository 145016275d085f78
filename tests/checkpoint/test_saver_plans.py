"""The saver's plans are pure: driven here without a server, time and known elements passed in."""

from __future__ import annotations

import pytest
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pymongo import UpdateOne

from langgraph_genesis_memory._mongo import BulkWrite, Find, Parallel
from langgraph_genesis_memory.checkpoint._documents import Codec, Collections
from langgraph_genesis_memory.checkpoint._known import ElementsStored, KnownElements
from langgraph_genesis_memory.checkpoint._plan import (
    SaverSchema,
    plan_put,
    plan_sweep_threads,
)

SCHEMA = SaverSchema(Collections("checkpoints"), Codec(JsonPlusSerializer()), ttl_minutes=2)
CONFIG = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}


def _elements(request: BulkWrite) -> list[UpdateOne]:
    # pymongo write models expose their parts only as private attributes.
    return [r for r in request.requests if r._doc.get("$setOnInsert", {}).get("kind") == "item"]


def _put(known: KnownElements, parent: str | None, messages: list[str], now_ms: int):
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"messages": messages}
    checkpoint["channel_versions"] = {"messages": f"{len(messages)}"}
    config = {"configurable": {**CONFIG["configurable"], "checkpoint_id": parent}}
    plan = plan_put(SCHEMA, config if parent else CONFIG, checkpoint, {}, {"messages": "1"},
                    known, now_ms)  # fmt: skip
    request = next(plan)
    with pytest.raises(StopIteration) as done:
        plan.send(None)
    return checkpoint["id"], request, done.value.value


def test_put_uses_the_given_time_and_only_reads_the_known_elements() -> None:
    known = KnownElements()
    first, request, (config, stored) = _put(known, None, ["a", "b"], now_ms=1_000)
    assert isinstance(request, BulkWrite) and request.ordered
    refresh = request.requests[0]
    assert refresh == UpdateOne(
        {"_id": "t\x1f#thread"},
        {"$set": {"kind": "thread", "thread_id": "t", "expires_at_ms": 121_000,
                  "touched_at_ms": 1_000}},
        upsert=True,
    )  # fmt: skip
    assert len(_elements(request)) == 2
    assert config["configurable"]["checkpoint_id"] == first
    assert isinstance(stored, ElementsStored) and len(stored.digests) == 2
    # The plan did not record anything: a second put from the same parent sends both again.
    assert known.missing("t", "", first, stored.digests) == set(stored.digests)

    known.record(stored)  # what the saver does once the write succeeded
    _, request, _ = _put(known, first, ["a", "b", "c"], now_ms=2_000)
    assert len(_elements(request)) == 1  # only the new element


def test_sweep_uses_the_given_time() -> None:
    plan = plan_sweep_threads(SCHEMA, 5_000)
    find = next(plan)
    assert isinstance(find, Find)
    assert find.filter == {"kind": "thread", "expires_at_ms": {"$lte": 5_000}}
    delete = plan.send([{"thread_id": "old"}, {"thread_id": "old"}])
    assert isinstance(delete, Parallel) and len(delete.requests) == 2  # both collections
    with pytest.raises(StopIteration) as done:
        plan.send([3, 1])
    assert done.value.value == ["old"]


def test_known_elements_forgetting() -> None:
    known = KnownElements()
    stored = ElementsStored("t", "", None, "c1", frozenset({b"x"}))
    known.record(stored)
    assert known.missing("t", "", "c1", [b"x"]) == set()
    with known.forgetting(["t"]):
        pass
    assert known.missing("t", "", "c1", [b"x"]) == {b"x"}

    known.record(stored)
    with pytest.raises(RuntimeError), known.forgetting(None):
        raise RuntimeError("failed part-way")  # threads unknown: everything is forgotten
    assert known.missing("t", "", "c1", [b"x"]) == {b"x"}
