"""What the Chroma index sends and how it reads the answers (pure: no I/O).

Entry ids and metadata
----------------------
An entry's Chroma id is its entry id ``"<item_id>#<path>"``; its metadata (:func:`metadata_of`)
holds ``item_id``, ``path``, ``key``, ``h`` (content hash), ``exp`` (the item's expiry, epoch
ms), ``ns`` (the labels joined by ``"."``), ``depth``, and ``p1`` ... ``pN``: the namespace
prefixes of every depth joined by ``"."`` (for ``("agent", "qa", "u1")``: ``p1="agent"``,
``p2="agent.qa"``, ``p3="agent.qa.u1"``).

Namespace-prefix filtering
--------------------------
Chroma's ``where`` has ``$eq``/``$in``/``$and``... but no prefix match. Because LangGraph forbids
``"."`` inside namespace labels, ``".".join(prefix)`` is unambiguous, and restricting a query to
the prefix ``(l1, ..., ld)`` is the single equality ``{"p<d>": "l1. ... .ld"}``
(:func:`namespace_where`): exact, served by Chroma's metadata index, and unbounded in depth.

Operations as call plans
------------------------
Each operation of the index is a generator that yields :class:`ChromaCall` objects (a collection
method and its arguments) and receives their results; :class:`~langgraph_genesis_memory.index.
ChromaIndex` runs them on a sync collection, :class:`~langgraph_genesis_memory.index.
AsyncChromaIndex` on an async one, so the logic exists once.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langgraph_genesis_memory.index._base import IndexEntry, IndexHit

PROBE_FACTOR = 4
"""Unfiltered over-fetch factor tried before a namespace-filtered query (see probe_size)."""
PROBE_MIN = 200
"""Smallest unfiltered over-fetch (entries)."""
BATCH = 4096
"""Entries per Chroma request."""
PAGE = 10_000
"""Entries per ``get`` page when listing."""

_INCLUDE = ["distances", "metadatas"]


@dataclass(frozen=True)
class ChromaCall:
    """One call of a Chroma collection method: ``getattr(collection, method)(**kwargs)``."""

    method: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)


CallPlan = Generator[ChromaCall, Any, Any]
"""A generator that yields Chroma calls, receives their results and returns a value."""


def chunked(records: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """Split a sequence into consecutive chunks of at most ``size`` elements."""
    size = max(1, size)
    return [records[i : i + size] for i in range(0, len(records), size)]


def metadata_of(entry: IndexEntry) -> dict[str, Any]:
    """The flat Chroma metadata of an entry (see the module docstring).

    Raises:
        ValueError: If the entry's namespace is empty.
    """
    if not entry.namespace:
        raise ValueError("an index entry needs a namespace")
    metadata: dict[str, Any] = {
        "item_id": entry.item_id,
        "path": entry.path,
        "key": entry.key,
        "h": entry.hash,
        "exp": int(entry.expires_ms),
        "ns": ".".join(entry.namespace),
        "depth": len(entry.namespace),
    }
    for depth in range(1, len(entry.namespace) + 1):
        metadata[f"p{depth}"] = ".".join(entry.namespace[:depth])
    return metadata


def namespace_where(namespace_prefix: Sequence[str]) -> dict[str, Any] | None:
    """Chroma ``where`` clause selecting entries whose namespace starts with a prefix.

    Returns:
        ``{"p<d>": {"$eq": "l1.….ld"}}``, or ``None`` for the empty prefix.
    """
    if not namespace_prefix:
        return None
    return {f"p{len(namespace_prefix)}": {"$eq": ".".join(namespace_prefix)}}


@dataclass(frozen=True)
class _Raw:
    hit: IndexHit
    metadata: Mapping[str, Any]


def _parse(result: Mapping[str, Any]) -> list[_Raw]:
    ids = (result.get("ids") or [[]])[0]
    distances = (result.get("distances") or [[]])[0] or []
    metadatas = (result.get("metadatas") or [[]])[0] or [None] * len(ids)
    out = []
    for eid, dist, meta in zip(ids, distances, metadatas, strict=False):
        meta = dict(meta or {})
        item = str(meta.get("item_id") or eid.rsplit("#", 1)[0])
        path = meta.get("path") if isinstance(meta.get("path"), str) else None
        out.append(_Raw(IndexHit(item, eid, 1.0 - float(dist), path), meta))
    return out


def probe_size(n_results: int, namespace_prefix: Sequence[str]) -> int | None:
    """How many entries to fetch *without* a filter before a namespace-filtered query.

    Chroma evaluates a ``where`` clause by materialising every matching id first, so a filter
    that matches many entries is slow (``benchmarks/vector_scale.py``: ~200 ms p50 for a prefix
    matching 100k vectors, ~1 ms unfiltered). A prefix that matches many entries is, however,
    well represented among the unfiltered nearest neighbours. So a query restricted by a
    namespace prefix first fetches ``max(PROBE_MIN, PROBE_FACTOR * n_results)`` unfiltered
    neighbours and keeps those under the prefix; only when too few remain does it run the
    filtered query, which is then cheap because the prefix matches few entries. The factor (4)
    keeps the probe cheap (400 neighbours for the 50 best of a hybrid search); a prefix holding
    less than about a quarter of the entries usually falls back to the filtered query.

    Returns:
        The probe size, or ``None`` when the query should be filtered directly (no prefix).
    """
    if not namespace_prefix:
        return None
    return max(PROBE_MIN, PROBE_FACTOR * n_results)


def plan_upsert(entries: Sequence[IndexEntry]) -> CallPlan:
    """Insert or replace entries, in requests of at most :data:`BATCH`.

    Raises:
        ValueError: If an entry has no vector or ids repeat.
    """
    if len({e.id for e in entries}) != len(entries):
        raise ValueError("duplicate entry ids in one upsert")
    for chunk in chunked(list(entries), BATCH):
        if any(e.vector is None for e in chunk):
            raise ValueError("a vector index entry needs a vector")
        yield ChromaCall(
            "upsert",
            {
                "ids": [e.id for e in chunk],
                "embeddings": [[float(x) for x in e.vector or ()] for e in chunk],
                "metadatas": [metadata_of(e) for e in chunk],
            },
        )


def plan_delete(ids: Sequence[str], item_ids: Sequence[str]) -> CallPlan:
    """Delete entries by id, and every entry of ``item_ids``."""
    for chunk in chunked(list(ids), BATCH):
        yield ChromaCall("delete", {"ids": list(chunk)})
    for chunk in chunked(list(item_ids), BATCH):
        yield ChromaCall("delete", {"where": {"item_id": {"$in": list(chunk)}}})


def _hit_of(entry_id: str, distance: float, metadata: Mapping[str, Any] | None) -> IndexHit:
    """A hit from an entry id (``"<item_id>#<path>"``) and, when read, its metadata."""
    meta = metadata or {}
    item, _, path = entry_id.rpartition("#")
    item = str(meta.get("item_id") or item or entry_id)
    found_path = meta.get("path", path)
    return IndexHit(item, entry_id, 1.0 - float(distance), found_path if found_path else None)


def plan_query(
    vector: Sequence[float], n: int, namespace_prefix: Sequence[str], id_prefix: str = ""
) -> Generator[ChromaCall, Any, tuple[list[IndexHit], bool]]:
    """The ``n`` nearest entries under a prefix (probe first, see :func:`probe_size`).

    With ``id_prefix`` (entries under the prefix are exactly those whose id starts with it)
    the probe reads ids and distances only: reading metadata costs Chroma several times more
    than the search itself (``benchmarks/search_scale.py``). An entry id whose path holds a
    ``#`` is ambiguous, so such hits have their metadata read (one ``get``).

    Returns:
        ``(hits, exhausted)``: hits nearest first; ``exhausted`` when the index holds no
        further matching entries.
    """
    embedding = [[float(x) for x in vector]]
    n = max(1, n)
    probe = probe_size(n, namespace_prefix)
    if probe is not None and id_prefix:
        result = yield ChromaCall(
            "query", {"query_embeddings": embedding, "n_results": probe, "include": ["distances"]}
        )
        ids = (result.get("ids") or [[]])[0]
        distances = (result.get("distances") or [[]])[0] or []
        kept = [(e, d) for e, d in zip(ids, distances, strict=False) if e.startswith(id_prefix)]
        if len(kept) >= n or len(ids) < probe:
            exhausted = len(kept) <= n and len(ids) < probe
            kept = kept[:n]
            ambiguous = [e for e, _ in kept if e.count("#") > 1]
            metadata: dict[str, Any] = {}
            if ambiguous:
                got = yield ChromaCall("get", {"ids": ambiguous, "include": ["metadatas"]})
                metadata = dict(zip(got.get("ids") or [], got.get("metadatas") or [], strict=False))
            return [_hit_of(e, d, metadata.get(e)) for e, d in kept], exhausted
    elif probe is not None:
        result = yield ChromaCall(
            "query", {"query_embeddings": embedding, "n_results": probe, "include": _INCLUDE}
        )
        raw = _parse(result)
        key, joined = f"p{len(namespace_prefix)}", ".".join(namespace_prefix)
        kept_raw = [r.hit for r in raw if r.metadata.get(key) == joined]
        if len(kept_raw) >= n or len(raw) < probe:
            return kept_raw[:n], len(kept_raw) <= n and len(raw) < probe
    kwargs: dict[str, Any] = {"query_embeddings": embedding, "n_results": n, "include": _INCLUDE}
    where = namespace_where(namespace_prefix)
    if where:
        kwargs["where"] = where
    result = yield ChromaCall("query", kwargs)
    hits = [r.hit for r in _parse(result)]
    return hits, len(hits) < n


def plan_list(
    where: Mapping[str, Any] | None, field_name: str
) -> Generator[ChromaCall, Any, dict[str, str]]:
    """Every entry matching ``where``: ``{entry_id: metadata[field_name]}`` (paged)."""
    found: dict[str, str] = {}
    offset = 0
    while True:
        kwargs: dict[str, Any] = {"include": ["metadatas"], "limit": PAGE, "offset": offset}
        if where:
            kwargs["where"] = dict(where)
        got = yield ChromaCall("get", kwargs)
        metadatas = got.get("metadatas") or [None] * len(got["ids"])
        for eid, meta in zip(got["ids"], metadatas, strict=False):
            value = (meta or {}).get(field_name)
            if field_name == "item_id" and not value:
                value = eid.rsplit("#", 1)[0]
            found[eid] = str(value if value is not None else "")
        if len(got["ids"]) < PAGE:
            return found
        offset += PAGE


def plan_set_expiry(ids: Sequence[str], expires_ms: Sequence[int]) -> CallPlan:
    """Record new expiries on entries (Chroma's ``update`` merges metadata)."""
    if len(ids) != len(expires_ms):
        raise ValueError("one expiry per id")
    for start in range(0, len(ids), BATCH):
        yield ChromaCall(
            "update",
            {
                "ids": list(ids[start : start + BATCH]),
                "metadatas": [{"exp": int(e)} for e in expires_ms[start : start + BATCH]],
            },
        )


def plan_call(method: str, kwargs: Mapping[str, Any]) -> CallPlan:
    """One call of any collection method, as a plan (e.g. ``modify``)."""
    return (yield ChromaCall(method, kwargs))


def plan_count() -> Generator[ChromaCall, Any, int]:
    """How many entries the collection holds."""
    return int((yield ChromaCall("count")))


def recreate_args(collection: Any) -> tuple[str, dict[str, Any]]:
    """Name and HNSW configuration to create ``collection`` again, empty."""
    hnsw = dict((collection.configuration or {}).get("hnsw") or {})
    keep = ("space", "max_neighbors", "ef_construction", "ef_search")
    return collection.name, {"hnsw": {k: hnsw[k] for k in keep if k in hnsw}}
