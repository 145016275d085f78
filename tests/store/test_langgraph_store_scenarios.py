"""What LangGraph users expect of a store, checked on GenesisStore.

The scenarios were learned by reading LangGraph's own store test suites (``InMemoryStore``,
``PostgresStore``/``AsyncPostgresStore`` and ``SqliteStore``/``AsyncSqliteStore``) and keeping
the behaviour they pin down that is not about SQL: batch results, get/put/delete, search scoping,
filters and pages, namespace listing, TTL and sweeping, the namespace rules, unusual labels,
semantic search with store-level and per-put index paths, and concurrent use. The tests and
their data are our own; where it makes sense the same operations also run on LangGraph's
reference ``InMemoryStore`` and the answers are compared.

Every scenario runs through the sync and the async API (the ``mode`` parameter). Where
GenesisStore deliberately differs from LangGraph's stores (stricter key and prefix checks,
MongoDB's array rule in filters), the test says so and pins GenesisStore's documented choice.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import math
import time
import uuid
from collections import Counter
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings
from langgraph.store.base import (
    GetOp,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchItem,
    SearchOp,
)
from langgraph.store.memory import InMemoryStore

from langgraph_genesis_memory import GenesisStore
from langgraph_genesis_memory.embeddings import HashEmbeddings
from langgraph_genesis_memory.index import ChromaIndex
from tests.conftest import Api

DIMS = 512


# -- helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def ref(mode: str) -> Api:
    """LangGraph's reference InMemoryStore through the same API."""
    return Api(InMemoryStore(), mode)


def keys(items: list[SearchItem]) -> list[str]:
    return [i.key for i in items]


def key_set(items: list[SearchItem]) -> set[str]:
    return {i.key for i in items}


def namespaces_of(items: list[SearchItem]) -> set[tuple[str, ...]]:
    return {i.namespace for i in items}


class CharCountEmbeddings(Embeddings):
    """Deterministic character-count embeddings, for scripts HashEmbeddings has no words for.

    Each character is hashed (BLAKE2b) to a coordinate and a sign; its count is added there and
    the vector is L2-normalised, so identical texts embed identically in every process.
    """

    def __init__(self, dims: int = DIMS) -> None:
        self.dims = dims

    def _embed(self, text: str) -> list[float]:
        vector = [0.0] * self.dims
        for char, count in Counter(text or " ").items():
            digest = int.from_bytes(hashlib.blake2b(char.encode(), digest_size=8).digest(), "big")
            vector[digest % self.dims] += count if digest >> 63 else -count
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        return [x / norm for x in vector]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


@pytest.fixture
def semantic(mongo_client, async_mongo_client, database_name, mode):
    """Factory of (GenesisStore with a Chroma index, InMemoryStore with the same embeddings)."""
    made = iter(range(1000))

    def make(
        *,
        fields: list[str] | None = None,
        search_mode: str = "vector",
        embed: Embeddings | None = None,
    ) -> tuple[Api, Api]:
        model = embed or HashEmbeddings(DIMS)
        index: dict[str, Any] = {"dims": DIMS, "embed": model}
        if fields is not None:
            index["fields"] = fields
        store = GenesisStore(
            client=mongo_client,
            async_client=async_mongo_client,
            database=database_name,
            collection=f"lg{next(made)}",
            index=dict(index),
            # Vectors always come from `embed`: ChromaIndex opens collections without Chroma's
            # own embedding function.
            vector_index=ChromaIndex.from_config(
                in_memory=True, collection=f"lg-{uuid.uuid4().hex[:12]}"
            ),
            search_mode=search_mode,
        )
        store.setup()
        return Api(store, mode), Api(InMemoryStore(index=dict(index)), mode)

    return make


@pytest.fixture
def timed(mongo_client, async_mongo_client, database_name, clock, mode):
    """Factory of a GenesisStore whose TTL decisions follow the test's clock."""

    def make(**kwargs: Any) -> tuple[GenesisStore, Api]:
        store = GenesisStore(
            client=mongo_client,
            async_client=async_mongo_client,
            database=database_name,
            clock=clock,
            **kwargs,
        )
        store.setup()
        return store, Api(store, mode)

    return make


# -- batch ---------------------------------------------------------------------------------------


async def test_batch_answers_each_op_in_input_order(api: Api, ref: Api) -> None:
    north, south = ("pantry", "north"), ("pantry", "south")
    for s in (api, ref):
        await s.put(north, "oats", {"qty": 3})
        await s.put(south, "rice", {"qty": 5})
        first = await s.batch(
            [
                GetOp(north, "oats"),
                PutOp(south, "rice", {"qty": 5}),
                SearchOp(("pantry",), filter={"qty": 3}, limit=10, offset=0),
                ListNamespacesOp(match_conditions=None, max_depth=None, limit=10, offset=0),
                GetOp(("pantry",), "salt"),
            ]
        )
        assert len(first) == 5
        assert isinstance(first[0], Item)
        assert (first[0].namespace, first[0].key, first[0].value) == (north, "oats", {"qty": 3})
        assert first[1] is None
        assert [(i.key, i.value) for i in first[2]] == [("oats", {"qty": 3})]
        assert first[3] == [north, south]
        assert first[4] is None

        second = await s.batch(
            [
                SearchOp(("pantry",), filter=None, limit=5, offset=0),
                GetOp(south, "rice"),
                ListNamespacesOp(match_conditions=None, max_depth=None, limit=5, offset=0),
                PutOp(("pantry",), "salt", {"qty": 1}),
                GetOp(north, "oats"),
            ]
        )
        assert key_set(second[0]) == {"oats", "rice"}
        assert (second[1].namespace, second[1].value) == (south, {"qty": 5})
        assert {north, south} <= set(second[2])
        if s is api:  # InMemoryStore also lists ("pantry",), left empty by the GetOp above
            assert second[2] == [north, south]
        assert second[3] is None
        assert (second[4].namespace, second[4].value) == (north, {"qty": 3})
        assert (await s.get(("pantry",), "salt")).value == {"qty": 1}


async def test_batch_of_puts_gets_and_deletes(api: Api, ref: Api) -> None:
    for s in (api, ref):
        await s.put(("inbox",), "stale", {"body": "old"})
        results = await s.batch(
            [
                PutOp(("inbox",), "m1", {"body": "hi"}),
                PutOp(("inbox",), "m2", {"body": "yo"}),
                PutOp(("inbox",), "stale", None),  # a put of None deletes
            ]
        )
        assert results == [None, None, None]
        got = await s.batch([GetOp(("inbox",), k) for k in ("m1", "m2", "stale", "m9")])
        assert [None if g is None else g.value for g in got] == [
            {"body": "hi"},
            {"body": "yo"},
            None,
            None,
        ]


