"""Access control inside the store: two tenants, three agents, the seed's permission map.

Every op kind, sync and async, alone and in batches, through principal views, through a store
with ``access=`` reading the principal from a graph run's ``configurable``, and through ranked
(vector and hybrid) search on a real Chroma index. Data is written by a store without a policy
on the same database; what a principal sees is compared with what it may see.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from langgraph.graph import START, StateGraph
from langgraph.store.base import GetOp, ListNamespacesOp, MatchCondition, PutOp, SearchOp
from typing_extensions import TypedDict

from langgraph_genesis_memory import AccessDeniedError, AccessPolicy, GenesisStore
from langgraph_genesis_memory.access import AccessRule, Principal
from langgraph_genesis_memory.embeddings import HashEmbeddings
from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.index import ChromaIndex
from tests.conftest import Api

AGENT_PERMISSIONS = {
    "qa_agent": [("agent", "qa"), ("system", "global")],
    "builder_agent": [("agent", "builder"), ("business", "saas_001")],
}
"""The seed's map, exactly."""

POLICY = AccessPolicy.from_permissions(AGENT_PERMISSIONS) | AccessPolicy(
    (
        # the third agent serves tenants: their shared context and its users' memories
        AccessRule(
            ("business", "{tenant_id}", "**"),
            frozenset({"read", "write", "delete"}),
            agent_id="support_agent",
        ),  # fmt: skip
        AccessRule(("user", "{tenant_id}", "{user_id}", "**"), frozenset({"read", "write"})),
        AccessRule(("system", "*"), frozenset({"read"}), tenant_id="saas_002"),
    )
)

DATA: dict[tuple[str, ...], list[str]] = {
    ("agent", "qa"): ["q1", "q2"],
    ("agent", "qa", "notes"): ["n1"],
    ("agent", "qa_old"): ["x1"],  # label boundary: not under ("agent", "qa")
    ("agent", "builder"): ["b1"],
    ("system", "global"): ["g1"],
    ("system", "secret"): ["s1"],
    ("business", "saas_001"): ["c1"],
    ("business", "saas_001", "orders"): ["o1"],
    ("business", "saas_0011"): ["d1"],  # a tenant whose id extends the other's
    ("business", "saas_002"): ["e1"],
    ("business", "saas-002"): ["e2"],  # '_' must not match '-'
    ("user", "saas_001", "alice"): ["a1"],
    ("user", "saas_001", "bob"): ["b2"],
    ("user", "saas_002", "alice"): ["a2"],
}


def _visible(
    principal: Principal, prefix: tuple[str, ...] = ()
) -> set[tuple[tuple[str, ...], str]]:
    return {
        (ns, key)
        for ns, keys in DATA.items()
        for key in keys
        if ns[: len(prefix)] == prefix and POLICY.allows(principal, "read", ns)
    }


def _fill(store: GenesisStore) -> None:
    store.batch(
        [PutOp(ns, k, {"text": f"{k} in {'/'.join(ns)}"}) for ns, ks in DATA.items() for k in ks]
    )


@pytest.fixture
def admin(astore: GenesisStore) -> GenesisStore:
    """The test database seen without a policy, filled with DATA."""
    _fill(astore)
    return astore


@pytest.fixture
def guarded(admin: GenesisStore) -> GenesisStore:
    """The same database through a store with POLICY."""
    return GenesisStore(
        client=admin.client, async_client=admin.async_client, database=admin.database,
        access=POLICY,
    )  # fmt: skip


QA = Principal(agent_id="qa_agent")
BUILDER = Principal(agent_id="builder_agent")
SUPPORT_1 = Principal(agent_id="support_agent", tenant_id="saas_001", user_id="alice")
SUPPORT_2 = Principal(agent_id="support_agent", tenant_id="saas_002", user_id="alice")
PRINCIPALS = [QA, BUILDER, SUPPORT_1, SUPPORT_2]


