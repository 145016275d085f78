"""Semantic and hybrid search through GenesisStore, with a real (in-memory) Chroma index."""

from __future__ import annotations

import itertools
import uuid

import pytest
from langgraph.store.base import PutOp

from langgraph_genesis_memory import ConfigurationError, GenesisStore
from langgraph_genesis_memory.embeddings import HashEmbeddings
from langgraph_genesis_memory.index import ChromaIndex
from langgraph_genesis_memory.index import entry_id as vector_id
from langgraph_genesis_memory.store._indexing import hashes_of, index_paths, vector_texts

DIMS = 256


class CountingEmbeddings(HashEmbeddings):
    """Hash embeddings that count the texts they embed and can be made to fail."""

    def __init__(self) -> None:
        super().__init__(DIMS)
        self.embedded: list[str] = []
        self.broken = False

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.broken:
            raise RuntimeError("embedding service unavailable")
        self.embedded.extend(texts)
        return super().embed_documents(texts)


_names = itertools.count()


def _index() -> ChromaIndex:
    return ChromaIndex.from_config(in_memory=True, collection=f"test-{uuid.uuid4().hex[:12]}")


def make_store(client, database, *, fields=None, embed=None, **kwargs) -> GenesisStore:
    index = {"dims": DIMS, "embed": embed or HashEmbeddings(DIMS)}
    if fields is not None:
        index["fields"] = fields
    store = GenesisStore(
        client=client,
        database=database,
        collection=f"s{next(_names)}",
        index=index,
        vector_index=_index(),
        **kwargs,
    )
    store.setup()
    return store


def expected_vectors(store: GenesisStore) -> dict[str, str]:
    """What MongoDB says Chroma must hold: {vector id: content hash}, computed independently."""
    coll = store.client[store.database][store.collection_name]
    fields = store.index_config["fields"]
    out = {}
    for doc in coll.find({}):
        paths = index_paths(doc.get("index_paths"), fields)
        for vt in vector_texts(doc["value"], paths):
            out[vector_id(doc["_id"], vt.path)] = vt.hash
    return out


def chroma_vectors(store: GenesisStore) -> dict[str, str]:
    got = store.vector_index.collection.get(include=["metadatas"])
    return {vid: meta["h"] for vid, meta in zip(got["ids"], got["metadatas"], strict=True)}


DOCS = {
    "tea": "Caroline drinks green tea every morning before work",
    "hike": "Melanie went hiking in the mountains with her kids",
    "paint": "Melanie painted a sunset over the lake last summer",
    "adopt": "Caroline is researching adoption agencies to become a mother",
}


@pytest.fixture
def semantic(mongo_client, database_name) -> GenesisStore:
    store = make_store(mongo_client, database_name, fields=["text"])
    store.batch(
        [PutOp(("conv", "c1"), k, {"text": t, "n": i}) for i, (k, t) in enumerate(DOCS.items())]
    )
    store.put(("conv", "c2"), "tea2", {"text": "green tea every morning", "n": 9})
    return store


@pytest.mark.parametrize("mode", ["vector", "hybrid"])
def test_ranked_by_meaning_within_prefix(mongo_client, database_name, mode) -> None:
    store = make_store(mongo_client, database_name, fields=["text"], search_mode=mode)
    store.batch([PutOp(("conv", "c1"), k, {"text": t}) for k, t in DOCS.items()])
    store.put(("conv", "c2"), "tea2", {"text": "green tea every morning"})
    results = store.search(("conv", "c1"), query="what tea does Caroline drink in the morning")
    assert results[0].key == "tea"
    assert {r.key for r in results} <= set(DOCS)
    assert all(r.score is not None for r in results)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    everywhere = store.search(("conv",), query="green tea morning", limit=2)
    assert {r.key for r in everywhere} == {"tea", "tea2"}


def test_prefix_search_with_hashes_and_separators_in_keys_and_paths(
    mongo_client, database_name
) -> None:
    # Vector ids are "<item _id>#<path>": keys and field names holding "#" (and labels holding
    # the _id separator) must still be found under their own prefix, never under another.
    store = make_store(
        mongo_client, database_name, fields=["te#xt"], search_mode="vector", lexical="scan"
    )
    store.put(("conv", "c#1"), "tea#1", {"te#xt": "green tea every morning"})
    store.put(("conv", "c\x011"), "tea", {"te#xt": "green tea every morning"})
    store.put(("conv", "c"), "1\x01tea", {"te#xt": "green tea every morning"})
    for prefix, key in (
        (("conv", "c#1"), "tea#1"),
        (("conv", "c\x011"), "tea"),
        (("conv", "c"), "1\x01tea"),
    ):
        found = store.search(prefix, query="green tea", limit=5)
        assert [(r.namespace, r.key) for r in found] == [(prefix, key)]
        assert found[0].score is not None
    assert len(store.search(("conv",), query="green tea", limit=5)) == 3


