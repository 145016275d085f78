"""Memory layers: named TTL presets usable wherever a TTL is accepted (put, namespace
policies, TTLConfig, memory tools, sessions), documented in minutes and overridable."""

from __future__ import annotations

import time

import pytest

from langgraph_genesis_memory import (
    DEFAULT_NAMESPACE_TTL,
    MEMORY_LAYERS,
    ConfigurationError,
    GenesisStore,
    InvalidArgumentError,
)
from langgraph_genesis_memory.sessions import SessionManager, short_term_namespace
from langgraph_genesis_memory.store._documents import NEVER_MS, item_id
from langgraph_genesis_memory.store._ttl import DEFAULT_NAMESPACE_LAYERS, TTLPolicy, resolve_ttl
from langgraph_genesis_memory.tools import create_manage_memory_tool

DAY = 24 * 60


def test_layers_and_the_default_policies_expressed_in_them() -> None:
    assert MEMORY_LAYERS == {
        "ephemeral": 15,
        "session": DAY,
        "short_term": 30 * DAY,
        "long_term": 180 * DAY,
        "permanent": None,
    }
    assert DEFAULT_NAMESPACE_LAYERS == {
        "agent": "short_term", "business": "long_term", "system": "permanent",
        "short_term": "session",
    }  # fmt: skip
    assert DEFAULT_NAMESPACE_TTL == {
        k: MEMORY_LAYERS[v] for k, v in DEFAULT_NAMESPACE_LAYERS.items()
    }
    assert resolve_ttl("long_term") == 180 * DAY and resolve_ttl(None) is None
    with pytest.raises(ConfigurationError, match="not a memory layer"):
        resolve_ttl("forever")


def test_policy_accepts_layer_names_and_overrides() -> None:
    policy = TTLPolicy(
        {"default_ttl": "ephemeral"},
        namespace_ttl={"agent": "long_term", "notes": "session"},
        layers={"session": 120, "sprint": 14 * DAY},
    )
    assert policy.resolve(("agent", "a"), "sprint") == 14 * DAY
    assert policy.namespace_ttl["agent"] == 180 * DAY
    assert policy.namespace_ttl["notes"] == 120  # the overridden layer
    assert policy.namespace_ttl["short_term"] == DAY  # defaults keep their minutes
    assert policy.resolve(("other",), None) is None
    from langgraph.store.base import NOT_PROVIDED

    assert policy.resolve(("other",), NOT_PROVIDED) == 15
    with pytest.raises(InvalidArgumentError):
        policy.resolve(("agent",), "nope")
    with pytest.raises(ConfigurationError):
        TTLPolicy(layers={"session": -1})


def _expires_in_minutes(mongo_client, database_name, namespace, key) -> float:
    doc = mongo_client[database_name]["store"].find_one({"_id": item_id(namespace, key)})
    if doc["expires_at_ms"] == NEVER_MS:
        return float("inf")
    return (doc["expires_at_ms"] - time.time() * 1000) / 60_000


def test_put_with_a_layer_name(store, mongo_client, database_name) -> None:
    store.put(("agent", "a"), "scratch", {"v": 1}, ttl="ephemeral")
    store.put(("agent", "a"), "fact", {"v": 2}, ttl="permanent")
    store.put(("agent", "a"), "policy", {"v": 3})
    minutes = _expires_in_minutes(mongo_client, database_name, ("agent", "a"), "scratch")
    assert minutes == pytest.approx(15, abs=0.5)
    assert _expires_in_minutes(mongo_client, database_name, ("agent", "a"), "fact") == float("inf")
    minutes = _expires_in_minutes(mongo_client, database_name, ("agent", "a"), "policy")
    assert minutes == pytest.approx(30 * DAY, rel=0.001)
    with pytest.raises(InvalidArgumentError, match="memory layer"):
        store.put(("agent", "a"), "bad", {"v": 4}, ttl="sometimes")
    assert store.get(("agent", "a"), "bad") is None


def test_namespace_policies_in_layer_names(mongo_client, database_name) -> None:
    store = GenesisStore(
        client=mongo_client, database=database_name, namespace_ttl={"agent": "session"}
    )
    store.put(("agent", "b"), "k", {"v": 1})
    minutes = _expires_in_minutes(mongo_client, database_name, ("agent", "b"), "k")
    assert minutes == pytest.approx(DAY, rel=0.001)


def test_memory_tool_and_sessions_take_layer_names(store, mongo_client, database_name) -> None:
    tool = create_manage_memory_tool(("agent", "{agent_id}"), store=store, ttl="ephemeral")
    tool.invoke({"content": "remember briefly"}, {"configurable": {"agent_id": "qa"}})
    (item,) = store.search(("agent", "qa"))
    minutes = _expires_in_minutes(mongo_client, database_name, ("agent", "qa"), item.key)
    assert minutes == pytest.approx(15, abs=0.5)
    with pytest.raises(ConfigurationError):
        create_manage_memory_tool(("agent", "x"), ttl="sometimes")

    sessions = SessionManager(store, layers={"session": 90})  # overridden layer
    sessions.start_session(session_id="l1")
    namespace = short_term_namespace("default", "l1")
    minutes = _expires_in_minutes(mongo_client, database_name, namespace, "session")
    assert minutes == pytest.approx(90, abs=0.5)
    sessions = SessionManager(store, session_ttl="short_term")
    sessions.start_session(session_id="l2")
    namespace = short_term_namespace("default", "l2")
    minutes = _expires_in_minutes(mongo_client, database_name, namespace, "session")
    assert minutes == pytest.approx(30 * DAY, rel=0.001)
    with pytest.raises(ConfigurationError):
        SessionManager(store, session_ttl="sometimes")
