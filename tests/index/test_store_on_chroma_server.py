"""GenesisStore with its vector index on a real ``chroma run`` server (HTTP clients)."""

from __future__ import annotations

import uuid

from langgraph.store.base import PutOp

from langgraph_genesis_memory import GenesisStore
from langgraph_genesis_memory.embeddings import HashEmbeddings

FACTS = {
    "tea": "Caroline drinks green tea every morning",
    "hike": "Melanie went hiking in the mountains with her kids",
    "paint": "Melanie painted a sunset over the lake",
}


def _index() -> dict:
    return {"dims": 128, "embed": HashEmbeddings(128), "fields": ["text"]}


def test_sync_store_on_chroma_server(chroma_server, mongodb_uri, mongo_client) -> None:
    host, port = chroma_server
    database = f"srv_{uuid.uuid4().hex[:8]}"
    chroma = {"host": host, "port": port, "collection": f"srv-{uuid.uuid4().hex[:8]}"}
    try:
        with GenesisStore.from_conn_string(
            mongodb_uri, database=database, index=_index(), chroma=chroma
        ) as store:
            store.setup()
            store.batch([PutOp(("conv",), k, {"text": t}) for k, t in FACTS.items()])
            assert store.vector_index.count() == 3
            hits = store.search(("conv",), query="hiking with the kids", limit=1)
            assert hits[0].key == "hike"
            store.delete(("conv",), "hike")
            assert store.vector_index.count() == 2
            assert store.reindex().vectors_deleted == 0
    finally:
        mongo_client.drop_database(database)


async def test_async_store_on_chroma_server(chroma_server, mongodb_uri, mongo_client) -> None:
    host, port = chroma_server
    database = f"srv_{uuid.uuid4().hex[:8]}"
    chroma = {"host": host, "port": port, "collection": f"srv-{uuid.uuid4().hex[:8]}"}
    try:
        async with GenesisStore.afrom_conn_string(
            mongodb_uri, database=database, index=_index(), chroma=chroma
        ) as store:
            await store.asetup()
            await store.abatch([PutOp(("conv",), k, {"text": t}) for k, t in FACTS.items()])
            hits = await store.asearch(("conv",), query="painted sunset lake", limit=1)
            assert hits[0].key == "paint"
            result = await store.areindex(full=True)
            assert result.vectors_written == 3
            # the sync index (its own HttpClient) reopens the recreated collection by name
            assert store.search(("conv",), query="green tea", limit=1)[0].key == "tea"
    finally:
        mongo_client.drop_database(database)
