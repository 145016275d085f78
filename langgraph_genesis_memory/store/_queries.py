"""The MongoDB queries of the store's reads (pure builders, no I/O).

Items live one per document with ``_id`` = namespace labels and key joined by ``\\x01`` (see
:mod:`langgraph_genesis_memory.store._documents`), so "every item under a namespace prefix" is
one ``_id`` range and "not expired" one comparison on the integer ``expires_at_ms``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from langgraph.store.base import ListNamespacesOp, MatchCondition, SearchOp

from langgraph_genesis_memory._mongo import Find
from langgraph_genesis_memory.errors import InvalidArgumentError
from langgraph_genesis_memory.store._documents import NAMESPACE_SEP, NEVER_MS, encode_path
from langgraph_genesis_memory.store._validation import validate_namespace_prefix

AFTER_SEP = "\x02"
"""The character after the separator: ``[p + NAMESPACE_SEP, p + AFTER_SEP)`` holds every path
under ``p``."""

ITEM_PROJECTION = None
"""Items are read whole: on the local server a projection costs more than the bytes it saves,
and the derived fields are small (at most 256 KiB of text)."""

_END = "(?![\\s\\S])"
"""End of the string. Not ``$``: in MongoDB's regex dialect (PCRE) and in Python's ``re``,
``$`` also matches before a final newline, so ``alice$`` would match ``"alice\\n"``."""


def epoch_ms(moment: datetime) -> int:
    """``moment`` in epoch milliseconds."""
    return int(moment.timestamp() * 1000)


def expiry(now: datetime, ttl: float | None) -> tuple[datetime | None, int]:
    """``(expires_at, expires_at_ms)`` of an item written at ``now`` with ``ttl`` minutes."""
    if ttl is None:
        return None, NEVER_MS
    expires = now + timedelta(minutes=ttl)
    return expires, epoch_ms(expires)


def live(now_ms: int) -> dict[str, Any]:
    """Items not expired at ``now_ms``."""
    return {"expires_at_ms": {"$gt": now_ms}}


def prefix_range(field: str, prefix: tuple[str, ...]) -> dict[str, Any]:
    """Documents whose encoded ``field`` lies under ``prefix`` (items: ``_id``)."""
    if not prefix:
        return {}
    encoded = encode_path(prefix)
    return {field: {"$gte": encoded + NAMESPACE_SEP, "$lt": encoded + AFTER_SEP}}


def and_(*clauses: dict[str, Any]) -> dict[str, Any]:
    """AND of non-empty clauses (``{}`` for none), flat when their fields differ.

    ``{"_id": {"$in": ids}, "expires_at_ms": ...}`` and its ``$and`` form mean the same to
    MongoDB, but a server's planner may only see the ``_id`` condition at the top level (the
    local server scans the collection for the ``$and`` form), so the flat form is preferred.
    """
    parts = [c for c in clauses if c]
    if not parts:
        return {}
    return parts[0] if len(parts) == 1 else flat_and(parts)


def flat_and(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    """AND of ``clauses`` as one flat document when their fields differ, else ``$and``."""
    merged: dict[str, Any] = {}
    for clause in clauses:
        if merged.keys() & clause.keys():
            return {"$and": clauses}
        merged.update(clause)
    return merged


def scope(
    prefix: tuple[str, ...],
    query_filter: dict[str, Any],
    now_ms: int,
    required: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(prefix clause, checks): where a search looks, and what every result must meet: alive,
    the ``required`` clauses (validity in time), and the filter (never replacing either)."""
    checks: dict[str, Any] = {**live(now_ms), **(required or {})}
    for path, condition in query_filter.items():
        if path in checks:  # never clobber our own clauses
            checks.setdefault("$and", []).append({path: condition})
        else:
            checks[path] = condition
    return prefix_range("_id", prefix), checks


def plain_search(op: SearchOp, prefix_scope: dict[str, Any], checks: dict[str, Any]) -> Find:
    """A search without ``query``: newest first (``updated_at``), ties by ``_id``."""
    query = and_(prefix_scope, checks)
    sort = [("updated_at", -1), ("_id", 1)]
    return Find(
        query, ITEM_PROJECTION, sort=sort, skip=op.offset, limit=op.limit, batch_size=op.limit
    )


def condition_query(condition: MatchCondition) -> dict[str, Any]:
    """The ``ns_key`` clause of one ``list_namespaces`` prefix or suffix condition.

    Raises:
        InvalidArgumentError: For something that is not a prefix/suffix ``MatchCondition``.
        InvalidNamespaceError: For a bad path.
    """
    if not isinstance(condition, MatchCondition):
        raise InvalidArgumentError(
            f"match_conditions must hold MatchCondition objects; got {condition!r:.80}."
        )
    if condition.match_type not in ("prefix", "suffix"):
        raise InvalidArgumentError(
            f"match_type must be 'prefix' or 'suffix'; got {condition.match_type!r:.80}."
        )
    path = validate_namespace_prefix(condition.path, f"A namespace {condition.match_type}")
    if not path:
        return {}
    if condition.match_type == "prefix" and "*" not in path:
        encoded = encode_path(path)
        # ns_key == encoded, or ns_key starts with encoded + NAMESPACE_SEP.
        return {"ns_key": {"$gte": encoded, "$lt": encoded + AFTER_SEP}}
    label = f"[^{NAMESPACE_SEP}]+"
    parts = [label if p == "*" else re.escape(encode_path((p,))) for p in path]
    body = NAMESPACE_SEP.join(parts)
    if condition.match_type == "prefix":
        pattern = f"^{body}(?:{NAMESPACE_SEP}|{_END})"
    else:
        pattern = f"(?:^|{NAMESPACE_SEP}){body}{_END}"
    return {"ns_key": {"$regex": pattern}}


def list_namespaces_pipeline(
    op: ListNamespacesOp, now_ms: int, restrict: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The aggregation answering one ``list_namespaces`` (distinct namespaces, in tuple order);
    ``restrict``: one more clause (an access policy's readable namespaces)."""
    clauses = [live(now_ms), *([restrict] if restrict else [])]
    clauses += [q for q in (condition_query(c) for c in op.match_conditions or ()) if q]
    pipeline: list[dict[str, Any]] = [{"$match": flat_and(clauses)}]
    if op.max_depth is None:
        pipeline.append({"$group": {"_id": "$ns_key"}})
    else:
        # Distinct namespaces first, then cut each to its first max_depth labels (labels are
        # encoded without NAMESPACE_SEP, so splitting on it is exact) and de-duplicate again.
        joined = {
            "$reduce": {
                "input": {"$slice": [{"$split": ["$_id", NAMESPACE_SEP]}, op.max_depth]},
                "initialValue": "",
                "in": {
                    "$concat": [
                        "$$value",
                        {"$cond": [{"$eq": ["$$value", ""]}, "", NAMESPACE_SEP]},
                        "$$this",
                    ]
                },
            }
        }
        pipeline += [
            {"$group": {"_id": "$ns_key"}},
            {"$project": {"truncated": joined}},
            {"$group": {"_id": "$truncated"}},
        ]  # fmt: skip
    pipeline += [{"$sort": {"_id": 1}}, {"$skip": op.offset}, {"$limit": op.limit}]
    return pipeline
