"""The compute-group lever: a deployment of :func:`~.deployment.optimize_deployment` plus a group per layer.

The placement levers (shape, gateways, replicas) are optimised first under
the paper's compute model; then every layer's group is chosen for its gateway
(:func:`~.group_choice.choose_groups`), fitted on link-failure draws the evaluation does not use
(:func:`~.group_choice.fit_snapshots`; ``in_sample=True``: on the evaluation's own). The layer objective
is additive (the group's phase is a per-snapshot constant inside the layer's max over expert
legs), so given the gateways the groups and the expert placement do not
interact in time: a member may host experts or be another layer's gateway (the
token is in one layer at a time). They share memory: with a scenario memory
model, layers are chosen in order and each member's share is capped by what
its memory still holds after the experts and the earlier layers' groups
(:func:`~.memory.share_caps`, a bound on the LP's shares); a layer no group of
the candidates can hold is refused with a one-line error. The result is
evaluated exactly and kept only if it beats the same deployment without
groups, so it is never worse.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ..status import Status
from ..errors import InputError
from ..progress import Progress, no_progress
from ..formats.deployment import Decision
from ..evaluate.memory import check_group_memory, expert_bytes, group_bytes, head_bytes, share_caps
from ..evaluate.deployments import evaluate_deployments
from .group_choice import choose_groups, fit_snapshots, gateway_delays

__all__ = ["add_compute_groups", "attach_groups"]


def _caps(world, plan, memory, bpp):
    """``caps(l, chosen)``: share limits of layer ``l`` in the memory the experts, the LM head and embeddings (where
    charged) and the earlier groups leave."""

    c = world.compute
    options = dict(context_len=c.context_len, bytes_per_param=bpp, include_dense=c.include_dense)
    experts = expert_bytes(world.profile, plan.hosts, n_sats=world.n_sats, bytes_per_param=bpp)
    if c.include_lm_head or plan.charge_lm_head:
        experts[int(plan.gateways[0])] += head_bytes(world.profile, bytes_per_param=bpp)

    def caps(l, chosen):
        used = experts.copy()
        for k, choice in enumerate(chosen):
            used += group_bytes(world.profile, choice.group, int(plan.gateways[k]), n_sats=world.n_sats,
                                first=k == 0, **options).total
        return share_caps(world.profile, memory * 1e9 - used, first=l == 0, **options)

    return caps


def add_compute_groups(world, result, *, method: str = "waterfill", group_size: int = 16,
                       group_candidates: int = 32, memory=None, bytes_per_param: float = 2.0,
                       in_sample: bool = False, progress: Progress = no_progress):
    """Every layer's compute group for the deployment of ``result`` (an :class:`~.deployment.OptimizeResult`
    of ``world``), kept only if it is faster.

    Returns the :class:`~.deployment.OptimizeResult` with ``plan.groups`` set and
    a ``compute_group`` decision (objective: sum of the layers' snapshot-exact
    non-expert phases; bound: the water-level lower bound of that sum; status
    OPTIMAL only for ``exact`` without a memory model, where the layers are
    independent, and where every layer's optimal shares are whole attention heads
    -- with a memory model each layer is exact given the earlier layers).
    """

    start = time.perf_counter()
    plan = result.plan
    delays = gateway_delays(fit_snapshots(world, in_sample=in_sample), plan.gateways, progress=progress)

    choices = choose_groups(world, plan.gateways, method=method, max_size=group_size,
                            n_candidates=group_candidates, delays=delays, progress=progress,
                            caps=None if memory is None else _caps(world, plan, memory, bytes_per_param))
    grouped = replace(plan, groups=tuple(c.group for c in choices))
    use = None
    if memory is not None:

        use = check_group_memory(grouped, world.profile, memory, n_sats=world.n_sats,
                                 context_len=world.compute.context_len, bytes_per_param=bytes_per_param,
                                 include_dense=world.compute.include_dense,
                                 include_lm_head=world.compute.include_lm_head or plan.charge_lm_head)
    runtime = time.perf_counter() - start
    ev = evaluate_deployments(world, [grouped], tokens=0, check_memory=False, progress=progress)[0]
    sizes = [c.group.size for c in choices]
    decision = Decision(decision="compute_group", method=method,
                        objective=float(sum(c.objective for c in choices)), bound=float(sum(c.bound for c in choices)),
                        status=Status.OPTIMAL if memory is None and all(c.status == Status.OPTIMAL for c in choices)
                        else Status.FEASIBLE,
                        runtime_s=runtime,
                        detail={"objective": "sum_l E_t[non-expert phase of layer l] (s), snapshot-exact",
                                "bound": "sum_l sum_r water level over every satellite on expected round trips",
                                "max_size": group_size, "candidates": group_candidates,
                                "sizes": sizes, "max_bytes_per_satellite": None if use is None else
                                float(use.total.max())})
    if ev.snapshot.total_s >= result.evaluation.snapshot.total_s:
        decision = decision.model_copy(update={"method": f"{method} (not kept: no gain)"})
        return replace(result, decisions=[*result.decisions, decision])
    return replace(result, plan=grouped, evaluation=ev, decisions=[*result.decisions, decision],
                   options={**result.options, "compute_group": method, "group_size": group_size,
                            "group_candidates": group_candidates})


def attach_groups(world, plans, *, method: str = "waterfill", group_size: int = 16, group_candidates: int = 32,
                  chunk: int = 64, in_sample: bool = False, progress: Progress = no_progress) -> list:
    """``plans`` each with the compute groups ``method`` chooses for its own gateways.

    Groups depend only on the gateway, so each distinct gateway is solved once;
    this gives every baseline the same compute groups as the optimised scheme. ``in_sample``: fitted on the
    evaluation's own link-failure draws instead of separate ones (:func:`~.group_choice.fit_snapshots`).
    """

    snapshots = fit_snapshots(world, in_sample=in_sample)
    gateways = np.unique(np.concatenate([p.gateways for p in plans]))
    by_gateway = {}
    for start in range(0, len(gateways), chunk):   # (T, chunk, N) delays at a time: bounded memory
        part = gateways[start:start + chunk]
        chosen = choose_groups(world, part, method=method, max_size=group_size, n_candidates=group_candidates,
                               delays=gateway_delays(snapshots, part, keep=False), progress=progress)
        by_gateway.update({int(g): c.group for g, c in zip(part, chosen)})
    return [replace(p, groups=tuple(by_gateway[int(g)] for g in p.gateways)) for p in plans]