async def test_batch_reads_see_the_state_before_its_writes(api: Api, ref: Api) -> None:
    """Reads in a batch see the store as it was; the last write per item wins (InMemoryStore)."""
    answers = []
    for s in (api, ref):
        await s.put(("ledger",), "x", {"n": 0})
        results = await s.batch(
            [
                GetOp(("ledger",), "x"),
                PutOp(("ledger",), "x", {"n": 1}),
                GetOp(("ledger",), "x"),
                PutOp(("ledger",), "y", {"n": 2}),
                SearchOp(("ledger",)),
                PutOp(("ledger",), "y", None),
                PutOp(("ledger",), "z", None),
                PutOp(("ledger",), "z", {"n": 3}),
            ]
        )
        after = [await s.get(("ledger",), k) for k in "xyz"]
        answers.append(
            (
                results[0].value,
                results[2].value,
                keys(results[4]),
                [None if i is None else i.value for i in after],
            )
        )
    assert answers[0] == answers[1] == ({"n": 0}, {"n": 0}, ["x"], [{"n": 1}, None, {"n": 3}])


async def test_batch_searches_and_listings(api: Api, ref: Api) -> None:
    for s in (api, ref):
        for ns, key, value in [
            (("shop", "toys"), "kite", {"kind": "outdoor"}),
            (("shop", "garden"), "rake", {"kind": "outdoor"}),
            (("shop", "books"), "atlas", {"kind": "indoor"}),
            (("archive", "2019", "open"), "ledger", {"kind": "old"}),
        ]:
            await s.put(ns, key, value)
        results = await s.batch(
            [
                SearchOp(("shop",), filter={"kind": "outdoor"}, limit=10, offset=0),
                SearchOp(("shop",), filter=None, limit=2, offset=0),
                SearchOp(("shop", "toys"), filter=None, limit=10, offset=0),
                ListNamespacesOp(max_depth=2, limit=10, offset=0),
                ListNamespacesOp((MatchCondition("suffix", ("open",)),), limit=10),
            ]
        )
        assert key_set(results[0]) == {"kite", "rake"}
        assert len(results[1]) == 2
        assert [(i.namespace, i.key) for i in results[2]] == [(("shop", "toys"), "kite")]
        assert results[3] == [
            ("archive", "2019"),
            ("shop", "books"),
            ("shop", "garden"),
            ("shop", "toys"),
        ]
        assert results[4] == [("archive", "2019", "open")]


# -- get / put / delete ----------------------------------------------------------------------------


async def test_put_get_update_delete(api: Api) -> None:
    ns = ("wiki", "pages")
    await api.put(ns, "intro", {"heading": "Welcome", "body": "first draft"})
    item = await api.get(ns, "intro")
    assert isinstance(item, Item)
    assert (item.namespace, item.key) == (ns, "intro")
    assert item.value == {"heading": "Welcome", "body": "first draft"}
    assert item.created_at is not None and item.updated_at is not None

    time.sleep(0.01)  # stored times have millisecond precision
    await api.put(ns, "intro", {"heading": "Welcome back", "body": "second draft"})
    updated = await api.get(ns, "intro")
    assert updated.value == {"heading": "Welcome back", "body": "second draft"}
    assert updated.updated_at > item.updated_at
    assert updated.created_at == item.created_at

    assert await api.get(("wiki", "drafts"), "intro") is None
    assert await api.get(("wiki",), "intro") is None  # a prefix is not the namespace

    await api.put(ns, "faq", {"heading": "Questions"})
    assert key_set(await api.search(("wiki",), limit=10)) == {"intro", "faq"}
    assert await api.list_namespaces(prefix=("wiki",)) == [ns]

    await api.delete(ns, "intro")
    await api.delete(ns, "faq")
    await api.delete(ns, "never-there")  # not an error
    assert await api.get(ns, "intro") is None
    assert await api.search(("wiki",), limit=10) == []
    # A namespace exists while it holds items (as in the SQL stores; InMemoryStore keeps an empty
    # entry behind, an artefact of its dict).
    assert await api.list_namespaces() == []


# -- namespace rules ------------------------------------------------------------------------------


async def test_put_refuses_invalid_namespaces(api: Api, ref: Api) -> None:
    bad = [(), ("app", "v1.2"), ("app", "", "x"), ("langgraph", "runs"), ("app", 3)]
    for namespace in bad:
        for s in (ref, api):
            with pytest.raises(InvalidNamespaceError):
                await s.put(namespace, "k", {"v": 1})
    assert await api.list_namespaces() == []


async def test_reads_and_deletes_refuse_labels_with_periods(api: Api, ref: Api) -> None:
    calls = [
        lambda s: s.get(("v1.2",), "k"),
        lambda s: s.delete(("app", "v1.2"), "k"),
        lambda s: s.search(("v1.2",)),
        lambda s: s.list_namespaces(prefix=("v1.2",)),
        lambda s: s.list_namespaces(suffix=("app", "v1.2")),
    ]
    for call in calls:
        for s in (ref, api):
            with pytest.raises(InvalidNamespaceError):
                await call(s)


async def test_langgraph_is_only_reserved_as_the_first_label(api: Api) -> None:
    ns = ("team", "langgraph", "notes")
    await api.put(ns, "memo", {"note": "standup at nine"})
    assert (await api.get(ns, "memo")).value == {"note": "standup at nine"}
    assert [i.value for i in await api.search(ns)] == [{"note": "standup at nine"}]
    assert [i.value for i in await api.search(ns, query="standup")] == [{"note": "standup at nine"}]
    await api.delete(ns, "memo")
    assert await api.get(ns, "memo") is None


async def test_langgraph_root_is_usable_through_batch(api: Api, ref: Api) -> None:
    """Only public put/aput refuse a "langgraph" root; batch, get, search and delete allow it."""
    ns = ("langgraph", "runs")
    for s in (ref, api):
        await s.batch([PutOp(ns, "r1", {"status": "done"})])
        assert (await s.get(ns, "r1")).value == {"status": "done"}
        assert [i.value for i in await s.search(ns)] == [{"status": "done"}]
        await s.delete(ns, "r1")
        assert await s.get(ns, "r1") is None


# -- unusual labels -------------------------------------------------------------------------------

ODD_LABELS = [
    ("customer_9", "prefs"),
    ("客户", "偏好"),
    ("ユーザー", "設定"),
    ("Пользователь", "заметки"),
    ("उपयोगकर्ता", "नोट्स"),
    ("emoji", "🌱 garden"),
    ("two words", "tab\tsep"),
    ("snake_case",),
    ("snakeXcase",),
    ("50%off",),
    ("50XXoff",),
    ("glob*",),
    ("globX",),
    ("why?",),
    ("[draft]",),
    ("c++",),
    ("back\\slash",),
    ("caret^", "dollar$"),
    ("Mixed",),
    ("mixed",),
]


