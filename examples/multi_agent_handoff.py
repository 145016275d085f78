"""Multi-agent handoff on a real LoCoMo conversation, with a session that resumes across runs.

A triage agent and two specialists (``timeline`` for "when" questions, ``memory_qa`` for the
rest) share one ``GenesisStore`` (the conversation's turns as memories, sessions, handoff
records) and one ``GenesisSaver`` (the conversation state). Each run goes through the
``SessionManager``:

* ``start_session`` (run 1) or ``resume`` (later runs, in a new process);
* ``add_message``: the user's question enters the session (as a web app would store it); it is
  delivered to the session's thread, so the swarm, invoked on that thread, sees it;
* the triage agent hands off with the handoff tool (``handoff_reason``, ``critical_info``,
  ``continuation_instructions``, ``pending_tasks``); the specialist searches memory and answers;
* ``get_handoff_context`` and ``get_full_context`` report what happened;
* ``--end`` ends the session with ``end_session(reason="completed")`` (archived; a later run
  reopens it with ``resume(reopen=True)``).

Run it twice::

    python examples/multi_agent_handoff.py          # run 1: starts the session, first question
    python examples/multi_agent_handoff.py          # run 2: resumes it in a new process

Offline by default: the agents use a deterministic scripted chat model (no API key, no network).
With a real chat model (any ``init_chat_model`` id; its provider package and API key needed)::

    OPENAI_API_KEY=... python examples/multi_agent_handoff.py --model openai:gpt-4o-mini

Storage is local mode (a local MongoDB-compatible server under ``--data-dir``, left running for
later runs; ``--stop-server`` stops it at the end) unless ``MONGODB_URI`` is set.

Data: LoCoMo (Maharana et al., ACL 2024, "Evaluating Very Long-Term Conversational Memory of
LLM Agents"), https://github.com/snap-research/LoCoMo, data/locomo10.json, licensed
CC BY-NC 4.0 (https://creativecommons.org/licenses/by-nc/4.0/). Point ``--data`` at
``locomo10.json`` (or the project's ``locomo-dev.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.store.base import PutOp
from langgraph_swarm import create_swarm
from scripted_model import ScriptedChatModel, tool_turn

from langgraph_genesis_memory import GenesisStore
from langgraph_genesis_memory.checkpoint import GenesisSaver
from langgraph_genesis_memory.errors import SessionEndedError, SessionNotFoundError
from langgraph_genesis_memory.sessions import SessionManager
from langgraph_genesis_memory.tools import (
    HandoffContextMiddleware,
    create_handoff_tool,
    create_search_memory_tool,
    list_handoffs,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(
    os.environ.get("LOCOMO_PATH")
    or REPO.parent / "shared" / "data" / "locomo" / "locomo-dev.json"  # ../shared beside the repo
)
TENANT = "locomo-demo"
MEMORY_NAMESPACE = ("business", "{tenant_id}", "{conversation_id}")
TEMPORAL = re.compile(r"\b(when|what year|how long|date|month)\b", re.IGNORECASE)
STOP = set("a an the of to in on at did do does what when who why how is was were her his".split())


# -- data --------------------------------------------------------------------------------------
def load_conversation(path: Path, sample_id: str) -> dict[str, Any] | None:
    """Load one LoCoMo conversation, or ``None`` (with a pointer printed) if the file is absent."""
    if not path.is_file():
        print(
            f"error: LoCoMo data not found at {path}.\n"
            "Download data/locomo10.json from https://github.com/snap-research/LoCoMo "
            "(CC BY-NC 4.0) and pass --data /path/to/locomo10.json (or set LOCOMO_PATH).",
            file=sys.stderr,
        )
        return None
    for sample in json.loads(path.read_text()):
        if sample["sample_id"] == sample_id:
            return dict(sample)
    print(f"error: conversation {sample_id!r} is not in {path}.", file=sys.stderr)
    return None


def memory_ops(sample: dict[str, Any], tenant: str) -> list[PutOp]:
    """One memory per dialog turn, keyed by its dia_id (idempotent: re-runs overwrite)."""
    conv = sample["conversation"]
    namespace = ("business", tenant, sample["sample_id"])
    ops = []
    n = 1
    while f"session_{n}" in conv:
        date = conv.get(f"session_{n}_date_time", "")
        for turn in conv[f"session_{n}"]:
            text = turn["text"] + (f" [shared image: {turn['blip_caption']}]"
                                   if turn.get("blip_caption") else "")  # fmt: skip
            value = {"content": f"{turn['speaker']}: {text}", "speaker": turn["speaker"],
                     "dia_id": turn["dia_id"], "session": n, "date": date}  # fmt: skip
            ops.append(PutOp(namespace, turn["dia_id"], value))
        n += 1
    return ops


def pick_questions(sample: dict[str, Any]) -> list[dict[str, Any]]:
    """Questions for runs 1, 2, 3...: temporal (category 2) and single-hop (category 4) ones,
    alternating, in the dataset's order."""
    temporal = [q for q in sample["qa"] if q["category"] == 2]
    single_hop = [q for q in sample["qa"] if q["category"] == 4]
    return [q for pair in zip(temporal, single_hop, strict=False) for q in pair]


