"""Long-term conversational memory on real conversations (LoCoMo) with ``GenesisStore``.

A LangGraph ``StateGraph`` compiled with ``store=GenesisStore(...)`` reads one LoCoMo
conversation, writes every dialog turn as a memory through graph nodes (one node run per
session, each session written with a single ``store.batch``), then answers the conversation's
annotated questions by retrieving memories with the store's search and checks whether the
retrieved turns include the annotated evidence (Recall@k and hit@k).

Memories live in one namespace per conversation and speaker, e.g.
``("locomo", "conv-26", "Caroline")``; an ingestion marker in ``("locomo", "conv-26", "_meta")``
lets a second run reuse the stored memories instead of writing them again.

Runs offline, with no API key: with no ``MONGODB_URI`` the store uses local mode (a local
MongoDB-compatible server and an embedded Chroma index under ``--data-dir``). Retrieval is the
store's ranked search within the conversation's namespace prefix (with a filter that keeps
bookkeeping items out): ``--search hybrid`` (default: meaning and words fused), ``vector``
(meaning, all-MiniLM-L6-v2 embeddings computed offline) or ``words`` (BM25, no vector index).

Data: LoCoMo, "Evaluating Very Long-Term Conversational Memory of LLM Agents" (Maharana et al.,
ACL 2024), https://github.com/snap-research/LoCoMo (data/locomo10.json), licensed CC BY-NC 4.0
(https://creativecommons.org/licenses/by-nc/4.0/). The data is not part of this package.

Usage::

    python examples/locomo_memory.py                       # first conversation: a summary
    python examples/locomo_memory.py --verbose             # every question, its retrieved turns
    python examples/locomo_memory.py --conversation conv-30 --k 5 --limit-questions 20
    python examples/locomo_memory.py --data /path/to/locomo10.json
    python examples/locomo_memory.py --search words     # no embeddings at all

The scores it reports: **hit@k** is the share of questions for which at least one annotated
evidence turn is among the k memories retrieved; **Recall@k** is the share of a question's
evidence turns that are retrieved, averaged over the questions. With ``--verbose`` each retrieved
turn also shows the store's search score, whose scale depends on the ranking: hybrid scores are
reciprocal-rank-fusion sums (``1/(20 + rank)`` per ranking, so at most about 0.10, for a turn
ranked first by meaning and by words); vector scores are cosine similarities (up to 1); word
scores are BM25 scores (unbounded). Only the order matters, not the value.

Exit status: 0 after a run, 2 for bad arguments (an unknown conversation), 3 when the data file
is missing (the message says where to get it).
"""

from __future__ import annotations

import argparse
import json
import operator
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.store.base import BaseStore, PutOp, SearchItem
from langgraph.types import Send

from langgraph_genesis_memory import GenesisStore, LocalServer

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT / ".." / "shared" / "data" / "locomo" / "locomo-dev.json"
ATTRIBUTION = (
    "Data: LoCoMo (Maharana et al., ACL 2024), github.com/snap-research/LoCoMo, "
    "licensed CC BY-NC 4.0."
)
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
META_LABEL = "_meta"
MARKER_KEY = "ingested"
MARKER_VERSION = 3
SearchMode = Literal["hybrid", "vector", "words"]
INDEX_FIELDS = ["line", "context"]
"""What search indexes per turn (an item scores as its best field): the turn as
"Speaker: text" (plus the image caption), and the turn in its context (the two previous turns
and the next one of the same session). Measured in ``benchmarks/locomo_recall.py``."""


# -- data --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Turn:
    """One dialog turn of a LoCoMo conversation."""

    dia_id: str
    speaker: str
    text: str
    session: int
    session_date: str
    image_caption: str | None = None


@dataclass(frozen=True)
class Question:
    """One annotated question: its text, category and evidence turns (``dia_id``)."""

    number: int
    question: str
    answer: str
    category: int
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Conversation:
    """A LoCoMo conversation: id, the two speakers, turns grouped by session, questions."""

    conv_id: str
    speakers: tuple[str, str]
    sessions: dict[int, list[Turn]]
    questions: list[Question]

    @property
    def turn_count(self) -> int:
        """Number of dialog turns over all sessions."""
        return sum(len(turns) for turns in self.sessions.values())


