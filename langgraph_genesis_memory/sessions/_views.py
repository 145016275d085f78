"""The typed results of the session manager; each converts to a JSON-ready dict (``to_dict``).

:class:`SessionContext` is the manager's own view of a session (``start``, ``resume``,
``context``...); the others follow the memory-coordination system the project is built from.

The dict shapes follow the memory-coordination system the project is built from::

    handoff_to_agent(...).to_dict()
    # {"from_agent", "to_agent", "timestamp",
    #  "context_snapshot": {"conversation_summary", "critical_facts", "pending_tasks"}}
    get_handoff_context(...).to_dict()
    # {"from_agent", "continuation_instructions", "critical_info"}
    get_full_context(...).to_dict()
    # {"session_id", "tenant_id", "status", "duration_seconds",
    #  "conversation": {"message_count", "recent_messages", "summary"},
    #  "agents": {"current", "previous", "active", "handoff_count"},
    #  "tasks": {"pending", "completed", "completion_rate"},
    #  "memory": {"critical_facts", "working_memory", "long_term_refs"}}
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.runnables import RunnableConfig

from langgraph_genesis_memory.sessions._layout import TENANT_KEY, USER_KEY


@dataclass(frozen=True)
class SessionMessage:
    """A message added to a session (``SessionManager.add_message``).

    Attributes:
        session_id: The session.
        id: The message id (also its id in the checkpointer's thread).
        role: ``"user"``, ``"assistant"`` or ``"system"``.
        content: The text.
        timestamp: When it was added (ISO 8601 UTC).
        metadata: The metadata given with it.
        name: The agent or user name given with it.
        sync_version: The session revision that added it.
    """

    session_id: str
    id: str
    role: str
    content: str
    timestamp: str
    metadata: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    sync_version: int = 0

    def to_dict(self) -> dict[str, Any]:
        """``{"session_id", "id", "role", "content", "metadata", "timestamp"}`` (and ``name``
        when given)."""
        out = {"session_id": self.session_id, "id": self.id, "role": self.role,
               "content": self.content, "metadata": copy.deepcopy(self.metadata),
               "timestamp": self.timestamp}  # fmt: skip
        if self.name is not None:
            out["name"] = self.name
        return out


@dataclass(frozen=True)
class ContextSnapshot:
    """What a handoff hands over (``HandoffResult.context_snapshot``).

    Attributes:
        conversation_summary: ``"15 messages (8 from user, 7 from assistant)"``.
        critical_facts: Key -> value facts (the handoff's and the session's).
        pending_tasks: Descriptions of the tasks still open.
    """

    conversation_summary: str
    critical_facts: dict[str, Any]
    pending_tasks: list[str]

    def to_dict(self) -> dict[str, Any]:
        """``{"conversation_summary", "critical_facts", "pending_tasks"}``."""
        return {"conversation_summary": self.conversation_summary,
                "critical_facts": copy.deepcopy(self.critical_facts),
                "pending_tasks": list(self.pending_tasks)}  # fmt: skip


@dataclass(frozen=True)
class HandoffResult:
    """A handoff made with ``SessionManager.handoff_to_agent``.

    Attributes:
        from_agent, to_agent: Who handed over to whom.
        timestamp: When (ISO 8601 UTC).
        context_snapshot: The :class:`ContextSnapshot`.
        handoff_reason: Why.
        continuation_instructions: How the receiving agent should continue.
        record: The full handoff record as stored (see ``docs/handoffs.md``).
    """

    from_agent: str
    to_agent: str
    timestamp: str
    context_snapshot: ContextSnapshot
    handoff_reason: str
    continuation_instructions: str
    record: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """``{"from_agent", "to_agent", "timestamp", "context_snapshot": {...}}``."""
        return {"from_agent": self.from_agent, "to_agent": self.to_agent,
                "timestamp": self.timestamp,
                "context_snapshot": self.context_snapshot.to_dict()}  # fmt: skip


@dataclass(frozen=True)
class HandoffBrief:
    """What the receiving agent needs of the latest handoff (``get_handoff_context``).

    Attributes:
        from_agent: Who handed over.
        continuation_instructions: How to continue.
        critical_info: The handoff's key -> value facts.
        to_agent: Who received it.
        reason: Why.
        timestamp: When (ISO 8601 UTC).
        key: The handoff record's key in ``("business", tenant, "handoffs", session)``.
    """

    from_agent: str
    continuation_instructions: str
    critical_info: dict[str, Any]
    to_agent: str = ""
    reason: str = ""
    timestamp: str = ""
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        """``{"from_agent", "continuation_instructions", "critical_info"}``."""
        return {"from_agent": self.from_agent,
                "continuation_instructions": self.continuation_instructions,
                "critical_info": copy.deepcopy(self.critical_info)}  # fmt: skip


@dataclass(frozen=True)
class ConversationView:
    """The conversation part of :class:`FullContext`.

    Attributes:
        message_count: Messages in the conversation (handoff markers not counted).
        recent_messages: The latest ones (``role``, ``content``, ``name``), at most
            ``max_history`` and within the manager's token budget.
        summary: ``"15 messages (8 from user, 7 from assistant)"``.
    """

    message_count: int
    recent_messages: list[dict[str, Any]]
    summary: str


@dataclass(frozen=True)
class AgentsView:
    """The agents part of :class:`FullContext`.

    Attributes:
        current: The agent in control.
        previous: The one before.
        active: Every agent involved so far, in order of appearance.
        handoff_count: Handoffs so far.
    """

    current: str | None
    previous: str | None
    active: list[str]
    handoff_count: int


@dataclass(frozen=True)
class TasksView:
    """The tasks part of :class:`FullContext`.

    Attributes:
        pending: Task dicts not completed yet.
        completed: Task dicts completed.
        completion_rate: Completed / all, 0.0 to 1.0 (1.0 with no tasks).
    """

    pending: list[dict[str, Any]]
    completed: list[dict[str, Any]]
    completion_rate: float


@dataclass(frozen=True)
class MemoryView:
    """The memory part of :class:`FullContext`.

    Attributes:
        critical_facts: Key -> value facts every agent must keep.
        working_memory: The session's short-term memory (``("short_term", tenant, session)``):
            item key -> value (the initial context is under ``"context"``).
        long_term_refs: ``{"namespace": [...], "key": ...}`` of the long-lived records of the
            session (handoff records, the archive once ended).
    """

    critical_facts: dict[str, Any]
    working_memory: dict[str, Any]
    long_term_refs: list[dict[str, Any]]


@dataclass(frozen=True)
class FullContext:
    """Everything about a session, grouped (``SessionManager.get_full_context``).

    Attributes:
        session_id, tenant_id, status: The session.
        duration_seconds: From start to end (or to now, while active).
        conversation, agents, tasks, memory: The groups.
    """

    session_id: str
    tenant_id: str
    status: str
    duration_seconds: float
    conversation: ConversationView
    agents: AgentsView
    tasks: TasksView
    memory: MemoryView

    def to_dict(self) -> dict[str, Any]:
        """The nested dict (see the module docstring)."""
        c, a, t, m = self.conversation, self.agents, self.tasks, self.memory
        return copy.deepcopy({
            "session_id": self.session_id, "tenant_id": self.tenant_id, "status": self.status,
            "duration_seconds": self.duration_seconds,
            "conversation": {"message_count": c.message_count,
                             "recent_messages": c.recent_messages, "summary": c.summary},
            "agents": {"current": a.current, "previous": a.previous, "active": a.active,
                       "handoff_count": a.handoff_count},
            "tasks": {"pending": t.pending, "completed": t.completed,
                      "completion_rate": t.completion_rate},
            "memory": {"critical_facts": m.critical_facts, "working_memory": m.working_memory,
                       "long_term_refs": m.long_term_refs},
        })  # fmt: skip


@dataclass(frozen=True)
class SessionArchive:
    """The compact record of an ended session, kept in ``("business", tenant, "archive")``.

    Attributes:
        record: The stored value: ``session_id``, ``tenant_id``, ``user_id``, ``reason``,
            ``started_at``, ``ended_at``, ``duration_seconds``, ``summary``, ``message_count``,
            ``message_counts``, ``critical_facts``, ``tasks`` (``pending``, ``completed``,
            ``completion_rate``), ``agents``, ``current_agent``, ``previous_agent``,
            ``handoff_count``, ``handoff_keys``, ``sync_version``.
        namespace: Where it is stored.
    """

    record: dict[str, Any]
    namespace: tuple[str, ...]

    @property
    def session_id(self) -> str:
        """The session."""
        return str(self.record["session_id"])

    @property
    def reason(self) -> str:
        """Why it ended."""
        return str(self.record["reason"])

    def to_dict(self) -> dict[str, Any]:
        """The stored record."""
        return copy.deepcopy(self.record)


@dataclass(frozen=True)
class SessionContext:
    """Everything known about a session, as one structured object.

    Attributes:
        session_id: The session id (the LangGraph ``thread_id``).
        tenant_id, user_id: Who the session belongs to.
        status: ``"active"`` or ``"ended"``.
        started_at, updated_at, ended_at: ISO 8601 UTC times.
        agents: Agents involved so far, in order of appearance.
        current_agent, previous_agent: Who has control now and who had it before.
        handoff_count: Handoffs recorded in the session.
        tasks: Task dicts (``id``, ``description``, ``status``, ``owner``, times).
        critical_facts: Key -> value facts every agent must keep (facts given as sentences
            are under ``fact_1``, ``fact_2``...).
        message_counts: Messages in the conversation by kind (``total``, ``human``, ``ai``,
            ``tool``, ``system``): the checkpointer's thread (messages added with
            ``add_message`` included), else the messages added with ``add_message``.
        recent_messages: The latest messages (``role``, ``name``, ``content``) within the
            manager's ``history_tokens`` budget.
        recent_tokens: tiktoken count of ``recent_messages``.
        last_handoff: The latest handoff record, if any.
        metadata: Free-form metadata given at start.
        end_reason: Why it ended (``end_session(reason=...)``).
        sync_version: The session's revision (+1 on every change).
    """

    session_id: str
    tenant_id: str
    user_id: str | None
    status: str
    started_at: str
    updated_at: str
    ended_at: str | None
    agents: list[str]
    current_agent: str | None
    previous_agent: str | None
    handoff_count: int
    tasks: list[dict[str, Any]]
    critical_facts: dict[str, Any]
    message_counts: dict[str, int] = field(default_factory=dict)
    recent_messages: list[dict[str, Any]] = field(default_factory=list)
    recent_tokens: int = 0
    last_handoff: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    end_reason: str | None = None
    sync_version: int = 0

    @property
    def pending_tasks(self) -> list[dict[str, Any]]:
        """Tasks not completed yet."""
        return [t for t in self.tasks if t.get("status") == "pending"]

    @property
    def completed_tasks(self) -> list[dict[str, Any]]:
        """Tasks completed."""
        return [t for t in self.tasks if t.get("status") == "completed"]

    @property
    def completion_rate(self) -> float:
        """Completed tasks / all tasks, from 0.0 to 1.0 (1.0 when there are no tasks)."""
        return len(self.completed_tasks) / len(self.tasks) if self.tasks else 1.0

    @property
    def config(self) -> RunnableConfig:
        """The ``RunnableConfig`` that runs a graph in this session."""
        configurable: dict[str, Any] = {"thread_id": self.session_id, TENANT_KEY: self.tenant_id}
        if self.user_id is not None:
            configurable[USER_KEY] = self.user_id
        return {"configurable": configurable}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, with ``pending_tasks``, ``completed_tasks`` and
        ``completion_rate`` added."""
        out = asdict(self)
        out["pending_tasks"] = self.pending_tasks
        out["completed_tasks"] = self.completed_tasks
        out["completion_rate"] = self.completion_rate
        return out


def count_kinds(messages: Sequence[BaseMessage]) -> dict[str, int]:
    """Messages by kind: ``total``, ``human``, ``ai``, ``tool``, ``system``."""
    kinds = {"human": HumanMessage, "ai": AIMessage, "tool": ToolMessage, "system": SystemMessage}
    counts = {name: sum(isinstance(m, kind) for m in messages) for name, kind in kinds.items()}
    return {"total": len(messages), **counts}
