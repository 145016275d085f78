"""Links between items and graph search (issue 15), against the local MongoDB-compatible server.

Links are written in a value's ``relationships`` or with ``link``/``unlink``, stored on the
document as ``link_to``, removed when their target is deleted or swept, and walked by
``search_mode="graph"`` and by hybrid search's graph ranking within the searched prefix and
filter only.
"""

from __future__ import annotations

import pytest
from langgraph.store.base import PutOp

from langgraph_genesis_memory import GenesisStore, InvalidArgumentError, InvalidValueError
from langgraph_genesis_memory.store import GenesisSearchOp, SearchOptions
from langgraph_genesis_memory.store._documents import decode_path, item_id
from tests.store.conftest import FakeClock, make_store


def linked_keys(store: GenesisStore, namespace: tuple[str, ...], key: str) -> list[str]:
    """The keys an item's document links to (its ``link_to``, decoded)."""
    coll = store.client[store.database][store.collection_name]
    doc = coll.find_one({"_id": item_id(namespace, key)})
    return sorted(decode_path(target)[-1] for target in doc.get("link_to") or [])


def scored(items) -> list[str]:
    """The keys of the items a ranking placed (unplaced ones follow unscored, as in LangGraph's
    ``InMemoryStore``)."""
    return [i.key for i in items if i.score is not None]


def chain(store: GenesisStore) -> None:
    """a -> b -> c in ("conv",): only ``a`` mentions tea; ``x`` is unrelated."""
    store.batch(
        [
            PutOp(("conv",), "a", {"text": "Caroline drinks green tea"}),
            PutOp(
                ("conv",),
                "b",
                {"text": "she moved to Lyon", "relationships": [{"key": "a", "type": "next"}]},
            ),
            PutOp(("conv",), "c", {"text": "her job at the bakery"}),
            PutOp(("conv",), "x", {"text": "the weather is mild"}),
        ]
    )
    store.link(("conv",), "c", ("conv",), "b", type="next")


def test_links_written_with_the_value_and_by_link_are_stored_and_walked(
    mongo_client, database_name
):
    store = make_store(mongo_client, database_name)
    chain(store)
    assert linked_keys(store, ("conv",), "b") == ["a"]
    assert linked_keys(store, ("conv",), "c") == ["b"]
    assert store.get(("conv",), "c").value["relationships"] == [
        {"namespace": ["conv"], "key": "b", "type": "next"}
    ]
    # Depth 1: the seed (a) and what links to it (b); depth 2 reaches c; x never.
    one = store.search(("conv",), query="tea", search_mode="graph", graph_depth=1)
    assert scored(one) == ["a", "b"]
    assert one[0].score > one[1].score > 0
    two = store.search(("conv",), query="tea", search_mode="graph", graph_depth=2)
    assert scored(two) == ["a", "b", "c"]
    assert two[1].score == pytest.approx(0.5 * two[0].score)
    assert two[2].score == pytest.approx(0.5 * two[1].score)
    zero = store.search(("conv",), query="tea", search_mode="graph", graph_depth=0)
    assert scored(zero) == ["a"]
    # Plain LangGraph search ops are unchanged: no graph, words only.
    assert scored(store.search(("conv",), query="tea")) == ["a"]
    # Without a vector index, hybrid search with a graph weight fuses words and the graph.
    fused = store.search(("conv",), query="tea", graph_weight=1.0, graph_depth=2)
    assert scored(fused) == ["a", "b", "c"]


def test_hybrid_fuses_the_graph_ranking_by_weight(mongo_client, database_name):
    store = make_store(mongo_client, database_name, vectors=True)
    chain(store)
    fused = store.search(("conv",), query="green tea", limit=4, graph_weight=1.0)
    plain = store.search(("conv",), query="green tea", limit=4, graph_weight=0)
    assert fused[0].key == plain[0].key == "a"
    # b is reached through its link only: graph fusion ranks it above unrelated items.
    keys = [i.key for i in fused]
    assert keys.index("b") < keys.index("x")
    scores_plain = {i.key: i.score for i in plain}
    scores_fused = {i.key: i.score for i in fused}
    assert scores_fused["b"] > (scores_plain.get("b") or 0)
    # The store-level default: graph_weight=0 leaves links out of hybrid search.
    off = make_store(mongo_client, database_name, vectors=True, graph_weight=0.0)
    chain(off)
    assert [(i.key, i.score) for i in off.search(("conv",), query="green tea", limit=4)] == [
        (i.key, i.score) for i in plain
    ]


def test_links_never_leave_the_prefix_or_the_filter(mongo_client, database_name):
    store = make_store(mongo_client, database_name)
    store.put(("conv", "1"), "seed", {"text": "pottery class", "kind": "note"})
    store.put(
        ("conv", "2"),
        "outside",
        {
            "text": "kiln",
            "kind": "note",
            "relationships": [{"namespace": ["conv", "1"], "key": "seed"}],
        },
    )
    store.put(
        ("conv", "1"),
        "hidden",
        {"text": "glaze", "kind": "secret", "relationships": [{"key": "seed"}]},
    )
    store.put(("conv", "1"), "shown", {"text": "wheel", "kind": "note"})
    store.link(("conv", "1"), "seed", ("conv", "1"), "shown")
    store.link(("conv", "1"), "seed", ("conv", "2"), "outside")
    got = store.search(("conv", "1"), query="pottery", search_mode="graph", filter={"kind": "note"})
    assert scored(got) == ["seed", "shown"]
    wide = store.search(("conv",), query="pottery", search_mode="graph")
    assert sorted(scored(wide)) == ["hidden", "outside", "seed", "shown"]


