"""Ranked search: ``search(prefix, query=...)`` by words, by meaning, or both (pure plans).

* **lexical** (always available): Okapi BM25 (the ``bm25s`` library) over the indexed text of
  the live items under the namespace prefix that pass the filter, read from their values
  fetched from MongoDB in one query (no copy of the text is stored). Work grows linearly with
  the number of items under the prefix, which suits per-conversation, per-user and per-agent
  namespaces (thousands to tens of thousands of items); ``lexical="text_index"`` uses MongoDB's
  ``$text`` index instead, which scales with the collection on real MongoDB (the local
  development server's ``$text`` requires every word, so it is not the default).
* **vector**: the query is embedded and the Chroma index returns the nearest items under the
  prefix (an item scores as its best field, cosine similarity); MongoDB then keeps only live
  items that pass the filter, and the index is asked for more until the page is full or the
  index is exhausted.
* **hybrid**: both rankings, each ``fusion_depth`` deep, fused by reciprocal rank fusion
  (:func:`~langgraph_genesis_memory.index.fusion.reciprocal_rank_fusion`); the score is the
  fused RRF score.

Pages (``offset``/``limit``) are cut from the final ranking, whose ties are broken by ``_id``,
so pages are stable while the data does not change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.store.base import SearchOp

from langgraph_genesis_memory.index.fusion import reciprocal_rank_fusion
from langgraph_genesis_memory.index.lexical import BM25Ranker
from langgraph_genesis_memory.mongo import Find, Plan
from langgraph_genesis_memory.store.documents import encode_path
from langgraph_genesis_memory.store.vectors import VectorQuery

__all__ = ["SearchSettings", "plan_ranked_search"]

SearchMode = Literal["hybrid", "vector", "lexical"]

BIG_BATCH = 100_000


@dataclass(frozen=True)
class SearchSettings:
    """How ranked searches run.

    Attributes:
        mode: ``"hybrid"``, ``"vector"`` or ``"lexical"``; without a vector index always lexical.
        lexical: ``"bm25"`` (default) or ``"text_index"`` (MongoDB ``$text``).
        rrf_k: The RRF smoothing constant (60 in the original paper).
        fusion_depth: How deep each ranking goes before fusion (at least ``offset + limit``).
        vector_weight: Weight of the vector ranking in RRF (the lexical ranking has 1.0).
    """

    mode: SearchMode = "hybrid"
    lexical: Literal["bm25", "text_index"] = "bm25"
    rrf_k: float = 60.0
    fusion_depth: int = 50
    vector_weight: float = 1.0


def _and(*clauses: dict[str, Any]) -> dict[str, Any]:
    parts = [c for c in clauses if c]
    if not parts:
        return {}
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _lexical_ranking(
    op: SearchOp,
    prefix: tuple[str, ...],
    scope: dict[str, Any],
    checks: dict[str, Any],
    depth: int,
    settings: SearchSettings,
    text_of: Callable[[dict[str, Any]], str],
) -> Plan[list[tuple[str, float]]]:
    assert op.query
    if settings.lexical == "text_index":
        # The prefix as a range of ns_key (not _id): $text plans well with it.
        encoded = encode_path(prefix)
        ns_scope = {"ns_key": {"$gte": encoded, "$lt": encoded + "\x02"}} if prefix else {}
        docs = yield Find(
            _and(ns_scope, checks, {"$text": {"$search": op.query}}),
            {"score": {"$meta": "textScore"}},
            sort=[("score", {"$meta": "textScore"}), ("_id", 1)],
            limit=depth,
        )
        return [(d["_id"], float(d.get("score") or 0.0)) for d in docs]
    docs = yield Find(_and(scope, checks), {"value": 1, "index_paths": 1}, batch_size=BIG_BATCH)
    if not docs:
        return []
    ranker = BM25Ranker([d["_id"] for d in docs], [text_of(d) for d in docs])
    ranked = [(str(i), s) for i, s in ranker.rank(op.query, max(depth, 1))]
    ranked.sort(key=lambda pair: (-pair[1], pair[0]))
    return ranked


def _vector_ranking(
    embedding: Sequence[float],
    prefix: tuple[str, ...],
    checks: dict[str, Any],
    depth: int,
) -> Plan[list[tuple[str, float]]]:
    n_results = max(2 * depth, 20)
    while True:
        hits, exhausted = yield VectorQuery(embedding, n_results, prefix)
        ids = [h.item_id for h in hits]
        if not ids:
            return []
        found = yield Find(_and(checks, {"_id": {"$in": ids}}), {"_id": 1}, batch_size=len(ids))
        alive = {d["_id"] for d in found}
        kept = [(h.item_id, h.score) for h in hits if h.item_id in alive]
        if len(kept) >= depth or exhausted:
            kept.sort(key=lambda pair: (-pair[1], pair[0]))
            return kept[:depth]
        n_results *= 4


def plan_ranked_search(
    op: SearchOp,
    prefix: tuple[str, ...],
    prefix_scope: dict[str, Any],
    checks: dict[str, Any],
    projection: dict[str, Any] | None,
    settings: SearchSettings,
    embedding: Sequence[float] | None,
    text_of: Callable[[dict[str, Any]], str],
) -> Plan[list[tuple[dict[str, Any], float]]]:
    """Run one ``SearchOp`` that has a ``query`` (see the module docstring).

    Args:
        op: The search op (``query`` set, ``limit > 0``).
        prefix: Its validated namespace prefix.
        prefix_scope: The MongoDB clause selecting items under the prefix (``_id`` range).
        checks: The clauses every result must meet (not expired, the translated filter).
        projection: The item fields to read for the page.
        settings: Mode and fusion settings.
        embedding: The query's embedding, or ``None`` without a vector index.
        text_of: The words of a stored document (its indexed fields' text), for BM25.

    Returns:
        A plan whose value is the page: ``(document, score)`` pairs, best first.
    """
    want = op.offset + op.limit
    mode = settings.mode if embedding is not None else "lexical"
    rankings: list[list[tuple[str, float]]] = []
    if mode in ("vector", "hybrid"):
        assert embedding is not None
        depth = want if mode == "vector" else max(want, settings.fusion_depth)
        rankings.append((yield from _vector_ranking(embedding, prefix, checks, depth)))
    if mode in ("lexical", "hybrid"):
        depth = want if mode == "lexical" else max(want, settings.fusion_depth)
        lexical = yield from _lexical_ranking(
            op, prefix, prefix_scope, checks, depth, settings, text_of
        )
        rankings.append(lexical)
    if mode == "hybrid":
        fused = reciprocal_rank_fusion(
            [[i for i, _ in r] for r in rankings],
            k=settings.rrf_k,
            weights=[settings.vector_weight, 1.0],
        )
        ranked = sorted(fused, key=lambda pair: (-pair[1], pair[0]))
    else:
        ranked = rankings[0]
    page = ranked[op.offset : want]
    if not page:
        return []
    docs = yield Find({"_id": {"$in": [i for i, _ in page]}}, projection, batch_size=len(page))
    by_id = {d["_id"]: d for d in docs}
    return [(by_id[i], score) for i, score in page if i in by_id]
