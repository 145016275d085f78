"""BM25Ranker (bm25s) ranking behaviour."""

from __future__ import annotations

import pytest

from langgraph_genesis_memory.index._lexical import BM25Ranker, english_stemmer, tokenize


def test_tokenize() -> None:
    assert tokenize("Hi, I'm at the Park!") == ["hi", "at", "the", "park"]
    assert tokenize("the park", stopwords=frozenset({"the"})) == ["park"]
    assert tokenize("parks", stemmer=lambda t: t.rstrip("s")) == ["park"]


def test_rank_prefers_rare_matching_words() -> None:
    ids = ["a", "b", "c"]
    texts = [
        "Caroline went to the LGBTQ support group yesterday",
        "Melanie painted a sunset with her kids",
        "Caroline talked about the weather",
    ]
    ranker = BM25Ranker(ids, texts)
    assert len(ranker) == 3
    ranked = ranker.rank("When did Caroline go to the support group?", 3)
    assert [i for i, _ in ranked] == ["a", "c"]  # "b" shares no word: not returned
    assert ranked[0][1] > ranked[1][1] > 0
    assert ranker.rank("painting", 3) == []  # no stemming by default
    assert ranker.rank("zzz unknown", 3) == []
    scores = ranker.scores("sunset")
    assert scores[1] > 0 and scores[0] == scores[2] == 0.0


def test_repeated_ids_score_as_best_text() -> None:
    ranker = BM25Ranker(["x", "x", "y"], ["apple pie", "banana bread", "apple juice apple"])
    ranked = ranker.rank("banana apple", 5)
    assert [i for i, _ in ranked].count("x") == 1
    assert {i for i, _ in ranked} == {"x", "y"}


def test_stemmer_and_empty_corpus() -> None:
    ranker = BM25Ranker(["a", "b"], ["painting sunsets", "cars"], stemmer=lambda t: t[:5])
    assert ranker.rank("paint", 2)[0][0] == "a"
    empty = BM25Ranker([], [])
    assert empty.rank("anything") == [] and empty.scores("x") == []


def test_length_mismatch() -> None:
    with pytest.raises(ValueError, match="same length"):
        BM25Ranker(["a"], [])


def test_english_stemmer_matches_word_forms() -> None:
    pytest.importorskip("Stemmer", reason="PyStemmer is not installed: pip install PyStemmer")
    stem = english_stemmer()
    assert stem("painting") == stem("painted") == "paint"
    ranker = BM25Ranker(["a", "b"], ["I painted a sunset", "cars"], stemmer=stem)
    assert ranker.rank("paintings of sunsets", 2)[0][0] == "a"
