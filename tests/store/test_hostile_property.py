"""Property: hostile input gets only documented errors and never changes a stored byte.

Hypothesis throws malformed namespaces, keys, values, filters, limits, offsets, TTLs and queries
at every public ``GenesisStore`` method, sync, async and inside ``batch()`` next to valid ops.
Whatever it generates, a call either succeeds or raises an error from
``langgraph_genesis_memory.errors`` (a ``GenesisMemoryError``) before anything is sent, so the
collection is byte-for-byte what it was.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Callable
from typing import Any

import bson
import pytest
from bson import Decimal128, MinKey, ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langgraph.store.base import GetOp, ListNamespacesOp, MatchCondition, PutOp, SearchOp

from langgraph_genesis_memory import GenesisStore
from langgraph_genesis_memory.errors import GenesisMemoryError

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _deep(depth: int) -> dict[str, Any]:
    inner: Any = 1
    for _ in range(depth):
        inner = [inner]
    return {"deep": inner}


LONE = st.sampled_from(["\ud800", "a\udfff", "\udc00b"])
GOOD_LABEL = st.text(st.characters(blacklist_characters=".\x00", codec="utf-8"), min_size=1,
                     max_size=8)  # fmt: skip
BAD_LABEL = st.one_of(
    st.just(""),
    st.just("a.b"),
    st.just("nul\x00"),
    LONE,
    st.just("x" * 5000),
    st.integers(),
    st.none(),
    st.binary(max_size=4),
)
LABEL = st.one_of(GOOD_LABEL, BAD_LABEL)
NAMESPACE = st.one_of(
    st.tuples(GOOD_LABEL, GOOD_LABEL),
    st.lists(LABEL, max_size=4).map(tuple),
    st.lists(LABEL, max_size=3),
    st.text(max_size=6),
    st.integers(),
    st.none(),
    st.just(tuple("l" for _ in range(70))),
    st.just(("langgraph", "x")),
)
KEY = st.one_of(
    GOOD_LABEL,
    st.just(""),
    st.just("k\x00"),
    LONE,
    st.just("k" * 5000),
    st.integers(),
    st.none(),
    st.floats(),
)
BAD_LEAF = st.sampled_from(
    [
        math.nan,
        math.inf,
        -math.inf,
        dt.datetime(2024, 1, 1),
        b"bytes",
        uuid.UUID(int=1),
        {1, 2},
        object(),
        re.compile("x"),
        Decimal128("1"),
        MinKey(),
        ObjectId(),
        2**64,
        "\ud800",
    ]
)
JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=10),
)  # fmt: skip
VALUE_KEY = st.one_of(st.text(max_size=6), st.sampled_from(["$set", "$", "k\x00", "\ud800"]),
                      st.integers())  # fmt: skip
LEAF = st.one_of(JSON_LEAF, BAD_LEAF)
TREE = st.recursive(
    LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(VALUE_KEY, inner, max_size=3)
    ),
    max_leaves=8,
)
VALUE = st.one_of(
    st.dictionaries(VALUE_KEY, TREE, max_size=4),
    st.lists(JSON_LEAF, max_size=2),
    st.text(max_size=4),
    st.integers(),
    st.just(_deep(70)),
)
NUMBER = st.one_of(
    st.integers(-5, 20), st.integers(min_value=2**31), st.integers(max_value=-(2**63)),
    st.floats(), st.booleans(), st.none(), st.text(max_size=3),
)  # fmt: skip
TTL = st.one_of(st.floats(), st.integers(-10, 10**12), st.booleans(), st.text(max_size=3),
                st.just(10**400))  # fmt: skip
OPERAND = st.one_of(LEAF, st.lists(LEAF, max_size=3), st.dictionaries(VALUE_KEY, LEAF, max_size=2))
FILTER = st.one_of(
    st.none(),
    st.dictionaries(
        st.one_of(st.text(max_size=5), st.sampled_from(["$where", "$or", "a..b", "", "a\ud800"])),
        st.one_of(
            OPERAND,
            st.dictionaries(
                st.sampled_from(["$eq", "$ne", "$gt", "$in", "$nin", "$exists", "$regex", "$x"]),
                OPERAND,
                max_size=2,
            ),
        ),
        max_size=3,
    ),
    st.text(max_size=4),
    st.lists(st.integers(), max_size=2),
)
QUERY = st.one_of(st.none(), st.text(max_size=8), LONE, st.integers(), st.binary(max_size=3))
REFRESH = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=2))


def _ops() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(lambda n, k, v, t: PutOp(n, k, v, ttl=t), NAMESPACE, KEY, VALUE, TTL),
        st.builds(lambda n, k: PutOp(n, k, None), NAMESPACE, KEY),
        st.builds(lambda n, k, r: GetOp(n, k, r), NAMESPACE, KEY, REFRESH),
        st.builds(
            lambda n, f, lim, off, q: SearchOp(n, f, lim, off, q),
            NAMESPACE,
            FILTER,
            NUMBER,
            NUMBER,
            QUERY,
        ),  # fmt: skip
        st.builds(
            lambda p, d, lim, off: ListNamespacesOp(
                (MatchCondition("prefix", p),), max_depth=d, limit=lim, offset=off
            ),
            NAMESPACE,
            NUMBER,
            NUMBER,
            NUMBER,
        ),  # fmt: skip
        st.just("not an op"),
    )


Call = Callable[[GenesisStore], Any]

CALLS: st.SearchStrategy[tuple[str, tuple[Any, ...], dict[str, Any]]] = st.one_of(
    st.tuples(
        st.just("put"), st.tuples(NAMESPACE, KEY, VALUE), st.fixed_dictionaries({"ttl": TTL})
    ),
    st.tuples(
        st.just("get"), st.tuples(NAMESPACE, KEY), st.fixed_dictionaries({"refresh_ttl": REFRESH})
    ),  # fmt: skip
    st.tuples(st.just("delete"), st.tuples(NAMESPACE, KEY), st.just({})),
    st.tuples(
        st.just("search"),
        st.tuples(NAMESPACE),
        st.fixed_dictionaries(
            {
                "query": QUERY,
                "filter": FILTER,
                "limit": NUMBER,
                "offset": NUMBER,
                "refresh_ttl": REFRESH,
            }  # fmt: skip
        ),
    ),
    st.tuples(
        st.just("list_namespaces"),
        st.just(()),
        st.fixed_dictionaries(
            {
                "prefix": NAMESPACE,
                "suffix": NAMESPACE,
                "max_depth": NUMBER,
                "limit": NUMBER,
                "offset": NUMBER,
            }  # fmt: skip
        ),
    ),
    st.tuples(
        st.just("batch"),
        st.tuples(st.lists(_ops(), min_size=1, max_size=4)),
        st.just({}),
    ),
)


def _raw(store: GenesisStore) -> list[bytes]:
    coll = store.client[store.database][store.collection_name]
    return sorted(bson.encode(doc) for doc in coll.find({}))


def _seed(store: GenesisStore) -> None:
    store.batch(
        [PutOp(("agent", "qa"), f"k{i}", {"text": f"memory {i}", "n": i}) for i in range(3)]
        + [PutOp(("system",), "config", {"mode": "on"})]
    )


def _check(outcome: BaseException | None, before: list[bytes], after: list[bytes]) -> None:
    if outcome is None:
        return
    assert isinstance(outcome, GenesisMemoryError), f"undocumented {type(outcome).__name__}"
    assert after == before, "a refused call changed the stored documents"


@pytest.fixture
def hostile(store: GenesisStore) -> GenesisStore:
    _seed(store)
    return store


@SETTINGS
@given(call=CALLS)
def test_sync_calls_refuse_cleanly(hostile: GenesisStore, call) -> None:
    name, args, kwargs = call
    before = _raw(hostile)
    outcome: BaseException | None = None
    try:
        getattr(hostile, name)(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the property is about which errors
        outcome = exc
    _check(outcome, before, _raw(hostile))


@pytest.fixture
async def ahostile(astore: GenesisStore) -> GenesisStore:
    _seed(astore)
    return astore


@SETTINGS
@given(call=CALLS)
async def test_async_calls_refuse_cleanly(ahostile: GenesisStore, call) -> None:
    name, args, kwargs = call
    before = _raw(ahostile)
    outcome: BaseException | None = None
    try:
        await getattr(ahostile, "abatch" if name == "batch" else f"a{name}")(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the property is about which errors
        outcome = exc
    _check(outcome, before, _raw(ahostile))
