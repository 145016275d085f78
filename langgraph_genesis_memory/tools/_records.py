"""Handoff records: the context snapshot, how it is rendered for the receiving agent, and how it
travels in the conversation (pure functions, no I/O).

A handoff record is a JSON object stored in the store (see
:mod:`langgraph_genesis_memory.sessions._layout`) and carried in the conversation by a marker
message (the handoff tool's ``ToolMessage``, or the handoff node's ``AIMessage``) under
``additional_kwargs["genesis_handoff"]``, so a receiving agent finds it in its state even in
another process (the checkpointer restores it).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypedDict

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig

from langgraph_genesis_memory._messages import message_to_dict
from langgraph_genesis_memory.sessions._layout import (
    DEFAULT_TENANT,
    HANDOFF_KEY,
    TENANT_KEY,
    USER_KEY,
    session_from_config,
)
from langgraph_genesis_memory.sessions._records import Facts, fact_lines, merge_facts
from langgraph_genesis_memory.tokens import (
    DEFAULT_ENCODING,
    Encoder,
    count_message_tokens,
    message_text,
    trim_messages_to_budget,
    truncate_text,
)

Summarizer = Callable[[Sequence[BaseMessage]], str]
"""Turns the conversation so far into a summary (e.g. an LLM chain); see ``summarizer=``."""


class HandoffContext(TypedDict):
    """The context snapshot handed to the receiving agent."""

    summary: str
    """Summary of the conversation so far (at most ``summary_tokens`` tokens)."""
    recent_messages: list[dict[str, Any]]
    """The most recent messages (``role``, ``name``, ``content``), within ``recent_tokens``."""
    recent_tokens: int
    """Tokens of ``recent_messages`` (tiktoken count, chat framing included)."""
    pending_tasks: list[str]
    """Tasks still open: those given with the handoff plus the session's pending ones."""
    message_count: int
    """Messages in the conversation when the handoff happened."""


