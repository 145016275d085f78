"""Backup records and the documents written from them (pure functions, no I/O).

An **item record** (one line of a backup)::

    {"type": "item", "namespace": ["agent", "qa"], "key": "greeting", "value": {...},
     "created_at": "2025-01-02T03:04:05.678000+00:00", "updated_at": "...",
     "ttl": 43200.0 | null,            # minutes: the TTL a read or a write slides
     "expires_at": "..." | null,       # when the item expires (null: never)
     "index": null | false | [paths],  # the put's index= argument
     "vectors": [{"path": "text", "hash": "...", "f32": "<base64 little-endian float32>"}]}

``vectors`` is present only in backups made with vectors. A **checkpoint record** holds one
checkpoint tuple of a saver, serialized with the saver's serializer (LangGraph's
``SerializerProtocol.dumps_typed``; bytes as base64)::

    {"type": "checkpoint", "thread_id": "...", "checkpoint_ns": "", "checkpoint_id": "...",
     "parent_checkpoint_id": "..." | null, "checkpoint": [type, b64], "metadata": [type, b64],
     "writes": [[task_id, channel, type, b64], ...]}

Documents written from item records follow :mod:`langgraph_genesis_memory.store._documents`,
with the record's timestamps and expiry instead of the write's time.
"""

from __future__ import annotations

import base64
import struct
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from langgraph_genesis_memory.errors import (
    BackupFormatError,
    GenesisMemoryError,
    InvalidArgumentError,
)
from langgraph_genesis_memory.index._base import IndexEntry, entry_id
from langgraph_genesis_memory.store._documents import NEVER_MS, encode_path, item_id, split_id
from langgraph_genesis_memory.store._search import lexical_text
from langgraph_genesis_memory.store._time import stored_fields
from langgraph_genesis_memory.store._ttl import TTLPolicy, check_ttl
from langgraph_genesis_memory.store._validation import (
    validate_key,
    validate_namespace,
    validate_value,
)


def iso(moment: datetime | str | None) -> str | None:
    """A stored timestamp as ISO 8601 in UTC (``None`` stays ``None``)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def from_ms(ms: int) -> datetime:
    """Epoch milliseconds as a UTC datetime."""
    return datetime.fromtimestamp(ms / 1000.0, UTC)


def epoch_ms(moment: datetime) -> int:
    """A datetime in epoch milliseconds."""
    return int(moment.timestamp() * 1000)


def pack_vector(vector: Sequence[float]) -> str:
    """A vector as base64 of little-endian float32 (Chroma keeps float32)."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def unpack_vector(packed: str) -> list[float]:
    """Invert :func:`pack_vector`."""
    raw = base64.b64decode(packed)
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


ITEM_PROJECTION = {
    "value": 1,
    "created_at": 1,
    "updated_at": 1,
    "ttl": 1,
    "expires_at_ms": 1,
    "index_paths": 1,
    "vectors": 1,
}
"""The fields a backup reads of each stored item."""


def item_record(
    doc: Mapping[str, Any], vectors: Mapping[str, Sequence[float]] | None = None
) -> dict[str, Any]:
    """The backup record of a stored item document.

    Args:
        doc: The document (with :data:`ITEM_PROJECTION`).
        vectors: ``{entry_id: vector}`` read from the vector index, to include the item's
            vectors (``None``: none).
    """
    namespace, key = split_id(doc["_id"])
    expires_ms = int(doc.get("expires_at_ms", NEVER_MS))
    record: dict[str, Any] = {
        "type": "item",
        "namespace": list(namespace),
        "key": key,
        "value": doc["value"],
        "created_at": iso(doc.get("created_at")),
        "updated_at": iso(doc.get("updated_at")),
        "ttl": doc.get("ttl"),
        "expires_at": None if expires_ms >= NEVER_MS else iso(from_ms(expires_ms)),
        "index": doc.get("index_paths"),
    }
    if vectors is not None:
        found = []
        for entry in doc.get("vectors") or ():
            vector = vectors.get(entry_id(doc["_id"], entry.get("p", "")))
            if vector is not None:
                found.append({"path": entry["p"], "hash": entry["h"], "f32": pack_vector(vector)})
        record["vectors"] = found
    return record


def entry_ids(doc: Mapping[str, Any]) -> list[str]:
    """The vector-index entry ids recorded on a stored item."""
    return [entry_id(doc["_id"], v["p"]) for v in doc.get("vectors") or () if "p" in v]


@dataclass(frozen=True)
class TargetSettings:
    """What writing items into a store needs to know of it.

    Attributes:
        ttl: The store's TTL policy (migrations apply it).
        derived: Whether the store keeps derived indexes (then items are written flagged
            ``index_pending`` and ``reindex()`` indexes them).
        vector_fields: The ``IndexConfig`` fields, or ``None``.
        text_index: Whether items carry ``search_text`` for MongoDB's ``$text`` index.
        dims: The vector index's dimensions, or ``None``.
        model: A name of the embedding model, or ``None``.
        reserved_fields: Whether the store reads values' link and time fields
            (``GenesisStore(reserved_fields=...)``).
    """

    ttl: TTLPolicy
    derived: bool = False
    vector_fields: list[str] | None = None
    text_index: bool = False
    dims: int | None = None
    model: str | None = None
    reserved_fields: bool = True


@dataclass
class ItemWrite:
    """One item to write: its ``_id``, the document and the vectors it came with."""

    doc_id: str
    namespace: tuple[str, ...]
    key: str
    document: dict[str, Any]
    vectors: list[tuple[str, str, list[float]]] = field(default_factory=list)


