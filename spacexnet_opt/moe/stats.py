"""Activation statistics of the MoE layers: marginals, pair co-activation, token traces.

>>> import numpy as np
>>> s = ActivationStats(np.array([[0.5, 0.5, 0.5, 0.5]]), k=2, layers=(3,), source="example")
>>> s.n_layers, s.n_experts, s.skew().tolist()
(1, 4, [1.0])
>>> ActivationStats(np.array([[0.5, 0.5, 0.5, 0.2]]), k=2, layers=(3,), source="example")
Traceback (most recent call last):
...
spacexnet_opt.errors.InputError: example: layer 3: probabilities sum to 1.7, expected k=2
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .sampler import TopKSampler, check_probabilities

__all__ = ["ActivationStats", "TokenTrace", "water_fill"]


def water_fill(weights, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Scale non-negative ``weights`` (rows of (..., E)) to probabilities summing to ``k``, capped at 1.

    Returns ``(p, capped)`` with ``p = min(1, c * weights)`` and ``c`` chosen per
    row so that ``p`` sums to ``k``: experts pushed over 1 are pinned at 1 and
    the remaining budget is spread over the others in proportion to their
    weights, repeated until nothing exceeds 1. This is the projection of the
    normalised weights onto ``{0 <= p <= 1, sum p = k}`` that is closest in
    Kullback–Leibler divergence. A row with fewer than ``k`` positive weights
    cannot be scaled (the caller reports it).

    >>> p, capped = water_fill([6.0, 1.0, 1.0, 1.0, 1.0], 2)
    >>> p.round(3).tolist(), capped.tolist()
    ([1.0, 0.25, 0.25, 0.25, 0.25], [True, False, False, False, False])
    """
    w = np.asarray(weights, dtype=float)
    capped = np.zeros(w.shape, dtype=bool)
    for _ in range(w.shape[-1] + 1):
        free_mass = np.where(capped, 0.0, w).sum(axis=-1, keepdims=True)
        budget = k - capped.sum(axis=-1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(capped, 1.0, w * (budget / free_mass))
        over = (p > 1.0) & ~capped
        if not over.any():
            break
        capped |= over
    return p, capped


@dataclass(frozen=True, eq=False)
class TokenTrace:
    """Activated expert sets of one layer: ``sets`` (T, k) int and token ``weights`` (T,)."""

    sets: np.ndarray
    weights: np.ndarray

    @property
    def n_tokens(self) -> int:
        return len(self.sets)


def _check_traces(traces, k: int, n_experts: int, labels, src) -> tuple[TokenTrace, ...]:
    """Validate one :class:`TokenTrace` per layer; errors name the layer and the problem."""
    if len(traces) != len(labels):
        raise InputError(f"has {len(traces)} layers, expected {len(labels)}", field="trace", source=src)
    out = []
    for tr, label in zip(traces, labels):
        sets, w = np.asarray(tr.sets), np.asarray(tr.weights, dtype=float)
        repeats = sets.ndim == 2 and sets.size and (np.diff(np.sort(sets, axis=1), axis=1) == 0).any(axis=1)
        if sets.ndim != 2 or sets.shape[1] != k or not np.issubdtype(sets.dtype, np.integer):
            problem = f"trace sets must be an integer array (tokens, k={k}), got shape {sets.shape}"
        elif len(sets) == 0:
            problem = "trace has no tokens"
        elif sets.min() < 0 or sets.max() >= n_experts:
            problem = f"trace refers to an expert outside 0..{n_experts - 1}"
        elif repeats.any():
            problem = f"trace token {int(np.argmax(repeats))} activates the same expert twice"
        elif w.shape != (len(sets),) or not np.isfinite(w).all() or (w < 0).any() or not w.sum() > 0:
            problem = f"trace weights must be {len(sets)} finite non-negative numbers with a positive sum"
        else:
            out.append(TokenTrace(sets.astype(np.int32, copy=False), w))
            continue
        raise InputError(problem, field=label, source=src)
    return tuple(out)


@dataclass(frozen=True, eq=False)
class ActivationStats:
    """Per-layer activation statistics of the MoE layers of a model.

    Parameters
    ----------
    p : ndarray (L, E)
        ``p[l, e]``: probability that a token activates expert ``e`` in the l-th
        MoE layer; every row sums to ``k``.
    k : int
        Experts activated per token.
    layers : tuple of int
        Original (0-based) layer index of each row of ``p``; dense layers are absent.
    coactivation : ndarray (L, E, E), optional
        ``P(a and b both activated)``, symmetric with a zero diagonal; rows sum to ``(k-1) p``.
    trace : tuple of TokenTrace, optional
        One token trace per MoE layer.
    source : str
        File or generator the statistics come from (named in every error).
    notes : tuple of str
        What was done to the data on the way in (e.g. probabilities capped at 1).
    info : dict
        Generator details (e.g. ``bonded_pairs`` of :func:`synthetic_correlated`).
    """

    p: np.ndarray
    k: int
    layers: tuple[int, ...]
    coactivation: np.ndarray | None = None
    trace: tuple[TokenTrace, ...] | None = None
    source: str = ""
    notes: tuple[str, ...] = field(default=())
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        src = self.source or None
        p = np.asarray(self.p, dtype=float)
        if p.ndim != 2:
            raise InputError(f"p must have shape (layers, experts), got {p.shape}", field="p", source=src)
        layers = tuple(int(x) for x in self.layers)
        if len(layers) != len(p):
            raise InputError(f"{len(layers)} layer indices for {len(p)} rows of p", field="layers", source=src)
        if len(set(layers)) != len(layers) or any(x < 0 for x in layers):
            raise InputError("layer indices must be distinct and non-negative", field="layers", source=src)
        labels = [f"layer {x}" for x in layers]
        p = check_probabilities(p, self.k, rows=labels, source=src)
        object.__setattr__(self, "p", p)
        object.__setattr__(self, "k", int(self.k))
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "source", str(self.source))
        object.__setattr__(self, "notes", tuple(self.notes))
        if self.coactivation is not None:
            object.__setattr__(self, "coactivation", self._checked_coactivation(labels, src))
        if self.trace is not None:
            object.__setattr__(self, "trace", _check_traces(self.trace, self.k, self.n_experts, labels, src))

    def _checked_coactivation(self, labels, src) -> np.ndarray:
        c = np.asarray(self.coactivation, dtype=float)
        n_layers, n = self.p.shape
        if c.shape != (n_layers, n, n):
            raise InputError(f"must have shape {(n_layers, n, n)}, got {c.shape}", field="coactivation", source=src)
        for i, label in enumerate(labels):
            m = c[i]
            if not np.isfinite(m).all() or m.min() < -1e-9 or m.max() > 1 + 1e-9:
                problem = "values must be finite and in [0, 1]"
            elif np.abs(m - m.T).max() > 1e-9 or np.abs(np.diag(m)).max() > 1e-9:
                problem = "must be symmetric with a zero diagonal"
            elif np.abs(m.sum(axis=1) - (self.k - 1) * self.p[i]).max() > 1e-6 * self.k:
                problem = "rows must sum to (k-1) * p (pair probabilities inconsistent with p)"
            else:
                continue
            raise InputError(f"coactivation: {problem}", field=label, source=src)
        return np.clip(c, 0.0, 1.0)

    @classmethod
    def from_trace(cls, sets, *, n_experts: int, layers, weights=None, source: str = "", notes=()) -> "ActivationStats":
        """Statistics of a token trace: ``sets`` is (L, T, k) or a list of (T_l, k) arrays.

        ``p`` is the weighted share of tokens activating each expert.

        >>> s = ActivationStats.from_trace([[[0, 1], [0, 2]]], n_experts=3, layers=[0])
        >>> s.p.tolist(), s.pair_coactivation()[0, 0].tolist()
        ([[1.0, 0.5, 0.5]], [0.0, 0.5, 0.5])
        """
        layers = tuple(int(x) for x in layers)
        src = source or None
        if len(sets) != len(layers):
            raise InputError(f"{len(sets)} layers of sets for {len(layers)} layer indices", field="layers", source=src)
        per_layer = isinstance(weights, (list, tuple)) and len(weights) and np.ndim(weights[0]) == 1
        raw = [TokenTrace(np.asarray(s), np.ones(len(s)) if weights is None else
                          np.asarray(weights[i] if per_layer else weights, dtype=float))
               for i, s in enumerate(sets)]
        k = np.shape(raw[0].sets)[-1] if raw and np.ndim(raw[0].sets) == 2 else 0
        traces = _check_traces(raw, k, n_experts, [f"layer {x}" for x in layers], src)
        p = np.array([np.bincount(tr.sets.ravel(), weights=np.repeat(tr.weights, k), minlength=n_experts)
                      / tr.weights.sum() for tr in traces]).reshape(len(layers), n_experts)
        return cls(p, k=k, layers=layers, trace=traces, source=source, notes=tuple(notes))

    @property
    def n_layers(self) -> int:
        """Number of MoE layers (rows of ``p``)."""
        return self.p.shape[0]

    @property
    def n_experts(self) -> int:
        """Routed experts per layer."""
        return self.p.shape[1]

    def row(self, layer: int) -> int:
        """Row of ``p`` that holds original layer ``layer``."""
        try:
            return self.layers.index(int(layer))
        except ValueError:
            raise InputError(f"layer {layer} is not a MoE layer here (MoE layers: {self.layers[0]}..{self.layers[-1]})",
                             field="layer", source=self.source or None) from None

    def skew(self) -> np.ndarray:
        """Hottest expert's probability over the mean ``k / E``, per layer."""
        return self.p.max(axis=1) / (self.k / self.n_experts)

    def sampler(self) -> TopKSampler:
        """A calibrated :class:`TopKSampler` for these marginals."""
        return TopKSampler(self.p, self.k)

    def pair_coactivation(self) -> np.ndarray:
        """Pair co-activation (L, E, E): the stored matrix, else the trace's, else the CPS-implied one."""
        if self.coactivation is not None:
            return self.coactivation
        n = self.n_experts
        if self.trace is not None:
            out = np.zeros((self.n_layers, n, n))
            for i, tr in enumerate(self.trace):
                a, b = np.triu_indices(self.k, 1)
                pairs = tr.sets[:, a].astype(np.int64) * n + tr.sets[:, b]
                w = np.repeat(tr.weights, len(a))
                m = np.bincount(pairs.ravel(), weights=w, minlength=n * n).reshape(n, n) / tr.weights.sum()
                out[i] = m + m.T
            return out
        return self.sampler().pair_coactivation()

    def summary(self) -> list[dict]:
        """One dict per MoE layer: layer, hottest expert, its p, skew, entropy-based effective experts."""
        with np.errstate(divide="ignore", invalid="ignore"):
            q = self.p / self.k
            entropy = -np.where(q > 0, q * np.log(q), 0.0).sum(axis=1)
        hot = self.p.argmax(axis=1)
        return [
            {"layer": layer, "hottest": int(h), "p_max": float(self.p[i, h]), "p_min": float(self.p[i].min()),
             "skew": float(self.skew()[i]), "effective_experts": float(np.exp(entropy[i]))}
            for i, (layer, h) in enumerate(zip(self.layers, hot))
        ]