# -- the scripted (offline) agents -----------------------------------------------------------------
def _last_human(messages: list[BaseMessage]) -> str:
    return next((str(m.content) for m in reversed(messages) if isinstance(m, HumanMessage)), "")


def _keywords(question: str) -> str:
    words = re.findall(r"[A-Za-z0-9']+", question)
    return " ".join(w for w in words if w.lower() not in STOP)


def triage_policy(messages: list[BaseMessage]) -> AIMessage:
    """Route temporal questions to ``timeline`` and the rest to ``memory_qa``."""
    question = _last_human(messages)
    target = "timeline" if TEMPORAL.search(question) else "memory_qa"
    return tool_turn((f"transfer_to_{target}", {
        "handoff_reason": f"{'Temporal' if target == 'timeline' else 'Factual'} question about "
                          "the conversation; the specialist can search its memory.",
        "critical_info": {"question": question},
        "continuation_instructions": "Search memory for the evidence, answer briefly and cite "
                                     "the dia_id.",
        "pending_tasks": [f"Answer: {question}"],
    }))  # fmt: skip


def specialist_policy(name: str, other: str) -> Any:
    """Search memory for the question, answer from the hits; hand over off-topic questions."""

    def policy(messages: list[BaseMessage]) -> AIMessage | str:
        last = messages[-1]
        if isinstance(last, ToolMessage) and last.name == "search_memory":
            try:
                hits = json.loads(str(last.content))
            except json.JSONDecodeError:
                return f"({name}) I found nothing in memory for that."
            top = hits[0]
            date = top.get("metadata", {}).get("date", "an unknown date")
            return f'({name}) From memory [{top["id"]}]: "{top["content"]}" (session of {date}).'
        question = _last_human(messages)
        wants_timeline = bool(TEMPORAL.search(question))
        if wants_timeline != (name == "timeline"):
            return tool_turn((f"transfer_to_{other}", {
                "handoff_reason": f"{name} handles "
                                  f"{'temporal' if name == 'timeline' else 'factual'} "
                                  "questions; this one belongs to the other specialist.",
                "critical_info": {"question": question},
                "continuation_instructions": "Search memory, answer briefly, cite the dia_id.",
                "pending_tasks": [f"Answer: {question}"],
            }))  # fmt: skip
        return tool_turn(("search_memory", {"query": _keywords(question), "limit": 3}))

    return policy