def _normalise_dia_ids(raw: Iterable[str]) -> tuple[str, ...]:
    """Split and repair evidence ids such as ``"D8:6; D9:17"`` or ``"D:11:26"``."""
    out: list[str] = []
    for item in raw:
        for part in re.split(r"[;,\s]+", str(item)):
            match = re.fullmatch(r"D:?(\d+):0*(\d+)", part.strip())
            if match:
                out.append(f"D{int(match[1])}:{int(match[2])}")
    return tuple(dict.fromkeys(out))


def load_conversation(path: Path, conv_id: str | None = None) -> Conversation:
    """Read one conversation of a LoCoMo JSON file.

    Args:
        path: ``locomo10.json`` or the project's ``locomo-dev.json``.
        conv_id: A ``sample_id`` such as ``"conv-26"``; ``None`` for the first conversation.

    Returns:
        The conversation with its sessions (numbered from 1) and its questions.

    Raises:
        KeyError: If ``conv_id`` is not in the file (the message lists the ids that are).
    """
    samples = json.loads(path.read_text(encoding="utf-8"))
    if conv_id is None:
        sample = samples[0]
    else:
        found = [s for s in samples if s.get("sample_id") == conv_id]
        if not found:
            ids = ", ".join(s.get("sample_id", "?") for s in samples)
            raise KeyError(f"Conversation {conv_id!r} is not in {path}; it holds: {ids}.")
        sample = found[0]
    raw = sample["conversation"]
    sessions: dict[int, list[Turn]] = {}
    for name, turns in raw.items():
        match = re.fullmatch(r"session_(\d+)", name)
        if not match or not isinstance(turns, list):
            continue
        number = int(match[1])
        date = str(raw.get(f"{name}_date_time", ""))
        sessions[number] = [
            Turn(
                dia_id=t["dia_id"],
                speaker=t["speaker"],
                text=t["text"],
                session=number,
                session_date=date,
                image_caption=t.get("blip_caption"),
            )
            for t in turns
        ]
    known = {t.dia_id for turns in sessions.values() for t in turns}
    questions = [
        Question(
            number=i,
            question=q["question"],
            answer=str(q.get("answer", q.get("adversarial_answer", ""))),
            category=int(q["category"]),
            evidence=tuple(e for e in _normalise_dia_ids(q.get("evidence", [])) if e in known),
        )
        for i, q in enumerate(sample.get("qa", []), start=1)
    ]
    return Conversation(
        conv_id=sample["sample_id"],
        speakers=(raw["speaker_a"], raw["speaker_b"]),
        sessions=dict(sorted(sessions.items())),
        questions=questions,
    )


# -- memories ----------------------------------------------------------------------------------
def memory_namespace(conv_id: str, speaker: str) -> tuple[str, ...]:
    """One speaker's namespace in a conversation, e.g. ``("locomo", "conv-26", "Caroline")``."""
    return ("locomo", conv_id, speaker)


def turn_line(turn: Turn) -> str:
    """A turn as one line: "Speaker: text", with the caption of a shared image."""
    line = f"{turn.speaker}: {turn.text}"
    return f"{line} [image: {turn.image_caption}]" if turn.image_caption else line


def turn_memory(conv_id: str, turn: Turn, context: str = "") -> dict[str, Any]:
    """The stored value of one dialog turn; ``line`` and ``context`` are what search indexes."""
    value: dict[str, Any] = {
        "kind": "dialog_turn",
        "conversation": conv_id,
        "line": turn_line(turn),
        "context": context or turn_line(turn),
        "text": turn.text,
        "speaker": turn.speaker,
        "session": turn.session,
        "session_date": turn.session_date,
        "dia_id": turn.dia_id,
    }
    if turn.image_caption:
        value["image_caption"] = turn.image_caption
    return value


def session_put_ops(conv_id: str, turns: Sequence[Turn]) -> list[PutOp]:
    """One ``PutOp`` per turn of a session; the key is the turn's ``dia_id`` (e.g. ``"D1:3"``).

    Each turn's ``context`` is the turn with the two before it and the one after it.
    """
    lines = [turn_line(t) for t in turns]
    return [
        PutOp(
            memory_namespace(conv_id, t.speaker),
            t.dia_id,
            turn_memory(conv_id, t, "\n".join(lines[max(0, i - 2) : i + 2])),
        )
        for i, t in enumerate(turns)
    ]


