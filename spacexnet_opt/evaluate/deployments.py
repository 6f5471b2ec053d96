"""Evaluate deployments (with replicas, capacity, compute groups) on a world: analytic, exact per-snapshot and
Monte Carlo s/token.

A deployment without replicas, shared satellites or compute groups is evaluated by :func:`spacexnet_opt.evaluate.evaluate_many` itself, so a
converted placement gives the numbers of ``spacexnet evaluate INSTANCE
PLACEMENT`` exactly. With replicas, a token's leg in layer ``l`` goes to the
copy of the expert with the least path delay ``D_t(g_l, c) + D_t(c, g_{l+1})``
in the token's snapshot ``t`` (a copy without a path in that snapshot is not
chosen; an expert none of whose copies has a path is charged the connected
mean of its best copy, the rule of :mod:`spacexnet_opt.evaluate.legs`). A
chosen copy's per-satellite compute deviation is added after the choice.

>>> from spacexnet_opt.constellation import WalkerShell, IslConfig, build_snapshots
>>> snaps = build_snapshots(WalkerShell("t", 4, 12, 550.0, 87.0, pattern="star"), n_snapshots=2,
...                         config=IslConfig(survival=1.0, max_angular_rate=None))
>>> one = Deployment([0, 3], [[[5, -1], [6, -1]], [[13, -1], [14, -1]]])
>>> two = Deployment([0, 3], [[[5, 1], [6, -1]], [[13, -1], [14, -1]]])
>>> (a, _), (b, chosen) = nearest_copy_legs(snaps, [one, two])
>>> bool((b.delay_s <= a.delay_s + 1e-15).all()), bool((b.delay_s[:, 0, 0] < a.delay_s[:, 0, 0]).all())
(True, True)
>>> chosen[:, 0, 0].tolist()   # the copy on satellite 1 (next to gateway 0) serves expert 0
[1, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..constellation import RouteTable, connected_mean
from ..errors import InputError
from ..progress import Progress, no_progress
from ..threads import thread_map
from .analytic import LayerLatency, analytic_latency, snapshot_latency
from .api import Evaluation, evaluate_many
from .deployment import Deployment
from .montecarlo import simulate
from .legs import LegDelays
from .group_phases import GroupPhases, group_phases, trivial_groups
from .contention import law_sets, shared_expected_max
from .world import world_from_file
from .convert import deployment_from_file
from ..formats.deployment import load_deployment, resolve_scenario
from .memory import check_world_memory

__all__ = ["nearest_copy_legs", "evaluate_deployments", "check_in_world", "load_deployment_world"]


def check_in_world(plan: Deployment, *, n_sats: int, n_layers: int, n_experts: int, source=None) -> None:
    """Raise :class:`InputError` naming the first mismatch between ``plan`` and the world it runs on."""
    if plan.n_layers != n_layers:
        raise InputError(f"has {plan.n_layers} layers but the model has {n_layers} MoE layers", field="layers",
                         source=source)
    if plan.n_experts != n_experts:
        raise InputError(f"places {plan.n_experts} experts per layer but the model has {n_experts}",
                         field="layers[0].experts", source=source)
    outside = [(f"layers[{l}].gateway", int(g)) for l, g in enumerate(plan.gateways) if g >= n_sats]
    outside += [(f"layers[{l}].experts[{i}]", int(plan.hosts[l, i, c])) for l, i, c in np.argwhere(plan.hosts >= n_sats)]
    outside += [(f"layers[{l}].compute_group.members", int(g.members.max()))
                for l, g in enumerate(plan.groups or ()) if g.members.max() >= n_sats]
    if outside:
        field, sat = outside[0]
        raise InputError(f"satellite {sat} is outside the constellation (ids 0..{n_sats - 1})", field=field,
                         source=source)


def nearest_copy_legs(snapshots, plans: Sequence[Deployment], *, progress: Progress = no_progress,
              deviations: Sequence[np.ndarray | None] | None = None) -> list[tuple[LegDelays, np.ndarray]]:
    """Per-snapshot path delay (T, L, E) through the nearest copy of every expert, one routing pass for all plans.

    Returns ``(legs, chosen)`` per plan, ``chosen`` (T, L, E) the satellite of the copy serving each expert.

    ``deviations[j]`` (L, E, C), optional: compute seconds added to the chosen copy of plan ``j``.
    """
    sources = np.unique(np.concatenate([p.gateways for p in plans]))
    row = np.full(snapshots.n_sats, -1)
    row[sources] = np.arange(len(sources))
    n_t = snapshots.n_snapshots
    out = [np.empty((n_t, p.n_layers, p.n_experts)) for p in plans]
    chosen = [np.empty((n_t, p.n_layers, p.n_experts), dtype=np.int64) for p in plans]
    devs = deviations or [None] * len(plans)
    table = RouteTable.of(snapshots).delays(sources, progress=progress)
    for t, dist in enumerate(table):
        for p, arr, dev, pick in zip(plans, out, devs, chosen):
            valid = p.hosts >= 0
            hosts = np.where(valid, p.hosts, 0)
            path = dist[row[p.gateways][:, None, None], hosts] + dist[row[p.next_gateways][:, None, None], hosts]
            path = np.where(valid, path, np.inf)
            best = np.argmin(path, axis=2)[..., None]
            arr[t] = np.take_along_axis(path, best, axis=2)[..., 0]
            pick[t] = np.take_along_axis(p.hosts, best, axis=2)[..., 0]
            if dev is not None:
                arr[t] += np.take_along_axis(dev, best, axis=2)[..., 0]
    result = []
    for p, arr, pick in zip(plans, out, chosen):
        filled, bad, mean = connected_mean(arr)
        if not np.isfinite(mean).all():
            l, i = np.argwhere(~np.isfinite(mean))[0]
            raise InputError(f"layer {l}: no copy of expert {i} has a path to gateway {p.gateways[l]} or to the "
                             f"next gateway in any snapshot", field=f"layers[{l}].experts[{i}]")
        result.append((LegDelays(filled, bad), pick))
    return result


def _deviation(world, plan: Deployment) -> np.ndarray | None:
    if not world.compute.heterogeneous:
        return None
    hosts = np.where(plan.hosts >= 0, plan.hosts, plan.hosts[:, :, :1])
    flat = hosts.reshape(plan.n_layers, -1)
    return world.compute.deviations(world.profile, plan.gateways, flat).reshape(hosts.shape)


def _latency(propagation, times) -> LayerLatency:
    propagation = np.asarray(propagation, dtype=float)
    compute = np.full(len(propagation), times.gateway_s + times.expert_s)
    return LayerLatency(float(propagation.sum() + compute.sum() + times.per_token_s), propagation, compute,
                        times.per_token_s)


def _contention(world, chosen: np.ndarray) -> np.ndarray:
    """Seconds one more expert adds on each chosen satellite: its expert time at that satellite's speed."""
    return world.times.expert_s * world.compute.satellite_gflops / world.compute.gflops(chosen)


