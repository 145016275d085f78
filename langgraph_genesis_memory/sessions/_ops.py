"""The session manager's operations as plans (sync and async share them; see ``_plans``).

Each ``plan_*`` validates its arguments before its first step (so bad input raises before any
I/O), resolves the session's tenant (:func:`plan_tenant`), and changes the session by
compare-and-set (:func:`~._plans.plan_update`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import BaseMessage
from langgraph.store.base import GetOp, PutOp, SearchOp

from langgraph_genesis_memory._messages import message_to_dict
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.errors import InvalidArgumentError
from langgraph_genesis_memory.sessions._cas import ReadSession, Stored
from langgraph_genesis_memory.sessions._layout import (
    HANDOFF_KEY,
    archive_namespace,
    directory_namespace,
    handoffs_namespace,
    label,
    short_term_namespace,
)
from langgraph_genesis_memory.sessions._plans import (
    Updated,
    apply_handoff,
    handoff_order,
    handoff_puts,
    not_found,
    plan_commit,
    plan_start,
    plan_thread_update,
    plan_update,
    policy_put,
    touch_op,
)
from langgraph_genesis_memory.sessions._records import (
    add_facts,
    add_tasks,
    check_facts,
    complete_tasks,
    conversation_summary,
    count_roles,
    merge_facts,
    new_message,
    new_session,
    now_iso,
    pending_descriptions,
    short_term_ttl,
    to_langchain,
)
from langgraph_genesis_memory.sessions._thread import (
    CheckpointRead,
    ThreadView,
    message_entry,
    plan_deliver,
    thread_config,
    value_entry,
    view,
)
from langgraph_genesis_memory.sessions._views import (
    AgentsView,
    ContextSnapshot,
    ConversationView,
    FullContext,
    HandoffBrief,
    HandoffResult,
    MemoryView,
    SessionArchive,
    SessionMessage,
    TasksView,
)
from langgraph_genesis_memory.store._ttl import resolve_ttl
from langgraph_genesis_memory.store._validation import validate_value
from langgraph_genesis_memory.tokens import Encoder, trim_messages_to_budget

INTERNAL_KEYS = frozenset({"session", "history", "last_handoff"})
"""Short-term items the manager keeps for itself (not shown as working memory)."""


@dataclass(frozen=True)
class Settings:
    """The manager's settings the plans need.

    Attributes:
        tenant_id: The default tenant.
        history_tokens: Token budget of recent history.
        max_history: Messages kept in the session's recent history.
        encoding: tiktoken encoding used to count.
        session_ttl: Sliding TTL (minutes) of a session's short-term memory.
        end_ttl: TTL (minutes) its short-term memory gets when the session ends.
        archive_ttl: TTL (minutes) of an archived session record (``None``: never expires).
        checkpointer: Whether the manager has a checkpointer.
        bound: Whether the manager serves only ``tenant_id`` (no directory lookups).
    """

    tenant_id: str
    history_tokens: int
    max_history: int
    encoding: str | Encoder
    session_ttl: float | None
    end_ttl: float | None
    archive_ttl: float | None
    checkpointer: bool
    bound: bool = False


def check_session_id(session_id: object) -> str:
    """Validate a session id (the LangGraph ``thread_id``): a non-empty string.

    Raises:
        InvalidArgumentError: Otherwise.
    """
    if not isinstance(session_id, str) or not session_id or "\x00" in session_id:
        raise InvalidArgumentError(
            f"session_id must be a non-empty string without NUL; got {session_id!r:.80}."
        )
    return session_id


def check_tenant(tenant_id: object) -> str | None:
    """Validate an optional tenant id.

    Raises:
        InvalidArgumentError: If it is given and is not a non-empty string.
    """
    if tenant_id is None:
        return None
    if not isinstance(tenant_id, str) or not tenant_id:
        raise InvalidArgumentError(f"tenant_id must be a non-empty string; got {tenant_id!r:.80}.")
    label(tenant_id)
    return tenant_id


def check_text(value: object, what: str, required: bool = False) -> str:
    """Validate a text argument (``None`` is the empty text unless ``required``).

    Raises:
        InvalidArgumentError: If it is not a string (or is empty and ``required``).
    """
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        kind = "a non-empty string" if required else "a string"
        raise InvalidArgumentError(f"{what} must be {kind}; got {value!r:.80}.")
    return value


def check_strings(values: object, what: str) -> list[str]:
    """Validate a list of strings (``None``: empty).

    Raises:
        InvalidArgumentError: Otherwise (a plain string is refused, never split).
    """
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise InvalidArgumentError(f"{what} must be a list of strings; got {values!r:.80}.")
    if not all(isinstance(v, str) for v in values):
        raise InvalidArgumentError(f"{what} must contain only strings; got {values!r:.80}.")
    return list(values)


def check_mapping(value: object, what: str) -> dict[str, Any]:
    """Validate an optional dict of JSON-like data (``None``: empty).

    Raises:
        InvalidValueError: If it is not a dict of JSON-like data.
    """
    if value is None:
        return {}
    try:
        return validate_value(value)
    except ValueError as exc:
        raise type(exc)(f"{what}: {exc}") from exc


def plan_tenant(
    settings: Settings, cache: MutableMapping[str, str], session_id: str, tenant_id: str | None
) -> Plan[str]:
    """The session's tenant: ``tenant_id`` if given; else the manager's tenant if the manager
    is bound to one; else the session directory's entry (cached in the manager), or the
    manager's default tenant."""
    if tenant_id is not None:
        return tenant_id
    if settings.bound:
        return settings.tenant_id
    if session_id in cache:
        return cache[session_id]
    (entry,) = yield [GetOp(directory_namespace(), session_id)]
    if entry is None:
        return settings.tenant_id
    tenant = str(entry.value.get("tenant_id") or settings.tenant_id)
    if len(cache) > 10_000:
        cache.clear()
    cache[session_id] = tenant
    return tenant


