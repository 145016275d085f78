"""Retrieval benchmark on LoCoMo (dev split): Recall@k / hit@k of annotated evidence turns.

Data: LoCoMo, "Evaluating Very Long-Term Conversational Memory of LLM Agents" (Maharana et al.,
ACL 2024), snap-research/LoCoMo, licensed CC BY-NC 4.0; this repository uses the 5-conversation
development split in ``../shared/data/locomo/locomo-dev.json`` (see its README).

Protocol (issue 3): every dialog turn of a conversation is one item in the namespace
``("locomo", <sample_id>)``, value ``{"text", "speaker", "session", "date", "dia_id"}`` (an
image caption is appended to its turn's text). Each question of categories 1-4 that has evidence
is a query against its own conversation's namespace; Recall@k is the fraction of its evidence
``dia_id``s found in the top k items, hit@k whether at least one is; both averaged over
questions, for k = 1, 5, 10, 25, per category and overall.

Retrieval goes through one function boundary, :meth:`Retriever.retrieve`
``(conversation_ns, question, k) -> [dia_id, ...]``; once ``GenesisStore`` integrates the index,
replace it by ``[item.key for item in store.search(conversation_ns, query=question, limit=k)]``.

Variants (general methods; nothing is tuned to individual questions):

- what is indexed per turn (several fields per item; an item scores as its best field):
  ``turn``   = "Speaker: text (+ caption)";
  ``dated``  = "date · Speaker: text (+ caption)";
  ``window`` = the turn with its previous and next turn of the same session;
- how rankings are fused: vector only, BM25 only, RRF (k, per-ranking weights).

Run: ``python benchmarks/locomo_recall.py [--data PATH] [--variants all|default|none]
[--mongo-text] [--cache FILE] [--modes vector,lexical,...|all] [--conversations N]
[--write-cost N]``. The store
section measures the product itself: ``GenesisStore.search`` (local MongoDB-compatible server +
Chroma, words from the word index) on items holding the recommended fields, in each mode of
:data:`STORE_MODES`: vector, lexical, graph, hybrid (the default, no graph), hybrid fused with the
graph ranking (``graph_weight=1``), and the same with automatic links (rare words of each turn's
line, with ``max_shared`` 5, the default, and 10; rare names; rare words without the turn-order
links). Each item carries its session date as event time (``valid_from``) and a
``follows`` link to the previous turn of its session: the only relations the data gives. Recall@k
for k = 1, 5, 10, 25 per category, and the p50 latency of each graph-fused mode over hybrid's.
``--write-cost N`` times N single-turn puts into stores without and with automatic links
(``--modes ""`` skips the search section).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from langchain_core.embeddings import Embeddings  # noqa: E402

from langgraph_genesis_memory.embeddings import MiniLMEmbeddings  # noqa: E402
from langgraph_genesis_memory.index import ChromaIndex, IndexEntry, entry_id  # noqa: E402
from langgraph_genesis_memory.index._base import best_per_item  # noqa: E402
from langgraph_genesis_memory.index._fusion import reciprocal_rank_fusion  # noqa: E402
from langgraph_genesis_memory.index._lexical import BM25Ranker, english_stemmer  # noqa: E402

try:
    STEMMER = english_stemmer()
except ImportError:  # PyStemmer missing: stemmed variants fall back to plain tokens
    STEMMER = None

DEFAULT_DATA = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "locomo" / "locomo-dev.json"
)
KS = (1, 5, 10, 25)
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}


# --------------------------------------------------------------------------- data


@dataclass
class Turn:
    """One dialog turn: an item of the conversation's namespace."""

    dia_id: str
    speaker: str
    text: str
    session: int
    date: str
    caption: str = ""

    @property
    def value(self) -> dict:
        """The item value the store would hold."""
        text = f"{self.text} [image: {self.caption}]" if self.caption else self.text
        return {
            "text": text,
            "speaker": self.speaker,
            "session": self.session,
            "date": self.date,
            "dia_id": self.dia_id,
        }


@dataclass
class Conversation:
    """A LoCoMo conversation: its turns (in order) and its questions."""

    sample_id: str
    turns: list[Turn]
    questions: list[dict] = field(default_factory=list)

    @property
    def namespace(self) -> tuple[str, str]:
        return ("locomo", self.sample_id)


