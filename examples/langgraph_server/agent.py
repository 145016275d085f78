"""A memory graph served by LangGraph Server: long-term memories in ``GenesisStore``, the
conversation (the thread) in ``GenesisSaver``; both configured in ``langgraph.json``.

It needs no language model, so it runs offline: a user message that starts with "remember"
is saved in the user's namespace ``("memories", <user_id>)``; any other message is answered
with the memories that match it best (the store's hybrid search: meaning and words). The user
comes from the run's context: ``client.runs.wait(..., context={"user_id": "alice"})``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.runtime import Runtime


@dataclass
class Context:
    """Who is talking: memories are kept per user."""

    user_id: str = "anonymous"


REMEMBER = re.compile(r"^\s*(please\s+)?remember(\s+that)?[:,]?\s+", re.IGNORECASE)


async def respond(state: MessagesState, runtime: Runtime[Context]) -> dict:
    """Save a memory, or answer from the memories that match the message."""
    assert runtime.store is not None, "compile with a store (langgraph.json: store.path)"
    text = next(
        (str(m.content) for m in reversed(state["messages"]) if isinstance(m, HumanMessage)), ""
    )
    namespace = ("memories", runtime.context.user_id)
    if REMEMBER.match(text):
        fact = REMEMBER.sub("", text).strip()
        await runtime.store.aput(namespace, uuid.uuid4().hex, {"text": fact})
        return {"messages": [AIMessage(f"Noted: {fact}")]}
    hits = await runtime.store.asearch(namespace, query=text, limit=2)
    if not hits:
        return {"messages": [AIMessage("I have no memories about that yet.")]}
    found = "; ".join(hit.value["text"] for hit in hits)
    return {"messages": [AIMessage(f"From memory: {found}")]}


graph = (
    StateGraph(MessagesState, context_schema=Context)
    .add_node(respond)
    .add_edge(START, "respond")
    .compile(name="memory")
)
