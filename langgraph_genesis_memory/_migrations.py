"""Versioned, idempotent schema setup shared by the store and the saver.

Each component keeps an ordered list of migrations; the version applied so far is recorded in
the ``genesis_migrations`` collection under a key such as ``"store:store"``. A migration is a
list of pymongo ``IndexModel`` or a :class:`Migration` (indexes and a data backfill).
:func:`plan_setup` applies only the migrations that are newer than the recorded version, so
calling ``setup()`` again is cheap and safe. Creating an index that already exists with the
same definition is a no-op in MongoDB, and backfills are idempotent, so a setup interrupted
half-way is completed by the next call (the version is recorded only after a migration is
complete).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from langgraph_genesis_memory._mongo import CreateIndexes, DropIndexes, Find, Update
from langgraph_genesis_memory._plans import Plan

MIGRATIONS_COLLECTION = "genesis_migrations"
"""Collection recording the schema version of each component."""


@dataclass(frozen=True)
class Migration:
    """One schema version: indexes to create, then an idempotent data backfill.

    Attributes:
        indexes: ``IndexModel`` list created first.
        backfill: Given the component's context (e.g. the saver's schema), returns a plan that
            brings documents written by earlier versions up to this one (run after the
            indexes; must be safe to run again).
        drop: Key patterns of indexes this version replaces, dropped last (by key: not every
            server keeps index names; a missing one is ignored).
    """

    indexes: Sequence[Any] = field(default_factory=tuple)
    backfill: Callable[[Any], Plan[Any]] | None = None
    drop: Sequence[Sequence[tuple[str, Any]]] = field(default_factory=tuple)


def plan_optional_indexes(
    component: str, indexes: Sequence[Any], collection: str | None = None
) -> Plan[list[str]]:
    """Create the indexes a component's configuration asks for, once each.

    Which were created is recorded under ``<component>:indexes`` in
    :data:`MIGRATIONS_COLLECTION` (by their full specification), so calling ``setup()`` again
    sends nothing: re-creating an identical index is a no-op on MongoDB, but not on every
    MongoDB-compatible server (the local development server refuses to rebuild a text index
    over existing documents).

    Returns:
        A plan whose value is the specifications created now.
    """
    key = f"{component}:indexes"
    found = yield Find({"_id": key}, collection=MIGRATIONS_COLLECTION)
    done = set(found[0].get("created", [])) if found else set()
    todo = [(spec, ix) for ix in indexes if (spec := _spec(ix)) not in done]
    if not todo:
        return []
    yield CreateIndexes(tuple(ix for _, ix in todo), collection=collection)
    specs = [spec for spec, _ in todo]
    yield Update(
        {"_id": key}, {"$addToSet": {"created": {"$each": specs}}}, upsert=True,
        collection=MIGRATIONS_COLLECTION,
    )  # fmt: skip
    return specs


def _spec(index: Any) -> str:
    """A stable text of an ``IndexModel``'s specification (keys and options)."""
    document = dict(index.document)
    return json.dumps(
        {k: (list(v.items()) if k == "key" else v) for k, v in sorted(document.items())},
        sort_keys=True, default=str,
    )  # fmt: skip


def plan_version(component: str) -> Plan[int]:
    """The schema version recorded for ``component`` (0: never set up); one ``find`` by
    ``_id``."""
    found = yield Find({"_id": component}, collection=MIGRATIONS_COLLECTION)
    return int(found[0].get("version", 0)) if found else 0


def plan_setup(
    component: str,
    migrations: Sequence[Sequence[Any] | Migration],
    collection: str | None = None,
    context: Any = None,
) -> Plan[int]:
    """Apply the migrations newer than the recorded version of ``component``.

    Args:
        component: The key recorded in :data:`MIGRATIONS_COLLECTION`, e.g. ``"store:store"``.
        migrations: For each version 1..N, the ``IndexModel`` list or :class:`Migration`.
        collection: The collection the indexes belong to (default: the target's collection).
        context: Passed to each migration's ``backfill``.

    Returns:
        A plan whose value is the schema version after setup (``len(migrations)``).
    """
    current = yield from plan_version(component)
    for version in range(current + 1, len(migrations) + 1):
        step = migrations[version - 1]
        migration = step if isinstance(step, Migration) else Migration(tuple(step))
        if migration.indexes:
            yield CreateIndexes(tuple(migration.indexes), collection=collection)
        if migration.backfill is not None:
            yield from migration.backfill(context)
        if migration.drop:
            yield DropIndexes(tuple(migration.drop), collection=collection)
        yield Update(
            {"_id": component},
            {"$set": {"version": version}, "$setOnInsert": {"created_at": datetime.now(UTC)}},
            upsert=True,
            collection=MIGRATIONS_COLLECTION,
        )
    return max(current, len(migrations))
