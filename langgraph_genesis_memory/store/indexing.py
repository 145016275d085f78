"""Keeping the Chroma index in step with MongoDB, and repairing it (pure plans).

Order of work for a batch of puts and deletes (after they are written to MongoDB, flagged
``index_pending`` where their vectors must change):

1. embed the texts whose content hash changed (each distinct text once);
2. upsert their vectors and delete the vectors of removed fields and deleted items;
3. record the new hashes and clear ``index_pending``, only on documents still carrying this
   batch's ``revision`` (a later writer owns the others; they are flagged again).

A failure in 1-2 (the model or Chroma is down) loses nothing: the items stay in MongoDB, flagged,
and searches simply miss their new vectors until :func:`plan_reindex` (``store.reindex()``)
repairs them. The same function rebuilds everything after a change of model or ``dims``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import UpdateMany
from pymongo import UpdateOne as UpdateOneModel

from langgraph_genesis_memory.index.requests import vector_id, vector_metadata
from langgraph_genesis_memory.mongo import BulkWrite, Count, Failed, Find, Parallel, Plan
from langgraph_genesis_memory.store.documents import split_id
from langgraph_genesis_memory.store.vectors import (
    Embed,
    VectorDelete,
    VectorItemHashes,
    VectorReset,
    VectorText,
    VectorUpsert,
    vector_texts,
)

__all__ = ["SyncItem", "ReindexResult", "plan_sync_vectors", "plan_reindex", "index_paths"]

logger = logging.getLogger("langgraph_genesis_memory.store")


@dataclass(frozen=True)
class SyncItem:
    """One item whose vectors may need to change.

    Attributes:
        doc_id: The item's ``_id``.
        namespace: Its namespace labels.
        key: Its key.
        texts: The texts it must have vectors for now.
        old: ``{vector path: content hash}`` of the vectors recorded on its document.
        force: Re-embed every text even if its hash is unchanged (pending items, rebuilds).
    """

    doc_id: str
    namespace: tuple[str, ...]
    key: str
    texts: Sequence[VectorText]
    old: Mapping[str, str] = field(default_factory=dict)
    force: bool = False

    def needs_sync(self) -> bool:
        """Whether any vector must be written or deleted."""
        new = {t.path: t.hash for t in self.texts}
        return self.force or new != dict(self.old)


@dataclass
class ReindexResult:
    """What :meth:`GenesisStore.reindex` did.

    Attributes:
        items: Items whose vectors were (re)computed.
        vectors_written: Vectors upserted into Chroma.
        vectors_deleted: Vectors removed (orphans, stale fields, expired or deleted items).
        failed: Items left flagged ``index_pending`` because embedding or Chroma failed.
    """

    items: int = 0
    vectors_written: int = 0
    vectors_deleted: int = 0
    failed: int = 0


def index_paths(stored: object, default_fields: Sequence[str]) -> list[str]:
    """The paths an item is indexed with: its put's ``index=`` (stored), else the config's."""
    if stored is False:
        return []
    if isinstance(stored, list):
        return [str(p) for p in stored]
    return list(default_fields)


def hashes_of(doc: Mapping[str, Any]) -> dict[str, str]:
    """``{path: hash}`` recorded on a stored document."""
    return {v["p"]: v["h"] for v in doc.get("vectors") or () if "p" in v and "h" in v}


def plan_sync_vectors(
    items: Sequence[SyncItem],
    deleted_ids: Sequence[str],
    revision: str | None,
) -> Plan[ReindexResult]:
    """Bring Chroma in line with ``items`` and ``deleted_ids`` (see the module docstring).

    Args:
        items: Items written in MongoDB whose vectors may change.
        deleted_ids: ``_id`` of items deleted from MongoDB.
        revision: The ``revision`` the writes put on the documents; confirmations only touch
            documents that still carry it (``None``: confirm unconditionally, for repairs).

    Returns:
        A plan whose value reports what was written; failures are logged and counted.
    """
    result = ReindexResult()
    todo = [item for item in items if item.needs_sync()]
    upserts: list[tuple[SyncItem, VectorText]] = []
    stale: list[str] = []
    for item in todo:
        paths = {t.path for t in item.texts}
        upserts += [(item, t) for t in item.texts if item.force or item.old.get(t.path) != t.hash]
        stale += [vector_id(item.doc_id, p) for p in item.old if p not in paths]
    if not todo and not deleted_ids:
        return result
    unique = list(dict.fromkeys(t.text for _, t in upserts))
    vectors: dict[str, list[float]] = {}
    if unique:
        embedded = yield Embed(unique, tolerate=True)
        if isinstance(embedded, Failed):
            return _failed(result, todo, "embedding", embedded.error)
        vectors = dict(zip(unique, embedded, strict=True))
    upsert = VectorUpsert(
        [vector_id(item.doc_id, t.path) for item, t in upserts],
        [vectors[t.text] for _, t in upserts],
        [
            vector_metadata(item.doc_id, item.namespace, t.path, {"h": t.hash, "key": item.key})
            for item, t in upserts
        ],
        tolerate=True,
    )
    delete = VectorDelete(stale, list(deleted_ids), tolerate=True)
    outcomes = yield Parallel((upsert, delete))
    failure = next((o for o in outcomes if isinstance(o, Failed)), None)
    if failure is not None:
        return _failed(result, todo, "Chroma", failure.error)
    result.items = len(todo)
    result.vectors_written = len(upserts)
    result.vectors_deleted = len(stale)
    if not todo:
        return result
    confirm = []
    for item in todo:
        match: dict[str, Any] = {"_id": item.doc_id}
        if revision is not None:
            match["revision"] = revision
        recorded = [{"p": t.path, "h": t.hash} for t in item.texts]
        confirm.append(
            UpdateOneModel(match, {"$set": {"vectors": recorded, "index_pending": False}})
        )
    written = yield BulkWrite(tuple(confirm))
    if revision is not None and written.matched_count < len(confirm):
        # Another writer replaced some of these items meanwhile; its vectors may now be
        # overwritten by ours, so flag them for repair.
        yield BulkWrite(
            (
                UpdateMany(
                    {"_id": {"$in": [i.doc_id for i in todo]}, "revision": {"$ne": revision}},
                    {"$set": {"index_pending": True}},
                ),
            )
        )
    return result


def _failed(result: ReindexResult, todo: Sequence[SyncItem], what: str, error: BaseException):
    result.failed = len(todo)
    logger.warning(
        "Vector index update failed in %s (%s: %s); %d item(s) stay saved in MongoDB and are "
        "marked for repair: run store.reindex().",
        what,
        type(error).__name__,
        error,
        len(todo),
    )
    return result


def plan_reindex(
    live: Mapping[str, Any],
    default_fields: Sequence[str],
    *,
    full: bool = False,
    batch_size: int = 256,
    progress: Any = None,
) -> Plan[ReindexResult]:
    """Repair the vector index, or rebuild it entirely (``full=True``).

    Repair re-embeds items flagged ``index_pending``, then compares every vector in Chroma
    (id and content hash) with what MongoDB says each live item should have: orphans (deleted or
    expired items, removed fields) are deleted and items whose vectors differ are re-embedded,
    so afterwards Chroma agrees exactly with MongoDB. A rebuild drops the collection first and
    re-embeds every live item (after changing the embedding model or ``dims``).

    Args:
        live: The MongoDB clause selecting live (unexpired) items.
        default_fields: The store's ``IndexConfig`` fields.
        full: Rebuild everything.
        batch_size: Items embedded and written per step.
        progress: A ``tqdm`` progress bar (its total grows as work is found), or ``None``.

    Returns:
        A plan whose value is a :class:`ReindexResult`.
    """
    total = ReindexResult()
    projection = {"value": 1, "index_paths": 1, "vectors": 1}
    if full:
        yield VectorReset()
        selector: dict[str, Any] = dict(live)
    else:
        selector = {**live, "index_pending": True}
    yield from _reindex_pass(
        selector, projection, default_fields, full, batch_size, progress, total
    )
    # Exact agreement: compare every vector in Chroma with what MongoDB expects.
    in_index = yield VectorItemHashes()
    expected: dict[str, str] = {}
    docs = yield Find(live, {"vectors": 1})
    for doc in docs:
        for path, digest in hashes_of(doc).items():
            expected[vector_id(doc["_id"], path)] = digest
    orphans = [vid for vid in in_index if vid not in expected]
    wrong_items = {
        vid.rsplit("#", 1)[0] for vid, digest in expected.items() if in_index.get(vid) != digest
    }
    if orphans:
        yield VectorDelete(orphans)
        total.vectors_deleted += len(orphans)
    if wrong_items:
        selector = {**live, "_id": {"$in": sorted(wrong_items)}}
        yield from _reindex_pass(
            selector, projection, default_fields, False, batch_size, progress, total
        )
    return total


def _reindex_pass(
    selector: dict[str, Any],
    projection: dict[str, Any],
    default_fields: Sequence[str],
    rebuild: bool,
    batch_size: int,
    progress: Any,
    total: ReindexResult,
) -> Plan[None]:
    count = yield Count(selector)
    if progress is not None and count:
        progress.total = (progress.total or 0) + count
        progress.refresh()
    last: str | None = None
    while True:
        page_selector = dict(selector)
        if last is not None:
            page_selector = {"$and": [selector, {"_id": {"$gt": last}}]}
        docs = yield Find(page_selector, projection, sort=[("_id", 1)], limit=batch_size)
        if not docs:
            return
        items = [
            SyncItem(
                doc_id=doc["_id"],
                namespace=split_id(doc["_id"])[0],
                key=split_id(doc["_id"])[1],
                texts=vector_texts(
                    doc["value"], index_paths(doc.get("index_paths"), default_fields)
                ),
                old={} if rebuild else hashes_of(doc),
                force=True,
            )
            for doc in docs
        ]
        done = yield from plan_sync_vectors(items, (), None)
        total.items += done.items
        total.vectors_written += done.vectors_written
        total.vectors_deleted += done.vectors_deleted
        total.failed += done.failed
        if progress is not None:
            progress.update(len(docs))
        last = docs[-1]["_id"]
        if len(docs) < batch_size:
            return
