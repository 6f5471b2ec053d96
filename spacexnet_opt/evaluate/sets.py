"""Activation-set laws of one MoE layer: exact expected bottleneck and sampling.

A token activates a set ``A`` of k experts; a layer's latency is
``max_{i in A} x_i`` for per-expert latencies ``x``. Three laws, each with the
exact expectation ``E_A max_{i in A} x_i`` and a sampler of the same law:

``PairLaw`` (k = 2)
    ``P({a, b})`` from a pair co-activation matrix: exact for any top-2 router.
``TraceLaw``
    A weighted token trace of activated sets (real or synthetic).
``CpsLaw``
    Conditional Poisson sampling fitted to the marginals ``p`` (the calibrated
    :class:`~spacexnet_opt.moe.TopKSampler`): ``P(A) ∝ prod_{i in A} w_i``.
    ``E max`` is exact for any k: sorting experts by ``x``,
    ``P(max at j) = w_j e_{k-1}(w of experts below j) / e_k(w)``, with the
    elementary symmetric polynomials ``e_r`` built up one expert at a time.

>>> import numpy as np
>>> law = CpsLaw(np.array([0.9, 0.6, 0.3, 0.2]), 2)
>>> x = np.array([4.0, 3.0, 2.0, 1.0])
>>> brute = sum(law.set_probability(a) * x[list(a)].max() for a in [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)])
>>> bool(np.isclose(law.expected_max(x), brute))
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

import numpy as np

from ..errors import InputError
from ..moe import TopKSampler

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

    from ..formats.instance import LayerSubproblem

__all__ = ["CpsLaw", "PairLaw", "TraceLaw", "SetLaw", "set_law"]


class CpsLaw:
    """Conditional Poisson sampling with inclusion probabilities ``p`` (sum k); experts with p = 1 always fire."""

    kind = "cps"

    def __init__(self, p: ArrayLike, k: int):
        self.sampler = TopKSampler(np.asarray(p, dtype=float), int(k))
        self.k = int(k)
        self.sure = self.sampler.sure[0]
        self.k_free = int(self.sampler.k_free[0])
        self.weights = self.sampler.weights[0]

    def set_probability(self, subset: Sequence[int]) -> float:
        """Probability of activating exactly ``subset`` (for brute-force checks on tiny layers)."""
        from itertools import combinations

        chosen = set(int(i) for i in subset)
        sure = set(np.flatnonzero(self.sure).tolist())
        if len(chosen) != self.k or not sure <= chosen:
            return 0.0
        free = [i for i in range(len(self.weights)) if i not in sure]
        total = sum(np.prod(self.weights[list(c)]) for c in combinations(free, self.k_free))
        return float(np.prod(self.weights[sorted(chosen - sure)]) / total)

    def expected_max(self, x: np.ndarray) -> np.ndarray:
        """``E max_{i in A} x_i`` for ``x`` of shape (..., E), exactly."""
        x = np.asarray(x, dtype=float)
        sure_max = x[..., self.sure].max(axis=-1) if self.sure.any() else np.full(x.shape[:-1], -np.inf)
        if self.k_free == 0:
            return sure_max
        free = np.flatnonzero(self.weights > 0)
        xf = x[..., free]
        order = np.argsort(xf, axis=-1, kind="stable")
        xs = np.take_along_axis(xf, order, axis=-1)
        w = self.weights[free] * (self.k_free / self.weights[free].sum())
        ws = w[order]
        # e[..., r] = e_r of the experts below the current one (ascending x)
        e = np.zeros((*xs.shape[:-1], self.k_free))
        e[..., 0] = 1.0
        prob = np.empty_like(xs)
        for j in range(xs.shape[-1]):
            prob[..., j] = ws[..., j] * e[..., self.k_free - 1]
            e[..., 1:] = e[..., 1:] + ws[..., j, None] * e[..., :-1]
        # prob sums to e_k(w), the total mass of all sets
        return (prob * np.maximum(xs, sure_max[..., None])).sum(axis=-1) / prob.sum(axis=-1)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, k) activated sets."""
        return self.sampler.sample(n, rng=rng)


class PairLaw:
    """Top-2 routing with pair probabilities ``P({a, b}) = coactivation[a, b]`` (upper triangle sums to 1)."""

    kind = "pairs"

    def __init__(self, coactivation: ArrayLike):
        c = np.asarray(coactivation, dtype=float)
        if c.ndim != 2 or c.shape[0] != c.shape[1]:
            raise InputError(f"must be a square matrix, got shape {c.shape}", field="coactivation")
        self.k = 2
        self.a, self.b = np.triu_indices(len(c), 1)
        prob = np.clip(c[self.a, self.b], 0.0, None)
        if not prob.sum() > 0:
            raise InputError("has no positive pair probability", field="coactivation")
        self.prob = prob / prob.sum()
        self._cdf = np.cumsum(self.prob)

    def expected_max(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.maximum(x[..., self.a], x[..., self.b]) @ self.prob

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        pick = np.minimum(np.searchsorted(self._cdf, rng.random(n) * self._cdf[-1], side="right"), len(self.prob) - 1)
        return np.stack([self.a[pick], self.b[pick]], axis=1)


class TraceLaw:
    """A weighted token trace: ``sets`` (T, k) drawn with probability proportional to ``weights``."""

    kind = "trace"

    def __init__(self, sets: Sequence[Sequence[int]] | np.ndarray, weights: ArrayLike | None = None):
        rows = [list(s) for s in sets]
        if not rows or min(len(s) for s in rows) == 0:
            raise InputError("needs at least one non-empty activated set", field="trace")
        width = max(len(s) for s in rows)
        # pad with the set's own first expert: the maximum over the set is unchanged
        self.sets = np.array([s + [s[0]] * (width - len(s)) for s in rows], dtype=np.int64)
        w = np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=float)
        self.k = width
        self.prob = w / w.sum()
        self._cdf = np.cumsum(self.prob)

    def expected_max(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return x[..., self.sets].max(axis=-1) @ self.prob

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        pick = np.minimum(np.searchsorted(self._cdf, rng.random(n) * self._cdf[-1], side="right"), len(self.prob) - 1)
        return self.sets[pick]


SetLaw = Union["CpsLaw", "PairLaw", "TraceLaw"]
"""The law of a layer's activated expert set."""


def set_law(layer: LayerSubproblem, *, prefer: str = "auto") -> SetLaw:
    """The activation-set law of an instance layer (:class:`~spacexnet_opt.formats.instance.LayerSubproblem`).

    ``prefer="auto"``: the layer's trace if it has one, else its pair matrix when
    k = 2, else conditional Poisson sampling on its marginals. ``"cps"``,
    ``"pairs"`` or ``"trace"`` force one law.
    """
    if prefer not in ("auto", "cps", "pairs", "trace"):
        raise ValueError(f"unknown set law {prefer!r}; valid: auto, cps, pairs, trace")
    if prefer in ("auto", "trace") and layer.trace is not None and layer.trace.sets:
        return TraceLaw(layer.trace.sets, layer.trace.weights)
    if prefer in ("auto", "pairs") and layer.k == 2 and layer.coactivation is not None:
        return PairLaw(layer.coactivation)
    if prefer != "auto" and prefer != "cps":
        raise InputError(f"layer {layer.layer} has no data for the {prefer!r} set law", field="activation")
    return CpsLaw(layer.activation, layer.k)
