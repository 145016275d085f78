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

from langgraph.store.base import Item, SearchItem, get_text_at_path, tokenize_path

NAMESPACE_SEP = "\x01"
"""Separator between encoded labels."""

_ESC = "\x02"
_ENCODE = str.maketrans({NAMESPACE_SEP: _ESC + "\x02", _ESC: _ESC + "\x03"})

NEVER_MS = 2**62
"""``expires_at_ms`` of items that never expire (far beyond any real date)."""


def _encode_label(label: str) -> str:
    return label.translate(_ENCODE) if (NAMESPACE_SEP in label or _ESC in label) else label


def _decode_label(label: str) -> str:
    if _ESC not in label:
        return label
    out: list[str] = []
    chars = iter(label)
    for ch in chars:
        if ch == _ESC:
            nxt = next(chars)
            out.append(NAMESPACE_SEP if nxt == "\x02" else _ESC)
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
    return NAMESPACE_SEP.join(_encode_label(label) for label in labels)


def decode_path(encoded: str) -> tuple[str, ...]:
    """Invert :func:`encode_path`."""
    return tuple(_decode_label(part) for part in encoded.split(NAMESPACE_SEP))


def item_id(namespace: tuple[str, ...], key: str) -> str:
    """The ``_id`` of the document holding ``(namespace, key)``."""
    return encode_path((*namespace, key))


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
