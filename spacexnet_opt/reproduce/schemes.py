"""The placement schemes compared in the paper's Table II, and the ones this toolkit adds.

Paper: ``RandPlace``, ``RandIntra``, ``RandIntra-CG`` (seeded random baselines)
and ``Space-XNet`` (ring subnets, central gateway, experts sorted by activation
probability against candidates sorted by expected path latency). Added:
``Space-XNet-top2`` (the exact expected top-2 bottleneck, a QAP solved by
exhaustive search over the E fastest candidates), ``Space-XNet-median``
(median gateways instead of central ones, then the sorted rule) and
``Space-XNet-opt-paper`` (the paper's rules kept: ring bands, the same satellites, one
expert per satellite, no replicas; only the gateways chosen by the ring DP, so its gain is placement alone),
``Space-XNet-opt`` (the whole deployment optimised by ``spacexnet optimize``
with :func:`spacexnet_opt.optimize.deployment.best_options`). With compute groups
(:mod:`spacexnet_opt.optimize.compute_groups`): ``Space-XNet-opt-tp`` and, for the
second comparison, every paper scheme with the same groups (``RandPlace-tp`` ...,
not in :data:`DEFAULT_SCHEMES`: on the mega shell they route every random gateway).
``Space-XNet+lm-head`` is Space-XNet's deployment with the LM head and
embeddings charged at the first gateway (compute and memory; the scenario field
``[model] charge_lm_head`` charges them on every row), listed last so that the
other rows' Monte Carlo streams stay.

Every scheme records the :class:`Resources` its rules allow; two rows compare equal resources when these are
equal (``tests/test_ratios.py`` holds every documented ratio to that). What a deployment actually uses is
:func:`used_resources`.

>>> list(SCHEMES)
['RandPlace', 'RandIntra', 'RandIntra-CG', 'Space-XNet', 'Space-XNet-top2', 'Space-XNet-median', 'Space-XNet-opt', 'Space-XNet-opt-tp', 'Space-XNet-opt-paper', 'RandPlace-tp', 'RandIntra-tp', 'RandIntra-CG-tp', 'Space-XNet-tp', 'Space-XNet+lm-head']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np

from ..errors import InputError
from ..evaluate.deployment import BASELINE_SCHEMES, Deployment, deployment_from_baseline, deployment_from_solver
from ..formats.instance import Instance, LayerSubproblem
from ..solve.backends.brute import MAX_ASSIGNMENTS

if TYPE_CHECKING:
    from ..moe import ModelProfile
    from ..partition import RingPartition

__all__ = ["Scheme", "Resources", "SCHEMES", "used_resources", "DEFAULT_SCHEMES", "PAPER_SCHEMES", "RANDOM_SCHEMES",
           "scheme_deployment", "scheme_rules", "base_scheme", "scheme_obstacle", "model_schemes"]

PAPER_SCHEMES = ("RandPlace", "RandIntra", "RandIntra-CG", "Space-XNet")
RANDOM_SCHEMES = BASELINE_SCHEMES


@dataclass(frozen=True)
class Resources:
    """What a scheme's rules let it use, beyond the placement itself.

    ``satellites``: which satellites may hold experts; ``experts_per_satellite``: experts of one layer on
    one satellite; ``replicas``: extra expert copies; ``compute_groups``: satellites splitting a layer's
    non-expert work with its gateway.
    """

    satellites: str = "one per expert and a gateway per layer"
    experts_per_satellite: str = "1"
    replicas: str = "0"
    compute_groups: str = "none (the gateway computes alone)"

    def differences(self, other: Resources) -> list[str]:
        """The fields in which ``other`` differs.

        >>> SCHEMES["Space-XNet"].resources.differences(SCHEMES["Space-XNet-opt"].resources)
        ['satellites', 'experts_per_satellite', 'replicas']
        """
        return [name for name, mine in vars(self).items() if getattr(other, name) != mine]


PAPER_RESOURCES = Resources()
"""The paper's: a band per layer, one expert per satellite, no replicas, no compute groups."""
_WATERFILL = "waterfill, up to 16 of the 32 satellites nearest each gateway"
_BEST = Resources(satellites="one per expert group and a gateway per layer, plus up to 64 spare satellites for "
                             "replicas (layers of at most 64 experts)",
                  experts_per_satellite="up to 8 (up to 4 for layers above 64 experts)",
                  replicas="up to 64 (layers of at most 64 experts)")


