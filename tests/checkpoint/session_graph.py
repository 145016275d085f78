"""A small conversation graph used by the graph tests and run as a script by the restart test.

``python session_graph.py URI DATABASE THREAD start|resume ANSWER`` runs one half of a session
in its own process and prints the final state as JSON.
"""

from __future__ import annotations

import json
import operator
import sys
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt


class Session(TypedDict):
    messages: Annotated[list[str], operator.add]
    approved: str


def ask(state: Session) -> dict:
    return {"messages": [f"assistant: plan for {state['messages'][0]}"]}


def review(state: Session) -> dict:
    answer = interrupt({"question": "approve the plan?", "seen": len(state["messages"])})
    return {"approved": answer, "messages": [f"user: {answer}"]}


def finish(state: Session) -> dict:
    return {"messages": [f"assistant: done ({state['approved']})"]}


def build(checkpointer):
    """The compiled graph: ask -> review (interrupts for approval) -> finish."""
    builder = StateGraph(Session)
    builder.add_node("ask", ask)
    builder.add_node("review", review)
    builder.add_node("finish", finish)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", "review")
    builder.add_edge("review", "finish")
    builder.add_edge("finish", END)
    return builder.compile(checkpointer=checkpointer)


def main(argv: list[str]) -> int:
    from pymongo import MongoClient

    from langgraph_genesis_memory.checkpoint import GenesisSaver

    uri, database, thread, action = argv[:4]
    client: MongoClient = MongoClient(uri)
    try:
        saver = GenesisSaver(client=client, database=database)
        saver.setup()
        graph = build(saver)
        config = {"configurable": {"thread_id": thread}}
        if action == "start":
            graph.invoke({"messages": ["user: book a trip"]}, config)
        else:
            graph.invoke(Command(resume=argv[4]), config)
        state = graph.get_state(config)
        print(json.dumps({"values": state.values, "next": list(state.next)}))
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
