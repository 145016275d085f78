"""How items map onto MongoDB documents (pure functions, no I/O).

One item is one document in the store's collection::

    {
      "_id": "agent\\x01qa\\x01greeting",  # encode_path(namespace + (key,)): decodes to both
      "ns_key": "agent\\x01qa",             # encode_path(namespace): sorts and groups namespaces
      "value": {...},                      # the item's value, a dict
      "search_text": "...",                # only with lexical="text_index": for MongoDB's $text
      "created_at": <date>, "updated_at": <date>,
      "ttl": 43200.0 | None,                # minutes
      "expires_at": <date> | null,          # drives MongoDB's TTL index (expireAfterSeconds=0)
      "expires_at_ms": <int64>,             # the same instant in epoch ms; NEVER_MS if no TTL
    }

Namespace and key are read back from ``_id``, so documents carry no copy of them.
``encode_path`` joins labels with ``\\x01`` after escaping ``\\x01``/``\\x02`` inside labels, so
that (1) distinct tuples never collide, (2) byte order of the encoding equals LangGraph's tuple
order (``sorted`` on tuples), and (3) every item under a namespace prefix ``P`` has an ``_id``
in the half-open range ``[enc(P) + "\\x01", enc(P) + "\\x02")``: prefix search is one range on
the primary index. ``\\x00`` is not used: LangGraph forbids it in labels and it is not safe in
every MongoDB-compatible server's string handling.

``expires_at_ms`` exists next to ``expires_at`` because every expiry decision this package makes
(hiding expired items, sweeping) must be exact on any server: an integer compares exactly
everywhere, and items without a TTL carry :data:`NEVER_MS` so "not expired" is a single range.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import bson
from bson.errors import InvalidDocument
from langgraph.store.base import Item, SearchItem, get_text_at_path, tokenize_path

from langgraph_genesis_memory.errors import (
    InvalidKeyError,
    InvalidNamespaceError,
    InvalidValueError,
    ValueTooLargeError,
)

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "NEVER_MS",
    "SEP",
    "encode_path",
    "decode_path",
    "item_id",
    "split_id",
    "validate_namespace",
    "validate_namespace_prefix",
    "validate_key",
    "validate_value",
    "extract_text",
    "to_item",
    "to_search_item",
]

SEP = "\x01"
"""Separator between encoded labels."""

_ESC = "\x02"
_ENCODE = str.maketrans({SEP: _ESC + "\x02", _ESC: _ESC + "\x03"})

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
"""MongoDB's BSON document size limit (16 MiB)."""

NEVER_MS = 2**62
"""``expires_at_ms`` of items that never expire (far beyond any real date)."""


def _encode_label(label: str) -> str:
    return label.translate(_ENCODE) if (SEP in label or _ESC in label) else label


def _decode_label(label: str) -> str:
    if _ESC not in label:
        return label
    out: list[str] = []
    chars = iter(label)
    for ch in chars:
        if ch == _ESC:
            nxt = next(chars)
            out.append(SEP if nxt == "\x02" else _ESC)
        else:
            out.append(ch)
    return "".join(out)


def encode_path(labels: Iterable[str]) -> str:
    """Encode a tuple of labels as one string whose byte order is the tuple order.

    Args:
        labels: Namespace labels (and, for ``_id``, the key last).

    Returns:
        The labels joined by ``\\x01``, with ``\\x01``/``\\x02`` inside labels escaped.
    """
    return SEP.join(_encode_label(label) for label in labels)


def decode_path(encoded: str) -> tuple[str, ...]:
    """Invert :func:`encode_path`."""
    return tuple(_decode_label(part) for part in encoded.split(SEP))


def item_id(namespace: tuple[str, ...], key: str) -> str:
    """The ``_id`` of the document holding ``(namespace, key)``."""
    return encode_path((*namespace, key))


def _check_labels(namespace: object, what: str) -> tuple[str, ...]:
    if not isinstance(namespace, tuple):
        raise InvalidNamespaceError(
            f"{what} must be a tuple of strings, e.g. ('agent', 'qa'); got "
            f"{type(namespace).__name__} {namespace!r}."
        )
    for label in namespace:
        if not isinstance(label, str):
            raise InvalidNamespaceError(
                f"Namespace labels must be strings; got {type(label).__name__} {label!r} "
                f"in {namespace!r}."
            )
        if not label:
            raise InvalidNamespaceError(f"Namespace labels cannot be empty; got {namespace!r}.")
        if "." in label:
            raise InvalidNamespaceError(
                f"Namespace labels cannot contain '.'; got {label!r} in {namespace!r}. "
                "Use separate labels instead, e.g. ('a', 'b') rather than ('a.b',)."
            )
        if "\x00" in label:
            raise InvalidNamespaceError(
                f"Namespace labels cannot contain NUL characters; got {namespace!r}."
            )
    return namespace


