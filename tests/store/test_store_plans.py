"""The store's plans driven without a server: canned results in, requests out.

The batch logic is a plan (a generator of requests), so its decisions and its round trips can
be checked exactly, without MongoDB: what each step sends, how many steps a batch takes, and how
answers map back to results. The same plans run against the real server in the other tests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from langgraph.store.base import GetOp, ListNamespacesOp, PutOp, SearchOp
from pymongo import DeleteOne, UpdateMany, UpdateOne
from pymongo.results import BulkWriteResult

from langgraph_genesis_memory._mongo import Aggregate, BulkWrite, Find, Parallel
from langgraph_genesis_memory._plans import drive
from langgraph_genesis_memory._services import Embed, IndexQuery, RankWords
from langgraph_genesis_memory.errors import InvalidNamespaceError
from langgraph_genesis_memory.index._base import IndexHit
from langgraph_genesis_memory.index._lexical import WordRanker
from langgraph_genesis_memory.store._batch import StoreSchema, plan_batch
from langgraph_genesis_memory.store._queries import epoch_ms
from langgraph_genesis_memory.store._search import SearchSettings
from langgraph_genesis_memory.store._ttl import TTLPolicy

NOW = datetime(2026, 1, 1, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


class Recorder:
    """Serves a plan's requests from ``answer(request)`` and records every round trip."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.trips: list[Any] = []

    def __call__(self, request: Any) -> Any:
        self.trips.append(request)
        if isinstance(request, Parallel):
            return [self.answer(r) for r in request.requests]
        return self.answer(request)


def _doc(doc_id: str, value: dict[str, Any], ttl: float | None = None) -> dict[str, Any]:
    # As stored from schema 3 on: with its validity in time (valid since always, current).
    return {"_id": doc_id, "value": value, "ttl": ttl, "expires_at_ms": 2**62, "valid_from_ms": 0,
            "valid_to_ms": 2**62, "created_at": NOW, "updated_at": NOW}  # fmt: skip


def _bulk(n: int) -> BulkWriteResult:
    return BulkWriteResult({"nMatched": n, "nUpserted": 0, "nModified": n}, True)


SCHEMA = StoreSchema(ttl=TTLPolicy())


def test_a_batch_of_gets_and_puts_is_two_round_trips() -> None:
    stored = {"agent\x01qa\x01a": _doc("agent\x01qa\x01a", {"v": 1}, ttl=60.0)}

    def answer(req: Any) -> Any:
        if isinstance(req, Find):
            return [stored[i] for i in req.filter["_id"]["$in"] if i in stored]
        if isinstance(req, BulkWrite):
            return _bulk(len(req.requests))
        raise AssertionError(req)

    ops = [GetOp(("agent", "qa"), "a"), GetOp(("agent", "qa"), "missing")]
    ops += [PutOp(("agent", "qa"), f"k{i}", {"i": i}) for i in range(50)]
    ops += [PutOp(("agent", "qa"), "k0", None)]  # the last put of k0 wins: a delete
    run = Recorder(answer)
    results = drive(plan_batch(ops, SCHEMA, NOW), run)

    assert [type(t) for t in run.trips] == [Parallel, BulkWrite]
    (find,) = run.trips[0].requests
    assert sorted(find.filter["_id"]["$in"]) == ["agent\x01qa\x01a", "agent\x01qa\x01missing"]
    assert find.filter["expires_at_ms"] == {"$gt": NOW_MS}
    writes = run.trips[1].requests
    refresh, *models = writes
    assert isinstance(refresh, UpdateMany)  # the read of "a" slides its 60-minute TTL
    assert refresh._filter["_id"] == {"$in": ["agent\x01qa\x01a"]}
    *models, unlink = models
    assert len(models) == 50 and isinstance(models[0], DeleteOne)
    assert all(isinstance(m, UpdateOne) for m in models[1:])
    # Links to the deleted item go in the same bulk write (issue 15).
    assert isinstance(unlink, UpdateMany)
    assert unlink._filter == {"link_to": {"$in": ["agent\x01qa\x01k0"]}}
    assert results[0].value == {"v": 1} and results[1] is None
    assert results[2:] == [None] * 51


def test_every_read_type_shares_one_read_step() -> None:
    def answer(req: Any) -> Any:
        if isinstance(req, Find):
            return [_doc("n\x01k", {"v": 1})]
        if isinstance(req, Aggregate):
            return [{"_id": "n"}]
        raise AssertionError(req)

    ops = [GetOp(("n",), "k"), SearchOp(("n",)), SearchOp(("n",), limit=0), ListNamespacesOp()]
    run = Recorder(answer)
    results = drive(plan_batch(ops, SCHEMA, NOW), run)
    assert len(run.trips) == 1
    assert [type(r) for r in run.trips[0].requests] == [Find, Find, Aggregate]
    assert results[0].key == "k" and [i.key for i in results[1]] == ["k"]
    assert results[2] == [] and results[3] == [("n",)]