def _evaluation(world, plan: Deployment, legs: LegDelays, chosen: np.ndarray, tokens: int, rng) -> Evaluation:
    times = world.times
    notes = {"replicas": "a token's leg goes to the copy with the least path delay in its snapshot"}
    hosts = contention = None
    if plan.shares():
        hosts, contention = chosen, _contention(world, chosen)
        primary = plan.hosts[:, :, 0]
        layers = list(enumerate(world.laws))    # independent layers, numpy-bound: on threads
        analytic = _latency(thread_map(lambda lw: shared_expected_max(
            lw[1], legs.expected_s[lw[0]], primary[lw[0]], _contention(world, primary[lw[0]])), layers), times)
        snapshot = _latency(thread_map(lambda lw: shared_expected_max(
            lw[1], legs.delay_s[:, lw[0]], hosts[:, lw[0]], contention[:, lw[0]]).mean(), layers), times)
        exact = all(law_sets(law)[2] for law in world.laws)
        notes["capacity"] = (f"up to {plan.capacity} experts of a layer per satellite; co-activated experts on one "
                             "satellite run one after another" + ("" if exact else
                                                                  "; exact values over 4096 sampled sets per layer"))
    else:
        analytic = analytic_latency(legs.expected_s, world.laws, times)
        snapshot = snapshot_latency(legs.delay_s, world.laws, times)
    mc = None
    if tokens:
        mc = simulate(legs.delay_s, world.laws, times, n_tokens=tokens, seed=rng, disconnected=legs.disconnected,
                      hosts=hosts, contention_s=contention)
    return Evaluation(plan, analytic, snapshot, mc, float(legs.disconnected.mean()),
                      {**world.assumptions, **notes})


