"""How ``GenesisStore.search`` latency grows with the memories under the searched prefix.

Everything goes through ``GenesisStore.search`` as local mode runs it: a fresh local
MongoDB-compatible server (nx-27017) in a temporary folder, the word index (SQLite FTS5 file)
and an embedded persistent Chroma directory beside it. Items are synthetic notes (words drawn
from a Zipf-like vocabulary, so common and rare words both occur) with a numeric field ``n``;
vectors come from ``HashEmbeddings`` (384 dimensions, deterministic, microseconds per text),
whose query-embedding time is reported separately (and MiniLM's for reference when installed).

Measured, p50/p95 over ``--queries`` queries per cell:

* one prefix holding 1,000 / 10,000 / 100,000 items: ``lexical`` (the word index), ``vector``,
  ``hybrid`` (the default) and ``filtered`` (``filter={"n": {"$gte": ...}}``, no query); and
  ``scan`` (in-memory BM25 over the prefix read per query, the engine the word index replaced)
  at 1,000 and 10,000 only;
* 100 tenants of 1,000 items each, searching one tenant's prefix.

Targets (issue 11): p50 at 100,000 items <= 2.5x p50 at 1,000 items for every mode; hybrid p50
at 100,000 items under 50 ms, excluding the query embedding.

Usage::

    python benchmarks/search_scale.py                   # 1k/10k/100k + tenants: ~15-25 min
    python benchmarks/search_scale.py --sizes 1000 10000 --tenants 10 --queries 20   # quick
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langgraph.store.base import PutOp
from pymongo import MongoClient

from langgraph_genesis_memory import GenesisStore, LocalServer
from langgraph_genesis_memory._connection import client_options
from langgraph_genesis_memory.embeddings import HashEmbeddings
from langgraph_genesis_memory.index import ChromaIndex, SqliteWordIndex

DIMS = 384
BATCH = 500


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """Pronounceable pseudo-words, the first ones the most frequent (Zipf-like draws)."""
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    words: set[str] = set()
    while len(words) < size:
        words.add(
            "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))
        )
    return sorted(words)


class Corpus:
    """Synthetic notes: Zipf-like word frequencies, 12-30 words each."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(5000, self.rng)
        self.weights = [1.0 / (rank + 1) for rank in range(len(self.words))]

    def text(self) -> str:
        n = self.rng.randint(12, 30)
        return " ".join(self.rng.choices(self.words, weights=self.weights, k=n))

    def query(self) -> str:
        # Two mid-frequency words and one rarer word.
        return (
            " ".join(self.rng.choice(self.words[20:400]) for _ in range(2))
            + " "
            + (self.rng.choice(self.words[400:3000]))
        )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))]


def timed(call: Callable[[], Any], runs: int) -> tuple[float, float]:
    call()  # warm up
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        samples.append(1000 * (time.perf_counter() - t0))
    return statistics.median(samples), percentile(samples, 0.95)


def fill(
    store: GenesisStore, namespace: tuple[str, ...], start: int, stop: int, corpus: Corpus
) -> None:
    for begin in range(start, stop, BATCH):
        end = min(stop, begin + BATCH)
        store.batch(
            [
                PutOp(namespace, f"k{i:07d}", {"text": corpus.text(), "n": i})
                for i in range(begin, end)
            ]
        )


