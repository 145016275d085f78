"""The operations' Python API: argument checks, then a plan run by the sync or async driver."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from langgraph.store.base import NOT_PROVIDED, NotProvided

from langgraph_genesis_memory._connection import describe_client
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    InvalidArgumentError,
    MissingDependencyError,
)
from langgraph_genesis_memory.ops._backup import (
    CONFLICT_POLICIES,
    BackupReport,
    ConflictPolicy,
    RestoreReport,
    plan_backup,
    plan_restore,
)
from langgraph_genesis_memory.ops._drive import Endpoints, arun_ops, run_ops
from langgraph_genesis_memory.ops._format import BackupReader, BackupWriter, WriteBehind
from langgraph_genesis_memory.ops._health import HealthReport, plan_health
from langgraph_genesis_memory.ops._migrate import (
    MigrationConflict,
    MigrationReport,
    plan_migrate_saver,
    plan_migrate_store,
)
from langgraph_genesis_memory.ops._records import TargetSettings, epoch_ms
from langgraph_genesis_memory.ops._stats import (
    CheckpointStats,
    IndexStats,
    StoreStats,
    plan_saver_stats,
    plan_store_stats,
)
from langgraph_genesis_memory.store._ttl import check_ttl
from langgraph_genesis_memory.store._validation import validate_namespace_prefix

EXPIRY_MODES = ("absolute", "remaining")


# -- helpers ------------------------------------------------------------------------------------
def _now(store: Any) -> datetime:
    clock = getattr(store, "_clock", None)
    return clock() if callable(clock) else datetime.now(UTC)


def _positive(value: object, name: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidArgumentError(f"{name} must be an integer >= {low}; got {value!r}.")
    return value


def _check_store(store: Any) -> None:
    if not hasattr(store, "_make_target") or not hasattr(store, "ttl_policy"):
        raise InvalidArgumentError(
            f"Expected a GenesisStore; got {type(store).__name__}. To copy another LangGraph "
            "store, use migrate_store(source, target)."
        )


def _check_saver(saver: Any, what: str = "saver") -> None:
    if saver is not None and not hasattr(saver, "collections"):
        raise InvalidArgumentError(
            f"{what} must be a GenesisSaver; got {type(saver).__name__}. To copy another "
            "LangGraph checkpointer, use migrate_saver(source, target)."
        )


def model_name(embeddings: Any) -> str | None:
    """A printable name of an embedding model: its class, and its model name when it has one."""
    if embeddings is None:
        return None
    name = type(embeddings).__name__
    for attribute in ("model_name", "model", "model_id"):
        inner = getattr(embeddings, attribute, None)
        if isinstance(inner, str) and inner:
            return f"{name}:{inner}"
    return name


def target_settings(store: Any) -> TargetSettings:
    """What writing items into ``store`` needs to know of its configuration."""
    config = getattr(store, "index_config", None) or None
    derived = any(
        getattr(store, name, None) is not None
        for name in ("vector_index", "async_vector_index", "word_index", "async_word_index")
    )
    search = getattr(getattr(store, "_schema", None), "search", None)
    return TargetSettings(
        ttl=store.ttl_policy,
        derived=derived,
        vector_fields=list(config["fields"]) if config else None,
        text_index=getattr(search, "lexical", None) == "text_index",
        dims=int(config["dims"]) if config else None,
        model=model_name(getattr(store, "embeddings", None)),
        reserved_fields=getattr(getattr(store, "_schema", None), "reserved_fields", True),
    )


def _index_info(store: Any) -> dict[str, Any] | None:
    settings = target_settings(store)
    if settings.vector_fields is None:
        return None
    return {"model": settings.model, "dims": settings.dims, "fields": settings.vector_fields}


@contextmanager
def _bar(progress: bool | None, description: str, unit: str) -> Iterator[Any]:
    if progress is False:
        yield None
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=None, desc=description, unit=unit, delay=0 if progress else 2)
    try:
        yield bar
    finally:
        bar.close()


def _deployment(component: Any) -> str:
    client = getattr(component, "client", None) or getattr(component, "async_client", None)
    return describe_client(client) if client is not None else ""


# -- backup -------------------------------------------------------------------------------------
def _backup_setup(
    store: Any,
    path: str | os.PathLike[str],
    namespace_prefix: Sequence[str],
    include_vectors: bool,
    saver: Any,
    threads: Sequence[str] | None,
    overwrite: bool,
) -> tuple[dict[str, Any], BackupWriter, Plan[BackupReport]]:
    _check_store(store)
    _check_saver(saver)
    prefix = validate_namespace_prefix(tuple(namespace_prefix))
    if include_vectors and getattr(store, "index_config", None) is None:
        raise ConfigurationError("include_vectors=True needs a store built with index=.")
    if threads is not None and (
        isinstance(threads, str) or not all(isinstance(t, str) and t for t in threads)
    ):
        raise InvalidArgumentError(f"threads must be a list of thread ids; got {threads!r:.80}.")
    now = _now(store)
    header = {
        "created_at": now.isoformat(),
        "package": _package_version(),
        "source": {
            "deployment": _deployment(store),
            "database": store.database,
            "collection": store.collection_name,
            "checkpoints": None if saver is None else saver.collections.checkpoints,
        },
        "options": {
            "namespace_prefix": list(prefix),
            "vectors": bool(include_vectors),
            "checkpoints": saver is not None,
            "threads": None if threads is None else list(threads),
        },
        "index": _index_info(store),
    }
    plan = plan_backup(
        namespace_prefix=prefix,
        vectors=bool(include_vectors),
        checkpoints=saver is not None,
        serde=None if saver is None else saver.serde,
        now_ms=epoch_ms(now),
    )
    return header, BackupWriter(path, overwrite=overwrite), plan


def _package_version() -> str:
    from langgraph_genesis_memory import __version__

    return __version__


def _abort(behind: WriteBehind, writer: BackupWriter) -> None:
    try:
        behind.close()
    except BaseException:  # the first failure is the one raised
        pass
    writer.abort()


def _finish(writer: BackupWriter, header: dict[str, Any], report: BackupReport) -> BackupReport:
    report.header = writer.commit(header)
    report.path = str(writer.path)
    report.bytes = writer.path.stat().st_size
    return report


def _sync_listing(saver: Any, threads: Sequence[str] | None) -> Iterator[Any]:
    if threads is None:
        yield from saver.list(None)
        return
    for thread_id in threads:
        yield from saver.list({"configurable": {"thread_id": thread_id}})


async def _async_listing(saver: Any, threads: Sequence[str] | None) -> AsyncIterator[Any]:
    configs = [None] if threads is None else [{"configurable": {"thread_id": t}} for t in threads]
    for config in configs:
        async for tup in saver.alist(config):
            yield tup


def backup(
    store: Any,
    path: str | os.PathLike[str],
    *,
    namespace_prefix: Sequence[str] = (),
    include_vectors: bool = False,
    saver: Any = None,
    threads: Sequence[str] | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
) -> BackupReport:
    """Back a store (and optionally a saver's checkpoints) up to a compressed JSON Lines file.

    Items are streamed in ``_id`` order, a page of 1,000 per round trip, so memory stays
    constant; each keeps its namespace, key, value, ``created_at``, ``updated_at``, TTL
    (minutes) and expiry. Expired items are left out. The file is written beside ``path`` and
    renamed into place when complete. Format: :mod:`langgraph_genesis_memory.ops` docstring.

    Args:
        store: The ``GenesisStore`` to back up.
        path: The file to create (conventionally ``*.jsonl.gz``).
        namespace_prefix: Only items under this namespace prefix (``()``: all).
        include_vectors: Also save each item's vectors from the vector index (restoring into
            a store with the same model and dims then needs no re-embedding).
        saver: A ``GenesisSaver`` whose checkpoints (every thread, or ``threads``) are saved.
        threads: Only these thread ids (with ``saver``).
        overwrite: Replace an existing file.
        progress: ``True`` shows a progress bar at once, ``False`` never; default after 2 s.

    Returns:
        A :class:`BackupReport` (counts, size, header).

    Raises:
        InvalidArgumentError, InvalidNamespaceError: For bad arguments (before any I/O).
        ConfigurationError: If ``include_vectors`` is asked of a store without an index.
        DatabaseUnavailableError: If MongoDB does not answer (the file is not created).

    Example:
        >>> from langgraph_genesis_memory.ops import backup
        >>> backup(store, "memories.jsonl.gz", namespace_prefix=("agent",))  # doctest: +SKIP
    """
    header, writer, plan = _backup_setup(
        store, path, namespace_prefix, include_vectors, saver, threads, overwrite
    )
    behind = WriteBehind(writer)
    try:
        with _bar(progress, "backup", "record") as bar:
            ends = Endpoints(
                store=store,
                writer=behind,
                progress=bar,
                checkpoints=None if saver is None else _sync_listing(saver, threads),
            )
            report = run_ops(plan, ends)
        behind.close()
    except BaseException:
        _abort(behind, writer)
        raise
    return _finish(writer, header, report)


async def abackup(
    store: Any,
    path: str | os.PathLike[str],
    *,
    namespace_prefix: Sequence[str] = (),
    include_vectors: bool = False,
    saver: Any = None,
    threads: Sequence[str] | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
) -> BackupReport:
    """Async twin of :func:`backup` (the store's and saver's async clients; same arguments)."""
    import asyncio

    header, writer, plan = _backup_setup(
        store, path, namespace_prefix, include_vectors, saver, threads, overwrite
    )
    behind = WriteBehind(writer)
    try:
        with _bar(progress, "backup", "record") as bar:
            ends = Endpoints(
                store=store,
                writer=behind,
                progress=bar,
                checkpoints=None if saver is None else _async_listing(saver, threads),
            )
            report = await arun_ops(plan, ends)
        await asyncio.to_thread(behind.close)
    except BaseException:
        await asyncio.to_thread(_abort, behind, writer)
        raise
    return await asyncio.to_thread(_finish, writer, header, report)


# -- restore ------------------------------------------------------------------------------------
def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The header of a backup file (format, version, source, options, counts, checksum).

    Raises:
        BackupFormatError: If the file is not a backup this package reads.
        InvalidArgumentError: If there is no file at ``path``.
    """
    return BackupReader(path).header


