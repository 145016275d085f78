"""The BaseStore contract, op by op, against the real local server.

The contract tests take the ``api`` fixture: each runs twice, through the store's sync methods
and through its async ones (``aput``, ``aget``... on pymongo's ``AsyncMongoClient``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from langgraph.store.base import GetOp, Item, ListNamespacesOp, PutOp, SearchItem, SearchOp

from langgraph_genesis_memory import GenesisStore
from tests.conftest import Api


async def test_put_get_roundtrip(api: Api) -> None:
    value = {"text": "likes tea", "n": 3, "nested": {"a": [1, 2, {"b": None}]}, "ok": True}
    await api.put(("agent", "qa"), "pref", value)
    item = await api.get(("agent", "qa"), "pref")
    assert isinstance(item, Item)
    assert item.value == value
    assert item.namespace == ("agent", "qa")
    assert item.key == "pref"
    assert item.created_at.tzinfo is not None and item.updated_at.tzinfo is not None
    assert abs((datetime.now(UTC) - item.created_at).total_seconds()) < 60


async def test_get_missing_returns_none(api: Api) -> None:
    assert await api.get(("agent", "qa"), "nothing") is None


async def test_overwrite_keeps_created_at_and_refreshes_updated_at(api: Api) -> None:
    await api.put(("users",), "u1", {"v": 1})
    first = await api.get(("users",), "u1")
    await api.put(("users",), "u1", {"v": 2})
    second = await api.get(("users",), "u1")
    assert first is not None and second is not None
    assert second.value == {"v": 2}
    assert second.created_at == first.created_at
    assert second.updated_at >= first.updated_at
    assert isinstance(second.updated_at, datetime)


async def test_delete(api: Api) -> None:
    await api.put(("users",), "u1", {"v": 1})
    await api.delete(("users",), "u1")
    assert await api.get(("users",), "u1") is None
    await api.delete(("users",), "never-existed")  # deleting a missing key is not an error


async def test_batch_semantics_match_in_memory_store(api: Api) -> None:
    ns = ("docs",)
    await api.put(ns, "a", {"v": "old"})
    results = await api.batch(
        [
            GetOp(ns, "a"),
            PutOp(ns, "a", {"v": "first"}),
            PutOp(ns, "a", {"v": "last"}),
            GetOp(ns, "a"),  # reads see the state before the batch's writes
            PutOp(ns, "b", {"v": 1}),
            PutOp(ns, "b", None),  # last put wins: b is deleted
            SearchOp(ns, limit=10),
            ListNamespacesOp(),
        ]
    )
    assert results[0].value == {"v": "old"}
    assert results[1] is None and results[2] is None
    assert results[3].value == {"v": "old"}
    assert [i.key for i in results[6]] == ["a"]
    assert results[7] == [ns]
    assert (await api.get(ns, "a")).value == {"v": "last"}
    assert await api.get(ns, "b") is None


async def test_search_prefix_isolation_and_filters(api: Api) -> None:
    await api.put(("tenant", "a"), "1", {"score": 9, "tag": "x", "meta": {"tier": "pro"}})
    await api.put(("tenant", "a", "deep"), "2", {"score": 10, "tag": "y", "meta": {"tier": "free"}})
    await api.put(("tenant", "ab"), "3", {"score": 11, "tag": "x"})
    await api.put(("other",), "4", {"score": 12, "tag": "x"})

    keys = lambda items: sorted(i.key for i in items)  # noqa: E731
    assert keys(await api.search(("tenant", "a"))) == ["1", "2"]
    assert keys(await api.search(("tenant",))) == ["1", "2", "3"]
    assert keys(await api.search(())) == ["1", "2", "3", "4"]
    # numeric comparison, not text comparison: 9 < 10 although "9" > "10"
    assert keys(await api.search(("tenant",), filter={"score": {"$gt": 9}})) == ["2", "3"]
    assert keys(await api.search(("tenant",), filter={"score": {"$gte": 9, "$lt": 11}})) == [
        "1",
        "2",
    ]
    assert keys(await api.search(("tenant",), filter={"score": {"$lte": 10}})) == ["1", "2"]
    assert keys(await api.search(("tenant",), filter={"tag": "x"})) == ["1", "3"]
    assert keys(await api.search(("tenant",), filter={"tag": {"$ne": "x"}})) == ["2"]
    assert keys(await api.search(("tenant",), filter={"tag": {"$eq": "y"}})) == ["2"]
    assert keys(await api.search(("tenant",), filter={"meta": {"tier": "pro"}})) == ["1"]
    assert keys(await api.search(("tenant",), filter={"meta.tier": "free"})) == ["2"]
    assert keys(await api.search(("tenant",), filter={"tag": {"$in": ["y", "z"]}})) == ["2"]
    assert keys(await api.search(("tenant",), filter={"tag": {"$nin": ["y"]}})) == ["1", "3"]
    assert keys(await api.search(("tenant",), filter={"meta": {"$exists": False}})) == ["3"]


async def test_search_pagination_is_stable(api: Api) -> None:
    ns = ("pages",)
    await api.batch([PutOp(ns, f"k{i:02d}", {"i": i}) for i in range(23)])
    everything = await api.search(ns, limit=100)
    assert len(everything) == 23
    pages = [await api.search(ns, limit=5, offset=o) for o in range(0, 25, 5)]
    flat = [i.key for page in pages for i in page]
    assert flat == [i.key for i in everything]
    assert len(set(flat)) == 23
    assert await api.search(ns, limit=0) == []


async def test_search_orders_by_updated_at_newest_first(api: Api) -> None:
    ns = ("order",)
    for key in ("a", "b", "c"):
        await api.put(ns, key, {"k": key})
        time.sleep(0.005)  # BSON dates hold milliseconds: keep the writes apart
    await api.put(ns, "a", {"k": "a", "again": True})
    keys = [i.key for i in await api.search(ns)]
    assert keys[0] == "a"
    assert all(isinstance(i, SearchItem) and i.score is None for i in await api.search(ns))


async def test_text_query_ranks_by_words(api: Api) -> None:
    ns = ("notes",)
    await api.put(ns, "tea", {"text": "Caroline drinks green tea every morning"})
    await api.put(ns, "hike", {"text": "Melanie went hiking in the mountains"})
    await api.put(ns, "both", {"text": "tea after hiking, tea before sleeping"})
    results = await api.search(ns, query="tea")
    # Items sharing words come first, best first; the rest follow unscored (as InMemoryStore).
    assert {i.key for i in results[:2]} == {"tea", "both"}
    assert all(i.score is not None for i in results[:2])
    assert [(i.key, i.score) for i in results[2:]] == [("hike", None)]
    assert [i.key for i in await api.search(ns, query="mountains", limit=1)] == ["hike"]
    assert (await api.search(ns, query="tea", filter={"text": {"$ne": "x"}}, limit=1))[0].key in {
        "tea",
        "both",
    }


async def test_list_namespaces(api: Api) -> None:
    for ns in [("a", "b"), ("a", "b", "c"), ("a", "x y"), ("a-x",), ("b", "c"), ("a", "b")]:
        await api.put(ns, "k", {"v": 1})
    await api.put(("a", "b"), "k2", {"v": 1})
    assert await api.list_namespaces() == [
        ("a", "b"),
        ("a", "b", "c"),
        ("a", "x y"),
        ("a-x",),
        ("b", "c"),
    ]
    assert await api.list_namespaces(prefix=("a",)) == [("a", "b"), ("a", "b", "c"), ("a", "x y")]
    assert await api.list_namespaces(suffix=("c",)) == [("a", "b", "c"), ("b", "c")]
    assert await api.list_namespaces(prefix=("*", "b")) == [("a", "b"), ("a", "b", "c")]
    assert await api.list_namespaces(suffix=("b", "*")) == [("a", "b", "c"), ("b", "c")]
    assert await api.list_namespaces(max_depth=1) == [("a",), ("a-x",), ("b",)]
    assert await api.list_namespaces(prefix=("a",), max_depth=2) == [("a", "b"), ("a", "x y")]
    assert await api.list_namespaces(limit=2, offset=1) == [("a", "b", "c"), ("a", "x y")]
    assert await api.list_namespaces(max_depth=1, limit=1, offset=1) == [("a-x",)]


async def test_labels_with_separator_characters_stay_distinct(api: Api) -> None:
    tricky = [("a\x01b",), ("a", "b"), ("a\x02",), ("a\x02\x02",), ("a",)]
    for ns in tricky:
        await api.put(ns, "k\x01x", {"ns": list(ns)})
    for ns in tricky:
        assert (await api.get(ns, "k\x01x")).value == {"ns": list(ns)}
    assert await api.list_namespaces() == sorted(tricky)
    assert sorted(i.value["ns"] for i in await api.search(("a",))) == [["a"], ["a", "b"]]


async def test_async_contract(astore: GenesisStore) -> None:
    ns = ("agent", "async")
    await astore.aput(ns, "k", {"text": "hello async world", "n": 1})
    item = await astore.aget(ns, "k")
    assert item is not None and item.value["n"] == 1
    assert [i.key for i in await astore.asearch(("agent",), filter={"n": 1})] == ["k"]
    assert [i.key for i in await astore.asearch(("agent",), query="async")] == ["k"]
    assert await astore.alist_namespaces(prefix=("agent",)) == [ns]
    results = await astore.abatch([GetOp(ns, "k"), PutOp(ns, "k", None), GetOp(ns, "k")])
    assert results[0].value["n"] == 1 and results[2].value["n"] == 1
    assert await astore.aget(ns, "k") is None


async def test_sync_api_on_async_opened_store(astore: GenesisStore) -> None:
    astore.put(("mixed",), "k", {"v": 1})
    assert (await astore.aget(("mixed",), "k")).value == {"v": 1}


def test_store_in_a_graph(store: GenesisStore) -> None:
    from typing import TypedDict

    from langgraph.config import get_store
    from langgraph.graph import END, START, StateGraph
    from langgraph.runtime import Runtime

    class State(TypedDict):
        text: str
        recalled: list[str]

    def remember(state: State) -> dict:
        get_store().put(("agent", "graph"), "fact", {"text": state["text"]})
        return {}

    def recall(state: State, runtime: Runtime) -> dict:
        assert runtime.store is not None
        found = runtime.store.search(("agent",), query="graph memories")
        return {"recalled": [i.value["text"] for i in found]}

    builder = StateGraph(State)
    builder.add_node("remember", remember)
    builder.add_node("recall", recall)
    builder.add_edge(START, "remember")
    builder.add_edge("remember", "recall")
    builder.add_edge("recall", END)
    graph = builder.compile(store=store)
    out = graph.invoke({"text": "graph memories persist in MongoDB", "recalled": []})
    assert out["recalled"] == ["graph memories persist in MongoDB"]


def test_setup_is_idempotent_and_versioned(
    store: GenesisStore, mongo_client, database_name
) -> None:
    assert store.setup() == 3
    assert store.setup() == 3
    meta = mongo_client[database_name]["genesis_migrations"].find_one({"_id": "store:store"})
    assert meta["version"] == 3
    indexes = list(mongo_client[database_name]["store"].list_indexes())
    keys = {tuple(ix["key"].keys()) for ix in indexes}
    assert {("ns_key", "expires_at_ms"), ("expires_at",)} <= keys
    assert ("ns_key",) not in keys  # version 2 replaced it
    assert ("link_to",) in keys  # version 3: links (issue 15)
    ttl = [ix for ix in indexes if tuple(ix["key"].keys()) == ("expires_at",)]
    assert ttl[0]["expireAfterSeconds"] == 0


def test_constructors_send_nothing(mongodb_uri: str) -> None:
    from pymongo import MongoClient, monitoring

    from langgraph_genesis_memory import GenesisSaver

    class Commands(monitoring.CommandListener):
        def __init__(self) -> None:
            self.sent: list[str] = []

        def started(self, event: monitoring.CommandStartedEvent) -> None:
            self.sent.append(event.command_name)

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None: ...

        def failed(self, event: monitoring.CommandFailedEvent) -> None: ...

    listener = Commands()
    client = MongoClient(mongodb_uri, connect=False, event_listeners=[listener])
    try:
        GenesisStore(client=client, database="constructor_check", ttl={"default_ttl": 5})
        GenesisSaver(client=client, database="constructor_check", ttl_minutes=5)
        assert listener.sent == []  # no setup, no ping: I/O waits for the first call
        client["constructor_check"].command("ping")
        assert listener.sent == ["ping"]  # the listener does see commands
    finally:
        client.close()


@pytest.mark.parametrize("missing", ["sync", "async"])
async def test_missing_client_is_a_clear_error(mongo_client, missing: str) -> None:
    from langgraph_genesis_memory import ConfigurationError

    if missing == "sync":
        from pymongo import AsyncMongoClient

        s = GenesisStore(async_client=AsyncMongoClient("mongodb://127.0.0.1:9"), database="x")
        with pytest.raises(ConfigurationError, match="no sync MongoClient"):
            s.get(("a",), "k")
        await s.async_client.close()
    else:
        s = GenesisStore(client=mongo_client, database="x")
        with pytest.raises(ConfigurationError, match="no AsyncMongoClient"):
            await s.aget(("a",), "k")


def test_text_index_mode_and_optional_indexes(mongo_client, database_name) -> None:
    store = GenesisStore(
        client=mongo_client, database=database_name, lexical="text_index", ttl_index=False
    )
    store.setup()
    keys = {tuple(ix["key"].keys()) for ix in mongo_client[database_name]["store"].list_indexes()}
    assert ("expires_at",) not in keys
    store.put(("notes", "a"), "tea", {"text": "green tea every morning"})
    store.put(("notes", "b"), "hike", {"text": "hiking in the mountains"})

    def scored(prefix, query):
        return [i.key for i in store.search(prefix, query=query) if i.score is not None]

    assert scored(("notes",), "mountains") == ["hike"]
    assert scored(("notes", "a"), "tea") == ["tea"]
    assert scored(("notes", "b"), "tea") == []


def test_filter_indexes_are_created_by_setup(mongo_client, database_name) -> None:
    from langgraph_genesis_memory import ConfigurationError

    store = GenesisStore(
        client=mongo_client, database=database_name, filter_indexes=["tags", "user.id"]
    )
    store.setup()
    keys = [list(ix["key"]) for ix in store.client[database_name]["store"].list_indexes()]
    assert ["value.tags"] in keys and ["value.user.id"] in keys
    store.put(("a",), "k", {"tags": ["x"], "user": {"id": 7}})
    assert [i.key for i in store.search(("a",), filter={"user.id": 7})] == ["k"]
    for bad in ("$where", "a..b", "tags"):
        with pytest.raises(ConfigurationError):
            GenesisStore(client=mongo_client, filter_indexes=bad if bad == "tags" else [bad])


def test_setup_upgrades_a_version_1_store(mongo_client, database_name) -> None:
    # A store set up by version 1 had a plain ns_key index; version 2 replaces it.
    db = mongo_client[database_name]
    db["store"].create_index("ns_key")
    db["genesis_migrations"].insert_one({"_id": "store:store", "version": 1})
    store = GenesisStore(client=mongo_client, database=database_name)
    store.put(("a", "b"), "k", {"v": 1})
    assert store.setup() == 3
    keys = {tuple(ix["key"].keys()) for ix in db["store"].list_indexes()}
    assert ("ns_key", "expires_at_ms") in keys and ("ns_key",) not in keys
    assert store.list_namespaces() == [("a", "b")]


def test_setup_twice_with_data_and_a_text_index(mongo_client, database_name) -> None:
    # setup() creates the indexes its configuration asks for once (recorded), so a second call
    # never rebuilds them (the local server cannot rebuild a text index over existing data).
    store = GenesisStore(client=mongo_client, database=database_name, lexical="text_index")
    assert store.setup() == 3
    store.put(("a",), "k", {"text": "hello world"})
    assert store.setup() == 3
    assert [i.key for i in store.search(("a",), query="hello")] == ["k"]