def _view(store: GenesisStore, principal: Principal) -> GenesisStore:
    return store.as_principal(
        agent_id=principal.agent_id, tenant_id=principal.tenant_id, user_id=principal.user_id
    )


def _count(admin: GenesisStore) -> int:
    return admin.client[admin.database][admin.collection_name].count_documents({})


# -- the policy ----------------------------------------------------------------------------------
def test_patterns_wildcards_and_templates() -> None:
    policy = AccessPolicy(
        (
            AccessRule(("a", "*", "c")),
            AccessRule(("t", "{tenant_id}", "**"), frozenset({"read", "write"})),
            AccessRule(("u", "{tenant_id}-{user_id}")),
        )
    )
    p = Principal(tenant_id="t1", user_id="u1")
    assert policy.allows(p, "read", ("a", "x", "c"))
    assert not policy.allows(p, "read", ("a", "x", "c", "d"))  # '*' is one label
    assert not policy.allows(p, "read", ("a", "c"))
    assert policy.allows(p, "read", ("t", "t1"))  # '**' matches no further label too
    assert policy.allows(p, "write", ("t", "t1", "x", "y"))
    assert not policy.allows(p, "delete", ("t", "t1", "x"))
    assert not policy.allows(p, "read", ("t", "t10"))
    assert policy.allows(p, "read", ("u", "t1-u1"))
    # a template naming an id the principal lacks does not apply
    assert not policy.allows(Principal(tenant_id="t1"), "read", ("u", "t1-"))
    # an id is a plain label, never a wildcard
    star = Principal(tenant_id="*")
    assert policy.allows(star, "read", ("t", "*"))
    assert not policy.allows(star, "read", ("t", "t1"))
    # ids are escaped as the session layout escapes them
    assert policy.allows(Principal(tenant_id="a.b"), "read", ("t", "a%2Eb"))
    assert not policy.allows(Principal(), "read", ("a", "x", "c"))  # no principal: nothing


def test_from_permissions_takes_the_seed_shape() -> None:
    policy = AccessPolicy.from_permissions(AGENT_PERMISSIONS)
    assert policy.allows(QA, "write", ("agent", "qa"))
    assert policy.allows(QA, "read", ("agent", "qa", "deep", "er"))
    assert policy.allows(QA, "read", ("system", "global"))
    assert not policy.allows(QA, "delete", ("agent", "qa"))  # read and write only by default
    assert not policy.allows(QA, "read", ("agent", "qa_old"))
    assert not policy.allows(QA, "read", ("agent", "builder"))
    assert policy.allows(BUILDER, "write", ("business", "saas_001", "x"))
    assert not policy.allows(Principal(agent_id="other"), "read", ("agent", "qa"))
    deleting = AccessPolicy.from_permissions(AGENT_PERMISSIONS, actions=("read", "write", "delete"))
    assert deleting.allows(QA, "delete", ("agent", "qa"))


def test_bad_policies_and_principals_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        AccessRule(("a", "**", "b"))
    with pytest.raises(ConfigurationError):
        AccessRule(())
    with pytest.raises(ConfigurationError):
        AccessRule(("a",), frozenset({"admin"}))  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        AccessPolicy.from_permissions({"qa": ["agent"]})
    with pytest.raises(ConfigurationError):
        Principal(agent_id=7)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        GenesisStore(client=object(), access={"qa": []})  # type: ignore[arg-type]


