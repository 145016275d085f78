"""What LangGraph users expect of a checkpointer, checked on GenesisSaver.

The behaviours come from reading LangGraph's own checkpointer suites (the Postgres, SQLite and
in-memory savers' tests); the tests here are written from scratch for GenesisSaver and skip what
is specific to SQL storage (query builders, SQL injection, migrations of SQL tables, Postgres'
pipeline/pool modes). Wherever it is meaningful, the same operations are replayed on LangGraph's
reference ``InMemorySaver`` and the observable results are compared.

Saver-level scenarios run twice: on the sync API (``saver`` fixture) and on the async API
(``async_saver``). Only the public API is used (saver methods and compiled graphs); the storage
layout is never inspected.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime
import decimal
import enum
import functools
import ipaddress
import operator
import pathlib
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointTuple,
    create_checkpoint,
    empty_checkpoint,
)
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.types import ERROR, INTERRUPT, RESUME, TASKS
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, Send, interrupt
from pydantic import BaseModel

from langgraph_genesis_memory.checkpoint import GenesisSaver

try:  # beta in LangGraph 1.x
    from langgraph.channels.delta import DeltaChannel
except ImportError:  # pragma: no cover
    DeltaChannel = None

# ------------------------------------------------------------------------------------------------
# Helpers: one driver interface over the sync and async APIs, so each scenario is written once.
# ------------------------------------------------------------------------------------------------


class Driver:
    """Runs saver operations through either the sync or the async API of a saver."""

    def __init__(self, saver: BaseCheckpointSaver, use_async: bool) -> None:
        self.saver = saver
        self.use_async = use_async

    async def put(self, config, checkpoint, metadata, versions) -> dict:
        if self.use_async:
            return await self.saver.aput(config, checkpoint, metadata, versions)
        return self.saver.put(config, checkpoint, metadata, versions)

    async def put_writes(self, config, writes, task_id, task_path="") -> None:
        if self.use_async:
            await self.saver.aput_writes(config, writes, task_id, task_path)
        else:
            self.saver.put_writes(config, writes, task_id, task_path)

    async def get(self, config) -> CheckpointTuple | None:
        if self.use_async:
            return await self.saver.aget_tuple(config)
        return self.saver.get_tuple(config)

    async def list(self, config, **kwargs) -> list[CheckpointTuple]:
        if self.use_async:
            return [t async for t in self.saver.alist(config, **kwargs)]
        return list(self.saver.list(config, **kwargs))

    async def delete_thread(self, thread_id: str) -> None:
        if self.use_async:
            await self.saver.adelete_thread(thread_id)
        else:
            self.saver.delete_thread(thread_id)


@pytest.fixture(params=["sync", "async"])
def ours(request: pytest.FixtureRequest) -> Driver:
    """GenesisSaver driven through its sync or its async API."""
    if request.param == "sync":
        return Driver(request.getfixturevalue("saver"), use_async=False)
    return Driver(request.getfixturevalue("async_saver"), use_async=True)


@pytest.fixture
def ref() -> Driver:
    """LangGraph's reference saver, driven through its sync API."""
    return Driver(InMemorySaver(), use_async=False)


def cfg(thread: str, ns: str | None = "", checkpoint_id: str | None = None) -> dict:
    conf: dict[str, Any] = {"thread_id": thread}
    if ns is not None:
        conf["checkpoint_ns"] = ns
    if checkpoint_id is not None:
        conf["checkpoint_id"] = checkpoint_id
    return {"configurable": conf}


_sequence = {"next": 1}
_sequence_lock = threading.Lock()


def _next_number() -> int:
    with _sequence_lock:
        n = _sequence["next"]
        _sequence["next"] += 1
        return n


def new_checkpoint(
    values: dict[str, Any] | None = None, previous: Checkpoint | None = None, step: int = 0
) -> tuple[Checkpoint, dict[str, str]]:
    """A fresh checkpoint (newer id than ``previous``) holding ``values``; also its new versions.

    Ids and versions come from a counter (ids sort by creation like LangGraph's uuid6 ids), so
    a scenario replayed on two savers (see :func:`both`) creates identical checkpoints.
    """
    cp = create_checkpoint(previous, None, step) if previous else empty_checkpoint()
    n = _next_number()
    cp["id"] = f"1f000000-0000-6000-8000-{n:012d}"
    versions = {}
    for channel in values or {}:
        old = cp["channel_versions"].get(channel)
        number = int(str(old).split(".")[0]) + 1 if old else 1
        versions[channel] = f"{number:08d}.{n:06d}"
    cp["channel_values"] = dict(values or {})
    cp["channel_versions"] = {**cp["channel_versions"], **versions}
    return cp, versions


def key(config: dict | None) -> tuple | None:
    """A config reduced to what identifies a checkpoint."""
    if config is None:
        return None
    c = config["configurable"]
    return (c["thread_id"], c.get("checkpoint_ns", ""), c.get("checkpoint_id"))


def view(t: CheckpointTuple | None) -> tuple | None:
    """Everything observable about a tuple, in a comparable form."""
    if t is None:
        return None
    return (
        key(t.config),
        t.checkpoint["id"],
        t.checkpoint["channel_values"],
        t.checkpoint["channel_versions"],
        t.checkpoint["versions_seen"],
        t.metadata,
        key(t.parent_config),
        list(t.pending_writes or []),
    )


def ids(tuples: Iterable[CheckpointTuple]) -> list[str]:
    return [t.checkpoint["id"] for t in tuples]


async def both(ours: Driver, ref: Driver, scenario) -> tuple[Any, Any]:
    """Run ``scenario(driver)`` on GenesisSaver and on InMemorySaver.

    Both runs see the same checkpoint ids and versions from :func:`new_checkpoint`.
    """
    start = _sequence["next"]
    mine = await scenario(ours)
    _sequence["next"] = start
    theirs = await scenario(ref)
    return mine, theirs


# ------------------------------------------------------------------------------------------------
# put / get_tuple / list: config, namespaces, filter, before, limit
# ------------------------------------------------------------------------------------------------


def _corpus() -> list[tuple[dict, Checkpoint, dict, dict]]:
    """Checkpoints over two threads and two namespaces, with varied metadata.

    The same checkpoint objects are fed to both savers, so ids and timestamps match.
    """
    rows = []
    a1, v = new_checkpoint({"n": 1})
    rows.append((cfg("alpha"), a1, {"source": "input", "step": -1, "owner": "ann"}, v))
    a2, v = new_checkpoint({"n": 2}, a1, 0)
    rows.append(
        (
            cfg("alpha", checkpoint_id=a1["id"]),
            a2,
            {"source": "loop", "step": 0, "owner": "ann", "score": None},
            v,
        )
    )
    b1, v = new_checkpoint({"n": 10})
    rows.append((cfg("beta"), b1, {"source": "loop", "step": 0, "owner": "bob", "score": 0.5}, v))
    bi, v = new_checkpoint({"inner": ["x", "y"]})
    rows.append((cfg("beta", "child:1"), bi, {"source": "loop", "step": 1}, v))
    a3, v = new_checkpoint({"n": 3}, a2, 1)
    rows.append(
        (
            cfg("alpha", checkpoint_id=a2["id"]),
            a3,
            {"source": "update", "step": 1, "owner": "ann", "tags": ["x", "y"]},
            v,
        )
    )
    return rows


