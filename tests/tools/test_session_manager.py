"""SessionManager as the memory-coordination system describes it: messages, programmatic
handoffs, handoff context, full context, archival on end, exists/touch/extend, and the
messages reaching a graph that resumes the session's thread; on the real local server."""

from __future__ import annotations

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.store.memory import InMemoryStore
from langgraph_swarm import create_swarm
from scripted_model import ScriptedChatModel

from langgraph_genesis_memory.errors import (
    InvalidArgumentError,
    InvalidValueError,
    SessionEndedError,
    SessionExistsError,
    SessionNotFoundError,
)
from langgraph_genesis_memory.sessions import (
    HandoffResult,
    SessionManager,
    _thread,
    archive_namespace,
    short_term_namespace,
)
from langgraph_genesis_memory.store._documents import item_id
from langgraph_genesis_memory.tools import HandoffContextMiddleware, list_handoffs

CRITICAL = {"current_step": "widget_selection", "user_role": "admin"}


def _fifteen(sessions: SessionManager, session_id: str) -> None:
    for i in range(15):
        role = "user" if i % 2 == 0 else "assistant"
        sessions.add_message(session_id, role, f"message {i}", {"source": "web_ui"})


def test_the_coordination_system_flow_sync(store, saver) -> None:
    manager = SessionManager(store, saver)
    session = manager.start_session(
        session_id="s1", tenant_id="t1", user_id="u1", initial_context={"source": "web_app"},
        tasks=["Configure the analytics widget"],
    )  # fmt: skip
    assert (session.tenant_id, session.user_id, session.status) == ("t1", "u1", "active")
    message = manager.add_message(
        session_id="s1", role="user", content="I need help with X", metadata={"source": "web_ui"}
    )
    assert message.to_dict() == {
        "session_id": "s1", "id": message.id, "role": "user", "content": "I need help with X",
        "metadata": {"source": "web_ui"}, "timestamp": message.timestamp,
    }  # fmt: skip
    _fifteen(manager, "s1")  # tenant found by id alone (session directory)

    handoff = manager.handoff_to_agent(
        session_id="s1",
        to_agent="dashboard_specialist",
        handoff_reason="User needs advanced dashboard configuration",
        critical_info=CRITICAL,
        continuation_instructions="Help user configure the analytics widget",
    )
    assert isinstance(handoff, HandoffResult)
    out = handoff.to_dict()
    assert set(out) == {"from_agent", "to_agent", "timestamp", "context_snapshot"}
    assert out["to_agent"] == "dashboard_specialist" and out["timestamp"] == handoff.timestamp
    assert out["context_snapshot"] == {
        "conversation_summary": "16 messages (9 from user, 7 from assistant)",
        "critical_facts": CRITICAL,
        "pending_tasks": ["Configure the analytics widget"],
    }

    ctx = manager.get_handoff_context("s1")
    assert ctx is not None and ctx.to_dict() == {
        "from_agent": out["from_agent"],
        "continuation_instructions": "Help user configure the analytics widget",
        "critical_info": CRITICAL,
    }

    full = manager.get_full_context("s1").to_dict()
    assert set(full) == {"session_id", "tenant_id", "status", "duration_seconds",
                         "conversation", "agents", "tasks", "memory"}  # fmt: skip
    assert (full["session_id"], full["tenant_id"], full["status"]) == ("s1", "t1", "active")
    assert full["duration_seconds"] >= 0
    assert set(full["conversation"]) == {"message_count", "recent_messages", "summary"}
    assert full["conversation"]["message_count"] == 16
    assert full["conversation"]["summary"] == "16 messages (9 from user, 7 from assistant)"
    assert len(full["conversation"]["recent_messages"]) == 16  # handoff marker not shown
    assert full["agents"] == {"current": "dashboard_specialist", "previous": out["from_agent"],
                              "active": [out["from_agent"], "dashboard_specialist"],
                              "handoff_count": 1}  # fmt: skip
    assert set(full["tasks"]) == {"pending", "completed", "completion_rate"}
    assert [t["description"] for t in full["tasks"]["pending"]] == [
        "Configure the analytics widget"
    ]
    assert full["tasks"]["completion_rate"] == 0.0
    assert set(full["memory"]) == {"critical_facts", "working_memory", "long_term_refs"}
    assert full["memory"]["critical_facts"] == CRITICAL
    assert full["memory"]["working_memory"] == {"context": {"source": "web_app"}}
    (ref,) = full["memory"]["long_term_refs"]
    assert ref["namespace"] == ["business", "t1", "handoffs", "s1"]

    (record,) = list_handoffs(store, "s1", tenant_id="t1")
    assert record["key"] == ref["key"] and record["via"] == "session"
    assert record["critical_facts"] == CRITICAL and record["sync_version"] >= 17

    archive = manager.end_session("s1", reason="completed")
    assert archive.namespace == archive_namespace("t1") == ("business", "t1", "archive")
    kept = store.get(archive.namespace, "s1").value
    assert kept == archive.to_dict()
    assert kept["reason"] == "completed" and kept["summary"].startswith("16 messages")
    assert kept["critical_facts"] == CRITICAL and kept["handoff_count"] == 1
    assert kept["tasks"]["pending"] == ["Configure the analytics widget"]
    assert manager.exists("s1")
    with pytest.raises(SessionEndedError, match="reopen=True"):
        manager.resume("s1")
    with pytest.raises(SessionEndedError):
        manager.add_message("s1", "user", "still there?")
    reopened = manager.resume("s1", reopen=True)
    assert reopened.status == "active" and reopened.end_reason is None
    manager.add_message("s1", "user", "still there?")


