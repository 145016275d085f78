"""Handoffs in one ``create_agent`` agent whose behaviour follows a state variable.

LangChain's documentation recommends, for most multi-agent ``create_agent`` systems, the
*state-driven handoff* pattern: tools update a state variable (``active_agent``) that persists
across turns, and middleware reads it before every model call to apply that agent's system
prompt and tools ("single agent with middleware"). :class:`HandoffStateMiddleware` is that
middleware, with this package's handoff tools: a handoff still records who handed over, why,
the critical facts, how to continue and a context snapshot in the store (auditable with
:func:`~langgraph_genesis_memory.tools.list_handoffs`), and the receiving agent's model gets that
handoff in its system message.

The same tools work in the other documented variant, distinct agents as graph nodes routed by
``active_agent`` (``Command(goto=..., graph=Command.PARENT)``), unchanged; there the receiving
agent uses :class:`~langgraph_genesis_memory.tools.HandoffContextMiddleware`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, cast

from langchain_core.messages import SystemMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.store.base import BaseStore
from langgraph.types import Command

from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.tokens import DEFAULT_ENCODING, Encoder
from langgraph_genesis_memory.tools._context import History, build_handoff_messages
from langgraph_genesis_memory.tools._handoff import HANDOFF_DESTINATION_KEY, create_handoff_tool
from langgraph_genesis_memory.tools._memory_middleware import (
    AgentMiddleware,
    ModelRequest,
    ModelResponse,
)

ACTIVE_AGENT = "active_agent"
"""The state key naming the agent in charge (as ``langgraph-swarm`` and LangChain's docs)."""

try:
    from langchain.agents import AgentState
    from langgraph.prebuilt.tool_node import ToolCallRequest

    class HandoffState(AgentState[Any]):
        """``create_agent``'s state plus ``active_agent``, the agent in charge."""

        active_agent: NotRequired[str]

except ImportError:  # pragma: no cover - without langchain the middleware cannot be built
    HandoffState = dict  # type: ignore[assignment,misc]
    ToolCallRequest = Any  # type: ignore[misc,assignment]


@dataclass(frozen=True)
class HandoffAgent:
    """One agent of a :class:`HandoffStateMiddleware`: its instructions, tools and handoffs.

    Attributes:
        system_prompt: The agent's instructions (its system message).
        tools: The agent's own tools (handoff tools are added from ``handoffs``).
        handoffs: The agents it may hand off to (a ``transfer_to_<name>`` tool each).
        description: What it does, used in the description of the tools that hand off to it.
    """

    system_prompt: str
    tools: Sequence[BaseTool] = field(default_factory=tuple)
    handoffs: Sequence[str] = field(default_factory=tuple)
    description: str | None = None


def _tool_name(tool: Any) -> str:
    return str(tool.get("name") if isinstance(tool, Mapping) else getattr(tool, "name", ""))


class HandoffStateMiddleware(AgentMiddleware):
    """``create_agent`` middleware for state-driven handoffs between agents of one agent graph.

    Before each model call it reads ``active_agent`` from the state (``default`` at first) and
    gives the model that agent's ``system_prompt`` (plus the latest handoff to it: who, why,
    critical facts, how to continue, summary, pending tasks) and only its tools and handoff
    tools. A handoff tool call records the handoff (as
    :func:`~langgraph_genesis_memory.tools.create_handoff_tool` does) and sets
    ``active_agent``; the next model call is the new agent's. The state, including
    ``active_agent``, persists across turns with a checkpointer.

    Tools given to ``create_agent(tools=...)`` but to no agent here stay available to all.

    Args:
        agents: The agents by name.
        default: The agent in charge when the state names none.
        store: The store handoffs are recorded in; default the agent's store.
        record: Record handoffs in the store (``False``: only switch agents).
        history: What the model sees after a handoff: ``"full"`` (default: the whole
            conversation, which in one agent is the same conversation) or ``"handoff"`` (the
            snapshot and what followed it).
        max_tokens: Token budget of the model input (oldest messages dropped first).
        encoding: tiktoken encoding or model name used to count tokens (offline).
        recent_tokens, summary_tokens: As
            :func:`~langgraph_genesis_memory.tools.create_handoff_tool`.

    Raises:
        ConfigurationError: If ``default`` or a handoff target is not among ``agents``.
        MissingDependencyError: If ``langchain`` is not installed (extra ``agents``).

    Example:
        >>> from langgraph_genesis_memory.tools import HandoffAgent, HandoffStateMiddleware
        >>> router = HandoffStateMiddleware(
        ...     {"triage": HandoffAgent("Route the user.", handoffs=["billing"]),
        ...      "billing": HandoffAgent("Fix invoices.", handoffs=["triage"])},
        ...     default="triage",
        ... )
        >>> sorted(tool.name for tool in router.tools)
        ['transfer_to_billing', 'transfer_to_triage']
        >>> # agent = create_agent(model, middleware=[router], store=store, checkpointer=saver)
    """

    state_schema = HandoffState

    def __init__(
        self,
        agents: Mapping[str, HandoffAgent],
        *,
        default: str,
        store: BaseStore | None = None,
        record: bool = True,
        history: History = "full",
        max_tokens: int | None = None,
        encoding: str | Encoder = DEFAULT_ENCODING,
        recent_tokens: int = 1000,
        summary_tokens: int = 300,
    ) -> None:
        super().__init__()
        self.agents = dict(agents)
        if default not in self.agents:
            raise ConfigurationError(f"default={default!r} is not one of {sorted(self.agents)}.")
        unknown = {t for a in self.agents.values() for t in a.handoffs} - set(self.agents)
        if unknown:
            raise ConfigurationError(
                f"Handoffs to unknown agents {sorted(unknown)}; known: {sorted(self.agents)}."
            )
        self.default = default
        self.history: History = history
        self.max_tokens = max_tokens
        self.encoding = encoding
        self._handoff_tools = {
            name: create_handoff_tool(
                name,
                description=(
                    f"Transfer the conversation to agent '{name}'"
                    + (f" ({agent.description})" if agent.description else "")
                    + ". Give the reason, the critical facts it must not lose, how it should "
                    "continue, and the tasks still pending."
                ),
                store=store,
                record=record,
                recent_tokens=recent_tokens,
                summary_tokens=summary_tokens,
                encoding=encoding,
                active_agent_key=ACTIVE_AGENT,
            )
            for name, agent in self.agents.items()
            if any(name in other.handoffs for other in self.agents.values())
        }
        tools: dict[str, BaseTool] = {}
        for agent in self.agents.values():
            for tool in agent.tools:
                tools.setdefault(tool.name, tool)
        tools.update({tool.name: tool for tool in self._handoff_tools.values()})
        self.tools = list(tools.values())
        self._declared = set(tools)

    def _allowed(self, name: str) -> set[str]:
        agent = self.agents[name]
        return {t.name for t in agent.tools} | {
            self._handoff_tools[target].name for target in agent.handoffs
        }

    def _active(self, state: Any) -> str:
        name = (state.get(ACTIVE_AGENT) if isinstance(state, Mapping) else None) or self.default
        if name not in self.agents:
            raise ConfigurationError(
                f"The state's {ACTIVE_AGENT}={name!r} is not one of {sorted(self.agents)}."
            )
        return str(name)

    def _rewrite(self, request: ModelRequest) -> ModelRequest:
        name = self._active(request.state)
        built = build_handoff_messages(
            request.messages,
            system_prompt=self.agents[name].system_prompt,
            agent_name=name,
            history=self.history,
            max_tokens=self.max_tokens,
            encoding=self.encoding,
        )
        allowed = self._allowed(name)
        tools = [
            t
            for t in request.tools
            if _tool_name(t) in allowed or _tool_name(t) not in self._declared
        ]
        system = built[0] if built and isinstance(built[0], SystemMessage) else None
        body = built[1:] if system is not None else built
        return request.override(system_message=system, messages=cast(Any, body), tools=tools)

    @staticmethod
    def _local(request: ToolCallRequest, result: Any) -> Any:
        """A handoff's ``Command(goto=..., graph=PARENT)`` becomes a state update here: the
        same agent graph continues, with ``active_agent`` set and the call answered."""
        tool = request.tool
        destination = (getattr(tool, "metadata", None) or {}).get(HANDOFF_DESTINATION_KEY)
        if not (isinstance(result, Command) and result.graph == Command.PARENT and destination):
            return result
        update = dict(cast(Mapping[str, Any], result.update or {}))
        call_id = request.tool_call["id"]
        update["messages"] = [
            m
            for m in update.get("messages") or []
            if isinstance(m, ToolMessage) and m.tool_call_id == call_id
        ]
        update[ACTIVE_AGENT] = destination
        return Command(update=update)

    def before_agent(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        """Name the default agent in the state when the state names none yet."""
        return None if state.get(ACTIVE_AGENT) else {ACTIVE_AGENT: self.default}

    async def abefore_agent(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        """Async twin of :meth:`before_agent`."""
        return self.before_agent(state, runtime)

    def wrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
    ) -> ModelResponse:
        """Call the model as the active agent (sync)."""
        return handler(self._rewrite(request))

    async def awrap_model_call(
        self,
        request: ModelRequest,
        handler: Callable[[ModelRequest], Awaitable[ModelResponse]],
    ) -> ModelResponse:
        """Call the model as the active agent (async)."""
        return await handler(self._rewrite(request))

    def wrap_tool_call(self, request: ToolCallRequest, handler: Callable[[Any], Any]) -> Any:
        """Run a tool; turn a handoff into a switch of ``active_agent`` (sync)."""
        return self._local(request, handler(request))

    async def awrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[Any], Awaitable[Any]]
    ) -> Any:
        """Run a tool; turn a handoff into a switch of ``active_agent`` (async)."""
        return self._local(request, await handler(request))
