"""Handoffs between agents: a tool a model calls, and the same handoff as a plain graph node.

A handoff passes control to another agent *and* records why, with a context snapshot, in the
store (:mod:`langgraph_genesis_memory.sessions._layout`). The tool returns LangGraph's
``Command(goto=agent, graph=Command.PARENT, update=...)``, as ``langgraph-swarm``'s handoff tool
does, so it works in graphs of prebuilt agents (``langchain.agents.create_agent``,
``langgraph.prebuilt.create_react_agent``), in ``create_swarm`` (``active_agent`` is set) and in
subgraphs at any depth (the command goes to the graph that contains the calling agent).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, cast

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage, convert_to_messages
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langchain_core.tools import BaseTool, InjectedToolCallId, StructuredTool
from langgraph.prebuilt import InjectedState
from langgraph.store.base import BaseStore, SearchItem
from langgraph.types import Command
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.sessions._layout import HANDOFF_KEY
from langgraph_genesis_memory.sessions._plans import (
    arun_plan,
    handoff_order,
    list_handoffs_op,
    plan_record_handoff,
    run_plan,
)
from langgraph_genesis_memory.sessions._records import Facts, check_facts
from langgraph_genesis_memory.tokens import DEFAULT_ENCODING, Encoder
from langgraph_genesis_memory.tools._records import (
    HandoffRecord,
    Summarizer,
    agent_from_config,
    build_record,
    merge_session,
)
from langgraph_genesis_memory.tools._store import resolve_store

HANDOFF_DESTINATION_KEY = "__handoff_destination"
"""Tool metadata key naming the destination agent (the key ``langgraph-swarm`` reads)."""

_HANDOFF_TOOL_NAMES: set[str] = set()
_WHITESPACE = re.compile(r"\s+")


class HandoffArguments(BaseModel):
    """The arguments of a handoff tool: the one schema of its sync and async implementations.

    The model sees ``handoff_reason``, ``critical_info``, ``continuation_instructions``,
    ``pending_tasks`` and ``summary`` (the terms of the memory-coordination system), and may
    also use the names ``reason``, ``critical_facts`` and ``instructions``. ``state`` and
    ``tool_call_id`` are injected by LangGraph's ``ToolNode`` and hidden from the model.

    Example:
        >>> HandoffArguments.model_validate(
        ...     {"reason": "billing question", "critical_facts": ["Invoice 42"],
        ...      "tool_call_id": "call_1"}
        ... ).critical_info
        ['Invoice 42']
    """

    model_config = ConfigDict(populate_by_name=True)

    handoff_reason: str = Field(
        description="Why control passes to the other agent.",
        validation_alias=AliasChoices("handoff_reason", "reason"),
    )
    critical_info: dict[str, Any] | list[str] | None = Field(
        default=None,
        description="Facts the next agent must not lose, as name -> value "
        '(e.g. {"current_step": "widget_selection", "user_role": "admin"}).',
        validation_alias=AliasChoices("critical_info", "critical_facts"),
    )
    continuation_instructions: str | None = Field(
        default=None,
        description="How the next agent should continue.",
        validation_alias=AliasChoices("continuation_instructions", "instructions"),
    )
    pending_tasks: list[str] | None = Field(default=None, description="Tasks still to be done.")
    summary: str | None = Field(
        default=None, description="Short summary of the conversation so far."
    )
    state: Annotated[Any, InjectedState] = None
    tool_call_id: Annotated[str, InjectedToolCallId]


def _resolve_store(store: BaseStore | None) -> BaseStore:
    return resolve_store(
        store, "The handoff has no store to record in", "; or create the tool with record=False"
    )


def _messages(state: Any) -> list[BaseMessage]:
    raw = state.get("messages") if isinstance(state, dict) else getattr(state, "messages", None)
    return convert_to_messages(raw or [])


def _state_agent(state: Any, key: str | None) -> str | None:
    """The agent in charge according to the calling agent's state (``active_agent``), if the
    state has that key: in the state-driven handoff pattern one agent graph plays several
    agents, so its own name is not who hands over."""
    if not key:
        return None
    value = state.get(key) if isinstance(state, dict) else getattr(state, key, None)
    return value if isinstance(value, str) and value else None


def _plan_handoff(record: HandoffRecord) -> Plan[dict[str, Any]]:
    return plan_record_handoff(cast(dict[str, Any], record), before=merge_session)  # type: ignore[arg-type]


def _split_turn(
    messages: list[BaseMessage], tool_call_id: str
) -> tuple[AIMessage | None, list[dict[str, Any]]]:
    """The AI message that made ``tool_call_id`` and its other tool calls still unanswered."""
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    for message in reversed(messages):
        if isinstance(message, AIMessage) and any(
            c["id"] == tool_call_id for c in message.tool_calls
        ):
            siblings = [
                dict(c)
                for c in message.tool_calls
                if c["id"] != tool_call_id and c["id"] not in answered
            ]
            return message, siblings
    return None, []


def create_handoff_tool(
    agent_name: str,
    *,
    description: str | None = None,
    name: str | None = None,
    store: BaseStore | None = None,
    record: bool = True,
    recent_tokens: int = 1000,
    summary_tokens: int = 300,
    summarizer: Summarizer | None = None,
    encoding: str | Encoder = DEFAULT_ENCODING,
    active_agent_key: str | None = "active_agent",
) -> BaseTool:
    """Create a tool that hands control to ``agent_name`` with a recorded context snapshot.

    The model calls it with a ``handoff_reason`` and, optionally, ``critical_info`` (key ->
    value facts), ``continuation_instructions``, ``pending_tasks`` and its own ``summary``
    (:class:`HandoffArguments`; ``reason``, ``critical_facts`` and ``instructions`` are
    accepted too). The tool builds a
    :class:`~langgraph_genesis_memory.tools._records.HandoffRecord` (summary of the conversation,
    recent messages trimmed to ``recent_tokens`` tiktoken tokens, pending tasks including the
    session's, time, thread), stores it with the session update in one batch, and returns
    ``Command(goto=agent_name, graph=Command.PARENT, update={"messages": [...], active_agent_key:
    agent_name})``. The update carries the conversation plus a ``ToolMessage`` whose
    ``additional_kwargs["genesis_handoff"]`` holds the record, which
    :func:`~langgraph_genesis_memory.tools._context.handoff_prompt` and friends turn into the
    receiving agent's context.

    Parallel tool calls: only the first handoff call of an AI message hands off; other handoff
    calls in it get an error message. Other tools called in the same turn did run, but LangGraph
    discards their results when control leaves the agent, so the handoff answers their calls
    with a note (the conversation stays valid for any chat model).

    Args:
        agent_name: The destination: the node name of the agent in the graph that contains the
            calling agent.
        description: Tool description for the model. Default: "Transfer the conversation to
            agent '<agent_name>'...".
        name: Tool name. Default ``transfer_to_<agent_name>`` (as ``langgraph-swarm``).
        store: The store to record in. Default: the graph's store, found at call time with
            LangGraph's ``get_store()``.
        record: Record the handoff in the store (``False``: only pass control).
        recent_tokens: Token budget of the recent messages in the snapshot.
        summary_tokens: Token budget of the summary.
        summarizer: Summarizes the conversation when the model gives no ``summary``; default a
            deterministic extractive summary.
        encoding: tiktoken encoding or model name used to count tokens (offline).
        active_agent_key: State key set to ``agent_name`` (``langgraph-swarm``'s
            ``active_agent``); ``None`` to set none. Graphs without that key ignore it.

    Returns:
        A LangChain ``StructuredTool`` with sync and async implementations; its metadata
        names the destination (so ``create_swarm`` wires the edges).

    Raises:
        ConfigurationError: At call time, if no store is available (and ``record``) or the run
            has no ``thread_id``; these escape the tool node rather than reach the model.

    Example:
        >>> from langgraph_genesis_memory.tools import create_handoff_tool
        >>> tool = create_handoff_tool("billing", description="Billing questions.")
        >>> tool.name
        'transfer_to_billing'
    """
    if not isinstance(agent_name, str) or not agent_name.strip():
        raise ConfigurationError(f"agent_name must be a non-empty string; got {agent_name!r}.")
    tool_name = name or f"transfer_to_{_WHITESPACE.sub('_', agent_name.strip()).lower()}"
    tool_description = description or (
        f"Transfer the conversation to agent '{agent_name}'. Give the handoff_reason, the "
        "critical_info it must not lose (name -> value), continuation_instructions on how it "
        "should continue, and the pending_tasks."
    )
    _HANDOFF_TOOL_NAMES.add(tool_name)

    def prepare(
        config: RunnableConfig, args: Mapping[str, Any]
    ) -> tuple[HandoffRecord, list[BaseMessage], list[ToolMessage]] | ToolMessage:
        tool_call_id = str(args["tool_call_id"])
        messages = _messages(args.get("state"))
        ai, siblings = _split_turn(messages, tool_call_id)
        if ai is not None:
            first = next(
                c for c in ai.tool_calls
                if c["name"] in _HANDOFF_TOOL_NAMES or c["id"] == tool_call_id
            )  # fmt: skip
            if first["id"] != tool_call_id:
                return ToolMessage(
                    content=f"Not handed off: this turn already hands off with {first['name']}. "
                    "Call one handoff tool per turn.",
                    name=tool_name,
                    tool_call_id=tool_call_id,
                    status="error",
                )
        rec = build_record(
            config=config,
            messages=messages,
            from_agent=_state_agent(args.get("state"), active_agent_key)
            or agent_from_config(config)
            or "unknown",
            to_agent=agent_name,
            reason=args["handoff_reason"],
            critical_facts=check_facts(args.get("critical_info"), "critical_info"),
            continuation_instructions=args.get("continuation_instructions") or "",
            pending_tasks=args.get("pending_tasks") or [],
            summary=args.get("summary"),
            summarizer=summarizer,
            recent_tokens=recent_tokens,
            summary_tokens=summary_tokens,
            encoding=encoding,
            via="tool",
            tool_call_id=tool_call_id,
            require_thread=record,
        )
        notes = [
            ToolMessage(
                content=(
                    f"Not handed off: this turn already hands off to {agent_name}."
                    if c["name"] in _HANDOFF_TOOL_NAMES
                    else f"This call ran, but control passed to {agent_name} in the same turn, "
                    "so its result was not kept."
                ),
                name=c["name"],
                tool_call_id=c["id"],
                status="error",
            )
            for c in siblings
        ]
        return rec, messages, notes

    def finish(
        rec: HandoffRecord, messages: list[BaseMessage], notes: list[ToolMessage]
    ) -> Command[Any]:
        marker = ToolMessage(
            content=f"Transferred to {agent_name} ({rec['from_agent']} -> {agent_name}). "
            f"Reason: {rec['reason']}",
            name=tool_name,
            tool_call_id=rec["tool_call_id"],
            additional_kwargs={HANDOFF_KEY: dict(rec)},
        )
        update: dict[str, Any] = {"messages": [*messages, *notes, marker]}
        if active_agent_key:
            update[active_agent_key] = agent_name
        return Command(goto=agent_name, graph=Command.PARENT, update=update)

    def handoff(config: RunnableConfig, **args: Any) -> Command[Any] | ToolMessage:
        prepared = prepare(config, args)
        if isinstance(prepared, ToolMessage):
            return prepared
        if record:
            run_plan(_resolve_store(store), _plan_handoff(prepared[0]))
        return finish(*prepared)

    async def ahandoff(config: RunnableConfig, **args: Any) -> Command[Any] | ToolMessage:
        prepared = prepare(config, args)
        if isinstance(prepared, ToolMessage):
            return prepared
        if record:
            await arun_plan(_resolve_store(store), _plan_handoff(prepared[0]))
        return finish(*prepared)

    tool = StructuredTool.from_function(
        func=handoff,
        coroutine=ahandoff,
        name=tool_name,
        description=tool_description,
        args_schema=HandoffArguments,
        infer_schema=False,
    )
    tool.metadata = {HANDOFF_DESTINATION_KEY: agent_name}
    return tool


def _value(spec: Any, state: Any) -> Any:
    return spec(state) if callable(spec) else spec


def create_handoff_node(
    agent_name: str,
    *,
    reason: str | Callable[[Any], str],
    from_agent: str | Callable[[Any], str] | None = None,
    critical_facts: Facts | Callable[[Any], Facts] | None = None,
    continuation_instructions: str | Callable[[Any], str] = "",
    pending_tasks: Sequence[str] | Callable[[Any], Sequence[str]] = (),
    instructions: str | Callable[[Any], str] | None = None,
    store: BaseStore | None = None,
    record: bool = True,
    recent_tokens: int = 1000,
    summary_tokens: int = 300,
    summarizer: Summarizer | None = None,
    encoding: str | Encoder = DEFAULT_ENCODING,
    active_agent_key: str | None = "active_agent",
    goto: bool = False,
) -> Any:
    """The same handoff as a plain graph node, for deterministic routing (no model involved).

    Add it with ``builder.add_node("handoff_to_billing", node)`` and route with edges
    (``add_edge("handoff_to_billing", "billing")``), or pass ``goto=True`` to return
    ``Command(goto=agent_name)`` instead. It records the same
    :class:`~langgraph_genesis_memory.tools._records.HandoffRecord` (``via="node"``) and appends an
    ``AIMessage`` marker carrying it, so the receiving agent gets the same context as after a
    tool call.

    Args:
        agent_name: The destination agent.
        reason: Why; a string or a function of the state.
        from_agent: Who hands over; default the state's ``active_agent_key`` value, else
            ``"router"``.
        critical_facts: Key -> value facts (or a list of sentences), or a function of the
            state returning them.
        continuation_instructions: How the receiving agent continues; a string or a
            function of the state.
        pending_tasks: Task descriptions, or a function of the state.
        instructions: Former name of ``continuation_instructions`` (still accepted).
        store, record, recent_tokens, summary_tokens, summarizer, encoding, active_agent_key:
            As :func:`create_handoff_tool`.
        goto: Return ``Command(goto=agent_name, update=...)`` instead of a state update.

    Returns:
        A runnable node (sync and async) named ``handoff_to_<agent_name>``.

    Raises:
        ConfigurationError: At run time, if no store is available (and ``record``) or the run
            has no ``thread_id``.

    Example:
        >>> node = create_handoff_node(
        ...     "billing",
        ...     reason="The message mentions an invoice.",
        ...     critical_facts={"invoice": "INV-42"},
        ... )
        >>> node.name
        'handoff_to_billing'
        >>> # builder.add_node(node.name, node); builder.add_edge(node.name, "billing")
    """

    if instructions is not None and continuation_instructions:
        raise ConfigurationError("Give continuation_instructions or instructions, not both.")
    how = continuation_instructions if instructions is None else instructions
    if not callable(critical_facts):
        check_facts(critical_facts)

    def prepare(state: Any, config: RunnableConfig) -> HandoffRecord:
        source = _value(from_agent, state)
        if not source and active_agent_key:
            source = (state.get(active_agent_key) if isinstance(state, dict)
                      else getattr(state, active_agent_key, None))  # fmt: skip
        return build_record(
            config=config,
            messages=_messages(state),
            from_agent=str(source or "router"),
            to_agent=agent_name,
            reason=str(_value(reason, state)),
            critical_facts=check_facts(_value(critical_facts, state)),
            continuation_instructions=str(_value(how, state) or ""),
            pending_tasks=list(_value(pending_tasks, state) or []),
            summarizer=summarizer,
            recent_tokens=recent_tokens,
            summary_tokens=summary_tokens,
            encoding=encoding,
            via="node",
            require_thread=record,
        )

    def finish(rec: HandoffRecord) -> Any:
        marker = AIMessage(
            content=f"Handing off to {agent_name}. Reason: {rec['reason']}",
            name=rec["from_agent"],
            additional_kwargs={HANDOFF_KEY: dict(rec)},
        )
        update: dict[str, Any] = {"messages": [marker]}
        if active_agent_key:
            update[active_agent_key] = agent_name
        return Command(goto=agent_name, update=update) if goto else update

    def node(state: Any, config: RunnableConfig) -> Any:
        rec = prepare(state, config)
        if record:
            run_plan(_resolve_store(store), _plan_handoff(rec))
        return finish(rec)

    async def anode(state: Any, config: RunnableConfig) -> Any:
        rec = prepare(state, config)
        if record:
            await arun_plan(_resolve_store(store), _plan_handoff(rec))
        return finish(rec)

    name = f"handoff_to_{_WHITESPACE.sub('_', agent_name.strip()).lower()}"
    return RunnableLambda(node, afunc=anode, name=name)


def list_handoffs(
    store: BaseStore, session_id: str, *, tenant_id: str = "default", limit: int = 1000
) -> list[dict[str, Any]]:
    """List a session's handoffs, oldest first, for audit.

    Args:
        store: The store the handoffs were recorded in.
        session_id: The session (the LangGraph ``thread_id``).
        tenant_id: The tenant (``config["configurable"]["tenant_id"]`` of the run).
        limit: At most this many records.

    Returns:
        :class:`~langgraph_genesis_memory.tools._records.HandoffRecord` dicts.

    Example:
        >>> from langgraph.store.memory import InMemoryStore
        >>> list_handoffs(InMemoryStore(), "thread-1")
        []
    """
    (items,) = store.batch([list_handoffs_op(tenant_id, session_id, limit)])
    return handoff_order(cast(list[SearchItem], items))


async def alist_handoffs(
    store: BaseStore, session_id: str, *, tenant_id: str = "default", limit: int = 1000
) -> list[dict[str, Any]]:
    """Async twin of :func:`list_handoffs`."""
    (items,) = await store.abatch([list_handoffs_op(tenant_id, session_id, limit)])
    return handoff_order(cast(list[SearchItem], items))
