"""Solver results: a small frozen object per solve.

>>> r = SolveResult(assignment=np.array([1, 0]), objective=3.0, status=Status.OPTIMAL,
...                 bound=3.0, runtime_s=0.01, method="brute", problem="linear")
>>> r.gap
0.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..status import Status

__all__ = ["Status", "BackendOutput", "SolveResult", "relative_gap"]


@dataclass(frozen=True)
class BackendOutput:
    """What a backend hands back: an assignment (or None), a status, an optional proven bound,
    a one-line message and the number of search nodes or iterations, where the backend counts them."""

    assignment: np.ndarray | None
    status: Status
    bound: float | None = None
    message: str = ""
    iterations: int | None = None


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``(objective - bound) / max(|objective|, 1e-12)``, or None without both; never negative."""
    if objective is None or bound is None:
        return None
    return max(0.0, (objective - bound) / max(abs(objective), 1e-12))


@dataclass(frozen=True)
class SolveResult:
    """The outcome of :func:`spacexnet_opt.solve.solve`.

    Attributes
    ----------
    assignment : ndarray of int or None
        Candidate column of each expert (None when infeasible or no incumbent).
    objective : float or None
        Recomputed by the problem's own :meth:`objective`, never taken from a solver.
    status : Status
    bound : float or None
        A proven lower bound, where the backend proves one.
    runtime_s : float
        Wall time of the backend call.
    method, problem : str
        Method name and problem kind (``linear``, ``top2``, ``trace`` or ``qap``).
    message : str
        How the solve ended, in one line.
    iterations : int or None
        Search nodes (branch and bound, MILP, CP-SAT) or iterations (local
        searches) where the backend counts them.
    """

    assignment: np.ndarray | None
    objective: float | None
    status: Status
    bound: float | None
    runtime_s: float
    method: str
    problem: str
    message: str = ""
    iterations: int | None = None

    @property
    def gap(self) -> float | None:
        """Relative gap between objective and bound (0 when proven optimal)."""
        return relative_gap(self.objective, self.bound)
