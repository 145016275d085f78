"""The ops behind ``GenesisStore``'s single-item methods, checked strictly (pure, no I/O).

LangGraph's ``BaseStore.get``/``delete`` turn the key into ``str(key)`` and ``search`` /
``list_namespaces`` iterate whatever they are given as labels, so ``get(ns, 7)`` would read key
``"7"``, ``delete(ns, None)`` would delete key ``"None"`` and ``list_namespaces(prefix="agent")``
would search ``("a", "g", "e", "n", "t")``. ``GenesisStore`` builds its ops here instead, so each
method refuses such input with a documented error before anything is sent. Lists are accepted
where a namespace prefix is expected, as LangGraph's SQL stores accept them.
"""

from __future__ import annotations

from typing import Any

from langgraph.store.base import (
    GetOp,
    ListNamespacesOp,
    MatchCondition,
    NotProvided,
    PutOp,
    SearchOp,
)

from langgraph_genesis_memory.store._options import (
    DEFAULT_OPTIONS,
    GenesisSearchOp,
    SearchOptions,
    validate_options,
)
from langgraph_genesis_memory.store._validation import (
    validate_key,
    validate_max_depth,
    validate_namespace,
    validate_namespace_prefix,
    validate_page,
    validate_query,
    validate_refresh_ttl,
)


def get_op(namespace: Any, key: Any, refresh_ttl: Any) -> GetOp:
    """The ``GetOp`` of ``get(namespace, key, refresh_ttl=...)``.

    Raises:
        InvalidNamespaceError, InvalidKeyError, InvalidArgumentError: For bad arguments.
    """
    validate_refresh_ttl(refresh_ttl)
    return GetOp(validate_namespace(namespace), validate_key(key), refresh_ttl)


def put_op(
    namespace: Any, key: Any, value: Any, index: Any, ttl: float | None | NotProvided
) -> PutOp:
    """The ``PutOp`` of ``put(...)``: the first label ``"langgraph"`` is refused here, as
    LangGraph's ``BaseStore.put`` does (``batch`` accepts it). The rest is checked by the batch
    (``value=None`` deletes, as in LangGraph's stores).

    Raises:
        InvalidNamespaceError: For a bad namespace.
    """
    namespace = validate_namespace(namespace, reserved=True)
    return PutOp(namespace, key, value, index=index, ttl=ttl)  # type: ignore[arg-type]


def delete_op(namespace: Any, key: Any) -> PutOp:
    """The ``PutOp`` (``value=None``) of ``delete(namespace, key)``.

    Raises:
        InvalidNamespaceError, InvalidKeyError: For bad arguments.
    """
    return PutOp(validate_namespace(namespace), validate_key(key), None, ttl=None)


def search_op(
    namespace_prefix: Any,
    query: Any,
    filter: Any,
    limit: Any,
    offset: Any,
    refresh_ttl: Any,
    options: SearchOptions = DEFAULT_OPTIONS,
) -> SearchOp:
    """The ``SearchOp`` of ``search(...)``; the filter is checked by the batch.

    With ``options`` other than the defaults, a
    :class:`~langgraph_genesis_memory.store._options.GenesisSearchOp` carrying them.

    Raises:
        InvalidNamespaceError, InvalidArgumentError: For bad arguments.
    """
    prefix = validate_namespace_prefix(namespace_prefix)
    validate_page(limit, offset)
    validate_query(query)
    validate_refresh_ttl(refresh_ttl)
    if validate_options(options) != DEFAULT_OPTIONS:
        return GenesisSearchOp(prefix, filter, limit, offset, query, refresh_ttl, options)
    return SearchOp(prefix, filter, limit, offset, query, refresh_ttl)


def list_namespaces_op(
    prefix: Any, suffix: Any, max_depth: Any, limit: Any, offset: Any
) -> ListNamespacesOp:
    """The ``ListNamespacesOp`` of ``list_namespaces(...)`` (``"*"`` labels match any label).

    Raises:
        InvalidNamespaceError, InvalidArgumentError: For bad arguments.
    """
    conditions = []
    for kind, path in (("prefix", prefix), ("suffix", suffix)):
        if path is not None:
            labels = validate_namespace_prefix(path, f"A namespace {kind}")
            if labels:
                conditions.append(MatchCondition(match_type=kind, path=labels))  # type: ignore[arg-type]
    validate_max_depth(max_depth)
    validate_page(limit, offset)
    return ListNamespacesOp(tuple(conditions), max_depth, limit, offset)