def short_term_puts(
    tenant: str, session_id: str, items: Mapping[str, Any], ttl: float | None
) -> list[PutOp]:
    """Puts into a session's short-term memory with ``ttl`` minutes."""
    namespace = short_term_namespace(tenant, session_id)
    return [policy_put(namespace, key, dict(value), ttl) for key, value in items.items()]


def plan_retime(tenant: str, session_id: str, ttl: float | None) -> Plan[None]:
    """Give every item of a session's short-term memory ``ttl`` minutes from now."""
    (items,) = yield [SearchOp(short_term_namespace(tenant, session_id), limit=1000)]
    if items:
        yield short_term_puts(tenant, session_id, {i.key: i.value for i in items}, ttl)
    return None


# -- start -----------------------------------------------------------------------------------------
def plan_start_session(
    settings: Settings,
    cache: MutableMapping[str, str],
    *,
    session_id: object,
    tenant_id: object,
    user_id: object,
    initial_context: object,
    agents: object,
    tasks: object,
    critical_facts: object,
    metadata: object,
) -> Plan[str]:
    """Start a session; returns its tenant (see ``SessionManager.start_session``)."""
    sid = check_session_id(session_id if session_id is not None else uuid.uuid4().hex)
    tenant = check_tenant(tenant_id) or settings.tenant_id
    user = None if user_id is None else check_text(user_id, "user_id", required=True)
    context = check_mapping(initial_context, "initial_context")
    facts = check_facts(critical_facts)
    value = new_session(
        tenant, sid, user_id=user, agents=check_strings(agents, "agents"),
        tasks=check_strings(tasks, "tasks"), critical_facts=facts,
        metadata=check_mapping(metadata, "metadata"), initial_context=context,
        short_term_ttl={"minutes": settings.session_ttl},
    )  # fmt: skip
    marker = {"session": {"started_at": value["started_at"], "user_id": user}}
    items = {**marker, **({"context": context} if context else {})}
    yield from plan_start(
        value, short_term=short_term_puts(tenant, sid, items, settings.session_ttl)
    )
    cache[sid] = tenant
    return tenant


# -- messages --------------------------------------------------------------------------------------
def _trim_history(history: list[dict[str, Any]], settings: Settings) -> list[dict[str, Any]]:
    history = history[-settings.max_history :] if settings.max_history else []
    messages = [to_langchain(m) for m in history]
    kept = trim_messages_to_budget(
        messages, settings.history_tokens, encoding=settings.encoding, keep_system=False,
        start_on_human=False,
    )  # fmt: skip
    ids = {m.id for m in kept}
    return [m for m in history if m["id"] in ids]


