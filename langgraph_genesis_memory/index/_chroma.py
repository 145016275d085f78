"""The Chroma collection used as a derived vector index (sync and async executors).

MongoDB is the source of truth; this collection only holds vectors computed by us (Chroma's
own embedding function is never used) and can be dropped and rebuilt at any time. Request
building and answer parsing live in :mod:`langgraph_genesis_memory.index._requests`; the classes
here only execute them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from langgraph_genesis_memory.errors import MissingDependencyError
from langgraph_genesis_memory.index._config import (
    ChromaConfig,
    HNSWSettings,
    collection_configuration,
    resolve_chroma_config,
)
from langgraph_genesis_memory.index._requests import (
    IndexHit,
    VectorRecord,
    best_per_item,
    build_where,
    chunked,
    filter_probe,
    parse_query_result,
    probe_size,
)

_EXTRA_HINT = "pip install 'langgraph-genesis-memory[chroma]'"
_INCLUDE = ["distances", "metadatas"]


def _chromadb() -> Any:
    try:
        import chromadb
    except ImportError as exc:
        raise MissingDependencyError(
            f"the vector index needs chromadb, which is not installed. Install: {_EXTRA_HINT}"
        ) from exc
    return chromadb


def _settings(chromadb: Any) -> Any:
    return chromadb.config.Settings(anonymized_telemetry=False, allow_reset=True)


def create_chroma_client(config: ChromaConfig) -> Any:
    """Open a sync Chroma client for a resolved configuration (does I/O for ``persistent``).

    Args:
        config: From :func:`~langgraph_genesis_memory.index._config.resolve_chroma_config`.

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


def _upsert_args(
    ids: Sequence[str],
    embeddings: Sequence[Sequence[float]],
    metadatas: Sequence[Mapping[str, Any]] | None,
) -> list[dict[str, Any]]:
    if len(ids) != len(embeddings) or (metadatas is not None and len(metadatas) != len(ids)):
        raise ValueError("ids, embeddings and metadatas must have the same length")
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate vector ids in one upsert")
    return [
        {"ids": list(ids[i : i + len(c)]), "embeddings": [list(map(float, e)) for e in c]}
        | ({"metadatas": [dict(m) for m in metadatas[i : i + len(c)]]} if metadatas else {})
        for i, c in _offsets(embeddings)
    ]


_BATCH = 4096


def _offsets(seq: Sequence[Any]) -> list[tuple[int, Sequence[Any]]]:
    return [(i * _BATCH, c) for i, c in enumerate(chunked(seq, _BATCH))]


def _records_args(records: Sequence[VectorRecord]) -> tuple[list[str], list[Any], list[Any]]:
    return (
        [r.id for r in records],
        [r.embedding for r in records],
        [r.metadata for r in records],
    )


def _recreate_args(collection: Any) -> tuple[str, dict[str, Any]]:
    """Name and HNSW configuration to create ``collection`` again, empty."""
    hnsw = dict((collection.configuration or {}).get("hnsw") or {})
    keep = ("space", "max_neighbors", "ef_construction", "ef_search")
    return collection.name, {"hnsw": {k: hnsw[k] for k in keep if k in hnsw}}


def _expired_page(got: Mapping[str, Any]) -> dict[str, str]:
    metadatas = got.get("metadatas") or [None] * len(got["ids"])
    return {
        vid: str((meta or {}).get("item_id") or vid.rsplit("#", 1)[0])
        for vid, meta in zip(got["ids"], metadatas, strict=False)
    }


def _collect_expired(get_page: Any, page: int) -> dict[str, str]:
    found: dict[str, str] = {}
    offset = 0
    while True:
        got = get_page(offset)
        found.update(_expired_page(got))
        if len(got["ids"]) < page:
            return found
        offset += page