def _restore_setup(
    store: Any,
    path: str | os.PathLike[str],
    conflict: str,
    saver: Any,
    expiry: str,
    vectors: bool,
    reindex: bool,
) -> tuple[BackupReader, Plan[RestoreReport]]:
    _check_store(store)
    _check_saver(saver)
    if conflict not in CONFLICT_POLICIES:
        raise InvalidArgumentError(
            f"conflict must be one of {', '.join(CONFLICT_POLICIES)}; got {conflict!r}."
        )
    if expiry not in EXPIRY_MODES:
        raise InvalidArgumentError(f"expiry must be 'absolute' or 'remaining'; got {expiry!r}.")
    reader = BackupReader(path)
    header = reader.header
    settings = target_settings(store)
    now = _now(store)
    shift = timedelta(0)
    if expiry == "remaining":
        try:
            shift = now - datetime.fromisoformat(str(header.get("created_at")))
        except ValueError:
            shift = timedelta(0)
    source_index = header.get("index") or {}
    with_vectors = bool(
        vectors
        and (header.get("options") or {}).get("vectors")
        and settings.vector_fields is not None
        and source_index.get("dims") == settings.dims
        and source_index.get("model") == settings.model
    )
    plan = plan_restore(
        settings=settings,
        conflict=conflict,  # type: ignore[arg-type]
        now=now,
        shift=shift,
        with_vectors=with_vectors,
        saver_serde=None if saver is None else saver.serde,
        reindex=reindex,
    )
    return reader, plan


