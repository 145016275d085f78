"""Fault injection against a real local server: ``kill -9`` and a hung (``SIGSTOP``) server.

The module starts its own local MongoDB-compatible server in a temporary folder (not the
session's), because it kills, restarts and freezes it:

1. ``kill -9`` while a sync thread (``store.batch``) and an async task (``await
   store.abatch``) stream batches of puts. Every batch that returned without error must be
   readable, value for value, after ``LocalServer(same_dir).start()``; and the SAME store object
   (same pymongo clients) must work again after a short reconnection.
2. ``kill -9`` at random moments of a 30-step checkpointed graph (``GenesisSaver``) whose every
   task writes ten channels (a counter, a list of markers with an add reducer, a ``next``
   routing channel read by a conditional edge, and more). After a restart, resuming with
   ``graph.invoke(None, config)`` (again after any new failure) must always finish with the
   complete state (counter 30, markers 1..30 exactly once), and a resume that runs to its end
   must leave ``get_state(config).next == ()`` only with that complete state. A task whose
   pending writes were only partly stored breaks this: LangGraph takes it as done and applies
   the half that was stored.
3. A hung server (``SIGSTOP``): every call of the store, the saver and the ``SessionManager``,
   sync and async, must end within ``timeout_ms + HUNG_MARGIN_S`` with
   ``DatabaseUnavailableError``; after ``SIGCONT`` the same objects work again.

Random choices (kill moments) come from one seed per run, printed at the start of the module and
quoted in failure messages; set ``GENESIS_FAULT_SEED`` to replay a run's choices (the kills still
race with real I/O, so a replay is close to, not exactly, the same run). ``GENESIS_FAULT_TRIALS``
changes the number of graph trials.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import operator
import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.graph import END, START, StateGraph
from langgraph.store.base import GetOp, PutOp
from pymongo import AsyncMongoClient, MongoClient

import langgraph_genesis_memory as genesis
from langgraph_genesis_memory import GenesisSaver, GenesisStore
from langgraph_genesis_memory._connection import client_options
from langgraph_genesis_memory.errors import DatabaseUnavailableError
from langgraph_genesis_memory.local import LocalServer
from langgraph_genesis_memory.sessions import SessionManager

# -- knobs ---------------------------------------------------------------------------------------
SEED = int(os.environ.get("GENESIS_FAULT_SEED") or random.SystemRandom().randrange(2**31))
"""One seed per run (printed); every test derives its own generator from it and its name."""

RECOVERY_S = 10.0
"""How long the same client objects may take to reconnect after a restart or SIGCONT."""

KILL_TIMEOUT_MS = 1000
"""timeout_ms of the clients that see the server die: how fast a dead server is reported."""

RUN_TIMEOUT_MS = 200
"""timeout_ms of the graph run that gets killed: a short one, so the run gives up quickly."""

KILL_ROUNDS = 2
"""kill -9 rounds in the batched-puts test (the same store must survive each)."""

PUT_BATCH = 25
"""PutOps per batch in the batched-puts test (plus one overwrite of a ``latest`` key)."""

GRAPH_STEPS = 30
EXTRA_CHANNELS = 5
"""Channels each task writes besides counter, markers, next, last and note: 11 pending writes
per task (with the routing write), so a kill has a wider window to land inside one."""
GRAPH_TRIALS = int(os.environ.get("GENESIS_FAULT_TRIALS") or 30)
"""Graph trials (one kill each). See ``test_kill9_during_graph_run_resumes_to_complete_state``."""

TARGETED_SHARE = 0.8
"""Share of graph trials whose kill lands within a random delay after a random task's
``put_writes`` began (where a task's pending writes can be half stored); the others kill at a
uniformly random moment of the whole run."""

SYNC_DURABILITY_SHARE = 0.8
"""Share of graph trials run with ``durability="sync"`` (the rest use LangGraph's default,
``"async"``). With "sync" a task's checkpoint is always stored before its writes, so a kill in the
middle of its writes leaves a stored task with part of its writes (measured on the unfixed
saver: about 1 targeted trial in 4); with "async" the writes usually race ahead of their
checkpoint and a half-written task is an orphan (harmless), so the defect shows far less."""

MAX_RESUMES = 6
"""Resume attempts per graph trial before the trial counts as stuck."""

HUNG_TIMEOUT_MS = 1500
HUNG_MARGIN_S = 2.0
"""A call on a hung server must end within HUNG_TIMEOUT_MS / 1000 + HUNG_MARGIN_S seconds."""
HUNG_LIMIT_S = HUNG_TIMEOUT_MS / 1000 + HUNG_MARGIN_S
HUNG_WAIT_S = HUNG_LIMIT_S + 1.0
"""How long the server stays stopped: calls still running by then are reported as stuck."""

STRAGGLER_S = 20.0
"""After SIGCONT, how long calls still running may take to end before they are abandoned."""

STUCK_CALL_S = 60.0
"""Hard bound on any single blocking call made by these tests (keeps the module finite)."""


def _rng(request: pytest.FixtureRequest) -> random.Random:
    return random.Random(f"{SEED}:{request.node.name}")


# -- the server under test -----------------------------------------------------------------------
def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - not ours
        return True
    with contextlib.suppress(OSError):
        with open(f"/proc/{pid}/stat") as fh:
            if fh.read().split(")")[-1].split()[0] == "Z":
                return False
    return True


def _reap(pid: int, timeout: float = 10.0) -> None:
    """Wait until ``pid`` is gone, reaping it if it is our child (a zombie would still hold the
    server's pid file: nx-27017 refuses to start while ``kill(pid, 0)`` succeeds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child, or already reaped
            if not _alive(pid):
                return
        else:
            if done == pid:
                return
        time.sleep(0.005)


def _is_nx(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"nx_27017" in fh.read()
    except OSError:
        return False


class FaultServer:
    """This module's own local server: start, kill -9, restart, freeze and thaw it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.uri = ""
        self.pid = 0
        self.pids: set[int] = set()
        self.frozen = False
        self.restarts = 0

    @property
    def port(self) -> int:
        return int(self.uri.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])

    def start(self, port: int | None = None) -> str:
        """``LocalServer(data_dir).start()`` (``port`` forces one); returns the URI."""
        server = LocalServer(self.data_dir, port=port)
        self.uri = server.start(timeout=30)
        status = server.status()
        assert status.running and status.pid, f"local server not running after start: {status}"
        self.pid = status.pid
        self.pids.add(status.pid)
        return self.uri

    def kill(self) -> None:
        """kill -9 the server and wait until it is gone."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        _reap(self.pid)

    def restart(self) -> str:
        """Start again on the same data folder, exactly as a user would."""
        self.restarts += 1
        return self.start()

    def freeze(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGCONT)
        self.frozen = False

    def ensure_running(self) -> None:
        """Bring the server back if a previous test left it stopped or dead."""
        self.thaw()
        if not (_alive(self.pid) and LocalServer(self.data_dir).status().running):
            self.start()

    def close(self) -> None:
        """Stop every server process this module started; never leave one stopped or orphaned."""
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        with contextlib.suppress(Exception):
            LocalServer(self.data_dir).stop(timeout=5)
        for pid in self.pids:
            if _alive(pid) and _is_nx(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            _reap(pid, timeout=5)


@pytest.fixture(scope="module")
def fault_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[FaultServer]:
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"tests/faults: seed {SEED} (replay with GENESIS_FAULT_SEED={SEED}), "
            f"{GRAPH_TRIALS} graph trials, package {Path(genesis.__file__).parent}"
        )
    print(f"fault-injection seed: {SEED}")
    server = FaultServer(tmp_path_factory.mktemp("fault-server"))
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def server(fault_server: FaultServer) -> Iterator[FaultServer]:
    """The module's server, running and not frozen, at the start and at the end of each test."""
    fault_server.ensure_running()
    try:
        yield fault_server
    finally:
        fault_server.thaw()


def _call_with_deadline(fn: Callable[[], Any], seconds: float = STUCK_CALL_S) -> Any:
    """Run a blocking call in a daemon thread; raise ``TimeoutError`` if it does not end."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # reported to the caller
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"call did not end within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box.get("result")


def _retry(fn: Callable[[], Any], seconds: float = RECOVERY_S) -> tuple[Any, float]:
    """Call ``fn`` until it succeeds; returns (result, seconds taken); re-raises at the end."""
    start = time.monotonic()
    while True:
        try:
            return _call_with_deadline(fn, seconds + 5), time.monotonic() - start
        except Exception:
            if time.monotonic() - start > seconds:
                raise
            time.sleep(0.2)


async def _aretry(
    fn: Callable[[], Awaitable[Any]], seconds: float = RECOVERY_S
) -> tuple[Any, float]:
    start = time.monotonic()
    while True:
        try:
            return await asyncio.wait_for(fn(), seconds + 5), time.monotonic() - start
        except Exception:
            if time.monotonic() - start > seconds:
                raise
            await asyncio.sleep(0.2)


def _short(exc: BaseException | None) -> str:
    if exc is None:
        return "-"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:160]}"


# ===============================================================================================
# 1. kill -9 during a stream of acknowledged batched puts
# ===============================================================================================
def _item_value(writer: str, round_no: int, batch: int, i: int) -> dict[str, Any]:
    return {"writer": writer, "round": round_no, "batch": batch, "i": i, "pad": "x" * 64}


def _batch_ops(writer: str, round_no: int, batch: int) -> list[PutOp]:
    ns = ("faults", writer, f"r{round_no}")
    ops = [
        PutOp(ns, f"b{batch}-i{i}", _item_value(writer, round_no, batch, i))
        for i in range(PUT_BATCH)
    ]
    ops.append(PutOp(ns, "latest", {"batch": batch}))  # overwritten by every batch
    return ops


@dataclass
class _Writer:
    name: str
    acked: list[int] = field(default_factory=list)
    attempted: int = -1
    error: BaseException | None = None
    error_at: float | None = None


def _check_durable(
    reader: GenesisStore, writers: list[_Writer], round_no: int, label: str
) -> list[str]:
    """Every acknowledged item readable with its value; ``latest`` at least the last acked."""
    problems: list[str] = []
    for w in writers:
        ns = ("faults", w.name, f"r{round_no}")
        keys = [(b, i) for b in w.acked for i in range(PUT_BATCH)]
        ops = [GetOp(ns, f"b{b}-i{i}") for b, i in keys] + [GetOp(ns, "latest")]
        results = _call_with_deadline(functools.partial(reader.batch, ops))
        lost = [
            f"b{b}-i{i}"
            for (b, i), item in zip(keys, results[:-1], strict=True)
            if item is None or item.value != _item_value(w.name, round_no, b, i)
        ]
        if lost:
            problems.append(
                f"round {round_no} ({label}): {len(lost)} of {len(keys)} acknowledged "
                f"{w.name} items lost or wrong, e.g. {lost[:5]}"
            )
        latest = results[-1]
        if w.acked and (latest is None or latest.value["batch"] < w.acked[-1]):
            problems.append(
                f"round {round_no} ({label}): {w.name} 'latest' is "
                f"{None if latest is None else latest.value} but batch {w.acked[-1]} was "
                "acknowledged"
            )
    return problems


async def _write_until_killed(
    store: GenesisStore, server: FaultServer, rng: random.Random, round_no: int
) -> tuple[list[_Writer], list[str]]:
    """Stream batches from a sync thread and an async task; kill -9 the server meanwhile."""
    sync_w, async_w = _Writer("sync"), _Writer("async")
    stop = threading.Event()
    problems: list[str] = []

    def sync_writer() -> None:
        batch = 0
        while not stop.is_set():
            sync_w.attempted = batch
            try:
                store.batch(_batch_ops("sync", round_no, batch))
            except Exception as exc:
                sync_w.error, sync_w.error_at = exc, time.monotonic()
                return
            sync_w.acked.append(batch)  # returned without error: acknowledged
            batch += 1

    async def async_writer() -> None:
        batch = 0
        while not stop.is_set():
            async_w.attempted = batch
            try:
                await store.abatch(_batch_ops("async", round_no, batch))
            except Exception as exc:
                async_w.error, async_w.error_at = exc, time.monotonic()
                return
            async_w.acked.append(batch)
            batch += 1

    thread = threading.Thread(target=sync_writer, daemon=True)
    thread.start()
    task = asyncio.create_task(async_writer())
    killed_at = None
    try:
        deadline = time.monotonic() + 20
        while len(sync_w.acked) < 2 or len(async_w.acked) < 2:
            if sync_w.error or async_w.error or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(rng.uniform(0.05, 0.6))
        killed_at = time.monotonic()
        server.kill()
    finally:
        stop.set()
        await asyncio.to_thread(thread.join, 30)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 30)
    assert not thread.is_alive(), "the sync writer was still blocked 30 s after kill -9"
    for w in (sync_w, async_w):
        if w.error is not None and (killed_at is None or (w.error_at or 0) < killed_at):
            problems.append(
                f"round {round_no}: a {w.name} batch failed BEFORE the kill: {_short(w.error)}"
            )
        if len(w.acked) < 2:
            problems.append(f"round {round_no}: the {w.name} writer made no progress")
    return [sync_w, async_w], problems


def _same_store_works_sync(store: GenesisStore, round_no: int) -> float:
    marker = {"round": round_no, "after": "restart"}

    def roundtrip() -> None:
        store.put(("faults", "after"), f"sync-{round_no}", marker)
        item = store.get(("faults", "after"), f"sync-{round_no}")
        assert item is not None and item.value == marker

    return _retry(roundtrip)[1]


async def _same_store_works_async(store: GenesisStore, round_no: int) -> float:
    marker = {"round": round_no, "after": "restart"}

    async def roundtrip() -> None:
        await store.aput(("faults", "after"), f"async-{round_no}", marker)
        item = await store.aget(("faults", "after"), f"async-{round_no}")
        assert item is not None and item.value == marker

    return (await _aretry(roundtrip))[1]


async def _kill_round(
    store: GenesisStore, server: FaultServer, rng: random.Random, round_no: int, database: str
) -> tuple[list[str], list[str]]:
    """One kill -9 / restart round; returns (problems, notes)."""
    notes: list[str] = []
    uri_before, port_before = server.uri, server.port
    writers, problems = await _write_until_killed(store, server, rng, round_no)
    notes.append(
        f"round {round_no}: acked " + ", ".join(f"{w.name} {len(w.acked)}" for w in writers)
        + " batches; errors after the kill: "
        + "; ".join(f"{w.name} {_short(w.error)}" for w in writers)
    )  # fmt: skip

    # Restart on the same data folder, as a user would.
    uri_after = server.restart()
    if uri_after != uri_before:
        problems.append(
            f"round {round_no}: LocalServer(same_dir).start() after kill -9 moved the server "
            f"from {uri_before} to {uri_after}, so existing clients cannot reconnect (it should "
            "reuse the remembered port)"
        )
        # Put it back on the old port so that the rest of the round still checks recovery.
        with contextlib.suppress(Exception):
            LocalServer(server.data_dir).stop(timeout=5)
        server.start(port=port_before)

    # Durability, read back with a fresh client (independent of reconnection).
    fresh: MongoClient = MongoClient(server.uri, **client_options(10_000))
    try:
        reader = GenesisStore(client=fresh, database=database)
        problems += _check_durable(reader, writers, round_no, "fresh client")
    except Exception as exc:
        problems.append(f"round {round_no}: reading back with a fresh client: {_short(exc)}")
    finally:
        fresh.close()

    # The SAME store object (same clients) works again, sync and async.
    try:
        took = _same_store_works_sync(store, round_no)
        notes.append(f"round {round_no}: the same sync client worked again after {took:.1f} s")
    except Exception as exc:
        problems.append(
            f"round {round_no}: the same store (sync client) did not work again within "
            f"{RECOVERY_S:g} s of the restart: {_short(exc)}"
        )
    try:
        took = await _same_store_works_async(store, round_no)
        notes.append(f"round {round_no}: the same async client worked again after {took:.1f} s")
        problems += _check_durable(store, writers, round_no, "same store")
    except Exception as exc:
        problems.append(
            f"round {round_no}: the same store (async client) did not work again within "
            f"{RECOVERY_S:g} s of the restart: {_short(exc)}"
        )
    return problems, notes


async def test_kill9_during_batched_puts_loses_no_acknowledged_write(
    server: FaultServer, request: pytest.FixtureRequest
) -> None:
    """kill -9 while a thread (``store.batch``) and a task (``store.abatch``) stream batches.

    Each round: both writers run, the server is killed after a random delay, restarted with
    ``LocalServer(same_dir).start()``; every acknowledged batch must be readable with its values
    (read with a fresh client, then with the same store), and the same store object must work
    again within ``RECOVERY_S``. ``KILL_ROUNDS`` rounds on the same store.
    """
    rng = _rng(request)
    database = f"faults_puts_{uuid.uuid4().hex[:8]}"
    options = client_options(KILL_TIMEOUT_MS)
    sync_client: MongoClient = MongoClient(server.uri, **options)
    async_client: AsyncMongoClient = AsyncMongoClient(server.uri, **options)
    store = GenesisStore(
        client=sync_client, async_client=async_client, database=database,
        timeout_ms=KILL_TIMEOUT_MS,
    )  # fmt: skip
    problems: list[str] = []
    notes: list[str] = []
    try:
        await store.asetup()
        for round_no in range(KILL_ROUNDS):
            round_problems, round_notes = await _kill_round(store, server, rng, round_no, database)
            problems += round_problems
            notes += round_notes
    finally:
        sync_client.close()
        await async_client.close()
    print("\n".join(notes))
    assert not problems, f"seed {SEED}:\n" + "\n".join(problems + ["--"] + notes)


# ===============================================================================================
# 2. kill -9 during a checkpointed multi-step graph run
# ===============================================================================================
class Steps(TypedDict, total=False):
    counter: int
    markers: Annotated[list[int], operator.add]
    next: str
    last: str
    note: str
    extra0: str
    extra1: str
    extra2: str
    extra3: str
    extra4: str


class _ProcessCrashed(RuntimeError):
    """Raised by the graph's node once the server was killed: the run's process 'dies' too."""


def _build_graph(saver: GenesisSaver, crashed: threading.Event | None = None) -> Any:
    """START -> step -> (step | END), routed on the ``next`` channel; 5 channels per task.

    With ``crashed``, the node raises once it is set, so a killed run stops at once instead of
    running its remaining steps in memory while every background write times out.
    """

    def step(state: Steps) -> dict[str, Any]:
        if crashed is not None and crashed.is_set():
            raise _ProcessCrashed("the server was killed")
        n = state.get("counter", 0) + 1
        update: dict[str, Any] = {
            "counter": n,
            "markers": [n],
            "next": "step" if n < GRAPH_STEPS else "done",
            "last": f"step-{n}",
            "note": f"{n:03d}" * 20,
        }
        update.update({f"extra{i}": f"{n}-{i}" for i in range(EXTRA_CHANNELS)})
        return update

    builder = StateGraph(Steps)
    builder.add_node("step", step)
    builder.add_edge(START, "step")
    builder.add_conditional_edges("step", lambda s: s["next"], {"step": "step", "done": END})
    return builder.compile(checkpointer=saver)


class _WatchedSaver(GenesisSaver):
    """A ``GenesisSaver`` that tells the test when ``put_writes`` starts (to time kills).

    Behaviour is unchanged: it only calls ``on_put_writes`` and times the parent method.
    """

    on_put_writes: Callable[[int], None] | None = None
    durations: list[float]

    def put_writes(self, config: Any, writes: Any, task_id: str, task_path: str = "") -> None:
        if self.on_put_writes is not None:
            self.on_put_writes(len(writes))
        started = time.perf_counter()
        try:
            return super().put_writes(config, writes, task_id, task_path)
        finally:
            self.durations.append(time.perf_counter() - started)


def _complete(values: dict[str, Any]) -> bool:
    return values.get("counter") == GRAPH_STEPS and values.get("markers") == list(
        range(1, GRAPH_STEPS + 1)
    )


def _describe(values: dict[str, Any]) -> str:
    markers = values.get("markers") or []
    expected = set(range(1, GRAPH_STEPS + 1))
    missing = sorted(expected - set(markers))
    dups = sorted({m for m in markers if markers.count(m) > 1})
    return (
        f"counter={values.get('counter')} markers: {len(markers)} "
        f"(missing {missing[:8]}, duplicated {dups[:8]}) next={values.get('next')!r} "
        f"last={values.get('last')!r}"
    )


@dataclass
class _Trial:
    index: int
    mode: str
    plan: str
    durability: str = "async"
    killed: bool = False
    kill_after_s: float | None = None
    run_error: str = "-"
    resume_errors: list[str] = field(default_factory=list)
    resumes: int = 0
    after_crash: str = "-"
    seconds: dict[str, float] = field(default_factory=dict)
    problem: str | None = None

    def line(self) -> str:
        kill = f"killed at {self.kill_after_s:.3f} s" if self.killed else "not killed"
        took = " ".join(f"{k} {v:.2f}s" for k, v in self.seconds.items())
        return (
            f"trial {self.index} [{self.durability} durability, {self.mode}: {self.plan}; "
            f"{kill}; after crash {self.after_crash};"
            f" resumes {self.resumes}; {took}; run error {self.run_error[:90]}; "
            f"resume errors {self.resume_errors[:2]}]"
        )


def _saver(uri: str, database: str, timeout_ms: int) -> tuple[MongoClient, _WatchedSaver]:
    client: MongoClient = MongoClient(uri, **client_options(timeout_ms))
    saver = _WatchedSaver(client=client, database=database, timeout_ms=timeout_ms)
    saver.durations = []
    return client, saver


def _run_trial(
    server: FaultServer,
    database: str,
    trial: _Trial,
    rng: random.Random,
    mean_run_s: float,
    put_writes_s: float,
) -> None:
    thread_id = f"trial-{trial.index}-{uuid.uuid4().hex[:6]}"
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    client, saver = _saver(server.uri, database, RUN_TIMEOUT_MS)
    crashed = threading.Event()
    graph = _build_graph(saver, crashed)
    lock = threading.Lock()
    done = threading.Event()
    trigger = threading.Event()
    calls = [0]
    started = [0.0]
    if trial.mode == "targeted":
        k = rng.randint(1, GRAPH_STEPS)
        delay = rng.uniform(0.0, put_writes_s)
        trial.plan = f"put_writes #{k} + {delay * 1000:.1f} ms"

        def on_put_writes(_: int) -> None:
            calls[0] += 1
            if calls[0] == k:
                trigger.set()

        saver.on_put_writes = on_put_writes
    else:
        delay = rng.uniform(0.0, mean_run_s)
        trial.plan = f"{delay * 1000:.0f} ms after start"
        trigger.set()

    def killer() -> None:
        if not trigger.wait(STUCK_CALL_S):
            return
        time.sleep(delay)
        with lock:
            if done.is_set():
                return
            server.kill()
            crashed.set()
            trial.killed = True
            trial.kill_after_s = time.perf_counter() - started[0]

    kill_thread = threading.Thread(target=killer, daemon=True)
    try:
        started[0] = time.perf_counter()
        kill_thread.start()
        try:
            _call_with_deadline(
                lambda: graph.invoke({"counter": 0}, config, durability=trial.durability)
            )
        except TimeoutError:
            raise
        except Exception as exc:
            trial.run_error = _short(exc)
    finally:
        with lock:  # no kill once the run is over (whatever happened)
            done.set()
        trigger.set()
        kill_thread.join(STUCK_CALL_S)
        client.close()
    trial.seconds["crash"] = time.perf_counter() - started[0]
    if trial.killed:
        t0 = time.perf_counter()
        server.restart()
        trial.seconds["restart"] = time.perf_counter() - t0

    # Resume in a "new process": fresh clients on the (possibly new) URI, no more kills.
    t0 = time.perf_counter()
    client, saver = _saver(server.uri, database, 10_000)
    graph = _build_graph(saver)
    try:
        state = _retry(lambda: graph.get_state(config))[0]
        trial.after_crash = f"next={state.next} counter={state.values.get('counter')}"
        for _ in range(MAX_RESUMES):
            if state.next == () and _complete(state.values):
                return
            # LangGraph's get_state() shows next == () after a crash whose last task had all
            # its writes saved (only the next checkpoint is missing): resume in every case.
            has_checkpoint = _retry(lambda: saver.get_tuple(config))[0] is not None
            trial.resumes += 1
            try:
                _call_with_deadline(
                    functools.partial(
                        graph.invoke,
                        None if has_checkpoint else {"counter": 0},
                        config,
                        durability=trial.durability,
                    )
                )
            except TimeoutError as exc:
                trial.problem = f"a resume call hung: {exc}"
                return
            except Exception as exc:  # another failure: resume again
                trial.resume_errors.append(_short(exc))
                state = _retry(lambda: graph.get_state(config))[0]
                continue
            state = _retry(lambda: graph.get_state(config))[0]
            if state.next != () or not _complete(state.values):
                trial.problem = (
                    "a resume ran to its end without error but the graph is "
                    + ("still pending" if state.next else "finished (next == ()) and incomplete")
                    + f": next={state.next} {_describe(state.values)}"
                )
                return
        trial.problem = (
            f"not finished after {MAX_RESUMES} resumes: next={state.next} {_describe(state.values)}"
        )
    finally:
        trial.seconds["resume"] = time.perf_counter() - t0
        client.close()


def test_kill9_during_graph_run_resumes_to_complete_state(
    server: FaultServer, request: pytest.FixtureRequest
) -> None:
    """Every trial: run, kill -9 at a random moment, restart, resume until done; check state.

    Trials are cheap: one server folder for all, a new thread_id per trial, fresh clients for
    the resume (a new process would have them). Most trials aim the kill at a random delay
    after a random task's ``put_writes`` began (where a task's pending writes can be half
    stored); the others kill at a uniformly random moment of the run. See the constants above.

    A task whose writes were half stored counts as done on resume, so LangGraph applies only
    the stored half: a routing write lost ends the run early (``next == ()``, counter < 30), a
    marker lost leaves a gap. Note that right after a crash ``get_state().next == ()`` is also
    normal when the last task's writes were ALL stored (LangGraph lists only unfinished tasks
    of the latest checkpoint); so the check is made after each resume that ran to its end.
    """
    rng = _rng(request)
    database = f"faults_graph_{uuid.uuid4().hex[:8]}"
    client, saver = _saver(server.uri, database, 10_000)
    try:
        saver.setup()
        graph = _build_graph(saver)
        runs = []
        for durability in ("async", "sync"):  # baseline without faults; times the kills
            config: RunnableConfig = {"configurable": {"thread_id": f"baseline-{durability}"}}
            t0 = time.perf_counter()
            out = _call_with_deadline(
                functools.partial(graph.invoke, {"counter": 0}, config, durability=durability)
            )
            runs.append(time.perf_counter() - t0)
            assert _complete(out), f"baseline run incomplete: {_describe(out)}"
            assert graph.get_state(config).next == ()
        durations = sorted(saver.durations)
        put_writes_s = max(0.002, 1.5 * durations[len(durations) // 2])
        mean_run_s = sum(runs) / len(runs)
    finally:
        client.close()

    trials: list[_Trial] = []
    t_start = time.monotonic()
    for index in range(GRAPH_TRIALS):
        mode = "targeted" if rng.random() < TARGETED_SHARE else "uniform"
        durability = "sync" if rng.random() < SYNC_DURABILITY_SHARE else "async"
        trial = _Trial(index, mode, "", durability)
        trials.append(trial)
        try:
            _run_trial(server, database, trial, rng, mean_run_s, put_writes_s)
        except Exception as exc:
            trial.problem = f"test harness error: {_short(exc)}"
            server.ensure_running()
    elapsed = time.monotonic() - t_start
    killed = sum(t.killed for t in trials)
    bad = [t for t in trials if t.problem]
    summary = (
        f"seed {SEED}: {len(trials)} trials in {elapsed:.1f} s, {killed} killed "
        f"(run {mean_run_s * 1000:.0f} ms, put_writes window {put_writes_s * 1000:.1f} ms), "
        f"{len(bad)} ended wrong"
    )
    print(summary)
    for t in trials:
        print(t.line(), "->", t.problem or "complete")
    assert killed >= len(trials) // 2, f"too few trials were killed: {summary}"
    assert not bad, summary + ":\n" + "\n".join(f"{t.line()}: {t.problem}" for t in bad)


# ===============================================================================================
# 3. A hung server (SIGSTOP): every call ends in time with DatabaseUnavailableError
# ===============================================================================================
@dataclass
class _Outcome:
    name: str
    elapsed: float | None = None  # None while running
    error: BaseException | None = None
    returned: Any = None

    def ok(self) -> bool:
        return (
            self.elapsed is not None
            and self.elapsed <= HUNG_LIMIT_S
            and isinstance(self.error, DatabaseUnavailableError)
        )

    def line(self) -> str:
        if self.elapsed is None:
            return f"{self.name}: never ended (still running {STRAGGLER_S:g} s after SIGCONT)"
        when = f"{self.elapsed:.2f} s"
        if self.elapsed > HUNG_WAIT_S:
            when += f" (still running when SIGCONT came at {HUNG_WAIT_S:g} s)"
        if self.error is None:
            return f"{self.name}: returned after {when} (expected DatabaseUnavailableError)"
        return f"{self.name}: {when}, {_short(self.error)}"


async def _calls_while_frozen(
    server: FaultServer,
    sync_calls: dict[str, Callable[[], Any]],
    async_calls: dict[str, Callable[[], Awaitable[Any]]],
) -> dict[str, _Outcome]:
    """Freeze the server, run every call at once, thaw (always); return how each one ended."""
    outcomes = {name: _Outcome(name) for name in [*sync_calls, *async_calls]}
    threads: list[threading.Thread] = []
    tasks: list[asyncio.Task[None]] = []

    def run_sync(name: str, fn: Callable[[], Any]) -> None:
        start = time.monotonic()
        try:
            outcomes[name].returned = fn()
        except BaseException as exc:
            outcomes[name].error = exc
        outcomes[name].elapsed = time.monotonic() - start

    async def run_async(name: str, fn: Callable[[], Awaitable[Any]]) -> None:
        start = time.monotonic()
        try:
            outcomes[name].returned = await fn()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            outcomes[name].error = exc
        outcomes[name].elapsed = time.monotonic() - start

    server.freeze()
    try:
        for name, fn in sync_calls.items():
            thread = threading.Thread(target=run_sync, args=(name, fn), daemon=True)
            thread.start()
            threads.append(thread)
        tasks = [asyncio.create_task(run_async(n, f)) for n, f in async_calls.items()]
        deadline = time.monotonic() + HUNG_WAIT_S
        while time.monotonic() < deadline and any(o.elapsed is None for o in outcomes.values()):
            await asyncio.sleep(0.05)
    finally:
        server.thaw()
        # Stragglers end once the server answers again; never wait forever.
        grace_end = time.monotonic() + STRAGGLER_S
        for thread in threads:
            await asyncio.to_thread(thread.join, max(0.0, grace_end - time.monotonic()))
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=max(0.1, grace_end - time.monotonic()))
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
    return outcomes


def _checkpoint_args(thread_id: str) -> tuple[dict[str, Any], Any, dict[str, Any], dict[str, Any]]:
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    return config, empty_checkpoint(), {"source": "input", "step": -1}, {}


@contextlib.asynccontextmanager
async def _components(variant: str, uri: str, database: str) -> Any:
    """(store, saver) with both clients, timeout_ms = HUNG_TIMEOUT_MS, opened two ways."""
    if variant == "clients":
        options = client_options(HUNG_TIMEOUT_MS)
        sync_client: MongoClient = MongoClient(uri, **options)
        async_client: AsyncMongoClient = AsyncMongoClient(uri, **options)
        try:
            store = GenesisStore(
                client=sync_client, async_client=async_client, database=database,
                timeout_ms=HUNG_TIMEOUT_MS,
            )  # fmt: skip
            saver = GenesisSaver(
                client=sync_client, async_client=async_client, database=database,
                timeout_ms=HUNG_TIMEOUT_MS,
            )  # fmt: skip
            yield store, saver
        finally:
            sync_client.close()
            await async_client.close()
    else:
        async with (
            GenesisStore.afrom_conn_string(
                uri, database=database, timeout_ms=HUNG_TIMEOUT_MS
            ) as store,
            GenesisSaver.afrom_conn_string(
                uri, database=database, timeout_ms=HUNG_TIMEOUT_MS
            ) as saver,
        ):
            yield store, saver


@pytest.mark.parametrize("variant", ["clients", "conn_string"])
async def test_hung_server_calls_end_in_time_with_database_unavailable(
    server: FaultServer, variant: str
) -> None:
    """SIGSTOP the server; 32 calls at once (store, saver, SessionManager; sync and async).

    Each must raise ``DatabaseUnavailableError`` within ``HUNG_LIMIT_S`` (timeout_ms 1500 +
    ``HUNG_MARGIN_S``); the server is thawed after ``HUNG_WAIT_S`` whatever happened, and then
    the same objects must work again. ``clients``: explicit ``MongoClient`` and
    ``AsyncMongoClient`` built with ``client_options(1500)`` plus ``timeout_ms=1500``;
    ``conn_string``: ``afrom_conn_string(uri, timeout_ms=1500)``.
    """
    database = f"faults_hung_{uuid.uuid4().hex[:8]}"
    async with _components(variant, server.uri, database) as (store, saver):
        sessions = SessionManager(store, saver)
        ns = ("faults", "hung")
        # Set up and warm both clients (their pools hold connections when the server hangs).
        await store.asetup()
        await saver.asetup()
        store.put(ns, "k", {"v": 1})
        assert (await store.aget(ns, "k")).value == {"v": 1}
        config, checkpoint, metadata, versions = _checkpoint_args("hung-thread")
        saved = saver.put(config, checkpoint, metadata, versions)
        assert (await saver.aget_tuple(saved)) is not None
        sessions.start(session_id="hung-session", tasks=["t1"], critical_facts=["f1"])
        await sessions.acontext("hung-session")

        def cp(thread: str) -> tuple[Any, ...]:
            return _checkpoint_args(thread)

        sync_calls: dict[str, Callable[[], Any]] = {
            "store.get": lambda: store.get(ns, "k"),
            "store.put": lambda: store.put(ns, "k2", {"v": 2}),
            "store.search": lambda: store.search(ns, limit=5),
            "store.list_namespaces": lambda: store.list_namespaces(prefix=("faults",)),
            "saver.get_tuple": lambda: saver.get_tuple(config),
            "saver.put": lambda: saver.put(*cp("hung-thread")),
            "saver.list": lambda: [*saver.list(config, limit=5)],
            "saver.put_writes": lambda: saver.put_writes(saved, [("a", 1), ("b", 2)], "task-s"),
            "sessions.start": lambda: sessions.start(session_id="new-sync"),
            "sessions.resume": lambda: sessions.resume("hung-session"),
            "sessions.context": lambda: sessions.context("hung-session"),
            "sessions.add_tasks": lambda: sessions.add_tasks("hung-session", ["t2"]),
            "sessions.complete_tasks": lambda: sessions.complete_tasks("hung-session", ["t1"]),
            "sessions.add_facts": lambda: sessions.add_facts("hung-session", ["f2"]),
            "sessions.handoffs": lambda: sessions.handoffs("hung-session"),
            "sessions.end": lambda: sessions.end("hung-session"),
        }

        async def alist() -> list[Any]:
            return [t async for t in saver.alist(config, limit=5)]

        async_calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "store.aget": lambda: store.aget(ns, "k"),
            "store.aput": lambda: store.aput(ns, "k3", {"v": 3}),
            "store.asearch": lambda: store.asearch(ns, limit=5),
            "store.alist_namespaces": lambda: store.alist_namespaces(prefix=("faults",)),
            "saver.aget_tuple": lambda: saver.aget_tuple(config),
            "saver.aput": lambda: saver.aput(*cp("hung-thread")),
            "saver.alist": alist,
            "saver.aput_writes": lambda: saver.aput_writes(saved, [("a", 1)], "task-a"),
            "sessions.astart": lambda: sessions.astart(session_id="new-async"),
            "sessions.aresume": lambda: sessions.aresume("hung-session"),
            "sessions.acontext": lambda: sessions.acontext("hung-session"),
            "sessions.aadd_tasks": lambda: sessions.aadd_tasks("hung-session", ["t3"]),
            "sessions.acomplete_tasks": lambda: sessions.acomplete_tasks("hung-session", ["t1"]),
            "sessions.aadd_facts": lambda: sessions.aadd_facts("hung-session", ["f3"]),
            "sessions.ahandoffs": lambda: sessions.ahandoffs("hung-session"),
            "sessions.aend": lambda: sessions.aend("hung-session"),
        }

        outcomes = await _calls_while_frozen(server, sync_calls, async_calls)

        # After SIGCONT the same objects work again.
        recovery: list[str] = []

        def put_get() -> None:
            store.put(ns, "after", {"ok": 1})
            item = store.get(ns, "after")
            assert item is not None and item.value == {"ok": 1}

        def get_tuple() -> None:
            assert saver.get_tuple(config) is not None

        checks_sync: dict[str, Callable[[], Any]] = {
            "store.put/get": put_get,
            "saver.get_tuple": get_tuple,
            "sessions.context": lambda: sessions.context("hung-session"),
        }
        for name, fn in checks_sync.items():
            try:
                _retry(fn)
            except Exception as exc:
                recovery.append(f"{name} (sync) after SIGCONT: {_short(exc)}")

        async def aput_get() -> None:
            await store.aput(ns, "aafter", {"ok": 2})
            item = await store.aget(ns, "aafter")
            assert item is not None and item.value == {"ok": 2}

        async def aget_tuple() -> None:
            assert await saver.aget_tuple(config) is not None

        checks_async: dict[str, Callable[[], Awaitable[Any]]] = {
            "store.aput/aget": aput_get,
            "saver.aget_tuple": aget_tuple,
            "sessions.acontext": lambda: sessions.acontext("hung-session"),
        }
        for name, afn in checks_async.items():
            try:
                await _aretry(afn)
            except Exception as exc:
                recovery.append(f"{name} (async) after SIGCONT: {_short(exc)}")

    report = [o.line() for o in outcomes.values()]
    print("\n".join(report))
    bad = [o.line() for o in outcomes.values() if not o.ok()]
    assert not bad and not recovery, (
        f"[{variant}] on a hung server every call must end within {HUNG_LIMIT_S:g} s "
        f"(timeout_ms={HUNG_TIMEOUT_MS} + {HUNG_MARGIN_S:g} s) with DatabaseUnavailableError; "
        f"{len(bad)} of {len(outcomes)} did not:\n"
        + "\n".join(bad + recovery)
        + "\n-- all calls --\n"
        + "\n".join(report)
    )
