"""Experts sharing a satellite (capacity above one): compute contention in the layer's bottleneck.

Co-activated experts on one satellite run one after another, so with ``n``
activated experts on the satellite of expert ``i`` its time is
``D(s_i) + n * t_exp(s_i)``, i.e. ``(n - 1) * t_exp(s_i)`` more than the
one-expert model (whose ``t_exp`` is in the compute part). The expected layer
bottleneck is ``E_A max_{i in A} (x_i + c_i (n_i(A) - 1))``: exact over the
law's sets for pair and trace laws and for conditional Poisson sampling with
at most ``max_sets`` sets (listed with their probabilities); beyond that a
fixed sample of ``n_sample`` sets from the law (seeded), which the
``assumptions`` of the evaluation state.

>>> from spacexnet_opt.evaluate import TraceLaw
>>> law = TraceLaw([[0, 1], [0, 2]])
>>> x, hosts, c = np.array([1.0, 2.0, 1.5]), np.array([7, 7, 8]), np.array([0.5, 0.5, 0.5])
>>> float(shared_expected_max(law, x, hosts, c))   # {0,1} share: max(1.5, 2.5); {0,2}: max(1, 1.5)
2.0
>>> from spacexnet_opt.evaluate import CpsLaw
>>> cps = CpsLaw(np.array([0.9, 0.6, 0.3, 0.2]), 2)
>>> bool(np.isclose(shared_expected_max(cps, x[[0, 1, 2, 2]], np.arange(4), np.zeros(4)),
...                 cps.expected_max(x[[0, 1, 2, 2]])))    # no sharing: the law's own expectation
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["law_sets", "shared_expected_max"]


def _cps_sets(law) -> tuple[np.ndarray, np.ndarray]:
    from itertools import combinations

    free = np.flatnonzero((law.weights > 0) & ~law.sure)
    combos = np.array(list(combinations(free, law.k_free)), dtype=np.int64).reshape(-1, law.k_free)
    prob = np.prod(law.weights[combos], axis=1)
    sure = np.flatnonzero(law.sure)
    sets = np.concatenate([np.broadcast_to(sure, (len(combos), len(sure))), combos], axis=1)
    return sets, prob / prob.sum()


def law_sets(law, *, n_sample: int = 4096, seed: int = 0, max_sets: int = 20_000) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(sets (n, k), probabilities (n,), exact)`` of a set law."""
    from math import comb

    if hasattr(law, "sets"):
        return law.sets, law.prob, True
    if hasattr(law, "a"):
        return np.stack([law.a, law.b], axis=1), law.prob, True
    if comb(int(((law.weights > 0) & ~law.sure).sum()), law.k_free) <= max_sets:
        return (*_cps_sets(law), True)
    sets = law.sample(n_sample, np.random.default_rng(seed))
    return sets, np.full(len(sets), 1.0 / len(sets)), False


def shared_expected_max(law, x, hosts, contention, *, n_sample: int = 4096) -> np.ndarray:
    """``E_A max_{i in A} (x_i + c_i (n_i(A) - 1))`` for ``x``, ``hosts``, ``contention`` of shape (..., E)."""
    sets, prob, _ = law_sets(law, n_sample=n_sample)
    x, hosts, contention = np.asarray(x, float), np.asarray(hosts), np.asarray(contention, float)
    h = hosts[..., sets]                                             # (..., n, k)
    share = (h[..., :, None] == h[..., None, :]).sum(axis=-1) - 1
    return (x[..., sets] + contention[..., sets] * share).max(axis=-1) @ prob
