"""Migration from any LangGraph ``BaseStore`` / ``BaseCheckpointSaver`` (pure plans).

Items are read through the source's public API only: ``list_namespaces`` page by page, then
``search`` of each namespace page by page (no query, no filter, TTLs not refreshed), keeping the
items of exactly that namespace. They are written in unordered bulk writes of ``batch_size``
documents that keep each item's ``created_at``/``updated_at``; the expiry follows the target
store's TTL policy (or the ``ttl`` given), counted from the migration, since LangGraph's API does
not expose a source item's expiry. Checkpoints are read with ``list(None)`` and written with
``put``/``put_writes`` (see :mod:`langgraph_genesis_memory.ops._checkpoints`).

Verification compares, per namespace (per thread), the number of items (checkpoints) read from
the source with the number the target holds, and re-reads a random sample of copied items
(checkpoints) from both sides and compares them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from langgraph.store.base import NOT_PROVIDED, Item, NotProvided

from langgraph_genesis_memory._mongo import Aggregate, BulkWrite, Find
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.errors import GenesisMemoryError
from langgraph_genesis_memory.ops._backup import applied_positions, write_models
from langgraph_genesis_memory.ops._checkpoints import (
    checkpoint_config,
    ids_of,
    same_checkpoint,
    store_calls,
)
from langgraph_genesis_memory.ops._records import (
    ItemWrite,
    TargetSettings,
    document,
    epoch_ms,
    new_revision,
    same_item,
)
from langgraph_genesis_memory.ops._requests import (
    GetCheckpoint,
    NextCheckpoints,
    OnSaver,
    Progress,
    Reindex,
    SourceGet,
    SourceListNamespaces,
    SourceSearch,
)
from langgraph_genesis_memory.store._documents import encode_path
from langgraph_genesis_memory.store._validation import (
    validate_key,
    validate_namespace,
    validate_value,
)

MigrationConflict = Literal["skip", "overwrite"]
"""What a migration does with an item or checkpoint the target already has."""

NAMESPACE_PAGE = 1000
"""Namespaces listed per ``list_namespaces`` call."""

CHECKPOINT_PAGE = 100
"""Checkpoint tuples read per step."""

MAX_NOTED = 20
"""Invalid items and mismatches named in a report (the rest are counted)."""


@dataclass
class MigrationReport:
    """What a migration did (see :func:`~langgraph_genesis_memory.ops.migrate_store`).

    Attributes:
        kind: ``"store"`` or ``"checkpoints"``.
        copied: Items (checkpoint tuples) written.
        skipped: Items (checkpoints) the target already had (``conflict="skip"``).
        invalid: Items the target refuses (for example a value that is not JSON-like data),
            not copied; the first ones are named in ``problems``.
        groups: Namespaces (threads) read.
        verified: ``True`` if the verification found nothing wrong, ``False`` if it did,
            ``None`` if it was not run.
        sample_checked: Items (checkpoints) compared one by one.
        problems: What is wrong, in words (invalid items, count and sample mismatches).
        reindex: What the ``reindex()`` after the migration did (``None``: not run).
    """

    kind: str
    copied: int = 0
    skipped: int = 0
    invalid: int = 0
    groups: int = 0
    verified: bool | None = None
    sample_checked: int = 0
    problems: list[str] = field(default_factory=list)
    reindex: dict[str, Any] | None = None

    def note(self, problem: str) -> None:
        """Record a problem (the first :data:`MAX_NOTED` are kept in words)."""
        if len(self.problems) < MAX_NOTED:
            self.problems.append(problem)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


class Reservoir:
    """A uniform random sample of at most ``size`` things offered one by one."""

    def __init__(self, size: int, rng: random.Random) -> None:
        self.size = size
        self.rng = rng
        self.seen = 0
        self.kept: list[Any] = []

    def offer(self, thing: Any) -> None:
        """Offer one thing."""
        self.seen += 1
        if len(self.kept) < self.size:
            self.kept.append(thing)
        else:
            slot = self.rng.randrange(self.seen)
            if slot < self.size:
                self.kept[slot] = thing


def _utc(moment: datetime | None, default: datetime) -> datetime:
    if moment is None:
        return default
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def migrated_item(
    item: Item,
    settings: TargetSettings,
    now: datetime,
    ttl: float | None | NotProvided,
    revision: str,
) -> ItemWrite:
    """The write that copies a source item (timestamps kept; expiry from the target's policy).

    Raises:
        InvalidNamespaceError, InvalidKeyError, InvalidValueError, InvalidArgumentError: If the
            target's rules refuse the item.
    """
    namespace = validate_namespace(tuple(item.namespace))
    key = validate_key(item.key)
    value = validate_value(item.value)
    minutes = settings.ttl.resolve(namespace, ttl)
    expires_at = None if minutes is None else now + timedelta(minutes=minutes)
    doc = document(
        namespace,
        key,
        value,
        created_at=_utc(item.created_at, now),
        updated_at=_utc(item.updated_at, now),
        ttl=minutes,
        expires_at=expires_at,
        index=None,
        settings=settings,
        revision=revision,
    )
    return ItemWrite(doc["_id"], namespace, key, doc)


def _flush(writes: Sequence[ItemWrite], conflict: MigrationConflict) -> Plan[list[ItemWrite]]:
    """Write items; returns those written (with ``"skip"``, the others existed)."""
    outcome = yield BulkWrite(tuple(write_models(writes, conflict)), report_errors=True)
    return [writes[i] for i in applied_positions(outcome, len(writes))]


def plan_migrate_store(
    *,
    namespace_prefix: tuple[str, ...],
    settings: TargetSettings,
    conflict: MigrationConflict,
    now: datetime,
    ttl: float | None | NotProvided = NOT_PROVIDED,
    batch_size: int = 500,
    verify: bool = True,
    sample: int = 100,
    rng: random.Random | None = None,
    reindex: bool = True,
) -> Plan[MigrationReport]:
    """Copy every item under ``namespace_prefix`` from the source store (module docstring).

    Args:
        namespace_prefix: Only namespaces under this prefix (``()``: all).
        settings: The target store's settings.
        conflict: ``"overwrite"`` (the target ends equal to the source) or ``"skip"``.
        now: The migration's clock (TTLs count from it).
        ttl: TTL in minutes for every copied item (``None``: never expires); not given: the
            target's policy per namespace.
        batch_size: Items read per ``search`` call and written per bulk write.
        verify: Run the verification pass.
        sample: Items compared one by one by the verification.
        rng: Randomness of the sample.
        reindex: Run the store's ``reindex()`` at the end (stores with derived indexes).

    Returns:
        A plan whose value is a :class:`MigrationReport`.
    """
    report = MigrationReport(kind="store")
    picks = Reservoir(sample, rng or random.Random())
    counts: dict[tuple[str, ...], int] = {}
    revision = new_revision()
    pending: list[ItemWrite] = []
    offset = 0
    while True:
        namespaces = yield SourceListNamespaces(namespace_prefix, NAMESPACE_PAGE, offset)
        offset += len(namespaces)
        for raw in namespaces:
            namespace = tuple(raw)
            seen: set[str] = set()
            start = 0
            while True:
                items = yield SourceSearch(namespace, batch_size, start)
                start += len(items)
                for item in items:
                    if tuple(item.namespace) != namespace or item.key in seen:
                        continue
                    seen.add(item.key)
                    try:
                        pending.append(migrated_item(item, settings, now, ttl, revision))
                    except GenesisMemoryError as exc:
                        report.invalid += 1
                        report.note(f"{namespace!r} {item.key!r} not copied: {exc}")
                if len(pending) >= batch_size:
                    written = yield from _flush(pending, conflict)
                    report.copied += len(written)
                    for write in written:
                        picks.offer(write)
                    yield Progress(len(pending))
                    pending = []
                if len(items) < batch_size:
                    break
            counts[namespace] = len(seen)
        if len(namespaces) < NAMESPACE_PAGE:
            break
    if pending:
        written = yield from _flush(pending, conflict)
        report.copied += len(written)
        for write in written:
            picks.offer(write)
        yield Progress(len(pending))
    total = sum(counts.values())
    report.skipped = total - report.invalid - report.copied
    report.groups = len(counts)
    if verify:
        yield from _verify_store(report, counts, picks.kept, now)
    if reindex and settings.derived and report.copied:
        result = yield Reindex({"progress": False})
        report.reindex = dict(vars(result))
    return report


def _verify_store(
    report: MigrationReport,
    counts: Mapping[tuple[str, ...], int],
    sample: Sequence[ItemWrite],
    now: datetime,
) -> Plan[None]:
    now_ms = epoch_ms(now)
    names = sorted(counts)
    wrong = 0
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        rows = yield Aggregate(
            [
                {"$match": {"ns_key": {"$in": [encode_path(n) for n in chunk]}}},
                {"$match": {"expires_at_ms": {"$gt": now_ms}}},
                {"$group": {"_id": "$ns_key", "n": {"$sum": 1}}},
            ]
        )
        held = {str(r["_id"]): int(r["n"]) for r in rows}
        for namespace in chunk:
            expected = counts[namespace]
            found = held.get(encode_path(namespace), 0)
            if found < expected:
                wrong += 1
                report.note(
                    f"{namespace!r}: {expected} item(s) in the source, {found} in the target"
                )
    if sample:
        docs = yield Find(
            {"_id": {"$in": [w.doc_id for w in sample]}},
            {"value": 1, "created_at": 1, "updated_at": 1},
            batch_size=len(sample),
        )
        stored = {d["_id"]: d for d in docs}
        for write in sample:
            source = yield SourceGet(write.namespace, write.key)
            report.sample_checked += 1
            doc = stored.get(write.doc_id)
            if source is None:
                continue  # deleted from the source meanwhile
            current = ItemWrite(
                write.doc_id,
                write.namespace,
                write.key,
                {
                    "value": source.value,
                    "created_at": _utc(source.created_at, now),
                    "updated_at": _utc(source.updated_at, now),
                },
            )
            if doc is None or not same_item(doc, current):
                wrong += 1
                report.note(f"{write.namespace!r} {write.key!r} differs between source and target")
    report.verified = wrong == 0 and report.invalid == 0
    return None


def plan_migrate_saver(
    *,
    checkpoints_collection: str,
    conflict: MigrationConflict,
    verify: bool = True,
    sample: int = 20,
    rng: random.Random | None = None,
) -> Plan[MigrationReport]:
    """Copy every checkpoint tuple of the source saver's listing into the target saver.

    Args:
        checkpoints_collection: The target ``GenesisSaver``'s checkpoints collection (for the
            verification's counts).
        conflict: ``"overwrite"`` (put every checkpoint) or ``"skip"`` (keep the ones the target
            has).
        verify: Run the verification pass.
        sample: Checkpoints compared one by one.
        rng: Randomness of the sample.
    """
    report = MigrationReport(kind="checkpoints")
    picks = Reservoir(sample, rng or random.Random())
    counts: dict[str, int] = {}
    while True:
        tuples = yield NextCheckpoints(CHECKPOINT_PAGE)
        if not tuples:
            break
        for tup in tuples:
            thread_id, ns, checkpoint_id = ids_of(tup.config)
            counts[thread_id] = counts.get(thread_id, 0) + 1
            config = checkpoint_config(thread_id, ns, checkpoint_id or tup.checkpoint["id"])
            if conflict == "skip" and (yield GetCheckpoint(config)) is not None:
                report.skipped += 1
                continue
            for call in store_calls(tup):
                _ = yield call  # a list cannot receive results: no ``yield from``
            report.copied += 1
            picks.offer(config)
        yield Progress(len(tuples))
    report.groups = len(counts)
    if verify:
        wrong = 0
        threads = sorted(counts)
        for start in range(0, len(threads), 500):
            chunk = threads[start : start + 500]
            rows = yield OnSaver(
                Aggregate(
                    [
                        {"$match": {"kind": "checkpoint", "thread_id": {"$in": chunk}}},
                        {"$group": {"_id": "$thread_id", "n": {"$sum": 1}}},
                    ],
                    collection=checkpoints_collection,
                )
            )
            held = {str(r["_id"]): int(r["n"]) for r in rows}
            for thread_id in chunk:
                if held.get(thread_id, 0) < counts[thread_id]:
                    wrong += 1
                    report.note(
                        f"thread {thread_id!r}: {counts[thread_id]} checkpoint(s) in the source, "
                        f"{held.get(thread_id, 0)} in the target"
                    )
        for config in picks.kept:
            source = yield GetCheckpoint(config, source=True)
            target = yield GetCheckpoint(config)
            report.sample_checked += 1
            if not same_checkpoint(source, target):
                wrong += 1
                report.note(f"checkpoint {ids_of(config)!r} differs between source and target")
        report.verified = wrong == 0
    return report
