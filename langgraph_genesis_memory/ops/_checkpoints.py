"""Checkpoint tuples as backup records, and as the calls that store them (pure functions).

Any LangGraph ``BaseCheckpointSaver`` is read through ``list``/``get_tuple`` (a
``CheckpointTuple``: config, checkpoint with its channel values, metadata, parent config and
pending writes) and written through ``put``/``put_writes``: the checkpoint with every channel
version as new (so every channel value is stored), then each task's pending writes, under the
same thread, namespace and checkpoint ids. See :mod:`langgraph_genesis_memory.ops._records` for
the record layout.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import CheckpointTuple
from langgraph.checkpoint.serde.base import SerializerProtocol

from langgraph_genesis_memory.errors import BackupFormatError
from langgraph_genesis_memory.ops._requests import PutCheckpoint, PutWrites


def _typed(serde: SerializerProtocol, value: Any) -> list[str]:
    kind, data = serde.dumps_typed(value)
    return [kind, base64.b64encode(bytes(data)).decode("ascii")]


def _untyped(serde: SerializerProtocol, pair: Any, line: object, what: str) -> Any:
    try:
        kind, data = pair
        return serde.loads_typed((str(kind), base64.b64decode(data, validate=True)))
    except (TypeError, ValueError, binascii.Error) as exc:
        raise BackupFormatError(f"line {line}: {what} cannot be read ({exc}).") from exc


def ids_of(config: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """``(thread_id, checkpoint_ns, checkpoint_id)`` of a config."""
    conf = config.get("configurable") or {}
    return str(conf["thread_id"]), str(conf.get("checkpoint_ns") or ""), conf.get("checkpoint_id")


def checkpoint_config(thread_id: str, ns: str, checkpoint_id: str | None) -> RunnableConfig:
    """A config naming a thread, a namespace and (optionally) a checkpoint."""
    conf: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ns}
    if checkpoint_id is not None:
        conf["checkpoint_id"] = checkpoint_id
    return {"configurable": conf}


def checkpoint_record(tup: CheckpointTuple, serde: SerializerProtocol) -> dict[str, Any]:
    """The backup record of a checkpoint tuple (values serialized with ``serde``)."""
    thread_id, ns, checkpoint_id = ids_of(tup.config)
    parent = ids_of(tup.parent_config)[2] if tup.parent_config else None
    return {
        "type": "checkpoint",
        "thread_id": thread_id,
        "checkpoint_ns": ns,
        "checkpoint_id": checkpoint_id or tup.checkpoint["id"],
        "parent_checkpoint_id": parent,
        "checkpoint": _typed(serde, tup.checkpoint),
        "metadata": _typed(serde, tup.metadata),
        "writes": [[t, c, *_typed(serde, v)] for t, c, v in tup.pending_writes or ()],
    }


def check_checkpoint_record(record: Mapping[str, Any]) -> None:
    """Check the structure of a checkpoint record (not its payloads).

    Raises:
        BackupFormatError: If a field is missing or of the wrong type.
    """
    line = record.get("_line", "?")
    for name in ("thread_id", "checkpoint_id"):
        if not isinstance(record.get(name), str) or not record[name]:
            raise BackupFormatError(f"line {line}: the checkpoint record has no {name}.")
    if not isinstance(record.get("checkpoint_ns", ""), str):
        raise BackupFormatError(f"line {line}: checkpoint_ns is not a string.")
    for name in ("checkpoint", "metadata"):
        pair = record.get(name)
        if not isinstance(pair, list) or len(pair) != 2:
            raise BackupFormatError(f"line {line}: {name} is not a [type, data] pair.")
    writes = record.get("writes") or []
    if not isinstance(writes, list) or not all(isinstance(w, list) and len(w) == 4 for w in writes):
        raise BackupFormatError(f"line {line}: writes are not [task, channel, type, data] lists.")


def tuple_of_record(record: Mapping[str, Any], serde: SerializerProtocol) -> CheckpointTuple:
    """Invert :func:`checkpoint_record`.

    Raises:
        BackupFormatError: If the record is malformed or a payload cannot be deserialized.
    """
    check_checkpoint_record(record)
    line = record.get("_line", "?")
    thread_id, ns = record["thread_id"], record.get("checkpoint_ns") or ""
    parent = record.get("parent_checkpoint_id")
    return CheckpointTuple(
        config=checkpoint_config(thread_id, ns, record["checkpoint_id"]),
        checkpoint=_untyped(serde, record["checkpoint"], line, "the checkpoint"),
        metadata=_untyped(serde, record["metadata"], line, "the metadata"),
        parent_config=checkpoint_config(thread_id, ns, parent) if parent else None,
        pending_writes=[
            (str(t), str(c), _untyped(serde, [k, d], line, "a pending write"))
            for t, c, k, d in record.get("writes") or ()
        ],
    )


def store_calls(tup: CheckpointTuple) -> list[PutCheckpoint | PutWrites]:
    """The ``put`` and ``put_writes`` calls that store a checkpoint tuple in another saver.

    The checkpoint goes with all its channel versions as new (so every channel value is
    written); pending writes follow, one ``put_writes`` per task, in their order.
    """
    thread_id, ns, checkpoint_id = ids_of(tup.config)
    parent = ids_of(tup.parent_config)[2] if tup.parent_config else None
    checkpoint: dict[str, Any] = dict(cast(Mapping[str, Any], tup.checkpoint))
    calls: list[PutCheckpoint | PutWrites] = [
        PutCheckpoint(
            checkpoint_config(thread_id, ns, parent),
            checkpoint,
            dict(cast(Mapping[str, Any], tup.metadata or {})),
            dict(checkpoint.get("channel_versions") or {}),
        )
    ]
    by_task: dict[str, list[tuple[str, Any]]] = {}
    for task_id, channel, value in tup.pending_writes or ():
        by_task.setdefault(task_id, []).append((channel, value))
    target = checkpoint_config(thread_id, ns, checkpoint_id or str(checkpoint["id"]))
    calls.extend(PutWrites(target, writes, task_id) for task_id, writes in by_task.items())
    return calls


def same_checkpoint(a: CheckpointTuple | None, b: CheckpointTuple | None) -> bool:
    """Whether two savers hold the same checkpoint: id, parent, channel values and versions,
    metadata, and pending writes (as sets of ``(task, channel, value)``)."""
    if a is None or b is None:
        return a is b
    left, right = a.checkpoint, b.checkpoint
    parents = [ids_of(t.parent_config)[2] if t.parent_config else None for t in (a, b)]

    def writes(t: CheckpointTuple) -> list[Any]:
        return sorted((w[0], w[1], repr(w[2])) for w in t.pending_writes or ())

    return bool(
        left["id"] == right["id"]
        and parents[0] == parents[1]
        and left.get("channel_values") == right.get("channel_values")
        and left.get("channel_versions") == right.get("channel_versions")
        and dict(a.metadata or {}) == dict(b.metadata or {})
        and writes(a) == writes(b)
    )