# -- every op kind, sync and async ---------------------------------------------------------------
async def test_get_put_delete_are_checked(
    admin: GenesisStore, guarded: GenesisStore, mode: str
) -> None:
    qa = Api(_view(guarded, QA), mode)
    builder = Api(_view(guarded, BUILDER), mode)
    assert (await qa.get(("agent", "qa"), "q1")).value == {"text": "q1 in agent/qa"}
    assert (await qa.get(("system", "global"), "g1")) is not None
    for ns, key in [
        (("agent", "builder"), "b1"),
        (("agent", "qa_old"), "x1"),
        (("system", "secret"), "s1"),
    ]:
        with pytest.raises(AccessDeniedError) as denied:
            await qa.get(ns, key)
        assert isinstance(denied.value, PermissionError)
        assert denied.value.namespace == ns and denied.value.action == "read"
    # a denied get fails even for a missing item: existence is not revealed
    with pytest.raises(AccessDeniedError):
        await qa.get(("agent", "builder"), "nothing")

    await qa.put(("agent", "qa", "new"), "k", {"text": "mine"})
    assert (await qa.get(("agent", "qa", "new"), "k")).value == {"text": "mine"}
    before = _count(admin)
    with pytest.raises(AccessDeniedError):
        await builder.put(("agent", "qa"), "q1", {"text": "overwritten"})
    with pytest.raises(AccessDeniedError):
        await qa.delete(("agent", "qa"), "q1")  # from_permissions grants no delete
    with pytest.raises(AccessDeniedError):
        await qa.put(("system", "secret"), "s1", {"text": "x"})
    assert _count(admin) == before
    assert admin.get(("agent", "qa"), "q1").value == {"text": "q1 in agent/qa"}

    support = Api(_view(guarded, SUPPORT_1), mode)
    await support.delete(("business", "saas_001"), "c1")
    assert admin.get(("business", "saas_001"), "c1") is None
    with pytest.raises(AccessDeniedError):
        await support.delete(("business", "saas_002"), "e1")
    with pytest.raises(AccessDeniedError):
        await support.delete(("user", "saas_001", "alice"), "a1")  # users' rule: no delete


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.describe())
async def test_search_and_list_namespaces_show_only_readable(
    guarded: GenesisStore, mode: str, principal: Principal
) -> None:
    view = Api(_view(guarded, principal), mode)
    for prefix in [
        (),
        ("agent",),
        ("agent", "qa"),
        ("business",),
        ("user", "saas_001"),
        ("nothing",),
    ]:
        found = await view.search(prefix, limit=100)
        assert {(i.namespace, i.key) for i in found} == _visible(principal, prefix), prefix
        listed = await view.list_namespaces(prefix=prefix or None, limit=100)
        assert set(listed) == {ns for ns, _ in _visible(principal, prefix)}, prefix
    # wildcards, suffixes and depth are answered over readable namespaces only
    listed = await view.list_namespaces(prefix=("*", "saas_001"), limit=100)
    assert set(listed) == {ns for ns, _ in _visible(principal) if ns[1:2] == ("saas_001",)}
    listed = await view.list_namespaces(suffix=("alice",), limit=100)
    assert set(listed) == {ns for ns, _ in _visible(principal) if ns[-1] == "alice"}
    listed = await view.list_namespaces(max_depth=1, limit=100)
    assert set(listed) == {ns[:1] for ns, _ in _visible(principal)}
    # filters and pages apply within the readable items
    page = await view.search((), filter={"text": {"$ne": "zzz"}}, limit=2, offset=1)
    assert len(page) == max(0, min(2, len(_visible(principal)) - 1))


async def test_a_batch_with_one_denied_op_writes_nothing(
    admin: GenesisStore, guarded: GenesisStore, mode: str
) -> None:
    qa = Api(_view(guarded, QA), mode)
    before = _count(admin)
    ops = [
        PutOp(("agent", "qa"), "fresh", {"text": "allowed"}),
        GetOp(("agent", "qa"), "q1"),
        SearchOp(("agent",), None, 10, 0),
        ListNamespacesOp((MatchCondition("prefix", ("agent",)),), None, 10, 0),
        PutOp(("agent", "builder"), "b1", {"text": "denied"}),
    ]
    with pytest.raises(AccessDeniedError) as denied:
        await qa.batch(ops)
    assert denied.value.namespace == ("agent", "builder")
    assert _count(admin) == before
    assert admin.get(("agent", "qa"), "fresh") is None
    results = await qa.batch(ops[:4])
    assert results[0] is None and results[1].key == "q1"
    assert {i.namespace for i in results[2]} == {("agent", "qa"), ("agent", "qa", "notes")}
    assert set(results[3]) == {("agent", "qa"), ("agent", "qa", "notes")}


