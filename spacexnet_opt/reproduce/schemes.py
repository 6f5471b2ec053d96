"""The placement schemes compared in the paper's Table II, and the ones this toolkit adds.

Paper: ``RandPlace``, ``RandIntra``, ``RandIntra-CG`` (seeded random baselines)
and ``Space-XNet`` (ring subnets, central gateway, experts sorted by activation
probability against candidates sorted by expected path latency). Added:
``Space-XNet-top2`` (the exact expected top-2 bottleneck, a QAP solved by
exhaustive search over the E fastest candidates), ``Space-XNet-median``
(median gateways instead of central ones, then the sorted rule) and
``Space-XNet-opt`` (the whole deployment optimised by ``spacexnet optimize``
with :func:`spacexnet_opt.deploy.optimize.best_options`).

>>> list(SCHEMES)
['RandPlace', 'RandIntra', 'RandIntra-CG', 'Space-XNet', 'Space-XNet-top2', 'Space-XNet-median', 'Space-XNet-opt']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..evaluate.deployment import BASELINE_SCHEMES, Deployment, deployment_from_baseline
from ..formats.instance import Instance, LayerSubproblem

if TYPE_CHECKING:
    from ..partition import RingPartition

__all__ = ["SCHEMES", "PAPER_SCHEMES", "RANDOM_SCHEMES", "solved_deployment", "scheme_deployment", "scheme_rules"]

PAPER_SCHEMES = ("RandPlace", "RandIntra", "RandIntra-CG", "Space-XNet")
RANDOM_SCHEMES = BASELINE_SCHEMES
# scheme -> (objective, method, gateway rule) for the solved schemes
SOLVED = {
    "Space-XNet": ("linear", "sorted", "center"),
    "Space-XNet-top2": ("top2", "brute", "center"),
    "Space-XNet-median": ("linear", "sorted", "median"),
}
SCHEMES = {name: ("random", name, None) for name in RANDOM_SCHEMES} | {n: ("solved",) + v for n, v in SOLVED.items()} \
    | {"Space-XNet-opt": ("optimised", "optimize", "best_options")}


def solved_deployment(layers: list[LayerSubproblem], *, objective: str, method: str, name: str) -> Deployment:
    """Solve every layer subproblem with ``method`` under ``objective`` and return the deployment."""
    from ..errors import SolverError
    from ..solve.from_instance import solve_instance

    placement = solve_instance(Instance(scenario={"name": name}, layers=layers), method, objective=objective, rng=0)
    if placement.total_objective is None:
        raise SolverError(f"{method} found no placement for some layer of {name}")
    experts = np.array([entry.experts for entry in placement.layers])
    return Deployment(np.array([layer.gateway for layer in layers]), experts, name=name)


def scheme_deployment(name: str, *, partition: RingPartition, layers: Mapping[str, list[LayerSubproblem]],
                      n_experts: int, seed: int = 0, method: str | None = None) -> Deployment:
    """The deployment of scheme ``name``: random schemes use ``seed``, solved ones the layers of their gateway
    rule and their own solver (or ``method``)."""
    try:
        kind, *spec = SCHEMES[name]
    except KeyError:
        raise ValueError(f"unknown scheme {name!r}; valid schemes: {', '.join(SCHEMES)}") from None
    if kind == "random":
        return deployment_from_baseline(partition, n_experts, scheme=name, seed=seed)
    objective, own_method, rule = spec
    if rule not in layers:
        raise ValueError(f"scheme {name} needs the subproblems of {rule} gateways")
    return solved_deployment(layers[rule], objective=objective, method=method or own_method, name=name)


def scheme_rules(schemes: Sequence[str]) -> list[str]:
    """The gateway rules the solved schemes among ``schemes`` need, in first-use order."""
    return list(dict.fromkeys(SCHEMES[s][3] for s in schemes if s in SCHEMES and SCHEMES[s][0] == "solved"))
