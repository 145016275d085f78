"""ChromaIndex / AsyncChromaIndex against a real in-memory and a real persistent Chroma (no mocks).

Every entry carries its vector: Chroma's own embedding function is never used.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from pathlib import Path

import pytest

from langgraph_genesis_memory.embeddings import HashEmbeddings
from langgraph_genesis_memory.index import (
    AsyncChromaIndex,
    AsyncDerivedIndex,
    ChromaIndex,
    DerivedIndex,
    IndexEntry,
)
from langgraph_genesis_memory.index._base import best_per_item
from langgraph_genesis_memory.index._requests import PROBE_MIN, namespace_where, plan_query
from tests.index.helpers import NEVER, make_entry, run_recorded, unit

DOCS = {
    ("agent", "qa"): {
        "q1": "the cat sat on the mat",
        "q2": "stock markets fell sharply today",
    },
    ("agent", "support"): {"s1": "the cat chased a mouse"},
    ("business", "saas"): {"b1": "quarterly revenue of the saas business"},
}
PROTOCOL_METHODS = (
    "upsert",
    "delete",
    "query",
    "hashes",
    "expired",
    "set_expiry",
    "reset",
    "reopen",
)


def doc_entries(emb: HashEmbeddings) -> list[IndexEntry]:
    items = [
        (f"{'.'.join(ns)}/{key}", ns, key, text)
        for ns, docs in DOCS.items()
        for key, text in docs.items()
    ]
    vectors = emb.embed_documents([text for *_, text in items])
    return [
        make_entry(item, ns, vec, key=key)
        for (item, ns, key, _), vec in zip(items, vectors, strict=True)
    ]


def fill(index: ChromaIndex, emb: HashEmbeddings) -> None:
    index.upsert(doc_entries(emb))


# -- the protocol ------------------------------------------------------------------------------


def test_indexes_satisfy_the_derived_index_protocols(index: ChromaIndex) -> None:
    assert isinstance(index, DerivedIndex)
    async_index = AsyncChromaIndex.from_sync(index)
    assert isinstance(async_index, AsyncDerivedIndex)
    assert async_index.sync_index is index
    for name in PROTOCOL_METHODS:
        assert not inspect.iscoroutinefunction(getattr(index, name)), name
        assert inspect.iscoroutinefunction(getattr(async_index, name)), name
    assert not isinstance(object(), DerivedIndex)


def test_upsert_query_and_count(index: ChromaIndex, hash_embeddings: HashEmbeddings) -> None:
    fill(index, hash_embeddings)
    assert index.count() == 4
    hits, exhausted = index.query(hash_embeddings.embed_query("cat on a mat"), 2)
    assert not exhausted  # 4 entries, 2 asked for
    assert hits[0].item_id == "agent.qa/q1"
    assert hits[0].entry_id == "agent.qa/q1#$"
    assert hits[0].path == "$"
    assert 1.0 >= hits[0].score > hits[1].score
    # Scores are cosine similarities: an identical text scores ~1.
    same, _ = index.query(hash_embeddings.embed_query("the cat sat on the mat"), 1)
    assert same[0].score == pytest.approx(1.0, abs=1e-5)
    everything, exhausted = index.query(hash_embeddings.embed_query("cat"), 10)
    assert len(everything) == 4 and exhausted
    scores = [h.score for h in everything]
    assert scores == sorted(scores, reverse=True)
    with pytest.raises(TypeError, match="vector"):
        index.query("cat on a mat", 2)


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
    hits, exhausted = index.query(hash_embeddings.embed_query("cat"), 10, namespace_prefix=prefix)
    assert {h.item_id for h in hits} == expected
    assert exhausted  # fewer matches than asked for
    assert index.item_ids(prefix) == expected


def test_upsert_replaces_and_delete(index: ChromaIndex, hash_embeddings: HashEmbeddings) -> None:
    fill(index, hash_embeddings)
    replaced = make_entry(
        "agent.qa/q2", ("agent", "qa"), hash_embeddings.embed_query("a cat on a mat"), hash="h2"
    )
    index.upsert([replaced])
    assert index.count() == 4
    assert index.hashes()[replaced.id] == "h2"
    top, _ = index.query(
        hash_embeddings.embed_query("stock markets"), 1, namespace_prefix=("agent",)
    )
    assert top[0].item_id != "agent.qa/q2" or top[0].score < 0.5

    index.delete([replaced.id, "no-such-id#$"])
    assert index.count() == 3
    index.delete(item_ids=["agent.support/s1", "business.saas/b1"])
    assert index.item_ids() == {"agent.qa/q1"}
    index.delete([])
    index.delete(item_ids=[])
    index.delete()
    assert index.count() == 1
    # Ids and item ids together, unknown ones ignored.
    index.upsert(doc_entries(hash_embeddings))
    index.delete(ids=["agent.qa/q1#$"], item_ids=["business.saas/b1", "unknown"])
    assert index.item_ids() == {"agent.qa/q2", "agent.support/s1"}


def test_several_fields_per_item_score_as_best(
    index: ChromaIndex, hash_embeddings: HashEmbeddings
) -> None:
    fields = {
        "i1": {"title": "gardening tips", "body": "how to grow tomatoes in pots"},
        "i2": {"title": "tomato soup", "body": "a recipe"},
        "i3": {"title": "car repair", "body": "changing the oil"},
    }
    index.upsert(
        [
            make_entry(item, ("docs",), hash_embeddings.embed_query(text), path)
            for item, paths in fields.items()
            for path, text in paths.items()
        ]
    )
    assert index.count() == 6
    assert index.item_ids(("docs",)) == {"i1", "i2", "i3"}
    query = hash_embeddings.embed_query("grow tomatoes")
    hits, exhausted = index.query(query, 6, namespace_prefix=("docs",))
    assert len(hits) == 6 and exhausted  # the probe saw the whole collection
    assert {h.entry_id for h in hits} == {f"{i}#{p}" for i, ps in fields.items() for p in ps}
    items = best_per_item(hits, 2)
    assert [h.item_id for h in items] == ["i1", "i2"]
    assert items[0].path == "body"
    assert items[0].entry_id == "i1#body"


def test_upsert_validates_entries(index: ChromaIndex) -> None:
    a = make_entry("a", ("n",), [1.0, 0.0])
    with pytest.raises(ValueError, match="duplicate"):
        index.upsert([a, make_entry("a", ("n",), [0.0, 1.0])])
    with pytest.raises(ValueError, match="vector"):
        index.upsert([make_entry("b", ("n",), None)])
    with pytest.raises(ValueError, match="namespace"):
        index.upsert([make_entry("c", (), [1.0, 0.0])])
    index.upsert([])
    assert index.count() == 0


def test_large_upsert_is_batched(index: ChromaIndex, hash_embeddings: HashEmbeddings) -> None:
    n = 5000  # more than one 4,096-entry request
    vectors = hash_embeddings.embed_documents([f"item number {i} word{i % 97}" for i in range(n)])
    index.upsert([make_entry(f"i{i}", ("bulk",), v) for i, v in enumerate(vectors)])
    assert index.count() == n
    assert len(index.item_ids(("bulk",))) == n
    assert len(index.hashes()) == n
    index.delete(item_ids=[f"i{i}" for i in range(n)])
    assert index.count() == 0


def test_hashes(index: ChromaIndex, hash_embeddings: HashEmbeddings) -> None:
    assert index.hashes() == {}
    fill(index, hash_embeddings)
    index.upsert([make_entry("x", ("other",), [1.0] + [0.0] * 63, "title", hash="abc")])
    assert index.hashes() == {
        "agent.qa/q1#$": "h-agent.qa/q1-$",
        "agent.qa/q2#$": "h-agent.qa/q2-$",
        "agent.support/s1#$": "h-agent.support/s1-$",
        "business.saas/b1#$": "h-business.saas/b1-$",
        "x#title": "abc",
    }
    index.delete(item_ids=["x"])
    assert "x#title" not in index.hashes()


def test_expired_and_set_expiry(index: ChromaIndex) -> None:
    index.upsert(
        [
            make_entry("a", ("n", "1"), [1.0, 0.0], expires_ms=1_000),
            make_entry("a", ("n", "1"), [0.9, 0.1], "title", expires_ms=1_000),
            make_entry("b", ("n", "2"), [0.0, 1.0], expires_ms=2_000),
            make_entry("c", ("n", "2"), [0.5, 0.5], expires_ms=NEVER),
        ]
    )
    assert index.expired(999) == {}
    assert index.expired(1_000) == {"a#$": "a", "a#title": "a"}  # at the expiry: expired
    assert index.expired(5_000) == {"a#$": "a", "a#title": "a", "b#$": "b"}
    assert index.expired(NEVER - 1) == index.expired(5_000)

    index.set_expiry(["a#$", "a#title", "c#$"], [10_000, 10_000, 3_000])
    assert index.expired(5_000) == {"b#$": "b", "c#$": "c"}
    assert index.expired(10_000) == {"a#$": "a", "a#title": "a", "b#$": "b", "c#$": "c"}
    # The other metadata is kept: hashes, prefix queries and item ids still work.
    assert index.hashes()["c#$"] == "h-c-$"
    hits, _ = index.query([1.0, 0.0], 5, namespace_prefix=("n", "1"))
    assert {h.entry_id for h in hits} == {"a#$", "a#title"}
    assert index.item_ids(("n", "2")) == {"b", "c"}
    index.set_expiry([], [])
    with pytest.raises(ValueError, match="one expiry per id"):
        index.set_expiry(["a#$"], [1, 2])


def test_reset_keeps_configuration(index: ChromaIndex, hash_embeddings: HashEmbeddings) -> None:
    fill(index, hash_embeddings)
    index.set_ef_search(64)
    old_id = index.collection.id
    index.reset()
    assert index.collection.id != old_id
    assert index.count() == 0 and index.hashes() == {}
    hnsw = index.collection.configuration["hnsw"]
    assert hnsw["space"] == "cosine"
    assert hnsw["ef_search"] == 64
    # Refilled after the reset (what a rebuild does).
    entries = [
        make_entry(f"r{i}", ("rebuilt",), hash_embeddings.embed_query(f"text {i}"))
        for i in range(10)
    ]
    for start in range(0, len(entries), 3):
        index.upsert(entries[start : start + 3])
    assert index.item_ids() == {f"r{i}" for i in range(10)}


def test_reset_and_reopen_need_the_client(index: ChromaIndex) -> None:
    bare = ChromaIndex(collection=index.collection)
    bare.upsert([make_entry("a", ("n",), [1.0, 0.0])])
    assert bare.count() == 1
    with pytest.raises(RuntimeError, match="client"):
        bare.reset()
    with pytest.raises(RuntimeError, match="client"):
        bare.reopen()


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
    hits, _ = second.query(hash_embeddings.embed_query("revenue"), 1)
    assert hits[0].item_id == "business.saas/b1"
    assert second.hashes()["business.saas/b1#$"] == "h-business.saas/b1-$"


def test_environment_selects_persistent_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collection_name: str
) -> None:
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    monkeypatch.setenv("GENESIS_CHROMA_PATH", str(tmp_path / "from-env"))
    monkeypatch.setenv("GENESIS_CHROMA_COLLECTION", collection_name)
    index = ChromaIndex.from_config()
    index.upsert([make_entry("a", ("n",), [1.0, 0.0])])
    assert index.name == collection_name
    assert (tmp_path / "from-env").is_dir()


# -- a collection rebuilt by another client ----------------------------------------------------


def test_collection_rebuilt_by_another_client_is_reopened(
    open_index: Callable[[], ChromaIndex],
) -> None:
    first, other = open_index(), open_index()
    assert first.client is not other.client
    a, b = make_entry("a", ("n",), [1.0, 0.0]), make_entry("b", ("n",), [0.0, 1.0])
    first.upsert([a])
    assert other.count() == 1

    operations: dict[str, Callable[[ChromaIndex], object]] = {
        "upsert": lambda ix: ix.upsert([b]),
        "delete": lambda ix: ix.delete(ids=["a#$"]),
        "delete items": lambda ix: ix.delete(item_ids=["a"]),
        "query": lambda ix: ix.query([1.0, 0.0], 3),
        "prefix query": lambda ix: ix.query([1.0, 0.0], 3, ("n",)),
        "hashes": lambda ix: ix.hashes(),
        "expired": lambda ix: ix.expired(NEVER),
        "set_expiry": lambda ix: ix.set_expiry(["a#$"], [5]),
        "count": lambda ix: ix.count(),
        "item_ids": lambda ix: ix.item_ids(("n",)),
    }
    for name, operation in operations.items():
        stale = first.collection.id
        other.reset()  # deletes and re-creates the collection under the same name
        assert other.collection.id != stale
        operation(first)  # no error: the index reopened the collection and ran again
        assert first.collection.id == other.collection.id, name

    other.reset()
    first.upsert([a, b])
    assert other.item_ids() == {"a", "b"}
    hits, exhausted = first.query([1.0, 0.0], 1, ("n",))
    assert [h.item_id for h in hits] == ["a"] and not exhausted
    other.reset()
    assert first.query([1.0, 0.0], 5, ("n",)) == ([], True)
    assert first.hashes() == {}


async def test_async_embedded_index_reopens_a_rebuilt_collection(
    open_index: Callable[[], ChromaIndex],
) -> None:
    index = AsyncChromaIndex.from_sync(open_index())
    other = open_index()
    await index.upsert([make_entry("a", ("n",), [1.0, 0.0])])
    other.reset()
    assert await index.count() == 0
    await index.upsert([make_entry("b", ("n",), [0.0, 1.0])])
    assert other.item_ids() == {"b"}
    assert index.sync_index is not None
    assert index.sync_index.collection.id == other.collection.id
    other.reset()
    assert await index.query([0.0, 1.0], 2, ("n",)) == ([], True)
    other.reset()
    assert await index.hashes() == {}
    # reopen() through the async API follows the shared sync index.
    other.reset()
    await index.reopen()
    assert index.collection.id == other.collection.id == index.sync_index.collection.id


# -- prefix queries: probe first, then the filtered query ---------------------------------------


@pytest.fixture
def big_and_small(index: ChromaIndex) -> ChromaIndex:
    """400 entries under ("big", "s0|s1|s2") close to (1, 0, 0, 0), nearest first by number, and
    4 under ("small",) pointing away from it (never among the unfiltered nearest 200), nearest
    first by number too."""
    entries = [
        make_entry(f"b{i:03d}", ("big", f"s{i % 3}"), unit(1.0, 0.01 * i, 0.0, 0.0))
        for i in range(400)
    ]
    entries += [
        make_entry(f"s{j}", ("small",), unit(-(1.0 + 0.1 * j), 0.0, 0.0, 1.0)) for j in range(4)
    ]
    index.upsert(entries)
    return index


QUERY = [1.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("prefix", "n", "expected", "filtered", "exhausted"),
    [
        # Broad prefixes: answered by the unfiltered probe, one request, more entries remain.
        (("big",), 10, [f"b{i:03d}" for i in range(10)], False, False),
        (("big", "s1"), 5, [f"b{i:03d}" for i in (1, 4, 7, 10, 13)], False, False),
        # No prefix: one unfiltered query.
        ((), 10, [f"b{i:03d}" for i in range(10)], False, False),
        # Narrow prefixes: the probe finds too few, the filtered query answers.
        (("small",), 3, ["s0", "s1", "s2"], True, False),
        (("small",), 10, ["s0", "s1", "s2", "s3"], True, True),
        (("nothing",), 5, [], True, True),
        (("big", "s1", "deeper"), 5, [], True, True),
    ],
)
def test_prefix_query_paths(
    big_and_small: ChromaIndex,
    prefix: tuple[str, ...],
    n: int,
    expected: list[str],
    filtered: bool,
    exhausted: bool,
) -> None:
    index = big_and_small
    (hits, done), calls = run_recorded(plan_query(QUERY, n, prefix), index.collection)
    if prefix:
        assert calls[0].kwargs["n_results"] == max(PROBE_MIN, 20 * n)
        assert "where" not in calls[0].kwargs
    if filtered:
        assert len(calls) == 2
        assert calls[1].kwargs["where"] == namespace_where(prefix)
        assert calls[1].kwargs["n_results"] == n
    else:
        assert len(calls) == 1
    assert done is exhausted
    assert [h.item_id for h in hits] == expected
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    # ChromaIndex.query runs that same plan.
    got, got_exhausted = index.query(QUERY, n, namespace_prefix=prefix)
    assert ([h.entry_id for h in got], got_exhausted) == ([h.entry_id for h in hits], done)


def test_everything_asked_for_is_exhausted(big_and_small: ChromaIndex) -> None:
    hits, exhausted = big_and_small.query(QUERY, 1000)
    assert len(hits) == 404 and exhausted
    hits, exhausted = big_and_small.query(QUERY, 1000, ("big",))
    assert len(hits) == 400 and exhausted
    assert {h.item_id for h in hits} == {f"b{i:03d}" for i in range(400)}


@pytest.mark.parametrize(
    ("prefix", "n", "count", "exhausted"),
    [
        (("agent",), 2, 2, False),  # 3 match: one more remains
        (("agent",), 3, 3, True),  # the probe saw the whole collection: nothing remains
        (("agent", "qa"), 5, 2, True),
        (("business",), 1, 1, True),
    ],
)
def test_probe_covering_the_whole_collection(
    index: ChromaIndex,
    hash_embeddings: HashEmbeddings,
    prefix: tuple[str, ...],
    n: int,
    count: int,
    exhausted: bool,
) -> None:
    fill(index, hash_embeddings)  # 4 entries: fewer than the probe asks for
    query = hash_embeddings.embed_query("cat")
    (hits, done), calls = run_recorded(plan_query(query, n, prefix), index.collection)
    assert len(calls) == 1  # no filtered query needed
    assert (len(hits), done) == (count, exhausted)
    assert all(f"{h.item_id.split('/')[0]}.".startswith(f"{'.'.join(prefix)}.") for h in hits)
    assert index.query(query, n, prefix) == (hits, done)


def test_broad_and_narrow_prefixes_match_the_filtered_query(
    index: ChromaIndex, hash_embeddings: HashEmbeddings
) -> None:
    # 400 entries under ("big",) and 4 under ("small",): a broad prefix is answered from the
    # unfiltered probe, a narrow one falls back to Chroma's filtered query; both must agree
    # with a query filtered by Chroma directly.
    texts: list[tuple[str, tuple[str, ...], str]] = [
        (f"b{i}", ("big", f"s{i % 3}"), f"common words item {i} topic{i % 17}") for i in range(400)
    ]
    texts += [(f"s{i}", ("small",), f"common words rare{i}") for i in range(4)]
    namespaces = {k: ns for k, ns, _ in texts}
    vectors = hash_embeddings.embed_documents([t for _, _, t in texts])
    index.upsert([make_entry(k, ns, v) for (k, ns, _), v in zip(texts, vectors, strict=True)])
    query = hash_embeddings.embed_query("common words topic3")
    for prefix, n in ((("big",), 10), (("big", "s1"), 5), (("small",), 3), (("small",), 10)):
        auto, _ = index.query(query, n, namespace_prefix=prefix)
        forced = index.collection.query(
            query_embeddings=[query],
            n_results=n,
            where=namespace_where(prefix),
            include=["distances"],
        )
        # Same nearest scores (many texts tie, so the order among equals may differ).
        assert [round(h.score, 5) for h in auto] == [
            round(1.0 - d, 5) for d in forced["distances"][0]
        ], prefix
        assert all(namespaces[h.item_id][: len(prefix)] == prefix for h in auto)
    hits, exhausted = index.query(query, 10, namespace_prefix=("small",))
    assert len(hits) == 4 and exhausted


# -- async on embedded Chroma --------------------------------------------------------------------


async def test_async_index_on_embedded_chroma(
    collection_name: str, hash_embeddings: HashEmbeddings
) -> None:
    index = await AsyncChromaIndex.from_config(in_memory=True, collection=collection_name)
    assert isinstance(index, AsyncDerivedIndex)
    assert isinstance(index.sync_index, ChromaIndex)  # embedded: worker threads
    texts = {"a": "red apples", "b": "green pears", "c": "red cars"}
    vectors = await hash_embeddings.aembed_documents(list(texts.values()))
    await index.upsert(
        [
            make_entry(
                k, ("fruit" if k != "c" else "cars",), v, expires_ms=100 if k == "b" else NEVER
            )
            for k, v in zip(texts, vectors, strict=True)
        ]
    )
    assert await index.count() == 3
    query = await hash_embeddings.aembed_query("red")
    both = await asyncio.gather(
        index.query(query, 5), index.query(query, 5, namespace_prefix=("fruit",))
    )
    assert {h.item_id for h in both[0][0]} == {"a", "b", "c"} and both[0][1]
    assert both[1][0][0].item_id == "a" and both[1][1]
    assert await index.hashes() == {"a#$": "h-a-$", "b#$": "h-b-$", "c#$": "h-c-$"}
    assert await index.expired(100) == {"b#$": "b"}
    await index.set_expiry(["b#$"], [NEVER])
    assert await index.expired(100) == {}
    with pytest.raises(TypeError):
        await index.query("red", 5)
    await index.delete(item_ids=["a"])
    assert await index.count() == 2
    await index.delete(ids=["b#$"])
    assert index.sync_index is not None and index.sync_index.item_ids() == {"c"}
    await index.reset()
    assert await index.count() == 0
    assert index.collection.id == index.sync_index.collection.id
