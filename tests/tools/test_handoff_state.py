"""The state-driven handoff pattern of LangChain's multi-agent docs, with this package's handoff
tools: one create_agent agent whose middleware follows ``active_agent`` (HandoffStateMiddleware),
and distinct create_agent agents as graph nodes routed by ``active_agent``; handoffs recorded,
the receiving agent gets the handoff context; with MemoryMiddleware; on the real local server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NotRequired

from langchain.agents import AgentState, create_agent
from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph
from scripted_model import ScriptedChatModel, tool_turn

from langgraph_genesis_memory.sessions import SessionManager
from langgraph_genesis_memory.tools import (
    HandoffAgent,
    HandoffContextMiddleware,
    HandoffStateMiddleware,
    MemoryMiddleware,
    create_handoff_tool,
    list_handoffs,
)

TO_BILLING = {
    "reason": "The user asks about an invoice.",
    "critical_facts": ["Invoice INV-7 was charged twice."],
    "instructions": "Refund the duplicate charge.",
    "pending_tasks": ["Refund INV-7"],
}


@tool
def refund(invoice: str) -> str:
    """Refund an invoice."""
    return f"Refunded {invoice}."


@tool
def lookup_order(order: str) -> str:
    """Look an order up."""
    return f"Order {order} shipped."


class ToolsSeen(AgentMiddleware):
    """Records the tool names each model call is given (innermost middleware)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def wrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
    ) -> ModelResponse:
        self.calls.append(sorted(getattr(t, "name", "") for t in request.tools))
        return handler(request)


def _router(**kwargs: Any) -> HandoffStateMiddleware:
    return HandoffStateMiddleware(
        {
            "triage": HandoffAgent(
                "You are triage: route the user.", [lookup_order], handoffs=["billing"]
            ),
            "billing": HandoffAgent(
                "You are billing: fix invoices.", [refund], handoffs=["triage"],
                description="invoices and refunds",
            ),
        },
        default="triage",
        **kwargs,
    )  # fmt: skip