async def test_a_store_with_a_policy_refuses_ops_without_a_principal(
    guarded: GenesisStore, mode: str
) -> None:
    api = Api(guarded, mode)
    with pytest.raises(AccessDeniedError, match="no principal"):
        await api.get(("system", "global"), "g1")
    with pytest.raises(AccessDeniedError):
        await api.search(())
    with pytest.raises(AccessDeniedError):
        await api.list_namespaces()
    with pytest.raises(ConfigurationError):
        guarded.as_principal()
    with pytest.raises(ConfigurationError):
        GenesisStore(client=guarded.client).as_principal(agent_id="qa_agent")


async def test_concurrent_callers_of_different_principals_are_never_merged(
    guarded: GenesisStore,
) -> None:
    """Single async calls of one tick are merged per principal: each sees its own grant."""
    qa, builder = _view(guarded, QA), _view(guarded, BUILDER)
    results = await asyncio.gather(
        qa.asearch(("agent",), limit=100),
        builder.asearch(("agent",), limit=100),
        qa.aget(("agent", "builder"), "b1"),
        builder.aget(("agent", "builder"), "b1"),
        return_exceptions=True,
    )
    assert {i.namespace for i in results[0]} == {("agent", "qa"), ("agent", "qa", "notes")}
    assert {i.namespace for i in results[1]} == {("agent", "builder")}
    assert isinstance(results[2], AccessDeniedError)
    assert results[3].key == "b1"


# -- graphs: the principal from configurable ---------------------------------------------------
class _State(TypedDict, total=False):
    namespace: tuple[str, ...]
    seen: list[str]


def _graph(store: GenesisStore, *, use_async: bool) -> Any:
    from langgraph.config import get_store

    def node(state: _State) -> _State:
        store_ = get_store()
        store_.put(state["namespace"], "from_graph", {"text": "written in a run"})
        return {"seen": sorted(f"{i.namespace}/{i.key}" for i in store_.search((), limit=100))}

    async def anode(state: _State) -> _State:
        store_ = get_store()
        await store_.aput(state["namespace"], "from_graph", {"text": "written in a run"})
        found = await store_.asearch((), limit=100)
        return {"seen": sorted(f"{i.namespace}/{i.key}" for i in found)}

    builder = StateGraph(_State)
    builder.add_node("node", anode if use_async else node)
    builder.add_edge(START, "node")
    return builder.compile(store=store)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_a_graph_acts_as_the_principal_of_its_configurable(
    admin: GenesisStore, guarded: GenesisStore, use_async: bool
) -> None:
    graph = _graph(guarded, use_async=use_async)

    async def run(namespace: tuple[str, ...], **configurable: str) -> Any:
        config = {"configurable": {"thread_id": uuid.uuid4().hex, **configurable}}
        state = {"namespace": namespace}
        if use_async:
            return await graph.ainvoke(state, config)
        return await asyncio.to_thread(graph.invoke, state, config)

    out = await run(
        ("user", "saas_001", "bob"), agent_id="support_agent", tenant_id="saas_001", user_id="bob"
    )
    bob = Principal(agent_id="support_agent", tenant_id="saas_001", user_id="bob")
    expected = {f"{ns}/{k}" for ns, k in _visible(bob)} | {"('user', 'saas_001', 'bob')/from_graph"}
    assert set(out["seen"]) == expected
    with pytest.raises(AccessDeniedError):
        await run(("business", "saas_001"), agent_id="support_agent", tenant_id="saas_002")
    with pytest.raises(AccessDeniedError, match="no principal"):
        await run(("system", "global"))
    assert admin.get(("business", "saas_001"), "from_graph") is None