def retrieve(store: BaseStore, conv_id: str, question: str, *, k: int = 10) -> list[SearchItem]:
    """Retrieve the ``k`` memories of a conversation that best match ``question``.

    One ``store.search(("locomo", conv_id), query=question, filter={"kind": "dialog_turn"})``:
    the store ranks by its configured search mode; the filter keeps bookkeeping items out.

    Args:
        store: Any LangGraph ``BaseStore`` holding the memories (here ``GenesisStore``).
        conv_id: The conversation, e.g. ``"conv-26"``.
        question: The question text.
        k: How many memories to return.

    Returns:
        Up to ``k`` ``SearchItem`` objects, best first.
    """
    return store.search(
        ("locomo", conv_id), query=question, filter={"kind": "dialog_turn"}, limit=k
    )


# -- the graph ---------------------------------------------------------------------------------
class MemoryState(TypedDict, total=False):
    """The graph's state."""

    conversation: Conversation
    questions: list[Question]
    k: int
    reused: bool
    written: Annotated[int, operator.add]
    sessions_written: Annotated[int, operator.add]
    answers: list[dict[str, Any]]


class SessionTask(TypedDict):
    """Input of one ``write_session`` node run (sent with ``Send``)."""

    conv_id: str
    session: int
    turns: list[Turn]


def check_memories(state: MemoryState, runtime: Runtime) -> dict[str, Any]:
    """Look for the ingestion marker of this conversation (written after a complete ingest)."""
    conv = state["conversation"]
    assert runtime.store is not None
    marker = runtime.store.get(("locomo", conv.conv_id, META_LABEL), MARKER_KEY)
    reused = bool(
        marker
        and marker.value.get("version") == MARKER_VERSION
        and marker.value.get("turns") == conv.turn_count
    )
    if reused and getattr(runtime.store, "index_config", None) is not None:
        # Memories written by a run without a vector index get their vectors now; otherwise
        # this only confirms that Chroma agrees with MongoDB.
        runtime.store.reindex(progress=False)  # type: ignore[attr-defined]
    return {"reused": reused}


def route_ingest(state: MemoryState) -> list[Send] | str:
    """Reuse stored memories, or fan out one ``write_session`` run per session."""
    if state.get("reused"):
        return "answer_questions"
    conv = state["conversation"]
    return [
        Send("write_session", SessionTask(conv_id=conv.conv_id, session=n, turns=turns))
        for n, turns in conv.sessions.items()
    ]


def write_session(task: SessionTask, runtime: Runtime) -> dict[str, Any]:
    """Write every turn of one session as a memory, in one ``store.batch`` (one bulk write)."""
    assert runtime.store is not None
    runtime.store.batch(session_put_ops(task["conv_id"], task["turns"]))
    return {"written": len(task["turns"]), "sessions_written": 1}


def mark_ingested(state: MemoryState, runtime: Runtime) -> dict[str, Any]:
    """Record that this conversation's memories are complete, so later runs reuse them."""
    conv = state["conversation"]
    assert runtime.store is not None
    runtime.store.put(
        ("locomo", conv.conv_id, META_LABEL),
        MARKER_KEY,
        {
            "version": MARKER_VERSION,
            "turns": conv.turn_count,
            "sessions": len(conv.sessions),
            "ingested_at": datetime.now(UTC).isoformat(),
        },
    )
    return {}


def answer_questions(state: MemoryState, runtime: Runtime) -> dict[str, Any]:
    """Retrieve memories for every question and compare them with the annotated evidence."""
    conv = state["conversation"]
    assert runtime.store is not None
    k = state.get("k", 10)
    answers = []
    for q in state["questions"]:
        found = retrieve(runtime.store, conv.conv_id, q.question, k=k)
        ranked = [item.key for item in found]
        hits = [dia for dia in q.evidence if dia in ranked]
        answers.append(
            {
                "question": q,
                "retrieved": [
                    (item.key, item.value.get("speaker"), item.value.get("text", ""), item.score)
                    for item in found
                ],
                "hits": hits,
                "recall": len(hits) / len(q.evidence) if q.evidence else 0.0,
            }
        )
    return {"answers": answers}


