"""Session and handoff logic, written once for sync and async (it only yields requests).

Each ``plan_*`` function is a generator: it yields a list of LangGraph store ops (``GetOp``,
``PutOp``, ``SearchOp``) or a :class:`CheckpointRead`, receives the results, and returns a
value. :func:`run_plan` executes it with ``store.batch`` and ``checkpointer.get_tuple``;
:func:`arun_plan` with ``store.abatch`` and ``checkpointer.aget_tuple``. One plan step is one
store batch (one round trip per op type on :class:`~langgraph_genesis_memory.GenesisStore`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from langchain_core.runnables import RunnableConfig
from langgraph.store.base import NOT_PROVIDED, BaseStore, GetOp, NotProvided, Op, PutOp, SearchOp

from langgraph_genesis_memory._plans import Plan, adrive, drive
from langgraph_genesis_memory.errors import (
    InvalidArgumentError,
    SessionExistsError,
    SessionNotFoundError,
)
from langgraph_genesis_memory.sessions._layout import (
    handoffs_namespace,
    sessions_namespace,
    short_term_namespace,
)
from langgraph_genesis_memory.sessions._records import (
    add_facts,
    add_tasks,
    new_session,
    now_iso,
    unique,
)

T = TypeVar("T")


@dataclass(frozen=True)
class CheckpointRead:
    """Read the latest checkpoint tuple of ``config`` (``None`` without a checkpointer)."""

    config: RunnableConfig


Step = list[Op] | CheckpointRead
"""What a session plan yields: one store batch, or one checkpoint read."""


def run_plan(store: BaseStore, plan: Plan[T], checkpointer: Any = None) -> T:
    """Run a session plan with the store's sync API (``batch``) and ``checkpointer.get_tuple``."""

    def execute(step: Step) -> Any:
        if isinstance(step, CheckpointRead):
            return checkpointer.get_tuple(step.config) if checkpointer else None
        return store.batch(step)

    return drive(plan, execute)


async def arun_plan(store: BaseStore, plan: Plan[T], checkpointer: Any = None) -> T:
    """Async twin of :func:`run_plan` (``abatch`` and ``aget_tuple``)."""

    async def execute(step: Step) -> Any:
        if isinstance(step, CheckpointRead):
            return await checkpointer.aget_tuple(step.config) if checkpointer else None
        return await store.abatch(step)

    return await adrive(plan, execute)


def policy_put(
    namespace: tuple[str, ...],
    key: str,
    value: dict[str, Any] | None,
    ttl: float | None | NotProvided = NOT_PROVIDED,
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


def session_get_op(tenant: str, session_id: str) -> GetOp:
    """The read of a session's stored value."""
    return GetOp(sessions_namespace(tenant), session_id)


def plan_start(session: dict[str, Any], *, exist_ok: bool = False) -> Plan[dict[str, Any]]:
    """Store a new session value, unless one exists.

    Raises:
        SessionExistsError: If the session exists and ``exist_ok`` is false.
    """
    tenant, session_id = session["tenant_id"], session["session_id"]
    (found,) = yield [session_get_op(tenant, session_id)]
    existing = None if found is None else dict(found.value)
    if existing is not None:
        if not exist_ok:
            raise SessionExistsError(
                f"Session {session_id!r} of tenant {tenant!r} already exists; resume it with "
                "SessionManager.resume() or start one with another session_id."
            )
        return existing
    yield [
        policy_put(sessions_namespace(tenant), session_id, session),
        policy_put(
            short_term_namespace(tenant, session_id),
            "session",
            {"started_at": now_iso()},
        ),
    ]
    return session


def plan_update_session(
    tenant: str,
    session_id: str,
    mutate: Callable[[dict[str, Any]], Any],
    *,
    create: Callable[[], dict[str, Any]] | None = None,
    extra_puts: Sequence[PutOp] | Callable[[], Sequence[PutOp]] = (),
) -> Plan[tuple[dict[str, Any], Any]]:
    """Read, change and write back a session value, and slide its short-term TTL.

    Args:
        tenant, session_id: Which session.
        mutate: Changes the value in place; its return value is passed through.
        create: Builds the value when the session does not exist (else it is an error).
        extra_puts: Other writes for the same batch (e.g. a handoff record), or a function
            returning them after ``mutate`` ran.

    Returns:
        A plan whose value is ``(session, mutate's result)``.

    Raises:
        SessionNotFoundError: If the session does not exist and ``create`` is not given.
    """
    (found,) = yield [session_get_op(tenant, session_id)]
    session = None if found is None else dict(found.value)
    if session is None:
        if create is None:
            raise SessionNotFoundError(
                f"No session {session_id!r} for tenant {tenant!r}: start it with "
                "SessionManager.start() (sessions expire with their namespace TTL)."
            )
        session = create()
    result = mutate(session)
    session["updated_at"] = now_iso()
    yield [
        policy_put(sessions_namespace(tenant), session_id, session),
        *(extra_puts() if callable(extra_puts) else extra_puts),
        touch_op(tenant, session_id),
    ]
    return session, result


def plan_record_handoff(
    record: dict[str, Any],
    before: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
) -> Plan[dict[str, Any]]:
    """Store a handoff record and update its session (created if it did not exist).

    One read and one write batch. The session's current agent becomes ``record["to_agent"]``,
    the previous one ``record["from_agent"]``; both join its agents; the handoff count grows by
    one; the handoff's critical facts and pending tasks are added to the session's.

    Args:
        record: The handoff record (a JSON dict with ``tenant_id``, ``session_id``, ``key``...).
        before: Called as ``before(record, session)`` with the session as it was read, before
            anything changes (e.g. to copy the session's pending tasks into the record).

    Returns:
        A plan whose value is the updated session value.
    """
    tenant, session_id = record["tenant_id"], record["session_id"]

    def mutate(session: dict[str, Any]) -> None:
        if before is not None:
            before(record, copy.deepcopy(session))
        session["previous_agent"] = record["from_agent"]
        session["current_agent"] = record["to_agent"]
        session["agents"] = unique([*session["agents"], record["from_agent"], record["to_agent"]])
        session["handoff_count"] = int(session.get("handoff_count", 0)) + 1
        add_facts(session, record["critical_facts"])
        add_tasks(session, record["context"]["pending_tasks"], owner=record["to_agent"])

    def puts() -> list[PutOp]:
        return [
            policy_put(handoffs_namespace(tenant, session_id), record["key"], record),
            policy_put(
                short_term_namespace(tenant, session_id), "last_handoff", {"key": record["key"]}
            ),
        ]

    session, _ = yield from plan_update_session(
        tenant,
        session_id,
        mutate,
        create=lambda: new_session(tenant, session_id, user_id=record.get("user_id")),
        extra_puts=puts,
    )
    return session


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
    """Handoff records of search results, oldest first."""
    records = [dict(item.value) for item in items]
    return sorted(records, key=lambda r: (r.get("time", ""), r.get("key", "")))
