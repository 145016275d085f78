"""Erasure: ``purge`` deletes everything of a prefix, a tenant or a user, and nothing else.

Real servers: MongoDB, an in-memory Chroma index, a SQLite word index, a ``GenesisSaver`` with
threads written by graph runs, and sessions and handoffs written by the ``SessionManager``.
Counts in the receipt are checked against what was written; a second purge finds nothing.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from langgraph.graph import START, StateGraph
from langgraph.store.base import PutOp
from typing_extensions import TypedDict

from langgraph_genesis_memory import (
    AccessDeniedError,
    AccessPolicy,
    GenesisSaver,
    GenesisStore,
    InvalidArgumentError,
    SessionManager,
)
from langgraph_genesis_memory.embeddings import HashEmbeddings
from langgraph_genesis_memory.index import ChromaIndex, SqliteWordIndex
from langgraph_genesis_memory.store import PurgeReceipt
from langgraph_genesis_memory.store._documents import item_id


class _State(TypedDict):
    n: int


def _threads(saver: GenesisSaver) -> dict[str, int]:
    coll = saver.client[saver.database][saver.collections.checkpoints]
    out: dict[str, int] = {}
    for doc in coll.find({"kind": "checkpoint"}, {"thread_id": 1}):
        out[doc["thread_id"]] = out.get(doc["thread_id"], 0) + 1
    return out


@pytest.fixture
def world(mongo_client: Any, async_mongo_client: Any, database_name: str, tmp_path: Path) -> Any:
    """Two tenants, three users, their items, sessions, handoffs and graph threads."""
    store = GenesisStore(
        client=mongo_client, async_client=async_mongo_client, database=database_name,
        index={"dims": 32, "embed": HashEmbeddings(32), "fields": ["text"]},
        vector_index=ChromaIndex.from_config(
            in_memory=True, collection=f"p-{uuid.uuid4().hex[:10]}"),
        word_index=SqliteWordIndex(tmp_path / "words.sqlite3"),
    )  # fmt: skip
    store.setup()
    saver = GenesisSaver(
        client=mongo_client, async_client=async_mongo_client, database=database_name
    )
    saver.setup()
    items = {
        ("business", "acme"): 2, ("business", "acme", "docs"): 2, ("short_term", "acme", "x"): 1,
        ("user", "acme", "u1"): 3, ("user", "acme", "u2"): 2, ("user", "acme", "u1", "deep"): 1,
        ("business", "acme2"): 2, ("user", "acme2", "u1"): 2, ("system", "global"): 1,
    }  # fmt: skip
    store.batch([PutOp(ns, f"k{i}", {"text": f"memory {i} of {'/'.join(ns)}"})
                 for ns, n in items.items() for i in range(n)])  # fmt: skip
    sessions = SessionManager(store)
    for sid, tenant, user in [("s1", "acme", "u1"), ("s2", "acme", "u2"), ("s3", "acme2", "u1")]:
        sessions.start_session(session_id=sid, tenant_id=tenant, user_id=user)
        sessions.handoff_to_agent(sid, "billing", "needs a refund", ["order 42"], tenant_id=tenant)
    builder = StateGraph(_State)
    builder.add_node("step", lambda s: {"n": s["n"] + 1})
    builder.add_edge(START, "step")
    graph = builder.compile(checkpointer=saver)
    for thread, tenant, user in [("t1", "acme", "u1"), ("t2", "acme", "u2"), ("t3", "acme2", "u1")]:
        config = {"configurable": {"thread_id": thread, "tenant_id": tenant, "user_id": user}}
        graph.invoke({"n": 0}, config)
        graph.invoke({"n": 5}, config)
    return store, saver, items


def _namespaces(store: GenesisStore) -> set[tuple[str, ...]]:
    return set(store.list_namespaces(limit=1000))


def _index_items(store: GenesisStore) -> set[str]:
    assert store.vector_index is not None
    return {entry.split("#")[0] for entry in store.vector_index.hashes()}


def test_forget_one_user_everywhere(world: Any) -> None:
    store, saver, items = world
    threads = _threads(saver)
    receipt = store.purge(tenant_id="acme", user_id="u1", saver=saver)
    assert isinstance(receipt, PurgeReceipt)
    # 4 user items, s1's record, directory entry, handoff record and short-term memory
    assert receipt.sessions == 1 and receipt.handoffs == 1
    assert receipt.items >= 4 + 3
    assert receipt.threads == 1 and receipt.checkpoints == threads["t1"]
    left = _namespaces(store)
    assert not any(ns[:3] == ("user", "acme", "u1") for ns in left)
    assert ("user", "acme", "u2") in left and ("user", "acme2", "u1") in left
    assert not any("s1" in ns for ns in left) and any("s2" in ns for ns in left)
    assert set(_threads(saver)) == {"t2", "t3"}
    # the derived indexes hold no entry of a deleted item
    live = {item_id(i.namespace, i.key) for i in store.search((), limit=1000)}
    assert _index_items(store) <= live
    assert not store.search(("user", "acme", "u1"), query="memory")
    again = store.purge(tenant_id="acme", user_id="u1", saver=saver)
    assert (again.items, again.sessions, again.handoffs, again.threads) == (0, 0, 0, 0)
    assert SessionManager(store).exists("s2") and not SessionManager(store).exists("s1")


async def test_forget_a_tenant_async(world: Any) -> None:
    store, saver, items = world
    threads = _threads(saver)
    receipt = await store.apurge(tenant_id="acme", saver=saver)
    acme_items = sum(n for ns, n in items.items() if ns[1:2] == ("acme",))
    # plus 2 session records, 2 handoffs, 2 directory entries, and short-term memory
    assert receipt.items >= acme_items + 6
    assert (receipt.sessions, receipt.handoffs, receipt.threads) == (2, 2, 2)
    assert receipt.checkpoints == threads["t1"] + threads["t2"]
    left = _namespaces(store)
    assert not any(ns[1:2] == ("acme",) for ns in left)
    assert {("business", "acme2"), ("user", "acme2", "u1"), ("system", "global")} <= left
    assert set(_threads(saver)) == {"t3"}
    assert SessionManager(store).exists("s3")
    again = await store.apurge(tenant_id="acme", saver=saver)
    assert again.to_dict()["items"] == 0 and again.threads == 0


def test_purge_a_prefix(world: Any) -> None:
    store, saver, items = world
    receipt = store.purge(("business", "acme"))
    # 4 items, the session records of s1 and s2 and their handoff records
    assert (receipt.items, receipt.sessions, receipt.handoffs) == (8, 2, 2)
    assert receipt.to_dict()["prefixes"] == [["business", "acme"]]
    assert not store.search(("business", "acme"), limit=100)
    assert store.search(("business", "acme2"), limit=100)
    assert store.purge(("business", "acme")).items == 0


def test_bad_purges_are_refused_before_anything_is_sent(world: Any) -> None:
    store, _, _ = world
    before = len(store.search((), limit=1000))
    for args, kwargs in [((), {}), (((),), {}), ((("a",),), {"tenant_id": "t"}),
                         ((), {"user_id": "u"}), ((), {"tenant_id": ""})]:  # fmt: skip
        with pytest.raises((InvalidArgumentError, ValueError)):
            store.purge(*args, **kwargs)
    guarded = GenesisStore(client=store.client, database=store.database,
                           access=AccessPolicy.scoped())  # fmt: skip
    with pytest.raises(AccessDeniedError):
        guarded.as_principal(tenant_id="acme").purge(tenant_id="acme")
    assert len(store.search((), limit=1000)) == before
