"""Upgrades of documents written by earlier schema versions of the saver (run by ``setup()``).

The saver's migrations (``CHECKPOINT_MIGRATIONS`` in
:mod:`langgraph_genesis_memory.checkpoint._saver`, applied by
:mod:`langgraph_genesis_memory._migrations`) are, per collection:

``checkpoints``
    1. Indexes.
    2. ``list(filter=...)`` matches canonical metadata terms: :func:`plan_backfill_filter_terms`
       gives older checkpoints their terms (``mf``).
``checkpoints_writes``
    1. Indexes.
"""

from __future__ import annotations

from pymongo import UpdateOne

from langgraph_genesis_memory._mongo import BulkWrite, Find
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.checkpoint._documents import filter_terms
from langgraph_genesis_memory.checkpoint._plan import SaverSchema

MIGRATION_BATCH_SIZE = 1000
"""Checkpoints read and updated per round trip by the migrations."""


def plan_backfill_filter_terms(schema: SaverSchema) -> Plan[int]:
    """Version 2: give checkpoints written before it their metadata filter terms (``mf``).

    Idempotent: only checkpoints without ``mf`` are touched. A checkpoint
    whose metadata the serde cannot read (e.g. encrypted with another key) gets no terms, so
    it matches no filter.

    Args:
        schema: The saver's schema (its collections and codec).

    Returns:
        A plan whose value is the number of checkpoints updated.
    """
    collection = schema.collections.checkpoints
    done = 0
    while True:
        docs = yield Find(
            {"kind": "checkpoint", "mf": {"$exists": False}},
            {"mt": 1, "md_bytes": 1},
            limit=MIGRATION_BATCH_SIZE,
            collection=collection,
        )
        updates = []
        for doc in docs:
            try:
                terms = filter_terms(schema.codec.loads((doc["mt"], doc["md_bytes"])))
            except Exception:  # noqa: BLE001 - unreadable metadata: no terms, never retried
                terms = []
            updates.append(UpdateOne({"_id": doc["_id"]}, {"$set": {"mf": terms}}))
        if updates:
            yield BulkWrite(updates, collection=collection)
        done += len(updates)
        if len(docs) < MIGRATION_BATCH_SIZE:
            return done