def _time(record: Mapping[str, Any], name: str, line: object) -> datetime:
    raw = record.get(name)
    try:
        moment = datetime.fromisoformat(str(raw))
    except (TypeError, ValueError) as exc:
        raise BackupFormatError(f"line {line}: {name} is not an ISO 8601 time: {raw!r}.") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_item(
    record: Mapping[str, Any], reserved_fields: bool = True
) -> tuple[tuple[str, ...], str, dict[str, Any]]:
    """Check an item record's namespace, key and value (the store's rules; ``reserved_fields``:
    the target store's setting).

    Raises:
        BackupFormatError: If any of them is missing or invalid (the line is named).
    """
    line = record.get("_line", "?")
    try:
        namespace = validate_namespace(tuple(record.get("namespace") or ()))
        key = validate_key(record.get("key"))
        value = validate_value(record.get("value"))
        stored_fields(value, namespace, 0, reserved_fields)  # links and times as a put checks
        if record.get("ttl") is not None:
            check_ttl(record["ttl"], "ttl", InvalidArgumentError)
    except (GenesisMemoryError, TypeError) as exc:
        raise BackupFormatError(f"line {line}: {exc}") from exc
    for name in ("created_at", "updated_at"):
        _time(record, name, line)
    if record.get("expires_at") is not None:
        _time(record, "expires_at", line)
    return namespace, key, value


def document(
    namespace: tuple[str, ...],
    key: str,
    value: dict[str, Any],
    *,
    created_at: datetime,
    updated_at: datetime,
    ttl: float | None,
    expires_at: datetime | None,
    index: object,
    settings: TargetSettings,
    revision: str,
) -> dict[str, Any]:
    """The stored document of an item with given timestamps and expiry."""
    doc_id = item_id(namespace, key)
    doc: dict[str, Any] = {
        "_id": doc_id,
        "ns_key": encode_path(namespace),
        "value": value,
        "created_at": created_at,
        "updated_at": updated_at,
        "ttl": ttl,
        "expires_at": expires_at,
        "expires_at_ms": NEVER_MS if expires_at is None else epoch_ms(expires_at),
        **stored_fields(value, namespace, epoch_ms(created_at), settings.reserved_fields),
    }
    if settings.text_index:
        doc["search_text"] = lexical_text(value, index, settings.vector_fields)
    if settings.derived:
        doc["index_paths"] = index if index is False or isinstance(index, list) else None
        doc["revision"] = revision
        doc["index_pending"] = True
    return doc


def restored_item(
    record: Mapping[str, Any],
    settings: TargetSettings,
    *,
    shift: timedelta,
    now_ms: int,
    revision: str,
    with_vectors: bool,
    checked: bool = False,
) -> ItemWrite | None:
    """The write that restores an item record; ``None`` if it has expired by ``now_ms``.

    Args:
        record: The item record.
        settings: The target store's settings.
        shift: Added to the recorded expiry (zero keeps the absolute expiry; the time since the
            backup keeps the remaining TTL).
        now_ms: The restore's clock.
        revision: The ``revision`` written on derived-index documents.
        with_vectors: Keep the record's vectors (the target's model and dims match).
        checked: The record already passed :func:`parse_item` (restore's first pass): skip
            the value checks.

    Raises:
        BackupFormatError: If the record is invalid.
    """
    if checked:
        namespace = tuple(record["namespace"])
        key, value = record["key"], record["value"]
    else:
        namespace, key, value = parse_item(record, settings.reserved_fields)
    line = record.get("_line", "?")
    expires_at = None
    if record.get("expires_at") is not None:
        expires_at = _time(record, "expires_at", line) + shift
        if epoch_ms(expires_at) <= now_ms:
            return None
    doc = document(
        namespace,
        key,
        value,
        created_at=_time(record, "created_at", line),
        updated_at=_time(record, "updated_at", line),
        ttl=record.get("ttl"),
        expires_at=expires_at,
        index=record.get("index"),
        settings=settings,
        revision=revision,
    )
    vectors = []
    if with_vectors:
        for entry in record.get("vectors") or ():
            try:
                vector = unpack_vector(entry["f32"])
                vectors.append((str(entry["path"]), str(entry["hash"]), vector))
            except (KeyError, TypeError, ValueError, struct.error) as exc:
                raise BackupFormatError(f"line {line}: a malformed vector ({exc}).") from exc
    return ItemWrite(doc["_id"], namespace, key, doc, vectors)


def index_entries(write: ItemWrite, dims: int | None) -> list[IndexEntry]:
    """The vector-index entries of a restored item (vectors of other dimensions are dropped)."""
    expires = int(write.document["expires_at_ms"])
    return [
        IndexEntry(
            entry_id(write.doc_id, path),
            write.doc_id,
            write.namespace,
            write.key,
            path,
            digest,
            expires,
            vector=vector,
        )  # fmt: skip
        for path, digest, vector in write.vectors
        if dims is None or len(vector) == dims
    ]


def same_item(doc: Mapping[str, Any], write: ItemWrite) -> bool:
    """Whether a stored document already holds exactly what ``write`` would restore."""
    ours = write.document

    def ms(value: Any) -> int | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return epoch_ms(moment)

    return bool(
        doc.get("value") == ours["value"]
        and ms(doc.get("created_at")) == ms(ours["created_at"])
        and ms(doc.get("updated_at")) == ms(ours["updated_at"])
    )


def new_revision() -> str:
    """A fresh ``revision`` for documents written by one run."""
    return uuid.uuid4().hex
