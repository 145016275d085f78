"""ChromaIndex / AsyncChromaIndex against a real `chroma run` server on loopback."""

from __future__ import annotations

import pytest

from langgraph_genesis_memory.embeddings import HashEmbeddings
from langgraph_genesis_memory.index import AsyncChromaIndex, ChromaIndex, vector_id, vector_metadata

TEXTS = {
    ("agent", "qa"): {"k1": "the meeting moved to tuesday", "k2": "buy milk and eggs"},
    ("agent", "ops"): {"k3": "the deployment failed on tuesday"},
}


def records(emb: HashEmbeddings) -> tuple[list[str], list[list[float]], list[dict]]:
    ids, vecs, metas = [], [], []
    for ns, items in TEXTS.items():
        for key, text in items.items():
            item = f"{'.'.join(ns)}/{key}"
            ids.append(vector_id(item, "$"))
            vecs.append(emb.embed_query(text))
            metas.append(vector_metadata(item, ns, "$", {"key": key}))
    return ids, vecs, metas


def test_sync_http_client(
    chroma_server: tuple[str, int], collection_name: str, hash_embeddings: HashEmbeddings
) -> None:
    host, port = chroma_server
    index = ChromaIndex.from_config(host=host, port=port, collection=collection_name)
    index.upsert(*records(hash_embeddings))
    assert index.count() == 3
    query = hash_embeddings.embed_query("what happened on tuesday")
    assert {h.item_id for h in index.query_items(query, 5)} == {
        "agent.qa/k1",
        "agent.qa/k2",
        "agent.ops/k3",
    }
    assert [h.item_id for h in index.query_items(query, 5, namespace_prefix=("agent", "ops"))] == [
        "agent.ops/k3"
    ]
    index.delete(item_ids=["agent.qa/k1"])
    assert index.item_ids(("agent",)) == {"agent.qa/k2", "agent.ops/k3"}
    index.reset()
    assert index.count() == 0
    assert index.collection.configuration["hnsw"]["space"] == "cosine"


def test_server_selected_by_environment(
    chroma_server: tuple[str, int],
    collection_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host, port = chroma_server
    monkeypatch.setenv("CHROMA_HOST", host)
    monkeypatch.setenv("CHROMA_PORT", str(port))
    monkeypatch.setenv("GENESIS_CHROMA_COLLECTION", collection_name)
    index = ChromaIndex.from_config()
    index.upsert(["x#$"], [[0.6, 0.8]], [vector_metadata("x", ("env",), "$")])
    # A second, independent client sees the same server-side collection.
    again = ChromaIndex.from_config(host=host, port=port, collection=collection_name)
    assert again.count() == 1


async def test_async_http_client(
    chroma_server: tuple[str, int], collection_name: str, hash_embeddings: HashEmbeddings
) -> None:
    host, port = chroma_server
    index = await AsyncChromaIndex.from_config(host=host, port=port, collection=collection_name)
    assert index._sync is None  # real async HTTP, no worker thread
    await index.upsert(*records(hash_embeddings))
    assert await index.count() == 3
    hits = await index.query(
        hash_embeddings.embed_query("buy eggs"), 2, namespace_prefix=("agent", "qa")
    )
    assert hits[0].item_id == "agent.qa/k2"
    await index.delete([vector_id("agent.qa/k2", "$")])
    assert await index.count() == 2
    await index.reset()
    assert await index.count() == 0
