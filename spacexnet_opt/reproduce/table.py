"""Run placement schemes over seeds on one world and summarise them (the Table II analogue).

>>> PAPER_TABLE2["Space-XNet"]
(1.02, 1.07)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..evaluate import ComputeModel, Deployment, World
from ..evaluate.montecarlo import pooled_cdf
from ..formats.instance import LayerSubproblem
from ..progress import Progress, no_progress
from ..threads import thread_map
from .schemes import RANDOM_SCHEMES, SCHEMES, base_scheme, scheme_deployment, scheme_rules, used_resources
from ..setting import route_candidates, setting_layers
from ..evaluate import deployment_legs, world_from_setting
from ..evaluate import laws_from_stats
from ..optimize import Levers, add_compute_groups, best_options, optimize_deployment
from ..evaluate import evaluate_deployments
from ..evaluate.deployments import evaluate_grouped
from ..evaluate.group_phases import trivial_groups
from ..optimize.compute_groups import attach_groups

if TYPE_CHECKING:
    from ..setting import Setting
    from ..partition import RingPartition

__all__ = ["PAPER_TABLE2", "random_deployments", "scheme_world", "run_schemes"]

PAPER_TABLE2 = {"RandPlace": (5.28, 5.30), "RandIntra": (4.13, 4.16), "RandIntra-CG": (3.34, 3.37),
                "Space-XNet": (1.02, 1.07)}
"""The paper's Table II, s/token, range over its 8 data sets."""


def random_deployments(partition: RingPartition, n_experts: int, schemes: Sequence[str], *, seeds: int,
                       seed: int = 0) -> list[tuple[str, Deployment]]:
    """The placements of the random schemes among ``schemes`` (or their bases, for ``RandPlace-tp`` and the like):
    ``seeds`` of each, seeded ``seed, seed + 1, ...``."""
    bases = dict.fromkeys(base_scheme(name) for name in schemes)
    return [(name, scheme_deployment(name, partition=partition, layers={}, n_experts=n_experts, seed=s))
            for name in bases if name in RANDOM_SCHEMES for s in range(seed, seed + seeds)]


def scheme_world(setting: Setting, schemes: Sequence[str], *, seeds: int, seed: int = 0,
                 compute: ComputeModel | None = None,
                 progress: Progress = no_progress) -> tuple[World, dict[str, list[LayerSubproblem]]]:
    """The world ``schemes`` run on, every snapshot routed once.

    One routing pass serves the candidate legs of the scenario's gateways and of
    every other gateway rule a solved scheme needs, and the legs of the random
    schemes' placements (:func:`random_deployments`), so that evaluating all of
    them routes nothing again. Returns the world (layers of the scenario's rule)
    and the layers per rule (``"center"``: the world's).
    """

    _check_schemes(schemes)
    rules = [rule for rule in scheme_rules(schemes) if rule != "center"]
    extra = [deployment_legs(d) for _, d in random_deployments(setting.partition, setting.n_experts, schemes,
                                                               seeds=seeds, seed=seed)]
    paths = route_candidates(setting, [None, *rules], extra_legs=extra, progress=progress)
    world = world_from_setting(setting, compute=compute, paths=paths, progress=progress)
    layers = {"center": world.layers}
    layers.update({rule: setting_layers(setting, gateway_rule=rule, paths=paths).layers for rule in rules})
    return world, layers


def _check_schemes(schemes: Sequence[str]) -> None:
    unknown = [s for s in schemes if s not in SCHEMES]
    if unknown:
        raise ValueError(f"unknown scheme {unknown[0]!r}; valid schemes: {', '.join(SCHEMES)}")


PAPER_RULES = Levers(gateways="dp")
"""The levers ``Space-XNet-opt-paper`` may use: gateways chosen by the ring DP, on the paper's ring bands (the same
satellites), one expert per satellite, no replicas, no compute groups."""


