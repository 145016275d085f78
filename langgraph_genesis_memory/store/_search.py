"""Ranked search: ``search(prefix, query=...)`` by words, by meaning, or both (pure plans).

* **lexical**: Okapi BM25 over Snowball-stemmed words (English stop words dropped); an item
  scores as its best indexed field. Three engines, chosen by ``lexical=``:

  - ``"index"``: the store's **word index** (:class:`~langgraph_genesis_memory.index.
    SqliteWordIndex`, SQLite FTS5), a derived index kept in step with MongoDB like the vector
    index: a query reads the posting lists of its words under the prefix, so its cost follows
    the matches, not the number of memories. The default in local mode.
  - ``"text_index"``: MongoDB's ``$text`` index (OR of the words, ranked by MongoDB's
    ``textScore``), which every MongoDB deployment has and which scales with the collection;
    the default for ``MONGODB_URI`` deployments (a file-based index would not be shared by
    several application servers). The local development server's ``$text`` requires every
    word, so local mode does not use it.
  - ``"scan"``: BM25 in memory over the texts of every live item under the prefix that passes
    the filter, read from MongoDB per query: exact, but its work grows linearly with the
    items under the prefix (fine for small namespaces; no index to keep).
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

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langgraph.store.base import SearchOp

from langgraph_genesis_memory._mongo import Count, Find, Parallel
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory._services import IndexDelete, IndexName, IndexQuery, RankWords
from langgraph_genesis_memory.errors import UnindexedItemsWarning
from langgraph_genesis_memory.index._base import best_per_item
from langgraph_genesis_memory.index._fusion import reciprocal_rank_fusion
from langgraph_genesis_memory.store._documents import NAMESPACE_SEP, encode_path, extract_text
from langgraph_genesis_memory.store._indexing import WHOLE_RESULT, index_paths
from langgraph_genesis_memory.store._queries import AFTER_SEP, and_

SearchMode = Literal["hybrid", "vector", "lexical"]
LexicalEngine = Literal["index", "text_index", "scan"]

MAX_SEARCH_TEXT = 262_144
"""Characters of an item's text kept for word ranking (longer texts are cut)."""


@dataclass(frozen=True)
class SearchSettings:
    """How ranked searches run.

    Attributes:
        mode: ``"hybrid"``, ``"vector"`` or ``"lexical"``; without a vector index always lexical.
        lexical: ``"index"`` (the word index), ``"text_index"`` (MongoDB ``$text``) or
            ``"scan"`` (in-memory BM25 over the prefix), see the module docstring.
        rrf_k: The RRF smoothing constant (20: measured better than the paper's 60 on the
            LoCoMo benchmark, see ``docs/retrieval.md``).
        fusion_depth: How many of each ranking's best items are fused (a fixed window, so
            pages do not depend on ``offset``/``limit``).
        vector_weight: Weight of the vector ranking in RRF (the lexical ranking has 1.0).
        vector_fields: The ``IndexConfig`` fields, or ``None`` without a vector index (then
            every string of a value counts for words).
    """

    mode: SearchMode = "hybrid"
    lexical: LexicalEngine = "scan"
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
    """Words ranking read from MongoDB (``text_index``, ``scan``): items sharing words with the
    query, best first; and every candidate id when known."""
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


@dataclass
class _Ranking:
    """One derived index's ranking of a search: how deep it must go and what it found."""

    index: IndexName
    query: Sequence[float] | str
    depth: int
    n: int = 0
    hits: list[tuple[str, float]] = field(default_factory=list)
    exhausted: bool = False

    def satisfied(self, kept: int) -> bool:
        return kept >= self.depth or self.exhausted


