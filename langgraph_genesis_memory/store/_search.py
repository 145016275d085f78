"""Ranked search: ``search(prefix, query=...)`` by words, by meaning, or both (pure plans).

* **lexical** (always available): Okapi BM25 (the ``bm25s`` library, Snowball-stemmed words;
  an item scores as its best indexed field) over the indexed texts of the live items under the
  namespace prefix that pass the filter, read from their values fetched from MongoDB in one
  query (no copy of the text is stored). Work grows linearly with the number of items under the
  prefix, which suits per-conversation, per-user and per-agent namespaces (thousands to tens of
  thousands of items); ``lexical="text_index"`` uses MongoDB's ``$text`` index instead, which
  scales with the collection on real MongoDB (the local development server's ``$text`` requires
  every word, so it is not the default).
* **vector**: the query is embedded and the vector index returns the nearest entries under the
  prefix (an item scores as its best field, cosine similarity); MongoDB then keeps only live
  items that pass the filter, and the index is asked for more until the page is full or the
  index is exhausted.
* **hybrid**: the best ``fusion_depth`` (50) of both rankings fused by reciprocal rank fusion
  (:func:`~langgraph_genesis_memory.index._fusion.reciprocal_rank_fusion`); the score is the
  fused RRF score.

Items that neither ranking places (no shared word, no vector) follow, unscored, as in
LangGraph's ``InMemoryStore``. Pages (``offset``/``limit``) are cut from one order that does not
depend on the page and whose ties are broken by ``_id``, so pages are stable while the data does
not change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.store.base import SearchOp

from langgraph_genesis_memory._mongo import Find
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory._services import IndexDelete, IndexQuery, RankWords
from langgraph_genesis_memory.index._base import best_per_item
from langgraph_genesis_memory.index._fusion import reciprocal_rank_fusion
from langgraph_genesis_memory.store._documents import encode_path, extract_text
from langgraph_genesis_memory.store._indexing import WHOLE_RESULT, index_paths
from langgraph_genesis_memory.store._queries import AFTER_SEP, and_

SearchMode = Literal["hybrid", "vector", "lexical"]

MAX_SEARCH_TEXT = 262_144
"""Characters of an item's text kept for word ranking (longer texts are cut)."""


@dataclass(frozen=True)
class SearchSettings:
    """How ranked searches run.

    Attributes:
        mode: ``"hybrid"``, ``"vector"`` or ``"lexical"``; without a vector index always lexical.
        lexical: ``"bm25"`` (default) or ``"text_index"`` (MongoDB ``$text``).
        rrf_k: The RRF smoothing constant (20: measured better than the paper's 60 on the
            LoCoMo benchmark, see ``docs/retrieval.md``).
        fusion_depth: How many of each ranking's best items are fused (a fixed window, so
            pages do not depend on ``offset``/``limit``).
        vector_weight: Weight of the vector ranking in RRF (the lexical ranking has 1.0).
        vector_fields: The ``IndexConfig`` fields, or ``None`` without a vector index (then
            every string of a value counts for words).
    """

    mode: SearchMode = "hybrid"
    lexical: Literal["bm25", "text_index"] = "bm25"
    rrf_k: float = 20.0
    fusion_depth: int = 50
    vector_weight: float = 1.0
    vector_fields: list[str] | None = None


def lexical_text(value: Mapping[str, Any], index: object, vector_fields: list[str] | None) -> str:
    """The words an item keeps for MongoDB's ``$text`` index: its indexed fields, else every
    string (without a vector index a put's ``index=`` is ignored, as in LangGraph)."""
    if vector_fields is None:
        paths: list[str] | None = None
    else:
        paths = index_paths(index, vector_fields)
        if not paths:
            return ""
    return "\n".join(extract_text(value, paths))[:MAX_SEARCH_TEXT]


def doc_texts(doc: Mapping[str, Any], vector_fields: list[str] | None) -> list[str]:
    """The texts of a stored document for word ranking: one per indexed field.

    With a vector index, the same fields the vectors come from (so words and meaning rank the
    same texts); without one, all of the value's strings as one text.
    """
    value = doc.get("value") or {}
    if vector_fields is None:
        return ["\n".join(extract_text(value, None))[:MAX_SEARCH_TEXT]]
    paths = index_paths(doc.get("index_paths"), vector_fields)
    texts = ["\n".join(extract_text(value, [p]))[:MAX_SEARCH_TEXT] for p in paths]
    return [t for t in texts if t]


def _lexical_ranking(
    query: str,
    prefix: tuple[str, ...],
    scope: dict[str, Any],
    checks: dict[str, Any],
    depth: int,
    settings: SearchSettings,
) -> Plan[tuple[list[tuple[str, float]], list[str] | None]]:
    """Items sharing words with the query, best first; and every candidate id when known."""
    if settings.lexical == "text_index":
        # The prefix as a range of ns_key (not _id): $text plans well with it.
        encoded = encode_path(prefix)
        ns_scope = {"ns_key": {"$gte": encoded, "$lt": encoded + AFTER_SEP}} if prefix else {}
        docs = yield Find(
            and_(ns_scope, checks, {"$text": {"$search": query}}),
            {"score": {"$meta": "textScore"}},
            sort=[("score", {"$meta": "textScore"}), ("_id", 1)],
            limit=depth,
        )
        return [(d["_id"], float(d.get("score") or 0.0)) for d in docs], None
    docs = yield Find(
        and_(scope, checks), {"value": 1, "index_paths": 1}, sort=[("_id", 1)],
        batch_size=WHOLE_RESULT,
    )  # fmt: skip
    ids = [d["_id"] for d in docs]
    if not docs:
        return [], ids
    owners: list[str] = []
    texts: list[str] = []
    for doc in docs:
        for text in doc_texts(doc, settings.vector_fields):
            owners.append(doc["_id"])
            texts.append(text)
    ranked = yield RankWords(ids=owners, texts=texts, query=query)
    return ranked, ids


