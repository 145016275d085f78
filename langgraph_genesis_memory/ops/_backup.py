"""Backup and restore as pure plans (the drivers are in :mod:`langgraph_genesis_memory.ops._drive`).

Backup reads the store's live items in ``_id`` order, one page per round trip (keyset
pagination: constant memory, and a namespace prefix is one ``_id`` range), and optionally the
vectors of each page from the vector index and every checkpoint of a saver; it emits records to
the file writer.

Restore reads the file twice. The first pass checks every record (and, with
``conflict="fail"``, looks the items up in the target), so a damaged backup or a conflict
writes nothing; the checksum and counts are checked at the end of the pass. The second pass
writes items in unordered bulk writes of ``chunk`` documents:

- ``"skip"`` (default) and ``"fail"``: ``insertOne``; an item that exists is left as it is (a
  duplicate-key error, code 11000, is counted as skipped);
- ``"overwrite"``: ``replaceOne`` with ``upsert``.

Both are idempotent, so an interrupted restore is completed by running it again. Items keep
their ``created_at``/``updated_at`` and their expiry; items already expired are not written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from langgraph.checkpoint.serde.base import SerializerProtocol
from pymongo import InsertOne, ReplaceOne

from langgraph_genesis_memory._mongo import BulkWrite, Failed, Find
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory._services import IndexUpsert
from langgraph_genesis_memory.errors import PartialWriteError, RestoreConflictError
from langgraph_genesis_memory.ops._checkpoints import (
    check_checkpoint_record,
    checkpoint_config,
    checkpoint_record,
    store_calls,
    tuple_of_record,
)
from langgraph_genesis_memory.ops._records import (
    ITEM_PROJECTION,
    ItemWrite,
    TargetSettings,
    entry_ids,
    epoch_ms,
    index_entries,
    item_record,
    new_revision,
    parse_item,
    restored_item,
    same_item,
)
from langgraph_genesis_memory.ops._requests import (
    Emit,
    GetCheckpoint,
    NextCheckpoints,
    NextRecords,
    OpenRecords,
    Progress,
    ReadVectors,
    Reindex,
)
from langgraph_genesis_memory.store._documents import split_id
from langgraph_genesis_memory.store._queries import prefix_range

ConflictPolicy = Literal["skip", "overwrite", "fail"]
"""What a restore does with an item the target already has: keep it (``"skip"``), replace it
(``"overwrite"``), or refuse the whole restore before writing anything (``"fail"``)."""

CONFLICT_POLICIES = ("skip", "overwrite", "fail")

PAGE = 1000
"""Items per round trip (backup pages, restore bulk writes)."""

CHECKPOINT_PAGE = 100
"""Checkpoint tuples read per step."""

DUPLICATE_KEY = 11000
"""MongoDB's duplicate-key error code."""


@dataclass
class BackupReport:
    """What :func:`~langgraph_genesis_memory.ops.backup` wrote.

    Attributes:
        path: The backup file.
        items: Items written (live items under the prefix).
        vectors: Vectors written.
        checkpoints: Checkpoint tuples written.
        bytes: Size of the file in bytes.
        header: The file's header (format, version, source, options, counts, checksum).
    """

    path: str
    items: int = 0
    vectors: int = 0
    checkpoints: int = 0
    bytes: int = 0
    header: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(vars(self))


@dataclass
class RestoreReport:
    """What :func:`~langgraph_genesis_memory.ops.restore` did.

    Attributes:
        items_restored: Items written (inserted, or replaced with ``conflict="overwrite"``).
        items_skipped: Items the target already had and kept.
        items_expired: Items whose expiry had passed; not written.
        vectors_restored: Vectors written to the vector index from the backup.
        checkpoints_restored: Checkpoint tuples written to the saver.
        checkpoints_skipped: Checkpoints the saver already had, or that had no saver to go to.
        reindex: What the ``reindex()`` after the restore did (``None``: not run).
        header: The backup's header.
    """

    items_restored: int = 0
    items_skipped: int = 0
    items_expired: int = 0
    vectors_restored: int = 0
    checkpoints_restored: int = 0
    checkpoints_skipped: int = 0
    reindex: dict[str, Any] | None = None
    header: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(vars(self))


