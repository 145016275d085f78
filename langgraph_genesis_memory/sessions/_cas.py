"""Compare-and-set of session values: no concurrent update is ever lost.

A session plan reads the session (:class:`ReadSession`), changes a copy, and writes it back
with :class:`WriteSession`, which succeeds only if the session still has the ``sync_version``
that was read; otherwise the plan reads again and retries (with a short random pause,
:class:`Pause`). Two backends execute these steps:

* :class:`MongoSessions`, for :class:`~langgraph_genesis_memory.GenesisStore`: the session's
  current value lives in a *head* document of the collection ``<store collection>_sessions``
  (same database), ``{_id, v, value, expires_at, expires_at_ms, updated_at}``, changed by one
  conditional ``update_one`` (filter ``{_id, v: expected}``; creation is an upsert that MongoDB
  refuses with a duplicate-key error if the head exists): atomic on every MongoDB deployment,
  across threads, tasks and processes. After each successful write the value is also put into
  the store at ``("business", tenant, "sessions")`` through the store's own write path (TTL
  policy, derived indexes), where ``store.get`` and backups find it; that copy may briefly lag
  when writers race, the head never does. A session whose head is missing (written by an
  earlier version, or restored from a backup of the store) is read from the store copy and
  gets a head at its next write. ``SessionManager.setup()`` adds the TTL index on
  ``expires_at``; expired heads are ignored either way.
* :class:`LockedSessions`, for any other ``BaseStore`` (e.g. LangGraph's ``InMemoryStore``):
  the store item itself, compared and written under a lock per session. Atomic within one
  process only.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from langgraph.store.base import NOT_PROVIDED, BaseStore, GetOp, Item, PutOp
from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from langgraph_genesis_memory._mongo import CreateIndexes, Find, Update
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.access import Action
from langgraph_genesis_memory.sessions._layout import sessions_namespace
from langgraph_genesis_memory.sessions._records import upgrade
from langgraph_genesis_memory.store import GenesisStore
from langgraph_genesis_memory.store._access import require
from langgraph_genesis_memory.store._documents import NEVER_MS, item_id
from langgraph_genesis_memory.store._validation import validate_value


@dataclass(frozen=True)
class ReadSession:
    """Read a session's current value; the result is a :class:`Stored` or ``None``."""

    tenant: str
    session_id: str


@dataclass(frozen=True)
class Stored:
    """A session value as read.

    Attributes:
        value: The value (upgraded to the current shape).
        version: Its ``sync_version``.
        head: Whether it came from a head document (else from the store item).
    """

    value: dict[str, Any]
    version: int
    head: bool


@dataclass(frozen=True)
class WriteSession:
    """Write ``value`` if the session is still at ``expected`` (``None``: does not exist);
    the result is a :class:`Written`."""

    tenant: str
    session_id: str
    value: dict[str, Any]
    expected: Stored | None


@dataclass(frozen=True)
class Written:
    """The outcome of a :class:`WriteSession`.

    Attributes:
        applied: Whether the value was written (``False``: another writer got there first).
        copy: The put that keeps the store's copy in step (to send with the plan's next batch),
            or ``None`` when the write was the store item itself.
    """

    applied: bool
    copy: PutOp | None = None


@dataclass(frozen=True)
class Pause:
    """Sleep ``seconds`` before retrying (``time.sleep`` / ``asyncio.sleep``)."""

    seconds: float


def session_put(tenant: str, session_id: str, value: dict[str, Any]) -> PutOp:
    """The put of a session value into the store (namespace policy TTL; not in any derived
    index: sessions are bookkeeping, not memories)."""
    return PutOp(sessions_namespace(tenant), session_id, value, index=False, ttl=NOT_PROVIDED)  # type: ignore[arg-type]


def _item(results: Sequence[Any]) -> Item | None:
    """The one ``GetOp`` result of a batch."""
    (item,) = results
    return cast(Item | None, item)


def _stored(value: Mapping[str, Any], head: bool) -> Stored:
    current = upgrade(value)
    return Stored(current, current["sync_version"], head)


