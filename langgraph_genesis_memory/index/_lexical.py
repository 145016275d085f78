"""The lexical side of hybrid search: Okapi BM25 over a set of texts, with ``bm25s``.

Why ``bm25s`` rather than MongoDB's ``$text``: see ``docs/retrieval.md``. In short, ``$text``
scores are not BM25 (no saturation/length normalisation we control, a different score on the
local server), and on the LoCoMo benchmark BM25 ranks evidence better; ``bm25s`` is a maintained,
dependency-light (numpy + scipy) BM25 whose sparse-matrix scoring handles ~10^5-10^6 texts per
corpus in milliseconds.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from langgraph_genesis_memory.errors import MissingDependencyError

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def _bm25s() -> Any:
    try:
        import bm25s
    except ImportError as exc:
        raise MissingDependencyError(
            "hybrid search needs bm25s (a dependency of langgraph-genesis-memory), which is not "
            "installed. Install: pip install 'bm25s>=0.2.10'"
        ) from exc
    return bm25s


def english_stemmer() -> Callable[[str], str]:
    """The Snowball English stemmer (PyStemmer), as used by the default hybrid search.

    Stemming made BM25 rank LoCoMo evidence better in every configuration measured
    (``docs/retrieval.md``): "painting" and "painted" both become "paint".

    Returns:
        A function mapping a lower-case token to its stem.

    Raises:
        MissingDependencyError: If PyStemmer is not installed (the message says what to install).

    Example:
        >>> english_stemmer()("painting")
        'paint'
    """
    try:
        import Stemmer
    except ImportError as exc:
        raise MissingDependencyError(
            "stemmed BM25 needs PyStemmer, which is not installed. "
            "Install: pip install 'PyStemmer>=2.2'"
        ) from exc
    stem: Callable[[str], str] = Stemmer.Stemmer("english").stemWord
    return stem


def english_stopwords() -> frozenset[str]:
    """English stop words dropped from texts and queries (bm25s's list)."""
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def tokenize(
    text: str,
    *,
    stopwords: frozenset[str] = frozenset(),
    stemmer: Callable[[str], str] | None = None,
) -> list[str]:
    """Split text into lower-case word tokens of two or more characters.

    Args:
        text: Any text.
        stopwords: Tokens to drop.
        stemmer: Optional function mapping a token to its stem.

    Returns:
        The tokens, in order.
    """
    tokens = [t for t in _TOKEN.findall(text.lower()) if t not in stopwords]
    return [stemmer(t) for t in tokens] if stemmer else tokens


class BM25Ranker:
    """Rank a fixed set of texts against a query with Okapi BM25 (Lucene variant).

    Build one per corpus (e.g. the indexed texts of a namespace prefix); it is immutable, so
    rebuild it (or keep one per namespace and rebuild on change) when the texts change. Several
    texts may share an id (one item with several indexed fields): an id scores as its best text.

    Args:
        ids: One id per text (hashable; repeated ids allowed).
        texts: The texts.
        k1: BM25 term-frequency saturation (default 1.5).
        b: BM25 length normalisation (default 0.75).
        stopwords: ``"en"`` for bm25s' English list, ``None`` for none, or an explicit set.
        stemmer: Optional token stemmer (e.g. ``Stemmer.Stemmer("english").stemWord``).

    Raises:
        ValueError: If ``ids`` and ``texts`` differ in length.
        MissingDependencyError: If bm25s is not installed (the message says what to install).

    Example:
        >>> r = BM25Ranker(["a", "b"], ["the cat sat on the mat", "stock markets fell"])
        >>> r.rank("where did the cat sit", 1)[0][0]
        'a'
    """

    def __init__(
        self,
        ids: Sequence[Hashable],
        texts: Sequence[str],
        *,
        k1: float = 1.5,
        b: float = 0.75,
        stopwords: str | frozenset[str] | None = "en",
        stemmer: Callable[[str], str] | None = None,
    ) -> None:
        if len(ids) != len(texts):
            raise ValueError("ids and texts must have the same length")
        bm25s = _bm25s()
        if stopwords == "en":
            self.stopwords = english_stopwords()
        elif stopwords is None:
            self.stopwords = frozenset()
        else:
            self.stopwords = frozenset(stopwords)
        self.stemmer = stemmer
        self.ids = list(ids)
        self._model = None
        if self.ids:
            corpus = [self._tokens(t) or ["\x00"] for t in texts]
            self._model = bm25s.BM25(k1=k1, b=b)
            self._model.index(corpus, show_progress=False)
            self._vocab = self._model.vocab_dict

    def _tokens(self, text: str) -> list[str]:
        return tokenize(text, stopwords=self.stopwords, stemmer=self.stemmer)

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query: str) -> list[float]:
        """BM25 score of every text for ``query`` (0.0 when no query word occurs).

        Args:
            query: The query text.

        Returns:
            One score per text, in input order.
        """
        if self._model is None:
            return []
        tokens = [t for t in self._tokens(query) if t in self._vocab]
        if not tokens:
            return [0.0] * len(self.ids)
        return [float(s) for s in self._model.get_scores(tokens)]

    def rank(self, query: str, limit: int = 10) -> list[tuple[Hashable, float]]:
        """The best ids for ``query``: only texts sharing a word with it, best score first.

        Args:
            query: The query text.
            limit: How many ids to return at most.

        Returns:
            ``(id, score)`` pairs, highest first; an id appears once (its best text's score);
            ties keep input order.
        """
        scored = self.scores(query)
        order = sorted((i for i, s in enumerate(scored) if s > 0.0), key=lambda i: (-scored[i], i))
        out: list[tuple[Hashable, float]] = []
        seen: set[Hashable] = set()
        for i in order:
            if self.ids[i] in seen:
                continue
            seen.add(self.ids[i])
            out.append((self.ids[i], scored[i]))
            if len(out) >= limit:
                break
        return out


class WordRanker:
    """BM25 ranking of candidate texts, with the indexes of recent corpora kept for reuse.

    One per store (it owns its cache). A corpus is identified by a digest of every id and text,
    so any write that changes the candidates (in this process or another) builds a new index;
    nothing needs invalidating.

    Args:
        cache_size: Corpora whose BM25 index is kept.
    """

    def __init__(self, cache_size: int = 32) -> None:
        self._cache: OrderedDict[str, BM25Ranker] = OrderedDict()
        self._lock = threading.Lock()
        self._size = cache_size

    def _ranker(self, ids: Sequence[str], texts: Sequence[str]) -> BM25Ranker:
        digest = hashlib.sha256()
        for owner, text in zip(ids, texts, strict=True):
            digest.update(owner.encode())
            digest.update(b"\x00")
            digest.update(text.encode())
            digest.update(b"\x01")
        key = digest.hexdigest()
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        ranker = BM25Ranker(list(ids), list(texts), stemmer=_english_stemmer())
        with self._lock:
            self._cache[key] = ranker
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return ranker

    def rank(self, ids: Sequence[str], texts: Sequence[str], query: str) -> list[tuple[str, float]]:
        """Ids whose texts share a word with ``query``, best first, ties by id.

        Args:
            ids: One owner id per text (an id may own several texts: it scores as its best).
            texts: The texts.
            query: The query text.

        Returns:
            ``(id, score)`` pairs.
        """
        if not ids:
            return []
        ranked = [(str(i), s) for i, s in self._ranker(ids, texts).rank(query, len(set(ids)))]
        ranked.sort(key=lambda pair: (-pair[1], pair[0]))
        return ranked


@functools.lru_cache(maxsize=1)
def _english_stemmer() -> Callable[[str], str]:
    return english_stemmer()