async def test_the_coordination_system_flow_async(astore, async_saver) -> None:
    manager = SessionManager(astore, async_saver)
    session = await manager.astart_session(
        session_id="s1", tenant_id="t1", user_id="u1", initial_context={"source": "web_app"}
    )
    assert session.tenant_id == "t1"
    await manager.aadd_message(
        session_id="s1", role="user", content="I need help with X", metadata={"source": "web_ui"}
    )
    for i in range(14):
        await manager.aadd_message("s1", "assistant" if i % 2 == 0 else "user", f"m{i}")
    handoff = await manager.ahandoff_to_agent(
        session_id="s1",
        to_agent="dashboard_specialist",
        handoff_reason="User needs advanced dashboard configuration",
        critical_info=CRITICAL,
        continuation_instructions="Help user configure the analytics widget",
    )
    snapshot = handoff.to_dict()["context_snapshot"]
    assert snapshot["conversation_summary"] == "15 messages (8 from user, 7 from assistant)"
    assert snapshot["critical_facts"] == CRITICAL
    ctx = await manager.aget_handoff_context("s1")
    assert ctx is not None and ctx.critical_info == CRITICAL
    full = await manager.aget_full_context("s1")
    assert full.conversation.message_count == 15 and full.agents.handoff_count == 1
    archive = await manager.aend_session("s1", reason="completed")
    assert archive.reason == "completed"
    assert (await astore.aget(archive_namespace("t1"), "s1")) is not None
    with pytest.raises(SessionEndedError):
        await manager.aresume("s1")
    assert (await manager.aresume("s1", reopen=True)).status == "active"
    assert await manager.aexists("s1") and not await manager.aexists("nope")