@dataclass(frozen=True)
class Scheme:
    """One placement scheme: how its deployment is made.

    ``kind``: ``random`` (a seeded baseline of the paper), ``solved`` (the ring
    subnets' layers solved by ``method`` under ``objective`` with the gateways
    of ``gateway_rule``), ``optimised`` (``spacexnet optimize`` with
    ``levers``), or ``grouped`` (scheme ``base`` given compute groups). ``resources``: what its rules let it
    use (:class:`Resources`). ``lm_head``: its deployment charges the LM head and embeddings
    (:attr:`~spacexnet_opt.evaluate.Deployment.charge_lm_head`).
    """

    name: str
    kind: Literal["random", "solved", "optimised", "grouped"]
    objective: str | None = None
    method: str | None = None
    gateway_rule: str | None = None
    base: str | None = None
    levers: str | None = None
    resources: Resources = PAPER_RESOURCES
    lm_head: bool = False

    def recipe(self) -> list:
        """What ``table2.json`` records of the scheme under ``assumptions.scheme_solvers``."""
        solved = [self.objective, self.method, self.gateway_rule, *(["LM head and embeddings charged"]
                                                                     if self.lm_head else [])]
        return {"random": [self.name, None], "solved": solved,
                "optimised": [self.method, self.levers], "grouped": [self.base, self.levers]}[self.kind]


_GROUPS = "waterfill compute groups"
SCHEMES: Mapping[str, Scheme] = {s.name: s for s in (
    *(Scheme(name, "random") for name in RANDOM_SCHEMES),
    Scheme("Space-XNet", "solved", objective="linear", method="sorted", gateway_rule="center"),
    Scheme("Space-XNet-top2", "solved", objective="top2", method="brute", gateway_rule="center"),
    Scheme("Space-XNet-median", "solved", objective="linear", method="sorted", gateway_rule="median"),
    Scheme("Space-XNet-opt", "optimised", method="optimize", levers="best_options", resources=_BEST),
    # compute groups: the optimised deployment with groups, and every paper scheme given the same groups
    Scheme("Space-XNet-opt-tp", "optimised", method="optimize", levers=f"best_options + {_GROUPS}",
           resources=replace(_BEST, compute_groups=_WATERFILL)),
    # the same optimiser held to the paper's rules (listed after the others: their Monte Carlo streams stay)
    Scheme("Space-XNet-opt-paper", "optimised", method="optimize",
           levers="gateways dp; the paper's rules: ring bands, one expert per satellite, no replicas"),
    *(Scheme(f"{name}-tp", "grouped", base=name, levers=_GROUPS,
             resources=replace(PAPER_RESOURCES, compute_groups=_WATERFILL)) for name in PAPER_SCHEMES),
    # the model's missing cost: Space-XNet with the LM head and embeddings charged (last: the streams stay)
    Scheme("Space-XNet+lm-head", "solved", objective="linear", method="sorted", gateway_rule="center", lm_head=True),
)}
"""Every scheme by name."""
DEFAULT_SCHEMES = tuple(name for name, scheme in SCHEMES.items() if scheme.kind != "grouped")
"""What ``reproduce`` runs without ``--schemes`` (less what the model cannot run, :func:`model_schemes`): the
baselines with groups are asked for by name."""


def scheme_obstacle(name: str, *, top_k: int, n_experts: int) -> str | None:
    """Why scheme ``name`` cannot run on a model routing ``top_k`` of ``n_experts`` experts, or None.

    Only a solved scheme's objective and method restrict the model: ``Space-XNet-top2``'s objective is the
    exact latency of top-2 routing, and its ``brute`` search enumerates the ``n_experts!`` expert orders on
    the fastest candidates, at most :data:`~spacexnet_opt.solve.backends.brute.MAX_ASSIGNMENTS`.

    >>> scheme_obstacle("Space-XNet-top2", top_k=8, n_experts=16)
    'needs top-2 routing, the model routes top-8'
    >>> scheme_obstacle("Space-XNet-top2", top_k=2, n_experts=16)
    "searches all 16! orders of the experts, more than brute's limit of 1,000,000"
    >>> scheme_obstacle("Space-XNet", top_k=8, n_experts=256) is None
    True
    """

    scheme = SCHEMES[base_scheme(name)]
    if scheme.kind != "solved":
        return None
    if scheme.objective == "top2" and top_k != 2:
        return f"needs top-2 routing, the model routes top-{top_k}"
    if scheme.method == "brute" and math.factorial(n_experts) > MAX_ASSIGNMENTS:
        return f"searches all {n_experts}! orders of the experts, more than brute's limit of {MAX_ASSIGNMENTS:,}"
    return None


