"""The saver's logic, written once for sync and async (pure: it only yields requests).

Each ``plan_*`` generator yields :mod:`langgraph_genesis_memory._mongo` requests and receives
their results; :class:`~langgraph_genesis_memory.checkpoint._saver.GenesisSaver` runs them with
``run_sync`` (``MongoClient``) or ``run_async`` (``AsyncMongoClient``). Semantics follow
LangGraph's reference ``InMemorySaver``.

Plans are pure: the saver passes in what they need from outside (the time, ``now_ms``, in epoch
milliseconds; its :class:`~langgraph_genesis_memory.checkpoint._known.KnownElements`, read
only), and plans return what the saver should remember (``plan_put`` returns the
:class:`~langgraph_genesis_memory.checkpoint._known.ElementsStored`; deleting plans return the
threads they touched); the saver updates its state after the plan succeeded.

Round trips: ``put`` 1 (one ordered ``bulk_write``: new values, then the checkpoint that
refers to them, so a crash never leaves a checkpoint pointing at missing values);
``put_writes`` 1 (one ``bulk_write`` for all writes); ``get_tuple`` at most 3 and ``list`` at
most 3 per page of 100, whatever the number of channels or writes (a fourth only for values
over the chunk size); ``delete_thread`` 1; ``copy_thread`` 3; ``prune`` and
``delete_for_runs`` at most 5, whatever the number of threads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_checkpoint_metadata,
    writes_sort_key,
)
from pymongo import UpdateOne

from langgraph_genesis_memory._mongo import (
    BulkWrite,
    Delete,
    Find,
    Parallel,
    Request,
    Update,
)
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.checkpoint._documents import (
    DIGEST_BYTES,
    ID_SEP,
    Codec,
    Collections,
    assemble_bytes,
    blob_id,
    checkpoint_doc_id,
    chunk_ids,
    chunk_owners,
    element_id,
    filter_terms,
    metadata_filter,
    plain_metadata,
    read_config,
    stored_field,
    task_doc_id,
    task_writes,
    thread_doc_id,
    write_doc_id,
    write_key,
)
from langgraph_genesis_memory.checkpoint._known import ElementsStored, KnownElements
from langgraph_genesis_memory.errors import ConfigurationError

LIST_PAGE_SIZE = 100
"""Checkpoints fetched per round trip by ``list``."""

PRUNE_STRATEGIES = ("keep_latest", "delete")
"""The strategies of ``prune`` (LangGraph ``BaseCheckpointSaver.prune``)."""

_VALUE_KINDS = ["value", "list", "empty"]


@dataclass(frozen=True)
class SaverSchema:
    """What the plans need to know about the saver.

    Attributes:
        collections: The collection names.
        codec: Serialization into documents.
        ttl_minutes: Thread TTL in minutes, refreshed on every write; ``None`` never expires.
    """

    collections: Collections
    codec: Codec
    ttl_minutes: float | None = None


def _overwrite(doc: Mapping[str, Any]) -> UpdateOne:
    rest = {k: v for k, v in doc.items() if k != "_id"}
    return UpdateOne({"_id": doc["_id"]}, {"$set": rest}, upsert=True)


def _insert_if_absent(doc: Mapping[str, Any]) -> UpdateOne:
    rest = {k: v for k, v in doc.items() if k != "_id"}
    return UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": rest}, upsert=True)


def _refresh(schema: SaverSchema, thread_ids: Iterable[str], now_ms: int) -> list[UpdateOne]:
    """Updates that push the threads' expiry ``ttl_minutes`` past ``now_ms`` (if TTL is on)."""
    if schema.ttl_minutes is None:
        return []
    expires = now_ms + int(schema.ttl_minutes * 60_000)
    return [
        UpdateOne(
            {"_id": thread_doc_id(t)},
            {
                "$set": {
                    "kind": "thread",
                    "thread_id": t,
                    "expires_at_ms": expires,
                    "touched_at_ms": now_ms,
                }
            },
            upsert=True,
        )
        for t in _unique(thread_ids)
    ]