def measure(
    stores: dict[str, GenesisStore],
    prefix: tuple[str, ...],
    size: int,
    corpus: Corpus,
    queries: int,
    with_scan: bool,
) -> dict[str, tuple[float, float]]:
    qs = [corpus.query() for _ in range(queries + 1)]
    cycle = iter(qs * 4)
    out: dict[str, tuple[float, float]] = {}
    for mode in ("lexical", "vector", "hybrid"):
        store = stores[mode]
        out[mode] = timed(lambda s=store: s.search(prefix, query=next(cycle), limit=10), queries)
    threshold = max(0, size - size // 10)
    out["filtered"] = timed(
        lambda: stores["hybrid"].search(prefix, filter={"n": {"$gte": threshold}}, limit=10),
        queries,
    )
    if with_scan:
        out["scan"] = timed(
            lambda: stores["scan"].search(prefix, query=next(cycle), limit=10), max(5, queries // 3)
        )
    return out


def build_stores(client: MongoClient, database: str, folder: Path) -> dict[str, GenesisStore]:
    index = {"dims": DIMS, "embed": HashEmbeddings(DIMS), "fields": ["text"]}
    vectors = ChromaIndex.from_config(path=str(folder / "chroma"), collection=f"{database}-v")
    words = SqliteWordIndex(folder / f"{database}-words.sqlite3")
    common: dict[str, Any] = {
        "client": client,
        "database": database,
        "index": index,
        "vector_index": vectors,
        "ttl_index": False,
    }
    stores = {
        mode: GenesisStore(**common, word_index=words, search_mode=mode)
        for mode in ("lexical", "vector", "hybrid")
    }  # type: ignore[arg-type]
    stores["scan"] = GenesisStore(**common, search_mode="lexical", lexical="scan")
    stores["hybrid"].setup()
    return stores


def row(label: str, cells: dict[str, tuple[float, float]], modes: list[str]) -> str:
    parts = [
        f"{cells[m][0]:7.1f} / {cells[m][1]:7.1f}" if m in cells else f"{'-':>17}" for m in modes
    ]
    return f"| {label:<24} | " + " | ".join(parts) + " |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--tenants", type=int, default=100, help="tenants of 1,000 items (0: skip)")
    parser.add_argument("--queries", type=int, default=30)
    args = parser.parse_args()

    corpus = Corpus()
    modes = ["lexical", "vector", "hybrid", "filtered", "scan"]
    with tempfile.TemporaryDirectory(prefix="genesis-scale-") as tmp:
        folder = Path(tmp)
        server = LocalServer(folder / "server")
        client: MongoClient = MongoClient(server.start(), **client_options(60_000))
        try:
            embed = HashEmbeddings(DIMS)
            q_embed = timed(lambda: embed.embed_query(corpus.query()), 200)
            print(f"query embedding (HashEmbeddings, {DIMS} dims): p50 {q_embed[0]:.3f} ms")
            try:
                from langgraph_genesis_memory.embeddings import MiniLMEmbeddings

                mini = MiniLMEmbeddings()
                print(
                    f"query embedding (MiniLM, for reference): p50 "
                    f"{timed(lambda: mini.embed_query(corpus.query()), 20)[0]:.1f} ms"
                )
            except Exception as exc:  # noqa: BLE001 - reference figure only
                print(f"(MiniLM not measured: {exc})")

            stores = build_stores(client, "scale", folder)
            results: dict[int, dict[str, tuple[float, float]]] = {}
            filled = 0
            for size in sorted(args.sizes):
                t0 = time.perf_counter()
                fill(stores["hybrid"], ("bench", "one"), filled, size, corpus)
                filled = size
                print(
                    f"filled {size:,} items under ('bench', 'one') "
                    f"(+{time.perf_counter() - t0:.0f} s)"
                )
                results[size] = measure(
                    stores, ("bench", "one"), size, corpus, args.queries, with_scan=size <= 10_000
                )

            print("\nGenesisStore.search, p50 / p95 ms (limit 10; hybrid = vector + words, RRF)")
            print("| items under the prefix   | " + " | ".join(f"{m:^17}" for m in modes) + " |")
            print("|---" * (len(modes) + 1) + "|")
            for size, cells in results.items():
                print(row(f"{size:,}", cells, modes))

            if args.tenants:
                tenant_stores = build_stores(client, "tenants", folder)
                t0 = time.perf_counter()
                for t in range(args.tenants):
                    fill(tenant_stores["hybrid"], ("tenant", f"t{t:03d}"), 0, 1000, corpus)
                print(
                    f"\nfilled {args.tenants} tenants x 1,000 items "
                    f"({time.perf_counter() - t0:.0f} s)"
                )
                cells = measure(
                    tenant_stores, ("tenant", "t042"), 1000, corpus, args.queries, with_scan=True
                )
                print(row(f"{args.tenants} tenants, search 1", cells, modes))

            sizes = sorted(results)
            if len(sizes) >= 2:
                low, high = sizes[0], sizes[-1]
                print(
                    f"\nTargets (p50 at {high:,} <= 2.5x p50 at {low:,}; "
                    f"hybrid p50 at {high:,} < 50 ms)"
                )
                for m in ("lexical", "vector", "hybrid", "filtered"):
                    ratio = results[high][m][0] / results[low][m][0]
                    print(f"  {m:<9} {ratio:5.2f}x  {'met' if ratio <= 2.5 else 'NOT met'}")
                hyb = results[high]["hybrid"][0] - q_embed[0]
                print(
                    f"  hybrid p50 at {high:,} excluding the query embedding: {hyb:.1f} ms  "
                    f"{'met' if hyb < 50 else 'NOT met'}"
                )
        finally:
            client.close()
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
