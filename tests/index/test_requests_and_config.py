"""Pure helpers: vector ids, metadata, namespace-prefix where clauses, configuration."""

from __future__ import annotations

import pytest

from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.index import (
    IndexHit,
    best_per_item,
    build_where,
    namespace_where,
    resolve_chroma_config,
    vector_id,
    vector_metadata,
)
from langgraph_genesis_memory.index._requests import chunked, parse_query_result


def test_vector_id_and_metadata() -> None:
    assert vector_id("abc", "a.b") == "abc#a.b"
    meta = vector_metadata("abc", ("agent", "qa", "u1"), "$", {"key": "k1"})
    assert meta == {
        "key": "k1",
        "item_id": "abc",
        "path": "$",
        "ns": "agent.qa.u1",
        "depth": 3,
        "p1": "agent",
        "p2": "agent.qa",
        "p3": "agent.qa.u1",
    }


@pytest.mark.parametrize("extra", [{"item_id": "x"}, {"p2": "x"}, {"depth": 1}])
def test_metadata_refuses_reserved_keys(extra: dict) -> None:
    with pytest.raises(ValueError, match="reserved"):
        vector_metadata("abc", ("a",), "$", extra)


def test_metadata_refuses_empty_namespace() -> None:
    with pytest.raises(ValueError, match="namespace"):
        vector_metadata("abc", (), "$")


def test_where_clauses() -> None:
    assert namespace_where(()) is None
    assert namespace_where(("agent", "qa")) == {"p2": {"$eq": "agent.qa"}}
    assert build_where() is None
    assert build_where(item_ids=["a"]) == {"item_id": {"$in": ["a"]}}
    assert build_where(("agent",), item_ids=["a"], where={"path": "$"}) == {
        "$and": [{"p1": {"$eq": "agent"}}, {"item_id": {"$in": ["a"]}}, {"path": "$"}]
    }


def test_best_per_item_keeps_the_best_field() -> None:
    hits = [
        IndexHit("a", "a#x", 0.5),
        IndexHit("b", "b#$", 0.2),
        IndexHit("a", "a#y", 0.1),
    ]
    best = best_per_item(hits)
    assert [(h.item_id, h.vector_id) for h in best] == [("a", "a#y"), ("b", "b#$")]
    assert best[0].score == pytest.approx(0.9)
    assert best_per_item(hits, 1)[0].item_id == "a"


def test_parse_query_result_falls_back_to_vector_id() -> None:
    result = {"ids": [["i1#$", "i2#t"]], "distances": [[0.1, 0.3]], "metadatas": [[None, {}]]}
    hits = parse_query_result(result)
    assert [(h.item_id, h.path) for h in hits] == [("i1", None), ("i2", None)]
    assert parse_query_result({"ids": [[]], "distances": [[]], "metadatas": [[]]}) == []


def test_chunked() -> None:
    assert chunked([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunked([], 3) == []


def test_config_precedence() -> None:
    env = {"CHROMA_HOST": "chroma.internal", "CHROMA_PORT": "9000", "CHROMA_SSL": "true"}
    assert resolve_chroma_config(env=env) == {
        "mode": "http",
        "host": "chroma.internal",
        "port": 9000,
        "ssl": True,
        "headers": {},
        "collection": "genesis_memory",
    }
    # Arguments win over the environment; in_memory wins over everything.
    assert resolve_chroma_config(path="/d", env=env)["mode"] == "persistent"
    assert resolve_chroma_config(in_memory=True, env=env)["mode"] == "memory"
    env2 = {"GENESIS_CHROMA_PATH": "/data/chroma", "GENESIS_CHROMA_COLLECTION": "mem"}
    assert resolve_chroma_config(env=env2) == {
        "mode": "persistent",
        "path": "/data/chroma",
        "collection": "mem",
    }
    assert resolve_chroma_config(env={}) == {"mode": "memory", "collection": "genesis_memory"}


def test_config_errors() -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        resolve_chroma_config(host="h", path="/p", env={})
    with pytest.raises(ConfigurationError, match="CHROMA_PORT"):
        resolve_chroma_config(env={"CHROMA_HOST": "h", "CHROMA_PORT": "eighty"})


def test_probe_plan() -> None:
    from langgraph_genesis_memory.index._requests import filter_probe, probe_size

    assert probe_size(10, (), None, None) is None
    assert probe_size(10, ("a",), ["x"], None) is None
    assert probe_size(10, ("a",), None, {"path": "$"}) is None
    assert probe_size(5, ("a",), None, None) == 200
    assert probe_size(50, ("a",), None, None) == 1000
    hits = [IndexHit(f"i{i}", f"i{i}#$", i / 10, {"p1": "a" if i % 2 else "b"}) for i in range(6)]
    assert [h.item_id for h in filter_probe(hits, ("a",), 2, 6)] == ["i1", "i3"]
    assert filter_probe(hits, ("a",), 4, 6) is None  # too few: run the filtered query
    assert [h.item_id for h in filter_probe(hits, ("a",), 4, 10)] == ["i1", "i3", "i5"]
