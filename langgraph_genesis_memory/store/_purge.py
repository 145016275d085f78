"""Erasure: everything of a namespace prefix, a tenant or a user, everywhere (pure plans).

``GenesisStore.purge`` deletes, in chunks of :data:`PURGE_CHUNK` items:

* the items under the selected namespaces (expired ones included) and, in the same step, their
  entries in the derived indexes (vectors in Chroma, words), through the indexes' ``delete``
  (as deletes and sweeps do), the links other items hold to them (``link_to``: ids name the
  namespace) and the terms they hold in the automatic links' postings (a posting no item holds
  any more is deleted); other items' values, where a writer named them in ``relationships``,
  are the writers' data and are left as written;
* for a tenant or a user: the session records, archives, directory entries, handoff records
  and short-term memory the :class:`~langgraph_genesis_memory.sessions.SessionManager` keeps
  for them (see ``sessions/_layout.py``);
* with a saver: the threads whose checkpoints carry the tenant (and user) in their metadata
  (LangGraph copies the run's ``configurable`` ``tenant_id``/``user_id`` there), with all their
  checkpoints, writes and values.

What a tenant or a user owns:

=====================  ====================================================================
``tenant_id=T``         ``("business", T, ...)``, ``("short_term", T, ...)``,
                        ``("user", T, ...)``, T's session directory entries; threads whose
                        checkpoint metadata has ``tenant_id`` T
``tenant_id=T,          ``("user", T, U, ...)``; the sessions of T started for U (records,
user_id=U``             archives, directory entries, handoff records, short-term memory);
                        threads whose checkpoint metadata has ``tenant_id`` T and ``user_id`` U
=====================  ====================================================================
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from langgraph_genesis_memory._mongo import (
    Count,
    Delete,
    Failed,
    Find,
    Parallel,
    PlanRunner,
)
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory._services import IndexDelete, IndexName
from langgraph_genesis_memory.errors import InvalidArgumentError
from langgraph_genesis_memory.sessions._layout import (
    archive_namespace,
    directory_namespace,
    handoffs_namespace,
    label,
    sessions_namespace,
    short_term_namespace,
)
from langgraph_genesis_memory.store._access import require_admin
from langgraph_genesis_memory.store._autolink import NAMES_FIELD
from langgraph_genesis_memory.store._documents import item_id, split_id
from langgraph_genesis_memory.store._queries import prefix_range
from langgraph_genesis_memory.store._validation import validate_namespace
from langgraph_genesis_memory.store._writes import plan_forget_removed

logger = logging.getLogger("langgraph_genesis_memory.store")

PURGE_CHUNK = 5_000
"""Items deleted per step of a purge."""


@dataclass(frozen=True)
class PurgeReceipt:
    """What a purge deleted (``store.purge`` / ``apurge``).

    Attributes:
        items: Store items deleted (every kind below included).
        sessions: Of them, session records and archived sessions.
        handoffs: Of them, handoff records.
        threads: Checkpointer threads deleted (with a saver).
        checkpoints: Checkpoints of those threads.
        prefixes: The namespace prefixes purged.
        index_errors: Derived indexes that could not delete entries (``store.reindex()``
            removes them later: entries of deleted items are orphans it deletes).
    """

    items: int = 0
    sessions: int = 0
    handoffs: int = 0
    threads: int = 0
    checkpoints: int = 0
    prefixes: tuple[tuple[str, ...], ...] = ()
    index_errors: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The receipt as JSON-ready data."""
        out = asdict(self)
        out["prefixes"] = [list(p) for p in self.prefixes]
        out["index_errors"] = list(self.index_errors)
        return out


@dataclass(frozen=True)
class PurgeScope:
    """What to purge, checked before any I/O.

    Attributes:
        prefixes: Namespace prefixes whose items go.
        tenant: The tenant (``None`` for a plain prefix purge).
        user: The user within the tenant.
    """

    prefixes: tuple[tuple[str, ...], ...]
    tenant: str | None = None
    user: str | None = None

    @property
    def checkpoint_filter(self) -> dict[str, Any] | None:
        """The checkpoint metadata that marks the threads to delete (``None``: none)."""
        if self.tenant is None:
            return None
        match = {"metadata.tenant_id": self.tenant}
        if self.user is not None:
            match["metadata.user_id"] = self.user
        return match