async def test_non_ascii_and_special_labels_round_trip(api: Api, ref: Api) -> None:
    for s in (api, ref):
        for i, ns in enumerate(ODD_LABELS):
            await s.put(ns, f"ключ-{i}-キー", {"i": i, "text": "多言语 " + "/".join(ns)})
    for i, ns in enumerate(ODD_LABELS):
        item = await api.get(ns, f"ключ-{i}-キー")
        assert (item.namespace, item.value["i"]) == (ns, i)
        found = await api.search(ns, limit=50)
        assert namespaces_of(found) == namespaces_of(await ref.search(ns, limit=50))
        assert ns in namespaces_of(found)
    assert await api.list_namespaces(limit=100) == await ref.list_namespaces(limit=100)


async def test_labels_with_pattern_characters_match_literally(api: Api, ref: Api) -> None:
    pairs = [
        ("glob*", "globX"),
        ("why?", "whyX"),
        ("[draft]", "XdraftX"),
        ("snake_case", "snakeXcase"),
        ("50%off", "50XXoff"),
        ("c++", "cXX"),
        ("(grp)", "XgrpX"),
        ("left|right", "left"),
        ("^start", "start"),
    ]
    for s in (api, ref):
        for label, decoy in pairs:
            await s.put((label,), "k", {"v": 1})
            await s.put((decoy,), "k", {"v": 1})
            await s.put((label, "child"), "k", {"v": 1})
    for label, decoy in pairs:
        listed = await api.list_namespaces(prefix=(label,), limit=100)
        assert listed == [(label,), (label, "child")]
        assert (decoy,) not in listed
        assert listed == await ref.list_namespaces(prefix=(label,), limit=100)
        assert await api.list_namespaces(prefix=(label, "child")) == [(label, "child")]
        assert await api.list_namespaces(suffix=(label,)) == [(label,)]
        assert namespaces_of(await api.search((label,))) == {(label,), (label, "child")}


async def test_search_prefix_stops_at_label_boundaries(api: Api, ref: Api) -> None:
    spaces = [("acme",), ("acme", "eu"), ("acme", "eu", "paris"), ("acmecorp",),
              ("acmecorp", "us"), ("acme2",)]  # fmt: skip
    for s in (api, ref):
        for ns in spaces:
            await s.put(ns, "k", {"v": 1})
    expected = {
        ("acme",): {("acme",), ("acme", "eu"), ("acme", "eu", "paris")},
        ("acmecorp",): {("acmecorp",), ("acmecorp", "us")},
        ("acme", "eu"): {("acme", "eu"), ("acme", "eu", "paris")},
        ("acme2",): {("acme2",)},
        ("acm",): set(),
        (): set(spaces),  # an empty prefix constrains nothing
    }
    for prefix, want in expected.items():
        assert namespaces_of(await api.search(prefix, limit=100)) == want
        assert namespaces_of(await ref.search(prefix, limit=100)) == want


async def test_search_and_listing_are_case_sensitive(api: Api) -> None:
    await api.put(("Team",), "k", {"v": "upper"})
    await api.put(("team",), "k", {"v": "lower"})
    assert [i.value for i in await api.search(("team",))] == [{"v": "lower"}]
    assert [i.value for i in await api.search(("Team",))] == [{"v": "upper"}]
    assert await api.list_namespaces(prefix=("team",)) == [("team",)]
    assert await api.list_namespaces(suffix=("Team",)) == [("Team",)]


async def test_trailing_newline_label_is_distinct(api: Api, ref: Api) -> None:
    """A label "bob\\n" is not the label "bob", however the namespace is matched."""
    for s in (api, ref):
        await s.put(("staff", "bob"), "k", {"v": 1})
        await s.put(("staff", "bob\n"), "k", {"v": 2})
    for s in (ref, api):
        assert await s.list_namespaces(prefix=("staff", "bob")) == [("staff", "bob")]
        assert [i.value for i in await s.search(("staff", "bob"))] == [{"v": 1}]
        assert await s.list_namespaces(prefix=("staff", "bob\n")) == [("staff", "bob\n")]
        assert await s.list_namespaces(suffix=("bob",)) == [("staff", "bob")]
        assert await s.list_namespaces(suffix=("*", "bob")) == [("staff", "bob")]
        assert await s.list_namespaces(prefix=("*", "bob")) == [("staff", "bob")]


# -- search: filters and pages --------------------------------------------------------------------


async def test_search_scopes_filters_and_pages(api: Api, ref: Api) -> None:
    data = [
        (("kitchen", "soups"), "minestrone", {"cook": "Ines", "labels": ["veggie"]}),
        (("kitchen", "soups"), "ramen", {"cook": "Tom", "labels": ["spicy"]}),
        (("kitchen", "cakes"), "torte", {"cook": "Ines", "labels": ["sweet"]}),
        (("kitchen", "grill"), "skewers", {"cook": "Ana", "labels": ["spicy"]}),
    ]
    everything = {"minestrone", "ramen", "torte", "skewers"}
    for s in (api, ref):
        for ns, key, value in data:
            await s.put(ns, key, value)
        assert key_set(await s.search(("kitchen",))) == everything
        soups = await s.search(("kitchen", "soups"))
        assert key_set(soups) == {"minestrone", "ramen"}
        assert namespaces_of(soups) == {("kitchen", "soups")}
        assert key_set(await s.search(("kitchen",), filter={"cook": "Ines"})) == {
            "minestrone",
            "torte",
        }
        # A list in a filter is compared as a whole list.
        spicy = await s.search(("kitchen",), filter={"labels": ["spicy"]})
        assert key_set(spicy) == {"ramen", "skewers"}
        assert await s.search(("kitchen",), filter={"labels": ["spicy", "sweet"]}) == []
        assert len(await s.search(("kitchen",), limit=2)) == 2
        assert len(await s.search(("kitchen",), offset=3)) == 1
        page1 = key_set(await s.search(("kitchen",), limit=2, offset=0))
        page2 = key_set(await s.search(("kitchen",), limit=2, offset=2))
        assert page1.isdisjoint(page2) and page1 | page2 == everything
        assert await s.search(("kitchen",), offset=10) == []


async def test_search_returns_ten_items_unless_told_otherwise(api: Api, ref: Api) -> None:
    for s in (api, ref):
        await s.batch([PutOp(("bulk",), f"k{i:02d}", {"i": i}) for i in range(15)])
        assert len(await s.search(("bulk",))) == 10
        assert len(await s.search(("bulk",), offset=10)) == 5
        everything = await s.search(("bulk",), limit=100)
        assert len(everything) == 15
        assert all(isinstance(i, SearchItem) and i.score is None for i in everything)