def _optimised(world: World, names: Sequence[str], progress: Progress, *, levers: dict | None = None) -> dict:
    """Space-XNet-opt, -opt-tp and -opt-paper among ``names``, optimised on the world's own (in-sample) statistics
    even when evaluated out of sample: -opt-tp is -opt's deployment with compute groups added (fitted on link
    failures drawn apart from the evaluation's; under ``"Space-XNet-opt-tp in sample"``, fitted on the
    evaluation's own); -opt-paper keeps the paper's rules (:data:`PAPER_RULES`), so its gain over Space-XNet is
    placement alone.

    ``levers``: the :class:`~spacexnet_opt.optimize.Levers` values (default:
    :func:`~spacexnet_opt.optimize.best_options`; the groups of -opt-tp by ``waterfill`` unless they say otherwise).
    """

    stats = getattr(world.setting, "statistics", None)
    if stats is not None:
        world = world.with_laws(laws_from_stats(stats), "in sample")
    out = {}
    if "Space-XNet-opt-paper" in names:   # the paper's rules: bands, one expert per satellite, no replicas
        out["Space-XNet-opt-paper"] = replace(optimize_deployment(world, PAPER_RULES, progress=progress).plan,
                                              name="Space-XNet-opt-paper")
    if not {"Space-XNet-opt", "Space-XNet-opt-tp"} & set(names):
        return out
    levers = best_options(world) if levers is None else Levers.of(**levers)
    result = optimize_deployment(world, levers.without_groups(), progress=progress)
    out["Space-XNet-opt"] = result.plan
    if "Space-XNet-opt-tp" in names:
        def grouped(in_sample: bool) -> Deployment:
            found = add_compute_groups(world, result, group_size=levers.group_size, in_sample=in_sample,
                                       method=levers.compute_group if levers.groups else "waterfill",
                                       group_candidates=levers.group_candidates, progress=progress)
            return replace(found.plan, name="Space-XNet-opt-tp")

        # the two fits read different draws and solve their share LPs with the GIL released: run them at once
        out["Space-XNet-opt-tp"], out["Space-XNet-opt-tp in sample"] = thread_map(grouped, (False, True))
    return out


