"""Messages added to a session outside a graph, delivered to the checkpointer's thread (pure).

``SessionManager.add_message`` (and ``handoff_to_agent``) must make a graph that resumes the
session's thread see the new messages, even when several writers add messages at once. The
messages travel as LangGraph *null-task writes* on the thread's latest checkpoint: pending
writes with task id ``00000000-0000-0000-0000-000000000000``, which LangGraph applies to the
channels when a run starts from that checkpoint (as it does for the writes of
``Command(update=...)``), and which ``graph.get_state`` shows. They go through the
checkpointer's public API (``put_writes``), so no checkpoint is built by hand except a base
for a thread that has none and, rarely, a compaction (both like ``graph.update_state``).

Why this loses nothing. ``put_writes`` stores a regular write under ``(task_id, idx)`` only if
that index is free (every LangGraph saver: first writer wins), and a write's ``idx`` is its
position in the list. So all writers must agree on the list of writes for a checkpoint: the
session value keeps it (``thread.queue``), changed only by compare-and-set. Each writer queues
its entries with the compare-and-set and then sends the whole list; the lists of successive
revisions extend each other, so whatever order the ``put_writes`` calls land in, the stored
writes are the longest list. The thread state in the session value::

    {"checkpoint_id": C,   # the checkpoint the queue hangs on
     "offset": k,          # null writes C already had from elsewhere (kept in front)
     "queue": [entry...],  # {"channel": "messages", "message": {...}} or
                           # {"channel": "active_agent", "value": "billing", "with": msg_id}
     "create": None | {"parent": P, "step": s, "entries": [...]}}  # C still to be written

* A thread without a checkpoint gets a base checkpoint (empty, step -1) whose id is chosen
  inside the compare-and-set; any writer that finds it missing writes it (idempotent).
* When a graph ran meanwhile (the latest checkpoint is not ``C``), its run applied ``C``'s
  writes; the queue restarts on the new latest checkpoint. (Messages of a planned checkpoint
  that was never written are carried over, unless the new checkpoint has them.)
* After :data:`COMPACT_AFTER` queued entries, the next writer plans a new checkpoint holding
  them (``create``), so the session value stays small.

A run and ``add_message`` on the same thread at the same moment race as LangGraph's own
``update_state`` does (a message queued while a run starts may miss that run); the session
value still holds every message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    copy_checkpoint,
    empty_checkpoint,
)
from langgraph.checkpoint.base.id import uuid6
from langgraph.graph.message import add_messages

from langgraph_genesis_memory.sessions._records import to_langchain

NULL_TASK_ID = "00000000-0000-0000-0000-000000000000"
"""LangGraph's task id for writes that are input to the next run (``Command(update=...)``)."""

MESSAGES = "messages"
"""The state key of the conversation (``MessagesState``, prebuilt agents, swarms)."""

COMPACT_AFTER = 50
"""Queued entries after which the queue is folded into a new checkpoint."""


@dataclass(frozen=True)
class ThreadView:
    """What a session operation needs of the thread's latest checkpoint.

    Attributes:
        tup: The checkpoint tuple (``checkpoint_ns`` ``""``).
    """

    tup: CheckpointTuple

    @property
    def id(self) -> str:
        """The checkpoint id."""
        return str(self.tup.checkpoint["id"])

    @property
    def step(self) -> int:
        """The checkpoint's super-step (``metadata["step"]``; -1 when absent)."""
        return int((self.tup.metadata or {}).get("step", -1))

    @property
    def null_writes(self) -> list[tuple[str, Any]]:
        """The null-task writes stored on the checkpoint, ``(channel, value)``."""
        return [(w[1], w[2]) for w in self.tup.pending_writes or () if w[0] == NULL_TASK_ID]

    def messages(self) -> list[BaseMessage]:
        """The conversation a run starting here sees: the ``messages`` channel with the null
        writes applied (LangGraph's ``add_messages``)."""
        value: Any = list((self.tup.checkpoint.get("channel_values") or {}).get(MESSAGES) or [])
        for channel, write in self.null_writes:
            if channel == MESSAGES:
                value = add_messages(value, write)
        return list(value)