# -- the graph ---------------------------------------------------------------------------------
def build_app(store: Any, saver: Any, model: Any | None, speakers: str) -> Any:
    """Triage + two specialists in a swarm, compiled with the shared store and saver."""

    def chat(policy: Any) -> Any:
        return model if model is not None else ScriptedChatModel(policy=policy)

    search = create_search_memory_tool(MEMORY_NAMESPACE, limit=3)
    triage = create_agent(
        chat(triage_policy),
        [create_handoff_tool("timeline"), create_handoff_tool("memory_qa")],
        system_prompt=(
            f"You triage questions about a long conversation between {speakers}. Hand temporal "
            "questions (when, dates) to timeline and all others to memory_qa, with the "
            "handoff_reason, the critical_info (name -> value), the continuation_instructions "
            "and the pending_tasks. Never answer yourself."
        ),
        name="triage",
    )
    specialists = []
    for name, other, focus in (
        ("timeline", "memory_qa", "when things happened (dates, order of events)"),
        ("memory_qa", "timeline", "facts about the people in the conversation"),
    ):
        specialists.append(
            create_agent(
                chat(specialist_policy(name, other)),
                [search, create_handoff_tool(other), create_handoff_tool("triage")],
                system_prompt=(
                    f"You answer questions about {focus} in a conversation between {speakers}. "
                    "Always call search_memory first and answer only from what it returns, "
                    f"citing dia_ids. Hand questions outside your focus to {other}."
                ),
                middleware=[HandoffContextMiddleware(agent_name=name, max_tokens=3000)],
                name=name,
            )
        )
    graph = create_swarm([triage, *specialists], default_active_agent="triage")
    return graph.compile(store=store, checkpointer=saver)


def show_turn(messages: list[BaseMessage], start: int) -> None:
    """Print the messages of one turn compactly."""
    for m in messages[start:]:
        if isinstance(m, HumanMessage):
            print(f"  user      : {m.content}")
        elif isinstance(m, AIMessage):
            calls = ", ".join(c["name"] for c in m.tool_calls)
            text = str(m.content) or f"-> calls {calls}"
            print(f"  {m.name or 'agent':<10}: {text[:300]}")
        elif isinstance(m, ToolMessage):
            print(f"  tool      : [{m.name}] {str(m.content)[:160]}")