def run_schemes(world: World, schemes: Sequence[str], *, seeds: int = 10, tokens: int = 100_000, seed: int = 0,
                layers: Mapping[str, list[LayerSubproblem]] | None = None, method: str | None = None,
                progress: Progress = no_progress, keep: dict | None = None, levers: dict | None = None) -> dict:
    """Evaluate ``schemes`` on ``world``; random schemes over ``seeds`` placements.

    Every scheme gets ``tokens`` Monte Carlo tokens in all (a random scheme
    ``tokens // seeds`` per placement; 0 = exact expectations only). Solved
    schemes use ``layers[rule]`` of their gateway rule (default: the world's
    layers as ``"center"``) and their own solver, or ``method``. Returns ``{scheme: summary}`` in the order given,
    where ``mean_s_per_token`` is the mean over placements, ``std_s`` the
    standard deviation over placements (0 for a deterministic scheme),
    ``ci95_s`` the Monte Carlo 95 % interval of the mean, ``in_sample_s_per_token`` the same mean with every
    compute group fitted on the evaluated link-failure draws themselves (None for a row without groups; the
    mean's groups are fitted on separate draws, :func:`~spacexnet_opt.optimize.group_choice.fit_snapshots`),
    ``resources`` what the first placement uses (:func:`~.schemes.used_resources`). ``keep``, a dict,
    receives each scheme's first deployment (a :class:`~spacexnet_opt.evaluate.Deployment`). ``levers``: the
    options of the ``Space-XNet-opt(-tp)`` rows (default: the best levers for the world).
    """

    _check_schemes(schemes)
    plan, in_sample = _scheme_plans(world, schemes, seeds=seeds, seed=seed, layers=layers or {"center": world.layers},
                                    method=method, progress=progress, levers=levers)
    per = {name: (max(tokens // seeds, 2) if tokens and base_scheme(name) in RANDOM_SCHEMES else tokens)
           for name in schemes}
    routed = evaluate_deployments(world, [d for _, d in plan], tokens=[per[name] for name, _ in plan], seed=seed,
                            progress=progress)
    # the same deployments with their groups fitted on the evaluated draws, on the same Monte Carlo streams
    fitted = {j: evaluate_grouped(world, d, per[plan[j][0]], np.random.default_rng([seed, j]), progress=progress)
              for j, d in in_sample.items() if not trivial_groups(d)}
    for name, d in plan:
        if keep is not None:
            keep.setdefault(name, d)
    rows = {}
    for name in schemes:
        mine = [j for j, (n, _) in enumerate(plan) if n == name]
        rows[name] = _summary([routed[j] for j in mine], tokens)
        rows[name]["in_sample_s_per_token"] = (_mean([fitted[j] for j in mine]) if mine[0] in fitted else None)
        rows[name]["resources"] = used_resources(plan[mine[0]][1])
    return rows


def _scheme_plans(world: World, schemes: Sequence[str], *, seeds: int, seed: int,
                  layers: Mapping[str, list[LayerSubproblem]], method: str | None, progress: Progress,
                  levers: dict | None = None) -> tuple[list, dict[int, Deployment]]:
    """``(scheme, Deployment)`` pairs: every placement of every scheme (random ones ``seeds`` times); and by
    position among them, each deployment with compute groups again with the groups fitted in sample."""

    randoms = random_deployments(world.partition, world.n_experts, schemes, seeds=seeds, seed=seed)
    optimised = [name for name in schemes if SCHEMES[name].kind == "optimised"]
    optimised = _optimised(world, optimised, progress, levers=levers) if optimised else {}
    plan = []
    for name in schemes:
        progress(f"placing {name}", len(plan), 0)
        base = base_scheme(name)
        if base in RANDOM_SCHEMES:
            plan += [(name, d) for n, d in randoms if n == base]
        elif SCHEMES[name].kind == "optimised":
            plan.append((name, optimised[name]))
        else:
            plan.append((name, scheme_deployment(
                base, partition=world.partition, layers=layers, n_experts=world.n_experts, method=method)))
    in_sample = {j: optimised[f"{name} in sample"] for j, (name, _) in enumerate(plan)
                 if f"{name} in sample" in optimised}
    grouped = [j for j, (name, _) in enumerate(plan) if SCHEMES[name].kind == "grouped"]
    if grouped:
        bare = [plan[j][1] for j in grouped]
        for j, p in zip(grouped, attach_groups(world, bare, progress=progress)):
            plan[j] = (plan[j][0], p)
        in_sample.update(zip(grouped, attach_groups(world, bare, in_sample=True, progress=progress)))
    return plan, in_sample


def _mean(evaluations: list) -> float:
    """Mean s/token over placements: Monte Carlo when simulated, else the exact snapshot mean."""
    return float(np.mean([ev.montecarlo.mean_s if ev.montecarlo else ev.snapshot.total_s for ev in evaluations]))


def _summary(mine: list, tokens: int) -> dict:
    """One scheme's row of ``table2.json`` from the evaluations of its placements."""
    means = np.array([ev.montecarlo.mean_s if ev.montecarlo else ev.snapshot.total_s for ev in mine])
    exact = np.array([ev.snapshot.total_s for ev in mine])
    row = {
        "mean_s_per_token": _mean(mine),
        "std_s": float(means.std(ddof=1)) if len(means) > 1 else 0.0,
        "placements": len(mine),
        "analytic_s_per_token": float(np.mean([ev.analytic.total_s for ev in mine])),
        "snapshot_exact_s_per_token": float(exact.mean()),
        "propagation_s_per_token": float(np.mean([ev.snapshot.propagation_s.sum() for ev in mine])),
        "compute_s_per_token": float(np.mean([ev.snapshot.compute_s.sum() + ev.snapshot.per_token_s
                                              for ev in mine])),
    }
    if tokens:
        lat_var = np.mean([ev.montecarlo.std_s ** 2 / ev.montecarlo.n_tokens for ev in mine]) / len(mine)
        half = 1.959963984540054 * np.sqrt(lat_var)
        row.update({"tokens": int(sum(ev.montecarlo.n_tokens for ev in mine)),
                    "ci95_s": [float(row["mean_s_per_token"] - half), float(row["mean_s_per_token"] + half)],
                    "p99_s_per_token": float(np.mean([ev.montecarlo.p99_s for ev in mine])),
                    "disconnected_token_share": float(np.mean([ev.montecarlo.disconnected_token_share
                                                               for ev in mine])),
                    "cdf": pooled_cdf([ev.montecarlo for ev in mine])})
    return row