FILTER_DATA = {
    "lamp": {"cost": 10, "stock": 5, "on_sale": True, "label": "Desk lamp", "finish": "red",
             "spec": {"grade": "pro", "watts": 3}, "ship-zone": "eu", "9lives": "yes"},
    "sofa": {"cost": 20, "stock": 3, "on_sale": False, "label": "Dana's sofa",
             "finish": "green", "spec": {"grade": "basic", "watts": 1}, "ship-zone": "us"},
    "rug": {"cost": 30.5, "stock": 1, "on_sale": True, "label": "Wool rug", "finish": "blue",
            "spec": {"grade": "pro", "watts": 10}},
    "vase": {"cost": -10, "stock": 0, "on_sale": False, "label": "Crème ✓", "finish": None},
}  # fmt: skip

FILTERS = [
    {"cost": {"$gt": 15}},
    {"cost": {"$gte": 20}},
    {"cost": {"$lt": 0}},
    {"cost": {"$lte": 10}},
    {"cost": {"$gt": 5, "$lt": 25}},
    {"cost": {"$eq": 30.5}},
    {"cost": {"$ne": 10}},
    {"cost": 20},
    {"stock": {"$gte": 1}, "on_sale": True},
    {"on_sale": True},
    {"on_sale": False},
    {"finish": "red"},
    {"finish": {"$ne": "red"}},
    {"finish": None},
    {"finish": {"$eq": "blue"}},
    {"spec": {"grade": "pro"}},
    {"spec": {"grade": "pro", "watts": 10}},
    {"spec": {"watts": {"$gt": 2}}},
    {"label": "Dana's sofa"},
    {"label": "x' OR 'a'='a"},
    {"label": 'x"; DROP TABLE store; --'},
    {"label": "\\' OR 1=1"},
    {"label": '{"$gt": ""}'},
    {"label": "Crème ✓"},
    {"ship-zone": "eu"},
    {"9lives": "yes"},
    {"missing": None},
    {"cost": 10, "finish": "green"},
]


async def test_filters_select_what_in_memory_store_selects(api: Api, ref: Api) -> None:
    for s in (api, ref):
        await s.batch([PutOp(("items",), k, v) for k, v in FILTER_DATA.items()])
    for flt in FILTERS:
        want = key_set(await ref.search(("items",), filter=flt))
        assert key_set(await api.search(("items",), filter=flt)) == want, flt


async def test_filters_reach_into_nested_values_by_dotted_path(api: Api) -> None:
    """As SqliteStore: a dotted filter key walks into nested dicts (digits and hyphens too)."""
    await api.put(("crates",), "h", {"owner": {"ship-zone": "eu"}})
    await api.put(("crates",), "d", {"owner": {"9lives": "yes"}})
    assert keys(await api.search(("crates",), filter={"owner.ship-zone": "eu"})) == ["h"]
    assert keys(await api.search(("crates",), filter={"owner.9lives": "yes"})) == ["d"]


async def test_infinite_and_nan_bounds_are_accepted(api: Api, ref: Api) -> None:
    for s in (ref, api):
        await s.batch([PutOp(("items",), k, v) for k, v in FILTER_DATA.items()])
        assert len(await s.search(("items",), filter={"cost": {"$lt": float("inf")}})) == 4
        assert len(await s.search(("items",), filter={"cost": {"$gt": float("-inf")}})) == 4
        assert await s.search(("items",), filter={"cost": {"$eq": float("nan")}}) == []


async def test_numeric_bound_beyond_64_bits(api: Api, ref: Api) -> None:
    for s in (ref, api):
        await s.batch([PutOp(("items",), k, v) for k, v in FILTER_DATA.items()])
        assert len(await s.search(("items",), filter={"cost": {"$lt": 10**100}})) == 4
        assert await s.search(("items",), filter={"cost": {"$gt": 2**64}}) == []


async def test_scalar_filter_follows_mongodb_array_rule(api: Api) -> None:
    # A deliberate difference (documented in store/filters.py): LangGraph's SQL and in-memory
    # stores compare a whole array with a scalar, GenesisStore applies MongoDB's array rule
    # (equality matches any element; $ne excludes arrays holding the value), as MongoDBStore does.
    await api.put(("menu",), "many", {"labels": ["veggie", "spicy"]})
    await api.put(("menu",), "one", {"labels": "veggie"})
    await api.put(("menu",), "none", {"labels": ["sweet"]})
    assert sorted(keys(await api.search(("menu",), filter={"labels": "veggie"}))) == ["many", "one"]
    assert keys(await api.search(("menu",), filter={"labels": {"$ne": "veggie"}})) == ["none"]


# -- list_namespaces ------------------------------------------------------------------------------


async def _put_all(stores: tuple[Api, ...], namespaces: list[tuple[str, ...]]) -> None:
    for s in stores:
        for i, ns in enumerate(namespaces):
            await s.put(ns, f"n{i}", {"i": i})


async def test_list_namespaces_prefix_suffix_depth_and_pages(api: Api, ref: Api) -> None:
    await _put_all(
        (api, ref),
        [("org", "eng", "ops"), ("org", "eng", "web", "api"), ("org", "eng", "web", "ui"),
         ("org", "eng", "qa"), ("org", "ops", "qa"), ("eng", "org", "qa"), ("people", "7"),
         ("people", "8", "prefs"), ("root", "people", "9")],
    )  # fmt: skip
    cases = [
        ({"prefix": ("org", "eng")},
         [("org", "eng", "ops"), ("org", "eng", "qa"), ("org", "eng", "web", "api"),
          ("org", "eng", "web", "ui")]),
        ({"suffix": ("qa",)}, [("eng", "org", "qa"), ("org", "eng", "qa"), ("org", "ops", "qa")]),
        ({"prefix": ("org",), "suffix": ("qa",)}, [("org", "eng", "qa"), ("org", "ops", "qa")]),
        ({"prefix": ("org", "eng"), "max_depth": 3},
         [("org", "eng", "ops"), ("org", "eng", "qa"), ("org", "eng", "web")]),
        ({"prefix": ("org", "eng"), "limit": 2}, [("org", "eng", "ops"), ("org", "eng", "qa")]),
        ({"prefix": ("org", "eng"), "offset": 2},
         [("org", "eng", "web", "api"), ("org", "eng", "web", "ui")]),
        ({"prefix": ("org", "*", "qa")}, [("org", "eng", "qa"), ("org", "ops", "qa")]),
        ({"suffix": ("*", "qa")},
         [("eng", "org", "qa"), ("org", "eng", "qa"), ("org", "ops", "qa")]),
        ({"prefix": ("nowhere",)}, []),
        ({"prefix": ("people", "7")}, [("people", "7")]),
        ({"max_depth": 2}, [("eng", "org"), ("org", "eng"), ("org", "ops"), ("people", "7"),
                            ("people", "8"), ("root", "people")]),
        ({"max_depth": 1, "limit": 2, "offset": 1}, [("org",), ("people",)]),
        ({}, None),
    ]  # fmt: skip
    for kwargs, want in cases:
        got = await api.list_namespaces(**kwargs)
        assert got == await ref.list_namespaces(**kwargs), kwargs
        if want is not None:
            assert got == want, kwargs


