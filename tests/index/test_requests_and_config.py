"""Pure helpers: entry ids, metadata, namespace-prefix where clauses, call plans, configuration.

The call plans are pure generators (no I/O): these tests feed them answers shaped like Chroma's
to check the requests they make and how they read the answers; the same plans run against real
Chroma in ``test_chroma_index.py`` and ``test_chroma_server.py``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.index import IndexHit, entry_id, resolve_chroma_config
from langgraph_genesis_memory.index._base import best_per_item
from langgraph_genesis_memory.index._requests import (
    BATCH,
    PAGE,
    ChromaCall,
    chunked,
    metadata_of,
    namespace_where,
    plan_count,
    plan_delete,
    plan_list,
    plan_query,
    plan_set_expiry,
    plan_upsert,
    probe_size,
)
from tests.index.helpers import make_entry


def drive(plan: Generator[ChromaCall, Any, Any], *answers: Any) -> tuple[Any, list[ChromaCall]]:
    """Run a plan, answering its calls in order; return its value and the calls it made."""
    calls: list[ChromaCall] = []
    pending = list(answers)
    try:
        call = next(plan)
        while True:
            calls.append(call)
            call = plan.send(pending.pop(0) if pending else None)
    except StopIteration as stop:
        return stop.value, calls


def query_result(rows: list[tuple[str, float, dict | None]]) -> dict:
    """A Chroma query answer for one query vector: ``(id, distance, metadata)`` rows."""
    return {
        "ids": [[r[0] for r in rows]],
        "distances": [[r[1] for r in rows]],
        "metadatas": [[r[2] for r in rows]],
    }


def test_entry_id_and_metadata() -> None:
    assert entry_id("abc", "a.b") == "abc#a.b"
    entry = make_entry("abc", ("agent", "qa", "u1"), [1.0], key="k1", hash="h1", expires_ms=7)
    assert entry.id == "abc#$"
    assert metadata_of(entry) == {
        "item_id": "abc",
        "path": "$",
        "key": "k1",
        "h": "h1",
        "exp": 7,
        "ns": "agent.qa.u1",
        "depth": 3,
        "p1": "agent",
        "p2": "agent.qa",
        "p3": "agent.qa.u1",
    }


def test_metadata_refuses_empty_namespace() -> None:
    with pytest.raises(ValueError, match="namespace"):
        metadata_of(make_entry("abc", (), [1.0]))


def test_where_clauses() -> None:
    assert namespace_where(()) is None
    assert namespace_where(("agent",)) == {"p1": {"$eq": "agent"}}
    assert namespace_where(("agent", "qa")) == {"p2": {"$eq": "agent.qa"}}


def test_best_per_item_keeps_the_best_field() -> None:
    hits = [
        IndexHit("a", "a#x", 0.5),
        IndexHit("b", "b#$", 0.8),
        IndexHit("a", "a#y", 0.9, "y"),
    ]
    best = best_per_item(hits)
    assert [(h.item_id, h.entry_id) for h in best] == [("a", "a#y"), ("b", "b#$")]
    assert best[0].score == pytest.approx(0.9) and best[0].path == "y"
    assert [h.item_id for h in best_per_item(hits, 1)] == ["a"]
    assert best_per_item([]) == []
    # Ties keep the input order.
    tied = [IndexHit("b", "b#$", 0.5), IndexHit("a", "a#$", 0.5)]
    assert [h.item_id for h in best_per_item(tied)] == ["b", "a"]


def test_chunked() -> None:
    assert chunked([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunked([], 3) == []
    assert chunked([1, 2], 0) == [[1], [2]]


def test_config_precedence() -> None:
    env = {"CHROMA_HOST": "chroma.internal", "CHROMA_PORT": "9000", "CHROMA_SSL": "true"}
    assert resolve_chroma_config(env=env) == {
        "mode": "http",
        "host": "chroma.internal",
        "port": 9000,
        "ssl": True,
        "headers": {},
        "collection": "genesis_memory",
    }
    # Arguments win over the environment; in_memory wins over everything.
    assert resolve_chroma_config(path="/d", env=env)["mode"] == "persistent"
    assert resolve_chroma_config(in_memory=True, env=env)["mode"] == "memory"
    env2 = {"GENESIS_CHROMA_PATH": "/data/chroma", "GENESIS_CHROMA_COLLECTION": "mem"}
    assert resolve_chroma_config(env=env2) == {
        "mode": "persistent",
        "path": "/data/chroma",
        "collection": "mem",
    }
    assert resolve_chroma_config(env={}) == {"mode": "memory", "collection": "genesis_memory"}


def test_config_errors() -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        resolve_chroma_config(host="h", path="/p", env={})
    with pytest.raises(ConfigurationError, match="CHROMA_PORT"):
        resolve_chroma_config(env={"CHROMA_HOST": "h", "CHROMA_PORT": "eighty"})


# -- call plans ----------------------------------------------------------------------------------


def test_probe_size() -> None:
    assert probe_size(10, ()) is None
    assert probe_size(5, ("a",)) == 200
    assert probe_size(100, ("a",)) == 400


def test_query_reads_scores_and_falls_back_to_the_entry_id() -> None:
    answer = query_result([("i1#$", 0.1, None), ("i2#t", 0.3, {}), ("x#y#z", 0.5, {"path": 3})])
    (hits, exhausted), calls = drive(plan_query([1, 0], 5, ()), answer)
    assert [c.method for c in calls] == ["query"]
    assert calls[0].kwargs["query_embeddings"] == [[1.0, 0.0]]
    assert calls[0].kwargs["n_results"] == 5 and "where" not in calls[0].kwargs
    assert [(h.item_id, h.entry_id, h.path) for h in hits] == [
        ("i1", "i1#$", None),
        ("i2", "i2#t", None),
        ("x#y", "x#y#z", None),  # the item id is what precedes the last "#"
    ]
    assert [h.score for h in hits] == pytest.approx([0.9, 0.7, 0.5])
    assert exhausted  # 3 < 5
    (hits, exhausted), _ = drive(plan_query([1.0], 0, ()), query_result([]))
    assert hits == [] and exhausted  # n is at least 1


def test_query_prefers_metadata_item_id_and_path() -> None:
    answer = query_result([("e1", 0.0, {"item_id": "item-1", "path": "text", "p1": "a"})])
    (hits, _), _ = drive(plan_query([1.0], 1, ()), answer)
    assert hits == [IndexHit("item-1", "e1", 1.0, "text")]


def _probe_answer(prefixes: list[str]) -> dict:
    return query_result([(f"i{i}#$", i / 1000, {"p1": p}) for i, p in enumerate(prefixes)])


def test_prefix_query_answered_by_the_probe() -> None:
    probe = _probe_answer(["a" if i % 2 else "b" for i in range(200)])
    (hits, exhausted), calls = drive(plan_query([1.0], 2, ("a",)), probe)
    assert len(calls) == 1 and "where" not in calls[0].kwargs
    assert calls[0].kwargs["n_results"] == 200
    assert [h.item_id for h in hits] == ["i1", "i3"]
    assert not exhausted  # the probe did not reach the end of the collection


def test_prefix_query_probe_covering_the_collection() -> None:
    small = _probe_answer(["a" if i % 2 else "b" for i in range(6)])  # fewer than asked: all
    (hits, exhausted), calls = drive(plan_query([1.0], 2, ("a",)), small)
    assert len(calls) == 1 and [h.item_id for h in hits] == ["i1", "i3"] and not exhausted
    (hits, exhausted), calls = drive(plan_query([1.0], 3, ("a",)), small)
    assert len(calls) == 1 and [h.item_id for h in hits] == ["i1", "i3", "i5"] and exhausted
    (hits, exhausted), calls = drive(plan_query([1.0], 4, ("a",)), small)
    assert len(calls) == 1 and [h.item_id for h in hits] == ["i1", "i3", "i5"] and exhausted


def _id_probe_answer(ids: list[str]) -> dict:
    return {"ids": [ids], "distances": [[i / 1000 for i in range(len(ids))]]}


def test_prefix_query_with_an_id_prefix_reads_no_metadata() -> None:
    ids = [f"{'a' if i % 2 else 'b'}\x01k{i}#text" for i in range(200)]
    (hits, exhausted), calls = drive(plan_query([1.0], 2, ("a",), "a\x01"), _id_probe_answer(ids))
    assert len(calls) == 1 and "where" not in calls[0].kwargs
    assert calls[0].kwargs["include"] == ["distances"]
    assert [(h.item_id, h.path) for h in hits] == [("a\x01k1", "text"), ("a\x01k3", "text")]
    assert hits[0].score == pytest.approx(0.999)
    assert not exhausted


def test_id_prefix_probe_reads_the_metadata_of_ambiguous_ids_only() -> None:
    # A key holding "#": the id alone does not say where the item id ends.
    ids = ["a\x01x#y#text", "a\x01plain#text", "b\x01other#text"]
    meta = {"ids": ["a\x01x#y#text"], "metadatas": [{"item_id": "a\x01x#y", "path": "text"}]}
    (hits, exhausted), calls = drive(
        plan_query([1.0], 5, ("a",), "a\x01"), _id_probe_answer(ids), meta
    )
    assert [c.method for c in calls] == ["query", "get"]
    assert calls[1].kwargs == {"ids": ["a\x01x#y#text"], "include": ["metadatas"]}
    assert [(h.item_id, h.path) for h in hits] == [("a\x01x#y", "text"), ("a\x01plain", "text")]
    assert exhausted  # the probe held the whole collection


def test_id_prefix_probe_falls_back_to_the_filtered_query() -> None:
    ids = [f"b\x01k{i}#$" for i in range(199)] + ["a\x01k#$"]
    filtered = _probe_answer(["a", "a"])
    (hits, exhausted), calls = drive(
        plan_query([1.0], 2, ("a",), "a\x01"), _id_probe_answer(ids), filtered
    )
    assert len(calls) == 2 and calls[1].kwargs["where"] == {"p1": {"$eq": "a"}}
    assert [h.item_id for h in hits] == ["i0", "i1"] and not exhausted


def test_prefix_query_falls_back_to_the_filtered_query() -> None:
    probe = _probe_answer(["a" if i in (3, 150) else "b" for i in range(200)])
    filtered = _probe_answer(["a", "a", "a"])
    (hits, exhausted), calls = drive(plan_query([1.0], 4, ("a",)), probe, filtered)
    assert len(calls) == 2
    assert calls[1].kwargs["where"] == {"p1": {"$eq": "a"}}
    assert calls[1].kwargs["n_results"] == 4
    assert [h.item_id for h in hits] == ["i0", "i1", "i2"] and exhausted
    full = _probe_answer(["a"] * 4)
    (hits, exhausted), _ = drive(plan_query([1.0], 4, ("a",)), probe, full)
    assert len(hits) == 4 and not exhausted
    # A deeper prefix filters on its own depth.
    (_, _), calls = drive(plan_query([1.0], 1, ("a", "b")), _probe_answer(["x"] * 200), full)
    assert calls[1].kwargs["where"] == {"p2": {"$eq": "a.b"}}


def test_upsert_plan_batches_and_validates() -> None:
    entries = [make_entry(f"i{i}", ("n",), [float(i), 1]) for i in range(BATCH + 10)]
    _, calls = drive(plan_upsert(entries))
    assert [c.method for c in calls] == ["upsert", "upsert"]
    assert [len(c.kwargs["ids"]) for c in calls] == [BATCH, 10]
    assert calls[1].kwargs["ids"][0] == f"i{BATCH}#$"
    assert calls[1].kwargs["embeddings"][0] == [float(BATCH), 1.0]
    assert calls[1].kwargs["metadatas"][0] == metadata_of(entries[BATCH])
    assert drive(plan_upsert([]))[1] == []
    with pytest.raises(ValueError, match="duplicate"):
        drive(plan_upsert([entries[0], entries[0]]))
    with pytest.raises(ValueError, match="vector"):
        drive(plan_upsert([make_entry("x", ("n",), None)]))


def test_delete_plan() -> None:
    ids = [f"e{i}" for i in range(BATCH + 1)]
    _, calls = drive(plan_delete(ids, ["a", "b"]))
    assert [c.kwargs for c in calls] == [
        {"ids": ids[:BATCH]},
        {"ids": ids[BATCH:]},
        {"where": {"item_id": {"$in": ["a", "b"]}}},
    ]
    assert drive(plan_delete([], []))[1] == []


def test_list_plan_pages() -> None:
    page = {"ids": [f"e{i}" for i in range(PAGE)], "metadatas": [{"h": "x"}] * PAGE}
    last = {"ids": ["a#$", "b#t"], "metadatas": [{"h": "y", "item_id": "A"}, None]}
    found, calls = drive(plan_list({"exp": {"$lte": 5}}, "h"), page, last)
    assert [c.kwargs["offset"] for c in calls] == [0, PAGE]
    assert all(c.kwargs["where"] == {"exp": {"$lte": 5}} for c in calls)
    assert len(found) == PAGE + 2 and found["a#$"] == "y" and found["b#t"] == ""
    items, calls = drive(plan_list(None, "item_id"), last)
    assert items == {"a#$": "A", "b#t": "b"}  # no item_id: the entry id before its last "#"
    assert "where" not in calls[0].kwargs


def test_set_expiry_plan() -> None:
    ids = [f"e{i}" for i in range(BATCH + 1)]
    _, calls = drive(plan_set_expiry(ids, list(range(BATCH + 1))))
    assert [c.method for c in calls] == ["update", "update"]
    assert calls[1].kwargs == {"ids": [f"e{BATCH}"], "metadatas": [{"exp": BATCH}]}
    with pytest.raises(ValueError, match="one expiry per id"):
        drive(plan_set_expiry(["a"], [1, 2]))


def test_count_plan() -> None:
    count, calls = drive(plan_count(), 7)
    assert count == 7 and calls == [ChromaCall("count")]
