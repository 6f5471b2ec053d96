"""Monte Carlo simulation of tokens travelling the ring of layers.

Every token meets one topology snapshot (drawn uniformly; the snapshots
already carry their own link-failure draws) for its whole pass through the L
layers: a pass takes about a second, snapshots are tens of seconds apart. In
each layer it activates a set drawn from the layer's set law; the layer takes
``t_gw + max_{i in A} (D_t(g_l, s(i)) + D_t(s(i), g_{l+1}) + t_exp)`` on the
snapshot's own shortest paths (:mod:`spacexnet_opt.evaluate.legs`), not on
averaged delays. Tokens are processed in vectorised chunks.

>>> import numpy as np
>>> from spacexnet_opt.evaluate.compute import ComputeTimes
>>> from spacexnet_opt.evaluate.sets import TraceLaw
>>> delay = np.array([[[1.0, 3.0]], [[2.0, 2.0]]])      # 2 snapshots, 1 layer, 2 experts
>>> mc = simulate(delay, [TraceLaw([[0, 1]])], ComputeTimes(0.0, 0.0), n_tokens=1000, seed=0)
>>> bool(2.4 < mc.mean_s < 2.6), float(mc.p50_s), float(mc.p99_s)   # half the tokens 3.0, half 2.0
(True, 2.0, 3.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..budget import check_tokens
from ..errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from .compute import ComputeTimes
    from .sets import SetLaw

__all__ = ["MonteCarloResult", "simulate", "pooled_cdf", "CDF_POINTS"]

Z95 = 1.959963984540054
CDF_POINTS = 101
"""Quantiles of the per-token latency kept by :func:`simulate` (every 1 %)."""


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Summary of simulated per-token latencies (seconds)."""

    n_tokens: int
    mean_s: float
    std_s: float
    p50_s: float
    p95_s: float
    p99_s: float
    ci95_s: tuple[float, float]
    p99_ci95_s: tuple[float, float]
    propagation_s: np.ndarray
    compute_s: np.ndarray
    disconnected_token_share: float
    quantiles_s: np.ndarray | None = None
    """Per-token latency at probabilities ``0, 1/(Q-1), ..., 1`` (:data:`CDF_POINTS` of them): the CDF."""

    @property
    def layer_s(self) -> np.ndarray:
        return self.propagation_s + self.compute_s


def _quantile_ci(sorted_x: np.ndarray, q: float) -> tuple[float, float]:
    """Distribution-free 95 % interval of the q-quantile from order statistics (normal approximation)."""
    n = len(sorted_x)
    half = Z95 * np.sqrt(n * q * (1 - q))
    lo, hi = int(np.clip(np.floor(n * q - half), 0, n - 1)), int(np.clip(np.ceil(n * q + half), 0, n - 1))
    return float(sorted_x[lo]), float(sorted_x[hi])


def _expert_times(delay_s: np.ndarray, snap: np.ndarray, layer: int, sets: np.ndarray,
                  hosts: np.ndarray | None, contention_s: np.ndarray | None) -> np.ndarray:
    """(n, k) time through each activated expert of layer ``layer``: its path delay, plus the contention of
    the other activated experts sharing its satellite (they run one after another)."""
    prop = delay_s[snap, layer, sets]
    if hosts is None or contention_s is None:
        return prop
    h = hosts[snap, layer, sets]
    return prop + contention_s[snap, layer, sets] * ((h[:, :, None] == h[:, None, :]).sum(axis=2) - 1)


