"""Keeping the derived vector index in step with MongoDB, and repairing it (pure plans).

What an item contributes (:func:`vector_texts`): one text per path of its index fields
(LangGraph's JSON paths; a path with several matches yields ``"path.0"``, ``"path.1"``..., as in
LangGraph's ``InMemoryStore``). Each text is hashed (:func:`text_hash`); the hashes are recorded
on the item's document (``vectors``) and on its index entries, so a put whose text did not change
is not embedded again, and :func:`plan_reindex` can check the index against MongoDB exactly.

Order of work for a batch of puts and deletes (after they are written to MongoDB, flagged
``index_pending`` where their vectors must change):

1. embed the texts whose content hash changed (each distinct text once);
2. upsert their entries and delete the entries of removed fields and deleted items;
3. record the new hashes and clear ``index_pending``, only on documents still carrying this
   batch's ``revision`` (a later writer owns the others; they are flagged again).

A failure in 1-2 (the model or the index is down) loses nothing: the items stay in MongoDB,
flagged, and searches simply miss their new vectors until :func:`plan_reindex`
(``store.reindex()``) repairs them. The same function rebuilds everything after a change of model
or ``dims``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langgraph.store.base import get_text_at_path, tokenize_path
from pymongo import UpdateOne

from langgraph_genesis_memory._mongo import BulkWrite, Failed, Find, Parallel
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory._services import (
    Embed,
    IndexDelete,
    IndexHashes,
    IndexReset,
    IndexUpsert,
)
from langgraph_genesis_memory.index._base import IndexEntry, entry_id
from langgraph_genesis_memory.store._documents import NEVER_MS, split_id

logger = logging.getLogger("langgraph_genesis_memory.store")

WHOLE_RESULT = 100_000
"""``batch_size`` for reads whose whole result is needed at once."""


@dataclass(frozen=True)
class VectorText:
    """One text of an item to embed: the entry's path within the value and its hash."""

    path: str
    text: str
    hash: str


def text_hash(text: str) -> str:
    """Content hash of an embedded text (SHA-256, 16 hex digits)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def vector_texts(value: Mapping[str, Any], paths: Sequence[str]) -> list[VectorText]:
    """The texts of ``value`` to embed for LangGraph index ``paths``.

    Follows LangGraph's ``IndexConfig.fields`` rules: ``"$"`` is the whole value as JSON,
    ``"a.b"``, ``"arr[*].x"``, ``"arr[-1]"`` select parts; missing paths are skipped; several
    matches of one path become ``"path.0"``, ``"path.1"``... Empty texts are skipped.
    """
    out: list[VectorText] = []
    for path in paths:
        texts = get_text_at_path(value, path if path == "$" else tokenize_path(path))
        texts = [t for t in texts if t and t.strip()]
        if len(texts) == 1:
            out.append(VectorText(path, texts[0], text_hash(texts[0])))
        else:
            out.extend(
                VectorText(f"{path}.{i}", text, text_hash(text)) for i, text in enumerate(texts)
            )
    return out


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
        revision: The ``revision`` the document carried when read (repairs); confirmations only
            touch it if it still does. ``None``: use the batch's revision.
        expires_ms: The item's expiry (epoch ms), recorded on its entries so that sweeps find
            entries of items MongoDB's TTL monitor removed.
    """

    doc_id: str
    namespace: tuple[str, ...]
    key: str
    texts: Sequence[VectorText]
    old: Mapping[str, str] = field(default_factory=dict)
    force: bool = False
    revision: str | None = None
    expires_ms: int = NEVER_MS

    def needs_sync(self) -> bool:
        """Whether any vector must be written or deleted."""
        new = {t.path: t.hash for t in self.texts}
        return self.force or new != dict(self.old)


