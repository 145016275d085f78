"""Regression tests for hostile input and integrity (issue: nothing lost, nothing half-written).

Each test names the defect it guards against; every bad input must get a documented error from
``langgraph_genesis_memory.errors`` before anything is sent, leaving the data unchanged.
"""

from __future__ import annotations

import math
import re
import uuid
from decimal import Decimal

import pytest
from bson import DBRef, Decimal128, MinKey, ObjectId
from langgraph.store.base import GetOp, ListNamespacesOp, MatchCondition, PutOp, SearchOp
from pymongo import MongoClient

from langgraph_genesis_memory import (
    GenesisStore,
    InvalidArgumentError,
    InvalidFilterError,
    InvalidKeyError,
    InvalidNamespaceError,
    InvalidValueError,
    PartialWriteError,
)
from langgraph_genesis_memory._connection import open_sync
from langgraph_genesis_memory.store._validation import MAX_VALUE_DEPTH


def _dump(store: GenesisStore) -> list[dict]:
    """Every document of the store's collection, byte for byte."""
    coll = store.client[store.database][store.collection_name]
    return sorted((dict(d) for d in coll.find({})), key=lambda d: d["_id"])


@pytest.fixture
def seeded(store: GenesisStore) -> GenesisStore:
    store.put(("agent", "qa"), "k1", {"v": 1})
    store.put(("business", "acme"), "k2", {"v": 2})
    return store


def _nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"n": value}
    return value


SERVER_REFUSED_VALUES = [
    float("nan"),
    float("inf"),
    -math.inf,
    re.compile("a.*"),
    Decimal128("1.5"),
    Decimal("1.5"),
    MinKey(),
    DBRef("c", 1),
    ObjectId(),
    uuid.uuid4(),
    2**63,
    -(2**63) - 1,
    "lone \ud800 surrogate",
    {"k\ud800": 1},
]


@pytest.mark.parametrize("bad", SERVER_REFUSED_VALUES, ids=repr)
def test_values_the_server_would_refuse_are_refused_before_any_write(
    seeded: GenesisStore, bad: object
) -> None:
    # Defect: these passed validation and failed in the server after the rest of the batch
    # was applied. Now the whole batch is refused up front.
    before = _dump(seeded)
    batch = [
        PutOp(("agent", "qa"), "k1", None),
        PutOp(("agent", "new"), "n", {"v": 3}),
        PutOp(("agent", "qa"), "bad", {"x": [1, {"y": bad}]}),
    ]
    with pytest.raises(InvalidValueError):
        seeded.batch(batch)
    assert _dump(seeded) == before