def view(tup: CheckpointTuple | None) -> ThreadView | None:
    """A :class:`ThreadView` of a checkpoint tuple (``None`` for a thread without one)."""
    return None if tup is None else ThreadView(tup)


def message_entry(message: Mapping[str, Any]) -> dict[str, Any]:
    """A queue entry carrying a stored message."""
    return {"channel": MESSAGES, "message": dict(message)}


def value_entry(channel: str, value: Any, with_message: str) -> dict[str, Any]:
    """A queue entry setting ``channel`` (e.g. ``active_agent``), tied to a message's id."""
    return {"channel": channel, "value": value, "with": with_message}


def _new_id(step: int) -> str:
    return str(uuid6(clock_seq=step))


def _carry(entries: Sequence[Mapping[str, Any]], present: set[str]) -> list[dict[str, Any]]:
    kept = [dict(e) for e in entries if "message" in e and e["message"]["id"] not in present]
    ids = {e["message"]["id"] for e in kept}
    return [dict(e) for e in entries if ("message" in e and e["message"]["id"] in ids)
            or e.get("with") in ids]  # fmt: skip


def enqueue(
    thread: Mapping[str, Any] | None,
    latest: ThreadView | None,
    entries: Sequence[Mapping[str, Any]],
    *,
    compact_after: int | None = None,
    new_id: Callable[[int], str] = _new_id,
) -> dict[str, Any]:
    """The session's thread state after queueing ``entries`` (run inside a compare-and-set).

    Args:
        thread: The current thread state (``None``: nothing queued yet).
        latest: The thread's latest checkpoint, read in the same attempt.
        entries: Queue entries (:func:`message_entry`, :func:`value_entry`); may be empty
            (then only re-targets a stale queue).
        compact_after: Queue length that triggers a compaction (default
            :data:`COMPACT_AFTER`).
        new_id: Makes a checkpoint id for a super-step (LangGraph's ``uuid6``).

    Returns:
        The new thread state (a new dict).
    """
    limit = COMPACT_AFTER if compact_after is None else compact_after
    new = [dict(e) for e in entries]
    state = None if thread is None else {**thread, "queue": list(thread.get("queue") or ())}
    if state is not None and state.get("create") and latest is not None:
        if latest.id == state["checkpoint_id"]:
            state["create"] = None  # the planned checkpoint exists: it is the latest
    if latest is None:
        planned = state is not None and state.get("create") and state["create"]["parent"] is None
        if state is None or not planned:  # (a deleted thread starts afresh)
            return {"checkpoint_id": new_id(-1), "offset": 0, "queue": new,
                    "create": {"parent": None, "step": -1, "entries": []}}  # fmt: skip
        state["queue"] += new
        return state
    create = (state or {}).get("create")
    if state is not None and create and create["parent"] == latest.id:
        state["queue"] += new  # the planned checkpoint is still to be written on ``latest``
        return state
    if state is not None and state["checkpoint_id"] == latest.id:
        if state["offset"] == 0 and len(state["queue"]) >= limit:
            return {"checkpoint_id": new_id(latest.step + 1), "offset": 0, "queue": new,
                    "create": {"parent": latest.id, "step": latest.step + 1,
                               "entries": state["queue"]}}  # fmt: skip
        state["queue"] += new
        return state
    # The thread moved on: restart the queue on the latest checkpoint. A run that started from
    # the queue's checkpoint applied its writes (and may since have trimmed or summarized those
    # messages: they are not sent again). Entries of a planned checkpoint that was never
    # written reached no checkpoint: they are carried over unless the latest one has them.
    carried: list[dict[str, Any]] = []
    if state is not None and create:
        present = {m.id for m in latest.messages() if m.id}
        carried = _carry([*(create.get("entries") or ()), *state["queue"]], present)
    return {"checkpoint_id": latest.id, "offset": len(latest.null_writes),
            "queue": carried + new, "create": None}  # fmt: skip


def entry_write(entry: Mapping[str, Any]) -> tuple[str, Any]:
    """The ``(channel, value)`` write of a queue entry."""
    if "message" in entry:
        return MESSAGES, to_langchain(entry["message"])
    return str(entry["channel"]), entry["value"]


