"""``ScriptedChatModel``: a deterministic chat model for offline examples, notebooks and tests."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

__all__ = ["ScriptedChatModel", "Turn", "tool_turn"]

Turn = AIMessage | str | Callable[[list[BaseMessage]], AIMessage | str]
"""One scripted reply: a message, its text, or a function of the model's input messages."""


class ScriptedChatModel(BaseChatModel):
    """A chat model that replies from a script, in order; tool calling supported.

    Each call consumes the next turn; once the turns are used up, ``policy`` (a function of the
    input messages, if given) answers every further call. A turn is an ``AIMessage`` (with
    ``tool_calls`` to call tools), a string (a plain answer) or a function of the input messages
    returning either, so a scripted agent can answer from what a tool returned. Tool calls get
    ids when they have none. ``bind_tools`` returns the model itself (the script decides which
    tools are called). With no turn and no policy left, the model answers ``exhausted_reply``.

    Args:
        turns: The replies, in order.
        policy: Answers calls after the turns (a :data:`Turn` function).
        exhausted_reply: Reply once the script is used up and there is no ``policy``.

    Example:
        >>> model = ScriptedChatModel(turns=["Hello!"])
        >>> model.invoke("hi").content
        'Hello!'
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    turns: Sequence[Any] = ()
    policy: Any = None
    exhausted_reply: str = "I have nothing more to add."
    _position: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    seen: list[list[BaseMessage]] = Field(default_factory=list, exclude=True)
    """The input messages of every call, in order (for inspection)."""

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        """Accept tools (LangChain's tool-calling interface); the script picks the calls."""
        return self

    def _next(self, messages: list[BaseMessage]) -> AIMessage:
        with self._lock:
            position = self._position
            self._position += 1
        self.seen.append(list(messages))
        if position < len(self.turns):
            turn = self.turns[position]
        elif self.policy is not None:
            turn = self.policy
        else:
            return AIMessage(content=self.exhausted_reply)
        if callable(turn) and not isinstance(turn, AIMessage):
            turn = turn(list(messages))
        if isinstance(turn, str):
            return AIMessage(content=turn)
        calls = [
            dict(c, id=c.get("id") or f"call_{uuid.uuid4().hex[:12]}") for c in turn.tool_calls
        ]
        return AIMessage(content=turn.content, tool_calls=calls, name=turn.name)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next(messages))])


def tool_turn(*calls: tuple[str, dict[str, Any]], content: str = "") -> AIMessage:
    """A scripted turn that calls tools: ``tool_turn(("search_memory", {"query": "x"}))``.

    Args:
        *calls: ``(tool name, arguments)`` pairs; several make parallel tool calls.
        content: Text that accompanies the calls.

    Returns:
        An ``AIMessage`` whose tool calls get ids when the model emits it.
    """
    return AIMessage(
        content=content,
        tool_calls=[{"name": name, "args": dict(args), "id": None} for name, args in calls],
    )