@dataclass
class ReindexResult:
    """What :meth:`GenesisStore.reindex` did.

    Attributes:
        items: Items whose vectors were (re)computed.
        vectors_written: Vectors upserted into the index.
        vectors_deleted: Vectors removed (orphans, stale fields, expired or deleted items).
        failed: Items left flagged ``index_pending`` because embedding or the index failed.
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
    """Bring the vector index in line with ``items`` and ``deleted_ids`` (module docstring).

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
        stale += [entry_id(item.doc_id, p) for p in item.old if p not in paths]
    if not todo and not deleted_ids:
        return result
    unique = list(dict.fromkeys(t.text for _, t in upserts))
    vectors: dict[str, list[float]] = {}
    if unique:
        embedded = yield Embed(texts=unique, tolerate=True)
        if isinstance(embedded, Failed):
            return _failed(result, todo, "embedding", embedded.error)
        vectors = dict(zip(unique, embedded, strict=True))
    entries = [
        IndexEntry(
            entry_id(item.doc_id, t.path),
            item.doc_id,
            item.namespace,
            item.key,
            t.path,
            t.hash,
            item.expires_ms,
            vector=vectors[t.text],
        )  # fmt: skip
        for item, t in upserts
    ]
    outcomes = yield Parallel(
        (
            IndexUpsert(entries=entries, tolerate=True),
            IndexDelete(ids=stale, item_ids=list(deleted_ids), tolerate=True),
        )
    )
    failure = next((o for o in outcomes if isinstance(o, Failed)), None)
    if failure is not None:
        return _failed(result, todo, "the vector index", failure.error)
    result.items = len(todo)
    result.vectors_written = len(upserts)
    result.vectors_deleted = len(stale)
    if not todo:
        return result
    confirm = []
    guards: list[Any] = []
    for item in todo:
        expected = item.revision if item.revision is not None else revision
        confirm.append(_settle(item.doc_id, expected, item.texts))
        # If another writer replaced the item meanwhile, our vectors may have overwritten its
        # newer ones in the index: flag it for repair.
        guards.append(
            UpdateOne(
                {"_id": item.doc_id, "revision": {"$ne": expected}},
                {"$set": {"index_pending": True}},
            )
        )
    written = yield BulkWrite(tuple(confirm))
    if written.matched_count < len(confirm):
        yield BulkWrite(tuple(guards))
    return result


def _settle(doc_id: str, revision: str | None, texts: Sequence[VectorText]) -> Any:
    """Record ``texts``' hashes as the item's vectors and clear its repair flag, if the document
    still carries ``revision`` (a later writer owns it otherwise)."""
    recorded = [{"p": t.path, "h": t.hash} for t in texts]
    return UpdateOne(
        {"_id": doc_id, "revision": revision},
        {"$set": {"vectors": recorded, "index_pending": False}},
    )


def _failed(
    result: ReindexResult, todo: Sequence[SyncItem], what: str, error: BaseException
) -> ReindexResult:
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
    """Repair the vector index to exact agreement with MongoDB, or rebuild it (``full=True``).

    Every live item's texts are recomputed from its current value and compared, entry by entry
    (id and content hash), with what the index holds: missing or different entries are embedded
    again, entries of deleted or expired items and of removed fields are deleted, and each item's
    record (``vectors``, ``index_pending``) is brought up to date. So items written before the
    index existed, items whose index update failed, and entries lost or left behind in the index
    are all repaired. A rebuild first drops every entry (after a change of model or ``dims``).

    Confirmations only touch documents whose ``revision`` is unchanged since they were read, so
    a repair never overrides a concurrent writer.

    Args:
        live: The MongoDB clause selecting live (unexpired) items.
        default_fields: The store's ``IndexConfig`` fields.
        full: Rebuild everything.
        batch_size: Items embedded and written per step.
        progress: A ``tqdm`` progress bar (its total is set once the work is known), or ``None``.

    Returns:
        A plan whose value is a :class:`ReindexResult`.
    """
    total = ReindexResult()
    in_index: dict[str, str] = {}
    if full:
        yield IndexReset()
    else:
        in_index = yield IndexHashes()
    by_item: dict[str, dict[str, str]] = {}
    for eid, digest in in_index.items():
        doc_id, _, path = eid.rpartition("#")
        by_item.setdefault(doc_id, {})[path] = digest
    docs = yield Find(
        live,
        {
            "value": 1,
            "index_paths": 1,
            "vectors": 1,
            "index_pending": 1,
            "revision": 1,
            "expires_at_ms": 1,
        },  # fmt: skip
        sort=[("_id", 1)],
        batch_size=WHOLE_RESULT,
    )
    todo: list[SyncItem] = []
    settle: list[Any] = []
    for doc in docs:
        texts = vector_texts(doc["value"], index_paths(doc.get("index_paths"), default_fields))
        namespace, key = split_id(doc["_id"])
        item = SyncItem(
            doc["_id"], namespace, key, texts,
            old=by_item.pop(doc["_id"], {}), revision=doc.get("revision"),
            expires_ms=int(doc.get("expires_at_ms", NEVER_MS)),
        )  # fmt: skip
        current = {t.path: t.hash for t in texts}
        if item.needs_sync():
            todo.append(item)
        elif hashes_of(doc) != current or doc.get("index_pending"):
            settle.append(_settle(doc["_id"], doc.get("revision"), texts))
    orphans = [entry_id(doc_id, path) for doc_id, paths in by_item.items() for path in paths]
    if orphans:
        yield IndexDelete(ids=orphans)
        total.vectors_deleted += len(orphans)
    if settle:
        yield BulkWrite(tuple(settle))
    if progress is not None and todo:
        progress.total = len(todo)
        progress.refresh()
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        done = yield from plan_sync_vectors(chunk, (), None)
        total.items += done.items
        total.vectors_written += done.vectors_written
        total.vectors_deleted += done.vectors_deleted
        total.failed += done.failed
        if progress is not None:
            progress.update(len(chunk))
    return total