def restore(
    store: Any,
    path: str | os.PathLike[str],
    *,
    conflict: ConflictPolicy = "skip",
    saver: Any = None,
    expiry: str = "absolute",
    vectors: bool = True,
    reindex: bool = True,
    progress: bool | None = None,
) -> RestoreReport:
    """Restore a backup into a store (empty or not) and, optionally, a saver.

    The whole file is checked first (every record, then its SHA-256 checksum and counts against
    the header; with ``conflict="fail"`` also the target's items), so a damaged backup or a
    conflict writes nothing. Items keep their timestamps, TTL and expiry; items expired by now
    are not written. Running a restore again (after an interruption, say) is safe: items
    already restored are skipped (or rewritten with the same content).

    Args:
        store: The target ``GenesisStore``.
        path: The backup file.
        conflict: For an item the target already has: ``"skip"`` keeps the target's item
            (default), ``"overwrite"`` replaces it with the backup's, ``"fail"`` refuses the
            restore (before writing anything) if any item differs from the backup's.
        saver: A ``GenesisSaver`` (or any LangGraph checkpointer) for the backup's checkpoints;
            without one they are skipped. Existing checkpoints are kept unless ``"overwrite"``.
        expiry: ``"absolute"`` keeps each item's expiry instant (default);``"remaining"`` keeps
            the TTL that remained at backup time, counted from now.
        vectors: Use the backup's vectors when the target's model and dims match (else items
            are embedded again by ``reindex``).
        reindex: Run ``store.reindex()`` at the end if the store has derived indexes (restored
            items are flagged for it).
        progress: ``True`` shows a progress bar at once, ``False`` never; default after 2 s.

    Returns:
        A :class:`RestoreReport`.

    Raises:
        InvalidArgumentError: For bad arguments, or no file at ``path`` (before any I/O).
        BackupFormatError: If the file is damaged or of another format (nothing written).
        RestoreConflictError: With ``conflict="fail"`` (nothing written).
        DatabaseUnavailableError: If MongoDB does not answer (run the restore again).
    """
    reader, plan = _restore_setup(store, path, conflict, saver, expiry, vectors, reindex)
    with _bar(progress, "restore", "record") as bar:
        report = run_ops(plan, Endpoints(store=store, saver=saver, reader=reader, progress=bar))
    report.header = reader.header
    return report