def load(path: Path) -> list[Conversation]:
    """Read locomo-dev.json into conversations (questions of categories 1-4 with evidence)."""
    convs = []
    for sample in json.loads(path.read_text()):
        conv = sample["conversation"]
        turns: list[Turn] = []
        n = 1
        while f"session_{n}" in conv:
            date = conv.get(f"session_{n}_date_time", "")
            for t in conv[f"session_{n}"]:
                turns.append(
                    Turn(t["dia_id"], t["speaker"], t["text"], n, date, t.get("blip_caption", ""))
                )
            n += 1
        qs = [q for q in sample["qa"] if q["category"] in CATEGORIES and q["evidence"]]
        convs.append(Conversation(sample["sample_id"], turns, qs))
    return convs


# --------------------------------------------------------------------------- indexed fields


def turn_text(v: dict) -> str:
    return f"{v['speaker']}: {v['text']}"


def dated_text(v: dict) -> str:
    return f"{v['date']} · {v['speaker']}: {v['text']}"


def windows(turns: Sequence[Turn], before: int = 1, after: int = 1) -> list[str]:
    """Each turn with its neighbours of the same session ("Speaker: text" lines)."""
    out = []
    for i, t in enumerate(turns):
        lo, hi = i, i
        while lo > 0 and i - lo < before and turns[lo - 1].session == t.session:
            lo -= 1
        while hi < len(turns) - 1 and hi - i < after and turns[hi + 1].session == t.session:
            hi += 1
        out.append("\n".join(turn_text(u.value) for u in turns[lo : hi + 1]))
    return out


FieldBuilder = Callable[[Sequence[Turn]], list[str]]
FIELDS: dict[str, FieldBuilder] = {
    "turn": lambda ts: [turn_text(t.value) for t in ts],
    "dated": lambda ts: [dated_text(t.value) for t in ts],
    "window": lambda ts: windows(ts, 1, 1),
    "prev": lambda ts: windows(ts, 1, 0),
    "window2": lambda ts: windows(ts, 2, 1),
}


@dataclass(frozen=True)
class Variant:
    """One retrieval method: fields embedded, fields for BM25, and the fusion."""

    name: str
    vector_fields: tuple[str, ...]
    lexical_fields: tuple[str, ...]
    rrf_k: float = 60
    weights: tuple[float, float] = (1.0, 1.0)  # (vector, BM25)
    stem: bool = False  # BM25 with the Snowball English stemmer (PyStemmer)


# --------------------------------------------------------------------------- retrieval


class CachedEmbeddings(Embeddings):
    """Wraps an embeddings object with an on-disk cache keyed by SHA-256 of the text (re-runs)."""

    def __init__(self, inner: MiniLMEmbeddings, path: Path | None) -> None:
        self.inner, self.path = inner, path
        self.cache: dict[str, list[float]] = {}
        self._unsaved = 0
        if path is not None and path.exists() and path.stat().st_size:
            self.cache = json.loads(path.read_text())

    def load(self) -> None:
        self.inner.load()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        missing = sorted(
            {i for i, k in enumerate(keys) if k not in self.cache}, key=lambda i: keys[i]
        )
        todo = {keys[i]: texts[i] for i in missing}
        if todo:
            for k, v in zip(todo, self.inner.embed_documents(list(todo.values())), strict=True):
                self.cache[k] = v
            self._unsaved += len(todo)
            if self._unsaved >= 1000:
                self.save()
        return [self.cache[k] for k in keys]

    def save(self) -> None:
        """Write the cache file (atomically: a killed run never leaves it half written)."""
        if self.path is not None and self._unsaved:
            partial = self.path.with_suffix(".partial")
            partial.write_text(json.dumps(self.cache))
            partial.replace(self.path)
            self._unsaved = 0

    def embed_query(self, text: str) -> list[float]:
        # A live search embeds its question: not cached, so latencies include it.
        return list(self.inner.embed_query(text))


