"""The audit log of a store with an access policy: denied ops and writes, with a TTL.

With ``GenesisStore(audit_ttl=minutes)`` every denied op (one record: the op the policy refused,
or the batch's first op when it had no principal) and every applied put and delete is recorded
in the collection ``<collection>_audit``::

    {"at": <date>, "expires_at": <date>, "agent_id": ..., "tenant_id": ..., "user_id": ...,
     "op": "get" | "put" | "delete" | "search" | "list_namespaces", "namespace": [...],
     "key": ... | None, "allowed": bool, "reason": ... | None}

``setup()`` creates a TTL index on ``expires_at``, so MongoDB removes records after
``audit_ttl`` minutes. Reads that were allowed are not recorded (they would outnumber
everything else). Recording costs one insert per batch that writes or is denied (a round trip
after the batch's own); a record MongoDB refuses is logged and does not fail the op (an
unreachable MongoDB fails it, as it fails the batch).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from langgraph.store.base import GetOp, ListNamespacesOp, Op, PutOp, SearchOp
from pymongo import ASCENDING, DESCENDING, IndexModel, InsertOne

from langgraph_genesis_memory._mongo import BulkWrite, Failed, Find, PlanRunner
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.access import PRINCIPAL_KEYS, Grant, Principal
from langgraph_genesis_memory.errors import AccessDeniedError, InvalidArgumentError
from langgraph_genesis_memory.store._access import require_admin

logger = logging.getLogger("langgraph_genesis_memory.store")

AUDIT_INDEXES = [
    IndexModel([("expires_at", ASCENDING)], name="audit_ttl", expireAfterSeconds=0),
    IndexModel([("at", DESCENDING)], name="audit_at"),
]
"""The audit collection's indexes: MongoDB's TTL index, and newest-first reads."""


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the audit log (:meth:`GenesisStore.list_audit`).

    Attributes:
        at: When (UTC, the store's clock).
        agent_id, tenant_id, user_id: The principal (``None`` where unset).
        op: ``"get"``, ``"put"``, ``"delete"``, ``"search"`` or ``"list_namespaces"``.
        namespace: The op's namespace (for a search or listing, its prefix).
        key: The item key (``None`` for searches and listings).
        allowed: ``False`` for a denied op.
        reason: Why it was denied.
    """

    at: datetime
    agent_id: str | None
    tenant_id: str | None
    user_id: str | None
    op: str
    namespace: tuple[str, ...]
    key: str | None
    allowed: bool
    reason: str | None = None


def _describe(op: Op) -> tuple[str, tuple[str, ...], str | None]:
    if isinstance(op, PutOp):
        return ("put" if op.value is not None else "delete"), tuple(op.namespace), op.key
    if isinstance(op, GetOp):
        return "get", tuple(op.namespace), op.key
    if isinstance(op, SearchOp):
        return "search", tuple(op.namespace_prefix), None
    if isinstance(op, ListNamespacesOp):
        prefix = next((c.path for c in op.match_conditions or () if c.match_type == "prefix"), ())
        return "list_namespaces", tuple(prefix), None
    return type(op).__name__, (), None


def _record(
    principal: Principal | None,
    op: Op,
    allowed: bool,
    reason: str | None,
    now: datetime,
    ttl: float,
) -> InsertOne[Any]:
    kind, namespace, key = _describe(op)
    ids = {k: getattr(principal, k) if principal else None for k in PRINCIPAL_KEYS}
    return InsertOne({"at": now, "expires_at": now + timedelta(minutes=ttl), **ids, "op": kind,
                      "namespace": list(namespace), "key": key, "allowed": allowed,
                      "reason": reason})  # fmt: skip


_ACTION = {"get": "read", "search": "read", "list_namespaces": "read", "put": "write",
           "delete": "delete"}  # fmt: skip
"""The access action each op kind needs."""


def _denied_op(ops: Sequence[Op], error: AccessDeniedError) -> Op | None:
    """The op of ``ops`` that ``error`` refused: same action, namespace and key."""
    for op in ops:
        kind, namespace, key = _describe(op)
        if error.namespace is not None and namespace == tuple(error.namespace):
            if _ACTION.get(kind) == error.action and error.key in (None, key):
                return op
    return ops[0] if ops else None


def _insert(records: list[InsertOne[Any]], collection: str) -> Plan[None]:
    result = yield BulkWrite(records, collection=collection, report_errors=True)
    if isinstance(result, Failed):  # a refused record never fails the op
        logger.warning("Could not record %d audit entries (%s).", len(records), result.error)
    return None


def plan_audited(
    inner: Plan[Any],
    ops: Sequence[Op],
    grant: Grant | None,
    now: datetime,
    ttl: float,
    collection: str,
) -> Plan[Any]:
    """Run the batch plan ``inner``, then record its writes; record a denial and re-raise it."""
    try:
        result = yield from inner
    except AccessDeniedError as error:
        yield from plan_denied(ops, error, grant, now, ttl, collection)
        raise
    writes = [_record(grant.principal if grant else None, op, True, None, now, ttl)
              for op in ops if isinstance(op, PutOp)]  # fmt: skip
    if writes:
        yield from _insert(writes, collection)
    return result


