"""ChromaIndex / AsyncChromaIndex against a real `chroma run` server on loopback."""

from __future__ import annotations

import asyncio

import pytest

from langgraph_genesis_memory.embeddings import HashEmbeddings
from langgraph_genesis_memory.index import (
    AsyncChromaIndex,
    AsyncDerivedIndex,
    ChromaIndex,
    DerivedIndex,
    IndexEntry,
)
from tests.index.helpers import NEVER, make_entry

TEXTS = {
    ("agent", "qa"): {"k1": "the meeting moved to tuesday", "k2": "buy milk and eggs"},
    ("agent", "ops"): {"k3": "the deployment failed on tuesday"},
}
EXPIRIES = {"k1": 1_000, "k2": 2_000, "k3": NEVER}


def entries(emb: HashEmbeddings) -> list[IndexEntry]:
    return [
        make_entry(
            f"{'.'.join(ns)}/{key}", ns, emb.embed_query(text), key=key, expires_ms=EXPIRIES[key]
        )
        for ns, items in TEXTS.items()
        for key, text in items.items()
    ]


def test_sync_http_client(
    chroma_server: tuple[str, int], collection_name: str, hash_embeddings: HashEmbeddings
) -> None:
    host, port = chroma_server
    index = ChromaIndex.from_config(host=host, port=port, collection=collection_name)
    assert isinstance(index, DerivedIndex)
    index.upsert(entries(hash_embeddings))
    assert index.count() == 3
    query = hash_embeddings.embed_query("what happened on tuesday")
    hits, exhausted = index.query(query, 5)
    assert {h.item_id for h in hits} == {"agent.qa/k1", "agent.qa/k2", "agent.ops/k3"}
    assert exhausted
    hits, exhausted = index.query(query, 5, namespace_prefix=("agent", "ops"))
    assert [h.item_id for h in hits] == ["agent.ops/k3"] and exhausted
    hits, exhausted = index.query(query, 1, namespace_prefix=("agent", "qa"))
    assert len(hits) == 1 and not exhausted

    assert index.hashes() == {
        "agent.qa/k1#$": "h-agent.qa/k1-$",
        "agent.qa/k2#$": "h-agent.qa/k2-$",
        "agent.ops/k3#$": "h-agent.ops/k3-$",
    }
    assert index.expired(1_500) == {"agent.qa/k1#$": "agent.qa/k1"}
    index.set_expiry(["agent.qa/k1#$", "agent.ops/k3#$"], [NEVER, 1_200])
    assert index.expired(1_500) == {"agent.ops/k3#$": "agent.ops/k3"}
    assert index.item_ids(("agent", "ops")) == {"agent.ops/k3"}  # other metadata kept

    index.delete(item_ids=["agent.qa/k1"])
    assert index.item_ids(("agent",)) == {"agent.qa/k2", "agent.ops/k3"}
    index.delete(ids=["agent.qa/k2#$"])
    assert index.item_ids() == {"agent.ops/k3"}
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
    index.upsert([make_entry("x", ("env",), [0.6, 0.8])])
    # A second, independent client sees the same server-side collection.
    again = ChromaIndex.from_config(host=host, port=port, collection=collection_name)
    assert again.count() == 1


def test_sync_http_client_reopens_a_rebuilt_collection(
    chroma_server: tuple[str, int], collection_name: str
) -> None:
    host, port = chroma_server
    index = ChromaIndex.from_config(host=host, port=port, collection=collection_name)
    other = ChromaIndex.from_config(host=host, port=port, collection=collection_name)
    assert index.client is not other.client
    index.upsert([make_entry("a", ("n",), [1.0, 0.0])])
    other.reset()  # another client deletes and re-creates the collection
    assert index.count() == 0
    assert index.collection.id == other.collection.id
    index.upsert([make_entry("b", ("n",), [0.0, 1.0])])
    assert other.item_ids() == {"b"}
    other.reset()
    assert index.query([1.0, 0.0], 3, ("n",)) == ([], True)
    assert index.collection.id == other.collection.id


async def test_async_http_client(
    chroma_server: tuple[str, int], collection_name: str, hash_embeddings: HashEmbeddings
) -> None:
    host, port = chroma_server
    index = await AsyncChromaIndex.from_config(host=host, port=port, collection=collection_name)
    assert index.sync_index is None  # real async HTTP, no worker thread
    assert isinstance(index, AsyncDerivedIndex)
    await index.upsert(entries(hash_embeddings))
    assert await index.count() == 3
    both = await asyncio.gather(
        index.query(hash_embeddings.embed_query("buy eggs"), 2, namespace_prefix=("agent", "qa")),
        index.query(hash_embeddings.embed_query("buy eggs"), 1),
    )
    hits, exhausted = both[0]
    assert hits[0].item_id == "agent.qa/k2"
    assert len(hits) == 2 and exhausted
    assert len(both[1][0]) == 1 and not both[1][1]
    assert await index.hashes() == {
        "agent.qa/k1#$": "h-agent.qa/k1-$",
        "agent.qa/k2#$": "h-agent.qa/k2-$",
        "agent.ops/k3#$": "h-agent.ops/k3-$",
    }
    assert await index.expired(2_000) == {
        "agent.qa/k1#$": "agent.qa/k1",
        "agent.qa/k2#$": "agent.qa/k2",
    }
    await index.set_expiry(["agent.qa/k2#$"], [NEVER])
    assert await index.expired(2_000) == {"agent.qa/k1#$": "agent.qa/k1"}
    with pytest.raises(TypeError):
        await index.query("buy eggs", 2)
    await index.delete(["agent.qa/k2#$"])
    assert await index.count() == 2
    await index.delete(item_ids=["agent.qa/k1"])
    assert await index.count() == 1
    await index.reset()
    assert await index.count() == 0
    assert index.collection.configuration["hnsw"]["space"] == "cosine"


async def test_async_http_client_reopens_a_rebuilt_collection(
    chroma_server: tuple[str, int], collection_name: str
) -> None:
    host, port = chroma_server
    index = await AsyncChromaIndex.from_config(host=host, port=port, collection=collection_name)
    other = ChromaIndex.from_config(host=host, port=port, collection=collection_name)
    await index.upsert([make_entry("a", ("n",), [1.0, 0.0], expires_ms=10)])
    assert other.count() == 1

    operations = {
        "upsert": lambda: index.upsert([make_entry("b", ("n",), [0.0, 1.0])]),
        "delete": lambda: index.delete(ids=["a#$"], item_ids=["a"]),
        "query": lambda: index.query([1.0, 0.0], 3),
        "prefix query": lambda: index.query([1.0, 0.0], 3, ("n",)),
        "hashes": index.hashes,
        "expired": lambda: index.expired(NEVER),
        "set_expiry": lambda: index.set_expiry(["a#$"], [5]),
        "count": index.count,
    }
    for name, operation in operations.items():
        stale = index.collection.id
        other.reset()  # another client deletes and re-creates the collection
        assert other.collection.id != stale
        await operation()  # no error: the index reopened the collection and ran again
        assert index.collection.id == other.collection.id, name

    other.reset()
    await index.upsert([make_entry("c", ("n",), [1.0, 0.0], expires_ms=10)])
    assert other.item_ids() == {"c"}
    assert await index.expired(10) == {"c#$": "c"}
    other.reset()
    await index.reopen()
    assert index.collection.id == other.collection.id
    assert await index.count() == 0
