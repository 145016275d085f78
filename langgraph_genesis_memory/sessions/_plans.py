"""Session and handoff logic, written once for sync and async (it only yields requests).

Each ``plan_*`` function is a generator: it yields a list of LangGraph store ops (``GetOp``,
``PutOp``, ``SearchOp``) or a :class:`CheckpointRead`, receives the results, and returns a
value. :func:`run_plan` executes it with ``store.batch`` and ``checkpointer.get_tuple``;
:func:`arun_plan` with ``store.abatch`` and ``checkpointer.aget_tuple``. One plan step is one
store batch (one round trip per op type on :class:`~langgraph_genesis_memory.GenesisStore`).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_store
from langgraph.store.base import NOT_PROVIDED, BaseStore, GetOp, NotProvided, Op, PutOp, SearchOp

from langgraph_genesis_memory._mongo import advance
from langgraph_genesis_memory.errors import (
    ConfigurationError,
    SessionExistsError,
    SessionNotFoundError,
)
from langgraph_genesis_memory.sessions._layout import (
    handoffs_namespace,
    sessions_namespace,
    short_term_namespace,
)
from langgraph_genesis_memory.tokens import message_text

T = TypeVar("T")


@dataclass(frozen=True)
class CheckpointRead:
    """Read the latest checkpoint tuple of ``config`` (``None`` without a checkpointer)."""

    config: RunnableConfig


Step = list[Op] | CheckpointRead
Plan = Generator[Step, Any, T]
"""A generator that yields store batches or checkpoint reads and returns a value."""


def run_plan(store: BaseStore, plan: Plan[T], checkpointer: Any = None) -> T:
    """Drive ``plan`` with the store's sync API (``batch``) and ``checkpointer.get_tuple``."""
    done, step = advance(plan, None, True)
    while not done:
        if isinstance(step, CheckpointRead):
            result = checkpointer.get_tuple(step.config) if checkpointer else None
        else:
            result = store.batch(step)
        done, step = advance(plan, result, False)
    return step


async def arun_plan(store: BaseStore, plan: Plan[T], checkpointer: Any = None) -> T:
    """Async twin of :func:`run_plan` (``abatch`` and ``aget_tuple``)."""
    done, step = advance(plan, None, True)
    while not done:
        if isinstance(step, CheckpointRead):
            result = await checkpointer.aget_tuple(step.config) if checkpointer else None
        else:
            result = await store.abatch(step)
        done, step = advance(plan, result, False)
    return step


def put_op(
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


def now_iso() -> str:
    """The current UTC time as an ISO 8601 string (microseconds)."""
    return datetime.now(UTC).isoformat()


_ROLES = {"human": "user", "ai": "assistant", "tool": "tool", "system": "system"}


def message_to_dict(message: BaseMessage) -> dict[str, Any]:
    """A compact, JSON-ready view of a message: role, name, text and tool-call names."""
    out: dict[str, Any] = {"role": _ROLES.get(message.type, message.type)}
    if message.name:
        out["name"] = message.name
    out["content"] = message_text(message)
    if isinstance(message, AIMessage) and message.tool_calls:
        out["tool_calls"] = [call["name"] for call in message.tool_calls]
    return out


def dict_to_message(data: Mapping[str, Any]) -> BaseMessage | None:
    """Turn a :func:`message_to_dict` view back into a text message for a model.

    User text becomes a ``HumanMessage``, agent text an ``AIMessage`` (without tool calls);
    tool results and empty messages give ``None`` (they are not replayed).
    """
    content = str(data.get("content") or "")
    if not content.strip():
        return None
    role = data.get("role")
    if role == "user":
        return HumanMessage(content=content, name=data.get("name"))
    if role == "assistant":
        return AIMessage(content=content, name=data.get("name"))
    if role == "system":
        return SystemMessage(content=content)
    return None


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if isinstance(item, str) and item.strip():
            seen.setdefault(item.strip(), None)
    return list(seen)


def _task(description: str, now: str, owner: str | None = None) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex[:8],
        "description": description,
        "status": "pending",
        "owner": owner,
        "created_at": now,
        "completed_at": None,
    }


def add_tasks(
    session: dict[str, Any], descriptions: Iterable[str], owner: str | None = None
) -> None:
    """Add pending tasks to a session value, skipping ones already listed as pending."""
    now = now_iso()
    pending = {t["description"] for t in session["tasks"] if t["status"] == "pending"}
    for description in _unique(descriptions):
        if description not in pending:
            session["tasks"].append(_task(description, now, owner))
            pending.add(description)


def add_facts(session: dict[str, Any], facts: Iterable[str]) -> None:
    """Add critical facts to a session value (deduplicated, order kept)."""
    session["critical_facts"] = _unique([*session["critical_facts"], *facts])


