"""MongoDB requests as data, and the thin sync and async layers that execute them.

The store and the saver describe their work as plans (:mod:`langgraph_genesis_memory._plans`):
they yield a request (:class:`Find`, :class:`BulkWrite`..., or a service request of
:mod:`langgraph_genesis_memory._services` for the embedding model and the derived indexes) and
receive its result. :func:`run_sync` executes the requests with pymongo's ``MongoClient`` and the
sync services; :func:`run_async` with pymongo's native ``AsyncMongoClient`` (no threads) and the
async services, running the members of a :class:`Parallel` request concurrently. Both translate
connection failures and timeouts into
:class:`~langgraph_genesis_memory.errors.DatabaseUnavailableError`.

Timeouts: a plan runs with a budget of ``timeout_ms`` milliseconds for its MongoDB requests
(pymongo's client-side operation timeout, ``pymongo.timeout``). Time spent in service requests
(the embedding model, the vector index) does not count against it, so a call that meets a
hung MongoDB ends within ``timeout_ms`` plus the time of its service requests. Long maintenance
plans (``reindex``, ``sweep``) give each request its own ``timeout_ms`` instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pymongo
from pymongo.errors import BulkWriteError, ConnectionFailure, OperationFailure, PyMongoError

from langgraph_genesis_memory import _services
from langgraph_genesis_memory._connection import describe_client
from langgraph_genesis_memory._plans import Plan, adrive, drive
from langgraph_genesis_memory._services import ServiceRequest, Services
from langgraph_genesis_memory.errors import ConfigurationError, DatabaseUnavailableError

T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    """Base of every MongoDB request; a request's ``collection`` overrides the default."""


@dataclass(frozen=True)
class Find(Request):
    """``find`` returning a list of documents."""

    filter: Mapping[str, Any]
    projection: Mapping[str, Any] | None = None
    sort: Sequence[tuple[str, Any]] | None = None
    skip: int = 0
    limit: int = 0
    collection: str | None = None
    batch_size: int = 0
    """Documents per reply (0: the server's default); a large value saves ``getMore`` trips."""


@dataclass(frozen=True)
class Aggregate(Request):
    """``aggregate`` returning a list of documents."""

    pipeline: Sequence[Mapping[str, Any]]
    collection: str | None = None


@dataclass(frozen=True)
class BulkWrite(Request):
    """``bulk_write`` of pymongo write models in one round trip; returns ``BulkWriteResult``.

    With ``report_errors``, a ``BulkWriteError`` (the server refused some writes) is returned
    to the plan as :class:`Failed` instead of raised, so the plan can say which writes applied.
    """

    requests: Sequence[Any]
    ordered: bool = False
    collection: str | None = None
    report_errors: bool = False


@dataclass(frozen=True)
class Delete(Request):
    """``delete_many`` of every document matching ``filter``; returns the number deleted."""

    filter: Mapping[str, Any]
    collection: str | None = None


@dataclass(frozen=True)
class Update(Request):
    """``update_one``; returns ``UpdateResult``."""

    filter: Mapping[str, Any]
    update: Mapping[str, Any]
    upsert: bool = False
    collection: str | None = None


@dataclass(frozen=True)
class CreateIndexes(Request):
    """``create_indexes`` (idempotent for identical definitions); returns index names."""

    indexes: Sequence[Any]
    collection: str | None = None


@dataclass(frozen=True)
class DropIndexes(Request):
    """Drop the indexes whose key pattern is one of ``keys`` (by key, not by name: not every
    server keeps index names); missing ones are ignored. Returns the names dropped."""

    keys: Sequence[Sequence[tuple[str, Any]]]
    collection: str | None = None


def _matching(indexes: Sequence[Mapping[str, Any]], keys: Sequence[Any]) -> list[str]:
    wanted = [[(str(f), int(d)) for f, d in key] for key in keys]
    return [
        str(ix["name"])
        for ix in indexes
        if [(str(f), int(d)) for f, d in dict(ix["key"]).items()] in wanted
    ]


@dataclass(frozen=True)
class Count(Request):
    """``count_documents``; returns an ``int``."""

    filter: Mapping[str, Any]
    collection: str | None = None


@dataclass(frozen=True)
class Command(Request):
    """A database command on the target's database (``db.command``), e.g. ``{"hello": 1}``;
    returns the reply document."""

    command: Mapping[str, Any]


@dataclass(frozen=True)
class Failed:
    """The result of a tolerated service request (or a reported bulk write) that raised."""

    error: BaseException


@dataclass(frozen=True)
class Parallel(Request):
    """Several independent requests; the result is the list of their results, in order."""

    requests: Sequence[Request | ServiceRequest] = field(default_factory=tuple)


