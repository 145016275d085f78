"""Operations: backup and restore, migration from other LangGraph stores, statistics, health.

Everything here is also on the command line (``genesis-memory backup``, ``restore``,
``migrate``, ``stats``, ``health``); see ``docs/operations.md`` for runbooks.

* :func:`backup` / :func:`abackup` and :func:`restore` / :func:`arestore`: a store's items
  (optionally their vectors, and a saver's checkpoints) to and from one file.
* :func:`migrate_store` / :func:`amigrate_store`: every item of any LangGraph ``BaseStore``
  (``InMemoryStore``, ``SqliteStore``, ``PostgresStore``, ``MongoDBStore``, ``RedisStore``...)
  into a ``GenesisStore``; :func:`migrate_saver` / :func:`amigrate_saver`: every thread of any
  ``BaseCheckpointSaver`` into a ``GenesisSaver``; both with a verification pass.
  :func:`open_sources` opens such a source by connection string.
* :func:`store_stats`, :func:`saver_stats` and :func:`health` (also ``GenesisStore.stats()``,
  ``GenesisSaver.stats()``, ``GenesisStore.health()`` and their async twins).

The backup file
---------------

A gzip-compressed JSON Lines file (``zcat FILE | head`` shows it). Line 1 is the header::

    {"format": "langgraph-genesis-memory/backup", "version": 1,
     "created_at": "2025-06-01T12:00:00+00:00", "package": "0.1.0",
     "source": {"deployment": "host:27017", "database": "...", "collection": "store",
                "checkpoints": "checkpoints" | null},
     "options": {"namespace_prefix": [...], "vectors": false, "checkpoints": false,
                 "threads": null},
     "index": {"model": "MiniLMEmbeddings:...", "dims": 384, "fields": ["text"]} | null,
     "counts": {"item": 1200, "checkpoint": 0},
     "records_sha256": "<SHA-256 of every following line, newline included>",
     "records_bytes": 123456}

Every further line is one record: an item (namespace, key, value, ``created_at``,
``updated_at``, ``ttl`` in minutes, ``expires_at``, ``index``, and with vectors the item's
vectors as base64 float32) or a checkpoint tuple (serialized with the saver's serializer).
See :mod:`langgraph_genesis_memory.ops._records`. Never a password: the source is named by its
hosts only.
"""

from langgraph_genesis_memory.ops._api import (
    Sources,
    abackup,
    ahealth,
    amigrate_saver,
    amigrate_store,
    arestore,
    asaver_stats,
    astore_stats,
    backup,
    health,
    migrate_saver,
    migrate_store,
    open_sources,
    read_header,
    restore,
    saver_stats,
    store_stats,
)
from langgraph_genesis_memory.ops._backup import BackupReport, ConflictPolicy, RestoreReport
from langgraph_genesis_memory.ops._format import FORMAT, FORMAT_VERSION
from langgraph_genesis_memory.ops._health import PROBE_NAMESPACE, HealthReport
from langgraph_genesis_memory.ops._migrate import MigrationReport
from langgraph_genesis_memory.ops._stats import (
    CheckpointStats,
    GroupStats,
    IndexStats,
    StoreStats,
)

__all__ = [
    "backup",
    "abackup",
    "restore",
    "arestore",
    "read_header",
    "migrate_store",
    "amigrate_store",
    "migrate_saver",
    "amigrate_saver",
    "open_sources",
    "Sources",
    "store_stats",
    "astore_stats",
    "saver_stats",
    "asaver_stats",
    "health",
    "ahealth",
    "BackupReport",
    "RestoreReport",
    "ConflictPolicy",
    "MigrationReport",
    "StoreStats",
    "CheckpointStats",
    "GroupStats",
    "IndexStats",
    "HealthReport",
    "PROBE_NAMESPACE",
    "FORMAT",
    "FORMAT_VERSION",
]
