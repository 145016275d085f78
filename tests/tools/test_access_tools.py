"""The session manager, handoff records and memory tools act with the caller's principal.

One store with ``AccessPolicy.scoped()``; tenants ``acme`` and ``globex`` reach it through
principal views or through runs whose ``configurable`` names them. A tenant's sessions, handoff
records and memories are invisible to the other, sync and async.
"""

from __future__ import annotations

from typing import Any

import pytest

from langgraph_genesis_memory import (
    AccessDeniedError,
    AccessPolicy,
    GenesisStore,
    SessionManager,
    alist_handoffs,
    create_manage_memory_tool,
    create_search_memory_tool,
    list_handoffs,
)


@pytest.fixture
def guarded(astore: GenesisStore) -> GenesisStore:
    store = GenesisStore(client=astore.client, async_client=astore.async_client,
                         database=astore.database, access=AccessPolicy.scoped())  # fmt: skip
    SessionManager(astore).setup()
    return store


async def test_sessions_and_handoffs_are_the_tenants_own(guarded: GenesisStore, mode: str) -> None:
    acme = SessionManager(guarded.as_principal(tenant_id="acme", agent_id="support"))
    globex = SessionManager(guarded.as_principal(tenant_id="globex", agent_id="support"))
    if mode == "async":
        await acme.astart_session(session_id="s-acme", tenant_id="acme", user_id="u1")
        await acme.ahandoff_to_agent("s-acme", "billing", "refund", ["order 42"])
    else:
        acme.start_session(session_id="s-acme", tenant_id="acme", user_id="u1")
        acme.handoff_to_agent("s-acme", "billing", "refund", ["order 42"])
    assert acme.get_full_context("s-acme").to_dict()["session_id"] == "s-acme"
    # the other tenant can neither read the session (found by id or named) nor its handoffs
    for call in (lambda: globex.get_full_context("s-acme"),
                 lambda: globex.get_full_context("s-acme", tenant_id="acme"),
                 lambda: globex.add_message("s-acme", "user", "hi", tenant_id="acme")):  # fmt: skip
        with pytest.raises(AccessDeniedError):
            call()
    view = guarded.as_principal(tenant_id="globex")
    if mode == "async":
        assert await alist_handoffs(view, "s-acme", tenant_id="acme") == []
        assert len(await alist_handoffs(acme.store, "s-acme", tenant_id="acme")) == 1
    else:
        assert list_handoffs(view, "s-acme", tenant_id="acme") == []
        assert len(list_handoffs(acme.store, "s-acme", tenant_id="acme")) == 1
    # of the tenant's data only the shared session directory (id -> tenant name) is visible
    seen = view.search(("business",), limit=100)
    assert {i.namespace for i in seen} == {("business", "%sessions")}
    # a session of the same id cannot be started over the other tenant's
    with pytest.raises(Exception):  # noqa: B017 - SessionExistsError or AccessDeniedError
        globex.start_session(session_id="s-acme", tenant_id="acme")


async def test_memory_tools_write_and_search_as_the_run_principal(
    guarded: GenesisStore, mode: str
) -> None:
    namespace = ("user", "{tenant_id}", "{user_id}")
    manage = create_manage_memory_tool(namespace, store=guarded)
    search = create_search_memory_tool(namespace, store=guarded)
    alice = {"configurable": {"tenant_id": "acme", "user_id": "alice"}}
    bob = {"configurable": {"tenant_id": "acme", "user_id": "bob"}}

    async def call(tool: Any, args: dict[str, Any], config: Any) -> Any:
        return await tool.ainvoke(args, config) if mode == "async" else tool.invoke(args, config)

    assert (await call(manage, {"content": "alice likes green tea"}, alice)).startswith("Created")
    assert "green tea" in await call(search, {"query": "tea"}, alice)
    assert "green tea" not in await call(search, {"query": "tea"}, bob)
    # a tool pointed at another user's namespace is refused, not fed to the model
    spy = create_manage_memory_tool(("user", "acme", "alice"), store=guarded)
    with pytest.raises(AccessDeniedError):
        await call(spy, {"content": "overwrite"}, bob)
    with pytest.raises(AccessDeniedError):
        await call(spy, {"content": "no principal"}, {"configurable": {}})
    admin = GenesisStore(client=guarded.client, database=guarded.database)
    assert [i.namespace for i in admin.search(("user",), limit=10)] == [("user", "acme", "alice")]
