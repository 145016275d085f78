"""Search options LangGraph's ``SearchOp`` cannot carry: graph, time (pure, no I/O).

:class:`GenesisSearchOp` is a LangGraph ``SearchOp`` (a subclass: every ``isinstance(op,
SearchOp)`` check, LangGraph's and ours, treats it as a search) with one more field,
``options`` (:class:`SearchOptions`). ``GenesisStore.search`` / ``asearch`` build one when a
keyword argument beyond LangGraph's is given; a plain ``SearchOp`` behaves as before and gets
the store's defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from langgraph.store.base import SearchOp

from langgraph_genesis_memory.errors import InvalidArgumentError
from langgraph_genesis_memory.store._time import check_reference, require_dateparser

SearchMode = Literal["hybrid", "vector", "lexical", "graph"]

MAX_GRAPH_DEPTH = 3
"""Deepest walk a search may ask for (each depth is one MongoDB read)."""


@dataclass(frozen=True)
class SearchOptions:
    """Options of one ranked or plain search beyond LangGraph's ``SearchOp``.

    Attributes:
        search_mode: ``"hybrid"``, ``"vector"``, ``"lexical"`` or ``"graph"`` for this search
            (``None``: the store's ``search_mode``).
        graph_depth: Hops the graph walk takes from its seeds (0 to 3; ``None``: the store's,
            default 1).
        graph_weight: RRF weight of the graph ranking in hybrid search (``0`` leaves it out;
            ``None``: the store's).
        as_of: Return what was true at this timezone-aware instant (``valid_from <= as_of <
            valid_to``) instead of the current facts.
        recency_weight: RRF weight of a ranking by event time (``valid_from``), newest first
            (``0``, the default, leaves it out).
        resolve_dates: Resolve dates the query mentions ("last Saturday", "in May 2023") against
            ``reference_time`` and rank items whose event time falls in them higher.
        reference_time: The "now" of ``resolve_dates`` (timezone-aware; default the batch's
            clock).
    """

    search_mode: SearchMode | None = None
    graph_depth: int | None = None
    graph_weight: float | None = None
    as_of: datetime | None = None
    recency_weight: float = 0.0
    resolve_dates: bool = False
    reference_time: datetime | None = None


DEFAULT_OPTIONS = SearchOptions()


def _weight(value: object, name: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidArgumentError(f"{name} must be a finite number >= 0; got {value!r:.80}.")
    if value < 0:
        raise InvalidArgumentError(f"{name} must be >= 0; got {value!r}.")


def validate_options(options: object) -> SearchOptions:
    """Check :class:`SearchOptions` (before any I/O).

    Raises:
        InvalidArgumentError: For a mode, depth, weight or time out of range.
        MissingDependencyError: For ``resolve_dates=True`` without ``dateparser``.
    """
    if not isinstance(options, SearchOptions):
        raise InvalidArgumentError(f"options must be SearchOptions; got {options!r:.80}.")
    if options.search_mode is not None and options.search_mode not in get_args(SearchMode):
        raise InvalidArgumentError(
            "search_mode must be 'hybrid', 'vector', 'lexical' or 'graph'; "
            f"got {options.search_mode!r:.80}."
        )
    depth = options.graph_depth
    if depth is not None and (
        isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= MAX_GRAPH_DEPTH
    ):
        raise InvalidArgumentError(
            f"graph_depth must be an integer from 0 to {MAX_GRAPH_DEPTH}; got {depth!r:.80}."
        )
    _weight(options.graph_weight, "graph_weight")
    _weight(options.recency_weight, "recency_weight")
    if options.as_of is not None and (
        not isinstance(options.as_of, datetime) or options.as_of.tzinfo is None
    ):
        raise InvalidArgumentError(
            f"as_of must be a timezone-aware datetime; got {options.as_of!r:.80}."
        )
    if not isinstance(options.resolve_dates, bool):
        raise InvalidArgumentError(
            f"resolve_dates must be True or False; got {options.resolve_dates!r:.80}."
        )
    check_reference(options.reference_time)
    if options.resolve_dates:
        require_dateparser()
    return options


class GenesisSearchOp(SearchOp):
    """A LangGraph ``SearchOp`` with :class:`SearchOptions` (graph, time).

    Fields: LangGraph's ``namespace_prefix``, ``filter``, ``limit``, ``offset``, ``query``,
    ``refresh_ttl``, then ``options``. Pass it to ``GenesisStore.batch`` like any op; other
    stores see a plain ``SearchOp`` and ignore the options.

    Example:
        >>> from langgraph_genesis_memory.store import GenesisSearchOp, SearchOptions
        >>> op = GenesisSearchOp(("notes",), query="moving", options=SearchOptions(
        ...     search_mode="graph"))
        >>> op.options.search_mode, op.limit
        ('graph', 10)
    """

    __slots__ = ()
    _fields = (*SearchOp._fields, "options")  # type: ignore[assignment]

    def __new__(  # noqa: D102
        cls,
        namespace_prefix: tuple[str, ...],
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        query: str | None = None,
        refresh_ttl: bool | None = None,
        options: SearchOptions = DEFAULT_OPTIONS,
    ) -> GenesisSearchOp:
        fields = (namespace_prefix, filter, limit, offset, query, refresh_ttl, options)
        return tuple.__new__(cls, fields)

    @property
    def options(self) -> SearchOptions:
        """The options beyond LangGraph's fields."""
        return tuple.__getitem__(self, 6)  # type: ignore[return-value]

    def __repr__(self) -> str:
        inner = ", ".join(
            f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True)
        )
        return f"GenesisSearchOp({inner})"

    def __getnewargs__(self) -> tuple[Any, ...]:
        return tuple(self)

    def _replace(self, **changes: Any) -> GenesisSearchOp:
        fields = {name: tuple.__getitem__(self, i) for i, name in enumerate(self._fields)}
        unknown = set(changes) - fields.keys()
        if unknown:
            raise ValueError(f"Got unexpected field names: {sorted(unknown)!r}")
        return GenesisSearchOp(**{**fields, **changes})

    def _asdict(self) -> dict[str, Any]:
        return {name: tuple.__getitem__(self, i) for i, name in enumerate(self._fields)}


def options_of(op: SearchOp) -> SearchOptions:
    """The options of a search op (LangGraph's ``SearchOp``: the store's defaults)."""
    return op.options if isinstance(op, GenesisSearchOp) else DEFAULT_OPTIONS
