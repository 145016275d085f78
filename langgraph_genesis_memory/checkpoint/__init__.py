"""``GenesisSaver``: a LangGraph checkpointer on MongoDB (sessions that resume anywhere)."""

from langgraph_genesis_memory.checkpoint._saver import GenesisSaver

__all__ = ["GenesisSaver"]
