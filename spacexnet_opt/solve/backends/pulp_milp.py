"""PuLP MILP backends: CBC (bundled with PuLP) and HiGHS (through highspy).

Both solve the models of :mod:`spacexnet_opt.solve.milp_models` (Adams–Johnson
linearisation for QAP/``top2``) with a relative gap tolerance of
:data:`MIP_REL_GAP` and no absolute gap. The best bound is HiGHS's
``mip_dual_bound``, or the ``Lower bound`` line of CBC's log when CBC stops
early; when CBC stops at its gap, what the gap test proves (the objective less
``mip_rel_gap`` of it), never the objective itself. A solver's OPTIMAL becomes ours only if the objective recomputed from
the data is within ``OPTIMAL_RTOL`` of the solver's bound (floating-point
tolerances of the solver could otherwise hide a small gap); a run stopped by
the time limit is TIME_LIMIT with its incumbent, if any, and bound.

Time limits cover the whole solve: a model whose size estimate
(:func:`~spacexnet_opt.solve.milp_models.milp_size` times
:data:`BUILD_SECONDS_PER_NONZERO`) exceeds the limit is refused before
building; building and writing the model count against the limit, and the
solver gets what is left (CBC measures it in wall-clock time).

Latencies in seconds give objective coefficients of 1e-4 or less, where the
solvers' absolute tolerances (about 1e-7 to 1e-9) would decide the result, so
the objective is multiplied by a power of two that brings its largest
coefficient into [1, 2) before solving, and the bound divided back.
"""

from __future__ import annotations

import math
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from ...errors import BackendUnavailableError, SolverError
from ..milp_models import build_milp, cbc_path, import_pulp, milp_size
from ..problems import Problem
from ..result import BackendOutput, Status
from ..scaling import optimality_status
from .watchdog import Watchdog

__all__ = ["solve_pulp_cbc", "solve_pulp_highs", "MIP_REL_GAP"]

MIP_REL_GAP = 1e-9
"""Relative gap at which the MILP solvers stop and call a solution optimal."""
OBJECTIVE_EXPONENT = 16
"""The objective is scaled by a power of two so its largest coefficient lies in [2**16, 2**17):
CBC's and HiGHS's absolute tolerances (CBC's cutoff increment among them) then sit far
below the differences between assignments, which at unit scale they could not resolve."""


BUILD_SECONDS_PER_NONZERO = 5e-6
"""Lower estimate of PuLP's model building plus MPS writing per nonzero (5 to 13 us measured on the
project machine, ``docs/benchmarks.md``): a model whose estimate exceeds the time limit is refused."""
CBC_TIME_SHARE = 0.9
"""Share of the time left that CBC is told about: it checks its clock rarely, and a CBC still running at
the deadline is interrupted (and killed a second later, :mod:`.watchdog`), losing its incumbent."""
MIN_SOLVER_SECONDS = 0.01
"""Time limit handed to the solver when the model building has used up (almost) all of it."""


def solve_pulp_cbc(problem: Problem, *, time_limit: float | None = None, rng: np.random.Generator | None = None,
                   mip_rel_gap: float = MIP_REL_GAP) -> BackendOutput:
    """Solve ``problem`` as a MILP with CBC (bundled with PuLP).

    >>> import numpy as np
    >>> from spacexnet_opt.solve import solve
    >>> from spacexnet_opt.solve.problems import LinearProblem
    >>> r = solve(LinearProblem(np.array([[1.0, 5.0, 4.0], [2.0, 1.0, 3.0]])), method="pulp-cbc")
    >>> r.assignment.tolist(), r.objective, r.status.value
    ([0, 1], 2.0, 'OPTIMAL')
    """
    pulp = import_pulp()
    deadline = _deadline(problem, time_limit, "pulp-cbc")
    with tempfile.TemporaryDirectory(prefix="spacexnet-cbc-") as tmp:
        log = Path(tmp) / "cbc.log"
        seed = int(np.random.default_rng(rng).integers(1, 2**31 - 1))
        solver = _cbc_until(pulp, deadline)(
            path=cbc_path(), msg=False, gapRel=mip_rel_gap, gapAbs=0.0, logPath=str(log),
            options=[f"randomCbcSeed {seed}"],  # PuLP adds "timeMode elapsed": wall-clock limit
        )
        solver.tmpDir = tmp  # the model file's path marks our CBC process for the watchdog
        if not solver.available():
            raise BackendUnavailableError("the pulp-cbc backend needs CBC: PuLP 3's bundled binary "
                                          "(pip install --force-reinstall pulp) or cbc on PATH")

        def read(lp):
            text = log.read_text(errors="replace") if log.exists() else ""
            return _cbc_lower_bound(text, lp, pulp, mip_rel_gap), _cbc_nodes(text)

        return _solve(pulp, problem, solver, deadline, read)


def solve_pulp_highs(problem: Problem, *, time_limit: float | None = None, rng: np.random.Generator | None = None,
                     mip_rel_gap: float = MIP_REL_GAP) -> BackendOutput:
    """Solve ``problem`` as a MILP with HiGHS through PuLP's ``HiGHS`` (highspy) interface.

    >>> from spacexnet_opt.solve import solve
    >>> from spacexnet_opt.solve.problems import TraceProblem
    >>> trace = TraceProblem(tau=[0.3, 0.1, 0.2, 0.5], sets=[[0, 1], [0, 2]], n_experts=3)
    >>> r = solve(trace, method="pulp-highs")  # each set waits for its slower expert: (0.2 + 0.3) / 2
    >>> round(r.objective, 12), r.status.value
    (0.25, 'OPTIMAL')
    """
    pulp = import_pulp()
    deadline = _deadline(problem, time_limit, "pulp-highs")
    solver = _highs_until(pulp, deadline)(
        msg=False, gapRel=mip_rel_gap, gapAbs=0.0, threads=1,
        random_seed=int(np.random.default_rng(rng).integers(0, 2**31 - 1)),
    )
    if not solver.available():
        raise BackendUnavailableError('the pulp-highs backend needs highspy: pip install "highspy<1.15"')

    def read(lp):
        info = lp.solverModel.getInfo()
        bound = float(info.mip_dual_bound)
        return (bound if np.isfinite(bound) else None), int(info.mip_node_count)

    return _solve(pulp, problem, solver, deadline, read)