def model_schemes(profile: ModelProfile, schemes: Sequence[str] | None = None, *,
                  field: str = "schemes") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The schemes to run on a model, checked before any work: ``(schemes, notes)``.

    ``schemes`` None: :data:`DEFAULT_SCHEMES` less those the model cannot run, with one note per scheme
    left out. Given schemes run as given; an unknown one, or one the model cannot run
    (:func:`scheme_obstacle`), raises :class:`~spacexnet_opt.errors.InputError` naming ``field``.

    >>> from spacexnet_opt.moe import get_profile
    >>> chosen, notes = model_schemes(get_profile("qwen1.5-moe-a2.7b"))
    >>> "Space-XNet-top2" in chosen, notes
    (False, ('Space-XNet-top2 left out: it needs top-2 routing, the model routes top-4 (qwen1.5-moe-a2.7b)',))
    >>> model_schemes(get_profile("qwen1.5-moe-a2.7b"), ["Space-XNet-top2"])
    Traceback (most recent call last):
    ...
    spacexnet_opt.errors.InputError: schemes: Space-XNet-top2 needs top-2 routing, the model routes top-4 \
(qwen1.5-moe-a2.7b); schemes it can run: RandPlace, RandIntra, RandIntra-CG, Space-XNet, Space-XNet-median, \
Space-XNet-opt, Space-XNet-opt-tp, Space-XNet-opt-paper, RandPlace-tp, RandIntra-tp, RandIntra-CG-tp, Space-XNet-tp, \
Space-XNet+lm-head
    """
    unknown = [s for s in schemes or () if s not in SCHEMES]
    if unknown or schemes is not None and not schemes:
        what = f"unknown scheme {unknown[0]!r}" if unknown else "no scheme given"
        raise InputError(f"{what}; valid schemes: {', '.join(SCHEMES)}", field=field)
    obstacles = {name: scheme_obstacle(name, top_k=profile.top_k, n_experts=profile.n_experts) for name in SCHEMES}
    if schemes is None:
        return (tuple(s for s in DEFAULT_SCHEMES if obstacles[s] is None),
                tuple(f"{s} left out: it {obstacles[s]} ({profile.name})" for s in DEFAULT_SCHEMES if obstacles[s]))
    bad = next((s for s in schemes if obstacles[s]), None)
    if bad is not None:
        raise InputError(f"{bad} {obstacles[bad]} ({profile.name}); schemes it can run: "
                         f"{', '.join(s for s in SCHEMES if obstacles[s] is None)}", field=field)
    return tuple(schemes), ()


def scheme_deployment(name: str, *, partition: RingPartition, layers: Mapping[str, list[LayerSubproblem]],
                      n_experts: int, seed: int = 0, method: str | None = None) -> Deployment:
    """The deployment of scheme ``name``: random schemes use ``seed``, solved ones the layers of their gateway
    rule and their own solver (or ``method``)."""
    try:
        scheme = SCHEMES[name]
    except KeyError:
        raise ValueError(f"unknown scheme {name!r}; valid schemes: {', '.join(SCHEMES)}") from None
    if scheme.kind == "random":
        return deployment_from_baseline(partition, n_experts, scheme=name, seed=seed)
    if scheme.gateway_rule not in layers:
        raise ValueError(f"scheme {name} needs the subproblems of {scheme.gateway_rule} gateways")
    return deployment_from_solver(layers[scheme.gateway_rule], objective=scheme.objective,
                                  method=method or scheme.method, name=name).replace(charge_lm_head=scheme.lm_head)


def base_scheme(name: str) -> str:
    """The scheme whose placement ``name`` uses: ``RandPlace-tp`` -> ``RandPlace``; others unchanged.

    >>> base_scheme("Space-XNet-tp"), base_scheme("Space-XNet-opt-tp")
    ('Space-XNet', 'Space-XNet-opt-tp')
    """
    return SCHEMES[name].base if name in SCHEMES and SCHEMES[name].kind == "grouped" else name


def scheme_rules(schemes: Sequence[str]) -> list[str]:
    """The gateway rules the solved schemes among ``schemes`` need (their own or their base's), in first-use order."""
    bases = [base_scheme(s) for s in schemes]
    return list(dict.fromkeys(SCHEMES[s].gateway_rule for s in bases if s in SCHEMES and SCHEMES[s].kind == "solved"))


def used_resources(deployment: Deployment) -> dict:
    """What ``deployment`` uses: distinct satellites (gateways, expert copies, compute-group members), the most
    experts of one layer on one satellite, the expert copies beyond the first, and the largest compute group
    (1: the gateway alone).

    >>> d = Deployment(np.array([0, 5]), np.array([[[1, 3], [1, -1]], [[6, -1], [7, -1]]]), capacity=2)
    >>> used_resources(d)
    {'satellites': 6, 'experts_per_satellite': 2, 'replicas': 1, 'compute_group': 1}
    """
    hosts = deployment.hosts
    per_satellite = max(int(np.unique(layer[layer >= 0], return_counts=True)[1].max()) for layer in hosts)
    return {"satellites": len(deployment.satellites), "experts_per_satellite": per_satellite,
            "replicas": deployment.n_replicas,
            "compute_group": max((g.size for g in deployment.groups or ()), default=1)}
