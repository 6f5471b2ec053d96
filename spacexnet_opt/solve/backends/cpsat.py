"""OR-Tools CP-SAT backend for all three formulations.

Models (floor-scaled integer coefficients, see :mod:`spacexnet_opt.solve.scaling`):

* ``linear``: Boolean ``x[i,s]``, exactly one candidate per expert, at most one
  expert per candidate, objective ``sum C[i,s] x[i,s]``.
* bottleneck QAP (``top2``) and ``trace``: the trace model on the ``m`` fastest
  candidates (exact, see :mod:`spacexnet_opt.solve.reductions`); the latency
  level of expert ``i`` is ``sum_s T[s] x[i,s]`` and each activated set ``t``
  has ``z[t] >= level[i]`` for its experts; objective ``sum W[t] z[t]``.
* general QAP (QAPLIB): candidate position ``pos[i]`` channelled to ``x``,
  and one table constraint ``(pos[i], pos[j], cost)`` per expert pair with flow.

Status OPTIMAL only when CP-SAT proves the scaled optimum *and* the objective
recomputed from the data is within the scaling precision of the rigorous lower
bound; otherwise FEASIBLE (or TIME_LIMIT when stopped by the limit) with CP-SAT's
best bound converted back to the problem's units, INFEASIBLE when proven so.
The search starts from a heuristic hint (:func:`_hint`); building the model and
the hint count against the time limit, CP-SAT gets what is left.
"""

from __future__ import annotations

import os
import threading
import time
from itertools import combinations

import numpy as np

from ...budget import check_model_size, milp_variables
from ...errors import BackendUnavailableError, InputError, SolverError
from ..milp_models import merge_sets
from ..problems import LinearProblem, Problem, QAPProblem, TraceProblem
from ..reductions import candidate_columns, qap_as_trace
from ..result import BackendOutput, Status
from ..scaling import floor_scale, lower_bound, optimality_status
from .order_ls import solve_order_ls
from .scipy_lsa import solve_hungarian
from .tabu import solve_tabu

__all__ = ["HINT_SECONDS", "HINT_SHARE", "SECONDS_PER_TABLE_ROW", "SECONDS_PER_TERM", "solve_cpsat", "cpsat_workers"]

_OBJECTIVE_BUDGET = 2**52  # largest scaled objective value we let CP-SAT see
SECONDS_PER_TABLE_ROW = 8e-6
"""Building plus presolving one table row of the general QAP model (7.5 to 19 us measured on
sko42, wil50 and tai30a on the project machine); CP-SAT's presolve does not stop at the time limit."""
SECONDS_PER_TERM = 1e-5
"""Building one assignment variable or set-member constraint of the linear and bottleneck models
(41 us measured on a 256-expert DeepSeek-V3 trace layer on the loaded project machine)."""
HINT_SHARE, HINT_SECONDS = 0.1, 1.0
"""Share of the time limit, and its cap in seconds, spent on the heuristic hint."""