class Target:
    """Where requests run: a database (sync or async), the default collection, the services.

    Args:
        database: A pymongo ``Database`` or ``AsyncDatabase``.
        collection: Name of the default collection.
        describe: Returns a printable name of the deployment (password masked) for errors.
        timeout_ms: The MongoDB time budget in milliseconds (see the module docstring);
            ``None``: only the client's own timeouts apply.
        services: The embedding model and derived indexes (sync ones for sync runs).
        per_request: Give each request the whole budget instead of sharing one budget across
            the plan (long maintenance plans).
    """

    def __init__(
        self,
        database: Any,
        collection: str,
        describe: Callable[[], str],
        timeout_ms: int | None = None,
        services: Services | None = None,
        per_request: bool = False,
    ) -> None:
        self.database = database
        self.services = services or Services()
        self.collection = collection
        self.describe = describe
        self.timeout_ms = timeout_ms
        self.per_request = per_request

    def coll(self, name: str | None) -> Any:
        """The collection ``name``, or the default one."""
        return self.database[name or self.collection]

    def unavailable(self, exc: Exception) -> DatabaseUnavailableError:
        """The error to raise when MongoDB did not answer (``exc`` is pymongo's)."""
        within = f" within {self.timeout_ms} ms" if self.timeout_ms else ""
        return DatabaseUnavailableError(
            f"MongoDB at {self.describe()} did not answer{within}: {exc}. Check that the "
            "deployment is running and reachable, or unset MONGODB_URI to use local mode."
        )


class PlanRunner:
    """Runs plans on a component's sync client or its async client (store and saver base).

    Subclasses set ``client``, ``async_client``, ``database`` and ``_timeout_ms``, and define
    :meth:`_default_collection`, :meth:`_services` and the two messages naming their APIs.
    """

    client: Any
    async_client: Any
    database: str
    _timeout_ms: int | None
    _no_sync_client = "This component has no sync MongoClient."
    _no_async_client = "This component has no AsyncMongoClient."

    def _default_collection(self) -> str:
        raise NotImplementedError

    def _services(self, is_async: bool) -> Services:
        return Services()

    def _make_target(self, client: Any, is_async: bool, per_request: bool = False) -> Target:
        if client is None:
            raise ConfigurationError(self._no_async_client if is_async else self._no_sync_client)
        return Target(
            client[self.database],
            self._default_collection(),
            lambda: describe_client(client),
            self._timeout_ms,
            self._services(is_async),
            per_request,
        )

    def _run(self, plan: Plan[T], *, per_request: bool = False) -> T:
        return run_sync(self._make_target(self.client, False, per_request), plan)

    async def _arun(self, plan: Plan[T], *, per_request: bool = False) -> T:
        return await run_async(self._make_target(self.async_client, True, per_request), plan)


def _text_index_missing(exc: OperationFailure) -> ConfigurationError | None:
    if "text index" in str(exc).lower():
        return ConfigurationError(
            "Text search needs the store's indexes: call store.setup() (or await "
            "store.asetup()) once after creating the store."
        )
    return None


def _execute_sync(target: Target, req: Request | ServiceRequest) -> Any:
    if isinstance(req, Parallel):
        return [_execute_sync(target, r) for r in req.requests]
    if isinstance(req, ServiceRequest):
        try:
            return _services.execute(target.services, req)
        except Exception as exc:
            if not req.tolerate:
                raise
            return Failed(exc)
    coll = target.coll(getattr(req, "collection", None))
    if isinstance(req, Find):
        cursor = coll.find(
            req.filter, req.projection, skip=req.skip, limit=req.limit, batch_size=req.batch_size
        )
        if req.sort:
            cursor = cursor.sort(list(req.sort))
        return list(cursor)
    if isinstance(req, Aggregate):
        return list(coll.aggregate(list(req.pipeline)))
    if isinstance(req, BulkWrite):
        try:
            return coll.bulk_write(list(req.requests), ordered=req.ordered)
        except BulkWriteError as exc:
            if not req.report_errors or exc.timeout:
                raise
            return Failed(exc)
    if isinstance(req, Delete):
        return coll.delete_many(req.filter).deleted_count
    if isinstance(req, Count):
        return coll.count_documents(req.filter)
    if isinstance(req, Update):
        return coll.update_one(req.filter, req.update, upsert=req.upsert)
    if isinstance(req, CreateIndexes):
        return coll.create_indexes(list(req.indexes))
    if isinstance(req, DropIndexes):
        names = _matching(list(coll.list_indexes()), req.keys)
        for name in names:
            coll.drop_index(name)
        return names
    if isinstance(req, Command):
        return target.database.command(dict(req.command))
    raise TypeError(f"Unknown request {req!r}")


