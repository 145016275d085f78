"""Many writers at once: nothing lost, nothing mixed up."""

from __future__ import annotations

import asyncio
import threading

from langgraph_genesis_memory import GenesisStore


async def test_1000_concurrent_aputs_then_agets(astore: GenesisStore) -> None:
    namespaces = [("agent", f"a{i % 10}") for i in range(1000)]
    await asyncio.gather(
        *(
            astore.aput(ns, f"k{i}", {"i": i, "text": f"memory {i}"})
            for i, ns in enumerate(namespaces)
        )
    )
    items = await asyncio.gather(*(astore.aget(ns, f"k{i}") for i, ns in enumerate(namespaces)))
    assert [item.value["i"] for item in items] == list(range(1000))
    assert len(await astore.alist_namespaces(prefix=("agent",), limit=100)) == 10
    found = await astore.asearch(("agent",), limit=2000)
    assert len(found) == 1000


def test_threads_writing_different_keys_do_not_interfere(store: GenesisStore) -> None:
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for i in range(50):
                store.put(("shared",), f"w{worker}-{i}", {"worker": worker, "i": i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    items = store.search(("shared",), limit=1000)
    assert sorted((i.value["worker"], i.value["i"]) for i in items) == [
        (w, i) for w in range(8) for i in range(50)
    ]
