"""Links between items, and the graph ranking of ``search_mode="graph"`` (pure plans).

**Writing links.** An item's value may carry the documented field ``relationships``, a list
of ``{"namespace": [...], "key": "...", "type": "..."}`` (``namespace`` defaults to the item's
own, ``type`` to ``"related"``): the item links to those items. :meth:`GenesisStore.link` /
``unlink`` edit that list on a stored item. A put records the targets' ``_id``\\ s on the
document as a flat array, ``link_to`` (plus automatic links, :mod:`._autolink`), which is what
MongoDB traverses; the value keeps what its writer wrote.

**Traversal.** A breadth-first walk, two round trips per depth: from the items of one depth,
the next depth is every item they link to or that links to them (links are followed both ways).
First the ids of the items linking to the frontier, ``{"link_to": {"$in": frontier}}`` alone
(ids only, on the ``link_to`` index, at most :data:`MAX_LINKING` of them); then the documents of
those ids and of the frontier's targets, ``{"_id": {"$in": ids}}`` ANDed with the search's
``checks`` (liveness, filter, validity in time, and any access clause a policy adds), so a walk
never reaches what the search itself could not return. The search's prefix clause (an ``_id``
range) is applied to the ids themselves: ids outside it are never read. Conditions are split
this way because the local development server answers ``link_to`` ANDed with other conditions
by evaluating every document (122.7 ms against 21.8 ms alone and 2.2 ms for the ``_id`` read, on a
2,760-item collection); on MongoDB both reads are plain index lookups.
This is what MongoDB's ``$graphLookup`` does internally (``connectFromField: "link_to"``,
``connectToField: "_id"``, ``restrictSearchWithMatch``), written as plain ``find``\\ s because
(1) it gives the same results on every deployment and on the local development server, whose
``$graphLookup`` answers without error but finds nothing; (2) each depth needs the edges both
ways, which one ``$graphLookup`` does not follow; (3) the score needs each item's parents;
(4) depths are small (1-2), so the round trips are few and each is one indexed ``$in``.

**Deletes and expiry.** A delete pulls its ``_id`` from every ``link_to`` in the same bulk
write; a sweep does the same for the expired items it removes. A link to an item that is gone
otherwise (removed by MongoDB's TTL monitor) leads nowhere: traversal reads only live items.

**The graph ranking.** Seeds are the best ``graph_seeds`` items of the meaning-and-words
ranking (RRF of both); seed ``r`` (1-based) scores ``1 / (k + r)``, ``k`` the store's RRF
constant. Scores then spread along the links, one hop at a time (spreading activation): at the
first hop, a seed linked with other seeds adds ``decay`` (0.5) times their scores to its own,
and an item first reached at hop ``h`` scores ``decay`` times the sum of the scores of the items
of hop ``h - 1`` linked with it. So two matches that are linked support each other, and an item
that matches nothing but is linked with good matches enters the ranking. The graph ranking
orders seeds and reached items by that score (ties by ``_id``); hybrid search fuses it with the
meaning and words rankings by RRF with weight ``graph_weight``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langgraph_genesis_memory._mongo import Find
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.errors import InvalidValueError
from langgraph_genesis_memory.store._documents import item_id
from langgraph_genesis_memory.store._queries import flat_and
from langgraph_genesis_memory.store._validation import validate_key, validate_namespace

RELATIONSHIPS = "relationships"
"""The value field listing an item's links."""

LINK_FIELD = "link_to"
"""The document field MongoDB traverses: the ``_id``\\ s the item links to."""

MAX_LINKS = 1000
"""Most links one item may carry (written and automatic together)."""

MAX_TYPE_CHARS = 64
"""Longest relation type."""

DEFAULT_TYPE = "related"
"""The relation type of a link written without one."""

MAX_REACHED = 500
"""Most items one depth of a walk reads (a cap against hubs; the rest are not ranked)."""

MAX_LINKING = 5000
"""Most ids of linking items one depth of a walk reads (before the prefix and checks)."""


@dataclass(frozen=True)
class Link:
    """One link of an item: the target and the relation type."""

    namespace: tuple[str, ...]
    key: str
    type: str = DEFAULT_TYPE

    @property
    def target_id(self) -> str:
        """The target's document ``_id``."""
        return item_id(self.namespace, self.key)

    def to_value(self) -> dict[str, Any]:
        """The link as written in a value's ``relationships``."""
        return {"namespace": list(self.namespace), "key": self.key, "type": self.type}