def plan_add_message(
    settings: Settings,
    cache: MutableMapping[str, str],
    *,
    session_id: object,
    role: object,
    content: object,
    metadata: object,
    name: object,
    tenant_id: object,
) -> Plan[SessionMessage]:
    """Append a message to the session (see ``SessionManager.add_message``)."""
    sid = check_session_id(session_id)
    tenant_given = check_tenant(tenant_id)
    message = new_message(role, content, name=name, metadata=metadata)
    tenant = yield from plan_tenant(settings, cache, sid, tenant_given)

    def mutate(session: dict[str, Any], latest: ThreadView | None) -> None:
        conversation = session["conversation"]
        conversation["message_count"] += 1
        conversation["counts"][message["role"]] = conversation["counts"].get(message["role"], 0) + 1
        conversation["history"] = _trim_history([*conversation["history"], message], settings)

    updated = yield from plan_thread_update(
        tenant, sid, mutate, lambda s, v: [message_entry(message)],
        checkpointer=settings.checkpointer,
    )  # fmt: skip
    return SessionMessage(
        session_id=sid, id=message["id"], role=message["role"], content=message["content"],
        timestamp=message["timestamp"], metadata=dict(message.get("metadata") or {}),
        name=message.get("name"), sync_version=updated.session["sync_version"],
    )  # fmt: skip


def conversation_of(session: Mapping[str, Any], latest: ThreadView | None) -> list[BaseMessage]:
    """The session's conversation: the thread's (null writes applied) when it has a checkpoint,
    else the recent history kept in the session."""
    if latest is not None:
        return latest.messages()
    return [to_langchain(m) for m in session["conversation"]["history"]]


def _not_marker(message: BaseMessage) -> bool:
    return HANDOFF_KEY not in (message.additional_kwargs or {})


def counts_of(
    session: Mapping[str, Any], latest: ThreadView | None
) -> tuple[int, dict[str, int], list[BaseMessage]]:
    """``(message_count, counts by role, conversation)``, handoff markers left out."""
    conversation = [m for m in conversation_of(session, latest) if _not_marker(m)]
    if latest is not None:
        return len(conversation), count_roles(conversation), conversation
    stored = session["conversation"]
    return int(stored["message_count"]), dict(stored["counts"]), conversation


# -- handoffs --------------------------------------------------------------------------------------
def plan_handoff_to_agent(
    settings: Settings,
    cache: MutableMapping[str, str],
    *,
    session_id: object,
    to_agent: object,
    handoff_reason: object,
    critical_info: object,
    continuation_instructions: object,
    pending_tasks: object,
    from_agent: object,
    tenant_id: object,
    active_agent_key: str | None,
) -> Plan[HandoffResult]:
    """Hand the session to another agent (see ``SessionManager.handoff_to_agent``)."""
    from langgraph_genesis_memory.tools._records import build_record, merge_session

    sid = check_session_id(session_id)
    tenant_given = check_tenant(tenant_id)
    target = check_text(to_agent, "to_agent", required=True)
    reason = check_text(handoff_reason, "handoff_reason", required=True)
    facts = check_facts(critical_info, "critical_info")
    how = check_text(continuation_instructions, "continuation_instructions")
    tasks = check_strings(pending_tasks, "pending_tasks")
    source_given = None if from_agent is None else check_text(from_agent, "from_agent", True)
    tenant = yield from plan_tenant(settings, cache, sid, tenant_given)
    made: dict[str, Any] = {}

    def mutate(session: dict[str, Any], latest: ThreadView | None) -> None:
        total, counts, conversation = counts_of(session, latest)
        agents = session.get("agents") or ["assistant"]
        source = source_given or session.get("current_agent") or agents[0]
        config = {"configurable": {"thread_id": sid, "tenant_id": tenant,
                                   "user_id": session.get("user_id")}}  # fmt: skip
        record = dict(build_record(
            config=config, messages=conversation, from_agent=source, to_agent=target,
            reason=reason, critical_facts=facts, continuation_instructions=how,
            pending_tasks=tasks, recent_tokens=settings.history_tokens,
            encoding=settings.encoding, via="session",
        ))  # fmt: skip
        merge_session(record, session)  # type: ignore[arg-type]
        apply_handoff(session, record)
        made["record"] = record
        made["summary"] = conversation_summary(total, counts)

    def entries(session: dict[str, Any], latest: ThreadView | None) -> list[dict[str, Any]]:
        record = made["record"]
        marker = {"id": f"genesis-handoff-{record['id']}", "role": "assistant",
                  "content": f"Handing off to {target}. Reason: {reason}",
                  "name": record["from_agent"], "handoff": record,
                  "timestamp": record["time"]}  # fmt: skip
        out = [message_entry(marker)]
        if active_agent_key:
            out.append(value_entry(active_agent_key, target, marker["id"]))
        return out

    updated = yield from plan_thread_update(
        tenant, sid, mutate, entries, checkpointer=settings.checkpointer,
        extra=lambda u: handoff_puts(made["record"], u.session),
    )  # fmt: skip
    record = made["record"]
    snapshot = ContextSnapshot(made["summary"], dict(record["critical_facts"]),
                               list(record["context"]["pending_tasks"]))  # fmt: skip
    del updated
    return HandoffResult(
        from_agent=record["from_agent"], to_agent=target, timestamp=record["time"],
        context_snapshot=snapshot, handoff_reason=reason, continuation_instructions=how,
        record=record,
    )  # fmt: skip


