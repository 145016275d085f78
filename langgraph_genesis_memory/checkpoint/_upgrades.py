"""Upgrades of documents written by earlier schema versions of the saver (run by ``setup()``).

The saver's migrations (``CHECKPOINT_MIGRATIONS`` in
:mod:`langgraph_genesis_memory.checkpoint._saver`, applied by
:mod:`langgraph_genesis_memory._migrations`) are, per collection:

``checkpoints``
    1. Indexes.
    2. ``list(filter=...)`` matches canonical metadata terms: :func:`plan_backfill_filter_terms`
       gives older checkpoints their terms (then named ``mf``).
    3. Field names in LangGraph's terms: :func:`plan_rename_checkpoint_fields` renames the
       fields of every document (:data:`CHECKPOINT_FIELDS_V3`, :data:`RECORD_FIELDS_V3`), and
       the indexes on ``metadata.run_id`` and ``metadata_terms`` replace those on the old
       names (:data:`LEGACY_INDEX_KEYS`, dropped by :func:`drop_legacy_indexes`).
``checkpoints_writes``
    1. Indexes.
    2. Field names in LangGraph's terms: :func:`plan_rename_write_fields` renames the payload
       fields of every pending write (:data:`RECORD_FIELDS_V3`).

The renames work in batches of documents read in ``_id`` order (memory bounded by one batch),
use ``$rename`` (so payloads are never sent back) on exactly the fields a document has, and
are guarded on the old payload field still being there: running them again, or after a crash
part-way, changes nothing that was already renamed. Run ``setup()`` once after upgrading and
before serving; processes of the earlier version must not write meanwhile.

The field names of earlier versions appear only here and in the earlier index sets of
``CHECKPOINT_MIGRATIONS``: the saver's readers and writers use the current names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pymongo
from pymongo import UpdateOne
from pymongo.errors import OperationFailure

from langgraph_genesis_memory._mongo import BulkWrite, Find
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.checkpoint._documents import filter_terms
from langgraph_genesis_memory.checkpoint._plan import SaverSchema

MIGRATION_BATCH_SIZE = 1000
"""Documents of the ``checkpoints`` collection read (without payloads) and updated per round
trip by the migrations."""

MIGRATION_WRITES_BATCH_SIZE = 100
"""Documents of the writes collection read (whole: a document's writes are keyed by index)
and updated per round trip; bounds the memory of :func:`plan_rename_write_fields`."""

MAX_RENAME_ATTEMPTS = 16
"""Times a batch of pending writes is read again when a writer changed one of its documents
between the read and the update."""

CHECKPOINT_FIELDS_V3 = {
    "t": "type",
    "d": "checkpoint",
    "mt": "metadata_type",
    "md_bytes": "metadata_blob",
    "md": "metadata",
    "mf": "metadata_terms",
}
"""Fields of a ``checkpoint`` document renamed by version 3: old name -> current name."""

RECORD_FIELDS_V3 = {"t": "type", "d": "blob"}
"""Fields of every other record renamed: values, list heads, elements, empty markers and
chunks (``checkpoints`` version 3) and pending writes (writes version 2); old name -> current
name."""

LEGACY_INDEX_KEYS = ({"md.run_id": 1}, {"mf": 1})
"""Keys of the indexes of versions 1 and 2 that name old fields (replaced in version 3)."""


def plan_backfill_filter_terms(schema: SaverSchema) -> Plan[int]:
    """Version 2: give checkpoints written before it their metadata filter terms (``mf``).

    Reads and writes the field names of version 2 (version 3 renames them afterwards).
    Idempotent: only checkpoints of the old layout without ``mf`` are touched. A checkpoint
    whose metadata the serde cannot read (e.g. encrypted with another key) gets no terms, so
    it matches no filter.

    Args:
        schema: The saver's schema (its collections and codec).

    Returns:
        A plan whose value is the number of checkpoints updated.
    """
    collection = schema.collections.checkpoints
    done = 0
    while True:
        docs = yield Find(
            {"kind": "checkpoint", "mf": {"$exists": False}, "d": {"$exists": True}},
            {"mt": 1, "md_bytes": 1},
            limit=MIGRATION_BATCH_SIZE,
            collection=collection,
        )
        updates = []
        for doc in docs:
            try:
                terms = filter_terms(schema.codec.loads((doc["mt"], doc["md_bytes"])))
            except Exception:  # noqa: BLE001 - unreadable metadata: no terms, never retried
                terms = []
            updates.append(UpdateOne({"_id": doc["_id"]}, {"$set": {"mf": terms}}))
        if updates:
            yield BulkWrite(updates, collection=collection)
        done += len(updates)
        if len(docs) < MIGRATION_BATCH_SIZE:
            return done


def _renames(doc: Mapping[str, Any], fields: Mapping[str, str], prefix: str = "") -> dict[str, Any]:
    # Only fields the document has: MongoDB ignores a $rename of a missing field, but some
    # compatible servers create the target as null instead.
    return {f"{prefix}{old}": f"{prefix}{new}" for old, new in fields.items() if old in doc}


def checkpoint_doc_update(doc: Mapping[str, Any]) -> UpdateOne:
    """The version-3 rename of one document of the ``checkpoints`` collection.

    Args:
        doc: The document as read with every field but its payload ``d`` (so the query
            guarantees ``d`` is there); must have ``_id`` and ``kind``.

    Returns:
        An ``UpdateOne`` renaming exactly the old fields the document has, guarded on ``d``
        (a document renamed already is left alone).
    """
    fields = CHECKPOINT_FIELDS_V3 if doc.get("kind") == "checkpoint" else RECORD_FIELDS_V3
    renames = _renames({**doc, "d": True}, fields)
    return UpdateOne({"_id": doc["_id"], "d": {"$exists": True}}, {"$rename": renames})


def plan_rename_checkpoint_fields(schema: SaverSchema) -> Plan[int]:
    """Version 3 of the ``checkpoints`` collection: rename fields to LangGraph's terms.

    Checkpoints get ``type``, ``checkpoint``, ``metadata_type``, ``metadata_blob``,
    ``metadata`` and ``metadata_terms``; values, list heads, elements, empty markers and
    chunks get ``type`` and ``blob``. Documents are visited once, in ``_id`` order, in batches
    of :data:`MIGRATION_BATCH_SIZE`, read without their payloads; each batch is one bulk write.

    Args:
        schema: The saver's schema (its collection names).

    Returns:
        A plan whose value is the number of documents renamed.
    """
    collection = schema.collections.checkpoints
    projection = dict.fromkeys(["kind", *(f for f in CHECKPOINT_FIELDS_V3 if f != "d")], 1)
    renamed, after = 0, None
    while True:
        query: dict[str, Any] = {"d": {"$exists": True}}
        if after is not None:
            query["_id"] = {"$gt": after}
        docs = yield Find(
            query,
            projection,
            sort=[("_id", 1)],
            limit=MIGRATION_BATCH_SIZE,
            collection=collection,
        )
        if docs:
            yield BulkWrite([checkpoint_doc_update(d) for d in docs], collection=collection)
        renamed += len(docs)
        if len(docs) < MIGRATION_BATCH_SIZE:
            return renamed
        after = docs[-1]["_id"]


def write_doc_update(doc: Mapping[str, Any]) -> UpdateOne | None:
    """The version-2 rename of one document of the writes collection (``None``: nothing to do).

    A task document's writes are entries under ``w`` (renamed in place, ``w.<key>.t`` to
    ``w.<key>.type``...); a document of the one-write-per-document layout has its payload at
    the top. The update is guarded on every old payload field it renames, so it does nothing
    if a writer replaced one of them meanwhile (the caller then reads the document again).
    """
    renames: dict[str, str] = {}
    guard: dict[str, Any] = {"_id": doc["_id"]}
    if "d" in doc:
        renames.update(_renames(doc, RECORD_FIELDS_V3))
        guard["d"] = {"$exists": True}
    entries = doc.get("w")
    if isinstance(entries, Mapping):
        for key, entry in entries.items():
            if isinstance(entry, Mapping) and "d" in entry:
                renames.update(_renames(entry, RECORD_FIELDS_V3, prefix=f"w.{key}."))
                guard[f"w.{key}.d"] = {"$exists": True}
    if not renames:
        return None
    return UpdateOne(guard, {"$rename": renames})


def plan_rename_write_fields(schema: SaverSchema) -> Plan[int]:
    """Version 2 of the writes collection: pending writes' payloads as ``type`` and ``blob``.

    Documents are read whole (their entries are keyed by write index), in ``_id`` order, in
    batches of :data:`MIGRATION_WRITES_BATCH_SIZE`; each batch is one bulk write of the
    documents that still have old fields.

    Args:
        schema: The saver's schema (its collection names).

    Returns:
        A plan whose value is the number of documents renamed.

    Raises:
        RuntimeError: If writers kept changing a batch's documents during the migration.
    """
    collection = schema.collections.writes
    renamed, after, attempts = 0, None, 0
    while True:
        query: dict[str, Any] = {} if after is None else {"_id": {"$gt": after}}
        docs = yield Find(
            query, sort=[("_id", 1)], limit=MIGRATION_WRITES_BATCH_SIZE, collection=collection
        )
        updates = [u for u in map(write_doc_update, docs) if u is not None]
        if updates:
            result = yield BulkWrite(updates, collection=collection)
            renamed += result.matched_count
            if result.matched_count < len(updates):  # a writer got there first: read again
                attempts += 1
                if attempts >= MAX_RENAME_ATTEMPTS:
                    raise RuntimeError(
                        "Pending writes kept changing while setup() renamed their fields; "
                        "stop processes of the earlier version and call setup() again."
                    )
                continue
        attempts = 0
        if len(docs) < MIGRATION_WRITES_BATCH_SIZE:
            return renamed
        after = docs[-1]["_id"]


def legacy_index_names(indexes: Iterable[Mapping[str, Any]]) -> list[str]:
    """The names of the indexes (as ``list_indexes`` returns them) on old field names.

    Matched by key (:data:`LEGACY_INDEX_KEYS`), not by name: not every server keeps the
    names given at creation.
    """
    return [spec["name"] for spec in indexes if dict(spec.get("key") or {}) in LEGACY_INDEX_KEYS]


_INDEX_NOT_FOUND = 27


def _timeout(timeout_ms: int | None) -> Any:
    return pymongo.timeout(None if timeout_ms is None else timeout_ms / 1000.0)


def drop_legacy_indexes(collection: Any, timeout_ms: int | None = None) -> list[str]:
    """Drop the indexes on old field names from a pymongo ``Collection`` (idempotent).

    Runs after the migrations (``setup()``): the request layer that runs plans has no index
    removal, so this is a direct pymongo call; its async twin is :func:`adrop_legacy_indexes`.

    Args:
        collection: The saver's ``checkpoints`` collection (sync pymongo).
        timeout_ms: Milliseconds the listing and each drop may take (``None``: the client's).

    Returns:
        The names of the indexes dropped.
    """
    with _timeout(timeout_ms):
        names = legacy_index_names(collection.list_indexes())
    for name in names:
        try:
            with _timeout(timeout_ms):
                collection.drop_index(name)
        except OperationFailure as exc:  # dropped meanwhile by another setup()
            if exc.code != _INDEX_NOT_FOUND:
                raise
    return names


async def adrop_legacy_indexes(collection: Any, timeout_ms: int | None = None) -> list[str]:
    """Async twin of :func:`drop_legacy_indexes` for a pymongo ``AsyncCollection``."""
    with _timeout(timeout_ms):
        names = legacy_index_names(await (await collection.list_indexes()).to_list())
    for name in names:
        try:
            with _timeout(timeout_ms):
                await collection.drop_index(name)
        except OperationFailure as exc:
            if exc.code != _INDEX_NOT_FOUND:
                raise
    return names