def plan_backup(
    *,
    namespace_prefix: tuple[str, ...],
    vectors: bool,
    checkpoints: bool,
    serde: SerializerProtocol | None,
    now_ms: int,
    page: int = PAGE,
) -> Plan[BackupReport]:
    """Emit the records of a backup (items, then checkpoints).

    Args:
        namespace_prefix: Only items under this prefix (``()``: all).
        vectors: Read and include each item's vectors.
        checkpoints: Include every tuple of the source saver's listing.
        serde: The source saver's serializer (for checkpoints).
        now_ms: The backup's clock; items expired by then are left out.
        page: Items per round trip.

    Returns:
        A plan whose value counts what was emitted (``path``/``header`` are filled by the
        caller).
    """
    report = BackupReport(path="")
    scope = prefix_range("_id", namespace_prefix)
    upper = scope.get("_id", {}).get("$lt")
    last: str | None = None
    while True:
        query: dict[str, Any] = dict(scope)
        if last is not None:
            query["_id"] = {"$gt": last, **({"$lt": upper} if upper else {})}
        docs = yield Find(query, ITEM_PROJECTION, sort=[("_id", 1)], limit=page, batch_size=page)
        if not docs:
            break
        last = docs[-1]["_id"]
        live = [d for d in docs if int(d.get("expires_at_ms", 0)) > now_ms]
        found: Mapping[str, Sequence[float]] | None = None
        if vectors:
            wanted = [eid for d in live for eid in entry_ids(d)]
            found = (yield ReadVectors(wanted)) if wanted else {}
        records = [item_record(d, found) for d in live]
        report.items += len(records)
        report.vectors += sum(len(r.get("vectors") or ()) for r in records)
        if records:
            yield Emit(records)
        yield Progress(len(docs))
        if len(docs) < page:
            break
    if checkpoints:
        assert serde is not None
        while True:
            tuples = yield NextCheckpoints(CHECKPOINT_PAGE)
            if not tuples:
                break
            yield Emit([checkpoint_record(t, serde) for t in tuples])
            report.checkpoints += len(tuples)
            yield Progress(len(tuples))
    return report


def _conflicts(docs: Sequence[Mapping[str, Any]], writes: Mapping[str, ItemWrite]) -> list[str]:
    return [d["_id"] for d in docs if d["_id"] in writes and not same_item(d, writes[d["_id"]])]


def write_models(writes: Sequence[ItemWrite], policy: str) -> list[Any]:
    """The bulk-write models of items: ``replaceOne`` upserts for ``"overwrite"``, else
    ``insertOne`` (an existing item is then kept: a duplicate-key error)."""
    if policy == "overwrite":
        return [ReplaceOne({"_id": w.doc_id}, w.document, upsert=True) for w in writes]
    return [InsertOne(w.document) for w in writes]


def applied_positions(outcome: Any, count: int) -> list[int]:
    """Positions of the bulk write's models that were applied (duplicates were skipped).

    Raises:
        PartialWriteError: If MongoDB refused a write for another reason than a duplicate.
    """
    if not isinstance(outcome, Failed):
        return list(range(count))
    details = getattr(outcome.error, "details", None) or {}
    errors = details.get("writeErrors") or []
    other = [e for e in errors if e.get("code") != DUPLICATE_KEY]
    refused = {int(e.get("index", -1)) for e in errors}
    if other or details.get("writeConcernErrors"):
        failed = {int(e.get("index", -1)): str(e.get("errmsg", "")) for e in other}
        applied = [i for i in range(count) if i not in refused]
        raise PartialWriteError(
            f"MongoDB refused {len(failed) or 'some'} write(s): {list(failed.values())[:3]}; "
            "the others of this chunk were applied. Running the operation again is safe.",
            applied,
            failed,
        )
    return [i for i in range(count) if i not in refused]