def _deadline(problem: Problem, time_limit: float | None, method: str) -> float | None:
    """The wall-clock deadline of the solve; refuses a model whose building alone would exceed it."""
    start = time.perf_counter()
    if time_limit is None:
        return None
    variables, nonzeros = milp_size(problem)
    estimate = BUILD_SECONDS_PER_NONZERO * nonzeros
    if estimate > time_limit:
        raise SolverError(f"{method}: the MILP has {variables:,} variables and {nonzeros:,} nonzeros; building it "
                          f"takes about {estimate:,.1f} s or more, beyond the time limit of {time_limit:g} s")
    return start + time_limit


def _remaining(deadline: float | None, share: float = 1.0) -> float | None:
    return None if deadline is None else max(share * (deadline - time.perf_counter()), MIN_SOLVER_SECONDS)


def _cbc_until(pulp, deadline: float | None):
    """CBC whose time limit is what is left of ``deadline`` when its command line is built (after the MPS file)."""

    class CBC(pulp.COIN_CMD):
        timeLimit = property(lambda self: _remaining(deadline, CBC_TIME_SHARE), lambda self, value: None)

        def actualSolve(self, lp, **kwargs):
            with Watchdog(deadline, self.tmpDir):  # CBC may not look at its clock for seconds
                return super().actualSolve(lp, **kwargs)

    return CBC


def _highs_until(pulp, deadline: float | None):
    """HiGHS given what is left of ``deadline`` once the model is passed to it."""

    class HiGHS(pulp.HiGHS):
        def callSolver(self, lp):
            if deadline is not None:
                lp.solverModel.setOptionValue("time_limit", float(_remaining(deadline)))
            super().callSolver(lp)

    return HiGHS


def _solve(pulp, problem: Problem, solver, deadline: float | None, read) -> BackendOutput:
    """Build and solve the MILP with its objective normalised; ``read(lp)`` gives the solver's (bound, nodes)."""
    model = build_milp(problem)
    factor = _normalise_objective(model.lp)
    if deadline is not None and time.perf_counter() >= deadline:
        return BackendOutput(None, Status.TIME_LIMIT, message="time limit reached while building the model")
    try:
        model.lp.solve(solver)
    except pulp.PulpSolverError:
        if deadline is None or time.perf_counter() < deadline:
            raise
        return BackendOutput(None, Status.TIME_LIMIT, message="solver stopped at the deadline without a solution")
    bound, nodes = read(model.lp)
    return _output(pulp, problem, model, None if bound is None else bound / factor, deadline is not None, nodes)


def _normalise_objective(lp) -> float:
    """Scale the objective by a power of two (see :data:`OBJECTIVE_EXPONENT`); return the factor."""
    peak = max((abs(c) for c in lp.objective.values()), default=0.0)
    factor = 2.0 ** (OBJECTIVE_EXPONENT - math.floor(math.log2(peak))) if peak > 0 else 1.0
    lp.setObjective(lp.objective * factor)
    return factor


def _cbc_lower_bound(log: str, lp, pulp, rel_gap: float) -> float | None:
    """CBC's proven bound: the ``Lower bound:`` it prints when stopped early; after an optimal stop, what its
    gap test proves (objective minus ``rel_gap`` of it), never the objective itself."""
    found = re.findall(r"^Lower bound:\s*([-+0-9.eE]+)", log, flags=re.MULTILINE)
    if found:
        return float(found[-1])
    value = lp.objective.value() if lp.sol_status == pulp.LpSolutionOptimal else None
    return None if value is None else float(value - rel_gap * abs(value) * (1 + 1e-6))


def _cbc_nodes(log: str) -> int | None:
    found = re.findall(r"^Enumerated nodes:\s*(\d+)", log, flags=re.MULTILINE)
    return int(found[-1]) if found else None


def _output(pulp, problem: Problem, model, bound: float | None, limited: bool, nodes: int | None) -> BackendOutput:
    """Translate PuLP's (status, sol_status) into a :class:`BackendOutput`; the bound is the solver's own."""
    lp = model.lp
    if lp.status == pulp.LpStatusInfeasible or lp.sol_status == pulp.LpSolutionInfeasible:
        if limited:  # CBC's preprocessing, cut short by the limit, reports "infeasible"; m <= n always has a solution
            return BackendOutput(None, Status.TIME_LIMIT, message="stopped at the time limit during preprocessing",
                                 iterations=nodes)
        return BackendOutput(None, Status.INFEASIBLE, iterations=nodes)
    if lp.status == pulp.LpStatusUnbounded:
        raise SolverError("the MILP solver reported an unbounded model")
    assignment = model.assignment()
    stopped = Status.TIME_LIMIT if limited else Status.FEASIBLE
    if assignment is None:
        return BackendOutput(None, stopped, bound, message="no solution found", iterations=nodes)
    objective = problem.objective(assignment)
    if lp.sol_status == pulp.LpSolutionOptimal and bound is not None:
        return BackendOutput(assignment, optimality_status(objective, bound), min(bound, objective), iterations=nodes)
    return BackendOutput(assignment, stopped, bound, iterations=nodes)
