"""PuLP MILP backends: CBC (bundled with PuLP) and HiGHS (through highspy).

Both solve the models of :mod:`spacexnet_opt.solve.milp_models` (Adams–Johnson
linearisation for QAP/``top2``) with a relative gap tolerance of
:data:`MIP_REL_GAP` and no absolute gap. The best bound is HiGHS's
``mip_dual_bound``, or the ``Lower bound`` line of CBC's log when CBC stops
early. A solver's OPTIMAL becomes ours only if the objective recomputed from
the data is within ``OPTIMAL_RTOL`` of the solver's bound (floating-point
tolerances of the solver could otherwise hide a small gap); a run stopped by
the time limit is TIME_LIMIT with its incumbent, if any, and bound.

Latencies in seconds give objective coefficients of 1e-4 or less, where the
solvers' absolute tolerances (about 1e-7 to 1e-9) would decide the result, so
the objective is multiplied by a power of two that brings its largest
coefficient into [1, 2) before solving, and the bound divided back.
"""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path

import numpy as np

from ...errors import BackendUnavailableError, SolverError
from ..milp_models import build_milp, import_pulp
from ..problems import Problem
from ..result import BackendOutput, Status
from ..scaling import optimality_status

__all__ = ["solve_pulp_cbc", "solve_pulp_highs", "MIP_REL_GAP"]

MIP_REL_GAP = 1e-9
"""Relative gap at which the MILP solvers stop and call a solution optimal."""
OBJECTIVE_EXPONENT = 16
"""The objective is scaled by a power of two so its largest coefficient lies in [2**16, 2**17):
CBC's and HiGHS's absolute tolerances (CBC's cutoff increment among them) then sit far
below the differences between assignments, which at unit scale they could not resolve."""


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
    with tempfile.TemporaryDirectory(prefix="spacexnet-cbc-") as tmp:
        log = Path(tmp) / "cbc.log"
        solver = pulp.PULP_CBC_CMD(
            msg=False, timeLimit=time_limit, gapRel=mip_rel_gap, gapAbs=0.0, logPath=str(log),
            options=[f"randomCbcSeed {int(np.random.default_rng(rng).integers(1, 2**31 - 1))}"],
        )
        if not solver.available():
            raise BackendUnavailableError("the pulp-cbc backend needs PuLP's bundled CBC: pip install --force-reinstall pulp")
        return _solve(pulp, problem, solver, time_limit,
                      lambda lp: _cbc_lower_bound(log.read_text(errors="replace") if log.exists() else ""))


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
    solver = pulp.HiGHS(
        msg=False, timeLimit=time_limit, gapRel=mip_rel_gap, gapAbs=0.0, threads=1,
        random_seed=int(np.random.default_rng(rng).integers(0, 2**31 - 1)),
    )
    if not solver.available():
        raise BackendUnavailableError('the pulp-highs backend needs highspy: pip install "highspy<1.15"')
    return _solve(pulp, problem, solver, time_limit, _highs_lower_bound)


def _solve(pulp, problem: Problem, solver, time_limit: float | None, read_bound) -> BackendOutput:
    """Build and solve the MILP with its objective normalised; ``read_bound(lp)`` gives the solver's bound."""
    model = build_milp(problem)
    factor = _normalise_objective(model.lp)
    model.lp.solve(solver)
    bound = read_bound(model.lp)
    return _output(pulp, problem, model, None if bound is None else bound / factor, time_limit)


def _highs_lower_bound(lp) -> float | None:
    """HiGHS's ``mip_dual_bound``, if finite."""
    bound = float(lp.solverModel.getInfo().mip_dual_bound)
    return bound if np.isfinite(bound) else None


def _normalise_objective(lp) -> float:
    """Scale the objective by a power of two (see :data:`OBJECTIVE_EXPONENT`); return the factor."""
    peak = max((abs(c) for c in lp.objective.values()), default=0.0)
    factor = 2.0 ** (OBJECTIVE_EXPONENT - math.floor(math.log2(peak))) if peak > 0 else 1.0
    lp.setObjective(lp.objective * factor)
    return factor


def _cbc_lower_bound(log: str) -> float | None:
    """The ``Lower bound:`` CBC prints when it stops before proving optimality, if any."""
    found = re.findall(r"^Lower bound:\s*([-+0-9.eE]+)", log, flags=re.MULTILINE)
    return float(found[-1]) if found else None


def _output(pulp, problem: Problem, model, bound: float | None, time_limit: float | None) -> BackendOutput:
    """Translate PuLP's (status, sol_status) into a :class:`BackendOutput`."""
    lp = model.lp
    if lp.status == pulp.LpStatusInfeasible or lp.sol_status == pulp.LpSolutionInfeasible:
        return BackendOutput(None, Status.INFEASIBLE)
    if lp.status == pulp.LpStatusUnbounded:
        raise SolverError("the MILP solver reported an unbounded model")
    assignment = model.assignment()
    stopped = Status.TIME_LIMIT if time_limit is not None else Status.FEASIBLE
    if assignment is None:
        return BackendOutput(None, stopped, bound)
    objective = problem.objective(assignment)
    if lp.sol_status == pulp.LpSolutionOptimal:
        if bound is None:
            bound = objective
        return BackendOutput(assignment, optimality_status(objective, bound), min(bound, objective))
    return BackendOutput(assignment, stopped, bound)
