"""Session and handoff logic, written once for sync and async (it only yields requests).

Each ``plan_*`` function is a generator: it yields a step and receives its result, then
returns a value. A step is a list of LangGraph store ops (one ``store.batch``), a session read
or compare-and-set write (:mod:`langgraph_genesis_memory.sessions._cas`), a checkpointer read
or write (:mod:`langgraph_genesis_memory.sessions._thread`), or a :class:`~._cas.Pause`.
:func:`run_plan` executes a plan with the sync APIs (``store.batch``, ``checkpointer.get_tuple``
...), :func:`arun_plan` with the async ones, both with the shared ``drive`` / ``adrive``.

Every change of a session is a compare-and-set on its ``sync_version`` (:func:`plan_update`):
read, change a copy, write if nobody wrote in between, else read again and retry. Concurrent
updates of one session (threads, tasks, processes) are applied one after the other and none
is lost.
"""

from __future__ import annotations

import asyncio
import copy
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from langgraph.store.base import NOT_PROVIDED, BaseStore, GetOp, NotProvided, Op, PutOp, SearchOp

from langgraph_genesis_memory._plans import Plan, adrive, drive
from langgraph_genesis_memory.errors import (
    InvalidArgumentError,
    SessionConflictError,
    SessionEndedError,
    SessionExistsError,
    SessionNotFoundError,
)
from langgraph_genesis_memory.sessions._cas import (
    Pause,
    ReadSession,
    Stored,
    WriteSession,
    Written,
    backend_for,
)
from langgraph_genesis_memory.sessions._layout import (
    directory_namespace,
    handoffs_namespace,
    sessions_namespace,
    short_term_namespace,
)
from langgraph_genesis_memory.sessions._records import (
    add_facts,
    add_tasks,
    merge_facts,
    new_session,
    now_iso,
    unique,
    upgrade_record,
)
from langgraph_genesis_memory.sessions._thread import (
    NULL_TASK_ID,
    CheckpointCreate,
    CheckpointRead,
    CheckpointWrites,
    ThreadView,
    build_checkpoint,
    enqueue,
    plan_deliver,
    thread_config,
    view,
)

T = TypeVar("T")

MAX_ATTEMPTS = 200
"""Compare-and-set attempts of one session update before :class:`SessionConflictError`."""


# -- drivers ---------------------------------------------------------------------------------------
def run_plan(store: BaseStore, plan: Plan[T], checkpointer: Any = None) -> T:
    """Run a session plan with the store's and the checkpointer's sync APIs."""
    backend = backend_for(store)

    def execute(step: Any) -> Any:
        if isinstance(step, list):
            return store.batch(step)
        if isinstance(step, ReadSession):
            return backend.read(step)
        if isinstance(step, WriteSession):
            return backend.write(step)
        if isinstance(step, Pause):
            time.sleep(step.seconds)
            return None
        if checkpointer is None:
            return None
        if isinstance(step, CheckpointRead):
            return checkpointer.get_tuple(step.config)
        if isinstance(step, CheckpointCreate):
            checkpoint, metadata, versions = build_checkpoint(
                checkpointer, step.parent, step.checkpoint_id, step.step, step.entries
            )
            parent = None if step.parent is None else step.parent.id
            return checkpointer.put(
                thread_config(step.thread_id, parent), checkpoint, metadata, versions
            )
        if isinstance(step, CheckpointWrites):
            return checkpointer.put_writes(step.config, list(step.writes), NULL_TASK_ID)
        raise TypeError(f"Unknown session step {step!r}")

    return drive(plan, execute)


async def arun_plan(store: BaseStore, plan: Plan[T], checkpointer: Any = None) -> T:
    """Async twin of :func:`run_plan` (``abatch``, ``aget_tuple``, ``aput``, ``aput_writes``)."""
    backend = backend_for(store)

    async def execute(step: Any) -> Any:
        if isinstance(step, list):
            return await store.abatch(step)
        if isinstance(step, ReadSession):
            return await backend.aread(step)
        if isinstance(step, WriteSession):
            return await backend.awrite(step)
        if isinstance(step, Pause):
            await asyncio.sleep(step.seconds)
            return None
        if checkpointer is None:
            return None
        if isinstance(step, CheckpointRead):
            return await checkpointer.aget_tuple(step.config)
        if isinstance(step, CheckpointCreate):
            checkpoint, metadata, versions = build_checkpoint(
                checkpointer, step.parent, step.checkpoint_id, step.step, step.entries
            )
            parent = None if step.parent is None else step.parent.id
            return await checkpointer.aput(
                thread_config(step.thread_id, parent), checkpoint, metadata, versions
            )
        if isinstance(step, CheckpointWrites):
            return await checkpointer.aput_writes(step.config, list(step.writes), NULL_TASK_ID)
        raise TypeError(f"Unknown session step {step!r}")

    return await adrive(plan, execute)


