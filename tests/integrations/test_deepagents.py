"""Deep Agents' long-term memory (its store-backed ``/memories/`` filesystem) on GenesisStore:
files written by one conversation are read by the next, loaded as agent memory, kept per user,
and searchable by meaning with the store's own search; sync and async, scripted model."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from scripted_model import ScriptedChatModel, tool_turn

from langgraph_genesis_memory import GenesisSaver, GenesisStore

deepagents = pytest.importorskip("deepagents", reason="needs deepagents (the test extra)")
from deepagents.backends import CompositeBackend, StateBackend, StoreBackend  # noqa: E402


@dataclass
class Context:
    user_id: str


def _backend() -> CompositeBackend:
    """Files under /memories/ go to the store, per user; all others stay in the thread."""
    return CompositeBackend(
        default=StateBackend(),
        routes={"/memories/": StoreBackend(namespace=lambda rt: ("memories", rt.context.user_id))},
    )


def _agent(model: ScriptedChatModel, store: GenesisStore, saver: GenesisSaver, **kwargs):
    return deepagents.create_deep_agent(
        model=model,
        tools=[],
        system_prompt="You are a helpful assistant with a long-term memory.",
        backend=_backend(),
        store=store,
        checkpointer=saver,
        context_schema=Context,
        **kwargs,
    )


def test_memories_survive_the_conversation_and_load_as_agent_memory(
    memory_store: GenesisStore, saver: GenesisSaver
) -> None:
    writer = ScriptedChatModel(
        turns=[
            tool_turn(
                ("write_file", {"file_path": "/memories/preferences.md",
                                "content": "The user drinks green tea every morning.\n"}),
                ("write_file", {"file_path": "/scratch.md", "content": "thread-only notes"}),
            ),
            "Saved.",
        ]
    )  # fmt: skip
    _agent(writer, memory_store, saver).invoke(
        {"messages": [HumanMessage("Remember that I drink green tea every morning.")]},
        {"configurable": {"thread_id": "deep-1"}},
        context=Context("alice"),
    )
    item = memory_store.get(("memories", "alice"), "/preferences.md")
    assert item is not None
    assert item.value["content"] == "The user drinks green tea every morning.\n"
    assert memory_store.search(("memories",), filter={"encoding": "utf-8"}) == [item]  # no scratch

    # A new conversation (another thread, a new agent): loaded as memory, readable as a file.
    reader = ScriptedChatModel(
        turns=[
            tool_turn(("read_file", {"file_path": "/memories/preferences.md"})),
            lambda messages: f"From memory: {messages[-1].content}",
        ]
    )
    out = _agent(reader, memory_store, saver, memory=["/memories/preferences.md"]).invoke(
        {"messages": [HumanMessage("What do I drink in the morning?")]},
        {"configurable": {"thread_id": "deep-2"}},
        context=Context("alice"),
    )
    assert "green tea" in str(reader.seen[0][0].content)  # agent memory in the system prompt
    read = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert "The user drinks green tea every morning." in str(read[0].content)
    assert "green tea" in str(out["messages"][-1].content)

    # Kept per user: another user's /memories/ is empty.
    other = ScriptedChatModel(
        turns=[tool_turn(("ls", {"path": "/memories/"})), lambda m: str(m[-1].content)]
    )
    bob = _agent(other, memory_store, saver).invoke(
        {"messages": [HumanMessage("What do you remember?")]},
        {"configurable": {"thread_id": "deep-3"}},
        context=Context("bob"),
    )
    assert "preferences.md" not in str(bob["messages"][-1].content)

    # The store's own search finds Deep Agents' files by meaning.
    hits = memory_store.search(("memories", "alice"), query="morning beverage habits", limit=1)
    assert [hit.key for hit in hits] == ["/preferences.md"]


async def test_async_edit_of_a_memory_file(
    memory_store: GenesisStore, async_saver: GenesisSaver
) -> None:
    await memory_store.aput(
        ("memories", "carol"), "/profile.md",
        {"content": "Name: Carol\nCity: Porto\n", "encoding": "utf-8"},
    )  # fmt: skip
    model = ScriptedChatModel(
        turns=[
            tool_turn(("edit_file", {"file_path": "/memories/profile.md",
                                     "old_string": "City: Porto", "new_string": "City: Lisbon"})),
            "Updated.",
        ]
    )  # fmt: skip
    await _agent(model, memory_store, async_saver).ainvoke(
        {"messages": [HumanMessage("I moved to Lisbon.")]},
        {"configurable": {"thread_id": "deep-async"}},
        context=Context("carol"),
    )
    item = await memory_store.aget(("memories", "carol"), "/profile.md")
    assert item is not None and item.value["content"] == "Name: Carol\nCity: Lisbon\n"
