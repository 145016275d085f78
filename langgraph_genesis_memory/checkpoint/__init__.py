"""``GenesisSaver``: a LangGraph checkpointer on MongoDB (sessions that resume anywhere)."""

from langgraph_genesis_memory.checkpoint.saver import CHECKPOINT_MIGRATIONS, GenesisSaver

__all__ = ["GenesisSaver", "CHECKPOINT_MIGRATIONS"]
