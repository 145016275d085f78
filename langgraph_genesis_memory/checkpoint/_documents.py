"""How the saver lays checkpoints out as MongoDB documents (pure functions, no I/O).

Two collections (names derived from one base name, default ``checkpoints``); stored field names
follow LangGraph's savers (``type``, ``checkpoint``, ``metadata``, ``blob``) since schema
version 3 (see :mod:`langgraph_genesis_memory.checkpoint._upgrades` for the earlier names):

``checkpoints``
    Everything but pending writes, told apart by ``kind``, every document carrying
    ``thread_id`` (so deleting, copying or expiring a thread is one query per collection):

    * ``checkpoint``: one per checkpoint, ``_id`` ``thread_id US checkpoint_ns US checkpoint_id``
      (``US`` is the id separator :data:`ID_SEP`). It holds the serialized checkpoint
      *without* its channel values (``type``, ``checkpoint``), the serialized metadata
      (``metadata_type``, ``metadata_blob``), a queryable plain copy of the metadata
      (``metadata``, used by ``delete_for_runs`` through ``metadata.run_id``), the canonical
      metadata terms ``list(filter=...)`` matches (``metadata_terms``, see
      :func:`filter_terms`), the parent id and the channel versions as ``[channel, version]``
      pairs (``versions``).
    * ``value`` / ``list`` / ``empty``: channel values (``type``, ``blob``), stored once per
      ``(thread, namespace, channel, version)`` like LangGraph's ``InMemorySaver`` and
      ``PostgresSaver``; checkpoints refer to them through their versions. A list value (such
      as a message list) is a ``list`` head whose ``blob`` holds the 16-byte digests of its
      elements, and each element is stored once per thread and namespace as an element
      document (kind ``item``, ``type``/``blob``) addressed by its digest; so a conversation
      whose message list grows by one message per step stores each message about once.
    * ``chunk``: any payload larger than the chunk size (default 8 MiB) is split into chunks
      (``owner``, ``i``, ``blob``), so no document nears MongoDB's 16 MB limit; a record's
      ``n`` counts its head and chunks.
    * ``thread``: with a TTL, one per thread, ``expires_at_ms`` (epoch milliseconds, a number
      so that it can be refreshed with ``$set`` on every deployment).

    A checkpoint and the values it introduces are written by one *ordered* ``bulk_write``
    (values first), so a crash never leaves a checkpoint that refers to missing values.
``checkpoints_writes``
    One document per task and checkpoint, ``_id`` ``checkpoint _id US task_id``, holding all
    of that task's pending writes under ``w`` (keyed by :func:`write_key`; each entry ``idx``,
    ``channel``, ``type``, ``blob``, ``n``), so that a task's writes become visible all
    together or not at all (a single-document write is atomic on every deployment). A write
    whose payload does not fit inline is kept in ``chunk`` documents named after it
    (``chunked`` lists their write indexes). Documents written before this layout (one per
    write, ``_id`` ``checkpoint _id US task_id US idx``, ``type``/``blob`` at the top) are
    still read.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.serde.encrypted import EncryptedSerializer

from langgraph_genesis_memory.checkpoint._known import KnownElements
from langgraph_genesis_memory.errors import ConfigurationError, InvalidFilterError

ID_SEP = "\x1f"
"""Separator between the parts of a document ``_id`` (thread id, namespace, checkpoint id,
channel, task...): the ASCII unit separator, which thread ids and namespaces may not contain.

Not NUL: strings holding NUL are not matched reliably outside ``_id`` on every server. (The
store separates namespace labels with another character.)"""

TERM_SEP = "\x1f"
"""Separator between a metadata key and its canonical value in a filter term
(:func:`filter_terms`); metadata filter keys may not contain it."""

_DIGEST_SEP = b"\x1f"  # between type and payload in a list element's digest: never change it

DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024
"""Largest payload (bytes) kept in one document; bigger values are split into chunks."""

DIGEST_BYTES = 16
_LIST_MIN = 2  # lists shorter than this are stored as one value


@dataclass(frozen=True)
class Collections:
    """The names of the saver's two collections, derived from ``base``."""

    base: str

    @property
    def checkpoints(self) -> str:
        """Checkpoints, channel values, list items, chunks and thread records."""
        return self.base

    @property
    def writes(self) -> str:
        """Pending writes."""
        return f"{self.base}_writes"

    def all(self) -> tuple[str, str]:
        """Both names."""
        return (self.checkpoints, self.writes)