def build_graph(store: BaseStore) -> Any:
    """Compile the memory graph with ``store`` (reachable in nodes as ``runtime.store``)."""
    builder = StateGraph(MemoryState)
    builder.add_node("check_memories", check_memories)
    builder.add_node("write_session", write_session)  # type: ignore[call-overload]
    builder.add_node("mark_ingested", mark_ingested)
    builder.add_node("answer_questions", answer_questions)
    builder.add_edge(START, "check_memories")
    builder.add_conditional_edges(
        "check_memories", route_ingest, ["write_session", "answer_questions"]
    )
    builder.add_edge("write_session", "mark_ingested")
    builder.add_edge("mark_ingested", "answer_questions")
    builder.add_edge("answer_questions", END)
    return builder.compile(store=store)


# -- command line ------------------------------------------------------------------------------
def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


SCORE_NOTES = {
    "hybrid": "score: reciprocal-rank fusion of the meaning and the words rankings, the sum of "
    "1/(20 + rank) over both (at most about 0.10: first in both)",
    "vector": "score: cosine similarity of the question and the turn (meaning; up to 1)",
    "words": "score: BM25 (words; unbounded, only the order matters)",
}


def print_answers(answers: list[dict[str, Any]], *, search: str, turns: bool = True) -> None:
    """Print, per question, whether evidence was found and (``turns``) the retrieved turns,
    ``*`` marking annotated evidence."""
    print(f"\nPer question ({SCORE_NOTES[search]}; * marks annotated evidence):")
    total = len(answers)
    for position, answer in enumerate(answers, start=1):
        q: Question = answer["question"]
        status = "HIT " if answer["hits"] else "MISS"
        print(
            f"\n[{status}] Q{position}/{total} ({CATEGORIES.get(q.category, q.category)}) "
            f"{q.question}\n"
            f"       answer: {_shorten(q.answer, 80)} | evidence: {', '.join(q.evidence)} | "
            f"found {len(answer['hits'])}/{len(q.evidence)}"
        )
        if not turns:
            continue
        for rank, (dia, speaker, text, score) in enumerate(answer["retrieved"], start=1):
            mark = "*" if dia in q.evidence else " "
            shown = "     -" if score is None else f"{score:6.3f}"
            line = f"{dia:<7} {speaker:<10} {shown}  {_shorten(text, 76)}"
            print(f"   {mark}{rank:>2}. {line}")


def print_summary_table(answers: list[dict[str, Any]], k: int) -> None:
    """Print hit@k and Recall@k per question category, and what they mean."""
    print(f"\n{'category':<12} {'questions':>9} {f'hit@{k}':>8} {f'Recall@{k}':>10}")
    groups: dict[str, list[dict[str, Any]]] = {}
    for answer in answers:
        name = CATEGORIES.get(answer["question"].category, str(answer["question"].category))
        groups.setdefault(name, []).append(answer)
    for name, group in [*sorted(groups.items()), ("all", answers)]:
        n = len(group)
        hit = sum(1 for a in group if a["hits"]) / n if n else 0.0
        recall = sum(a["recall"] for a in group) / n if n else 0.0
        print(f"{name:<12} {n:>9} {hit:>8.1%} {recall:>10.3f}")
    print(
        f"hit@{k}: share of questions with at least one annotated evidence turn among the {k} "
        f"memories retrieved.\nRecall@{k}: share of a question's evidence turns retrieved, "
        "averaged over the questions."
    )


