"""Benchmark ``GenesisStore`` against raw pymongo and ``langgraph-store-mongodb`` on one server.

What is measured, in one run on the same MongoDB server (a fresh local ``nx-27017`` server in a
temporary folder unless ``--uri`` is given; every implementation gets its own database):

* throughput (ops/s) and p50/p95 latency of sequential and batched put/get, a filtered search
  and ``list_namespaces``, for ``GenesisStore`` and for raw pymongo doing the same work in the
  fastest plain way (documents addressed by ``_id``; bulk ``UpdateOne`` upserts on ``_id``;
  ``find`` with ``$in`` on ``_id``); the ratio GenesisStore / raw is the figure;
* MongoDB round trips per batch (commands counted with pymongo's command monitoring) for batch
  sizes 10, 100 and 1000;
* batched puts/s and gets/s of ``langgraph-store-mongodb``'s ``MongoDBStore``;
* concurrent single async calls (``asyncio.gather`` of N ``aget``/``aput``/``asearch`` calls in one
  event loop, as parallel graph nodes make them) against one ``abatch`` of the same N ops, with the
  store's coalescing on (the default) and off;
* the cost of an access policy: the same batched puts and gets, filtered searches and
  ``list_namespaces`` through a principal's view (``as_principal``) of a store with an
  ``AccessPolicy`` and through the store without one, calls interleaved; the ratio with / without,
  and the round trips of each (which must be equal).

Targets (issue 2): batched put/get >= 0.8x raw pymongo; round trips per batch independent of the
batch size; >= 10x ``MongoDBStore``. Issue 11: concurrent single calls >= 0.5x one batch.

Usage::

    python benchmarks/store_bench.py            # about 1-2 minutes
    python benchmarks/store_bench.py --quick    # CI-sized, a few seconds
    python benchmarks/store_bench.py --uri mongodb://localhost:27017/  # another deployment
"""

# Lambdas with default arguments bind loop variables here; mypy cannot infer their types.
# mypy: disable-error-code="misc"

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langgraph.store.base import GetOp, PutOp, SearchOp
from pymongo import AsyncMongoClient, MongoClient, UpdateOne, monitoring

from langgraph_genesis_memory import AccessPolicy, GenesisStore, LocalServer
from langgraph_genesis_memory._connection import client_options
from langgraph_genesis_memory.access import AccessRule
from langgraph_genesis_memory.store._store import STORE_MIGRATIONS, TEXT_INDEX, TTL_INDEX

SEP = "\x01"
NAMESPACES = 20
_NOT_ROUND_TRIPS = frozenset(
    {"hello", "ismaster", "ping", "endsessions", "buildinfo", "saslstart", "saslcontinue"}
)


