"""Time on items: event time, supersession, ``as_of`` and relative dates in queries (pure).

An item's value may carry three documented fields (JSON, so times are ISO 8601 strings):

* ``valid_from``: when the fact became true (its event time), e.g. ``"2023-05-08T13:56:00Z"``
  or a date ``"2023-05-08"`` (midnight UTC). Without it an item is valid from the time it was
  first written (an overwrite without it keeps the item's event time).
* ``valid_to``: when it stopped being true (set by :meth:`GenesisStore.supersede`, or written
  by the caller). Without it the fact is current.
* ``superseded_by``: ``{"namespace": [...], "key": "..."}`` of the fact that replaced it (set by
  ``supersede``).

A put records the first two on the document as integers, ``valid_from_ms`` and
``valid_to_ms`` (epoch milliseconds, like ``expires_at_ms``: integers compare exactly on every
server). A current fact holds ``valid_to_ms =`` :data:`NEVER_MS` (as an item without a TTL
holds it in ``expires_at_ms``), so "current" is one range, never ``$exists`` or ``$or`` (which
the local development server evaluates by scanning); an item written without ``valid_from``
holds the time of its first write. ``setup()`` (schema version 3) gives documents written
before these fields existed ``valid_from_ms = 0`` and ``valid_to_ms = NEVER_MS``.

Searches return current facts by default (``valid_to`` absent or later than the batch's clock);
``as_of=T`` returns what was true at ``T``: ``valid_from <= T < valid_to``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pymongo import UpdateMany

from langgraph_genesis_memory._mongo import BulkWrite
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.errors import (
    InvalidArgumentError,
    InvalidValueError,
    MissingDependencyError,
)
from langgraph_genesis_memory.store._documents import NEVER_MS
from langgraph_genesis_memory.store._graph import LINK_FIELD, parse_relationships
from langgraph_genesis_memory.store._queries import epoch_ms

VALID_FROM_MS = "valid_from_ms"
"""The document field holding an item's event time in epoch ms."""

VALID_TO_MS = "valid_to_ms"
"""The document field holding when an item stopped being true in epoch ms (``NEVER_MS``:
current)."""

VALID_FROM = "valid_from"
"""The value field holding an item's event time (ISO 8601)."""

VALID_TO = "valid_to"
"""The value field holding when an item stopped being true (ISO 8601)."""

SUPERSEDED_BY = "superseded_by"
"""The value field naming the item that replaced this one (``{"namespace", "key"}``)."""

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_instant(text: object, where: str) -> int:
    """Epoch ms of an ISO 8601 date or timezone-aware datetime string.

    Args:
        text: ``"2023-05-08"`` (midnight UTC) or ``"2023-05-08T13:56:00+02:00"`` / ``"...Z"``.
        where: What the text is, for the error message (e.g. ``"value['valid_from']"``).

    Raises:
        InvalidValueError: For anything else (a naive datetime included: say which zone).
    """
    if not isinstance(text, str):
        raise InvalidValueError(
            f"{where} must be an ISO 8601 string such as '2023-05-08T13:56:00Z'; got {text!r:.80}."
        )
    try:
        if _DATE_ONLY.match(text):
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidValueError(
            f"{where} is not an ISO 8601 date or datetime: {text!r:.80}; write e.g. "
            "'2023-05-08' or '2023-05-08T13:56:00Z'."
        ) from None
    if parsed.tzinfo is None:
        raise InvalidValueError(
            f"{where} has no timezone: {text!r:.80}; add one (e.g. 'Z' or '+02:00')."
        )
    return epoch_ms(parsed)