async def arestore(
    store: Any,
    path: str | os.PathLike[str],
    *,
    conflict: ConflictPolicy = "skip",
    saver: Any = None,
    expiry: str = "absolute",
    vectors: bool = True,
    reindex: bool = True,
    progress: bool | None = None,
) -> RestoreReport:
    """Async twin of :func:`restore` (same arguments; the file is read in a worker thread)."""
    reader, plan = _restore_setup(store, path, conflict, saver, expiry, vectors, reindex)
    with _bar(progress, "restore", "record") as bar:
        ends = Endpoints(store=store, saver=saver, reader=reader, progress=bar)
        report = await arun_ops(plan, ends)
    report.header = reader.header
    return report


# -- migration ----------------------------------------------------------------------------------
def _migrate_store_setup(
    source: Any,
    target: Any,
    namespace_prefix: Sequence[str],
    conflict: str,
    ttl: float | None | NotProvided,
    batch_size: int,
    sample: int,
    seed: int | None,
    verify: bool,
    reindex: bool,
) -> Plan[MigrationReport]:
    from langgraph.store.base import BaseStore

    if not isinstance(source, BaseStore):
        raise InvalidArgumentError(f"source must be a LangGraph BaseStore; got {source!r:.80}.")
    _check_store(target)
    if conflict not in ("skip", "overwrite"):
        raise InvalidArgumentError(f"conflict must be 'skip' or 'overwrite'; got {conflict!r}.")
    if not isinstance(ttl, NotProvided):
        check_ttl(ttl, "ttl", InvalidArgumentError)
    return plan_migrate_store(
        namespace_prefix=validate_namespace_prefix(tuple(namespace_prefix)),
        settings=target_settings(target),
        conflict=conflict,  # type: ignore[arg-type]
        now=_now(target),
        ttl=ttl,
        batch_size=_positive(batch_size, "batch_size"),
        verify=bool(verify),
        sample=_positive(sample, "sample", 0),
        rng=random.Random(seed),
        reindex=reindex,
    )


