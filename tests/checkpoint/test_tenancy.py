"""Tenant isolation of threads: with ``access=``, a thread belongs to the tenant that created it.

Two tenants share one ``GenesisSaver`` (and so one MongoDB collection); graphs run with
``configurable`` ``tenant_id``. Reads, lists and writes of the other tenant's thread are refused,
sync and async, through graphs and through the saver's own methods.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.graph import START, StateGraph
from typing_extensions import TypedDict

from langgraph_genesis_memory import AccessDeniedError, AccessPolicy, GenesisSaver


class _State(TypedDict):
    n: int


def _graph(saver: GenesisSaver) -> Any:
    builder = StateGraph(_State)
    builder.add_node("step", lambda s: {"n": s["n"] + 1})
    builder.add_edge(START, "step")
    return builder.compile(checkpointer=saver)


def _config(thread: str, tenant: str | None) -> Any:
    configurable = {"thread_id": thread}
    if tenant:
        configurable["tenant_id"] = tenant
    return {"configurable": configurable}


@pytest.fixture
def isolated(mongo_client: Any, async_mongo_client: Any, database_name: str) -> GenesisSaver:
    saver = GenesisSaver(client=mongo_client, async_client=async_mongo_client,
                         database=database_name, access=AccessPolicy.scoped())  # fmt: skip
    saver.setup()
    return saver


async def test_threads_belong_to_their_tenant(isolated: GenesisSaver, mode: str) -> None:
    graph = _graph(isolated)
    thread = uuid.uuid4().hex

    async def invoke(tenant: str | None, n: int = 1) -> Any:
        if mode == "async":
            return await graph.ainvoke({"n": n}, _config(thread, tenant))
        return graph.invoke({"n": n}, _config(thread, tenant))

    assert (await invoke("acme"))["n"] == 2
    assert (await invoke("acme", 10))["n"] == 11
    with pytest.raises(AccessDeniedError):
        await invoke("globex")
    with pytest.raises(AccessDeniedError, match="names none"):
        await invoke(None)
    if mode == "async":
        history = [c async for c in isolated.alist(_config(thread, "globex"))]
        own = [c async for c in isolated.alist(_config(thread, "acme"))]
    else:
        history = list(isolated.list(_config(thread, "globex")))
        own = list(isolated.list(_config(thread, "acme")))
    assert history == [] and own and all(c.metadata["tenant_id"] == "acme" for c in own)
    with pytest.raises(AccessDeniedError):
        graph.get_state(_config(thread, "globex"))
    assert graph.get_state(_config(thread, "acme")).values == {"n": 11}


async def test_a_write_to_another_tenants_thread_is_refused_by_a_fresh_saver(
    isolated: GenesisSaver, mongo_client: Any, async_mongo_client: Any, mode: str
) -> None:
    thread = uuid.uuid4().hex
    _graph(isolated).invoke({"n": 1}, _config(thread, "acme"))
    fresh = GenesisSaver(client=mongo_client, async_client=async_mongo_client,
                         database=isolated.database, access=AccessPolicy.scoped())  # fmt: skip
    checkpoints = fresh.client[fresh.database][fresh.collections.checkpoints]
    before = checkpoints.count_documents({"thread_id": thread})
    config = _config(thread, "globex")
    config["configurable"]["checkpoint_ns"] = ""
    with pytest.raises(AccessDeniedError):
        if mode == "async":
            await fresh.aput(config, empty_checkpoint(), {"source": "input", "step": -1}, {})
        else:
            fresh.put(config, empty_checkpoint(), {"source": "input", "step": -1}, {})
    latest = isolated.get_tuple(_config(thread, "acme"))
    assert latest is not None
    with pytest.raises(AccessDeniedError):
        fresh.put_writes({**latest.config, "configurable": {**latest.config["configurable"],
                          "tenant_id": "globex"}}, [("n", 5)], "task")  # fmt: skip
    assert checkpoints.count_documents({"thread_id": thread}) == before
    # a new thread is the tenant's that writes it first
    new = _config(uuid.uuid4().hex, "globex")
    assert _graph(fresh).invoke({"n": 1}, new)["n"] == 2