async def test_put_returns_configs_and_get_tuple_reads_them_back(ours: Driver, ref: Driver) -> None:
    rows = _corpus()

    async def scenario(d: Driver):
        stored = [await d.put(*row) for row in rows]
        got = [view(await d.get(c)) for c in stored]
        latest = [
            view(await d.get(cfg(t, ns)))
            for t, ns in [("alpha", ""), ("beta", ""), ("beta", "child:1"), ("beta", None)]
        ]
        missing = [
            await d.get(cfg("alpha", "", "no-such-checkpoint")),
            await d.get(cfg("nobody")),
            await d.get(cfg("alpha", "no-such-ns")),
        ]
        return [key(c) for c in stored], got, latest, missing

    mine, theirs = await both(ours, ref, scenario)
    assert mine == theirs
    stored_keys, got, latest, missing = mine
    assert stored_keys[1] == ("alpha", "", rows[1][1]["id"])
    # The latest of a namespace, with its parent; a missing checkpoint_ns means the root one.
    assert latest[0][1] == rows[4][1]["id"] and latest[0][6] == ("alpha", "", rows[1][1]["id"])
    assert latest[2][2] == {"inner": ["x", "y"]}
    assert latest[3] == latest[1]
    assert missing == [None, None, None]


async def test_list_by_config_filter_before_and_limit(ours: Driver, ref: Driver) -> None:
    rows = _corpus()
    by_index = [r[1]["id"] for r in rows]

    async def scenario(d: Driver):
        for row in rows:
            await d.put(*row)
        out = {}
        # Per thread and namespace: order matters (newest first).
        out["alpha_root"] = ids(await d.list(cfg("alpha")))
        out["alpha_limit"] = ids(await d.list(cfg("alpha"), limit=2))
        out["alpha_before"] = ids(await d.list(cfg("alpha"), before=cfg("alpha", "", by_index[4])))
        out["alpha_before_limit"] = ids(
            await d.list(cfg("alpha"), before=cfg("alpha", "", by_index[4]), limit=1)
        )
        out["one_checkpoint"] = ids(await d.list(cfg("alpha", "", by_index[1])))
        out["child_ns"] = ids(await d.list(cfg("beta", "child:1")))
        out["limit_zero"] = ids(await d.list(cfg("alpha"), limit=0))
        # Across namespaces / threads: order between them is unspecified, compare as sets.
        out["beta_all_ns"] = sorted(ids(await d.list(cfg("beta", None))))
        out["everything"] = sorted(ids(await d.list(None)))
        out["f_source"] = sorted(ids(await d.list(None, filter={"source": "loop"})))
        out["f_two_keys"] = sorted(ids(await d.list(None, filter={"step": 0, "owner": "bob"})))
        out["f_none_value"] = sorted(ids(await d.list(cfg("alpha"), filter={"score": None})))
        out["f_float"] = sorted(ids(await d.list(None, filter={"score": 0.5})))
        out["f_list_value"] = sorted(ids(await d.list(None, filter={"tags": ["x", "y"]})))
        out["f_list_element"] = sorted(ids(await d.list(None, filter={"tags": "x"})))
        out["f_empty"] = sorted(ids(await d.list(None, filter={})))
        out["f_no_match"] = ids(await d.list(None, filter={"source": "update", "step": 0}))
        out["f_thread_and_filter"] = sorted(
            ids(await d.list(cfg("beta", None), filter={"source": "loop"}))
        )
        out["before_all"] = sorted(ids(await d.list(None, before=cfg("beta", "", by_index[3]))))
        out["limit_all"] = len(await d.list(None, limit=3))
        return out

    mine, theirs = await both(ours, ref, scenario)
    assert mine == theirs
    assert mine["alpha_root"] == [by_index[4], by_index[1], by_index[0]]
    assert mine["alpha_limit"] == [by_index[4], by_index[1]]
    assert mine["alpha_before"] == [by_index[1], by_index[0]]
    assert mine["alpha_before_limit"] == [by_index[1]]
    assert mine["one_checkpoint"] == [by_index[1]]
    assert mine["limit_zero"] == []
    assert mine["beta_all_ns"] == sorted([by_index[2], by_index[3]])
    assert len(mine["everything"]) == len(mine["f_empty"]) == 5
    assert mine["f_two_keys"] == [by_index[2]]
    assert mine["f_list_element"] == []  # equality on the whole value, not on list elements
    assert mine["f_no_match"] == []
    assert mine["limit_all"] == 3


async def test_filter_by_nested_metadata_value(ours: Driver, ref: Driver) -> None:
    # LangGraph's own suites filter on a nested object ({"writes": {"foo": "bar"}}).
    async def scenario(d: Driver):
        cp, v = new_checkpoint({"n": 1})
        md = {"source": "loop", "writes": {"node": {"k": 1}}, "user": {"name": "ann", "role": "x"}}
        await d.put(cfg("nested"), cp, md, v)
        return [
            len(await d.list(None, filter={"writes": {"node": {"k": 1}}})),
            len(await d.list(None, filter={"user": {"role": "x", "name": "ann"}})),  # other order
            len(await d.list(None, filter={"user": {"name": "ann"}})),  # not equal: a subset
        ]

    mine, theirs = await both(ours, ref, scenario)
    assert theirs == [1, 1, 0]
    assert mine == theirs


async def test_list_keeps_every_checkpoint_over_many_pages(ours: Driver) -> None:
    # More checkpoints than any sensible page size; with limit, before and a filter.
    cp: Checkpoint | None = None
    config = cfg("long")
    made = []
    for i in range(230):
        cp, v = new_checkpoint({"i": i}, cp, i)
        config = await ours.put(config, cp, {"step": i, "parity": i % 2}, v)
        made.append(cp["id"])
    newest_first = made[::-1]
    assert ids(await ours.list(cfg("long"))) == newest_first
    assert ids(await ours.list(cfg("long"), limit=150)) == newest_first[:150]
    assert ids(await ours.list(cfg("long"), before=cfg("long", "", made[200]))) == made[:200][::-1]
    odd = await ours.list(cfg("long"), filter={"parity": 1}, limit=101)
    assert ids(odd) == [x for i, x in reversed(list(enumerate(made))) if i % 2][:101]
    assert [t.checkpoint["channel_values"]["i"] for t in odd[:3]] == [229, 227, 225]


