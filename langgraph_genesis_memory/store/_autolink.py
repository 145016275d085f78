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

**Postings.** How many items of a namespace hold a term, and the first of them, are kept in
the collection ``<store collection>_link_terms``: one document per (namespace, term), ``_id``
the namespace's labels followed by the term (encoded as item ids are), ``n`` the number of
items holding it and ``ids`` the first :data:`MAX_SHARED` + 1 of them, in write order. A batch
reads the postings of its puts' terms by ``_id`` (one ``find`` joined to the batch's read step,
its size bounded by the terms, never by how many items share them) together with the terms its
written items held before (their documents' ``link_terms``); items of the same batch link to
earlier ones of the batch in op order. After the batch's own writes, one ordered bulk write
updates the postings: ``$inc`` of ``n`` and ``$push`` with ``$slice`` of ``ids`` for terms an
item gained, ``$inc`` of -1 and ``$pull`` for terms it lost (an overwrite with other text, a
delete). A sweep (``store.sweep()``) takes the terms of the expired items it removes out of the
postings. Postings are statistics, not a second copy of the data, and they can drift: items
MongoDB's TTL monitor removes stay counted until written again; two writers overwriting the
same item at the same time each take its old terms back; a batch that fails part-way
(``PartialWriteError``) does not update them; ``restore`` does not recompute them; once a term
had more than ``MAX_SHARED + 1`` holders, ``ids`` may miss some. Drift only changes which terms
count as rare, and a link to an item that is gone leads nowhere (the graph walk reads live items).

The links go into the document's ``link_to`` next to the value's ``relationships``; they are not
written into the value, and are recomputed whenever the item is written. Measured on LoCoMo
(graph fusion, ``docs/retrieval.md``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from pymongo import DeleteMany, UpdateOne

from langgraph_genesis_memory._mongo import Find
from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.index._lexical import english_stemmer, english_stopwords, tokenize
from langgraph_genesis_memory.store._documents import encode_path, split_id

NAMES_FIELD = "link_terms"
"""The document field holding an item's terms for automatic links."""

MAX_NAMES = 64
"""Most terms recorded per item (the first ones in the text)."""

MIN_WORD = 4
"""Shortest word (in letters, before stemming) that ``by="words"`` links on."""

MAX_SHARED = 100
"""Largest ``max_shared``: postings keep the first ``MAX_SHARED + 1`` holders of a term."""

POSTINGS_SUFFIX = "_link_terms"
"""The postings collection is the store's collection name followed by this."""

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
            hold it (default 5, at most :data:`MAX_SHARED`).
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
        if name == "max_shared" and number > MAX_SHARED:
            raise ConfigurationError(f"auto_links['max_shared'] must be at most {MAX_SHARED}.")
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


def posting_id(namespace: Sequence[str], term: str) -> str:
    """The ``_id`` of the postings document of ``term`` in ``namespace``."""
    return encode_path((*namespace, term))


def plan_reads(
    terms: Mapping[str, tuple[tuple[str, ...], Sequence[str]]],
    written: Sequence[str],
    postings: str,
) -> tuple[Find, Find]:
    """The reads joined to a batch's read step: the postings of the puts' terms (``terms``:
    item ``_id`` -> (namespace, terms)) and the terms the written items (``written``, puts and
    deletes) held before."""
    ids = sorted({posting_id(ns, t) for ns, names in terms.values() for t in names})
    return (
        Find({"_id": {"$in": ids}}, {"n": 1, "ids": 1}, batch_size=max(len(ids), 1),
             collection=postings),
        Find({"_id": {"$in": sorted(written)}}, {NAMES_FIELD: 1},
             batch_size=max(len(written), 1)),
    )  # fmt: skip


class Linker:
    """Assigns automatic links to a batch's puts in op order, and the postings updates that
    record their terms (pure).

    Args:
        settings: The store's automatic-link settings.
        postings: The postings documents read (``_id``, ``n``, ``ids``).
        previous: The written items' stored documents (``_id``, ``link_terms``).
    """

    def __init__(
        self,
        settings: AutoLinks,
        postings: Sequence[Mapping[str, Any]],
        previous: Sequence[Mapping[str, Any]],
    ) -> None:
        self.settings = settings
        self.postings: dict[str, tuple[int, list[str]]] = {
            doc["_id"]: (int(doc.get("n") or 0), list(doc.get("ids") or ())) for doc in postings
        }
        self.previous = {doc["_id"]: list(doc.get(NAMES_FIELD) or ()) for doc in previous}
        self.updates: list[UpdateOne] = []

    def links(self, doc_id: str, namespace: tuple[str, ...], names: Sequence[str]) -> list[str]:
        """The earlier items ``doc_id`` links to (most recent first); then records its terms."""
        before = set(self.previous.get(doc_id, ()))
        targets: list[str] = []
        for name in names:
            n, ids = self.postings.get(posting_id(namespace, name), (0, []))
            others = n - (1 if name in before else 0)
            if 0 < others <= self.settings.max_shared:
                targets.extend(i for i in ids if i != doc_id)
        self.record(doc_id, namespace, names)
        unique = list(dict.fromkeys(reversed(targets)))
        return unique[: self.settings.max_links]

    def record(self, doc_id: str, namespace: tuple[str, ...], names: Sequence[str]) -> None:
        """Count the terms ``doc_id`` now holds (``names``; ``[]`` for a delete)."""
        before = self.previous.get(doc_id, [])
        gained = [t for t in dict.fromkeys(names) if t not in set(before)]
        lost = [t for t in before if t not in set(names)]
        for term in gained:
            key = posting_id(namespace, term)
            n, ids = self.postings.get(key, (0, []))
            if doc_id in ids:  # counted already: the item expired or was purged, then came back
                continue
            self.postings[key] = (n + 1, [*ids, doc_id][: MAX_SHARED + 1])
            self.updates.append(UpdateOne(
                {"_id": key},
                {"$inc": {"n": 1}, "$push": {"ids": {"$each": [doc_id], "$slice": MAX_SHARED + 1}}},
                upsert=True,
            ))  # fmt: skip
        for term in lost:
            key = posting_id(namespace, term)
            n, ids = self.postings.get(key, (1, []))
            self.postings[key] = (n - 1, [i for i in ids if i != doc_id])
            self.updates.append(
                UpdateOne({"_id": key}, {"$inc": {"n": -1}, "$pull": {"ids": doc_id}})
            )
        self.previous[doc_id] = list(dict.fromkeys(names))

    def writes(self) -> list[Any]:
        """The postings updates, in order, then the removal of postings no item holds any more
        (so a term does not outlive the items that held it)."""
        gone = sorted(key for key, (n, _) in self.postings.items() if n <= 0)
        tail = [DeleteMany({"_id": {"$in": gone}, "n": {"$lte": 0}})] if gone else []
        return [*self.updates, *tail]


def forget(docs: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The postings writes for items removed outside a batch (sweep, purge): each term of each
    doc (``_id``, ``link_terms``) loses it, and postings left empty are deleted."""
    linker = Linker(AutoLinks(), [], [doc for doc in docs if doc.get(NAMES_FIELD)])
    for doc_id, terms in list(linker.previous.items()):
        namespace = split_id(doc_id)[0]
        for term in terms:  # counts start unknown (1): the $inc is what the server applies
            linker.postings.setdefault(posting_id(namespace, term), (1, []))
        linker.record(doc_id, namespace, [])
    return linker.writes()
