"""Local mode: the embedded MongoDB-compatible server under one data folder."""

from langgraph_genesis_memory.local._server import LocalServer, LocalServerStatus

__all__ = ["LocalServer", "LocalServerStatus"]