class MongoSessions:
    """Session heads in MongoDB next to a :class:`~langgraph_genesis_memory.GenesisStore`.

    Args:
        store: The store (its clients, database, collection name, TTL policy and clock).
    """

    def __init__(self, store: GenesisStore) -> None:
        self.store = store
        self.collection = f"{store.collection_name}_sessions"

    def _now(self) -> datetime:
        clock = getattr(self.store, "_clock", None)
        return clock() if callable(clock) else datetime.now(UTC)

    def plan_read(self, step: ReadSession) -> Plan[dict[str, Any] | None]:
        """The live head document of a session, or ``None``."""
        doc_id = item_id(sessions_namespace(step.tenant), step.session_id)
        docs = yield Find({"_id": doc_id}, limit=1, collection=self.collection)
        now_ms = int(self._now().timestamp() * 1000)
        if docs and int(docs[0].get("expires_at_ms", NEVER_MS)) > now_ms:
            return dict(docs[0])
        return None

    def plan_write(self, step: WriteSession) -> Plan[Any]:
        """The conditional update of a session's head (see the module docstring)."""
        namespace = sessions_namespace(step.tenant)
        value = validate_value(step.value)
        now = self._now()
        now_ms = int(now.timestamp() * 1000)
        ttl = self.store.ttl_policy.resolve(namespace, NOT_PROVIDED)
        expires = None if ttl is None else now + timedelta(minutes=ttl)
        fields = {
            "v": value["sync_version"],
            "value": value,
            "expires_at": expires,
            "expires_at_ms": NEVER_MS if expires is None else int(expires.timestamp() * 1000),
        }
        update = {"$set": fields, "$currentDate": {"updated_at": True}}
        doc_id = item_id(namespace, step.session_id)
        expected = step.expected
        if expected is None or not expected.head:
            # Create the head: only if none is live (an expired one is replaced).
            query: dict[str, Any] = {"_id": doc_id, "expires_at_ms": {"$lte": now_ms}}
            return (yield Update(query, update, upsert=True, collection=self.collection))
        query = {"_id": doc_id, "v": expected.version, "expires_at_ms": {"$gt": now_ms}}
        return (yield Update(query, update, collection=self.collection))

    @staticmethod
    def _applied(result: Any) -> bool:
        return bool(result.matched_count or result.upserted_id is not None)

    def setup(self) -> Plan[Any]:
        """Create the TTL index on the heads' ``expires_at`` (idempotent)."""
        ttl = IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)
        return (yield CreateIndexes([ttl], collection=self.collection))

    def _check(self, action: Action, tenant: str) -> None:
        """The store's access policy for the head documents, as for the session record (the
        heads bypass the store's batch): the caller's principal must be allowed ``action`` on
        ``("business", tenant, "sessions")``.

        Raises:
            AccessDeniedError: If it is not (or the store has a policy and no principal).
        """
        require(self.store._grant(), action, sessions_namespace(tenant))

    def read(self, step: ReadSession) -> Stored | None:
        """Execute a :class:`ReadSession` (sync)."""
        self._check("read", step.tenant)
        doc = self.store._run(self.plan_read(step))
        if doc is not None:
            return _stored(doc["value"], True)
        item = _item(self.store.batch([GetOp(sessions_namespace(step.tenant), step.session_id)]))
        return None if item is None else _stored(item.value, False)

    async def aread(self, step: ReadSession) -> Stored | None:
        """Execute a :class:`ReadSession` (async)."""
        self._check("read", step.tenant)
        doc = await self.store._arun(self.plan_read(step))
        if doc is not None:
            return _stored(doc["value"], True)
        namespace = sessions_namespace(step.tenant)
        item = _item(await self.store.abatch([GetOp(namespace, step.session_id)]))
        return None if item is None else _stored(item.value, False)

    def write(self, step: WriteSession) -> Written:
        """Execute a :class:`WriteSession` (sync)."""
        self._check("write", step.tenant)
        try:
            applied = self._applied(self.store._run(self.plan_write(step)))
        except DuplicateKeyError:
            applied = False
        copy = session_put(step.tenant, step.session_id, step.value) if applied else None
        return Written(applied, copy)

    async def awrite(self, step: WriteSession) -> Written:
        """Execute a :class:`WriteSession` (async)."""
        self._check("write", step.tenant)
        try:
            applied = self._applied(await self.store._arun(self.plan_write(step)))
        except DuplicateKeyError:
            applied = False
        copy = session_put(step.tenant, step.session_id, step.value) if applied else None
        return Written(applied, copy)


_LOCKS: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], threading.Lock]] = (
    weakref.WeakKeyDictionary()
)
_LOCKS_GUARD = threading.Lock()


class LockedSessions:
    """Session values as plain store items, compared and written under a per-session lock
    (one process).

    Args:
        store: Any LangGraph ``BaseStore``.
    """

    def __init__(self, store: BaseStore) -> None:
        self.store = store

    def _lock(self, tenant: str, session_id: str) -> threading.Lock:
        with _LOCKS_GUARD:
            try:
                locks = _LOCKS.setdefault(self.store, {})
            except TypeError:  # not weak-referenceable: keep the locks on this instance
                locks = self.__dict__.setdefault("_locks", {})
            return locks.setdefault((tenant, session_id), threading.Lock())

    @staticmethod
    def _matches(item: Any, step: WriteSession) -> bool:
        if step.expected is None:
            return item is None
        return (
            item is not None and int(item.value.get("sync_version") or 0) == step.expected.version
        )

    def read(self, step: ReadSession) -> Stored | None:
        """Execute a :class:`ReadSession` (sync)."""
        item = _item(self.store.batch([GetOp(sessions_namespace(step.tenant), step.session_id)]))
        return None if item is None else _stored(item.value, False)

    async def aread(self, step: ReadSession) -> Stored | None:
        """Execute a :class:`ReadSession` (async)."""
        namespace = sessions_namespace(step.tenant)
        item = _item(await self.store.abatch([GetOp(namespace, step.session_id)]))
        return None if item is None else _stored(item.value, False)

    def write(self, step: WriteSession) -> Written:
        """Execute a :class:`WriteSession` (sync)."""
        get = GetOp(sessions_namespace(step.tenant), step.session_id)
        with self._lock(step.tenant, step.session_id):
            item = _item(self.store.batch([get]))
            if not self._matches(item, step):
                return Written(False)
            self.store.batch([session_put(step.tenant, step.session_id, step.value)])
        return Written(True)

    async def awrite(self, step: WriteSession) -> Written:
        """Execute a :class:`WriteSession` (async; never blocks the event loop on the lock)."""
        lock = self._lock(step.tenant, step.session_id)
        while not lock.acquire(blocking=False):
            await asyncio.sleep(0.001)
        try:
            namespace = sessions_namespace(step.tenant)
            item = _item(await self.store.abatch([GetOp(namespace, step.session_id)]))
            if not self._matches(item, step):
                return Written(False)
            await self.store.abatch([session_put(step.tenant, step.session_id, step.value)])
        finally:
            lock.release()
        return Written(True)


Backend = MongoSessions | LockedSessions


def backend_for(store: BaseStore) -> Backend:
    """The compare-and-set backend for ``store``."""
    if isinstance(store, GenesisStore):
        return MongoSessions(store)
    return LockedSessions(store)
