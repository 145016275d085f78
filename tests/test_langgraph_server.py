"""LangGraph Server with ``GenesisStore`` and ``GenesisSaver`` from ``langgraph.json``.

Starts ``langgraph dev`` (langgraph-cli with the in-memory runtime) on a free loopback port in a
copy of ``examples/langgraph_server/``, offline, with ``MONGODB_URI`` pointing at the session's
MongoDB server and a database of this test, and drives it with ``langgraph-sdk`` as a real
client: the ``/store`` API is served by ``GenesisStore`` (a semantic query through the offline
all-MiniLM-L6-v2 index configured in ``langgraph.json``), runs go through threads that
``GenesisSaver`` persists, and the TTLs of ``langgraph.json`` are applied.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

pytest.importorskip("langgraph_api", reason="needs langgraph-cli[inmem] (the test extra)")
from langgraph_sdk import get_sync_client  # noqa: E402

from langgraph_genesis_memory.store._documents import item_id, split_id  # noqa: E402

APP = Path(__file__).resolve().parents[1] / "examples" / "langgraph_server"
LANGGRAPH = Path(sys.executable).parent / "langgraph"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"langgraph dev exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/ok", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"langgraph dev did not answer within {timeout:g} s:\n{log.read_text()[-4000:]}")


@pytest.fixture
def server(mongodb_uri: str, database_name: str, tmp_path: Path) -> Iterator[str]:
    """``langgraph dev`` serving the example app; yields its URL."""
    app = tmp_path / "app"
    shutil.copytree(APP, app, ignore=shutil.ignore_patterns("__pycache__", ".langgraph_api"))
    port = _free_port()
    env = {
        **os.environ,
        "MONGODB_URI": mongodb_uri,
        "GENESIS_MONGODB_DATABASE": database_name,
        "GENESIS_CHROMA_PATH": str(tmp_path / "chroma"),
        "LANGSMITH_TRACING": "false",
        "LANGCHAIN_TRACING_V2": "false",
    }
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(LANGGRAPH), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1",
             "--port", str(port)],
            cwd=app,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc, log, timeout=90)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _run(client: Any, thread_id: str, text: str) -> dict[str, Any]:
    result = client.runs.wait(
        thread_id,
        "memory",
        input={"messages": [{"role": "user", "content": text}]},
        context={"user_id": "alice"},
    )
    assert isinstance(result, dict), result
    return result


def test_langgraph_dev_serves_genesis_store_and_saver(
    server: str, mongo_client: MongoClient, database_name: str
) -> None:
    client = get_sync_client(url=server)
    db = mongo_client[database_name]

    # /store is served by GenesisStore: items land in MongoDB.
    alice, bob = ["memories", "alice"], ["memories", "bob"]
    client.store.put_item(alice, key="tea", value={"text": "Drinks green tea every morning."})
    client.store.put_item(alice, key="dog", value={"text": "Adopted a golden retriever puppy."})
    client.store.put_item(bob, key="job", value={"text": "Works as a night-shift nurse."}, ttl=5)
    item = client.store.get_item(alice, key="tea")
    assert item is not None and item["value"] == {"text": "Drinks green tea every morning."}
    assert db["store"].count_documents({}) == 3
    # Through the API, ttl=None (the SDK's default) means "never expires"; ttl= is minutes.
    ttls = {split_id(d["_id"])[1]: d["ttl"] for d in db["store"].find({}, {"ttl": 1})}
    assert ttls == {"tea": None, "dog": None, "job": 5}

    # A semantic query: no word in common with the answer, found by meaning (the index of
    # langgraph.json: all-MiniLM-L6-v2, offline).
    found = client.store.search_items(["memories"], query="Which animal lives with her?", limit=3)
    keys = [hit["key"] for hit in found["items"]]
    assert keys[0] == "dog", found
    assert isinstance(found["items"][0]["score"], float)
    only_bob = client.store.search_items(bob, query="hospital work", limit=3)["items"]
    assert [hit["key"] for hit in only_bob] == ["job"]

    namespaces = client.store.list_namespaces(prefix=["memories"])["namespaces"]
    assert sorted(map(tuple, namespaces)) == [("memories", "alice"), ("memories", "bob")]

    client.store.delete_item(bob, key="job")
    assert client.store.get_item(bob, key="job") is None
    assert db["store"].count_documents({}) == 2

    # Runs on a thread persisted by GenesisSaver; the graph uses the same store.
    thread_id = client.threads.create()["thread_id"]
    first = _run(client, thread_id, "Remember that she is allergic to peanuts.")
    assert first["messages"][-1]["content"] == "Noted: she is allergic to peanuts."
    second = _run(client, thread_id, "What food must she avoid?")
    assert "allergic to peanuts" in second["messages"][-1]["content"]
    assert len(second["messages"]) == 4  # the thread kept the first turn
    state = client.threads.get_state(thread_id)
    assert [m["type"] for m in state["values"]["messages"]] == ["human", "ai", "human", "ai"]

    checkpoints = db["checkpoints"]
    assert checkpoints.count_documents({"kind": "checkpoint", "thread_id": thread_id}) >= 2
    # langgraph.json's checkpointer.ttl (strategy delete, 10080 minutes) is the thread TTL.
    record = checkpoints.find_one({"kind": "thread", "thread_id": thread_id})
    assert record is not None
    minutes_left = (record["expires_at_ms"] - time.time() * 1000) / 60_000
    assert 10080 - 5 < minutes_left <= 10080
    # The graph's put gave no ttl: langgraph.json's store.ttl.default_ttl (minutes) applies.
    written = client.store.search_items(alice, query="peanuts", limit=5)["items"]
    peanuts = next(hit for hit in written if "peanuts" in hit["value"]["text"])
    document = db["store"].find_one({"_id": item_id(("memories", "alice"), peanuts["key"])})
    assert document is not None and document["ttl"] == 43200
