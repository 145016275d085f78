"""Messages as compact JSON for the store (session history, handoff snapshots) and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from langgraph_genesis_memory.tokens import message_text

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
