"""Per-layer traces of activated expert sets for instance files (the ``trace`` objective).

A trace is a list of distinct activated sets (sorted expert ids) with weights
summing to 1. Three ways to make one from a layer's statistics:

``sample``
    ``n_tokens`` tokens from the calibrated top-k sampler
    (:class:`~spacexnet_opt.moe.TopKSampler`, conditional Poisson sampling on
    the activation marginals), identical sets merged, weight = share of tokens.
``exact``
    Every possible set with its probability under the same sampler,
    ``P(A) ∝ prod_{i in A} w_i`` over the free experts (experts with p = 1 are
    in every set): for k = 2 of E = 8, the 28 pair probabilities.
``file``
    A loaded token trace (``kind = "trace"`` statistics), merged the same way.

>>> import numpy as np
>>> sets, w = exact_trace(np.array([[0.9, 0.6, 0.3, 0.2]]), 2)[0]
>>> sets.tolist(), bool(np.isclose(w.sum(), 1.0))
([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]], True)
>>> merge_trace(np.array([[2, 0], [0, 2], [1, 3]]))[0].tolist()
[[0, 2], [1, 3]]
"""

from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np

from ..errors import InputError
from ..moe import TopKSampler

__all__ = ["MAX_EXACT_SETS", "merge_trace", "sampled_trace", "exact_trace"]

MAX_EXACT_SETS = 20_000
"""Largest number of distinct sets ``exact`` enumerates per layer (C(E, k) grows fast)."""


def merge_trace(sets: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Merge identical activated sets (in any order) into distinct sorted sets with summed, normalised weights.

    Parameters
    ----------
    sets : int array (T, k)
    weights : array (T,), optional
        Token weights (default 1 each).

    Returns
    -------
    sets : int array (D, k), lexicographically sorted rows of sorted ids
    weights : float array (D,), summing to 1
    """
    sets = np.sort(np.asarray(sets, dtype=np.int64), axis=1)
    w = np.ones(len(sets)) if weights is None else np.asarray(weights, dtype=float)
    distinct, inverse = np.unique(sets, axis=0, return_inverse=True)
    total = np.bincount(inverse.ravel(), weights=w, minlength=len(distinct))
    keep = total > 0
    return distinct[keep], total[keep] / total.sum()


def sampled_trace(p: np.ndarray, k: int, n_tokens: int, *,
                  rng: int | np.random.Generator | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer of ``p`` (L, E): ``n_tokens`` sampled sets, merged (see :func:`merge_trace`)."""

    draws = TopKSampler(np.atleast_2d(p), k).sample(n_tokens, rng=np.random.default_rng(rng))
    return [merge_trace(layer) for layer in draws]


def exact_trace(p: np.ndarray, k: int, *, max_sets: int = MAX_EXACT_SETS) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer of ``p`` (L, E): every set the sampler can draw, with its exact probability.

    Raises
    ------
    InputError
        When a layer has more than ``max_sets`` possible sets (use ``sample``).
    """

    sampler = TopKSampler(np.atleast_2d(p), k)
    out = []
    for l in range(sampler.p.shape[0]):
        sure = np.flatnonzero(sampler.sure[l])
        free = np.flatnonzero(sampler.weights[l] > 0)
        kf = int(sampler.k_free[l])
        if comb(len(free), kf) > max_sets:
            raise InputError(f"layer {l}: exact trace has C({len(free)}, {kf}) = {comb(len(free), kf)} sets, more "
                             f"than {max_sets}; use trace = 'sample' with trace_tokens", field="statistics.trace")
        chosen = np.array(list(combinations(free, kf)), dtype=np.int64).reshape(-1, kf)
        prob = np.prod(sampler.weights[l][chosen], axis=1)
        sets = np.hstack([chosen, np.broadcast_to(sure, (len(chosen), len(sure)))])
        out.append(merge_trace(sets, prob))
    return out
