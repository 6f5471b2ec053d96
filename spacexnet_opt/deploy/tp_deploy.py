"""``optimize_with_groups``: a deployment of :func:`~.optimize.optimize_deployment` plus a compute group per layer.

The placement levers (shape, gateways, replicas) are optimised first under
the paper's compute model; then every layer's group is chosen for its gateway
(:func:`~.tp_optimize.choose_groups`). The layer objective is additive (the
group's phase is a per-snapshot constant inside the layer's max over expert
legs), so given the gateways the groups and the expert placement do not
interact in time: a member may host experts or be another layer's gateway (the
token is in one layer at a time). They share memory: with a scenario memory
model, a satellite that would hold more than its memory is removed from the
candidates of the layers that made it overflow and those layers are chosen
again (at most ``repairs`` rounds); what still overflows is refused with a
one-line error. The result is evaluated exactly and kept only if it beats the
same deployment without groups, so it is never worse.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ..errors import InputError
from .file import Decision

__all__ = ["optimize_with_groups", "attach_groups"]


def _memory_repair(world, plan, choices, memory, bpp, choose, *, repairs: int):
    from .memory import check_group_memory

    allowed = np.ones((plan.n_layers, world.n_sats), dtype=bool)
    for _ in range(repairs):
        trial = replace(plan, groups=tuple(c.group for c in choices))
        try:
            return trial, check_group_memory(trial, world.profile, memory, n_sats=world.n_sats,
                                             context_len=world.compute.context_len, bytes_per_param=bpp)
        except InputError:
            use = _use(world, trial, bpp)
            over = np.flatnonzero(use.total > memory * 1e9)
            layers = sorted({l for l, c in enumerate(choices) for s in over if s in c.group.members[1:]})
            if not layers:
                break
            allowed[np.ix_(layers, over)] = False
            redo = choose(layers, allowed)
            for l, c in zip(layers, redo):
                choices[l] = c
    trial = replace(plan, groups=tuple(c.group for c in choices))
    return trial, check_group_memory(trial, world.profile, memory, n_sats=world.n_sats,
                                     context_len=world.compute.context_len, bytes_per_param=bpp)


def _use(world, plan, bpp):
    from .memory import satellite_bytes

    return satellite_bytes(world.profile, plan.gateways, plan.hosts, plan.groups, n_sats=world.n_sats,
                           context_len=world.compute.context_len, bytes_per_param=bpp)


def optimize_with_groups(world, *, group_method: str = "waterfill", group_size: int = 16,
                         group_candidates: int = 32, memory=None, bytes_per_param: float = 2.0,
                         repairs: int = 5, progress=None, **options):
    """Optimise the placement (``options`` of ``optimize_deployment``) and then every layer's compute group.

    Returns the :class:`~.optimize.OptimizeResult` with ``plan.groups`` set and
    a ``compute_group`` decision (objective: sum of the layers' snapshot-exact
    non-expert phases; bound: the water-level lower bound of that sum).
    """
    from .evaluation import evaluate_plans
    from .optimize import optimize_deployment
    from .tp_optimize import choose_groups, gateway_delays

    result = optimize_deployment(world, progress=progress, **options)
    say = progress or (lambda stage, done, total: None)
    start = time.perf_counter()
    plan = result.plan
    delays = gateway_delays(world.snapshots, plan.gateways, progress=lambda d, t: say("groups: routing", d, t))

    def choose(layers, allowed):
        picked = choose_groups(world, plan.gateways[layers], method=group_method, max_size=group_size,
                               n_candidates=group_candidates, delays=delays[:, layers],
                               allowed=None if allowed is None else allowed[layers], progress=progress)
        return picked

    choices = choose(np.arange(plan.n_layers), None)
    grouped, use = _memory_repair(world, plan, choices, memory, bytes_per_param, choose, repairs=repairs) \
        if memory is not None else (replace(plan, groups=tuple(c.group for c in choices)), None)
    runtime = time.perf_counter() - start
    ev = evaluate_plans(world, [grouped], tokens=0, progress=lambda d, t: say("exact evaluation", d, t))[0]
    sizes = [c.group.size for c in choices]
    decision = Decision(decision="compute_group", method=group_method,
                        objective=float(sum(c.objective for c in choices)), bound=float(sum(c.bound for c in choices)),
                        status="OPTIMAL" if group_method == "exact" else "FEASIBLE", runtime_s=runtime,
                        detail={"objective": "sum_l E_t[non-expert phase of layer l] (s), snapshot-exact",
                                "bound": "sum_l sum_r water level over every satellite on expected round trips",
                                "max_size": group_size, "candidates": group_candidates,
                                "sizes": sizes, "max_bytes_per_satellite": None if use is None else
                                float(use.total.max())})
    if ev.snapshot.total_s >= result.evaluation.snapshot.total_s:
        decision = decision.model_copy(update={"method": f"{group_method} (not kept: no gain)"})
        return replace(result, decisions=[*result.decisions, decision])
    return replace(result, plan=grouped, evaluation=ev, decisions=[*result.decisions, decision],
                   options={**result.options, "compute_group": group_method, "group_size": group_size,
                            "group_candidates": group_candidates})


def attach_groups(world, plans, *, method: str = "waterfill", group_size: int = 16, group_candidates: int = 32,
                  progress=None) -> list:
    """``plans`` each with the compute groups ``method`` chooses for its own gateways (one routing pass).

    Groups depend only on the gateway, so each distinct gateway is solved once;
    this gives every baseline the same compute groups as the optimised scheme.
    """
    from .tp_optimize import choose_groups, gateway_delays

    say = progress or (lambda stage, done, total: None)
    gateways = np.unique(np.concatenate([p.gateways for p in plans]))
    delays = gateway_delays(world.snapshots, gateways, progress=lambda d, t: say("groups: routing", d, t))
    chosen = choose_groups(world, gateways, method=method, max_size=group_size, n_candidates=group_candidates,
                           delays=delays, progress=progress)
    by_gateway = {int(g): c.group for g, c in zip(gateways, chosen)}
    return [replace(p, groups=tuple(by_gateway[int(g)] for g in p.gateways)) for p in plans]
