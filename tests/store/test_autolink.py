"""Automatic links at write time (issue 15): off by default; with ``auto_links=``, an item links
to earlier items of its namespace sharing a rare term."""

from __future__ import annotations

import pytest
from langgraph.store.base import PutOp

from langgraph_genesis_memory import ConfigurationError, GenesisStore
from langgraph_genesis_memory.store._autolink import names_in, words_in
from langgraph_genesis_memory.store._documents import decode_path, item_id
from tests.store.conftest import FakeClock, make_store


def links(store: GenesisStore, namespace: tuple[str, ...], key: str) -> list[str]:
    coll = store.client[store.database][store.collection_name]
    doc = coll.find_one({"_id": item_id(namespace, key)})
    return [decode_path(t)[-1] for t in doc.get("link_to") or []]


def test_names_heuristic():
    text = "Thanks! Caroline went to the Pride parade in Boston with the LGBTQ group."
    # "Caroline" starts the sentence: a single capitalised first word is not taken for a name.
    assert names_in([text]) == ["pride", "boston", "lgbtq"]
    assert names_in(["Then Caroline called."]) == ["caroline"]
    assert names_in(["Melanie: I love it. Yesterday was fun"]) == []
    assert words_in(["The painting workshops"]) == ["paint", "workshop"]


def test_items_link_to_earlier_items_sharing_a_rare_name(mongo_client, database_name):
    store = make_store(mongo_client, database_name, auto_links={"by": "names", "max_shared": 2})
    ns = ("conv",)
    store.batch(
        [
            PutOp(ns, "1", {"text": "We went to the parade in Boston"}),
            PutOp(ns, "2", {"text": "my dog Oscar is sick"}),
            PutOp(ns, "3", {"text": "it rained in Boston yesterday"}),  # same batch: op order
        ]
    )
    store.put(ns, "4", {"text": "Now Oscar is better, and Boston is sunny"})
    assert links(store, ns, "1") == [] and links(store, ns, "2") == []
    assert links(store, ns, "3") == ["1"]
    assert sorted(links(store, ns, "4")) == ["1", "2", "3"]
    # Boston is now held by three earlier items, more than max_shared=2: no longer rare.
    store.put(ns, "5", {"text": "See you at the Boston marathon"})
    assert links(store, ns, "5") == []
    # The value is unchanged: automatic links live on the document only.
    assert "relationships" not in store.get(ns, "4").value
    # Another namespace never links in.
    store.put(("other",), "5", {"text": "Boston again"})
    assert links(store, ("other",), "5") == []


def test_off_by_default_and_bad_configuration(mongo_client, database_name):
    store = make_store(mongo_client, database_name)
    store.put(("n",), "a", {"text": "Boston"})
    store.put(("n",), "b", {"text": "Boston"})
    assert links(store, ("n",), "b") == []
    for bad in ({"by": "topics"}, {"max_shared": 0}, {"max_shared": 101}, {"max_links": True},
                {"fields": "text"}, {"unknown": 1}, ["by"]):  # fmt: skip
        with pytest.raises(ConfigurationError):
            GenesisStore(client=mongo_client, database=database_name, auto_links=bad)


def postings(store: GenesisStore) -> dict[str, tuple[int, list[str]]]:
    """term -> (how many items hold it, their keys) for namespace ("n",)."""
    coll = store.client[store.database][store.collection_name + "_link_terms"]
    out = {}
    for doc in coll.find({}):
        labels = decode_path(doc["_id"])
        assert labels[:-1] == ("n",)
        out[labels[-1]] = (doc["n"], [decode_path(i)[-1] for i in doc["ids"]])
    return out


def test_postings_follow_overwrites_deletes_and_purges(mongo_client, database_name):
    store = make_store(mongo_client, database_name, auto_links={"max_shared": 2})
    store.put(("n",), "a", {"text": "violin lessons"})
    store.put(("n",), "b", {"text": "violin recital"})
    assert postings(store)["violin"] == (2, ["a", "b"]) and links(store, ("n",), "b") == ["a"]
    # an overwrite with other words: "a" no longer holds violin or lesson
    store.put(("n",), "a", {"text": "guitar lessons"})
    got = postings(store)
    assert (
        got["violin"] == (1, ["b"]) and got["guitar"] == (1, ["a"]) and got["lesson"] == (1, ["a"])
    )
    # a delete: its terms are forgotten, and a term nobody holds leaves no trace
    store.delete(("n",), "b")
    got = postings(store)
    assert "violin" not in got and "recit" not in got and got["guitar"] == (1, ["a"])
    store.put(("n",), "c", {"text": "a violin again"})
    assert links(store, ("n",), "c") == []  # b, the only other violin item, is gone
    # the same key written twice in one batch counts once
    store.batch([PutOp(("n",), "d", {"text": "guitar"}), PutOp(("n",), "d", {"text": "guitar!"})])
    assert postings(store)["guitar"] == (2, ["a", "d"]) and links(store, ("n",), "d") == ["a"]
    store.purge(prefix=("n",))
    assert postings(store) == {}


def test_a_common_term_is_counted_and_links_nothing(mongo_client, database_name):
    """Rarity comes from the postings' counts (one postings document per term, however many
    items share it)."""
    store = make_store(mongo_client, database_name, auto_links={"max_shared": 3})
    store.batch([PutOp(("n",), f"k{i}", {"text": f"weather report {i}"}) for i in range(40)])
    store.put(("n",), "x", {"text": "weather in Lisbon"})
    store.put(("n",), "y", {"text": "Lisbon trams"})
    assert postings(store)["weather"][0] == 41 and len(postings(store)["weather"][1]) == 41
    assert links(store, ("n",), "x") == [] and links(store, ("n",), "y") == ["x"]


def test_expiry_sweeps_and_rewrites_keep_counts(mongo_client, database_name):
    clock = FakeClock()
    store = make_store(mongo_client, database_name, auto_links={}, clock=clock)
    store.put(("n",), "a", {"text": "violin"}, ttl=1)
    store.put(("n",), "b", {"text": "violin"})
    clock.advance(2)  # "a" expired; MongoDB's TTL monitor has not removed it yet
    store.put(("n",), "a", {"text": "violin"})  # written again: counted once, not twice
    assert postings(store)["violin"] == (2, ["a", "b"])
    store.put(("n",), "c", {"text": "cello"}, ttl=1)
    clock.advance(2)
    assert store.sweep() == 1  # the sweep takes c's terms back
    assert "cello" not in postings(store)


def test_configured_fields_win_over_a_puts_index(mongo_client, database_name):
    store = make_store(mongo_client, database_name, auto_links={"fields": ["text"]})
    store.put(("n",), "a", {"text": "violin", "title": "cello"}, index=["title"])
    store.put(("n",), "b", {"text": "violin", "title": "harp"}, index=False)
    assert sorted(postings(store)) == ["violin"]
    assert links(store, ("n",), "b") == ["a"]
