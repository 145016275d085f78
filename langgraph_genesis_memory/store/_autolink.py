"""Automatic links at write time: items that share a rare term (optional, off by default).

With ``GenesisStore(auto_links={...})``, a put links its item to earlier items of the same
namespace that share a **rare term** with it. Terms are, by ``by``:

* ``"words"`` (default): the words of the word index (lower-cased, English stop words dropped,
  Snowball-stemmed) of four letters or more;
* ``"names"``: names found by a documented heuristic, not a trained model (spaCy's models
  cannot be installed offline, and a heuristic behaves the same everywhere): a name is a run
  of capitalised words (``"Becoming Nicole"``, ``"Sweden"``) or an acronym (``"LGBTQ"``); the
  first word of a sentence is capitalised by position, so it is dropped from a run that starts
  the sentence ("Thanks", "Then Caroline" is "caroline"), unless it is an acronym; English stop
  words are dropped; names are compared lower-cased.

A term is rare while at most ``max_shared`` earlier items of the namespace hold it (terms
everyone uses, such as the speakers of a conversation, link nothing). Terms are read from the
value's ``fields`` (default: the fields the store indexes).

The terms of an item are recorded on its document (``link_terms``, an array with a MongoDB
index), so finding the earlier items is one indexed ``find`` joined to the batch's read step;
items of the same batch link to earlier ones of the batch in op order. The links go into the
document's ``link_to`` next to the value's ``relationships``; they are not written into the
value, and are recomputed whenever the item is written. Measured on LoCoMo (graph fusion,
``docs/retrieval.md``): rare words helped multi-hop questions, names did not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from langgraph_genesis_memory._mongo import Find
from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.index._lexical import english_stemmer, english_stopwords, tokenize

NAMES_FIELD = "link_terms"
"""The document field holding an item's terms for automatic links."""

MAX_NAMES = 64
"""Most terms recorded per item (the first ones in the text)."""

MIN_WORD = 4
"""Shortest word (in letters, before stemming) that ``by="words"`` links on."""

_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_NAME = re.compile(r"\b(?:[A-Z][a-z][\w'-]*(?:\s+[A-Z][a-z][\w'-]*)*|[A-Z]{2,}[a-z]?)\b")


class AutoLinkConfig(TypedDict, total=False):
    """Settings of automatic links (``GenesisStore(auto_links=...)``).

    Attributes:
        by: ``"words"`` (rare stemmed words, the default) or ``"names"`` (rare capitalised
            names, a heuristic).
        fields: Value paths whose text is read for terms (LangGraph path syntax; default the
            store's ``IndexConfig`` fields, else every string of the value).
        max_shared: A term links only while at most this many earlier items of the namespace
            hold it (default 5).
        max_links: Most automatic links per item, the most recent earlier items first
            (default 20).
    """

    by: Literal["words", "names"]
    fields: list[str]
    max_shared: int
    max_links: int


@dataclass(frozen=True)
class AutoLinks:
    """Validated automatic-link settings."""

    by: str = "words"
    fields: tuple[str, ...] | None = None
    max_shared: int = 5
    max_links: int = 20

    def terms(self, texts: Sequence[str]) -> list[str]:
        """The terms of an item's texts, in order of first appearance."""
        return names_in(texts) if self.by == "names" else words_in(texts)


def auto_link_settings(config: Mapping[str, Any] | None) -> AutoLinks | None:
    """Check ``auto_links=``: ``None`` (off) or an :class:`AutoLinkConfig`.

    Raises:
        ConfigurationError: For unknown keys or values that are not positive integers.
    """
    if config is None:
        return None
    if not isinstance(config, Mapping):
        raise ConfigurationError(f"auto_links must be a dict (AutoLinkConfig); got {config!r}.")
    unknown = set(config) - {"by", "fields", "max_shared", "max_links"}
    if unknown:
        raise ConfigurationError(f"auto_links has unknown keys {sorted(unknown)!r}.")
    numbers = {}
    for name in ("max_shared", "max_links"):
        number = config.get(name, getattr(AutoLinks, name))
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ConfigurationError(f"auto_links[{name!r}] must be a positive integer.")
        numbers[name] = number
    by = config.get("by", "words")
    if by not in ("words", "names"):
        raise ConfigurationError(f"auto_links['by'] must be 'words' or 'names'; got {by!r}.")
    fields = config.get("fields")
    if fields is not None and (
        not isinstance(fields, list) or not all(isinstance(f, str) and f for f in fields)
    ):
        raise ConfigurationError(f"auto_links['fields'] must be a list of paths; got {fields!r}.")
    return AutoLinks(by, None if fields is None else tuple(fields), **numbers)


