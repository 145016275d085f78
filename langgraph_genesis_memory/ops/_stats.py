"""Statistics of a store and a saver, computed by MongoDB aggregations (pure plans).

The store's statistics are one ``aggregate`` with a ``$facet`` (one pass over the collection in
MongoDB; only the totals and the top groups come back), plus the entry count of each derived
index. The saver's are one ``aggregate`` per collection. No document is read into Python.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from langgraph_genesis_memory._mongo import Aggregate
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.ops._requests import IndexCount, OnSaver
from langgraph_genesis_memory.store._documents import NAMESPACE_SEP, NEVER_MS, decode_path

DAY_MS = 24 * 3600 * 1000

_SIZE = {"$bsonSize": "$$ROOT"}


@dataclass
class GroupStats:
    """Items and bytes of one group of namespaces.

    Attributes:
        namespace: The first label (``by_label``) or the namespace prefix (``top_prefixes``).
        items: Documents in the group (including expired ones not yet swept).
        bytes: Their BSON size in bytes.
    """

    namespace: tuple[str, ...]
    items: int
    bytes: int


@dataclass
class IndexStats:
    """The derived vector index of a store.

    Attributes:
        model: The embedding model's name (class, plus its model name when it has one).
        dims: Vector dimensions.
        fields: The ``IndexConfig`` fields.
        vectors_recorded: Vectors MongoDB records for its items (what the index should hold).
        vectors_in_index: Entries the vector index holds (``None``: not reachable).
        pending: Items flagged for index repair (``store.reindex()`` repairs them).
    """

    model: str | None = None
    dims: int | None = None
    fields: list[str] | None = None
    vectors_recorded: int = 0
    vectors_in_index: int | None = None
    pending: int = 0


@dataclass
class CheckpointStats:
    """A saver's checkpoints.

    Attributes:
        threads: Threads with at least one checkpoint.
        checkpoints: Checkpoints (every namespace).
        documents: Documents of the checkpoints collection (checkpoints, channel values,
            chunks, thread expiries).
        bytes: BSON bytes of the checkpoints collection.
        writes: Pending-write documents (one per task and checkpoint).
        writes_bytes: Their BSON bytes.
    """

    threads: int = 0
    checkpoints: int = 0
    documents: int = 0
    bytes: int = 0
    writes: int = 0
    writes_bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


@dataclass
class StoreStats:
    """Statistics of a ``GenesisStore`` (see :meth:`GenesisStore.stats`).

    Attributes:
        database: The database.
        collection: The store's collection.
        items: Documents (items), including expired ones not yet swept.
        bytes: Their BSON size in bytes.
        expiring_24h: Live items whose expiry falls within the next 24 hours.
        expired_unswept: Items whose expiry has passed but that are still stored (never
            returned; removed by ``sweep()`` or MongoDB's TTL monitor).
        never_expire: Items without a TTL.
        by_label: Items and bytes per first namespace label, most items first.
        top_prefixes: The ``top`` namespace prefixes of ``depth`` labels with the most items.
        depth: The depth of ``top_prefixes``.
        index: The vector index (``None`` without one).
        pending_repair: Items flagged for derived-index repair (any index).
        checkpoints: The saver's statistics, when a saver was given.
    """

    database: str
    collection: str
    items: int = 0
    bytes: int = 0
    expiring_24h: int = 0
    expired_unswept: int = 0
    never_expire: int = 0
    by_label: list[GroupStats] = field(default_factory=list)
    top_prefixes: list[GroupStats] = field(default_factory=list)
    depth: int = 2
    index: IndexStats | None = None
    pending_repair: int = 0
    checkpoints: CheckpointStats | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (namespaces as lists of labels)."""
        out = asdict(self)
        for name in ("by_label", "top_prefixes"):
            for group in out[name]:
                group["namespace"] = list(group["namespace"])
        return out


def _prefix_expression(depth: int) -> dict[str, Any]:
    """The encoded namespace cut to its first ``depth`` labels, as one string."""
    labels = {"$slice": [{"$split": ["$ns_key", NAMESPACE_SEP]}, depth]}
    return {
        "$reduce": {
            "input": labels,
            "initialValue": "",
            "in": {
                "$cond": [
                    {"$eq": ["$$value", ""]},
                    "$$this",
                    {"$concat": ["$$value", NAMESPACE_SEP, "$$this"]},
                ]
            },
        }
    }


def _count(answer: dict[str, Any], name: str) -> int:
    rows = answer.get(name) or []
    return int(rows[0]["n"]) if rows else 0


def _groups(rows: list[dict[str, Any]]) -> list[GroupStats]:
    return [
        GroupStats(decode_path(str(r["_id"])), int(r["items"]), int(r["bytes"]))
        for r in rows
        if r.get("_id") is not None
    ]


def store_stats_pipeline(now_ms: int, top: int, depth: int) -> list[dict[str, Any]]:
    """The ``$facet`` aggregation of :func:`plan_store_stats`."""
    group = {"items": {"$sum": 1}, "bytes": {"$sum": _SIZE}}
    order = {"$sort": {"items": -1, "_id": 1}}
    first = {"$arrayElemAt": [{"$split": ["$ns_key", NAMESPACE_SEP]}, 0]}
    return [
        {
            "$facet": {
                "total": [
                    {
                        "$group": {
                            "_id": None,
                            **group,
                            "vectors": {"$sum": {"$size": {"$ifNull": ["$vectors", []]}}},
                        }
                    }
                ],
                "expiring": [
                    {"$match": {"expires_at_ms": {"$gt": now_ms, "$lte": now_ms + DAY_MS}}},
                    {"$count": "n"},
                ],
                "expired": [{"$match": {"expires_at_ms": {"$lte": now_ms}}}, {"$count": "n"}],
                "never": [{"$match": {"expires_at_ms": {"$gte": NEVER_MS}}}, {"$count": "n"}],
                "pending": [{"$match": {"index_pending": True}}, {"$count": "n"}],
                "labels": [{"$group": {"_id": first, **group}}, order, {"$limit": 1000}],
                "prefixes": [
                    {"$group": {"_id": _prefix_expression(depth), **group}},
                    order,
                    {"$limit": top},
                ],
            }
        }
    ]


def plan_store_stats(
    *,
    database: str,
    collection: str,
    now_ms: int,
    top: int,
    depth: int,
    index: IndexStats | None,
) -> Plan[StoreStats]:
    """Compute a store's statistics.

    Args:
        database, collection: Where the store lives (for the report).
        now_ms: The clock, epoch milliseconds.
        top: How many namespace prefixes to report.
        depth: Labels per reported prefix.
        index: The vector index's description (``None`` without one); its counts are filled.
    """
    answers = yield Aggregate(store_stats_pipeline(now_ms, top, depth))
    answer = answers[0] if answers else {}
    total = (answer.get("total") or [{}])[0]
    stats = StoreStats(database=database, collection=collection, depth=depth)
    stats.items = int(total.get("items", 0))
    stats.bytes = int(total.get("bytes", 0))
    stats.expiring_24h = _count(answer, "expiring")
    stats.expired_unswept = _count(answer, "expired")
    stats.never_expire = _count(answer, "never")
    stats.pending_repair = _count(answer, "pending")
    stats.by_label = _groups(answer.get("labels") or [])
    stats.top_prefixes = _groups(answer.get("prefixes") or [])
    if index is not None:
        index.vectors_recorded = int(total.get("vectors", 0))
        index.pending = stats.pending_repair
        index.vectors_in_index = yield IndexCount("vectors")
        stats.index = index
    return stats


def plan_saver_stats(checkpoints: str, writes: str) -> Plan[CheckpointStats]:
    """Compute a saver's statistics (collections ``checkpoints`` and ``writes``)."""
    is_checkpoint = {"$match": {"kind": "checkpoint"}}
    facet = {
        "$facet": {
            "checkpoints": [is_checkpoint, {"$count": "n"}],
            "threads": [is_checkpoint, {"$group": {"_id": "$thread_id"}}, {"$count": "n"}],
            "total": [{"$group": {"_id": None, "n": {"$sum": 1}, "bytes": {"$sum": _SIZE}}}],
        }
    }
    main = yield OnSaver(Aggregate([facet], collection=checkpoints))
    rows = yield OnSaver(
        Aggregate(
            [{"$group": {"_id": None, "n": {"$sum": 1}, "bytes": {"$sum": _SIZE}}}],
            collection=writes,
        )
    )
    answer = main[0] if main else {}
    total = (answer.get("total") or [{}])[0]
    written = rows[0] if rows else {}
    return CheckpointStats(
        threads=_count(answer, "threads"),
        checkpoints=_count(answer, "checkpoints"),
        documents=int(total.get("n", 0)),
        bytes=int(total.get("bytes", 0)),
        writes=int(written.get("n", 0)),
        writes_bytes=int(written.get("bytes", 0)),
    )
