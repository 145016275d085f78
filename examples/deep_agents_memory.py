"""Deep Agents with a long-term memory in GenesisStore: its ``/memories/`` files persist per user.

A `deepagents <https://pypi.org/project/deepagents/>`_ agent keeps a virtual filesystem. Here
every file under ``/memories/`` goes to ``GenesisStore`` (namespace ``("memories", <user>)``),
so it outlives the conversation; other files stay in the conversation's thread (checkpointed
by ``GenesisSaver``). Two conversations:

1. the user says what to remember; the agent writes ``/memories/preferences.md``;
2. in a new thread, the file is loaded as the agent's memory (``memory=[...]``) and read back.

The store then finds the file by meaning with its own search, as any other memory.

Offline by default: a scripted chat model plays the agent. With a real model (its provider
package and API key needed)::

    python examples/deep_agents_memory.py --model anthropic:claude-sonnet-4-5

Storage is local mode (``MONGODB_URI`` unset; the data folder is found upwards from the working
directory, or ``--data-dir``). Needs ``pip install deepagents``. Exit status 2 when it is missing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scripted_model import ScriptedChatModel, tool_turn  # noqa: E402

from langgraph_genesis_memory import GenesisSaver, GenesisStore  # noqa: E402

PROMPT = "You are a helpful assistant. Keep what the user wants remembered in /memories/."


@dataclass
class Context:
    """Who is talking: memories are kept per user."""

    user_id: str


def scripted_models() -> tuple[Any, Any]:
    """Offline stand-ins: the first writes the memory file, the second reads it back."""
    writer = ScriptedChatModel(
        turns=[
            tool_turn(("write_file", {"file_path": "/memories/preferences.md",
                                      "content": "- Drinks green tea every morning.\n"
                                                 "- Prefers answers in short bullet points.\n"})),
            "Saved to my memory: green tea, short bullet points.",
        ]
    )  # fmt: skip
    reader = ScriptedChatModel(
        turns=[
            tool_turn(("read_file", {"file_path": "/memories/preferences.md"})),
            lambda messages: "From my memory: " + " ".join(
                line.split("\t")[-1].strip() for line in str(messages[-1].content).splitlines()
                if line.strip().split("\t")[-1].startswith("-")
            ),
        ]
    )  # fmt: skip
    return writer, reader


def build_agent(model: Any, store: GenesisStore, saver: GenesisSaver, **kwargs: Any) -> Any:
    """A deep agent whose ``/memories/`` files live in ``store``, per user."""
    from deepagents import create_deep_agent
    from deepagents.backends import CompositeBackend, StateBackend, StoreBackend

    backend = CompositeBackend(
        default=StateBackend(),
        routes={"/memories/": StoreBackend(namespace=lambda rt: ("memories", rt.context.user_id))},
    )
    return create_deep_agent(
        model=model,
        tools=[],
        system_prompt=PROMPT,
        backend=backend,
        store=store,
        checkpointer=saver,
        context_schema=Context,
        **kwargs,
    )


def index_config(embeddings: str) -> dict[str, Any]:
    """Semantic search over the files' ``content`` (all-MiniLM-L6-v2 offline, or hashing)."""
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
        import deepagents  # noqa: F401
    except ImportError:
        print("error: this example needs Deep Agents: pip install deepagents", file=sys.stderr)
        return 2
    if args.model:
        from langchain.chat_models import init_chat_model

        writer = reader = init_chat_model(args.model)
    else:
        writer, reader = scripted_models()
    context = Context(args.user)
    conn: dict[str, Any] = {"data_dir": args.data_dir, "database": args.database}
    with (
        GenesisStore.from_conn_string(index=index_config(args.embeddings), **conn) as store,
        GenesisSaver.from_conn_string(**conn) as saver,
    ):
        store.setup()
        saver.setup()
        ask = "Please remember: I drink green tea every morning and like short bullet answers."
        out = build_agent(writer, store, saver).invoke(
            {"messages": [("user", ask)]},
            {"configurable": {"thread_id": "deep-1"}},
            context=context,
        )
        print(f"Conversation 1\n  user : {ask}\n  agent: {out['messages'][-1].content}")
        item = store.get(("memories", args.user), "/preferences.md")
        print(f"  stored in GenesisStore: {('memories', args.user)} / {item and item.key}")

        ask = "What do you know about my mornings?"
        agent = build_agent(reader, store, saver, memory=["/memories/preferences.md"])
        out = agent.invoke(
            {"messages": [("user", ask)]},
            {"configurable": {"thread_id": "deep-2"}},
            context=context,
        )
        print(
            f"Conversation 2 (new thread)\n  user : {ask}\n  agent: {out['messages'][-1].content}"
        )

        hit = store.search(("memories", args.user), query="morning beverage habits", limit=1)
        print(f"GenesisStore search 'morning beverage habits' -> {[h.key for h in hit]}")
    return 0 if item is not None else 1


if __name__ == "__main__":
    sys.exit(main())