async def test_list_is_consistent_while_the_thread_grows(ours: Driver, ref: Driver) -> None:
    async def scenario(d: Driver):
        cp: Checkpoint | None = None
        config = cfg("growing")
        for i in range(130):
            cp, v = new_checkpoint({"i": i}, cp, i)
            config = await d.put(config, cp, {"step": i}, v)
        seen: list[str] = []
        if d.use_async:
            it = d.saver.alist(cfg("growing"))
            async for t in it:
                seen.append(t.checkpoint["id"])
                if len(seen) == 40:  # a graph run appends to the thread meanwhile
                    for j in range(3):
                        cp, v = new_checkpoint({"i": 1000 + j}, cp, 1000 + j)
                        config = await d.put(config, cp, {"step": 1000 + j}, v)
        else:
            for t in d.saver.list(cfg("growing")):
                seen.append(t.checkpoint["id"])
                if len(seen) == 40:
                    for j in range(3):
                        cp, v = new_checkpoint({"i": 1000 + j}, cp, 1000 + j)
                        config = await d.put(config, cp, {"step": 1000 + j}, v)
        return len(seen), len(set(seen))

    mine, theirs = await both(ours, ref, scenario)
    assert theirs == (130, 130)
    total, distinct = mine
    assert total == distinct, f"{total - distinct} checkpoints were listed twice"


# ------------------------------------------------------------------------------------------------
# Metadata
# ------------------------------------------------------------------------------------------------


async def test_metadata_combines_config_metadata_and_run_id(ours: Driver, ref: Driver) -> None:
    async def scenario(d: Driver):
        cp, v = new_checkpoint({"n": 1})
        config = {
            "configurable": {
                "thread_id": "combined",
                "checkpoint_ns": "",
                "user_id": "u-7",  # plain configurable values are copied into metadata
                "temperature": 0.2,
                "__private_setting": "hidden",  # private keys are not
                "some_object": object(),  # nor non-scalar values
            },
            "metadata": {"run_id": "run-42", "source": "not-this-one", "tenant": "acme"},
        }
        stored = await d.put(config, cp, {"source": "loop", "step": 3, "score": None}, v)
        t = await d.get(stored)
        by_run = ids(await d.list(None, filter={"run_id": "run-42"}))
        by_user = ids(await d.list(None, filter={"user_id": "u-7", "tenant": "acme"}))
        return t.metadata, by_run, by_user

    mine, theirs = await both(ours, ref, scenario)
    assert mine == theirs
    metadata, by_run, by_user = mine
    assert metadata == {
        "source": "loop",  # the checkpoint's own metadata wins
        "step": 3,
        "score": None,
        "run_id": "run-42",
        "tenant": "acme",
        "user_id": "u-7",
        "temperature": 0.2,
    }
    assert len(by_run) == 1 and by_run == by_user


async def test_metadata_null_characters(ours: Driver, ref: Driver) -> None:
    # Text produced by models may hold NUL characters: saving must not fail, and top-level
    # strings are cleaned by LangGraph's helper (as Postgres needs), nested ones kept as they are.
    async def scenario(d: Driver):
        cp, v = new_checkpoint({"n": 1})
        md = {"note": "\x00abc", "nested": {"deep": "x\x00y"}, "items": ["\x00z", "ok"]}
        stored = await d.put(cfg("nul"), cp, md, v)
        t = await d.get(stored)
        found = ids(await d.list(None, filter={"note": "abc"}))
        found_list = ids(await d.list(None, filter={"items": ["\x00z", "ok"]}))
        return t.metadata, found, found_list

    mine, theirs = await both(ours, ref, scenario)
    assert mine == theirs
    assert mine[0]["note"] == "abc"
    assert mine[0]["nested"] == {"deep": "x\x00y"}
    assert len(mine[1]) == 1 and mine[1] == mine[2]


async def test_metadata_key_with_null_character(ours: Driver, ref: Driver) -> None:
    async def scenario(d: Driver):
        cp, v = new_checkpoint({"n": 1})
        stored = await d.put(cfg("nul-key"), cp, {"a\x00b": 1, "ok": {"c\x00": 2}}, v)
        return (await d.get(stored)).metadata

    mine, theirs = await both(ours, ref, scenario)
    assert mine == theirs == {"a\x00b": 1, "ok": {"c\x00": 2}}


async def test_metadata_non_ascii_and_unusual_keys(ours: Driver, ref: Driver) -> None:
    async def scenario(d: Driver):
        cp, v = new_checkpoint({"n": 1})
        md = {
            "Benutzer": "Jürgen",
            "ユーザー": "花子",
            "emoji": "🚀✨",
            "access-level": "public",  # hyphenated key
            "123abc": "digit-first key",
            "rtl": "مرحبا",
            "nested": {"ключ": ["значение", 1, True, None, 2.5]},
            "when": datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC),
            "id": uuid.UUID(int=99),
            "empty": {},
        }
        stored = await d.put(cfg("ünïcødé thread 🧵", "ns/☃:1"), cp, md, v)
        t = await d.get(stored)
        filters = [
            {"Benutzer": "Jürgen"},
            {"emoji": "🚀✨"},
            {"access-level": "public"},
            {"123abc": "digit-first key"},
            {"rtl": "مرحبا"},
            {"Benutzer": "Juergen"},
        ]
        found = [len(await d.list(None, filter=f)) for f in filters]
        listed = [key(t.config) for t in await d.list(cfg("ünïcødé thread 🧵", None))]
        return t.metadata, key(t.config), found, listed

    mine, theirs = await both(ours, ref, scenario)
    assert mine == theirs
    metadata, stored_key, found, listed = mine
    assert stored_key[:2] == ("ünïcødé thread 🧵", "ns/☃:1") and listed == [stored_key]
    assert found == [1, 1, 1, 1, 1, 0]
    assert metadata["ユーザー"] == "花子" and metadata["nested"]["ключ"][0] == "значение"
    assert metadata["when"].tzinfo is not None and metadata["id"] == uuid.UUID(int=99)


async def test_filter_on_non_ascii_metadata_keys(ours: Driver, ref: Driver) -> None:
    async def scenario(d: Driver):
        cp, v = new_checkpoint({"n": 1})
        md = {"ユーザー": "花子", "é": 1, "naïve": True, "plain": "ok"}
        await d.put(cfg("keys"), cp, md, v)
        return [len(await d.list(None, filter={k: val})) for k, val in md.items()]

    mine, theirs = await both(ours, ref, scenario)
    assert theirs == [1, 1, 1, 1]
    assert mine == theirs


# ------------------------------------------------------------------------------------------------
# Pending writes
# ------------------------------------------------------------------------------------------------


