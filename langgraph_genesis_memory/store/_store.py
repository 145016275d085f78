"""``GenesisStore``: LangGraph's ``BaseStore`` on MongoDB."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import os
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any, Literal, get_args

from langgraph.store.base import (
    NOT_PROVIDED,
    BaseStore,
    IndexConfig,
    Item,
    NamespacePath,
    NotProvided,
    Op,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
    ensure_embeddings,
)
from pymongo import ASCENDING, TEXT, AsyncMongoClient, IndexModel, MongoClient

from langgraph_genesis_memory._config import data_dir_from_env, database_from_env
from langgraph_genesis_memory._connection import open_async, open_sync
from langgraph_genesis_memory._migrations import (
    Migration,
    plan_optional_indexes,
    plan_setup,
    plan_version,
)
from langgraph_genesis_memory._mongo import PlanRunner
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory._services import Services
from langgraph_genesis_memory.access import AccessPolicy
from langgraph_genesis_memory.access import Grant as _Grant
from langgraph_genesis_memory.errors import (
    AccessDeniedError,
    ConfigurationError,
    InvalidArgumentError,
)
from langgraph_genesis_memory.index._base import (
    AsyncDerivedIndex,
    DerivedIndex,
    ThreadedAsyncIndex,
)
from langgraph_genesis_memory.index._chroma import AsyncChromaIndex, ChromaIndex
from langgraph_genesis_memory.index._lexical import WordRanker
from langgraph_genesis_memory.index._words import SqliteWordIndex
from langgraph_genesis_memory.store._access import AccessControl
from langgraph_genesis_memory.store._audit import (
    AUDIT_INDEXES,
    Auditing,
    plan_audited,
    plan_denied,
    plan_denied_then_raise,
)
from langgraph_genesis_memory.store._autolink import (
    POSTINGS_SUFFIX,
    AutoLinkConfig,
    auto_link_settings,
)
from langgraph_genesis_memory.store._batch import StoreSchema, check_ops, plan_batch
from langgraph_genesis_memory.store._calls import (
    delete_op,
    get_op,
    list_namespaces_op,
    put_op,
    search_op,
)
from langgraph_genesis_memory.store._coalesce import Coalescer
from langgraph_genesis_memory.store._crypto import FieldCipher, plan_opened
from langgraph_genesis_memory.store._graph import LINK_FIELD, RELATIONSHIPS
from langgraph_genesis_memory.store._indexing import ReindexResult, plan_reindex
from langgraph_genesis_memory.store._options import (
    SearchMode,
    SearchOptions,
    validate_options,
)
from langgraph_genesis_memory.store._purge import Erasure
from langgraph_genesis_memory.store._relations import RelationsMixin
from langgraph_genesis_memory.store._search import LexicalEngine, SearchSettings
from langgraph_genesis_memory.store._time import (
    SUPERSEDED_BY,
    VALID_FROM,
    VALID_TO,
    plan_backfill_validity,
)
from langgraph_genesis_memory.store._ttl import TTLPolicy
from langgraph_genesis_memory.store._writes import plan_sweep_items

logger = logging.getLogger(__name__)

_MERGED_GRANT: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "genesis_merged_grant", default=NOT_PROVIDED
)
"""The principal's grant of the merged batch the coalescer is running (see ``_abatch_as``)."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _progress_bar(show: bool | None) -> Iterator[Any]:
    from tqdm.auto import tqdm

    bar = tqdm(total=0, desc="reindex", unit="item", disable=show is False, delay=0 if show else 2)
    try:
        yield bar
    finally:
        bar.close()


def _chroma_args(
    chroma: Mapping[str, Any] | None,
    data_dir: str | PathLike[str] | None,
    database: str,
    collection: str,
) -> dict[str, Any]:
    """Where the vector index lives: explicit args, then env, then ``<data_dir>/chroma``."""
    args = dict(chroma or {})
    if not any(args.get(k) for k in ("host", "path", "in_memory")) and not (
        os.environ.get("CHROMA_HOST") or os.environ.get("GENESIS_CHROMA_PATH")
    ):
        base = Path(data_dir).expanduser() if data_dir else data_dir_from_env()
        args["path"] = str(base / "chroma")
    args.setdefault("collection", _chroma_name(f"{database}-{collection}"))
    return args


def _word_index(
    engine: str | None,
    words_path: str | PathLike[str] | None,
    data_dir: str | PathLike[str] | None,
    database: str,
    collection: str,
) -> SqliteWordIndex | None:
    """The word index ``from_conn_string`` opens when words rank through it (``"index"``)."""
    if engine != "index":
        return None
    if words_path is None:
        base = Path(data_dir).expanduser() if data_dir else data_dir_from_env()
        words_path = base / "words" / f"{_chroma_name(f'{database}-{collection}')}.sqlite3"
    return SqliteWordIndex(words_path)


def _filter_index_models(paths: Sequence[str]) -> list[IndexModel]:
    """MongoDB indexes for the value paths searches filter on (``filter_indexes=``).

    Raises:
        ConfigurationError: For a path that is not a dotted field path of a value.
    """
    if isinstance(paths, str):
        raise ConfigurationError(f"filter_indexes must be a list of paths; got {paths!r}.")
    models = []
    for path in paths:
        parts = path.split(".") if isinstance(path, str) else [""]
        if not all(p and not p.startswith("$") and "\x00" not in p for p in parts):
            raise ConfigurationError(
                f"filter_indexes paths must be dotted field paths such as 'user.id'; got {path!r}."
            )
        models.append(IndexModel([(f"value.{path}", ASCENDING)], name=f"filter_{path}"))
    return models


