"""Handoffs by tool call and by node: swarm graphs, prebuilt agents, nested subgraphs, parallel
tool calls, token budgets, audit; on the real local server (GenesisStore + GenesisSaver)."""

from __future__ import annotations

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import create_react_agent
from langgraph_swarm import create_swarm
from scripted_model import ScriptedChatModel, tool_turn

from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.sessions import SessionManager
from langgraph_genesis_memory.tokens import count_message_tokens
from langgraph_genesis_memory.tools import (
    HandoffArguments,
    HandoffContextMiddleware,
    alist_handoffs,
    create_handoff_node,
    create_handoff_tool,
    create_manage_memory_tool,
    find_handoff,
    handoff_pre_model_hook,
    handoff_prompt,
    list_handoffs,
)

HANDOFF_ARGS = {
    "handoff_reason": "The user asks about an earlier conversation.",
    "critical_info": {"user": "Caroline", "support_group_visit": "7 May 2023"},
    "continuation_instructions": "Answer from memory, then hand back to triage.",
    "pending_tasks": ["Answer the date question"],
}
LEGACY_ARGS = {  # the names of earlier versions (and of langgraph-swarm's handoff tool)
    "reason": "The user asks about an earlier conversation.",
    "critical_facts": ["The user is Caroline.", "Support group visit: 7 May 2023."],
    "instructions": "Answer from memory, then hand back to triage.",
    "pending_tasks": ["Answer the date question"],
}


def _history(turns: int = 40) -> list[BaseMessage]:
    messages: list[BaseMessage] = []
    for i in range(turns):
        messages.append(HumanMessage(f"Old question {i} about painting and the kids' school trip."))
        messages.append(AIMessage(f"Old answer {i}: the painting was a sunrise over the lake."))
    messages.append(HumanMessage("When did Caroline go to the LGBTQ support group?"))
    return messages


def _swarm(store, saver, triage_turns, qa_turns, **tool_kwargs):
    triage_model = ScriptedChatModel(turns=triage_turns)
    qa_model = ScriptedChatModel(turns=qa_turns)
    triage = create_agent(
        triage_model,
        [create_handoff_tool("qa", **tool_kwargs), create_manage_memory_tool(("agent", "triage"))],
        system_prompt="You are the triage agent.",
        name="triage",
    )
    qa = create_agent(
        qa_model,
        [create_handoff_tool("triage")],
        system_prompt="You answer questions from memory.",
        middleware=[HandoffContextMiddleware(agent_name="qa")],
        name="qa",
    )
    app = create_swarm([triage, qa], default_active_agent="triage").compile(
        store=store, checkpointer=saver
    )
    return app, triage_model, qa_model