def evaluate_deployments(world, plans: Sequence[Deployment], *, tokens: int | Sequence[int] = 100_000, seed=0,
                   check_memory: bool = True, progress: Progress = no_progress) -> list[Evaluation]:
    """Evaluate plans on ``world``; plan ``j`` simulates with the stream ``(seed, j)`` like ``evaluate_many``.

    Plans without replicas go through :func:`~spacexnet_opt.evaluate.evaluate_many` unchanged. Every plan must
    fit the scenario's memory (:func:`~.memory.check_world_memory`) unless ``check_memory`` is False (the
    optimiser's intermediate plans; its result is checked). A plan with ``charge_lm_head`` is evaluated with
    the LM head charged, whatever the world's compute model says.
    """
    counts = [int(tokens)] * len(plans) if isinstance(tokens, (int, np.integer)) else [int(n) for n in tokens]
    charged = [j for j, p in enumerate(plans) if p.charge_lm_head and not world.compute.include_lm_head]
    if charged:   # on the world that charges the LM head; the other plans keep their order and streams
        parts = [([j for j in range(len(plans)) if j not in charged], world),
                 (charged, world.with_compute(replace(world.compute, include_lm_head=True)))]
        done: list = [None] * len(plans)
        for idx, part_world in parts:
            evs = evaluate_deployments(part_world, [plans[j] for j in idx], tokens=[counts[j] for j in idx],
                                       seed=seed, check_memory=check_memory, progress=progress) if idx else []
            for j, ev in zip(idx, evs):
                done[j] = ev
        return done
    for p in plans:
        check_in_world(p, n_sats=world.n_sats, n_layers=world.n_layers, n_experts=world.n_experts)
        if check_memory and (p.replicated or p.shares() or not trivial_groups(p)):   # evaluate_many: the others
            check_world_memory(p, world)
    out: list = [None] * len(plans)
    for j in [j for j, p in enumerate(plans) if not trivial_groups(p)]:
        out[j] = evaluate_grouped(world, plans[j], counts[j], np.random.default_rng([seed, j]), progress=progress)
    plain = [j for j, p in enumerate(plans) if not p.replicated and not p.shares() and out[j] is None]
    if plain:
        evs = evaluate_many(world, [plans[j] for j in plain], tokens=[counts[j] for j in plain],
                            seed=seed, check_memory=check_memory, progress=progress)
        for j, ev in zip(plain, evs):
            out[j] = ev
    rest = [j for j in range(len(plans)) if out[j] is None]
    if rest:
        legs = nearest_copy_legs(world.snapshots, [plans[j] for j in rest], progress=progress,
                         deviations=[_deviation(world, plans[j]) for j in rest])
        for j, (leg, chosen) in zip(rest, legs):
            out[j] = _evaluation(world, plans[j], leg, chosen, counts[j], np.random.default_rng([seed, j]))
    return out


def load_deployment_world(path, *, link_seed: int | None = None, compute=None):
    """``(doc, plan, world)`` of a deployment file: the file, its plan, and the world of its scenario/instance."""

    doc = load_deployment(path)
    scenario = resolve_scenario(doc, path)
    world = world_from_file(scenario, link_seed=link_seed, compute=compute)
    copies = [(l, i, len(c)) for l, e in enumerate(doc.layers) for i, c in enumerate(e.experts) if len(c) > world.n_sats]
    if copies:
        l, i, n = copies[0]
        raise InputError(f"{n:,} copies, more than the {world.n_sats:,} satellites", field=f"layers[{l}].experts[{i}]",
                         source=path)
    try:
        plan = deployment_from_file(doc)
    except InputError as exc:
        raise type(exc)(exc.message, field=exc.field, source=path) from None
    check_in_world(plan, n_sats=world.n_sats, n_layers=world.n_layers, n_experts=world.n_experts, source=path)
    check_world_memory(plan, world, source=path)
    return doc, plan, world


def _at_gateways(world, gateways) -> tuple[np.ndarray, float]:
    """Today's gateway time per layer and once-per-token time at the first gateway (per-satellite speeds)."""
    times, compute = world.times, world.compute
    slow = compute.satellite_gflops / compute.gflops(gateways)
    return times.gateway_s * slow, times.per_token_s * float(slow[0])


def _split(result, phases: GroupPhases, expert_s: float, per_token_s: float, *, has_per_token: bool):
    """``result`` (LayerLatency or MonteCarloResult) with compute = group compute, the rest propagation."""
    compute = phases.compute + expert_s
    prop = result.propagation_s + result.compute_s - compute
    prop[0] -= phases.once_compute - per_token_s
    fields = {"propagation_s": prop, "compute_s": compute}
    if has_per_token:
        fields["per_token_s"] = phases.once_compute
    return replace(result, **fields)


def evaluate_grouped(world, plan, tokens: int, rng, *, progress: Progress = no_progress):
    """The :class:`~spacexnet_opt.evaluate.Evaluation` of ``plan`` with its compute groups."""
    legs, chosen = nearest_copy_legs(world.snapshots, [plan], deviations=[_deviation(world, plan)], progress=progress)[0]
    phases = group_phases(world, plan.gateways, plan.groups)
    gw_s, once_s = _at_gateways(world, plan.gateways)
    single = np.array([gr.size == 1 and gr.members[0] == g for gr, g in zip(plan.groups, plan.gateways)])
    shift = np.where(single[None, :], 0.0, phases.phase - gw_s[None, :])
    if not single[0]:
        shift[:, 0] += phases.once - once_s
    legs = LegDelays(legs.delay_s + shift[:, :, None], legs.disconnected | phases.disconnected[:, :, None])
    ev = _evaluation(world, plan, legs, chosen, tokens, rng)
    times = world.times
    assumptions = {**ev.assumptions, "compute_groups": "each layer's attention (and shared experts) split over its "
                   "group: hidden state scattered from the gateway, partial sums gathered there, per snapshot"}
    mc = ev.montecarlo
    return replace(ev, analytic=_split(ev.analytic, phases, times.expert_s, times.per_token_s, has_per_token=True),
                   snapshot=_split(ev.snapshot, phases, times.expert_s, times.per_token_s, has_per_token=True),
                   montecarlo=None if mc is None else _split(mc, phases, times.expert_s, times.per_token_s,
                                                             has_per_token=False),
                   assumptions=assumptions)