def _chroma_name(name: str) -> str:
    """A valid Chroma collection name: 3-512 of ``[A-Za-z0-9._-]``, alphanumeric at both ends."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "-", name).strip("._-") or "genesis"
    return (cleaned + "-idx" if len(cleaned) < 3 else cleaned)[:512]


def _index_config(index: IndexConfig | None) -> tuple[IndexConfig | None, Any]:
    """Validate LangGraph's ``IndexConfig``; return it (``fields`` defaulted) and the model."""
    if index is None:
        return None, None
    if not isinstance(index, Mapping) or "embed" not in index:
        raise ConfigurationError(
            "index must be LangGraph's IndexConfig, e.g. {'dims': 384, 'embed': "
            "MiniLMEmbeddings(), 'fields': ['text']}."
        )
    dims = index.get("dims")
    if isinstance(dims, bool) or not isinstance(dims, int) or dims <= 0:
        raise ConfigurationError(f"index['dims'] must be a positive integer; got {dims!r}.")
    fields = index.get("fields") or ["$"]
    if not isinstance(fields, list) or not all(isinstance(f, str) and f for f in fields):
        raise ConfigurationError(f"index['fields'] must be a list of JSON paths; got {fields!r}.")
    config: IndexConfig = {**index, "fields": list(fields)}
    return config, ensure_embeddings(index["embed"])


STORE_MIGRATIONS: list[list[IndexModel] | Migration] = [
    [
        IndexModel([("ns_key", ASCENDING)], name="ns_key"),
    ],
    # 2: list_namespaces reads (namespace, expiry) from one index, expired items excluded.
    Migration(
        [IndexModel([("ns_key", ASCENDING), ("expires_at_ms", ASCENDING)], name="ns_key_live")],
        drop=[[("ns_key", ASCENDING)]],
    ),
    # 3: links are traversed by target (link_to), and every document carries its validity
    # in time (valid_from_ms, valid_to_ms).
    Migration(
        [IndexModel([(LINK_FIELD, ASCENDING)], name="link_to")], backfill=plan_backfill_validity
    ),  # fmt: skip
]
"""Index sets by schema version (see :mod:`langgraph_genesis_memory._migrations`)."""

PASSED_OPTIONS = frozenset({
    "ttl", "namespace_ttl", "index", "search_mode", "rrf_k", "graph_weight", "graph_depth",
    "auto_links", "reserved_fields", "filter_indexes", "access", "audit_ttl", "encrypt_fields",
    "encryption_key",
})  # fmt: skip
"""The ``from_conn_string`` / ``afrom_conn_string`` arguments passed on to the constructor as
given."""

VALIDITY_SCHEMA = 3
"""The store schema from which every document holds ``valid_from_ms``/``valid_to_ms``: a
search refuses a collection set up at an earlier version until ``setup()`` runs again."""

TTL_INDEX = IndexModel([("expires_at", ASCENDING)], name="ttl_expires_at", expireAfterSeconds=0)
"""MongoDB's TTL index: its monitor deletes items once ``expires_at`` has passed."""

TEXT_INDEX = IndexModel(
    [("search_text", TEXT)],
    name="search_text",
    default_language="english",
    language_override="search_language",
)
"""MongoDB's text index, used only with ``lexical="text_index"``."""