async def test_list_namespaces_wildcards(api: Api, ref: Api) -> None:
    await _put_all(
        (api, ref),
        [("members", "11"), ("members", "12"), ("members", "13", "prefs"),
         ("admin", "members", "13"), ("visitors", "11"), ("visitors", "12", "alerts"),
         ("admin", "members", "prefs", "13")],
    )  # fmt: skip
    assert await api.list_namespaces(prefix=("members", "*")) == [
        ("members", "11"),
        ("members", "12"),
        ("members", "13", "prefs"),
    ]
    assert await api.list_namespaces(suffix=("*", "alerts")) == [("visitors", "12", "alerts")]
    assert await api.list_namespaces(prefix=("*", "members"), suffix=("*", "prefs")) == []
    assert await api.list_namespaces(prefix=("*", "members", "prefs")) == [
        ("admin", "members", "prefs", "13")
    ]
    for kwargs in [{"prefix": ("*", "*", "13")}, {"suffix": ("members", "*")}, {"prefix": ("*",)}]:
        assert await api.list_namespaces(**kwargs) == await ref.list_namespaces(**kwargs)


async def test_list_namespaces_labels_match_whole(api: Api, ref: Api) -> None:
    await _put_all(
        (api, ref),
        [("acme",), ("acme", "eu"), ("acmecorp",), ("acmecorp", "us"), ("hr", "staff", "ann"),
         ("hr", "staff", "joann"), ("hr", "x", "y", "ann")],
    )  # fmt: skip
    expected = [
        ({"prefix": ("acme",)}, [("acme",), ("acme", "eu")]),
        ({"suffix": ("ann",)}, [("hr", "staff", "ann"), ("hr", "x", "y", "ann")]),
        ({"prefix": ("hr", "*", "ann")}, [("hr", "staff", "ann")]),
        ({"prefix": ("hr",)},
         [("hr", "staff", "ann"), ("hr", "staff", "joann"), ("hr", "x", "y", "ann")]),
        ({"prefix": ("acm",)}, []),
    ]  # fmt: skip
    for kwargs, want in expected:
        assert await api.list_namespaces(limit=100, **kwargs) == want
        assert await ref.list_namespaces(limit=100, **kwargs) == want


async def test_list_namespaces_deep_paths_with_wildcards(api: Api, ref: Api) -> None:
    p = uuid.uuid4().hex
    spaces = [
        (p, "dev", "files", "shared", p),
        (p, "dev", "files", "secret", p),
        (p, "dev", "media", "shared", p),
        (p, "dev", "media", "secret", p),
        (p, "live", "files", "shared", p),
        (p, "live", "files", "deep", "nest", "shared", p),
        (p, "live", "files", "secret", p),
    ]
    await _put_all((api, ref), spaces)
    cases = [
        ({"prefix": (p, "dev")}, 4),
        ({"prefix": (p, "dev", "files")}, 2),
        ({"suffix": ("shared", p)}, 4),
        ({"prefix": (p, "dev"), "suffix": ("shared", p)}, 2),
        ({"prefix": (p, "*", "files")}, 5),
        ({"suffix": ("*", "shared", p)}, 4),
        ({"suffix": ("deep", "*", "shared", p)}, 1),
        ({"prefix": (p, "*", "files"), "max_depth": 4}, 5),
        ({"prefix": (p,), "limit": 3}, 3),
        ({"prefix": (p,), "offset": 3}, 4),
        ({"prefix": (p,)}, 7),
        ({"max_depth": 3}, 3),
    ]
    for kwargs, count in cases:
        got = await api.list_namespaces(**kwargs)
        assert len(got) == count, kwargs
        assert got == await ref.list_namespaces(**kwargs), kwargs
    assert set(await api.list_namespaces(prefix=(p,))) == set(spaces)


async def test_list_namespaces_pages_in_order(api: Api, ref: Api) -> None:
    await _put_all((api, ref), [("bucket", f"part_{i:02d}") for i in range(20)])
    for offset in (0, 5, 15, 18):
        got = await api.list_namespaces(prefix=("bucket",), limit=5, offset=offset)
        assert got == [("bucket", f"part_{i:02d}") for i in range(offset, min(offset + 5, 20))]
        assert got == await ref.list_namespaces(prefix=("bucket",), limit=5, offset=offset)


async def test_list_namespaces_of_an_empty_store(api: Api) -> None:
    assert await api.list_namespaces() == []
    assert await api.list_namespaces(prefix=("a",), suffix=("b",), max_depth=1) == []


async def test_lists_are_accepted_as_paths(api: Api, ref: Api) -> None:
    """The SQL suites pass lists (prefix=["..."]): a list of labels is a path too."""
    await _put_all((api, ref), [("dev", "files", "shared"), ("ops", "x")])
    for kwargs in [
        {"prefix": ["dev"]},
        {"suffix": ["shared"]},
        {"prefix": ["*", "files"]},
        {"prefix": ["ops"], "suffix": ["x"]},
    ]:
        assert await api.list_namespaces(**kwargs) == await ref.list_namespaces(**kwargs), kwargs
    assert await api.list_namespaces(prefix=["dev"]) == [("dev", "files", "shared")]
    # search too, as PostgresStore/SqliteStore (InMemoryStore compares a list with its tuples
    # and finds nothing)
    assert [(i.namespace, i.key) for i in await api.search(["dev", "files"])] == [
        (("dev", "files", "shared"), "n0")
    ]


# -- deliberately stricter than LangGraph's BaseStore ----------------------------------------------
# LangGraph's BaseStore.get/put/delete call str(key), and every LangGraph store reads a path given
# as a plain string as a sequence of one-character labels. Neither is documented or tested by
# LangGraph; GenesisStore refuses both instead of guessing. These tests pin that choice.


async def test_non_string_keys_are_refused_not_coerced(api: Api) -> None:
    await api.put(("a",), "7", {"v": 7})
    await api.put(("a",), "None", {"v": None})
    with pytest.raises(ValueError):
        await api.get(("a",), 7)
    with pytest.raises(ValueError):
        await api.delete(("a",), None)
    with pytest.raises(ValueError):
        await api.put(("a",), 8, {"v": 8})
    assert (await api.get(("a",), "None")).value == {"v": None}  # not deleted
    assert await api.get(("a",), "8") is None
    assert key_set(await api.search(("a",))) == {"None", "7"}


