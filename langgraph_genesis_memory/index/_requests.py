"""Pure helpers that build Chroma requests and read Chroma answers (no I/O).

Vector ids and metadata
-----------------------
An item gets one vector per indexed JSON path. Its vector id is ``"<item_id>#<path>"``
(:func:`vector_id`), and its metadata (:func:`vector_metadata`) holds:

- ``item_id``: the item's MongoDB ``_id`` (a string), to group vectors by item;
- ``path``: the JSON path the text came from (``"$"``, ``"text"``, ``"tags[0]"``...);
- ``ns``: the namespace labels joined by ``"."`` and ``depth``: their count;
- ``p1`` ... ``pN``: the namespace prefixes of every depth, joined by ``"."``
  (for ``("agent", "qa", "u1")``: ``p1="agent"``, ``p2="agent.qa"``, ``p3="agent.qa.u1"``).

Namespace-prefix filtering
--------------------------
Chroma's ``where`` has ``$eq``/``$in``/``$and``... but no prefix match. Because LangGraph forbids
``"."`` inside namespace labels, ``".".join(prefix)`` is unambiguous, and restricting a query to
the prefix ``(l1, ..., ld)`` is the single equality ``{"p<d>": "l1. ... .ld"}``
(:func:`namespace_where`): exact, served by Chroma's metadata index, and unbounded in depth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PROBE_FACTOR = 20
"""Unfiltered over-fetch factor tried before a namespace-filtered query (see probe_size)."""
PROBE_MIN = 200
"""Smallest unfiltered over-fetch (vectors)."""

RESERVED_METADATA_KEYS = frozenset({"item_id", "path", "ns", "depth"})


@dataclass(frozen=True)
class VectorRecord:
    """One vector to write: its id, its embedding and its metadata.

    Attributes:
        id: Vector id, ``"<item_id>#<path>"`` (see :func:`vector_id`).
        embedding: The vector (``dims`` floats).
        metadata: Flat metadata (str/int/float/bool values), see :func:`vector_metadata`.
    """

    id: str
    embedding: Sequence[float]
    metadata: Mapping[str, Any]


@dataclass(frozen=True)
class IndexHit:
    """One vector (or, after :func:`best_per_item`, one item) returned by a query.

    Attributes:
        item_id: The item's ``_id`` (from the metadata).
        vector_id: The id of the matching vector (for an item: its best field's).
        distance: Chroma's cosine distance, ``1 - cosine_similarity`` (0 = same direction).
        metadata: The vector's metadata.
    """

    item_id: str
    vector_id: str
    distance: float
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """Cosine similarity, ``1 - distance`` (1 = same direction; LangGraph's search score)."""
        return 1.0 - self.distance

    @property
    def path(self) -> str | None:
        """The JSON path of the matching field, when recorded in the metadata."""
        value = self.metadata.get("path")
        return value if isinstance(value, str) else None


def vector_id(item_id: str, path: str) -> str:
    """Return the vector id of one indexed field of an item: ``"<item_id>#<path>"``.

    Args:
        item_id: The item's ``_id`` as a string.
        path: The JSON path (LangGraph syntax, e.g. ``"$"``, ``"a.b"``, ``"arr[*].x"``; for
            wildcard paths use the concrete path of each match, e.g. ``"arr[0].x"``).

    Returns:
        The vector id.
    """
    return f"{item_id}#{path}"


def vector_metadata(
    item_id: str,
    namespace: Sequence[str],
    path: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the metadata stored with one vector (see the module docstring).

    Args:
        item_id: The item's ``_id`` as a string.
        namespace: The item's namespace labels, e.g. ``("agent", "qa")``; non-empty.
        path: The JSON path the embedded text came from.
        extra: More flat metadata (str/int/float/bool values) to store, e.g. ``{"key": ...}``;
            must not use the reserved keys ``item_id``, ``path``, ``ns``, ``depth``, ``p<n>``.

    Returns:
        A flat dict accepted by Chroma.

    Raises:
        ValueError: If ``namespace`` is empty or ``extra`` uses a reserved key.
    """
    if not namespace:
        raise ValueError("namespace must have at least one label")
    metadata: dict[str, Any] = dict(extra or {})
    clash = [k for k in metadata if k in RESERVED_METADATA_KEYS or _is_prefix_key(k)]
    if clash:
        raise ValueError(f"extra metadata uses reserved keys: {sorted(clash)}")
    metadata.update(item_id=item_id, path=path, ns=".".join(namespace), depth=len(namespace))
    for depth in range(1, len(namespace) + 1):
        metadata[f"p{depth}"] = ".".join(namespace[:depth])
    return metadata


def _is_prefix_key(key: str) -> bool:
    return len(key) > 1 and key[0] == "p" and key[1:].isdigit()


def namespace_where(namespace_prefix: Sequence[str]) -> dict[str, Any] | None:
    """Chroma ``where`` clause selecting vectors whose namespace starts with a prefix.

    Args:
        namespace_prefix: Namespace labels; ``()`` means every namespace.

    Returns:
        ``{"p<d>": {"$eq": "l1.….ld"}}``, or ``None`` for the empty prefix.
    """
    if not namespace_prefix:
        return None
    return {f"p{len(namespace_prefix)}": {"$eq": ".".join(namespace_prefix)}}


def build_where(
    namespace_prefix: Sequence[str] = (),
    *,
    item_ids: Sequence[str] | None = None,
    where: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Combine a namespace prefix, a set of item ids and a raw Chroma ``where`` with ``$and``.

    Args:
        namespace_prefix: Restrict to this namespace prefix (``()``: no restriction).
        item_ids: Restrict to vectors of these items (``$in`` on ``item_id``); an empty list
            matches nothing.
        where: Any extra Chroma ``where`` clause, passed through unchanged.

    Returns:
        The combined clause, or ``None`` when there is nothing to restrict.
    """
    clauses: list[dict[str, Any]] = []
    ns_clause = namespace_where(namespace_prefix)
    if ns_clause:
        clauses.append(ns_clause)
    if item_ids is not None:
        clauses.append({"item_id": {"$in": list(item_ids)}})
    if where:
        clauses.append(dict(where))
    if not clauses:
        return None
    if len(clauses) == 1:
        return clauses[0]
    return {"$and": clauses}


def parse_query_result(result: Mapping[str, Any]) -> list[IndexHit]:
    """Turn the answer of ``collection.query`` for one query embedding into hits.

    Args:
        result: The dict returned by Chroma's ``query`` (with ``distances`` and ``metadatas``).

    Returns:
        One :class:`IndexHit` per returned vector, nearest first.
    """
    ids = (result.get("ids") or [[]])[0]
    distances = (result.get("distances") or [[]])[0] or []
    metadatas = (result.get("metadatas") or [[]])[0] or [None] * len(ids)
    hits = []
    for vid, dist, meta in zip(ids, distances, metadatas, strict=False):
        meta = dict(meta or {})
        item_id = meta.get("item_id") or vid.rsplit("#", 1)[0]
        hits.append(
            IndexHit(item_id=str(item_id), vector_id=vid, distance=float(dist), metadata=meta)
        )
    return hits


def best_per_item(hits: Sequence[IndexHit], limit: int | None = None) -> list[IndexHit]:
    """Keep each item's best (smallest-distance) vector: an item scores as its best field.

    Args:
        hits: Vector hits in any order.
        limit: Keep at most this many items (default: all).

    Returns:
        One hit per item, nearest first (ties keep the input order).
    """
    best: dict[str, IndexHit] = {}
    for hit in hits:
        current = best.get(hit.item_id)
        if current is None or hit.distance < current.distance:
            best[hit.item_id] = hit
    ranked = sorted(best.values(), key=lambda h: h.distance)
    return ranked if limit is None else ranked[:limit]


def chunked(records: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """Split a sequence into consecutive chunks of at most ``size`` elements.

    Args:
        records: The sequence to split.
        size: Maximum chunk length (``>= 1``).

    Returns:
        The chunks, in order (empty list for an empty input).
    """
    size = max(1, size)
    return [records[i : i + size] for i in range(0, len(records), size)]


def probe_size(
    n_results: int,
    namespace_prefix: Sequence[str],
    item_ids: Sequence[str] | None,
    where: Mapping[str, Any] | None,
) -> int | None:
    """How many vectors to fetch *without* a filter before falling back to a filtered query.

    Chroma evaluates a ``where`` clause by materialising every matching id first, so a filter
    that matches many vectors is slow (measured in ``benchmarks/vector_scale.py``: ~200 ms p50
    for a prefix matching 100k vectors, ~40 ms for 10k, against ~1 ms unfiltered). A prefix that
    matches many vectors is, however, well represented among the unfiltered nearest neighbours.
    So a query restricted *only* by a namespace prefix first fetches
    ``max(PROBE_MIN, PROBE_FACTOR * n_results)`` unfiltered neighbours and keeps those under the
    prefix (:func:`filter_probe`); only when too few remain does it run the filtered query,
    which is then cheap because the prefix matches few vectors.

    Args:
        n_results: Vectors wanted.
        namespace_prefix: The namespace restriction (the probe is skipped without one).
        item_ids: An item-id restriction (the probe is skipped with one).
        where: A raw ``where`` (the probe is skipped with one).

    Returns:
        The probe size, or ``None`` when the query should be filtered directly.
    """
    if not namespace_prefix or item_ids is not None or where:
        return None
    return max(PROBE_MIN, PROBE_FACTOR * n_results)


def filter_probe(
    hits: Sequence[IndexHit], namespace_prefix: Sequence[str], n_results: int, probe: int
) -> list[IndexHit] | None:
    """Keep the probe's hits under the prefix; ``None`` if a filtered query is still needed.

    Args:
        hits: The unfiltered hits (nearest first) of a probe of ``probe`` vectors.
        namespace_prefix: The namespace prefix.
        n_results: Vectors wanted.
        probe: The probe size asked for.

    Returns:
        The first ``n_results`` hits under the prefix when there are enough of them, or when the
        probe returned the whole collection (fewer hits than asked); else ``None``.
    """
    key, joined = f"p{len(namespace_prefix)}", ".".join(namespace_prefix)
    kept = [h for h in hits if h.metadata.get(key) == joined]
    if len(kept) >= n_results or len(hits) < probe:
        return kept[:n_results]
    return None