def plan_denied(
    ops: Sequence[Op],
    error: AccessDeniedError,
    grant: Grant | None,
    now: datetime,
    ttl: float,
    collection: str,
) -> Plan[None]:
    """Record the op ``error`` refused (the first op when the batch had no principal)."""
    op = _denied_op(ops, error)
    if op is not None:
        principal = grant.principal if grant else None
        yield from _insert([_record(principal, op, False, str(error), now, ttl)], collection)
    return None


def plan_denied_then_raise(
    ops: Sequence[Op], error: AccessDeniedError, now: datetime, ttl: float, collection: str
) -> Plan[Any]:
    """Record a batch refused for want of a principal, then raise ``error``."""
    yield from plan_denied(ops, error, None, now, ttl, collection)
    raise error


def plan_list_audit(
    collection: str,
    query: dict[str, Any],
    limit: int,
) -> Plan[list[AuditRecord]]:
    """The newest ``limit`` records matching ``query``."""
    docs = yield Find(query, sort=[("at", -1), ("_id", -1)], limit=limit, batch_size=limit,
                      collection=collection)  # fmt: skip
    return [
        AuditRecord(
            at=d["at"],
            agent_id=d.get("agent_id"),
            tenant_id=d.get("tenant_id"),
            user_id=d.get("user_id"),
            op=d["op"],
            namespace=tuple(d.get("namespace") or ()),
            key=d.get("key"),
            allowed=bool(d.get("allowed")),
            reason=d.get("reason"),
        )  # fmt: skip
        for d in docs
    ]


def audit_query(
    agent_id: object,
    tenant_id: object,
    user_id: object,
    allowed: object,
    since: object,
    limit: object,
) -> dict[str, Any]:
    """Check the arguments of ``list_audit`` and build its MongoDB query.

    Raises:
        InvalidArgumentError: For a bad argument.
    """
    query: dict[str, Any] = {}
    for name, value in (("agent_id", agent_id), ("tenant_id", tenant_id), ("user_id", user_id)):
        if value is not None:
            if not isinstance(value, str):
                raise InvalidArgumentError(f"{name} must be a string; got {value!r:.80}.")
            query[name] = value
    if allowed is not None:
        if not isinstance(allowed, bool):
            raise InvalidArgumentError(f"allowed must be a bool or None; got {allowed!r:.80}.")
        query["allowed"] = allowed
    if since is not None:
        if not isinstance(since, datetime):
            raise InvalidArgumentError(f"since must be a datetime; got {since!r:.80}.")
        query["at"] = {"$gte": since}
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
        raise InvalidArgumentError(f"limit must be an integer from 1 to 10000; got {limit!r}.")
    return query


class Auditing(PlanRunner):
    """``list_audit``/``alist_audit`` of ``GenesisStore`` (thin: they run the plans above)."""

    collection_name: str
    audit_ttl: float | None = None
    _principal: Any = None

    @property
    def audit_collection(self) -> str:
        """The collection holding the audit log: ``<collection>_audit``."""
        return f"{self.collection_name}_audit"

    def _audit_plan(
        self,
        agent_id: object,
        tenant_id: object,
        user_id: object,
        allowed: object,
        since: object,
        limit: object,
    ) -> Plan[list[AuditRecord]]:
        require_admin(self, "list_audit()")
        query = audit_query(agent_id, tenant_id, user_id, allowed, since, limit)
        return plan_list_audit(self.audit_collection, query, int(limit))  # type: ignore[call-overload]

    def list_audit(
        self,
        *,
        agent_id: str | None = None,
        tenant_id: str | None = None,
        user_id: str | None = None,
        allowed: bool | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        """Read the audit log, newest first (see :mod:`~langgraph_genesis_memory.store._audit`).

        Args:
            agent_id, tenant_id, user_id: Only records of this principal id.
            allowed: ``False``: only denied ops; ``True``: only recorded writes.
            since: Only records at or after this time (UTC).
            limit: At most this many (1 to 10,000).

        Returns:
            :class:`AuditRecord` objects (empty when the store records no audit).

        Raises:
            InvalidArgumentError: For a bad argument (before any I/O).
            AccessDeniedError: On a principal's view, or by a store with a policy inside a run
                naming a principal.
        """
        return self._run(self._audit_plan(agent_id, tenant_id, user_id, allowed, since, limit))

    async def alist_audit(
        self,
        *,
        agent_id: str | None = None,
        tenant_id: str | None = None,
        user_id: str | None = None,
        allowed: bool | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        """Async twin of :meth:`list_audit`."""
        plan = self._audit_plan(agent_id, tenant_id, user_id, allowed, since, limit)
        return await self._arun(plan)