def simulate(delay_s: np.ndarray, laws: Sequence[SetLaw], times: ComputeTimes, *, n_tokens: int,
             seed: int | np.random.Generator | None = None, disconnected: np.ndarray | None = None,
             chunk: int = 20_000, hosts: np.ndarray | None = None,
             contention_s: np.ndarray | None = None) -> MonteCarloResult:
    """Simulate ``n_tokens`` tokens.

    Parameters
    ----------
    delay_s : array (T, L, E)
        Path delay through each placed expert in each snapshot.
    laws : sequence of set laws, one per layer
    times : ComputeTimes
    n_tokens : int
    seed : int or Generator, optional
    disconnected : bool array (T, L, E), optional
        Entries whose delay was substituted; tokens touching one are counted.
    chunk : int
        Tokens per vectorised batch (memory ``chunk x L x k``).
    hosts, contention_s : arrays (T, L, E), optional
        Satellite serving each expert and the seconds each further activated
        expert on the same satellite adds (they run one after another); with
        them an expert's time is ``delay + contention * (activated experts
        sharing its satellite - 1)``.
    """
    if isinstance(n_tokens, bool) or not isinstance(n_tokens, (int, np.integer)) or n_tokens < 2:
        raise InputError(f"must be an integer >= 2, got {n_tokens!r}", field="tokens")
    check_tokens(n_tokens, len(laws), 8, field="tokens")  # latency: one float per token
    delay_s = np.asarray(delay_s, dtype=float)
    n_t, n_layers, _ = delay_s.shape
    rng = np.random.default_rng(seed)
    fixed = n_layers * (times.gateway_s + times.expert_s) + times.per_token_s
    latency = np.empty(n_tokens)
    layer_prop = np.zeros(n_layers)
    hit = 0
    for start in range(0, n_tokens, chunk):
        n = min(chunk, n_tokens - start)
        snap = rng.integers(n_t, size=n)[:, None]
        total = np.full(n, fixed)
        touched = np.zeros(n, dtype=bool)
        for l, law in enumerate(laws):
            sets = law.sample(n, rng)
            prop = _expert_times(delay_s, snap, l, sets, hosts, contention_s).max(axis=1)
            total += prop
            layer_prop[l] += prop.sum()
            if disconnected is not None:
                touched |= disconnected[snap, l, sets].any(axis=1)
        latency[start:start + n] = total
        hit += int(touched.sum())
    mean, std = float(latency.mean()), float(latency.std(ddof=1))
    half = Z95 * std / np.sqrt(n_tokens)
    latency.sort()
    p50, p95, p99 = np.quantile(latency, [0.5, 0.95, 0.99])
    quantiles = np.quantile(latency, np.linspace(0.0, 1.0, CDF_POINTS))
    return MonteCarloResult(
        n_tokens=int(n_tokens), mean_s=mean, std_s=std, p50_s=float(p50), p95_s=float(p95), p99_s=float(p99),
        ci95_s=(mean - half, mean + half), p99_ci95_s=_quantile_ci(latency, 0.99),
        propagation_s=layer_prop / n_tokens,
        compute_s=np.full(n_layers, times.gateway_s + times.expert_s),
        disconnected_token_share=hit / n_tokens, quantiles_s=quantiles,
    )


def pooled_cdf(results: Sequence[MonteCarloResult], *, points: int = CDF_POINTS) -> dict:
    """The CDF of per-token latency over several simulations pooled token for token.

    Each simulation's CDF is read off its quantiles (linear between them) and
    weighted by its token count; returned on ``points`` latencies spanning all
    of them, as ``{"s_per_token": [...], "fraction": [...]}``.

    >>> a = MonteCarloResult(2, 1.5, 0.7, 1.5, 1.9, 2.0, (1, 2), (1, 2), np.zeros(1), np.zeros(1), 0.0,
    ...                      quantiles_s=np.array([1.0, 2.0]))
    >>> b = MonteCarloResult(2, 3.5, 0.7, 3.5, 3.9, 4.0, (3, 4), (3, 4), np.zeros(1), np.zeros(1), 0.0,
    ...                      quantiles_s=np.array([3.0, 4.0]))
    >>> cdf = pooled_cdf([a, b], points=4)
    >>> cdf["s_per_token"], cdf["fraction"]
    ([1.0, 2.0, 3.0, 4.0], [0.0, 0.5, 0.5, 1.0])
    """
    quantiles = [np.asarray(r.quantiles_s, dtype=float) for r in results]
    grid = np.linspace(min(q[0] for q in quantiles), max(q[-1] for q in quantiles), points)
    weights = np.array([r.n_tokens for r in results], dtype=float)
    fractions = [np.interp(grid, q, np.linspace(0.0, 1.0, len(q))) for q in quantiles]
    pooled = np.average(np.array(fractions), axis=0, weights=weights)
    return {"s_per_token": [float(x) for x in grid], "fraction": [round(float(f), 6) for f in pooled]}
