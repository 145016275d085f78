"""What the store accepts: namespaces, keys, values, and the arguments of each operation.

Every check here runs before anything is sent to MongoDB, so a batch holding one bad op
writes nothing. The rules are chosen so that what is accepted is stored and read back
identically on every MongoDB deployment (and on the local development server).

**The value domain** (the same for values and for filter operands) is JSON-like data, as
LangGraph's own stores expect (``PostgresStore`` and ``SqliteStore`` store values as JSON):

* a value is a ``dict`` (any ``Mapping``) with ``str`` keys;
* inside it: ``dict``, ``list``/``tuple`` (read back as lists), ``str``, ``bool``, ``None``,
  ``int`` within 64 bits (-2**63 .. 2**63-1) and finite ``float``;
* keys do not start with ``$`` (MongoDB's operators) and contain no NUL;
* strings are valid Unicode (no lone surrogates: they cannot be encoded as UTF-8);
* at most :data:`MAX_VALUE_DEPTH` levels of nesting (MongoDB allows 100 for a whole document);
* at most 16 MiB as a MongoDB document (:data:`MAX_DOCUMENT_BYTES`).

Anything else (``datetime``, ``bytes``, ``uuid.UUID``, ``Decimal``, sets, ``re.Pattern``,
BSON types such as ``ObjectId``, ``Decimal128``, ``MinKey``, ``DBRef``, ``NaN``, infinities,
arbitrary objects) is refused with :class:`~langgraph_genesis_memory.errors.InvalidValueError`
naming where it is and what to store instead.

**Namespaces** are non-empty tuples of at most :data:`MAX_NAMESPACE_DEPTH` labels; a label is a
non-empty string without ``.`` or NUL (LangGraph's rules), valid Unicode, and all labels
together take at most :data:`MAX_NAMESPACE_BYTES` bytes of UTF-8. **Keys** are non-empty strings
without NUL, valid Unicode, at most :data:`MAX_KEY_BYTES` bytes of UTF-8. Namespace prefixes
(search, ``list_namespaces``) follow the same rules, may be empty, and may be given as lists
(as LangGraph's SQL stores accept).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import bson
from bson.errors import InvalidDocument

from langgraph_genesis_memory.errors import (
    InvalidArgumentError,
    InvalidFilterError,
    InvalidKeyError,
    InvalidNamespaceError,
    InvalidValueError,
    ValueTooLargeError,
)

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
"""MongoDB's BSON document size limit (16 MiB)."""

MAX_VALUE_DEPTH = 64
"""Most levels of nesting inside a value (the value itself is level 1)."""

MAX_KEY_BYTES = 4096
"""Longest key, in bytes of UTF-8."""

MAX_NAMESPACE_BYTES = 4096
"""Longest namespace, in bytes of UTF-8 of all its labels together."""

MAX_NAMESPACE_DEPTH = 64
"""Most labels in a namespace."""

MAX_PAGE = 2**31 - 1
"""Largest ``limit``, ``offset`` or ``max_depth`` accepted."""

MAX_QUERY_BYTES = 1024 * 1024
"""Longest search query, in bytes of UTF-8."""

_INT64 = (-(2**63), 2**63 - 1)
_SCALARS = (str, bool, type(None))
_HINTS = {
    "datetime": "store it as an ISO 8601 string (value.isoformat())",
    "date": "store it as an ISO 8601 string (value.isoformat())",
    "UUID": "store it as a string (str(value))",
    "bytes": "store it as text, e.g. base64",
    "Decimal": "store it as a string or a float",
    "Decimal128": "store it as a string or a float",
    "set": "store it as a list",
    "frozenset": "store it as a list",
}