def migrate_store(
    source: Any,
    target: Any,
    *,
    namespace_prefix: Sequence[str] = (),
    conflict: MigrationConflict = "overwrite",
    ttl: float | None | NotProvided = NOT_PROVIDED,
    batch_size: int = 500,
    verify: bool = True,
    sample: int = 100,
    seed: int | None = None,
    reindex: bool = True,
    progress: bool | None = None,
) -> MigrationReport:
    """Copy every item of any LangGraph ``BaseStore`` into a ``GenesisStore``.

    Works with ``InMemoryStore``, ``SqliteStore``, ``PostgresStore``, ``MongoDBStore``,
    ``RedisStore``... through LangGraph's public API only (``list_namespaces`` and ``search``,
    page by page; TTLs of the source are not refreshed). Items keep their ``created_at`` and
    ``updated_at``; their TTL is the target's policy (or ``ttl``), counted from now. Then a
    verification pass compares per-namespace counts and a random sample of items.

    Args:
        source: The store to read.
        target: The ``GenesisStore`` to write.
        namespace_prefix: Only namespaces under this prefix (``()``: all).
        conflict: ``"overwrite"`` (default: the target ends equal to the source, so running a
            migration again is safe) or ``"skip"`` (keep the target's items).
        ttl: TTL in minutes for every copied item (``None``: never expires); default: the
            target's namespace policies and ``default_ttl``.
        batch_size: Items read per ``search`` and written per bulk write.
        verify: Run the verification pass (report in ``verified`` / ``problems``).
        sample: Items compared one by one by the verification.
        seed: Seed of the sample's randomness.
        reindex: Run ``target.reindex()`` at the end if it has derived indexes.
        progress: ``True`` shows a progress bar at once, ``False`` never; default after 2 s.

    Returns:
        A :class:`MigrationReport`. Items the target refuses (say, a value holding a
        ``datetime``) are counted in ``invalid`` and named in ``problems``; the others are
        copied.

    Raises:
        InvalidArgumentError, InvalidNamespaceError: For bad arguments (before any I/O).
        DatabaseUnavailableError: If MongoDB does not answer (run it again: it is idempotent).
    """
    plan = _migrate_store_setup(
        source, target, namespace_prefix, conflict, ttl, batch_size, sample, seed, verify,
        reindex,
    )  # fmt: skip
    with _bar(progress, "migrate items", "item") as bar:
        return run_ops(plan, Endpoints(store=target, source_store=source, progress=bar))


async def amigrate_store(
    source: Any,
    target: Any,
    *,
    namespace_prefix: Sequence[str] = (),
    conflict: MigrationConflict = "overwrite",
    ttl: float | None | NotProvided = NOT_PROVIDED,
    batch_size: int = 500,
    verify: bool = True,
    sample: int = 100,
    seed: int | None = None,
    reindex: bool = True,
    progress: bool | None = None,
) -> MigrationReport:
    """Async twin of :func:`migrate_store` (``asearch``... on the source, the async client on
    the target; same arguments)."""
    plan = _migrate_store_setup(
        source, target, namespace_prefix, conflict, ttl, batch_size, sample, seed, verify,
        reindex,
    )  # fmt: skip
    with _bar(progress, "migrate items", "item") as bar:
        return await arun_ops(plan, Endpoints(store=target, source_store=source, progress=bar))


