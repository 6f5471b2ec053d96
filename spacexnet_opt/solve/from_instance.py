"""Instance layers as solver problems, and :func:`solve_instance`: every layer solved into a placement.

:func:`layer_problem` builds the problem of one instance layer for an objective
``linear``, ``top2`` or ``trace``; :func:`solve_jobs` is the one loop solving
every layer with one method (used by :func:`solve_instance` and by
:func:`~spacexnet_opt.solve.compare.compare`).

>>> from spacexnet_opt.formats.instance import LayerSubproblem
>>> layer = LayerSubproblem(layer=0, gateway=9, next_gateway=19, k=1,
...     satellites=[1, 2, 3], tau_s=[0.3, 0.1, 0.2], activation=[0.75, 0.25])
>>> problem = layer_problem(layer, "linear")
>>> problem.kind, problem.shape
('linear', (2, 3))
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, SolverError
from ..formats.instance import Instance, LayerSubproblem, load_instance
from ..formats.placement import Placement, PlacementLayer
from ..progress import Progress, no_progress
from .problems import LinearProblem, Problem, QAPProblem, TraceProblem
from .result import SolveResult, Status
from ..moe import TopKSampler
from .qaplib import load_qaplib
from . import api

__all__ = ["OBJECTIVES", "LayerJob", "layer_problem", "instance_jobs", "load_problems", "solve_jobs",
           "solve_instance", "placement_from_results"]

OBJECTIVES = ("linear", "top2", "trace")
"""Objective names accepted by :func:`layer_problem`."""


def _linear(layer: LayerSubproblem, field: str) -> LinearProblem:
    if layer.cost is not None:
        return LinearProblem(np.asarray(layer.cost, float), activation=np.asarray(layer.activation, float),
                             tau=np.asarray(layer.tau_s, float), name=f"layer {layer.layer}")
    return LinearProblem.rank_one(layer.activation, layer.tau_s, name=f"layer {layer.layer}")


def _coactivation(layer: LayerSubproblem) -> np.ndarray:
    if layer.coactivation is not None:
        return np.asarray(layer.coactivation, float)

    return np.asarray(TopKSampler(np.asarray(layer.activation, float), layer.k).pair_coactivation(), float)


def _bottleneck_tau(layer: LayerSubproblem, field: str) -> np.ndarray:
    """Per-candidate latency of the bottleneck objectives: ``tau_s``, plus the expert's
    compute time ``expert_gflop / gflops[c]`` when the satellites differ in speed."""
    tau = np.asarray(layer.tau_s, float)
    if layer.gflops is None or layer.expert_gflop is None:
        return tau
    sizes = np.unique(layer.expert_gflop)
    if len(sizes) != 1:
        raise InputError("top2 and trace need experts of one size when satellites differ in speed",
                         field=f"{field}.expert_gflop")
    return tau + sizes[0] / np.asarray(layer.gflops, float)


def _top2(layer: LayerSubproblem, field: str) -> QAPProblem:
    if layer.k != 2:
        raise InputError(f"objective top2 is the exact latency of top-2 routing, but the layer routes "
                         f"top-{layer.k}; use the trace objective", field=f"{field}.k")
    return QAPProblem.top2(_coactivation(layer), _bottleneck_tau(layer, field),
                           activation=np.asarray(layer.activation, float), name=f"layer {layer.layer}")


def _trace(layer: LayerSubproblem, field: str) -> TraceProblem:
    if layer.trace is None or not layer.trace.sets:
        raise InputError("objective trace needs a token trace of activated expert sets; the layer has none",
                         field=f"{field}.trace")
    width = max(len(s) for s in layer.trace.sets)
    if min(len(s) for s in layer.trace.sets) == 0:
        raise InputError("contains an empty activated set", field=f"{field}.trace.sets")
    # pad shorter sets with their own first expert: the maximum over the set is unchanged
    sets = np.array([list(s) + [s[0]] * (width - len(s)) for s in layer.trace.sets], dtype=np.int64)
    return TraceProblem(tau=_bottleneck_tau(layer, field), sets=sets, n_experts=layer.n_experts, weights=layer.trace.weights,
                        activation=np.asarray(layer.activation, float), name=f"layer {layer.layer}")


def layer_problem(layer: LayerSubproblem, objective: str, *, field: str | None = None) -> Problem:
    """The placement problem of ``layer`` under ``objective``.

    Parameters
    ----------
    layer : LayerSubproblem
    objective : {"linear", "top2", "trace"}
        ``linear``: the layer's general ``cost`` matrix if given, else the rank-one
        cost ``activation[i] * tau_s[s]``. ``top2``: the QAP of the expected top-2
        bottleneck; needs ``k = 2`` and uses the layer's ``coactivation`` or, without
        it, the pair probabilities of :class:`spacexnet_opt.moe.TopKSampler`.
        ``trace``: the bottleneck over the layer's token ``trace``. For both
        bottlenecks a candidate's latency is ``tau_s`` plus, when the layer lists
        per-candidate ``gflops``, the expert's compute time ``expert_gflop / gflops``.
    field : str, optional
        Where the layer sits in its file (``"layers[3]"``), for error messages.

    Raises
    ------
    InputError
        Unknown objective, or data the objective needs is missing.
    """
    return _BUILDERS[_checked(objective)](layer, field or f"layer {layer.layer}")


_BUILDERS = {"linear": _linear, "top2": _top2, "trace": _trace}


def _checked(objective: str) -> str:
    if objective not in _BUILDERS:
        raise InputError(f"unknown objective {objective!r}; valid objectives: {', '.join(OBJECTIVES)}",
                         field="objective")
    return objective


@dataclass(frozen=True)
class LayerJob:
    """One problem to solve and how to name its answer.

    ``satellites[a[i]]`` is the satellite id of expert ``i`` (None for QAPLIB:
    the location index itself); ``gateway`` is None for QAPLIB.
    """

    layer: int
    gateway: int | None
    satellites: tuple[int, ...] | None
    problem: Problem

    @property
    def problem_best_known(self) -> float | None:
        """The QAPLIB best-known value of the problem, if any."""
        return getattr(self.problem, "best_known", None)

    def experts(self, assignment) -> list[int]:
        """Satellite id (or QAPLIB location) of every expert."""
        cols = [int(c) for c in assignment]
        return cols if self.satellites is None else [self.satellites[c] for c in cols]


def instance_jobs(instance: Instance, objective: str | None = None, *,
                  source: str | os.PathLike | None = None) -> list[LayerJob]:
    """One :class:`LayerJob` per layer of ``instance`` under ``objective`` (default ``linear``)."""
    objective = _checked(objective or "linear")
    jobs = []
    for index, layer in enumerate(instance.layers):
        try:
            problem = layer_problem(layer, objective, field=f"layers[{index}]")
        except InputError as exc:
            raise InputError(exc.message, field=exc.field, source=source) from None
        jobs.append(LayerJob(layer.layer, layer.gateway, tuple(layer.satellites), problem))
    return jobs


def load_problems(path: str | os.PathLike, objective: str | None = None) -> list[LayerJob]:
    """The problems of an instance file (one per layer) or of a QAPLIB ``.dat`` file.

    Parameters
    ----------
    path : path-like
        A ``spacexnet-instance`` JSON file, or a QAPLIB ``.dat`` (``.sln`` beside it optional).
    objective : {"linear", "top2", "trace"} or None
        For an instance file (default ``linear``). A QAPLIB file is a QAP; it
        accepts only None or ``"qap"``.
    """
    path = Path(path)
    if path.suffix.lower() == ".dat":
        if objective not in (None, "qap"):
            raise InputError(f"a QAPLIB file is a quadratic assignment problem; objective {objective!r} "
                             "does not apply (omit --objective)", field="objective", source=path)

        return [LayerJob(0, None, None, load_qaplib(path))]
    objective = _checked(objective or "linear")
    return instance_jobs(load_instance(path), objective, source=path)


def solve_jobs(jobs: Sequence[LayerJob], method: str | None = None, *, time_limit: float | None = None,
               options: Mapping[str, Any] | None = None, rng: int | np.random.Generator | None = None,
               progress: Progress = no_progress) -> list[SolveResult]:
    """Solve every job with ``method``; each layer gets ``rng`` (a seed gives every layer the same stream).

    ``progress(f"solve {method}", done, total)`` before and after each layer.
    """

    stage = f"solve {method or 'default method'}"
    results = []
    for done, job in enumerate(jobs):
        progress(stage, done, len(jobs))
        results.append(api.solve(job.problem, method=method, time_limit=time_limit, options=options, rng=rng))
    progress(stage, len(jobs), len(jobs))
    return results


def solve_instance(instance: Instance | str | os.PathLike, method: str | None = None, *,
                   objective: str | None = None, time_limit: float | None = None,
                   options: Mapping[str, Any] | None = None, rng: int | np.random.Generator | None = None,
                   progress: Progress = no_progress) -> Placement:
    """Solve every layer of an instance (or of a QAPLIB file) with one method.

    Parameters
    ----------
    instance : Instance or path
        An instance, an instance file or a QAPLIB ``.dat`` file.
    method : str
        A solver method (:data:`spacexnet_opt.solve.METHODS`).
    objective : {"linear", "top2", "trace"}, optional
        For an instance (default ``linear``); a QAPLIB file is a QAP.
    time_limit : float, optional
        Seconds per layer.
    options : dict, optional
        Method options, passed to :func:`~spacexnet_opt.solve.solve`.
    rng : None, int or numpy.random.Generator, optional
        Seed of randomised methods.
    progress : Progress, optional
        Called after each layer.

    Returns
    -------
    Placement
        Per layer the satellite of every expert, its recomputed objective,
        status, bound and time; ``total_objective`` sums the layers.

    Raises
    ------
    SolverError
        A layer without any placement, unless stopped at its time limit (see :func:`placement_from_results`).

    Examples
    --------
    >>> layer = LayerSubproblem(layer=0, gateway=9, next_gateway=19, k=1,
    ...     satellites=[1, 2, 3], tau_s=[0.3, 0.1, 0.2], activation=[0.75, 0.25])
    >>> placement = solve_instance(Instance(scenario={"name": "toy"}, layers=[layer]), "hungarian")
    >>> placement.layers[0].experts, placement.layers[0].status.value
    ([2, 3], 'OPTIMAL')
    """
    if isinstance(instance, Instance):
        name, jobs = str(instance.scenario.get("name", "")), instance_jobs(instance, objective)
    else:
        name, jobs = str(instance), load_problems(instance, objective)
    results = solve_jobs(jobs, method, time_limit=time_limit, options=options, rng=rng, progress=progress)
    return placement_from_results(jobs, results, instance=name, objective=objective, time_limit=time_limit, rng=rng)


def placement_from_results(jobs: Sequence[LayerJob], results: Sequence[SolveResult], *, instance: str,
                           objective: str | None = None, time_limit: float | None = None,
                           rng: int | np.random.Generator | None = None) -> Placement:
    """The :class:`Placement` of solved jobs (the second half of :func:`solve_instance`).

    A layer stopped at its time limit without an incumbent keeps its bound with null ``experts`` and
    ``objective`` (``total_objective`` is then null); any other layer without a placement raises
    :class:`SolverError`.
    """
    layers = []
    for job, result in zip(jobs, results):
        if result.assignment is None and result.status is not Status.TIME_LIMIT:
            raise SolverError(f"{result.method} found no placement for layer {job.layer} "
                              f"(status {result.status.value})")
        layers.append(PlacementLayer(layer=job.layer, gateway=job.gateway, objective=result.objective,
                                     experts=None if result.assignment is None else job.experts(result.assignment),
                                     status=result.status, bound=result.bound, runtime_s=result.runtime_s))
    kind = "qap" if jobs[0].satellites is None else (objective or "linear")
    total = None if any(layer.objective is None for layer in layers) else sum(layer.objective for layer in layers)
    return Placement(instance=instance, method=results[0].method, objective=kind, time_limit_s=time_limit or None,
                     seed=rng if isinstance(rng, int) else None, layers=layers, total_objective=total)
