"""Random op sequences run against GenesisStore and LangGraph's InMemoryStore, result by result.

The reference is LangGraph's own ``InMemoryStore``. Two of its artefacts are normalised away:
it keeps an empty namespace entry after a ``get`` or a delete (so ``list_namespaces`` would list
namespaces that hold no item), and its plain search returns items in insertion order while ours
is newest-first, so plain-search results are compared as sets (ordering and pagination of our
own search are tested in ``test_contract.py``).
"""

from __future__ import annotations

import itertools
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langgraph.store.base import GetOp, ListNamespacesOp, MatchCondition, PutOp, SearchOp
from langgraph.store.memory import InMemoryStore
from pymongo import MongoClient

from langgraph_genesis_memory import GenesisStore

LABELS = st.sampled_from(["a", "b", "a-b", "b c", "x\x01y", "ab"])
NAMESPACES = st.lists(LABELS, min_size=1, max_size=3).map(tuple)
KEYS = st.sampled_from(["k1", "k2", "k.3", "k 4"])
VALUES = st.fixed_dictionaries(
    {
        "n": st.integers(-5, 15),
        "s": st.sampled_from(["red", "green", "blue"]),
        "m": st.fixed_dictionaries({"x": st.integers(0, 3)}),
    },
    optional={"tags": st.lists(st.integers(0, 3), max_size=3)},
)
COMPARISON = st.sampled_from(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"])
FILTERS = st.one_of(
    st.none(),
    st.builds(lambda op, v: {"n": {op: v}}, COMPARISON, st.integers(-5, 15)),
    st.builds(lambda v: {"s": v}, st.sampled_from(["red", "green", "blue"])),
    st.builds(lambda v: {"s": {"$ne": v}}, st.sampled_from(["red", "blue"])),
    st.builds(lambda v: {"m": {"x": v}}, st.integers(0, 3)),
    st.builds(
        lambda lo, hi, s: {"n": {"$gte": lo, "$lt": hi}, "s": s},
        st.integers(-5, 5),
        st.integers(5, 15),
        st.sampled_from(["red", "green"]),
    ),
)
PATTERNS = st.lists(st.one_of(LABELS, st.just("*")), min_size=1, max_size=2).map(tuple)
CONDITIONS = st.lists(
    st.builds(MatchCondition, st.sampled_from(["prefix", "suffix"]), PATTERNS), max_size=2
).map(tuple)

OPS = st.one_of(
    st.builds(
        lambda ns, k, v: PutOp(ns, k, v), NAMESPACES, KEYS, st.one_of(VALUES, VALUES, st.none())
    ),
    st.builds(lambda ns, k: GetOp(ns, k), NAMESPACES, KEYS),
    st.builds(
        lambda prefix, flt: SearchOp(prefix, flt, limit=1000),
        st.one_of(st.just(()), NAMESPACES),
        FILTERS,
    ),
    st.builds(
        lambda c, d, lim, off: ListNamespacesOp(c, d, lim, off),
        CONDITIONS,
        st.one_of(st.none(), st.integers(1, 3)),
        st.integers(1, 6),
        st.integers(0, 3),
    ),
)

_counter = itertools.count()


class _ItemsOnly(defaultdict):
    """InMemoryStore's namespace table, listing only namespaces that hold items."""

    def keys(self):  # type: ignore[override]
        return [ns for ns, items in self.items() if items]


def _reference() -> InMemoryStore:
    reference = InMemoryStore()
    reference._data = _ItemsOnly(dict)
    return reference


def _comparable(op, result):
    if isinstance(op, GetOp):
        return None if result is None else (result.namespace, result.key, result.value)
    if isinstance(op, SearchOp):
        return sorted((i.namespace, i.key, repr(i.value)) for i in result)
    return result


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=st.lists(st.lists(OPS, min_size=1, max_size=6), min_size=1, max_size=6))
def test_matches_in_memory_store(
    mongo_client: MongoClient, database_name: str, batches: list[list]
) -> None:
    store = GenesisStore(
        client=mongo_client, database=database_name, collection=f"diff{next(_counter)}"
    )
    reference = _reference()
    for batch in batches:
        expected = reference.batch(batch)
        actual = store.batch(batch)
        for op, want, got in zip(batch, expected, actual, strict=True):
            assert _comparable(op, got) == _comparable(op, want), op
    assert store.list_namespaces(limit=1000) == reference.list_namespaces(limit=1000)
