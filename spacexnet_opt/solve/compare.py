"""Run several methods on several instances and check that their claims agree.

Per instance and method the table gives the objective (summed over layers), the
proven bound (summed, when every layer has one), the gap to the reference (the
QAPLIB best-known value, or per layer the best objective any method found) and
the wall time. :func:`inconsistencies` lists every contradiction between the
methods, layer by layer: a method claiming OPTIMAL while another method (or a
QAPLIB solution) is strictly better, or a bound above a known feasible value.

>>> import numpy as np
>>> from spacexnet_opt.solve.problems import LinearProblem
>>> from spacexnet_opt.solve.from_instance import LayerJob
>>> job = LayerJob(0, None, None, LinearProblem(np.array([[3.0, 1.0], [1.0, 4.0]])))
>>> table = compare({"toy": [job]}, ["hungarian", "brute"])
>>> [(r.method, r.objective, r.status) for r in table.rows]
[('hungarian', 2.0, 'OPTIMAL'), ('brute', 2.0, 'OPTIMAL')]
>>> table.issues
[]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from dataclasses import asdict, dataclass

from ..errors import BackendUnavailableError, SolverError
from ..progress import Progress, no_progress
from .from_instance import LayerJob, solve_jobs
from .result import SolveResult, Status

__all__ = ["CompareRow", "Comparison", "compare", "inconsistencies", "reference_gap"]

_RTOL = 1e-9


@dataclass(frozen=True)
class CompareRow:
    """One instance x method cell of the comparison (objective and bound summed over layers)."""

    instance: str
    method: str
    status: str  # a Status value, "n/a" (method does not handle the problem) or "unavailable"
    objective: float | None
    bound: float | None
    reference: float | None
    gap: float | None  # (objective - reference) / |reference|
    runtime_s: float
    note: str = ""


@dataclass(frozen=True)
class Comparison:
    rows: list[CompareRow]
    issues: list[str]

    def records(self) -> list[dict]:
        """Rows as plain dicts (for CSV / JSON)."""
        return [asdict(r) for r in self.rows]


def _tol(value: float) -> float:
    return _RTOL * max(1.0, abs(value))


def inconsistencies(instance: str, jobs: Sequence[LayerJob], results: Mapping[str, Sequence[SolveResult]]) -> list[str]:
    """Contradictions between the methods' results on the layers of one instance."""
    issues = []
    for index, job in enumerate(jobs):
        where = instance if len(jobs) == 1 else f"{instance} layer {job.layer}"
        found = {m: r[index] for m, r in results.items() if r[index].objective is not None}
        candidates = [(r.objective, m) for m, r in found.items()]
        if job.problem_best_known is not None:
            candidates.append((job.problem_best_known, "the best-known solution"))
        if not candidates:
            continue
        best, holder = min(candidates)
        for method, r in results.items():
            res = r[index]
            if res.status is Status.OPTIMAL and res.objective > best + _tol(best):
                issues.append(f"{where}: {method} claims OPTIMAL at {res.objective:.10g} "
                              f"but {holder} reaches {best:.10g}")
            if res.bound is not None and res.bound > best + _tol(best):
                issues.append(f"{where}: {method} reports bound {res.bound:.10g} above the "
                              f"objective {best:.10g} of {holder}")
    return issues


def reference_gap(objective: float | None, reference: float | None) -> float | None:
    """``(objective - reference) / |reference|`` (negative: better than the reference), or None without both.

    >>> reference_gap(102.0, 100.0), reference_gap(99.0, 100.0), reference_gap(None, 100.0)
    (0.02, -0.01, None)
    """
    if objective is None or reference is None:
        return None
    return (objective - reference) / max(abs(reference), 1e-12)


def _row(instance: str, method: str, results: list[SolveResult], reference: float | None) -> CompareRow:
    runtime = sum(r.runtime_s for r in results)
    objective = None if any(r.objective is None for r in results) else sum(r.objective for r in results)
    bound = None if any(r.bound is None for r in results) else sum(r.bound for r in results)
    order = [Status.INFEASIBLE, Status.TIME_LIMIT, Status.FEASIBLE, Status.OPTIMAL]
    status = min((r.status for r in results), key=order.index).value
    return CompareRow(instance, method, status, objective, bound, reference, reference_gap(objective, reference),
                      runtime)


def compare(
    instances: Mapping[str, Sequence[LayerJob]],
    methods: Sequence[str],
    *,
    time_limit: float | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    seed=None,
    progress: Progress = no_progress,
) -> Comparison:
    """Solve every layer of every instance with every method.

    Parameters
    ----------
    instances : mapping name -> list of LayerJob
        As returned by :func:`spacexnet_opt.solve.from_instance.load_problems`.
    methods : sequence of str
        Keys of :data:`spacexnet_opt.solve.METHODS` (an unknown name raises ValueError).
    time_limit : float, optional
        Seconds per layer and method.
    options : mapping method -> mapping, optional
        Method options of the methods that take some (see :attr:`~spacexnet_opt.solve.registry.Method.options`).
    seed : int, optional
        Seed of the randomised methods.
    progress : Progress, optional
        ``progress(f"{instance} {method}", runs_done, 0)`` before each instance x method run.

    Returns
    -------
    Comparison
        Rows in instance-then-method order; ``issues`` lists the inconsistencies.
    """
    rows, issues = [], []
    for name, jobs in instances.items():
        solved: dict[str, list[SolveResult]] = {}
        skipped: dict[str, tuple[str, str]] = {}
        for method in methods:
            progress(f"{name} {method}", len(rows) + len(solved) + len(skipped), 0)
            try:
                solved[method] = solve_jobs(jobs, method, time_limit=time_limit, rng=seed,
                                            options=(options or {}).get(method))
            except BackendUnavailableError as exc:
                skipped[method] = ("unavailable", str(exc))
            except SolverError as exc:
                skipped[method] = ("n/a", str(exc))
        best_known = [job.problem_best_known for job in jobs]
        if all(b is not None for b in best_known):
            reference = sum(best_known)
        elif solved:
            per_layer = [min((r[i].objective for r in solved.values() if r[i].objective is not None), default=None)
                         for i in range(len(jobs))]
            reference = None if None in per_layer else sum(per_layer)
        else:
            reference = None
        for method in methods:
            if method in solved:
                rows.append(_row(name, method, solved[method], reference))
            else:
                status, note = skipped[method]
                rows.append(CompareRow(name, method, status, None, None, reference, None, 0.0, note))
        issues += inconsistencies(name, jobs, solved)
    return Comparison(rows, issues)