def _utf8_len(text: str) -> int | None:
    """Bytes of ``text`` in UTF-8, or ``None`` if it holds lone surrogates."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


def _where(path: list[Any]) -> str:
    return "value" + "".join(f"[{p!r}]" for p in path)


_PLAIN = (str, bool, int, type(None))


def _surely_json_like(value: Any) -> bool:
    """A fast, conservative check of the value domain's structure.

    ``True`` means: only plain dicts, lists, tuples and scalars, string keys without a leading
    ``$``, finite floats, at most :data:`MAX_VALUE_DEPTH` levels. String contents (lone
    surrogates, NUL in keys) and integer ranges are left to ``bson.encode``, which refuses them.
    ``False`` means "look closer" (:func:`check_json_like` names the problem, if any).
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        kind = type(node)
        if depth > MAX_VALUE_DEPTH:
            return False
        if kind is dict:
            for key, inner in node.items():
                if type(key) is not str or key[:1] == "$":
                    return False
                inner_kind = type(inner)
                if inner_kind not in _PLAIN:
                    if inner_kind is float:
                        if not math.isfinite(inner):
                            return False
                    else:
                        stack.append((inner, depth + 1))
        elif kind is list or kind is tuple:
            for inner in node:
                inner_kind = type(inner)
                if inner_kind not in _PLAIN:
                    if inner_kind is float:
                        if not math.isfinite(inner):
                            return False
                    else:
                        stack.append((inner, depth + 1))
        elif kind is float:
            if not math.isfinite(node):
                return False
        elif kind not in _PLAIN:
            return False
    return True


def check_json_like(value: Any, *, what: str, error: type[Exception]) -> None:
    """Check that ``value`` lies in the value domain (see the module docstring).

    Iterative (no recursion), so hostile nesting raises ``error`` rather than
    ``RecursionError``.

    Args:
        value: A dict, list or scalar.
        what: How to name the checked thing in messages (``"value"``, ``"filter value"``).
        error: The error class to raise (``InvalidValueError`` or ``InvalidFilterError``).

    Raises:
        error: Naming the offending place and what to store instead.
    """
    stack: list[tuple[Any, list[Any]]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _SCALARS):
            if isinstance(node, str) and _utf8_len(node) is None:
                raise error(
                    f"The {what} at {_where(path)} is not valid Unicode (it holds a lone "
                    "surrogate such as '\\ud800'); it cannot be stored as UTF-8."
                )
            continue
        if isinstance(node, int):
            if not _INT64[0] <= node <= _INT64[1]:
                raise error(
                    f"The {what} at {_where(path)} is an integer outside 64 bits ({node}); "
                    "store it as a string."
                )
            continue
        if isinstance(node, float):
            if not math.isfinite(node):
                raise error(
                    f"The {what} at {_where(path)} is {node!r}: NaN and infinities are not "
                    "JSON; store null or a string instead."
                )
            continue
        if len(path) >= MAX_VALUE_DEPTH:
            raise error(
                f"The {what} is nested more than {MAX_VALUE_DEPTH} levels deep; flatten it."
            )
        if isinstance(node, Mapping):
            for key, inner in node.items():
                if not isinstance(key, str):
                    raise error(
                        f"The {what} at {_where(path)} has a key of type "
                        f"{type(key).__name__} ({key!r}); keys must be strings (JSON objects)."
                    )
                if key.startswith("$"):
                    raise error(
                        f"Keys cannot start with '$' (found {key!r} at {_where(path)}): "
                        "MongoDB reserves them for operators. Rename the key, e.g. "
                        "'dollar_amount'."
                    )
                if "\x00" in key or _utf8_len(key) is None:
                    raise error(
                        f"The key {key!r} at {_where(path)} holds a NUL character or a lone "
                        "surrogate; keys must be valid Unicode without NUL."
                    )
                stack.append((inner, [*path, key]))
            continue
        if isinstance(node, list | tuple):
            stack.extend((inner, [*path, i]) for i, inner in enumerate(node))
            continue
        kind = type(node).__name__
        hint = _HINTS.get(kind, "store JSON data: dicts, lists, strings, numbers, booleans, null")
        raise error(f"The {what} at {_where(path)} is a {kind}, which is not JSON; {hint}.")


