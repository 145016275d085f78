"""Helpers of the operations tests: stores with a vector index, a small checkpointed graph."""

from __future__ import annotations

import operator
import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from pymongo import MongoClient

from langgraph_genesis_memory import GenesisStore
from langgraph_genesis_memory.embeddings import HashEmbeddings
from langgraph_genesis_memory.index import ChromaIndex

ITEM_FIELDS = ("value", "created_at", "updated_at", "ttl", "expires_at_ms")
"""What a restore must keep of each item document."""


class State(TypedDict):
    """A small graph state: a counter and a list that grows by one entry per step."""

    count: int
    notes: Annotated[list[str], operator.add]


def build_graph(checkpointer: Any, steps: int = 3) -> Any:
    """A graph of ``steps`` super-steps, each adding to ``count`` and ``notes``."""

    def step(state: State) -> dict[str, Any]:
        return {"count": state["count"] + 1, "notes": [f"note {state['count'] + 1}"]}

    def route(state: State) -> str:
        return "step" if state["count"] < steps else END

    builder = StateGraph(State)
    builder.add_node("step", step)
    builder.add_edge(START, "step")
    builder.add_conditional_edges("step", route)
    return builder.compile(checkpointer=checkpointer)


def documents(client: MongoClient, database: str, collection: str = "store") -> dict[str, Any]:
    """``{_id: {field: value}}`` of the kept fields of every item document."""
    return {
        d["_id"]: {f: d.get(f) for f in ITEM_FIELDS} for d in client[database][collection].find()
    }


@pytest.fixture
def vector_store(mongo_client: MongoClient, database_name: str) -> Callable[..., GenesisStore]:
    """Makes stores with a HashEmbeddings(32) index in an in-memory Chroma collection."""

    def make(database: str | None = None, *, dims: int = 32) -> GenesisStore:
        index = ChromaIndex.from_config(in_memory=True, collection=f"t-{uuid.uuid4().hex[:10]}")
        store = GenesisStore(
            client=mongo_client,
            database=database or database_name,
            index={"dims": dims, "embed": HashEmbeddings(dims=dims), "fields": ["text"]},
            vector_index=index,
        )
        store.setup()
        return store

    return make