def words_in(texts: Sequence[str]) -> list[str]:
    """The stemmed words (of :data:`MIN_WORD` letters or more, no stop words) of ``texts``."""
    stop, stem = english_stopwords(), english_stemmer()
    found: dict[str, None] = {}
    for text in texts:
        for token in tokenize(text, stopwords=stop):
            if len(token) >= MIN_WORD and token.isalpha():
                found.setdefault(stem(token), None)
                if len(found) >= MAX_NAMES:
                    return list(found)
    return list(found)


def names_in(texts: Sequence[str]) -> list[str]:
    """The names mentioned in ``texts`` (see the module docstring), lower-cased, in order."""
    stop = english_stopwords()
    found: dict[str, None] = {}
    for text in texts:
        for sentence in _SENTENCES.split(text):
            for match in _NAME.finditer(sentence):
                words = match.group(0).split()
                if not sentence[: match.start()].strip(" \"'([-:"):  # starts the sentence
                    if ":" in sentence[match.end() : match.end() + 1]:
                        continue  # "Speaker: ..." prefixes
                    if not words[0].isupper():  # capitalised by position: "Then Caroline"
                        words.pop(0)
                while words and words[0].lower() in stop:
                    words.pop(0)
                if not words:
                    continue
                name = " ".join(words)
                lowered = " ".join(name.lower().split())
                if lowered in stop or len(lowered) < 3:
                    continue
                found.setdefault(lowered, None)
                if len(found) >= MAX_NAMES:
                    return list(found)
    return list(found)


def earlier_mentions(namespaces: Sequence[str], names: Sequence[str], live: dict[str, Any]) -> Find:
    """The read (joined to the batch's read step) of stored items mentioning ``names`` in the
    written items' namespaces (``ns_key`` values)."""
    return Find(
        {"ns_key": {"$in": sorted(set(namespaces))}, NAMES_FIELD: {"$in": sorted(set(names))},
         **live},
        {"_id": 1, "ns_key": 1, NAMES_FIELD: 1, "updated_at": 1},
        sort=[("_id", 1)],
    )  # fmt: skip


class Linker:
    """Assigns automatic links to a batch's puts, in op order (pure)."""

    def __init__(self, settings: AutoLinks, stored: Sequence[Mapping[str, Any]]) -> None:
        self.settings = settings
        # (namespace, name) -> ids mentioning it, oldest first
        self.mentions: dict[tuple[str, str], list[str]] = {}
        for doc in sorted(stored, key=lambda d: (str(d.get("updated_at") or ""), d["_id"])):
            for name in doc.get(NAMES_FIELD) or ():
                self.mentions.setdefault((doc.get("ns_key", ""), name), []).append(doc["_id"])

    def links(self, doc_id: str, ns_key: str, names: Sequence[str]) -> list[str]:
        """The earlier items ``doc_id`` links to; then records its own mentions."""
        targets: list[str] = []
        for name in names:
            earlier = [i for i in self.mentions.get((ns_key, name), ()) if i != doc_id]
            if 0 < len(earlier) <= self.settings.max_shared:
                targets.extend(earlier)
        for name in names:
            ids = self.mentions.setdefault((ns_key, name), [])
            if doc_id not in ids:
                ids.append(doc_id)
        unique = list(dict.fromkeys(reversed(targets)))  # most recent first
        return unique[: self.settings.max_links]