def _id(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidArgumentError(f"{name} must be a non-empty string; got {value!r:.80}.")
    return value


def purge_scope(prefix: object, tenant_id: object, user_id: object) -> PurgeScope:
    """Check the arguments of ``purge`` (exactly one of ``prefix`` or ``tenant_id``).

    Raises:
        InvalidArgumentError: For a missing, ambiguous or malformed selection.
        InvalidNamespaceError: For a bad prefix.
    """
    if prefix is not None:
        if tenant_id is not None or user_id is not None:
            raise InvalidArgumentError("purge() takes prefix= or tenant_id= (and user_id=).")
        return PurgeScope((validate_namespace(prefix),))
    if tenant_id is None:
        raise InvalidArgumentError(
            "purge() needs prefix=(...) or tenant_id= (with user_id= for one user of it); "
            "an empty prefix (everything) is refused."
        )
    tenant = label(_id(tenant_id, "tenant_id"))
    if user_id is None:
        prefixes = (("business", tenant), ("short_term", tenant), ("user", tenant))
        return PurgeScope(prefixes, str(tenant_id))
    user = label(_id(user_id, "user_id"))
    return PurgeScope((("user", tenant, user),), str(tenant_id), str(user_id))


def _kind(doc_id: str) -> str | None:
    namespace, _ = split_id(doc_id)
    if namespace[:1] == ("business",) and len(namespace) >= 3:
        if namespace[2] in ("sessions", "archive") and len(namespace) == 3:
            return "sessions"
        if namespace[2] == "handoffs":
            return "handoffs"
    return None


def _user_sessions(scope: PurgeScope) -> Plan[dict[str, Any]]:
    """The clause selecting the user's session data (its sessions found by their records)."""
    assert scope.tenant is not None and scope.user is not None
    records = [sessions_namespace(scope.tenant), archive_namespace(scope.tenant)]
    docs = yield Find(
        {"$or": [prefix_range("_id", ns) for ns in records], "value.user_id": scope.user},
        {"_id": 1},
    )
    sessions = sorted({split_id(d["_id"])[1] for d in docs})
    if not sessions:
        return {}
    ids = [item_id(ns, s) for s in sessions for ns in (*records, directory_namespace())]
    clauses: list[dict[str, Any]] = [{"_id": {"$in": ids}}]
    for s in sessions:
        clauses.append(prefix_range("_id", handoffs_namespace(scope.tenant, s)))
        clauses.append(prefix_range("_id", short_term_namespace(scope.tenant, s)))
    return {"$or": clauses}


def plan_purge_items(
    scope: PurgeScope, indexes: Sequence[IndexName], postings: str | None = None
) -> Plan[PurgeReceipt]:
    """Delete the scope's items and their derived-index entries (see the module docstring);
    with ``postings`` (the automatic links' collection), the items' terms there too.

    Returns:
        A plan whose value is the receipt of the store's part (no checkpoints).
    """
    clauses = [prefix_range("_id", p) for p in scope.prefixes]
    if scope.tenant is not None and scope.user is None:
        directory = prefix_range("_id", directory_namespace())
        clauses.append({**directory, "value.tenant_id": scope.tenant})
    elif scope.user is not None:
        sessions = yield from _user_sessions(scope)
        if sessions:
            clauses.append(sessions)
    selector = clauses[0] if len(clauses) == 1 else {"$or": clauses}
    counts = {"items": 0, "sessions": 0, "handoffs": 0}
    errors: set[str] = set()
    while True:
        docs = yield Find(selector, {"_id": 1, NAMES_FIELD: 1}, sort=[("_id", 1)],
                          limit=PURGE_CHUNK, batch_size=PURGE_CHUNK)  # fmt: skip
        ids = [d["_id"] for d in docs]
        if ids:
            # Other items' links to them go (link_to holds ids, which name the namespace), and
            # the terms they held in the automatic links' postings; first, so that a purge
            # interrupted after this chunk's delete has nothing of it left to clean.
            yield from plan_forget_removed(docs, postings)
            counts["items"] += yield Delete({"_id": {"$in": ids}})
            for doc_id in ids:
                kind = _kind(doc_id)
                if kind:
                    counts[kind] += 1
            if indexes:
                outcome = yield Parallel(
                    tuple(IndexDelete(index=n, item_ids=ids, tolerate=True) for n in indexes)
                )
                for name, result in zip(indexes, outcome, strict=True):
                    if isinstance(result, Failed):
                        logger.warning("Purge could not update the %s index (%s); "
                                       "store.reindex() will.", name, result.error)  # fmt: skip
                        errors.add(name)
        if len(ids) < PURGE_CHUNK:
            break
    return PurgeReceipt(**counts, prefixes=scope.prefixes, index_errors=tuple(sorted(errors)))


def plan_purge_threads(
    checkpoints: str, collections: Sequence[str], match: dict[str, Any]
) -> Plan[tuple[list[str], int]]:
    """Delete the threads whose checkpoints' metadata matches ``match``, with everything of
    them in the saver's ``collections``.

    Returns:
        A plan whose value is the threads deleted and how many checkpoints they had.
    """
    docs = yield Find({"kind": "checkpoint", **match}, {"thread_id": 1}, collection=checkpoints)
    threads = sorted({d["thread_id"] for d in docs})
    if not threads:
        return [], 0
    count = yield Count({"kind": "checkpoint", "thread_id": {"$in": threads}},
                        collection=checkpoints)  # fmt: skip
    match_threads = {"thread_id": {"$in": threads}}
    yield Parallel(tuple(Delete(match_threads, collection=c) for c in collections))
    return threads, int(count)


class Erasure(PlanRunner):
    """``purge``/``apurge`` of ``GenesisStore`` (thin: they run the plans above)."""

    _schema: Any
    _principal: Any = None
    access_policy: Any = None

    def _purge_scope(self, prefix: object, tenant_id: object, user_id: object) -> PurgeScope:
        require_admin(self, "purge()")
        return purge_scope(prefix, tenant_id, user_id)

    def purge(
        self,
        prefix: tuple[str, ...] | None = None,
        *,
        tenant_id: str | None = None,
        user_id: str | None = None,
        saver: Any = None,
    ) -> PurgeReceipt:
        """Erase everything under a namespace prefix, or everything of a tenant or a user.

        For a "forget me" request: ``store.purge(tenant_id="t1", user_id="u1", saver=saver)``.
        Deletes the items (expired ones included) with their vectors and word-index entries,
        the session manager's records of the tenant or user (sessions, archives, directory
        entries, handoff records, short-term memory) and, with ``saver``, the threads whose
        checkpoints carry the tenant (and user) in their metadata (LangGraph copies the run's
        ``configurable`` ``tenant_id``/``user_id`` there). Other items' links to the erased
        items and their terms in the automatic links' postings go too; other items' values
        stay as their writers wrote them, and audit records (``audit_ttl``) stay until they
        expire. What belongs to a tenant or a user is listed in ``docs/access-control.md``.
        Running it again finds nothing.

        Args:
            prefix: A namespace prefix (a non-empty tuple of labels), e.g.
                ``("business", "saas_001")``.
            tenant_id: A tenant (instead of ``prefix``).
            user_id: One user of ``tenant_id``.
            saver: A ``GenesisSaver`` whose threads of the tenant/user to delete too.

        Returns:
            A :class:`~langgraph_genesis_memory.store.PurgeReceipt` with counts per kind.

        Raises:
            InvalidArgumentError, InvalidNamespaceError: For a missing or bad selection (before
                any I/O).
            AccessDeniedError: When called through a principal's view, or by a store with a
                policy inside a run naming a principal.
            DatabaseUnavailableError: If MongoDB does not answer within the timeout (each step
                has the whole timeout; running it again completes an interrupted purge).
        """
        scope = self._purge_scope(prefix, tenant_id, user_id)
        receipt = self._run(
            plan_purge_items(scope, self._schema.indexes.names, self._schema.postings),
            per_request=True,
        )
        match = scope.checkpoint_filter
        if saver is None or match is None:
            return receipt
        plan = plan_purge_threads(saver.collections.checkpoints, saver.collections.all(), match)
        with saver._known_elements.forgetting(None):
            threads, count = saver._run(plan, per_request=True)
        saver._known_elements.forget(threads)
        saver._owners.forget(threads)
        return replace(receipt, threads=len(threads), checkpoints=count)

    async def apurge(
        self,
        prefix: tuple[str, ...] | None = None,
        *,
        tenant_id: str | None = None,
        user_id: str | None = None,
        saver: Any = None,
    ) -> PurgeReceipt:
        """Async twin of :meth:`purge` (same arguments, receipt and errors)."""
        scope = self._purge_scope(prefix, tenant_id, user_id)
        plan = plan_purge_items(scope, self._schema.indexes.names, self._schema.postings)
        receipt = await self._arun(plan, per_request=True)
        match = scope.checkpoint_filter
        if saver is None or match is None:
            return receipt
        threads_plan = plan_purge_threads(
            saver.collections.checkpoints, saver.collections.all(), match
        )
        with saver._known_elements.forgetting(None):
            threads, count = await saver._arun(threads_plan, per_request=True)
        saver._known_elements.forget(threads)
        saver._owners.forget(threads)
        return replace(receipt, threads=len(threads), checkpoints=count)