# -- command monitoring ------------------------------------------------------------------------
class CommandCounter(monitoring.CommandListener):
    """Counts the MongoDB commands (round trips) a client sends, by command name."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        """Count one command (handshakes, pings and session cleanup excluded)."""
        if event.command_name.lower() not in _NOT_ROUND_TRIPS:
            self.counts[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Nothing to do."""

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Nothing to do."""

    @property
    def total(self) -> int:
        """Commands counted so far."""
        return sum(self.counts.values())

    @contextmanager
    def measure(self) -> Iterator[Counter[str]]:
        """Count the commands sent inside the ``with`` block (yields a counter, filled on exit)."""
        before = Counter(self.counts)
        delta: Counter[str] = Counter()
        yield delta
        delta.update(self.counts)
        delta.subtract(before)


# -- workload ----------------------------------------------------------------------------------
def namespace_of(i: int) -> tuple[str, ...]:
    """The namespace of item ``i``: 20 namespaces under ``("bench", ...)``."""
    return ("bench", f"ns{i % NAMESPACES:02d}")


def value_of(i: int, version: int = 0) -> dict[str, Any]:
    """A small memory-like value."""
    return {
        "text": f"memory {i} about topic {i % 7} written by agent {i % 3} (v{version})",
        "group": i % 10,
        "score": (i * 37) % 100 / 10,
        "tags": [f"t{i % 4}", f"t{i % 5}"],
        "version": version,
    }


def doc_id(namespace: tuple[str, ...], key: str) -> str:
    """The raw pymongo ``_id``: labels and key joined by ``\\x01`` (as GenesisStore does)."""
    return SEP.join((*namespace, key))


@dataclass
class Timing:
    """Latencies (seconds) of repeated calls, each of which handles ``per_call`` items."""

    latencies: list[float]
    per_call: int

    @property
    def throughput(self) -> float:
        """Items per second over all calls."""
        total = sum(self.latencies)
        return len(self.latencies) * self.per_call / total if total else float("inf")

    def percentile(self, q: float) -> float:
        """Latency percentile ``q`` (0-100) of one call, in milliseconds."""
        data = sorted(self.latencies)
        if len(data) == 1:
            return data[0] * 1000
        return statistics.quantiles(data, n=100, method="inclusive")[int(q) - 1] * 1000


def timed(calls: Sequence[Callable[[], Any]], per_call: int = 1, warmup: int = 1) -> Timing:
    """Run ``calls`` in order (the first ``warmup`` untimed) and record each latency."""
    for call in calls[:warmup]:
        call()
    latencies = []
    for call in calls[warmup:]:
        start = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - start)
    return Timing(latencies, per_call)


def timed_pair(
    first: Sequence[Callable[[], Any]],
    second: Sequence[Callable[[], Any]],
    per_call: int = 1,
    warmup: int = 1,
) -> tuple[Timing, Timing]:
    """Like :func:`timed` for two implementations, alternating their calls.

    Alternating spreads any load from other processes on the machine evenly over both, and
    which one goes first also alternates, so work the server defers (e.g. its write-ahead-log
    checkpoints) does not land on one side only.
    """
    a_timing, b_timing = timed_interleaved([first, second], per_call, warmup)
    return a_timing, b_timing


def timed_interleaved(
    call_lists: Sequence[Sequence[Callable[[], Any]]], per_call: int = 1, warmup: int = 1
) -> list[Timing]:
    """Time several implementations call by call, round-robin, rotating who goes first."""
    for calls in call_lists:
        for call in calls[:warmup]:
            call()
    latencies: list[list[float]] = [[] for _ in call_lists]
    steps = zip(*(calls[warmup:] for calls in call_lists), strict=True)
    for number, step in enumerate(steps):
        order = list(range(len(call_lists)))
        shift = number % len(order)  # rotate who goes first
        for index in order[shift:] + order[:shift]:
            start = time.perf_counter()
            step[index]()
            latencies[index].append(time.perf_counter() - start)
    return [Timing(lat, per_call) for lat in latencies]


def chunks(seq: Sequence[int], size: int) -> list[Sequence[int]]:
    """``seq`` cut into pieces of ``size``."""
    return [seq[i : i + size] for i in range(0, len(seq), size)]


def store_indexes() -> list[Any]:
    """The indexes the store's versioned migrations leave in place (created, not dropped)."""
    from langgraph_genesis_memory._migrations import Migration

    made: list[Any] = []
    for step in STORE_MIGRATIONS:
        migration = step if isinstance(step, Migration) else Migration(tuple(step))
        dropped = [list(k) for k in migration.drop]
        made = [ix for ix in made if list(ix.document["key"].items()) not in dropped]
        made += list(migration.indexes)
    return made