def brief_of(session: Mapping[str, Any]) -> HandoffBrief | None:
    """The :class:`HandoffBrief` of a session's latest handoff, if any."""
    last = session.get("last_handoff")
    if not last:
        return None
    return HandoffBrief(
        from_agent=str(last.get("from_agent") or ""),
        continuation_instructions=str(last.get("continuation_instructions") or ""),
        critical_info=merge_facts(last.get("critical_info"), None),
        to_agent=str(last.get("to_agent") or ""), reason=str(last.get("reason") or ""),
        timestamp=str(last.get("time") or ""), key=str(last.get("key") or ""),
    )  # fmt: skip


def plan_read(
    settings: Settings, cache: MutableMapping[str, str], session_id: object, tenant_id: object
) -> Plan[tuple[str, str, Stored]]:
    """Read a session: ``(tenant, session_id, stored)``.

    Raises:
        SessionNotFoundError: If it does not exist.
    """
    sid = check_session_id(session_id)
    tenant_given = check_tenant(tenant_id)
    tenant = yield from plan_tenant(settings, cache, sid, tenant_given)
    stored = yield ReadSession(tenant, sid)
    if stored is None:
        raise not_found(tenant, sid)
    return tenant, sid, stored


def plan_handoff_context(
    settings: Settings, cache: MutableMapping[str, str], session_id: object, tenant_id: object
) -> Plan[HandoffBrief | None]:
    """The latest handoff of a session (see ``SessionManager.get_handoff_context``)."""
    tenant, sid, stored = yield from plan_read(settings, cache, session_id, tenant_id)
    yield [touch_op(tenant, sid)]
    return brief_of(stored.value)


# -- full context ----------------------------------------------------------------------------------
def _seconds(start: str, end: str | None) -> float:
    begin = datetime.fromisoformat(start)
    finish = datetime.fromisoformat(end) if end else datetime.now(UTC)
    return round(max((finish - begin).total_seconds(), 0.0), 3)


def recent_of(conversation: Sequence[BaseMessage], settings: Settings) -> list[dict[str, Any]]:
    """The latest messages as dicts: at most ``max_history``, within ``history_tokens``."""
    window = list(conversation[-settings.max_history :]) if settings.max_history else []
    kept = trim_messages_to_budget(window, settings.history_tokens, encoding=settings.encoding)
    return [message_to_dict(m) for m in kept]