def _vector_ranking(
    embedding: Sequence[float],
    prefix: tuple[str, ...],
    checks: dict[str, Any],
    now_ms: int,
    depth: int,
) -> Plan[list[tuple[str, float]]]:
    n_results = max(2 * depth, 20)
    while True:
        hits, exhausted = yield IndexQuery(query=embedding, n=n_results, namespace_prefix=prefix)
        best = best_per_item(hits)
        ids = [h.item_id for h in best]
        if not ids:
            return []
        found = yield Find({"_id": {"$in": ids}}, {"expires_at_ms": 1}, batch_size=len(ids))
        live = {d["_id"] for d in found if d.get("expires_at_ms", 0) > now_ms}
        gone = [i for i in ids if i not in live]
        if gone:
            # Entries of deleted or expired items (e.g. removed by MongoDB's TTL monitor): they
            # can never be returned again, so drop them from the index on the way.
            yield IndexDelete(item_ids=gone, tolerate=True)
        if set(checks) - {"expires_at_ms"} and live:
            passing = yield Find(
                and_(checks, {"_id": {"$in": sorted(live)}}), {"_id": 1}, batch_size=len(live)
            )
            live = {d["_id"] for d in passing}
        kept = [(h.item_id, h.score) for h in best if h.item_id in live]
        if len(kept) >= depth or exhausted:
            kept.sort(key=lambda pair: (-pair[1], pair[0]))
            return kept[:depth]
        n_results *= 4


def plan_ranked_search(
    op: SearchOp,
    prefix: tuple[str, ...],
    prefix_scope: dict[str, Any],
    checks: dict[str, Any],
    now_ms: int,
    projection: dict[str, Any] | None,
    settings: SearchSettings,
    embedding: Sequence[float] | None,
) -> Plan[list[tuple[dict[str, Any], float | None]]]:
    """Run one ``SearchOp`` that has a ``query`` (see the module docstring).

    The whole order is a function of the data and the query alone, never of ``offset`` or
    ``limit``, so consecutive pages neither repeat nor skip items: ranked items come first
    (hybrid: the RRF fusion of the top ``fusion_depth`` of each ranking, then further word
    matches), then, as in LangGraph's ``InMemoryStore``, the remaining items that pass the
    filter, unscored (``score=None``), in ``_id`` order.

    Args:
        op: The search op (``query`` set, ``limit > 0``).
        prefix: Its validated namespace prefix.
        prefix_scope: The MongoDB clause selecting items under the prefix (``_id`` range).
        checks: The clauses every result must meet (not expired, the translated filter).
        now_ms: The batch's clock, epoch milliseconds.
        projection: The item fields to read for the page.
        settings: Mode and fusion settings.
        embedding: The query's embedding, or ``None`` without a vector index.

    Returns:
        A plan whose value is the page: ``(document, score)`` pairs, best first.
    """
    assert op.query
    want = op.offset + op.limit
    mode = settings.mode if embedding is not None else "lexical"
    window = max(settings.fusion_depth, 1)
    vector: list[tuple[str, float]] = []
    words: list[tuple[str, float]] = []
    candidates: list[str] | None = None
    if mode in ("vector", "hybrid"):
        assert embedding is not None
        depth = want if mode == "vector" else window
        vector = yield from _vector_ranking(embedding, prefix, checks, now_ms, depth)
    if mode in ("lexical", "hybrid"):
        words, candidates = yield from _lexical_ranking(
            op.query, prefix, prefix_scope, checks, max(want, window), settings
        )
    ranked: list[tuple[str, float | None]]
    if mode == "hybrid":
        fused = reciprocal_rank_fusion(
            [[i for i, _ in vector[:window]], [i for i, _ in words[:window]]],
            k=settings.rrf_k,
            weights=[settings.vector_weight, 1.0],
        )
        ranked = [(i, score) for i, score in sorted(fused, key=lambda p: (-p[1], p[0]))]
        seen = {i for i, _ in ranked}
        ranked += [(i, None) for i, _ in words if i not in seen]
    else:
        ranked = list(vector if mode == "vector" else words)
    if len(ranked) < want:
        seen = {i for i, _ in ranked}
        if candidates is None:
            found = yield Find(
                and_(prefix_scope, checks), {"_id": 1}, sort=[("_id", 1)],
                limit=want + len(seen), batch_size=want + len(seen),
            )  # fmt: skip
            candidates = [d["_id"] for d in found]
        ranked += [(i, None) for i in candidates if i not in seen]
    page = ranked[op.offset : want]
    if not page:
        return []
    docs = yield Find({"_id": {"$in": [i for i, _ in page]}}, projection, batch_size=len(page))
    by_id = {d["_id"]: d for d in docs}
    return [(by_id[i], score) for i, score in page if i in by_id]
