"""Benchmark ``GenesisSaver`` against ``MongoDBSaver`` and ``InMemorySaver`` in one run.

Two workloads, each run with every saver on the same MongoDB server (a fresh local
``nx-27017`` server in a temporary folder unless ``--uri`` is given; each saver gets its own
database):

* ``long thread``: one thread, one graph run of 200 super-steps; each step appends one chat
  message (about 300 characters) to a ``MessagesState`` message list;
* ``many threads``: 50 threads x 10 super-steps of the same graph.

For each: super-steps per second (wall clock, ``durability="sync"`` so every checkpoint is
written before the next step) and bytes stored: the sum of ``len(bson.encode(doc))`` over every
document of the saver's collections (works on any server; no ``collStats``). For
``InMemorySaver``: the bytes of its serialized checkpoints, metadata, values and writes.

Targets (issue 4): GenesisSaver at least as fast as ``MongoDBSaver``; at least 5x fewer bytes
for the 200-step thread.

Usage::

    python benchmarks/checkpoint_bench.py            # about a minute
    python benchmarks/checkpoint_bench.py --quick    # a few seconds
    python benchmarks/checkpoint_bench.py --uri mongodb://localhost:27017/
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import bson
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from pymongo import MongoClient

from langgraph_genesis_memory._connection import client_options
from langgraph_genesis_memory.checkpoint import GenesisSaver

TEXT = (
    "Thanks, that helps. Here is what I found about the booking: the flight leaves at 9:40, "
    "the hotel confirms late check-in, and the car is ready at the airport. Anything else you "
    "want me to check before I send the summary to the rest of the team this afternoon? "
)


def build_graph(checkpointer: Any, steps: int) -> Any:
    """A graph that runs ``steps`` super-steps, each appending one message."""

    def turn(state: MessagesState) -> dict:
        n = len(state["messages"])
        return {"messages": [AIMessage(f"[{n}] {TEXT}")]}

    def route(state: MessagesState) -> str:
        return "turn" if len(state["messages"]) < steps else END

    builder = StateGraph(MessagesState)
    builder.add_node("turn", turn)
    builder.add_edge(START, "turn")
    builder.add_conditional_edges("turn", route, ["turn", END])
    return builder.compile(checkpointer=checkpointer)


@dataclass
class Result:
    saver: str
    workload: str
    steps: int
    seconds: float
    bytes: int

    @property
    def steps_per_s(self) -> float:
        return self.steps / self.seconds


def mongo_bytes(client: MongoClient, database: str) -> int:
    """Sum of the BSON sizes of every document in every collection of ``database``."""
    db = client[database]
    total = 0
    for name in db.list_collection_names():
        if name == "genesis_migrations":
            continue
        total += sum(len(bson.encode(doc)) for doc in db[name].find())
    return total


def memory_bytes(saver: InMemorySaver) -> int:
    """Bytes of everything ``InMemorySaver`` keeps (serialized checkpoints, values, writes)."""
    total = 0
    for namespaces in saver.storage.values():
        for checkpoints in namespaces.values():
            for cp, md, _parent in checkpoints.values():
                total += len(cp[1]) + len(md[1])
    total += sum(len(v[1]) for v in saver.blobs.values())
    total += sum(len(w[2][1]) for ws in saver.writes.values() for w in ws.values())
    return total


def run(graph: Any, threads: list[str], steps: int) -> float:
    start = time.perf_counter()
    for thread in threads:
        config = {"configurable": {"thread_id": thread}, "recursion_limit": steps + 10}
        out = graph.invoke({"messages": []}, config, durability="sync")
        assert len(out["messages"]) == steps
    return time.perf_counter() - start


@contextmanager
def server(uri: str | None) -> Iterator[str]:
    if uri:
        yield uri
        return
    from langgraph_genesis_memory.local import LocalServer

    with tempfile.TemporaryDirectory() as tmp:
        local = LocalServer(tmp)
        started = local.start()
        try:
            yield started
        finally:
            local.stop()


def bench(uri: str, workloads: list[tuple[str, int, int]]) -> list[Result]:
    client: MongoClient = MongoClient(uri, **client_options(10_000))
    results: list[Result] = []
    databases: list[str] = []
    try:
        for workload, n_threads, steps in workloads:
            savers: list[tuple[str, Callable[[str], tuple[Any, Callable[[], int]]]]] = []

            def genesis(db: str) -> tuple[Any, Callable[[], int]]:
                saver = GenesisSaver(client=client, database=db)
                saver.setup()
                return saver, lambda: mongo_bytes(client, db)

            def mongodb(db: str) -> tuple[Any, Callable[[], int]]:
                from langgraph.checkpoint.mongodb import MongoDBSaver

                saver = MongoDBSaver(client, db_name=db)
                return saver, lambda: mongo_bytes(client, db)

            def memory(db: str) -> tuple[Any, Callable[[], int]]:
                saver = InMemorySaver()
                return saver, lambda: memory_bytes(saver)

            savers = [("GenesisSaver", genesis), ("MongoDBSaver", mongodb),
                      ("InMemorySaver", memory)]  # fmt: skip
            for name, make in savers:
                db = f"bench_{uuid.uuid4().hex[:10]}"
                databases.append(db)
                saver, measure = make(db)
                run(build_graph(saver, 5), ["warm-up"], 5)  # connections, indexes, caches
                saver.delete_thread("warm-up")
                graph = build_graph(saver, steps)
                threads = [f"{workload}-{i}" for i in range(n_threads)]
                seconds = run(graph, threads, steps)
                results.append(Result(name, workload, n_threads * steps, seconds, measure()))
    finally:
        for db in databases:
            client.drop_database(db)
        client.close()
    return results


def report(results: list[Result]) -> None:
    print(f"{'workload':<26} {'saver':<14} {'steps':>6} {'steps/s':>9} {'bytes stored':>13}")
    for r in results:
        print(f"{r.workload:<26} {r.saver:<14} {r.steps:>6} {r.steps_per_s:>9.1f} {r.bytes:>13,}")
    print()
    for workload in dict.fromkeys(r.workload for r in results):
        by = {r.saver: r for r in results if r.workload == workload}
        g, m = by["GenesisSaver"], by["MongoDBSaver"]
        speed = g.steps_per_s / m.steps_per_s
        smaller = m.bytes / g.bytes
        print(f"{workload}: GenesisSaver is {speed:.2f}x MongoDBSaver's speed and stores "
              f"{smaller:.1f}x fewer bytes (InMemorySaver: {by['InMemorySaver'].bytes:,} bytes, "
              f"{by['InMemorySaver'].steps_per_s:.0f} steps/s)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", help="MongoDB connection string (default: a local server)")
    parser.add_argument("--quick", action="store_true", help="smaller workloads")
    args = parser.parse_args()
    if args.quick:
        workloads = [("long thread (40 steps)", 1, 40), ("many threads (10 x 10)", 10, 10)]
    else:
        workloads = [("long thread (200 steps)", 1, 200), ("many threads (50 x 10)", 50, 10)]
    with server(args.uri) as uri:
        report(bench(uri, workloads))


if __name__ == "__main__":
    main()
