"""Helpers shared by the checkpointer tests."""

from __future__ import annotations

from pymongo import MongoClient


def stored_bytes(client: MongoClient, database: str, collections: list[str]) -> int:
    """Total BSON size of every document in ``collections`` (works on any server)."""
    import bson

    total = 0
    for name in collections:
        for doc in client[database][name].find():
            total += len(bson.encode(doc))
    return total
