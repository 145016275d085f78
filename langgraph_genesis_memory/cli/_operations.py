"""``stats``, ``health``, ``backup``, ``restore``, ``migrate``, ``reindex``, ``sweep``."""

from __future__ import annotations

from typing import Any

import click

from langgraph_genesis_memory.cli._options import (
    Connection,
    connection_options,
    open_both,
    open_saver,
    open_store,
    parse_namespace,
    parse_ttl,
)
from langgraph_genesis_memory.cli._output import (
    EXIT_CHECK_FAILED,
    EXIT_DEGRADED,
    EXIT_UNAVAILABLE,
    emit,
    emit_json,
    reported,
    size,
)


@click.command()
@connection_options
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--depth", type=click.IntRange(min=1), default=2, show_default=True)
@click.option(
    "--checkpoints/--no-checkpoints", default=True, show_default=True, help="Include the saver's."
)
def stats(conn: Connection, top: int, depth: int, checkpoints: bool) -> None:
    """Items, bytes, expiries, vectors and checkpoints, computed by MongoDB aggregations."""
    with reported(), open_both(conn, checkpoints) as (store, saver):
        found = store.stats(top=top, depth=depth, saver=saver)
    if conn.json:
        emit_json(found.to_dict())
        return
    emit(f"store {found.database}.{found.collection}: {found.items} items, {size(found.bytes)}")
    emit(
        f"  expiring in 24 h: {found.expiring_24h}   expired, not swept: "
        f"{found.expired_unswept}   never expire: {found.never_expire}"
    )
    emit("  by first label:")
    for group in found.by_label:
        emit(f"    {'.'.join(group.namespace):<30} {group.items:>9} items {size(group.bytes):>10}")
    emit(f"  top namespaces (depth {found.depth}):")
    for group in found.top_prefixes:
        emit(f"    {'.'.join(group.namespace):<30} {group.items:>9} items {size(group.bytes):>10}")
    if found.index is not None:
        index = found.index
        emit(
            f"  vector index: {index.model}, {index.dims} dims; {index.vectors_recorded} vectors "
            f"recorded, {index.vectors_in_index} in the index, {index.pending} pending repair"
        )
    elif found.pending_repair:
        emit(f"  items pending index repair: {found.pending_repair}")
    if found.checkpoints is not None:
        c = found.checkpoints
        emit(
            f"checkpoints: {c.threads} threads, {c.checkpoints} checkpoints, {size(c.bytes)}; "
            f"{c.writes} pending-write documents, {size(c.writes_bytes)}"
        )


@click.command()
@connection_options
def health(conn: Connection) -> None:
    """Probe MongoDB (write, read, delete) and the vector index.

    Exit status 0 if healthy, 5 if degraded (vector index unreachable or behind), 4 if
    MongoDB is unavailable.
    """
    with reported(), open_store(conn) as store:
        report = store.health()
    if conn.json:
        emit_json(report.to_dict())
    else:
        emit(f"status: {report.status}")
        emit(
            f"mongodb: {report.deployment} ({report.deployment_kind or '?'}, version "
            f"{report.server_version or '?'})"
        )
        if report.latency_ms:
            steps = ", ".join(f"{k} {v:.1f} ms" for k, v in report.latency_ms.items())
            emit(f"latency: {steps}")
        if report.vector_index is not None:
            emit(f"vector index: {report.vector_index}")
        for problem in report.problems:
            emit(f"problem: {problem}")
    if report.status == "unavailable":
        raise click.exceptions.Exit(EXIT_UNAVAILABLE)
    if report.status == "degraded":
        raise click.exceptions.Exit(EXIT_DEGRADED)


