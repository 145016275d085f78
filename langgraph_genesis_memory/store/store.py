"""``GenesisStore``: LangGraph's ``BaseStore`` on MongoDB."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from os import PathLike
from typing import Any, Literal

from langgraph.store.base import (
    NOT_PROVIDED,
    BaseStore,
    NotProvided,
    Op,
    PutOp,
    Result,
    TTLConfig,
)
from pymongo import ASCENDING, TEXT, AsyncMongoClient, IndexModel, MongoClient

from langgraph_genesis_memory.config import database_from_env
from langgraph_genesis_memory.connection import describe_client, open_async, open_sync
from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.migrations import plan_setup
from langgraph_genesis_memory.mongo import Plan, Target, run_async, run_sync
from langgraph_genesis_memory.store.documents import validate_namespace
from langgraph_genesis_memory.store.plan import StoreSchema, plan_batch, plan_sweep
from langgraph_genesis_memory.store.ttl import TTLPolicy

__all__ = ["GenesisStore", "STORE_MIGRATIONS"]

logger = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


STORE_MIGRATIONS: list[list[IndexModel]] = [
    [
        IndexModel([("ns_key", ASCENDING)], name="ns_key"),
        IndexModel([("expires_at", ASCENDING)], name="ttl_expires_at", expireAfterSeconds=0),
        IndexModel([("expires_at_ms", ASCENDING)], name="expires_at_ms"),
        IndexModel(
            [("search_text", TEXT)],
            name="search_text",
            default_language="english",
            language_override="search_language",
        ),
    ],
]
"""Index sets by schema version (see :mod:`langgraph_genesis_memory.migrations`)."""


class GenesisStore(BaseStore):
    """LangGraph's ``BaseStore`` on MongoDB: namespaced JSON memories shared by agents.

    Pass it to ``StateGraph.compile(store=...)`` or ``@entrypoint(store=...)``; nodes reach it via
    ``get_store()``, ``Runtime.store`` or ``InjectedStore`` tools. ``batch`` runs on pymongo's
    ``MongoClient`` and ``abatch`` on its native ``AsyncMongoClient``; both run the same logic
    (:mod:`langgraph_genesis_memory.store.plan`) and follow the semantics of LangGraph's reference
    ``InMemoryStore``. Each item is one MongoDB document (see
    :mod:`langgraph_genesis_memory.store.documents`).

    The constructor does no I/O. Use :meth:`from_conn_string` / :meth:`afrom_conn_string` to
    open (and later close) the clients, and call :meth:`setup` once to create the indexes.

    Args:
        client: A pymongo ``MongoClient`` for the sync API (``get``, ``put``, ``batch``...).
        async_client: A pymongo ``AsyncMongoClient`` for the async API (``aget``, ``abatch``...).
        database: Database name. Default: ``GENESIS_MONGODB_DATABASE`` or ``"genesis_memory"``.
        collection: Collection holding the items. Default ``"store"``.
        ttl: LangGraph's ``TTLConfig``: ``default_ttl`` (minutes) for items outside the namespace
            policies, ``refresh_on_read`` (default ``True``), ``sweep_interval_minutes``.
        namespace_ttl: TTL in minutes by first namespace label, merged over the defaults
            ``{"agent": 43200 (30 days), "business": 259200 (180 days), "system": None (never),
            "short_term": 1440 (24 hours)}``.
        timeout_ms: Quoted in connection errors; the clients' own timeouts apply.
        clock: Returns the current UTC time for TTL decisions (default: the system clock);
            for tests and simulations. ``updated_at`` always comes from the MongoDB server.

    Raises:
        ConfigurationError: If neither client is given, or a TTL is not a positive number.

    Example:
        >>> from langgraph_genesis_memory import GenesisStore
        >>> with GenesisStore.from_conn_string() as store:  # doctest: +SKIP
        ...     store.setup()
        ...     store.put(("agent", "qa"), "greeting", {"text": "Say hello first."})
        ...     store.get(("agent", "qa"), "greeting").value
        {'text': 'Say hello first.'}
    """

    supports_ttl: bool = True

    def __init__(
        self,
        *,
        client: MongoClient | None = None,
        async_client: AsyncMongoClient | None = None,
        database: str | None = None,
        collection: str = "store",
        ttl: TTLConfig | None = None,
        namespace_ttl: Mapping[str, float | None] | None = None,
        timeout_ms: int | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if client is None and async_client is None:
            raise ConfigurationError(
                "GenesisStore needs client= (pymongo MongoClient), async_client= "
                "(pymongo AsyncMongoClient) or both; or use GenesisStore.from_conn_string()."
            )
        if not isinstance(collection, str) or not collection or "$" in collection:
            raise ConfigurationError(f"Invalid collection name {collection!r}.")
        self.client = client
        self.async_client = async_client
        self.database = database or database_from_env()
        self.collection_name = collection
        self.ttl_policy = TTLPolicy(ttl, namespace_ttl)
        self.ttl_config = ttl
        self._schema = StoreSchema(ttl=self.ttl_policy)
        self._timeout_ms = timeout_ms
        self._clock = clock or _utcnow
        self._sweeper: threading.Thread | None = None
        self._sweeper_stop = threading.Event()
        self._async_sweeper: asyncio.Task[None] | None = None

    # -- construction --------------------------------------------------------------------------
    @classmethod
    @contextmanager
    def from_conn_string(
        cls,
        conn_string: str | None = None,
        *,
        database: str | None = None,
        collection: str = "store",
        ttl: TTLConfig | None = None,
        namespace_ttl: Mapping[str, float | None] | None = None,
        data_dir: str | PathLike[str] | None = None,
        timeout_ms: int | None = None,
    ) -> Iterator[GenesisStore]:
        """Open a store on a MongoDB deployment and close its client on exit.

        The deployment is ``conn_string``, else ``MONGODB_URI``, else local mode (a local
        MongoDB-compatible server under ``data_dir``, started if it is not running and left
        running for other processes; stop it with ``genesis-memory local stop``).

        Args:
            conn_string: A MongoDB connection string.
            database, collection, ttl, namespace_ttl: As the constructor.
            data_dir: Local-mode data folder. Default: ``GENESIS_DATA_DIR`` or ``./.genesis``.
            timeout_ms: How long to wait for MongoDB before
                :class:`~langgraph_genesis_memory.errors.DatabaseUnavailableError`.
                Default: ``GENESIS_MONGODB_TIMEOUT_MS`` or 10000.

        Yields:
            A ``GenesisStore`` with a sync client (use :meth:`afrom_conn_string` for async).
        """
        with open_sync(conn_string, data_dir=data_dir, timeout_ms=timeout_ms) as conn:
            yield cls(
                client=conn.client,
                database=database,
                collection=collection,
                ttl=ttl,
                namespace_ttl=namespace_ttl,
                timeout_ms=conn.timeout_ms,
            )

    @classmethod
    @asynccontextmanager
    async def afrom_conn_string(
        cls,
        conn_string: str | None = None,
        *,
        database: str | None = None,
        collection: str = "store",
        ttl: TTLConfig | None = None,
        namespace_ttl: Mapping[str, float | None] | None = None,
        data_dir: str | PathLike[str] | None = None,
        timeout_ms: int | None = None,
    ) -> AsyncIterator[GenesisStore]:
        """Async twin of :meth:`from_conn_string` (same arguments).

        Yields:
            A ``GenesisStore`` with an ``AsyncMongoClient`` for the async API and a
            ``MongoClient`` for sync calls made from worker threads (sync nodes).
        """
        async with open_async(conn_string, data_dir=data_dir, timeout_ms=timeout_ms) as conn:
            yield cls(
                client=conn.client,
                async_client=conn.async_client,
                database=database,
                collection=collection,
                ttl=ttl,
                namespace_ttl=namespace_ttl,
                timeout_ms=conn.timeout_ms,
            )

    # -- execution -----------------------------------------------------------------------------
    def _target(self) -> Target:
        if self.client is None:
            raise ConfigurationError(
                "This GenesisStore has no sync MongoClient: use the async API (aget, aput, "
                "asearch...) or pass client=MongoClient(...)."
            )
        client = self.client
        return Target(
            client[self.database], self.collection_name, lambda: describe_client(client),
            self._timeout_ms,
        )  # fmt: skip

    def _atarget(self) -> Target:
        if self.async_client is None:
            raise ConfigurationError(
                "This GenesisStore has no AsyncMongoClient: use the sync API (get, put, "
                "search...), open it with GenesisStore.afrom_conn_string(), or pass "
                "async_client=AsyncMongoClient(...)."
            )
        client = self.async_client
        return Target(
            client[self.database], self.collection_name, lambda: describe_client(client),
            self._timeout_ms,
        )  # fmt: skip

    def _run(self, plan: Plan[Any]) -> Any:
        return run_sync(self._target(), plan)

    async def _arun(self, plan: Plan[Any]) -> Any:
        return await run_async(self._atarget(), plan)

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Execute ``ops`` in one batch on the sync client (LangGraph ``BaseStore.batch``).

        Results are in input order; a put returns ``None``; reads see the state before the
        batch's writes; the last put to a ``(namespace, key)`` wins; ``value=None`` deletes.

        Raises:
            InvalidNamespaceError, InvalidKeyError, InvalidValueError, InvalidFilterError,
            ConfigurationError: For a bad op; nothing of the batch is written.
            DatabaseUnavailableError: If MongoDB does not answer within the timeout.
        """
        return self._run(plan_batch(ops, self._schema, self._clock()))  # type: ignore[no-any-return]

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Async twin of :meth:`batch`, on the ``AsyncMongoClient`` (same semantics and errors)."""
        return await self._arun(plan_batch(ops, self._schema, self._clock()))  # type: ignore[no-any-return]

    def put(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | None | NotProvided = NOT_PROVIDED,
    ) -> None:
        """Store or replace an item (LangGraph ``BaseStore.put``).

        Args:
            namespace: Tuple of labels, e.g. ``("agent", "qa")``.
            key: The item's key within the namespace.
            value: A dict MongoDB can store (at most 16 MB as a document).
            index: Which fields feed search (``False``: none; a list of JSON paths).
            ttl: Minutes until the item expires after its last access; ``None`` never expires.
                Not given: the namespace policy of the first label, else ``default_ttl``.

        Raises:
            As :meth:`batch`.
        """
        validate_namespace(namespace)
        self.batch([PutOp(namespace, key, value, index=index, ttl=ttl)])  # type: ignore[arg-type]

    async def aput(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | None | NotProvided = NOT_PROVIDED,
    ) -> None:
        """Async twin of :meth:`put` (same arguments and errors)."""
        validate_namespace(namespace)
        await self.abatch([PutOp(namespace, key, value, index=index, ttl=ttl)])  # type: ignore[arg-type]

    # -- schema --------------------------------------------------------------------------------
    def _plan_setup(self) -> Plan[int]:
        return plan_setup(f"store:{self.collection_name}", STORE_MIGRATIONS)

    def setup(self) -> int:
        """Create the store's indexes (idempotent and versioned; safe to call every start).

        Returns:
            The schema version now in place.
        """
        return self._run(self._plan_setup())  # type: ignore[no-any-return]

    async def asetup(self) -> int:
        """Async twin of :meth:`setup`."""
        return await self._arun(self._plan_setup())  # type: ignore[no-any-return]

    # -- TTL sweeps ----------------------------------------------------------------------------
    def sweep(self) -> int:
        """Delete every expired item now.

        MongoDB's TTL index removes expired items in the background (about once a minute); this
        does it at once, and where no TTL monitor runs. Expired items are never returned by
        reads whether or not they have been swept.

        Returns:
            The number of items removed.
        """
        deleted, _ = self._run(plan_sweep(self._clock()))
        return int(deleted)

    async def asweep(self) -> int:
        """Async twin of :meth:`sweep`."""
        deleted, _ = await self._arun(plan_sweep(self._clock()))
        return int(deleted)

    def _interval_seconds(self, sweep_interval_minutes: float | None) -> float:
        minutes = sweep_interval_minutes or self.ttl_policy.sweep_interval_minutes
        if not minutes or minutes <= 0:
            raise ConfigurationError(
                "No sweep interval: pass sweep_interval_minutes= or set "
                "ttl={'sweep_interval_minutes': N} on the store."
            )
        return float(minutes) * 60.0

    def start_ttl_sweeper(
        self, sweep_interval_minutes: float | None = None
    ) -> concurrent.futures.Future[None]:
        """Sweep expired items periodically in a background thread.

        Args:
            sweep_interval_minutes: Minutes between sweeps; default the ``TTLConfig`` value.

        Returns:
            A future that completes when the sweeper stops (:meth:`stop_ttl_sweeper`).

        Raises:
            ConfigurationError: If no interval is given or configured.
        """
        interval = self._interval_seconds(sweep_interval_minutes)
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        if self._sweeper is not None and self._sweeper.is_alive():
            raise ConfigurationError("The TTL sweeper is already running.")
        self._sweeper_stop.clear()

        def loop() -> None:
            try:
                while not self._sweeper_stop.wait(interval):
                    try:
                        removed = self.sweep()
                        logger.debug("TTL sweep removed %d items", removed)
                    except Exception:
                        logger.exception("TTL sweep failed; retrying at the next interval")
            finally:
                done.set_result(None)

        self._sweeper = threading.Thread(target=loop, name="genesis-ttl-sweeper", daemon=True)
        self._sweeper.start()
        return done

    def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """Stop the background sweeper thread.

        Args:
            timeout: Seconds to wait for it to finish; ``None`` waits.

        Returns:
            ``True`` if it stopped (or was not running), ``False`` on timeout.
        """
        if self._sweeper is None:
            return True
        self._sweeper_stop.set()
        self._sweeper.join(timeout)
        stopped = not self._sweeper.is_alive()
        if stopped:
            self._sweeper = None
        return stopped

    async def astart_ttl_sweeper(
        self, sweep_interval_minutes: float | None = None
    ) -> asyncio.Task[None]:
        """Sweep expired items periodically in an asyncio task (async twin of the thread).

        Returns:
            The task; cancel it or call :meth:`astop_ttl_sweeper` to stop.
        """
        interval = self._interval_seconds(sweep_interval_minutes)
        if self._async_sweeper is not None and not self._async_sweeper.done():
            raise ConfigurationError("The async TTL sweeper is already running.")

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    removed = await self.asweep()
                    logger.debug("TTL sweep removed %d items", removed)
                except Exception:
                    logger.exception("TTL sweep failed; retrying at the next interval")

        self._async_sweeper = asyncio.create_task(loop(), name="genesis-ttl-sweeper")
        return self._async_sweeper

    async def astop_ttl_sweeper(self) -> bool:
        """Stop the asyncio sweeper task. Returns ``True`` once it has stopped."""
        task, self._async_sweeper = self._async_sweeper, None
        if task is None:
            return True
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return True
