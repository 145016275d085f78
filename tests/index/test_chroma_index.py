"""ChromaIndex against a real in-memory and a real persistent Chroma (no mocks)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from langgraph_genesis_memory.embeddings import HashEmbeddings
from langgraph_genesis_memory.index import (
    AsyncChromaIndex,
    ChromaIndex,
    VectorRecord,
    vector_id,
    vector_metadata,
)

DOCS = {
    ("agent", "qa"): {
        "q1": "the cat sat on the mat",
        "q2": "stock markets fell sharply today",
    },
    ("agent", "support"): {"s1": "the cat chased a mouse"},
    ("business", "saas"): {"b1": "quarterly revenue of the saas business"},
}


def fill(index: ChromaIndex, emb: HashEmbeddings) -> None:
    ids, texts, metas = [], [], []
    for ns, items in DOCS.items():
        for key, text in items.items():
            item_id = f"{'.'.join(ns)}/{key}"
            ids.append(vector_id(item_id, "$"))
            texts.append(text)
            metas.append(vector_metadata(item_id, ns, "$", {"key": key}))
    index.upsert(ids, emb.embed_documents(texts), metas)


def test_upsert_query_and_count(index: ChromaIndex, hash_embeddings: HashEmbeddings) -> None:
    fill(index, hash_embeddings)
    assert index.count() == 4
    hits = index.query(hash_embeddings.embed_query("cat on a mat"), 2)
    assert hits[0].item_id == "agent.qa/q1"
    assert hits[0].metadata["key"] == "q1"
    assert 0.0 <= hits[0].distance < hits[1].distance
    assert hits[0].score == pytest.approx(1 - hits[0].distance)
    # Distances are cosine distances: an identical text is at distance ~0.
    same = index.query(hash_embeddings.embed_query("the cat sat on the mat"), 1)[0]
    assert same.distance == pytest.approx(0.0, abs=1e-5)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ((), {"agent.qa/q1", "agent.qa/q2", "agent.support/s1", "business.saas/b1"}),
        (("agent",), {"agent.qa/q1", "agent.qa/q2", "agent.support/s1"}),
        (("agent", "qa"), {"agent.qa/q1", "agent.qa/q2"}),
        (("agent", "qa", "deeper"), set()),
        (("age",), set()),  # a prefix matches whole labels only
        (("business",), {"business.saas/b1"}),
    ],
)
def test_namespace_prefix_filter(
    index: ChromaIndex, hash_embeddings: HashEmbeddings, prefix: tuple, expected: set
) -> None:
    fill(index, hash_embeddings)
    hits = index.query(hash_embeddings.embed_query("cat"), 10, namespace_prefix=prefix)
    assert {h.item_id for h in hits} == expected
    assert index.item_ids(prefix) == expected


def test_upsert_replaces_and_delete(index: ChromaIndex, hash_embeddings: HashEmbeddings) -> None:
    fill(index, hash_embeddings)
    vid = vector_id("agent.qa/q2", "$")
    meta = vector_metadata("agent.qa/q2", ("agent", "qa"), "$")
    index.upsert([vid], [hash_embeddings.embed_query("a cat on a mat")], [meta])
    assert index.count() == 4
    top = index.query(hash_embeddings.embed_query("stock markets"), 1, namespace_prefix=("agent",))
    assert top[0].item_id != "agent.qa/q2" or top[0].distance > 0.5

    index.delete([vid, "no-such-id#$"])
    assert index.count() == 3
    index.delete(item_ids=["agent.support/s1", "business.saas/b1"])
    assert index.item_ids() == {"agent.qa/q1"}
    index.delete([])
    index.delete(item_ids=[])
    assert index.count() == 1


def test_several_fields_per_item_score_as_best(
    index: ChromaIndex, hash_embeddings: HashEmbeddings
) -> None:
    fields = {
        "i1": {"title": "gardening tips", "body": "how to grow tomatoes in pots"},
        "i2": {"title": "tomato soup", "body": "a recipe"},
        "i3": {"title": "car repair", "body": "changing the oil"},
    }
    records = [
        VectorRecord(
            vector_id(item, path),
            hash_embeddings.embed_query(text),
            vector_metadata(item, ("docs",), path),
        )
        for item, paths in fields.items()
        for path, text in paths.items()
    ]
    index.upsert_records(records)
    assert index.count() == 6
    query = hash_embeddings.embed_query("grow tomatoes")
    items = index.query_items(query, 2, namespace_prefix=("docs",), fetch_factor=1)
    assert [h.item_id for h in items] == ["i1", "i2"]
    assert items[0].path == "body"
    # Restricting to paths and items through `where` / `item_ids`.
    only_titles = index.query_items(query, 3, where={"path": "title"})
    assert {h.path for h in only_titles} == {"title"}
    assert [h.item_id for h in index.query_items(query, 3, item_ids=["i3"])] == ["i3"]
    assert index.query_items(query, 3, item_ids=[]) == []


def test_upsert_validates_lengths(index: ChromaIndex) -> None:
    with pytest.raises(ValueError, match="same length"):
        index.upsert(["a#$", "b#$"], [[1.0, 0.0]], None)
    with pytest.raises(ValueError, match="duplicate"):
        index.upsert(["a#$", "a#$"], [[1.0, 0.0], [0.0, 1.0]], None)


def test_large_upsert_is_batched(index: ChromaIndex, hash_embeddings: HashEmbeddings) -> None:
    n = 5000  # more than one 4,096-vector batch
    ids = [vector_id(f"i{i}", "$") for i in range(n)]
    vectors = hash_embeddings.embed_documents([f"item number {i} word{i % 97}" for i in range(n)])
    metas = [vector_metadata(f"i{i}", ("bulk",), "$") for i in range(n)]
    index.upsert(ids, vectors, metas)
    assert index.count() == n
    assert len(index.item_ids(("bulk",))) == n
    index.delete(item_ids=[f"i{i}" for i in range(n)])
    assert index.count() == 0


def test_reset_and_rebuild_keep_configuration(
    index: ChromaIndex, hash_embeddings: HashEmbeddings
) -> None:
    fill(index, hash_embeddings)
    index.set_ef_search(64)
    index.reset()
    assert index.count() == 0
    hnsw = index.collection.configuration["hnsw"]
    assert hnsw["space"] == "cosine"
    assert hnsw["ef_search"] == 64
    records = [
        VectorRecord(
            vector_id(f"r{i}", "$"),
            hash_embeddings.embed_query(f"text {i}"),
            vector_metadata(f"r{i}", ("rebuilt",), "$"),
        )
        for i in range(10)
    ]
    assert index.rebuild(iter(records), batch_size=3) == 10
    assert index.item_ids() == {f"r{i}" for i in range(10)}


def test_collection_never_has_an_embedding_function(index: ChromaIndex) -> None:
    assert index.collection.configuration.get("embedding_function") is None
    # Documents without embeddings are refused instead of being embedded by Chroma.
    with pytest.raises(Exception):  # noqa: B017 - chromadb raises its own error types
        index.collection.add(ids=["x"], documents=["needs an embedding function"])


def test_persistent_index_survives_reopening(
    tmp_path: Path, collection_name: str, hash_embeddings: HashEmbeddings
) -> None:
    path = str(tmp_path / "db")
    first = ChromaIndex.from_config(path=path, collection=collection_name)
    fill(first, hash_embeddings)
    del first
    second = ChromaIndex.from_config(path=path, collection=collection_name)
    assert second.count() == 4
    hits = second.query(hash_embeddings.embed_query("revenue"), 1)
    assert hits[0].item_id == "business.saas/b1"


def test_environment_selects_persistent_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collection_name: str
) -> None:
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    monkeypatch.setenv("GENESIS_CHROMA_PATH", str(tmp_path / "from-env"))
    monkeypatch.setenv("GENESIS_CHROMA_COLLECTION", collection_name)
    index = ChromaIndex.from_config()
    index.upsert(["a#$"], [[1.0, 0.0]], [vector_metadata("a", ("n",), "$")])
    assert index.name == collection_name
    assert (tmp_path / "from-env").is_dir()


async def test_async_index_on_embedded_chroma(
    collection_name: str, hash_embeddings: HashEmbeddings
) -> None:
    index = await AsyncChromaIndex.from_config(in_memory=True, collection=collection_name)
    texts = {"a": "red apples", "b": "green pears", "c": "red cars"}
    await index.upsert(
        [vector_id(k, "$") for k in texts],
        await hash_embeddings.aembed_documents(list(texts.values())),
        [vector_metadata(k, ("fruit" if k != "c" else "cars",), "$") for k in texts],
    )
    assert await index.count() == 3
    query = await hash_embeddings.aembed_query("red")
    both = await asyncio.gather(
        index.query_items(query, 5), index.query_items(query, 5, namespace_prefix=("fruit",))
    )
    assert {h.item_id for h in both[0]} == {"a", "b", "c"}
    assert both[1][0].item_id == "a"
    await index.delete(item_ids=["a"])
    assert await index.count() == 2
    await index.reset()
    assert await index.count() == 0


def test_broad_and_narrow_prefixes_match_the_filtered_query(
    index: ChromaIndex, hash_embeddings: HashEmbeddings
) -> None:
    # 400 vectors under ("big",) and 4 under ("small",): a broad prefix is answered from the
    # unfiltered probe, a narrow one falls back to Chroma's filtered query; both must agree
    # with an explicitly filtered query.
    texts = [
        (f"b{i}", ("big", f"s{i % 3}"), f"common words item {i} topic{i % 17}") for i in range(400)
    ]
    texts += [(f"s{i}", ("small",), f"common words rare{i}") for i in range(4)]
    index.upsert(
        [vector_id(k, "$") for k, _, _ in texts],
        hash_embeddings.embed_documents([t for _, _, t in texts]),
        [vector_metadata(k, ns, "$") for k, ns, _ in texts],
    )
    query = hash_embeddings.embed_query("common words topic3")
    for prefix, n in ((("big",), 10), (("big", "s1"), 5), (("small",), 3), (("small",), 10)):
        auto = index.query(query, n, namespace_prefix=prefix)
        forced = index.query(query, n, where={f"p{len(prefix)}": ".".join(prefix)})
        # Same nearest distances (many texts tie, so the order among equals may differ).
        assert [round(h.distance, 5) for h in auto] == [round(h.distance, 5) for h in forced], (
            prefix
        )
        assert all(h.metadata[f"p{len(prefix)}"] == ".".join(prefix) for h in auto)
    assert len(index.query(query, 10, namespace_prefix=("small",))) == 4