@click.command()
@connection_options
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--prefix", default="", help="Only namespaces under this prefix (agent.qa).")
@click.option("--vectors", is_flag=True, help="Include the vectors (needs --embed).")
@click.option("--checkpoints", is_flag=True, help="Include the saver's checkpoints.")
@click.option("--thread", "threads", multiple=True, help="Only this thread (repeatable).")
@click.option("--overwrite", is_flag=True, help="Replace PATH if it exists.")
def backup(
    conn: Connection,
    path: str,
    prefix: str,
    vectors: bool,
    checkpoints: bool,
    threads: tuple[str, ...],
    overwrite: bool,
) -> None:
    """Back the store up to PATH (gzip JSON Lines with a header and a SHA-256 checksum)."""
    from langgraph_genesis_memory.ops import backup as run_backup

    with reported(), open_both(conn, checkpoints or bool(threads), index=vectors) as (st, sv):
        report = run_backup(
            st,
            path,
            namespace_prefix=parse_namespace(prefix),
            include_vectors=vectors,
            saver=sv,
            threads=list(threads) or None,
            overwrite=overwrite,
            progress=conn.progress,
        )
    if conn.json:
        emit_json(report.to_dict())
    else:
        emit(
            f"backed up {report.items} items, {report.vectors} vectors, {report.checkpoints} "
            f"checkpoints to {report.path} ({size(report.bytes)})"
        )


@click.command()
@connection_options
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--on-conflict",
    "conflict",
    type=click.Choice(["skip", "overwrite", "fail"]),
    default="skip",
    show_default=True,
    help="For items the store already has: keep them, replace them, or refuse the restore "
    "before writing anything if any differs.",
)
@click.option(
    "--expiry",
    type=click.Choice(["absolute", "remaining"]),
    default="absolute",
    show_default=True,
    help="Keep each item's expiry instant, or the TTL that remained at backup time.",
)
@click.option("--no-vectors", is_flag=True, help="Ignore the backup's vectors (re-embed).")
@click.option("--no-reindex", is_flag=True, help="Do not run reindex at the end.")
@click.option(
    "--checkpoints/--no-checkpoints",
    default=True,
    show_default=True,
    help="Restore the backup's checkpoints into the saver.",
)
def restore(
    conn: Connection,
    path: str,
    conflict: str,
    expiry: str,
    no_vectors: bool,
    no_reindex: bool,
    checkpoints: bool,
) -> None:
    """Restore the backup at PATH (checked whole first: a damaged file writes nothing)."""
    from langgraph_genesis_memory.ops import read_header
    from langgraph_genesis_memory.ops import restore as run_restore

    with reported():
        header = read_header(path)
        wants_saver = checkpoints and bool((header.get("counts") or {}).get("checkpoint"))
        with open_both(conn, wants_saver, setup=True) as (store, saver):
            report = run_restore(
                store,
                path,
                conflict=conflict,  # type: ignore[arg-type]
                saver=saver,
                expiry=expiry,
                vectors=not no_vectors,
                reindex=not no_reindex,
                progress=conn.progress,
            )
    if conn.json:
        emit_json(report.to_dict())
    else:
        emit(
            f"restored {report.items_restored} items ({report.items_skipped} kept as they were, "
            f"{report.items_expired} expired), {report.vectors_restored} vectors, "
            f"{report.checkpoints_restored} checkpoints ({report.checkpoints_skipped} skipped)"
        )


