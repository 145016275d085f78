"""The store's writes: puts, deletes and TTL refreshes of a batch, and TTL sweeps (pure plans).

A batch's writes go in one unordered ``bulk_write`` (each put or delete one single-document
write, applied entirely or not at all), then the vector index is brought in step
(:mod:`langgraph_genesis_memory.store._indexing`). If MongoDB refuses some of the writes,
:class:`~langgraph_genesis_memory.errors.PartialWriteError` names the ops that were applied.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langgraph.store.base import PutOp
from pymongo import DeleteOne, UpdateMany, UpdateOne

from langgraph_genesis_memory._mongo import BulkWrite, Delete, Failed, Find, Parallel
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory._services import (
    IndexDelete,
    IndexExpired,
    IndexName,
    IndexSetExpiry,
)
from langgraph_genesis_memory.errors import PartialWriteError
from langgraph_genesis_memory.store._autolink import NAMES_FIELD, forget
from langgraph_genesis_memory.store._documents import NEVER_MS, encode_path
from langgraph_genesis_memory.store._graph import LINK_FIELD
from langgraph_genesis_memory.store._indexing import IndexSettings, SyncItem, plan_sync, recorded
from langgraph_genesis_memory.store._queries import epoch_ms, expiry, live

logger = logging.getLogger("langgraph_genesis_memory.store")

SWEEP_CHUNK = 10_000
"""Expired items deleted per step of a sweep."""


@dataclass
class PreparedPut:
    """A validated put (or delete, ``value=None``) of a batch: the last one per item wins.

    Attributes:
        op: The ``PutOp``.
        namespace: Its validated namespace.
        value: The validated value, or ``None`` for a delete.
        ttl: The resolved TTL in minutes (``None``: never expires).
        text: The words kept for MongoDB's ``$text`` index (``lexical="text_index"``).
        positions: Indexes of the batch's ops that put this item.
        link_to: The ``_id``\\ s it links to (its value's ``relationships``, then automatic
            links), see :mod:`~langgraph_genesis_memory.store._graph`.
        valid_from_ms: Its event time (epoch ms); ``None``: the item keeps the one it has
            (a new item: the time of the write).
        valid_to_ms: When it stopped being true (epoch ms), ``None``: current.
        names: The names automatic links use (``None``: automatic links are off).
    """

    op: PutOp
    namespace: tuple[str, ...]
    value: dict[str, Any] | None
    ttl: float | None
    text: str = ""
    positions: list[int] = field(default_factory=list)
    link_to: list[str] = field(default_factory=list)
    valid_from_ms: int | None = None
    valid_to_ms: int | None = None
    names: list[str] | None = None


@dataclass(frozen=True)
class WriteSettings:
    """What the writes need of the store's configuration.

    Attributes:
        indexes: The derived indexes the store keeps in step.
        text_index: Whether items carry ``search_text`` for MongoDB's ``$text`` index.
    """

    indexes: IndexSettings
    text_index: bool


def _put_model(
    put: PreparedPut,
    doc_id: str,
    now: datetime,
    settings: WriteSettings,
    revision: str,
    sync: SyncItem | None,
) -> Any:
    if put.value is None:
        return DeleteOne({"_id": doc_id})
    expires_at, expires_ms = expiry(now, put.ttl)
    fields: dict[str, Any] = {
        "value": put.value,
        "ttl": put.ttl,
        "expires_at_ms": expires_ms,
        # null for items that never expire: MongoDB's TTL monitor ignores non-date values.
        "expires_at": expires_at,
        LINK_FIELD: list(dict.fromkeys(put.link_to)),
    }
    on_insert: dict[str, Any] = {"ns_key": encode_path(put.namespace), "created_at": now}
    if put.valid_from_ms is None:  # an item keeps the event time it has (new: written now)
        on_insert["valid_from_ms"] = epoch_ms(now)
    else:
        fields["valid_from_ms"] = put.valid_from_ms
    fields["valid_to_ms"] = NEVER_MS if put.valid_to_ms is None else put.valid_to_ms
    if put.names is not None:
        fields[NAMES_FIELD] = put.names
    if settings.text_index:
        fields["search_text"] = put.text
    if settings.indexes.vector_fields is not None:
        fields["index_paths"] = put.op.index if put.op.index is not None else None
    if settings.indexes.names:
        fields["revision"] = revision
        if sync is not None and sync.needs_sync():
            fields["index_pending"] = True  # the sync step records the hashes once done
        elif sync is not None:  # the indexes already hold these texts: record them now
            for name, texts in sync.texts.items():
                fields[name] = [{"p": t.path, "h": t.hash} for t in texts]
    update: dict[str, Any] = {
        "$set": fields,
        "$setOnInsert": on_insert,
        "$currentDate": {"updated_at": True},
    }
    return UpdateOne({"_id": doc_id}, update, upsert=True)


def unlink_all(ids: Sequence[str]) -> UpdateMany:
    """The write removing every link to the items ``ids`` (deleted or expired)."""
    targets = {"$in": list(ids)}
    return UpdateMany({LINK_FIELD: targets}, {"$pull": {LINK_FIELD: targets}})


def plan_forget_removed(docs: Sequence[Mapping[str, Any]], postings: str | None) -> Plan[None]:
    """For items removed outside a batch (sweep, purge; ``docs`` with ``_id`` and
    ``link_terms``): remove every link to them, then, given ``postings`` (the automatic links'
    collection), take their terms out of it."""
    yield BulkWrite((unlink_all([d["_id"] for d in docs]),))
    counted = forget(docs) if postings else []
    if counted:
        yield BulkWrite(tuple(counted), ordered=True, collection=postings)


def previous_entries(puts: Mapping[str, PreparedPut], settings: IndexSettings) -> Find:
    """The read (joined to the batch's read step) of what the written items' index entries are
    now (the hashes recorded on their documents)."""
    projection: dict[str, Any] = {name: 1 for name in settings.names}
    projection["index_pending"] = 1
    return Find({"_id": {"$in": sorted(puts)}}, projection, batch_size=len(puts))


def plan_writes(
    puts: Mapping[str, PreparedPut],
    refresh: Mapping[float, set[str]],
    indexed: Mapping[str, Mapping[str, Any]],
    settings: WriteSettings,
    now: datetime,
) -> Plan[None]:
    """Write a batch's puts, deletes and TTL refreshes, then sync the derived indexes.

    Args:
        puts: The last put per item ``_id``.
        refresh: Items whose TTL a read of this batch slides, by TTL in minutes.
        indexed: For each put item that exists, its recorded entries and ``index_pending``
            (from :func:`previous_entries`; empty without derived indexes).
        settings: The store's write settings.
        now: The batch's clock.

    Raises:
        PartialWriteError: If MongoDB refused some writes (the others were applied).
    """
    now_ms = epoch_ms(now)
    revision = uuid.uuid4().hex
    sync: list[SyncItem] = []
    names = settings.indexes.names
    if names:
        for doc_id, put in puts.items():
            if put.value is None:
                continue
            previous = indexed.get(doc_id) or {}
            sync.append(
                SyncItem(
                    doc_id,
                    put.namespace,
                    put.op.key,
                    settings.indexes.texts(put.value, put.op.index),
                    {name: recorded(previous, name) for name in names},
                    bool(previous.get("index_pending")),
                    expires_ms=expiry(now, put.ttl)[1],
                )  # fmt: skip
            )
    by_id = {item.doc_id: item for item in sync}
    writes: list[Any] = []
    for ttl, ids in sorted(refresh.items()):
        ids = ids - puts.keys()  # a put in this batch sets a fresh expiry anyway
        if ids:
            expires_at, expires_ms = expiry(now, ttl)
            writes.append(UpdateMany(
                {"_id": {"$in": sorted(ids)}, **live(now_ms)},
                {"$set": {"expires_at": expires_at, "expires_at_ms": expires_ms}},
            ))  # fmt: skip
    origins: list[list[int]] = [[] for _ in writes]  # TTL refreshes belong to no put
    for doc_id, put in puts.items():
        writes.append(_put_model(put, doc_id, now, settings, revision, by_id.get(doc_id)))
        origins.append(put.positions)
    removed = sorted(d for d, put in puts.items() if put.value is None)
    if removed:  # links to deleted items go in the same bulk write
        writes.append(unlink_all(removed))
        origins.append([])
    if writes:
        outcome = yield BulkWrite(tuple(writes), report_errors=True)
        if isinstance(outcome, Failed):
            raise partial_write_error(outcome.error, origins)
    deleted = [d for d, put in puts.items() if put.value is None and d in indexed]
    if sync or deleted:
        yield from plan_sync(sync, deleted, revision, names)
    return None


def partial_write_error(error: BaseException, origins: Sequence[list[int]]) -> PartialWriteError:
    """Name which ops of the batch were applied when MongoDB refused some of its writes.

    The store's bulk write is unordered: MongoDB attempts every write and reports the refused
    ones by position; the others were applied.

    Args:
        error: pymongo's ``BulkWriteError``.
        origins: For each write of the bulk write, the positions of the ops it carries.
    """
    details = getattr(error, "details", None) or {}
    refused = {
        int(e.get("index", -1)): str(e.get("errmsg", "")) for e in details.get("writeErrors") or []
    }
    failed: dict[int, str] = {}
    applied: list[int] = []
    concern = details.get("writeConcernErrors") or []
    for index, positions in enumerate(origins):
        if index in refused or (concern and not refused):
            message = refused.get(index) or str(concern[0].get("errmsg", "write concern error"))
            failed.update({p: message for p in positions})
        else:
            applied.extend(positions)
    applied.sort()
    summary = "; ".join(f"op {p}: {m}" for p, m in sorted(failed.items())[:5])
    return PartialWriteError(
        f"MongoDB refused {len(failed)} write(s) of the batch ({summary}); the ops at positions "
        f"{applied} were applied. Each put or delete is applied entirely or not at all.",
        applied,
        failed,
    )


def plan_sweep_items(
    now: datetime, *, indexes: Sequence[IndexName] = (), postings: str | None = None
) -> Plan[int]:
    """Delete expired items (and their entries in the derived ``indexes``), in chunks.

    Items are selected by ``expires_at_ms`` and deleted with the same condition, so an item whose
    TTL was refreshed in between is kept (and keeps its entries). In each derived index, the
    entries whose recorded expiry has passed are checked against MongoDB too: those of items
    that are gone (removed by MongoDB's TTL monitor, or by this sweep) are deleted, and live
    ones get their current expiry recorded. Links to the removed items are removed too (see
    :mod:`~langgraph_genesis_memory.store._graph`), and, given ``postings`` (the automatic
    links' collection), their terms there.

    Returns:
        A plan whose value is the number of items removed.
    """
    now_ms = epoch_ms(now)
    expired = {"expires_at_ms": {"$lte": now_ms}}
    deleted = 0
    while True:
        docs = yield Find(expired, {"_id": 1, NAMES_FIELD: 1}, limit=SWEEP_CHUNK,
                          batch_size=SWEEP_CHUNK)  # fmt: skip
        ids = [doc["_id"] for doc in docs]
        if ids:
            count = yield Delete({"_id": {"$in": ids}, **expired})
            deleted += count
            kept: set[str] = set()  # refreshed in between: still there, still linked
            if count < len(ids):
                gone = yield Find({"_id": {"$in": ids}}, {"_id": 1}, batch_size=len(ids))
                kept = {doc["_id"] for doc in gone}
            removed = [d for d in docs if d["_id"] not in kept]
            if removed:
                yield from plan_forget_removed(removed, postings)
            for name in indexes:
                yield from _plan_sweep_index(name, ids, now_ms, None)
        if len(ids) < SWEEP_CHUNK:
            break
    for name in indexes:
        candidates = yield IndexExpired(index=name, now_ms=now_ms, tolerate=True)
        if isinstance(candidates, Failed):
            logger.warning("Sweep could not read the %s index (%s).", name, candidates.error)
        else:
            yield from _plan_sweep_index(name, [], now_ms, candidates)
    return int(deleted)


def _plan_sweep_index(
    index: IndexName, swept: list[str], now_ms: int, candidates: Mapping[str, str] | None
) -> Plan[None]:
    """Delete the entries of items that are gone; record current expiries on live ones.

    Args:
        swept: Items this sweep deleted (their entries go unless the item lives again).
        now_ms: The sweep's clock.
        candidates: ``{entry_id: item_id}`` of entries whose recorded expiry has passed.
    """
    candidates = candidates or {}
    owners = sorted(set(candidates.values()) | set(swept))
    if not owners:
        return None
    found = yield Find(
        {"_id": {"$in": owners}, **live(now_ms)}, {"expires_at_ms": 1}, batch_size=len(owners)
    )
    alive = {doc["_id"]: int(doc["expires_at_ms"]) for doc in found}
    gone_items = [i for i in swept if i not in alive]
    gone = [eid for eid, owner in candidates.items() if owner not in alive]
    keep = [(eid, alive[owner]) for eid, owner in candidates.items() if owner in alive]
    outcome = yield Parallel(
        (
            IndexDelete(index=index, ids=gone, item_ids=gone_items, tolerate=True),
            IndexSetExpiry(
                index=index,
                ids=[e for e, _ in keep],
                expires_ms=[x for _, x in keep],
                tolerate=True,
            ),  # fmt: skip
        )
    )
    failure = next((o for o in outcome if isinstance(o, Failed)), None)
    if failure is not None:
        logger.warning("Sweep could not update the %s index (%s); store.reindex() will.",
                       index, failure.error)  # fmt: skip
    return None
