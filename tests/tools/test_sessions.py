"""Sessions: start/resume/end, tasks and facts, the structured context, sliding short-term TTL,
and resuming in a new process after the first one died mid-session."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage
from langgraph_swarm import create_swarm
from scripted_model import ScriptedChatModel

from langgraph_genesis_memory.errors import (
    SessionEndedError,
    SessionExistsError,
    SessionNotFoundError,
)
from langgraph_genesis_memory.sessions import SessionManager, short_term_namespace
from langgraph_genesis_memory.store._documents import item_id
from langgraph_genesis_memory.tokens import count_message_tokens
from langgraph_genesis_memory.tools import (
    HandoffContextMiddleware,
    create_handoff_tool,
    list_handoffs,
)


def test_session_lifecycle(store, saver) -> None:
    sessions = SessionManager(store, saver, tenant_id="acme")
    ctx = sessions.start(
        session_id="s-1",
        user_id="caroline",
        agents=["triage"],
        tasks=["Find the date", "Write a summary"],
        critical_facts=["Prefers short answers."],
        metadata={"channel": "chat"},
    )
    assert ctx.critical_facts == {"fact_1": "Prefers short answers."}
    assert ctx.status == "active" and ctx.tenant_id == "acme" and ctx.user_id == "caroline"
    assert ctx.config == {
        "configurable": {"thread_id": "s-1", "tenant_id": "acme", "user_id": "caroline"}
    }
    assert ctx.completion_rate == 0.0 and len(ctx.pending_tasks) == 2
    with pytest.raises(SessionExistsError):
        sessions.start(session_id="s-1")

    ctx = sessions.complete_tasks("s-1", [ctx.tasks[0]["id"]])
    assert ctx.completion_rate == 0.5
    assert [t["description"] for t in ctx.completed_tasks] == ["Find the date"]
    ctx = sessions.add_tasks("s-1", ["Write a summary", "Say goodbye"], owner="qa")
    assert [t["description"] for t in ctx.pending_tasks] == ["Write a summary", "Say goodbye"]
    ctx = sessions.add_facts("s-1", ["Prefers short answers.", "Lives in Boston."])
    assert ctx.critical_facts == {"fact_1": "Prefers short answers.", "fact_2": "Lives in Boston."}
    ctx = sessions.add_facts("s-1", {"city": "Boston", "fact_1": "Prefers bullet points."})
    assert ctx.critical_facts == {
        "fact_1": "Prefers bullet points.", "fact_2": "Lives in Boston.", "city": "Boston"
    }  # fmt: skip

    ended = sessions.end("s-1")
    assert ended.status == "ended" and ended.ended_at is not None
    assert ended.end_reason == "completed"
    with pytest.raises(SessionEndedError, match="reopen=True"):
        sessions.resume("s-1")
    resumed = sessions.resume("s-1", reopen=True)
    assert resumed.status == "active" and resumed.ended_at is None
    assert resumed.metadata == {"channel": "chat"}
    assert resumed.to_dict()["completion_rate"] == pytest.approx(1 / 3)

    with pytest.raises(SessionNotFoundError):
        sessions.resume("missing")
    with pytest.raises(SessionNotFoundError):
        SessionManager(store, saver, tenant_id="other").context("s-1")


async def test_session_lifecycle_async(astore, async_saver) -> None:
    sessions = SessionManager(astore, async_saver)
    ctx = await sessions.astart(user_id="u", tasks=["t1"])
    assert len(ctx.session_id) == 32
    ctx = await sessions.acomplete_tasks(ctx.session_id, ["t1"])
    assert ctx.completion_rate == 1.0
    ctx = await sessions.aadd_tasks(ctx.session_id, ["t2"])
    ctx = await sessions.aadd_facts(ctx.session_id, ["f"])
    assert (await sessions.aend(ctx.session_id, "done")).end_reason == "done"
    assert (await sessions.aresume(ctx.session_id, reopen=True)).status == "active"
    assert (await sessions.acontext(ctx.session_id)).critical_facts == {"fact_1": "f"}
    assert await sessions.ahandoffs(ctx.session_id) == []


def _expires(mongo_client, database_name, namespace, key):
    doc = mongo_client[database_name]["store"].find_one({"_id": item_id(namespace, key)})
    return doc["expires_at_ms"]


def test_short_term_ttl_slides_while_active(store, saver, mongo_client, database_name) -> None:
    sessions = SessionManager(store, saver)
    sessions.start(session_id="slide")
    namespace = short_term_namespace("default", "slide")
    first = _expires(mongo_client, database_name, namespace, "session")
    assert first - time.time() * 1000 == pytest.approx(24 * 3600 * 1000, rel=0.01)  # 24 hours
    time.sleep(0.05)
    sessions.add_facts("slide", ["x"])
    second = _expires(mongo_client, database_name, namespace, "session")
    assert second > first
    time.sleep(0.05)
    sessions.context("slide")
    assert _expires(mongo_client, database_name, namespace, "session") > second


def _app(store, saver, qa_turns):
    triage = create_agent(
        ScriptedChatModel(turns=[_handoff_turn()]), [create_handoff_tool("qa")], name="triage"
    )
    qa_model = ScriptedChatModel(turns=qa_turns)
    qa = create_agent(qa_model, [], middleware=[HandoffContextMiddleware()], name="qa")
    graph = create_swarm([triage, qa], default_active_agent="triage")
    return graph.compile(store=store, checkpointer=saver), qa_model


def _handoff_turn():
    from scripted_model import tool_turn

    return tool_turn(("transfer_to_qa", {"handoff_reason": "date question",
                                         "critical_info": {"date": "7 May"}}))  # fmt: skip


def test_history_within_token_budget(store, saver) -> None:
    app, _ = _app(store, saver, ["It was on 7 May 2023."])
    sessions = SessionManager(store, saver, history_tokens=60)
    ctx = sessions.start(session_id="budget")
    long = [HumanMessage(f"Message {i}: " + "a fairly long sentence " * 5) for i in range(30)]
    app.invoke({"messages": long}, ctx.config)
    ctx = sessions.context("budget")
    assert ctx.message_counts == {"total": 33, "human": 30, "ai": 2, "tool": 1, "system": 0}
    assert 0 < ctx.recent_tokens <= 60
    assert ctx.recent_messages[-1]["content"] == "It was on 7 May 2023."
    saved = store.get(short_term_namespace("default", "budget"), "history").value
    assert saved["tokens"] == ctx.recent_tokens and saved["message_count"] == 33
    assert count_message_tokens([]) == 0


CHILD = textwrap.dedent(
    """
    import os, sys
    from langchain.agents import create_agent
    from langchain_core.messages import HumanMessage
    from langgraph_swarm import create_swarm
    from langgraph_genesis_memory import GenesisStore
    from langgraph_genesis_memory.checkpoint import GenesisSaver
    from langgraph_genesis_memory.sessions import SessionManager
    from langgraph_genesis_memory.tools import HandoffContextMiddleware, create_handoff_tool
    from scripted_model import ScriptedChatModel, tool_turn

    def die(messages):
        print("qa started; the process dies now", flush=True)
        os._exit(17)

    uri, db = os.environ["CHILD_URI"], os.environ["CHILD_DB"]
    with GenesisStore.from_conn_string(uri, database=db) as store, \\
            GenesisSaver.from_conn_string(uri, database=db) as saver:
        turn = tool_turn(("transfer_to_qa", {"reason": "date question",
                                             "critical_facts": ["Support group: 7 May 2023"],
                                             "pending_tasks": ["Answer with the date"]}))
        triage = create_agent(ScriptedChatModel(turns=[turn]), [create_handoff_tool("qa")],
                              name="triage")
        qa = create_agent(ScriptedChatModel(turns=[die]), [],
                          middleware=[HandoffContextMiddleware()], name="qa")
        app = create_swarm([triage, qa], default_active_agent="triage").compile(
            store=store, checkpointer=saver)
        ctx = SessionManager(store, saver).start(session_id="crash", user_id="caroline")
        app.invoke({"messages": [HumanMessage("When did Caroline go to the support group?")]},
                   ctx.config, durability="sync")
    print("not reached")
    """
)


def test_resume_in_a_new_process_after_a_crash_mid_session(
    store, saver, mongodb_uri, database_name
) -> None:
    examples = str(Path(__file__).resolve().parents[2] / "examples")  # scripted_model
    env = {
        **os.environ,
        "CHILD_URI": mongodb_uri,
        "CHILD_DB": database_name,
        "PYTHONPATH": os.pathsep.join(filter(None, [examples, os.environ.get("PYTHONPATH")])),
    }
    child = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 17, child.stderr
    assert "not reached" not in child.stdout

    sessions = SessionManager(store, saver)
    ctx = sessions.resume("crash")
    assert ctx.current_agent == "qa" and ctx.handoff_count == 1
    assert [t["description"] for t in ctx.pending_tasks] == ["Answer with the date"]
    assert [r["reason"] for r in list_handoffs(store, "crash")] == ["date question"]

    app, qa_model = _app(store, saver, ["7 May 2023."])
    out = app.invoke(None, ctx.config)  # continue the interrupted super-step
    assert out["messages"][-1].content == "7 May 2023."
    assert out["active_agent"] == "qa"
    system = qa_model.seen[0][0].content
    assert "Support group: 7 May 2023" in system and "Answer with the date" in system
    sessions.complete_tasks("crash", ["Answer with the date"])
    assert sessions.end("crash").completion_rate == 1.0