# -- ops -------------------------------------------------------------------------------------------
def policy_put(
    namespace: tuple[str, ...],
    key: str,
    value: dict[str, Any] | None,
    ttl: float | str | None | NotProvided = NOT_PROVIDED,
) -> PutOp:
    """A ``PutOp`` whose TTL defaults to "not given", so the store applies its namespace policy.

    LangGraph's ``PutOp`` defaults to ``ttl=None`` (never expires); ``BaseStore.put`` passes
    ``NOT_PROVIDED`` instead, which :class:`~langgraph_genesis_memory.GenesisStore` resolves from
    the namespace's first label (``short_term``: 24 h, ``business``: 180 days...).
    """
    return PutOp(namespace, key, value, ttl=ttl)  # type: ignore[arg-type]


def touch_op(tenant: str, session_id: str) -> SearchOp:
    """The read that slides the TTL of a session's short-term memory (LangGraph's
    ``refresh_ttl=True``)."""
    return SearchOp(short_term_namespace(tenant, session_id), limit=1000, refresh_ttl=True)


def directory_put(tenant: str, session_id: str) -> PutOp:
    """The directory entry naming a session's tenant (renewed with every session write)."""
    return policy_put(directory_namespace(), session_id, {"tenant_id": tenant})


def not_found(tenant: str, session_id: str) -> SessionNotFoundError:
    """The error for a session that does not exist."""
    return SessionNotFoundError(
        f"No session {session_id!r} for tenant {tenant!r}: start it with "
        "SessionManager.start_session() (sessions expire with their namespace TTL)."
    )


def ended(session: dict[str, Any]) -> SessionEndedError:
    """The error for a change to an ended session."""
    sid, at, why = session["session_id"], session.get("ended_at"), session.get("end_reason")
    return SessionEndedError(
        f"Session {sid!r} ended at {at} (reason: {why!r}) and was archived; reopen it with "
        "SessionManager.resume(session_id, reopen=True) before changing it.",
        sid,
        at,
        why,
    )


# -- the compare-and-set loop ----------------------------------------------------------------------
Mutate = Callable[[dict[str, Any], ThreadView | None], Any]
"""Changes a session value in place, given the thread's latest checkpoint; returns a result.
Runs again on each retry, on a fresh copy."""


@dataclass
class Updated:
    """The outcome of :func:`plan_update`.

    Attributes:
        session: The session value as written (its ``sync_version`` is the new revision).
        result: What ``mutate`` returned.
        latest: The thread's latest checkpoint as read in the successful attempt.
        copy: The put of the store's copy of the session, to send with the next batch.
    """

    session: dict[str, Any]
    result: Any
    latest: ThreadView | None
    copy: PutOp | None


def _pause(attempt: int) -> float:
    return float(min(0.002 * 2.0 ** min(attempt, 6), 0.1) * random.uniform(0.5, 1.5))


def plan_update(
    tenant: str,
    session_id: str,
    mutate: Mutate,
    *,
    create: Callable[[], dict[str, Any]] | None = None,
    read_thread: bool = False,
    allow_ended: bool = False,
) -> Plan[Updated]:
    """Change a session with a compare-and-set on its ``sync_version``, retrying on conflict.

    Args:
        tenant, session_id: Which session.
        mutate: Changes the value (see :data:`Mutate`).
        create: Builds the value when the session does not exist (else it is an error).
        read_thread: Read the thread's latest checkpoint in each attempt (for ``mutate``).
        allow_ended: Allow changing an ended session (``end``, ``resume``, ``touch``).

    Returns:
        A plan whose value is an :class:`Updated`.

    Raises:
        SessionNotFoundError: If the session does not exist and ``create`` is not given.
        SessionEndedError: If the session ended and ``allow_ended`` is false.
        SessionConflictError: After :data:`MAX_ATTEMPTS` lost races.
    """
    for attempt in range(MAX_ATTEMPTS):
        latest = None
        if read_thread:
            latest = view((yield CheckpointRead(thread_config(session_id))))
        stored: Stored | None = yield ReadSession(tenant, session_id)
        if stored is None:
            if create is None:
                raise not_found(tenant, session_id)
            session = create()
        else:
            session = copy.deepcopy(stored.value)
            if session.get("status") == "ended" and not allow_ended:
                raise ended(session)
        result = mutate(session, latest)
        session["sync_version"] = (0 if stored is None else stored.version) + 1
        session["updated_at"] = now_iso()
        written: Written = yield WriteSession(tenant, session_id, session, stored)
        if written.applied:
            return Updated(session, result, latest, written.copy)
        yield Pause(_pause(attempt))
    raise SessionConflictError(
        f"Session {session_id!r} of tenant {tenant!r} was changed by other writers "
        f"{MAX_ATTEMPTS} times while this update retried; nothing was written. Retry later."
    )


