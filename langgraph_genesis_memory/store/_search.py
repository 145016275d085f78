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
  (:func:`~langgraph_genesis_memory.index._fusion.reciprocal_rank_fusion`), with the **graph**
  ranking when the store's ``graph_weight`` is above 0; the score is the fused RRF score.
* **graph**: the graph ranking alone (:mod:`~langgraph_genesis_memory.store._graph`): seeds from
  the fused meaning-and-words ranking, then the items their links reach.
* Time (:mod:`~langgraph_genesis_memory.store._time`): ``recency_weight`` fuses a ranking by
  event time (newest first) and ``resolve_dates`` one of the items whose event time falls in
  the dates the query mentions, both by RRF.

Items that neither ranking places (no shared word, no vector) follow, unscored, as in
LangGraph's ``InMemoryStore``. Pages (``offset``/``limit``) are cut from one order that does not
depend on the page and whose ties are broken by ``_id``, so pages are stable while the data does
not change.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from langgraph.store.base import SearchOp

from langgraph_genesis_memory._mongo import Count, Find, Parallel
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory._services import IndexDelete, IndexName, IndexQuery, RankWords
from langgraph_genesis_memory.errors import UnindexedItemsWarning
from langgraph_genesis_memory.index._base import best_per_item
from langgraph_genesis_memory.index._fusion import reciprocal_rank_fusion
from langgraph_genesis_memory.store._documents import NAMESPACE_SEP, encode_path, extract_text
from langgraph_genesis_memory.store._graph import LINK_FIELD, graph_scores, plan_walk
from langgraph_genesis_memory.store._indexing import WHOLE_RESULT, index_paths
from langgraph_genesis_memory.store._options import SearchMode, SearchOptions, options_of
from langgraph_genesis_memory.store._queries import AFTER_SEP, and_
from langgraph_genesis_memory.store._time import VALID_FROM_MS, VALID_TO_MS, resolve_periods

WALK_PROJECTION = {"_id": 1, LINK_FIELD: 1}
"""What the graph walk reads of the items it reaches."""
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
        graph_weight: RRF weight of the graph ranking in hybrid search (0: left out).
        graph_depth: Hops the graph walk takes (0: none).
        graph_seeds: How many of the best meaning-and-words items seed the walk.
        graph_decay: Factor applied to a score per hop.
    """

    mode: SearchMode = "hybrid"
    lexical: LexicalEngine = "scan"
    rrf_k: float = 20.0
    fusion_depth: int = 50
    vector_weight: float = 1.0
    vector_fields: list[str] | None = None
    graph_weight: float = 0.0
    graph_depth: int = 1
    graph_seeds: int = 10
    graph_decay: float = 0.5


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
    (and returns them whole, ready for the page); their validity in time is checked on what it
    returns, so a found item missing from it is dead (deleted or expired). Without a filter,
    a third step drops the entries of dead items from the indexes.

    Returns:
        A plan whose value is the documents read, by ``_id``.
    """
    docs: dict[str, dict[str, Any]] = {}
    # Validity in time is checked on the documents read (see _valid_then), the rest by MongoDB.
    unchecked = {k: v for k, v in checks.items() if k not in (VALID_FROM_MS, VALID_TO_MS)}
    # The _ids of items under the prefix start with it: the indexes may select by id.
    id_prefix = encode_path(prefix) + NAMESPACE_SEP if prefix else ""
    todo = list(rankings)
    for ranking in todo:
        # Ask for a few more than needed: only expired or deleted items (and facts not valid at
        # the search's time) drop out unless a filter applies (then twice as many); a short
        # round asks again for four times as many. Every candidate is read from MongoDB, whose
        # cost grows with the documents read.
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
        read: set[str] = set()
        if wanted:
            for doc in (yield Find(and_({"_id": {"$in": wanted}}, unchecked), projection,
                                   batch_size=len(wanted))):  # fmt: skip
                read.add(doc["_id"])
                if _valid_then(doc, checks):
                    docs[doc["_id"]] = doc
        # Entries of deleted or expired items (e.g. removed by MongoDB's TTL monitor) can never
        # be returned again: drop them from the indexes on the way. Facts that are no longer
        # (or not yet) valid were read, so they are kept.
        gone = [i for i in wanted if i not in read]
        if gone and not filtered:
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


