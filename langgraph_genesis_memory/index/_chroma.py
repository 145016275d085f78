"""The vector index in Chroma: a :class:`~langgraph_genesis_memory.index.DerivedIndex`.

MongoDB is the source of truth; the collection only holds vectors computed by the store
(Chroma's own embedding function is never used) and can be dropped and rebuilt at any time.
Every operation is a call plan of :mod:`langgraph_genesis_memory.index._requests`;
:class:`ChromaIndex` runs it on a sync collection and :class:`AsyncChromaIndex` on an async one
(a Chroma server) or, for embedded Chroma, on the sync index in a worker thread.

When another client rebuilt (deleted and re-created) the collection, Chroma answers "collection
does not exist": the index reopens the collection by name and runs the operation again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph_genesis_memory.errors import MissingDependencyError
from langgraph_genesis_memory.index._base import IndexEntry, IndexHit
from langgraph_genesis_memory.index._config import (
    ChromaConfig,
    HNSWSettings,
    collection_configuration,
    resolve_chroma_config,
)
from langgraph_genesis_memory.index._requests import (
    CallPlan,
    namespace_where,
    plan_call,
    plan_count,
    plan_delete,
    plan_list,
    plan_query,
    plan_set_expiry,
    plan_upsert,
    recreate_args,
)

_EXTRA_HINT = "pip install 'langgraph-genesis-memory[chroma]'"


def _chromadb() -> Any:
    try:
        import chromadb
    except ImportError as exc:
        raise MissingDependencyError(
            f"the vector index needs chromadb, which is not installed. Install: {_EXTRA_HINT}"
        ) from exc
    return chromadb


def _missing_collection(exc: Exception) -> bool:
    """Chroma's "collection does not exist" (another client rebuilt it)."""
    return isinstance(exc, _chromadb().errors.NotFoundError)


def _settings(chromadb: Any) -> Any:
    return chromadb.config.Settings(anonymized_telemetry=False, allow_reset=True)


def create_chroma_client(config: ChromaConfig) -> Any:
    """Open a sync Chroma client for a resolved configuration (does I/O for ``persistent``).

    Args:
        config: From :func:`~langgraph_genesis_memory.index.resolve_chroma_config`.

    Returns:
        A ``chromadb`` ``ClientAPI``: ``HttpClient``, ``PersistentClient`` or ``EphemeralClient``
        (telemetry off).

    Raises:
        MissingDependencyError: If chromadb is not installed (names the ``chroma`` extra).
    """
    chromadb = _chromadb()
    mode = config.get("mode", "memory")
    if mode == "http":
        return chromadb.HttpClient(
            host=config["host"],
            port=config.get("port", 8000),
            ssl=config.get("ssl", False),
            headers=config.get("headers") or None,
            settings=_settings(chromadb),
        )
    if mode == "persistent":
        return chromadb.PersistentClient(path=config["path"], settings=_settings(chromadb))
    return chromadb.EphemeralClient(settings=_settings(chromadb))