# -- ranked search: vectors and words ---------------------------------------------------------
@pytest.mark.parametrize("search_mode", ["vector", "hybrid"])
async def test_ranked_search_never_returns_counts_or_scores_what_is_hidden(
    mongo_client: Any, async_mongo_client: Any, database_name: str, mode: str, search_mode: str
) -> None:
    """Another tenant's items with the very same texts change nothing: the page (keys, order,
    scores) is the one of a store holding only what the principal may read."""

    indexes: dict[str, ChromaIndex] = {}

    def make(collection: str, access: AccessPolicy | None = None) -> GenesisStore:
        if collection not in indexes:  # one Chroma collection per MongoDB collection
            name = f"t-{uuid.uuid4().hex[:12]}"
            indexes[collection] = ChromaIndex.from_config(in_memory=True, collection=name)
        return GenesisStore(
            client=mongo_client, async_client=async_mongo_client, database=database_name,
            collection=collection, search_mode=search_mode, access=access,
            index={"dims": 64, "embed": HashEmbeddings(64), "fields": ["text"]},
            vector_index=indexes[collection],
        )  # fmt: skip

    texts = ["refund policy for orders", "shipping times to europe", "refund for damaged items",
             "password reset steps", "orders ship in two days"]  # fmt: skip
    shared, alone = make("shared"), make("alone")
    for store in (shared, alone):
        store.setup()
        store.batch(
            [PutOp(("business", "saas_001"), f"k{i}", {"text": t}) for i, t in enumerate(texts)]
        )
    # the other tenant: the same texts plus closer matches, and a label-boundary neighbour
    shared.batch(
        [PutOp(("business", "saas_002"), f"k{i}", {"text": t}) for i, t in enumerate(texts)]
    )
    shared.batch([PutOp(("business", "saas_0011"), "best", {"text": "refund refund orders"})])
    view = Api(make("shared", POLICY).as_principal(agent_id="builder_agent"), mode)
    reference = Api(alone, mode)
    for query in ["refund orders", "shipping", "password"]:
        got = await view.search(("business",), query=query, limit=10)
        want = await reference.search(("business",), query=query, limit=10)
        assert [(i.namespace, i.key, i.score) for i in got] == [
            (i.namespace, i.key, i.score) for i in want
        ]
        assert all(i.namespace == ("business", "saas_001") for i in got)


def test_views_share_the_store() -> None:
    policy = AccessPolicy.scoped()
    store = GenesisStore(client=object(), access=policy)  # type: ignore[arg-type]
    view = store.as_principal(tenant_id="t1")
    assert isinstance(view, GenesisStore) and view.principal == Principal(tenant_id="t1")
    assert store.principal is None and view.client is store.client


# -- cost: the same round trips with and without a policy ---------------------------------------
def test_enforcement_adds_no_round_trip() -> None:
    """The batch plan with a policy sends exactly as many requests as without: the readable
    namespaces ride in the queries the ops send anyway."""
    from datetime import UTC, datetime

    from pymongo.results import BulkWriteResult

    from langgraph_genesis_memory._mongo import Aggregate, BulkWrite, Find, Parallel
    from langgraph_genesis_memory._plans import drive
    from langgraph_genesis_memory.store._batch import StoreSchema, plan_batch
    from langgraph_genesis_memory.store._ttl import TTLPolicy

    ops = [
        GetOp(("agent", "qa"), "q1"),
        SearchOp(("agent",), None, 10, 0),
        ListNamespacesOp((), None, 10, 0),
        PutOp(("agent", "qa"), "k", {"text": "t"}),
    ]

    def trips(grant: Any) -> list[Any]:
        sent: list[Any] = []

        def answer(request: Any) -> Any:
            sent.append(request)
            if isinstance(request, Parallel):
                return [[] for _ in request.requests]
            if isinstance(request, BulkWrite):
                return BulkWriteResult({"nMatched": 0, "nUpserted": 1, "nModified": 0}, True)
            return []

        now = datetime(2026, 1, 1, tzinfo=UTC)
        drive(plan_batch(ops, StoreSchema(ttl=TTLPolicy()), now, grant), answer)
        return sent

    plain, guarded = trips(None), trips(POLICY.grant(QA))
    assert [type(r) for r in plain] == [type(r) for r in guarded] == [Parallel, BulkWrite]
    find, aggregate = guarded[0].requests[1], guarded[0].requests[2]
    assert isinstance(find, Find) and isinstance(aggregate, Aggregate)
    assert "ns_key" in str(find.filter) and "ns_key" in str(aggregate.pipeline[0])