class Retriever:
    """Indexes conversations and answers ``retrieve(ns, question, k)`` for every variant.

    Vectors: one Chroma collection per field, shared by the conversations (one vector per turn,
    id ``"<sample_id>/<dia_id>#<field>"`` under the conversation namespace); with several
    fields an item scores as its best field. Words: one BM25 ranker per conversation and field.
    """

    def __init__(self, embeddings: CachedEmbeddings) -> None:
        self.embeddings = embeddings
        self.indexes: dict[str, ChromaIndex] = {}
        self.bm25: dict[tuple[tuple[str, ...], str, bool], BM25Ranker] = {}
        self.turn_ids: dict[tuple[str, ...], list[str]] = {}
        self.dia_ids: dict[str, str] = {}  # item id -> dia_id
        self.embed_seconds = 0.0
        self.index_seconds = 0.0

    def field_index(self, name: str) -> ChromaIndex:
        """The vector index of one field (created empty on first use)."""
        if name not in self.indexes:
            index = ChromaIndex.from_config(
                in_memory=True, collection=f"locomo-{os.getpid()}-{name}"
            )
            index.reset()
            self.indexes[name] = index
        return self.indexes[name]

    def add_conversation(self, conv: Conversation, fields: Sequence[str]) -> None:
        ns = conv.namespace
        ids = [t.dia_id for t in conv.turns]
        self.turn_ids[ns] = ids
        item_ids = [f"{conv.sample_id}/{d}" for d in ids]
        self.dia_ids.update(zip(item_ids, ids, strict=True))
        for name in fields:
            texts = FIELDS[name](conv.turns)
            t0 = time.perf_counter()
            vectors = self.embeddings.embed_documents(texts)
            t1 = time.perf_counter()
            self.field_index(name).upsert(
                [
                    IndexEntry(
                        id=entry_id(i, name),
                        item_id=i,
                        namespace=ns,
                        key=d,
                        path=name,
                        hash=hashlib.sha256(text.encode()).hexdigest(),
                        expires_ms=2**62,
                        vector=v,
                    )
                    for i, d, text, v in zip(item_ids, ids, texts, vectors, strict=True)
                ]
            )
            self.bm25[(ns, name, False)] = BM25Ranker(ids, texts)
            self.bm25[(ns, name, True)] = BM25Ranker(ids, texts, stemmer=STEMMER)
            t2 = time.perf_counter()
            self.embed_seconds += t1 - t0
            self.index_seconds += t2 - t1

    def vector_ranking(
        self, ns: tuple[str, ...], qvec: list[float], fields: Sequence[str], k: int
    ) -> list[str]:
        # The k nearest turns of each field; an item scores as its best field.
        hits = [h for f in fields for h in self.field_index(f).query(qvec, k, ns)[0]]
        return [self.dia_ids[h.item_id] for h in best_per_item(hits, k)]

    def lexical_ranking(
        self, ns: tuple[str, ...], question: str, fields: Sequence[str], k: int, stem: bool = False
    ) -> list[str]:
        if len(fields) == 1:
            return [i for i, _ in self.bm25[(ns, fields[0], stem)].rank(question, k)]
        # Several fields: an item scores as its best field (same rule as for vectors).
        best: dict[str, float] = {}
        for f in fields:
            for i, s in self.bm25[(ns, f, stem)].rank(question, k):
                best[i] = max(best.get(i, 0.0), s)
        return [i for i, _ in sorted(best.items(), key=lambda kv: -kv[1])][:k]

    def bind(
        self, variant: Variant, mode: str, vectors: dict[str, list[float]] | None = None
    ) -> RetrieveFn:
        """A ``retrieve(conversation_ns, question, k)`` function for one variant and mode.

        Args:
            variant: The retrieval method.
            mode: ``"vector"``, ``"bm25"`` or ``"hybrid"``.
            vectors: Precomputed question embeddings (so latency excludes embedding).
        """
        vectors = vectors or {}
        return lambda ns, question, k: self.retrieve(
            ns, question, k, variant, mode, vectors.get(question)
        )

    def retrieve(
        self,
        ns: tuple[str, ...],
        question: str,
        k: int,
        variant: Variant,
        mode: str,
        qvec: list[float] | None = None,
    ) -> list[str]:
        """The function boundary: top-k dia_ids for a question in one conversation namespace.

        Args:
            ns: The conversation namespace ``("locomo", sample_id)``.
            question: The question text.
            k: How many items to return.
            variant: The retrieval method.
            mode: ``"vector"``, ``"bm25"`` or ``"hybrid"``.
            qvec: The question's embedding when already computed.

        Returns:
            dia_ids, best first.
        """
        depth = max(k, 50)  # candidates per ranking before fusion
        if mode == "bm25":
            return self.lexical_ranking(ns, question, variant.lexical_fields, k, variant.stem)
        qvec = qvec if qvec is not None else self.embeddings.embed_query(question)
        vec = self.vector_ranking(ns, qvec, variant.vector_fields, depth)
        if mode == "vector":
            return vec[:k]
        lex = self.lexical_ranking(ns, question, variant.lexical_fields, depth, variant.stem)
        fused = reciprocal_rank_fusion([vec, lex], k=variant.rrf_k, weights=variant.weights)
        return [i for i, _ in fused[:k]]