class ChromaIndex:
    """The vector index in a Chroma collection (sync :class:`DerivedIndex`).

    Each entry (one indexed text of an item) is one vector with the metadata of
    :func:`~langgraph_genesis_memory.index._requests.metadata_of`; a namespace prefix is one
    equality on the metadata ``p<depth>``. Scores are cosine similarities.

    The constructor does no I/O: pass an open collection. :meth:`from_config` opens a client
    (embedded directory, in-memory, or a server) and the collection.

    Args:
        collection: A ``chromadb`` collection opened with ``embedding_function=None`` and the
            cosine space.
        client: The client that opened it (needed by :meth:`reset` and :meth:`reopen`).

    Example:
        >>> from langgraph_genesis_memory.index import IndexEntry
        >>> index = ChromaIndex.from_config(in_memory=True, collection="doc-example")
        >>> index.upsert([IndexEntry("a#$", "a", ("agent",), "a", "$", "h1", 2**62,
        ...                          vector=[1.0, 0.0])])
        >>> [h.item_id for h in index.query([1.0, 0.1], 5, ("agent",))[0]]
        ['a']
    """

    def __init__(self, *, collection: Any, client: Any = None) -> None:
        self.collection = collection
        self.client = client

    @classmethod
    def from_config(
        cls,
        *,
        path: str | None = None,
        host: str | None = None,
        port: int | None = None,
        ssl: bool | None = None,
        headers: Mapping[str, str] | None = None,
        collection: str | None = None,
        in_memory: bool = False,
        hnsw: HNSWSettings | None = None,
        client: Any = None,
    ) -> ChromaIndex:
        """Open (creating if needed) the index collection.

        Arguments win over the environment variables ``CHROMA_HOST``, ``CHROMA_PORT``,
        ``CHROMA_SSL``, ``GENESIS_CHROMA_PATH``, ``GENESIS_CHROMA_COLLECTION`` (see
        :func:`~langgraph_genesis_memory.index.resolve_chroma_config`); with none of them the
        index is in memory.

        Args:
            path: Directory of an embedded persistent Chroma.
            host: Host of a Chroma server (``chroma run``).
            port: Port of the server (default 8000).
            ssl: HTTPS to the server.
            headers: Extra HTTP headers (e.g. authentication).
            collection: Collection name (default ``genesis_memory``).
            in_memory: In-process index (tests).
            hnsw: HNSW parameters used when the collection is created
                (:class:`~langgraph_genesis_memory.index.HNSWSettings`).
            client: An already open sync client to use instead of opening one.

        Returns:
            The index.

        Raises:
            MissingDependencyError: If chromadb is not installed.
            ConfigurationError: On contradictory or malformed settings.
        """
        config = resolve_chroma_config(
            path=path,
            host=host,
            port=port,
            ssl=ssl,
            headers=headers,
            collection=collection,
            in_memory=in_memory,
        )
        client = client if client is not None else create_chroma_client(config)
        col = client.get_or_create_collection(
            config["collection"],
            configuration=collection_configuration(hnsw),
            embedding_function=None,
        )
        return cls(collection=col, client=client)

    @property
    def name(self) -> str:
        """The collection name."""
        return str(self.collection.name)

    def _run(self, make_plan: Any) -> Any:
        """Run the call plan ``make_plan()``; on a missing collection, reopen and run it again."""
        for attempt in range(2):
            plan: CallPlan = make_plan()
            try:
                result = None
                call = next(plan)
                while True:
                    result = getattr(self.collection, call.method)(**call.kwargs)
                    call = plan.send(result)
            except StopIteration as stop:
                return stop.value
            except Exception as exc:
                if attempt or not _missing_collection(exc):
                    raise
                self.reopen()
        raise AssertionError("unreachable")  # pragma: no cover

    # -- DerivedIndex --------------------------------------------------------------------------
    def upsert(self, entries: Sequence[IndexEntry]) -> None:
        """Insert or replace entries (requests of at most 4,096).

        Raises:
            ValueError: If an entry has no vector or two entries share an id.
        """
        self._run(lambda: plan_upsert(entries))

    def delete(self, ids: Sequence[str] = (), item_ids: Sequence[str] = ()) -> None:
        """Delete entries by id and every entry of ``item_ids`` (unknown ids are ignored)."""
        self._run(lambda: plan_delete(ids, item_ids))

    def query(
        self,
        query: Sequence[float] | str,
        n: int,
        namespace_prefix: Sequence[str] = (),
        *,
        id_prefix: str = "",
    ) -> tuple[list[IndexHit], bool]:
        """The ``n`` nearest entries to the query vector under a namespace prefix.

        A prefix query first tries an unfiltered over-fetch and keeps the hits under the prefix,
        falling back to Chroma's equality filter on the stored ancestor path (``p<depth>``) when
        too few remain: fast for broad prefixes and for narrow ones alike (see
        :func:`~langgraph_genesis_memory.index._requests.plan_query`).

        Args:
            query: The query vector (``dims`` floats).
            n: Entries wanted (at least 1).
            namespace_prefix: Only entries whose namespace starts with these labels.
            id_prefix: When not empty, the entries under ``namespace_prefix`` are exactly those
                whose id starts with it: the over-fetch then reads distances only, not metadata
                (several times faster).

        Returns:
            ``(hits, exhausted)``: nearest first; ``exhausted`` when no further entry matches.

        Raises:
            TypeError: If ``query`` is text (this index ranks by meaning only).
        """
        if isinstance(query, str):
            raise TypeError("the vector index is queried with a vector, not text")
        return self._run(lambda: plan_query(query, n, namespace_prefix, id_prefix))  # type: ignore[no-any-return]

    def hashes(self) -> dict[str, str]:
        """Every entry: ``{entry_id: content hash}``."""
        return self._run(lambda: plan_list(None, "h"))  # type: ignore[no-any-return]

    def expired(self, now_ms: int) -> dict[str, str]:
        """Entries whose recorded expiry is at or before ``now_ms``: ``{entry_id: item_id}``."""
        where = {"exp": {"$lte": int(now_ms)}}
        return self._run(lambda: plan_list(where, "item_id"))  # type: ignore[no-any-return]

    def set_expiry(self, ids: Sequence[str], expires_ms: Sequence[int]) -> None:
        """Record new expiries (epoch ms) on entries; their other metadata is kept."""
        self._run(lambda: plan_set_expiry(ids, expires_ms))

    def reset(self) -> None:
        """Drop every entry: delete the collection and create it again, same configuration.

        Raises:
            RuntimeError: If the index was built without its client.
        """
        if self.client is None:
            raise RuntimeError("reset() needs the Chroma client; build the index with client=")
        name, configuration = recreate_args(self.collection)
        self.client.delete_collection(name)
        self.collection = self.client.create_collection(
            name, configuration=configuration, embedding_function=None
        )

    def reopen(self) -> None:
        """Open the collection of the same name again (after another client rebuilt it).

        Raises:
            RuntimeError: If the index was built without its client.
        """
        if self.client is None:
            raise RuntimeError("reopen() needs the Chroma client; build the index with client=")
        self.collection = self.client.get_collection(self.collection.name, embedding_function=None)

    # -- inspection ----------------------------------------------------------------------------
    def count(self) -> int:
        """Number of entries (vectors) in the collection."""
        return int(self._run(plan_count))

    def item_ids(self, namespace_prefix: Sequence[str] = ()) -> set[str]:
        """Ids of the items that have at least one entry (to compare with MongoDB).

        Args:
            namespace_prefix: Only items under this namespace prefix.
        """
        where = namespace_where(namespace_prefix)
        return set(self._run(lambda: plan_list(where, "item_id")).values())

    def set_ef_search(self, ef_search: int) -> None:
        """Store a new HNSW ``ef_search`` in the collection's configuration.

        Measured with chromadb 1.5.9: the new value is persisted (and used by later
        :meth:`reset` / by processes that open the collection afresh), but an embedded client
        that has already loaded the index keeps searching with the old value. To choose
        ``ef_search`` reliably, pass it when the collection is created
        (``from_config(hnsw={"ef_search": ...})``).

        Args:
            ef_search: Candidate list size per query (``>= 1``).
        """
        config = {"configuration": {"hnsw": {"ef_search": int(ef_search)}}}
        self._run(lambda: plan_call("modify", config))