def run(args: argparse.Namespace) -> int:
    """Run one turn of the session (start it, or resume it); returns the exit status."""
    sample = load_conversation(Path(args.data), args.conversation)
    if sample is None:
        return 3  # no data: a failure, so scripts and CI notice
    speakers = f"{sample['conversation']['speaker_a']} and {sample['conversation']['speaker_b']}"
    model = None
    if args.model:
        from langchain.chat_models import init_chat_model

        model = init_chat_model(args.model)
    questions = pick_questions(sample)
    conn = dict(data_dir=args.data_dir, database=args.database)
    with (
        GenesisStore.from_conn_string(**conn) as store,
        GenesisSaver.from_conn_string(**conn) as saver,
    ):
        store.setup()
        saver.setup()
        store.batch(memory_ops(sample, TENANT))
        sessions = SessionManager(store, saver, tenant_id=TENANT, history_tokens=800)
        sessions.setup()
        session_id = args.session or f"{sample['sample_id']}-demo"
        app = build_app(store, saver, model, speakers)
        try:
            ctx = sessions.resume(session_id)
        except SessionEndedError as ended:
            print(f"== Session {session_id!r} had ended ({ended.reason}); reopening it ==")
            ctx = sessions.resume(session_id, reopen=True)
        except SessionNotFoundError:
            ctx = None
        if ctx is not None:
            turn = ctx.message_counts.get("human", 0) + 1
            print(f"== Run {turn}: resumed session {session_id!r} in a new process ==")
            print(f"   current agent: {ctx.current_agent}, handoffs so far: {ctx.handoff_count}, "
                  f"messages: {ctx.message_counts.get('total', 0)}, "
                  f"tasks done: {ctx.completion_rate:.0%}")  # fmt: skip
            question = questions[ctx.message_counts.get("human", 0) % len(questions)]
        else:
            ctx = sessions.start_session(
                session_id, user_id="demo-user",
                initial_context={"source": "examples/multi_agent_handoff.py",
                                 "dataset": "LoCoMo (CC BY-NC 4.0)"},
                agents=["triage"],
                critical_facts={"speakers": speakers, "conversation": sample["sample_id"]},
            )  # fmt: skip
            print(f"== Run 1: started session {session_id!r} on LoCoMo {sample['sample_id']} "
                  f"({len(memory_ops(sample, TENANT))} turns stored as memories) ==")  # fmt: skip
            question = questions[0]
        config = sessions.config(
            session_id, user_id="demo-user", conversation_id=sample["sample_id"]
        )
        before = len(app.get_state(config).values.get("messages", []))
        # The question enters the session (as a web app would store it) and reaches the thread.
        sessions.add_message(session_id, "user", question["question"], {"source": "example"})
        out = app.invoke({"messages": []}, config)  # the swarm runs on the session's thread
        show_turn(out["messages"], before)
        print(f"  gold answer: {question.get('answer')!r}; evidence: {question['evidence']}")
        cited = re.findall(r"D\d+:\d+", str(out["messages"][-1].content))
        print(f"  cited evidence found: {bool(set(cited) & set(question['evidence']))}")

        handoffs = list_handoffs(store, session_id, tenant_id=TENANT)
        last = handoffs[-1]
        print(f"== Handoff recorded ({len(handoffs)} in this session) ==")
        print(f"   {last['from_agent']} -> {last['to_agent']}: {last['reason']}")
        print(f"   critical facts: {last['critical_facts']}")
        print(f"   pending tasks: {last['context']['pending_tasks']}")
        print(f"   snapshot: {len(last['context']['recent_messages'])} recent messages, "
              f"{last['context']['recent_tokens']} tokens; summary: "
              f"{last['context']['summary'][:120]}")  # fmt: skip
        brief = sessions.get_handoff_context(session_id)
        print(f"   handoff context: {brief.to_dict() if brief else None}")
        sessions.complete_tasks(session_id, [f"Answer: {question['question']}"])
        ctx = sessions.context(session_id)
        full = sessions.get_full_context(session_id)
        print("== Session context ==")
        print(f"   agents: {ctx.agents}; current: {ctx.current_agent}; previous: "
              f"{ctx.previous_agent}; handoffs: {ctx.handoff_count}")  # fmt: skip
        print(f"   conversation: {full.conversation.summary}; recent window: "
              f"{ctx.recent_tokens} tokens")  # fmt: skip
        done = f"{len(ctx.completed_tasks)}/{len(ctx.tasks)} ({ctx.completion_rate:.0%})"
        print(f"   tasks done: {done}; critical facts: {sorted(full.memory.critical_facts)}")
        print(f"   working memory: {full.memory.working_memory}")
        if args.end:
            archive = sessions.end_session(session_id, reason="completed")
            print(f"== Session ended and archived in {archive.namespace} ==")
            print(f"   {archive.to_dict()['summary']}; tasks: {archive.to_dict()['tasks']}")
    if args.stop_server and not os.environ.get("MONGODB_URI"):
        from langgraph_genesis_memory.local import LocalServer

        LocalServer(args.data_dir).stop()
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="LoCoMo JSON file")
    parser.add_argument("--conversation", default="conv-26", help="sample_id to use")
    parser.add_argument("--session", default=None, help="session id (default <conv>-demo)")
    parser.add_argument("--model", default=None, help="init_chat_model id, e.g. openai:gpt-4o-mini")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="local-mode data folder (default: GENESIS_DATA_DIR, else the nearest .genesis "
        "folder here or above, else ./.genesis)",
    )
    parser.add_argument("--database", default="genesis_examples")
    parser.add_argument("--stop-server", action="store_true", help="stop the local server at exit")
    parser.add_argument(
        "--end", action="store_true", help="end (and archive) the session after this run"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(run(parse_args()))
