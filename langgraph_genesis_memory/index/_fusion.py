"""Reciprocal rank fusion (RRF): merge several rankings of the same items into one."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

T = TypeVar("T", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[T]],
    k: float = 60,
    *,
    weights: Sequence[float] | None = None,
    limit: int | None = None,
) -> list[tuple[T, float]]:
    """Fuse rankings by (weighted) reciprocal rank fusion (Cormack, Clarke & Büttcher, 2009).

    An id at 1-based rank ``r`` in ranking ``i`` earns ``weights[i] / (k + r)``; an id's fused
    score is the sum over the rankings it appears in (a ranking that misses it adds nothing).
    Duplicates inside one ranking count once, at their best rank. Ties are broken by the best
    rank reached in any ranking, then by first appearance, so the result is deterministic.

    Args:
        rankings: Rankings, each a sequence of ids, best first. Ids must be hashable.
        k: Smoothing constant (60 in the original paper); larger ``k`` flattens the
            difference between top and lower ranks. Must be ``>= 0``.
        weights: One non-negative weight per ranking (default: all 1.0).
        limit: Keep only the best ``limit`` ids (default: all).

    Returns:
        ``(id, fused_score)`` pairs, highest score first.

    Raises:
        ValueError: If ``k`` is negative, or ``weights`` has the wrong length or a negative entry.

    Example:
        >>> reciprocal_rank_fusion([["a", "b", "c"], ["b", "a"]], k=60)[0][0]
        'a'
        >>> [i for i, _ in reciprocal_rank_fusion([["a", "b"], ["b", "c"]], weights=[1, 3])]
        ['b', 'c', 'a']
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k!r}")
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"got {len(weights)} weights for {len(rankings)} rankings")
    if any(w < 0 for w in weights):
        raise ValueError(f"weights must be non-negative, got {list(weights)!r}")

    scores: dict[T, float] = {}
    best_rank: dict[T, int] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen: set[T] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
            if rank < best_rank.get(item, rank + 1):
                best_rank[item] = rank
    order = {item: i for i, item in enumerate(scores)}
    fused = sorted(scores.items(), key=lambda kv: (-kv[1], best_rank[kv[0]], order[kv[0]]))
    return fused if limit is None else fused[:limit]