async def test_a_plain_string_path_is_refused_not_split(api: Api) -> None:
    await api.put(("a", "g"), "k", {"v": 1})
    await api.put(("agent", "x"), "k", {"v": 1})
    with pytest.raises(InvalidNamespaceError):
        await api.list_namespaces(prefix="agent")
    with pytest.raises(InvalidNamespaceError):
        await api.list_namespaces(suffix="x")
    assert await api.list_namespaces(prefix=("agent",)) == [("agent", "x")]


# -- TTL ----------------------------------------------------------------------------------------


async def test_reads_refresh_ttl_unless_told_not_to(timed, clock) -> None:
    """A read with refresh_ttl=True restarts an item's TTL; refresh_ttl=False leaves it."""
    _, s = timed()
    ns = ("sessions",)
    await s.put(ns, "s1", {"token": "abc"}, ttl=10)
    clock.advance(8)
    assert await s.get(ns, "s1", refresh_ttl=True) is not None
    clock.advance(8)
    assert len(await s.search(ns, query="token", refresh_ttl=True)) == 1
    clock.advance(8)
    assert await s.get(ns, "s1", refresh_ttl=False) is not None
    clock.advance(3)  # 11 minutes after the last refresh
    assert await s.search(ns, query="abc", refresh_ttl=False) == []
    assert await s.get(ns, "s1") is None


async def test_default_ttl_and_ttl_none(timed, clock) -> None:
    _, s = timed(ttl={"default_ttl": 5, "refresh_on_read": False})
    await s.put(("scratch",), "default", {"v": 1})
    await s.put(("scratch",), "forever", {"v": 2}, ttl=None)
    await s.put(("scratch",), "longer", {"v": 3}, ttl=60)
    clock.advance(4)
    assert await s.get(("scratch",), "default") is not None
    clock.advance(2)
    assert await s.get(("scratch",), "default") is None
    assert key_set(await s.search(("scratch",))) == {"forever", "longer"}
    clock.advance(10 * 365 * 24 * 60)
    assert keys(await s.search(("scratch",))) == ["forever"]


async def test_store_refresh_setting_is_the_default_for_reads(timed, clock) -> None:
    _, s = timed(ttl={"refresh_on_read": False})
    await s.put(("sessions",), "k", {"v": 1}, ttl=10)
    clock.advance(8)
    assert await s.get(("sessions",), "k") is not None  # no refresh by default
    clock.advance(3)
    assert await s.get(("sessions",), "k") is None


async def test_expired_items_stay_gone_even_when_read_with_refresh(timed, clock) -> None:
    _, s = timed()
    await s.put(("cache", "stale"), "e", {"v": "gone"}, ttl=1)
    await s.put(("cache", "pinned"), "p", {"v": "kept"}, ttl=None)
    clock.advance(2)
    assert await s.get(("cache", "stale"), "e", refresh_ttl=True) is None
    assert await s.search(("cache", "stale"), refresh_ttl=True) == []
    # Had the refresh revived it, these reads (same moment, no refresh) would now see it.
    assert await s.get(("cache", "stale"), "e", refresh_ttl=False) is None
    assert keys(await s.search(("cache",), refresh_ttl=False)) == ["p"]
    assert await s.list_namespaces(prefix=("cache",)) == [("cache", "pinned")]


async def test_expired_items_do_not_shorten_pages(timed, clock) -> None:
    _, s = timed()
    ns = ("feed",)
    for key in ("p3", "p2", "gone", "p1"):  # newest last: p1, gone, p2, p3
        await s.put(ns, key, {"k": key}, ttl=1 if key == "gone" else 100)
        time.sleep(0.005)
    clock.advance(2)
    assert keys(await s.search(ns, limit=2, offset=0)) == ["p1", "p2"]
    assert keys(await s.search(ns, limit=2, offset=2)) == ["p3"]


async def test_sweep_ttl_deletes_expired_items(timed, clock, mode) -> None:
    """LangGraph's TTL stores name the sweep sweep_ttl(); it returns how many items went."""
    store, s = timed()
    await s.put(("jobs",), "done", {"v": 1}, ttl=1)
    await s.put(("jobs",), "running", {"v": 2}, ttl=100)
    clock.advance(2)
    removed = store.sweep_ttl() if mode == "sync" else await store.asweep_ttl()
    assert removed == 1
    assert keys(await s.search(("jobs",))) == ["running"]


async def test_stopping_a_sweeper_that_is_not_running(timed, mode) -> None:
    store, _ = timed(ttl={"sweep_interval_minutes": 60})
    if mode == "sync":
        assert store.stop_ttl_sweeper() is True
    else:
        assert await store.astop_ttl_sweeper() is True


async def test_sweeper_can_be_started_and_stopped(timed, mode) -> None:
    store, _ = timed(ttl={"sweep_interval_minutes": 60})
    if mode == "sync":
        future = store.start_ttl_sweeper()
        assert isinstance(future, concurrent.futures.Future) and not future.done()
        assert store.stop_ttl_sweeper(timeout=5) is True
        assert future.result(timeout=5) is None
    else:
        task = await store.astart_ttl_sweeper()
        assert isinstance(task, asyncio.Task) and not task.done()
        assert await store.astop_ttl_sweeper() is True
        assert task.done()


async def test_starting_the_sweeper_twice_is_harmless(timed, mode) -> None:
    """A second start while one runs is a no-op in LangGraph (a future / the running task)."""
    store, _ = timed(ttl={"sweep_interval_minutes": 60})
    if mode == "sync":
        store.start_ttl_sweeper()
        try:
            again = store.start_ttl_sweeper()
            assert isinstance(again, concurrent.futures.Future)
        finally:
            assert store.stop_ttl_sweeper(timeout=5)
    else:
        task = await store.astart_ttl_sweeper()
        try:
            assert await store.astart_ttl_sweeper() is task
        finally:
            assert await store.astop_ttl_sweeper()


# -- semantic search ----------------------------------------------------------------------------


def _scored(results: list[SearchItem]) -> dict[str, float | None]:
    return {r.key: r.score for r in results}


def _assert_same_ranking(got: list[SearchItem], want: list[SearchItem]) -> None:
    """Same items with the same scores (to float32 precision), best first."""
    assert len(got) == len(want)
    mine, theirs = _scored(got), _scored(want)
    assert mine.keys() == theirs.keys()
    for key, score in theirs.items():
        assert (mine[key] is None) == (score is None), key
        if score is not None:
            assert mine[key] == pytest.approx(score, abs=1e-3), key
    scores = [r.score for r in got if r.score is not None]
    assert scores == sorted(scores, reverse=True)