def check_type(kind: object, where: str) -> str:
    """A relation type: a non-empty string of at most :data:`MAX_TYPE_CHARS` characters.

    Raises:
        InvalidValueError: Otherwise.
    """
    if not isinstance(kind, str) or not kind or len(kind) > MAX_TYPE_CHARS:
        raise InvalidValueError(
            f"{where} must be a non-empty string of at most {MAX_TYPE_CHARS} characters; "
            f"got {kind!r:.80}."
        )
    return kind


def parse_link(spec: object, own: tuple[str, ...], where: str) -> Link:
    """One ``relationships`` entry as a :class:`Link`.

    Raises:
        InvalidValueError: If it is not ``{"namespace"?, "key", "type"?}`` with a valid
            namespace and key (and no other fields).
    """
    if not isinstance(spec, Mapping) or "key" not in spec:
        raise InvalidValueError(
            f"{where} must be {{'namespace': [...], 'key': '...', 'type': '...'}} "
            f"('namespace' and 'type' optional); got {spec!r:.80}."
        )
    extra = set(spec) - {"namespace", "key", "type"}
    if extra:
        raise InvalidValueError(f"{where} has unknown fields {sorted(extra)!r}.")
    try:
        raw = spec.get("namespace")
        namespace = own if raw is None else validate_namespace(tuple(raw))
        key = validate_key(spec["key"])
    except (ValueError, TypeError) as exc:
        raise InvalidValueError(f"{where}: {exc}") from None
    return Link(namespace, key, check_type(spec.get("type", DEFAULT_TYPE), f"{where}['type']"))


def parse_relationships(value: Mapping[str, Any], namespace: tuple[str, ...]) -> list[Link]:
    """The links a value declares in ``relationships`` (none without the field).

    Raises:
        InvalidValueError: If the field is not a list of link objects, or holds more than
            :data:`MAX_LINKS`.
    """
    specs = value.get(RELATIONSHIPS)
    if specs is None:
        return []
    if not isinstance(specs, list | tuple):
        raise InvalidValueError(
            f"value[{RELATIONSHIPS!r}] must be a list of {{'namespace', 'key', 'type'}} "
            f"objects; got {specs!r:.80}."
        )
    if len(specs) > MAX_LINKS:
        raise InvalidValueError(
            f"value[{RELATIONSHIPS!r}] holds {len(specs)} links; at most {MAX_LINKS}."
        )
    return [
        parse_link(spec, namespace, f"value[{RELATIONSHIPS!r}][{i}]")
        for i, spec in enumerate(specs)
    ]


def with_link(value: Mapping[str, Any], own: tuple[str, ...], link: Link) -> dict[str, Any]:
    """A copy of ``value`` (of an item in namespace ``own``) whose ``relationships`` also hold
    ``link``, unless they already do (an entry without ``namespace`` is in ``own``).

    Raises:
        InvalidValueError: If the value's ``relationships`` are malformed (see
            :func:`parse_relationships`).
    """
    present = parse_relationships(value, own)  # first: it refuses malformed entries
    specs = [dict(spec) for spec in value.get(RELATIONSHIPS) or ()]
    if link not in present:
        specs.append(link.to_value())
    return {**value, RELATIONSHIPS: specs}


def without_link(
    value: Mapping[str, Any], own: tuple[str, ...], target: tuple[tuple[str, ...], str],
    kind: str | None,
) -> dict[str, Any]:  # fmt: skip
    """A copy of ``value`` without its links to ``target`` (of type ``kind``; ``None``: all)."""
    kept = []
    for i, spec in enumerate(value.get(RELATIONSHIPS) or ()):
        link = parse_link(spec, own, f"value[{RELATIONSHIPS!r}][{i}]")
        if (link.namespace, link.key) == target and kind in (None, link.type):
            continue
        kept.append(dict(spec))
    return {**value, RELATIONSHIPS: kept}


# -- traversal and ranking ---------------------------------------------------------------------
def _targets(doc: Mapping[str, Any]) -> list[str]:
    return [t for t in doc.get(LINK_FIELD) or () if isinstance(t, str)]