def test_deep_nesting_is_a_value_error_not_a_recursion_error(seeded: GenesisStore) -> None:
    before = _dump(seeded)
    with pytest.raises(InvalidValueError, match="nested"):
        seeded.put(("agent",), "deep", _nested(1_500))
    with pytest.raises(InvalidValueError, match="nested"):
        seeded.put(("agent",), "deep", _nested(MAX_VALUE_DEPTH + 1))
    seeded.put(("agent",), "ok", _nested(MAX_VALUE_DEPTH))
    assert seeded.get(("agent",), "ok").value == _nested(MAX_VALUE_DEPTH)
    deep_filter: dict = {"a": 1}
    for _ in range(1_500):
        deep_filter = {"n": deep_filter}
    with pytest.raises(InvalidFilterError):
        seeded.search(("agent",), filter=deep_filter)
    assert [d for d in _dump(seeded) if d["_id"] != "agent\x01ok"] == before


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s: s.search(("agent",), limit=2**63), InvalidArgumentError),
        (lambda s: s.search(("agent",), offset=2**63), InvalidArgumentError),
        (lambda s: s.search(("agent",), limit=2**31), InvalidArgumentError),
        (lambda s: s.list_namespaces(max_depth=2**63), InvalidArgumentError),
        (lambda s: s.list_namespaces(limit=2**64), InvalidArgumentError),
        (lambda s: s.get(("agent", "\udc00"), "k"), InvalidNamespaceError),
        (lambda s: s.get(("agent",), "k\udc00"), InvalidKeyError),
        (lambda s: s.delete(("agent", "\udc00"), "k"), InvalidNamespaceError),
        (lambda s: s.delete(("agent",), "\ud800"), InvalidKeyError),
        (lambda s: s.get(42, "k"), InvalidNamespaceError),
        (lambda s: s.delete("agent", "k"), InvalidNamespaceError),
        (lambda s: s.search(7), InvalidNamespaceError),
        (lambda s: s.get(("agent",), "k" * (17 * 1024 * 1024)), InvalidKeyError),
        (lambda s: s.search(("l" * (20 * 1024 * 1024),)), InvalidNamespaceError),
        (lambda s: s.search(("agent",), query="\ud800"), InvalidArgumentError),
        (lambda s: s.search(("agent",), query=42), InvalidArgumentError),
        (lambda s: s.search(("agent",), filter={"a\ud800": 1}), InvalidFilterError),
        (
            lambda s: s.search(("agent",), filter={"a": {"$in": [re.compile("x")]}}),
            InvalidFilterError,
        ),  # fmt: skip
        (
            lambda s: s.search(("agent",), filter={"a": {"$in": [float("nan")]}}),
            InvalidFilterError,
        ),  # fmt: skip
        (lambda s: s.put(("agent",), "k", {"v": uuid.uuid4()}), InvalidValueError),
        (lambda s: s.put(("agent",), "k", {"v": 1}, ttl=float("nan")), InvalidArgumentError),
        (lambda s: s.put(("agent",), "k", {"v": 1}, ttl=10**400), InvalidArgumentError),
        (lambda s: s.get(("agent",), "k", refresh_ttl="yes"), InvalidArgumentError),
    ],
)
def test_hostile_arguments_get_documented_errors(seeded: GenesisStore, call, error) -> None:
    # Defect: OverflowError, UnicodeEncodeError, TypeError, DocumentTooLarge, ValueError.
    before = _dump(seeded)
    with pytest.raises(error):
        call(seeded)
    assert _dump(seeded) == before


def test_keys_are_never_coerced(seeded: GenesisStore) -> None:
    # Defect: delete(ns, None) deleted the item keyed "None"; get(ns, 7) read key "7".
    seeded.put(("agent",), "None", {"v": "none"})
    seeded.put(("agent",), "7", {"v": "seven"})
    before = _dump(seeded)
    with pytest.raises(InvalidKeyError):
        seeded.delete(("agent",), None)
    with pytest.raises(InvalidKeyError):
        seeded.get(("agent",), 7)
    with pytest.raises(InvalidKeyError):
        seeded.put(("agent",), 7, {"v": 1})
    assert _dump(seeded) == before


async def test_keys_are_never_coerced_async(astore: GenesisStore) -> None:
    await astore.aput(("agent",), "None", {"v": "none"})
    with pytest.raises(InvalidKeyError):
        await astore.adelete(("agent",), None)
    with pytest.raises(InvalidKeyError):
        await astore.aget(("agent",), 7)
    with pytest.raises(InvalidNamespaceError):
        await astore.alist_namespaces(prefix="agent")
    assert (await astore.aget(("agent",), "None")).value == {"v": "none"}


def test_a_string_prefix_is_refused_and_lists_are_accepted(seeded: GenesisStore) -> None:
    # Defect: list_namespaces(prefix="agent") searched ('a','g','e','n','t').
    with pytest.raises(InvalidNamespaceError):
        seeded.list_namespaces(prefix="agent")
    with pytest.raises(InvalidNamespaceError):
        seeded.list_namespaces(suffix="qa")
    with pytest.raises(InvalidNamespaceError):
        seeded.search("agent")
    assert seeded.list_namespaces(prefix=["agent"]) == [("agent", "qa")]
    assert [i.key for i in seeded.search(["agent"])] == ["k1"]


