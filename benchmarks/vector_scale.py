"""Scale benchmark: semantic search over 100,000 items in Chroma vs exact brute force.

Deterministic fake embeddings (no model): ``--items`` unit vectors of ``--dims`` floats drawn by
a seeded NumPy generator around ``--clusters`` random centres (real sentence embeddings are
clustered; ``--spread`` sets how tightly), each item in one of 10 namespaces with the index's
namespace metadata (``p1``/``p2``). Queries are fresh vectors from the same distribution.

Measured in one run: insert time, Chroma p50/p95 query latency (query embedding excluded: the
query vectors are given), recall@10 against exact cosine search in NumPy on the same vectors,
without and with a namespace-prefix filter (through ``ChromaIndex.query`` and as a plain
Chroma ``where``); process RSS
(embedded Chroma runs in-process) before and after loading.

Run: ``python benchmarks/vector_scale.py [--items 100000] [--dims 384] [--M 16]
[--ef-construction 200] [--ef-search 100] [--clusters 0]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence

import numpy as np
import psutil

from langgraph_genesis_memory.index import ChromaIndex, IndexEntry, entry_id
from langgraph_genesis_memory.index._requests import namespace_where

NAMESPACES = 10
NEVER = 2**62  # expiry of an item that never expires (epoch ms)


def fake_vectors(
    rng: np.random.Generator, n: int, centres: np.ndarray, spread: float
) -> np.ndarray:
    """``n`` unit vectors around randomly chosen ``centres`` (deterministic given ``rng``)."""
    noise = rng.standard_normal((n, centres.shape[1])).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    if len(centres) == 1 and not centres.any():  # --clusters 0: uniform on the sphere
        return noise
    which = rng.integers(0, len(centres), size=n)
    v = centres[which] + spread * noise
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def measure(
    index: ChromaIndex,
    queries: np.ndarray,
    truth: list[list[str]],
    prefix: Sequence[str],
    force_where: bool = False,
) -> tuple[float, float, float]:
    """Return (p50 ms, p95 ms, recall@10) of Chroma against the exact top 10.

    ``force_where`` sends the prefix as a plain Chroma ``where`` on the collection (no
    unfiltered probe).
    """
    lat, rec = [], []
    where = namespace_where(prefix) if force_where else None
    for q, exact in zip(queries, truth, strict=True):
        t0 = time.perf_counter()
        if where is not None:
            got = index.collection.query(
                query_embeddings=[q.tolist()],
                n_results=10,
                where=where,
                include=["distances", "metadatas"],
            )
            found = {str(m["item_id"]) for m in got["metadatas"][0]}
        else:
            hits, _ = index.query(q.tolist(), 10, namespace_prefix=prefix)
            found = {h.item_id for h in hits}
        lat.append(1000 * (time.perf_counter() - t0))
        rec.append(len(found & set(exact)) / 10)
    lat.sort()
    return statistics.median(lat), lat[int(0.95 * (len(lat) - 1))], statistics.mean(rec)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--items", type=int, default=100_000)
    p.add_argument("--dims", type=int, default=384)
    p.add_argument("--queries", type=int, default=500)
    p.add_argument("--clusters", type=int, default=1000, help="0: uniform random (hardest)")
    p.add_argument("--spread", type=float, default=1.0, help="noise norm relative to a centre")
    p.add_argument("--M", type=int, default=16, help="HNSW max_neighbors")
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument(
        "--ef-search",
        type=int,
        default=100,
        help="HNSW ef_search, set at creation (chromadb 1.5.9 ignores later changes in-process)",
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--path", default=None, help="persistent directory (default: a temp dir)")
    args = p.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    if args.clusters > 0:
        centres = rng.standard_normal((args.clusters, args.dims)).astype(np.float32)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    else:
        centres = np.zeros((1, args.dims), dtype=np.float32)
    data = fake_vectors(rng, args.items, centres, args.spread)
    queries = fake_vectors(rng, args.queries, centres, args.spread)
    ids = [f"item{i:06d}" for i in range(args.items)]
    ns_of = np.arange(args.items) % NAMESPACES

    shape = (
        f"clustered fake vectors: {args.clusters} centres, spread {args.spread}"
        if args.clusters
        else "uniform random unit vectors"
    )
    print(
        f"{args.items} items x {args.dims} dims ({shape}), {args.queries} queries; "
        f"HNSW M={args.M}, "
        f"ef_construction={args.ef_construction}, ef_search={args.ef_search}; "
        "embedded persistent Chroma"
    )

    # Exact answers (brute force cosine on unit vectors = dot product).
    t0 = time.perf_counter()
    sims = queries @ data.T
    truth_all = [[ids[i] for i in np.argsort(-row)[:10]] for row in sims]
    target_ns = 3
    mask = ns_of == target_ns
    sub_ids = np.flatnonzero(mask)
    truth_ns = [[ids[sub_ids[i]] for i in np.argsort(-row[mask])[:10]] for row in sims]
    exact_ms = 1000 * (time.perf_counter() - t0) / args.queries
    print(f"exact NumPy search: {exact_ms:.2f} ms/query (batched matrix product)")

    with tempfile.TemporaryDirectory() as tmp:
        rss0 = rss_mb()
        index = ChromaIndex.from_config(
            path=args.path or tmp,
            collection="scale-bench",
            hnsw={
                "max_neighbors": args.M,
                "ef_construction": args.ef_construction,
                "ef_search": args.ef_search,
            },
        )
        t0 = time.perf_counter()
        batch = 5000
        for start in range(0, args.items, batch):
            sl = slice(start, start + batch)
            index.upsert(
                [
                    IndexEntry(
                        id=entry_id(i, "$"),
                        item_id=i,
                        namespace=("bench", f"ns{n}"),
                        key=i,
                        path="$",
                        hash="",
                        expires_ms=NEVER,
                        vector=v,
                    )
                    for i, n, v in zip(ids[sl], ns_of[sl], data[sl].tolist(), strict=True)
                ]
            )
        insert_s = time.perf_counter() - t0
        print(
            f"inserted {index.count()} vectors in {insert_s:.1f} s "
            f"({args.items / insert_s:.0f} vectors/s); RSS {rss0:.0f} MB -> {rss_mb():.0f} MB "
            f"(raw float32 vectors: {data.nbytes / 2**20:.0f} MB)"
        )
        for _ in range(20):  # warm-up
            index.query(queries[0].tolist(), 10)

        print("\n| namespace filter | path | p50 ms | p95 ms | recall@10 |")
        print("|---|---|---:|---:|---:|")
        ns3 = ("bench", f"ns{target_ns}")
        for label, prefix, truth, force in (
            ("none (100k)", (), truth_all, False),
            ("prefix ('bench',) (all 100k)", ("bench",), truth_all, False),
            ("prefix ('bench','ns3') (10k)", ns3, truth_ns, False),
            ("prefix ('bench',) (all 100k)", ("bench",), truth_all, True),
            ("prefix ('bench','ns3') (10k)", ns3, truth_ns, True),
        ):
            p50, p95, rec = measure(index, queries, truth, prefix, force)
            path = "Chroma where only" if force else "ChromaIndex.query (probe, then where)"
            print(f"| {label} | {path} | {p50:.2f} | {p95:.2f} | {rec:.3f} |", flush=True)
        print(f"\nRSS after queries: {rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