# -- scopes ---------------------------------------------------------------------------------------
def test_scope_namespaces_policy_and_ttls() -> None:
    from langgraph.store.base import NOT_PROVIDED

    from langgraph_genesis_memory import MEMORY_LAYERS
    from langgraph_genesis_memory.access import (
        SCOPE_TTL,
        agent_namespace,
        session_namespace,
        system_namespace,
        tenant_namespace,
        user_namespace,
    )

    assert system_namespace("schemas") == ("system", "schemas")
    assert tenant_namespace("acme", "docs") == ("business", "acme", "docs")
    assert user_namespace("acme", "a.b") == ("user", "acme", "a%2Eb")
    assert session_namespace("acme", "s1") == ("short_term", "acme", "s1")
    assert agent_namespace("qa") == ("agent", "qa")
    with pytest.raises(ConfigurationError):
        tenant_namespace("")
    policy = AccessPolicy.scoped()
    alice = Principal(agent_id="qa", tenant_id="acme", user_id="a.b")
    other = Principal(agent_id="builder", tenant_id="globex", user_id="bob")
    own = [tenant_namespace("acme", "docs"), user_namespace("acme", "a.b", "prefs"),
           session_namespace("acme", "s1"), agent_namespace("qa", "notes")]  # fmt: skip
    for namespace in own:
        assert policy.allows(alice, "write", namespace)
        assert not policy.allows(other, "read", namespace)
    assert not policy.allows(alice, "delete", agent_namespace("qa"))
    assert AccessPolicy.scoped(agent_delete=True).allows(alice, "delete", agent_namespace("qa"))
    assert not policy.allows(Principal(tenant_id="acme", user_id="bob"), "read",
                             user_namespace("acme", "a.b"))  # fmt: skip
    for who in (alice, other):
        assert policy.allows(who, "read", system_namespace("schemas"))
        assert not policy.allows(who, "write", system_namespace("schemas"))
    store = GenesisStore(client=object(), namespace_ttl=SCOPE_TTL)  # type: ignore[arg-type]
    resolve = store.ttl_policy.resolve
    assert resolve(user_namespace("acme", "u"), NOT_PROVIDED) == MEMORY_LAYERS["long_term"]
    assert resolve(session_namespace("acme", "s"), NOT_PROVIDED) == MEMORY_LAYERS["session"]
    assert resolve(agent_namespace("qa"), NOT_PROVIDED) == MEMORY_LAYERS["short_term"]
    assert resolve(system_namespace("x"), NOT_PROVIDED) is None