class AsyncChromaIndex:
    """Async twin of :class:`ChromaIndex` (an :class:`AsyncDerivedIndex`).

    With a Chroma server, pass a collection from ``chromadb.AsyncHttpClient`` (real async HTTP).
    Embedded Chroma (persistent or in-memory) has no async client: use :meth:`from_sync`, whose
    calls run the sync index in a worker thread so the event loop is not blocked, and which
    shares that index object (a rebuild through either API is seen by both).

    Args:
        collection: An ``AsyncCollection`` from ``chromadb.AsyncHttpClient``.
        client: The client that opened it (needed by :meth:`reset` and :meth:`reopen`).
    """

    def __init__(self, *, collection: Any, client: Any = None) -> None:
        self._collection = collection
        self.client = client
        self.sync_index: ChromaIndex | None = None
        """The embedded sync index this one runs in worker threads, or ``None`` (a server)."""

    @property
    def collection(self) -> Any:
        """The Chroma collection (for an embedded index, the shared sync index's, which may
        have been reopened after a rebuild)."""
        return self.sync_index.collection if self.sync_index is not None else self._collection

    @collection.setter
    def collection(self, value: Any) -> None:
        if self.sync_index is not None:
            self.sync_index.collection = value
        else:
            self._collection = value

    @classmethod
    def from_sync(cls, index: ChromaIndex) -> AsyncChromaIndex:
        """An async index over an embedded sync one (calls run in worker threads).

        Args:
            index: The sync index to share.

        Returns:
            The async index.
        """
        self = cls(collection=index.collection, client=index.client)
        self.sync_index = index
        return self

    @classmethod
    async def from_config(
        cls,
        *,
        path: str | None = None,
        host: str | None = None,
        port: int | None = None,
        ssl: bool | None = None,
        headers: Mapping[str, str] | None = None,
        collection: str | None = None,
        in_memory: bool = False,
        hnsw: HNSWSettings | None = None,
    ) -> AsyncChromaIndex:
        """Open the index: ``AsyncHttpClient`` for a server, else an embedded client in a thread.

        Arguments and environment variables as for :meth:`ChromaIndex.from_config`.

        Returns:
            The async index.

        Raises:
            MissingDependencyError: If chromadb is not installed.
            ConfigurationError: On contradictory or malformed settings.
        """
        config = resolve_chroma_config(
            path=path,
            host=host,
            port=port,
            ssl=ssl,
            headers=headers,
            collection=collection,
            in_memory=in_memory,
        )
        if config["mode"] != "http":
            sync = await asyncio.to_thread(
                ChromaIndex.from_config,
                path=config.get("path"),
                collection=config["collection"],
                in_memory=config["mode"] == "memory",
                hnsw=hnsw,
            )
            return cls.from_sync(sync)
        chromadb = _chromadb()
        client = await chromadb.AsyncHttpClient(
            host=config["host"],
            port=config.get("port", 8000),
            ssl=config.get("ssl", False),
            headers=config.get("headers") or None,
            settings=_settings(chromadb),
        )
        col = await client.get_or_create_collection(
            config["collection"],
            configuration=collection_configuration(hnsw),
            embedding_function=None,
        )
        return cls(collection=col, client=client)

    async def _run(self, make_plan: Any) -> Any:
        if self.sync_index is not None:
            return await asyncio.to_thread(self.sync_index._run, make_plan)
        for attempt in range(2):
            plan: CallPlan = make_plan()
            try:
                call = next(plan)
                while True:
                    result = await getattr(self.collection, call.method)(**call.kwargs)
                    call = plan.send(result)
            except StopIteration as stop:
                return stop.value
            except Exception as exc:
                if attempt or not _missing_collection(exc):
                    raise
                await self.reopen()
        raise AssertionError("unreachable")  # pragma: no cover

    async def upsert(self, entries: Sequence[IndexEntry]) -> None:
        """Async :meth:`ChromaIndex.upsert`."""
        await self._run(lambda: plan_upsert(entries))

    async def delete(self, ids: Sequence[str] = (), item_ids: Sequence[str] = ()) -> None:
        """Async :meth:`ChromaIndex.delete`."""
        await self._run(lambda: plan_delete(ids, item_ids))

    async def query(
        self,
        query: Sequence[float] | str,
        n: int,
        namespace_prefix: Sequence[str] = (),
        *,
        id_prefix: str = "",
    ) -> tuple[list[IndexHit], bool]:
        """Async :meth:`ChromaIndex.query`."""
        if isinstance(query, str):
            raise TypeError("the vector index is queried with a vector, not text")
        return await self._run(lambda: plan_query(query, n, namespace_prefix, id_prefix))  # type: ignore[no-any-return]

    async def hashes(self) -> dict[str, str]:
        """Async :meth:`ChromaIndex.hashes`."""
        return await self._run(lambda: plan_list(None, "h"))  # type: ignore[no-any-return]

    async def expired(self, now_ms: int) -> dict[str, str]:
        """Async :meth:`ChromaIndex.expired`."""
        where = {"exp": {"$lte": int(now_ms)}}
        return await self._run(lambda: plan_list(where, "item_id"))  # type: ignore[no-any-return]

    async def set_expiry(self, ids: Sequence[str], expires_ms: Sequence[int]) -> None:
        """Async :meth:`ChromaIndex.set_expiry`."""
        await self._run(lambda: plan_set_expiry(ids, expires_ms))

    async def count(self) -> int:
        """Async :meth:`ChromaIndex.count`."""
        return int(await self._run(plan_count))

    async def reset(self) -> None:
        """Async :meth:`ChromaIndex.reset`."""
        if self.sync_index is not None:
            await asyncio.to_thread(self.sync_index.reset)
            return
        if self.client is None:
            raise RuntimeError("reset() needs the Chroma client; build the index with client=")
        name, configuration = recreate_args(self.collection)
        await self.client.delete_collection(name)
        self.collection = await self.client.create_collection(
            name, configuration=configuration, embedding_function=None
        )

    async def reopen(self) -> None:
        """Async :meth:`ChromaIndex.reopen`."""
        if self.sync_index is not None:
            await asyncio.to_thread(self.sync_index.reopen)
            return
        if self.client is None:
            raise RuntimeError("reopen() needs the Chroma client; build the index with client=")
        self.collection = await self.client.get_collection(
            self.collection.name, embedding_function=None
        )