def complete_tasks(session: dict[str, Any], ids_or_descriptions: Iterable[str]) -> list[str]:
    """Mark tasks completed by id or exact description; return the ids completed."""
    wanted = set(ids_or_descriptions)
    done: list[str] = []
    now = now_iso()
    for task in session["tasks"]:
        if task["status"] == "pending" and (task["id"] in wanted or task["description"] in wanted):
            task["status"] = "completed"
            task["completed_at"] = now
            done.append(task["id"])
    return done


def new_session(
    tenant: str,
    session_id: str,
    *,
    user_id: str | None = None,
    agents: Sequence[str] = (),
    tasks: Sequence[str] = (),
    critical_facts: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The stored value of a new, active session."""
    now = now_iso()
    session: dict[str, Any] = {
        "session_id": session_id,
        "tenant_id": tenant,
        "user_id": user_id,
        "status": "active",
        "started_at": now,
        "updated_at": now,
        "ended_at": None,
        "resumed_count": 0,
        "agents": _unique(agents),
        "current_agent": None,
        "previous_agent": None,
        "handoff_count": 0,
        "tasks": [],
        "critical_facts": [],
        "metadata": dict(metadata or {}),
    }
    add_tasks(session, tasks)
    add_facts(session, critical_facts)
    return session


def _touch_op(tenant: str, session_id: str) -> SearchOp:
    # Reading the short-term items with refresh_ttl=True slides their TTL (LangGraph semantics).
    return SearchOp(short_term_namespace(tenant, session_id), limit=1000, refresh_ttl=True)


def plan_touch(tenant: str, session_id: str) -> Plan[int]:
    """Slide the TTL of the session's short-term memory; returns how many items were touched."""
    (items,) = yield [_touch_op(tenant, session_id)]
    return len(items)


def plan_get_session(tenant: str, session_id: str) -> Plan[dict[str, Any] | None]:
    """Read a session value (``None`` if there is none)."""
    (item,) = yield [GetOp(sessions_namespace(tenant), session_id)]
    return None if item is None else dict(item.value)


def plan_start(session: dict[str, Any], *, exist_ok: bool = False) -> Plan[dict[str, Any]]:
    """Store a new session value, unless one exists.

    Raises:
        SessionExistsError: If the session exists and ``exist_ok`` is false.
    """
    tenant, session_id = session["tenant_id"], session["session_id"]
    existing = yield from plan_get_session(tenant, session_id)
    if existing is not None:
        if not exist_ok:
            raise SessionExistsError(
                f"Session {session_id!r} of tenant {tenant!r} already exists; resume it with "
                "SessionManager.resume() or start one with another session_id."
            )
        return existing
    yield [
        put_op(sessions_namespace(tenant), session_id, session),
        put_op(
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
    session = yield from plan_get_session(tenant, session_id)
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
        put_op(sessions_namespace(tenant), session_id, session),
        *(extra_puts() if callable(extra_puts) else extra_puts),
        _touch_op(tenant, session_id),
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
        session["agents"] = _unique([*session["agents"], record["from_agent"], record["to_agent"]])
        session["handoff_count"] = int(session.get("handoff_count", 0)) + 1
        add_facts(session, record["critical_facts"])
        add_tasks(session, record["context"]["pending_tasks"], owner=record["to_agent"])

    def puts() -> list[PutOp]:
        return [
            put_op(handoffs_namespace(tenant, session_id), record["key"], record),
            put_op(
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


def plan_list_handoffs(
    tenant: str, session_id: str, *, limit: int = 1000
) -> Plan[list[dict[str, Any]]]:
    """The session's handoff records, oldest first (at most ``limit``)."""
    if limit < 1:
        raise ConfigurationError(f"limit must be a positive integer; got {limit!r}.")
    (items,) = yield [SearchOp(handoffs_namespace(tenant, session_id), limit=limit)]
    records = [dict(item.value) for item in items]
    return sorted(records, key=lambda r: (r.get("time", ""), r.get("key", "")))


def resolve_store(store: BaseStore | None, missing: str, hint: str = "") -> BaseStore:
    """The store to use: ``store`` if given, else the running graph's (LangGraph ``get_store()``).

    Args:
        store: An explicit store, or ``None``.
        missing: The start of the error message when there is none (what lacks a store).
        hint: More advice appended to the message.

    Raises:
        ConfigurationError: If no store was given and none is found at call time (a
            configuration mistake: it escapes tool nodes instead of reaching the model).
    """
    if store is not None:
        return store
    try:
        found = get_store()
    except (RuntimeError, KeyError):  # not inside a graph run
        found = None
    if found is None:
        raise ConfigurationError(
            f"{missing}: compile the graph with store=GenesisStore(...) (or "
            f"create_agent(..., store=...)), or pass store= to the factory{hint}."
        )
    return found
