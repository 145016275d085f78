"""``SessionManager``: sessions over the store (records) and the checkpointer (conversation)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar, cast

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.store.base import BaseStore, GetOp, SearchItem, SearchOp

from langgraph_genesis_memory._messages import message_to_dict
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.errors import SessionNotFoundError
from langgraph_genesis_memory.sessions._layout import (
    DEFAULT_TENANT,
    TENANT_KEY,
    USER_KEY,
    handoffs_namespace,
    label,
    sessions_namespace,
    short_term_namespace,
)
from langgraph_genesis_memory.sessions._plans import (
    CheckpointRead,
    arun_plan,
    handoff_order,
    list_handoffs_op,
    plan_start,
    plan_update_session,
    policy_put,
    run_plan,
)
from langgraph_genesis_memory.sessions._records import (
    add_facts,
    add_tasks,
    complete_tasks,
    new_session,
    now_iso,
)
from langgraph_genesis_memory.tokens import (
    DEFAULT_ENCODING,
    Encoder,
    count_message_tokens,
    trim_messages_to_budget,
)


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
        critical_facts: Facts every agent must keep.
        message_counts: Messages in the conversation by kind (``total``, ``human``, ``ai``,
            ``tool``, ``system``), read from the checkpointer.
        recent_messages: The latest messages (``role``, ``name``, ``content``) within the
            manager's ``history_tokens`` budget.
        recent_tokens: tiktoken count of ``recent_messages``.
        last_handoff: The latest handoff record, if any.
        metadata: Free-form metadata given at start.
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
    critical_facts: list[str]
    message_counts: dict[str, int] = field(default_factory=dict)
    recent_messages: list[dict[str, Any]] = field(default_factory=list)
    recent_tokens: int = 0
    last_handoff: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

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


T = TypeVar("T")


def _count(messages: Sequence[BaseMessage]) -> dict[str, int]:
    kinds = {"human": HumanMessage, "ai": AIMessage, "tool": ToolMessage, "system": SystemMessage}
    counts = {name: sum(isinstance(m, kind) for m in messages) for name, kind in kinds.items()}
    return {"total": len(messages), **counts}


class SessionManager:
    """Start, resume and end sessions; keep their tasks, facts and agents; report their context.

    A session is a LangGraph thread (``session_id == thread_id``) plus a record in the store
    (see :mod:`langgraph_genesis_memory.sessions._layout` for namespaces and TTLs). The
    conversation itself lives in the checkpointer, so a session resumes in any process that
    opens the same store and checkpointer. Every operation slides the TTL of the session's
    short-term memory (``("short_term", tenant, session)``, 24 hours) while it is in use.

    Sync methods use the store's and checkpointer's sync APIs; the ``a``-prefixed twins use
    their async APIs. Both run the same logic (:mod:`langgraph_genesis_memory.sessions._plans`).

    Args:
        store: A LangGraph ``BaseStore`` (normally :class:`~langgraph_genesis_memory.GenesisStore`).
        checkpointer: A LangGraph checkpointer (``GenesisSaver``); without one, message counts
            and recent messages are empty.
        tenant_id: The tenant of the sessions this manager handles.
        history_tokens: Token budget (tiktoken, offline) of the recent messages kept in the
            context and in short-term memory.
        encoding: tiktoken encoding or model name used to count.

    Example:
        >>> from langgraph.store.memory import InMemoryStore
        >>> sessions = SessionManager(InMemoryStore())
        >>> ctx = sessions.start(session_id="s1", user_id="u1", tasks=["answer the question"])
        >>> ctx.status, [t["description"] for t in ctx.pending_tasks]
        ('active', ['answer the question'])
    """

    def __init__(
        self,
        store: BaseStore,
        checkpointer: Any = None,
        *,
        tenant_id: str = DEFAULT_TENANT,
        history_tokens: int = 2000,
        encoding: str | Encoder = DEFAULT_ENCODING,
    ) -> None:
        label(tenant_id)
        self.store = store
        self.checkpointer = checkpointer
        self.tenant_id = tenant_id
        self.history_tokens = history_tokens
        self.encoding = encoding

    def config(self, session_id: str, **configurable: Any) -> RunnableConfig:
        """The ``RunnableConfig`` for running a graph in ``session_id``.

        Args:
            session_id: The session (becomes ``thread_id``).
            **configurable: Extra ``configurable`` keys (``user_id``, ``agent_id``...).

        Returns:
            ``{"configurable": {"thread_id": ..., "tenant_id": ..., **configurable}}``.
        """
        return {
            "configurable": {"thread_id": session_id, TENANT_KEY: self.tenant_id, **configurable}
        }

    # -- plans ---------------------------------------------------------------------------------
    def _plan_context(self, session_id: str, save_history: bool = True) -> Plan[SessionContext]:
        tenant = self.tenant_id
        messages: list[BaseMessage] = []
        tup = yield CheckpointRead({"configurable": {"thread_id": session_id, "checkpoint_ns": ""}})
        if tup is not None:
            messages = list((tup.checkpoint.get("channel_values") or {}).get("messages") or [])
        recent = trim_messages_to_budget(messages, self.history_tokens, encoding=self.encoding)
        tokens = count_message_tokens(recent, encoding=self.encoding)
        ops: list[Any] = [
            GetOp(sessions_namespace(tenant), session_id),
            SearchOp(short_term_namespace(tenant, session_id), limit=1000, refresh_ttl=True),
            SearchOp(handoffs_namespace(tenant, session_id), limit=1000),
        ]
        history = {
            "messages": [message_to_dict(m) for m in recent],
            "tokens": tokens,
            "message_count": len(messages),
            "updated_at": now_iso(),
        }
        if save_history and messages:
            ops.append(
                policy_put(
                    short_term_namespace(tenant, session_id),
                    "history",
                    history,
                )
            )
        item, _, handoff_items, *_ = yield ops
        if item is None:
            raise SessionNotFoundError(
                f"No session {session_id!r} for tenant {tenant!r}: start it with "
                "SessionManager.start() (sessions expire with their namespace TTL)."
            )
        handoffs = sorted((dict(i.value) for i in handoff_items), key=lambda r: r.get("time", ""))
        return self._context(
            dict(item.value), messages, history, handoffs[-1] if handoffs else None
        )

    def _context(
        self,
        session: Mapping[str, Any],
        messages: Sequence[BaseMessage],
        history: Mapping[str, Any],
        last_handoff: dict[str, Any] | None,
    ) -> SessionContext:
        return SessionContext(
            session_id=session["session_id"],
            tenant_id=session["tenant_id"],
            user_id=session.get("user_id"),
            status=session.get("status", "active"),
            started_at=session["started_at"],
            updated_at=session["updated_at"],
            ended_at=session.get("ended_at"),
            agents=list(session.get("agents", [])),
            current_agent=session.get("current_agent"),
            previous_agent=session.get("previous_agent"),
            handoff_count=int(session.get("handoff_count", 0)),
            tasks=[dict(t) for t in session.get("tasks", [])],
            critical_facts=list(session.get("critical_facts", [])),
            message_counts=_count(messages),
            recent_messages=list(history.get("messages", [])),
            recent_tokens=int(history.get("tokens", 0)),
            last_handoff=last_handoff,
            metadata=dict(session.get("metadata", {})),
        )

    def _plan_start(self, session_id: str | None, **kwargs: Any) -> Plan[SessionContext]:
        session_id = session_id or uuid.uuid4().hex
        label(session_id)
        value = new_session(self.tenant_id, session_id, **kwargs)
        yield from plan_start(value)
        return (yield from self._plan_context(session_id))

    def _plan_change(self, session_id: str, mutate: Any) -> Plan[SessionContext]:
        yield from plan_update_session(self.tenant_id, session_id, mutate)
        return (yield from self._plan_context(session_id))

    @staticmethod
    def _resume(session: dict[str, Any]) -> None:
        session["status"] = "active"
        session["ended_at"] = None
        session["resumed_count"] = int(session.get("resumed_count", 0)) + 1

    @staticmethod
    def _end(session: dict[str, Any]) -> None:
        session["status"] = "ended"
        session["ended_at"] = now_iso()

    # -- sync API ------------------------------------------------------------------------------
    def _run(self, plan: Plan[T]) -> T:
        return run_plan(self.store, plan, self.checkpointer)

    def start(
        self,
        *,
        session_id: str | None = None,
        user_id: str | None = None,
        agents: Sequence[str] = (),
        tasks: Sequence[str] = (),
        critical_facts: Sequence[str] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> SessionContext:
        """Start a session.

        Args:
            session_id: The id (the graph's ``thread_id``); default a new random id.
            user_id: The user.
            agents: Agents expected to take part.
            tasks: Initial pending tasks (descriptions).
            critical_facts: Initial critical facts.
            metadata: Free-form JSON metadata.

        Returns:
            The new session's context; run graphs with ``context.config``.

        Raises:
            SessionExistsError: If a session with that id exists (use :meth:`resume`).
        """
        return self._run(
            self._plan_start(
                session_id, user_id=user_id, agents=agents, tasks=tasks,
                critical_facts=critical_facts, metadata=metadata,
            )
        )  # fmt: skip

    def resume(self, session_id: str) -> SessionContext:
        """Resume a session (from any process): mark it active again and return its context.

        Raises:
            SessionNotFoundError: If there is no such session.
        """
        return self._run(self._plan_change(session_id, self._resume))

    def end(self, session_id: str) -> SessionContext:
        """End a session (it stays readable and can be resumed).

        Raises:
            SessionNotFoundError: If there is no such session.
        """
        return self._run(self._plan_change(session_id, self._end))

    def add_tasks(
        self, session_id: str, tasks: Sequence[str], *, owner: str | None = None
    ) -> SessionContext:
        """Add pending tasks (descriptions already pending are skipped).

        Args:
            session_id: The session.
            tasks: Task descriptions.
            owner: The agent expected to do them.

        Returns:
            The updated context.

        Raises:
            SessionNotFoundError: If there is no such session.
        """
        return self._run(self._plan_change(session_id, lambda s: add_tasks(s, tasks, owner)))

    def complete_tasks(self, session_id: str, tasks: Sequence[str]) -> SessionContext:
        """Mark tasks completed.

        Args:
            session_id: The session.
            tasks: Task ids or exact descriptions; unknown ones are ignored.

        Returns:
            The updated context (see ``completion_rate``).

        Raises:
            SessionNotFoundError: If there is no such session.
        """
        return self._run(self._plan_change(session_id, lambda s: complete_tasks(s, tasks)))

    def add_facts(self, session_id: str, facts: Sequence[str]) -> SessionContext:
        """Add critical facts that every agent must keep.

        Args:
            session_id: The session.
            facts: Fact sentences (duplicates are dropped, order is kept).

        Returns:
            The updated context.

        Raises:
            SessionNotFoundError: If there is no such session.
        """
        return self._run(self._plan_change(session_id, lambda s: add_facts(s, facts)))

    def context(self, session_id: str) -> SessionContext:
        """The session's full context; also saves the recent history (within
        ``history_tokens``) to short-term memory and slides its TTL.

        Raises:
            SessionNotFoundError: If there is no such session.
        """
        return self._run(self._plan_context(session_id))

    def handoffs(self, session_id: str) -> list[dict[str, Any]]:
        """The session's handoff records, oldest first (for audit).

        Args:
            session_id: The session.

        Returns:
            :class:`~langgraph_genesis_memory.tools._records.HandoffRecord` dicts.
        """
        (items,) = self.store.batch([list_handoffs_op(self.tenant_id, session_id)])
        return handoff_order(cast(list[SearchItem], items))

    # -- async API -----------------------------------------------------------------------------
    async def _arun(self, plan: Plan[T]) -> T:
        return await arun_plan(self.store, plan, self.checkpointer)

    async def astart(
        self,
        *,
        session_id: str | None = None,
        user_id: str | None = None,
        agents: Sequence[str] = (),
        tasks: Sequence[str] = (),
        critical_facts: Sequence[str] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> SessionContext:
        """Async twin of :meth:`start`."""
        return await self._arun(
            self._plan_start(
                session_id, user_id=user_id, agents=agents, tasks=tasks,
                critical_facts=critical_facts, metadata=metadata,
            )
        )  # fmt: skip

    async def aresume(self, session_id: str) -> SessionContext:
        """Async twin of :meth:`resume`."""
        return await self._arun(self._plan_change(session_id, self._resume))

    async def aend(self, session_id: str) -> SessionContext:
        """Async twin of :meth:`end`."""
        return await self._arun(self._plan_change(session_id, self._end))

    async def aadd_tasks(
        self, session_id: str, tasks: Sequence[str], *, owner: str | None = None
    ) -> SessionContext:
        """Async twin of :meth:`add_tasks`."""
        return await self._arun(self._plan_change(session_id, lambda s: add_tasks(s, tasks, owner)))

    async def acomplete_tasks(self, session_id: str, tasks: Sequence[str]) -> SessionContext:
        """Async twin of :meth:`complete_tasks`."""
        return await self._arun(self._plan_change(session_id, lambda s: complete_tasks(s, tasks)))

    async def aadd_facts(self, session_id: str, facts: Sequence[str]) -> SessionContext:
        """Async twin of :meth:`add_facts`."""
        return await self._arun(self._plan_change(session_id, lambda s: add_facts(s, facts)))

    async def acontext(self, session_id: str) -> SessionContext:
        """Async twin of :meth:`context`."""
        return await self._arun(self._plan_context(session_id))

    async def ahandoffs(self, session_id: str) -> list[dict[str, Any]]:
        """Async twin of :meth:`handoffs`."""
        (items,) = await self.store.abatch([list_handoffs_op(self.tenant_id, session_id)])
        return handoff_order(cast(list[SearchItem], items))