def plan_restore(
    *,
    settings: TargetSettings,
    conflict: ConflictPolicy,
    now: datetime,
    shift: timedelta,
    with_vectors: bool,
    saver_serde: SerializerProtocol | None,
    reindex: bool,
    chunk: int = PAGE,
) -> Plan[RestoreReport]:
    """Restore a backup's records into a store (and a saver), in two passes (module docstring).

    Args:
        settings: The target store's settings.
        conflict: The conflict policy.
        now: The restore's clock (items expired by then are not written).
        shift: Added to each recorded expiry (see :func:`~.restored_item`).
        with_vectors: Write the backup's vectors (the target's model and dims match them).
        saver_serde: The target saver's serializer; ``None``: no saver, checkpoints are skipped.
        reindex: Run the store's ``reindex()`` at the end (stores with derived indexes).
        chunk: Records per step.

    Raises:
        BackupFormatError: If the file is damaged (first pass; nothing is written).
        RestoreConflictError: With ``conflict="fail"``, if items differ (nothing is written).
        PartialWriteError: If MongoDB refused writes for another reason than a duplicate.
    """
    report = RestoreReport()
    now_ms = epoch_ms(now)
    revision = new_revision()
    conflicting: list[str] = []
    total_conflicts = 0
    yield OpenRecords(chunk)
    yield Progress(0, description="verify")
    while True:
        records = yield NextRecords()
        if not records:
            break
        writes: dict[str, ItemWrite] = {}
        for record in records:
            if record["type"] == "item":
                if conflict == "fail":
                    write = restored_item(
                        record, settings, shift=shift, now_ms=now_ms, revision=revision,
                        with_vectors=False,
                    )  # fmt: skip
                    if write is not None:
                        writes[write.doc_id] = write
                else:
                    parse_item(record, settings.reserved_fields)
            else:
                check_checkpoint_record(record)
        if writes:
            docs = yield Find(
                {"_id": {"$in": sorted(writes)}},
                {"value": 1, "created_at": 1, "updated_at": 1},
                batch_size=len(writes),
            )
            found = _conflicts(docs, writes)
            total_conflicts += len(found)
            conflicting.extend(found[: max(0, 20 - len(conflicting))])
        yield Progress(len(records))
    if total_conflicts:
        named = [split_id(i) for i in conflicting]
        raise RestoreConflictError(
            f"The target holds {total_conflicts} item(s) that the backup would change, e.g. "
            f"{named[:3]}; nothing was written. Restore with conflict='skip' to keep them or "
            "conflict='overwrite' to replace them.",
            named,
            total_conflicts,
        )
    yield OpenRecords(chunk)
    yield Progress(0, description="restore")
    while True:
        records = yield NextRecords()
        if not records:
            break
        batch: list[ItemWrite] = []
        for record in records:
            if record["type"] != "item":
                continue
            write = restored_item(
                record, settings, shift=shift, now_ms=now_ms, revision=revision,
                with_vectors=with_vectors, checked=True,
            )  # fmt: skip
            if write is None:
                report.items_expired += 1
            else:
                batch.append(write)
        if batch:
            outcome = yield BulkWrite(tuple(write_models(batch, conflict)), report_errors=True)
            applied = [batch[i] for i in applied_positions(outcome, len(batch))]
            report.items_restored += len(applied)
            report.items_skipped += len(batch) - len(applied)
            entries = [e for w in applied for e in index_entries(w, settings.dims)]
            if entries:
                done = yield IndexUpsert(entries=entries, tolerate=True)
                if not isinstance(done, Failed):
                    report.vectors_restored += len(entries)
        for record in records:
            if record["type"] != "checkpoint":
                continue
            if saver_serde is None:
                report.checkpoints_skipped += 1
                continue
            if conflict != "overwrite":
                config = checkpoint_config(
                    record["thread_id"], record.get("checkpoint_ns") or "", record["checkpoint_id"]
                )
                if (yield GetCheckpoint(config)) is not None:
                    report.checkpoints_skipped += 1
                    continue
            for call in store_calls(tuple_of_record(record, saver_serde)):
                _ = yield call  # a list cannot receive results: no ``yield from``
            report.checkpoints_restored += 1
        yield Progress(len(records))
    if reindex and settings.derived and report.items_restored:
        result = yield Reindex({"progress": False})
        report.reindex = dict(vars(result))
    return report