def thread_config(thread_id: str, checkpoint_id: str | None = None) -> RunnableConfig:
    """The config addressing a thread's root namespace (and one checkpoint)."""
    configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ""}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def build_checkpoint(
    saver: Any,
    parent: ThreadView | None,
    checkpoint_id: str,
    step: int,
    entries: Sequence[Mapping[str, Any]],
) -> tuple[Checkpoint, CheckpointMetadata, dict[str, Any]]:
    """A checkpoint like ``graph.update_state`` writes: ``parent`` (with its null writes) plus
    ``entries``, or an empty base checkpoint when ``parent`` is ``None``.

    Args:
        saver: The checkpointer (for ``get_next_version``).
        parent: The checkpoint to extend.
        checkpoint_id: The new checkpoint's id (chosen by a compare-and-set).
        step: Its super-step.
        entries: Queue entries to apply on top of ``parent``'s null writes.

    Returns:
        ``(checkpoint, metadata, new_versions)`` for ``saver.put``.
    """
    if parent is None:
        checkpoint = empty_checkpoint()
        writes: list[tuple[str, Any]] = [entry_write(e) for e in entries]
        parents: dict[str, str] = {}
    else:
        checkpoint = copy_checkpoint(parent.tup.checkpoint)
        writes = [*parent.null_writes, *(entry_write(e) for e in entries)]
        parents = {}
    checkpoint["id"] = checkpoint_id
    values = checkpoint["channel_values"]
    versions = checkpoint["channel_versions"]
    new_versions: dict[str, Any] = {}
    for channel, value in writes:
        if channel == MESSAGES:
            values[MESSAGES] = add_messages(list(values.get(MESSAGES) or []), value)
        else:
            values[channel] = value
        if channel not in new_versions:
            new_versions[channel] = saver.get_next_version(versions.get(channel), None)
    versions.update(new_versions)
    checkpoint["updated_channels"] = sorted(new_versions) or None
    metadata: CheckpointMetadata = {"source": "update", "step": step, "parents": parents}
    return checkpoint, metadata, new_versions


@dataclass(frozen=True)
class CheckpointRead:
    """Read the latest checkpoint tuple of ``config`` (``None`` without a checkpointer)."""

    config: RunnableConfig


@dataclass(frozen=True)
class CheckpointCreate:
    """Write the checkpoint a thread state plans (:func:`build_checkpoint`); returns its config."""

    thread_id: str
    parent: ThreadView | None
    checkpoint_id: str
    step: int
    entries: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class CheckpointWrites:
    """``put_writes`` of null-task writes on one checkpoint."""

    config: RunnableConfig
    writes: tuple[tuple[str, Any], ...]


def plan_deliver(
    thread_id: str, thread: Mapping[str, Any] | None, latest: ThreadView | None
) -> Any:
    """Send a thread state's queue to the checkpointer (after its compare-and-set).

    Yields a :class:`CheckpointCreate` when the state plans a checkpoint that is not the latest
    yet, then one :class:`CheckpointWrites` with the whole list of writes.

    Returns:
        ``True`` if delivered; ``False`` if the thread moved on since ``latest`` was read (the
        caller queues again, with no entries, to re-target the queue).
    """
    if not thread:
        return True
    target = thread["checkpoint_id"]
    create = thread.get("create")
    on_target = latest is not None and latest.id == target
    if create and not on_target:
        parent_id = create["parent"]
        if parent_id is None and latest is not None:
            return False
        if parent_id is not None and (latest is None or latest.id != parent_id):
            return False
        yield CheckpointCreate(thread_id, latest if parent_id else None, target, create["step"],
                               tuple(create["entries"]))  # fmt: skip
        foreign: list[tuple[str, Any]] = []
    elif not on_target:
        return False
    else:
        assert latest is not None
        foreign = latest.null_writes[: thread["offset"]]
    writes = (*foreign, *(entry_write(e) for e in thread.get("queue") or ()))
    if writes:
        yield CheckpointWrites(thread_config(thread_id, target), tuple(writes))
    return True
