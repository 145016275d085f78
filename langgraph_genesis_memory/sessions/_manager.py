"""``SessionManager``: sessions over the store (records) and the checkpointer (conversation)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.store.base import BaseStore, SearchItem, SearchOp

from langgraph_genesis_memory._messages import message_to_dict
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.sessions._cas import MongoSessions, ReadSession, backend_for
from langgraph_genesis_memory.sessions._layout import (
    DEFAULT_TENANT,
    TENANT_KEY,
    label,
    short_term_namespace,
)
from langgraph_genesis_memory.sessions._ops import (
    Settings,
    check_session_id,
    check_tenant,
    plan_add_message,
    plan_change,
    plan_end_session,
    plan_exists,
    plan_full_context,
    plan_handoff_context,
    plan_handoff_to_agent,
    plan_resume,
    plan_start_session,
    plan_tenant,
    plan_touch,
)
from langgraph_genesis_memory.sessions._plans import (
    arun_plan,
    handoff_order,
    list_handoffs_op,
    not_found,
    policy_put,
    run_plan,
)
from langgraph_genesis_memory.sessions._records import now_iso, short_term_ttl, to_langchain
from langgraph_genesis_memory.sessions._thread import CheckpointRead, thread_config, view
from langgraph_genesis_memory.sessions._views import (
    FullContext,
    HandoffBrief,
    HandoffResult,
    SessionArchive,
    SessionContext,
    SessionMessage,
    count_kinds,
)
from langgraph_genesis_memory.store._ttl import TTLValue, layers_with, resolve_ttl
from langgraph_genesis_memory.tokens import (
    DEFAULT_ENCODING,
    Encoder,
    count_message_tokens,
    trim_messages_to_budget,
)

T = TypeVar("T")


class SessionManager:
    """Start, resume and end sessions; their messages, handoffs, tasks, facts and context.

    A session is a LangGraph thread (``session_id == thread_id``) plus a record in the store
    (see :mod:`langgraph_genesis_memory.sessions._layout` for namespaces and TTLs). The
    conversation lives in the checkpointer's thread: :meth:`add_message` delivers messages
    there, so a graph resuming the thread sees them; a session resumes in any process that
    opens the same store and checkpointer. Every change is a compare-and-set on the session's
    ``sync_version`` (retried on conflict), so concurrent writers (threads, tasks, processes)
    never lose each other's updates. Every operation slides the TTL of the session's short-term
    memory (``("short_term", tenant, session)``, the ``session`` memory layer: 24 hours).

    Sync methods use the store's and checkpointer's sync APIs; the ``a``-prefixed twins use
    their async APIs. Both run the same plans (:mod:`langgraph_genesis_memory.sessions._ops`).

    Tenants: a manager created with ``tenant_id`` serves that tenant only (its sessions are
    looked up there and nowhere else). A manager created without one serves every tenant:
    ``start_session(tenant_id=...)`` names the session's tenant (default ``"default"``), and
    later operations find it by the session id alone, in the session directory (session ids
    are LangGraph thread ids, unique across tenants). Any operation may also pass
    ``tenant_id=`` explicitly.

    Args:
        store: A LangGraph ``BaseStore`` (normally :class:`~langgraph_genesis_memory.GenesisStore`;
            with another store, compare-and-set is atomic within one process only).
        checkpointer: A LangGraph checkpointer (``GenesisSaver``); without one, the
            conversation is the recent history kept in the session record.
        tenant_id: The one tenant this manager serves; ``None`` (default): every tenant, new
            sessions in ``"default"`` unless ``start_session`` names one.
        history_tokens: Token budget (tiktoken, offline) of the recent messages kept and shown.
        max_history: At most this many recent messages are kept and shown (default 20).
        encoding: tiktoken encoding or model name used to count.
        session_ttl: Sliding TTL of a session's short-term memory: minutes or a memory layer
            (default ``"session"``, 24 hours; ``None``: never expires).
        end_ttl: TTL its short-term memory gets when the session ends (default
            ``"ephemeral"``, 15 minutes).
        archive_ttl: TTL of the archived record of an ended session (default
            ``"long_term"``, 180 days).
        layers: Overrides of the memory layers (name -> minutes) for the names above.

    Raises:
        ConfigurationError: For a bad tenant, budget or TTL.

    Example:
        >>> from langgraph.store.memory import InMemoryStore
        >>> sessions = SessionManager(InMemoryStore())
        >>> ctx = sessions.start_session(session_id="s1", user_id="u1", tasks=["answer"])
        >>> sessions.add_message("s1", "user", "I need help with X").role
        'user'
        >>> sessions.get_full_context("s1").to_dict()["conversation"]["summary"]
        '1 message (1 from user, 0 from assistant)'
    """

    def __init__(
        self,
        store: BaseStore,
        checkpointer: Any = None,
        *,
        tenant_id: str | None = None,
        history_tokens: int = 2000,
        max_history: int = 20,
        encoding: str | Encoder = DEFAULT_ENCODING,
        session_ttl: TTLValue = "session",
        end_ttl: TTLValue = "ephemeral",
        archive_ttl: TTLValue = "long_term",
        layers: Mapping[str, float | None] | None = None,
    ) -> None:
        bound = tenant_id is not None
        tenant_id = DEFAULT_TENANT if tenant_id is None else tenant_id
        label(tenant_id)
        for name, number in (("history_tokens", history_tokens), ("max_history", max_history)):
            if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                raise ConfigurationError(f"{name} must be an integer >= 0; got {number!r}.")
        self.store = store
        self.checkpointer = checkpointer
        self.tenant_id = tenant_id
        self.history_tokens = history_tokens
        self.max_history = max_history
        self.encoding = encoding
        self.layers = layers_with(layers)
        self.settings = Settings(
            tenant_id=tenant_id,
            history_tokens=history_tokens,
            max_history=max_history,
            encoding=encoding,
            session_ttl=resolve_ttl(session_ttl, "session_ttl", layers=self.layers),
            end_ttl=resolve_ttl(end_ttl, "end_ttl", layers=self.layers),
            archive_ttl=resolve_ttl(archive_ttl, "archive_ttl", layers=self.layers),
            checkpointer=checkpointer is not None,
            bound=bound,
        )
        self._tenants: dict[str, str] = {}

    def config(self, session_id: str, **configurable: Any) -> RunnableConfig:
        """The ``RunnableConfig`` for running a graph in ``session_id``.

        Args:
            session_id: The session (becomes ``thread_id``).
            **configurable: Extra ``configurable`` keys (``user_id``, ``agent_id``...;
                ``tenant_id`` overrides the manager's).

        Returns:
            ``{"configurable": {"thread_id": ..., "tenant_id": ..., **configurable}}``.
        """
        tenant = self._tenants.get(session_id, self.tenant_id)
        return {"configurable": {"thread_id": session_id, TENANT_KEY: tenant, **configurable}}

    # -- plans ---------------------------------------------------------------------------------
    def _plan_context(
        self, session_id: str, tenant_id: str | None = None, save_history: bool = True
    ) -> Plan[SessionContext]:
        session_id = check_session_id(session_id)
        tenant = yield from plan_tenant(
            self.settings, self._tenants, session_id, check_tenant(tenant_id)
        )
        tup = yield CheckpointRead(thread_config(session_id))
        stored = yield ReadSession(tenant, session_id)
        if stored is None:
            raise not_found(tenant, session_id)
        session = stored.value
        latest = view(tup)
        if latest is not None:
            messages = latest.messages()
        else:
            messages = [to_langchain(m) for m in session["conversation"]["history"]]
        window = messages[-self.max_history :] if self.max_history else []
        recent = trim_messages_to_budget(window, self.history_tokens, encoding=self.encoding)
        tokens = count_message_tokens(recent, encoding=self.encoding)
        history = {
            "messages": [message_to_dict(m) for m in recent],
            "tokens": tokens,
            "message_count": len(messages),
            "updated_at": now_iso(),
        }
        namespace = short_term_namespace(tenant, session_id)
        ops: list[Any] = [
            SearchOp(namespace, limit=1000, refresh_ttl=True),
            list_handoffs_op(tenant, session_id),
        ]
        if save_history and messages and session.get("status") != "ended":
            ttl = short_term_ttl(session, self.settings.session_ttl)
            ops.append(policy_put(namespace, "history", history, ttl))
        _, handoff_items, *_ = yield ops
        handoffs = handoff_order(handoff_items)
        return self._context(session, messages, history, handoffs[-1] if handoffs else None)

    def _context(
        self,
        session: Mapping[str, Any],
        messages: Sequence[BaseMessage],
        history: Mapping[str, Any],
        last_handoff: dict[str, Any] | None,
    ) -> SessionContext:
        if not messages:
            counts = session["conversation"]["counts"]
            total = int(session["conversation"]["message_count"])
            message_counts = {"total": total, "human": counts.get("user", 0),
                              "ai": counts.get("assistant", 0), "tool": counts.get("tool", 0),
                              "system": counts.get("system", 0)}  # fmt: skip
        else:
            message_counts = count_kinds(messages)
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
            critical_facts=dict(session["critical_facts"]),
            message_counts=message_counts,
            recent_messages=list(history.get("messages", [])),
            recent_tokens=int(history.get("tokens", 0)),
            last_handoff=last_handoff,
            metadata=dict(session.get("metadata", {})),
            end_reason=session.get("end_reason"),
            sync_version=int(session.get("sync_version", 0)),
        )

    def _plan_started(self, **kwargs: Any) -> Plan[SessionContext]:
        session_id = kwargs["session_id"]
        if session_id is None:
            kwargs["session_id"] = session_id = uuid.uuid4().hex
        tenant = yield from plan_start_session(self.settings, self._tenants, **kwargs)
        return (yield from self._plan_context(session_id, tenant))

    def _plan_then_context(self, plan: Plan[tuple[str, str]]) -> Plan[SessionContext]:
        tenant, session_id = yield from plan
        return (yield from self._plan_context(session_id, tenant))

    def _plan_end(
        self, session_id: str, reason: str, tenant_id: str | None
    ) -> Plan[SessionContext]:
        archive = yield from plan_end_session(
            self.settings, self._tenants, session_id, reason, tenant_id
        )
        tenant = archive.record["tenant_id"]
        return (yield from self._plan_context(session_id, tenant, save_history=False))

    def _run(self, plan: Plan[T]) -> T:
        return run_plan(self.store, plan, self.checkpointer)

    async def _arun(self, plan: Plan[T]) -> T:
        return await arun_plan(self.store, plan, self.checkpointer)

    # -- setup ---------------------------------------------------------------------------------
    def setup(self) -> None:
        """Create the TTL index of the session heads (idempotent; with a ``GenesisStore``).

        Sessions work without it; the index lets MongoDB delete expired session heads.
        """
        backend = backend_for(self.store)
        if isinstance(backend, MongoSessions):
            self.store._run(backend.setup())  # type: ignore[attr-defined]

    async def asetup(self) -> None:
        """Async twin of :meth:`setup`."""
        backend = backend_for(self.store)
        if isinstance(backend, MongoSessions):
            await self.store._arun(backend.setup())  # type: ignore[attr-defined]

    # -- sessions ------------------------------------------------------------------------------
    def start_session(
        self,
        session_id: str | None = None,
        tenant_id: str | None = None,
        user_id: str | None = None,
        initial_context: Mapping[str, Any] | None = None,
        *,
        agents: Sequence[str] = (),
        tasks: Sequence[str] = (),
        critical_facts: Mapping[str, Any] | Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> SessionContext:
        """Start a session.

        Args:
            session_id: The id (the graph's ``thread_id``, unique across tenants); default a
                new random id.
            tenant_id: Its tenant; default the manager's.
            user_id: The user.
            initial_context: JSON facts about how the session began (e.g. ``{"source":
                "web_app"}``): kept in the record and as working memory (short-term ``context``).
            agents: Agents expected to take part.
            tasks: Initial pending tasks (descriptions).
            critical_facts: Initial facts: a key -> value mapping or a list of sentences.
            metadata: Free-form JSON metadata.

        Returns:
            The new session's context; run graphs with ``context.config``.

        Raises:
            SessionExistsError: If a session with that id exists (use :meth:`resume`).
            InvalidArgumentError, InvalidValueError: For bad arguments (before any I/O).
        """
        return self._run(
            self._plan_started(
                session_id=session_id, tenant_id=tenant_id, user_id=user_id,
                initial_context=initial_context, agents=agents, tasks=tasks,
                critical_facts=critical_facts, metadata=metadata,
            )
        )  # fmt: skip

    async def astart_session(
        self,
        session_id: str | None = None,
        tenant_id: str | None = None,
        user_id: str | None = None,
        initial_context: Mapping[str, Any] | None = None,
        *,
        agents: Sequence[str] = (),
        tasks: Sequence[str] = (),
        critical_facts: Mapping[str, Any] | Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> SessionContext:
        """Async twin of :meth:`start_session`."""
        return await self._arun(
            self._plan_started(
                session_id=session_id, tenant_id=tenant_id, user_id=user_id,
                initial_context=initial_context, agents=agents, tasks=tasks,
                critical_facts=critical_facts, metadata=metadata,
            )
        )  # fmt: skip

    def start(
        self,
        *,
        session_id: str | None = None,
        user_id: str | None = None,
        agents: Sequence[str] = (),
        tasks: Sequence[str] = (),
        critical_facts: Mapping[str, Any] | Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
        initial_context: Mapping[str, Any] | None = None,
    ) -> SessionContext:
        """Alias of :meth:`start_session` (keyword arguments only)."""
        return self.start_session(
            session_id, tenant_id, user_id, initial_context, agents=agents, tasks=tasks,
            critical_facts=critical_facts, metadata=metadata,
        )  # fmt: skip

    async def astart(
        self,
        *,
        session_id: str | None = None,
        user_id: str | None = None,
        agents: Sequence[str] = (),
        tasks: Sequence[str] = (),
        critical_facts: Mapping[str, Any] | Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
        initial_context: Mapping[str, Any] | None = None,
    ) -> SessionContext:
        """Async twin of :meth:`start`."""
        return await self.astart_session(
            session_id, tenant_id, user_id, initial_context, agents=agents, tasks=tasks,
            critical_facts=critical_facts, metadata=metadata,
        )  # fmt: skip

    def resume(
        self, session_id: str, *, reopen: bool = False, tenant_id: str | None = None
    ) -> SessionContext:
        """Resume a session (from any process) and return its context.

        An active session is marked resumed (``resumed_count`` + 1); messages a crashed writer
        left queued for the thread are delivered. An ended session is not reopened silently.

        Args:
            session_id: The session.
            reopen: Reopen an ended session (its short-term memory gets the session TTL back;
                the archive stays).
            tenant_id: Its tenant; default found in the session directory.

        Raises:
            SessionNotFoundError: If there is no such session.
            SessionEndedError: If it ended and ``reopen`` is false (the message says when and
                why).
        """
        return self._run(
            self._plan_then_context(
                plan_resume(self.settings, self._tenants, session_id, reopen, tenant_id)
            )
        )

    async def aresume(
        self, session_id: str, *, reopen: bool = False, tenant_id: str | None = None
    ) -> SessionContext:
        """Async twin of :meth:`resume`."""
        return await self._arun(
            self._plan_then_context(
                plan_resume(self.settings, self._tenants, session_id, reopen, tenant_id)
            )
        )

    def end_session(
        self, session_id: str, reason: str = "completed", *, tenant_id: str | None = None
    ) -> SessionArchive:
        """End a session and archive it.

        The session is marked ended (``ended_at``, ``end_reason``); a compact record (summary,
        facts, tasks, agents, counts, times) is kept in ``("business", tenant, "archive")``
        for ``archive_ttl`` (default 180 days); the recent history leaves the record and the
        session's short-term memory gets ``end_ttl`` (default 15 minutes) to expire. Ending an
        ended session keeps its first end time and reason. Changes are refused until
        ``resume(session_id, reopen=True)``.

        Args:
            session_id: The session.
            reason: Why it ended (e.g. ``"completed"``, ``"abandoned"``).
            tenant_id: Its tenant; default found in the session directory.

        Returns:
            The :class:`~langgraph_genesis_memory.sessions.SessionArchive`.

        Raises:
            SessionNotFoundError: If there is no such session.
        """
        return self._run(
            plan_end_session(self.settings, self._tenants, session_id, reason, tenant_id)
        )

    async def aend_session(
        self, session_id: str, reason: str = "completed", *, tenant_id: str | None = None
    ) -> SessionArchive:
        """Async twin of :meth:`end_session`."""
        return await self._arun(
            plan_end_session(self.settings, self._tenants, session_id, reason, tenant_id)
        )

    def end(
        self, session_id: str, reason: str = "completed", *, tenant_id: str | None = None
    ) -> SessionContext:
        """:meth:`end_session`, returning the session's context instead of the archive."""
        return self._run(self._plan_end(session_id, reason, tenant_id))

    async def aend(
        self, session_id: str, reason: str = "completed", *, tenant_id: str | None = None
    ) -> SessionContext:
        """Async twin of :meth:`end`."""
        return await self._arun(self._plan_end(session_id, reason, tenant_id))

    def exists(self, session_id: str, *, tenant_id: str | None = None) -> bool:
        """Whether the session exists (started and not expired; ended sessions still exist).

        Raises:
            InvalidArgumentError: If ``session_id`` is not a non-empty string.
        """
        return self._run(plan_exists(self.settings, self._tenants, session_id, tenant_id))

    async def aexists(self, session_id: str, *, tenant_id: str | None = None) -> bool:
        """Async twin of :meth:`exists`."""
        return await self._arun(plan_exists(self.settings, self._tenants, session_id, tenant_id))

    def touch(
        self, session_id: str, minutes: TTLValue = None, *, tenant_id: str | None = None
    ) -> float | None:
        """Slide the TTL of the session's short-term memory; with ``minutes``, set it.

        Args:
            session_id: The session.
            minutes: New sliding TTL, in minutes or a memory layer (``"session"``...), for
                the session's short-term memory from now on; ``None``: keep it, just slide.

        Returns:
            The sliding TTL in minutes now in effect (``None``: never expires).

        Raises:
            SessionNotFoundError: If there is no such session.
            InvalidArgumentError: If ``minutes`` is not a positive number or a layer.
        """
        return self._run(
            plan_touch(self.settings, self._tenants, session_id, minutes, tenant_id, self.layers)
        )

    async def atouch(
        self, session_id: str, minutes: TTLValue = None, *, tenant_id: str | None = None
    ) -> float | None:
        """Async twin of :meth:`touch`."""
        return await self._arun(
            plan_touch(self.settings, self._tenants, session_id, minutes, tenant_id, self.layers)
        )

    def extend(
        self, session_id: str, minutes: TTLValue, *, tenant_id: str | None = None
    ) -> float | None:
        """Set the sliding TTL of the session's short-term memory to ``minutes`` from now
        (:meth:`touch` with ``minutes``)."""
        return self.touch(session_id, minutes, tenant_id=tenant_id)

    async def aextend(
        self, session_id: str, minutes: TTLValue, *, tenant_id: str | None = None
    ) -> float | None:
        """Async twin of :meth:`extend`."""
        return await self.atouch(session_id, minutes, tenant_id=tenant_id)

    # -- conversation and handoffs -------------------------------------------------------------
    def add_message(
        self,
        session_id: str,
        role: str,
        content: str,
        metadata: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        tenant_id: str | None = None,
    ) -> SessionMessage:
        """Append a message to the session's conversation.

        With a checkpointer, the message is delivered to the session's thread as a LangGraph
        null-task write (as ``Command(update=...)`` stores input), so a graph resuming the
        thread (``invoke`` with the session's config) sees it before its input, and
        ``graph.get_state`` shows it; concurrent writers never lose a message (see
        :mod:`langgraph_genesis_memory.sessions._thread`). The session keeps the latest
        ``max_history`` messages within ``history_tokens`` and counts all of them; the
        short-term memory's TTL slides.

        Args:
            session_id: The session.
            role: ``"user"``, ``"assistant"`` or ``"system"`` (``"human"``/``"ai"`` too).
            content: The text.
            metadata: JSON metadata (``additional_kwargs["metadata"]`` on the message).
            name: The speaking agent or user.
            tenant_id: Its tenant; default found in the session directory.

        Returns:
            The :class:`~langgraph_genesis_memory.sessions.SessionMessage`.

        Raises:
            SessionNotFoundError: If there is no such session.
            SessionEndedError: If it ended.
            InvalidArgumentError, InvalidValueError: For bad arguments (before any I/O).
        """
        return self._run(
            plan_add_message(
                self.settings, self._tenants, session_id=session_id, role=role,
                content=content, metadata=metadata, name=name, tenant_id=tenant_id,
            )
        )  # fmt: skip

    async def aadd_message(
        self,
        session_id: str,
        role: str,
        content: str,
        metadata: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        tenant_id: str | None = None,
    ) -> SessionMessage:
        """Async twin of :meth:`add_message`."""
        return await self._arun(
            plan_add_message(
                self.settings, self._tenants, session_id=session_id, role=role,
                content=content, metadata=metadata, name=name, tenant_id=tenant_id,
            )
        )  # fmt: skip

    def handoff_to_agent(
        self,
        session_id: str,
        to_agent: str,
        handoff_reason: str,
        critical_info: Mapping[str, Any] | Sequence[str] | None = None,
        continuation_instructions: str = "",
        *,
        pending_tasks: Sequence[str] = (),
        from_agent: str | None = None,
        tenant_id: str | None = None,
        active_agent_key: str | None = "active_agent",
    ) -> HandoffResult:
        """Hand the session to another agent, programmatically (no model involved).

        Records the same handoff record as the handoff tool (``via="session"``), updates the
        session (current and previous agent, facts, tasks, count) by compare-and-set, and,
        with a checkpointer, delivers to the thread a marker message carrying the record plus
        ``active_agent_key`` = ``to_agent``: a ``create_swarm`` graph resuming the thread
        starts with ``to_agent``, and its ``HandoffContextMiddleware`` / ``handoff_prompt``
        gives it the handoff context.

        Args:
            session_id: The session.
            to_agent: The receiving agent.
            handoff_reason: Why.
            critical_info: Facts it must not lose: key -> value (or a list of sentences).
            continuation_instructions: How it should continue.
            pending_tasks: Tasks still open (added to the session's, owned by ``to_agent``).
            from_agent: Who hands over; default the session's current agent.
            tenant_id: Its tenant; default found in the session directory.
            active_agent_key: State key set to ``to_agent`` (``None``: none).

        Returns:
            The :class:`~langgraph_genesis_memory.sessions.HandoffResult`; ``to_dict()`` gives
            ``from_agent``, ``to_agent``, ``timestamp`` and ``context_snapshot``
            (``conversation_summary``, ``critical_facts``, ``pending_tasks``).

        Raises:
            SessionNotFoundError: If there is no such session.
            SessionEndedError: If it ended.
            InvalidArgumentError, InvalidValueError: For bad arguments (before any I/O).
        """
        return self._run(
            plan_handoff_to_agent(
                self.settings, self._tenants, session_id=session_id, to_agent=to_agent,
                handoff_reason=handoff_reason, critical_info=critical_info,
                continuation_instructions=continuation_instructions,
                pending_tasks=pending_tasks, from_agent=from_agent, tenant_id=tenant_id,
                active_agent_key=active_agent_key,
            )
        )  # fmt: skip

    async def ahandoff_to_agent(
        self,
        session_id: str,
        to_agent: str,
        handoff_reason: str,
        critical_info: Mapping[str, Any] | Sequence[str] | None = None,
        continuation_instructions: str = "",
        *,
        pending_tasks: Sequence[str] = (),
        from_agent: str | None = None,
        tenant_id: str | None = None,
        active_agent_key: str | None = "active_agent",
    ) -> HandoffResult:
        """Async twin of :meth:`handoff_to_agent`."""
        return await self._arun(
            plan_handoff_to_agent(
                self.settings, self._tenants, session_id=session_id, to_agent=to_agent,
                handoff_reason=handoff_reason, critical_info=critical_info,
                continuation_instructions=continuation_instructions,
                pending_tasks=pending_tasks, from_agent=from_agent, tenant_id=tenant_id,
                active_agent_key=active_agent_key,
            )
        )  # fmt: skip

    def get_handoff_context(
        self, session_id: str, *, tenant_id: str | None = None
    ) -> HandoffBrief | None:
        """The latest handoff of the session, as the receiving agent needs it.

        Returns:
            A :class:`~langgraph_genesis_memory.sessions.HandoffBrief` (``to_dict()``:
            ``from_agent``, ``continuation_instructions``, ``critical_info``), or ``None``
            before any handoff.

        Raises:
            SessionNotFoundError: If there is no such session.
        """
        return self._run(plan_handoff_context(self.settings, self._tenants, session_id, tenant_id))

    async def aget_handoff_context(
        self, session_id: str, *, tenant_id: str | None = None
    ) -> HandoffBrief | None:
        """Async twin of :meth:`get_handoff_context`."""
        return await self._arun(
            plan_handoff_context(self.settings, self._tenants, session_id, tenant_id)
        )

    def get_full_context(self, session_id: str, *, tenant_id: str | None = None) -> FullContext:
        """Everything about the session, grouped (conversation, agents, tasks, memory).

        Returns:
            A :class:`~langgraph_genesis_memory.sessions.FullContext`; ``to_dict()`` gives
            ``session_id``, ``tenant_id``, ``status``, ``duration_seconds``, ``conversation``
            (``message_count``, ``recent_messages``, ``summary``), ``agents`` (``current``,
            ``previous``, ``active``, ``handoff_count``), ``tasks`` (``pending``,
            ``completed``, ``completion_rate``) and ``memory`` (``critical_facts``,
            ``working_memory``, ``long_term_refs``).

        Raises:
            SessionNotFoundError: If there is no such session.
        """
        return self._run(plan_full_context(self.settings, self._tenants, session_id, tenant_id))

    async def aget_full_context(
        self, session_id: str, *, tenant_id: str | None = None
    ) -> FullContext:
        """Async twin of :meth:`get_full_context`."""
        return await self._arun(
            plan_full_context(self.settings, self._tenants, session_id, tenant_id)
        )

    # -- tasks, facts, context -----------------------------------------------------------------
    def add_tasks(
        self,
        session_id: str,
        tasks: Sequence[str],
        *,
        owner: str | None = None,
        tenant_id: str | None = None,
    ) -> SessionContext:
        """Add pending tasks (descriptions already pending are skipped).

        Args:
            session_id: The session.
            tasks: Task descriptions.
            owner: The agent expected to do them.
            tenant_id: Its tenant; default found in the session directory.

        Returns:
            The updated context.

        Raises:
            SessionNotFoundError: If there is no such session.
            SessionEndedError: If it ended.
        """
        change = plan_change(self.settings, self._tenants, session_id, tenant_id, "add_tasks",
                             tasks, owner)  # fmt: skip
        return self._run(self._plan_then_context(change))

    async def aadd_tasks(
        self,
        session_id: str,
        tasks: Sequence[str],
        *,
        owner: str | None = None,
        tenant_id: str | None = None,
    ) -> SessionContext:
        """Async twin of :meth:`add_tasks`."""
        change = plan_change(self.settings, self._tenants, session_id, tenant_id, "add_tasks",
                             tasks, owner)  # fmt: skip
        return await self._arun(self._plan_then_context(change))

    def complete_tasks(
        self, session_id: str, tasks: Sequence[str], *, tenant_id: str | None = None
    ) -> SessionContext:
        """Mark tasks completed.

        Args:
            session_id: The session.
            tasks: Task ids or exact descriptions; unknown ones are ignored.
            tenant_id: Its tenant; default found in the session directory.

        Returns:
            The updated context (see ``completion_rate``).

        Raises:
            SessionNotFoundError: If there is no such session.
            SessionEndedError: If it ended.
        """
        change = plan_change(self.settings, self._tenants, session_id, tenant_id, "complete",
                             tasks)  # fmt: skip
        return self._run(self._plan_then_context(change))

    async def acomplete_tasks(
        self, session_id: str, tasks: Sequence[str], *, tenant_id: str | None = None
    ) -> SessionContext:
        """Async twin of :meth:`complete_tasks`."""
        change = plan_change(self.settings, self._tenants, session_id, tenant_id, "complete",
                             tasks)  # fmt: skip
        return await self._arun(self._plan_then_context(change))

    def add_facts(
        self,
        session_id: str,
        facts: Mapping[str, Any] | Sequence[str],
        *,
        tenant_id: str | None = None,
    ) -> SessionContext:
        """Add critical facts that every agent must keep.

        Args:
            session_id: The session.
            facts: Key -> value facts (a key given again is replaced), or sentences (stored as
                ``fact_<n>``; a sentence already present is skipped).
            tenant_id: Its tenant; default found in the session directory.

        Returns:
            The updated context.

        Raises:
            SessionNotFoundError: If there is no such session.
            SessionEndedError: If it ended.
        """
        change = plan_change(self.settings, self._tenants, session_id, tenant_id, "facts", facts)
        return self._run(self._plan_then_context(change))

    async def aadd_facts(
        self,
        session_id: str,
        facts: Mapping[str, Any] | Sequence[str],
        *,
        tenant_id: str | None = None,
    ) -> SessionContext:
        """Async twin of :meth:`add_facts`."""
        change = plan_change(self.settings, self._tenants, session_id, tenant_id, "facts", facts)
        return await self._arun(self._plan_then_context(change))

    def context(self, session_id: str, *, tenant_id: str | None = None) -> SessionContext:
        """The session's context; also saves the recent history (within ``history_tokens``) to
        short-term memory and slides its TTL.

        Raises:
            SessionNotFoundError: If there is no such session.
        """
        return self._run(self._plan_context(session_id, tenant_id))

    async def acontext(self, session_id: str, *, tenant_id: str | None = None) -> SessionContext:
        """Async twin of :meth:`context`."""
        return await self._arun(self._plan_context(session_id, tenant_id))

    def handoffs(self, session_id: str, *, tenant_id: str | None = None) -> list[dict[str, Any]]:
        """The session's handoff records, oldest first (for audit).

        Returns:
            :class:`~langgraph_genesis_memory.tools.HandoffRecord` dicts.
        """
        return self._run(self._plan_handoffs(session_id, tenant_id))

    async def ahandoffs(
        self, session_id: str, *, tenant_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Async twin of :meth:`handoffs`."""
        return await self._arun(self._plan_handoffs(session_id, tenant_id))

    def _plan_handoffs(self, session_id: str, tenant_id: str | None) -> Plan[list[dict[str, Any]]]:
        session_id = check_session_id(session_id)
        tenant = yield from plan_tenant(
            self.settings, self._tenants, session_id, check_tenant(tenant_id)
        )
        (items,) = yield [list_handoffs_op(tenant, session_id)]
        return handoff_order(cast(list[SearchItem], items))
