"""Local mode: the embedded MongoDB-compatible server under one data folder."""

from langgraph_genesis_memory.local.server import (
    LocalServer,
    LocalServerStatus,
    resolve_mongodb_uri,
)

__all__ = ["LocalServer", "LocalServerStatus", "resolve_mongodb_uri"]