def _config(thread_id: str, ns: str, checkpoint_id: str) -> RunnableConfig:
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": ns,
            "checkpoint_id": checkpoint_id,
        }
    }


# -- writing -------------------------------------------------------------------------------------
def plan_put(
    schema: SaverSchema,
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    new_versions: ChannelVersions,
    known: KnownElements,
    now_ms: int,
) -> Plan[tuple[RunnableConfig, ElementsStored]]:
    """Store a checkpoint; only the channels in ``new_versions`` get new values.

    Args:
        schema: The saver's schema.
        config: The parent's config (``thread_id``, ``checkpoint_ns``, parent id).
        checkpoint, metadata, new_versions: As LangGraph's ``BaseCheckpointSaver.put``.
        known: The saver's record of stored list elements (read only: elements it knows
            are stored are not sent again).
        now_ms: The current time in epoch milliseconds (refreshes the thread's TTL).

    Returns:
        A plan whose value is the config of the stored checkpoint (thread, namespace,
        checkpoint id) and the list elements now stored, for the saver to record in
        ``known`` (:meth:`KnownElements.record`).
    """
    thread_id, ns, parent_id = read_config(config)
    codec = schema.codec
    cp: dict[str, Any] = dict(checkpoint)
    values: dict[str, Any] = cp.pop("channel_values", None) or {}
    blob_ops: list[UpdateOne] = []
    digests: set[bytes] = set()
    for channel, version in new_versions.items():
        rid = blob_id(thread_id, ns, channel, version)
        if channel in values:
            blobs, elements, found = codec.channel_docs(
                thread_id, ns, parent_id, rid, values[channel], known
            )
        else:
            blobs, elements, found = [codec.empty_doc(thread_id, ns, rid)], [], set()
        blob_ops.extend(_insert_if_absent(d) for d in elements)
        blob_ops.extend(_overwrite(d) for d in blobs)
        digests |= found
    md = get_checkpoint_metadata(config, metadata)
    cp_type, cp_blob = codec.dumps(cp)
    md_type, md_blob = codec.dumps(md)
    checkpoint_id = str(checkpoint["id"])
    doc = {
        "_id": checkpoint_doc_id(thread_id, ns, checkpoint_id),
        "kind": "checkpoint",
        "thread_id": thread_id,
        "checkpoint_ns": ns,
        "checkpoint_id": checkpoint_id,
        "parent_checkpoint_id": parent_id,
        "type": cp_type,
        "checkpoint": cp_blob,
        "metadata_type": md_type,
        "metadata_blob": md_blob,
        "metadata": plain_metadata(md),
        "metadata_terms": filter_terms(md),
        "versions": [[ch, v] for ch, v in checkpoint["channel_versions"].items()],
    }
    ops = [*_refresh(schema, [thread_id], now_ms), *blob_ops, _overwrite(doc)]
    yield BulkWrite(ops, ordered=True, collection=schema.collections.checkpoints)
    stored = ElementsStored(thread_id, ns, parent_id, checkpoint_id, frozenset(digests))
    return _config(thread_id, ns, checkpoint_id), stored


MAX_PUT_WRITES_ATTEMPTS = 16
"""Compare-and-set attempts of a ``put_writes`` that meets concurrent writers of one task."""


