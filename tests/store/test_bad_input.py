"""Bad input: each gets its clear error, and the store's data is unchanged afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from langgraph.store.base import GetOp, ListNamespacesOp, MatchCondition, PutOp, SearchOp

from langgraph_genesis_memory import (
    GenesisStore,
    InvalidArgumentError,
    InvalidFilterError,
    InvalidKeyError,
    InvalidNamespaceError,
    InvalidValueError,
    ValueTooLargeError,
)
from langgraph_genesis_memory.store._validation import MAX_DOCUMENT_BYTES


def _snapshot(store: GenesisStore) -> list:
    coll = store.client[store.database][store.collection_name]
    return sorted((d["_id"], repr(d["value"])) for d in coll.find({}, {"value": 1}))


@pytest.fixture
def seeded(store: GenesisStore) -> GenesisStore:
    store.put(("agent", "qa"), "k1", {"v": 1})
    store.put(("business", "acme"), "k2", {"v": 2})
    return store


BAD_PUTS = [
    (PutOp((), "k", {"v": 1}), InvalidNamespaceError, "cannot be empty"),
    (PutOp(("a.b",), "k", {"v": 1}), InvalidNamespaceError, "'.'"),
    (PutOp(("",), "k", {"v": 1}), InvalidNamespaceError, "empty"),
    (PutOp(("a", 1), "k", {"v": 1}), InvalidNamespaceError, "strings"),
    (PutOp(["a"], "k", {"v": 1}), InvalidNamespaceError, "tuple"),
    (PutOp(("a\x00",), "k", {"v": 1}), InvalidNamespaceError, "NUL"),
    (PutOp(("a",), "", {"v": 1}), InvalidKeyError, "empty"),
    (PutOp(("a",), 7, {"v": 1}), InvalidKeyError, "strings"),
    (PutOp(("a",), "k\x00", {"v": 1}), InvalidKeyError, "NUL"),
    (PutOp(("a",), "k", ["not", "a", "dict"]), InvalidValueError, "dicts"),
    (PutOp(("a",), "k", "text"), InvalidValueError, "dicts"),
    (PutOp(("a",), "k", {"s": {1, 2}}), InvalidValueError, "as a list"),
    (PutOp(("a",), "k", {1: "int key"}), InvalidValueError, "keys must be strings"),
    (PutOp(("a",), "k", {"o": object()}), InvalidValueError, "not JSON"),
    (PutOp(("a",), "k", {"v": 1}, index="text"), InvalidArgumentError, "index"),
    (PutOp(("a",), "k", {"nested": [{"$set": 1}]}), InvalidValueError, r"start with '\$'"),
    (PutOp(("a",), "k", {"v": 1}, ttl=1e10), InvalidArgumentError, "100 years"),
]


@pytest.mark.parametrize(("op", "error", "message"), BAD_PUTS)
def test_bad_put_in_a_batch_writes_nothing(seeded: GenesisStore, op, error, message) -> None:
    before = _snapshot(seeded)
    batch = [PutOp(("agent", "qa"), "k1", None), PutOp(("agent", "new"), "n", {"v": 3}), op]
    with pytest.raises(error, match=message):
        seeded.batch(batch)
    assert _snapshot(seeded) == before


async def test_bad_put_async_writes_nothing(astore: GenesisStore) -> None:
    await astore.aput(("agent",), "keep", {"v": 1})
    with pytest.raises(InvalidNamespaceError):
        await astore.abatch([PutOp(("agent",), "keep", None), PutOp(("a.b",), "k", {"v": 1})])
    assert (await astore.aget(("agent",), "keep")).value == {"v": 1}


def test_oversized_value_is_refused_before_sending(seeded: GenesisStore) -> None:
    before = _snapshot(seeded)
    huge = {"blob": "x" * MAX_DOCUMENT_BYTES}
    with pytest.raises(ValueTooLargeError, match="16 MiB"):
        seeded.put(("agent", "qa"), "k1", huge)
    assert _snapshot(seeded) == before
    # Under the limit is fine (the document also keeps up to 256 KiB of the text for ranking).
    big = {"blob": "y" * (MAX_DOCUMENT_BYTES - 512 * 1024)}
    seeded.put(("agent", "qa"), "big", big)
    assert len(seeded.get(("agent", "qa"), "big").value["blob"]) == len(big["blob"])


@pytest.mark.parametrize(
    ("flt", "message"),
    [
        ({"$where": "sleep(1000)"}, "Unsupported filter operator"),
        ({"$or": [{"a": 1}]}, "Unsupported filter operator"),
        ({"a": {"$regex": ".*"}}, "Unsupported filter operator"),
        ({"a": {"$expr": {}}}, "Unsupported filter operator"),
        ({"a": {"$gt": 1, "b": 2}}, "Do not mix"),
        ({"a": {"$eq": {"$ne": 1}}}, r"start with '\$'"),
        ({"a": {"$in": "abc"}}, "needs a list"),
        ({"a": {"$exists": "yes"}}, "true or false"),
        ({"": 1}, "non-empty"),
        ({"a..b": 1}, "Invalid filter field path"),
        ("a == 1", "must be a dict"),
        ({"a": {"$in": [object()]}}, "not JSON"),
        ({"a": {1, 2}}, "not JSON"),
    ],
)
def test_bad_filters_are_refused(seeded: GenesisStore, flt, message) -> None:
    with pytest.raises(InvalidFilterError, match=message):
        seeded.search(("agent",), filter=flt)
    # A bad search in a batch stops the batch's writes too.
    before = _snapshot(seeded)
    with pytest.raises(InvalidFilterError):
        seeded.batch([PutOp(("agent", "qa"), "k1", None), SearchOp(("agent",), flt)])
    assert _snapshot(seeded) == before


@pytest.mark.parametrize(
    "op",
    [
        SearchOp(("agent",), limit=-1),
        SearchOp(("agent",), offset=-5),
        SearchOp(("a.b",)),
        ListNamespacesOp(max_depth=0),
        ListNamespacesOp(limit=-1),
        ListNamespacesOp((MatchCondition("middle", ("a",)),)),
        ListNamespacesOp((MatchCondition("prefix", ("a.b",)),)),
        GetOp(("agent",), ""),
        GetOp((), "k"),
        "not an op",
    ],
)
def test_bad_reads_are_refused(seeded: GenesisStore, op) -> None:
    before = _snapshot(seeded)
    with pytest.raises(ValueError):
        seeded.batch([PutOp(("agent", "qa"), "k1", None), op])
    assert _snapshot(seeded) == before


def test_put_refuses_the_reserved_first_label_but_batch_accepts_it(store: GenesisStore) -> None:
    # As LangGraph: BaseStore.put refuses ("langgraph", ...); batch() and reads do not.
    with pytest.raises(InvalidNamespaceError, match="langgraph"):
        store.put(("langgraph", "x"), "k", {"v": 1})
    store.batch([PutOp(("langgraph", "x"), "k", {"v": 1})])
    assert store.get(("langgraph", "x"), "k").value == {"v": 1}


@pytest.mark.parametrize(
    "value",
    [
        {"when": dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)},
        {"raw": b"\x00\x01"},
    ],
)
def test_values_outside_json_are_refused(seeded: GenesisStore, value) -> None:
    # datetimes and bytes are BSON but not JSON: refused so that every server (and every
    # LangGraph store) reads back what was written.
    before = _snapshot(seeded)
    with pytest.raises(InvalidValueError, match="not JSON"):
        seeded.put(("agent", "qa"), "k1", value)
    assert _snapshot(seeded) == before