def _assert_valid_history(messages: list[BaseMessage]) -> None:
    """Every tool call is answered by exactly one tool message."""
    calls = [c["id"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]
    answers = [m.tool_call_id for m in messages if isinstance(m, ToolMessage)]
    assert sorted(calls) == sorted(answers)


def test_swarm_handoff_by_tool_call(store, saver) -> None:
    app, _, qa_model = _swarm(
        store, saver, [tool_turn(("transfer_to_qa", HANDOFF_ARGS))], ["7 May 2023."],
        recent_tokens=120,
    )  # fmt: skip
    sessions = SessionManager(store, saver)
    ctx = sessions.start(session_id="swarm-1", user_id="caroline", tasks=["Greet the user"])
    out = app.invoke({"messages": _history()}, ctx.config)

    assert out["active_agent"] == "qa"
    assert out["messages"][-1].content == "7 May 2023."
    _assert_valid_history(out["messages"])

    (record,) = list_handoffs(store, "swarm-1")
    assert record["from_agent"] == "triage" and record["to_agent"] == "qa"
    assert record["reason"] == HANDOFF_ARGS["handoff_reason"]
    assert record["critical_facts"] == HANDOFF_ARGS["critical_info"]
    assert record["continuation_instructions"] == HANDOFF_ARGS["continuation_instructions"]
    assert record["sync_version"] == 2  # the session revision the handoff produced
    assert record["thread_id"] == "swarm-1" and record["via"] == "tool"
    assert set(record["context"]["pending_tasks"]) == {"Answer the date question", "Greet the user"}
    assert record["context"]["recent_tokens"] <= 120
    assert record["context"]["message_count"] == 81
    assert "81 messages" in record["context"]["summary"]

    # The receiving model got the handoff context, not the 80 older raw messages.
    (seen,) = qa_model.seen
    assert isinstance(seen[0], SystemMessage)
    system = seen[0].content
    assert "You answer questions from memory." in system
    assert "Handoff from triage to qa" in system and "support_group_visit: 7 May 2023" in system
    assert "Answer from memory, then hand back to triage." in system
    assert "Answer the date question" in system
    assert seen[-1].content == "When did Caroline go to the LGBTQ support group?"
    assert len(seen) < 10
    assert not any("Old question 0 " in str(m.content) for m in seen[1:])

    after = sessions.context("swarm-1")
    assert after.current_agent == "qa" and after.previous_agent == "triage"
    assert after.handoff_count == 1 and after.agents == ["triage", "qa"]
    assert after.critical_facts == HANDOFF_ARGS["critical_info"]
    brief = sessions.get_handoff_context("swarm-1")
    assert brief is not None and brief.to_dict() == {
        "from_agent": "triage",
        "continuation_instructions": HANDOFF_ARGS["continuation_instructions"],
        "critical_info": HANDOFF_ARGS["critical_info"],
    }
    assert after.message_counts["total"] == len(out["messages"])
    assert after.last_handoff is not None and after.last_handoff["id"] == record["id"]


async def test_swarm_handoff_async(astore, async_saver) -> None:
    app, _, qa_model = _swarm(
        astore, async_saver, [tool_turn(("transfer_to_qa", HANDOFF_ARGS))], ["7 May 2023."]
    )
    config = {"configurable": {"thread_id": "swarm-async", "tenant_id": "acme"}}
    out = await app.ainvoke({"messages": [HumanMessage("When was the group?")]}, config)
    assert out["active_agent"] == "qa"
    records = await alist_handoffs(astore, "swarm-async", tenant_id="acme")
    assert [r["to_agent"] for r in records] == ["qa"]
    assert await alist_handoffs(astore, "swarm-async") == []  # other tenant
    ctx = await SessionManager(astore, async_saver, tenant_id="acme").acontext("swarm-async")
    assert ctx.current_agent == "qa" and ctx.handoff_count == 1
    # Second turn: the swarm resumes with the active agent from the checkpoint.
    out = await app.ainvoke({"messages": [HumanMessage("Thanks!")]}, config)
    assert out["messages"][-1].name == "qa"
    assert qa_model.seen[-1][-1].content == "Thanks!"


def test_handoff_back_and_forth_is_audited_in_order(store, saver) -> None:
    back = {"reason": "Answered; back to triage.", "pending_tasks": []}
    app, triage_model, _ = _swarm(
        store,
        saver,
        [tool_turn(("transfer_to_qa", HANDOFF_ARGS)), "Anything else?"],
        [tool_turn(("transfer_to_triage", back))],
    )
    out = app.invoke({"messages": [HumanMessage("hi")]}, {"configurable": {"thread_id": "ping"}})
    assert out["active_agent"] == "triage"
    records = list_handoffs(store, "ping")
    assert [(r["from_agent"], r["to_agent"]) for r in records] == [
        ("triage", "qa"),
        ("qa", "triage"),
    ]
    assert records[0]["time"] <= records[1]["time"]
    # triage's create_agent has no middleware: it sees the raw history, markers included.
    assert find_handoff(triage_model.seen[-1])[1]["to_agent"] == "triage"


@pytest.mark.filterwarnings("ignore:create_react_agent has been moved")
def test_create_react_agent_with_prompt_and_pre_model_hook(store, saver) -> None:
    """LangGraph prebuilt agents in a hand-built graph (no swarm)."""
    triage_model = ScriptedChatModel(turns=[tool_turn(("go_to_qa", HANDOFF_ARGS))])
    qa_model = ScriptedChatModel(turns=["From memory: 7 May 2023."])
    hook_model = ScriptedChatModel(turns=["(hook) 7 May 2023."])
    tool = create_handoff_tool("qa", name="go_to_qa", active_agent_key=None)
    triage = create_react_agent(triage_model, [tool], name="triage")
    qa = create_react_agent(qa_model, [], prompt=handoff_prompt("QA agent."), name="qa")
    hooked = create_react_agent(
        hook_model, [], pre_model_hook=handoff_pre_model_hook("Hooked.", max_tokens=300),
        name="qa_hooked",
    )  # fmt: skip
    graph = (
        StateGraph(MessagesState)
        .add_node("triage", triage, destinations=("qa",))
        .add_node("qa", qa)
        .add_node("qa_hooked", hooked)
        .add_edge(START, "triage")
        .add_edge("qa", "qa_hooked")
        .compile(store=store, checkpointer=saver)
    )
    out = graph.invoke({"messages": _history(5)}, {"configurable": {"thread_id": "react"}})
    assert out["messages"][-1].content == "(hook) 7 May 2023."
    assert qa_model.seen[0][0].content.startswith("QA agent.\n\n## Handoff from triage to qa")
    assert hook_model.seen[0][0].content.startswith("Hooked.\n\n## Handoff from triage to qa")
    assert count_message_tokens(hook_model.seen[0]) <= 300
    assert len(out["messages"]) == 11 + 2 + 2  # history, call + marker, two answers
    assert list_handoffs(store, "react")[0]["from_agent"] == "triage"


def test_handoff_by_node_with_edges(store, saver) -> None:
    """Deterministic routing: a router node, the handoff node, an edge to the agent."""
    qa_model = ScriptedChatModel(turns=["Node-routed answer."])
    qa = create_agent(qa_model, [], middleware=[HandoffContextMiddleware()], name="qa")
    node = create_handoff_node(
        "qa",
        from_agent="router",
        reason=lambda state: f"Keyword routing on: {state['messages'][-1].content}",
        critical_facts={"routing": "keywords, no model"},
        continuation_instructions="Answer in one line.",
        pending_tasks=lambda state: ["Answer the question"],
    )
    graph = (
        StateGraph(MessagesState)
        .add_node("handoff_to_qa", node)
        .add_node("qa", qa)
        .add_edge(START, "handoff_to_qa")
        .add_edge("handoff_to_qa", "qa")
        .compile(store=store, checkpointer=saver)
    )
    out = graph.invoke({"messages": [HumanMessage("when?")]}, {"configurable": {"thread_id": "n"}})
    assert out["messages"][-1].content == "Node-routed answer."
    (record,) = list_handoffs(store, "n")
    assert record["via"] == "node" and record["from_agent"] == "router"
    assert record["reason"] == "Keyword routing on: when?"
    assert record["critical_facts"] == {"routing": "keywords, no model"}
    assert record["continuation_instructions"] == "Answer in one line."
    assert "routing: keywords, no model" in qa_model.seen[0][0].content
    _assert_valid_history(out["messages"])


async def test_handoff_node_goto_async(astore, async_saver) -> None:
    qa_model = ScriptedChatModel(turns=["ok"])
    qa = create_agent(qa_model, [], middleware=[HandoffContextMiddleware()], name="qa")
    graph = (
        StateGraph(MessagesState)
        .add_node(
            "route", create_handoff_node("qa", reason="always", goto=True), destinations=("qa",)
        )
        .add_node("qa", qa)
        .add_edge(START, "route")
        .compile(store=astore, checkpointer=async_saver)
    )
    out = await graph.ainvoke(
        {"messages": [HumanMessage("x")]}, {"configurable": {"thread_id": "g"}}
    )
    assert out["messages"][-1].content == "ok"
    assert [r["via"] for r in await alist_handoffs(astore, "g")] == ["node"]


def test_handoff_inside_subgraphs_nested_two_levels(store, saver) -> None:
    """top graph -> "support" team subgraph -> create_agent subgraphs -> tool node."""
    a_model = ScriptedChatModel(turns=[tool_turn(("transfer_to_b", {"reason": "b knows"}))])
    b_model = ScriptedChatModel(turns=["b answered"])
    a = create_agent(a_model, [create_handoff_tool("b")], name="a")
    b = create_agent(b_model, [], middleware=[HandoffContextMiddleware(agent_name="b")], name="b")
    team = (
        StateGraph(MessagesState)
        .add_node("a", a, destinations=("b",))
        .add_node("b", b)
        .add_edge(START, "a")
        .compile()
    )
    top = (
        StateGraph(MessagesState)
        .add_node("support", team)
        .add_edge(START, "support")
        .compile(store=store, checkpointer=saver)
    )
    config = {"configurable": {"thread_id": "nested", "tenant_id": "acme", "user_id": "u7"}}
    out = top.invoke({"messages": [HumanMessage("help")]}, config)
    assert out["messages"][-1].content == "b answered"
    (record,) = list_handoffs(store, "nested", tenant_id="acme")
    assert (record["from_agent"], record["to_agent"], record["user_id"]) == ("a", "b", "u7")
    assert record["checkpoint_ns"].startswith("support:")
    assert "Handoff from a to b" in b_model.seen[0][0].content
    _assert_valid_history(out["messages"])


def test_parallel_tool_calls(store, saver, mongo_client, database_name) -> None:
    """A memory write and two handoffs in one AI message: one handoff, a valid history."""
    turn = tool_turn(
        ("manage_memory", {"content": "Caroline likes sunsets."}),
        ("transfer_to_qa", HANDOFF_ARGS),
        ("transfer_to_qa", {"reason": "duplicate"}),
    )
    app, _, qa_model = _swarm(store, saver, [turn], ["done"])
    out = app.invoke({"messages": [HumanMessage("hi")]}, {"configurable": {"thread_id": "par"}})
    assert out["active_agent"] == "qa" and out["messages"][-1].content == "done"
    _assert_valid_history(out["messages"])
    records = list_handoffs(store, "par")
    assert len(records) == 1 and records[0]["reason"] == HANDOFF_ARGS["handoff_reason"]
    notes = [m for m in out["messages"] if isinstance(m, ToolMessage) and m.status == "error"]
    assert len(notes) == 2
    # The memory tool did run even though its result was not kept.
    assert [i.value["content"] for i in store.search(("agent", "triage"))] == [
        "Caroline likes sunsets."
    ]
    assert len(qa_model.seen) == 1


def test_missing_store_escapes_the_tool_node(saver) -> None:
    app, _, _ = _swarm(None, saver, [tool_turn(("transfer_to_qa", HANDOFF_ARGS))], ["x"])
    with pytest.raises(ConfigurationError, match="no store"):
        app.invoke({"messages": [HumanMessage("hi")]}, {"configurable": {"thread_id": "ns"}})


def test_record_false_needs_no_store(saver) -> None:
    app, _, _ = _swarm(
        None, saver, [tool_turn(("transfer_to_qa", HANDOFF_ARGS))], ["x"], record=False
    )
    out = app.invoke({"messages": [HumanMessage("hi")]}, {"configurable": {"thread_id": "nr"}})
    assert out["active_agent"] == "qa"
    # Without a checkpointer (no thread_id) an unrecorded handoff still passes control.
    app, _, _ = _swarm(
        None, None, [tool_turn(("transfer_to_qa", HANDOFF_ARGS))], ["x"], record=False
    )
    assert app.invoke({"messages": [HumanMessage("hi")]})["active_agent"] == "qa"


def test_receiving_agent_can_ask_for_the_full_history(store, saver) -> None:
    full_model = ScriptedChatModel(turns=["full"])
    triage = create_agent(
        ScriptedChatModel(turns=[tool_turn(("transfer_to_qa", HANDOFF_ARGS))]),
        [create_handoff_tool("qa")],
        name="triage",
    )
    qa = create_agent(
        full_model, [], middleware=[HandoffContextMiddleware(history="full")], name="qa"
    )
    app = create_swarm([triage, qa], default_active_agent="triage").compile(
        store=store, checkpointer=saver
    )
    app.invoke({"messages": _history(3)}, {"configurable": {"thread_id": "full"}})
    seen = full_model.seen[0]
    assert "Old question 0" in seen[1].content
    assert "Handoff from triage to qa" in seen[0].content


def test_swarm_wires_destinations_from_tool_metadata() -> None:
    tool = create_handoff_tool("Billing Team", description="Billing.")
    assert tool.name == "transfer_to_billing_team"
    assert tool.metadata == {"__handoff_destination": "Billing Team"}
    assert set(tool.args) == {"handoff_reason", "critical_info", "continuation_instructions",
                              "pending_tasks", "summary"}  # fmt: skip
    assert "state" not in tool.tool_call_schema.model_json_schema()["properties"]
    assert tool.args_schema is HandoffArguments  # one schema for the sync and async functions
    with pytest.raises(ConfigurationError):
        create_handoff_tool(" ")


def _comparable(record: dict) -> dict:
    volatile = {"key", "id", "time", "tool_call_id", "checkpoint_ns"}
    return {k: v for k, v in record.items() if k not in volatile}


def test_same_records_as_with_langgraph_reference_store(store, saver) -> None:
    """The same run on LangGraph's InMemoryStore/InMemorySaver records the same handoff."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.store.memory import InMemoryStore

    results = []
    for s, c in ((store, saver), (InMemoryStore(), InMemorySaver())):
        app, _, _ = _swarm(s, c, [tool_turn(("transfer_to_qa", HANDOFF_ARGS))], ["7 May 2023."])
        SessionManager(s, c).start(session_id="cmp", tasks=["Greet the user"])
        app.invoke({"messages": _history(3)}, {"configurable": {"thread_id": "cmp"}})
        (record,) = list_handoffs(s, "cmp")
        ctx = SessionManager(s, c).context("cmp").to_dict()
        volatile = ("started_at", "updated_at", "last_handoff", "tasks", "pending_tasks")
        for key in (*volatile, "recent_tokens"):  # random tool-call ids tokenize differently
            ctx.pop(key)
        results.append((_comparable(record), ctx))
    assert results[0] == results[1]


@pytest.mark.parametrize("args", [LEGACY_ARGS, {**LEGACY_ARGS, "critical_facts": None}])
def test_earlier_argument_names_still_work(store, saver, args) -> None:
    app, _, qa_model = _swarm(store, saver, [tool_turn(("transfer_to_qa", args))], ["ok"])
    app.invoke({"messages": [HumanMessage("hi")]}, {"configurable": {"thread_id": "legacy"}})
    (record,) = list_handoffs(store, "legacy")
    assert record["reason"] == LEGACY_ARGS["reason"]
    assert record["continuation_instructions"] == LEGACY_ARGS["instructions"]
    if args["critical_facts"]:
        assert record["critical_facts"] == {
            "fact_1": "The user is Caroline.", "fact_2": "Support group visit: 7 May 2023."
        }  # fmt: skip
        assert "- The user is Caroline." in qa_model.seen[0][0].content
    assert LEGACY_ARGS["instructions"] in qa_model.seen[0][0].content


async def test_a_model_prompted_in_the_systems_terms_fills_every_field(astore, async_saver) -> None:
    """The async implementation, the same schema: nothing the model gave is lost."""
    app, _, qa_model = _swarm(
        astore, async_saver, [tool_turn(("transfer_to_qa", HANDOFF_ARGS))], ["done"]
    )
    config = {"configurable": {"thread_id": "terms"}}
    await app.ainvoke({"messages": [HumanMessage("When was the group?")]}, config)
    (record,) = await alist_handoffs(astore, "terms")
    assert record["continuation_instructions"] == HANDOFF_ARGS["continuation_instructions"]
    assert record["critical_facts"] == HANDOFF_ARGS["critical_info"]
    assert record["context"]["pending_tasks"] == HANDOFF_ARGS["pending_tasks"]


def test_records_of_earlier_versions_are_read_in_the_current_shape(store) -> None:
    old = {"key": "20260101T000000000000Z-aaaaaaaa", "id": "a" * 32, "tenant_id": "default",
           "session_id": "old", "thread_id": "old", "user_id": None, "checkpoint_ns": "",
           "from_agent": "a", "to_agent": "b", "reason": "r", "critical_facts": ["x"],
           "instructions": "go", "time": "2026-01-01T00:00:00+00:00", "via": "tool",
           "tool_call_id": None,
           "context": {"summary": "", "recent_messages": [], "recent_tokens": 0,
                       "pending_tasks": [], "message_count": 0}}  # fmt: skip
    store.put(("business", "default", "handoffs", "old"), old["key"], old)
    (record,) = list_handoffs(store, "old")
    assert record["continuation_instructions"] == "go" and "instructions" not in record
    assert record["critical_facts"] == {"fact_1": "x"}
