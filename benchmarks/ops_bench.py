"""Benchmark backup and restore against raw pymongo on the same documents, in one run.

A fresh local ``nx-27017`` server in a temporary folder (or ``--uri``) gets a store of ``--items``
items (default 5,000: 50 namespaces, values of about 300 bytes, namespace TTL policies). Then,
``--reps`` times each (best run kept, so a noisy neighbour on the machine does not decide):

* ``backup``: :func:`langgraph_genesis_memory.ops.backup` of the whole store to a file, against
  raw pymongo reading the same documents the same way (``find`` sorted by ``_id``, pages of
  1,000 by ``_id`` ranges, the same fields), with no file written;
* ``restore``: :func:`langgraph_genesis_memory.ops.restore` of that file into an empty store
  (every record checked, then written; checksum verified), against raw pymongo writing the same
  documents into an empty collection (``insert_many`` of 1,000, unordered), with no file read.

Items per second, and the ratio (target: at least 0.7x raw pymongo).

Usage::

    python benchmarks/ops_bench.py             # about a minute
    python benchmarks/ops_bench.py --quick     # a few seconds
    python benchmarks/ops_bench.py --uri mongodb://localhost:27017/
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langgraph.store.base import PutOp
from pymongo import MongoClient

from langgraph_genesis_memory import GenesisStore, LocalServer
from langgraph_genesis_memory._connection import client_options
from langgraph_genesis_memory.ops import backup, restore
from langgraph_genesis_memory.ops._records import ITEM_PROJECTION

PAGE = 1000
TEXT = (
    "Caroline mentioned she drinks green tea every morning before her run; the team agreed to "
    "move the weekly sync to Thursday, and the customer asked for the invoice to be split "
    "across two cost centres from next month on. "
)


def fill(store: GenesisStore, items: int) -> None:
    """Write ``items`` items in 50 namespaces under the TTL policies."""
    labels = ["agent", "business", "system", "short_term"]
    ops = []
    for i in range(items):
        namespace = (labels[i % 4], f"ns{i % 50}")
        ops.append(PutOp(namespace, f"k{i}", {"text": f"{i} {TEXT}", "n": i, "tags": ["a", "b"]}))
    for start in range(0, len(ops), 500):
        store.batch(ops[start : start + 500])


def raw_read(client: MongoClient[Any], database: str) -> int:
    """Raw pymongo: the same documents, the same way (``_id`` pages, same fields)."""
    coll = client[database]["store"]
    last, count = None, 0
    while True:
        query = {"_id": {"$gt": last}} if last is not None else {}
        page = list(coll.find(query, ITEM_PROJECTION).sort("_id", 1).limit(PAGE).batch_size(PAGE))
        count += len(page)
        if len(page) < PAGE:
            return count
        last = page[-1]["_id"]


def best(reps: int, run: Callable[[], float]) -> float:
    """The shortest of ``reps`` runs (seconds)."""
    return min(run() for _ in range(reps))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uri", help="MongoDB to use (default: a fresh local server)")
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,000 items, 1 repetition")
    args = parser.parse_args(argv)
    if args.quick:
        args.items, args.reps = 1000, 1
    tmp = tempfile.TemporaryDirectory(prefix="ops-bench-")
    server = None if args.uri else LocalServer(Path(tmp.name) / "server")
    uri = args.uri or server.start()  # type: ignore[union-attr]
    client: MongoClient[Any] = MongoClient(uri, **client_options(60_000))
    run = uuid.uuid4().hex[:8]
    source_db = f"opsbench_src_{run}"
    used = [source_db]
    try:
        source = GenesisStore(client=client, database=source_db)
        source.setup()
        fill(source, args.items)
        path = Path(tmp.name) / "backup.jsonl.gz"
        docs = list(client[source_db]["store"].find())
        n = len(docs)

        def ours_backup() -> float:
            started = time.perf_counter()
            backup(source, path, overwrite=True, progress=False)
            return time.perf_counter() - started

        def raw_backup() -> float:
            started = time.perf_counter()
            assert raw_read(client, source_db) == n
            return time.perf_counter() - started

        def ours_restore() -> float:
            name = f"opsbench_ours_{uuid.uuid4().hex[:8]}"
            used.append(name)
            target = GenesisStore(client=client, database=name)
            target.setup()
            started = time.perf_counter()
            report = restore(target, path, progress=False)
            elapsed = time.perf_counter() - started
            assert report.items_restored == n, report
            client.drop_database(name)
            return elapsed

        def raw_restore() -> float:
            name = f"opsbench_raw_{uuid.uuid4().hex[:8]}"
            used.append(name)
            coll = client[name]["store"]
            coll.create_index("ns_key")  # the store's index, so both write the same
            started = time.perf_counter()
            for start in range(0, n, PAGE):
                coll.insert_many(docs[start : start + PAGE], ordered=False)
            elapsed = time.perf_counter() - started
            client.drop_database(name)
            return elapsed

        # Interleave ours and raw so drift on the machine hits both alike.
        times = {"backup": [], "raw read": [], "restore": [], "raw write": []}
        for _ in range(args.reps):
            times["raw read"].append(raw_backup())
            times["backup"].append(ours_backup())
            times["raw write"].append(raw_restore())
            times["restore"].append(ours_restore())
        size = path.stat().st_size
        rate = {k: n / min(v) for k, v in times.items()}
        print(f"ops bench: {n} items, {args.reps} rep(s), best run; backup file {size:,} bytes")
        print(f"{'operation':<10} {'ours items/s':>14} {'raw pymongo items/s':>20} {'ratio':>7}")
        for ours, raw in (("backup", "raw read"), ("restore", "raw write")):
            print(
                f"{ours:<10} {rate[ours]:>14,.0f} {rate[raw]:>20,.0f} "
                f"{rate[ours] / rate[raw]:>6.2f}x"
            )
    finally:
        for name in used:
            client.drop_database(name)
        client.close()
        if server is not None:
            server.stop()
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