def _task_entries(
    schema: SaverSchema, cp_id: str, thread_id: str, ns: str, task_id: str, writes: Any
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The writes of one ``put_writes`` call as entries of the task's document, and the chunk
    documents of payloads too large to keep inline (:meth:`Codec.inline_record`)."""
    codec = schema.codec
    entries: dict[str, dict[str, Any]] = {}
    chunks: list[dict[str, Any]] = []
    budget = codec.chunk_bytes
    for i, (channel, value) in enumerate(writes):
        idx = WRITES_IDX_MAP.get(channel, i)
        rec_id = write_doc_id(cp_id, task_id, idx)
        entry, spilled = codec.inline_record(rec_id, thread_id, ns, *codec.dumps(value), budget)
        budget -= len(entry["blob"])
        entries[write_key(idx)] = {"idx": idx, "channel": channel, **entry}
        chunks.extend(spilled)
    return entries, chunks


def plan_put_writes(
    schema: SaverSchema,
    config: RunnableConfig,
    writes: Sequence[tuple[str, Any]],
    task_id: str,
    task_path: str = "",
) -> Plan[None]:
    """Store a task's pending writes so that they become visible all together or not at all.

    All pending writes of one task for one checkpoint live in ONE document (``_id``
    ``checkpoint _id US task_id``, its writes under ``w``), so a crash can never leave part of a
    call's writes behind: a single-document write is atomic on every MongoDB deployment,
    without transactions. Payloads too large to keep inline go first to chunk documents that
    only the task document refers to.

    As in LangGraph's savers, a regular write already stored for ``(task_id, idx)`` is kept
    (so repeated and accumulating calls, such as the null task's, add only new indexes), while
    special writes (errors, interrupts, resumes...) replace the earlier one. The first call for a
    task costs one round trip (an insert); a later call for the same task reads the document
    and updates it with a compare-and-set, retried if another writer got there first. The
    thread's TTL is refreshed by ``put`` (every super-step writes a checkpoint), not here.

    Raises:
        ConfigurationError: If the config names no checkpoint.
    """
    thread_id, ns, checkpoint_id = read_config(config)
    if checkpoint_id is None:
        raise ConfigurationError("put_writes needs config['configurable']['checkpoint_id'].")
    if not writes:
        return None
    task = str(task_id)
    cols = schema.collections
    cp_id = checkpoint_doc_id(thread_id, ns, checkpoint_id)
    doc_id = task_doc_id(cp_id, task)
    entries, chunks = _task_entries(schema, cp_id, thread_id, ns, task, writes)
    if chunks:  # chunks first: nothing refers to them until the task document does
        yield BulkWrite([_overwrite(c) for c in chunks], collection=cols.checkpoints)
    chunked = sorted(e["idx"] for e in entries.values() if e["n"] > 1)
    fields = {
        "thread_id": thread_id,
        "checkpoint_ns": ns,
        "checkpoint_id": checkpoint_id,
        "cp": cp_id,
        "task_id": task,
        "task_path": task_path,
        "w": entries,
        # Always present (even empty): later calls add to it with $addToSet, which must never
        # meet a missing field (the local server ignores $addToSet/$each on one).
        "chunked": chunked,
    }
    inserted = yield Update({"_id": doc_id}, {"$setOnInsert": fields}, upsert=True,
                               collection=cols.writes)  # fmt: skip
    if inserted.upserted_id is not None:
        return None
    for _ in range(MAX_PUT_WRITES_ATTEMPTS):
        found = yield Find({"_id": doc_id}, {"w": 1, "chunked": 1}, collection=cols.writes)
        stored = (found[0].get("w") or {}) if found else {}
        # Regular writes: only indexes not stored yet. Special writes: always (replace).
        new = {k: e for k, e in entries.items() if e["idx"] < 0 or k not in stored}
        if not new:
            return None
        guard = {f"w.{k}": {"$exists": False} for k, e in new.items() if e["idx"] >= 0}
        update: dict[str, Any] = {"$set": {f"w.{k}": e for k, e in new.items()}}
        added = [e["idx"] for e in new.values() if e["n"] > 1]
        if added and found and "chunked" not in found[0]:
            # A document written before `chunked` was always present: create it, guarded.
            guard["chunked"] = {"$exists": False}
            update["$set"]["chunked"] = sorted(added)
        elif added:
            update["$addToSet"] = {"chunked": {"$each": added}}
        if not found:  # deleted meanwhile (thread deleted or pruned): write it whole again
            respilled = sorted(e["idx"] for e in new.values() if e["n"] > 1)
            update = {"$setOnInsert": {**fields, "w": new, "chunked": respilled}}
        done = yield Update({"_id": doc_id, **guard}, update, upsert=not found,
                               collection=cols.writes)  # fmt: skip
        if done.matched_count or done.upserted_id is not None:
            return None
    raise RuntimeError(  # pragma: no cover - needs sustained contention on one task
        f"put_writes for task {task!r} lost {MAX_PUT_WRITES_ATTEMPTS} races to other writers."
    )


# -- reading -------------------------------------------------------------------------------------
def _blob_ids(doc: Mapping[str, Any]) -> list[str]:
    return [blob_id(doc["thread_id"], doc["checkpoint_ns"], ch, v) for ch, v in doc["versions"]]


def _element_ids(head: Mapping[str, Any]) -> list[str]:
    packed = bytes(stored_field(head) or b"")
    return [
        element_id(head["thread_id"], head["checkpoint_ns"], packed[i : i + DIGEST_BYTES])
        for i in range(0, len(packed), DIGEST_BYTES)
    ]


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _fetch(
    schema: SaverSchema,
    docs: Sequence[Mapping[str, Any]],
    now_ms: int,
    writes: Sequence[Mapping[str, Any]] | None = None,
) -> Plan[list[CheckpointTuple]]:
    """Turn checkpoint documents into ``CheckpointTuple``s (values, writes; threads expired
    at ``now_ms`` are left out)."""
    if not docs:
        return []
    cols = schema.collections
    codec = schema.codec
    needed = _unique(b for doc in docs for b in _blob_ids(doc))
    if schema.ttl_minutes is not None:  # the thread records come with the values
        needed += _unique(thread_doc_id(doc["thread_id"]) for doc in docs)
    requests: list[Request] = [Find({"_id": {"$in": needed}}, collection=cols.checkpoints)]
    if writes is None:
        cp_ids = [doc["_id"] for doc in docs]
        requests.append(Find({"cp": {"$in": cp_ids}}, collection=cols.writes))
    results = yield Parallel(requests)
    heads = {h["_id"]: h for h in results[0]}
    all_writes = [w for doc in (writes if writes is not None else results[1])
                  for w in task_writes(doc)]  # fmt: skip
    expired = {
        h["thread_id"]
        for h in heads.values()
        if h.get("kind") == "thread" and h.get("expires_at_ms", now_ms + 1) <= now_ms
    }

    # Second step: list elements and chunks; a third only for elements that are chunked.
    extra: dict[str, Mapping[str, Any]] = {}
    more: list[str] = []
    for head in heads.values():
        more.extend(_element_ids(head) if head.get("kind") == "list" else chunk_ids(head))
    for w in all_writes:
        more.extend(chunk_ids(w))
    while more:
        found = yield Find({"_id": {"$in": _unique(more)}}, collection=cols.checkpoints)
        more = []
        for rec in found:
            extra[rec["_id"]] = rec
            more.extend(c for c in chunk_ids(rec) if c not in extra)

    def load(rec: Mapping[str, Any]) -> Any:
        data = assemble_bytes(rec, extra)  # first: says so if ``rec`` predates the schema
        return codec.loads((rec["type"], data))

    def load_element(rid: str) -> Any:
        rec = extra.get(rid)
        if rec is None:
            raise LookupError(f"List element {rid!r} is missing.")
        return load(rec)

    writes_by_cp: dict[str, list[Mapping[str, Any]]] = {}
    for w in all_writes:
        writes_by_cp.setdefault(w["cp"], []).append(w)

    tuples: list[CheckpointTuple] = []
    for doc in docs:
        thread_id, ns = doc["thread_id"], doc["checkpoint_ns"]
        if thread_id in expired:
            continue
        checkpoint = codec.loads((stored_field(doc, "type"), doc["checkpoint"]))
        channel_values: dict[str, Any] = {}
        for (channel, _), rid in zip(doc["versions"], _blob_ids(doc), strict=True):
            head = heads.get(rid)
            if head is None or head.get("kind") == "empty":
                continue
            if head.get("kind") == "list":
                channel_values[channel] = [load_element(i) for i in _element_ids(head)]
            else:
                channel_values[channel] = load(head)
        checkpoint["channel_values"] = channel_values
        pending = sorted(
            writes_by_cp.get(doc["_id"], []),
            key=lambda w: writes_sort_key(w.get("task_path") or "", w["task_id"], w["idx"]),
        )
        parent = doc.get("parent_checkpoint_id")
        tuples.append(
            CheckpointTuple(
                config=_config(thread_id, ns, doc["checkpoint_id"]),
                checkpoint=checkpoint,
                metadata=codec.loads((doc["metadata_type"], doc["metadata_blob"])),
                parent_config=_config(thread_id, ns, parent) if parent else None,
                pending_writes=[(w["task_id"], w["channel"], load(w)) for w in pending],
            )
        )
    return tuples


def plan_get_tuple(
    schema: SaverSchema, config: RunnableConfig, now_ms: int
) -> Plan[CheckpointTuple | None]:
    """The checkpoint named by ``config``, or the thread's latest in its namespace.

    ``now_ms`` (epoch milliseconds) decides which threads have expired (hidden).
    """
    thread_id, ns, checkpoint_id = read_config(config)
    cols = schema.collections
    writes: list[Mapping[str, Any]] | None = None
    if checkpoint_id:
        cp_id = checkpoint_doc_id(thread_id, ns, checkpoint_id)
        docs, writes = yield Parallel(
            [Find({"_id": cp_id}, collection=cols.checkpoints),
             Find({"cp": cp_id}, collection=cols.writes)]
        )  # fmt: skip
    else:
        docs = yield Find(
            {"thread_id": thread_id, "checkpoint_ns": ns, "kind": "checkpoint"},
            sort=[("checkpoint_id", -1)],
            limit=1,
            collection=cols.checkpoints,
        )
    tuples = yield from _fetch(schema, docs, now_ms, writes)
    return tuples[0] if tuples else None


def list_query(
    config: RunnableConfig | None,
    filter: Mapping[str, Any] | None,
    before: RunnableConfig | None,
) -> dict[str, Any]:
    """The ``find`` filter of ``list`` (validated before anything is sent).

    Raises:
        InvalidFilterError: For a metadata filter MongoDB cannot match safely.
        ConfigurationError: For ids containing the separator ``\\x1f``.
    """
    query: dict[str, Any] = {"kind": "checkpoint"}
    conf = (config or {}).get("configurable") or {}
    if conf.get("thread_id") is not None:
        thread_id, _, checkpoint_id = read_config(config or {})
        query["thread_id"] = thread_id
        if conf.get("checkpoint_ns") is not None:
            query["checkpoint_ns"] = str(conf["checkpoint_ns"])
        if checkpoint_id:
            query["checkpoint_id"] = checkpoint_id
    if before is not None and (before_id := get_checkpoint_id(before)):
        query.setdefault("checkpoint_id", {})
        if isinstance(query["checkpoint_id"], str):
            query["checkpoint_id"] = {"$eq": query["checkpoint_id"], "$lt": str(before_id)}
        else:
            query["checkpoint_id"] = {"$lt": str(before_id)}
    query.update(metadata_filter(filter))
    return query


ListCursor = tuple[str, str]
"""Where a ``list`` page ended: the last checkpoint's ``(checkpoint_id, _id)``."""


def plan_list_page(
    schema: SaverSchema,
    query: Mapping[str, Any],
    after: ListCursor | None,
    limit: int,
    now_ms: int,
) -> Plan[tuple[list[CheckpointTuple], ListCursor | None]]:
    """One page of ``list``: newest first (checkpoint ids sort by time), ``limit`` at most.

    Pages continue from ``after`` (keyset pagination, not ``skip``), so checkpoints added
    while a caller iterates never shift later pages: nothing is yielded twice or skipped.
    Threads expired at ``now_ms`` (epoch milliseconds) are left out.

    Returns:
        A plan whose value is the page and the cursor of the next one (``None`` at the end).
    """
    if after is not None:
        cid, did = after
        older = {"$or": [{"checkpoint_id": {"$lt": cid}},
                         {"checkpoint_id": cid, "_id": {"$lt": did}}]}  # fmt: skip
        query = {"$and": [dict(query), older]}
    docs = yield Find(
        query,
        sort=[("checkpoint_id", -1), ("_id", -1)],
        limit=limit,
        collection=schema.collections.checkpoints,
    )
    tuples = yield from _fetch(schema, docs, now_ms)
    cursor = (docs[-1]["checkpoint_id"], docs[-1]["_id"]) if len(docs) == limit else None
    return tuples, cursor


# -- deleting, copying, retention ----------------------------------------------------------------
def plan_delete_threads(schema: SaverSchema, thread_ids: Sequence[str]) -> Plan[None]:
    """Delete every checkpoint, write, value and TTL record of the threads (one round trip)."""
    threads = [str(t) for t in thread_ids]
    if not threads:
        return None
    match = {"thread_id": {"$in": threads}}
    yield Parallel([Delete(match, collection=c) for c in schema.collections.all()])
    return None


def _rewrite(doc: Mapping[str, Any], source: str, target: str) -> dict[str, Any]:
    out = dict(doc)
    out["thread_id"] = target
    prefix = f"{source}{ID_SEP}"
    for key in ("_id", "cp", "owner"):
        value = out.get(key)
        if isinstance(value, str) and value.startswith(prefix):
            out[key] = f"{target}{ID_SEP}{value[len(prefix) :]}"
    return out


def plan_copy_thread(schema: SaverSchema, source: str, target: str, now_ms: int) -> Plan[int]:
    """Copy all checkpoints (every namespace), writes and values of a thread to another.

    The target's TTL (if any) is refreshed from ``now_ms`` (epoch milliseconds).

    Returns:
        A plan whose value is the number of checkpoints copied.

    Raises:
        ConfigurationError: If a thread id contains the id separator ``\\x1f``.
    """
    src, dst = str(source), str(target)
    for name, value in (("source_thread_id", src), ("target_thread_id", dst)):
        if ID_SEP in value:
            raise ConfigurationError(f"{name} must not contain the character \\x1f.")
    if src == dst:
        return 0
    cols = schema.collections
    stored, writes = yield Parallel(
        [Find({"thread_id": src, "kind": {"$ne": "thread"}}, collection=cols.checkpoints),
         Find({"thread_id": src}, collection=cols.writes)]
    )  # fmt: skip
    checkpoints = [d for d in stored if d.get("kind") == "checkpoint"]
    if not checkpoints:
        return 0
    if writes:
        yield BulkWrite([_overwrite(_rewrite(d, src, dst)) for d in writes], collection=cols.writes)
    values = [d for d in stored if d.get("kind") != "checkpoint"]
    yield BulkWrite(
        [*_refresh(schema, [dst], now_ms)]
        + [_overwrite(_rewrite(d, src, dst)) for d in values + checkpoints],  # values first
        ordered=True,
        collection=cols.checkpoints,
    )
    return len(checkpoints)


def _plan_collect(schema: SaverSchema, threads: Sequence[str]) -> Plan[None]:
    """Delete the writes, values, list elements and chunks no remaining checkpoint refers to."""
    cols = schema.collections
    in_threads = {"$in": list(threads)}
    remaining = yield Find(
        {"thread_id": in_threads, "kind": "checkpoint"},
        {"thread_id": 1, "checkpoint_ns": 1, "versions": 1},
        collection=cols.checkpoints,
    )
    cp_ids = [d["_id"] for d in remaining]
    referenced = _unique(b for d in remaining for b in _blob_ids(d))
    lists, chunked_writes, _ = yield Parallel(
        [
            Find({"_id": {"$in": referenced}, "kind": "list"}, collection=cols.checkpoints),
            Find(
                {
                    "thread_id": in_threads,
                    # legacy one-write documents with chunks, or task documents listing some
                    "$or": [{"n": {"$gt": 1}}, {"chunked": {"$elemMatch": {"$gte": -(2**31)}}}],
                },
                {"cp": 1, "task_id": 1, "chunked": 1, "n": 1},
                collection=cols.writes,
            ),
            Delete({"thread_id": in_threads, "cp": {"$nin": cp_ids}}, collection=cols.writes),
        ]
    )
    kept_cps = set(cp_ids)
    elements = _unique(i for head in lists for i in _element_ids(head))
    owners = (
        referenced
        + elements
        + [owner for w in chunked_writes if w["cp"] in kept_cps for owner in chunk_owners(w)]
    )
    yield Delete(
        {
            "thread_id": in_threads,
            "$or": [
                {"kind": {"$in": _VALUE_KINDS}, "_id": {"$nin": referenced}},
                {"kind": "item", "_id": {"$nin": elements}},
                {"kind": "chunk", "owner": {"$nin": owners}},
            ],
        },
        collection=cols.checkpoints,
    )
    return None


def plan_delete_for_runs(schema: SaverSchema, run_ids: Sequence[str]) -> Plan[list[str]]:
    """Delete the checkpoints whose metadata ``run_id`` is one of ``run_ids``, their writes,
    and every value no remaining checkpoint refers to.

    Returns:
        A plan whose value is the threads that lost checkpoints (for the saver to forget what
        it knew about their list elements).
    """
    runs = [str(r) for r in run_ids]
    if not runs:
        return []
    cols = schema.collections
    docs = yield Find(
        {"kind": "checkpoint", "metadata.run_id": {"$in": runs}},
        {"thread_id": 1},
        collection=cols.checkpoints,
    )
    if not docs:
        return []
    ids = [d["_id"] for d in docs]
    yield Parallel(
        [Delete({"_id": {"$in": ids}}, collection=cols.checkpoints),
         Delete({"cp": {"$in": ids}}, collection=cols.writes)]
    )  # fmt: skip
    threads = _unique(d["thread_id"] for d in docs)
    yield from _plan_collect(schema, threads)
    return threads


def plan_prune(schema: SaverSchema, thread_ids: Sequence[str], strategy: str) -> Plan[None]:
    """Prune threads: ``"keep_latest"`` keeps the newest checkpoint of each namespace (with its
    pending writes and the values it refers to); ``"delete"`` removes the threads entirely.

    Raises:
        ConfigurationError: For an unknown strategy.
    """
    if strategy not in PRUNE_STRATEGIES:
        raise ConfigurationError(
            f"Unknown prune strategy {strategy!r}; use one of {', '.join(PRUNE_STRATEGIES)}."
        )
    threads = _unique(str(t) for t in thread_ids)
    if not threads:
        return None
    if strategy == "delete":
        yield from plan_delete_threads(schema, threads)
        return None
    cols = schema.collections
    docs = yield Find(
        {"thread_id": {"$in": threads}, "kind": "checkpoint"},
        {"thread_id": 1, "checkpoint_ns": 1, "checkpoint_id": 1},
        collection=cols.checkpoints,
    )
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    for doc in docs:
        key = (doc["thread_id"], doc["checkpoint_ns"])
        if key not in latest or doc["checkpoint_id"] > latest[key]["checkpoint_id"]:
            latest[key] = doc
    keep = [d["_id"] for d in latest.values()]
    if len(keep) < len(docs):
        yield Delete(
            {"thread_id": {"$in": threads}, "kind": "checkpoint", "_id": {"$nin": keep}},
            collection=cols.checkpoints,
        )
    yield from _plan_collect(schema, threads)
    return None


def plan_sweep_threads(schema: SaverSchema, now_ms: int) -> Plan[list[str]]:
    """Delete every thread whose TTL has run out by ``now_ms`` (all its documents).

    Args:
        schema: The saver's schema.
        now_ms: The current time in epoch milliseconds.

    Returns:
        A plan whose value is the threads removed.
    """
    cols = schema.collections
    expired = yield Find(
        {"kind": "thread", "expires_at_ms": {"$lte": now_ms}},
        {"thread_id": 1},
        collection=cols.checkpoints,
    )
    threads = _unique(d["thread_id"] for d in expired)
    if not threads:
        return []
    match = {"thread_id": {"$in": threads}}
    yield Parallel([Delete(match, collection=c) for c in cols.all()])
    return threads