async def test_items_are_embedded_whole_by_default(semantic) -> None:
    s, _ = semantic()
    docs = {
        "n1": {"text": "brief note"},
        "n2": {"text": "longer planning note"},
        "n3": {"text": "longest planning note overall"},
        "n4": {"summary": "note inside summary section"},
        "n5": {"details": "note inside details section"},
        "n6": {"remark": "note inside remark section"},
    }
    await s.batch([PutOp(("notes",), k, v) for k, v in docs.items()])
    results = await s.search(("notes",), query="longer planning")
    assert {"n2", "n3"} <= key_set(results)
    assert len(results) == 6 and all(r.score is not None for r in results)
    assert results[0].key == "n2"
    assert keys(await s.search(("notes",), query="summary section", limit=1)) == ["n4"]


async def test_updating_an_item_replaces_its_vectors(semantic) -> None:
    s, ref = semantic(fields=["text"])
    for store in (s, ref):
        await store.put(("log",), "d1", {"text": "purple walrus juggling"})
        await store.put(("log",), "d2", {"text": "quiet harbor boats"})
        await store.put(("log",), "d3", {"text": "morning harbor fog"})
    before = await s.search(("log",), query="Purple Juggling")
    _assert_same_ranking(before, await ref.search(("log",), query="Purple Juggling"))
    assert before[0].key == "d1"
    initial = before[0].score

    for store in (s, ref):
        await store.put(("log",), "d1", {"text": "harbor boats at dawn"})
    after = await s.search(("log",), query="Purple Juggling")
    _assert_same_ranking(after, await ref.search(("log",), query="Purple Juggling"))
    assert _scored(after)["d1"] < initial
    fresh = await s.search(("log",), query="harbor boats at dawn")
    assert fresh[0].key == "d1" and fresh[0].score > _scored(after)["d1"]

    for store in (s, ref):
        await store.put(("log",), "d4", {"text": "harbor boats at dawn"}, index=False)
    top3 = await s.search(("log",), query="harbor boats at dawn", limit=3)
    _assert_same_ranking(top3, await ref.search(("log",), query="harbor boats at dawn", limit=3))
    assert "d4" not in key_set(top3)


@pytest.mark.parametrize("search_mode", ["vector", "hybrid"])
async def test_semantic_search_with_filters(semantic, search_mode) -> None:
    s, ref = semantic(fields=["text"], search_mode=search_mode)
    docs = {
        "f1": {"text": "ripe mango", "tone": "warm", "rating": 4.5},
        "f2": {"text": "sturdy kayak", "tone": "warm", "rating": 3.0},
        "f3": {"text": "green mango", "tone": "cool", "rating": 4.0},
        "f4": {"text": "teal kayak", "tone": "cool", "rating": 3.5},
    }
    for store in (s, ref):
        for k, v in docs.items():
            await store.put(("goods",), k, v)
    cases = [
        ("mango", {"tone": "warm"}, "f1", 2),
        ("kayak", {"tone": "warm"}, "f2", 2),
        ("teal", {"rating": {"$gt": 3.2}}, "f4", 3),
        ("mango", {"rating": {"$gte": 4.0}, "tone": "cool"}, "f3", 1),
    ]
    for query, flt, top, count in cases:
        got = await s.search(("goods",), query=query, filter=flt)
        assert len(got) == count and got[0].key == top, (query, flt)
        want = await ref.search(("goods",), query=query, filter=flt)
        if search_mode == "vector":
            _assert_same_ranking(got, want)
        else:
            assert key_set(got) == key_set(want)
    unrefreshed = await s.search(
        ("goods",), query="mango", filter={"tone": "warm"}, refresh_ttl=False
    )
    assert keys(unrefreshed)[0] == "f1"


async def test_semantic_search_pages(semantic) -> None:
    s, _ = semantic(fields=["text"])
    await s.batch([PutOp(("memos",), f"m{i}", {"text": f"memo entry {i}"}) for i in range(5)])
    page1 = await s.search(("memos",), query="memo", limit=2)
    page2 = await s.search(("memos",), query="memo", limit=2, offset=2)
    page3 = await s.search(("memos",), query="memo", limit=2, offset=4)
    assert [len(page1), len(page2), len(page3)] == [2, 2, 1]
    everything = await s.search(("memos",), query="memo", limit=10)
    assert len(everything) == 5
    assert keys(page1 + page2 + page3) == keys(everything)


async def test_odd_queries_still_return_the_item(semantic) -> None:
    s, _ = semantic()
    await s.put(("memos",), "m1", {"text": "memo entry"})
    for query in ["", None, "memo " * 100, "memo!@#$%^&*()", "日本語"]:
        assert keys(await s.search(("memos",), query=query)) == ["m1"], query


async def test_store_fields_choose_what_is_embedded(semantic) -> None:
    s, ref = semantic(fields=["title", "summary", "tags"])
    doc1 = {"summary": "quasar", "body": "pulsar", "tags": "nebula"}  # no title: not an error
    doc2 = {"title": "comet", "summary": "meteor", "body": "aurora", "tags": "quasar"}
    for store in (s, ref):
        await store.put(("sky",), "doc1", doc1)
        await store.put(("sky",), "doc2", doc2)
    both = await s.search(("sky",), query="quasar")
    _assert_same_ranking(both, await ref.search(("sky",), query="quasar"))
    assert key_set(both) == {"doc1", "doc2"}
    best = both[0].score
    assert both[1].score == pytest.approx(best, abs=1e-3)  # each has a field equal to "quasar"
    for query, top in [("comet", "doc2"), ("nebula", "doc1")]:
        got = await s.search(("sky",), query=query)
        _assert_same_ranking(got, await ref.search(("sky",), query=query))
        assert got[0].key == top and got[0].score > got[1].score
        assert got[0].score == pytest.approx(best, abs=1e-3)
    unindexed = await s.search(("sky",), query="aurora")  # only in "body", which is not embedded
    assert len(unindexed) == 2 and all(r.score < best for r in unindexed)


async def test_put_index_argument_overrides_store_fields(semantic) -> None:
    s, ref = semantic(fields=["unused"])  # matches nothing below
    doc3 = {"title": "alpha", "summary": "beta", "body": "gamma", "tags": "delta"}
    doc4 = {"title": "epsilon", "summary": "beta", "body": "zeta", "tags": "theta"}
    for store in (s, ref):
        await store.put(("greek",), "doc3", doc3, index=["title", "summary"])
        await store.put(("greek",), "doc4", doc4, index=["summary", "tags"])
    for query, top in [("alpha", "doc3"), ("theta", "doc4")]:
        got = await s.search(("greek",), query=query)
        _assert_same_ranking(got, await ref.search(("greek",), query=query))
        assert got[0].key == top and got[0].score > got[1].score
    shared = await s.search(("greek",), query="beta")
    assert len(shared) == 2 and shared[0].score == pytest.approx(shared[1].score, abs=1e-3)
    assert all(r.score < 0.5 for r in await s.search(("greek",), query="gamma"))

    for store in (s, ref):
        await store.put(("greek",), "doc5", {"title": "iota", "summary": "kappa"}, index=False)
    plain = await s.search(("greek",))
    assert len(plain) == 3 and all(r.score is None for r in plain)
    ranked = await s.search(("greek",), query="iota")
    _assert_same_ranking(ranked, await ref.search(("greek",), query="iota"))
    assert key_set(ranked) == {"doc3", "doc4", "doc5"}
    assert _scored(ranked)["doc5"] is None  # not embedded: listed after the scored items
    assert ranked[-1].key == "doc5"


