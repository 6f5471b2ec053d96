"""The three placement formulations as small frozen problem objects.

Every problem maps ``m`` experts (rows) injectively onto ``n >= m`` candidate
columns. An *assignment* is an integer array ``a`` of length ``m``: expert ``i``
goes to candidate column ``a[i]``. Each problem recomputes its own objective
from an assignment with :meth:`objective`; solvers never report their own.

>>> import numpy as np
>>> lp = LinearProblem(np.array([[1.0, 5.0], [2.0, 1.0]]))
>>> lp.objective(np.array([0, 1]))
2.0
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError

__all__ = ["LinearProblem", "QAPProblem", "TraceProblem", "Problem", "check_assignment"]


def _as_matrix(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2:
        raise InputError(f"must be a 2-D array, got shape {arr.shape}", field=name)
    if not np.all(np.isfinite(arr)):
        raise InputError("contains NaN or infinite values", field=name)
    return arr


def check_assignment(assignment, m: int, n: int) -> np.ndarray:
    """Return ``assignment`` as an int array after checking it is injective into ``range(n)``."""
    a = np.asarray(assignment)
    if a.shape != (m,) or not np.issubdtype(a.dtype, np.integer):
        raise InputError(f"assignment must be {m} integers, got shape {a.shape} of {a.dtype}")
    if m and (a.min() < 0 or a.max() >= n):
        raise InputError(f"assignment uses a column outside 0..{n - 1}")
    if len(np.unique(a)) != m:
        raise InputError("assignment places two experts on one candidate")
    return a.astype(np.int64)


@dataclass(frozen=True, eq=False)
class LinearProblem:
    """Rectangular linear assignment: minimise ``sum_i cost[i, a[i]]``.

    Parameters
    ----------
    cost : array (m, n), m <= n
    activation, tau : arrays (m,), (n,), optional
        Set when ``cost == outer(activation, tau)`` (rank one); the closed-form
        ``sorted`` method is then exact.
    name : str
    """

    cost: np.ndarray
    activation: np.ndarray | None = None
    tau: np.ndarray | None = None
    name: str = "linear"
    kind: str = field(default="linear", init=False)

    def __post_init__(self):
        cost = _as_matrix(self.cost, "cost")
        if cost.shape[0] > cost.shape[1]:
            raise InputError(f"{cost.shape[0]} experts but only {cost.shape[1]} candidates", field="cost")
        object.__setattr__(self, "cost", cost)

    @classmethod
    def rank_one(cls, activation, tau, *, name: str = "linear") -> "LinearProblem":
        """The paper's cost ``c[i, s] = activation[i] * tau[s]``, known to be rank one without a check."""
        p, t = np.asarray(activation, float), np.asarray(tau, float)
        problem = cls(np.outer(p, t), activation=p, tau=t, name=name)
        object.__setattr__(problem, "_rank_one", True)
        return problem

    def is_rank_one(self) -> bool:
        """True when ``cost == outer(activation, tau)`` (to 1e-12 relative).

        O(1) for a problem made by :meth:`rank_one`; otherwise one O(mn)
        comparison, remembered.

        >>> LinearProblem.rank_one([1.0, 2.0], [3.0, 4.0]).is_rank_one()
        True
        >>> LinearProblem(np.ones((2, 2)), activation=[1.0, 2.0], tau=[1.0, 1.0]).is_rank_one()
        False
        """
        if not hasattr(self, "_rank_one"):
            factored = self.activation is not None and self.tau is not None and np.allclose(
                self.cost, np.outer(self.activation, self.tau), rtol=1e-12, atol=0)
            object.__setattr__(self, "_rank_one", bool(factored))
        return self._rank_one

    @property
    def shape(self) -> tuple[int, int]:
        return self.cost.shape

    def objective(self, assignment) -> float:
        a = check_assignment(assignment, *self.shape)
        return float(self.cost[np.arange(len(a)), a].sum())