def test_filters_offset_limit_and_stable_pages(semantic: GenesisStore) -> None:
    query = "Melanie mountains sunset lake kids"
    full = semantic.search(("conv",), query=query, limit=10)
    assert len(full) == 5
    pages = [semantic.search(("conv",), query=query, limit=2, offset=o) for o in (0, 2, 4)]
    assert [r.key for p in pages for r in p] == [r.key for r in full]
    filtered = semantic.search(("conv",), query=query, filter={"n": {"$gte": 2}})
    assert {r.key for r in filtered} == {"paint", "adopt", "tea2"}
    assert semantic.search(("conv",), query=query, filter={"n": 1})[0].key == "hike"


def test_deleted_and_expired_items_never_appear(mongo_client, database_name) -> None:
    from tests.store.conftest import FakeClock

    clock = FakeClock()
    store = make_store(mongo_client, database_name, fields=["text"], clock=clock)
    store.put(("short_term", "s"), "tea", {"text": DOCS["tea"]})
    store.put(("system",), "tea", {"text": DOCS["tea"]})
    store.put(("system",), "hike", {"text": DOCS["hike"]})
    store.delete(("system",), "hike")
    assert [r.key for r in store.search(("system",), query="hiking mountains")] == ["tea"]
    clock.advance(24 * 60 + 1)
    assert store.search(("short_term",), query="green tea") == []
    assert store.sweep() == 1
    assert chroma_vectors(store) == expected_vectors(store)


def test_several_vectors_per_item_best_field_wins(mongo_client, database_name) -> None:
    store = make_store(mongo_client, database_name, fields=["title", "notes[*]"])
    store.put(("docs",), "a", {"title": "quarterly budget", "notes": ["sailing trip", "pasta"]})
    store.put(("docs",), "b", {"title": "sailing club rules", "notes": ["budget"]})
    ids = set(chroma_vectors(store))
    assert {i.rsplit("#", 1)[1] for i in ids} == {"title", "notes[*].0", "notes[*].1", "notes[*]"}
    top = store.search(("docs",), query="pasta", limit=1)[0]
    assert top.key == "a"


def test_per_put_index_argument(mongo_client, database_name) -> None:
    store = make_store(mongo_client, database_name, fields=["text"], search_mode="vector")
    store.put(("docs",), "skip", {"text": "secret tea recipe"}, index=False)
    store.put(("docs",), "other", {"text": "ignored", "title": "tea ceremony"}, index=["title"])
    assert set(chroma_vectors(store)) == {vector_id("docs\x01other", "title")}
    results = store.search(("docs",), query="tea")
    assert [(r.key, r.score is None) for r in results] == [("other", False), ("skip", True)]
    # not indexed, still found by filter-only search
    assert {r.key for r in store.search(("docs",))} == {"skip", "other"}


def test_unchanged_text_is_not_embedded_again(mongo_client, database_name) -> None:
    embed = CountingEmbeddings()
    store = make_store(mongo_client, database_name, fields=["text"], embed=embed)
    store.put(("docs",), "a", {"text": "hello there", "views": 1})
    store.put(("docs",), "a", {"text": "hello there", "views": 2})
    store.batch([PutOp(("docs",), "b", {"text": "same"}), PutOp(("docs",), "c", {"text": "same"})])
    assert embed.embedded == ["hello there", "same"]
    store.put(("docs",), "a", {"text": "changed", "views": 3})
    assert embed.embedded[-1] == "changed"
    assert chroma_vectors(store) == expected_vectors(store)


def test_index_failure_keeps_the_item_and_reindex_repairs(mongo_client, database_name) -> None:
    embed = CountingEmbeddings()
    store = make_store(mongo_client, database_name, fields=["text"], embed=embed)
    store.put(("docs",), "a", {"text": "first version"})
    embed.broken = True
    store.put(("docs",), "a", {"text": "second version"})  # saved; the index update fails
    store.put(("docs",), "b", {"text": "brand new"})
    embed.broken = False
    assert store.get(("docs",), "a").value == {"text": "second version"}
    assert store.get(("docs",), "b") is not None
    coll = mongo_client[database_name][store.collection_name]
    assert coll.count_documents({"index_pending": True}) == 2
    assert chroma_vectors(store) != expected_vectors(store)
    result = store.reindex()
    assert result.items == 2 and result.failed == 0
    assert chroma_vectors(store) == expected_vectors(store)
    assert coll.count_documents({"index_pending": True}) == 0
    assert store.search(("docs",), query="brand new", limit=1)[0].key == "b"