def plan_commit(
    tenant: str,
    session_id: str,
    updated: Updated,
    extra: Iterable[Op] = (),
    *,
    touch: bool = True,
) -> Plan[list[Any]]:
    """The batch after a successful update: the store copy, the directory entry, ``extra`` ops,
    and (``touch``) the read that slides the short-term TTL. Returns the results of ``extra``."""
    ops: list[Op] = [*([] if updated.copy is None else [updated.copy])]
    ops.append(directory_put(tenant, session_id))
    head = len(ops)
    extra = list(extra)
    results = yield [*ops, *extra, *([touch_op(tenant, session_id)] if touch else [])]
    return list(results[head : head + len(extra)])


def plan_thread_update(
    tenant: str,
    session_id: str,
    mutate: Mutate,
    entries: Callable[[dict[str, Any], ThreadView | None], Sequence[dict[str, Any]]],
    *,
    checkpointer: bool,
    extra: Callable[[Updated], Iterable[Op]] = lambda u: (),
    create: Callable[[], dict[str, Any]] | None = None,
) -> Plan[Updated]:
    """:func:`plan_update` that also queues entries for the checkpointer's thread and delivers
    them (:mod:`~langgraph_genesis_memory.sessions._thread`); without a checkpointer, only the
    session changes.

    Args:
        tenant, session_id, mutate, create: As :func:`plan_update`.
        entries: The queue entries to add, from the changed session and the latest checkpoint.
        checkpointer: Whether the manager has a checkpointer.
        extra: Other ops for the commit batch, from the update.
    """

    def change(session: dict[str, Any], latest: ThreadView | None) -> Any:
        result = mutate(session, latest)
        if checkpointer:
            queued = entries(session, latest)
            session["thread"] = enqueue(session.get("thread"), latest, queued)
        return result

    updated = yield from plan_update(
        tenant, session_id, change, create=create, read_thread=checkpointer
    )
    yield from plan_commit(tenant, session_id, updated, extra(updated))
    if not checkpointer:
        return updated
    thread, latest = updated.session.get("thread"), updated.latest
    for _ in range(5):
        if (yield from plan_deliver(session_id, thread, latest)):
            return updated
        # The thread moved on (a run) since it was read: re-target the queue and deliver again.
        retarget = yield from plan_update(
            tenant,
            session_id,
            lambda s, v: s.__setitem__("thread", enqueue(s.get("thread"), v, [])),
            read_thread=True,
            allow_ended=True,
        )
        yield from plan_commit(tenant, session_id, retarget)
        thread, latest = retarget.session.get("thread"), retarget.latest
    return updated


# -- start and handoffs ----------------------------------------------------------------------------
def plan_start(
    session: dict[str, Any],
    *,
    exist_ok: bool = False,
    short_term: Sequence[PutOp] = (),
) -> Plan[dict[str, Any]]:
    """Store a new session value, unless one exists (in this tenant or, by the directory, in
    another).

    Args:
        session: The new value (:func:`~._records.new_session`).
        exist_ok: Return the existing value instead of raising.
        short_term: Puts into the session's short-term memory (the ``session`` marker...).

    Raises:
        SessionExistsError: If the session exists and ``exist_ok`` is false.
    """
    tenant, session_id = session["tenant_id"], session["session_id"]
    (entry,) = yield [GetOp(directory_namespace(), session_id)]
    owner = None if entry is None else entry.value.get("tenant_id")
    if owner is not None and owner != tenant:
        stored_elsewhere = yield ReadSession(owner, session_id)
        if stored_elsewhere is not None:
            raise SessionExistsError(
                f"Session id {session_id!r} is used by tenant {owner!r}; session ids are "
                "LangGraph thread ids and must be unique across tenants."
            )
    stored = yield ReadSession(tenant, session_id)
    if stored is not None:
        if not exist_ok:
            raise SessionExistsError(
                f"Session {session_id!r} of tenant {tenant!r} already exists; resume it with "
                "SessionManager.resume() or start one with another session_id."
            )
        return dict(stored.value)
    session = {**session, "sync_version": 1, "updated_at": now_iso()}
    written: Written = yield WriteSession(tenant, session_id, session, None)
    if not written.applied:
        if exist_ok:
            again: Stored | None = yield ReadSession(tenant, session_id)
            if again is not None:
                return dict(again.value)
        raise SessionExistsError(
            f"Session {session_id!r} of tenant {tenant!r} was started by another writer at the "
            "same moment; resume it with SessionManager.resume()."
        )
    updated = Updated(session, None, None, written.copy)
    yield from plan_commit(tenant, session_id, updated, short_term)
    return session


