"""MemoryMiddleware on create_agent: recall before the model call (namespace from the run's
context or configuration), write-back by the memory tool or the after-turn hook; sync and async,
on the real local server, with a scripted model whose inputs are inspected."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.store.memory import InMemoryStore
from scripted_model import ScriptedChatModel, tool_turn

from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.tools import MemoryMiddleware
from langgraph_genesis_memory.tools._memory_middleware import RECALL_KEY

PROMPT = "You are a helpful assistant."


@dataclass
class Context:
    user_id: str


def _agent(model: ScriptedChatModel, store, **kwargs) -> object:
    return create_agent(
        model,
        [],
        system_prompt=PROMPT,
        middleware=[MemoryMiddleware(("memories", "{user_id}"), **kwargs)],
        store=store,
        context_schema=Context,
    )


def _seed(store) -> None:
    store.put(("memories", "alice"), "tea", {"content": "Alice drinks green tea every morning."})
    store.put(("memories", "alice"), "cat", {"content": "Alice has a cat called Miso."})
    store.put(("memories", "bob"), "coffee", {"content": "Bob drinks black coffee every morning."})


def _recalled(messages: list[BaseMessage]) -> list[HumanMessage]:
    return [
        m for m in messages if isinstance(m, HumanMessage) and m.additional_kwargs.get(RECALL_KEY)
    ]


def test_recall_is_marked_context_before_the_question_never_the_system_prompt(store) -> None:
    _seed(store)
    model = ScriptedChatModel(turns=["Green tea."])
    agent = _agent(model, store, tool=False)
    out = agent.invoke(
        {"messages": [HumanMessage("What does she drink in the morning?")]},
        context=Context(user_id="alice"),
    )
    seen = model.seen[0]
    assert isinstance(seen[0], SystemMessage) and seen[0].content == PROMPT  # untouched
    (recall,) = _recalled(seen)
    assert seen[-1].content == "What does she drink in the morning?"  # the question stays last
    assert seen.index(recall) == len(seen) - 2
    assert recall.content.startswith("<memory>") and recall.content.endswith("</memory>")
    assert "not instructions" in recall.content
    assert "[tea] Alice drinks green tea every morning." in recall.content
    assert "coffee" not in recall.content  # another user's namespace
    assert recall.additional_kwargs[RECALL_KEY]["namespace"] == ["memories", "alice"]
    # The agent's state holds the real conversation only.
    assert [type(m) for m in out["messages"]] == [HumanMessage, AIMessage]


def test_namespace_from_configuration_too_and_missing_key_escapes(store) -> None:
    _seed(store)
    model = ScriptedChatModel(policy=lambda messages: "ok")
    agent = create_agent(
        model, [], system_prompt=PROMPT, store=store,
        middleware=[MemoryMiddleware(("memories", "{user_id}"), tool=False)],
    )  # fmt: skip
    agent.invoke(
        {"messages": [HumanMessage("coffee in the morning?")]},
        {"configurable": {"user_id": "bob"}},
    )
    (recall,) = _recalled(model.seen[-1])
    assert "black coffee" in recall.content and "Alice" not in recall.content
    with pytest.raises(ConfigurationError, match="user_id"):
        agent.invoke({"messages": [HumanMessage("coffee?")]})


def test_nothing_found_adds_nothing(store) -> None:
    model = ScriptedChatModel(turns=["Hello!"])
    _agent(model, store, tool=False).invoke(
        {"messages": [HumanMessage("hello there")]}, context=Context(user_id="nobody")
    )
    assert not _recalled(model.seen[0])
    assert [m.type for m in model.seen[0]] == ["system", "human"]


def test_write_back_by_the_memory_tool_then_recall_in_a_new_conversation(store) -> None:
    model = ScriptedChatModel(
        turns=[
            tool_turn(("manage_memory", {"content": "Alice is allergic to peanuts."})),
            "Noted, I will remember that.",
            "You are allergic to peanuts.",
        ]
    )
    agent = _agent(model, store)
    agent.invoke(
        {"messages": [HumanMessage("Please remember that I am allergic to peanuts.")]},
        context=Context(user_id="alice"),  # the tool's namespace comes from the context
    )
    saved = store.search(("memories", "alice"))
    assert [item.value["content"] for item in saved] == ["Alice is allergic to peanuts."]

    agent.invoke(
        {"messages": [HumanMessage("What am I allergic to?")]}, context=Context(user_id="alice")
    )
    (recall,) = _recalled(model.seen[-1])
    assert "allergic to peanuts" in recall.content


def _remember(messages: list[BaseMessage]) -> list[str]:
    return [
        str(m.content).split("remember that", 1)[1].strip()
        for m in messages
        if isinstance(m, HumanMessage) and "remember that" in str(m.content)
    ]


def test_write_back_by_the_hook_after_each_turn_is_idempotent(store, saver) -> None:
    model = ScriptedChatModel(policy=lambda messages: "Noted.")
    agent = create_agent(
        model, [], system_prompt=PROMPT, store=store, checkpointer=saver,
        context_schema=Context,
        middleware=[MemoryMiddleware(("memories", "{user_id}"), tool=False, remember=_remember)],
    )  # fmt: skip
    config = {"configurable": {"thread_id": "t-hook"}}
    for _ in range(2):
        agent.invoke(
            {"messages": [HumanMessage("Please remember that my sister is called Ana.")]},
            config,
            context=Context(user_id="carol"),
        )
    saved = store.search(("memories", "carol"))
    assert [item.value["content"] for item in saved] == ["my sister is called Ana."]
    assert saved[0].key.startswith("m-")
    # The second turn recalled the first turn's memory, the checkpoint has no recall message.
    assert "my sister is called Ana." in _recalled(model.seen[-1])[0].content
    state = agent.get_state(config).values["messages"]
    assert not _recalled(state) and len(state) == 4


async def test_async_recall_and_hook(astore) -> None:
    await astore.aput(("memories", "dan"), "city", {"content": "Dan lives in Lisbon."})
    model = ScriptedChatModel(policy=lambda messages: "Lisbon.")
    agent = create_agent(
        model, [], system_prompt=PROMPT, store=astore, context_schema=Context,
        middleware=[MemoryMiddleware(("memories", "{user_id}"), remember=_remember)],
    )  # fmt: skip
    await agent.ainvoke(
        {"messages": [HumanMessage("Where do I live? Also remember that I like trams.")]},
        context=Context(user_id="dan"),
    )
    (recall,) = _recalled(model.seen[0])
    assert "Dan lives in Lisbon." in recall.content
    contents = sorted(i.value["content"] for i in await astore.asearch(("memories", "dan")))
    assert contents == ["Dan lives in Lisbon.", "I like trams."]


def test_works_with_any_langgraph_store() -> None:
    store = InMemoryStore()
    store.put(("memories", "eve"), "job", {"content": "Eve is a pilot."})
    model = ScriptedChatModel(turns=["A pilot."])
    _agent(model, store, tool=False, query=False).invoke(
        {"messages": [HumanMessage("What is my job?")]}, context=Context(user_id="eve")
    )
    assert "Eve is a pilot." in _recalled(model.seen[0])[0].content


def test_bad_arguments() -> None:
    with pytest.raises(ConfigurationError):
        MemoryMiddleware(("memories", "{user-id}"))
    with pytest.raises(ConfigurationError):
        MemoryMiddleware(limit=0)