def _migrate_saver_setup(
    source: Any, target: Any, conflict: str, sample: int, seed: int | None, verify: bool
) -> Plan[MigrationReport]:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    if not isinstance(source, BaseCheckpointSaver):
        raise InvalidArgumentError(
            f"source must be a LangGraph BaseCheckpointSaver; got {source!r:.80}."
        )
    if target is None:
        raise InvalidArgumentError("target must be a GenesisSaver.")
    _check_saver(target, "target")
    if conflict not in ("skip", "overwrite"):
        raise InvalidArgumentError(f"conflict must be 'skip' or 'overwrite'; got {conflict!r}.")
    return plan_migrate_saver(
        checkpoints_collection=target.collections.checkpoints,
        conflict=conflict,  # type: ignore[arg-type]
        verify=bool(verify),
        sample=_positive(sample, "sample", 0),
        rng=random.Random(seed),
    )


def _check_threads(thread_ids: Sequence[str] | None) -> None:
    if thread_ids is not None and (
        isinstance(thread_ids, str) or not all(isinstance(t, str) and t for t in thread_ids)
    ):
        raise InvalidArgumentError(
            f"thread_ids must be a list of thread ids; got {thread_ids!r:.80}."
        )


def migrate_saver(
    source: Any,
    target: Any,
    *,
    thread_ids: Sequence[str] | None = None,
    conflict: MigrationConflict = "overwrite",
    verify: bool = True,
    sample: int = 20,
    seed: int | None = None,
    progress: bool | None = None,
) -> MigrationReport:
    """Copy every thread of any LangGraph ``BaseCheckpointSaver`` into a ``GenesisSaver``.

    Works with ``InMemorySaver``, ``SqliteSaver``, ``PostgresSaver``, ``MongoDBSaver``... through
    LangGraph's public API: ``list`` (every checkpoint of every namespace, with its pending
    writes) on the source, ``put``/``put_writes`` on the target, with the same thread,
    namespace and checkpoint ids, so graphs resume on the target where they stopped. Then a
    verification pass compares per-thread checkpoint counts and a random sample of checkpoints
    (values, versions, metadata, pending writes) read back from both.

    Args:
        source: The checkpointer to read.
        target: The ``GenesisSaver`` to write.
        thread_ids: Only these threads (default: all).
        conflict: ``"overwrite"`` (default) or ``"skip"`` (keep checkpoints the target has).
        verify: Run the verification pass.
        sample: Checkpoints compared one by one.
        seed: Seed of the sample's randomness.
        progress: ``True`` shows a progress bar at once, ``False`` never; default after 2 s.

    Returns:
        A :class:`MigrationReport` (``kind="checkpoints"``, ``groups`` = threads).

    Raises:
        InvalidArgumentError: For bad arguments (before any I/O).
        DatabaseUnavailableError: If MongoDB does not answer (run it again: it is idempotent).
    """
    _check_threads(thread_ids)
    plan = _migrate_saver_setup(source, target, conflict, sample, seed, verify)
    with _bar(progress, "migrate checkpoints", "checkpoint") as bar:
        ends = Endpoints(
            saver=target,
            source_saver=source,
            checkpoints=_sync_listing(source, thread_ids),
            progress=bar,
        )
        return run_ops(plan, ends)


async def amigrate_saver(
    source: Any,
    target: Any,
    *,
    thread_ids: Sequence[str] | None = None,
    conflict: MigrationConflict = "overwrite",
    verify: bool = True,
    sample: int = 20,
    seed: int | None = None,
    progress: bool | None = None,
) -> MigrationReport:
    """Async twin of :func:`migrate_saver` (``alist``/``aput``...; same arguments)."""
    _check_threads(thread_ids)
    plan = _migrate_saver_setup(source, target, conflict, sample, seed, verify)
    with _bar(progress, "migrate checkpoints", "checkpoint") as bar:
        ends = Endpoints(
            saver=target,
            source_saver=source,
            checkpoints=_async_listing(source, thread_ids),
            progress=bar,
        )
        return await arun_ops(plan, ends)


