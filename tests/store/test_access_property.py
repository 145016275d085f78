"""Property: random principals running random op streams observe exactly what their policy lets
them, compared with a reference model of the policy written independently here.

Tenants ``t1``, ``t10`` and ``t_1`` and agents ``qa_agent``/``qa_agent2`` are chosen to trip
label-boundary and wildcard mistakes (a prefix matching across labels, an unescaped ``_``).
Each example starts from an empty collection and runs a stream of gets, puts, deletes, searches,
``list_namespaces`` and batches, each as a random principal, sync or async; the store's answers
(results, or ``AccessDeniedError``) and its final contents must equal the model's.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langgraph.store.base import GetOp, ListNamespacesOp, MatchCondition, PutOp, SearchOp

from langgraph_genesis_memory import AccessDeniedError, AccessPolicy, GenesisStore
from langgraph_genesis_memory.access import AccessRule, Principal
from tests.conftest import Api

SEED = {"qa_agent": [("agent", "qa"), ("system", "global")],
        "builder_agent": [("agent", "builder"), ("business", "t1")]}  # fmt: skip

# (pattern, actions, who): the rules beyond the seed, as plain data for the model.
RAW: list[tuple[tuple[str, ...], set[str], dict[str, str]]] = [
    (("business", "{tenant_id}", "**"), {"read", "write", "delete"}, {}),
    (("user", "{tenant_id}", "{user_id}", "**"), {"read", "write", "delete"}, {}),
    (("business", "*", "orders"), {"read"}, {"agent_id": "builder_agent"}),
    (("system", "**"), {"read"}, {"tenant_id": "t10"}),
]
POLICY = AccessPolicy.from_permissions(SEED) | AccessPolicy(
    tuple(AccessRule(p, frozenset(a), **who) for p, a, who in RAW)  # type: ignore[arg-type]
)
MODEL_RULES = RAW + [
    ((*ns, "**"), {"read", "write"}, {"agent_id": agent})
    for agent, nss in SEED.items()
    for ns in nss
]

TENANTS = ["t1", "t10", "t_1"]
NAMESPACES = [
    ("agent", "qa"), ("agent", "qa", "x"), ("agent", "qa_agent2"), ("agent", "builder"),
    ("system", "global"), ("system", "other"),
    *[("business", t) for t in TENANTS], *[("business", t, "orders") for t in TENANTS],
    *[("user", t, u) for t in TENANTS for u in ("u1", "u2")],
]  # fmt: skip
PREFIXES = [(), ("agent",), ("agent", "qa"), ("business",), ("business", "t1"), ("user", "t1"),
            ("system",), ("user",)]  # fmt: skip


def model_allows(principal: Principal, action: str, namespace: tuple[str, ...]) -> bool:
    """The reference: fill templates by string replacement, then match label by label."""
    for pattern, actions, who in MODEL_RULES:
        if action not in actions or any(getattr(principal, k) != v for k, v in who.items()):
            continue
        filled: list[str] = []
        for label in pattern:
            for name in ("agent_id", "tenant_id", "user_id"):
                if "{" + name + "}" in label:
                    value = getattr(principal, name)
                    label = label.replace("{" + name + "}", value) if value else "\x00missing"
            filled.append(label)
        if "\x00missing" in filled:
            continue
        if filled[-1] == "**":
            body, ok_length = filled[:-1], len(namespace) >= len(filled) - 1
        else:
            body, ok_length = filled, len(namespace) == len(filled)
        if ok_length and all(b in ("*", n) for b, n in zip(body, namespace, strict=False)):
            return True
    return False


PRINCIPALS = st.builds(
    Principal,
    agent_id=st.sampled_from([None, "qa_agent", "qa_agent2", "builder_agent"]),
    tenant_id=st.sampled_from([None, *TENANTS]),
    user_id=st.sampled_from([None, "u1", "u2"]),
).filter(lambda p: not p.empty)
NS = st.sampled_from(NAMESPACES)
KEY = st.sampled_from(["k1", "k2"])
OP = st.one_of(
    st.builds(lambda ns, k, v: PutOp(ns, k, {"v": v}), NS, KEY, st.integers(0, 9)),
    st.builds(lambda ns, k: PutOp(ns, k, None), NS, KEY),
    st.builds(lambda ns, k: GetOp(ns, k), NS, KEY),
    st.builds(lambda p: SearchOp(p, None, 100, 0), st.sampled_from(PREFIXES)),
    st.builds(
        lambda p: ListNamespacesOp((MatchCondition("prefix", p),) if p else (), None, 100, 0),
        st.sampled_from(PREFIXES),
    ),
)
STEP = st.tuples(PRINCIPALS, st.lists(OP, min_size=1, max_size=3))


def _model_batch(state: dict[Any, Any], principal: Principal, ops: list[Any]) -> Any:
    """What the store must answer, and how ``state`` changes (reads see the state before)."""
    for op in ops:
        if isinstance(op, PutOp):
            action = "write" if op.value is not None else "delete"
            if not model_allows(principal, action, op.namespace):
                return AccessDeniedError
        elif isinstance(op, GetOp) and not model_allows(principal, "read", op.namespace):
            return AccessDeniedError
    results: list[Any] = []
    before = dict(state)
    for op in ops:
        if isinstance(op, GetOp):
            results.append(before.get((op.namespace, op.key)))
        elif isinstance(op, SearchOp):
            prefix = op.namespace_prefix
            results.append({(ns, k, v["v"]) for (ns, k), v in before.items()
                            if ns[: len(prefix)] == prefix
                            and model_allows(principal, "read", ns)})  # fmt: skip
        elif isinstance(op, ListNamespacesOp):
            prefix = op.match_conditions[0].path if op.match_conditions else ()
            results.append({ns for ns, _ in before if ns[: len(prefix)] == prefix
                            and model_allows(principal, "read", ns)})  # fmt: skip
        else:
            if op.value is None:
                state.pop((op.namespace, op.key), None)
            else:
                state[(op.namespace, op.key)] = op.value
            results.append(None)
    return results


def _observed(results: list[Any]) -> list[Any]:
    out: list[Any] = []
    for result in results:
        if isinstance(result, list) and result and isinstance(result[0], tuple):
            out.append(set(result))
        elif isinstance(result, list):
            out.append({(i.namespace, i.key, i.value["v"]) for i in result})
        elif result is not None:
            out.append(result.value)
        else:
            out.append(None)
    return out


def _normalize(expected: list[Any]) -> list[Any]:
    # an empty list_namespaces answer and an empty search answer are both empty lists
    return [set() if isinstance(e, set) and not e else e for e in expected]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=12))
async def test_principals_observe_exactly_their_policy(
    astore: GenesisStore, mode: str, steps: list[tuple[Principal, list[Any]]]
) -> None:
    coll = astore.client[astore.database][astore.collection_name]
    coll.delete_many({})
    guarded = GenesisStore(client=astore.client, async_client=astore.async_client,
                           database=astore.database, access=POLICY)  # fmt: skip
    state: dict[Any, Any] = {}
    for principal, ops in steps:
        view = Api(guarded.as_principal(agent_id=principal.agent_id,
                                        tenant_id=principal.tenant_id,
                                        user_id=principal.user_id), mode)  # fmt: skip
        expected = _model_batch(state, principal, ops)
        if expected is AccessDeniedError:
            try:
                await view.batch(ops)
            except AccessDeniedError:
                pass
            else:
                raise AssertionError(f"{principal} ran {ops} that the model denies")
        else:
            observed = _observed(await view.batch(ops))
            assert [set() if o == set() else o for o in observed] == _normalize(expected), (
                principal, ops)  # fmt: skip
        stored = {(i.namespace, i.key): i.value for i in astore.search((), limit=1000)}
        assert stored == state
