"""Keeping the derived indexes in step with MongoDB, and repairing them (pure plans).

A store has up to two derived indexes (:mod:`langgraph_genesis_memory.index`): the **vector**
index (with LangGraph's ``IndexConfig``) and the **word** index. What an item contributes to each
is one text per path (:func:`vector_texts`, :func:`word_texts`); each text is hashed
(:func:`text_hash`) and the hashes are recorded on the item's document (``vectors``, ``words``)
and on its index entries, so a put whose text did not change is not indexed again, and
:func:`plan_reindex` can check each index against MongoDB exactly.

Order of work for a batch of puts and deletes (after they are written to MongoDB, flagged
``index_pending`` where an index must change):

1. embed the vector texts whose content hash changed (each distinct text once);
2. upsert the changed entries and delete the entries of removed fields and deleted items, in
   both indexes at once;
3. record the new hashes and clear ``index_pending``, only on documents still carrying this
   batch's ``revision`` (a later writer owns the others; they are flagged again).

A failure in 1-2 (the model or an index is down) loses nothing: the items stay in MongoDB,
flagged, and searches miss their new entries until :func:`plan_reindex` (``store.reindex()``)
repairs them. The same function rebuilds both indexes (``full=True``) after a change of model,
``dims`` or tokenizer.
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
    IndexName,
    IndexReset,
    IndexUpsert,
)
from langgraph_genesis_memory.index._base import IndexEntry, entry_id
from langgraph_genesis_memory.store._documents import NEVER_MS, extract_text, split_id

logger = logging.getLogger("langgraph_genesis_memory.store")

WHOLE_RESULT = 100_000
"""``batch_size`` for reads whose whole result is needed at once."""

MAX_WORDS_TEXT = 262_144
"""Characters of one text kept for the word index (longer texts are cut)."""


@dataclass(frozen=True)
class IndexText:
    """One text of an item for a derived index: the entry's path, the text and its hash."""

    path: str
    text: str
    hash: str


VectorText = IndexText