def apply_handoff(session: dict[str, Any], record: dict[str, Any]) -> None:
    """Apply a handoff record to a session value: agents, count, facts, tasks, last handoff.

    The current agent becomes ``record["to_agent"]``, the previous one ``record["from_agent"]``;
    both join the agents; the handoff count grows by one; the handoff's critical facts and
    pending tasks are added to the session's; ``last_handoff`` keeps what the receiving agent
    needs (:class:`~langgraph_genesis_memory.sessions.HandoffBrief`).
    """
    session["previous_agent"] = record["from_agent"]
    session["current_agent"] = record["to_agent"]
    session["agents"] = unique([*session["agents"], record["from_agent"], record["to_agent"]])
    session["handoff_count"] = int(session.get("handoff_count", 0)) + 1
    add_facts(session, record["critical_facts"])
    add_tasks(session, record["context"]["pending_tasks"], owner=record["to_agent"])
    session["last_handoff"] = {
        "key": record["key"],
        "from_agent": record["from_agent"],
        "to_agent": record["to_agent"],
        "reason": record["reason"],
        "continuation_instructions": record["continuation_instructions"],
        "critical_info": merge_facts(record["critical_facts"], None),
        "time": record["time"],
    }


def handoff_puts(record: dict[str, Any], session: dict[str, Any]) -> list[PutOp]:
    """The puts of a handoff record (with the session revision it produced) and the session's
    short-term ``last_handoff`` pointer."""
    tenant, session_id = record["tenant_id"], record["session_id"]
    record["sync_version"] = session["sync_version"]
    return [
        policy_put(handoffs_namespace(tenant, session_id), record["key"], record),
        policy_put(
            short_term_namespace(tenant, session_id), "last_handoff", {"key": record["key"]}
        ),
    ]


def plan_record_handoff(
    record: dict[str, Any],
    before: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
) -> Plan[dict[str, Any]]:
    """Store a handoff record and update its session (created if it did not exist).

    The session changes by compare-and-set (:func:`apply_handoff`); the record, which carries
    the ``sync_version`` of the session it produced, is written with the commit batch.

    Args:
        record: The handoff record (a JSON dict with ``tenant_id``, ``session_id``, ``key``...).
        before: Called as ``before(record, session)`` with the session as it was read, before
            anything changes (e.g. to copy the session's pending tasks into the record); runs
            again on each retry.

    Returns:
        A plan whose value is the updated session value.

    Raises:
        SessionEndedError: If the session ended (reopen it first).
    """
    tenant, session_id = record["tenant_id"], record["session_id"]

    def mutate(session: dict[str, Any], latest: ThreadView | None) -> None:
        if before is not None:
            before(record, copy.deepcopy(session))
        apply_handoff(session, record)

    updated = yield from plan_update(
        tenant,
        session_id,
        mutate,
        create=lambda: new_session(tenant, session_id, user_id=record.get("user_id")),
    )
    yield from plan_commit(tenant, session_id, updated, handoff_puts(record, updated.session))
    return updated.session


def list_handoffs_op(tenant: str, session_id: str, limit: int = 1000) -> SearchOp:
    """The search of a session's handoff records (at most ``limit``; sort with
    :func:`handoff_order`).

    Raises:
        InvalidArgumentError: If ``limit`` is not a positive integer.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidArgumentError(f"limit must be a positive integer; got {limit!r}.")
    return SearchOp(handoffs_namespace(tenant, session_id), limit=limit)


def handoff_order(items: Iterable[Any]) -> list[dict[str, Any]]:
    """Handoff records of search results, oldest first, in the current shape."""
    records = [upgrade_record(item.value) for item in items]
    return sorted(records, key=lambda r: (r.get("time", ""), r.get("key", "")))


def session_get_op(tenant: str, session_id: str) -> GetOp:
    """The read of a session's store copy."""
    return GetOp(sessions_namespace(tenant), session_id)