def _check_part(name: str, value: Any) -> str:
    if value is None:
        raise ConfigurationError(
            f"The checkpointer needs config['configurable']['{name}']; pass e.g. "
            "{'configurable': {'thread_id': 'session-1'}} to invoke/stream."
        )
    text = str(value)
    if ID_SEP in text:
        raise ConfigurationError(
            f"{name} must not contain the character \\x1f (ASCII unit separator), got {text!r}."
        )
    return text


def read_config(config: RunnableConfig) -> tuple[str, str, str | None]:
    """Return ``(thread_id, checkpoint_ns, checkpoint_id or None)`` from a config.

    Raises:
        ConfigurationError: If ``thread_id`` is missing or a part contains the separator ``\\x1f``.
    """
    conf = config.get("configurable") or {}
    thread_id = _check_part("thread_id", conf.get("thread_id"))
    ns = _check_part("checkpoint_ns", conf.get("checkpoint_ns") or "")
    cid = conf.get("checkpoint_id")
    return thread_id, ns, (_check_part("checkpoint_id", cid) if cid else None)


def checkpoint_doc_id(thread_id: str, ns: str, checkpoint_id: str) -> str:
    """``_id`` of a checkpoint document."""
    return f"{thread_id}{ID_SEP}{ns}{ID_SEP}{checkpoint_id}"


def blob_id(thread_id: str, ns: str, channel: str, version: Any) -> str:
    """``_id`` of the value of ``channel`` at ``version`` (``repr`` keeps 1 and "1" apart)."""
    return f"{thread_id}{ID_SEP}{ns}{ID_SEP}{channel}{ID_SEP}{version!r}"


def element_id(thread_id: str, ns: str, digest: bytes) -> str:
    """``_id`` of one list element, addressed by its digest within a thread and namespace."""
    return f"{thread_id}{ID_SEP}{ns}{ID_SEP}#{digest.hex()}"


def thread_doc_id(thread_id: str) -> str:
    """``_id`` of a thread's TTL record (one separator: no other id has only one)."""
    return f"{thread_id}{ID_SEP}#thread"


def write_doc_id(cp_id: str, task_id: str, idx: int) -> str:
    """Record id of one pending write (LangGraph keys writes by task and index): its chunks
    are named after it (and it was the ``_id`` of a write in the earlier layout)."""
    return f"{cp_id}{ID_SEP}{task_id}{ID_SEP}{idx}"


def task_doc_id(cp_id: str, task_id: str) -> str:
    """``_id`` of the document holding all pending writes of one task for one checkpoint."""
    return f"{cp_id}{ID_SEP}{task_id}"


def write_key(idx: int) -> str:
    """Field name of write ``idx`` under a task document's ``w``: ``i<n>`` for regular writes,
    ``s<n>`` for special ones (negative indexes); never a bare number (an array position)."""
    return f"i{idx}" if idx >= 0 else f"s{-idx}"


