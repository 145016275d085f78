"""The health check of a store (a pure plan).

1. MongoDB: ``hello`` and ``buildInfo`` (server version, deployment kind), then a probe item
   written, read back and deleted through the store's own batch path in the ``system``
   namespace :data:`PROBE_NAMESPACE` (with a 5-minute TTL, so a probe left by a crash goes
   away), each step timed.
2. The vector index (if the store has one): its entry count, timed (reachable or not), compared
   with the vectors MongoDB records, and the items flagged for repair.

Status: ``"ok"``; ``"degraded"`` when MongoDB works but the vector index is unreachable or not
in step (items pending repair, or counts that differ: run ``store.reindex()``); ``"unavailable"``
when MongoDB fails (see :func:`~langgraph_genesis_memory.ops.health`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from langgraph.store.base import GetOp, PutOp

from langgraph_genesis_memory._mongo import Aggregate, Command, Failed
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.ops._requests import IndexCount, StoreBatch, Timed, Tolerant

PROBE_NAMESPACE = ("system", "genesis_health")
"""Where health probes are written (and deleted at once)."""

PROBE_TTL_MINUTES = 5.0
"""TTL of a probe item, in minutes (a probe left by a crash expires)."""

HealthStatus = Literal["ok", "degraded", "unavailable"]


@dataclass
class HealthReport:
    """The result of a health check (see :meth:`GenesisStore.health`).

    Attributes:
        status: ``"ok"``, ``"degraded"`` (MongoDB works; the vector index is unreachable or
            behind) or ``"unavailable"`` (MongoDB failed).
        deployment: The MongoDB hosts (never a password).
        server_version: MongoDB's version (``buildInfo``).
        deployment_kind: ``"standalone"``, ``"replica_set"`` or ``"sharded"`` (``hello``).
        latency_ms: Milliseconds per step: ``hello``, ``write``, ``read``, ``delete``,
            ``vector_index``.
        probe_ok: Whether the probe was written, read back identical, and deleted.
        vector_index: ``None`` without a vector index; else ``reachable``, ``entries``,
            ``recorded`` (vectors MongoDB records), ``pending`` (items to repair), ``in_step``.
        problems: What is wrong, in words.
    """

    status: HealthStatus = "ok"
    deployment: str = ""
    server_version: str | None = None
    deployment_kind: str | None = None
    latency_ms: dict[str, float] = field(default_factory=dict)
    probe_ok: bool = False
    vector_index: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def deployment_kind(hello: dict[str, Any]) -> str:
    """``"sharded"`` (a mongos), ``"replica_set"`` (a member of one) or ``"standalone"``."""
    if hello.get("msg") == "isdbgrid":
        return "sharded"
    if hello.get("setName"):
        return "replica_set"
    return "standalone"


def plan_health(
    *, probe_key: str, stamp: str, vectors: bool, deployment: str
) -> Plan[HealthReport]:
    """Check MongoDB and the vector index (module docstring).

    Args:
        probe_key: The key of the probe item (unique per check).
        stamp: A value written into the probe (read back and compared).
        vectors: Whether the store has a vector index.
        deployment: The MongoDB hosts, for the report.

    Raises:
        DatabaseUnavailableError: If MongoDB does not answer (the caller reports it).
    """
    report = HealthReport(deployment=deployment)
    hello, report.latency_ms["hello"] = yield Timed(Command({"hello": 1}))
    report.deployment_kind = deployment_kind(hello)
    info = yield Command({"buildInfo": 1})
    report.server_version = str(info.get("version")) if info.get("version") else None
    value = {"probe": stamp}
    put = PutOp(PROBE_NAMESPACE, probe_key, value, index=False, ttl=PROBE_TTL_MINUTES)
    _, report.latency_ms["write"] = yield Timed(StoreBatch([put]))
    got, report.latency_ms["read"] = yield Timed(
        StoreBatch([GetOp(PROBE_NAMESPACE, probe_key, refresh_ttl=False)])
    )
    _, report.latency_ms["delete"] = yield Timed(
        StoreBatch([PutOp(PROBE_NAMESPACE, probe_key, None)])
    )
    item = got[0]
    report.probe_ok = item is not None and item.value == value
    if not report.probe_ok:
        report.problems.append("the probe item did not read back as written")
    if vectors:
        counted, report.latency_ms["vector_index"] = yield Timed(Tolerant(IndexCount("vectors")))
        answers = yield Aggregate(
            [
                {
                    "$facet": {
                        "recorded": [
                            {
                                "$group": {
                                    "_id": None,
                                    "n": {"$sum": {"$size": {"$ifNull": ["$vectors", []]}}},
                                }
                            }
                        ],
                        "pending": [{"$match": {"index_pending": True}}, {"$count": "n"}],
                    }
                }
            ]
        )
        answer = answers[0] if answers else {}
        recorded = int(((answer.get("recorded") or [{}])[0]).get("n", 0))
        pending = int(((answer.get("pending") or [{}])[0]).get("n", 0))
        reachable = not isinstance(counted, Failed)
        entries = None if not reachable else int(counted)
        in_step = reachable and pending == 0 and entries == recorded
        report.vector_index = {
            "reachable": reachable,
            "entries": entries,
            "recorded": recorded,
            "pending": pending,
            "in_step": in_step,
        }
        if not reachable:
            report.problems.append(f"the vector index is unreachable: {counted.error}")
        elif not in_step:
            report.problems.append(
                f"the vector index is not in step ({entries} entries, {recorded} recorded, "
                f"{pending} item(s) pending repair): run reindex"
            )
    if report.problems:
        report.status = "degraded"
    return report