def _index_rankings(
    rankings: list[_Ranking],
    prefix: tuple[str, ...],
    checks: dict[str, Any],
    projection: dict[str, Any] | None,
    filtered: bool,
) -> Plan[dict[str, dict[str, Any]]]:
    """Fill each ranking with the best live items passing ``checks`` (best first), asking the
    indexes for more until each has its ``depth`` or has no further matches.

    Each round is two steps whatever the number of indexes: one step asking every index at
    once, and one MongoDB read of the found items that keeps only live ones passing the filter
    (and returns them whole, ready for the page).

    Returns:
        A plan whose value is the documents read, by ``_id``.
    """
    docs: dict[str, dict[str, Any]] = {}
    # The _ids of items under the prefix start with it: the indexes may select by id.
    id_prefix = encode_path(prefix) + NAMESPACE_SEP if prefix else ""
    todo = list(rankings)
    for ranking in todo:
        # Ask for a few more than needed: only expired or deleted items drop out unless a filter
        # applies (then twice as many); a short round asks again for four times as many. Every
        # candidate is read from MongoDB, whose cost grows with the documents read.
        depth = ranking.depth
        ranking.n = max(2 * depth, 20) if filtered else max(depth + max(5, depth // 10), 10)
    while todo:
        answers = yield Parallel(tuple(
            IndexQuery(index=r.index, query=r.query, n=r.n, namespace_prefix=prefix,
                       id_prefix=id_prefix)
            for r in todo
        ))  # fmt: skip
        found: dict[IndexName, list[Any]] = {}
        for ranking, (hits, exhausted) in zip(todo, answers, strict=True):
            found[ranking.index] = best_per_item(hits)
            ranking.exhausted = exhausted
        wanted = sorted({h.item_id for hits in found.values() for h in hits} - docs.keys())
        if wanted:
            for doc in (yield Find(and_({"_id": {"$in": wanted}}, checks), projection,
                                   batch_size=len(wanted))):  # fmt: skip
                docs[doc["_id"]] = doc
        gone = [i for i in wanted if i not in docs]
        if gone and not filtered:
            # Entries of deleted or expired items (e.g. removed by MongoDB's TTL monitor): they
            # can never be returned again, so drop them from the indexes on the way.
            yield Parallel(tuple(
                IndexDelete(index=r.index, item_ids=gone, tolerate=True) for r in todo
            ))  # fmt: skip
        still = []
        for ranking in todo:
            kept = [(h.item_id, h.score) for h in found[ranking.index] if h.item_id in docs]
            kept.sort(key=lambda pair: (-pair[1], pair[0]))
            ranking.hits = kept[: ranking.depth]
            if not ranking.satisfied(len(kept)):
                ranking.n *= 4
                still.append(ranking)
        todo = still
    return docs


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
    rankings: list[_Ranking] = []
    if mode in ("vector", "hybrid"):
        assert embedding is not None
        rankings.append(_Ranking("vectors", embedding, want if mode == "vector" else window))
    if mode in ("lexical", "hybrid") and settings.lexical == "index":
        rankings.append(_Ranking("words", op.query, max(want, window)))
    filtered = bool(set(checks) - {"expires_at_ms"})
    docs = yield from _index_rankings(rankings, prefix, checks, projection, filtered)
    for ranking in rankings:
        if ranking.index == "vectors":
            vector = ranking.hits
        else:
            words = ranking.hits
    if mode in ("lexical", "hybrid") and settings.lexical != "index":
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
    missing = [i for i, _ in page if i not in docs]
    if missing:
        for doc in (yield Find({"_id": {"$in": missing}}, projection, batch_size=len(missing))):
            docs[doc["_id"]] = doc
    result = [(docs[i], score) for i, score in page if i in docs]
    indexes = [r.index for r in rankings]
    if any(score is None and _unindexed(doc, indexes) for doc, score in result):
        # Items no index ranks because they are not in it: say how many, and what to run.
        unindexed = {"$or": [{"index_pending": True}, *({i: None} for i in indexes)]}
        count = yield Count(and_(prefix_scope, checks, unindexed))
        warnings.warn(
            f"{count} item(s) under {prefix!r} are not in the "
            f"{' and '.join(indexes)} index(es) (written before the index was configured, "
            "or their index update failed), so ranked search can only list them unscored: "
            "run store.reindex() (or `genesis-memory reindex`).",
            UnindexedItemsWarning,
            stacklevel=2,
        )
    return result


def _unindexed(doc: Mapping[str, Any], indexes: Sequence[str]) -> bool:
    """Whether a stored item is missing from (or pending repair in) a derived index."""
    return bool(doc.get("index_pending")) or any(doc.get(i) is None for i in indexes)
