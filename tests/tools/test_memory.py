"""Memory tools: namespace templates from the run's configuration, sync and async, errors the
model can fix (fed back) versus configuration mistakes (escape the tool node)."""

from __future__ import annotations

import json

import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode
from pydantic import ValidationError
from scripted_model import ScriptedChatModel, tool_turn

from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.store._documents import item_id
from langgraph_genesis_memory.tools import (
    NamespaceTemplate,
    create_manage_memory_tool,
    create_search_memory_tool,
)


def _agent(store, turns, namespace=("agent", "{agent_id}"), **kwargs):
    model = ScriptedChatModel(turns=turns)
    tools = [
        create_manage_memory_tool(namespace, **kwargs),
        create_search_memory_tool(namespace),
    ]
    return create_agent(model, tools, name="memo", store=store), model


def _tool_messages(out) -> list[ToolMessage]:
    return [m for m in out["messages"] if isinstance(m, ToolMessage)]


def test_template_filled_from_configuration(store) -> None:
    agent, _ = _agent(
        store,
        [
            tool_turn(("manage_memory", {"content": "Caroline went to the group on 7 May 2023."})),
            tool_turn(("search_memory", {"query": "group"})),
            "done",
        ],
    )
    config = {"configurable": {"thread_id": "t", "agent_id": "qa"}}
    out = agent.invoke({"messages": [HumanMessage("remember")]}, config)
    created, found = _tool_messages(out)
    assert created.content.startswith("Created memory ")
    memory_id = created.content.split()[-1].rstrip(".")
    (item,) = store.search(("agent", "qa"))
    assert item.key == memory_id
    assert item.value["content"] == "Caroline went to the group on 7 May 2023."
    assert json.loads(found.content)[0]["id"] == memory_id
    assert store.search(("agent",), limit=10)[0].namespace == ("agent", "qa")


async def test_update_delete_and_search_async(astore) -> None:
    config = {"configurable": {"agent_id": "writer", "user_id": "u1"}}
    manage = create_manage_memory_tool(("agent", "{agent_id}", "{user_id}"), store=astore)
    search = create_search_memory_tool(("agent", "{agent_id}", "{user_id}"), store=astore)
    created = await manage.ainvoke({"content": "likes tea"}, config)
    memory_id = created.split()[-1].rstrip(".")
    assert (
        await manage.ainvoke(
            {"content": "likes coffee", "action": "update", "id": memory_id}, config
        )
        == f"Updated memory {memory_id}."
    )
    hits = json.loads(await search.ainvoke({"query": "coffee"}, config))
    assert [h["content"] for h in hits] == ["likes coffee"]
    assert (await astore.aget(("agent", "writer", "u1"), memory_id)).value[
        "content"
    ] == "likes coffee"
    assert (
        await manage.ainvoke({"action": "delete", "id": memory_id}, config)
        == f"Deleted memory {memory_id}."
    )
    assert await astore.aget(("agent", "writer", "u1"), memory_id) is None
    assert "No memories matched" in await search.ainvoke({"query": "coffee"}, config)
    # sync path of the same tool
    assert manage.invoke({"content": "sync works"}, config).startswith("Created memory ")


def test_missing_template_key_escapes_with_available_keys(store) -> None:
    agent, model = _agent(store, [tool_turn(("manage_memory", {"content": "x"})), "unreached"])
    config = {"configurable": {"thread_id": "t", "user_id": "u1", "tenant_id": "acme"}}
    with pytest.raises(ConfigurationError) as caught:
        agent.invoke({"messages": [HumanMessage("remember")]}, config)
    message = str(caught.value)
    assert "'agent_id'" in message
    assert "Available keys: ['tenant_id', 'thread_id', 'user_id']" in message
    assert len(model.seen) == 1  # the model was never asked to fix it
    assert store.search(("agent",)) == []


async def test_missing_template_key_escapes_async(astore) -> None:
    search = create_search_memory_tool(("agent", "{agent_id}"))
    graph = (
        StateGraph(MessagesState)
        .add_node("tools", ToolNode([search]))
        .add_edge(START, "tools")
        .compile(store=astore)
    )
    call = tool_turn(("search_memory", {"query": "x"}))
    call.tool_calls[0]["id"] = "c1"
    with pytest.raises(ConfigurationError, match="'agent_id'.*Available keys: \\['other'\\]"):
        await graph.ainvoke({"messages": [call]}, {"configurable": {"other": 1}})