def _assert_valid_history(messages: list[BaseMessage]) -> None:
    calls = [c["id"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]
    answers = [m.tool_call_id for m in messages if isinstance(m, ToolMessage)]
    assert sorted(calls) == sorted(answers)


def test_single_agent_switches_prompt_and_tools_with_active_agent(store, saver) -> None:
    model = ScriptedChatModel(
        turns=[
            tool_turn(("transfer_to_billing", TO_BILLING)),
            tool_turn(("refund", {"invoice": "INV-7"})),
            "Billing here: INV-7 is refunded.",
            "Still billing: anything else?",
        ]
    )
    seen = ToolsSeen()
    agent = create_agent(
        model, [], middleware=[_router(), seen], store=store, checkpointer=saver, name="support"
    )
    sessions = SessionManager(store, saver)
    sessions.start(session_id="s-state", user_id="u1", agents=["triage"])
    config = sessions.config("s-state", user_id="u1")
    out = agent.invoke({"messages": [HumanMessage("I was charged twice for INV-7.")]}, config)

    # First call as triage, then as billing, within the same run.
    first, second = model.seen[0], model.seen[1]
    assert first[0].content == "You are triage: route the user."
    assert seen.calls[0] == ["lookup_order", "transfer_to_billing"]
    assert second[0].content.startswith("You are billing: fix invoices.")
    assert "The user asks about an invoice." in second[0].content  # the handoff block
    assert "Invoice INV-7 was charged twice." in second[0].content
    assert seen.calls[1] == ["refund", "transfer_to_triage"]
    assert out["active_agent"] == "billing"
    assert out["messages"][-1].content == "Billing here: INV-7 is refunded."
    _assert_valid_history(out["messages"])
    assert sum(isinstance(m, HumanMessage) for m in out["messages"]) == 1

    (record,) = list_handoffs(store, "s-state")
    assert (record["from_agent"], record["to_agent"]) == ("triage", "billing")
    assert record["via"] == "tool"

    # The next turn starts with billing in charge (the state persisted).
    agent.invoke({"messages": [HumanMessage("Thanks!")]}, config)
    assert model.seen[-1][0].content.startswith("You are billing")
    assert agent.get_state(config).values["active_agent"] == "billing"


async def test_single_agent_async_with_memory(astore, async_saver) -> None:
    await astore.aput(("memories", "u2"), "plan", {"content": "The user is on the Pro plan."})
    model = ScriptedChatModel(
        turns=[tool_turn(("transfer_to_billing", TO_BILLING)), "Refund issued on your Pro plan."]
    )
    agent = create_agent(
        model,
        [],
        middleware=[MemoryMiddleware(("memories", "{user_id}"), tool=False), _router()],
        store=astore,
        checkpointer=async_saver,
    )
    config = {"configurable": {"thread_id": "s-async", "user_id": "u2"}}
    out = await agent.ainvoke({"messages": [HumanMessage("Charged twice, Pro plan?")]}, config)
    billing_input = model.seen[1]
    assert billing_input[0].content.startswith("You are billing")
    assert any("The user is on the Pro plan." in str(m.content) for m in billing_input[1:])
    assert "Pro plan." not in billing_input[0].content.split("fix invoices.")[0]
    assert out["active_agent"] == "billing"
    assert [r["to_agent"] for r in await astore_handoffs(astore, "s-async")] == ["billing"]


async def astore_handoffs(store: Any, session: str) -> list[dict[str, Any]]:
    from langgraph_genesis_memory.tools import alist_handoffs

    return await alist_handoffs(store, session)


class MultiAgentState(AgentState[Any]):
    active_agent: NotRequired[str]


@dataclass
class Agents:
    graph: Any
    sales_model: ScriptedChatModel
    support_model: ScriptedChatModel


def _subgraph_agents(store, saver) -> Agents:
    """The docs' "multiple agent subgraphs": agents called from nodes, routed by active_agent."""
    sales_model = ScriptedChatModel(
        turns=[tool_turn(("transfer_to_support_agent", {"reason": "Login trouble."}))]
    )
    support_model = ScriptedChatModel(turns=["Support here: reset your password."])
    sales = create_agent(
        sales_model, [create_handoff_tool("support_agent")],
        system_prompt="You are sales.", name="sales_agent",
    )  # fmt: skip
    support = create_agent(
        support_model, [create_handoff_tool("sales_agent")],
        system_prompt="You are support.", name="support_agent",
        middleware=[HandoffContextMiddleware(agent_name="support_agent")],
    )  # fmt: skip

    def call_sales(state: MultiAgentState) -> Any:
        return sales.invoke(state)

    def call_support(state: MultiAgentState) -> Any:
        return support.invoke(state)

    def route_after(state: MultiAgentState) -> Literal["sales_agent", "support_agent", "__end__"]:
        last = state["messages"][-1]
        if isinstance(last, AIMessage) and not last.tool_calls:
            return "__end__"
        return state.get("active_agent") or "sales_agent"  # type: ignore[return-value]

    builder = StateGraph(MultiAgentState)
    builder.add_node("sales_agent", call_sales)
    builder.add_node("support_agent", call_support)
    builder.add_conditional_edges(
        START, lambda s: s.get("active_agent") or "sales_agent", ["sales_agent", "support_agent"]
    )
    for node in ("sales_agent", "support_agent"):
        builder.add_conditional_edges(node, route_after, ["sales_agent", "support_agent", END])
    graph = builder.compile(store=store, checkpointer=saver)
    return Agents(graph, sales_model, support_model)


def test_agent_subgraphs_routed_by_active_agent(store, saver) -> None:
    agents = _subgraph_agents(store, saver)
    config = {"configurable": {"thread_id": "s-subgraphs"}}
    out = agents.graph.invoke({"messages": [HumanMessage("I cannot log in.")]}, config)
    assert out["active_agent"] == "support_agent"
    assert out["messages"][-1].content == "Support here: reset your password."
    _assert_valid_history(out["messages"])
    support_input = agents.support_model.seen[0]
    assert support_input[0].content.startswith("You are support.")
    assert "Login trouble." in support_input[0].content  # the handoff context
    (record,) = list_handoffs(store, "s-subgraphs")
    assert (record["from_agent"], record["to_agent"]) == ("sales_agent", "support_agent")