def plan_full_context(
    settings: Settings, cache: MutableMapping[str, str], session_id: object, tenant_id: object
) -> Plan[FullContext]:
    """Everything about a session (see ``SessionManager.get_full_context``)."""
    sid = check_session_id(session_id)
    tenant_given = check_tenant(tenant_id)
    tenant = yield from plan_tenant(settings, cache, sid, tenant_given)
    latest = None
    if settings.checkpointer:
        latest = view((yield CheckpointRead(thread_config(sid))))
    stored = yield ReadSession(tenant, sid)
    if stored is None:
        raise not_found(tenant, sid)
    session = stored.value
    short, handoffs = yield [
        SearchOp(short_term_namespace(tenant, sid), limit=1000, refresh_ttl=True),
        SearchOp(handoffs_namespace(tenant, sid), limit=1000),
    ]
    total, counts, conversation = counts_of(session, latest)
    tasks = session["tasks"]
    done = [dict(t) for t in tasks if t.get("status") == "completed"]
    refs = [{"namespace": list(handoffs_namespace(tenant, sid)), "key": r["key"]}
            for r in handoff_order(handoffs)]  # fmt: skip
    if session.get("status") == "ended":
        refs.append({"namespace": list(archive_namespace(tenant)), "key": sid})
    return FullContext(
        session_id=sid, tenant_id=tenant, status=session["status"],
        duration_seconds=_seconds(session["started_at"], session.get("ended_at")),
        conversation=ConversationView(total, recent_of(conversation, settings),
                                      conversation_summary(total, counts)),
        agents=AgentsView(session.get("current_agent"), session.get("previous_agent"),
                          list(session["agents"]), int(session.get("handoff_count", 0))),
        tasks=TasksView([dict(t) for t in tasks if t.get("status") == "pending"], done,
                        len(done) / len(tasks) if tasks else 1.0),
        memory=MemoryView(dict(session["critical_facts"]),
                          {i.key: i.value for i in short if i.key not in INTERNAL_KEYS}, refs),
    )  # fmt: skip


# -- end, resume, ttl ------------------------------------------------------------------------------
def archive_record(
    session: Mapping[str, Any], latest: ThreadView | None, handoff_keys: Sequence[str]
) -> dict[str, Any]:
    """The compact record of an ended session (see :class:`~._views.SessionArchive`)."""
    total, counts, _ = counts_of(session, latest)
    tasks = session["tasks"]
    done = [t["description"] for t in tasks if t.get("status") == "completed"]
    return {
        "session_id": session["session_id"], "tenant_id": session["tenant_id"],
        "user_id": session.get("user_id"), "reason": session.get("end_reason"),
        "started_at": session["started_at"], "ended_at": session.get("ended_at"),
        "duration_seconds": _seconds(session["started_at"], session.get("ended_at")),
        "summary": conversation_summary(total, counts), "message_count": total,
        "message_counts": counts, "critical_facts": dict(session["critical_facts"]),
        "tasks": {"pending": pending_descriptions(session), "completed": done,
                  "completion_rate": len(done) / len(tasks) if tasks else 1.0},
        "agents": list(session["agents"]), "current_agent": session.get("current_agent"),
        "previous_agent": session.get("previous_agent"),
        "handoff_count": int(session.get("handoff_count", 0)),
        "handoff_keys": list(handoff_keys), "initial_context": session.get("initial_context"),
        "metadata": session.get("metadata"), "sync_version": session["sync_version"],
    }  # fmt: skip


def plan_end_session(
    settings: Settings,
    cache: MutableMapping[str, str],
    session_id: object,
    reason: object,
    tenant_id: object,
) -> Plan[SessionArchive]:
    """End and archive a session (see ``SessionManager.end_session``)."""
    sid = check_session_id(session_id)
    why = check_text(reason, "reason", required=True)
    tenant_given = check_tenant(tenant_id)
    tenant = yield from plan_tenant(settings, cache, sid, tenant_given)
    (handoffs,) = yield [SearchOp(handoffs_namespace(tenant, sid), limit=1000)]
    keys = [r["key"] for r in handoff_order(handoffs)]

    def mutate(session: dict[str, Any], latest: ThreadView | None) -> Any:
        if session.get("status") != "ended":
            session["status"] = "ended"
            session["ended_at"] = now_iso()
            session["end_reason"] = why
        counted = archive_record({**session, "sync_version": 0}, latest, keys)
        session["conversation"]["history"] = []  # short-term: the archive keeps the summary
        return counted

    updated: Updated = yield from plan_update(
        tenant, sid, mutate, read_thread=settings.checkpointer, allow_ended=True
    )
    record = {**updated.result, "sync_version": updated.session["sync_version"]}
    namespace = archive_namespace(tenant)
    yield from plan_commit(
        tenant,
        sid,
        updated,
        [policy_put(namespace, sid, record, settings.archive_ttl)],
        touch=False,
    )
    yield from plan_retime(tenant, sid, settings.end_ttl)
    return SessionArchive(record, namespace)