# -- statistics and health ----------------------------------------------------------------------
def _stats_plan(store: Any, top: int, depth: int) -> Plan[StoreStats]:
    _check_store(store)
    settings = target_settings(store)
    index = None
    if settings.vector_fields is not None:
        index = IndexStats(model=settings.model, dims=settings.dims, fields=settings.vector_fields)
    return plan_store_stats(
        database=store.database,
        collection=store.collection_name,
        now_ms=epoch_ms(_now(store)),
        top=_positive(top, "top"),
        depth=_positive(depth, "depth"),
        index=index,
    )


def store_stats(store: Any, *, top: int = 10, depth: int = 2, saver: Any = None) -> StoreStats:
    """Statistics of a ``GenesisStore`` (and of a saver), computed by MongoDB aggregations.

    Same as :meth:`GenesisStore.stats`.
    """
    _check_saver(saver)
    stats = run_ops(_stats_plan(store, top, depth), Endpoints(store=store))
    if saver is not None:
        stats.checkpoints = saver_stats(saver)
    return stats


async def astore_stats(
    store: Any, *, top: int = 10, depth: int = 2, saver: Any = None
) -> StoreStats:
    """Async twin of :func:`store_stats`."""
    _check_saver(saver)
    stats = await arun_ops(_stats_plan(store, top, depth), Endpoints(store=store))
    if saver is not None:
        stats.checkpoints = await asaver_stats(saver)
    return stats


def saver_stats(saver: Any) -> CheckpointStats:
    """Statistics of a ``GenesisSaver``: threads, checkpoints, documents, bytes, pending writes.

    Same as :meth:`GenesisSaver.stats`.
    """
    _check_saver(saver)
    plan = plan_saver_stats(saver.collections.checkpoints, saver.collections.writes)
    return run_ops(plan, Endpoints(saver=saver))


async def asaver_stats(saver: Any) -> CheckpointStats:
    """Async twin of :func:`saver_stats`."""
    _check_saver(saver)
    plan = plan_saver_stats(saver.collections.checkpoints, saver.collections.writes)
    return await arun_ops(plan, Endpoints(saver=saver))


def _health_plan(store: Any) -> Plan[HealthReport]:
    _check_store(store)
    return plan_health(
        probe_key=f"probe-{uuid.uuid4().hex}",
        stamp=uuid.uuid4().hex,
        vectors=target_settings(store).vector_fields is not None,
        deployment=_deployment(store),
    )


def _unavailable(store: Any, exc: Exception) -> HealthReport:
    return HealthReport(status="unavailable", deployment=_deployment(store), problems=[str(exc)])


def health(store: Any) -> HealthReport:
    """Check a store's health. Same as :meth:`GenesisStore.health` (never raises for an
    unreachable MongoDB: the report says ``"unavailable"``)."""
    plan = _health_plan(store)
    try:
        return run_ops(plan, Endpoints(store=store))
    except DatabaseUnavailableError as exc:
        return _unavailable(store, exc)


async def ahealth(store: Any) -> HealthReport:
    """Async twin of :func:`health`."""
    plan = _health_plan(store)
    try:
        return await arun_ops(plan, Endpoints(store=store))
    except DatabaseUnavailableError as exc:
        return _unavailable(store, exc)


# -- sources by connection string -----------------------------------------------------------------
@dataclass
class Sources:
    """A source store and saver opened from a connection string (either may be ``None``)."""

    store: Any = None
    saver: Any = None
    kind: str = ""


def _missing(package: str, extra: str) -> MissingDependencyError:
    return MissingDependencyError(
        f"This source needs {package}: pip install 'langgraph-genesis-memory[{extra}]'."
    )