def text_hash(text: str) -> str:
    """Content hash of an indexed text (SHA-256, 16 hex digits)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def index_paths(stored: object, default_fields: Sequence[str]) -> list[str]:
    """The paths an item is indexed with: its put's ``index=`` (stored), else the config's."""
    if stored is False:
        return []
    if isinstance(stored, list):
        return [str(p) for p in stored]
    return list(default_fields)


def vector_texts(value: Mapping[str, Any], paths: Sequence[str]) -> list[IndexText]:
    """The texts of ``value`` to embed for LangGraph index ``paths``.

    Follows LangGraph's ``IndexConfig.fields`` rules: ``"$"`` is the whole value as JSON,
    ``"a.b"``, ``"arr[*].x"``, ``"arr[-1]"`` select parts; missing paths are skipped; several
    matches of one path become ``"path.0"``, ``"path.1"``... Empty texts are skipped.
    """
    out: list[IndexText] = []
    for path in paths:
        texts = get_text_at_path(value, path if path == "$" else tokenize_path(path))
        texts = [t for t in texts if t and t.strip()]
        if len(texts) == 1:
            out.append(IndexText(path, texts[0], text_hash(texts[0])))
        else:
            out.extend(
                IndexText(f"{path}.{i}", text, text_hash(text)) for i, text in enumerate(texts)
            )
    return out


def word_texts(value: Mapping[str, Any], paths: Sequence[str] | None) -> list[IndexText]:
    """The texts of ``value`` for the word index: one per indexed path (the strings found there,
    one per line), or, without a vector index (``paths=None``), every string of the value as
    one text under ``"$"``. The word index and the vector index rank the same fields."""
    groups = [("$", None)] if paths is None else [(p, [p]) for p in paths]
    out = []
    for path, selector in groups:
        text = "\n".join(extract_text(value, selector))[:MAX_WORDS_TEXT]
        if text.strip():
            out.append(IndexText(path, text, text_hash(text)))
    return out


def recorded(doc: Mapping[str, Any], field_name: str) -> dict[str, str]:
    """``{path: hash}`` recorded on a stored document for one index (``vectors``/``words``)."""
    return {v["p"]: v["h"] for v in doc.get(field_name) or () if "p" in v and "h" in v}


def hashes_of(doc: Mapping[str, Any]) -> dict[str, str]:
    """``{path: hash}`` of the vectors recorded on a stored document."""
    return recorded(doc, "vectors")


@dataclass(frozen=True)
class IndexSettings:
    """Which derived indexes a store keeps, and what feeds them.

    Attributes:
        vector_fields: The ``IndexConfig`` fields, or ``None`` without a vector index.
        words: Whether the store keeps a word index.
    """

    vector_fields: list[str] | None = None
    words: bool = False

    @property
    def names(self) -> list[IndexName]:
        """The derived indexes present."""
        found: list[IndexName] = []
        if self.vector_fields is not None:
            found.append("vectors")
        if self.words:
            found.append("words")
        return found

    def texts(self, value: Mapping[str, Any], stored_paths: object) -> dict[str, list[IndexText]]:
        """What an item with ``value`` (and its put's ``index=``) contributes to each index."""
        out: dict[str, list[IndexText]] = {}
        paths = (
            None if self.vector_fields is None else index_paths(stored_paths, self.vector_fields)
        )
        if self.vector_fields is not None:
            out["vectors"] = vector_texts(value, paths or [])
        if self.words:
            out["words"] = word_texts(value, paths)
        return out


@dataclass(frozen=True)
class SyncItem:
    """One item whose index entries may need to change.

    Attributes:
        doc_id: The item's ``_id``.
        namespace: Its namespace labels.
        key: Its key.
        texts: For each index, the texts it must have entries for now.
        old: For each index, ``{path: hash}`` recorded on its document.
        force: Write every entry even if its hash is unchanged (pending items, rebuilds).
        revision: The ``revision`` the document carried when read (repairs); confirmations only
            touch it if it still does. ``None``: use the batch's revision.
        expires_ms: The item's expiry (epoch ms), recorded on its entries so that sweeps find
            entries of items MongoDB's TTL monitor removed.
    """

    doc_id: str
    namespace: tuple[str, ...]
    key: str
    texts: Mapping[str, Sequence[IndexText]]
    old: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    force: bool = False
    revision: str | None = None
    expires_ms: int = NEVER_MS

    def changes(self, index: str) -> tuple[list[IndexText], list[str]]:
        """For one index: the texts to write and the entry paths to delete."""
        texts = self.texts.get(index, ())
        old = self.old.get(index, {})
        paths = {t.path for t in texts}
        upserts = [t for t in texts if self.force or old.get(t.path) != t.hash]
        return upserts, [p for p in old if p not in paths]

    def needs_sync(self) -> bool:
        """Whether any entry of any index must be written or deleted."""
        if self.force:
            return True
        indexes = set(self.texts) | set(self.old)
        return any({t.path: t.hash for t in self.texts.get(i, ())} != dict(self.old.get(i, {}))
                   for i in indexes)  # fmt: skip


@dataclass
class ReindexResult:
    """What :meth:`GenesisStore.reindex` did.

    Attributes:
        items: Items whose entries were (re)computed.
        vectors_written: Entries upserted into the vector index.
        vectors_deleted: Entries removed (orphans, stale fields, expired or deleted items), in
            every derived index.
        failed: Items left flagged ``index_pending`` because embedding or an index failed.
        words_written: Entries upserted into the word index.
    """

    items: int = 0
    vectors_written: int = 0
    vectors_deleted: int = 0
    failed: int = 0
    words_written: int = 0

    def add(self, other: ReindexResult) -> None:
        """Add another step's counts to these."""
        self.items += other.items
        self.vectors_written += other.vectors_written
        self.vectors_deleted += other.vectors_deleted
        self.failed += other.failed
        self.words_written += other.words_written


def _entry(item: SyncItem, source: IndexText, vector: Sequence[float] | None) -> IndexEntry:
    """The index entry of one text of an item: with its vector (vector index) or its text."""
    return IndexEntry(
        entry_id(item.doc_id, source.path), item.doc_id, item.namespace, item.key, source.path,
        source.hash, item.expires_ms, vector=vector,
        text=source.text if vector is None else None,
    )  # fmt: skip


def plan_sync(
    items: Sequence[SyncItem],
    deleted_ids: Sequence[str],
    revision: str | None,
    indexes: Sequence[IndexName],
) -> Plan[ReindexResult]:
    """Bring the derived indexes in line with ``items`` and ``deleted_ids`` (module docstring).

    Args:
        items: Items written in MongoDB whose entries may change.
        deleted_ids: ``_id`` of items deleted from MongoDB.
        revision: The ``revision`` the writes put on the documents; confirmations only touch
            documents that still carry it (``None``: confirm unconditionally, for repairs).
        indexes: The derived indexes the store keeps.

    Returns:
        A plan whose value reports what was written; failures are logged and counted.
    """
    result = ReindexResult()
    todo = [item for item in items if item.needs_sync()]
    if not indexes or (not todo and not deleted_ids):
        return result
    changes = {name: [(item, item.changes(name)) for item in todo] for name in indexes}
    requests: list[Any] = []
    vectors: dict[str, list[float]] = {}
    if "vectors" in indexes:
        unique = list(dict.fromkeys(t.text for _, (ups, _) in changes["vectors"] for t in ups))
        if unique:
            embedded = yield Embed(texts=unique, tolerate=True)
            if isinstance(embedded, Failed):
                return _failed(result, todo, "embedding", embedded.error)
            vectors = dict(zip(unique, embedded, strict=True))
    for name in indexes:
        entries = [
            _entry(item, t, vectors[t.text] if name == "vectors" else None)
            for item, (ups, _) in changes[name]
            for t in ups
        ]
        stale = [entry_id(item.doc_id, p) for item, (_, gone) in changes[name] for p in gone]
        requests.append(IndexUpsert(index=name, entries=entries, tolerate=True))
        requests.append(
            IndexDelete(index=name, ids=stale, item_ids=list(deleted_ids), tolerate=True)
        )
        result.vectors_deleted += len(stale) if name == "vectors" else 0
        if name == "vectors":
            result.vectors_written += len(entries)
        else:
            result.words_written += len(entries)
    outcomes = yield Parallel(tuple(requests))
    failure = next((o for o in outcomes if isinstance(o, Failed)), None)
    if failure is not None:
        return _failed(ReindexResult(), todo, "a derived index", failure.error)
    result.items = len(todo)
    if not todo:
        return result
    confirm = []
    guards: list[Any] = []
    for item in todo:
        expected = item.revision if item.revision is not None else revision
        confirm.append(_settle(item.doc_id, expected, item.texts))
        # If another writer replaced the item meanwhile, our entries may have overwritten its
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


def _settle(doc_id: str, revision: str | None, texts: Mapping[str, Sequence[IndexText]]) -> Any:
    """Record the entries' hashes on the item and clear its repair flag, if the document still
    carries ``revision`` (a later writer owns it otherwise)."""
    fields: dict[str, Any] = {
        name: [{"p": t.path, "h": t.hash} for t in entries] for name, entries in texts.items()
    }
    fields["index_pending"] = False
    return UpdateOne({"_id": doc_id, "revision": revision}, {"$set": fields})


def _failed(
    result: ReindexResult, todo: Sequence[SyncItem], what: str, error: BaseException
) -> ReindexResult:
    result.failed = len(todo)
    logger.warning(
        "Index update failed in %s (%s: %s); %d item(s) stay saved in MongoDB and are "
        "marked for repair: run store.reindex().",
        what,
        type(error).__name__,
        error,
        len(todo),
    )
    return result


def plan_reindex(
    live: Mapping[str, Any],
    settings: IndexSettings,
    *,
    full: bool = False,
    batch_size: int = 256,
    progress: Any = None,
) -> Plan[ReindexResult]:
    """Repair the derived indexes to exact agreement with MongoDB, or rebuild them.

    Every live item's texts are recomputed from its current value and compared, entry by entry
    (id and content hash), with what each index holds: missing or different entries are written
    again, entries of deleted or expired items and of removed fields are deleted, and each item's
    record (``vectors``, ``words``, ``index_pending``) is brought up to date. So items written
    before an index existed, items whose index update failed, and entries lost or left behind
    are all repaired. A rebuild (``full=True``) first drops every entry.

    Confirmations only touch documents whose ``revision`` is unchanged since they were read, so
    a repair never overrides a concurrent writer.

    Args:
        live: The MongoDB clause selecting live (unexpired) items.
        settings: The store's derived indexes.
        full: Rebuild everything.
        batch_size: Items indexed and written per step.
        progress: A ``tqdm`` progress bar (its total is set once the work is known), or ``None``.

    Returns:
        A plan whose value is a :class:`ReindexResult`.
    """
    total = ReindexResult()
    names = settings.names
    in_index: dict[str, dict[str, dict[str, str]]] = {}
    for name in names:
        by_item: dict[str, dict[str, str]] = {}
        if full:
            yield IndexReset(index=name)
        else:
            found: dict[str, str] = yield IndexHashes(index=name)
            for eid, digest in found.items():
                doc_id, _, path = eid.rpartition("#")
                by_item.setdefault(doc_id, {})[path] = digest
        in_index[name] = by_item
    fields = {"value": 1, "index_paths": 1, "index_pending": 1, "revision": 1, "expires_at_ms": 1}
    fields.update({name: 1 for name in names})
    docs = yield Find(live, fields, sort=[("_id", 1)], batch_size=WHOLE_RESULT)
    todo: list[SyncItem] = []
    settle: list[Any] = []
    for doc in docs:
        texts = settings.texts(doc["value"], doc.get("index_paths"))
        namespace, key = split_id(doc["_id"])
        item = SyncItem(
            doc["_id"], namespace, key, texts,
            old={name: in_index[name].pop(doc["_id"], {}) for name in names},
            revision=doc.get("revision"), expires_ms=int(doc.get("expires_at_ms", NEVER_MS)),
        )  # fmt: skip
        current = {name: {t.path: t.hash for t in texts[name]} for name in names}
        if item.needs_sync():
            todo.append(item)
        elif any(recorded(doc, n) != current[n] for n in names) or doc.get("index_pending"):
            settle.append(_settle(doc["_id"], doc.get("revision"), texts))
    for name in names:
        orphans = [entry_id(d, p) for d, paths in in_index[name].items() for p in paths]
        if orphans:
            yield IndexDelete(index=name, ids=orphans)
            total.vectors_deleted += len(orphans)
    if settle:
        yield BulkWrite(tuple(settle))
    if progress is not None and todo:
        progress.total = len(todo)
        progress.refresh()
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        total.add((yield from plan_sync(chunk, (), None, names)))
        if progress is not None:
            progress.update(len(chunk))
    return total