class ChromaIndex:
    """A Chroma collection used as the derived vector index (sync).

    Each item has one vector per indexed JSON path, id ``"<item_id>#<path>"``, with metadata
    from :func:`~langgraph_genesis_memory.index._requests.vector_metadata` (item id, path,
    namespace prefixes ``p1..pN``). Queries can be restricted to a namespace prefix, to a set of
    item ids and by a raw Chroma ``where``. Distances are cosine distances (``1 - similarity``).

    The constructor does no I/O: pass an open collection. :meth:`from_config` opens a client
    (embedded directory, in-memory, or a server) and the collection.

    Args:
        collection: A ``chromadb`` collection opened with ``embedding_function=None`` and the
            cosine space.
        client: The client that opened it (needed by :meth:`reset`).

    Example:
        >>> from langgraph_genesis_memory.index import vector_metadata
        >>> index = ChromaIndex.from_config(in_memory=True, collection="doc_example")
        >>> index.upsert(["i1#$"], [[1.0, 0.0]], [vector_metadata("i1", ("agent", "qa"), "$")])
        >>> [h.item_id for h in index.query([1.0, 0.1], 5, namespace_prefix=("agent",))]
        ['i1']
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
        :func:`~langgraph_genesis_memory.index._config.resolve_chroma_config`); with none of them
        the index is in memory.

        Args:
            path: Directory of an embedded persistent Chroma.
            host: Host of a Chroma server (``chroma run``).
            port: Port of the server (default 8000).
            ssl: HTTPS to the server.
            headers: Extra HTTP headers (e.g. authentication).
            collection: Collection name (default ``genesis_memory``).
            in_memory: In-process index (tests).
            hnsw: HNSW parameters used when the collection is created
                (:class:`~langgraph_genesis_memory.index._config.HNSWSettings`).
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
        return self.collection.name

    def upsert(
        self,
        ids: Sequence[str],
        embeddings: Sequence[Sequence[float]],
        metadatas: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """Insert or replace vectors (in batches of at most 4,096).

        Args:
            ids: Vector ids, ``"<item_id>#<path>"``; unique within the call.
            embeddings: One vector per id (``dims`` floats each).
            metadatas: One flat metadata dict per id (see ``vector_metadata``).

        Raises:
            ValueError: On length mismatches or duplicate ids.
        """
        for args in _upsert_args(ids, embeddings, metadatas):
            self.collection.upsert(**args)

    def upsert_records(self, records: Sequence[VectorRecord]) -> None:
        """Insert or replace :class:`VectorRecord` objects (see :meth:`upsert`)."""
        if records:
            self.upsert(*_records_args(records))

    def delete(
        self, ids: Sequence[str] | None = None, *, item_ids: Sequence[str] | None = None
    ) -> None:
        """Delete vectors by vector id and/or every vector of some items.

        Unknown ids are ignored; empty arguments delete nothing.

        Args:
            ids: Vector ids to delete.
            item_ids: Items whose vectors (all paths) are deleted.
        """
        if ids:
            for chunk in chunked(list(ids), _BATCH):
                self.collection.delete(ids=list(chunk))
        if item_ids:
            for chunk in chunked(list(item_ids), _BATCH):
                self.collection.delete(where={"item_id": {"$in": list(chunk)}})

    def query(
        self,
        embedding: Sequence[float],
        n_results: int = 10,
        *,
        namespace_prefix: Sequence[str] = (),
        item_ids: Sequence[str] | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> list[IndexHit]:
        """Nearest vectors to ``embedding`` (several may belong to the same item).

        A query restricted only by ``namespace_prefix`` first tries an unfiltered over-fetch and
        keeps the hits under the prefix, falling back to Chroma's filtered query when too few
        remain (see :func:`~langgraph_genesis_memory.index._requests.probe_size`): fast for
        broad prefixes and for narrow ones alike.

        Args:
            embedding: Query vector (``dims`` floats).
            n_results: How many vectors to return at most (``>= 1``).
            namespace_prefix: Only vectors whose namespace starts with these labels.
            item_ids: Only vectors of these items.
            where: Extra raw Chroma ``where`` clause.

        Returns:
            Hits, nearest first.
        """
        if item_ids is not None and not item_ids:
            return []
        vector = [list(map(float, embedding))]
        n_results = max(1, n_results)
        probe = probe_size(n_results, namespace_prefix, item_ids, where)
        if probe is not None:
            result = self.collection.query(
                query_embeddings=vector, n_results=probe, include=_INCLUDE
            )
            kept = filter_probe(parse_query_result(result), namespace_prefix, n_results, probe)
            if kept is not None:
                return kept
        result = self.collection.query(
            query_embeddings=vector,
            n_results=n_results,
            where=build_where(namespace_prefix, item_ids=item_ids, where=where),
            include=_INCLUDE,
        )
        return parse_query_result(result)

    def query_items(
        self,
        embedding: Sequence[float],
        limit: int = 10,
        *,
        namespace_prefix: Sequence[str] = (),
        item_ids: Sequence[str] | None = None,
        where: Mapping[str, Any] | None = None,
        fetch_factor: int = 3,
    ) -> list[IndexHit]:
        """Nearest items: each item scores as its best vector (LangGraph's multi-field rule).

        Fetches ``limit * fetch_factor`` vectors and doubles that until ``limit`` distinct items
        are found or the index has no more matching vectors.

        Args:
            embedding: Query vector (``dims`` floats).
            limit: How many items to return at most.
            namespace_prefix: Only items whose namespace starts with these labels.
            item_ids: Only these items.
            where: Extra raw Chroma ``where`` clause.
            fetch_factor: Initial over-fetch factor (vectors per wanted item).

        Returns:
            One hit per item (its best field's), nearest first.
        """
        n = max(1, limit * max(1, fetch_factor))
        while True:
            hits = self.query(
                embedding, n, namespace_prefix=namespace_prefix, item_ids=item_ids, where=where
            )
            items = best_per_item(hits, limit)
            if len(items) >= limit or len(hits) < n:
                return items
            n *= 2

    def count(self) -> int:
        """Number of vectors in the collection."""
        return int(self.collection.count())

    def item_ids(self, namespace_prefix: Sequence[str] = ()) -> set[str]:
        """Ids of the items that have at least one vector (to compare with MongoDB).

        Args:
            namespace_prefix: Only items under this namespace prefix.

        Returns:
            The set of item ids.
        """
        where = build_where(namespace_prefix)
        found: set[str] = set()
        offset, page = 0, 10_000
        while True:
            got = self.collection.get(where=where, include=["metadatas"], limit=page, offset=offset)
            for vid, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
                found.add(str((meta or {}).get("item_id") or vid.rsplit("#", 1)[0]))
            if len(got["ids"]) < page:
                return found
            offset += page

    def expired(self, now_ms: int, page: int = 10_000) -> dict[str, str]:
        """Vectors whose recorded expiry (metadata ``exp``, epoch ms) is at or before ``now_ms``.

        The store records each item's expiry on its vectors when it writes them, so sweeps
        find the vectors of items that MongoDB's TTL monitor removed without scanning the
        whole index. The recorded expiry may be older than the item's (reads slide TTLs in
        MongoDB only): the caller checks MongoDB before deleting.

        Returns:
            ``{vector_id: item_id}``.
        """
        return _collect_expired(lambda offset: self.collection.get(
            where={"exp": {"$lte": int(now_ms)}}, include=["metadatas"], limit=page,
            offset=offset), page)  # fmt: skip

    def set_expiry(self, ids: Sequence[str], expires_ms: Sequence[int]) -> None:
        """Record a new expiry (epoch ms) on these vectors (other metadata is kept).

        Args:
            ids: Vector ids.
            expires_ms: One expiry per id.
        """
        for start in range(0, len(ids), _BATCH):
            self.collection.update(
                ids=list(ids[start : start + _BATCH]),
                metadatas=[{"exp": int(e)} for e in expires_ms[start : start + _BATCH]],
            )

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
        self.collection.modify(configuration={"hnsw": {"ef_search": int(ef_search)}})

    def reset(self) -> None:
        """Drop every vector: delete the collection and create it again, same configuration.

        Raises:
            RuntimeError: If the index was built without its client.
        """
        if self.client is None:
            raise RuntimeError("reset() needs the Chroma client; build the index with client=")
        name, configuration = _recreate_args(self.collection)
        self.client.delete_collection(name)
        self.collection = self.client.create_collection(
            name, configuration=configuration, embedding_function=None
        )

    def reopen(self) -> None:
        """Open the collection of the same name again (after another client recreated it).

        Raises:
            RuntimeError: If the index was built without its client.
        """
        if self.client is None:
            raise RuntimeError("reopen() needs the Chroma client; build the index with client=")
        self.collection = self.client.get_collection(self.collection.name, embedding_function=None)

    def rebuild(self, records: Iterable[VectorRecord], *, batch_size: int = 1024) -> int:
        """Replace the whole index with ``records`` (after :meth:`reset`), in batches.

        Args:
            records: Every vector the index must hold (e.g. recomputed from MongoDB).
            batch_size: Vectors written per request.

        Returns:
            Number of vectors written.
        """
        self.reset()
        written = 0
        batch: list[VectorRecord] = []
        for record in records:
            batch.append(record)
            if len(batch) >= batch_size:
                self.upsert_records(batch)
                written += len(batch)
                batch = []
        if batch:
            self.upsert_records(batch)
            written += len(batch)
        return written


class AsyncChromaIndex:
    """Async twin of :class:`ChromaIndex` with the same methods as coroutines.

    With a Chroma server, pass a collection from ``chromadb.AsyncHttpClient`` (real async HTTP).
    Embedded Chroma (persistent or in-memory) has no async client; pass its sync collection and
    calls run in a worker thread (:func:`asyncio.to_thread`), so the event loop is not blocked.

    Args:
        collection: An ``AsyncCollection`` (server) or a sync ``Collection`` (embedded).
        client: The client that opened it (needed by :meth:`reset`).
    """

    def __init__(self, *, collection: Any, client: Any = None) -> None:
        self.collection = collection
        self.client = client
        self._is_async = asyncio.iscoroutinefunction(getattr(collection, "count", None))
        self._sync = None if self._is_async else ChromaIndex(collection=collection, client=client)

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
            return cls(collection=sync.collection, client=sync.client)
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

    async def upsert(
        self,
        ids: Sequence[str],
        embeddings: Sequence[Sequence[float]],
        metadatas: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """Async :meth:`ChromaIndex.upsert`."""
        if self._sync is not None:
            return await asyncio.to_thread(self._sync.upsert, ids, embeddings, metadatas)
        for args in _upsert_args(ids, embeddings, metadatas):
            await self.collection.upsert(**args)

    async def upsert_records(self, records: Sequence[VectorRecord]) -> None:
        """Async :meth:`ChromaIndex.upsert_records`."""
        if records:
            await self.upsert(*_records_args(records))

    async def delete(
        self, ids: Sequence[str] | None = None, *, item_ids: Sequence[str] | None = None
    ) -> None:
        """Async :meth:`ChromaIndex.delete`."""
        if self._sync is not None:
            return await asyncio.to_thread(self._sync.delete, ids, item_ids=item_ids)
        if ids:
            for chunk in chunked(list(ids), _BATCH):
                await self.collection.delete(ids=list(chunk))
        if item_ids:
            for chunk in chunked(list(item_ids), _BATCH):
                await self.collection.delete(where={"item_id": {"$in": list(chunk)}})

    async def query(
        self,
        embedding: Sequence[float],
        n_results: int = 10,
        *,
        namespace_prefix: Sequence[str] = (),
        item_ids: Sequence[str] | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> list[IndexHit]:
        """Async :meth:`ChromaIndex.query`."""
        if self._sync is not None:
            return await asyncio.to_thread(
                self._sync.query,
                embedding,
                n_results,
                namespace_prefix=namespace_prefix,
                item_ids=item_ids,
                where=where,
            )
        if item_ids is not None and not item_ids:
            return []
        vector = [list(map(float, embedding))]
        n_results = max(1, n_results)
        probe = probe_size(n_results, namespace_prefix, item_ids, where)
        if probe is not None:
            result = await self.collection.query(
                query_embeddings=vector, n_results=probe, include=_INCLUDE
            )
            kept = filter_probe(parse_query_result(result), namespace_prefix, n_results, probe)
            if kept is not None:
                return kept
        result = await self.collection.query(
            query_embeddings=vector,
            n_results=n_results,
            where=build_where(namespace_prefix, item_ids=item_ids, where=where),
            include=_INCLUDE,
        )
        return parse_query_result(result)

    async def query_items(
        self,
        embedding: Sequence[float],
        limit: int = 10,
        *,
        namespace_prefix: Sequence[str] = (),
        item_ids: Sequence[str] | None = None,
        where: Mapping[str, Any] | None = None,
        fetch_factor: int = 3,
    ) -> list[IndexHit]:
        """Async :meth:`ChromaIndex.query_items`."""
        n = max(1, limit * max(1, fetch_factor))
        while True:
            hits = await self.query(
                embedding, n, namespace_prefix=namespace_prefix, item_ids=item_ids, where=where
            )
            items = best_per_item(hits, limit)
            if len(items) >= limit or len(hits) < n:
                return items
            n *= 2

    async def expired(self, now_ms: int, page: int = 10_000) -> dict[str, str]:
        """Async :meth:`ChromaIndex.expired`."""
        if self._sync is not None:
            return await asyncio.to_thread(self._sync.expired, now_ms, page)
        found: dict[str, str] = {}
        offset = 0
        while True:
            got = await self.collection.get(
                where={"exp": {"$lte": int(now_ms)}}, include=["metadatas"], limit=page,
                offset=offset,
            )  # fmt: skip
            found.update(_expired_page(got))
            if len(got["ids"]) < page:
                return found
            offset += page

    async def set_expiry(self, ids: Sequence[str], expires_ms: Sequence[int]) -> None:
        """Async :meth:`ChromaIndex.set_expiry`."""
        if self._sync is not None:
            return await asyncio.to_thread(self._sync.set_expiry, ids, expires_ms)
        for start in range(0, len(ids), _BATCH):
            await self.collection.update(
                ids=list(ids[start : start + _BATCH]),
                metadatas=[{"exp": int(e)} for e in expires_ms[start : start + _BATCH]],
            )

    async def count(self) -> int:
        """Async :meth:`ChromaIndex.count`."""
        if self._sync is not None:
            return await asyncio.to_thread(self._sync.count)
        return int(await self.collection.count())

    async def reset(self) -> None:
        """Async :meth:`ChromaIndex.reset`."""
        if self._sync is not None:
            await asyncio.to_thread(self._sync.reset)
            self.collection = self._sync.collection
            return
        if self.client is None:
            raise RuntimeError("reset() needs the Chroma client; build the index with client=")
        name, configuration = _recreate_args(self.collection)
        await self.client.delete_collection(name)
        self.collection = await self.client.create_collection(
            name, configuration=configuration, embedding_function=None
        )

    async def reopen(self) -> None:
        """Async :meth:`ChromaIndex.reopen`."""
        if self._sync is not None:
            await asyncio.to_thread(self._sync.reopen)
            self.collection = self._sync.collection
            return
        if self.client is None:
            raise RuntimeError("reopen() needs the Chroma client; build the index with client=")
        self.collection = await self.client.get_collection(self.collection.name)