def validate_value(value: object, *, overhead: int = 0) -> dict[str, Any]:
    """Check that ``value`` is in the value domain and fits in one MongoDB document.

    Args:
        value: The item's value.
        overhead: Bytes the rest of the document adds (namespace, key, timestamps, text).

    Returns:
        ``value`` as a plain ``dict``.

    Raises:
        InvalidValueError: If ``value`` is not a dict of JSON-like data (see the module
            docstring).
        ValueTooLargeError: If the stored document would exceed 16 MiB (MongoDB's limit).
    """
    if not isinstance(value, Mapping):
        raise InvalidValueError(
            f"Values must be dicts (JSON objects); got {type(value).__name__}. "
            "Wrap other data, e.g. {'data': [...]}."
        )
    plain = dict(value)
    if not _surely_json_like(plain):
        check_json_like(plain, what="value", error=InvalidValueError)
    try:
        size = len(bson.encode({"value": plain}))
    except (InvalidDocument, TypeError, OverflowError, ValueError) as exc:
        # A lone surrogate, a NUL in a key, an integer beyond 64 bits: name it.
        check_json_like(plain, what="value", error=InvalidValueError)
        raise InvalidValueError(
            f"Value cannot be stored in MongoDB: {exc}."
        ) from exc  # pragma: no cover
    if size + overhead > MAX_DOCUMENT_BYTES:
        raise ValueTooLargeError(
            f"Value is {size + overhead:,} bytes as a MongoDB document, over the "
            f"{MAX_DOCUMENT_BYTES:,}-byte (16 MiB) limit. Split it across several keys."
        )
    return plain


def _labels(namespace: object, what: str, *, allow_list: bool) -> tuple[str, ...]:
    kinds = (tuple, list) if allow_list else (tuple,)
    if not isinstance(namespace, kinds):
        shape = "a tuple (or list)" if allow_list else "a tuple"
        raise InvalidNamespaceError(
            f"{what} must be {shape} of strings, e.g. ('agent', 'qa'); got "
            f"{type(namespace).__name__} {namespace!r:.80}."
        )
    labels = tuple(namespace)
    if len(labels) > MAX_NAMESPACE_DEPTH:
        raise InvalidNamespaceError(
            f"{what} has {len(labels)} labels; at most {MAX_NAMESPACE_DEPTH} are allowed."
        )
    total = 0
    for label in labels:
        if not isinstance(label, str):
            raise InvalidNamespaceError(
                f"Namespace labels must be strings; got {type(label).__name__} {label!r:.80} "
                f"in {what.lower()}."
            )
        if not label:
            raise InvalidNamespaceError(f"Namespace labels cannot be empty; got {labels!r:.200}.")
        if "." in label:
            raise InvalidNamespaceError(
                f"Namespace labels cannot contain '.'; got {label!r:.80}. "
                "Use separate labels instead, e.g. ('a', 'b') rather than ('a.b',)."
            )
        if "\x00" in label:
            raise InvalidNamespaceError(
                f"Namespace labels cannot contain NUL characters; got {label!r:.80}."
            )
        size = _utf8_len(label)
        if size is None:
            raise InvalidNamespaceError(
                f"Namespace label {label!r:.80} is not valid Unicode (a lone surrogate)."
            )
        total += size + 1
    if total > MAX_NAMESPACE_BYTES:
        raise InvalidNamespaceError(
            f"{what} takes {total:,} bytes; at most {MAX_NAMESPACE_BYTES:,} are allowed."
        )
    return labels


@functools.lru_cache(maxsize=4096)
def _checked_tuple(namespace: tuple[str, ...]) -> tuple[str, ...]:
    # Parallel graph nodes and batches repeat the same few namespaces: checking each once
    # takes validation off the per-op cost of a coalesced call.
    if type(namespace) is not tuple:
        raise TypeError  # lists and other sequences are not cached (nor hashable, for lists)
    return _labels(namespace, "A namespace", allow_list=False)