@contextmanager
def open_sources(
    conn_string: str,
    *,
    database: str | None = None,
    collection: str | None = None,
    checkpoint_collection: str | None = None,
    writes_collection: str | None = None,
) -> Iterator[Sources]:
    """Open another LangGraph store and checkpointer by connection string (for migrations).

    - ``sqlite:///path/to/file.db``: ``SqliteStore`` and ``SqliteSaver`` on that file (extra
      ``sqlite``: ``langgraph-checkpoint-sqlite``); the file must exist.
    - ``postgresql://...``: ``PostgresStore`` and ``PostgresSaver`` (extra ``postgres``).
    - ``mongodb://...`` / ``mongodb+srv://...``: ``langgraph-store-mongodb``'s ``MongoDBStore``
      (``database`` default ``checkpointing_db``, ``collection`` default ``persistent-store``)
      and ``langgraph-checkpoint-mongodb``'s ``MongoDBSaver`` (``checkpoint_collection`` default
      ``checkpoints``, ``writes_collection`` default ``checkpoint_writes``) (extra ``mongodb``).
    - ``redis://...``: ``RedisStore`` and ``RedisSaver`` (``langgraph-checkpoint-redis``).

    Yields:
        :class:`Sources` (closed on exit).

    Raises:
        InvalidArgumentError: For an unknown scheme or a missing SQLite file.
        MissingDependencyError: If the source's package is not installed (names the extra).
    """
    from contextlib import ExitStack

    scheme = conn_string.split(":", 1)[0].lower() if ":" in conn_string else ""
    with ExitStack() as stack:
        if scheme == "sqlite":
            rest = conn_string.split("://", 1)[1] if "://" in conn_string else ""
            path = rest[1:] if rest.startswith("/") else rest  # sqlite:///rel, sqlite:////abs
            if not path or not Path(path).is_file():
                raise InvalidArgumentError(f"No SQLite file at {path!r} ({conn_string}).")
            try:
                from langgraph.checkpoint.sqlite import SqliteSaver
                from langgraph.store.sqlite import SqliteStore
            except ImportError as exc:
                raise _missing("langgraph-checkpoint-sqlite", "sqlite") from exc
            store: Any = stack.enter_context(SqliteStore.from_conn_string(path))
            saver: Any = stack.enter_context(SqliteSaver.from_conn_string(path))
            yield Sources(store, saver, "sqlite")
        elif scheme in ("postgresql", "postgres"):
            try:
                from langgraph.checkpoint.postgres import PostgresSaver
                from langgraph.store.postgres import PostgresStore
            except ImportError as exc:
                raise _missing("langgraph-checkpoint-postgres", "postgres") from exc
            store = stack.enter_context(PostgresStore.from_conn_string(conn_string))
            saver = stack.enter_context(PostgresSaver.from_conn_string(conn_string))
            yield Sources(store, saver, "postgres")
        elif scheme in ("mongodb", "mongodb+srv"):
            try:
                from langgraph.checkpoint.mongodb import MongoDBSaver
                from langgraph.store.mongodb import MongoDBStore
            except ImportError as exc:
                raise _missing(
                    "langgraph-store-mongodb and langgraph-checkpoint-mongodb", "mongodb"
                ) from exc
            from pymongo import MongoClient

            client: Any = stack.enter_context(MongoClient(conn_string))
            name = database or "checkpointing_db"
            store = MongoDBStore(collection=client[name][collection or "persistent-store"])
            saver = MongoDBSaver(
                client,
                db_name=name,
                checkpoint_collection_name=checkpoint_collection or "checkpoints",
                writes_collection_name=writes_collection or "checkpoint_writes",
            )
            yield Sources(store, saver, "mongodb")
        elif scheme in ("redis", "rediss"):
            try:
                from langgraph.checkpoint.redis import RedisSaver
                from langgraph.store.redis import RedisStore
            except ImportError as exc:
                raise _missing("langgraph-checkpoint-redis", "redis") from exc
            store = stack.enter_context(RedisStore.from_conn_string(conn_string))
            saver = stack.enter_context(RedisSaver.from_conn_string(conn_string))
            yield Sources(store, saver, "redis")
        else:
            raise InvalidArgumentError(
                f"Unknown source {conn_string.split('://')[0]!r}: use sqlite:///FILE, "
                "postgresql://..., mongodb://... or redis://..."
            )