# --------------------------------------------------------------------------- metrics

RetrieveFn = Callable[[tuple[str, ...], str, int], list[str]]
"""``retrieve(conversation_ns, question, k) -> [dia_id, ...]``: the swap point.

Once ``GenesisStore`` integrates the index (values carry ``dia_id`` as the key)::

    def retrieve(ns, question, k):
        return [item.key for item in store.search(ns, query=question, limit=k)]
"""


def evaluate(retrieve: RetrieveFn, convs: Sequence[Conversation]) -> tuple[Scores, list[float]]:
    """Run every question through ``retrieve`` and score it.

    Args:
        retrieve: The retrieval function under test.
        convs: The conversations (already indexed by whatever ``retrieve`` searches).

    Returns:
        The scores and the per-question latencies in ms.
    """
    scores, lat = Scores(), []
    for conv in convs:
        for q in conv.questions:
            t = time.perf_counter()
            ranking = retrieve(conv.namespace, q["question"], max(KS))
            lat.append(1000 * (time.perf_counter() - t))
            scores.add(q["category"], ranking, q["evidence"])
    return scores, lat


@dataclass
class Scores:
    """Recall@k / hit@k accumulated per category."""

    recall: dict[int, dict[int, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    hit: dict[int, dict[int, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )

    def add(self, category: int, ranking: Sequence[str], evidence: Sequence[str]) -> None:
        gold = set(evidence)
        for k in KS:
            found = len(gold & set(ranking[:k]))
            self.recall[category][k].append(found / len(gold))
            self.hit[category][k].append(1.0 if found else 0.0)

    def mean(self, table: dict, k: int, category: int | None = None) -> float:
        values = (
            table[category][k]
            if category is not None
            else [v for c in table.values() for v in c[k]]
        )
        return 100.0 * sum(values) / max(1, len(values))

    def count(self, category: int | None = None) -> int:
        if category is not None:
            return len(self.recall[category][KS[0]])
        return sum(len(c[KS[0]]) for c in self.recall.values())


def per_category_table(title: str, scores: Scores) -> str:
    rows = [
        f"{title}",
        "| category | n | "
        + " | ".join(f"R@{k}" for k in KS)
        + " | "
        + " | ".join(f"hit@{k}" for k in KS)
        + " |",
        "|---|---:|" + "---:|" * (2 * len(KS)),
    ]
    for cat in [*CATEGORIES, None]:
        name = f"{cat} {CATEGORIES[cat]}" if cat else "overall"
        r = " | ".join(f"{scores.mean(scores.recall, k, cat):.1f}" for k in KS)
        h = " | ".join(f"{scores.mean(scores.hit, k, cat):.1f}" for k in KS)
        rows.append(f"| {name} | {scores.count(cat)} | {r} | {h} |")
    return "\n".join(rows)


# --------------------------------------------------------------------------- main

VARIANTS = [
    Variant("turn (baseline text)", ("turn",), ("turn",)),
    Variant("turn, stemmed BM25", ("turn",), ("turn",), stem=True),
    Variant("dated turn", ("dated",), ("dated",)),
    Variant("turn + window", ("turn", "window"), ("turn", "window")),
    Variant("turn + prev", ("turn", "prev"), ("turn", "prev")),
    Variant("turn + window, BM25 turn", ("turn", "window"), ("turn",)),
    Variant("turn + window, RRF k=20", ("turn", "window"), ("turn", "window"), rrf_k=20),
    Variant("turn + window, w=(1,2)", ("turn", "window"), ("turn", "window"), weights=(1.0, 2.0)),
    Variant("turn + window, stem", ("turn", "window"), ("turn", "window"), stem=True),
    Variant(
        "turn + window, stem, k=20", ("turn", "window"), ("turn", "window"), rrf_k=20, stem=True
    ),
    Variant("turn + window2, stem", ("turn", "window2"), ("turn", "window2"), stem=True),
    Variant(
        "turn + window2, stem, k=20", ("turn", "window2"), ("turn", "window2"), rrf_k=20, stem=True
    ),
]
# The product default (docs/retrieval.md): "Speaker: text" plus a context window of the two
# previous turns and the next one (same session) as a second field; BM25 with the Snowball
# English stemmer; RRF with k=20, equal weights.
DEFAULT_VARIANT = next(v for v in VARIANTS if v.name == "turn + window2, stem, k=20")


def run(
    convs: list[Conversation],
    variants: list[Variant],
    modes: Sequence[str],
    embeddings: MiniLMEmbeddings,
) -> None:
    fields = sorted({f for v in variants for f in (*v.vector_fields, *v.lexical_fields)})
    retriever = Retriever(embeddings)
    embeddings.load()
    t0 = time.perf_counter()
    for conv in convs:
        retriever.add_conversation(conv, fields)
    total_index = time.perf_counter() - t0
    n_turns = sum(len(c.turns) for c in convs)
    print(
        f"indexed {n_turns} turns x {len(fields)} fields {fields} in {total_index:.1f} s "
        f"(embedding {retriever.embed_seconds:.1f} s, Chroma upsert + BM25 build "
        f"{retriever.index_seconds:.1f} s)"
    )

    questions = [(c, q) for c in convs for q in c.questions]
    t0 = time.perf_counter()
    qvecs = embeddings.embed_documents([q["question"] for _, q in questions])
    q_embed_ms = 1000 * (time.perf_counter() - t0) / len(questions)
    vectors = {q["question"]: v for (_, q), v in zip(questions, qvecs, strict=True)}
    single = []
    for _, q in questions[:100]:  # one at a time, as a live search would (cache bypassed)
        t1 = time.perf_counter()
        embeddings.inner.embed_query(q["question"])
        single.append(1000 * (time.perf_counter() - t1))
    print(
        f"{len(questions)} questions; query embedding {q_embed_ms:.1f} ms/question batched, "
        f"p50 {statistics.median(single):.1f} ms one at a time\n"
    )

    # Is Chroma's filtered HNSW search exact here? Compare with brute force on the "turn" field.
    if "turn" in fields:
        import numpy as np

        docs = {
            c.sample_id: np.array(embeddings.embed_documents(FIELDS["turn"](c.turns)))
            for c in convs
        }
        overlap = []
        for (conv, _), qvec in zip(questions, qvecs, strict=True):
            order = np.argsort(-(docs[conv.sample_id] @ np.array(qvec)))[:25]
            exact = {conv.turns[i].dia_id for i in order}
            got = retriever.vector_ranking(conv.namespace, qvec, ["turn"], 25)
            overlap.append(len(exact & set(got)) / 25)
        print(
            f"Chroma vs exact top-25 overlap (turn field): {100 * statistics.mean(overlap):.1f}%\n"
        )

    summary = [
        "| variant | mode | R@1 | R@5 | R@10 | R@25 | hit@10 | p50 ms | p95 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    details = []
    for variant in variants:
        for mode in modes:
            scores, lat = evaluate(retriever.bind(variant, mode, vectors), convs)
            lat.sort()
            p50, p95 = statistics.median(lat), lat[int(0.95 * (len(lat) - 1))]
            r = " | ".join(f"{scores.mean(scores.recall, k):.1f}" for k in KS)
            summary.append(
                f"| {variant.name} | {mode} | {r} | {scores.mean(scores.hit, 10):.1f} "
                f"| {p50:.1f} | {p95:.1f} |"
            )
            if variant == DEFAULT_VARIANT or len(variants) == 1:
                details.append(per_category_table(f"\n{variant.name} — {mode}", scores))
            print(summary[-1], flush=True)
    print("\nSummary (Recall@k / hit@k in %, latency per question excluding query embedding)")
    print("\n".join(summary))
    print("\n".join(details))


def session_time(date: str) -> str:
    """A LoCoMo session date ("1:56 pm on 8 May, 2023") as ISO 8601 (the data gives no zone:
    read as UTC)."""
    moment = datetime.strptime(date, "%I:%M %p on %d %B, %Y").replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")


def store_value(turn: Turn, context: str, previous: Turn | None = None) -> dict:
    """The item the product stores per turn: the line and its context window are indexed; the
    session date is its event time (``valid_from``), and it links to the turn before it in the
    same session (turn order, the only relation the data gives)."""
    value = {**turn.value, "line": turn_text(turn.value), "context": context}
    if turn.date:
        value["valid_from"] = session_time(turn.date)
    if previous is not None and previous.session == turn.session:
        value["relationships"] = [{"key": previous.dia_id, "type": "follows"}]
    return value


# mode -> (store, GenesisStore keyword arguments); "store" names the store
# the items are written to ("auto": with automatic links by rare words of the turn's line,
# "auto10": the same with max_shared=10, "names": by rare names, "auto-only": rare words
# without the turn-order links).
WORDS = {"by": "words", "fields": ["line"]}
STORE_MODES: dict[str, tuple[str, dict]] = {
    "vector": ("main", {"search_mode": "vector"}),
    "lexical": ("main", {"search_mode": "lexical"}),
    "graph": ("main", {"search_mode": "graph"}),
    "hybrid": ("main", {"search_mode": "hybrid", "graph_weight": 0.0}),
    "hybrid+graph": ("main", {"search_mode": "hybrid", "graph_weight": 1.0}),
    "graph+auto": ("auto", {"search_mode": "graph", "auto_links": WORDS}),
    "hybrid+graph+auto": (
        "auto",
        {"search_mode": "hybrid", "graph_weight": 1.0, "auto_links": WORDS},
    ),
    "hybrid+graph+auto10": (
        "auto10",
        {"search_mode": "hybrid", "graph_weight": 1.0, "auto_links": {**WORDS, "max_shared": 10}},
    ),
    "hybrid+graph+names": (
        "names",
        {"search_mode": "hybrid", "graph_weight": 1.0, "auto_links": {"by": "names"}},
    ),
    "hybrid+graph+auto-only": (
        "auto-only",
        {"search_mode": "hybrid", "graph_weight": 1.0, "auto_links": WORDS},
    ),
}
DEFAULT_MODES = (
    "vector",
    "lexical",
    "graph",
    "hybrid",
    "hybrid+graph",
    "graph+auto",
    "hybrid+graph+auto",
    "hybrid+graph+auto10",
)


def store_run(
    convs: list[Conversation],
    embeddings: CachedEmbeddings,
    modes: Sequence[str] = DEFAULT_MODES,
    default: str = "hybrid",
) -> None:
    """Measure the product: ``GenesisStore`` (local MongoDB-compatible server + Chroma) through
    ``store.search``, in each of ``modes`` (see :data:`STORE_MODES`).

    Items carry the session date as event time and a ``follows`` link to the previous turn of
    their session; the other stores add automatic links at write time (see
    :data:`STORE_MODES`), "auto-only" without the turn-order links.
    """
    import tempfile
    import uuid

    from langgraph.store.base import PutOp
    from pymongo import MongoClient

    from langgraph_genesis_memory import GenesisStore, LocalServer
    from langgraph_genesis_memory._connection import client_options
    from langgraph_genesis_memory.index import SqliteWordIndex

    tmp = tempfile.TemporaryDirectory(prefix="genesis-recall-")
    server = LocalServer(tmp.name)
    client = MongoClient(server.start(), **client_options(10_000))
    index = {"dims": 384, "embed": embeddings, "fields": ["line", "context"]}
    # One vector index and one word index per written collection (items have the same ids in
    # each): the word index as local mode opens it (a SQLite FTS5 file in the data folder).
    written = sorted({STORE_MODES[m][0] for m in modes})
    vectors = {
        w: ChromaIndex.from_config(in_memory=True, collection=f"recall-{uuid.uuid4().hex[:8]}")
        for w in written
    }
    words = {w: SqliteWordIndex(Path(tmp.name) / f"words-{w}.sqlite3") for w in written}
    try:
        stores = {}
        for mode in modes:
            where, options = STORE_MODES[mode]
            stores[mode] = GenesisStore(
                client=client, database="recall", collection=f"store_{where}".replace("-", "_"),
                index=index, vector_index=vectors[where], lexical="index",
                word_index=words[where], **options,
            )  # fmt: skip
        for where in written:
            writer = next(stores[m] for m in modes if STORE_MODES[m][0] == where)
            writer.setup()
            t0 = time.perf_counter()
            for conv in convs:
                contexts = FIELDS["window2"](conv.turns)
                previous = [None, *conv.turns[:-1]]
                if where == "auto-only":
                    previous = [None] * len(conv.turns)
                writer.batch(
                    [
                        PutOp(conv.namespace, t.dia_id, store_value(t, ctx, prev))
                        for t, ctx, prev in zip(conv.turns, contexts, previous, strict=True)
                    ]
                )
            seconds = time.perf_counter() - t0
            embeddings.save()
            n_turns = sum(len(c.turns) for c in convs)
            coll = client["recall"][writer.collection_name]
            links = sum(len(d.get("link_to") or ()) for d in coll.find({}, {"link_to": 1}))
            print(
                f"\nGenesisStore (the product, items '{where}'): indexed {n_turns} turns as items "
                f"with fields ['line', 'context'] in {seconds:.1f} s (MongoDB + embedding + "
                f"Chroma), {vectors[where].count()} vectors, {links} links"
            )
        rows = [
            "| mode | R@1 | R@5 | R@10 | R@25 | hit@10 | p50 ms | p95 ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        details = []
        medians = {}
        for mode in modes:

            def retrieve(ns: tuple[str, ...], question: str, k: int, s=stores[mode]):
                return [item.key for item in s.search(ns, query=question, limit=k)]

            scores, lat = evaluate(retrieve, convs)
            lat.sort()
            p50, p95 = statistics.median(lat), lat[int(0.95 * (len(lat) - 1))]
            medians[mode] = p50
            r = " | ".join(f"{scores.mean(scores.recall, k):.1f}" for k in KS)
            label = f"{mode} (default)" if mode == default else mode
            rows.append(
                f"| {label} | {r} | {scores.mean(scores.hit, 10):.1f} | {p50:.1f} | {p95:.1f} |"
            )
            details.append(per_category_table(f"\nGenesisStore {label}", scores))
            print(rows[-1], details[-1], sep="\n", flush=True)  # each mode as it ends
        print("(latency per question includes embedding the question and the MongoDB reads)")
        print("\n".join(rows))
        print("\n".join(details))
        if "hybrid" in medians:
            for mode in modes:
                if mode.startswith("hybrid+graph"):
                    ratio = medians[mode] / medians["hybrid"]
                    print(f"p50 latency {mode} / hybrid: {ratio:.2f}x")
    finally:
        client.close()
        server.stop()
        tmp.cleanup()


def write_cost(convs: list[Conversation], turns: int = 600) -> None:
    """The cost of automatic links on writes: the first ``turns`` turns written one put per turn
    (as an agent writes memories) into two stores on one local server, without and with
    ``auto_links`` (rare words of the line), puts alternating between them. No derived index,
    so the figure is the MongoDB side: the read of earlier mentions and the longer document."""
    import tempfile

    from pymongo import MongoClient

    from langgraph_genesis_memory import GenesisStore, LocalServer
    from langgraph_genesis_memory._connection import client_options

    tmp = tempfile.TemporaryDirectory(prefix="genesis-writes-")
    server = LocalServer(tmp.name)
    client = MongoClient(server.start(), **client_options(10_000))
    try:
        stores = {
            name: GenesisStore(client=client, database="writes", collection=name, **options)
            for name, options in (("plain", {}), ("auto", {"auto_links": WORDS}))
        }
        for store in stores.values():
            store.setup()
        pending = [
            (c, t, ctx)
            for c in convs
            for t, ctx in zip(c.turns, FIELDS["window2"](c.turns), strict=True)
        ]
        seconds: dict[str, list[float]] = {name: [] for name in stores}
        for conv, turn, ctx in pending[:turns]:
            for name, store in stores.items():
                t0 = time.perf_counter()
                store.put(conv.namespace, turn.dia_id, store_value(turn, ctx))
                seconds[name].append(time.perf_counter() - t0)
        links = sum(
            len(d.get("link_to") or ()) for d in client["writes"]["auto"].find({}, {"link_to": 1})
        )
        print(
            f"\nWrites, one put per turn ({turns} turns, stores alternating; "
            f"{links} automatic links)"
        )
        print("| store | puts/s | p50 ms | p95 ms |\n|---|---:|---:|---:|")
        for name, values in seconds.items():
            values.sort()
            rate = len(values) / sum(values)
            p50, p95 = (
                statistics.median(values) * 1000,
                values[int(0.95 * (len(values) - 1))] * 1000,
            )
            print(f"| {name} | {rate:,.0f} | {p50:.2f} | {p95:.2f} |")
        ratio = sum(seconds["auto"]) / sum(seconds["plain"])
        print(f"time per put with automatic links / without: {ratio:.2f}x")
    finally:
        client.close()
        server.stop()
        tmp.cleanup()


def mongo_text_check(convs: list[Conversation]) -> None:
    """Measure MongoDB ``$text`` ranking on the local server (nx-27017) with the same protocol."""
    import tempfile

    from pymongo import MongoClient

    from langgraph_genesis_memory.local import LocalServer

    with tempfile.TemporaryDirectory() as tmp:
        server = LocalServer(Path(tmp))
        uri = server.start()
        try:
            client: MongoClient = MongoClient(uri)
            col = client["locomo_bench"]["items"]
            col.drop()
            col.insert_many(
                [
                    {"ns": ".".join(c.namespace), "key": t.dia_id, "text": turn_text(t.value)}
                    for c in convs
                    for t in c.turns
                ]
            )
            col.create_index([("text", "text")])
            scores, lat = Scores(), []
            for c in convs:
                for q in c.questions:
                    t0 = time.perf_counter()
                    cur = (
                        col.find(
                            {"$text": {"$search": q["question"]}, "ns": ".".join(c.namespace)},
                            {"key": 1, "score": {"$meta": "textScore"}},
                        )
                        .sort([("score", {"$meta": "textScore"})])
                        .limit(max(KS))
                    )
                    ranking = [d["key"] for d in cur]
                    lat.append(1000 * (time.perf_counter() - t0))
                    scores.add(q["category"], ranking, q["evidence"])
            sample = list(
                col.find(
                    {"$text": {"$search": "painting sunset"}, "ns": ".".join(convs[0].namespace)},
                    {"text": 1, "score": {"$meta": "textScore"}},
                )
                .sort([("score", {"$meta": "textScore"})])
                .limit(3)
            )
            client.close()
        finally:
            server.stop()
    r = " | ".join(f"{scores.mean(scores.recall, k):.1f}" for k in KS)
    print(
        f"MongoDB $text (nx-27017), 'Speaker: text': R@1/5/10/25 = {r}; "
        f"p50 {statistics.median(lat):.1f} ms"
    )
    print(
        "  sample textScores for 'painting sunset':",
        [(round(d["score"], 3), d["text"][:50]) for d in sample],
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--variants",
        choices=["all", "default", "none"],
        default="default",
        help="research variants run on the components directly (none: only the product)",
    )
    parser.add_argument(
        "--cache", type=Path, default=None, help="JSON file caching embeddings between runs"
    )
    parser.add_argument(
        "--mongo-text", action="store_true", help="also measure MongoDB $text on the local server"
    )
    parser.add_argument(
        "--modes",
        default=",".join(DEFAULT_MODES),
        help=f"GenesisStore modes to measure, comma-separated, of {sorted(STORE_MODES)} "
        "('all': every one)",
    )
    parser.add_argument(
        "--conversations", type=int, default=None, help="only the first N conversations"
    )
    parser.add_argument(
        "--write-cost",
        type=int,
        default=0,
        metavar="N",
        help="also time N single-turn puts without and with automatic links",
    )
    args = parser.parse_args(argv)
    convs = load(args.data)[: args.conversations]
    modes = list(STORE_MODES) if args.modes == "all" else [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(STORE_MODES)
    if unknown:
        parser.error(f"unknown modes {sorted(unknown)}; choose from {sorted(STORE_MODES)}")
    print(f"LoCoMo dev split: {len(convs)} conversations (CC BY-NC 4.0, Maharana et al. 2024)")
    embeddings = CachedEmbeddings(MiniLMEmbeddings(), args.cache)
    if args.variants != "none":
        variants = VARIANTS if args.variants == "all" else [DEFAULT_VARIANT]
        run(convs, variants, ("vector", "bm25", "hybrid"), embeddings)
    if modes:
        store_run(convs, embeddings, modes)
    if args.write_cost:
        write_cost(convs, args.write_cost)
    if args.mongo_text:
        mongo_text_check(convs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