def validate_namespace(namespace: object) -> tuple[str, ...]:
    """Check a namespace for writing or reading one item (LangGraph's rules).

    Raises:
        InvalidNamespaceError: If the namespace is not a non-empty tuple of non-empty strings
            without ``.`` or NUL, or its first label is ``"langgraph"``.
    """
    labels = _check_labels(namespace, "A namespace")
    if not labels:
        raise InvalidNamespaceError("A namespace cannot be empty; e.g. ('agent', 'qa').")
    if labels[0] == "langgraph":
        raise InvalidNamespaceError(
            f'The first namespace label cannot be "langgraph" (reserved); got {labels!r}.'
        )
    return labels


def validate_namespace_prefix(prefix: object) -> tuple[str, ...]:
    """Check a namespace prefix for search (may be empty: the whole store).

    Raises:
        InvalidNamespaceError: As :func:`validate_namespace`, except that ``()`` is allowed.
    """
    return _check_labels(prefix, "A namespace prefix")


def validate_key(key: object) -> str:
    """Check an item key: a non-empty string without NUL.

    Raises:
        InvalidKeyError: Otherwise.
    """
    if not isinstance(key, str):
        raise InvalidKeyError(f"Keys must be strings; got {type(key).__name__} {key!r}.")
    if not key:
        raise InvalidKeyError("Keys cannot be empty strings.")
    if "\x00" in key:
        raise InvalidKeyError(f"Keys cannot contain NUL characters; got {key!r}.")
    return key


def _dollar_key(value: Any) -> str | None:
    """The first key starting with ``$`` anywhere in ``value``, or ``None``."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if isinstance(key, str) and key.startswith("$"):
                return key
            found = _dollar_key(inner)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for inner in value:
            found = _dollar_key(inner)
            if found is not None:
                return found
    return None


def validate_value(value: object, *, overhead: int = 0) -> dict[str, Any]:
    """Check that ``value`` is a dict MongoDB can store, and under the size limit.

    Args:
        value: The item's value.
        overhead: Bytes the rest of the document adds (namespace, key, timestamps, text).

    Returns:
        ``value`` as a plain ``dict``.

    Raises:
        InvalidValueError: If ``value`` is not a mapping with string keys and BSON-encodable
            values (e.g. a ``set`` or an arbitrary object), or a key starts with ``$``.
        ValueTooLargeError: If the stored document would exceed 16 MiB (MongoDB's limit).
    """
    if not isinstance(value, Mapping):
        raise InvalidValueError(
            f"Values must be dicts (JSON objects); got {type(value).__name__}. "
            "Wrap other data, e.g. {'data': [...]}."
        )
    plain = dict(value)
    bad = _dollar_key(plain)
    if bad is not None:
        raise InvalidValueError(
            f"Value keys cannot start with '$' (found {bad!r}): MongoDB reserves them for "
            "operators. Rename the key, e.g. 'dollar_amount'."
        )
    try:
        size = len(bson.encode({"value": plain}))
    except (InvalidDocument, TypeError, OverflowError) as exc:
        raise InvalidValueError(f"Value cannot be stored in MongoDB: {exc}.") from exc
    if size + overhead > MAX_DOCUMENT_BYTES:
        raise ValueTooLargeError(
            f"Value is {size + overhead:,} bytes as a MongoDB document, over the "
            f"{MAX_DOCUMENT_BYTES:,}-byte (16 MiB) limit. Split it across several keys."
        )
    return plain


def _all_strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, Mapping):
        for inner in value.values():
            _all_strings(inner, out)
    elif isinstance(value, list | tuple):
        for inner in value:
            _all_strings(inner, out)


def extract_text(value: Mapping[str, Any], paths: list[str] | None) -> list[str]:
    """Texts of ``value`` at LangGraph JSON ``paths`` (``None`` or ``["$"]``: every string).

    Paths follow LangGraph's ``IndexConfig.fields`` syntax (``"a.b"``, ``"arr[*].x"``,
    ``"arr[-1]"``); a path that is missing from the value contributes nothing. For ``"$"`` the
    value's strings are returned one by one (for words); the vector index serialises the whole
    object instead.
    """
    texts: list[str] = []
    for path in paths or ["$"]:
        if path == "$":
            _all_strings(value, texts)
        else:
            texts.extend(get_text_at_path(value, tokenize_path(path)))
    return texts


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def split_id(doc_id: str) -> tuple[tuple[str, ...], str]:
    """``(namespace, key)`` of a document ``_id`` (see :func:`item_id`)."""
    labels = decode_path(doc_id)
    return labels[:-1], labels[-1]


def to_item(doc: Mapping[str, Any]) -> Item:
    """Build LangGraph's ``Item`` from a stored document (timestamps as UTC datetimes)."""
    namespace, key = split_id(doc["_id"])
    return Item(
        value=doc["value"],
        key=key,
        namespace=namespace,
        created_at=_utc(doc.get("created_at")),
        updated_at=_utc(doc.get("updated_at")),
    )


def to_search_item(doc: Mapping[str, Any], score: float | None = None) -> SearchItem:
    """Build LangGraph's ``SearchItem`` from a stored document and an optional score."""
    namespace, key = split_id(doc["_id"])
    return SearchItem(
        namespace=namespace,
        key=key,
        value=doc["value"],
        created_at=_utc(doc.get("created_at")),
        updated_at=_utc(doc.get("updated_at")),
        score=score,
    )
