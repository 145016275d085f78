"""The store's batch logic, written once for sync and async (pure: it only yields requests).

:func:`plan_batch` follows the semantics of LangGraph's reference ``InMemoryStore.batch``:
results come back in input order, puts return ``None``, reads see the state from before the
batch's writes, the last put to a ``(namespace, key)`` wins and ``value=None`` deletes. Every op
is validated before any request is yielded, so a batch with one bad op writes nothing.

Round trips per batch: one :class:`~langgraph_genesis_memory._mongo.Parallel` read step (one
``find`` for all gets, one query per search, one aggregation per ``list_namespaces``), then one
``bulk_write`` for every put, delete and TTL refresh together.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from langgraph.store.base import (
    GetOp,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    Result,
    SearchOp,
)
from pymongo import DeleteOne, UpdateMany, UpdateOne

from langgraph_genesis_memory._mongo import (
    Aggregate,
    BulkWrite,
    Delete,
    Failed,
    Find,
    Parallel,
    Plan,
)
from langgraph_genesis_memory.errors import InvalidArgumentError, PartialWriteError
from langgraph_genesis_memory.store._documents import (
    NEVER_MS,
    SEP,
    decode_path,
    encode_path,
    extract_text,
    item_id,
    to_item,
    to_search_item,
)
from langgraph_genesis_memory.store._filters import translate_filter
from langgraph_genesis_memory.store._indexing import (
    SyncItem,
    hashes_of,
    index_paths,
    plan_sync_vectors,
)
from langgraph_genesis_memory.store._search import SearchSettings, plan_ranked_search
from langgraph_genesis_memory.store._ttl import TTLPolicy
from langgraph_genesis_memory.store._validation import (
    validate_key,
    validate_max_depth,
    validate_namespace,
    validate_namespace_prefix,
    validate_page,
    validate_query,
    validate_refresh_ttl,
    validate_value,
)
from langgraph_genesis_memory.store._vectors import (
    Embed,
    VectorDelete,
    VectorExpired,
    VectorSetExpiry,
    vector_texts,
)

ITEM_PROJECTION = None
"""Items are read whole: on the local server a projection costs more than the bytes it saves,
and the derived fields are small (at most 256 KiB of text)."""

logger = logging.getLogger("langgraph_genesis_memory.store")

_NEXT = "\x02"  # the character after SEP: [p + SEP, p + _NEXT) holds every path under p


@dataclass(frozen=True)
class StoreSchema:
    """What the planner needs to know about the store's configuration.

    Attributes:
        ttl: The TTL policy.
        vector_fields: The ``IndexConfig`` fields (default ``["$"]``); ``None`` when the store
            has no vector index (then a put's ``index=`` is ignored, as in LangGraph).
        search: How ranked (``query=``) searches run.
    """

    ttl: TTLPolicy
    vector_fields: list[str] | None = None
    search: SearchSettings = field(default_factory=SearchSettings)

    @property
    def vectors(self) -> bool:
        """Whether the store keeps a vector index."""
        return self.vector_fields is not None


def _now_ms(now: datetime) -> int:
    return int(now.timestamp() * 1000)


def _expiry(now: datetime, ttl: float | None) -> tuple[datetime | None, int]:
    if ttl is None:
        return None, NEVER_MS
    expires = now + timedelta(minutes=ttl)
    return expires, _now_ms(expires)


def _live(now_ms: int) -> dict[str, Any]:
    return {"expires_at_ms": {"$gt": now_ms}}


def _prefix_range(field: str, prefix: tuple[str, ...]) -> dict[str, Any]:
    """Documents whose encoded ``field`` lies under ``prefix`` (items: ``_id``)."""
    if not prefix:
        return {}
    encoded = encode_path(prefix)
    return {field: {"$gte": encoded + SEP, "$lt": encoded + _NEXT}}


_END = "(?![\\s\\S])"
"""End of the string. Not ``$``: in MongoDB's regex dialect (PCRE) and in Python's ``re``,
``$`` also matches before a final newline, so ``alice$`` would match ``"alice\\n"``."""


def _condition_query(condition: MatchCondition) -> dict[str, Any]:
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
        # ns_key == encoded, or ns_key starts with encoded + SEP.
        return {"ns_key": {"$gte": encoded, "$lt": encoded + _NEXT}}
    parts = ["[^\x01]+" if label == "*" else re.escape(encode_path((label,))) for label in path]
    body = SEP.join(parts)
    if condition.match_type == "prefix":
        pattern = f"^{body}(?:\x01|{_END})"
    else:
        pattern = f"(?:^|\x01){body}{_END}"
    return {"ns_key": {"$regex": pattern}}


def _flat_and(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    """AND of ``clauses`` as one flat document when their fields differ, else ``$and``."""
    merged: dict[str, Any] = {}
    for clause in clauses:
        if merged.keys() & clause.keys():
            return {"$and": clauses}
        merged.update(clause)
    return merged


def _list_namespaces_pipeline(op: ListNamespacesOp, now_ms: int) -> list[dict[str, Any]]:
    clauses = [_live(now_ms)]
    clauses += [q for q in (_condition_query(c) for c in op.match_conditions or ()) if q]
    match = _flat_and(clauses)
    pipeline: list[dict[str, Any]] = [{"$match": match}]
    if op.max_depth is None:
        pipeline.append({"$group": {"_id": "$ns_key"}})
    else:
        # Distinct namespaces first, then cut each to its first max_depth labels (labels are
        # encoded without SEP, so splitting on SEP is exact) and de-duplicate again.
        joined = {
            "$reduce": {
                "input": {"$slice": [{"$split": ["$_id", SEP]}, op.max_depth]},
                "initialValue": "",
                "in": {
                    "$concat": [
                        "$$value",
                        {"$cond": [{"$eq": ["$$value", ""]}, "", SEP]},
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


@dataclass
class _Put:
    op: PutOp
    namespace: tuple[str, ...]
    value: dict[str, Any] | None
    ttl: float | None
    text: str = ""
    positions: list[int] = field(default_factory=list)
    """Indexes of the batch's ops that put this item (the last one wins)."""


def _check_index(index: object) -> None:
    if index is None or index is False:
        return
    if not isinstance(index, list) or not all(isinstance(p, str) and p for p in index):
        raise InvalidArgumentError(
            f"index must be False, None or a list of field paths; got {index!r:.80}."
        )


def _validate(ops: Sequence[Op], schema: StoreSchema) -> tuple[list[Any], dict[str, _Put]]:
    """Validate every op; return per-op prepared data and the last put per item."""
    prepared: list[Any] = []
    puts: dict[str, _Put] = {}
    for position, op in enumerate(ops):
        if isinstance(op, GetOp):
            validate_refresh_ttl(op.refresh_ttl)
            prepared.append(item_id(validate_namespace(op.namespace), validate_key(op.key)))
        elif isinstance(op, SearchOp):
            prefix = validate_namespace_prefix(op.namespace_prefix)
            validate_page(op.limit, op.offset)
            validate_query(op.query)
            validate_refresh_ttl(op.refresh_ttl)
            prepared.append((prefix, translate_filter(op.filter)))
        elif isinstance(op, ListNamespacesOp):
            validate_page(op.limit, op.offset)
            validate_max_depth(op.max_depth)
            conditions = op.match_conditions or ()
            if not isinstance(conditions, tuple | list):
                raise InvalidArgumentError(
                    f"match_conditions must be a tuple of MatchCondition; got {conditions!r:.80}."
                )
            for condition in conditions:
                _condition_query(condition)
            prepared.append(None)
        elif isinstance(op, PutOp):
            namespace = validate_namespace(op.namespace)
            key = validate_key(op.key)
            _check_index(op.index)
            ttl = schema.ttl.resolve(namespace, op.ttl)
            text = ""
            value = None
            if op.value is not None:
                if schema.search.lexical == "text_index" and isinstance(op.value, Mapping):
                    text = _lexical_text(op.value, op.index, schema.vector_fields)
                # The whole document must fit: value, words, and our fields (under 4 KiB
                # besides the namespace and key).
                overhead = 4096 + len(text.encode()) + 2 * len(item_id(namespace, key).encode())
                value = validate_value(op.value, overhead=overhead)
            doc_id = item_id(namespace, key)
            earlier = puts[doc_id].positions if doc_id in puts else []
            puts[doc_id] = _Put(op, namespace, value, ttl, text, [*earlier, position])
            prepared.append(None)
        else:
            raise InvalidArgumentError(
                f"Unknown store operation: {type(op).__name__}; batch() takes GetOp, PutOp, "
                "SearchOp and ListNamespacesOp."
            )
    return prepared, puts


def _scope(
    prefix: tuple[str, ...], query_filter: dict[str, Any], now_ms: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(prefix clause, checks): where a search looks, and what every result must meet."""
    checks: dict[str, Any] = dict(_live(now_ms))
    for path, condition in query_filter.items():
        if path in checks:  # never clobber our own clauses
            checks.setdefault("$and", []).append({path: condition})
        else:
            checks[path] = condition
    return _prefix_range("_id", prefix), checks


def _plain_search(op: SearchOp, prefix_scope: dict[str, Any], checks: dict[str, Any]) -> Find:
    query = {**prefix_scope, **checks} if "_id" not in checks else {"$and": [prefix_scope, checks]}
    sort = [("updated_at", -1), ("_id", 1)]
    return Find(
        query, ITEM_PROJECTION, sort=sort, skip=op.offset, limit=op.limit, batch_size=op.limit
    )


MAX_SEARCH_TEXT = 262_144
"""Characters of an item's text kept for word ranking (longer texts are cut)."""


def _lexical_text(value: Mapping[str, Any], index: object, vector_fields: list[str] | None) -> str:
    """The words an item contributes to ranked search: its indexed fields, else every string.

    Without a vector index (``vector_fields`` is ``None``) a put's ``index=`` is ignored, as in
    LangGraph, and every string of the value counts.
    """
    if vector_fields is None:
        paths: list[str] | None = None
    else:
        paths = index_paths(index, vector_fields)
        if not paths:
            return ""
    return "\n".join(extract_text(value, paths))[:MAX_SEARCH_TEXT]


def doc_texts(doc: Mapping[str, Any], vector_fields: list[str] | None) -> list[str]:
    """The texts of a stored document for word ranking: one per indexed field.

    With a vector index, the same fields the vectors come from (so words and meaning rank the
    same texts); without one, all of the value's strings as one text.
    """
    value = doc.get("value") or {}
    if vector_fields is None:
        return ["\n".join(extract_text(value, None))[:MAX_SEARCH_TEXT]]
    paths = index_paths(doc.get("index_paths"), vector_fields)
    texts = ["\n".join(extract_text(value, [p]))[:MAX_SEARCH_TEXT] for p in paths]
    return [t for t in texts if t]


def _put_model(
    put: _Put, doc_id: str, now: datetime, schema: StoreSchema, revision: str, pending: bool
) -> Any:
    if put.value is None:
        return DeleteOne({"_id": doc_id})
    expires_at, expires_ms = _expiry(now, put.ttl)
    namespace = put.namespace
    fields: dict[str, Any] = {
        "value": put.value,
        "ttl": put.ttl,
        "expires_at_ms": expires_ms,
        # null for items that never expire: MongoDB's TTL monitor ignores non-date values.
        "expires_at": expires_at,
    }
    if schema.search.lexical == "text_index":
        fields["search_text"] = put.text
    if schema.vectors:
        fields["index_paths"] = put.op.index if put.op.index is not None else None
        fields["revision"] = revision
        if pending:
            fields["index_pending"] = True
    update: dict[str, Any] = {
        "$set": fields,
        "$setOnInsert": {
            "ns_key": encode_path(namespace),
            "created_at": now,
        },
        "$currentDate": {"updated_at": True},
    }
    return UpdateOne({"_id": doc_id}, update, upsert=True)


def plan_batch(
    ops: Iterable[Op], schema: StoreSchema, now: datetime | None = None
) -> Plan[list[Result]]:
    """Execute a batch of LangGraph store ops (see the module docstring).

    Args:
        ops: ``GetOp``, ``SearchOp``, ``ListNamespacesOp`` and ``PutOp`` instances.
        schema: The store's configuration.
        now: The batch's clock (UTC); default: the current time.

    Returns:
        A plan whose value is the list of results, one per op, in input order.

    Raises:
        InvalidNamespaceError, InvalidKeyError, InvalidValueError, InvalidFilterError,
        ConfigurationError: For a bad op, before any request is yielded.
    """
    ops = list(ops)
    prepared, puts = _validate(ops, schema)
    now = now or datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # BSON dates hold ms
    now_ms = _now_ms(now)
    results: list[Result] = [None] * len(ops)

    # -- reads: one parallel step ------------------------------------------------------------
    reads: list[Any] = []
    slots: list[tuple[str, Any]] = []
    get_ids = {prepared[i] for i, op in enumerate(ops) if isinstance(op, GetOp)}
    if get_ids:
        reads.append(
            Find(
                {"_id": {"$in": sorted(get_ids)}, **_live(now_ms)},
                ITEM_PROJECTION,
                batch_size=len(get_ids),
            )
        )
        slots.append(("get", None))
    ranked: list[tuple[int, SearchOp, str]] = []
    for i, op in enumerate(ops):
        if isinstance(op, SearchOp):
            if op.limit == 0:
                results[i] = []
            elif op.query:
                ranked.append((i, op, op.query))
            else:
                prefix, query_filter = prepared[i]
                reads.append(_plain_search(op, *_scope(prefix, query_filter, now_ms)))
                slots.append(("search", i))
        elif isinstance(op, ListNamespacesOp):
            if op.limit == 0:
                results[i] = []
            else:
                reads.append(Aggregate(_list_namespaces_pipeline(op, now_ms)))
                slots.append(("list", i))
    queries = sorted({query for _, _, query in ranked}) if schema.vectors else []
    if queries:
        reads.append(Embed(queries, query=True))
        slots.append(("embed", None))
    if schema.vectors and puts:
        reads.append(
            Find(
                {"_id": {"$in": sorted(puts)}},
                {"vectors": 1, "index_pending": 1},
                batch_size=len(puts),
            )
        )
        slots.append(("indexed", None))
    responses: list[Any] = (yield Parallel(tuple(reads))) if reads else []

    refresh: dict[float, set[str]] = {}
    embeddings: dict[str, Any] = {}
    indexed: dict[str, Any] = {}

    def touch(op: GetOp | SearchOp, docs: Iterable[dict[str, Any]]) -> None:
        if schema.ttl.refresh(op.refresh_ttl):
            for doc in docs:
                if doc.get("ttl"):
                    refresh.setdefault(doc["ttl"], set()).add(doc["_id"])

    for (kind, position), response in zip(slots, responses, strict=True):
        if kind == "get":
            found = {doc["_id"]: doc for doc in response}
            for i, op in enumerate(ops):
                if isinstance(op, GetOp) and (doc := found.get(prepared[i])) is not None:
                    results[i] = to_item(doc)
                    touch(op, [doc])
        elif kind == "search":
            results[position] = [to_search_item(doc) for doc in response]
            touch(ops[position], response)
        elif kind == "list":
            results[position] = [decode_path(row["_id"]) for row in response]
        elif kind == "embed":
            embeddings = dict(zip(queries, response, strict=True))
        else:
            indexed = {doc["_id"]: doc for doc in response}

    for i, search_op, query in ranked:
        prefix, query_filter = prepared[i]
        prefix_scope, checks = _scope(prefix, query_filter, now_ms)
        page = yield from plan_ranked_search(
            search_op, prefix, prefix_scope, checks, now_ms, ITEM_PROJECTION, schema.search,
            embeddings.get(query), lambda doc: doc_texts(doc, schema.vector_fields),
        )  # fmt: skip
        results[i] = [to_search_item(doc, score) for doc, score in page]
        touch(search_op, [doc for doc, _ in page])

    # -- writes: one bulk write -------------------------------------------------------------
    revision = uuid.uuid4().hex
    sync: list[SyncItem] = []
    if schema.vectors:
        for doc_id, put in puts.items():
            if put.value is None:
                continue
            previous = indexed.get(doc_id) or {}
            texts = vector_texts(put.value, index_paths(put.op.index, schema.vector_fields or []))
            sync.append(
                SyncItem(
                    doc_id,
                    put.namespace,
                    put.op.key,
                    texts,
                    hashes_of(previous),
                    bool(previous.get("index_pending")),
                    expires_ms=_expiry(now, put.ttl)[1],
                )
            )
    pending = {item.doc_id for item in sync if item.needs_sync()}
    writes: list[Any] = []
    for ttl, ids in sorted(refresh.items()):
        ids -= puts.keys()  # a put in this batch sets a fresh expiry anyway
        if ids:
            expires_at, expires_ms = _expiry(now, ttl)
            writes.append(UpdateMany(
                {"_id": {"$in": sorted(ids)}, **_live(now_ms)},
                {"$set": {"expires_at": expires_at, "expires_at_ms": expires_ms}},
            ))  # fmt: skip
    origins: list[list[int]] = [[] for _ in writes]  # TTL refreshes belong to no put
    for doc_id, put in puts.items():
        writes.append(_put_model(put, doc_id, now, schema, revision, doc_id in pending))
        origins.append(put.positions)
    if writes:
        outcome = yield BulkWrite(tuple(writes), report_errors=True)
        if isinstance(outcome, Failed):
            raise _partial_write_error(outcome.error, origins)
    deleted = [d for d, put in puts.items() if put.value is None and d in indexed]
    if sync or deleted:
        yield from plan_sync_vectors(sync, deleted, revision)
    return results


def _partial_write_error(error: BaseException, origins: list[list[int]]) -> PartialWriteError:
    """Name which ops of the batch were applied when MongoDB refused some of its writes.

    The store's bulk write is unordered: MongoDB attempts every write and reports the refused
    ones by position; the others were applied.
    """
    details = getattr(error, "details", None) or {}
    refused = {
        int(e.get("index", -1)): str(e.get("errmsg", "")) for e in details.get("writeErrors") or []
    }
    failed: dict[int, str] = {}
    applied: list[int] = []
    concern = details.get("writeConcernErrors") or []
    for index, positions in enumerate(origins):
        if index in refused or (concern and not refused):
            message = refused.get(index) or str(concern[0].get("errmsg", "write concern error"))
            failed.update({p: message for p in positions})
        else:
            applied.extend(positions)
    applied.sort()
    summary = "; ".join(f"op {p}: {m}" for p, m in sorted(failed.items())[:5])
    return PartialWriteError(
        f"MongoDB refused {len(failed)} write(s) of the batch ({summary}); the ops at positions "
        f"{applied} were applied. Each put or delete is applied entirely or not at all.",
        applied,
        failed,
    )


SWEEP_CHUNK = 10_000
"""Expired items deleted per step of a sweep."""


def plan_sweep(now: datetime | None = None, *, vectors: bool = False) -> Plan[int]:
    """Delete expired items (and, with a vector index, their vectors).

    Items are selected by ``expires_at_ms`` and deleted with the same condition, so an item whose
    TTL was refreshed in between is kept (and keeps its vectors). With a vector index, the
    vectors whose recorded expiry has passed are checked against MongoDB too: those of items
    that are gone (removed by MongoDB's TTL monitor, or by this sweep) are deleted, and live
    ones get their current expiry recorded.

    Returns:
        A plan whose value is the number of items removed.
    """
    now_ms = _now_ms(now or datetime.now(UTC))
    expired = {"expires_at_ms": {"$lte": now_ms}}
    deleted = 0
    while True:
        docs = yield Find(expired, {"_id": 1}, limit=SWEEP_CHUNK, batch_size=SWEEP_CHUNK)
        ids = [doc["_id"] for doc in docs]
        if ids:
            deleted += yield Delete({"_id": {"$in": ids}, **expired})
            if vectors:
                yield from _plan_sweep_vectors(ids, now_ms, None)
        if len(ids) < SWEEP_CHUNK:
            break
    if vectors:
        candidates = yield VectorExpired(now_ms, tolerate=True)
        if isinstance(candidates, Failed):
            logger.warning("Sweep could not read the vector index (%s).", candidates.error)
        else:
            yield from _plan_sweep_vectors([], now_ms, candidates)
    return int(deleted)


def _plan_sweep_vectors(
    swept: list[str], now_ms: int, candidates: Mapping[str, str] | None
) -> Plan[None]:
    """Delete the vectors of items that are gone; record current expiries on live ones.

    Args:
        swept: Items this sweep deleted (their vectors go unless the item lives again).
        now_ms: The sweep's clock.
        candidates: ``{vector_id: item_id}`` of vectors whose recorded expiry has passed.
    """
    candidates = candidates or {}
    owners = sorted(set(candidates.values()) | set(swept))
    if not owners:
        return None
    live = yield Find(
        {"_id": {"$in": owners}, **_live(now_ms)}, {"expires_at_ms": 1}, batch_size=len(owners)
    )
    expiry = {doc["_id"]: int(doc["expires_at_ms"]) for doc in live}
    gone_items = [i for i in swept if i not in expiry]
    gone = [vid for vid, owner in candidates.items() if owner not in expiry]
    keep = [(vid, expiry[owner]) for vid, owner in candidates.items() if owner in expiry]
    outcome = yield Parallel(
        (
            VectorDelete(ids=gone, item_ids=gone_items, tolerate=True),
            VectorSetExpiry([v for v, _ in keep], [e for _, e in keep], tolerate=True),
        )
    )
    failure = next((o for o in outcome if isinstance(o, Failed)), None)
    if failure is not None:
        logger.warning("Sweep could not update the vector index (%s); store.reindex() will.",
                       failure.error)  # fmt: skip
    return None