def plan_resume(
    settings: Settings,
    cache: MutableMapping[str, str],
    session_id: object,
    reopen: bool,
    tenant_id: object,
) -> Plan[tuple[str, str]]:
    """Resume (and, with ``reopen``, reopen) a session; returns ``(tenant, session_id)``.

    Raises:
        SessionEndedError: If it ended and ``reopen`` is false.
    """
    from langgraph_genesis_memory.sessions._plans import ended

    sid = check_session_id(session_id)
    if not isinstance(reopen, bool):
        raise InvalidArgumentError(f"reopen must be True or False; got {reopen!r:.80}.")
    tenant_given = check_tenant(tenant_id)
    tenant = yield from plan_tenant(settings, cache, sid, tenant_given)

    def mutate(session: dict[str, Any], latest: ThreadView | None) -> bool:
        was_ended = session.get("status") == "ended"
        if was_ended and not reopen:
            raise ended(session)
        session["status"] = "active"
        session["ended_at"] = None
        session["end_reason"] = None
        session["resumed_count"] = int(session.get("resumed_count", 0)) + 1
        return was_ended

    updated = yield from plan_update(
        tenant, sid, mutate, read_thread=settings.checkpointer, allow_ended=True
    )
    yield from plan_commit(tenant, sid, updated)
    if updated.result:  # reopened: short-term memory lives again with the session's TTL
        ttl = short_term_ttl(updated.session, settings.session_ttl)
        yield from plan_retime(tenant, sid, ttl)
    if settings.checkpointer:  # deliver what a crashed writer may have left queued
        yield from plan_deliver(sid, updated.session.get("thread"), updated.latest)
    return tenant, sid


def plan_touch(
    settings: Settings,
    cache: MutableMapping[str, str],
    session_id: object,
    minutes: object,
    tenant_id: object,
    layers: Mapping[str, float | None],
) -> Plan[float | None]:
    """Slide (and with ``minutes``, set) the TTL of a session's short-term memory."""
    sid = check_session_id(session_id)
    ttl_given = minutes is not None
    ttl = resolve_ttl(minutes, "minutes", InvalidArgumentError, layers) if ttl_given else None
    tenant_given = check_tenant(tenant_id)
    tenant = yield from plan_tenant(settings, cache, sid, tenant_given)
    if not ttl_given:
        stored = yield ReadSession(tenant, sid)
        if stored is None:
            raise not_found(tenant, sid)
        yield [touch_op(tenant, sid)]
        current = short_term_ttl(stored.value, settings.session_ttl)
        return None if current is None else float(current)

    def mutate(session: dict[str, Any], latest: ThreadView | None) -> None:
        session["short_term_ttl"] = {"minutes": ttl}

    updated = yield from plan_update(tenant, sid, mutate, allow_ended=True)
    yield from plan_commit(tenant, sid, updated, touch=False)
    yield from plan_retime(tenant, sid, ttl)
    return ttl


def plan_exists(
    settings: Settings, cache: MutableMapping[str, str], session_id: object, tenant_id: object
) -> Plan[bool]:
    """Whether a session exists (started, not expired; ended sessions exist)."""
    sid = check_session_id(session_id)
    tenant_given = check_tenant(tenant_id)
    tenant = yield from plan_tenant(settings, cache, sid, tenant_given)
    stored = yield ReadSession(tenant, sid)
    return stored is not None


def plan_change(
    settings: Settings,
    cache: MutableMapping[str, str],
    session_id: object,
    tenant_id: object,
    change: str,
    values: object,
    owner: object = None,
) -> Plan[tuple[str, str]]:
    """Add tasks, complete tasks or add facts; returns ``(tenant, session_id)``."""
    sid = check_session_id(session_id)
    tenant_given = check_tenant(tenant_id)
    if change == "facts":
        facts = check_facts(values)
    else:
        items = check_strings(values, "tasks")
    who = None if owner is None else check_text(owner, "owner", required=True)
    tenant = yield from plan_tenant(settings, cache, sid, tenant_given)

    def mutate(session: dict[str, Any], latest: ThreadView | None) -> None:
        if change == "facts":
            add_facts(session, facts)
        elif change == "add_tasks":
            add_tasks(session, items, who)
        else:
            complete_tasks(session, items)

    updated = yield from plan_update(tenant, sid, mutate)
    yield from plan_commit(tenant, sid, updated)
    return tenant, sid
