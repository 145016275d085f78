"""``GenesisSaver``: LangGraph's ``BaseCheckpointSaver`` on MongoDB."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from os import PathLike
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.serde.base import SerializerProtocol
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel, MongoClient

from langgraph_genesis_memory._config import database_from_env
from langgraph_genesis_memory._connection import open_async, open_sync
from langgraph_genesis_memory._migrations import Migration, plan_setup
from langgraph_genesis_memory._mongo import PlanRunner
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.access import AccessPolicy
from langgraph_genesis_memory.checkpoint._documents import (
    DEFAULT_CHUNK_BYTES,
    Codec,
    Collections,
)
from langgraph_genesis_memory.checkpoint._known import ElementsStored, KnownElements
from langgraph_genesis_memory.checkpoint._plan import (
    LIST_PAGE_SIZE,
    SaverSchema,
    list_query,
    plan_copy_thread,
    plan_delete_for_runs,
    plan_delete_threads,
    plan_get_tuple,
    plan_list_page,
    plan_prune,
    plan_put,
    plan_put_writes,
    plan_sweep_threads,
)
from langgraph_genesis_memory.checkpoint._tenancy import ThreadOwners, config_tenant, thread_of
from langgraph_genesis_memory.checkpoint._upgrades import (
    adrop_legacy_indexes,
    drop_legacy_indexes,
    plan_backfill_filter_terms,
    plan_rename_checkpoint_fields,
    plan_rename_write_fields,
)
from langgraph_genesis_memory.errors import ConfigurationError

CHECKPOINT_MIGRATIONS: dict[str, list[list[IndexModel] | Migration]] = {
    "checkpoints": [
        [
            IndexModel(
                [
                    ("thread_id", ASCENDING),
                    ("checkpoint_ns", ASCENDING),
                    ("kind", ASCENDING),
                    ("checkpoint_id", DESCENDING),
                ],
                name="thread_ns_kind_checkpoint",
            ),
            IndexModel([("thread_id", ASCENDING), ("kind", ASCENDING)], name="thread_kind"),
            IndexModel([("md.run_id", ASCENDING)], name="run_id", sparse=True),
            IndexModel([("owner", ASCENDING)], name="chunk_owner", sparse=True),
            IndexModel([("expires_at_ms", ASCENDING)], name="expires_at_ms", sparse=True),
        ],
        # 2: list(filter=...) matches canonical metadata terms (mf); older checkpoints get them.
        Migration(
            [IndexModel([("mf", ASCENDING)], name="metadata_terms")], plan_backfill_filter_terms
        ),
        # 3: field names in LangGraph's terms; indexes on the new names (setup() then drops
        # those on md.run_id and mf).
        Migration(
            [
                IndexModel([("metadata.run_id", ASCENDING)], name="metadata_run_id", sparse=True),
                IndexModel([("metadata_terms", ASCENDING)], name="metadata_filter_terms"),
            ],
            plan_rename_checkpoint_fields,
        ),
    ],
    "writes": [
        [
            IndexModel([("cp", ASCENDING)], name="checkpoint"),
            IndexModel([("thread_id", ASCENDING)], name="thread"),
        ],
        # 2: pending writes' payloads as type/blob (LangGraph's terms).
        Migration([], plan_rename_write_fields),
    ],
}
"""Index sets and data upgrades by collection role and schema version (see
:mod:`langgraph_genesis_memory._migrations` and
:mod:`langgraph_genesis_memory.checkpoint._upgrades`). Recorded in ``genesis_migrations`` as
``checkpoint:<collection>`` and ``checkpoint:<collection>_writes``."""


def _now_ms() -> int:
    """The wall clock in epoch milliseconds: the time the saver passes to its plans."""
    return int(time.time() * 1000)


class GenesisSaver(PlanRunner, BaseCheckpointSaver[str]):
    """LangGraph's checkpointer on MongoDB: sessions (threads) that resume anywhere, any time.

    Pass it to ``StateGraph.compile(checkpointer=...)`` and invoke with
    ``{"configurable": {"thread_id": ...}}``. Sync methods (``put``, ``get_tuple``, ``list``...)
    run on pymongo's ``MongoClient``; async ones (``aput``, ``aget_tuple``, ``alist``...) on its
    native ``AsyncMongoClient``; both execute the same logic
    (:mod:`langgraph_genesis_memory.checkpoint._plan`), whose semantics follow LangGraph's
    reference ``InMemorySaver``. Implements LangGraph 4.x's extended operations too:
    ``delete_for_runs``, ``copy_thread`` and ``prune``.

    Storage (see :mod:`langgraph_genesis_memory.checkpoint._documents`): channel values are
    stored once per version and checkpoints refer to them; list values (message lists) are
    stored element by element, each element once per thread, so a growing conversation does
    not grow quadratically; values over ``chunk_bytes`` are split across documents, so none
    nears MongoDB's 16 MB limit. Values, writes and checkpoints go through ``serde``
    (LangGraph's serializer protocol; ``EncryptedSerializer`` works). A plain copy of the
    metadata is kept for ``list(filter=...)``.

    Stored field names follow LangGraph's savers (``type``, ``checkpoint``, ``metadata``,
    ``blob``); data written by an earlier version is upgraded by :meth:`setup`.

    Retention: with ``ttl_minutes``, each thread expires that many minutes after its last
    checkpoint (every ``put`` refreshes it: each super-step and ``update_state`` writes one);
    expired threads are hidden from reads at
    once and removed by :meth:`sweep` (run it periodically). :meth:`prune` keeps only the
    latest checkpoint per namespace. Deleting checkpoints by any route also removes their
    pending writes and every value no remaining checkpoint refers to.

    The constructor does no I/O. Use :meth:`from_conn_string` / :meth:`afrom_conn_string` to
    open (and later close) clients; call :meth:`setup` once to create the indexes (and after
    upgrading the package, to upgrade stored data).

    The saver remembers which list elements this process stored per thread (so a growing
    message list sends only new messages); that memory belongs to the saver object, is updated
    only after a write succeeded, and is shared with clones made by ``with_allowlist``.

    Args:
        client: A pymongo ``MongoClient`` for the sync API.
        async_client: A pymongo ``AsyncMongoClient`` for the async API.
        database: Database name. Default: ``GENESIS_MONGODB_DATABASE`` or ``"genesis_memory"``.
        collection: Collection of checkpoints, values and thread expiries (default
            ``"checkpoints"``); pending writes go to ``<collection>_writes``.
        serde: A LangGraph serializer (default ``JsonPlusSerializer``), e.g.
            ``EncryptedSerializer.from_pycryptodome_aes()``.
        ttl_minutes: Minutes of inactivity after which a thread expires; ``None`` (default)
            keeps threads until deleted or pruned.
        chunk_bytes: Largest payload per document in bytes (default 8 MiB, at most 15 MiB).
        timeout_ms: How long, in milliseconds, one call may wait on MongoDB in all (pymongo's
            client-side operation timeout): a call that meets a hung or unreachable server
            raises :class:`~langgraph_genesis_memory.errors.DatabaseUnavailableError` after
            about this long (``list`` per page of 100). ``None``: only the clients' own
            timeouts apply.
        access: An :class:`~langgraph_genesis_memory.access.AccessPolicy` (the store's): with
            one, threads are isolated by tenant: every call needs
            ``config["configurable"]["tenant_id"]``, a thread belongs to the tenant that wrote
            its first checkpoint, and reads, lists and writes of another tenant's thread raise
            ``AccessDeniedError`` (see :mod:`langgraph_genesis_memory.checkpoint._tenancy`).

    Raises:
        ConfigurationError: If neither client is given, or an argument is out of range.

    Example:
        >>> from langgraph.graph import StateGraph, MessagesState, START
        >>> from langgraph_genesis_memory.checkpoint import GenesisSaver
        >>> with GenesisSaver.from_conn_string() as saver:  # doctest: +SKIP
        ...     saver.setup()
        ...     builder = StateGraph(MessagesState)
        ...     builder.add_node("echo", lambda s: {"messages": [("ai", "hi")]})
        ...     builder.add_edge(START, "echo")
        ...     graph = builder.compile(checkpointer=saver)
        ...     graph.invoke({"messages": [("user", "hello")]},
        ...                  {"configurable": {"thread_id": "session-1"}})
    """

    def __init__(
        self,
        *,
        client: MongoClient[Any] | None = None,
        async_client: AsyncMongoClient[Any] | None = None,
        database: str | None = None,
        collection: str = "checkpoints",
        serde: SerializerProtocol | None = None,
        ttl_minutes: float | None = None,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        timeout_ms: int | None = None,
        access: AccessPolicy | None = None,
    ) -> None:
        super().__init__(serde=serde)
        if client is None and async_client is None:
            raise ConfigurationError(
                "GenesisSaver needs client= (pymongo MongoClient), async_client= "
                "(pymongo AsyncMongoClient) or both; or use GenesisSaver.from_conn_string()."
            )
        if not isinstance(collection, str) or not collection or "$" in collection:
            raise ConfigurationError(f"Invalid collection name {collection!r}.")
        if ttl_minutes is not None and (
            isinstance(ttl_minutes, bool)
            or not isinstance(ttl_minutes, (int, float))
            or ttl_minutes <= 0
        ):
            raise ConfigurationError(
                f"ttl_minutes must be a positive number of minutes or None, got {ttl_minutes!r}."
            )
        if not isinstance(chunk_bytes, int) or not 1024 <= chunk_bytes <= 15 * 1024 * 1024:
            raise ConfigurationError(
                f"chunk_bytes must be an int from 1024 to 15 MiB, got {chunk_bytes!r}."
            )
        self.client = client
        self.async_client = async_client
        self.database = database or database_from_env()
        self.collections = Collections(collection)
        self.ttl_minutes = ttl_minutes
        self._timeout_ms = timeout_ms
        self._known_elements = KnownElements()
        if access is not None and not isinstance(access, AccessPolicy):
            raise ConfigurationError(f"access must be an AccessPolicy; got {access!r:.80}.")
        self.access_policy = access
        self._owners = ThreadOwners()
        self._schema_cache = SaverSchema(
            self.collections, Codec(self.serde, chunk_bytes), ttl_minutes
        )

    @property
    def _schema(self) -> SaverSchema:
        # ``with_allowlist`` clones the saver with another serde: follow it, keep the rest.
        cached = self._schema_cache
        if cached.codec.serde is not self.serde:
            codec = Codec(self.serde, cached.codec.chunk_bytes)
            cached = self._schema_cache = SaverSchema(self.collections, codec, self.ttl_minutes)
        return cached

    # -- construction --------------------------------------------------------------------------
    @classmethod
    @contextmanager
    def from_conn_string(
        cls,
        conn_string: str | None = None,
        *,
        database: str | None = None,
        collection: str = "checkpoints",
        serde: SerializerProtocol | None = None,
        ttl_minutes: float | None = None,
        data_dir: str | PathLike[str] | None = None,
        timeout_ms: int | None = None,
        access: AccessPolicy | None = None,
    ) -> Iterator[GenesisSaver]:
        """Open a saver on a MongoDB deployment and close its client on exit.

        The deployment is ``conn_string``, else ``MONGODB_URI``, else local mode: the same
        local MongoDB-compatible server and data folder as ``GenesisStore`` (started if needed
        and left running for other processes).

        Args:
            conn_string: A MongoDB connection string.
            database, collection, serde, ttl_minutes, access: As the constructor.
            data_dir: Local-mode data folder. Default: ``GENESIS_DATA_DIR`` or ``./.genesis``.
            timeout_ms: Milliseconds to wait for MongoDB before
                :class:`~langgraph_genesis_memory.errors.DatabaseUnavailableError`.
                Default: ``GENESIS_MONGODB_TIMEOUT_MS`` or 10000.

        Yields:
            A ``GenesisSaver`` with a sync client (use :meth:`afrom_conn_string` for async).
        """
        with open_sync(conn_string, data_dir=data_dir, timeout_ms=timeout_ms) as conn:
            yield cls(
                client=conn.client,
                database=database,
                collection=collection,
                serde=serde,
                ttl_minutes=ttl_minutes,
                timeout_ms=conn.timeout_ms,
                access=access,
            )

    @classmethod
    @asynccontextmanager
    async def afrom_conn_string(
        cls,
        conn_string: str | None = None,
        *,
        database: str | None = None,
        collection: str = "checkpoints",
        serde: SerializerProtocol | None = None,
        ttl_minutes: float | None = None,
        data_dir: str | PathLike[str] | None = None,
        timeout_ms: int | None = None,
        access: AccessPolicy | None = None,
    ) -> AsyncIterator[GenesisSaver]:
        """Async twin of :meth:`from_conn_string` (same arguments).

        Yields:
            A ``GenesisSaver`` with an ``AsyncMongoClient`` for the async API and a
            ``MongoClient`` for sync calls (e.g. ``graph.get_state`` from sync code).
        """
        async with open_async(conn_string, data_dir=data_dir, timeout_ms=timeout_ms) as conn:
            yield cls(
                client=conn.client,
                async_client=conn.async_client,
                database=database,
                collection=collection,
                serde=serde,
                ttl_minutes=ttl_minutes,
                timeout_ms=conn.timeout_ms,
                access=access,
            )

    # -- execution -----------------------------------------------------------------------------
    _no_sync_client = (
        "This GenesisSaver has no sync MongoClient: use the async API (ainvoke, "
        "aget_tuple...), open it with GenesisSaver.afrom_conn_string(), or pass "
        "client=MongoClient(...)."
    )
    _no_async_client = (
        "This GenesisSaver has no AsyncMongoClient: use the sync API (invoke, "
        "get_tuple...), open it with GenesisSaver.afrom_conn_string(), or pass "
        "async_client=AsyncMongoClient(...)."
    )

    def _default_collection(self) -> str:
        return self.collections.checkpoints

    # -- schema --------------------------------------------------------------------------------
    def _plan_setup(self) -> Plan[int]:
        version = 0
        names = {"checkpoints": self.collections.checkpoints, "writes": self.collections.writes}
        for role, migrations in CHECKPOINT_MIGRATIONS.items():
            name = names[role]
            applied = yield from plan_setup(
                f"checkpoint:{name}", migrations, collection=name, context=self._schema
            )
            version = max(version, applied)
        return version

    def setup(self) -> int:
        """Create the saver's indexes and upgrade data stored by earlier versions.

        Idempotent and versioned (``genesis_migrations``); safe to call at every start. Call
        it once after upgrading the package, before the saver serves: stored documents are
        upgraded in place, in batches (see
        :mod:`langgraph_genesis_memory.checkpoint._upgrades`), and indexes on field names of
        earlier versions are dropped.

        Returns:
            The schema version now in place (the highest of the two collections').

        Raises:
            DatabaseUnavailableError: If MongoDB does not answer within the timeout.

        Example:
            >>> saver.setup()  # doctest: +SKIP
            3
        """
        version = self._run(self._plan_setup(), per_request=True)
        checkpoints = self.client[self.database][self.collections.checkpoints]
        drop_legacy_indexes(checkpoints, self._timeout_ms)
        return version

    async def asetup(self) -> int:
        """Async twin of :meth:`setup`."""
        version = await self._arun(self._plan_setup(), per_request=True)
        checkpoints = self.async_client[self.database][self.collections.checkpoints]
        await adrop_legacy_indexes(checkpoints, self._timeout_ms)
        return version

    # -- LangGraph BaseCheckpointSaver ---------------------------------------------------------
    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Fetch a checkpoint tuple (LangGraph ``BaseCheckpointSaver.get_tuple``).

        Args:
            config: ``{"configurable": {"thread_id", "checkpoint_ns"?, "checkpoint_id"?}}``;
                without ``checkpoint_id`` the newest checkpoint of the namespace is returned.

        Returns:
            The tuple with channel values, metadata, parent config and pending writes (in
            ``writes_sort_key`` order), or ``None`` if there is none (or the thread expired).

        Raises:
            ConfigurationError: If ``thread_id`` is missing.
            DatabaseUnavailableError: If MongoDB does not answer within the timeout.
        """
        tenant = self._tenant(config)
        found = self._run(plan_get_tuple(self._schema, config, _now_ms()))
        return found if tenant is None else self._owners.checked_read(tenant, found)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Async twin of :meth:`get_tuple`."""
        tenant = self._tenant(config)
        found = await self._arun(plan_get_tuple(self._schema, config, _now_ms()))
        return found if tenant is None else self._owners.checked_read(tenant, found)

    def _tenant(self, config: RunnableConfig | None) -> str | None:
        """The calling tenant when threads are isolated (``access=``), else ``None``."""
        return None if self.access_policy is None else config_tenant(config)

    def _plan_owner(self, tenant: str, config: RunnableConfig) -> Plan[None]:
        return self._owners.plan_check_write(
            tenant, thread_of(config), self.collections.checkpoints
        )

    def _tenant_filter(
        self, config: RunnableConfig | None, filter: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        tenant = self._tenant(config)
        return filter if tenant is None else {**(filter or {}), "tenant_id": tenant}

    def _tenant_metadata(
        self, config: RunnableConfig, metadata: CheckpointMetadata
    ) -> tuple[str | None, CheckpointMetadata]:
        tenant = self._tenant(config)
        if tenant is None:
            return None, metadata
        return tenant, {**metadata, "tenant_id": tenant}  # type: ignore[typeddict-unknown-key]

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """List checkpoints, newest first (LangGraph ``BaseCheckpointSaver.list``).

        Args:
            config: Restrict to a thread (``thread_id``), a namespace (``checkpoint_ns``) and/or
                one checkpoint (``checkpoint_id``); ``None`` lists every thread.
            filter: Metadata that must match exactly, e.g. ``{"source": "input", "step": 1}``.
            before: Only checkpoints older than this config's ``checkpoint_id``.
            limit: At most this many tuples.

        Yields:
            Checkpoint tuples, fetched from MongoDB in pages of 100.

        Raises:
            InvalidFilterError: For a filter key that is not a plain name or a non-JSON value.
        """
        query = list_query(config, self._tenant_filter(config, filter), before)
        cursor, left = None, limit
        while left is None or left > 0:
            size = LIST_PAGE_SIZE if left is None else min(LIST_PAGE_SIZE, left)
            page, cursor = self._run(plan_list_page(self._schema, query, cursor, size, _now_ms()))
            yield from page
            if cursor is None:
                return
            left = None if left is None else left - len(page)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """Async twin of :meth:`list` (same arguments)."""
        query = list_query(config, self._tenant_filter(config, filter), before)
        cursor, left = None, limit
        while left is None or left > 0:
            size = LIST_PAGE_SIZE if left is None else min(LIST_PAGE_SIZE, left)
            page, cursor = await self._arun(
                plan_list_page(self._schema, query, cursor, size, _now_ms())
            )
            for item in page:
                yield item
            if cursor is None:
                return
            left = None if left is None else left - len(page)

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint (LangGraph ``BaseCheckpointSaver.put``).

        Only the channels in ``new_versions`` are written; unchanged channels keep referring to
        the value stored with their version. One ordered bulk write: values first, then the
        checkpoint. Refreshes the thread's TTL.

        Args:
            config: The parent's config (``thread_id``, ``checkpoint_ns``, parent
                ``checkpoint_id``).
            checkpoint: The checkpoint to store.
            metadata: Its metadata (merged with config metadata as LangGraph does).
            new_versions: The channel versions new in this checkpoint.

        Returns:
            The stored checkpoint's config.
        """
        tenant, metadata = self._tenant_metadata(config, metadata)
        if tenant is not None:
            self._run(
                self._owners.plan_check_write(
                    tenant, thread_of(config), self.collections.checkpoints
                )
            )
        stored, elements = self._run(self._plan_put(config, checkpoint, metadata, new_versions))
        self._known_elements.record(elements)
        return stored

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Async twin of :meth:`put`."""
        tenant, metadata = self._tenant_metadata(config, metadata)
        if tenant is not None:
            await self._arun(
                self._owners.plan_check_write(
                    tenant, thread_of(config), self.collections.checkpoints
                )
            )
        plan = self._plan_put(config, checkpoint, metadata, new_versions)
        stored, elements = await self._arun(plan)
        self._known_elements.record(elements)
        return stored

    def _plan_put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> Plan[tuple[RunnableConfig, ElementsStored]]:
        return plan_put(
            self._schema,
            config,
            checkpoint,
            metadata,
            new_versions,
            self._known_elements,
            _now_ms(),
        )

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's pending writes in one bulk write (``BaseCheckpointSaver.put_writes``).

        Args:
            config: The checkpoint's config (with ``checkpoint_id``).
            writes: ``(channel, value)`` pairs.
            task_id: The task that produced them.
            task_path: The task's path (orders writes as LangGraph's ``writes_sort_key``).

        Raises:
            ConfigurationError: If the config names no checkpoint.
        """
        tenant = self._tenant(config)
        if tenant is not None:
            self._run(
                self._owners.plan_check_write(
                    tenant, thread_of(config), self.collections.checkpoints
                )
            )
        self._run(plan_put_writes(self._schema, config, writes, task_id, task_path))

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Async twin of :meth:`put_writes`."""
        tenant = self._tenant(config)
        if tenant is not None:
            await self._arun(
                self._owners.plan_check_write(
                    tenant, thread_of(config), self.collections.checkpoints
                )
            )
        await self._arun(plan_put_writes(self._schema, config, writes, task_id, task_path))

    def delete_thread(self, thread_id: str) -> None:
        """Delete a thread: its checkpoints in every namespace, writes and values."""
        self._owners.forget([thread_id])
        with self._known_elements.forgetting([thread_id]):
            self._run(plan_delete_threads(self._schema, [thread_id]))

    async def adelete_thread(self, thread_id: str) -> None:
        """Async twin of :meth:`delete_thread`."""
        self._owners.forget([thread_id])
        with self._known_elements.forgetting([thread_id]):
            await self._arun(plan_delete_threads(self._schema, [thread_id]))

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints created by these runs (metadata ``run_id``), their pending
        writes, and values that no remaining checkpoint refers to.

        Args:
            run_ids: LangGraph run ids; unknown ids are ignored.
        """
        with self._known_elements.forgetting(None):
            threads = self._run(plan_delete_for_runs(self._schema, run_ids), per_request=True)
        self._known_elements.forget(threads)

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Async twin of :meth:`delete_for_runs`."""
        plan = plan_delete_for_runs(self._schema, run_ids)
        with self._known_elements.forgetting(None):
            threads = await self._arun(plan, per_request=True)
        self._known_elements.forget(threads)

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint (all namespaces), pending write and value of a thread.

        Documents already in the target with the same ids are overwritten; a missing source
        copies nothing.
        """
        plan = plan_copy_thread(self._schema, source_thread_id, target_thread_id, _now_ms())
        with self._known_elements.forgetting([target_thread_id]):
            self._run(plan, per_request=True)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Async twin of :meth:`copy_thread`."""
        plan = plan_copy_thread(self._schema, source_thread_id, target_thread_id, _now_ms())
        with self._known_elements.forgetting([target_thread_id]):
            await self._arun(plan, per_request=True)

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """Prune threads (LangGraph ``BaseCheckpointSaver.prune``).

        Args:
            thread_ids: Threads to prune; unknown ones are ignored.
            strategy: ``"keep_latest"`` keeps the newest checkpoint of each namespace with its
                pending writes and values, and deletes the rest (including values only older
                checkpoints referred to); ``"delete"`` deletes the threads.

        Raises:
            ConfigurationError: For an unknown strategy.

        Note:
            As LangGraph warns for ``DeltaChannel`` (beta) graphs, ``keep_latest`` drops the
            ancestor writes such channels replay; do not prune threads of those graphs.
        """
        threads = [str(t) for t in thread_ids]
        with self._known_elements.forgetting(threads):
            self._run(plan_prune(self._schema, threads, strategy), per_request=True)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """Async twin of :meth:`prune`."""
        threads = [str(t) for t in thread_ids]
        with self._known_elements.forgetting(threads):
            await self._arun(plan_prune(self._schema, threads, strategy), per_request=True)

    def sweep(self) -> int:
        """Delete every thread whose TTL (``ttl_minutes`` after its last write) has run out.

        Expired threads are already invisible to reads; this frees their storage. Run it
        periodically (e.g. from a scheduler); it is cheap when nothing has expired. A thread
        that receives a checkpoint at the very moment it is swept may still be removed.

        Returns:
            The number of threads removed.
        """
        with self._known_elements.forgetting(None):
            swept = self._run(plan_sweep_threads(self._schema, _now_ms()), per_request=True)
        self._known_elements.forget(swept)
        return len(swept)

    async def asweep(self) -> int:
        """Async twin of :meth:`sweep`."""
        plan = plan_sweep_threads(self._schema, _now_ms())
        with self._known_elements.forgetting(None):
            swept = await self._arun(plan, per_request=True)
        self._known_elements.forget(swept)
        return len(swept)

    def get_next_version(self, current: str | int | float | None, channel: None = None) -> str:
        """Next channel version: a zero-padded counter, a dot and a random suffix.

        Versions increase as strings (LangGraph compares them), and the random suffix keeps
        versions of forked histories (``update_state`` on an old checkpoint) distinct, so
        each version names exactly one stored value. The format is shorter than
        ``InMemorySaver``'s because every checkpoint repeats its versions.

        Args:
            current: The channel's current version (``None`` for a new channel; int versions
                written by other savers are accepted).
            channel: Unused (kept for LangGraph's signature).

        Returns:
            e.g. ``"000000000007.3fa2c91b"``.
        """
        if current is None:
            number = 0
        elif isinstance(current, (int, float)):
            number = int(current)
        else:
            number = int(str(current).split(".")[0])
        return f"{number + 1:012d}.{random.getrandbits(32):08x}"

    # -- operations ----------------------------------------------------------------------------
    def stats(self) -> Any:
        """Threads, checkpoints, documents, bytes and pending writes, by MongoDB aggregations.

        Returns:
            A :class:`~langgraph_genesis_memory.ops.CheckpointStats` (``to_dict()`` for JSON).

        Raises:
            DatabaseUnavailableError: If MongoDB does not answer within the timeout.
        """
        from langgraph_genesis_memory.ops import saver_stats

        return saver_stats(self)

    async def astats(self) -> Any:
        """Async twin of :meth:`stats`."""
        from langgraph_genesis_memory.ops import asaver_stats

        return await asaver_stats(self)
