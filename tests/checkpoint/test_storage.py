"""How GenesisSaver stores data: dedup of growing lists, chunking, encryption, retention."""

from __future__ import annotations

import os
import time

import bson
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.serde.encrypted import EncryptedSerializer
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.graph import START, MessagesState, StateGraph
from pymongo import MongoClient

from langgraph_genesis_memory.checkpoint import GenesisSaver
from tests.checkpoint.helpers import stored_bytes


def _chat_graph(saver: GenesisSaver):
    def reply(state: MessagesState) -> dict:
        return {"messages": [AIMessage(f"answer {len(state['messages'])} " + "x" * 200)]}

    builder = StateGraph(MessagesState)
    builder.add_node("reply", reply)
    builder.add_edge(START, "reply")
    return builder.compile(checkpointer=saver)


def _all_docs(client: MongoClient, saver: GenesisSaver) -> list[dict]:
    db = client[saver.database]
    return [d for name in saver.collections.all() for d in db[name].find()]


def _put(saver: GenesisSaver, thread: str, values: dict, parent: dict | None = None) -> dict:
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = values
    versions = {k: saver.get_next_version(None, None) for k in values}
    checkpoint["channel_versions"] = versions
    config = parent or {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    return saver.put(config, checkpoint, {"source": "loop", "step": 0}, versions)


def test_growing_message_list_stores_each_message_about_once(
    saver: GenesisSaver, mongo_client: MongoClient
) -> None:
    graph = _chat_graph(saver)
    config = {"configurable": {"thread_id": "chat"}}
    collections = list(saver.collections.all())
    totals = []
    for turns in (15, 15):
        for i in range(turns):
            graph.invoke({"messages": [HumanMessage(f"question {i} " + "y" * 200)]}, config)
        totals.append(stored_bytes(mongo_client, saver.database, collections))
    messages = graph.get_state(config).values["messages"]
    assert len(messages) == 60

    db = mongo_client[saver.database]
    items = list(db[saver.collections.checkpoints].find({"kind": "item"}))
    assert len(items) == 60  # one document per message, however many checkpoints refer to it
    serde = JsonPlusSerializer()
    full_lists = sum(
        len(serde.dumps_typed(s.values.get("messages", []))[1])
        for s in graph.get_state_history(config)
    )
    # Storing every version of the list whole would take full_lists bytes and grow 4x when the
    # conversation doubles; here storage grows about linearly.
    assert totals[1] < full_lists / 4, (totals, full_lists)
    assert totals[1] < 2.5 * totals[0], totals


def test_values_larger_than_16_mb_are_chunked(saver: GenesisSaver, mongo_client) -> None:
    big = os.urandom(17 * 1024 * 1024)
    stored = _put(saver, "big", {"blob": big, "small": "s"})
    saver.put_writes(stored, [("blob", big)], "task-1")
    tup = saver.get_tuple(stored)
    assert tup is not None
    assert tup.checkpoint["channel_values"]["blob"] == big
    assert tup.checkpoint["channel_values"]["small"] == "s"
    assert tup.pending_writes == [("task-1", "blob", big)]
    sizes = [len(bson.encode(d)) for d in _all_docs(mongo_client, saver)]
    assert max(sizes) < 9 * 1024 * 1024 < sum(sizes)


def test_small_chunks_and_chunked_list_items(mongo_client, database_name) -> None:
    saver = GenesisSaver(client=mongo_client, database=database_name, chunk_bytes=1024)
    saver.setup()
    value = ["a" * 5000, "b" * 10, "c" * 3000]
    stored = _put(saver, "t", {"list": value, "text": "z" * 4000})
    tup = saver.get_tuple(stored)
    assert tup.checkpoint["channel_values"] == {"list": value, "text": "z" * 4000}
    sizes = [len(bson.encode(d)) for d in _all_docs(mongo_client, saver)]
    assert max(sizes) < 1024 + 512


def test_encrypted_serializer_keeps_stored_bytes_unreadable(
    mongo_client: MongoClient, database_name: str
) -> None:
    key = b"0123456789abcdef0123456789abcdef"
    serde = EncryptedSerializer.from_pycryptodome_aes(key=key)
    saver = GenesisSaver(client=mongo_client, database=database_name, serde=serde)
    saver.setup()
    graph = _chat_graph(saver)
    config = {"configurable": {"thread_id": "secret"}}
    secret = "my card number is 4111-1111-1111-1111"
    graph.invoke({"messages": [HumanMessage(secret)]}, config)
    graph.invoke({"messages": [HumanMessage(secret + " again")]}, config)
    assert graph.get_state(config).values["messages"][0].content == secret

    raw = b"".join(bson.encode(d) for d in _all_docs(mongo_client, saver))
    assert b"4111-1111" not in raw and b"card number" not in raw
    assert b"answer" not in raw

    no_key = GenesisSaver(client=mongo_client, database=database_name)
    with pytest.raises(Exception):  # noqa: B017 - any failure: the bytes cannot be decoded
        no_key.get_tuple(config)
    wrong = EncryptedSerializer.from_pycryptodome_aes(key=b"f" * 32)
    with pytest.raises(ValueError):
        GenesisSaver(client=mongo_client, database=database_name, serde=wrong).get_tuple(config)


def test_ttl_hides_expired_threads_and_sweep_removes_them(
    mongo_client: MongoClient, database_name: str
) -> None:
    ttl = 0.02  # minutes: 1.2 s
    saver = GenesisSaver(client=mongo_client, database=database_name, ttl_minutes=ttl)
    saver.setup()
    stale = _put(saver, "stale", {"a": 1})  # expires at t=1.2 s
    saver.put_writes(stale, [("a", 2)], "task")
    time.sleep(0.8)
    fresh = _put(saver, "fresh", {"a": 1})  # would expire at t=2.0 s...
    time.sleep(0.8)
    _put(saver, "fresh", {"a": 2}, parent=fresh)  # ...but activity at t=1.6 s moves it to 2.8 s
    time.sleep(0.5)
    assert saver.get_tuple({"configurable": {"thread_id": "stale"}}) is None
    assert list(saver.list({"configurable": {"thread_id": "stale"}})) == []
    assert [t.config["configurable"]["thread_id"] for t in saver.list(None)] == ["fresh"] * 2
    assert saver.sweep() == 1
    db = mongo_client[database_name]
    for name in saver.collections.all():
        assert db[name].count_documents({"thread_id": "stale"}) == 0
    assert saver.get_tuple({"configurable": {"thread_id": "fresh"}}) is not None
    assert saver.sweep() == 0


def _counts(client: MongoClient, saver: GenesisSaver, thread: str) -> dict[str, int]:
    db = client[saver.database]
    return {
        name: db[name].count_documents({"thread_id": thread}) for name in saver.collections.all()
    }


def test_prune_keep_latest_leaves_nothing_behind(
    saver: GenesisSaver, mongo_client: MongoClient
) -> None:
    graph = _chat_graph(saver)
    config = {"configurable": {"thread_id": "p"}}
    for i in range(5):
        graph.invoke({"messages": [HumanMessage(f"q{i}")]}, config)
    before = graph.get_state(config)
    saver.prune(["p"], strategy="keep_latest")
    after = graph.get_state(config)
    assert after.values == before.values
    assert len(list(graph.get_state_history(config))) == 1

    db = mongo_client[saver.database]
    main = db[saver.collections.checkpoints]
    assert main.count_documents({"kind": "item"}) == len(after.values["messages"])
    (cp,) = main.find({"kind": "checkpoint"})
    assert main.count_documents({"kind": {"$in": ["value", "list", "empty"]}}) == len(
        cp["versions"]
    )
    assert db[saver.collections.writes].count_documents({"cp": {"$ne": cp["_id"]}}) == 0

    # The conversation continues after pruning.
    out = graph.invoke({"messages": [HumanMessage("after prune")]}, config)
    assert len(out["messages"]) == 12

    saver.prune(["p"], strategy="delete")
    assert _counts(mongo_client, saver, "p") == dict.fromkeys(_counts(mongo_client, saver, "p"), 0)


def test_delete_for_runs_and_delete_thread_collect_values(
    saver: GenesisSaver, mongo_client: MongoClient
) -> None:
    graph = _chat_graph(saver)
    config = {"configurable": {"thread_id": "r"}}
    graph.invoke({"messages": [HumanMessage("first")]}, config)
    run2 = "00000000-0000-0000-0000-000000000002"
    # LangGraph records a run id given in the config's metadata (as LangGraph Platform does).
    graph.invoke({"messages": [HumanMessage("second")]}, {**config, "metadata": {"run_id": run2}})
    runs = {t.metadata.get("run_id") for t in saver.list(config)}
    assert run2 in runs and None in runs
    saver.delete_for_runs([run2])
    state = graph.get_state(config)
    assert [m.content for m in state.values["messages"]][:1] == ["first"]
    assert len(state.values["messages"]) == 2
    db = mongo_client[saver.database]
    assert db[saver.collections.checkpoints].count_documents({"kind": "item"}) == 2

    saver.copy_thread("r", "r-copy")
    saver.delete_thread("r")
    assert _counts(mongo_client, saver, "r") == dict.fromkeys(_counts(mongo_client, saver, "r"), 0)
    copied = graph.get_state({"configurable": {"thread_id": "r-copy"}})
    assert copied.values == state.values
    out = graph.invoke(
        {"messages": [HumanMessage("third")]}, {"configurable": {"thread_id": "r-copy"}}
    )
    assert len(out["messages"]) == 4


def test_items_are_rewritten_when_another_process_deleted_the_thread(
    saver: GenesisSaver, mongo_client: MongoClient
) -> None:
    first = _put(saver, "reused", {"topics": ["billing", "refunds"]})
    _put(saver, "reused", {"topics": ["billing", "refunds", "vat"]}, parent=first)
    # Another process (another saver instance) deletes the thread ...
    GenesisSaver(client=mongo_client, database=saver.database).delete_thread("reused")
    # ... and a new session reuses the thread id with some of the same elements.
    again = _put(saver, "reused", {"topics": ["billing", "refunds", "vat", "new"]})
    tup = saver.get_tuple(again)
    assert tup.checkpoint["channel_values"]["topics"] == ["billing", "refunds", "vat", "new"]
    items = mongo_client[saver.database][saver.collections.checkpoints].count_documents(
        {"thread_id": "reused", "kind": "item"}
    )
    assert items == 4
