"""Concurrent updates of one session lose nothing: compare-and-set on ``sync_version`` with
retry, for session records and handoff records, from threads and asyncio tasks at once."""

from __future__ import annotations

import asyncio
import threading

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.store.memory import InMemoryStore

from langgraph_genesis_memory.sessions import SessionManager, sessions_namespace
from langgraph_genesis_memory.sessions._cas import (
    MongoSessions,
    ReadSession,
    WriteSession,
    backend_for,
)
from langgraph_genesis_memory.store._documents import item_id

WRITES = 5  # per writer: a message, a task and a fact each time


def _work(manager: SessionManager, writer: str, i: int) -> tuple[str, str, dict]:
    return (f"{writer} says {i}", f"{writer} task {i}", {f"{writer}.{i}": i})


def _check(manager: SessionManager, writers: list[str], store, saver) -> None:
    full = manager.get_full_context("busy")
    expected_messages = {f"{w} says {i}" for w in writers for i in range(WRITES)}
    assert full.conversation.message_count == len(expected_messages)
    tasks = {t["description"] for t in full.tasks.pending}
    assert tasks == {f"{w} task {i}" for w in writers for i in range(WRITES)}
    assert full.memory.critical_facts == {f"{w}.{i}": i for w in writers for i in range(WRITES)}
    value = store.get(sessions_namespace("default"), "busy").value
    assert value["sync_version"] == 1 + 3 * len(writers) * WRITES  # start + every change
    # Every message reached the checkpointer's thread, once, in an order every writer agreed on.
    builder = StateGraph(MessagesState)
    builder.add_node("noop", lambda state: {})
    builder.add_edge(START, "noop")
    builder.add_edge("noop", END)
    graph = builder.compile(checkpointer=saver)
    contents = [m.content for m in graph.get_state(manager.config("busy")).values["messages"]]
    assert sorted(contents) == sorted(expected_messages)
    for w in writers:  # each writer's own messages stay in its order
        mine = [c for c in contents if c.startswith(f"{w} says")]
        assert mine == [f"{w} says {i}" for i in range(WRITES)]


async def test_eight_writers_threads_and_tasks_lose_nothing(astore, async_saver) -> None:
    manager = SessionManager(astore, async_saver)
    await manager.astart_session(session_id="busy")
    errors: list[BaseException] = []

    def thread_writer(name: str) -> None:
        try:
            for i in range(WRITES):
                text, task, fact = _work(manager, name, i)
                manager.add_message("busy", "user", text)
                manager.add_tasks("busy", [task])
                manager.add_facts("busy", fact)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    async def task_writer(name: str) -> None:
        for i in range(WRITES):
            text, task, fact = _work(manager, name, i)
            await manager.aadd_message("busy", "assistant", text)
            await manager.aadd_tasks("busy", [task])
            await manager.aadd_facts("busy", fact)

    threads = [threading.Thread(target=thread_writer, args=(f"thread{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    await asyncio.gather(*(task_writer(f"task{n}") for n in range(4)))
    for t in threads:
        await asyncio.to_thread(t.join)
    assert errors == []
    writers = [f"thread{n}" for n in range(4)] + [f"task{n}" for n in range(4)]
    _check(manager, writers, astore, async_saver)


def test_eight_threads_on_langgraph_in_memory_store_lose_nothing() -> None:
    store, saver = InMemoryStore(), InMemorySaver()
    manager = SessionManager(store, saver)
    manager.start_session(session_id="busy")

    def writer(name: str) -> None:
        for i in range(WRITES):
            text, task, fact = _work(manager, name, i)
            manager.add_message("busy", "user", text)
            manager.add_tasks("busy", [task])
            manager.add_facts("busy", fact)

    names = [f"w{n}" for n in range(8)]
    threads = [threading.Thread(target=writer, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _check(manager, names, store, saver)


async def test_concurrent_handoffs_are_all_counted_and_recorded(astore, async_saver) -> None:
    manager = SessionManager(astore, async_saver)
    await manager.astart_session(session_id="busy", agents=["triage"])
    targets = [f"agent{n}" for n in range(8)]
    results = await asyncio.gather(
        *(manager.ahandoff_to_agent("busy", t, f"to {t}", {t: True}) for t in targets)
    )
    full = await manager.aget_full_context("busy")
    assert full.agents.handoff_count == 8
    assert set(full.agents.active) == {"triage", *targets}
    assert full.memory.critical_facts == {t: True for t in targets}
    records = await manager.ahandoffs("busy")
    assert sorted(r["to_agent"] for r in records) == targets
    # Each record carries the session revision it produced: all different.
    assert len({r["sync_version"] for r in records}) == 8
    assert {r.record["key"] for r in results} == {r["key"] for r in records}


def test_a_stale_write_is_refused(store, mongo_client, database_name) -> None:
    manager = SessionManager(store)
    manager.start_session(session_id="cas")
    backend = backend_for(store)
    assert isinstance(backend, MongoSessions)
    read = backend.read(ReadSession("default", "cas"))
    assert read is not None and read.head and read.version == 1
    newer = {**read.value, "sync_version": 2, "metadata": {"by": "first"}}
    assert backend.write(WriteSession("default", "cas", newer, read)).applied
    stale = {**read.value, "sync_version": 2, "metadata": {"by": "second"}}
    assert not backend.write(WriteSession("default", "cas", stale, read)).applied
    assert not backend.write(WriteSession("default", "cas", stale, None)).applied  # exists
    head = mongo_client[database_name]["store_sessions"].find_one(
        {"_id": item_id(sessions_namespace("default"), "cas")}
    )
    assert head["v"] == 2 and head["value"]["metadata"] == {"by": "first"}


def test_sessions_written_by_earlier_versions_are_upgraded(store, saver) -> None:
    legacy = {
        "session_id": "old", "tenant_id": "default", "user_id": "u", "status": "active",
        "started_at": "2026-01-01T00:00:00+00:00", "updated_at": "2026-01-01T00:00:00+00:00",
        "ended_at": None, "resumed_count": 0, "agents": ["triage"], "current_agent": None,
        "previous_agent": None, "handoff_count": 0, "tasks": [],
        "critical_facts": ["Prefers email.", "Lives in Oslo."], "metadata": {},
    }  # fmt: skip
    store.put(sessions_namespace("default"), "old", legacy)
    manager = SessionManager(store, saver)
    assert manager.exists("old")
    ctx = manager.add_facts("old", {"plan": "pro"})
    assert ctx.critical_facts == {
        "fact_1": "Prefers email.", "fact_2": "Lives in Oslo.", "plan": "pro"
    }  # fmt: skip
    assert ctx.sync_version == 1
    ctx = manager.add_facts("old", ["Lives in Oslo.", "Has two cats."])
    assert ctx.critical_facts["fact_3"] == "Has two cats." and len(ctx.critical_facts) == 4


@pytest.mark.parametrize("count", [2])
def test_concurrent_starts_of_one_id_create_one_session(store, count) -> None:
    from langgraph_genesis_memory.errors import SessionExistsError

    outcomes: list[str] = []

    def start() -> None:
        try:
            SessionManager(store).start_session(session_id="race")
            outcomes.append("started")
        except SessionExistsError:
            outcomes.append("exists")

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["exists"] * 7 + ["started"]