def _ids(ranking: Sequence[tuple[str, Any]]) -> list[str]:
    return [i for i, _ in ranking]


def _valid_then(doc: Mapping[str, Any], checks: Mapping[str, Any]) -> bool:
    """Whether ``doc`` meets the validity clauses of ``checks`` (``valid_to_ms`` ``$gt`` and,
    with ``as_of``, ``valid_from_ms`` ``$lte``: see ``_time.validity``), as MongoDB would."""
    for name, test in ((VALID_TO_MS, "$gt"), (VALID_FROM_MS, "$lte")):
        clause = checks.get(name)
        if clause is None:
            continue
        held = doc.get(name)
        if not isinstance(held, int):
            return False
        bound = clause[test]
        if not (held > bound if test == "$gt" else held <= bound):
            return False
    return True


def _read_missing(
    docs: dict[str, dict[str, Any]], ids: Sequence[str], projection: dict[str, Any] | None
) -> Plan[None]:
    """Read the documents of ``ids`` not in ``docs`` yet (ids a ranking placed, so already
    checked) into ``docs``: one MongoDB read, none if all are there."""
    unread = [i for i in ids if i not in docs]
    if unread:
        for doc in (yield Find({"_id": {"$in": unread}}, projection, batch_size=len(unread))):
            docs[doc["_id"]] = doc


def _recency(docs: Mapping[str, Mapping[str, Any]], ids: Sequence[str]) -> list[str]:
    """``ids`` newest event time first (items without one last), ties by id."""

    def key(i: str) -> tuple[int, str]:
        moment = docs.get(i, {}).get("valid_from_ms")
        return (-int(moment) if isinstance(moment, int) else 0, i)

    return sorted(ids, key=key)