class GenesisStore(RelationsMixin, AccessControl, Erasure, Auditing, PlanRunner, BaseStore):
    """LangGraph's ``BaseStore`` on MongoDB: namespaced JSON memories shared by agents.

    Pass it to ``StateGraph.compile(store=...)`` or ``@entrypoint(store=...)``; nodes reach it via
    ``get_store()``, ``Runtime.store`` or ``InjectedStore`` tools. ``batch`` runs on pymongo's
    ``MongoClient`` and ``abatch`` on its native ``AsyncMongoClient``; both run the same logic
    (:mod:`langgraph_genesis_memory.store._plan`) and follow the semantics of LangGraph's reference
    ``InMemoryStore``. Each item is one MongoDB document (see
    :mod:`langgraph_genesis_memory.store._documents`).

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
        timeout_ms: How long, in milliseconds, one call may wait on MongoDB in all (pymongo's
            client-side operation timeout): a call that meets a hung or unreachable server
            raises :class:`~langgraph_genesis_memory.errors.DatabaseUnavailableError` after
            about this long. Maintenance calls (``reindex``, ``sweep``) give it to each of their
            requests. ``None``: only the clients' own timeouts apply.
        clock: Returns the current UTC time for TTL decisions (default: the system clock);
            for tests and simulations. ``updated_at`` always comes from the MongoDB server.
        index: LangGraph's ``IndexConfig`` (``dims``, ``embed``, ``fields``, default ``["$"]``)
            for semantic search; ``embed`` is a LangChain ``Embeddings``, a sync or async
            function, or a ``"provider:model"`` string (resolved by LangGraph). Needs a vector
            index.
        vector_index: The Chroma index for the sync API
            (:class:`~langgraph_genesis_memory.index.ChromaIndex`).
        async_vector_index: The Chroma index for the async API (default: derived from
            ``vector_index``; embedded Chroma then runs in worker threads).
        search_mode: How ``search(..., query=...)`` ranks with a vector index: ``"hybrid"``
            (meaning and words fused by reciprocal rank fusion; default), ``"vector"`` or
            ``"lexical"``. Without a vector index, ranking is by words.
        word_index: The word index for the sync API (a
            :class:`~langgraph_genesis_memory.index.SqliteWordIndex`, or any ``DerivedIndex``
            ranking text): words ranking then reads the index instead of the namespace.
        async_word_index: The word index for the async API (default: ``word_index`` run in
            worker threads).
        lexical: The words side of ranked search: ``"index"`` (the word index; the default when
            one is given), ``"text_index"`` (MongoDB's ``$text`` index, created by ``setup()``)
            or ``"scan"`` (BM25 in memory over every item under the prefix, read per query; the
            default without a word index). See :mod:`langgraph_genesis_memory.store._search`.
        rrf_k: The reciprocal-rank-fusion constant (default 20, which ranked LoCoMo evidence
            better than the paper's 60; see ``docs/retrieval.md``).
        ttl_index: Whether ``setup()`` creates MongoDB's TTL index on ``expires_at`` so the
            server deletes expired items by itself (default ``True``; local mode turns it off
            and relies on :meth:`sweep`). Expired items are never returned either way.
        filter_indexes: Paths inside values that searches filter on (e.g. ``["tags",
            "user_id", "created"]``, dotted for nested fields): ``setup()`` creates a MongoDB
            index on each (``value.<path>``), so a filtered search does not scan the prefix on
            MongoDB. Paths follow the filter syntax (``"a.b"``).
        graph_weight: RRF weight of the graph ranking in hybrid search (default 0: links are
            left out of hybrid search; e.g. 1.0 fuses them like the other rankings; a search can
            pass its own); see :mod:`~langgraph_genesis_memory.store._graph`.
        graph_depth: Hops a graph walk takes from its seeds (0 to 3, default 1).
        auto_links: Automatic links at write time between items sharing a rare term
            (:class:`~langgraph_genesis_memory.store.AutoLinkConfig`, e.g. ``{}`` for the
            defaults; ``None``, the default: off).
        reserved_fields: Whether the value fields ``relationships`` (links), ``valid_from``,
            ``valid_to`` and ``superseded_by`` (time) are read by the store, and checked (an
            :class:`~langgraph_genesis_memory.errors.InvalidValueError` for another shape).
            ``True`` by default. ``False`` stores them as given, like any LangGraph store, for
            data that already uses these names otherwise: then items link only through
            automatic links, are valid from their first write, and :meth:`link`,
            :meth:`unlink` and :meth:`supersede` raise ``ConfigurationError``.
        coalesce: Merge the single-op async calls (``aget``, ``aput``, ``adelete``,
            ``asearch``, ``alist_namespaces``) made in one event-loop tick into one batch
            (default ``True``; see :mod:`langgraph_genesis_memory.store._coalesce`). Each caller
            still gets its own result or its own error.
        access: An :class:`~langgraph_genesis_memory.access.AccessPolicy`: every op is then
            checked for the acting principal, a view's (:meth:`as_principal`) or the run's
            ``config["configurable"]`` ``agent_id``/``tenant_id``/``user_id``; denied ops and
            ops without a principal raise ``AccessDeniedError`` before any of the batch is
            sent (with ``audit_ttl``, after the denial is recorded). See
            ``docs/access-control.md``. Default ``None``: no policy.
        audit_ttl: Record denied ops and applied writes in ``<collection>_audit`` for this many
            minutes (MongoDB's TTL index, created by ``setup()``); read them with
            :meth:`list_audit`. Default ``None``: no audit log.
        encrypt_fields: Dotted paths of value fields encrypted in the process before they are
            sent (Fernet, the ``encryption`` extra), decrypted in results; they cannot be
            filtered or embedded, nor be one of the fields the store reads (``relationships``,
            ``valid_from``, ``valid_to``, ``superseded_by``; see
            :mod:`langgraph_genesis_memory.store._crypto`).
        encryption_key: The Fernet key(s) for ``encrypt_fields`` (comma-separated; the first
            encrypts). Default: ``GENESIS_ENCRYPTION_KEY``.

    Raises:
        ConfigurationError: If neither client is given, a TTL is not a positive number, the
            index configuration is incomplete, ``graph_depth`` or ``graph_weight`` is out of range,
            ``auto_links`` is malformed, or ``encrypt_fields`` names an indexed field or a
            field the store reads, or comes without a valid Fernet key.
        MissingDependencyError: ``encrypt_fields`` without ``cryptography`` (extra
            ``encryption``).

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
        client: MongoClient[Any] | None = None,
        async_client: AsyncMongoClient[Any] | None = None,
        database: str | None = None,
        collection: str = "store",
        ttl: TTLConfig | None = None,
        namespace_ttl: Mapping[str, float | None] | None = None,
        timeout_ms: int | None = None,
        clock: Callable[[], datetime] | None = None,
        index: IndexConfig | None = None,
        vector_index: ChromaIndex | None = None,
        async_vector_index: AsyncChromaIndex | None = None,
        word_index: DerivedIndex | None = None,
        async_word_index: AsyncDerivedIndex | None = None,
        search_mode: SearchMode = "hybrid",
        lexical: LexicalEngine | None = None,
        rrf_k: float = 20.0,
        graph_weight: float = 0.0,
        graph_depth: int = 1,
        auto_links: AutoLinkConfig | None = None,
        reserved_fields: bool = True,
        ttl_index: bool = True,
        coalesce: bool = True,
        filter_indexes: Sequence[str] = (),
        access: AccessPolicy | None = None,
        audit_ttl: float | None = None,
        encrypt_fields: Sequence[str] = (),
        encryption_key: str | None = None,
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
        self.index_config, self.embeddings = _index_config(index)
        if self.index_config is not None and vector_index is None and async_vector_index is None:
            raise ConfigurationError(
                "index= needs a vector index: pass vector_index=ChromaIndex.from_config(...) "
                "(and/or async_vector_index=), or use GenesisStore.from_conn_string(index=...)."
            )
        if vector_index is not None and async_vector_index is None:
            # One index object for both APIs, so a rebuild through either is seen by both.
            async_vector_index = AsyncChromaIndex.from_sync(vector_index)
        self.vector_index = vector_index
        self.async_vector_index = async_vector_index
        if search_mode not in get_args(SearchMode):
            raise ConfigurationError(
                f"search_mode must be hybrid, vector, lexical or graph; got {search_mode!r}."
            )
        try:
            validate_options(SearchOptions(graph_depth=graph_depth, graph_weight=graph_weight))
        except InvalidArgumentError as exc:
            raise ConfigurationError(str(exc)) from None
        if word_index is not None and async_word_index is None:
            async_word_index = ThreadedAsyncIndex(word_index)
        self.word_index = word_index
        self.async_word_index = async_word_index
        if lexical is None:
            lexical = "index" if word_index or async_word_index else "scan"
        if lexical not in ("index", "text_index", "scan"):
            raise ConfigurationError(
                f"lexical must be 'index', 'text_index' or 'scan'; got {lexical!r}."
            )
        if lexical == "index" and word_index is None and async_word_index is None:
            raise ConfigurationError(
                "lexical='index' needs a word index: pass word_index=SqliteWordIndex(path), or "
                "use GenesisStore.from_conn_string() (local mode creates one)."
            )
        self._schema = StoreSchema(
            ttl=self.ttl_policy,
            search=SearchSettings(
                mode=search_mode,
                lexical=lexical,
                rrf_k=float(rrf_k),
                vector_fields=None if self.index_config is None else self.index_config["fields"],
                graph_weight=float(graph_weight),
                graph_depth=graph_depth,
            ),
            auto_links=auto_link_settings(auto_links),
            reserved_fields=bool(reserved_fields),
            postings=collection + POSTINGS_SUFFIX,
        )
        self._ranker = WordRanker()
        if access is not None and not isinstance(access, AccessPolicy):
            raise ConfigurationError(f"access must be an AccessPolicy; got {access!r:.80}.")
        self.access_policy = access
        if audit_ttl is not None and (
            isinstance(audit_ttl, bool) or not isinstance(audit_ttl, int | float) or audit_ttl <= 0
        ):
            raise ConfigurationError(f"audit_ttl must be positive minutes; got {audit_ttl!r}.")
        self.audit_ttl = audit_ttl
        self._cipher = FieldCipher(encrypt_fields, encryption_key) if encrypt_fields else None
        self._schema_checked = False  # see _plan_schema_checked
        reserved = [RELATIONSHIPS, VALID_FROM, VALID_TO, SUPERSEDED_BY]
        if self._cipher and reserved_fields and any(self._cipher.covers(f) for f in reserved):
            raise ConfigurationError(
                f"encrypt_fields={list(encrypt_fields or ())!r} names a field the store reads "
                f"({', '.join(reserved)}): links and validity in time must stay readable."
            )
        fields = list((self.index_config or {}).get("fields") or [])
        if self._cipher is not None and any(self._cipher.covers(f) for f in fields):
            raise ConfigurationError(
                f"index fields {fields!r} name an encrypted field: encrypted fields cannot be "
                "embedded (index other fields, or '$' to embed the rest of the value)."
            )
        self._coalescer = (
            Coalescer(self._abatch_as, self._check_op, keyed=True) if coalesce else None
        )
        self._timeout_ms = timeout_ms
        self.ttl_index = ttl_index
        self.filter_indexes = _filter_index_models(filter_indexes)
        self._clock = clock or _utcnow
        self._sweeper: threading.Thread | None = None
        self._sweeper_done: concurrent.futures.Future[None] | None = None
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
        index: IndexConfig | None = None,
        chroma: Mapping[str, Any] | None = None,
        search_mode: SearchMode = "hybrid",
        lexical: LexicalEngine | None = None,
        words_path: str | PathLike[str] | None = None,
        rrf_k: float = 20.0,
        graph_weight: float = 0.0,
        graph_depth: int = 1,
        auto_links: AutoLinkConfig | None = None,
        reserved_fields: bool = True,
        ttl_index: bool | None = None,
        filter_indexes: Sequence[str] = (),
        data_dir: str | PathLike[str] | None = None,
        timeout_ms: int | None = None,
        access: AccessPolicy | None = None,
        audit_ttl: float | None = None,
        encrypt_fields: Sequence[str] = (),
        encryption_key: str | None = None,
    ) -> Iterator[GenesisStore]:
        """Open a store on a MongoDB deployment and close its client on exit.

        The deployment is ``conn_string``, else ``MONGODB_URI``, else local mode (a local
        MongoDB-compatible server under ``data_dir``, started if it is not running and left
        running for other processes; stop it with ``genesis-memory local stop``).

        With ``index``, the vector index is a Chroma collection: a Chroma server when
        ``chroma={"host": ...}`` or ``CHROMA_HOST`` is set, else an embedded persistent directory
        (``chroma={"path": ...}``, ``GENESIS_CHROMA_PATH``, or ``<data_dir>/chroma``).

        Words ranking (``lexical``, default ``None``): in local mode the word index, a SQLite
        FTS5 file (``words_path``, default ``<data_dir>/words/<database>-<collection>.sqlite3``,
        shared by the processes of the data folder); for ``MONGODB_URI`` deployments MongoDB's
        ``$text`` index (``"text_index"``; a file would not be shared by several servers).

        Args:
            conn_string: A MongoDB connection string.
            database, collection, ttl, namespace_ttl, index, search_mode, lexical, rrf_k,
                graph_weight, graph_depth, auto_links, reserved_fields, filter_indexes, access,
                audit_ttl, encrypt_fields, encryption_key: As the constructor
                (``lexical=None``: see above).
            words_path: The word index's SQLite file when ``lexical`` is ``"index"``.
            ttl_index: As the constructor; default ``None`` means on for ``MONGODB_URI``
                deployments and off in local mode.
            chroma: Keyword arguments of :meth:`ChromaIndex.from_config` (``host``, ``port``,
                ``ssl``, ``headers``, ``path``, ``collection``, ``in_memory``, ``hnsw``).
            data_dir: Local-mode data folder. Default: ``GENESIS_DATA_DIR`` or ``./.genesis``.
            timeout_ms: How long to wait for MongoDB before
                :class:`~langgraph_genesis_memory.errors.DatabaseUnavailableError`.
                Default: ``GENESIS_MONGODB_TIMEOUT_MS`` or 10000.

        In local mode MongoDB's TTL index is not created (``ttl_index=False``); expired items are
        hidden from reads and removed by :meth:`sweep`, or by the background sweeper that starts
        here when ``ttl={"sweep_interval_minutes": N}`` is given (stopped on exit).

        Yields:
            A ``GenesisStore`` with a sync client (use :meth:`afrom_conn_string` for async).

        Raises:
            DatabaseUnavailableError, LocalServerError, MissingDependencyError,
            ConfigurationError: When the deployment or the index cannot be opened.
        """
        options = {name: value for name, value in locals().items() if name in PASSED_OPTIONS}
        with open_sync(conn_string, data_dir=data_dir, timeout_ms=timeout_ms) as conn:
            name = database or database_from_env()
            vectors = None
            if index is not None:
                args = _chroma_args(chroma, data_dir, name, collection)
                vectors = ChromaIndex.from_config(**args)
            engine = lexical or ("index" if conn.local else "text_index")
            words = _word_index(engine, words_path, data_dir, name, collection)
            store = cls(
                client=conn.client,
                database=name,
                collection=collection,
                timeout_ms=conn.timeout_ms,
                vector_index=vectors,
                word_index=words,
                lexical=engine,
                ttl_index=(not conn.local) if ttl_index is None else ttl_index,
                **options,
            )
            if store.ttl_policy.sweep_interval_minutes:
                store.start_ttl_sweeper()
            try:
                yield store
            finally:
                store.stop_ttl_sweeper()

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
        index: IndexConfig | None = None,
        chroma: Mapping[str, Any] | None = None,
        search_mode: SearchMode = "hybrid",
        lexical: LexicalEngine | None = None,
        words_path: str | PathLike[str] | None = None,
        rrf_k: float = 20.0,
        graph_weight: float = 0.0,
        graph_depth: int = 1,
        auto_links: AutoLinkConfig | None = None,
        reserved_fields: bool = True,
        ttl_index: bool | None = None,
        filter_indexes: Sequence[str] = (),
        data_dir: str | PathLike[str] | None = None,
        timeout_ms: int | None = None,
        access: AccessPolicy | None = None,
        audit_ttl: float | None = None,
        encrypt_fields: Sequence[str] = (),
        encryption_key: str | None = None,
    ) -> AsyncIterator[GenesisStore]:
        """Async twin of :meth:`from_conn_string` (same arguments).

        Yields:
            A ``GenesisStore`` with an ``AsyncMongoClient`` for the async API and a
            ``MongoClient`` for sync calls made from worker threads (sync nodes); with a Chroma
            server, an ``AsyncHttpClient`` for the async vector index.
        """
        options = {name: value for name, value in locals().items() if name in PASSED_OPTIONS}
        async with open_async(conn_string, data_dir=data_dir, timeout_ms=timeout_ms) as conn:
            name = database or database_from_env()
            vectors = avectors = None
            if index is not None:
                args = _chroma_args(chroma, data_dir, name, collection)
                avectors = await AsyncChromaIndex.from_config(**args)
                if avectors.sync_index is not None:  # embedded: share the one client
                    vectors = avectors.sync_index
                else:
                    vectors = await asyncio.to_thread(ChromaIndex.from_config, **args)
            engine = lexical or ("index" if conn.local else "text_index")
            words = await asyncio.to_thread(
                _word_index, engine, words_path, data_dir, name, collection
            )
            store = cls(
                client=conn.client,
                async_client=conn.async_client,
                database=name,
                collection=collection,
                timeout_ms=conn.timeout_ms,
                vector_index=vectors,
                async_vector_index=avectors,
                word_index=words,
                lexical=engine,
                ttl_index=(not conn.local) if ttl_index is None else ttl_index,
                **options,
            )
            if store.ttl_policy.sweep_interval_minutes:
                await store.astart_ttl_sweeper()
            try:
                yield store
            finally:
                await store.astop_ttl_sweeper()

    # -- execution -----------------------------------------------------------------------------
    _no_sync_client = (
        "This GenesisStore has no sync MongoClient: use the async API (aget, aput, "
        "asearch...) or pass client=MongoClient(...)."
    )
    _no_async_client = (
        "This GenesisStore has no AsyncMongoClient: use the sync API (get, put, "
        "search...), open it with GenesisStore.afrom_conn_string(), or pass "
        "async_client=AsyncMongoClient(...)."
    )

    def _default_collection(self) -> str:
        return self.collection_name

    def _services(self, is_async: bool) -> Services:
        if is_async:
            return Services(self.embeddings, self.async_vector_index, self.async_word_index,
                            self._ranker)  # fmt: skip
        return Services(self.embeddings, self.vector_index, self.word_index, self._ranker)

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Execute ``ops`` in one batch on the sync client (LangGraph ``BaseStore.batch``).

        Results are in input order; a put returns ``None``; reads see the state before the
        batch's writes; the last put to a ``(namespace, key)`` wins; ``value=None`` deletes.

        Raises:
            InvalidNamespaceError, InvalidKeyError, InvalidValueError, InvalidFilterError,
            ConfigurationError: For a bad op; nothing of the batch is written.
            AccessDeniedError: With an access policy, for a denied op or a missing principal;
                nothing of the batch is written.
            ConfigurationError: Also for a batch with a search when the collection was set up
                at a schema older than 3 and this store has not called ``setup()``; nothing is
                written.
            DatabaseUnavailableError: If MongoDB does not answer within the timeout.
        """
        return self._run(self._plan_batch(list(ops)))

    def _plan_batch(self, ops: list[Op], grant: Any = NOT_PROVIDED) -> Plan[list[Result]]:
        """The batch plan for the acting principal (``grant``: already resolved), audited
        when the store keeps an audit log."""
        now, ttl = self._clock(), self.audit_ttl
        if self._cipher is not None:
            ops = self._cipher.seal_ops(ops)  # raises for encrypted filters and index paths
        if grant is NOT_PROVIDED:
            grant = _MERGED_GRANT.get()  # set while the coalescer runs a merged batch
        if grant is NOT_PROVIDED:
            try:
                grant = self._grant()
            except AccessDeniedError as error:
                if ttl is None:
                    raise
                return plan_denied_then_raise(ops, error, now, ttl, self.audit_collection)
        plan = plan_batch(ops, self._schema, now, grant)
        if not self._schema_checked and any(isinstance(op, SearchOp) for op in ops):
            plan = self._plan_schema_checked(plan, ops, grant)
        if self._cipher is not None:
            plan = plan_opened(plan, self._cipher)
        if ttl is None:
            return plan
        return plan_audited(plan, ops, grant, now, ttl, self.audit_collection)

    @property
    def _component(self) -> str:
        """The store's key in the migrations record (``"store:<collection>"``)."""
        return f"store:{self.collection_name}"

    def _plan_schema_checked(
        self, inner: Plan[list[Result]], ops: list[Op], grant: _Grant | None
    ) -> Plan[list[Result]]:
        """Run ``inner`` after checking, once per store, that the collection is not set up
        at a schema older than :data:`VALIDITY_SCHEMA` (one ``find`` by ``_id``).

        Documents written before schema 3 hold no validity in time, so searches would not
        return them until ``setup()`` backfills it; a collection never set up (no record) is
        not refused, and a store that ran ``setup()`` does not ask. Raises
        ``ConfigurationError`` naming the fix. ``ops`` are validated first (for ``grant``), so
        a bad or denied op raises its own error before the check, inside the plan an audit
        log wraps.
        """
        check_ops(ops, self._schema, grant)
        version = yield from plan_version(self._component)
        if 0 < version < VALIDITY_SCHEMA:
            raise ConfigurationError(
                f"The collection {self.collection_name!r} was set up by an earlier version "
                f"(schema {version}): call store.setup() once to bring it to schema "
                f"{len(STORE_MIGRATIONS)} (it records every item's validity in time, without "
                "which searches would miss the items written before)."
            )
        self._schema_checked = True
        return (yield from inner)

    def _check_op(self, op: Op, grant: _Grant | None = None) -> None:
        """Validate one op as :meth:`batch` would (raises its documented error)."""
        check_ops([op], self._schema, grant)
        if self._cipher is not None:
            self._cipher.check([op])  # sealing waits for the merged batch

    async def _submit(self, op: Op) -> Result:
        """Run one op, merged with the other single-op calls of this tick (``coalesce``) made
        by the same principal."""
        if self._coalescer is None:
            return (await self.abatch([op]))[0]
        try:
            grant = self._grant()  # the caller's principal, resolved in the caller's context
        except AccessDeniedError:
            return (await self.abatch([op]))[0]  # raises (and is audited)
        try:
            return await self._coalescer.submit(op, grant)
        except AccessDeniedError as error:  # refused by the check before merging
            if self.audit_ttl is not None:
                plan = plan_denied([op], error, grant, self._clock(), self.audit_ttl,
                                   self.audit_collection)  # fmt: skip
                await self._arun(plan)
            raise

    async def _abatch_as(self, ops: Iterable[Op], grant: _Grant | None) -> list[Result]:
        """Run merged ops through :meth:`abatch` (so wrappers of it see them) as ``grant``."""
        token = _MERGED_GRANT.set(grant)
        try:
            return await self.abatch(ops)
        finally:
            _MERGED_GRANT.reset(token)

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Async twin of :meth:`batch`, on the ``AsyncMongoClient`` (same semantics and errors)."""
        return await self._arun(self._plan_batch(list(ops)))

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
            namespace: Tuple of labels, e.g. ``("agent", "qa")``; the first label cannot be
                ``"langgraph"`` (reserved, as in LangGraph).
            key: The item's key within the namespace.
            value: A dict of JSON-like data (see :mod:`~langgraph_genesis_memory.store._validation`)
                of at most 16 MB as a MongoDB document.
            index: Which fields feed search (``False``: none; a list of JSON paths).
            ttl: Minutes until the item expires after its last access; ``None`` never expires.
                Not given: the namespace policy of the first label, else ``default_ttl``.

        Raises:
            As :meth:`batch`.
        """
        self.batch([put_op(namespace, key, value, index, ttl)])

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
        await self._submit(put_op(namespace, key, value, index, ttl))

    def get(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """Read one item (LangGraph ``BaseStore.get``); ``None`` if absent or expired.

        Args:
            namespace: The item's namespace (a tuple).
            key: Its key (a string; never coerced).
            refresh_ttl: Whether reading slides the item's TTL (default: the store's
                ``refresh_on_read``).

        Raises:
            InvalidNamespaceError, InvalidKeyError, InvalidArgumentError: Before any I/O.
            DatabaseUnavailableError: If MongoDB does not answer within the timeout.
        """
        return self.batch([get_op(namespace, key, refresh_ttl)])[0]  # type: ignore[return-value]

    async def aget(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """Async twin of :meth:`get`."""
        return await self._submit(get_op(namespace, key, refresh_ttl))  # type: ignore[return-value]

    def delete(self, namespace: tuple[str, ...], key: str) -> None:
        """Delete one item, and its vectors (LangGraph ``BaseStore.delete``).

        Raises:
            InvalidNamespaceError, InvalidKeyError: Before any I/O (``delete(ns, None)`` is an
                error, never a delete of key ``"None"``).
            DatabaseUnavailableError: If MongoDB does not answer within the timeout.
        """
        self.batch([delete_op(namespace, key)])

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        """Async twin of :meth:`delete`."""
        await self._submit(delete_op(namespace, key))

    def search(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
        search_mode: SearchMode | None = None,
        graph_depth: int | None = None,
        graph_weight: float | None = None,
        as_of: datetime | None = None,
        recency_weight: float = 0.0,
        resolve_dates: bool = False,
        reference_time: datetime | None = None,
    ) -> list[SearchItem]:
        """Search items under a namespace prefix (LangGraph ``BaseStore.search``).

        Args:
            namespace_prefix: A tuple (or list) of labels; ``()`` searches everything.
            query: Natural-language query: ranks by meaning and words (see the class
                docstring); ``None``: newest first.
            filter: Conditions on the value (see :mod:`~langgraph_genesis_memory.store._filters`).
            limit: At most this many items (0 to 2**31-1).
            offset: Skip this many (0 to 2**31-1).
            refresh_ttl: Whether returned items' TTLs slide (default: ``refresh_on_read``).
            search_mode, graph_depth, graph_weight, as_of, recency_weight, resolve_dates,
                reference_time: Graph and time options of this search (see
                :class:`~langgraph_genesis_memory.store.SearchOptions`): with any of them the
                search runs as a :class:`~langgraph_genesis_memory.store.GenesisSearchOp`.
                Whatever they are, searches return current facts (no ``valid_to`` passed),
                or with ``as_of`` (timezone-aware) the facts valid then.

        Raises:
            InvalidNamespaceError, InvalidFilterError, InvalidArgumentError: Before any I/O.
            AccessDeniedError: With an access policy and no principal (before any I/O).
            MissingDependencyError: ``resolve_dates=True`` without ``dateparser`` (extra
                ``dates``).
            ConfigurationError: If the collection was set up at a schema older than 3 and this
                store has not called ``setup()`` (see ``CHANGELOG`` "Upgrading").
            DatabaseUnavailableError: If MongoDB does not answer within the timeout.
        """
        options = SearchOptions(search_mode, graph_depth, graph_weight, as_of, recency_weight,
                                resolve_dates, reference_time)  # fmt: skip
        op = search_op(namespace_prefix, query, filter, limit, offset, refresh_ttl, options)
        return self.batch([op])[0]  # type: ignore[return-value]

    async def asearch(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
        search_mode: SearchMode | None = None,
        graph_depth: int | None = None,
        graph_weight: float | None = None,
        as_of: datetime | None = None,
        recency_weight: float = 0.0,
        resolve_dates: bool = False,
        reference_time: datetime | None = None,
    ) -> list[SearchItem]:
        """Async twin of :meth:`search`."""
        options = SearchOptions(search_mode, graph_depth, graph_weight, as_of, recency_weight,
                                resolve_dates, reference_time)  # fmt: skip
        op = search_op(namespace_prefix, query, filter, limit, offset, refresh_ttl, options)
        return await self._submit(op)  # type: ignore[return-value]

    def list_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """List namespaces (LangGraph ``BaseStore.list_namespaces``), in tuple order.

        Args:
            prefix: Labels the namespace starts with (tuple or list; ``"*"`` matches any
                one label). A plain string is refused, never split into characters.
            suffix: Labels the namespace ends with (same form).
            max_depth: Cut namespaces to their first ``max_depth`` labels (then de-duplicate).
            limit: At most this many namespaces (0 to 2**31-1).
            offset: Skip this many (0 to 2**31-1).

        Raises:
            InvalidNamespaceError, InvalidArgumentError: Before any I/O.
            DatabaseUnavailableError: If MongoDB does not answer within the timeout.
        """
        op = list_namespaces_op(prefix, suffix, max_depth, limit, offset)
        return self.batch([op])[0]  # type: ignore[return-value]

    async def alist_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """Async twin of :meth:`list_namespaces`."""
        op = list_namespaces_op(prefix, suffix, max_depth, limit, offset)
        return await self._submit(op)  # type: ignore[return-value]

    # -- schema --------------------------------------------------------------------------------
    def _plan_setup(self) -> Plan[int]:
        optional = [TTL_INDEX] if self.ttl_index else []
        if self._schema.search.lexical == "text_index":
            optional.append(TEXT_INDEX)
        optional.extend(self.filter_indexes)
        component = self._component
        version = yield from plan_setup(component, STORE_MIGRATIONS)
        self._schema_checked = True  # the schema is current: searches need not ask again
        yield from plan_optional_indexes(component, optional)
        if self.audit_ttl is not None:
            audit = self.audit_collection
            yield from plan_optional_indexes(f"store:{audit}", AUDIT_INDEXES, collection=audit)
        return version

    def setup(self) -> int:
        """Create the store's indexes (idempotent and versioned; safe to call every start).

        Versioned indexes: ``ns_key`` (namespaces). By configuration: MongoDB's TTL index on
        ``expires_at`` (``ttl_index=True``), the text index on ``search_text``
        (``lexical="text_index"``), and one index per ``filter_indexes`` path.

        Returns:
            The schema version now in place.
        """
        return self._run(self._plan_setup(), per_request=True)

    async def asetup(self) -> int:
        """Async twin of :meth:`setup`."""
        return await self._arun(self._plan_setup(), per_request=True)

    # -- derived indexes -------------------------------------------------------------------------
    def _plan_reindex(self, full: bool, batch_size: int, progress: Any) -> Plan[ReindexResult]:
        if not self._schema.indexes.names:
            raise ConfigurationError(
                "reindex() needs a derived index: a store built with index= (IndexConfig) or "
                "with a word index (lexical='index')."
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidArgumentError(
                f"batch_size must be a positive integer; got {batch_size!r}."
            )
        live = {"expires_at_ms": {"$gt": int(self._clock().timestamp() * 1000)}}
        return plan_reindex(
            live, self._schema.indexes, full=full, batch_size=batch_size, progress=progress
        )

    def reindex(
        self, *, full: bool = False, batch_size: int = 256, progress: bool | None = None
    ) -> ReindexResult:
        """Repair the derived indexes (vectors, words) to exact agreement with MongoDB, or
        rebuild them.

        Repair (default): re-index items whose index update failed (flagged in MongoDB), delete
        entries of deleted or expired items and of removed fields, and re-index items whose
        entries do not match their current text (items written before an index existed
        included). ``full=True`` drops every entry and re-indexes every live item: use it after
        changing the embedding model or ``dims``.

        Args:
            full: Rebuild everything instead of repairing.
            batch_size: Items embedded and written per step.
            progress: ``True`` shows a progress bar (``tqdm``) at once, ``False`` never; the
                default shows it once the work has run for two seconds.

        Returns:
            A :class:`~langgraph_genesis_memory.store._indexing.ReindexResult`.

        Raises:
            ConfigurationError: If the store has no derived index.
            InvalidArgumentError: If ``batch_size`` is not a positive integer.
        """
        with _progress_bar(progress) as bar:
            return self._run(self._plan_reindex(full, batch_size, bar), per_request=True)

    async def areindex(
        self, *, full: bool = False, batch_size: int = 256, progress: bool | None = None
    ) -> ReindexResult:
        """Async twin of :meth:`reindex`."""
        with _progress_bar(progress) as bar:
            return await self._arun(self._plan_reindex(full, batch_size, bar), per_request=True)

    # -- TTL sweeps ----------------------------------------------------------------------------
    def _plan_sweep(self) -> Plan[int]:
        return plan_sweep_items(
            self._clock(), indexes=self._schema.indexes.names, postings=self._schema.postings
        )

    def sweep(self) -> int:
        """Delete every expired item now, with its vectors.

        MongoDB's TTL index removes expired items in the background (about once a minute); this
        does it at once, and where no TTL monitor runs. Expired items are never returned by
        reads whether or not they have been swept. With a vector index, vectors whose items
        MongoDB's TTL monitor already removed are deleted too.

        Returns:
            The number of items removed.

        Raises:
            DatabaseUnavailableError: If MongoDB does not answer within the timeout (each
                step of a sweep has the whole timeout).
        """
        return int(self._run(self._plan_sweep(), per_request=True))

    async def asweep(self) -> int:
        """Async twin of :meth:`sweep`."""
        return int(await self._arun(self._plan_sweep(), per_request=True))

    def sweep_ttl(self) -> int:
        """LangGraph's name for :meth:`sweep` (as ``PostgresStore.sweep_ttl``).

        Returns:
            The number of items removed.
        """
        return self.sweep()

    async def asweep_ttl(self) -> int:
        """LangGraph's name for :meth:`asweep` (as ``AsyncPostgresStore.sweep_ttl``)."""
        return await self.asweep()

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
        """Sweep expired items periodically in a background thread (as ``PostgresStore``).

        Calling it again while the sweeper runs (for example after ``from_conn_string``
        started one from ``TTLConfig``) returns the running sweeper's future.

        Args:
            sweep_interval_minutes: Minutes between sweeps; default the ``TTLConfig`` value.

        Returns:
            A future that completes when the sweeper stops (:meth:`stop_ttl_sweeper`).

        Raises:
            ConfigurationError: If no interval is given or configured.
        """
        if self._sweeper is not None and self._sweeper.is_alive() and self._sweeper_done:
            return self._sweeper_done
        interval = self._interval_seconds(sweep_interval_minutes)
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
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
        self._sweeper_done = done
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

        Calling it again while the task runs returns the running task.

        Returns:
            The task; cancel it or call :meth:`astop_ttl_sweeper` to stop.

        Raises:
            ConfigurationError: If no interval is given or configured.
        """
        if self._async_sweeper is not None and not self._async_sweeper.done():
            return self._async_sweeper
        interval = self._interval_seconds(sweep_interval_minutes)

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

    # -- operations ----------------------------------------------------------------------------
    def stats(self, *, top: int = 10, depth: int = 2, saver: Any = None) -> Any:
        """Statistics computed by MongoDB aggregations (no document is read into Python).

        Items and bytes (BSON) in all, per first namespace label and for the ``top`` namespace
        prefixes of ``depth`` labels; items expiring in the next 24 hours, expired but not yet
        swept, and without a TTL; with a vector index its model, dims, the vectors MongoDB
        records and the entries Chroma holds, and items pending repair; with ``saver``, its
        threads, checkpoints and bytes.

        Args:
            top: How many namespace prefixes to report (at least 1).
            depth: Labels per reported prefix (at least 1).
            saver: A ``GenesisSaver`` whose statistics to include.

        Returns:
            A :class:`~langgraph_genesis_memory.ops.StoreStats` (``to_dict()`` for JSON).

        Raises:
            InvalidArgumentError: If ``top`` or ``depth`` is not a positive integer.
            DatabaseUnavailableError: If MongoDB does not answer within the timeout.
        """
        from langgraph_genesis_memory.ops import store_stats

        return store_stats(self, top=top, depth=depth, saver=saver)

    async def astats(self, *, top: int = 10, depth: int = 2, saver: Any = None) -> Any:
        """Async twin of :meth:`stats`."""
        from langgraph_genesis_memory.ops import astore_stats

        return await astore_stats(self, top=top, depth=depth, saver=saver)

    def health(self) -> Any:
        """Check MongoDB and the vector index; never raises for an unreachable MongoDB.

        Writes, reads back and deletes a probe item in the ``system`` namespace
        ``("system", "genesis_health")`` through the store's own batch path, timing each step;
        reads the server version and deployment kind (standalone, replica set, sharded); with
        a vector index, checks that Chroma answers and agrees with MongoDB.

        Returns:
            A :class:`~langgraph_genesis_memory.ops.HealthReport`: ``status`` is ``"ok"``,
            ``"degraded"`` (the vector index is unreachable or behind: run :meth:`reindex`) or
            ``"unavailable"`` (MongoDB did not answer within the timeout).
        """
        from langgraph_genesis_memory.ops import health

        return health(self)

    async def ahealth(self) -> Any:
        """Async twin of :meth:`health`."""
        from langgraph_genesis_memory.ops import ahealth

        return await ahealth(self)