def validate_namespace(namespace: object, *, reserved: bool = False) -> tuple[str, ...]:
    """Check the namespace of one item (LangGraph's rules plus the limits above).

    Args:
        namespace: The namespace to check.
        reserved: Also refuse the first label ``"langgraph"``, as LangGraph's public
            ``BaseStore.put`` does (``batch`` accepts it, as in LangGraph).

    Returns:
        The namespace as a tuple.

    Raises:
        InvalidNamespaceError: If it is not a non-empty tuple of valid labels.
    """
    try:
        # A tuple of hashable labels: checked once (errors are never cached).
        labels = _checked_tuple(namespace)
    except TypeError:  # not a tuple, or an unhashable label: checked (and refused) in full
        labels = _labels(namespace, "A namespace", allow_list=False)
    if not labels:
        raise InvalidNamespaceError("A namespace cannot be empty; e.g. ('agent', 'qa').")
    if reserved and labels[0] == "langgraph":
        raise InvalidNamespaceError(
            f'The first namespace label cannot be "langgraph" (reserved); got {labels!r}.'
        )
    return labels


def validate_namespace_prefix(prefix: object, what: str = "A namespace prefix") -> tuple[str, ...]:
    """Check a namespace prefix (search, ``list_namespaces``): may be empty or a list.

    Raises:
        InvalidNamespaceError: As :func:`validate_namespace`, except that ``()`` and lists are
            allowed.
    """
    return _labels(prefix, what, allow_list=True)


def validate_key(key: object) -> str:
    """Check an item key: a non-empty string without NUL, valid Unicode, at most 4 KiB.

    Raises:
        InvalidKeyError: Otherwise (including non-strings: a key is never coerced with
            ``str()``).
    """
    if not isinstance(key, str):
        raise InvalidKeyError(f"Keys must be strings; got {type(key).__name__} {key!r:.80}.")
    if not key:
        raise InvalidKeyError("Keys cannot be empty strings.")
    if "\x00" in key:
        raise InvalidKeyError(f"Keys cannot contain NUL characters; got {key!r:.80}.")
    size = _utf8_len(key)
    if size is None:
        raise InvalidKeyError(f"Key {key!r:.80} is not valid Unicode (a lone surrogate).")
    if size > MAX_KEY_BYTES:
        raise InvalidKeyError(f"Key is {size:,} bytes; at most {MAX_KEY_BYTES:,} are allowed.")
    return key


def _integer(number: object, name: str, low: int) -> int:
    if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= MAX_PAGE:
        raise InvalidArgumentError(
            f"{name} must be an integer from {low} to {MAX_PAGE:,}; got {number!r:.80}."
        )
    return number


def validate_page(limit: object, offset: object) -> None:
    """Check ``limit`` and ``offset``: integers from 0 to :data:`MAX_PAGE`.

    Raises:
        InvalidArgumentError: Otherwise.
    """
    _integer(limit, "limit", 0)
    _integer(offset, "offset", 0)


def validate_max_depth(max_depth: object) -> int | None:
    """Check ``list_namespaces``' ``max_depth``: ``None`` or an integer from 1.

    Raises:
        InvalidArgumentError: Otherwise.
    """
    return None if max_depth is None else _integer(max_depth, "max_depth", 1)


def validate_query(query: object) -> str | None:
    """Check a search query: ``None`` or valid Unicode of at most 1 MiB.

    Raises:
        InvalidArgumentError: Otherwise.
    """
    if query is None:
        return None
    if not isinstance(query, str):
        raise InvalidArgumentError(f"query must be a string; got {type(query).__name__}.")
    size = _utf8_len(query)
    if size is None:
        raise InvalidArgumentError("query is not valid Unicode (it holds a lone surrogate).")
    if size > MAX_QUERY_BYTES:
        raise InvalidArgumentError(f"query is {size:,} bytes; at most 1 MiB is allowed.")
    return query


def validate_refresh_ttl(refresh_ttl: object) -> None:
    """Check ``refresh_ttl``: ``None`` or a bool.

    Raises:
        InvalidArgumentError: Otherwise.
    """
    if refresh_ttl is not None and not isinstance(refresh_ttl, bool):
        raise InvalidArgumentError(
            f"refresh_ttl must be True, False or None; got {refresh_ttl!r:.80}."
        )


def check_filter_operand(operand: Any, path: str) -> None:
    """Check a filter operand: in the value domain, and no ``$`` keys inside.

    Raises:
        InvalidFilterError: Otherwise.
    """
    check_json_like(operand, what=f"filter value for {path!r}", error=InvalidFilterError)