# -- audit ----------------------------------------------------------------------------------------
async def test_denied_ops_and_writes_are_audited(admin: GenesisStore, mode: str) -> None:
    audited = GenesisStore(client=admin.client, async_client=admin.async_client,
                           database=admin.database, access=POLICY, audit_ttl=60)  # fmt: skip
    audited.setup()
    qa = Api(audited.as_principal(agent_id="qa_agent"), mode)
    await qa.put(("agent", "qa"), "fresh", {"text": "allowed"})
    await qa.get(("agent", "qa"), "fresh")  # allowed reads are not recorded
    with pytest.raises(AccessDeniedError):
        await qa.put(("agent", "builder"), "b1", {"text": "denied"})
    with pytest.raises(AccessDeniedError):
        await qa.get(("system", "secret"), "s1")
    with pytest.raises(AccessDeniedError):
        await qa.batch([PutOp(("agent", "qa"), "x", {"v": 1}), GetOp(("agent", "builder"), "b1")])
    with pytest.raises(AccessDeniedError):
        await Api(audited, mode).get(("agent", "qa"), "q1")  # no principal
    records = audited.list_audit()
    assert [(r.op, r.namespace, r.key, r.allowed) for r in reversed(records)] == [
        ("put", ("agent", "qa"), "fresh", True),
        ("put", ("agent", "builder"), "b1", False),
        ("get", ("system", "secret"), "s1", False),
        ("get", ("agent", "builder"), "b1", False),
        ("get", ("agent", "qa"), "q1", False),
    ]
    assert all(r.agent_id == "qa_agent" for r in records[1:])
    assert records[0].agent_id is None and "no principal" in (records[0].reason or "")
    denied = await audited.alist_audit(agent_id="qa_agent", allowed=False, limit=2)
    assert [r.key for r in denied] == ["b1", "s1"]
    audit = admin.client[admin.database][audited.audit_collection]
    assert any(ix.get("expireAfterSeconds") == 0 for ix in audit.index_information().values())
    assert all(doc["expires_at"] > doc["at"] for doc in audit.find())
    with pytest.raises(AccessDeniedError):
        audited.as_principal(agent_id="qa_agent").list_audit()
    with pytest.raises(ConfigurationError):
        GenesisStore(client=admin.client, audit_ttl=0)


def test_a_denial_in_a_stores_first_search_batch_is_audited(admin: GenesisStore) -> None:
    """The first batch with a search (which also checks the schema version) records its
    denial like any other."""
    admin.setup()
    audited = GenesisStore(client=admin.client, database=admin.database, access=POLICY,
                           audit_ttl=60)  # fmt: skip  # setup() not called: schema unchecked
    qa = audited.as_principal(agent_id="qa_agent")
    with pytest.raises(AccessDeniedError):
        qa.batch([SearchOp(("agent", "qa")), PutOp(("agent", "builder"), "b2", {"v": 1})])
    assert [(r.op, r.key, r.allowed) for r in audited.list_audit()] == [("put", "b2", False)]


def test_the_audit_names_the_refused_op_not_an_allowed_one_on_the_same_item(
    admin: GenesisStore,
) -> None:
    audited = GenesisStore(client=admin.client, database=admin.database, access=POLICY,
                           audit_ttl=60)  # fmt: skip
    audited.setup()
    reader = _view(audited, SUPPORT_2)  # may read ("system", "global"), not write it
    with pytest.raises(AccessDeniedError):
        reader.batch([GetOp(("system", "global"), "g1"),
                      PutOp(("system", "global"), "g1", {"v": 1})])  # fmt: skip
    assert [(r.op, r.key, r.allowed) for r in audited.list_audit()] == [("put", "g1", False)]


def test_a_principal_cannot_make_itself_another(guarded: GenesisStore) -> None:
    """Views and runs cannot step around the policy by asking for another principal."""
    from langgraph.config import get_store

    qa = _view(guarded, QA)
    with pytest.raises(AccessDeniedError):
        qa.as_principal(agent_id="builder_agent")
    for admin_call in (lambda: qa.purge(("agent",)), qa.list_audit):
        with pytest.raises(AccessDeniedError):
            admin_call()
    escaped: list[str] = []

    def node(state: _State) -> _State:
        store = get_store()
        for attempt in (
            lambda: store.as_principal(agent_id="builder_agent"),  # type: ignore[attr-defined]
            lambda: store.purge(("agent",)),  # type: ignore[attr-defined]
            store.list_audit,  # type: ignore[attr-defined]
        ):
            try:
                attempt()
                escaped.append("allowed")
            except AccessDeniedError as denied:
                escaped.append(str(denied.action))
        return {}

    graph = StateGraph(_State).add_node("node", node).add_edge(START, "node").compile(store=guarded)
    graph.invoke({}, {"configurable": {"agent_id": "qa_agent"}})
    assert escaped == ["admin", "admin", "admin"]