def test_deleting_a_target_removes_the_links_to_it(mongo_client, database_name):
    store = make_store(mongo_client, database_name)
    chain(store)
    store.delete(("conv",), "b")
    assert linked_keys(store, ("conv",), "c") == []
    coll = store.client[store.database][store.collection_name]
    assert coll.count_documents({"link_to": {"$in": [d["_id"] for d in coll.find()]}}) == 0
    got = store.search(("conv",), query="tea", search_mode="graph", graph_depth=3)
    assert scored(got) == ["a"]
    # The value keeps what its writer wrote: a stale entry stays there, but leads nowhere.
    assert store.get(("conv",), "c").value["relationships"][0]["key"] == "b"


def test_expired_targets_are_not_walked_and_sweeps_remove_their_links(mongo_client, database_name):
    clock = FakeClock()
    store = make_store(mongo_client, database_name, clock=clock)
    store.put(("conv",), "a", {"text": "tea"}, ttl=None)
    store.put(("conv",), "b", {"text": "lyon", "relationships": [{"key": "a"}]}, ttl=5)
    store.put(("conv",), "c", {"text": "bakery", "relationships": [{"key": "b"}]}, ttl=None)
    before = store.search(("conv",), query="tea", search_mode="graph", graph_depth=2)
    assert scored(before) == ["a", "b", "c"]
    clock.advance(10)
    after = store.search(("conv",), query="tea", search_mode="graph", graph_depth=2)
    assert scored(after) == ["a"]  # b expired: the walk stops there
    assert store.sweep() == 1
    assert linked_keys(store, ("conv",), "c") == []
    coll = store.client[store.database][store.collection_name]
    assert coll.find_one({"_id": item_id(("conv",), "c")})["link_to"] == []


async def test_link_and_unlink_sync_and_async(api, mode):
    store = api.store
    await api.put(("n",), "a", {"text": "alpha"})
    await api.put(("n",), "b", {"text": "beta"})
    assert await api.link(("n",), "a", ("n",), "b", type="cites") is True
    assert await api.link(("n",), "a", ("n",), "b", type="cites") is False
    assert await api.link(("n",), "a", ("n",), "b", type="replies_to") is True
    value = (await api.get(("n",), "a")).value
    assert [r["type"] for r in value["relationships"]] == ["cites", "replies_to"]
    got = await api.search(("n",), query="alpha", search_mode="graph")
    assert scored(got) == ["a", "b"]
    assert await api.unlink(("n",), "a", ("n",), "b", type="cites") is True
    assert [r["type"] for r in (await api.get(("n",), "a")).value["relationships"]] == [
        "replies_to"
    ]
    assert await api.unlink(("n",), "a", ("n",), "b") is True
    assert await api.unlink(("n",), "a", ("n",), "b") is False
    got = await api.search(("n",), query="alpha", search_mode="graph")
    assert scored(got) == ["a"]
    with pytest.raises(InvalidArgumentError, match="No live item"):
        await api.link(("n",), "a", ("n",), "missing")
    del store


def test_link_knows_a_link_written_without_its_namespace(store):
    """A ``relationships`` entry without ``namespace`` means the item's own: ``link`` to the
    same target and type finds it there and adds nothing."""
    store.put(("n",), "b", {"text": "beta"})
    store.put(("n",), "a", {"text": "alpha", "relationships": [{"key": "b"}]})
    assert store.link(("n",), "a", ("n",), "b") is False
    assert store.get(("n",), "a").value["relationships"] == [{"key": "b"}]


@pytest.mark.parametrize(
    "relationships",
    [
        "b",
        [{"namespace": ["n"]}],
        [{"key": "b", "type": ""}],
        [{"key": "b", "weight": 2}],
        [{"key": "", "type": "x"}],
        [{"namespace": ["a.b"], "key": "b"}],
        [{"key": "b"}] * 1001,
    ],
)
def test_bad_relationships_are_rejected_before_any_write(store, relationships):
    store.put(("n",), "keep", {"text": "kept"})
    with pytest.raises(InvalidValueError):
        store.batch(
            [
                PutOp(("n",), "other", {"text": "x"}),
                PutOp(("n",), "a", {"text": "x", "relationships": relationships}),
            ]
        )
    assert store.get(("n",), "a") is None and store.get(("n",), "other") is None
    assert store.get(("n",), "keep") is not None


def test_bad_graph_options_are_rejected_before_any_io(store):
    for kwargs in (
        {"search_mode": "web"},
        {"graph_depth": 4},
        {"graph_depth": -1},
        {"graph_depth": True},
        {"graph_weight": -1.0},
        {"graph_weight": float("nan")},
    ):
        with pytest.raises(InvalidArgumentError):
            store.search(("n",), query="x", **kwargs)
    with pytest.raises(InvalidArgumentError):
        store.link(("n",), "a", ("n",), "b", type="")
    with pytest.raises(ValueError):
        store.link(("n",), "", ("n",), "b")


def test_genesis_search_op_in_a_batch_and_as_a_plain_search_op(store):
    chain(store)
    op = GenesisSearchOp(("conv",), query="tea", options=SearchOptions(search_mode="graph"))
    assert op._replace(limit=1).options.search_mode == "graph"
    [graph, plain] = store.batch([op, op._replace(options=SearchOptions())])
    assert scored(graph) == ["a", "b"]
    assert scored(plain) == ["a"]