def iso(moment_ms: int) -> str:
    """The ISO 8601 UTC text of an epoch-ms instant (``...Z``, millisecond precision)."""
    moment = datetime.fromtimestamp(moment_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ItemTime:
    """The time fields a put records on its document (epoch ms; ``None``: not given)."""

    valid_from_ms: int | None = None
    valid_to_ms: int | None = None


def item_time(value: Mapping[str, Any]) -> ItemTime:
    """Read and check a value's ``valid_from`` / ``valid_to``.

    Raises:
        InvalidValueError: If either is not an ISO 8601 date/datetime with a timezone,
            ``valid_to`` is not later than ``valid_from``, or ``superseded_by`` is not
            ``{"namespace": [...], "key": "..."}``.
    """
    start = value.get(VALID_FROM)
    end = value.get(VALID_TO)
    start_ms = None if start is None else parse_instant(start, f"value[{VALID_FROM!r}]")
    end_ms = None if end is None else parse_instant(end, f"value[{VALID_TO!r}]")
    if start_ms is not None and end_ms is not None and end_ms <= start_ms:
        raise InvalidValueError(
            f"value[{VALID_TO!r}] ({end}) must be later than value[{VALID_FROM!r}] ({start})."
        )
    superseded = value.get(SUPERSEDED_BY)
    if superseded is not None and not (
        isinstance(superseded, Mapping) and isinstance(superseded.get("key"), str)
    ):
        raise InvalidValueError(
            f"value[{SUPERSEDED_BY!r}] must be {{'namespace': [...], 'key': '...'}}; "
            f"got {superseded!r:.80}."
        )
    return ItemTime(start_ms, end_ms)


def declared(value: Mapping[str, Any], namespace: tuple[str, ...]) -> tuple[list[str], ItemTime]:
    """What a value declares in the fields the store reads: the ``_id``\\ s of its
    ``relationships`` and its time (``valid_from`` / ``valid_to``).

    Raises:
        InvalidValueError: For a bad ``relationships``, ``valid_from``, ``valid_to`` or
            ``superseded_by``.
    """
    return [link.target_id for link in parse_relationships(value, namespace)], item_time(value)


def stored_fields(
    value: Mapping[str, Any],
    namespace: tuple[str, ...],
    first_written_ms: int,
    reserved_fields: bool = True,
) -> dict[str, Any]:
    """The link and time fields of a document written directly (restore, migrate), as a put
    records them: ``link_to`` from ``relationships``, ``valid_from_ms`` (default
    ``first_written_ms``, the item's ``created_at``) and ``valid_to_ms`` (default current).
    Automatic links are not recomputed. With ``reserved_fields=False`` (the target store's
    setting) the value's fields are not read: no links, valid from ``first_written_ms``.

    Raises:
        InvalidValueError: For a bad ``relationships``, ``valid_from``, ``valid_to`` or
            ``superseded_by``.
    """
    if not reserved_fields:
        return {LINK_FIELD: [], VALID_FROM_MS: first_written_ms, VALID_TO_MS: NEVER_MS}
    links, time = declared(value, namespace)
    return {
        LINK_FIELD: list(dict.fromkeys(links)),
        VALID_FROM_MS: first_written_ms if time.valid_from_ms is None else time.valid_from_ms,
        VALID_TO_MS: NEVER_MS if time.valid_to_ms is None else time.valid_to_ms,
    }


def validity(as_of_ms: int | None, now_ms: int) -> dict[str, Any]:
    """The MongoDB conditions keeping the facts valid at ``as_of_ms`` (default: current), as
    top-level fields to merge into a search's checks.

    Current (``as_of_ms=None``): ``valid_to_ms`` later than ``now_ms``. ``as_of``: also
    ``valid_from_ms`` at most ``as_of_ms``. Plain ranges on integers, exact on every server
    (every document carries both fields: see :func:`plan_backfill_validity`).
    """
    moment = now_ms if as_of_ms is None else as_of_ms
    clauses: dict[str, Any] = {VALID_TO_MS: {"$gt": moment}}
    if as_of_ms is not None:
        clauses[VALID_FROM_MS] = {"$lte": moment}
    return clauses


def plan_backfill_validity(_context: object = None) -> Plan[None]:
    """Schema version 3's backfill: documents written before event times existed get
    ``valid_from_ms = 0`` (valid since always) and ``valid_to_ms =`` :data:`NEVER_MS`
    (current). Idempotent (only documents missing a field are written)."""
    yield BulkWrite(
        (
            UpdateMany({VALID_FROM_MS: {"$exists": False}}, {"$set": {VALID_FROM_MS: 0}}),
            UpdateMany({VALID_TO_MS: {"$exists": False}}, {"$set": {VALID_TO_MS: NEVER_MS}}),
        )
    )


# -- relative dates in queries -------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """A span of time a query mentions: ``[start_ms, end_ms)``, and the words that said it."""

    start_ms: int
    end_ms: int
    text: str


_PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7)}


def require_dateparser() -> Any:
    """The ``dateparser`` module (extra ``dates``).

    Raises:
        MissingDependencyError: If it is not installed.
    """
    try:
        import dateparser.search
    except ImportError:
        raise MissingDependencyError(
            "Resolving dates in queries needs dateparser: pip install "
            "'langgraph-genesis-memory[dates]'."
        ) from None
    return dateparser


def _span(moment: datetime, period: str) -> tuple[datetime, datetime]:
    """The calendar span of ``period`` ('day', 'week', 'month', 'year', 'time') around it."""
    if period == "year":
        start = moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        return start, start.replace(year=start.year + 1)
    if period == "month":
        start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
        return start, end
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        start -= timedelta(days=start.weekday())
    return start, start + _PERIODS.get(period, timedelta(days=1))


def resolve_periods(query: str, reference: datetime) -> list[Period]:
    """The dates a query mentions ("last Saturday", "in May 2023", "yesterday"), resolved
    against ``reference`` with ``dateparser`` (its ``search_dates``, English, past preferred),
    each widened to the calendar period it names (a day, a week, a month, a year).

    Args:
        query: The query text.
        reference: The "now" of the query (timezone-aware).

    Returns:
        The periods found, in order of appearance (possibly none).

    Raises:
        MissingDependencyError: If ``dateparser`` is not installed (extra ``dates``).
    """
    dateparser = require_dateparser()
    settings = {
        "RELATIVE_BASE": reference.astimezone(UTC).replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    found = dateparser.search.search_dates(query, languages=["en"], settings=settings) or []
    periods = []
    parser = dateparser.date.DateDataParser(languages=["en"], settings=settings)
    for text, moment in found:
        if not re.search(r"\d|day|week|month|year|yesterday|today|ago|last|monday|tuesday|"
                         r"wednesday|thursday|friday|saturday|sunday|january|february|march|"
                         r"april|may|june|july|august|september|october|november|december",
                         text, re.IGNORECASE):  # fmt: skip
            continue  # words dateparser reads as dates but that say none ("now", "a")
        data = parser.get_date_data(text)
        start, end = _span(moment.replace(tzinfo=UTC), data.period or "day")
        periods.append(Period(epoch_ms(start), epoch_ms(end), text))
    return periods


def check_reference(reference: object) -> datetime | None:
    """Check ``reference_time=``: a timezone-aware datetime or ``None``.

    Raises:
        InvalidArgumentError: For anything else.
    """
    if reference is None:
        return None
    if not isinstance(reference, datetime) or reference.tzinfo is None:
        raise InvalidArgumentError(
            f"reference_time must be a timezone-aware datetime; got {reference!r:.80}."
        )
    return reference