@click.command()
@connection_options
@click.argument("source")
@click.option("--from-database", help="Source database (mongodb:// sources).")
@click.option("--from-collection", help="Source store collection (mongodb:// sources).")
@click.option("--from-checkpoint-collection", help="Source checkpoints collection (mongodb://).")
@click.option("--from-writes-collection", help="Source pending-writes collection (mongodb://).")
@click.option("--items/--no-items", default=True, show_default=True, help="Copy store items.")
@click.option(
    "--checkpoints/--no-checkpoints", default=True, show_default=True, help="Copy checkpoints."
)
@click.option("--prefix", default="", help="Only namespaces under this prefix.")
@click.option(
    "--on-conflict",
    "conflict",
    type=click.Choice(["overwrite", "skip"]),
    default="overwrite",
    show_default=True,
)
@click.option("--ttl", help="TTL in minutes of every copied item, or 'none' (default: policies).")
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--verify/--no-verify", default=True, show_default=True)
@click.option("--sample", type=click.IntRange(min=0), default=100, show_default=True)
@click.option("--seed", type=int, help="Seed of the verification sample.")
def migrate(
    conn: Connection,
    source: str,
    from_database: str | None,
    from_collection: str | None,
    from_checkpoint_collection: str | None,
    from_writes_collection: str | None,
    items: bool,
    checkpoints: bool,
    prefix: str,
    conflict: str,
    ttl: str | None,
    batch_size: int,
    verify: bool,
    sample: int,
    seed: int | None,
) -> None:
    """Copy another LangGraph store's items and checkpointer's threads into this one.

    SOURCE: sqlite:///FILE (SqliteStore/SqliteSaver), postgresql://... (PostgresStore/Saver),
    mongodb://... (langgraph-store-mongodb's MongoDBStore and MongoDBSaver) or redis://...
    Exit status 6 if the verification found differences.
    """
    from langgraph_genesis_memory.cli._output import remember_secret
    from langgraph_genesis_memory.ops import migrate_saver, migrate_store, open_sources

    remember_secret(source)
    reports: list[Any] = []
    with reported():
        minutes = parse_ttl(ttl)
        with (
            open_sources(
                source,
                database=from_database,
                collection=from_collection,
                checkpoint_collection=from_checkpoint_collection,
                writes_collection=from_writes_collection,
            ) as sources,
            open_both(conn, checkpoints, setup=True) as (store, saver),
        ):
            if items:
                reports.append(
                    migrate_store(
                        sources.store,
                        store,
                        namespace_prefix=parse_namespace(prefix),
                        conflict=conflict,  # type: ignore[arg-type]
                        ttl=minutes,
                        batch_size=batch_size,
                        verify=verify,
                        sample=sample,
                        seed=seed,
                        progress=conn.progress,
                    )
                )
            if checkpoints:
                reports.append(
                    migrate_saver(
                        sources.saver,
                        saver,
                        conflict=conflict,  # type: ignore[arg-type]
                        verify=verify,
                        sample=min(sample, 20),
                        seed=seed,
                        progress=conn.progress,
                    )
                )
    if conn.json:
        emit_json([r.to_dict() for r in reports])
    else:
        for r in reports:
            what = "items" if r.kind == "store" else "checkpoints"
            groups = "namespaces" if r.kind == "store" else "threads"
            verdict = {None: "not verified", True: "verified", False: "VERIFICATION FAILED"}
            emit(
                f"{what}: copied {r.copied}, kept {r.skipped}, invalid {r.invalid}, from "
                f"{r.groups} {groups}; {verdict[r.verified]} ({r.sample_checked} compared)"
            )
            for problem in r.problems:
                emit(f"  problem: {problem}")
    if any(r.verified is False for r in reports):
        raise click.exceptions.Exit(EXIT_CHECK_FAILED)


@click.command()
@connection_options
@click.option("--full", is_flag=True, help="Drop and rebuild the index (after a model change).")
@click.option("--batch-size", type=click.IntRange(min=1), default=256, show_default=True)
def reindex(conn: Connection, full: bool, batch_size: int) -> None:
    """Repair the derived indexes so they agree with MongoDB, or rebuild them (--full)."""
    with reported(), open_store(conn) as store:
        result = store.reindex(full=full, batch_size=batch_size, progress=conn.progress)
    data = dict(vars(result))
    if conn.json:
        emit_json(data)
    else:
        emit("reindexed: " + ", ".join(f"{k} {v}" for k, v in data.items()))


@click.command()
@connection_options
@click.option("--checkpoints", is_flag=True, help="Also remove the saver's expired threads.")
def sweep(conn: Connection, checkpoints: bool) -> None:
    """Delete expired items now (and, with --checkpoints, expired threads)."""
    with reported():
        with open_store(conn) as store:
            removed = {"items": store.sweep()}
        if checkpoints:
            with open_saver(conn) as saver:
                removed["threads"] = saver.sweep()
    if conn.json:
        emit_json(removed)
    else:
        emit("swept: " + ", ".join(f"{v} {k}" for k, v in removed.items()))


COMMANDS = [stats, health, backup, restore, migrate, reindex, sweep]