def summarise(answers: list[dict[str, Any]], k: int) -> str:
    """The summary line: questions, hit rate (hit@k) and Recall@k."""
    n = len(answers)
    hit_rate = sum(1 for a in answers if a["hits"]) / n if n else 0.0
    recall = sum(a["recall"] for a in answers) / n if n else 0.0
    return f"questions: {n} | hit@{k}: {hit_rate:.1%} | Recall@{k}: {recall:.3f}"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="LoCoMo JSON file (default: ../shared/data/locomo/locomo-dev.json "
        "next to the repository)",
    )
    parser.add_argument(
        "--conversation", default=None, help="sample_id of the conversation (default: the first)"
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="local-mode data folder (default: GENESIS_DATA_DIR or ./.genesis)",
    )
    parser.add_argument(
        "--uri",
        default=None,
        help="MongoDB connection string (default: MONGODB_URI, else local mode)",
    )
    parser.add_argument("--k", type=int, default=10, help="memories retrieved per question")
    parser.add_argument(
        "--search",
        choices=["hybrid", "vector", "words"],
        default="hybrid",
        help="ranking: meaning and words fused (default), meaning only, or words only (BM25)",
    )
    parser.add_argument(
        "--embeddings",
        choices=["minilm", "hash"],
        default="minilm",
        help="all-MiniLM-L6-v2 offline (default) or deterministic hashing vectors (no model)",
    )
    parser.add_argument(
        "--limit-questions",
        type=int,
        default=None,
        help="answer only the first N questions (categories 1-4)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="print every question with the turns retrieved for it and their scores",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="print only the summary line",
    )
    parser.add_argument(
        "--stop-server", action="store_true", help="stop the local-mode server on exit"
    )
    return parser.parse_args(argv)


def index_config(embeddings: str) -> dict[str, Any]:
    """LangGraph ``IndexConfig`` for the memories: 384-dim vectors of the ``memory`` field."""
    from langgraph_genesis_memory.embeddings import HashEmbeddings, MiniLMEmbeddings

    model = MiniLMEmbeddings() if embeddings == "minilm" else HashEmbeddings(384)
    return {"dims": 384, "embed": model, "fields": INDEX_FIELDS}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the example; returns the process exit code."""
    args = parse_args(argv)
    data = args.data.expanduser().resolve()
    if not data.is_file():
        print(
            f"error: LoCoMo data not found at {data}.\n"
            "Get it from the public repository https://github.com/snap-research/LoCoMo "
            "(file data/locomo10.json, CC BY-NC 4.0) and pass --data /path/to/locomo10.json, "
            "or put it at ../shared/data/locomo/locomo-dev.json beside the repository.",
            file=sys.stderr,
        )
        return 3
    try:
        conv = load_conversation(data, args.conversation)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    # Categories 1-4 have their answer in the conversation (5 = adversarial, no answer).
    questions = [q for q in conv.questions if q.category in (1, 2, 3, 4) and q.evidence]
    if args.limit_questions is not None:
        questions = questions[: args.limit_questions]
    print(ATTRIBUTION)
    print(
        f"Conversation {conv.conv_id}: {conv.speakers[0]} and {conv.speakers[1]}, "
        f"{len(conv.sessions)} sessions, {conv.turn_count} turns, {len(questions)} questions."
    )
    index = None if args.search == "words" else index_config(args.embeddings)
    mode = "lexical" if args.search == "words" else args.search
    try:
        with GenesisStore.from_conn_string(
            args.uri, data_dir=args.data_dir, index=index, search_mode=mode
        ) as store:
            store.setup()
            graph = build_graph(store)
            started = time.perf_counter()
            state = graph.invoke({"conversation": conv, "questions": questions, "k": args.k})
            elapsed = time.perf_counter() - started
    finally:
        if args.stop_server and not (args.uri or _env_uri()):
            LocalServer(args.data_dir).stop()
    if state.get("reused"):
        print(
            f"Reused the {conv.turn_count} memories already stored for {conv.conv_id} "
            "(no re-ingestion)."
        )
    else:
        print(
            f"Ingested {state.get('written', 0)} memories in "
            f"{state.get('sessions_written', 0)} session batches."
        )
    if args.verbose:
        print_answers(state["answers"], search=args.search)
    if not args.quiet:
        print_summary_table(state["answers"], args.k)
        if not args.verbose:
            print("Run with --verbose to see every question with the turns retrieved for it.")
    print(
        f"\n{conv.conv_id} | search: {args.search} | {summarise(state['answers'], args.k)} | "
        f"graph run: {elapsed:.1f} s"
    )
    return 0


def _env_uri() -> str | None:
    import os

    return os.environ.get("MONGODB_URI")


if __name__ == "__main__":
    sys.exit(main())
