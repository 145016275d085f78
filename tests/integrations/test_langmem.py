"""langmem's memory tools (``create_manage_memory_tool`` / ``create_search_memory_tool``) on
GenesisStore inside a create_agent agent: create, search by meaning, update, delete, per user;
sync and async, scripted model."""

from __future__ import annotations

import json

import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage
from scripted_model import ScriptedChatModel, tool_turn

from langgraph_genesis_memory import GenesisStore

langmem = pytest.importorskip("langmem", reason="needs langmem (the test extra)")

NAMESPACE = ("memories", "{langgraph_user_id}")


def _tools() -> list:
    return [
        langmem.create_manage_memory_tool(namespace=NAMESPACE),
        langmem.create_search_memory_tool(namespace=NAMESPACE),
    ]


def _last_tool_result(messages: list) -> str:
    return str(next(m for m in reversed(messages) if isinstance(m, ToolMessage)).content)


def test_manage_and_search_memories_by_meaning(memory_store: GenesisStore) -> None:
    model = ScriptedChatModel(
        turns=[
            tool_turn(
                (
                    "manage_memory",
                    {"content": "User likes hiking in the Alps.", "action": "create"},
                ),
                ("manage_memory", {"content": "User works as a nurse.", "action": "create"}),
            ),
            "Saved both.",
            tool_turn(("search_memory", {"query": "outdoor activities in the mountains"})),
            lambda messages: "Found it.",
        ]
    )
    agent = create_agent(model, _tools(), store=memory_store)
    alice = {"configurable": {"langgraph_user_id": "alice"}}
    agent.invoke({"messages": [HumanMessage("Remember: I hike in the Alps; I am a nurse.")]}, alice)
    stored = memory_store.search(("memories", "alice"))
    assert sorted(i.value["content"] for i in stored) == [
        "User likes hiking in the Alps.",
        "User works as a nurse.",
    ]

    out = agent.invoke({"messages": [HumanMessage("What do I do on weekends?")]}, alice)
    hits = json.loads(_last_tool_result(out["messages"]))
    assert hits[0]["value"]["content"] == "User likes hiking in the Alps."  # by meaning
    assert hits[0]["score"] is not None

    # Update and delete by id; another user sees nothing.
    hiking = next(i for i in stored if "hiking" in i.value["content"])
    nurse = next(i for i in stored if "nurse" in i.value["content"])
    edit = ScriptedChatModel(
        turns=[
            tool_turn(
                ("manage_memory", {"id": hiking.key, "action": "update",
                                   "content": "User likes hiking in the Dolomites."}),
                ("manage_memory", {"id": nurse.key, "action": "delete"}),
            ),
            "Done.",
            tool_turn(("search_memory", {"query": "hiking"})),
            lambda messages: "Nothing for you.",
        ]
    )  # fmt: skip
    agent = create_agent(edit, _tools(), store=memory_store)
    agent.invoke({"messages": [HumanMessage("Update my memories.")]}, alice)
    left = memory_store.search(("memories", "alice"))
    assert [i.value["content"] for i in left] == ["User likes hiking in the Dolomites."]
    bob = agent.invoke(
        {"messages": [HumanMessage("Do I hike?")]}, {"configurable": {"langgraph_user_id": "bob"}}
    )
    assert json.loads(_last_tool_result(bob["messages"])) == []


async def test_async_agent(memory_store: GenesisStore) -> None:
    model = ScriptedChatModel(
        turns=[
            tool_turn(("manage_memory", {"content": "Prefers window seats on trains."})),
            "Noted.",
            tool_turn(("search_memory", {"query": "where to sit when travelling by rail"})),
            lambda messages: "Window.",
        ]
    )
    agent = create_agent(model, _tools(), store=memory_store)
    config = {"configurable": {"langgraph_user_id": "dan"}}
    await agent.ainvoke({"messages": [HumanMessage("I like window seats on trains.")]}, config)
    out = await agent.ainvoke({"messages": [HumanMessage("Where do I like to sit?")]}, config)
    hits = json.loads(_last_tool_result(out["messages"]))
    assert hits[0]["value"]["content"] == "Prefers window seats on trains."
