"""Words ranking through the word index (SQLite FTS5), kept in step with MongoDB.

The word index is a derived index like the vector index: written after MongoDB, flagged on
failure, repaired by ``reindex()``, swept with expired items; a query reads the index, not the
namespace.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from langgraph.store.base import PutOp
from pymongo import MongoClient, monitoring

from langgraph_genesis_memory import GenesisStore
from langgraph_genesis_memory.embeddings import HashEmbeddings
from langgraph_genesis_memory.index import ChromaIndex, SqliteWordIndex
from tests.store.conftest import FakeClock

_names = itertools.count()

DOCS = {
    "tea": "Caroline drinks green tea every morning before work",
    "hike": "Melanie went hiking in the mountains with her kids",
    "paint": "Melanie painted a sunset over the lake last summer",
    "adopt": "Caroline is researching adoption agencies to become a mother",
    "pottery": "Melanie signed up for a pottery class on weekends",
}


def make_store(client: MongoClient, database: str, path: Path, **kwargs) -> GenesisStore:
    store = GenesisStore(
        client=client,
        database=database,
        collection=f"w{next(_names)}",
        word_index=SqliteWordIndex(path),
        **kwargs,
    )
    store.setup()
    return store


def entries(store: GenesisStore) -> dict[str, str]:
    return store.word_index.hashes()


def test_words_rank_from_the_index_not_the_namespace(mongo_client, database_name, tmp_path):
    store = make_store(mongo_client, database_name, tmp_path / "w.sqlite3")
    store.batch([PutOp(("conv",), k, {"text": t}) for k, t in DOCS.items()])
    store.put(("other",), "tea", {"text": "tea tea tea"})

    class Finds(monitoring.CommandListener):
        def __init__(self) -> None:
            self.returned = 0

        def started(self, event) -> None: ...

        def succeeded(self, event) -> None:
            if event.command_name in ("find", "getMore"):
                batch = event.reply.get("cursor", {})
                self.returned += len(batch.get("firstBatch", batch.get("nextBatch", [])))

        def failed(self, event) -> None: ...

    counter = Finds()
    client = MongoClient(
        mongo_client.address and f"mongodb://{mongo_client.address[0]}:{mongo_client.address[1]}"
        "/?directConnection=true", event_listeners=[counter], tz_aware=True,
    )  # fmt: skip
    try:
        reader = GenesisStore(
            client=client,
            database=database_name,
            collection=store.collection_name,
            word_index=store.word_index,
        )
        hits = reader.search(("conv",), query="What did Melanie paint?", limit=2)
        assert [h.key for h in hits] == ["paint", "hike"]  # "Melanie" matches twice
        assert hits[0].score > hits[1].score > 0
        assert counter.returned <= 6  # the matches and the page: not the namespace
        assert [h.key for h in reader.search(("conv",), query="green tea")][:1] == ["tea"]
        assert "other" not in {h.namespace[0] for h in reader.search(("conv",), query="tea")}
    finally:
        client.close()


def test_index_follows_updates_deletes_and_filters(mongo_client, database_name, tmp_path):
    store = make_store(mongo_client, database_name, tmp_path / "w.sqlite3")
    store.batch([PutOp(("conv",), k, {"text": t, "n": i}) for i, (k, t) in enumerate(DOCS.items())])
    before = entries(store)
    store.put(("conv",), "tea", {"text": "Caroline switched to black coffee", "n": 0})
    assert entries(store)["conv\x01tea#$"] != before["conv\x01tea#$"]
    assert store.search(("conv",), query="coffee", limit=1)[0].key == "tea"
    assert [h.key for h in store.search(("conv",), query="green tea") if h.score] == []
    store.delete(("conv",), "hike")
    assert "conv\x01hike#$" not in entries(store)
    found = store.search(("conv",), query="Melanie", filter={"n": {"$gte": 3}})
    assert [h.key for h in found if h.score is not None] == ["pottery"]
    assert {h.key for h in found} == {"pottery", "adopt"}  # unscored matches of the filter follow
    # Unchanged text is not written again (the recorded hash matches).
    again = entries(store)
    store.put(("conv",), "adopt", {"text": DOCS["adopt"], "n": 3})
    assert entries(store) == again


def test_expired_items_never_match_and_sweeps_clean_the_index(
    mongo_client, database_name, tmp_path
):
    clock = FakeClock()
    store = make_store(mongo_client, database_name, tmp_path / "w.sqlite3", clock=clock)
    store.put(("short_term", "s"), "a", {"text": "temporary note about tea"}, ttl=1)
    store.put(("short_term", "s"), "b", {"text": "lasting note about tea"}, ttl=60)
    clock.advance(2)
    assert [h.key for h in store.search(("short_term",), query="tea")] == ["b"]
    assert store.sweep() == 1
    assert set(entries(store)) == {"short_term\x01s\x01b#$"}


def test_a_failed_index_write_is_flagged_and_reindex_repairs_it(
    mongo_client, database_name, tmp_path
):
    path = tmp_path / "w.sqlite3"
    store = make_store(mongo_client, database_name, path)
    store.put(("conv",), "tea", {"text": DOCS["tea"]})
    store.word_index.close()  # the index breaks: writes fail, MongoDB keeps the items
    store.put(("conv",), "hike", {"text": DOCS["hike"]})
    doc = mongo_client[database_name][store.collection_name].find_one({"_id": "conv\x01hike"})
    assert doc["index_pending"] is True
    store.word_index = SqliteWordIndex(path)  # back (another process, a restart...)
    store.async_word_index = None
    result = store.reindex()
    assert result.items == 1 and result.words_written == 1
    assert set(entries(store)) == {"conv\x01tea#$", "conv\x01hike#$"}
    assert store.search(("conv",), query="mountains", limit=1)[0].key == "hike"


def test_the_index_file_is_shared_by_processes(mongo_client, mongodb_uri, database_name, tmp_path):
    path = tmp_path / "w.sqlite3"
    store = make_store(mongo_client, database_name, path)
    store.put(("conv",), "tea", {"text": DOCS["tea"]})
    child = textwrap.dedent(f"""
        from pymongo import MongoClient
        from langgraph_genesis_memory import GenesisStore
        from langgraph_genesis_memory.index import SqliteWordIndex
        store = GenesisStore(client=MongoClient({mongodb_uri!r}), database={database_name!r},
                             collection={store.collection_name!r},
                             word_index=SqliteWordIndex({str(path)!r}))
        store.batch([])
        store.put(("conv",), "hike", {{"text": {DOCS["hike"]!r}}})
        print([h.key for h in store.search(("conv",), query="tea")][:1])
    """)
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "['tea']" in done.stdout  # the child reads what this process indexed...
    assert store.search(("conv",), query="mountains", limit=1)[0].key == "hike"  # ...and back


def test_hybrid_fuses_vectors_with_the_word_index(mongo_client, database_name, tmp_path):
    store = make_store(
        mongo_client,
        database_name,
        tmp_path / "w.sqlite3",
        index={"dims": 64, "embed": HashEmbeddings(64), "fields": ["text"]},
        vector_index=ChromaIndex.from_config(in_memory=True, collection=f"w-{next(_names)}-ix"),
    )
    store.batch([PutOp(("conv",), k, {"text": t}) for k, t in DOCS.items()])
    assert set(entries(store)) == {f"conv\x01{k}#text" for k in DOCS}
    hits = store.search(("conv",), query="Caroline adoption", limit=3)
    assert hits[0].key == "adopt" and hits[0].score is not None
    assert store.reindex().items == 0  # both indexes agree with MongoDB


async def test_async_words(astore, tmp_path):
    store = GenesisStore(
        client=astore.client, async_client=astore.async_client, database=astore.database,
        collection=f"w{next(_names)}", word_index=SqliteWordIndex(tmp_path / "w.sqlite3"),
    )  # fmt: skip
    await store.asetup()
    await store.abatch([PutOp(("conv",), k, {"text": t}) for k, t in DOCS.items()])
    hits = await store.asearch(("conv",), query="pottery weekends", limit=1)
    assert [h.key for h in hits] == ["pottery"]
    assert await store.asweep() == 0


def test_lexical_index_needs_a_word_index(mongo_client) -> None:
    from langgraph_genesis_memory import ConfigurationError

    with pytest.raises(ConfigurationError, match="word index"):
        GenesisStore(client=mongo_client, lexical="index")


def test_a_search_over_items_not_yet_indexed_says_so(mongo_client, database_name, tmp_path):
    from langgraph_genesis_memory.errors import UnindexedItemsWarning

    plain = GenesisStore(client=mongo_client, database=database_name, collection="late")
    plain.batch([PutOp(("conv",), k, {"text": t}) for k, t in DOCS.items()])
    late = GenesisStore(
        client=mongo_client, database=database_name, collection="late",
        word_index=SqliteWordIndex(tmp_path / "late.sqlite3"),
    )  # fmt: skip
    with pytest.warns(UnindexedItemsWarning, match=r"5 item\(s\) .*reindex\(\)"):
        hits = late.search(("conv",), query="pottery")
    assert {h.key for h in hits} == set(DOCS) and all(h.score is None for h in hits)
    assert late.reindex().words_written == 5
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UnindexedItemsWarning)
        assert late.search(("conv",), query="pottery")[0].key == "pottery"