@dataclass(frozen=True, eq=False)
class QAPProblem:
    """Koopmans–Beckmann QAP: minimise ``sum_ij flow[i, j] * distance[a[i], a[j]]``.

    ``flow`` is (m, m), ``distance`` is (n, n) with m <= n (rectangular: the
    unused candidates act as dummy experts with zero flow). For the ``top2``
    objective ``flow`` holds pair co-activation probabilities (upper triangle)
    and ``distance[s, t] = max(tau[s], tau[t])``; ``activation`` and ``tau`` are
    then kept for the ``sorted`` heuristic. ``best_known`` carries a QAPLIB value.

    ``kind`` is ``"top2"`` when ``distance == max.outer(tau, tau)`` and the flow
    is non-negative (the bottleneck structure the ``top2`` methods exploit),
    else ``"qap"``.
    """

    flow: np.ndarray
    distance: np.ndarray
    activation: np.ndarray | None = None
    tau: np.ndarray | None = None
    best_known: float | None = None
    name: str = "qap"
    kind: str = field(default="qap", init=False)

    def __post_init__(self):
        f, d = _as_matrix(self.flow, "flow"), _as_matrix(self.distance, "distance")
        if f.shape[0] != f.shape[1] or d.shape[0] != d.shape[1]:
            raise InputError(f"flow {f.shape} and distance {d.shape} must be square")
        if f.shape[0] > d.shape[0]:
            raise InputError(f"{f.shape[0]} facilities but only {d.shape[0]} locations", field="flow")
        object.__setattr__(self, "flow", f)
        object.__setattr__(self, "distance", d)
        tau = None if self.tau is None else np.asarray(self.tau, float)
        bottleneck = (tau is not None and tau.shape == (d.shape[0],) and bool(np.all(f >= 0))
                      and np.array_equal(d, np.maximum.outer(tau, tau)))
        object.__setattr__(self, "kind", "top2" if bottleneck else "qap")

    @classmethod
    def top2(cls, coactivation, tau, *, activation=None, name: str = "top2") -> "QAPProblem":
        """Expected top-2 bottleneck ``sum_{a<b} P(a,b) max(tau(s(a)), tau(s(b)))``."""
        pair = np.triu(np.asarray(coactivation, float), k=1)
        t = np.asarray(tau, float)
        return cls(pair, np.maximum.outer(t, t), activation=activation, tau=t, name=name)

    @property
    def shape(self) -> tuple[int, int]:
        return self.flow.shape[0], self.distance.shape[0]

    def objective(self, assignment) -> float:
        a = check_assignment(assignment, *self.shape)
        return float((self.flow * self.distance[np.ix_(a, a)]).sum())


@dataclass(frozen=True, eq=False)
class TraceProblem:
    """Trace bottleneck: minimise ``sum_t w_t max_{i in A_t} tau[a[i]]``.

    Parameters
    ----------
    tau : array (n,)
        Expected path latency (plus any per-candidate constant) of each candidate.
    sets : array (T, k) of int
        Activated expert set of each trace token (every row has k distinct experts).
    weights : array (T,), optional
        Token weights (default 1/T each).
    n_experts : int
        m, the number of experts to place.
    activation : array (m,), optional
        Marginal activation probabilities, for the ``sorted`` heuristic.
    """

    tau: np.ndarray
    sets: np.ndarray
    n_experts: int
    weights: np.ndarray | None = None
    activation: np.ndarray | None = None
    name: str = "trace"
    kind: str = field(default="trace", init=False)

    def __post_init__(self):
        tau = np.asarray(self.tau, float)
        sets = np.asarray(self.sets)
        if sets.ndim != 2 or not np.issubdtype(sets.dtype, np.integer):
            raise InputError(f"must be a 2-D integer array, got shape {sets.shape}", field="sets")
        if sets.size and (sets.min() < 0 or sets.max() >= self.n_experts):
            raise InputError(f"refers to an expert outside 0..{self.n_experts - 1}", field="sets")
        if self.n_experts > len(tau):
            raise InputError(f"{self.n_experts} experts but only {len(tau)} candidates", field="tau")
        w = np.full(len(sets), 1.0 / max(len(sets), 1)) if self.weights is None else np.asarray(self.weights, float)
        if w.shape != (len(sets),):
            raise InputError(f"needs one weight per set ({len(sets)})", field="weights")
        object.__setattr__(self, "tau", tau)
        object.__setattr__(self, "sets", sets.astype(np.int64))
        object.__setattr__(self, "weights", w)

    @property
    def shape(self) -> tuple[int, int]:
        return self.n_experts, len(self.tau)

    def objective(self, assignment) -> float:
        a = check_assignment(assignment, *self.shape)
        return float(self.weights @ self.tau[a[self.sets]].max(axis=1))


Problem = LinearProblem | QAPProblem | TraceProblem