def task_writes(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The pending writes held by a document of the writes collection, one record each.

    Each record has ``_id`` (the write's record id), ``cp``, ``task_id``, ``task_path``,
    ``idx``, ``channel`` and its payload (``type``, ``blob``, ``n``, ``c``). A document of the
    earlier one-write-per-document layout is returned as it is.
    """
    entries = doc.get("w")
    if entries is None:
        return [dict[str, Any](doc)]
    out = []
    for entry in entries.values():
        record = dict(entry)
        record.update(
            _id=write_doc_id(doc["cp"], doc["task_id"], entry["idx"]),
            cp=doc["cp"],
            task_id=doc["task_id"],
            task_path=doc.get("task_path") or "",
        )
        out.append(record)
    return out


def chunk_owners(doc: Mapping[str, Any]) -> list[str]:
    """Record ids of the writes of a writes-collection document that have chunk documents."""
    if "w" not in doc and "chunked" not in doc:
        return [doc["_id"]] if int(doc.get("n") or 1) > 1 else []
    return [write_doc_id(doc["cp"], doc["task_id"], idx) for idx in doc.get("chunked") or ()]


_BSON_SCALARS = (str, bool, float, type(None))


def _plain(value: Any) -> tuple[bool, Any]:
    if isinstance(value, _BSON_SCALARS):
        return True, value
    if isinstance(value, int):
        return (-(2**63) <= value < 2**63), value
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            ok, p = _plain(v)
            if not ok:
                return False, None
            out.append(p)
        return True, out
    if isinstance(value, Mapping):
        obj = {}
        for k, v in value.items():
            if not isinstance(k, str) or not _safe_key(k):
                return False, None
            ok, p = _plain(v)
            if not ok:
                return False, None
            obj[k] = p
        return True, obj
    return False, None


def _safe_key(key: str) -> bool:
    return (
        bool(key) and not key.startswith("$") and "." not in key and TERM_SEP not in key
        and "\x00" not in key and _is_unicode(key)
    )  # fmt: skip


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _canonical_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time | UUID):
        return {
            "$type": type(value).__name__,
            "v": value.isoformat() if not isinstance(value, UUID) else str(value),
        }
    raise TypeError(type(value).__name__)


def canonical_json(value: Any) -> str | None:
    """A canonical text of a metadata value: equal values (by LangGraph's ``==``) give equal
    texts (dict keys sorted, integral floats as integers); ``None`` if it is not JSON-like
    (datetimes, dates, times and UUIDs are written as tagged objects)."""

    def normal(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer() and abs(v) < 2**63:
            return int(v)
        if isinstance(v, Mapping):
            return {str(k): normal(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [normal(x) for x in v]
        return v

    try:
        return json.dumps(normal(value), sort_keys=True, separators=(",", ":"),
                          allow_nan=False, default=_canonical_default)  # fmt: skip
    except (TypeError, ValueError, RecursionError):
        return None


def filter_terms(metadata: Mapping[str, Any]) -> list[str]:
    """The ``metadata_terms`` of checkpoint metadata: for each top-level key, the key itself
    (it is present) and ``"<key> US <canonical value>"`` when its value is JSON-like.

    ``list(filter=...)`` matches on them, so a filter value equals a stored one exactly as in
    LangGraph's savers (a dict in any key order; a list as a whole, never by element; ``None``
    also matching a missing key) on every MongoDB deployment, whatever the key's characters.
    """
    terms = []
    for key, value in metadata.items():
        if isinstance(key, str) and TERM_SEP not in key and _is_unicode(key):
            terms.append(key)
            text = canonical_json(value)
            if text is not None:
                terms.append(f"{key}{TERM_SEP}{text}")
    return terms


def plain_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The queryable copy of checkpoint metadata: every key whose value is plain JSON.

    Keys that MongoDB cannot query (``$`` prefix, dots) and values that are not JSON-like are
    left out of the copy (they are still kept in the serialized metadata).
    """
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        if isinstance(key, str) and _safe_key(key):
            ok, plain = _plain(value)
            if ok:
                out[key] = plain
    return out


def metadata_filter(filter: Mapping[str, Any] | None) -> dict[str, Any]:
    """Translate ``list(filter=...)`` into a query on ``metadata_terms`` (:func:`filter_terms`).

    Follows LangGraph's savers: every key must equal the given value; dict values compare as
    dicts (any key order), list values as whole lists, and ``None`` matches a missing key too.

    Raises:
        InvalidFilterError: For a key that is not a string, or a value that is not JSON-like
            (nor a datetime, date, time or UUID).
    """
    clauses = []
    for key, value in (filter or {}).items():
        if not isinstance(key, str) or TERM_SEP in key or not _is_unicode(key):
            raise InvalidFilterError(
                f"Checkpoint metadata filter keys must be strings of valid Unicode without "
                f"\\x1f; got {key!r:.80}."
            )
        text = canonical_json(value)
        if text is None:
            raise InvalidFilterError(
                f"Checkpoint metadata filter value for {key!r} must be JSON-like (str, number, "
                f"bool, None, list, dict), a datetime or a UUID; got {value!r:.80}."
            )
        term = {"metadata_terms": {"$in": [f"{key}{TERM_SEP}{text}"]}}
        # As InMemorySaver (metadata.get(key) == value): None also matches a missing key.
        missing = {"metadata_terms": {"$nin": [key]}}
        clauses.append({"$or": [term, missing]} if value is None else term)
    if not clauses:
        return {}
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def stored_field(doc: Mapping[str, Any], field: str = "blob") -> Any:
    """``doc[field]``: a payload field of a stored document, for readers.

    Args:
        doc: A document of either collection (or a pending write's record).
        field: The field (``"blob"``, or ``"type"`` of a checkpoint document).

    Returns:
        The field's value.

    Raises:
        ConfigurationError: If the document lacks it because it was stored before schema
            version 3 (whose field names ``setup()`` has not migrated yet).
    """
    try:
        return doc[field]
    except KeyError:
        raise ConfigurationError(
            f"Stored checkpoint data {doc.get('_id')!r} predates the current schema (no "
            f"{field!r} field). Call saver.setup() (or await saver.asetup()) once to upgrade "
            "the stored documents."
        ) from None


def assemble_bytes(head: Mapping[str, Any], chunks: Mapping[str, Mapping[str, Any]]) -> bytes:
    """Join a record's payload (``blob``) from its head document and its chunk documents.

    Raises:
        LookupError: If a chunk is missing.
        ConfigurationError: If a document predates the current schema (see :func:`stored_field`).
    """
    data = bytes(stored_field(head) or b"")
    ids = chunk_ids(head)
    if not ids:
        return data
    parts = [data]
    for i, cid in enumerate(ids, start=1):
        chunk = chunks.get(cid)
        if chunk is None:
            raise LookupError(f"Chunk {i} of {head['_id']!r} is missing.")
        parts.append(bytes(stored_field(chunk)))
    return b"".join(parts)


def chunk_ids(head: Mapping[str, Any]) -> list[str]:
    """The ``_id`` of every chunk document after the head (none for small records).

    A record with a nonce ``c`` (pending writes) has chunks of its own, ``<id> US ~<c>.<i>``,
    so a write replacing another never overwrites chunks the stored one still refers to.
    """
    nonce = head.get("c")
    stem = f"{head['_id']}{ID_SEP}~" + (f"{nonce}." if nonce else "")
    return [f"{stem}{i}" for i in range(1, int(head.get("n") or 1))]


@dataclass(frozen=True)
class Codec:
    """Serialization of values into record documents (LangGraph serde protocol).

    Attributes:
        serde: The saver's serializer (``dumps_typed``/``loads_typed``).
        chunk_bytes: Largest payload per document, in bytes.
    """

    serde: SerializerProtocol
    chunk_bytes: int = DEFAULT_CHUNK_BYTES

    def dumps(self, value: Any) -> tuple[str, bytes]:
        """Serialize ``value`` with the serde; the payload always as ``bytes`` (BSON binary)."""
        kind, data = self.serde.dumps_typed(value)
        return kind, bytes(data) if not isinstance(data, bytes) else data

    def loads(self, typed: tuple[str, bytes]) -> Any:
        """Deserialize a ``(type, payload)`` pair with the serde."""
        return self.serde.loads_typed(typed)

    def record(
        self, rec_id: str, thread_id: str, ns: str, type_name: str, data: bytes
    ) -> list[dict[str, Any]]:
        """The documents holding one serialized payload: a head, then chunks if it is large.

        Args:
            rec_id: The head's ``_id``; chunks are named after it.
            thread_id, ns: The thread and namespace the record belongs to.
            type_name: The serde's type tag (stored as ``type``).
            data: The serialized payload (stored as ``blob``, split over chunks if large).

        Returns:
            ``[head, chunk1, chunk2, ...]``; each a full document with ``_id``.
        """
        size = self.chunk_bytes
        n = max(1, math.ceil(len(data) / size))
        head = {"_id": rec_id, "thread_id": thread_id, "checkpoint_ns": ns, "type": type_name,
                "blob": data[:size], "n": n}  # fmt: skip
        docs = [head]
        for i in range(1, n):
            docs.append(
                {"_id": f"{rec_id}{ID_SEP}~{i}", "thread_id": thread_id, "checkpoint_ns": ns,
                 "kind": "chunk", "owner": rec_id, "i": i,
                 "blob": data[i * size : (i + 1) * size]}
            )  # fmt: skip
        return docs

    def inline_record(
        self, rec_id: str, thread_id: str, ns: str, type_name: str, data: bytes, budget: int
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """One payload as an entry embedded in another document, within ``budget`` bytes.

        Args:
            rec_id: The record id the chunks are owned by.
            thread_id, ns: The thread and namespace the record belongs to.
            type_name: The serde's type tag (``type``).
            data: The serialized payload (``blob``).
            budget: Bytes still free for inline payloads in the embedding document.

        Returns:
            ``(entry, chunk_docs)``: ``entry`` holds the payload inline when it fits the
            budget; otherwise it holds none of it, and the payload goes to fresh chunk
            documents (named with a random nonce ``c``, owned by ``rec_id``).
        """
        if len(data) <= max(budget, 0):
            return {"type": type_name, "blob": data, "n": 1}, []
        nonce = uuid.uuid4().hex[:12]
        size = self.chunk_bytes
        pieces = [data[i : i + size] for i in range(0, len(data), size)]
        entry = {"type": type_name, "blob": b"", "n": 1 + len(pieces), "c": nonce}
        ids = chunk_ids({"_id": rec_id, **entry})
        docs = [
            {
                "_id": cid,
                "thread_id": thread_id,
                "checkpoint_ns": ns,
                "kind": "chunk",
                "owner": rec_id,
                "i": i,
                "blob": piece,
            }  # fmt: skip
            for i, (cid, piece) in enumerate(zip(ids, pieces, strict=True), start=1)
        ]
        return entry, docs

    def _digest(self, element: Any, typed: tuple[str, bytes]) -> bytes:
        if isinstance(self.serde, EncryptedSerializer):
            # Ciphertexts are randomized; address the element by its plaintext encoding instead
            # (only a keyed hash of it is stored, never the plaintext).
            typed = self.serde.serde.dumps_typed(element)
        h = hashlib.blake2b(typed[0].encode() + _DIGEST_SEP + typed[1], digest_size=DIGEST_BYTES)
        return h.digest()

    def channel_docs(
        self,
        thread_id: str,
        ns: str,
        parent_id: str | None,
        rec_id: str,
        value: Any,
        known: KnownElements,
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[bytes]]:
        """Documents for one channel value of a checkpoint whose parent is ``parent_id``.

        Args:
            thread_id, ns: The checkpoint's thread and namespace.
            parent_id: The checkpoint's parent id (``None`` for the first of a thread).
            rec_id: The value's ``_id`` (:func:`blob_id`).
            value: The channel value.
            known: The saver's record of stored list elements; only read here (elements it
                knows are stored are not sent again).

        Returns:
            ``(blob_docs, element_docs, digests)``: the head (and chunks) that overwrite
            ``rec_id``; element documents to insert if absent; the digests of every element
            (for the saver to remember once the write succeeded).
        """
        if type(value) is list and len(value) >= _LIST_MIN:
            try:
                typed_items = [self.dumps(v) for v in value]
                digests = [self._digest(v, ty) for v, ty in zip(value, typed_items, strict=True)]
            except Exception:  # an element the serializer refuses alone: store the list whole
                digests = []
            packed = b"".join(digests)
            if digests and len(packed) <= self.chunk_bytes:
                missing = known.missing(thread_id, ns, parent_id, digests)
                elements: list[dict[str, Any]] = []
                seen: set[bytes] = set()
                for dg, ty in zip(digests, typed_items, strict=True):
                    if dg in missing and dg not in seen:
                        seen.add(dg)
                        docs = self.record(element_id(thread_id, ns, dg), thread_id, ns, *ty)
                        docs[0]["kind"] = "item"
                        elements.extend(docs)
                head = {"_id": rec_id, "thread_id": thread_id, "checkpoint_ns": ns,
                        "kind": "list", "type": None, "blob": packed, "n": 1}  # fmt: skip
                return [head], elements, set(digests)
        docs = self.record(rec_id, thread_id, ns, *self.dumps(value))
        docs[0]["kind"] = "value"
        return docs, [], set()

    def empty_doc(self, thread_id: str, ns: str, rec_id: str) -> dict[str, Any]:
        """The marker for a channel that has a version but no value (LangGraph's "empty")."""
        return {"_id": rec_id, "thread_id": thread_id, "checkpoint_ns": ns, "kind": "empty",
                "type": None, "blob": b"", "n": 1}  # fmt: skip
