"""Seeded synthetic activation statistics for models without published router traces.

- :func:`synthetic_zipf`: expert popularity ``rank^-exponent`` in a random order per layer;
- :func:`synthetic_dirichlet`: popularity drawn from a symmetric Dirichlet(``alpha``);
- :func:`synthetic_correlated`: some expert pairs fire together far more than
  their marginals predict (the case where reasoning from marginals alone breaks).

Each returns :class:`ActivationStats` with exact ``p`` (weights scaled to sum
to k and capped at 1 by :func:`water_fill`), and with ``n_tokens > 0`` a token
trace drawn from the same model.

>>> s = synthetic_zipf(2, 8, 2, exponent=1.2, seed=0)
>>> s.p.shape, s.p.sum(axis=1).round(12).tolist()
((2, 8), [2.0, 2.0])
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .sampler import TopKSampler, cps_inclusion, cps_pairs, cps_sample
from .stats import ActivationStats, TokenTrace, water_fill

__all__ = ["synthetic_zipf", "synthetic_dirichlet", "synthetic_correlated"]


def _check_shape(n_layers, n_experts, k) -> None:
    for name, value, low in (("n_layers", n_layers, 1), ("n_experts", n_experts, 1), ("k", k, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise InputError(f"must be an integer >= {low}, got {value!r}", field=name)
    if k > n_experts:
        raise InputError(f"k={k} exceeds n_experts={n_experts}", field="k")


def _from_weights(weights: np.ndarray, k: int, n_tokens: int, rng, source: str) -> ActivationStats:
    """Stats with ``p = water_fill(weights, k)`` and, if asked, a calibrated trace of ``n_tokens``."""
    p, capped = water_fill(weights, k)
    notes = tuple(f"layer {l}: {int(c.sum())} expert(s) capped at p = 1" for l, c in enumerate(capped) if c.any())
    trace = None
    if n_tokens:
        sets = TopKSampler(p, k).sample(n_tokens, rng=rng)
        trace = tuple(TokenTrace(s, np.ones(n_tokens)) for s in sets)
    return ActivationStats(p, k=k, layers=tuple(range(len(p))), trace=trace, source=source, notes=notes)


def synthetic_zipf(n_layers: int, n_experts: int, k: int, *, exponent: float = 1.0, shuffle: bool = True,
                   n_tokens: int = 0, seed=None) -> ActivationStats:
    """Zipf-skewed activations: the expert of rank r gets weight ``r ** -exponent``.

    ``shuffle`` permutes the ranks independently in every layer (else expert 0
    is hottest everywhere). ``exponent = 0`` is uniform.

    >>> synthetic_zipf(1, 4, 1, exponent=1.0, shuffle=False).p.round(3).tolist()
    [[0.48, 0.24, 0.16, 0.12]]
    """
    _check_shape(n_layers, n_experts, k)
    if not np.isfinite(exponent) or exponent < 0:
        raise InputError(f"must be finite and >= 0, got {exponent}", field="exponent")
    rng = np.random.default_rng(seed)
    w = np.tile(np.arange(1, n_experts + 1, dtype=float) ** -exponent, (n_layers, 1))
    if shuffle:
        w = rng.permuted(w, axis=1)
    src = f"synthetic_zipf(n_layers={n_layers}, n_experts={n_experts}, k={k}, exponent={exponent}, seed={seed})"
    return _from_weights(w, k, n_tokens, rng, src)


def synthetic_dirichlet(n_layers: int, n_experts: int, k: int, *, alpha: float = 1.0, n_tokens: int = 0,
                        seed=None) -> ActivationStats:
    """Dirichlet-skewed activations: expert shares drawn from Dirichlet(alpha, ..., alpha) per layer.

    Small ``alpha`` concentrates the load on few experts; large ``alpha`` tends to uniform.

    >>> s = synthetic_dirichlet(3, 16, 4, alpha=0.5, seed=1)
    >>> bool((s.p <= 1).all()), s.p.sum(axis=1).round(9).tolist()
    (True, [4.0, 4.0, 4.0])
    """
    _check_shape(n_layers, n_experts, k)
    if not np.isfinite(alpha) or alpha <= 0:
        raise InputError(f"must be finite and > 0, got {alpha}", field="alpha")
    rng = np.random.default_rng(seed)
    # Gamma draws can underflow to 0 for tiny alpha; the floor keeps every expert possible.
    w = np.maximum(rng.gamma(alpha, size=(n_layers, n_experts)), np.finfo(float).tiny)
    src = f"synthetic_dirichlet(n_layers={n_layers}, n_experts={n_experts}, k={k}, alpha={alpha}, seed={seed})"
    return _from_weights(w, k, n_tokens, rng, src)


def _bonded_component(v: np.ndarray, k: int, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Marginals and pair matrix of ``{a, b}`` plus a CPS of size k-2 over the other weights."""
    rest = v.copy()
    rest[[a, b]] = 0.0
    r = cps_inclusion(rest, k - 2) if k > 2 else np.zeros_like(v)
    pairs = cps_pairs(rest, k - 2)
    pairs[[a, b], :] = r
    pairs[:, [a, b]] = r[:, None]
    pairs[a, b] = pairs[b, a] = 1.0
    np.fill_diagonal(pairs, 0.0)
    r[[a, b]] = 1.0
    return r, pairs


