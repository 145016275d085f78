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
an array field matches when the array contains the value (MongoDB's array semantics). Anything
else that starts with ``$`` (``$where``, ``$expr``, ``$regex``, a top-level ``$or``...) is refused
with :class:`~langgraph_genesis_memory.errors.InvalidFilterError` before a query is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import bson
from bson.errors import InvalidDocument

from langgraph_genesis_memory.errors import InvalidFilterError

__all__ = ["COMPARISON_OPERATORS", "SUPPORTED_OPERATORS", "translate_filter"]

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
            is not a bool, an operand that itself contains ``$`` keys, or an operand MongoDB
            cannot store (e.g. a ``set`` or an arbitrary object).
    """
    if filter is None:
        return {}
    if not isinstance(filter, Mapping):
        raise InvalidFilterError(
            f"A filter must be a dict of field paths to conditions; got {type(filter).__name__}."
        )
    query: dict[str, Any] = {}
    _translate_into(filter, root, query)
    try:
        bson.encode({"filter": query})
    except (InvalidDocument, TypeError, OverflowError) as exc:
        raise InvalidFilterError(f"Filter values cannot be sent to MongoDB: {exc}.") from exc
    return query


def _check_name(name: object, where: str) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidFilterError(f"Filter field names must be non-empty strings; got {name!r}.")
    if name.startswith("$"):
        raise InvalidFilterError(
            f"Unsupported filter operator {name!r} at {where}. Filters map field paths to "
            f"conditions; supported operators: {', '.join(sorted(SUPPORTED_OPERATORS))}."
        )
    if "\x00" in name or any(not part for part in name.split(".")):
        raise InvalidFilterError(f"Invalid filter field path {name!r}.")
    return name


def _translate_into(filter: Mapping[str, Any], prefix: str, query: dict[str, Any]) -> None:
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
                _translate_into(condition, path, query)
        elif isinstance(condition, Mapping):
            # As LangGraph's InMemoryStore: an empty nested filter matches any object there.
            _merge(query, path, {"$type": "object"})
        else:
            _check_operand(condition, path)
            _merge(query, path, {"$eq": condition})


def _operators(condition: Mapping[str, Any], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for op, operand in condition.items():
        if op not in SUPPORTED_OPERATORS:
            raise InvalidFilterError(
                f"Unsupported filter operator {op!r} on {path!r}; supported: "
                f"{', '.join(sorted(SUPPORTED_OPERATORS))}."
            )
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
    """Refuse operands that smuggle operators (``{"$eq": {"$where": ...}}``)."""
    if isinstance(operand, Mapping):
        for key, inner in operand.items():
            if not isinstance(key, str) or key.startswith("$"):
                raise InvalidFilterError(
                    f"Filter values cannot contain operator keys ({key!r} under {path!r})."
                )
            _check_operand(inner, path)
    elif isinstance(operand, list | tuple):
        for inner in operand:
            _check_operand(inner, path)


def _merge(query: dict[str, Any], path: str, condition: dict[str, Any]) -> None:
    existing = query.setdefault(path, {})
    for op, operand in condition.items():
        if op in existing and existing[op] != operand:
            # Two conditions on the same path and operator (e.g. via "a.b" and {"a": {"b"}}):
            # both must hold, so fall back to $and.
            query.setdefault("$and", []).append({path: {op: operand}})
        else:
            existing[op] = operand
