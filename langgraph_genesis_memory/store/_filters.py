"""Translate LangGraph search filters into MongoDB query documents (pure, no I/O).

A filter is a dict from field paths of the item's value to a condition:

* a plain value: equality (``{"status": "active"}``);
* a nested dict without ``$`` keys: the same, one level down
  (``{"user": {"tier": "pro"}}`` is ``{"user.tier": "pro"}``);
* a dict of operators: ``$eq $ne $gt $gte $lt $lte`` (LangGraph's) and ``$in $nin $exists``
  (``{"score": {"$gte": 4.5, "$lt": 9}}``).

Paths may be dotted (``"user.tier"``). Comparisons follow MongoDB's rules: numbers compare as
numbers (``9 < 10``) whatever their Python type, strings compare as strings, and a value of one
type never matches a bound of another (MongoDB's comparison/sort order by type). Equality against
an array field matches when the array contains the value (MongoDB's array semantics; LangGraph's
SQL and in-memory stores compare whole arrays instead). Numeric bounds may lie outside the value
domain, as in LangGraph's stores: ``{"$lt": float("inf")}`` matches every number, a bound beyond
64 bits compares as a float, and NaN (or such a number) never equals a stored value. Anything
else that starts with ``$`` (``$where``, ``$expr``, ``$regex``, a top-level ``$or``...) is refused
with :class:`~langgraph_genesis_memory.errors.InvalidFilterError` before a query is built.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from langgraph_genesis_memory.errors import InvalidFilterError
from langgraph_genesis_memory.store._validation import MAX_VALUE_DEPTH, check_filter_operand

COMPARISON_OPERATORS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"})
"""The operators LangGraph's ``BaseStore.search`` documents."""

SUPPORTED_OPERATORS = COMPARISON_OPERATORS | {"$in", "$nin", "$exists"}
"""Every operator accepted in a filter."""


def translate_filter(filter: Mapping[str, Any] | None, *, root: str = "value") -> dict[str, Any]:
    """Translate a LangGraph filter into a MongoDB query on the ``root`` subdocument.

    Args:
        filter: The filter, or ``None``/``{}`` for none.
        root: The document field holding the item's value.

    Returns:
        A MongoDB query document, e.g. ``{"value.score": {"$gte": 4.5}}``; ``{}`` for no filter.

    Raises:
        InvalidFilterError: For an unknown or misplaced ``$`` operator, a non-string or empty
            field name, a ``$in``/``$nin`` operand that is not a list, a ``$exists`` operand that
            is not a bool, or an operand outside the value domain of
            :mod:`~langgraph_genesis_memory.store._validation` (``$`` keys, ``NaN``, a ``set``, a
            regex, an arbitrary object...), or nesting deeper than 64 levels.
    """
    if filter is None:
        return {}
    if not isinstance(filter, Mapping):
        raise InvalidFilterError(
            f"A filter must be a dict of field paths to conditions; got {type(filter).__name__}."
        )
    query: dict[str, Any] = {}
    _translate_into(filter, root, query, 0)
    return query


def _check_name(name: object, where: str) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidFilterError(f"Filter field names must be non-empty strings; got {name!r}.")
    if name.startswith("$"):
        raise InvalidFilterError(
            f"Unsupported filter operator {name!r} at {where}. Filters map field paths to "
            f"conditions; supported operators: {', '.join(sorted(SUPPORTED_OPERATORS))}."
        )
    if "\x00" in name or any(not part for part in name.split(".")) or not _is_unicode(name):
        raise InvalidFilterError(f"Invalid filter field path {name!r:.80}.")
    return name


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _translate_into(
    filter: Mapping[str, Any], prefix: str, query: dict[str, Any], depth: int
) -> None:
    if depth >= MAX_VALUE_DEPTH:
        raise InvalidFilterError(f"A filter cannot nest more than {MAX_VALUE_DEPTH} levels.")
    for name, condition in filter.items():
        path = f"{prefix}.{_check_name(name, prefix)}"
        if isinstance(condition, Mapping) and condition:
            operators = [k for k in condition if isinstance(k, str) and k.startswith("$")]
            if operators:
                if len(operators) != len(condition):
                    raise InvalidFilterError(
                        f"Do not mix operators and field names in one condition: {condition!r}."
                    )
                _merge(query, path, _operators(condition, path))
            else:
                _translate_into(condition, path, query, depth + 1)
        elif isinstance(condition, Mapping):
            # As LangGraph's InMemoryStore: an empty nested filter matches any object there.
            _merge(query, path, {"$type": "object"})
        elif _outside_values(condition):
            _merge(query, path, {"$in": []})  # no stored value equals it
        else:
            _check_operand(condition, path)
            _merge(query, path, {"$eq": condition})


RANGE_OPERATORS = frozenset({"$gt", "$gte", "$lt", "$lte"})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _outside_values(value: Any) -> bool:
    """A number no stored value can be: NaN, an infinity, an integer beyond 64 bits."""
    if isinstance(value, float):
        return not math.isfinite(value)
    return _is_number(value) and not -(2**63) <= value < 2**63


def _operators(condition: Mapping[str, Any], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for op, operand in condition.items():
        if op not in SUPPORTED_OPERATORS:
            raise InvalidFilterError(
                f"Unsupported filter operator {op!r} on {path!r}; supported: "
                f"{', '.join(sorted(SUPPORTED_OPERATORS))}."
            )
        if op in RANGE_OPERATORS and _is_number(operand):
            # Numbers compare as numbers, only with numbers (MongoDB's type brackets, made
            # explicit), and bounds may lie outside the value domain: {"$lt": inf} matches every
            # number, as in LangGraph's stores. NaN bounds match nothing.
            if isinstance(operand, float) and math.isnan(operand):
                out["$in"] = []
            else:
                out[op] = float(operand) if _outside_values(operand) else operand
                out["$type"] = "number"
            continue
        if op in ("$eq", "$ne") and _outside_values(operand):
            # No stored value equals NaN, an infinity or a >64-bit integer.
            out.update({"$in": []} if op == "$eq" else {"$nin": []})
            continue
        if op in ("$in", "$nin"):
            if not isinstance(operand, list | tuple):
                raise InvalidFilterError(f"{op} on {path!r} needs a list, got {operand!r}.")
            operand = list(operand)
        elif op == "$exists" and not isinstance(operand, bool):
            raise InvalidFilterError(f"$exists on {path!r} needs true or false, got {operand!r}.")
        _check_operand(operand, path)
        out[op] = operand
    return out


def _check_operand(operand: Any, path: str) -> None:
    """Refuse operands outside the value domain, including ones that smuggle operators
    (``{"$eq": {"$where": ...}}``), a ``re.Pattern`` inside ``$in``, ``NaN`` or a ``datetime``."""
    check_filter_operand(operand, path)


def _merge(query: dict[str, Any], path: str, condition: dict[str, Any]) -> None:
    existing = query.setdefault(path, {})
    for op, operand in condition.items():
        if op in existing and existing[op] != operand:
            # Two conditions on the same path and operator (e.g. via "a.b" and {"a": {"b"}}):
            # both must hold, so fall back to $and.
            query.setdefault("$and", []).append({path: {op: operand}})
        else:
            existing[op] = operand
