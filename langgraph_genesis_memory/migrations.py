"""Versioned, idempotent schema setup shared by the store and the saver.

Each component keeps an ordered list of migrations (lists of pymongo ``IndexModel``); the version
applied so far is recorded in the ``genesis_migrations`` collection under a key such as
``"store:store"``. :func:`plan_setup` applies only the migrations that are newer than the
recorded version, so calling ``setup()`` again is cheap and safe. Creating an index that already
exists with the same definition is a no-op in MongoDB, so a setup interrupted half-way is
completed by the next call.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from langgraph_genesis_memory.mongo import CreateIndexes, Find, Plan, UpdateOne

__all__ = ["MIGRATIONS_COLLECTION", "plan_setup"]

MIGRATIONS_COLLECTION = "genesis_migrations"
"""Collection recording the schema version of each component."""


def plan_setup(
    component: str, migrations: Sequence[Sequence[Any]], collection: str | None = None
) -> Plan[int]:
    """Apply the migrations newer than the recorded version of ``component``.

    Args:
        component: The key recorded in :data:`MIGRATIONS_COLLECTION`, e.g. ``"store:store"``.
        migrations: For each version 1..N, the ``IndexModel`` list that version adds.
        collection: The collection the indexes belong to (default: the target's collection).

    Returns:
        A plan whose value is the schema version after setup (``len(migrations)``).
    """
    found = yield Find({"_id": component}, collection=MIGRATIONS_COLLECTION)
    current = int(found[0].get("version", 0)) if found else 0
    for version in range(current + 1, len(migrations) + 1):
        indexes = migrations[version - 1]
        if indexes:
            yield CreateIndexes(tuple(indexes), collection=collection)
        yield UpdateOne(
            {"_id": component},
            {"$set": {"version": version}, "$setOnInsert": {"created_at": datetime.now(UTC)}},
            upsert=True,
            collection=MIGRATIONS_COLLECTION,
        )
    return max(current, len(migrations))
