"""Give the receiving agent its handoff context instead of the whole raw history.

One pure function, :func:`build_handoff_messages`, turns an agent's state messages into model
input: a system message (the agent's prompt plus the latest handoff to it: who, why, critical
facts, how to continue, summary, pending tasks), the snapshot's recent messages (within their
token budget) and whatever happened after the handoff. Three adapters plug it into agents:

* :func:`handoff_prompt`: ``prompt=`` of ``langgraph.prebuilt.create_react_agent``;
* :func:`handoff_pre_model_hook`: ``pre_model_hook=`` of ``create_react_agent`` (returns
  ``llm_input_messages``, so the state keeps the full history, as LangGraph documents);
* :class:`HandoffContextMiddleware`: ``middleware=[...]`` of ``langchain.agents.create_agent``.

Without a handoff in the state, the model input is the agent's prompt plus the state messages
(trimmed to ``max_tokens`` if given): the hooks are safe on every agent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, cast

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, convert_to_messages

from langgraph_genesis_memory._messages import dict_to_message
from langgraph_genesis_memory.errors import MissingDependencyError
from langgraph_genesis_memory.tokens import (
    DEFAULT_ENCODING,
    Encoder,
    message_text,
    trim_messages_to_budget,
)
from langgraph_genesis_memory.tools._records import find_handoff, instructions_of, render_handoff

History = Literal["handoff", "full"]
"""``"handoff"``: snapshot + messages since the handoff; ``"full"``: the whole raw history."""


def _state_messages(state: Any) -> list[BaseMessage]:
    raw = state.get("messages") if isinstance(state, dict) else getattr(state, "messages", None)
    return convert_to_messages(raw or [])


def build_handoff_messages(
    messages: Sequence[BaseMessage],
    *,
    system_prompt: str | None = None,
    agent_name: str | None = None,
    history: History = "handoff",
    max_tokens: int | None = None,
    encoding: str | Encoder = DEFAULT_ENCODING,
) -> list[BaseMessage]:
    """Build a model's input from an agent's messages and the latest handoff to it.

    Args:
        messages: The agent's state messages (oldest first).
        system_prompt: The agent's own instructions, placed before the handoff block.
        agent_name: Only use a handoff addressed to this agent; ``None`` uses the latest one.
        history: ``"handoff"`` (default): replay the snapshot's recent messages and the messages
            after the handoff marker, not the raw history before it; ``"full"``: every message.
        max_tokens: Token budget of the whole input (system message included); the oldest
            non-system messages are dropped first. ``None``: no limit.
        encoding: tiktoken encoding or model name used to count (offline).

    Returns:
        ``[SystemMessage, *messages]`` ready for a chat model (starts on a human message).
    """
    messages = convert_to_messages(messages)
    found = find_handoff(messages, agent_name)
    system_parts = [system_prompt] if system_prompt else []
    body: list[BaseMessage]
    if found is None:
        body = list(messages)
    else:
        index, record = found
        system_parts.append(render_handoff(record))
        if history == "full":
            body = list(messages)
        else:
            recent = record.get("context", {}).get("recent_messages") or []
            replay = [m for m in (dict_to_message(d) for d in recent) if m is not None]
            body = [*replay, *messages[index + 1 :]]
        if not any(isinstance(m, HumanMessage) for m in body):
            body.append(
                HumanMessage(
                    content=instructions_of(record)
                    or "Continue the conversation as described in the handoff."
                )
            )
    system = [SystemMessage(content="\n\n".join(system_parts))] if system_parts else []
    result = [*system, *body]
    if max_tokens is not None:
        result = trim_messages_to_budget(result, max_tokens, encoding=encoding)
    return result


def handoff_prompt(
    system_prompt: str | None = None,
    *,
    agent_name: str | None = None,
    history: History = "handoff",
    max_tokens: int | None = None,
    encoding: str | Encoder = DEFAULT_ENCODING,
) -> Callable[[Any], list[BaseMessage]]:
    """A ``prompt=`` callable for ``create_react_agent`` that adds the handoff context.

    Args:
        system_prompt, agent_name, history, max_tokens, encoding: As
            :func:`build_handoff_messages`.

    Returns:
        ``prompt(state) -> list[BaseMessage]`` (LangGraph's callable-prompt contract).

    Example:
        >>> prompt = handoff_prompt("You answer billing questions.", agent_name="billing")
        >>> [m.type for m in prompt({"messages": [("user", "Where is my invoice?")]})]
        ['system', 'human']
    """

    def prompt(state: Any) -> list[BaseMessage]:
        return build_handoff_messages(
            _state_messages(state),
            system_prompt=system_prompt,
            agent_name=agent_name,
            history=history,
            max_tokens=max_tokens,
            encoding=encoding,
        )

    return prompt


def handoff_pre_model_hook(
    system_prompt: str | None = None,
    *,
    agent_name: str | None = None,
    history: History = "handoff",
    max_tokens: int | None = None,
    encoding: str | Encoder = DEFAULT_ENCODING,
) -> Callable[[Any], dict[str, list[BaseMessage]]]:
    """A ``pre_model_hook=`` for ``create_react_agent`` returning ``llm_input_messages``.

    The state's ``messages`` are left untouched (LangGraph's pre-model-hook contract), so the
    checkpoint keeps the full history while the model sees the handoff context.

    Args:
        system_prompt, agent_name, history, max_tokens, encoding: As
            :func:`build_handoff_messages`.

    Returns:
        ``hook(state) -> {"llm_input_messages": [...]}``.
    """
    prompt = handoff_prompt(
        system_prompt,
        agent_name=agent_name,
        history=history,
        max_tokens=max_tokens,
        encoding=encoding,
    )

    def hook(state: Any) -> dict[str, list[BaseMessage]]:
        return {"llm_input_messages": prompt(state)}

    return hook


try:  # ``langchain`` (for create_agent) is optional: the "agents" extra
    from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
except ImportError:  # pragma: no cover - exercised only without langchain installed

    class AgentMiddleware:  # type: ignore[no-redef]
        """Stand-in when ``langchain`` is not installed."""

        def __init__(self) -> None:
            raise MissingDependencyError(
                "HandoffContextMiddleware needs langchain (create_agent): "
                "pip install 'langgraph-genesis-memory[agents]'"
            )

    ModelRequest = ModelResponse = Any  # type: ignore[misc,assignment]


class HandoffContextMiddleware(AgentMiddleware):
    """``create_agent`` middleware that gives the model the handoff context.

    It rewrites each model request (``wrap_model_call``): the system message becomes the
    agent's ``system_prompt`` (or this middleware's) plus the handoff block, and the messages
    become the handoff snapshot plus what followed it. The agent's state is not changed.

    Args:
        system_prompt: Instructions placed before the handoff block; default the agent's own
            ``system_prompt``.
        agent_name, history, max_tokens, encoding: As :func:`build_handoff_messages`.

    Raises:
        MissingDependencyError: If ``langchain`` is not installed (extra ``agents``).

    Example:
        >>> from langgraph_genesis_memory.tools import HandoffContextMiddleware
        >>> middleware = HandoffContextMiddleware(agent_name="qa", max_tokens=4000)
    """

    def __init__(
        self,
        system_prompt: str | None = None,
        *,
        agent_name: str | None = None,
        history: History = "handoff",
        max_tokens: int | None = None,
        encoding: str | Encoder = DEFAULT_ENCODING,
    ) -> None:
        super().__init__()
        self.system_prompt = system_prompt
        self.agent_name = agent_name
        self.history: History = history
        self.max_tokens = max_tokens
        self.encoding = encoding

    def _rewrite(self, request: ModelRequest) -> ModelRequest:
        base = self.system_prompt
        if base is None and request.system_message is not None:
            base = message_text(request.system_message)
        built = build_handoff_messages(
            request.messages,
            system_prompt=base,
            agent_name=self.agent_name,
            history=self.history,
            max_tokens=self.max_tokens,
            encoding=self.encoding,
        )
        if built and isinstance(built[0], SystemMessage):
            return request.override(system_message=built[0], messages=cast(Any, built[1:]))
        return request.override(messages=cast(Any, built))

    def wrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
    ) -> ModelResponse:
        """Call the model with the handoff context (sync)."""
        return handler(self._rewrite(request))

    async def awrap_model_call(
        self,
        request: ModelRequest,
        handler: Callable[[ModelRequest], Awaitable[ModelResponse]],
    ) -> ModelResponse:
        """Call the model with the handoff context (async)."""
        return await handler(self._rewrite(request))