async def test_pending_writes_regular_special_idempotent_and_ordered(
    ours: Driver, ref: Driver
) -> None:
    async def scenario(d: Driver):
        cp, v = new_checkpoint({"n": 1})
        c = await d.put(cfg("writes"), cp, {}, v)
        # A task's regular writes are saved once: a retry of the same task keeps the first.
        await d.put_writes(c, [("a", 1), ("b", 2)], "task-b", "~__pregel_pull, b")
        await d.put_writes(c, [("a", 100), ("b", 200), ("c", 300)], "task-b", "~__pregel_pull, b")
        # Special writes replace the earlier one of the same kind for the task.
        await d.put_writes(c, [(ERROR, "first failure")], "task-a", "~__pregel_pull, a")
        await d.put_writes(c, [(ERROR, "second failure")], "task-a", "~__pregel_pull, a")
        await d.put_writes(c, [(INTERRUPT, ["ask 1"])], "task-c", "~__pregel_pull, c")
        await d.put_writes(c, [(INTERRUPT, ["ask 1", "ask 2"])], "task-c", "~__pregel_pull, c")
        await d.put_writes(c, [(RESUME, ["yes"])], "task-c", "~__pregel_pull, c")
        await d.put_writes(c, [(RESUME, ["yes", "no"])], "task-c", "~__pregel_pull, c")
        # A mix of special and regular writes in one call keeps both kinds apart.
        await d.put_writes(c, [("x", 1), (ERROR, "mixed"), ("y", 2)], "task-d", "~__pregel_push, 0")
        # Ordering: by task path, then task id, then index; an empty path sorts first.
        await d.put_writes(c, [("z", "no path")], "task-z")
        await d.put_writes(c, [(TASKS, "push 1"), (TASKS, "push 2")], "task-e", "~__pregel_push, 1")
        await d.put_writes(c, [("w", "same path, smaller id")], "task-0", "~__pregel_pull, b")
        t = await d.get(c)
        listed = (await d.list(cfg("writes")))[0]
        # Re-putting the exact same writes changes nothing.
        before = list(t.pending_writes)
        await d.put_writes(c, [("a", 1), ("b", 2)], "task-b", "~__pregel_pull, b")
        again = (await d.get(c)).pending_writes
        return before, listed.pending_writes, again

    mine, theirs = await both(ours, ref, scenario)
    assert mine == theirs
    writes, listed, again = mine
    assert listed == writes == again
    assert ("task-b", "a", 1) in writes and ("task-b", "c", 300) in writes
    assert ("task-b", "a", 100) not in writes
    assert [w for w in writes if w[1] == ERROR] == [
        ("task-a", ERROR, "second failure"),
        ("task-d", ERROR, "mixed"),
    ]
    assert ("task-c", INTERRUPT, ["ask 1", "ask 2"]) in writes
    assert ("task-c", RESUME, ["yes", "no"]) in writes
    assert writes[0] == ("task-z", "z", "no path")
    assert len(writes) == 13


async def test_pending_writes_belong_to_one_checkpoint_and_namespace(
    ours: Driver, ref: Driver
) -> None:
    async def scenario(d: Driver):
        cp0, v = new_checkpoint({"n": 0})
        c0 = await d.put(cfg("w2"), cp0, {"step": 0}, v)
        await d.put_writes(c0, [(TASKS, "send-1"), (TASKS, "send-2")], "t1")
        await d.put_writes(c0, [("n", 5)], "t2")
        cp_sub, v_sub = new_checkpoint({"m": 0})
        c_sub = await d.put(cfg("w2", "sub:1"), cp_sub, {"step": 0}, v_sub)
        await d.put_writes(c_sub, [("m", "sub write")], "t3")
        cp1, v = new_checkpoint({"n": 5}, cp0, 1)
        c1 = await d.put(c0, cp1, {"step": 1}, v)  # the next super-step starts clean
        return [
            view(await d.get(c0)),
            view(await d.get(c1)),
            view(await d.get(c_sub)),
            [view(t) for t in await d.list(cfg("w2"))],
        ]

    mine, theirs = await both(ours, ref, scenario)
    assert mine == theirs
    first, second, sub, listed = mine
    assert first[7] == [("t1", TASKS, "send-1"), ("t1", TASKS, "send-2"), ("t2", "n", 5)]
    assert second[7] == [] and second[2] == {"n": 5}
    assert sub[7] == [("t3", "m", "sub write")]
    assert [row[7] for row in listed] == [[], first[7]]


async def test_concurrent_put_writes_from_parallel_tasks(ours: Driver) -> None:
    cp, v = new_checkpoint({"n": 1})
    c = await ours.put(cfg("fanout"), cp, {}, v)
    tasks = [(f"task-{i:02d}", f"~__pregel_push, {i}") for i in range(24)]

    async def one(task_id: str, path: str) -> None:
        writes = [("results", {"task": task_id, "part": j}) for j in range(3)]
        if ours.use_async:
            await ours.saver.aput_writes(c, writes, task_id, path)
        else:
            await asyncio.to_thread(ours.saver.put_writes, c, writes, task_id, path)

    await asyncio.gather(*(one(t, p) for t, p in tasks), *(one(t, p) for t, p in tasks[:6]))
    writes = (await ours.get(c)).pending_writes
    assert len(writes) == 72
    # Whatever order they arrived in, they come back in LangGraph's order, as the reference's.
    reference = InMemorySaver()
    rc = reference.put(cfg("fanout"), cp, {}, v)
    for task_id, path in reversed(tasks):
        reference.put_writes(
            rc, [("results", {"task": task_id, "part": j}) for j in range(3)], task_id, path
        )
    assert writes == reference.get_tuple(rc).pending_writes
    assert [w[2]["part"] for w in writes[:3]] == [0, 1, 2]


# ------------------------------------------------------------------------------------------------
# Namespaces, deletion, thread ids
# ------------------------------------------------------------------------------------------------


async def test_namespaces_are_independent_histories(ours: Driver, ref: Driver) -> None:
    namespaces = ["", "agent:7f3c", "agent:7f3c|tools:91ab", "weird ns/with spaces|ü:1"]

    async def scenario(d: Driver):
        out = {}
        for n, ns in enumerate(namespaces):
            cp: Checkpoint | None = None
            config = cfg("nsx", ns)
            for step in range(n + 1):
                cp, v = new_checkpoint({"ns": ns, "step": step}, cp, step)
                config = await d.put(config, cp, {"step": step, "ns_index": n}, v)
        for ns in namespaces:
            latest = await d.get(cfg("nsx", ns))
            out[ns] = (
                latest.checkpoint["channel_values"],
                key(latest.parent_config),
                len(await d.list(cfg("nsx", ns))),
            )
        out["all"] = len(await d.list(cfg("nsx", None)))
        out["filtered"] = len(await d.list(cfg("nsx", None), filter={"ns_index": 3}))
        return out

    mine, theirs = await both(ours, ref, scenario)
    assert mine == theirs
    assert mine["agent:7f3c|tools:91ab"][0] == {"ns": "agent:7f3c|tools:91ab", "step": 2}
    assert mine["agent:7f3c|tools:91ab"][1][1] == "agent:7f3c|tools:91ab"
    assert [mine[ns][2] for ns in namespaces] == [1, 2, 3, 4]
    assert mine["all"] == 10 and mine["filtered"] == 4