def synthetic_correlated(n_layers: int, n_experts: int, k: int, *, n_pairs: int | None = None,
                         pair_share: float = 0.5, exponent: float = 1.0, n_tokens: int = 0,
                         seed=None) -> ActivationStats:
    """Activations where bonded expert pairs fire together far more often than marginals predict.

    Each token is, with probability ``1 - pair_share``, a conditional Poisson
    set of size k with Zipf(``exponent``) weights in random order; otherwise
    one of ``n_pairs`` disjoint random bonded pairs (chosen with Dirichlet(1)
    shares) plus k - 2 experts from the same weights without that pair. ``p``
    and ``coactivation`` are exact mixtures of the two; for k = 2 the upper
    triangle of ``coactivation[l]`` is the explicit distribution of the
    activated pair. Cost: ``n_pairs`` exact pair computations per layer
    (``O(n_pairs E^2 k)``), so keep E moderate for k > 2.

    >>> s = synthetic_correlated(1, 8, 2, n_pairs=2, pair_share=0.6, seed=3)
    >>> a, b = s.info["bonded_pairs"][0][0]
    >>> bool(s.coactivation[0, a, b] > 2 * s.sampler().pair_coactivation()[0, a, b])  # vs. marginals alone
    True
    """
    _check_shape(n_layers, n_experts, k)
    if k < 2:
        raise InputError("pairs need k >= 2", field="k")
    n_pairs = max(1, n_experts // 4) if n_pairs is None else n_pairs
    if not 1 <= n_pairs <= n_experts // 2:
        raise InputError(f"must be in 1..{n_experts // 2} (disjoint pairs of {n_experts} experts)", field="n_pairs")
    if not 0 <= pair_share <= 1:
        raise InputError(f"must be in [0, 1], got {pair_share}", field="pair_share")
    rng = np.random.default_rng(seed)
    zipf = rng.permuted(np.tile(np.arange(1, n_experts + 1, dtype=float) ** -exponent, (n_layers, 1)), axis=1)
    p = np.empty((n_layers, n_experts))
    coact = np.empty((n_layers, n_experts, n_experts))
    bonded, shares, traces = [], [], []
    for l in range(n_layers):
        v = zipf[l]
        pairs = rng.permutation(n_experts)[: 2 * n_pairs].reshape(n_pairs, 2)
        q = rng.dirichlet(np.ones(n_pairs))
        p[l] = (1 - pair_share) * cps_inclusion(v, k)
        coact[l] = (1 - pair_share) * cps_pairs(v, k)
        for (a, b), share in zip(pairs, q):
            r, c = _bonded_component(v, k, a, b)
            p[l] += pair_share * share * r
            coact[l] += pair_share * share * c
        bonded.append(tuple(map(tuple, pairs.tolist())))
        shares.append(tuple(q.tolist()))
        if n_tokens:
            traces.append(TokenTrace(_sample_mixture(v, k, pairs, q, pair_share, n_tokens, rng), np.ones(n_tokens)))
    src = (f"synthetic_correlated(n_layers={n_layers}, n_experts={n_experts}, k={k}, n_pairs={n_pairs}, "
           f"pair_share={pair_share}, exponent={exponent}, seed={seed})")
    return ActivationStats(p, k=k, layers=tuple(range(n_layers)), coactivation=coact,
                            trace=tuple(traces) if n_tokens else None, source=src,
                            info={"bonded_pairs": tuple(bonded), "bond_shares": tuple(shares)})


def _sample_mixture(v, k, pairs, q, pair_share, n_tokens, rng) -> np.ndarray:
    """Token sets of :func:`synthetic_correlated`'s model for one layer."""
    out = np.empty((n_tokens, k), dtype=np.int32)
    which = np.where(rng.random(n_tokens) < pair_share, rng.choice(len(pairs), size=n_tokens, p=q), -1)
    plain = which < 0
    out[plain] = cps_sample(v, k, int(plain.sum()), rng=rng)
    for j, (a, b) in enumerate(pairs):
        rows = np.flatnonzero(which == j)
        out[rows, :2] = (a, b)
        if k > 2 and len(rows):
            rest = v.copy()
            rest[[a, b]] = 0.0
            out[rows, 2:] = cps_sample(rest, k - 2, len(rows), rng=rng)
    return out