class HandoffRecord(TypedDict):
    """One handoff, as stored in ``("business", tenant, "handoffs", session)``.

    ``critical_facts`` is a key -> value mapping (facts given as a list of sentences are stored
    under ``fact_1``, ``fact_2``...); ``sync_version`` is the revision of the session that the
    handoff produced (0 when the handoff was not recorded). Records written by earlier versions
    (``instructions``, a list of facts) are read in this shape by ``list_handoffs``.
    """

    key: str
    id: str
    tenant_id: str
    session_id: str
    thread_id: str
    user_id: str | None
    checkpoint_ns: str
    from_agent: str
    to_agent: str
    reason: str
    critical_facts: dict[str, Any]
    continuation_instructions: str
    context: HandoffContext
    time: str
    via: str
    tool_call_id: str | None
    sync_version: int


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def extractive_summary(
    messages: Sequence[BaseMessage],
    *,
    max_tokens: int = 300,
    encoding: str | Encoder = DEFAULT_ENCODING,
) -> str:
    """A deterministic summary without a model: counts, first and latest user requests, agents.

    Args:
        messages: The conversation so far.
        max_tokens: Budget of the summary in tokens.
        encoding: tiktoken encoding or model name.

    Returns:
        The summary text (empty for no messages).
    """
    if not messages:
        return ""
    humans = [m for m in messages if isinstance(m, HumanMessage) and message_text(m).strip()]
    ais = [m for m in messages if isinstance(m, AIMessage)]
    tools = [m for m in messages if isinstance(m, ToolMessage)]
    agents = list(dict.fromkeys(m.name for m in ais if m.name))
    parts = [
        f"{_n(len(messages), 'message')} so far ({len(humans)} from the user, {len(ais)} from "
        f"agents, {_n(len(tools), 'tool result')})."
    ]
    if agents:
        parts.append(f"Agents that spoke: {', '.join(agents)}.")
    if humans:
        first = truncate_text(message_text(humans[0]), max(max_tokens // 3, 1), encoding=encoding)
        parts.append(f"The user first said: {first!r}.")
        if len(humans) > 1:
            last = truncate_text(
                message_text(humans[-1]), max(max_tokens // 3, 1), encoding=encoding
            )
            parts.append(f"The latest user message: {last!r}.")
    return truncate_text(" ".join(parts), max_tokens, encoding=encoding)


def agent_from_config(config: RunnableConfig | Mapping[str, Any] | None) -> str | None:
    """Name the agent running a tool: LangChain's ``lc_agent_name`` metadata, else the graph
    node that contains the tool node (from LangGraph's ``checkpoint_ns``)."""
    config = config or {}
    metadata = config.get("metadata") or {}
    name = metadata.get("lc_agent_name")
    if isinstance(name, str) and name:
        return name
    ns = str((config.get("configurable") or {}).get("checkpoint_ns") or "")
    parts = [p.split(":", 1)[0] for p in ns.split("|") if p]
    if len(parts) >= 2:
        return parts[-2]
    return None


def _prior_messages(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """Drop the trailing AI message whose tool calls are being answered (the handoff turn)."""
    out = list(messages)
    while out and isinstance(out[-1], AIMessage) and out[-1].tool_calls:
        out.pop()
    return out


def build_record(
    *,
    config: RunnableConfig | Mapping[str, Any] | None,
    messages: Sequence[BaseMessage],
    from_agent: str,
    to_agent: str,
    reason: str,
    critical_facts: Facts | None = None,
    continuation_instructions: str = "",
    pending_tasks: Sequence[str] = (),
    summary: str | None = None,
    summarizer: Summarizer | None = None,
    recent_tokens: int = 1000,
    summary_tokens: int = 300,
    encoding: str | Encoder = DEFAULT_ENCODING,
    via: str = "tool",
    tool_call_id: str | None = None,
    require_thread: bool = True,
) -> HandoffRecord:
    """Build a handoff record with its context snapshot.

    Args:
        config: The run's configuration (``thread_id`` is the session; ``tenant_id``,
            ``user_id`` optional).
        messages: The conversation so far (the handing-off agent's state).
        from_agent, to_agent: Who hands over to whom.
        reason: Why.
        critical_facts: Facts the receiving agent must not lose: a key -> value mapping, or a
            list of sentences (stored as ``fact_1``, ``fact_2``...).
        continuation_instructions: How the receiving agent should continue.
        pending_tasks: Tasks still open.
        summary: A summary written by the handing-off agent; else ``summarizer``; else
            :func:`extractive_summary`. Cut to ``summary_tokens``.
        summarizer: Summarizes ``messages`` (e.g. an LLM call).
        recent_tokens: Budget in tokens of the recent messages kept in the snapshot.
        summary_tokens: Budget in tokens of the summary.
        encoding: tiktoken encoding or model name used to count.
        via: ``"tool"``, ``"node"`` or ``"session"`` (``SessionManager.handoff_to_agent``).
        tool_call_id: The tool call that made the handoff.
        require_thread: Fail without a ``thread_id`` (needed to record the handoff); when
            false, an unrecorded handoff gets an empty session id.

    Returns:
        The record (a JSON-ready dict).

    Raises:
        ConfigurationError: If the configuration has no ``thread_id`` and ``require_thread``.
    """
    configurable = (config or {}).get("configurable") or {}
    if require_thread or configurable.get("thread_id"):
        tenant, session_id = session_from_config(config)
    else:
        tenant, session_id = str(configurable.get(TENANT_KEY) or DEFAULT_TENANT), ""
    prior = _prior_messages(messages)
    if summary is None or not summary.strip():
        summary = summarizer(prior) if summarizer is not None else None
    if summary is None or not str(summary).strip():
        summary = extractive_summary(prior, max_tokens=summary_tokens, encoding=encoding)
    summary = truncate_text(str(summary), summary_tokens, encoding=encoding)
    replayable = [m for m in prior if isinstance(m, HumanMessage | AIMessage) and message_text(m)]
    replayable = [
        AIMessage(content=message_text(m), name=m.name) if isinstance(m, AIMessage) else m
        for m in replayable
    ]
    recent = trim_messages_to_budget(replayable, recent_tokens, encoding=encoding)
    now = datetime.now(UTC)
    handoff_id = uuid.uuid4().hex
    return HandoffRecord(
        key=f"{now.strftime('%Y%m%dT%H%M%S%fZ')}-{handoff_id[:8]}",
        id=handoff_id,
        tenant_id=tenant,
        session_id=session_id,
        thread_id=session_id,
        user_id=configurable.get(USER_KEY),
        checkpoint_ns=str(configurable.get("checkpoint_ns") or ""),
        from_agent=from_agent,
        to_agent=to_agent,
        reason=reason,
        critical_facts=merge_facts(critical_facts, None),
        continuation_instructions=continuation_instructions or "",
        context=HandoffContext(
            summary=summary,
            recent_messages=[message_to_dict(m) for m in recent],
            recent_tokens=count_message_tokens(recent, encoding=encoding),
            pending_tasks=[t for t in dict.fromkeys(pending_tasks) if isinstance(t, str) and t],
            message_count=len(prior),
        ),
        time=now.isoformat(),
        via=via,
        tool_call_id=tool_call_id,
        sync_version=0,
    )


def merge_session(record: HandoffRecord, session: Mapping[str, Any] | None) -> None:
    """Add the session's pending tasks and critical facts to the record's (in place); the
    handoff's own facts win over the session's for the same key."""
    if not session:
        return
    pending = [t["description"] for t in session.get("tasks", []) if t.get("status") == "pending"]
    ctx = record["context"]
    ctx["pending_tasks"] = list(dict.fromkeys([*ctx["pending_tasks"], *pending]))
    own = merge_facts(record["critical_facts"], None)
    merged = merge_facts(session.get("critical_facts"), None)
    present = {v for v in merged.values() if isinstance(v, str)}
    for key, value in own.items():
        anonymous = key.startswith("fact_") and key[5:].isdigit()
        if anonymous and isinstance(value, str):
            if value not in present:
                merged = merge_facts(merged, [value])
        else:
            merged[key] = value
    record["critical_facts"] = merged


def instructions_of(record: Mapping[str, Any]) -> str:
    """A record's continuation instructions (``instructions`` in records of earlier versions)."""
    return str(record.get("continuation_instructions") or record.get("instructions") or "")


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items) if items else "- (none)"


def render_handoff(record: Mapping[str, Any], *, include_recent: bool = False) -> str:
    """Render a handoff record as text for the receiving agent's system prompt.

    Args:
        record: A :class:`HandoffRecord`.
        include_recent: Also list the recent messages as a transcript.

    Returns:
        A Markdown block: who handed over and why, critical facts, instructions, summary,
        pending tasks.
    """
    ctx = record.get("context") or {}
    lines = [
        f"## Handoff from {record.get('from_agent')} to {record.get('to_agent')}",
        f"Reason: {record.get('reason') or '(not given)'}",
        "Critical facts:",
        _bullets(fact_lines(record.get("critical_facts"))),
        f"How to continue: {instructions_of(record) or 'Continue helping the user.'}",
        f"Conversation so far: {ctx.get('summary') or '(no summary)'}",
        "Pending tasks:",
        _bullets(ctx.get("pending_tasks") or []),
    ]
    if include_recent:
        transcript = [
            f"{m.get('name') or m.get('role')}: {m.get('content')}"
            for m in ctx.get("recent_messages") or []
        ]
        lines += ["Recent messages:", *(transcript or ["(none)"])]
    return "\n".join(lines)


def find_handoff(
    messages: Sequence[BaseMessage], agent_name: str | None = None
) -> tuple[int, dict[str, Any]] | None:
    """Find the latest handoff marker in ``messages``.

    Args:
        messages: A conversation.
        agent_name: Only accept a handoff addressed to this agent (the latest handoff must be
            to it; an older one to it is ignored once control moved on).

    Returns:
        ``(index, record)`` of the marker message, or ``None``.
    """
    for index in range(len(messages) - 1, -1, -1):
        record = (messages[index].additional_kwargs or {}).get(HANDOFF_KEY)
        if isinstance(record, dict):
            if agent_name is not None and record.get("to_agent") != agent_name:
                return None
            return index, record
    return None
