"""reciprocal_rank_fusion: a pure function, checked against hand-computed scores."""

from __future__ import annotations

import pytest

from langgraph_genesis_memory.index._fusion import reciprocal_rank_fusion


def test_scores_are_sums_of_reciprocal_ranks() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]], k=60))
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["b"] == pytest.approx(1 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61)


def test_order_and_agreement_wins() -> None:
    ranked = [i for i, _ in reciprocal_rank_fusion([["x", "a", "b"], ["y", "a", "b"]])]
    assert ranked[0] == "a"  # second in both beats first in one
    assert set(ranked) == {"x", "y", "a", "b"}


def test_weights_shift_the_balance() -> None:
    rankings = [["v1", "v2"], ["l1", "l2"]]
    assert reciprocal_rank_fusion(rankings, weights=[1, 2])[0][0] == "l1"
    assert reciprocal_rank_fusion(rankings, weights=[2, 1])[0][0] == "v1"
    assert [i for i, _ in reciprocal_rank_fusion(rankings, weights=[1, 0])][:2] == ["v1", "v2"]


def test_ties_are_deterministic_by_best_rank_then_first_appearance() -> None:
    fused = reciprocal_rank_fusion([["a", "b"], ["b", "a"]])
    assert [i for i, _ in fused] == ["a", "b"]
    assert fused[0][1] == pytest.approx(fused[1][1])


def test_duplicates_count_once_and_limit() -> None:
    fused = reciprocal_rank_fusion([["a", "a", "b"]], k=0, limit=1)
    assert fused == [("a", 1.0)]


def test_empty_inputs() -> None:
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []


def test_smaller_k_favours_top_ranks() -> None:
    rankings = [["a", "x", "b"], ["y", "z", "b"]]
    # a: first in one ranking only (1/k+1); b: third in both (2/(k+3)).
    assert reciprocal_rank_fusion(rankings, k=0)[0][0] == "a"
    assert reciprocal_rank_fusion(rankings, k=60)[0][0] == "b"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"k": -1}, "k must be"), ({"weights": [1.0]}, "weights for"), ({"weights": [1, -1]}, "non")],
)
def test_invalid_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        reciprocal_rank_fusion([["a"], ["b"]], **kwargs)