def test_reindex_removes_orphans_and_restores_lost_vectors(mongo_client, database_name) -> None:
    store = make_store(mongo_client, database_name, fields=["text"])
    store.batch([PutOp(("docs",), f"k{i}", {"text": f"note number {i}"}) for i in range(30)])
    collection = store.vector_index.collection
    collection.delete(ids=[vector_id("docs\x01k3", "text"), vector_id("docs\x01k7", "text")])
    collection.upsert(
        ids=["docs\x01ghost#text"],
        embeddings=[[1.0] + [0.0] * (DIMS - 1)],
        metadatas=[{"item_id": "docs\x01ghost", "h": "x", "p1": "docs"}],
    )
    mongo_client[database_name][store.collection_name].delete_one({"_id": "docs\x01k9"})
    result = store.reindex()
    assert result.vectors_deleted == 2  # the ghost and k9's vector
    assert chroma_vectors(store) == expected_vectors(store)
    assert len(chroma_vectors(store)) == 29


def test_full_rebuild_after_changing_the_model(mongo_client, database_name) -> None:
    store = make_store(mongo_client, database_name, fields=["text"])
    words = "apple bread cheese dates eggs figs grapes honey ice jam kale lemon".split()
    store.batch(
        [PutOp(("docs",), f"k{i}", {"text": f"memory of {w}"}) for i, w in enumerate(words)]
    )
    rebuilt = GenesisStore(
        client=mongo_client,
        database=database_name,
        collection=store.collection_name,
        index={"dims": 32, "embed": HashEmbeddings(32, seed="v2"), "fields": ["text"]},
        vector_index=store.vector_index,
    )
    result = rebuilt.reindex(full=True, batch_size=5)
    assert result.items == 12 and result.vectors_written == 12
    assert chroma_vectors(rebuilt) == expected_vectors(rebuilt)
    got = rebuilt.vector_index.collection.get(include=["embeddings"], limit=1)
    assert len(got["embeddings"][0]) == 32
    assert rebuilt.search(("docs",), query="the figs", limit=1)[0].key == "k5"


async def test_async_semantic_search(mongo_client, async_mongo_client, database_name) -> None:
    store = GenesisStore(
        client=mongo_client,
        async_client=async_mongo_client,
        database=database_name,
        index={"dims": DIMS, "embed": HashEmbeddings(DIMS), "fields": ["text"]},
        vector_index=_index(),
    )
    await store.asetup()
    await store.abatch([PutOp(("conv",), k, {"text": t}) for k, t in DOCS.items()])
    results = await store.asearch(("conv",), query="Caroline adoption mother")
    assert results[0].key == "adopt"
    await store.adelete(("conv",), "adopt")
    assert "adopt" not in {r.key for r in await store.asearch(("conv",), query="adoption")}
    assert (await store.areindex()).vectors_deleted == 0
    assert chroma_vectors(store) == expected_vectors(store)


def test_embed_as_plain_functions(mongo_client, database_name) -> None:
    model = HashEmbeddings(DIMS)

    def embed(texts: list[str]) -> list[list[float]]:
        return model.embed_documents(texts)

    store = make_store(mongo_client, database_name, fields=["text"], embed=embed)
    store.batch([PutOp(("conv",), k, {"text": t}) for k, t in DOCS.items()])
    assert store.search(("conv",), query="hiking kids", limit=1)[0].key == "hike"


def test_index_config_errors(mongo_client) -> None:
    with pytest.raises(ConfigurationError, match="vector index"):
        GenesisStore(client=mongo_client, index={"dims": 4, "embed": HashEmbeddings(4)})
    with pytest.raises(ConfigurationError, match="dims"):
        GenesisStore(
            client=mongo_client,
            index={"dims": 0, "embed": HashEmbeddings(4)},
            vector_index=_index(),
        )
    with pytest.raises(ConfigurationError, match="search_mode"):
        GenesisStore(client=mongo_client, search_mode="magic")


def test_stored_documents_record_vectors(semantic: GenesisStore) -> None:
    coll = semantic.client[semantic.database][semantic.collection_name]
    doc = coll.find_one({"_id": "conv\x01c1\x01tea"})
    assert set(hashes_of(doc)) == {"text"}


@pytest.mark.parametrize("mode", ["lexical", "vector", "hybrid"])
def test_ranked_pages_never_repeat_or_skip(mongo_client, database_name, mode) -> None:
    store = make_store(mongo_client, database_name, fields=["text"], search_mode=mode)
    words = ["tea", "coffee", "juice"]
    store.batch(
        [
            PutOp(("docs",), f"k{i:03d}", {"text": f"{words[i % 3]} note {i % 7}"})
            for i in range(130)
        ]
    )
    store.put(("docs",), "plain", {"text": "nothing in common"})
    full = [r.key for r in store.search(("docs",), query="tea note", limit=200)]
    assert sorted(full) == sorted([f"k{i:03d}" for i in range(130)] + ["plain"])
    pages = [
        store.search(("docs",), query="tea note", limit=20, offset=o) for o in range(0, 140, 20)
    ]
    assert [r.key for page in pages for r in page] == full