def cpsat_workers() -> int:
    """Search workers: the cores this process may use, at most 8 (2 on the project machine)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def solve_cpsat(problem: Problem, *, time_limit: float | None = None, rng: np.random.Generator | None = None,
                workers: int | None = None, hint: bool = True) -> BackendOutput:
    """Solve ``problem`` with CP-SAT; see the module docstring for models and statuses.

    >>> import numpy as np
    >>> from spacexnet_opt.solve import solve
    >>> from spacexnet_opt.solve.problems import QAPProblem
    >>> flow, distance = np.array([[0, 5.0], [5.0, 0]]), np.array([[0, 1.0, 3.0], [1.0, 0, 2.0], [3.0, 2.0, 0]])
    >>> r = solve(QAPProblem(flow, distance), method="cpsat")  # the closest pair of locations: 2 * 5 * 1
    >>> r.objective, r.status.value
    (10.0, 'OPTIMAL')
    """
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    _refuse_large_models(problem, time_limit)
    try:
        from ortools.sat.python import cp_model
    except ImportError:
        raise BackendUnavailableError("the cpsat backend needs OR-Tools: pip install ortools") from None
    rng = np.random.default_rng(rng)
    model = cp_model.CpModel()
    x, scale, offset = _build(model, problem)
    start = _hint(problem, deadline, rng) if hint else None
    for (i, s), var in x.items() if start is not None else ():
        model.AddHint(var, bool(start[i] == s))
    solver = _solver(cp_model, workers, rng)
    if deadline is not None:
        left = deadline - time.perf_counter()
        if left <= 0:
            return BackendOutput(start, Status.TIME_LIMIT, message="time limit reached while building the model")
        solver.parameters.max_time_in_seconds = left
    stop = None if deadline is None else threading.Timer(max(deadline - time.perf_counter(), 0.0), solver.StopSearch)
    if stop is not None:  # CP-SAT's own limit is not checked while it loads large tables
        stop.daemon = True
        stop.start()
    code = solver.Solve(model)
    if stop is not None:
        stop.cancel()
    if code == cp_model.INFEASIBLE:
        return BackendOutput(None, Status.INFEASIBLE)
    if code == cp_model.MODEL_INVALID:
        raise SolverError(f"CP-SAT rejected the model: {model.Validate()}")
    bound = lower_bound(solver.BestObjectiveBound(), scale, offset)
    nodes = int(solver.NumBranches())
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # UNKNOWN: stopped before any solution
        message = "no solution found" + ("; the hint is returned" if start is not None else "")
        return BackendOutput(start, Status.TIME_LIMIT, bound, message=message, iterations=nodes)
    assignment = np.full(problem.shape[0], -1, dtype=np.int64)
    for (i, s), var in x.items():
        if solver.BooleanValue(var):
            assignment[i] = s
    if code == cp_model.FEASIBLE:
        status = Status.TIME_LIMIT if time_limit is not None else Status.FEASIBLE
        return BackendOutput(assignment, status, bound, iterations=nodes)
    return BackendOutput(assignment, optimality_status(problem.objective(assignment), bound), bound, iterations=nodes)


def _refuse_large_models(problem: Problem, time_limit: float | None) -> None:
    """Refuse a model CP-SAT could not even build and load in half the time limit (estimate in the message)."""
    if time_limit is None:
        return
    m, n = problem.shape
    if problem.kind == "qap":
        f = problem.flow
        size, unit = int(np.triu((f != 0) | (f.T != 0), k=1).sum()) * n * (n - 1), "table rows"
        seconds = size * SECONDS_PER_TABLE_ROW
    else:
        sets = 0 if problem.kind == "linear" else (problem.sets.size if problem.kind == "trace"
                                                  else 2 * int(np.count_nonzero(problem.flow)))
        size, unit = m * len(candidate_columns(problem)) + sets, "terms"
        seconds = size * SECONDS_PER_TERM
    if seconds > time_limit / 2:
        raise SolverError(f"cpsat: the model has {size:,} {unit}; building and loading them takes about "
                          f"{seconds:,.1f} s, more than half the time limit of {time_limit:g} s")


def _build(model, problem: Problem):
    """Add the model of ``problem``; return ``(x, scale, offset)``."""
    if isinstance(problem, LinearProblem):
        return _linear(model, problem)
    if isinstance(problem, TraceProblem):
        return _trace(model, problem)
    trace = qap_as_trace(problem)
    return _trace(model, trace) if trace is not None else _qap(model, problem)


def _solver(cp_model, workers: int | None, rng: np.random.Generator):
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers or cpsat_workers()
    # the assignment rows belong in the LP from the start (its relaxation is then tight for
    # linear problems); with few workers the default portfolio would leave them out
    solver.parameters.add_lp_constraints_lazily = False
    solver.parameters.linearization_level = 2
    solver.parameters.subsolvers.extend(["max_lp", "default_lp"])
    solver.parameters.random_seed = int(rng.integers(2**31 - 1))
    return solver


def _hint(problem: Problem, deadline: float | None, rng: np.random.Generator) -> np.ndarray:
    """A heuristic starting assignment: hungarian (linear), then for at most :data:`HINT_SHARE` of the
    time limit and :data:`HINT_SECONDS`, order-ls without kicks (top2, trace) or tabu (general QAP)."""
    if isinstance(problem, LinearProblem):
        return solve_hungarian(problem).assignment
    budget = HINT_SECONDS if deadline is None else min(HINT_SECONDS, HINT_SHARE * (deadline - time.perf_counter()))
    if problem.kind != "qap":
        return solve_order_ls(problem, kicks=0, time_limit=max(budget, 0.0)).assignment
    return solve_tabu(problem, time_limit=max(budget, 0.0), rng=rng).assignment


def _assignment_vars(model, m: int, cols) -> dict:
    """Boolean ``x[(i, s)]`` with one candidate per expert and at most one expert per candidate."""
    x = {(i, int(s)): model.NewBoolVar(f"x_{i}_{s}") for i in range(m) for s in cols}
    for i in range(m):
        model.AddExactlyOne(x[i, int(s)] for s in cols)
    for s in cols:
        experts = [x[i, int(s)] for i in range(m)]
        if len(cols) == m:
            model.AddExactlyOne(experts)
        else:
            model.AddAtMostOne(experts)
    return x


def _linear(model, problem: LinearProblem):
    m, n = problem.shape
    cost, scale = floor_scale(problem.cost, budget=_OBJECTIVE_BUDGET // max(m, 1))
    x = _assignment_vars(model, m, range(n))
    model.Minimize(sum(int(cost[key]) * var for key, var in x.items()))
    return x, scale, 0.0


def _trace(model, problem: TraceProblem):
    """Bottleneck model on the fastest candidates; latencies shifted to be non-negative, both factors floor-scaled."""
    if np.any(problem.weights < 0):
        raise InputError("trace weights must be non-negative", field="weights")
    m = problem.shape[0]
    cols = candidate_columns(problem)
    sets, weights = merge_sets(problem.sets, problem.weights)
    base = float(problem.tau[cols].min()) if len(cols) else 0.0
    # both factors are non-negative, so floor(W) * floor(T) <= w * (tau - base) * scale_w * scale_t;
    # max T <= 2**30 and sum W <= 2**31 keep the scaled objective below 2**61
    weights = np.asarray(weights, dtype=float)
    tau_int, scale_t = floor_scale(problem.tau[cols] - base, budget=2**30)
    w_budget = int(2**31 * weights.max() / weights.sum()) if len(weights) else 1
    w_int, scale_w = floor_scale(weights, budget=max(w_budget, 1))
    x = _assignment_vars(model, m, cols)
    top = int(tau_int.max()) if len(cols) else 0
    level = []
    for i in range(m):
        lv = model.NewIntVar(0, top, f"level_{i}")
        model.Add(lv == sum(int(t) * x[i, int(s)] for s, t in zip(cols, tau_int)))
        level.append(lv)
    terms = []
    for t, (members, w) in enumerate(zip(sets, w_int)):
        z = model.NewIntVar(0, top, f"z_{t}")
        for i in members:
            model.Add(z >= level[i])
        terms.append(int(w) * z)
    model.Minimize(sum(terms))
    return x, scale_t * scale_w, base * float(weights.sum())


def _qap(model, problem: QAPProblem):
    """General QAP: one table per expert pair with flow, giving the pair's combined cost."""
    m, n = problem.shape
    check_model_size(milp_variables(problem, n), what="variables and table entries",
                     advice="use a heuristic method such as tabu")
    f, d = problem.flow, problem.distance
    pairs = [(i, j) for i, j in combinations(range(m), 2) if f[i, j] != 0 or f[j, i] != 0]
    tables = np.array([f[i, j] * d + f[j, i] * d.T for i, j in pairs]).reshape(len(pairs), n, n)
    linear = np.outer(np.diag(f), np.diag(d))  # f_ii d_ss when expert i sits on s
    scaled, scale = floor_scale(
        np.concatenate([tables.ravel(), linear.ravel()]), budget=_OBJECTIVE_BUDGET // max(len(pairs) + m, 1)
    )
    tables, linear = scaled[: tables.size].reshape(tables.shape), scaled[tables.size :].reshape(m, n)
    x = _assignment_vars(model, m, range(n))
    pos = []
    for i in range(m):
        p = model.NewIntVar(0, n - 1, f"pos_{i}")
        model.Add(p == sum(s * x[i, s] for s in range(n)))
        pos.append(p)
    off_diagonal = ~np.eye(n, dtype=bool)
    s_idx, t_idx = np.nonzero(off_diagonal)
    terms = []
    for (i, j), table in zip(pairs, tables):
        values = table[off_diagonal]
        c = model.NewIntVar(int(values.min()), int(values.max()), f"c_{i}_{j}")
        model.AddAllowedAssignments([pos[i], pos[j], c], np.stack([s_idx, t_idx, values], axis=1).tolist())
        terms.append(c)
    terms += [int(linear[i, s]) * x[i, s] for i in range(m) for s in range(n) if linear[i, s] != 0]
    model.Minimize(sum(terms))
    return x, scale, 0.0
