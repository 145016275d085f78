"""langmem's memory tools on GenesisStore: an agent saves memories, then finds them by meaning.

`langmem <https://pypi.org/project/langmem/>`_'s ``create_manage_memory_tool`` and
``create_search_memory_tool`` work on any LangGraph store; here that is ``GenesisStore`` with
semantic search (all-MiniLM-L6-v2 offline, a Chroma index kept in step with MongoDB). The
namespace ``("memories", "{langgraph_user_id}")`` is filled from the run's configuration, so
each user has their own memories. Two conversations:

1. the user tells the agent two things; it saves each with ``manage_memory``;
2. later, a question with none of the same words; ``search_memory`` finds the right memory.

Offline by default: a scripted chat model plays the agent. With a real model (its provider
package and API key needed)::

    python examples/langmem_memory.py --model openai:gpt-4o-mini

Storage is local mode (``MONGODB_URI`` unset; the data folder is found upwards from the working
directory, or ``--data-dir``). Needs ``pip install langmem``. Exit status 2 when it is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scripted_model import ScriptedChatModel, tool_turn  # noqa: E402

from langgraph_genesis_memory import GenesisStore  # noqa: E402

NAMESPACE = ("memories", "{langgraph_user_id}")
PROMPT = "Save what the user wants remembered with manage_memory; search memory before answering."
QUESTION = "What could we do together on a weekend in the mountains?"


def scripted_model() -> ScriptedChatModel:
    """Offline stand-in: saves two memories, then searches and answers from the best hit."""

    def answer(messages: list[Any]) -> str:
        hits = json.loads(str(messages[-1].content))
        best = hits[0]["value"]["content"] if hits else "nothing"
        return f"Based on what I remember ({best}), how about a hike?"

    return ScriptedChatModel(
        turns=[
            tool_turn(
                ("manage_memory", {"content": "The user loves hiking in the Alps."}),
                ("manage_memory", {"content": "The user is allergic to peanuts."}),
            ),
            "I will remember both.",
            tool_turn(("search_memory", {"query": QUESTION, "limit": 2})),
            answer,
        ]
    )


def index_config(embeddings: str) -> dict[str, Any]:
    """Semantic search over langmem's ``content`` field."""
    from langgraph_genesis_memory.embeddings import HashEmbeddings, MiniLMEmbeddings

    model = MiniLMEmbeddings() if embeddings == "minilm" else HashEmbeddings(384)
    return {"dims": 384, "embed": model, "fields": ["content"]}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the two conversations; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="init_chat_model id (default: scripted)")
    parser.add_argument("--user", default="alice", help="whose memories")
    parser.add_argument("--data-dir", default=None, help="local-mode data folder")
    parser.add_argument("--database", default="genesis_examples", help="MongoDB database")
    parser.add_argument("--embeddings", choices=["minilm", "hash"], default="minilm")
    args = parser.parse_args(argv)
    try:
        from langmem import create_manage_memory_tool, create_search_memory_tool
    except ImportError:
        print("error: this example needs langmem: pip install langmem", file=sys.stderr)
        return 2
    from langchain.agents import create_agent

    if args.model:
        from langchain.chat_models import init_chat_model

        model: Any = init_chat_model(args.model)
    else:
        model = scripted_model()
    config = {"configurable": {"langgraph_user_id": args.user}}
    with GenesisStore.from_conn_string(
        index=index_config(args.embeddings), data_dir=args.data_dir, database=args.database
    ) as store:
        store.setup()
        agent = create_agent(
            model,
            [create_manage_memory_tool(namespace=NAMESPACE),
             create_search_memory_tool(namespace=NAMESPACE)],
            system_prompt=PROMPT,
            store=store,
        )  # fmt: skip
        said = "I love hiking in the Alps. Also, I am allergic to peanuts."
        out = agent.invoke({"messages": [("user", said)]}, config)
        print(f"Conversation 1\n  user : {said}\n  agent: {out['messages'][-1].content}")
        saved = store.search(("memories", args.user), limit=10)
        print(f"  {len(saved)} memories in GenesisStore under ('memories', {args.user!r})")

        out = agent.invoke({"messages": [("user", QUESTION)]}, config)
        print(f"Conversation 2\n  user : {QUESTION}\n  agent: {out['messages'][-1].content}")
    return 0 if saved else 1


if __name__ == "__main__":
    sys.exit(main())