def _echo_graph(saver, seen: list[list[str]]):
    def node(state: MessagesState) -> dict:
        seen.append([str(m.content) for m in state["messages"]])
        return {"messages": [AIMessage("noted")]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", node)
    builder.add_edge(START, "agent")
    builder.add_edge("agent", END)
    return builder.compile(checkpointer=saver)


@pytest.mark.parametrize("backend", ["genesis", "langgraph"])
def test_added_messages_reach_a_graph_resuming_the_thread(store, saver, backend) -> None:
    if backend == "langgraph":
        store, saver = InMemoryStore(), InMemorySaver()
    manager = SessionManager(store, saver)
    manager.start_session(session_id="g1", user_id="u")
    manager.add_message("g1", "user", "My order #42 never arrived.")
    manager.add_message("g1", "assistant", "Sorry to hear that.", name="support")
    seen: list[list[str]] = []
    graph = _echo_graph(saver, seen)
    config = manager.config("g1")
    assert [m.content for m in graph.get_state(config).values["messages"]] == [
        "My order #42 never arrived.",
        "Sorry to hear that.",
    ]
    graph.invoke({"messages": [HumanMessage("Any news?")]}, config)
    assert seen[-1] == ["My order #42 never arrived.", "Sorry to hear that.", "Any news?"]
    # After the run, new messages queue on the run's checkpoint and reach the next run.
    manager.add_message("g1", "user", "It arrived, thanks.")
    graph.invoke({"messages": [HumanMessage("Bye")]}, config)
    assert seen[-1][-3:] == ["noted", "It arrived, thanks.", "Bye"]
    full = manager.get_full_context("g1")
    assert full.conversation.message_count == 7
    assert full.conversation.summary == "7 messages (4 from user, 3 from assistant)"


def test_programmatic_handoff_resumes_the_swarm_with_the_receiver(store, saver) -> None:
    triage_model = ScriptedChatModel(turns=["triage here"])
    billing_model = ScriptedChatModel(turns=["Billing: refund issued."])
    triage = create_agent(triage_model, [], name="triage")
    billing = create_agent(
        billing_model, [], middleware=[HandoffContextMiddleware(agent_name="billing")],
        name="billing",
    )  # fmt: skip
    app = create_swarm([triage, billing], default_active_agent="triage").compile(
        store=store, checkpointer=saver
    )
    manager = SessionManager(store, saver, tenant_id="acme")
    manager.start_session(session_id="sw", agents=["triage"])
    manager.add_message("sw", "user", "I was charged twice.")
    manager.handoff_to_agent(
        "sw", "billing", "Duplicate charge", {"invoice": "INV-7"}, "Refund the second charge",
        pending_tasks=["Refund INV-7"],
    )  # fmt: skip
    out = app.invoke({"messages": [HumanMessage("Please hurry.")]}, manager.config("sw"))
    assert out["active_agent"] == "billing"
    assert out["messages"][-1].content == "Billing: refund issued."
    assert triage_model.seen == []
    system = billing_model.seen[0][0].content
    assert "Handoff from triage to billing" in system
    assert "invoice: INV-7" in system and "Refund the second charge" in system
    assert "Refund INV-7" in system


def test_history_is_bounded_by_count_and_tokens(store, saver) -> None:
    manager = SessionManager(store, None, max_history=5, history_tokens=60)
    manager.start_session(session_id="h")
    for i in range(12):
        manager.add_message("h", "user", f"Message {i}: " + "quite a long sentence " * 3)
    value = store.get(("business", "default", "sessions"), "h").value
    history = value["conversation"]["history"]
    assert 0 < len(history) <= 5 and history[-1]["content"].startswith("Message 11")
    assert value["conversation"]["message_count"] == 12
    full = manager.get_full_context("h")
    assert full.conversation.message_count == 12
    assert full.conversation.recent_messages[-1]["content"].startswith("Message 11")
    assert len(full.conversation.recent_messages) <= 5


def test_queue_is_folded_into_a_checkpoint_after_many_messages(store, saver, monkeypatch) -> None:
    monkeypatch.setattr(_thread, "COMPACT_AFTER", 3)
    manager = SessionManager(store, saver)
    manager.start_session(session_id="c")
    for i in range(8):
        manager.add_message("c", "user", f"m{i}")
    value = store.get(("business", "default", "sessions"), "c").value
    assert len(value["thread"]["queue"]) <= 3
    seen: list[list[str]] = []
    _echo_graph(saver, seen).invoke({"messages": [HumanMessage("go")]}, manager.config("c"))
    assert seen[-1] == [f"m{i}" for i in range(8)] + ["go"]


def test_bad_input_is_refused_before_any_io(store, saver) -> None:
    manager = SessionManager(store, saver)
    with pytest.raises(InvalidArgumentError):
        manager.add_message("x", "robot", "hi")
    with pytest.raises(InvalidArgumentError):
        manager.add_message("x", "user", "")
    with pytest.raises(InvalidValueError):
        manager.add_message("x", "user", "hi", {"when": object()})
    with pytest.raises(InvalidArgumentError):
        manager.handoff_to_agent("x", "b", "why", critical_info="not facts")
    with pytest.raises(InvalidArgumentError):
        manager.start_session(session_id="")
    with pytest.raises(InvalidArgumentError):
        manager.touch("x", minutes=-5)
    with pytest.raises(InvalidArgumentError):
        manager.touch("x", minutes="forever")
    assert store.list_namespaces() == []
    with pytest.raises(SessionNotFoundError):
        manager.add_message("x", "user", "hi")


def _expires(mongo_client, database_name, namespace, key) -> int:
    doc = mongo_client[database_name]["store"].find_one({"_id": item_id(namespace, key)})
    return int(doc["expires_at_ms"])


def test_exists_touch_extend_with_minutes_and_layers(
    store, saver, mongo_client, database_name
) -> None:
    import time

    manager = SessionManager(store, saver, session_ttl=30)
    assert not manager.exists("t")
    manager.start_session(session_id="t", initial_context={"source": "api"})
    assert manager.exists("t")
    namespace = short_term_namespace("default", "t")
    first = _expires(mongo_client, database_name, namespace, "session")
    assert first - time.time() * 1000 == pytest.approx(30 * 60 * 1000, rel=0.02)
    assert manager.touch("t") == 30
    assert manager.extend("t", 120) == 120
    assert _expires(mongo_client, database_name, namespace, "context") - time.time() * 1000 == (
        pytest.approx(120 * 60 * 1000, rel=0.02)
    )
    assert manager.touch("t", "session") == 24 * 60
    manager.add_message("t", "user", "hello")  # activity slides the new TTL
    assert _expires(mongo_client, database_name, namespace, "session") - time.time() * 1000 == (
        pytest.approx(24 * 3600 * 1000, rel=0.02)
    )
    manager.end_session("t", reason="abandoned")
    assert _expires(mongo_client, database_name, namespace, "session") - time.time() * 1000 == (
        pytest.approx(15 * 60 * 1000, rel=0.05)
    )  # ephemeral once ended


def test_session_ids_are_unique_across_tenants(store, saver) -> None:
    manager = SessionManager(store, saver)
    manager.start_session(session_id="u", tenant_id="t1")
    with pytest.raises(SessionExistsError, match="t1"):
        manager.start_session(session_id="u", tenant_id="t2")
    with pytest.raises(SessionExistsError):
        manager.start_session(session_id="u", tenant_id="t1")
    # Another process (a new manager) finds the tenant by the session id alone.
    other = SessionManager(store, saver)
    assert other.get_full_context("u").tenant_id == "t1"
    assert other.config("u")["configurable"]["tenant_id"] == "t1"
    # A manager bound to a tenant sees only that tenant's sessions.
    assert not SessionManager(store, saver, tenant_id="t2").exists("u")
    with pytest.raises(SessionNotFoundError):
        SessionManager(store, saver, tenant_id="t2").get_full_context("u")
    assert SessionManager(store, saver, tenant_id="t1").exists("u")


def test_a_session_created_by_the_handoff_tool_gets_the_managers_ttl(
    store, saver, mongo_client, database_name
) -> None:
    import time

    from langchain_core.messages import AIMessage as AI

    from langgraph_genesis_memory.tools import create_handoff_node

    node = create_handoff_node("qa", reason="rules", critical_facts={"k": "v"}, from_agent="r")
    builder = StateGraph(MessagesState)
    builder.add_node("route", node)
    builder.add_node("qa", lambda state: {"messages": [AI("answer")]})
    builder.add_edge(START, "route")
    builder.add_edge("route", "qa")
    graph = builder.compile(store=store, checkpointer=saver)
    graph.invoke({"messages": [HumanMessage("hi")]}, {"configurable": {"thread_id": "tool-made"}})
    manager = SessionManager(store, saver, session_ttl=60)
    ctx = manager.context("tool-made")  # saves the recent history to short-term memory
    assert ctx.critical_facts == {"k": "v"} and ctx.current_agent == "qa"
    namespace = short_term_namespace("default", "tool-made")
    minutes = (
        _expires(mongo_client, database_name, namespace, "history") / 1000 - time.time()
    ) / 60
    assert minutes == pytest.approx(60, abs=1)


def test_messages_a_run_trimmed_are_not_sent_again(store, saver) -> None:
    """A graph that trims its history (RemoveMessage) keeps it trimmed after add_message."""
    from langchain_core.messages import RemoveMessage

    seen: list[list[str]] = []

    def trim(state: MessagesState) -> dict:
        seen.append([str(m.content) for m in state["messages"]])
        removed = [RemoveMessage(id=m.id) for m in state["messages"][:-1]]
        return {"messages": [*removed, AIMessage("summary so far")]}

    builder = StateGraph(MessagesState)
    builder.add_node("trim", trim)
    builder.add_edge(START, "trim")
    builder.add_edge("trim", END)
    graph = builder.compile(checkpointer=saver)
    manager = SessionManager(store, saver)
    manager.start_session(session_id="trim")
    manager.add_message("trim", "user", "old 1")
    manager.add_message("trim", "user", "old 2")
    graph.invoke({"messages": [HumanMessage("go")]}, manager.config("trim"))
    assert seen[-1] == ["old 1", "old 2", "go"]
    manager.add_message("trim", "user", "new")
    graph.invoke({"messages": []}, manager.config("trim"))
    assert seen[-1] == ["go", "summary so far", "new"]