async def test_delete_thread_removes_only_that_thread(ours: Driver, ref: Driver) -> None:
    # Thread ids that share prefixes or contain pattern characters must not be confused.
    threads = ["t", "t1", "t.*", "t|x", "T", "t 1"]

    async def scenario(d: Driver):
        for thread in threads:
            for ns in ("", "sub:1"):
                cp, v = new_checkpoint({"who": thread, "msgs": [thread, ns, "x"]})
                c = await d.put(cfg(thread, ns), cp, {"owner": thread}, v)
                await d.put_writes(c, [("who", thread + "!")], "task")
        await d.delete_thread("t")
        await d.delete_thread("t.*")
        await d.delete_thread("never-existed")
        left = {t: len(await d.list(cfg(t, None))) for t in threads}
        gone = [await d.get(cfg("t", ns)) for ns in ("", "sub:1")]
        kept = view(await d.get(cfg("t1", "sub:1")))
        # A deleted thread can start again from scratch.
        cp, v = new_checkpoint({"who": "t again", "msgs": ["t", "", "x"]})
        await d.put(cfg("t"), cp, {}, v)
        restarted = view(await d.get(cfg("t")))
        return left, gone, kept, restarted

    mine, theirs = await both(ours, ref, scenario)
    assert mine == theirs
    left, gone, kept, restarted = mine
    assert left == {"t": 0, "t1": 2, "t.*": 0, "t|x": 2, "T": 2, "t 1": 2}
    assert gone == [None, None]
    assert kept[2] == {"who": "t1", "msgs": ["t1", "sub:1", "x"]}
    assert kept[7] == [("task", "who", "t1!")]
    assert restarted[2] == {"who": "t again", "msgs": ["t", "", "x"]} and restarted[7] == []


# ------------------------------------------------------------------------------------------------
# Values: unusual types, large values, channels appearing and disappearing
# ------------------------------------------------------------------------------------------------


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Point:
    x: int
    y: float


class Profile(BaseModel):
    name: str
    tags: list[str] = []


Pair = collections.namedtuple("Pair", "left right")


def _unusual_values() -> dict[str, Any]:
    return {
        "tuple": (1, "two", 3.0),
        "set": {1, 2, 3},
        "frozenset": frozenset({"a", "b"}),
        "bytes": b"\x00\x01\xffbinary",
        "datetime": datetime.datetime(
            2024,
            2,
            29,
            23,
            59,
            59,
            999999,
            tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30)),
        ),
        "date_time_delta": [
            datetime.date(1999, 12, 31),
            datetime.time(1, 2, 3),
            datetime.timedelta(days=2, microseconds=7),
        ],
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "decimal": decimal.Decimal("3.14159265358979323846"),
        "enum": Colour.BLUE,
        "dataclass": Point(1, 2.5),
        "pydantic": Profile(name="Zoë", tags=["a", "b"]),
        "namedtuple": Pair(1, [2, 3]),
        "path": pathlib.Path("/tmp/some file.txt"),
        "ip": ipaddress.IPv6Address("::1"),
        "deque": collections.deque([1, 2, 3]),
        "floats": [float("inf"), -0.0, 1e-300, 2**53 + 1],
        "messages": [
            HumanMessage("hi", id="h1"),
            AIMessage(
                "", id="a1", tool_calls=[{"name": "lookup", "args": {"q": "ü"}, "id": "call-1"}]
            ),
            ToolMessage("found", tool_call_id="call-1", id="t1"),
        ],
        "mixed_list": [None, b"x", "x", 1, 1.0, True, (1,), {"k": [1, 2]}, Colour.RED, Point(0, 0)],
        "duplicates": ["same", "same", "same", {"a": 1}, {"a": 1}],
        "nested_lists": [[[]], [[1], [2, [3]]], []],
        "empty_list": [],
        "empty_dict": {},
        "none": None,
        "unicode": "naïve café 日本語 🎉 \x00 inside",
        "send": [Send("node", {"arg": 1}), Send("other", [1, 2])],
    }


async def test_unusual_types_round_trip_like_the_reference(ours: Driver, ref: Driver) -> None:
    values = _unusual_values()

    async def scenario(d: Driver):
        cp, v = new_checkpoint(values)
        c = await d.put(cfg("types"), cp, {"kinds": sorted(values)}, v)
        await d.put_writes(c, [(k, val) for k, val in values.items()], "task")
        t = await d.get(c)
        return t.checkpoint["channel_values"], t.pending_writes

    (mine_values, mine_writes), (their_values, their_writes) = await both(ours, ref, scenario)
    assert set(mine_values) == set(values)
    for name in values:
        assert mine_values[name] == their_values[name], name
        assert type(mine_values[name]) is type(their_values[name]), name
    assert mine_writes == their_writes
    assert [type(w[2]) for w in mine_writes] == [type(w[2]) for w in their_writes]
    assert isinstance(mine_values["messages"][1], AIMessage)
    assert mine_values["messages"][1].tool_calls[0]["args"] == {"q": "ü"}


async def test_bytearray_values_round_trip(ours: Driver, ref: Driver) -> None:
    async def scenario(d: Driver):
        cp, v = new_checkpoint({"raw": bytearray(b"\x00raw"), "chunks": [bytearray(b"a"), b"b"]})
        c = await d.put(cfg("bytearray"), cp, {}, v)
        await d.put_writes(c, [("raw", bytearray(b"write"))], "task")
        t = await d.get(c)
        return t.checkpoint["channel_values"], t.pending_writes

    mine, theirs = await both(ours, ref, scenario)
    assert mine == theirs
    assert type(mine[0]["raw"]) is bytearray


