"""The three placement formulations as PuLP MILPs, shared by the PuLP backends and the export.

* ``linear``: binary ``x[i,s]``; every expert on exactly one candidate, every
  candidate at most one expert; minimise ``sum c[i,s] x[i,s]``.
* ``qap`` (and ``top2``): the Adams–Johnson linearisation (RLT level 1) with
  its symmetry constraint substituted: one continuous ``y[i,s,j,t] = x[i,s] x[j,t]``
  per expert pair ``i < j`` with non-zero flow and candidate pair ``s != t``.
* ``trace``: binary ``x[i,s]``, continuous ``z[t] >= sum_s tau[s] x[i,s]`` for
  every expert ``i`` of set ``t``; minimise ``sum w[t] z[t]``.

Variables are named after the original column indices (``x_3_17`` is expert 3 on
candidate column 17), so an exported file can be decoded without this module.
Bottleneck models keep only the ``m`` fastest candidates (see
:mod:`spacexnet_opt.solve.reductions`) unless ``restrict=False``. The full
derivations are in ``formulations/``.

>>> import numpy as np
>>> from spacexnet_opt.solve.problems import LinearProblem
>>> model = build_milp(LinearProblem(np.array([[1.0, 5.0], [2.0, 1.0]])))
>>> model.lp.numVariables(), model.lp.numConstraints()
(4, 4)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from ..budget import check_model_size, milp_variables
from ..errors import BackendUnavailableError, InputError
from .problems import LinearProblem, Problem, QAPProblem, TraceProblem
from .reductions import candidate_columns

__all__ = ["MilpModel", "build_milp", "cbc_path", "import_pulp", "merge_sets", "milp_size"]


def import_pulp():
    """Import PuLP or raise :class:`BackendUnavailableError` with the install hint."""
    try:
        import pulp
    except ImportError:
        raise BackendUnavailableError("the PuLP backends need PuLP: pip install pulp") from None
    return pulp


def cbc_path() -> str | None:
    """The CBC executable to give ``pulp.COIN_CMD(path=...)``: PuLP 3's bundled binary, or None for ``cbc`` on PATH.

    PuLP 3 deprecates ``PULP_CBC_CMD``, its wrapper of the bundled binary (PuLP 4
    drops both; ``pip install pulp[cbc]`` then puts ``cbc`` on PATH). ``COIN_CMD``
    with this path runs the same binary with the same command line.

    >>> from pathlib import Path
    >>> Path(cbc_path()).stem
    'cbc'
    """
    from pulp.apis import coin_api

    path = coin_api.COIN_CMD.executableExtension(coin_api.pulp_cbc_path)
    return path if os.access(path, os.X_OK) else None


@dataclass(frozen=True, eq=False)
class MilpModel:
    """A PuLP model with the assignment variables ``x[(i, s)]`` it decodes from."""

    lp: object  # pulp.LpProblem
    x: dict
    shape: tuple[int, int]

    def assignment(self) -> np.ndarray | None:
        """Candidate column of each expert from the solved ``x`` values, or None without a solution."""
        a = np.full(self.shape[0], -1, dtype=np.int64)
        for (i, s), var in self.x.items():
            if var.varValue is not None and var.varValue > 0.5:
                a[i] = s
        return None if np.any(a < 0) else a


def build_milp(problem: Problem, *, restrict: bool = True) -> MilpModel:
    """Build the MILP of ``problem`` (see the module docstring for the formulations).

    Parameters
    ----------
    problem : LinearProblem, QAPProblem or TraceProblem
    restrict : bool
        Keep only the candidates an optimum needs (exact; the ``m`` fastest for
        bottleneck objectives). ``False`` keeps every candidate.

    Returns
    -------
    MilpModel
    """
    pulp = import_pulp()
    m, n = problem.shape
    cols = candidate_columns(problem) if restrict else np.arange(n)
    check_model_size(milp_variables(problem, len(cols)), what="variables", advice="use a heuristic method such as tabu")
    lp = pulp.LpProblem(problem.name.replace(" ", "_") or problem.kind, pulp.LpMinimize)
    x = {(i, int(s)): lp.add_variable(f"x_{i}_{s}", cat=pulp.LpBinary) for i in range(m) for s in cols}
    for i in range(m):
        lp += pulp.lpSum(x[i, int(s)] for s in cols) == 1, f"expert_{i}"
    for s in cols:
        row = pulp.lpSum(x[i, int(s)] for i in range(m))
        lp += (row == 1 if len(cols) == m else row <= 1), f"candidate_{s}"
    if isinstance(problem, LinearProblem):
        lp += pulp.LpAffineExpression([(x[key], problem.cost[key]) for key in x]), "cost"
    elif isinstance(problem, QAPProblem):
        lp += _adams_johnson(pulp, lp, x, problem, [int(s) for s in cols]), "cost"
    elif isinstance(problem, TraceProblem):
        lp += _trace_bottleneck(pulp, lp, x, problem, [int(s) for s in cols]), "cost"
    else:
        raise InputError(f"no MILP model for a {type(problem).__name__}")
    return MilpModel(lp, x, (m, n))


def milp_size(problem: Problem, *, restrict: bool = True) -> tuple[int, int]:
    """``(variables, nonzeros)`` of :func:`build_milp`'s model, counted without building it (objective included).

    >>> from spacexnet_opt.solve.problems import QAPProblem
    >>> milp_size(QAPProblem(np.ones((3, 3)), np.ones((3, 3))))  # 3 pairs x 6 ordered candidate pairs
    (27, 117)
    """
    m, n = problem.shape
    c = len(candidate_columns(problem)) if restrict else n
    assignment = 2 * m * c
    if isinstance(problem, LinearProblem):
        return m * c, assignment + m * c
    if isinstance(problem, QAPProblem):
        f = problem.flow
        y = int(np.triu((f != 0) | (f.T != 0), k=1).sum()) * c * (c - 1)
        return y + m * c, assignment + 5 * y + m * c  # each y: objective, two rows of each Adams-Johnson family
    sets, k = problem.sets.shape
    return m * c + sets, assignment + sets * k * (c + 1) + sets


def _adams_johnson(pulp, lp, x, problem: QAPProblem, cols: list[int]):
    """Add the symmetric Adams–Johnson variables and rows; return the objective expression."""
    m = problem.shape[0]
    f, d = problem.flow, problem.distance
    pairs = [(i, j) for i, j in combinations(range(m), 2) if f[i, j] != 0 or f[j, i] != 0]
    y = {
        (i, s, j, t): lp.add_variable(f"y_{i}_{s}_{j}_{t}", lowBound=0)
        for i, j in pairs for s in cols for t in cols if s != t
    }

    def pair_var(i, s, j, t):
        return y[i, s, j, t] if i < j else y[j, t, i, s]

    pair_set = set(pairs)
    partners = {i: [j for j in range(m) if (min(i, j), max(i, j)) in pair_set] for i in range(m)}
    square = len(cols) == m
    for i in range(m):
        for s in cols:
            for j in partners[i]:  # expert j sits on exactly one other candidate
                lp += pulp.lpSum(pair_var(i, s, j, t) for t in cols if t != s) == x[i, s], f"aj_{i}_{s}_e{j}"
            if partners[i]:  # candidate t holds at most one partner of i
                for t in cols:
                    if t != s:
                        row = pulp.lpSum(pair_var(i, s, j, t) for j in partners[i])
                        lp += (row == x[i, s] if square and len(partners[i]) == m - 1 else row <= x[i, s]), f"aj_{i}_{s}_c{t}"
    terms = [(var, f[i, j] * d[s, t] + f[j, i] * d[t, s]) for (i, s, j, t), var in y.items()]
    terms += [(x[i, s], f[i, i] * d[s, s]) for i in range(m) for s in cols if f[i, i] * d[s, s] != 0]
    return pulp.LpAffineExpression([(var, c) for var, c in terms if c != 0])


def _trace_bottleneck(pulp, lp, x, problem: TraceProblem, cols: list[int]):
    """Add one bottleneck variable per distinct activated set; return the objective expression."""
    if np.any(problem.weights < 0):
        raise InputError("trace weights must be non-negative for the bottleneck model", field="weights")
    sets, weights = merge_sets(problem.sets, problem.weights)
    tau = problem.tau
    terms = []
    for t, (members, w) in enumerate(zip(sets, weights)):
        z = lp.add_variable(f"z_{t}")
        for i in members:
            lp += z - pulp.lpSum(tau[s] * x[int(i), s] for s in cols) >= 0, f"set_{t}_e{i}"
        terms.append((z, w))
    return pulp.LpAffineExpression(terms)


def merge_sets(sets: np.ndarray, weights: np.ndarray) -> tuple[list[tuple[int, ...]], list[float]]:
    """Distinct activated sets (as sorted tuples of distinct experts) with summed weights; zero weights dropped.

    >>> merge_sets(np.array([[1, 0], [0, 1], [2, 2]]), np.array([0.25, 0.5, 0.0]))
    ([(0, 1)], [0.75])
    """
    merged: dict[tuple[int, ...], float] = {}
    for row, w in zip(sets.tolist(), weights.tolist()):
        key = tuple(sorted(set(row)))
        merged[key] = merged.get(key, 0.0) + w
    kept = [(k, w) for k, w in merged.items() if w != 0]
    return [k for k, _ in kept], [w for _, w in kept]