async def _execute_async(target: Target, req: Request | ServiceRequest) -> Any:
    if isinstance(req, Parallel):
        return list(await asyncio.gather(*(_execute_async(target, r) for r in req.requests)))
    if isinstance(req, ServiceRequest):
        try:
            return await _services.aexecute(target.services, req)
        except Exception as exc:
            if not req.tolerate:
                raise
            return Failed(exc)
    coll = target.coll(getattr(req, "collection", None))
    if isinstance(req, Find):
        cursor = coll.find(
            req.filter, req.projection, skip=req.skip, limit=req.limit, batch_size=req.batch_size
        )
        if req.sort:
            cursor = cursor.sort(list(req.sort))
        return await cursor.to_list()
    if isinstance(req, Aggregate):
        cursor = await coll.aggregate(list(req.pipeline))
        return await cursor.to_list()
    if isinstance(req, BulkWrite):
        try:
            return await coll.bulk_write(list(req.requests), ordered=req.ordered)
        except BulkWriteError as exc:
            if not req.report_errors or exc.timeout:
                raise
            return Failed(exc)
    if isinstance(req, Delete):
        return (await coll.delete_many(req.filter)).deleted_count
    if isinstance(req, Count):
        return await coll.count_documents(req.filter)
    if isinstance(req, Update):
        return await coll.update_one(req.filter, req.update, upsert=req.upsert)
    if isinstance(req, CreateIndexes):
        return await coll.create_indexes(list(req.indexes))
    if isinstance(req, DropIndexes):
        names = _matching(await (await coll.list_indexes()).to_list(), req.keys)
        for name in names:
            await coll.drop_index(name)
        return names
    if isinstance(req, Command):
        return await target.database.command(dict(req.command))
    raise TypeError(f"Unknown request {req!r}")


def _failure(target: Target, exc: PyMongoError) -> Exception:
    """The error to raise for a pymongo failure: ours where we can say more, else ``exc``."""
    if isinstance(exc, ConnectionFailure) or exc.timeout:
        return target.unavailable(exc)
    if isinstance(exc, OperationFailure):
        return _text_index_missing(exc) or exc
    return exc


def _touches_mongodb(request: Any) -> bool:
    if isinstance(request, ServiceRequest):
        return False
    if isinstance(request, Parallel):
        return any(_touches_mongodb(r) for r in request.requests)
    return True


class _Budget:
    """The MongoDB time budget of one plan run (see the module docstring)."""

    def __init__(self, target: Target) -> None:
        self.total = None if target.timeout_ms is None else target.timeout_ms / 1000.0
        self.per_request = target.per_request
        self.spent = 0.0

    def remaining(self, request: Any) -> float | None:
        """Seconds the next request may take; ``None``: no limit (service requests only)."""
        if self.total is None or not _touches_mongodb(request):
            return None
        if self.per_request:
            return self.total
        # pymongo.timeout(0) would mean "no timeout": keep a tiny positive remainder.
        return max(self.total - self.spent, 0.001)

    def charge(self, request: Any, started: float) -> None:
        """Count the time of a MongoDB request against the budget."""
        if _touches_mongodb(request):
            self.spent += time.monotonic() - started


request_observer: Callable[[Any, float], None] | None = None
"""Called after each request a plan's run executed, with the request and its duration in
seconds; set only by the optional OpenTelemetry instrumentation
(:mod:`langgraph_genesis_memory._telemetry`). ``None`` (the default): nothing is called."""


def _raise_mapped(target: Target, exc: PyMongoError) -> None:
    mapped = _failure(target, exc)
    if mapped is exc:
        raise exc
    raise mapped from exc


def run_sync(target: Target, plan: Plan[T]) -> T:
    """Drive ``plan`` to completion with a sync pymongo database and the sync services.

    Raises:
        DatabaseUnavailableError: If MongoDB cannot be reached, or does not answer within the
            time budget (``target.timeout_ms``).
        ConfigurationError: If text search runs before ``setup()`` created the text index.
    """
    budget = _Budget(target)

    def execute(request: Any) -> Any:
        started = time.monotonic()
        try:
            with pymongo.timeout(budget.remaining(request)):
                result = _execute_sync(target, request)
        except PyMongoError as exc:
            _raise_mapped(target, exc)
        budget.charge(request, started)
        if request_observer is not None:
            request_observer(request, time.monotonic() - started)
        return result

    return drive(plan, execute)


async def run_async(target: Target, plan: Plan[T]) -> T:
    """Drive ``plan`` with pymongo's ``AsyncMongoClient`` and the async services (same errors)."""
    budget = _Budget(target)

    async def execute(request: Any) -> Any:
        started = time.monotonic()
        try:
            with pymongo.timeout(budget.remaining(request)):
                result = await _execute_async(target, request)
        except PyMongoError as exc:
            _raise_mapped(target, exc)
        budget.charge(request, started)
        if request_observer is not None:
            request_observer(request, time.monotonic() - started)
        return result

    return await adrive(plan, execute)