async def test_channels_added_updated_and_cleared(ours: Driver, ref: Driver) -> None:
    # Only channels in new_versions are (re)written; the others keep their stored version;
    # a channel with a version but no value reads as absent.
    async def scenario(d: Driver):
        cp1, v1 = new_checkpoint({"a": [1, 2], "b": "keep", "c": {"x": 1}})
        c1 = await d.put(cfg("chan"), cp1, {"step": 0}, v1)
        cp2, v2 = new_checkpoint({"a": [1, 2, 3], "b": "keep", "c": {"x": 1}}, cp1, 1)
        v2 = {"a": v2["a"]}
        cp2["channel_versions"] = {**cp1["channel_versions"], **v2}
        c2 = await d.put(c1, cp2, {"step": 1}, v2)
        cp3, _ = new_checkpoint({"a": [1, 2, 3], "d": "new"}, cp2, 2)
        v3 = {"d": "00000001.aaaaaa", "c": "00000009.cccccc"}  # c: new version, no value
        cp3["channel_versions"] = {**cp2["channel_versions"], **v3}
        c3 = await d.put(c2, cp3, {"step": 2}, v3)
        return [view(await d.get(c)) for c in (c1, c2, c3)]

    mine, theirs = await both(ours, ref, scenario)
    assert mine == theirs
    assert mine[1][2] == {"a": [1, 2, 3], "b": "keep", "c": {"x": 1}}
    assert mine[2][2] == {"a": [1, 2, 3], "b": "keep", "d": "new"}


def test_values_writes_and_list_elements_beyond_16_mb(saver: GenesisSaver) -> None:
    big = "é" * (8 * 1024 * 1024 + 100)  # just over 16 MiB of UTF-8
    huge_bytes = bytes(range(256)) * (17 * 4096)  # 17 MiB
    cp, v = new_checkpoint({"text": big, "log": ["small", huge_bytes, "small"]})
    c = saver.put(cfg("big"), cp, {"size": "large"}, v)
    saver.put_writes(c, [("text", big + "!")], "task")
    saver.put_writes(c, [(ERROR, huge_bytes)], "failing")
    saver.put_writes(c, [(ERROR, "short error")], "failing")  # a large special write replaced
    t = saver.get_tuple(cfg("big"))
    assert t.checkpoint["channel_values"]["text"] == big
    assert t.checkpoint["channel_values"]["log"] == ["small", huge_bytes, "small"]
    assert t.pending_writes == [("failing", ERROR, "short error"), ("task", "text", big + "!")]
    assert list(saver.list(cfg("big"), filter={"size": "large"}))[0].checkpoint["id"] == cp["id"]


async def test_small_chunk_size_is_invisible_to_users(
    mongo_client, async_mongo_client, database_name
) -> None:
    # The same data with values split into many small pieces reads back identically.
    small = GenesisSaver(
        client=mongo_client,
        async_client=async_mongo_client,
        database=database_name,
        chunk_bytes=1024,
    )
    await small.asetup()
    values = {
        "blob": bytes(range(256)) * 40,
        "msgs": [HumanMessage("m" * 3000, id=f"m{i}") for i in range(5)],
        "types": _unusual_values(),
    }
    reference = InMemorySaver()
    results = []
    for d in (Driver(small, True), Driver(small, False), Driver(reference, False)):
        cp, v = new_checkpoint(values)
        c = await d.put(cfg(f"chunks-{d.use_async}"), cp, {}, v)
        await d.put_writes(c, [("blob", b"w" * 5000), (ERROR, "e" * 5000)], "task")
        await d.put_writes(c, [(ERROR, "e" * 9000)], "task")
        t = await d.get(c)
        results.append((t.checkpoint["channel_values"], t.pending_writes))
    assert results[0] == results[1] == results[2]


# ------------------------------------------------------------------------------------------------
# Concurrency and versions
# ------------------------------------------------------------------------------------------------


