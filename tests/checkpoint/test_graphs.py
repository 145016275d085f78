"""Real LangGraph graphs on GenesisSaver: interrupts, Send, subgraphs, time travel, restarts."""

from __future__ import annotations

import json
import operator
import subprocess
import sys
from pathlib import Path
from typing import Annotated, TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import Command, Send, interrupt
from pymongo import MongoClient

from langgraph_genesis_memory.checkpoint import GenesisSaver
from tests.checkpoint.session_graph import build

HERE = Path(__file__).parent


def _values_history(graph, config) -> list[dict]:
    return [s.values for s in graph.get_state_history(config)]


def test_interrupt_and_resume(saver: GenesisSaver) -> None:
    graph = build(saver)
    config = {"configurable": {"thread_id": "trip"}}
    out = graph.invoke({"messages": ["user: book a trip"]}, config)
    assert out["__interrupt__"][0].value == {"question": "approve the plan?", "seen": 2}
    assert graph.get_state(config).next == ("review",)

    final = graph.invoke(Command(resume="yes"), config)
    assert final["messages"] == [
        "user: book a trip",
        "assistant: plan for user: book a trip",
        "user: yes",
        "assistant: done (yes)",
    ]
    assert graph.get_state(config).next == ()


def test_same_history_as_in_memory_saver(saver: GenesisSaver) -> None:
    config = {"configurable": {"thread_id": "t"}}
    histories = []
    for cp in (saver, InMemorySaver()):
        graph = build(cp)
        graph.invoke({"messages": ["user: hi"]}, config)
        graph.invoke(Command(resume="ok"), config)
        histories.append(_values_history(graph, config))
    assert histories[0] == histories[1]
    assert len(histories[0]) == 5


class Fan(TypedDict):
    topics: list[str]
    jokes: Annotated[list[str], operator.add]


async def test_send_fan_out_async(async_saver: GenesisSaver) -> None:
    def split(state: Fan) -> list[Send]:
        return [Send("joke", {"topic": t}) for t in state["topics"]]

    def joke(state: dict) -> dict:
        return {"jokes": [f"a joke about {state['topic']}"]}

    builder = StateGraph(Fan)
    builder.add_node("joke", joke)
    builder.add_conditional_edges(START, split, ["joke"])
    builder.add_edge("joke", END)
    graph = builder.compile(checkpointer=async_saver)
    config = {"configurable": {"thread_id": "fan"}}
    topics = [f"topic {i}" for i in range(6)]
    out = await graph.ainvoke({"topics": topics}, config)
    assert sorted(out["jokes"]) == sorted(f"a joke about {t}" for t in topics)
    state = await graph.aget_state(config)
    assert sorted(state.values["jokes"]) == sorted(out["jokes"])
    history = [s async for s in graph.aget_state_history(config)]
    assert [s.metadata["step"] for s in history] == [1, 0, -1]


class Outer(TypedDict):
    log: Annotated[list[str], operator.add]


def _nested_graph(checkpointer):
    def inner_step(state: Outer) -> dict:
        answer = interrupt("inner needs input")
        return {"log": [f"inner got {answer}"]}

    inner = StateGraph(Outer)
    inner.add_node("inner_step", inner_step)
    inner.add_edge(START, "inner_step")
    sub = inner.compile()

    outer = StateGraph(Outer)
    outer.add_node("before", lambda s: {"log": ["before"]})
    outer.add_node("sub", sub)
    outer.add_node("after", lambda s: {"log": ["after"]})
    outer.add_edge(START, "before")
    outer.add_edge("before", "sub")
    outer.add_edge("sub", "after")
    return outer.compile(checkpointer=checkpointer)


async def test_subgraph_has_its_own_namespace(async_saver: GenesisSaver) -> None:
    config = {"configurable": {"thread_id": "nested"}}
    results = []
    for checkpointer in (async_saver, InMemorySaver()):
        graph = _nested_graph(checkpointer)
        await graph.ainvoke({"log": []}, config)
        state = await graph.aget_state(config, subgraphs=True)
        sub_state = state.tasks[0].state
        sub_ns = sub_state.config["configurable"]["checkpoint_ns"]
        assert sub_ns.startswith("sub:")
        assert sub_state.values["log"] == ["before"]
        # The subgraph's checkpoints live in their own namespace of the same thread.
        sub_config = {"configurable": {"thread_id": "nested", "checkpoint_ns": sub_ns}}
        sub_cps = [t async for t in checkpointer.alist(sub_config)]
        assert sub_cps
        assert all(t.config["configurable"]["checkpoint_ns"] == sub_ns for t in sub_cps)
        final = await graph.ainvoke(Command(resume="42"), config)
        assert "inner got 42" in final["log"] and final["log"][-1] == "after"
        results.append((final, len(sub_cps)))
    assert results[0] == results[1]  # same as LangGraph's reference saver


def test_time_travel_with_update_state(saver: GenesisSaver) -> None:
    def reply(state: MessagesState) -> dict:
        return {"messages": [("ai", f"echo {state['messages'][-1].content}")]}

    builder = StateGraph(MessagesState)
    builder.add_node("reply", reply)
    builder.add_edge(START, "reply")
    graph = builder.compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "tt"}}
    graph.invoke({"messages": [("user", "one")]}, config)
    graph.invoke({"messages": [("user", "two")]}, config)

    history = list(graph.get_state_history(config))
    assert [(s.metadata["source"], s.metadata["step"]) for s in history] == [
        ("loop", 4), ("loop", 3), ("input", 2), ("loop", 1), ("loop", 0), ("input", -1)
    ]  # fmt: skip
    # Rewind to the state after the first exchange (two messages) and branch from it.
    target = next(s for s in history if len(s.values.get("messages", [])) == 2 and not s.next)
    forked = graph.update_state(target.config, {"messages": [("user", "three")]}, as_node=START)
    assert graph.get_state(forked).next == ("reply",)
    out = graph.invoke(None, forked)
    assert [m.content for m in out["messages"]] == ["one", "echo one", "three", "echo three"]
    # The original branch is intact.
    original = graph.get_state(history[0].config)
    assert [m.content for m in original.values["messages"]] == [
        "one",
        "echo one",
        "two",
        "echo two",
    ]
    # The latest state of the thread is the fork's.
    latest = graph.get_state(config)
    assert [m.content for m in latest.values["messages"]][-1] == "echo three"
    assert latest.metadata["source"] == "loop"


def test_resume_in_another_process(
    mongodb_uri: str, mongo_client: MongoClient, database_name: str
) -> None:
    def run(*args: str) -> dict:
        proc = subprocess.run(
            [sys.executable, str(HERE / "session_graph.py"), mongodb_uri, database_name,
             "restart", *args],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.strip().splitlines()[-1])

    first = run("start")
    assert first["next"] == ["review"]
    second = run("resume", "approved by process two")  # a new process; the first has exited
    assert second["next"] == []
    assert second["values"]["messages"][-2:] == [
        "user: approved by process two",
        "assistant: done (approved by process two)",
    ]
    # And this process sees the same session.
    graph = build(GenesisSaver(client=mongo_client, database=database_name))
    state = graph.get_state({"configurable": {"thread_id": "restart"}})
    assert state.values == second["values"]