def _dated(
    query: str, options: SearchOptions, now_ms: int, scope: dict[str, Any], depth: int,
    projection: dict[str, Any] | None,
) -> Plan[tuple[list[str], dict[str, dict[str, Any]]]]:  # fmt: skip
    """Items whose event time falls in the dates the query mentions, nearest to their middle
    first (one MongoDB read; none when the query mentions no date)."""
    reference = options.reference_time
    if reference is None:
        reference = datetime.fromtimestamp(now_ms / 1000, UTC)
    periods = resolve_periods(query, reference)
    if not periods:
        return [], {}
    spans = [{"valid_from_ms": {"$gte": p.start_ms, "$lt": p.end_ms}} for p in periods]
    docs = yield Find(and_(scope, {"$or": spans}), projection, sort=[("_id", 1)],
                      limit=WHOLE_RESULT, batch_size=WHOLE_RESULT)  # fmt: skip

    def distance(doc: Mapping[str, Any]) -> tuple[int, str]:
        moment = int(doc.get("valid_from_ms") or 0)
        return min(abs(moment - (p.start_ms + p.end_ms) // 2) for p in periods), doc["_id"]

    ordered = sorted(docs, key=distance)[:depth]
    return [d["_id"] for d in ordered], {d["_id"]: d for d in ordered}


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
        op: The search op (``query`` set, ``limit > 0``); a
            :class:`~langgraph_genesis_memory.store._options.GenesisSearchOp` carries options.
        prefix: Its validated namespace prefix.
        prefix_scope: The MongoDB clause selecting items under the prefix (``_id`` range).
        checks: The clauses every result must meet (not expired, the translated filter,
            validity in time, access clauses); the graph walk is restricted by them too.
        now_ms: The batch's clock, epoch milliseconds.
        projection: The item fields to read for the page.
        settings: Mode and fusion settings.
        embedding: The query's embedding, or ``None`` without a vector index.

    Returns:
        A plan whose value is the page: ``(document, score)`` pairs, best first.
    """
    assert op.query
    options = options_of(op)
    want = op.offset + op.limit
    mode = options.search_mode or settings.mode
    window = max(settings.fusion_depth, 1)
    depth = settings.graph_depth if options.graph_depth is None else options.graph_depth
    graph_weight = settings.graph_weight if options.graph_weight is None else options.graph_weight
    fuse_graph = graph_weight > 0 and depth > 0
    if embedding is None and (mode == "vector" or (mode == "hybrid" and not fuse_graph)):
        mode = "lexical"  # no vector index: words (hybrid then fuses words and the graph)
    graph = mode == "graph" or (mode == "hybrid" and fuse_graph)
    seeds_needed = max(settings.graph_seeds, want) if mode == "graph" else settings.graph_seeds
    vector: list[tuple[str, float]] = []
    words: list[tuple[str, float]] = []
    scored: list[tuple[str, float]] = []
    candidates: list[str] | None = None
    rankings: list[_Ranking] = []
    if embedding is not None and mode in ("vector", "hybrid", "graph"):
        rankings.append(_Ranking("vectors", embedding, want if mode == "vector" else window))
    if mode != "vector" and settings.lexical == "index":
        rankings.append(_Ranking("words", op.query, max(want, window)))
    filtered = bool(set(checks) - {"expires_at_ms", VALID_FROM_MS, VALID_TO_MS})
    docs = yield from _index_rankings(rankings, prefix, checks, projection, filtered)
    for ranking in rankings:
        if ranking.index == "vectors":
            vector = ranking.hits
        else:
            words = ranking.hits
    if mode != "vector" and settings.lexical != "index":
        words, candidates = yield from _lexical_ranking(
            op.query, prefix, prefix_scope, checks, max(want, window), settings
        )
    base = [_ids(vector[:window]), _ids(words[:window])]
    lists: list[list[str]] = []
    weights: list[float] = []
    if mode == "hybrid":
        lists, weights = base, [settings.vector_weight, 1.0]
    elif mode != "graph":
        lists, weights = [_ids(vector if mode == "vector" else words)], [1.0]
    if graph:
        fused = reciprocal_rank_fusion(
            [r for r in base if r], k=settings.rrf_k,
            weights=[w for r, w in zip(base, [settings.vector_weight, 1.0], strict=True) if r],
        )  # fmt: skip
        seeds = [i for i, _ in sorted(fused, key=lambda p: (-p[1], p[0]))][:seeds_needed]
        yield from _read_missing(docs, seeds, projection)
        seed_docs = {i: docs[i] for i in seeds if i in docs}
        # The walk reads ids and links only; the few reached items a page shows are read whole
        # below (a hop can reach hundreds of items, most of which no page shows).
        _, hops = yield from plan_walk(seed_docs, prefix_scope, checks, depth, WALK_PROJECTION)
        scored = graph_scores([i for i in seeds if i in docs], hops, settings.rrf_k,
                              settings.graph_decay)  # fmt: skip
        lists.append(_ids(scored[: max(window, want)]))
        weights.append(graph_weight if mode == "hybrid" else 1.0)
    if options.recency_weight > 0:
        listed = list(dict.fromkeys(i for r in lists for i in r))
        yield from _read_missing(docs, listed, projection)
        lists.append(_recency(docs, listed))
        weights.append(options.recency_weight)
    if options.resolve_dates:
        dated, found = yield from _dated(op.query, options, now_ms, and_(prefix_scope, checks),
                                         window, projection)  # fmt: skip
        docs.update(found)
        if dated:
            lists.append(dated)
            weights.append(1.0)
    ranked: list[tuple[str, float | None]]
    if len(lists) == 1 and mode != "hybrid":
        main = {"vector": vector, "lexical": words}.get(mode)
        ranked = list(main if main is not None else scored)
    else:
        merged = reciprocal_rank_fusion(lists, k=settings.rrf_k, weights=weights)
        ranked = [(i, score) for i, score in sorted(merged, key=lambda p: (-p[1], p[0]))]
    seen = {i for i, _ in ranked}
    ranked += [(i, None) for i, _ in words if i not in seen]
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
    yield from _read_missing(docs, [i for i, _ in page], projection)
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