def test_no_namespace_leak_across_a_trailing_newline(store: GenesisStore) -> None:
    # Defect: `$` in the regex also matched before a final newline.
    store.put(("users", "alice"), "k", {"v": 1})
    store.put(("users", "alice\n"), "k", {"v": 2})
    store.put(("users", "alice\n", "notes"), "k", {"v": 3})
    assert store.list_namespaces(suffix=("alice",)) == [("users", "alice")]
    assert store.list_namespaces(prefix=("*", "alice")) == [("users", "alice")]
    assert store.list_namespaces(prefix=("*", "alice\n")) == [
        ("users", "alice\n"),
        ("users", "alice\n", "notes"),
    ]
    assert store.list_namespaces(suffix=("*", "alice\n")) == [("users", "alice\n")]


def test_the_langgraph_label_is_refused_only_by_put(store: GenesisStore) -> None:
    # Defect: batch() and get() refused it; LangGraph refuses it only in BaseStore.put.
    store.batch([PutOp(("langgraph", "runs"), "k", {"v": 1})])
    assert store.get(("langgraph", "runs"), "k").value == {"v": 1}
    assert store.batch([GetOp(("langgraph", "runs"), "k")])[0].value == {"v": 1}
    assert [i.key for i in store.search(("langgraph",))] == ["k"]
    with pytest.raises(InvalidNamespaceError, match="langgraph"):
        store.put(("langgraph", "runs"), "k2", {"v": 2})


def test_ttl_sweeper_started_twice_returns_the_running_one(
    mongo_client: MongoClient, database_name: str
) -> None:
    store = GenesisStore(
        client=mongo_client, database=database_name, ttl={"sweep_interval_minutes": 60}
    )
    first = store.start_ttl_sweeper()
    try:
        assert store.start_ttl_sweeper() is first
        assert not first.done()
    finally:
        assert store.stop_ttl_sweeper(timeout=5)
    assert first.done()
    assert store.sweep_ttl() == 0


async def test_async_ttl_sweeper_started_twice_returns_the_running_one(
    astore: GenesisStore,
) -> None:
    task = await astore.astart_ttl_sweeper(60)
    try:
        assert await astore.astart_ttl_sweeper(60) is task
    finally:
        await astore.astop_ttl_sweeper()
    assert await astore.asweep_ttl() == 0


def test_connection_repr_masks_the_password(tmp_path) -> None:
    uri = "mongodb://alice:s3cret-pw@127.0.0.1:1/?directConnection=true"
    with open_sync(uri, timeout_ms=50) as conn:
        assert "s3cret-pw" not in repr(conn)
        assert "alice:***@" in repr(conn)


def test_a_server_refusal_mid_batch_names_the_applied_ops(store: GenesisStore) -> None:
    # A unique index on a value field, added by the user: the server refuses one put of an
    # unordered bulk write while applying the others. The error says exactly which.
    coll = store.client[store.database][store.collection_name]
    coll.create_index("value.email", unique=True, sparse=True)
    store.put(("users",), "alice", {"email": "a@x"})
    ops = [
        PutOp(("users",), "bob", {"email": "b@x"}),
        PutOp(("users",), "mallory", {"email": "a@x"}),  # duplicate: refused
        PutOp(("users",), "carol", {"email": "c@x"}),
        GetOp(("users",), "alice"),
    ]
    with pytest.raises(PartialWriteError) as caught:
        store.batch(ops)
    assert caught.value.applied == [0, 2]
    assert list(caught.value.failed) == [1]
    assert re.search("duplicate|E11000|unique", caught.value.failed[1], re.IGNORECASE)
    assert store.get(("users",), "bob") is not None
    assert store.get(("users",), "carol") is not None
    assert store.get(("users",), "mallory") is None


def test_bad_batches_name_bad_ops(store: GenesisStore) -> None:
    with pytest.raises(InvalidArgumentError, match="Unknown store operation"):
        store.batch(["not an op"])  # type: ignore[list-item]
    with pytest.raises(InvalidArgumentError):
        store.batch([ListNamespacesOp(match_conditions=("prefix",))])  # type: ignore[arg-type]
    with pytest.raises(InvalidNamespaceError):
        store.batch([ListNamespacesOp((MatchCondition("prefix", "agent"),))])  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        store.batch([SearchOp(("a",), query=b"bytes")])  # type: ignore[arg-type]