def plan_walk(
    seeds: Mapping[str, Mapping[str, Any]],
    prefix_scope: dict[str, Any],
    checks: dict[str, Any],
    depth: int,
    projection: dict[str, Any] | None,
) -> Plan[tuple[dict[str, dict[str, Any]], list[dict[str, list[str]]]]]:
    """Walk the links from ``seeds`` (their documents), ``depth`` hops, both directions.

    Every read is restricted by ``prefix_scope`` and ``checks``, so the walk reaches only
    items the search could return.

    Args:
        seeds: The seed documents by ``_id`` (with their ``link_to``).
        prefix_scope: The search's namespace-prefix clause.
        checks: The search's checks (liveness, filter, time validity, access clauses).
        depth: Hops to walk (0: none).
        projection: The item fields to read.

    Returns:
        A plan whose value is ``(documents reached by _id, hops)``: ``hops[h]`` maps each item
        first reached at depth ``h + 1`` to the items of depth ``h`` linked with it; ``hops[0]``
        also maps each seed linked with other seeds to them.
    """
    frontier: dict[str, Mapping[str, Any]] = dict(seeds)
    seen = set(frontier)
    reached: dict[str, dict[str, Any]] = {}
    hops: list[dict[str, list[str]]] = []
    for hop in range(depth):
        if not frontier:
            break
        # Seeds linked with each other (known without a read) count at the first hop.
        among = _among(seeds) if hop == 0 else {}
        out = [t for t in sorted({t for d in frontier.values() for t in _targets(d)} - seen)
               if _inside(t, prefix_scope)]  # fmt: skip
        ids = sorted(frontier)
        cap = MAX_REACHED + len(ids)
        linking = yield Find({LINK_FIELD: {"$in": ids}}, {"_id": 1}, sort=[("_id", 1)],
                             limit=MAX_LINKING, batch_size=MAX_LINKING)  # fmt: skip
        wanted = sorted({*out, *(d["_id"] for d in linking if _inside(d["_id"], prefix_scope))}
                        - seen)  # fmt: skip
        docs = []
        if wanted:
            docs = yield Find(flat_and([{"_id": {"$in": wanted}}, checks]), projection,
                              sort=[("_id", 1)], limit=cap, batch_size=cap)  # fmt: skip
        parents: dict[str, list[str]] = {}
        for doc in docs:
            doc_id = doc["_id"]
            if doc_id in seen or not _inside(doc_id, prefix_scope):
                continue
            via = [f for f in ids if f in set(_targets(doc))]
            via += [f for f, fdoc in frontier.items() if doc_id in _targets(fdoc) and f not in via]
            if via:
                parents[doc_id] = sorted(via)
                reached[doc_id] = doc
            if len(parents) >= MAX_REACHED:
                break
        hops.append({**among, **parents})
        seen |= parents.keys()
        frontier = {i: reached[i] for i in parents}
    return reached, hops


def _inside(doc_id: str, prefix_scope: Mapping[str, Any]) -> bool:
    """Whether ``doc_id`` lies in the search's prefix clause (an ``_id`` range, or ``{}``)."""
    bounds = prefix_scope.get("_id")
    return bounds is None or bounds["$gte"] <= doc_id < bounds["$lt"]


def _among(docs: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """For each of ``docs``, the others linked with it (either way)."""
    linked: dict[str, set[str]] = {}
    for doc_id, doc in docs.items():
        for target in _targets(doc):
            if target in docs and target != doc_id:
                linked.setdefault(doc_id, set()).add(target)
                linked.setdefault(target, set()).add(doc_id)
    return {doc_id: sorted(via) for doc_id, via in linked.items()}


def graph_scores(
    seeds: Sequence[str], hops: Sequence[Mapping[str, Sequence[str]]], k: float, decay: float
) -> list[tuple[str, float]]:
    """The graph ranking (see the module docstring): seeds and reached items, best first.

    Args:
        seeds: Seed ids, best first (seed ``r`` scores ``1 / (k + r)``).
        hops: From :func:`plan_walk`: per depth, each new item's parents.
        k: The RRF constant.
        decay: Factor applied per hop.

    Returns:
        ``(id, score)`` pairs, highest first, ties by id.
    """
    score = {s: 1.0 / (k + r) for r, s in enumerate(seeds, start=1)}
    for parents in hops:
        before = dict(score)
        for doc_id, via in parents.items():
            gained = decay * sum(before.get(p, 0.0) for p in via)
            score[doc_id] = before.get(doc_id, 0.0) + gained
    return sorted(score.items(), key=lambda pair: (-pair[1], pair[0]))
