"""Requests to the services beside MongoDB, as data, and their thin sync and async executors.

The store's plans ask the embedding model and the derived indexes for work the same way they
ask MongoDB: they yield a request (:class:`Embed`, :class:`IndexUpsert`, :class:`IndexQuery`...)
and receive its result. A request names the index it is for (``"vectors"``); the executors
find it on the run's :class:`Services` and call the :class:`~langgraph_genesis_memory.index.
DerivedIndex` (or :class:`~langgraph_genesis_memory.index.AsyncDerivedIndex`) method the request
stands for. With ``tolerate=True`` a failure is handed to the plan as ``Failed`` instead of raised
(see :mod:`langgraph_genesis_memory._mongo`), so the plan can flag items for repair.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langgraph_genesis_memory.index._base import IndexEntry

IndexName = Literal["vectors", "words"]
"""The derived indexes a store can have: the vector index and the word index."""


@dataclass(frozen=True, kw_only=True)
class ServiceRequest:
    """Base of the requests served by something other than MongoDB.

    Attributes:
        tolerate: Hand a failure to the plan as ``Failed`` instead of raising it.
    """

    tolerate: bool = False


@dataclass(frozen=True, kw_only=True)
class Embed(ServiceRequest):
    """Embed texts with the store's LangChain ``Embeddings``; the result is one vector per text.

    ``query=True`` uses ``embed_query`` (some models embed questions differently).
    """

    texts: Sequence[str]
    query: bool = False


@dataclass(frozen=True, kw_only=True)
class RankWords(ServiceRequest):
    """BM25-rank ``texts`` for ``query`` with the store's word ranker: matching ids only, best
    first, ties by id. An id may come with several texts; it scores as its best text.

    CPU work: the async executor runs it in a worker thread so the event loop keeps going.
    """

    ids: Sequence[str]
    texts: Sequence[str]
    query: str


@dataclass(frozen=True, kw_only=True)
class IndexRequest(ServiceRequest):
    """A request to one derived index."""

    index: IndexName = "vectors"


@dataclass(frozen=True, kw_only=True)
class IndexUpsert(IndexRequest):
    """:meth:`DerivedIndex.upsert` of ``entries``."""

    entries: Sequence[IndexEntry]


@dataclass(frozen=True, kw_only=True)
class IndexDelete(IndexRequest):
    """:meth:`DerivedIndex.delete` of entries by id and of every entry of ``item_ids``."""

    ids: Sequence[str] = ()
    item_ids: Sequence[str] = ()


@dataclass(frozen=True, kw_only=True)
class IndexQuery(IndexRequest):
    """:meth:`DerivedIndex.query`: the ``n`` best entries; result ``(hits, exhausted)``."""

    query: Sequence[float] | str
    n: int
    namespace_prefix: Sequence[str] = ()
    id_prefix: str = ""


@dataclass(frozen=True, kw_only=True)
class IndexHashes(IndexRequest):
    """:meth:`DerivedIndex.hashes`: ``{entry_id: content hash}`` of every entry."""


@dataclass(frozen=True, kw_only=True)
class IndexExpired(IndexRequest):
    """:meth:`DerivedIndex.expired`: ``{entry_id: item_id}`` of entries expired at ``now_ms``."""

    now_ms: int


@dataclass(frozen=True, kw_only=True)
class IndexSetExpiry(IndexRequest):
    """:meth:`DerivedIndex.set_expiry`: new expiries (epoch ms), one per id."""

    ids: Sequence[str]
    expires_ms: Sequence[int]


@dataclass(frozen=True, kw_only=True)
class IndexReset(IndexRequest):
    """:meth:`DerivedIndex.reset`: drop every entry (before a rebuild)."""


@dataclass(frozen=True)
class Services:
    """What serves the non-MongoDB requests of one run (sync or async flavour).

    Attributes:
        embeddings: The LangChain ``Embeddings`` of the store's ``IndexConfig``, or ``None``.
        vectors: The vector index (a ``DerivedIndex`` for sync runs, an ``AsyncDerivedIndex``
            for async runs), or ``None``.
        words: The word index (sync or async like ``vectors``), or ``None``.
        ranker: The store's in-memory BM25 ranker (``lexical="scan"``; it caches indexes of
            unchanged texts).
    """

    embeddings: Any = None
    vectors: Any = None
    words: Any = None
    ranker: Any = None

    def index(self, name: IndexName) -> Any:
        """The derived index called ``name``.

        Raises:
            LookupError: If the store has none (a programming error in a plan).
        """
        found = getattr(self, name, None)
        if found is None:
            raise LookupError(f"this store has no {name} index")
        return found


def _call_args(req: IndexRequest) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    """The index method and the positional and keyword arguments a request stands for."""
    if isinstance(req, IndexUpsert):
        return "upsert", (req.entries,), {}
    if isinstance(req, IndexDelete):
        return "delete", (req.ids, req.item_ids), {}
    if isinstance(req, IndexQuery):
        keywords = {"id_prefix": req.id_prefix} if req.id_prefix else {}
        return "query", (req.query, req.n, req.namespace_prefix), keywords
    if isinstance(req, IndexHashes):
        return "hashes", (), {}
    if isinstance(req, IndexExpired):
        return "expired", (req.now_ms,), {}
    if isinstance(req, IndexSetExpiry):
        return "set_expiry", (req.ids, req.expires_ms), {}
    if isinstance(req, IndexReset):
        return "reset", (), {}
    raise TypeError(f"Unknown index request {req!r}")


def _nothing_to_do(req: ServiceRequest) -> bool:
    if isinstance(req, Embed):
        return not req.texts
    if isinstance(req, IndexUpsert):
        return not req.entries
    if isinstance(req, IndexDelete):
        return not req.ids and not req.item_ids
    if isinstance(req, IndexSetExpiry):
        return not req.ids
    return False


def execute(services: Services, req: ServiceRequest) -> Any:
    """Serve ``req`` with the sync model and indexes."""
    if _nothing_to_do(req):
        return [] if isinstance(req, Embed) else None
    if isinstance(req, Embed):
        model = services.embeddings
        if req.query:
            return [list(model.embed_query(t)) for t in req.texts]
        return [list(v) for v in model.embed_documents(list(req.texts))]
    if isinstance(req, RankWords):
        return services.ranker.rank(req.ids, req.texts, req.query)
    assert isinstance(req, IndexRequest)
    method, args, keywords = _call_args(req)
    return getattr(services.index(req.index), method)(*args, **keywords)


async def aexecute(services: Services, req: ServiceRequest) -> Any:
    """Serve ``req`` with the async model and indexes."""
    if _nothing_to_do(req):
        return [] if isinstance(req, Embed) else None
    if isinstance(req, Embed):
        model = services.embeddings
        if req.query:
            found = await asyncio.gather(*(model.aembed_query(t) for t in req.texts))
            return [list(v) for v in found]
        return [list(v) for v in await model.aembed_documents(list(req.texts))]
    if isinstance(req, RankWords):
        return await asyncio.to_thread(services.ranker.rank, req.ids, req.texts, req.query)
    assert isinstance(req, IndexRequest)
    method, args, keywords = _call_args(req)
    return await getattr(services.index(req.index), method)(*args, **keywords)