def test_reindex_indexes_items_written_before_the_index_existed(mongo_client, database_name):
    plain = GenesisStore(client=mongo_client, database=database_name, collection="late")
    plain.batch([PutOp(("docs",), k, {"text": t}) for k, t in DOCS.items()])
    store = GenesisStore(
        client=mongo_client,
        database=database_name,
        collection="late",
        index={"dims": DIMS, "embed": HashEmbeddings(DIMS), "fields": ["text"]},
        vector_index=_index(),
    )
    assert chroma_vectors(store) == {}
    result = store.reindex()
    assert result.items == len(DOCS)
    assert chroma_vectors(store) == expected_vectors(store)


def test_reindex_replaces_vectors_whose_content_is_stale(mongo_client, database_name) -> None:
    store = make_store(mongo_client, database_name, fields=["text"])
    store.put(("docs",), "a", {"text": "the cat sat"})
    # Chroma holds a vector of other content under the item's id (e.g. a lost race).
    store.vector_index.collection.upsert(
        ids=[vector_id("docs\x01a", "text")],
        embeddings=[HashEmbeddings(DIMS).embed_query("a dog barked")],
        metadatas=[{"item_id": "docs\x01a", "h": "0000", "p1": "docs"}],
    )
    assert store.reindex().items == 1
    assert chroma_vectors(store) == expected_vectors(store)


async def test_full_rebuild_through_sync_api_keeps_async_api_working(
    mongo_client, async_mongo_client, database_name
) -> None:
    store = GenesisStore(
        client=mongo_client,
        async_client=async_mongo_client,
        database=database_name,
        index={"dims": DIMS, "embed": HashEmbeddings(DIMS), "fields": ["text"]},
        vector_index=_index(),
    )
    await store.asetup()
    store.put(("docs",), "a", {"text": "tea in the morning"})
    store.reindex(full=True)
    await store.aput(("docs",), "b", {"text": "coffee at night"})
    assert (await store.asearch(("docs",), query="coffee", limit=1))[0].key == "b"
    # A second store on the same collection, opened before the rebuild, reopens it by name.
    other = GenesisStore(
        client=mongo_client,
        database=database_name,
        index={"dims": DIMS, "embed": HashEmbeddings(DIMS), "fields": ["text"]},
        vector_index=ChromaIndex(
            collection=store.vector_index.collection, client=store.vector_index.client
        ),
    )
    store.reindex(full=True)
    other.put(("docs",), "c", {"text": "juice at noon"})
    assert other.search(("docs",), query="juice", limit=1)[0].key == "c"
    assert chroma_vectors(store) == expected_vectors(store)


def test_an_embedder_raising_stopiteration_is_an_error_not_an_empty_result(
    mongo_client, database_name
) -> None:
    def embed(texts: list[str]) -> list[list[float]]:
        raise StopIteration

    store = make_store(mongo_client, database_name, fields=["text"], embed=embed)
    with pytest.raises(StopIteration):  # surfaces; never mistaken for the end of the plan
        store.search(("docs",), query="anything")


def test_sweep_removes_vectors_of_items_the_server_purged(mongo_client, database_name) -> None:
    # With MongoDB's TTL index, the server deletes expired items itself; their vectors must not
    # wait for a reindex(). Here the monitor's deletion is done by hand on the collection.
    from tests.store.conftest import FakeClock

    clock = FakeClock()
    store = make_store(mongo_client, database_name, clock=clock)
    store.put(("agent",), "short", {"text": "fleeting memory"}, ttl=1)
    store.put(("agent",), "kept", {"text": "lasting memory"}, ttl=60)
    store.put(("agent",), "read", {"text": "refreshed memory"}, ttl=1)
    coll = mongo_client[database_name][store.collection_name]
    clock.advance(0.5)
    assert store.get(("agent",), "read") is not None  # slides its TTL (in MongoDB only) to 1.5
    clock.advance(0.8)  # t = 1.3: "short" has expired, "read" has not
    coll.delete_many({"_id": "agent\x01short"})  # what MongoDB's TTL monitor does
    assert "agent\x01short" in store.vector_index.item_ids()
    assert store.sweep() == 0  # nothing left to delete in MongoDB...
    # ...but the orphan vectors are gone, and "read" keeps its vectors.
    assert store.vector_index.item_ids() == {"agent\x01kept", "agent\x01read"}
    clock.advance(0.1)
    assert store.sweep() == 0
    assert store.vector_index.item_ids() == {"agent\x01kept", "agent\x01read"}
    clock.advance(0.2)  # t = 1.6: "read" has expired now
    assert store.sweep() == 1
    assert store.vector_index.item_ids() == {"agent\x01kept"}