def test_a_bad_op_sends_nothing() -> None:
    run = Recorder(lambda req: pytest.fail(f"sent {req!r}"))
    with pytest.raises(InvalidNamespaceError):
        drive(
            plan_batch([PutOp(("a",), "k", {"v": 1}), PutOp(("a.b",), "k", {})], SCHEMA, NOW), run
        )
    assert run.trips == []


def test_a_ranked_search_reads_its_candidates_then_the_page() -> None:
    docs = [_doc("n\x01tea", {"text": "green tea in the morning"}),
            _doc("n\x01hike", {"text": "hiking in the mountains"})]  # fmt: skip
    ranker = WordRanker()

    def answer(req: Any) -> Any:
        if isinstance(req, RankWords):
            return ranker.rank(req.ids, req.texts, req.query)
        if isinstance(req, Find) and "$in" in str(req.filter.get("_id", "")):
            return [d for d in docs if d["_id"] in req.filter["_id"]["$in"]]
        if isinstance(req, Find):
            return docs
        raise AssertionError(req)

    run = Recorder(answer)
    (page,) = drive(plan_batch([SearchOp(("n",), query="tea")], SCHEMA, NOW), run)
    assert [type(t) for t in run.trips] == [Find, RankWords, Find]
    assert [(i.key, i.score is not None) for i in page] == [("tea", True), ("hike", False)]


def test_a_superseded_fact_found_by_an_index_costs_no_extra_read() -> None:
    """Validity in time is checked on the candidates read, so a fact that ended is neither
    returned, nor read again, nor dropped from the index as if it were gone."""
    schema = StoreSchema(ttl=TTLPolicy(), search=SearchSettings(vector_fields=["text"]))
    ended = {**_doc("n\x01old", {"text": "alpha"}), "valid_to_ms": 1}
    docs = {d["_id"]: d for d in [_doc("n\x01new", {"text": "alpha"}), ended]}

    def answer(req: Any) -> Any:
        if isinstance(req, Embed):
            return [[1.0, 0.0]]
        if isinstance(req, IndexQuery):
            return [IndexHit("n\x01old", "n\x01old#text", 0.9),
                    IndexHit("n\x01new", "n\x01new#text", 0.8)], True  # fmt: skip
        if isinstance(req, RankWords):
            return WordRanker().rank(req.ids, req.texts, req.query)
        if isinstance(req, Find) and "$in" in req.filter["_id"]:  # the candidates
            assert "valid_to_ms" not in req.filter  # checked on what is read
            return [docs[i] for i in req.filter["_id"]["$in"] if i in docs]
        if isinstance(req, Find):  # the words side reads the prefix, as MongoDB answers it
            assert req.filter["valid_to_ms"] == {"$gt": epoch_ms(NOW)}
            return [d for d in docs.values() if d["valid_to_ms"] > epoch_ms(NOW)]
        raise AssertionError(req)

    run = Recorder(answer)
    (found,) = drive(plan_batch([SearchOp(("n",), query="alpha")], schema, NOW), run)
    assert [i.key for i in found] == ["new"]
    reads = [r for t in run.trips for r in getattr(t, "requests", [t])
             if isinstance(r, Find) and "$in" in r.filter["_id"]]  # fmt: skip
    assert len(reads) == 1


def test_hybrid_search_embeds_each_query_once_and_fuses() -> None:
    schema = StoreSchema(ttl=TTLPolicy(), search=SearchSettings(vector_fields=["text"]))
    docs = {
        d["_id"]: d for d in [_doc("n\x01a", {"text": "alpha"}), _doc("n\x01b", {"text": "beta"})]
    }

    def answer(req: Any) -> Any:
        if isinstance(req, Embed):
            assert req.query and req.texts == ["alpha"]  # two searches, one embedding
            return [[1.0, 0.0]]
        if isinstance(req, IndexQuery):
            return [
                IndexHit("n\x01b", "n\x01b#text", 0.9),
                IndexHit("n\x01a", "n\x01a#text", 0.8),
            ], True
        if isinstance(req, RankWords):
            return WordRanker().rank(req.ids, req.texts, req.query)
        if (
            isinstance(req, Find)
            and isinstance(req.filter.get("_id"), dict)
            and "$in" in req.filter["_id"]
        ):
            return [docs[i] for i in req.filter["_id"]["$in"] if i in docs]
        if isinstance(req, Find):
            return list(docs.values())
        raise AssertionError(req)

    ops = [SearchOp(("n",), query="alpha"), SearchOp(("n",), query="alpha", limit=1)]
    run = Recorder(answer)
    first, second = drive(plan_batch(ops, schema, NOW), run)
    # Words put "a" first, meaning "b": RRF with equal weights ties on rank sums, broken by
    # rank positions (a is 1st + 2nd, b is 1st only) -> a first.
    assert [i.key for i in first] == ["a", "b"]
    assert [i.key for i in second] == ["a"]
    assert isinstance(run.trips[0], Parallel) and isinstance(run.trips[0].requests[0], Embed)