def test_no_store_escapes() -> None:
    agent, _ = _agent(None, [tool_turn(("manage_memory", {"content": "x"}))])
    with pytest.raises(ConfigurationError, match="no store"):
        agent.invoke({"messages": [HumanMessage("x")]}, {"configurable": {"agent_id": "qa"}})
    tool = create_manage_memory_tool(("agent", "qa"))
    with pytest.raises(ConfigurationError, match="no store"):
        tool.invoke({"content": "x"})


def test_model_mistakes_come_back_with_retry_advice(store) -> None:
    agent, model = _agent(
        store,
        [
            tool_turn(
                ("manage_memory", {"action": "update", "content": "x"}),
                ("manage_memory", {"action": "update", "content": "x", "id": "nope"}),
                ("manage_memory", {"content": "  "}),
                ("search_memory", {"query": "x", "filter": {"content": {"$where": "1"}}}),
                ("search_memory", {"query": ""}),
            ),
            "ok",
        ],
    )
    out = agent.invoke({"messages": [HumanMessage("x")]}, {"configurable": {"agent_id": "qa"}})
    errors = _tool_messages(out)
    assert all(m.status == "error" for m in errors) and len(errors) == 5
    texts = [m.content for m in errors]
    assert "needs the memory's id" in texts[0] and "search tool" in texts[0]
    assert "No memory with id 'nope'" in texts[1] and "action='create'" in texts[1]
    assert "non-empty content" in texts[2]
    assert "$where" in texts[3] and "Call again" in texts[3]
    assert "query is empty" in texts[4]
    assert out["messages"][-1].content == "ok"  # the model got the messages and went on


def test_actions_permitted_and_ttl(store, mongo_client, database_name) -> None:
    manage = create_manage_memory_tool(
        ("business", "{tenant_id}"), actions_permitted=("create",), store=store, ttl=5
    )
    config = {"configurable": {"tenant_id": "acme"}}
    created = manage.invoke({"content": "Refund policy: 30 days."}, config)
    memory_id = created.split()[-1].rstrip(".")
    item = store.get(("business", "acme"), memory_id)
    assert item is not None
    doc = mongo_client[database_name]["store"].find_one(
        {"_id": item_id(("business", "acme"), memory_id)}
    )
    assert doc["ttl"] == 5
    assert manage.args["action"]["const"] == "create"  # the model only sees "create"
    with pytest.raises(ValidationError):  # ToolNode turns this into a message for the model
        manage.invoke({"action": "delete", "id": memory_id}, config)
    with pytest.raises(ConfigurationError):
        create_manage_memory_tool(("agent",), actions_permitted=())


def test_namespace_template() -> None:
    template = NamespaceTemplate(("agent", "{agent_id}", "notes-{user_id}"))
    assert template.keys == ("agent_id", "user_id")
    filled = template({"configurable": {"agent_id": "qa", "user_id": "u1", "x": 1}})
    assert filled == ("agent", "qa", "notes-u1")
    assert NamespaceTemplate("system")() == ("system",)
    with pytest.raises(ConfigurationError, match="Available keys: \\['x'\\]"):
        template({"configurable": {"x": 1, "__pregel_internal": 2}})
    with pytest.raises(ConfigurationError, match="cannot be empty or contain"):
        NamespaceTemplate(("agent", "{agent_id}"))({"configurable": {"agent_id": "a.b"}})
    with pytest.raises(ConfigurationError):
        NamespaceTemplate(())
    with pytest.raises(ConfigurationError):
        NamespaceTemplate(("agent", "{0}"))


def test_tools_inside_a_plain_graph_with_tool_node(store) -> None:
    manage = create_manage_memory_tool(("agent", "{agent_id}"))
    graph = (
        StateGraph(MessagesState)
        .add_node("tools", ToolNode([manage]))
        .add_edge(START, "tools")
        .compile(store=store)
    )
    call = tool_turn(("manage_memory", {"content": "graph memory"}))
    call.tool_calls[0]["id"] = "c1"
    out = graph.invoke({"messages": [call]}, {"configurable": {"agent_id": "g"}})
    assert out["messages"][-1].content.startswith("Created memory")
    assert store.search(("agent", "g"))[0].value["content"] == "graph memory"