# -- raw pymongo: the fastest plain use of the server -------------------------------------------
class RawPymongo:
    """The same work as the store, done directly with pymongo on documents addressed by ``_id``.

    Args:
        client: The pymongo client.
        database: Database name.
        collection: Collection name.
        store_shaped: Send exactly the update GenesisStore sends (value, TTL and expiry fields,
            ``ns_key``, server-side ``updated_at``), to separate the cost of the document shape
            and the server's index maintenance from the store's own overhead.
        with_text: Also write the ``search_text`` copy that ``lexical="text_index"`` keeps.
    """

    def __init__(
        self,
        client: MongoClient,
        database: str,
        collection: str = "items",
        *,
        store_shaped: bool = False,
        with_text: bool = False,
    ) -> None:
        self.coll = client[database][collection]
        self.store_shaped = store_shaped
        self.with_text = with_text

    def setup(self, extra_indexes: Sequence[Any] = ()) -> None:
        """Index the namespace string for ``list_namespaces`` (plus ``extra_indexes``)."""
        self.coll.create_index("ns")
        if extra_indexes:
            self.coll.create_indexes(list(extra_indexes))

    def _upsert(
        self, namespace: tuple[str, ...], key: str, value: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        now = datetime.now(UTC)
        update: dict[str, Any] = {
            "$set": {"value": value, "updated_at": now},
            "$setOnInsert": {
                "namespace": list(namespace),
                "ns": SEP.join(namespace),
                "key": key,
                "created_at": now,
            },
        }
        if self.store_shaped:  # exactly the update GenesisStore sends for an item without TTL
            fields = {"value": value, "ttl": None, "expires_at_ms": 2**62, "expires_at": None}
            if self.with_text:
                fields["search_text"] = value["text"]
            update = {
                "$set": fields,
                "$setOnInsert": {"ns_key": SEP.join(namespace), "created_at": now},
                "$currentDate": {"updated_at": True},
            }
        return {"_id": doc_id(namespace, key)}, update

    def put(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        """One upsert."""
        self.coll.update_one(*self._upsert(namespace, key, value), upsert=True)

    def put_many(self, items: Sequence[tuple[tuple[str, ...], str, dict[str, Any]]]) -> None:
        """One unordered bulk write of upserts."""
        models = [UpdateOne(*self._upsert(*item), upsert=True) for item in items]
        self.coll.bulk_write(models, ordered=False)

    def get(self, namespace: tuple[str, ...], key: str) -> dict[str, Any] | None:
        """One ``find_one`` by ``_id``."""
        return self.coll.find_one({"_id": doc_id(namespace, key)})

    def get_many(self, keys: Sequence[tuple[tuple[str, ...], str]]) -> list[dict[str, Any] | None]:
        """One ``find`` with ``$in`` on ``_id``; results in input order."""
        ids = [doc_id(ns, key) for ns, key in keys]
        cursor = self.coll.find({"_id": {"$in": ids}}, batch_size=len(ids))
        found = {doc["_id"]: doc for doc in cursor}
        return [found.get(i) for i in ids]

    def search(self, namespace: tuple[str, ...], group: int, limit: int = 10) -> list[Any]:
        """Items of a namespace with ``value.group == group``, newest first."""
        prefix = SEP.join(namespace) + SEP
        query = {"_id": {"$gte": prefix, "$lt": prefix[:-1] + "\x02"}, "value.group": group}
        cursor = self.coll.find(query).sort([("updated_at", -1), ("_id", 1)]).limit(limit)
        return list(cursor)

    def list_namespaces(self, prefix: str) -> list[str]:
        """Distinct namespaces under ``prefix``, sorted."""
        pipeline: list[dict[str, Any]] = [
            {"$match": {"ns": {"$gte": prefix + SEP, "$lt": prefix + "\x02"}}},
            {"$group": {"_id": "$ns"}},
            {"$sort": {"_id": 1}},
        ]
        return [row["_id"] for row in self.coll.aggregate(pipeline)]


# -- the benchmark -----------------------------------------------------------------------------
@dataclass
class Row:
    """One line of the main table."""

    name: str
    genesis: Timing
    raw: Timing


def _client(uri: str, counter: CommandCounter) -> MongoClient:
    return MongoClient(uri, event_listeners=[counter], **client_options(30_000))


def bench_store_vs_raw(
    store: GenesisStore, raw: RawPymongo, *, items: int, sequential: int, batch: int
) -> list[Row]:
    """Time the same operations on GenesisStore and raw pymongo (calls alternate)."""
    rows: list[Row] = []
    seq = list(range(sequential))
    pieces = chunks(list(range(items)), batch)

    def row(
        name: str, g: Sequence[Callable[[], Any]], r: Sequence[Callable[[], Any]], per_call: int = 1
    ) -> None:
        rows.append(Row(name, *timed_pair(g, r, per_call)))

    row(
        "sequential put",
        [lambda i=i: store.put(namespace_of(i), f"k{i}", value_of(i)) for i in seq],
        [lambda i=i: raw.put(namespace_of(i), f"k{i}", value_of(i)) for i in seq],
    )
    row(
        "sequential get",
        [lambda i=i: store.get(namespace_of(i), f"k{i}") for i in seq],
        [lambda i=i: raw.get(namespace_of(i), f"k{i}") for i in seq],
    )
    for label, version in (("batched put (insert)", 0), ("batched put (overwrite)", 1)):
        row(
            label,
            [
                lambda p=p, v=version: store.batch(
                    [PutOp(namespace_of(i), f"b{i}", value_of(i, v)) for i in p]
                )
                for p in pieces
            ],
            [
                lambda p=p, v=version: raw.put_many(
                    [(namespace_of(i), f"b{i}", value_of(i, v)) for i in p]
                )
                for p in pieces
            ],
            batch,
        )
    row(
        "batched get",
        [lambda p=p: store.batch([GetOp(namespace_of(i), f"b{i}") for i in p]) for p in pieces],
        [lambda p=p: raw.get_many([(namespace_of(i), f"b{i}") for i in p]) for p in pieces],
        batch,
    )
    searches = range(max(20, sequential // 5))
    row(
        "filtered search (limit 10)",
        [
            lambda j=j: store.search(namespace_of(j), filter={"group": j % 10}, limit=10)
            for j in searches
        ],
        [lambda j=j: raw.search(namespace_of(j), j % 10) for j in searches],
    )
    row(
        "list_namespaces",
        [lambda: store.list_namespaces(prefix=("bench",)) for _ in searches],
        [lambda: raw.list_namespaces("bench") for _ in searches],
    )
    # The same question as the store answers: namespaces holding at least one *live* item (the
    # raw row above ignores expiry), asked by hand of the store's own collection and index.
    coll = store.client[store.database][store.collection_name]
    row(
        "list_namespaces (+expiry)",
        [lambda: store.list_namespaces(prefix=("bench",)) for _ in searches],
        [lambda: list_live_namespaces(coll, "bench") for _ in searches],
    )
    return rows


def list_live_namespaces(coll: Any, prefix: str) -> list[str]:
    """Raw pymongo: distinct namespaces under ``prefix`` with an unexpired item, sorted."""
    now_ms = int(time.time() * 1000)
    pipeline: list[dict[str, Any]] = [
        {
            "$match": {
                "ns_key": {"$gte": prefix, "$lt": prefix + "\x02"},
                "expires_at_ms": {"$gt": now_ms},
            }
        },
        {"$group": {"_id": "$ns_key"}},
        {"$sort": {"_id": 1}},
    ]
    return [row["_id"] for row in coll.aggregate(pipeline)]


def bench_index_cost(
    store: GenesisStore, variants: Sequence[tuple[str, RawPymongo]], *, items: int, batch: int
) -> list[tuple[str, float, float]]:
    """Batched put (overwrite) and get throughput of raw pymongo variants and GenesisStore.

    The variants differ only in the collection's indexes and the documents' fields, so the
    table shows how much of GenesisStore's time is the server maintaining its indexes and how
    much is the store's own work.

    Returns:
        ``(name, puts/s, gets/s)`` per variant, GenesisStore last.
    """
    pieces = chunks(list(range(items)), batch)
    for _, raw in variants:  # same starting state everywhere: every item exists
        for p in pieces:
            raw.put_many([(namespace_of(i), f"b{i}", value_of(i, 1)) for i in p])

    def put_calls(put_many: Callable[[Sequence[int], int], Any]) -> list[Callable[[], Any]]:
        return [lambda p=p: put_many(p, 5) for p in pieces]

    def genesis_put(p: Sequence[int], v: int) -> Any:
        return store.batch([PutOp(namespace_of(i), f"b{i}", value_of(i, v)) for i in p])

    def raw_put(raw: RawPymongo) -> Callable[[Sequence[int], int], Any]:
        return lambda p, v: raw.put_many([(namespace_of(i), f"b{i}", value_of(i, v)) for i in p])

    puts = timed_interleaved(
        [put_calls(raw_put(raw)) for _, raw in variants] + [put_calls(genesis_put)], batch
    )
    get_lists: list[list[Callable[[], Any]]] = [
        [lambda p=p, r=raw: r.get_many([(namespace_of(i), f"b{i}") for i in p]) for p in pieces]
        for _, raw in variants
    ]
    get_lists.append(
        [lambda p=p: store.batch([GetOp(namespace_of(i), f"b{i}") for i in p]) for p in pieces]
    )
    gets = timed_interleaved(get_lists, batch)
    names = [name for name, _ in variants] + ["GenesisStore"]
    return [(n, p.throughput, g.throughput) for n, p, g in zip(names, puts, gets, strict=True)]


def bench_policy(
    store: GenesisStore, counter: CommandCounter, *, items: int, batch: int, searches: int
) -> list[tuple[str, float, float, int, int]]:
    """The same work with and without an access policy, on the same collection.

    The principal may read and write half of the 20 namespaces (``("bench", "ns0*")`` by
    ``"*"``-free exact patterns), so a search over ``("bench",)`` carries the readable
    namespaces as a clause, while gets and puts inside them are only checked.

    Returns:
        ``(operation, ops/s without, ops/s with, round trips without, with)`` per operation.
    """
    rules = [AccessRule(("bench", f"ns{n:02d}", "**"), frozenset({"read", "write"}), agent_id="a")
             for n in range(0, NAMESPACES, 2)]  # fmt: skip
    access = AccessPolicy(tuple(rules))
    guarded = GenesisStore(client=store.client, database=store.database, access=access)
    view = guarded.as_principal(agent_id="a")
    mine = [i for i in range(items) if int(namespace_of(i)[1][2:]) % 2 == 0]
    pieces = chunks(mine, batch)
    store.batch([PutOp(namespace_of(i), f"p{i}", value_of(i)) for i in mine])
    work: list[tuple[str, Callable[[GenesisStore, int], Any], int]] = [
        ("batched put (overwrite)", lambda s, n: s.batch(
            [PutOp(namespace_of(i), f"p{i}", value_of(i, 3)) for i in pieces[n % len(pieces)]]),
         batch),
        ("batched get", lambda s, n: s.batch(
            [GetOp(namespace_of(i), f"p{i}") for i in pieces[n % len(pieces)]]), batch),
        ("filtered search ('bench',)", lambda s, n: s.search(
            ("bench",), filter={"group": n % 10}, limit=10), 1),
        ("list_namespaces", lambda s, n: s.list_namespaces(prefix=("bench",)), 1),
    ]  # fmt: skip
    rows = []
    for name, call, per_call in work:
        count = max(len(pieces), searches) if per_call == 1 else len(pieces) * 2
        plain, policy = timed_pair(
            [lambda n=n, c=call: c(store, n) for n in range(count)],
            [lambda n=n, c=call: c(view, n) for n in range(count)],
            per_call,
        )
        trips = []
        for target in (store, view):
            with counter.measure() as delta:
                call(target, 0)
            trips.append(sum(delta.values()))
        rows.append((name, plain.throughput, policy.throughput, trips[0], trips[1]))
    return rows


def print_policy(rows: list[tuple[str, float, float, int, int]]) -> None:
    """Throughput with an access policy relative to without, and round trips."""
    print("\nAccess policy cost: a principal's view vs the store without a policy (interleaved)")
    head = (f"{'operation':<27} | {'no policy/s':>11} {'policy/s':>9} | {'ratio':>6} | "
            f"{'round trips (no policy, policy)':>31}")  # fmt: skip
    print(head)
    print("-" * len(head))
    for name, plain, policy, t_plain, t_policy in rows:
        print(f"{name:<27} | {plain:>11,.0f} {policy:>9,.0f} | {policy / plain:>5.2f}x | "
              f"{t_plain:>15} {t_policy:>15}")  # fmt: skip


def put_one_by_one(store: GenesisStore, ops: Sequence[PutOp]) -> None:
    """``store.put`` for each op: one batch, hence one bulk write, per put."""
    for op in ops:
        store.put(op.namespace, op.key, op.value)  # type: ignore[arg-type]


def round_trips(
    store: GenesisStore,
    g_counter: CommandCounter,
    raw: RawPymongo,
    r_counter: CommandCounter,
    sizes: Sequence[int],
) -> list[tuple[str, list[int]]]:
    """Commands sent per batch, for each batch size."""
    table: dict[str, list[int]] = {}

    def record(name: str, counter: CommandCounter, call: Callable[[], Any]) -> None:
        with counter.measure() as delta:
            call()
        table.setdefault(name, []).append(sum(delta.values()))

    for size in sizes:
        ids = range(size)
        puts = [PutOp(namespace_of(i), f"rt{i}", value_of(i)) for i in ids]
        gets = [GetOp(namespace_of(i), f"rt{i}") for i in ids]
        record("GenesisStore batch of puts", g_counter, lambda p=puts: store.batch(p))
        record("GenesisStore batch of gets", g_counter, lambda g=gets: store.batch(g))
        record(
            "GenesisStore batch of gets + puts",
            g_counter,
            lambda g=gets, p=puts: store.batch([*g, *p]),
        )
        record(
            "GenesisStore put x N (one by one)",
            g_counter,
            lambda p=puts: put_one_by_one(store, p),
        )
        record(
            "raw pymongo bulk upserts",
            r_counter,
            lambda i=ids: raw.put_many([(namespace_of(j), f"rt{j}", value_of(j)) for j in i]),
        )
        record(
            "raw pymongo find $in",
            r_counter,
            lambda i=ids: raw.get_many([(namespace_of(j), f"rt{j}") for j in i]),
        )
    return list(table.items())


def bench_mongodbstore(
    genesis: GenesisStore, uri: str, database: str, *, items: int, batch: int
) -> tuple[Timing, Timing, Timing, Timing, list[int], list[int]]:
    """Batched puts and gets of ``MongoDBStore`` (langgraph-store-mongodb) on the same server.

    Its calls alternate with GenesisStore doing the same batches (keys ``m{i}``), so both
    throughputs come from the same moments of the run.

    Returns:
        ``(mongodbstore puts, genesis puts, mongodbstore gets, genesis gets, MongoDBStore
        round trips per put batch of 10 and 100, per get batch of 10 and 100)``.
    """
    from langgraph.store.mongodb import MongoDBStore

    counter = CommandCounter()
    client = _client(uri, counter)
    try:
        theirs = MongoDBStore(collection=client[database]["persistent_store"])
        pieces = chunks(list(range(items)), batch)

        def put_calls(store: Any) -> list[Callable[[], Any]]:
            return [
                lambda p=p: store.batch([PutOp(namespace_of(i), f"m{i}", value_of(i)) for i in p])
                for p in pieces
            ]

        def get_calls(store: Any) -> list[Callable[[], Any]]:
            return [
                lambda p=p: store.batch([GetOp(namespace_of(i), f"m{i}") for i in p])
                for p in pieces
            ]

        m_put, g_put = timed_pair(put_calls(theirs), put_calls(genesis), batch)
        m_get, g_get = timed_pair(get_calls(theirs), get_calls(genesis), batch)
        put_rt, get_rt = [], []
        for size in (10, 100):
            with counter.measure() as delta:
                theirs.batch([PutOp(namespace_of(i), f"rt{i}", value_of(i)) for i in range(size)])
            put_rt.append(sum(delta.values()))
            with counter.measure() as delta:
                theirs.batch([GetOp(namespace_of(i), f"rt{i}") for i in range(size)])
            get_rt.append(sum(delta.values()))
        client.drop_database(database)
        return m_put, g_put, m_get, g_get, put_rt, get_rt
    finally:
        client.close()


def bench_concurrent(
    uri: str, database: str, *, calls: int, rounds: int
) -> list[tuple[str, float, float, float]]:
    """``calls`` concurrent single async calls vs one ``abatch`` of the same ops.

    Two stores on the same collection (an ``AsyncMongoClient`` each), one coalescing (the
    default) and one not (``coalesce=False``); each round times, in turn, the one batch and the
    gathered single calls on both, so the three figures come from the same moments of the run.

    Returns:
        ``(operation, batch ops/s, coalesced ops/s, uncoalesced ops/s)`` per operation.
    """
    keys = [(namespace_of(i), f"c{i}") for i in range(calls)]

    def gets(store: GenesisStore) -> list[Any]:
        return [store.aget(ns, key) for ns, key in keys]

    def puts(store: GenesisStore) -> list[Any]:
        return [store.aput(ns, key, value_of(i, 1)) for i, (ns, key) in enumerate(keys)]

    def searches(store: GenesisStore) -> list[Any]:
        return [
            store.asearch(namespace_of(i), filter={"group": i % 7}, limit=5)
            for i in range(calls // 10)
        ]

    cases: list[tuple[str, Callable[[GenesisStore], list[Any]], list[Any]]] = [
        ("aget", gets, [GetOp(ns, key) for ns, key in keys]),
        ("aput", puts, [PutOp(ns, key, value_of(i, 1)) for i, (ns, key) in enumerate(keys)]),
        (
            "asearch (filter)",
            searches,
            [
                SearchOp(namespace_of(i), filter={"group": i % 7}, limit=5)
                for i in range(calls // 10)
            ],
        ),
    ]

    async def run() -> list[tuple[str, float, float, float]]:
        clients = [AsyncMongoClient(uri, **client_options(30_000)) for _ in range(2)]
        merged = GenesisStore(async_client=clients[0], database=database, ttl_index=False)
        single = GenesisStore(
            async_client=clients[1], database=database, ttl_index=False, coalesce=False
        )
        try:
            await merged.asetup()
            await merged.abatch([PutOp(ns, key, value_of(i)) for i, (ns, key) in enumerate(keys)])
            out = []
            for name, make, ops in cases:
                spent = {"batch": 0.0, "merged": 0.0, "single": 0.0}
                for round_no in range(rounds + 1):  # round 0 warms up and is not counted
                    times = {}
                    start = time.perf_counter()
                    await merged.abatch(ops)
                    times["batch"] = time.perf_counter() - start
                    for label, store in (("merged", merged), ("single", single)):
                        start = time.perf_counter()
                        await asyncio.gather(*make(store))
                        times[label] = time.perf_counter() - start
                    if round_no:
                        for label, spent_now in times.items():
                            spent[label] += spent_now
                n = len(ops) * rounds
                out.append((name, n / spent["batch"], n / spent["merged"], n / spent["single"]))
            await clients[0].drop_database(database)
            return out
        finally:
            for client in clients:
                await client.close()

    return asyncio.run(run())


def print_concurrent(rows: list[tuple[str, float, float, float]], calls: int) -> None:
    """Concurrent single calls vs one batch."""
    print(
        f"\nConcurrent single async calls (asyncio.gather of {calls}; asearch: {calls // 10}) "
        "vs one abatch of the same ops, ops/s"
    )
    head = (
        f"{'operation':<17} | {'one abatch':>10} | {'coalesced':>10} {'ratio':>6} | "
        f"{'coalesce=False':>14} {'ratio':>6}"
    )
    print(head)
    print("-" * len(head))
    for name, batch, merged, single in rows:
        print(
            f"{name:<17} | {batch:>10,.0f} | {merged:>10,.0f} {merged / batch:>5.2f}x | "
            f"{single:>14,.0f} {single / batch:>5.2f}x"
        )


# -- output ------------------------------------------------------------------------------------
def print_main_table(rows: list[Row], batch: int) -> None:
    """The GenesisStore vs raw pymongo table."""
    print(
        f"\nGenesisStore vs raw pymongo (same server, same run; batches of {batch}; "
        "latency = one call)"
    )
    head = (
        f"{'operation':<27} | {'Genesis ops/s':>13} {'p50 ms':>8} {'p95 ms':>8} | "
        f"{'raw ops/s':>10} {'p50 ms':>8} {'p95 ms':>8} | {'ratio':>6}"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        g, r = row.genesis, row.raw
        print(
            f"{row.name:<27} | {g.throughput:>13,.0f} {g.percentile(50):>8.2f} "
            f"{g.percentile(95):>8.2f} | {r.throughput:>10,.0f} {r.percentile(50):>8.2f} "
            f"{r.percentile(95):>8.2f} | {g.throughput / r.throughput:>5.2f}x"
        )


def print_index_cost(rows: list[tuple[str, float, float]]) -> None:
    """Where the time goes: the same batched work on differently indexed collections."""
    print("\nWhere the time goes: batched put (overwrite) and get, ops/s (calls interleaved)")
    head = f"{'implementation':<58} | {'puts/s':>8} {'gets/s':>8} | {'put/bare':>8} {'get/bare':>8}"
    print(head)
    print("-" * len(head))
    base_put, base_get = rows[0][1], rows[0][2]
    for name, puts, gets in rows:
        print(
            f"{name:<58} | {puts:>8,.0f} {gets:>8,.0f} | {puts / base_put:>7.2f}x "
            f"{gets / base_get:>7.2f}x"
        )


def print_round_trips(table: list[tuple[str, list[int]]], sizes: Sequence[int]) -> None:
    """Commands per batch, by batch size."""
    print("\nMongoDB round trips per batch (pymongo command monitoring)")
    head = f"{'batch of N ops':<36} | " + " ".join(f"{'N=' + str(s):>7}" for s in sizes)
    print(head)
    print("-" * len(head))
    for name, counts in table:
        print(f"{name:<36} | " + " ".join(f"{c:>7}" for c in counts))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uri", help="MongoDB deployment (default: a temporary local server)")
    parser.add_argument("--quick", action="store_true", help="CI-sized run (a few seconds)")
    parser.add_argument("--items", type=int, help="items per batched pass (default 2000)")
    parser.add_argument("--sequential", type=int, help="sequential ops timed (default 500)")
    parser.add_argument("--batch-size", type=int, default=100, help="ops per batch (default 100)")
    parser.add_argument(
        "--mongodbstore-items", type=int, help="items for MongoDBStore (default: --items)"
    )
    parser.add_argument("--skip-mongodbstore", action="store_true")
    parser.add_argument(
        "--concurrent", type=int, help="concurrent single calls per gather (default 1000)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the tables; returns the exit code (0 also when short)."""
    args = parse_args(argv)
    items = args.items or (300 if args.quick else 2000)
    sequential = args.sequential or (60 if args.quick else 500)
    mdb_items = args.mongodbstore_items or items
    batch = min(args.batch_size, items)
    sizes = (10, 100) if args.quick else (10, 100, 1000)
    tmp = None if args.uri else tempfile.TemporaryDirectory(prefix="genesis-bench-")
    server = LocalServer(tmp.name) if tmp else None
    uri = args.uri or (server.start() if server else "")
    run = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    print(
        f"server: {'local nx-27017 (temporary)' if server else 'given by --uri'}; "
        f"items: {items}, sequential ops: {sequential}, batch size: {batch}"
    )
    g_counter, r_counter = CommandCounter(), CommandCounter()
    g_client, r_client = _client(uri, g_counter), _client(uri, r_counter)
    g_db, r_db = f"bench_genesis_{run}", f"bench_raw_{run}"
    try:
        # As local mode configures it: on the local server no TTL index (expired items are
        # hidden from reads and removed by sweeps); with --uri, as on real MongoDB.
        store = GenesisStore(client=g_client, database=g_db, ttl_index=server is None)
        store.setup()
        raw = RawPymongo(r_client, r_db)
        raw.setup()
        rows = bench_store_vs_raw(store, raw, items=items, sequential=sequential, batch=batch)
        print_main_table(rows, batch)
        no_text = store_indexes()
        no_ttl = [*no_text, TEXT_INDEX]
        indexes = [*no_ttl, TTL_INDEX]
        variants = [
            ("raw pymongo, bare collection (as above)", raw),
            ("raw, store-shaped docs + the namespace index", no_text),
            ("raw, store-shaped docs + those + text index", no_ttl),
            ("raw, store-shaped docs + all store indexes (+ TTL index)", indexes),
        ]
        prepared: list[tuple[str, RawPymongo]] = [variants[0]]  # type: ignore[list-item]
        for n, (name, ixs) in enumerate(variants[1:]):
            text = isinstance(ixs, list) and any(ix is TEXT_INDEX for ix in ixs)
            variant = RawPymongo(r_client, r_db, f"variant{n}", store_shaped=True, with_text=text)
            variant.setup(ixs)  # type: ignore[arg-type]
            prepared.append((name, variant))
        print_index_cost(bench_index_cost(store, prepared, items=items, batch=batch))
        print_round_trips(round_trips(store, g_counter, raw, r_counter, sizes), sizes)
        calls = args.concurrent or (200 if args.quick else 1000)
        concurrent = bench_concurrent(
            uri, f"bench_concurrent_{run}", calls=calls, rounds=2 if args.quick else 5
        )
        print_concurrent(concurrent, calls)
        print_policy(bench_policy(store, g_counter, items=items, batch=batch, searches=sequential))
        by_name = {row.name: row for row in rows}
        print("\nTargets")
        for label, row in (
            ("batched put (insert)", by_name["batched put (insert)"]),
            ("batched put (overwrite)", by_name["batched put (overwrite)"]),
            ("batched get", by_name["batched get"]),
        ):
            ratio = row.genesis.throughput / row.raw.throughput
            verdict = "met" if ratio >= 0.8 else "NOT met"
            print(f"  {label:<24} >= 0.8x raw pymongo: {ratio:.2f}x  {verdict}")
        for name, batch_rate, merged_rate, _single in concurrent:
            ratio = merged_rate / batch_rate
            verdict = "met" if ratio >= 0.5 else "NOT met"
            print(f"  concurrent {name:<13} >= 0.5x one batch: {ratio:.2f}x  {verdict}")
        if not args.skip_mongodbstore:
            m_put, g_put_m, m_get, g_get_m, put_rt, get_rt = bench_mongodbstore(
                store,
                uri,
                f"bench_mongodbstore_{run}",
                items=mdb_items,
                batch=min(batch, mdb_items),
            )
            for label, mine, theirs in (
                ("batched puts/s (insert)", g_put_m, m_put),
                ("batched gets/s", g_get_m, m_get),
            ):
                ratio = mine.throughput / theirs.throughput
                verdict = "met" if ratio >= 10 else "NOT met"
                print(
                    f"  {label:<24} >= 10x MongoDBStore: GenesisStore {mine.throughput:,.0f} vs "
                    f"MongoDBStore {theirs.throughput:,.0f} = {ratio:.1f}x  {verdict}"
                )
            print(
                f"  (calls alternated; MongoDBStore p50 per batch of {min(batch, mdb_items)}: "
                f"put {m_put.percentile(50):.1f} ms, get {m_get.percentile(50):.1f} ms)"
            )
            print(
                f"  MongoDBStore round trips per batch (N=10, N=100): puts {put_rt}, gets {get_rt}"
            )
        g_client.drop_database(g_db)
        r_client.drop_database(r_db)
    finally:
        g_client.close()
        r_client.close()
        if server:
            server.stop()
        if tmp:
            tmp.cleanup()
    print(f"\ntotal benchmark time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