def test_concurrent_writers_on_many_threads(saver: GenesisSaver) -> None:
    errors: list[BaseException] = []
    shared_history = [f"shared message {i}" for i in range(20)]

    def worker(n: int) -> None:
        try:
            config = cfg(f"worker-{n % 4}", f"ns:{n}")
            cp: Checkpoint | None = None
            for step in range(12):
                history = shared_history + [f"w{n} s{s}" for s in range(step + 1)]
                cp, v = new_checkpoint({"history": history, "step": step}, cp, step)
                config = saver.put(config, cp, {"step": step, "worker": n}, v)
                saver.put_writes(config, [("history", f"pending {n} {step}")], f"task-{n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    for n in range(8):
        history = list(saver.list(cfg(f"worker-{n % 4}", f"ns:{n}")))
        assert len(history) == 12
        assert [t.metadata["step"] for t in history] == list(range(11, -1, -1))
        latest = history[0]
        assert latest.checkpoint["channel_values"]["history"] == shared_history + [
            f"w{n} s{s}" for s in range(12)
        ]
        assert latest.pending_writes == [(f"task-{n}", "history", f"pending {n} 11")]
        # Each checkpoint points at its predecessor.
        assert [key(t.parent_config)[2] for t in history[:-1]] == ids(history[1:])
    assert len(list(saver.list(None, filter={"worker": 3}))) == 12


async def test_concurrent_forks_of_one_checkpoint(ours: Driver) -> None:
    # Several branches written at once from the same parent (e.g. time travel from many clients).
    base = [f"m{i}" for i in range(10)]
    cp0, v0 = new_checkpoint({"msgs": base})
    c0 = await ours.put(cfg("forks"), cp0, {"step": 0}, v0)

    async def branch(n: int) -> tuple[str, list[str]]:
        cp, v = new_checkpoint({"msgs": base + [f"branch {n}"] * (n + 1)}, cp0, 1)
        if ours.use_async:
            c = await ours.saver.aput(c0, cp, {"step": 1, "branch": n}, v)
        else:
            c = await asyncio.to_thread(ours.saver.put, c0, cp, {"step": 1, "branch": n}, v)
        return c["configurable"]["checkpoint_id"], base + [f"branch {n}"] * (n + 1)

    made = await asyncio.gather(*(branch(n) for n in range(10)))
    for checkpoint_id, expected in made:
        t = await ours.get(cfg("forks", "", checkpoint_id))
        assert t.checkpoint["channel_values"]["msgs"] == expected
        assert key(t.parent_config) == ("forks", "", cp0["id"])
    assert len(await ours.list(cfg("forks"))) == 11


def test_get_next_version_orders_like_langgraph_expects(saver: GenesisSaver) -> None:
    reference = InMemorySaver()
    for start in (None, 0, 1, 41, reference.get_next_version(None, None)):
        current = start
        seen = []
        for _ in range(30):
            nxt = saver.get_next_version(current, None)
            if current is not None:
                # LangGraph compares versions with > (the same type on both sides in a thread).
                if isinstance(current, str):
                    assert nxt > current, (current, nxt)
                else:
                    assert int(nxt.split(".")[0]) > current
            seen.append(nxt)
            current = nxt
        assert seen == sorted(seen) and len(set(seen)) == len(seen)
    # Two forks from the same version get different versions (they may hold different values).
    v = saver.get_next_version(None, None)
    assert len({saver.get_next_version(v, None) for _ in range(20)}) == 20
    # Versions are comparable with what LangGraph's reference produces for the same counter.
    assert saver.get_next_version(reference.get_next_version(None, None), None) > (
        reference.get_next_version(None, None)
    )


# ------------------------------------------------------------------------------------------------
# Whole graphs compiled with the saver
# ------------------------------------------------------------------------------------------------


class Review(TypedDict):
    items: Annotated[list[str], operator.add]
    approvals: Annotated[list[str], operator.add]
    summary: str


def _review_graph(checkpointer):
    """Two reviewers ask for approval in parallel; a summary joins them."""

    def plan(state: Review) -> dict:
        return {"items": ["draft"]}

    def reviewer(name: str):
        def node(state: Review) -> dict:
            answer = interrupt({"reviewer": name, "items": state["items"]})
            return {"approvals": [f"{name}:{answer}"]}

        return node

    def summarize(state: Review) -> dict:
        return {"summary": ", ".join(sorted(state["approvals"]))}

    builder = StateGraph(Review)
    builder.add_node("plan", plan)
    builder.add_node("legal", reviewer("legal"))
    builder.add_node("finance", reviewer("finance"))
    builder.add_node("summarize", summarize)
    builder.add_edge(START, "plan")
    builder.add_edge("plan", "legal")
    builder.add_edge("plan", "finance")
    builder.add_edge(["legal", "finance"], "summarize")
    builder.add_edge("summarize", END)
    return builder.compile(checkpointer=checkpointer)


def _history(graph, config) -> list[tuple]:
    return [
        (s.values, s.next, s.metadata["source"], s.metadata["step"], len(s.tasks))
        for s in graph.get_state_history(config)
    ]


async def test_parallel_interrupts_resumed_one_by_one(ours: Driver) -> None:
    outcomes = []
    for checkpointer in (ours.saver, InMemorySaver()):
        graph = _review_graph(checkpointer)
        config = {"configurable": {"thread_id": "review"}}
        if ours.use_async:
            run = graph.ainvoke
        else:
            run = functools.partial(asyncio.to_thread, graph.invoke)
        first = await run({"items": ["idea"]}, config)
        pending = first["__interrupt__"]
        assert sorted(i.value["reviewer"] for i in pending) == ["finance", "legal"]
        state = graph.get_state(config)
        assert set(state.next) == {"legal", "finance"} and len(state.interrupts) == 2
        # Answer only one of the two interrupts: the other stays pending.
        legal = next(i for i in pending if i.value["reviewer"] == "legal")
        second = await run(Command(resume={legal.id: "ok"}), config)
        assert [i.value["reviewer"] for i in second["__interrupt__"]] == ["finance"]
        finance = second["__interrupt__"][0]
        final = await run(Command(resume={finance.id: "approved"}), config)
        assert final["summary"] == "finance:approved, legal:ok"
        assert graph.get_state(config).next == ()
        outcomes.append((final, _history(graph, config)))
    assert outcomes[0] == outcomes[1]


class Fork(TypedDict):
    log: Annotated[list[str], operator.add]
    left: str
    right: str
    total: Annotated[int, operator.add]


def _flaky_graph(checkpointer, calls: collections.Counter, fail: dict):
    left_done = threading.Event()

    def start(state: Fork) -> dict:
        calls["start"] += 1
        return {"log": ["start"], "total": 1}

    def left(state: Fork) -> dict:
        calls["left"] += 1
        left_done.set()
        return {"left": "L", "log": ["left"], "total": 10}

    def right(state: Fork) -> dict:
        calls["right"] += 1
        if fail["right"]:
            # Fail only once the sibling has finished (and its writes were handed to the saver);
            # otherwise LangGraph itself may drop them when the step aborts.
            left_done.wait(5)
            time.sleep(0.3)
            raise RuntimeError("right branch failed")
        return {"right": "R", "log": ["right"], "total": 100}

    def join(state: Fork) -> dict:
        calls["join"] += 1
        return {"log": [f"join {state['left']}{state['right']} {state['total']}"]}

    builder = StateGraph(Fork)
    for name, fn in (("start", start), ("left", left), ("right", right), ("join", join)):
        builder.add_node(name, fn)
    builder.add_edge(START, "start")
    builder.add_edge("start", "left")
    builder.add_edge("start", "right")
    builder.add_edge(["left", "right"], "join")
    builder.add_edge("join", END)
    return builder.compile(checkpointer=checkpointer)


def test_failed_branch_retried_without_rerunning_successful_siblings(saver: GenesisSaver) -> None:
    outcomes = []
    for checkpointer in (saver, InMemorySaver()):
        calls: collections.Counter = collections.Counter()
        fail = {"right": True}
        graph = _flaky_graph(checkpointer, calls, fail)
        config = {"configurable": {"thread_id": "flaky"}}
        with pytest.raises(RuntimeError, match="right branch failed"):
            graph.invoke({"log": []}, config)
        state = graph.get_state(config)
        assert set(state.next) == {"right"}  # left's writes were saved: it is done
        errors = {t.name: t.error for t in state.tasks}
        assert errors == {"left": None, "right": errors["right"]}
        assert "right branch failed" in repr(errors["right"])
        assert state.tasks[0].result == {"left": "L", "log": ["left"], "total": 10}
        fail["right"] = False
        final = graph.invoke(None, config)
        # The successful sibling's writes were saved as pending writes: it is not run again.
        assert dict(calls) == {"start": 1, "left": 1, "right": 2, "join": 1}
        assert final["log"][-1] == "join LR 111"
        outcomes.append((final, _history(graph, config)))
    assert outcomes[0] == outcomes[1]


class Jobs(TypedDict):
    jobs: list[str]
    done: Annotated[list[str], operator.add]


async def test_send_tasks_with_an_interrupt_keep_finished_results(
    async_saver: GenesisSaver,
) -> None:
    outcomes = []
    for checkpointer in (async_saver, InMemorySaver()):
        calls: collections.Counter = collections.Counter()

        def fan_out(state: Jobs) -> list[Send]:
            return [Send("work", {"job": j}) for j in state["jobs"]]

        def work(arg: dict, calls: collections.Counter = calls) -> dict:
            calls[arg["job"]] += 1
            if arg["job"].startswith("risky"):
                ok = interrupt(f"run {arg['job']}?")
                return {"done": [f"{arg['job']}={ok}"]}
            return {"done": [arg["job"]]}

        builder = StateGraph(Jobs)
        builder.add_node("work", work)
        builder.add_conditional_edges(START, fan_out, ["work"])
        builder.add_edge("work", END)
        graph = builder.compile(checkpointer=checkpointer)
        config = {"configurable": {"thread_id": "jobs"}}
        jobs = [f"job{i}" for i in range(6)] + ["risky-a"]
        first = await graph.ainvoke({"jobs": jobs, "done": []}, config)
        assert [i.value for i in first["__interrupt__"]] == ["run risky-a?"]
        final = await graph.ainvoke(Command(resume="yes"), config)
        assert sorted(final["done"]) == sorted([f"job{i}" for i in range(6)] + ["risky-a=yes"])
        # Only the interrupted Send task ran again.
        assert all(calls[f"job{i}"] == 1 for i in range(6)) and calls["risky-a"] == 2
        history = [s async for s in graph.aget_state_history(config)]
        outcomes.append((sorted(final["done"]), [(s.metadata["step"], s.next) for s in history]))
    assert outcomes[0] == outcomes[1]


class Doc(TypedDict):
    trail: Annotated[list[str], operator.add]


def _three_level_graph(checkpointer):
    def inner_ask(state: Doc) -> dict:
        answer = interrupt({"depth": 3, "trail": state["trail"]})
        return {"trail": [f"inner:{answer}"]}

    inner = StateGraph(Doc)
    inner.add_node("ask", inner_ask)
    inner.add_edge(START, "ask")

    middle = StateGraph(Doc)
    middle.add_node("prep", lambda s: {"trail": ["middle:prep"]})
    middle.add_node("inner", inner.compile())
    middle.add_edge(START, "prep")
    middle.add_edge("prep", "inner")

    outer = StateGraph(Doc)
    outer.add_node("first", lambda s: {"trail": ["outer:first"]})
    outer.add_node("middle", middle.compile())
    outer.add_node("last", lambda s: {"trail": ["outer:last"]})
    outer.add_edge(START, "first")
    outer.add_edge("first", "middle")
    outer.add_edge("middle", "last")
    return outer.compile(checkpointer=checkpointer)


async def test_nested_subgraphs_interrupt_and_resume(async_saver: GenesisSaver) -> None:
    outcomes = []
    for checkpointer in (async_saver, InMemorySaver()):
        graph = _three_level_graph(checkpointer)
        config = {"configurable": {"thread_id": "nested-3"}}
        first = await graph.ainvoke({"trail": ["start"]}, config)
        assert first["__interrupt__"][0].value["depth"] == 3
        state = await graph.aget_state(config, subgraphs=True)
        middle_state = state.tasks[0].state
        inner_state = middle_state.tasks[0].state
        inner_ns = inner_state.config["configurable"]["checkpoint_ns"]
        assert inner_ns.startswith("middle:") and "|inner:" in inner_ns
        assert inner_state.values["trail"] == ["start", "outer:first", "middle:prep"]
        # Each level keeps its own history in its own namespace of the thread.
        inner_cps = [
            t
            async for t in checkpointer.alist(
                {"configurable": {"thread_id": "nested-3", "checkpoint_ns": inner_ns}}
            )
        ]
        assert inner_cps and all(
            t.config["configurable"]["checkpoint_ns"] == inner_ns for t in inner_cps
        )
        final = await graph.ainvoke(Command(resume="signed"), config)
        assert "inner:signed" in final["trail"] and final["trail"][-1] == "outer:last"
        root = [s async for s in graph.aget_state_history(config)]
        outcomes.append((final, len(inner_cps), [(s.metadata["step"], s.next) for s in root]))
    assert outcomes[0] == outcomes[1]


class Counter(TypedDict):
    n: int


class Chain(TypedDict):
    steps: Annotated[list[str], operator.add]


def test_history_listing_through_the_graph_api(saver: GenesisSaver) -> None:
    results = []
    for checkpointer in (saver, InMemorySaver()):
        builder = StateGraph(Counter)
        builder.add_node("inc", lambda s: {"n": s["n"] + 1})
        builder.add_edge(START, "inc")
        graph = builder.compile(checkpointer=checkpointer)
        config = {"configurable": {"thread_id": "counter"}}
        for i in range(4):
            graph.invoke({"n": i * 10}, config)
        full = list(graph.get_state_history(config))
        inputs = list(graph.get_state_history(config, filter={"source": "input"}))
        older = list(graph.get_state_history(config, before=full[3].config, limit=2))
        replay = graph.invoke(None, full[4].config)  # re-run from an earlier checkpoint
        results.append(
            (
                [s.values for s in full],
                [s.values for s in inputs],
                [s.values for s in older],
                replay,
                len(list(graph.get_state_history(config))),
            )
        )
    assert results[0] == results[1]
    assert len(results[0][0]) == 12 and len(results[0][1]) == 4 and len(results[0][2]) == 2


@pytest.mark.parametrize("durability", ["exit", "async", "sync"])
async def test_durability_modes_store_the_same_history(
    durability: str, async_saver: GenesisSaver
) -> None:
    histories = []
    for checkpointer in (async_saver, InMemorySaver()):
        builder = StateGraph(Chain)
        for name in ("a", "b", "c"):
            builder.add_node(name, lambda s, name=name: {"steps": [name]})
        builder.add_edge(START, "a")
        builder.add_edge("a", "b")
        builder.add_edge("b", "c")
        graph = builder.compile(checkpointer=checkpointer)
        config = {"configurable": {"thread_id": f"durable-{durability}"}}
        await graph.ainvoke({"steps": ["in"]}, config, durability=durability)
        await graph.ainvoke({"steps": ["again"]}, config, durability=durability)
        histories.append(
            [(s.values, s.next, s.metadata["step"]) async for s in graph.aget_state_history(config)]
        )
    assert histories[0] == histories[1]
    assert histories[0][0][0]["steps"] == ["in", "a", "b", "c", "again", "a", "b", "c"]


def _append_all(current: list | None, batches: list) -> list:
    # Batching-invariant, as DeltaChannel requires.
    out = list(current or [])
    for batch in batches:
        out.extend(batch if isinstance(batch, list) else [batch])
    return out


if DeltaChannel is not None:

    class Chat(TypedDict):
        messages: Annotated[list, DeltaChannel(_append_all, snapshot_frequency=3)]


@pytest.mark.skipif(DeltaChannel is None, reason="this LangGraph has no DeltaChannel")
async def test_delta_channel_state_is_rebuilt_from_history(async_saver: GenesisSaver) -> None:
    def respond(state: Chat) -> dict:
        return {"messages": [f"reply to {state['messages'][-1]} ({len(state['messages'])})"]}

    outcomes = []
    for checkpointer in (async_saver, InMemorySaver()):
        builder = StateGraph(Chat)
        builder.add_node("respond", respond)
        builder.add_edge(START, "respond")
        graph = builder.compile(checkpointer=checkpointer)
        config = {"configurable": {"thread_id": "delta"}}
        for turn in range(5):
            await graph.ainvoke({"messages": [f"user {turn}"]}, config)
        state = await graph.aget_state(config)
        history = [s.values async for s in graph.aget_state_history(config)]
        outcomes.append((state.values, history))
    assert outcomes[0] == outcomes[1]
    assert len(outcomes[0][0]["messages"]) == 10
    assert outcomes[0][0]["messages"][-1] == "reply to user 4 (9)"
