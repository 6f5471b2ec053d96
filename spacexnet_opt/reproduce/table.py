"""Run placement schemes over seeds on one world and summarise them (the Table II analogue).

>>> PAPER_TABLE2["Space-XNet"]
(1.02, 1.07)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from .schemes import RANDOM_SCHEMES, SCHEMES, scheme_deployment

__all__ = ["PAPER_TABLE2", "run_schemes"]

PAPER_TABLE2 = {"RandPlace": (5.28, 5.30), "RandIntra": (4.13, 4.16), "RandIntra-CG": (3.34, 3.37),
                "Space-XNet": (1.02, 1.07)}
"""The paper's Table II, s/token, range over its 8 data sets."""

Progress = Callable[[str, int, int], None]


def _optimised(world, progress, *, groups: bool = False):
    """Space-XNet-opt(-tp), optimised on the world's own (in-sample) statistics even when evaluated out of sample."""
    from ..deploy.optimize import best_options, optimize_deployment
    from ..evaluate import laws_from_stats

    if world.stats is not None:
        world = world.with_laws(laws_from_stats(world.stats), "in sample")
    if groups:
        from ..deploy.tp_deploy import optimize_with_groups

        return replace(optimize_with_groups(world, **best_options(world), progress=progress).plan,
                       name="Space-XNet-opt-tp")
    return optimize_deployment(world, **best_options(world), progress=progress).plan


def run_schemes(world, schemes: Sequence[str], *, seeds: int = 10, tokens: int = 100_000, seed: int = 0,
                median_layers=None, progress: Progress | None = None, keep: dict | None = None) -> dict:
    """Evaluate ``schemes`` on ``world``; random schemes over ``seeds`` placements.

    Every scheme gets ``tokens`` Monte Carlo tokens in all (a random scheme
    ``tokens // seeds`` per placement; 0 = exact expectations only). Returns
    ``{scheme: summary}`` in the order given, where ``mean_s_per_token`` is the
    mean over placements, ``std_s`` the standard deviation over placements (0 for
    a deterministic scheme), ``ci95_s`` the Monte Carlo 95 % interval of the mean.
    ``keep``, a dict, receives each scheme's first deployment (a :class:`~spacexnet_opt.deploy.Plan`).
    """
    from ..deploy import evaluate_plans, plan_from_deployment

    say = progress or (lambda stage, done, total: None)
    unknown = [s for s in schemes if s not in SCHEMES]
    if unknown:
        raise ValueError(f"unknown scheme {unknown[0]!r}; valid schemes: {', '.join(SCHEMES)}")
    plan = []
    base = {name: SCHEMES[name][1] if SCHEMES[name][0] == "grouped" else name for name in schemes}
    for name in schemes:
        for s in (range(seed, seed + seeds) if base[name] in RANDOM_SCHEMES else [None]):
            say(f"placing {name}", len(plan), 0)
            if SCHEMES[name][0] == "optimised":
                plan.append((name, _optimised(world, say, groups=name.endswith("-tp"))))
                continue
            plan.append((name, plan_from_deployment(scheme_deployment(
                base[name], partition=world.partition, layers=world.layers, n_experts=world.n_experts, seed=s,
                median_layers=median_layers))))
    grouped = [j for j, (name, _) in enumerate(plan) if SCHEMES[name][0] == "grouped"]
    if grouped:
        from ..deploy.tp_deploy import attach_groups

        for j, p in zip(grouped, attach_groups(world, [plan[j][1] for j in grouped], progress=progress)):
            plan[j] = (plan[j][0], p)
    per = {name: (max(tokens // seeds, 2) if tokens and base[name] in RANDOM_SCHEMES else tokens)
           for name in schemes}
    routed = evaluate_plans(world, [d for _, d in plan], tokens=[per[name] for name, _ in plan], seed=seed,
                            progress=lambda done, total: say("routing + simulating", done, total))
    for name, d in plan:
        if keep is not None:
            keep.setdefault(name, d)
    evals = [(name, ev) for (name, _), ev in zip(plan, routed)]
    out = {}
    for name in schemes:
        mine = [ev for n, ev in evals if n == name]
        means = np.array([ev.montecarlo.mean_s if ev.montecarlo else ev.snapshot.total_s for ev in mine])
        exact = np.array([ev.snapshot.total_s for ev in mine])
        row = {
            "mean_s_per_token": float(means.mean()),
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
                                                                   for ev in mine]))})
        out[name] = row
    return out
