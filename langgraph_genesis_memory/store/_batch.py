"""The store's batch, written once for sync and async (a pure plan: it only yields requests).

:func:`plan_batch` follows the semantics of LangGraph's reference ``InMemoryStore.batch``:
results come back in input order, puts return ``None``, reads see the state from before the
batch's writes, the last put to a ``(namespace, key)`` wins and ``value=None`` deletes. Every op
is validated before any request is yielded, so a batch with one bad op writes nothing.

The plan reads as its round trips:

1. one :class:`~langgraph_genesis_memory._mongo.Parallel` read step gathering every op type's
   requests (:class:`ReadStep`): one ``find`` for all gets, one query per plain search, one
   aggregation per ``list_namespaces``, the query embeddings, and what the written items'
   index entries are now;
2. the ranked searches (:mod:`~langgraph_genesis_memory.store._search`), a few steps each;
3. one ``bulk_write`` for every put, delete and TTL refresh, then the derived indexes
   (:mod:`~langgraph_genesis_memory.store._writes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from langgraph.store.base import GetOp, ListNamespacesOp, Op, PutOp, Result, SearchOp

from langgraph_genesis_memory._mongo import Aggregate, BulkWrite, Find, Parallel
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory._services import Embed
from langgraph_genesis_memory.access import Grant
from langgraph_genesis_memory.errors import InvalidArgumentError
from langgraph_genesis_memory.store._access import listing_clause, read_clause, require
from langgraph_genesis_memory.store._autolink import POSTINGS_SUFFIX, AutoLinks, Linker, plan_reads
from langgraph_genesis_memory.store._documents import (
    decode_path,
    extract_text,
    item_id,
    to_item,
    to_search_item,
)
from langgraph_genesis_memory.store._filters import translate_filter
from langgraph_genesis_memory.store._indexing import IndexSettings, index_paths
from langgraph_genesis_memory.store._options import options_of, validate_options
from langgraph_genesis_memory.store._queries import (
    ITEM_PROJECTION,
    and_,
    condition_query,
    epoch_ms,
    list_namespaces_pipeline,
    live,
    plain_search,
    scope,
)
from langgraph_genesis_memory.store._search import SearchSettings, lexical_text, plan_ranked_search
from langgraph_genesis_memory.store._time import declared, validity
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
from langgraph_genesis_memory.store._writes import (
    PreparedPut,
    WriteSettings,
    plan_writes,
    previous_entries,
)


@dataclass(frozen=True)
class StoreSchema:
    """What the planner needs to know about the store's configuration.

    Attributes:
        ttl: The TTL policy.
        search: How ranked (``query=``) searches run; its ``vector_fields`` are the
            ``IndexConfig`` fields (``None`` without a vector index: then a put's ``index=`` is
            ignored, as in LangGraph).
        auto_links: Automatic links at write time (``None``: off), see
            :mod:`~langgraph_genesis_memory.store._autolink`.
        reserved_fields: Whether values' ``relationships``, ``valid_from``, ``valid_to`` and
            ``superseded_by`` carry links and time (checked); ``False``: stored as given.
        postings: The collection of automatic links' postings (see ``_autolink``).
    """

    ttl: TTLPolicy
    search: SearchSettings = field(default_factory=SearchSettings)
    auto_links: AutoLinks | None = None
    reserved_fields: bool = True
    postings: str = "store" + POSTINGS_SUFFIX

    @property
    def vector_fields(self) -> list[str] | None:
        """The ``IndexConfig`` fields, or ``None`` without a vector index."""
        return self.search.vector_fields

    @property
    def vectors(self) -> bool:
        """Whether the store keeps a vector index."""
        return self.search.vector_fields is not None

    @property
    def indexes(self) -> IndexSettings:
        """The derived indexes kept in step with MongoDB."""
        return IndexSettings(self.vector_fields, self.search.lexical == "index")

    @property
    def writes(self) -> WriteSettings:
        """What the writes need."""
        return WriteSettings(self.indexes, self.search.lexical == "text_index")


# -- validation ----------------------------------------------------------------------------------
def _check_index(index: object) -> None:
    if index is None or index is False:
        return
    if not isinstance(index, list) or not all(isinstance(p, str) and p for p in index):
        raise InvalidArgumentError(
            f"index must be False, None or a list of field paths; got {index!r:.80}."
        )


def _prepare_put(op: PutOp, schema: StoreSchema) -> PreparedPut:
    namespace = validate_namespace(op.namespace)
    key = validate_key(op.key)
    _check_index(op.index)
    ttl = schema.ttl.resolve(namespace, op.ttl)
    text, value = "", None
    if op.value is not None:
        if schema.search.lexical == "text_index" and isinstance(op.value, Mapping):
            text = lexical_text(op.value, op.index, schema.vector_fields)
        # The whole document must fit: value, words, and our fields (under 4 KiB besides the
        # namespace and key).
        overhead = 4096 + len(text.encode()) + 2 * len(item_id(namespace, key).encode())
        value = validate_value(op.value, overhead=overhead)
    put = PreparedPut(op, namespace, value, ttl, text)
    if value is not None:
        _graph_fields(put, value, schema)
    return put


def _graph_fields(put: PreparedPut, value: dict[str, Any], schema: StoreSchema) -> None:
    """Links and time a put records beside its value (see ``_graph`` and ``_time``)."""
    if schema.reserved_fields:
        put.link_to, time = declared(value, put.namespace)
        put.valid_from_ms, put.valid_to_ms = time.valid_from_ms, time.valid_to_ms
    auto = schema.auto_links
    if auto is not None:
        if auto.fields is not None:  # the configured fields, whatever the put indexes
            paths: list[str] | None = list(auto.fields)
        elif schema.vector_fields is not None:  # what the put embeds (its index=, as LangGraph)
            paths = index_paths(put.op.index, schema.vector_fields)
        else:
            paths = None
        put.names = auto.terms(extract_text(value, paths) if paths != [] else [])


def _validate(
    ops: Sequence[Op], schema: StoreSchema, access: Grant | None = None
) -> tuple[list[Any], dict[str, PreparedPut]]:
    """Validate every op (and check it against ``access``, see ``_access.py``); return per-op
    prepared data and the last put per item."""
    prepared: list[Any] = []
    puts: dict[str, PreparedPut] = {}
    for position, op in enumerate(ops):
        if isinstance(op, GetOp):
            validate_refresh_ttl(op.refresh_ttl)
            prepared.append(item_id(validate_namespace(op.namespace), validate_key(op.key)))
            require(access, "read", op.namespace, op.key)
        elif isinstance(op, SearchOp):
            prefix = validate_namespace_prefix(op.namespace_prefix)
            validate_page(op.limit, op.offset)
            validate_query(op.query)
            validate_refresh_ttl(op.refresh_ttl)
            validate_options(options_of(op))
            # Both must hold: and_ never lets one clause's key replace the other's.
            restricted = and_(translate_filter(op.filter), read_clause(access, prefix))
            prepared.append((prefix, restricted))
        elif isinstance(op, ListNamespacesOp):
            validate_page(op.limit, op.offset)
            validate_max_depth(op.max_depth)
            conditions = op.match_conditions or ()
            if not isinstance(conditions, tuple | list):
                raise InvalidArgumentError(
                    f"match_conditions must be a tuple of MatchCondition; got {conditions!r:.80}."
                )
            for condition in conditions:
                condition_query(condition)
            prepared.append(listing_clause(access, conditions))
        elif isinstance(op, PutOp):
            put = _prepare_put(op, schema)
            require(access, "delete" if put.value is None else "write", put.namespace, op.key)
            doc_id = item_id(put.namespace, op.key)
            put.positions = [*(puts[doc_id].positions if doc_id in puts else []), position]
            puts[doc_id] = put
            prepared.append(None)
        else:
            raise InvalidArgumentError(
                f"Unknown store operation: {type(op).__name__}; batch() takes GetOp, PutOp, "
                "SearchOp and ListNamespacesOp."
            )
    return prepared, puts


def check_ops(ops: Sequence[Op], schema: StoreSchema, access: Grant | None = None) -> None:
    """Validate ops as :func:`plan_batch` does, without running anything.

    Raises:
        InvalidNamespaceError, InvalidKeyError, InvalidValueError, InvalidFilterError,
        InvalidArgumentError: For a bad op.
        AccessDeniedError: For an op ``access`` denies.
    """
    _validate(ops, schema, access)


# -- the read step -------------------------------------------------------------------------------
@dataclass
class ReadStep:
    """The requests of one op type in the batch's read step, and how to decode their answers.

    Attributes:
        requests: What to send (joined with the other steps' into one ``Parallel``).
        decode: Receives this step's answers, in the order of ``requests``.
    """

    requests: list[Any]
    decode: Callable[[list[Any]], None]


@dataclass
class _Batch:
    """The state one batch's steps share: its ops, results, and the reads that slide TTLs."""

    ops: list[Op]
    prepared: list[Any]
    schema: StoreSchema
    now_ms: int
    results: list[Result]
    refresh: dict[float, set[str]] = field(default_factory=dict)
    embeddings: dict[str, Any] = field(default_factory=dict)
    indexed: dict[str, Any] = field(default_factory=dict)
    postings: list[Any] = field(default_factory=list)  # automatic links' postings updates

    def touch(self, op: GetOp | SearchOp, docs: Iterable[Mapping[str, Any]]) -> None:
        """Remember to slide the TTL of ``docs``, read by ``op`` (LangGraph's ``refresh_ttl``)."""
        if self.schema.ttl.refresh(op.refresh_ttl):
            for doc in docs:
                if doc.get("ttl"):
                    self.refresh.setdefault(doc["ttl"], set()).add(doc["_id"])


def _gets(batch: _Batch) -> ReadStep | None:
    positions = [i for i, op in enumerate(batch.ops) if isinstance(op, GetOp)]
    if not positions:
        return None
    ids = sorted({batch.prepared[i] for i in positions})
    request = Find(
        {"_id": {"$in": ids}, **live(batch.now_ms)}, ITEM_PROJECTION, batch_size=len(ids)
    )

    def decode(answers: list[Any]) -> None:
        found = {doc["_id"]: doc for doc in answers[0]}
        for i in positions:
            doc = found.get(batch.prepared[i])
            if doc is not None:
                batch.results[i] = to_item(doc)
                batch.touch(batch.ops[i], [doc])  # type: ignore[arg-type]

    return ReadStep([request], decode)


def _plain_search(batch: _Batch, i: int, op: SearchOp) -> ReadStep:
    prefix, query_filter = batch.prepared[i]

    def decode(answers: list[Any]) -> None:
        batch.results[i] = [to_search_item(doc) for doc in answers[0]]
        batch.touch(op, answers[0])

    prefix_scope, checks = scope(prefix, query_filter, batch.now_ms, _valid(op, batch.now_ms))
    return ReadStep([plain_search(op, prefix_scope, checks)], decode)


def _valid(op: SearchOp, now_ms: int) -> dict[str, Any]:
    """The facts' validity in time a search requires: current, or at the op's ``as_of``."""
    as_of = options_of(op).as_of
    return validity(None if as_of is None else epoch_ms(as_of), now_ms)


def _listing(batch: _Batch, i: int, op: ListNamespacesOp) -> ReadStep:
    def decode(answers: list[Any]) -> None:
        batch.results[i] = [decode_path(row["_id"]) for row in answers[0]]

    restrict = batch.prepared[i]
    return ReadStep([Aggregate(list_namespaces_pipeline(op, batch.now_ms, restrict))], decode)


def _query_embeddings(batch: _Batch, queries: list[str]) -> ReadStep | None:
    if not queries:
        return None

    def decode(answers: list[Any]) -> None:
        batch.embeddings = dict(zip(queries, answers[0], strict=True))

    return ReadStep([Embed(texts=queries, query=True)], decode)


def _previous_entries(batch: _Batch, puts: Mapping[str, PreparedPut]) -> ReadStep | None:
    indexes = batch.schema.indexes
    if not indexes.names or not puts:
        return None

    def decode(answers: list[Any]) -> None:
        batch.indexed = {doc["_id"]: doc for doc in answers[0]}

    return ReadStep([previous_entries(puts, indexes)], decode)


def _auto_links(batch: _Batch, puts: Mapping[str, PreparedPut]) -> ReadStep | None:
    """Automatic links: read the postings of the puts' terms and the written items' previous
    terms, then link in op order (the postings updates are written after the batch)."""
    settings = batch.schema.auto_links
    if settings is None or not puts:
        return None
    terms = {d: (p.namespace, p.names) for d, p in puts.items() if p.names}

    def decode(answers: list[Any]) -> None:
        linker = Linker(settings, answers[0], answers[1])
        for doc_id, put in sorted(puts.items(), key=lambda pair: pair[1].positions[-1]):
            if put.value is None:
                linker.record(doc_id, put.namespace, [])
                continue
            auto = linker.links(doc_id, put.namespace, put.names or [])
            put.link_to = list(dict.fromkeys([*put.link_to, *auto]))
        batch.postings = linker.writes()

    return ReadStep(list(plan_reads(terms, list(puts), batch.schema.postings)), decode)


def _read_steps(
    batch: _Batch, puts: Mapping[str, PreparedPut], ranked: list[int]
) -> list[ReadStep]:
    steps: list[ReadStep | None] = [_gets(batch)]
    for i, op in enumerate(batch.ops):
        if isinstance(op, SearchOp | ListNamespacesOp) and op.limit == 0:
            batch.results[i] = []
        elif isinstance(op, SearchOp) and op.query:
            ranked.append(i)
        elif isinstance(op, SearchOp):
            steps.append(_plain_search(batch, i, op))
        elif isinstance(op, ListNamespacesOp):
            steps.append(_listing(batch, i, op))
    queries = sorted({str(cast(SearchOp, batch.ops[i]).query) for i in ranked})
    steps.append(_query_embeddings(batch, queries if batch.schema.vectors else []))
    steps.append(_previous_entries(batch, puts))
    steps.append(_auto_links(batch, puts))
    return [s for s in steps if s is not None]


def plan_batch(
    ops: Iterable[Op], schema: StoreSchema, now: datetime, access: Grant | None = None
) -> Plan[list[Result]]:
    """Execute a batch of LangGraph store ops (see the module docstring).

    Args:
        ops: ``GetOp``, ``SearchOp``, ``ListNamespacesOp`` and ``PutOp`` instances.
        schema: The store's configuration.
        now: The batch's clock (UTC).
        access: The access policy resolved for the acting principal (``None``: no policy);
            see :mod:`~langgraph_genesis_memory.store._access`.

    Returns:
        A plan whose value is the list of results, one per op, in input order.

    Raises:
        InvalidNamespaceError, InvalidKeyError, InvalidValueError, InvalidFilterError,
        InvalidArgumentError, AccessDeniedError: For a bad or denied op, before any request
            is yielded.
        PartialWriteError: If MongoDB refused some of the batch's writes.
    """
    ops = list(ops)
    prepared, puts = _validate(ops, schema, access)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # BSON dates hold ms
    batch = _Batch(ops, prepared, schema, epoch_ms(now), [None] * len(ops))

    ranked: list[int] = []
    steps = _read_steps(batch, puts, ranked)
    if steps:
        answers = yield Parallel(tuple(r for step in steps for r in step.requests))
        start = 0
        for step in steps:
            step.decode(answers[start : start + len(step.requests)])
            start += len(step.requests)

    for i in ranked:
        op: SearchOp = ops[i]  # type: ignore[assignment]
        prefix, query_filter = prepared[i]
        prefix_scope, checks = scope(prefix, query_filter, batch.now_ms, _valid(op, batch.now_ms))
        page = yield from plan_ranked_search(
            op, prefix, prefix_scope, checks, batch.now_ms,
            ITEM_PROJECTION, schema.search, batch.embeddings.get(op.query or ""),
        )  # fmt: skip
        batch.results[i] = [to_search_item(doc, score) for doc, score in page]
        batch.touch(op, [doc for doc, _ in page])

    yield from plan_writes(puts, batch.refresh, batch.indexed, schema.writes, now)
    if batch.postings:  # after the items: a failed batch raised above and counts nothing
        yield BulkWrite(tuple(batch.postings), ordered=True, collection=schema.postings)
    return batch.results