async def test_vector_scores_are_cosine_similarities(semantic) -> None:
    s, ref = semantic(fields=["title"])
    for store in (s, ref):
        await store.put(("units",), "doc", {"title": "lumen"}, index=["title", "subtitle"])
    model = HashEmbeddings(DIMS)
    for query in ["lumen", "candela", "lumen candela", "lumen lumen candela", "unrelated words"]:
        similarity = cosine(model.embed_query(query), model.embed_query("lumen"))
        for store in (s, ref):
            results = await store.search((), query=query)
            assert len(results) == 1
            assert results[0].score == pytest.approx(similarity, abs=1e-3), query


async def test_the_one_match_ranks_first_among_many(semantic) -> None:
    s, _ = semantic(fields=["tag"])
    await s.put(("barn", "N"), "needle", {"tag": "needle"})
    await s.batch(
        [PutOp(("barn", "L"), f"L{i}", {"tag": "hay"}) for i in range(40)]
        + [PutOp(("barn", "R"), f"R{i}", {"tag": "hay"}) for i in range(40)]
    )
    results = await s.search(("barn",), query="needle", limit=10)
    assert len(results) == 10 and len(key_set(results)) == 10
    assert results[0].key == "needle"
    assert results[0].score > results[1].score


async def test_non_ascii_texts_find_themselves(semantic) -> None:
    s, ref = semantic(fields=["text"], embed=CharCountEmbeddings())
    texts = ["我喜欢喝茶", "今日は雨です", "안녕하세요 친구", "Привет мир", "नमस्ते दुनिया"]
    for store in (s, ref):
        for i, text in enumerate(texts, 1):
            await store.put(("polyglot", "notes"), str(i), {"text": text})
    for i, text in enumerate(texts, 1):
        assert (await s.search(("polyglot", "notes"), query=text))[0].key == str(i)
        assert (await ref.search(("polyglot", "notes"), query=text))[0].key == str(i)


# -- concurrency --------------------------------------------------------------------------------


def test_many_threads_mixing_every_operation(store: GenesisStore) -> None:
    n, m = 15, 4
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        futures = []
        for j in range(m):
            ns = ("load", "w", str(j % 2))
            for i in range(n):
                futures += [
                    pool.submit(store.put, ns, f"k{i}", {"payload": f"p{i}"}),
                    pool.submit(store.get, ns, f"k{i}"),
                    pool.submit(store.list_namespaces, prefix=None, max_depth=j + 1),
                    pool.submit(store.search, ("load",)),
                    pool.submit(store.put, ns, f"k{i}", {"payload": f"p{i}"}),
                    pool.submit(store.put, ns, f"k{i}", None),
                ]
        results = [f.result(timeout=60) for f in futures]
    assert len(results) == n * m * 6
    for kind, result in enumerate(results):
        if kind % 6 == 1:
            assert result is None or result.value["payload"].startswith("p")
        elif kind % 6 in (2, 3):
            assert isinstance(result, list)
    # Settle every key one way, then read it back: no write was lost or misplaced.
    store.batch([PutOp(("load", "final"), f"k{i}", {"i": i}) for i in range(n)])
    settled = store.search(("load", "final"), limit=100)
    assert sorted(i.value["i"] for i in settled) == list(range(n))


async def test_many_coroutines_mixing_every_operation(astore: GenesisStore) -> None:
    n, m = 20, 4
    coros = []
    for j in range(m):
        ns = ("load", "c", str(j % 2))
        for i in range(n):
            coros += [
                astore.aput(ns, f"k{i}", {"payload": f"p{i}"}),
                astore.aget(ns, f"k{i}"),
                astore.alist_namespaces(prefix=None, max_depth=j + 1),
                astore.asearch(("load",)),
                astore.aput(ns, f"k{i}", {"payload": f"p{i}"}),
                astore.adelete(ns, f"k{i}"),
            ]
    results = await asyncio.gather(*coros)
    assert len(results) == n * m * 6
    assert all(isinstance(r, list) for r in results[2::6] + results[3::6])


async def test_concurrent_semantic_writes_then_filtered_searches(semantic) -> None:
    s, _ = semantic(fields=["text"], search_mode="hybrid")
    colors = ["amber", "cobalt", "jade", "ivory", "violet"]
    things = ["lantern", "bicycle", "teapot", "atlas", "violin"]
    weights = [3.0, 3.5, 4.0, 4.5, 5.0]
    docs = {
        f"doc{i}": {"text": f"{colors[i % 5]} {things[i % 5]}", "color": colors[i % 5],
                    "weight": weights[i % 5], "seq": i}
        for i in range(25)
    }  # fmt: skip
    await asyncio.gather(*(s.put(("stock",), k, v) for k, v in docs.items()))
    await asyncio.gather(*(s.delete(("stock",), k) for k in docs))
    assert await s.search(("stock",), query="lantern") == []
    await asyncio.gather(*(s.put(("stock",), k, v) for k, v in docs.items()))

    queries = [
        ("lantern", {"color": "amber"}),
        ("bicycle", {"color": "cobalt"}),
        ("teapot", {"color": "jade"}),
        ("violin", {"weight": {"$gt": 4.99}}),
        ("atlas", {"weight": {"$lte": 3.5}}),
        ("lantern", {"weight": {"$gte": 3.0}, "color": "amber"}),
        ("bicycle", {"weight": {"$lt": 5.1}, "color": "cobalt"}),
        ("teapot", {"seq": {"$gt": 12}}),
        ("violin", {"seq": {"$lte": 10}}),
    ]
    answers = await asyncio.gather(
        *(s.search(("stock",), query=q, filter=f, limit=50) for q, f in queries)
    )
    for (query, flt), results in zip(queries, answers, strict=True):
        assert results, (query, flt)
        expected = {
            k for k, v in docs.items()
            if all(
                v[field] == cond if not isinstance(cond, dict) else all(
                    {"$gt": v[field] > b, "$gte": v[field] >= b, "$lt": v[field] < b,
                     "$lte": v[field] <= b}[op] for op, b in cond.items()
                )
                for field, cond in flt.items()
            )
        }  # fmt: skip
        assert key_set(results) == expected, (query, flt)
        if any(query in docs[k]["text"] for k in expected):
            assert query in docs[results[0].key]["text"], (query, flt)
