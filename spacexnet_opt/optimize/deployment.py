"""``optimize_deployment``: the paper's deployment, with each lever switchable on its own.

Levers (one validated :class:`~.levers.Levers` record; defaults = the paper's deployment, Space-XNet):

``shape``
    ``bands`` (ring bands), ``regions`` (equal compact regions on a TSP ring),
    ``free`` (experts by one global assignment over every non-gateway
    satellite; the gateways, and the subnets the gateway search uses, are
    those of ``ring``: ``bands`` by default, or ``regions``); see
    :mod:`.shapes` and :mod:`.assign`.
``gateways``
    ``center`` (the scenario's rule for bands, the region seed for regions) or
    ``dp`` (all gateways jointly, exact ring DP over ``gateway_candidates`` per
    layer on expected delays averaged over ``opt_snapshots`` snapshots, or on
    the mean-delay ISL graph when 0, the default; :mod:`.gateways`).
``replicas``
    Budget R of extra copies on spare satellites (:mod:`.replicate`),
    ``replica_method`` ``greedy`` (default, with a proven bound) or ``milp``.
``capacity``
    Experts of one layer a satellite may hold (default 1), at most what its
    memory holds when the scenario has a memory model; co-activated experts on
    one satellite run one after another (:mod:`.capacity`). Subnet shapes only.
``compute_group``
    ``none`` (the gateway computes the layer's non-expert work alone),
    ``waterfill`` or ``exact``: every layer's work split over a group of at
    most ``group_size`` of its ``group_candidates`` nearest satellites, chosen
    on the optimised deployment (:mod:`.compute_groups`).

Once the gateways are fixed every snapshot is routed again from them, the
experts are placed on the exact expected path latencies, and the result is
evaluated exactly (mean over snapshots). The Space-XNet deployment is always
evaluated too and kept if it is better, so the result is never worse.

>>> from spacexnet_opt.evaluate import world_from_scenario
>>> from spacexnet_opt.formats.scenario import parse_scenario
>>> spec = parse_scenario('''
... name = "ten-planes"
... format = "spacexnet-scenario"
... version = 1
... [statistics]
... kind = "zipf"
... [model]
... profile = "llama-moe-3.5b-2of8"
... [constellation.walker]
... pattern = "star"
... n_planes = 10
... sats_per_plane = 32
... altitude_km = 550.0
... inclination_deg = 87.0
... [snapshots]
... count = 2
... ''')
>>> world = world_from_scenario(spec, source="toy.toml")
>>> result = optimize_deployment(world, capacity=2, replicas=8)
>>> result.plan.capacity, result.plan.n_replicas <= 8
(2, True)
>>> bool(result.evaluation.snapshot.total_s <= result.baseline.snapshot.total_s)
True
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from ..status import Status
from ..errors import InputError
from ..progress import Progress, no_progress
from ..formats.deployment import Decision
from ..evaluate.deployment import Deployment, deployment_from_solver
from .compute_groups import add_compute_groups
from .levers import Levers
from .method_options import METHOD_OPTIONS, check_method_options, chosen_methods
from .capacity import capacity_hosts, capacity_limit, exhaustive
from .gateways import layer_costs, ring_dp
from .gateway_legs import candidate_delays, gateway_legs
from .shapes import band_subnets, gateway_candidates, mean_delay_graph, region_subnets
from .assign import global_assignment, subnet_hosts
from .replicas import greedy_replicas, milp_replicas
from ..evaluate.deployments import evaluate_deployments

__all__ = ["OptimizeResult", "optimize_deployment", "best_options"]


@dataclass(frozen=True, eq=False)
class OptimizeResult:
    """The chosen plan, its decisions and exact evaluation; ``own``: the levers' own plan's evaluation (kept or not)."""

    plan: Deployment
    methods: list
    decisions: list
    evaluation: object
    baseline: object
    options: dict
    own: object = None


def _check_capacity(world, capacity):
    limit = capacity_limit(world)
    if limit is not None and capacity > limit:
        raise InputError(f"a satellite's memory holds only {limit} experts, not {capacity}", field="capacity")


def _check_replicas(world, replicas):
    spare = world.n_sats - world.n_layers * (world.n_experts + 1)
    if replicas > spare:
        raise InputError(f"{replicas} replicas but only {spare} spare satellites "
                         f"({world.n_sats} - {world.n_layers} x ({world.n_experts} experts + 1 gateway))",
                         field="replicas")


def _dp_gateways(world, subnets, activation, *, n_candidates, opt_snapshots, say):
    graph = mean_delay_graph(world.snapshots)
    say("gateways: candidates", 0, 1)
    cands = gateway_candidates(subnets, graph, n_candidates)
    sources = np.unique(np.concatenate(cands))
    say("gateways: routing candidates", 0, 1)
    delays = candidate_delays(world.snapshots, sources, n_snapshots=opt_snapshots, graph=graph)
    row = np.full(world.n_sats, -1)
    row[sources] = np.arange(len(sources))
    n = subnets.n_layers
    costs = []
    for l in range(n):
        say("gateways: layer costs", l, n)
        costs.append(layer_costs(delays, row, cands[l], cands[(l + 1) % n], subnets.members[l], activation[l],
                                 world.laws[l]))
    say("gateways: layer costs", n, n)
    centre_total = float(sum(c[0, 0] for c in costs))
    choice, total = ring_dp(costs)
    gw = np.array([cands[l][k] for l, k in enumerate(choice)])
    return gw, {"candidates_per_layer": int(max(len(c) for c in cands)), "opt_snapshots": int(opt_snapshots),
                "objective_before_s": centre_total, "objective_after_s": total}


def _experts(world, subnets, shape, gateways, legs, activation, capacity, say, options):
    if shape == "free":
        hosts, status = global_assignment(legs.tau, activation, gateways, **options.get("global-lap", {}))
        return hosts, "global-lap", status
    hosts = subnet_hosts(legs.tau, subnets.members, gateways, activation)
    if capacity == 1:
        return hosts, "sorted", Status.OPTIMAL
    times = world.times
    search = {**METHOD_OPTIONS["capacity-search"], **options.get("capacity-search", {})}
    for l, members in enumerate(subnets.members):
        say("capacity: local search", l, len(subnets.members))
        cand = members[members != gateways[l]]
        contention = times.expert_s * world.compute.satellite_gflops / world.compute.gflops(cand)
        hosts[l] = capacity_hosts(legs.tau[l, cand], cand, activation[l], world.laws[l], capacity, contention,
                                  **search)
    status = Status.OPTIMAL if exhaustive(len(cand), activation.shape[1], search["exhaustive_limit"]) \
        else Status.FEASIBLE
    return hosts, "capacity-search", status


def _replicate(world, plan, legs, activation, budget, method, options):
    used = np.unique(np.concatenate([plan.gateways, plan.hosts.ravel()]))
    spare = np.setdiff1d(np.arange(world.n_sats), used)
    delay = np.where(np.isfinite(legs.delay), legs.delay, np.nanmax(legs.tau[np.isfinite(legs.tau)]) * 4)
    layers = np.arange(plan.n_layers)[:, None]
    current = delay[:, layers, plan.hosts[:, :, 0]]
    fn = greedy_replicas if method == "greedy" else partial(milp_replicas, **options.get("milp", {}))
    choice = fn(current, delay[:, :, spare], activation, budget)
    hosts = np.concatenate([plan.hosts, np.full(plan.hosts.shape[:2] + (max(1, budget),), -1)], axis=2)
    for l, i, c in choice.copies:
        k = int((hosts[l, i] >= 0).sum())
        hosts[l, i, k] = spare[c]
    hosts = hosts[:, :, : max(1, int((hosts >= 0).sum(axis=2).max()))]
    return plan.replace(hosts=hosts), choice


def _shape_and_gateways(world, *, shape, ring, gateways, activation, n_candidates, opt_snapshots, say):
    """Subnets and gateways, with their decisions."""

    start = time.perf_counter()
    regions = shape == "regions" or (shape == "free" and ring == "regions")
    subnets = region_subnets(world) if regions else band_subnets(world)
    decisions = [Decision(decision="shape", method=shape if shape != "free" else f"free on the {ring} ring",
                          runtime_s=time.perf_counter() - start, status=Status.FEASIBLE,
                          detail={"regions_not_connected": getattr(subnets, "disconnected_regions", 0)})]
    if gateways == "center":
        decisions.append(Decision(decision="gateways", method="center", status=Status.GIVEN))
        return subnets, subnets.centre, decisions
    start = time.perf_counter()
    gw, detail = _dp_gateways(world, subnets, activation, n_candidates=n_candidates, opt_snapshots=opt_snapshots,
                              say=say)
    decisions.append(Decision(decision="gateways", method="ring-dp", objective=detail["objective_after_s"],
                              status=Status.OPTIMAL, runtime_s=time.perf_counter() - start, detail=detail))
    return subnets, gw, decisions


def _place(world, subnets, gw, baseline, *, shape, paper, capacity, keep, activation, say, options):
    """Experts on the routed gateways: ``(plan, method, legs, decision)``."""

    start = time.perf_counter()
    legs = gateway_legs(world.snapshots, gw, keep=keep, progress=say) if keep or not paper else None
    if paper:
        plan, method, status = baseline, "sorted", Status.OPTIMAL
    else:
        hosts, method, status = _experts(world, subnets, shape, gw, legs, activation, capacity, say, options)
        plan = Deployment(gw, hosts, name="Space-XNet-opt", capacity=capacity)
    objective = float((activation * np.take_along_axis(legs.tau, plan.hosts[:, :, 0], axis=1)).sum()) \
        if legs is not None and capacity == 1 else None
    decision = Decision(decision="capacity" if capacity > 1 else "experts", method=method, objective=objective,
                        status=Status.OPTIMAL if status == Status.OPTIMAL else Status.FEASIBLE, runtime_s=time.perf_counter() - start,
                        detail={"objective": "linear: sum_l sum_i p_li tau_l(s_li)" if capacity == 1 else
                                "exact expected bottleneck with contention, per layer", "solver_status": status})
    return plan, method, legs, decision


def _keep_better(world, plan, baseline, method, decisions, say):
    """Evaluate the plan and Space-XNet exactly; keep Space-XNet when it is better."""

    own, base_ev = evaluate_deployments(world, [plan, baseline], tokens=0, check_memory=False,
                                  progress=lambda stage, d, t: say("exact evaluation", d, t))
    ev = own
    if base_ev.snapshot.total_s < ev.snapshot.total_s:
        decisions.append(Decision(decision="experts", method="Space-XNet kept", status=Status.FEASIBLE,
                                  objective=base_ev.snapshot.total_s,
                                  detail={"optimised_s_per_token": ev.snapshot.total_s}))
        plan, ev, method = Deployment(baseline.gateways, baseline.hosts, name="Space-XNet-opt"), base_ev, "sorted"
    return plan, method, ev, base_ev, own


def optimize_deployment(world, levers: Levers | None = None, *, memory: float | None = None,
                        bytes_per_param: float = 2.0, method_options: Mapping[str, Mapping[str, Any]] | None = None,
                        progress: Progress | None = None, **values) -> OptimizeResult:
    """Optimise the deployment of ``world`` with ``levers`` (default: the paper's), changed by ``values``
    (lever names and values, :class:`~.levers.Levers`), see the module docstring.

    ``memory`` (GB per satellite) and ``bytes_per_param`` bound the compute groups' shares when the scenario
    has a memory model. ``method_options`` (method -> option -> value) tune the methods the levers run
    (:data:`~.method_options.METHOD_OPTIONS`).
    """

    levers = Levers.of(levers, **values)
    tuned = check_method_options(method_options, chosen_methods(levers))
    shape, ring, gateways, capacity = levers.shape, levers.ring, levers.gateways, levers.capacity
    replicas, replica_method, n_candidates = levers.replicas, levers.replica_method, levers.gateway_candidates
    opt_snapshots = levers.opt_snapshots
    _check_replicas(world, replicas)
    _check_capacity(world, capacity)
    say: Progress = progress or no_progress
    options = {"shape": shape, "ring": ring if shape == "free" else shape, "gateways": gateways,
               "replicas": replicas, "replica_method": replica_method, "capacity": capacity,
               "gateway_candidates": n_candidates, "opt_snapshots": opt_snapshots,
               **({"method_options": tuned} if tuned else {})}
    activation = world.activation
    baseline = deployment_from_solver(world.layers, objective="linear", method="sorted",
                                                      name="Space-XNet")
    subnets, gw, decisions = _shape_and_gateways(world, shape=shape, ring=ring, gateways=gateways,
                                                 activation=activation, n_candidates=n_candidates,
                                                 opt_snapshots=opt_snapshots, say=say)
    paper = shape == "bands" and gateways == "center" and capacity == 1
    plan, method, legs, decision = _place(world, subnets, gw, baseline, shape=shape, paper=paper, capacity=capacity,
                                          keep=replicas > 0, activation=activation, say=say, options=tuned)
    decisions.append(decision)
    if replicas:
        start = time.perf_counter()
        say("replicas", 0, 1)
        plan, choice = _replicate(world, plan, legs, activation, replicas, replica_method, tuned)
        decisions.append(Decision(decision="replication", method=replica_method, objective=choice.saving,
                                  bound=choice.bound, status=choice.status, runtime_s=time.perf_counter() - start,
                                  detail={"objective": "saving of sum p E_t[min over copies D_t] (s)",
                                          "copies": len(choice.copies)}))
    plan = Deployment(plan.gateways, plan.hosts, name="Space-XNet-opt", capacity=capacity)
    plan, method, ev, base_ev, own = _keep_better(world, plan, baseline, method, decisions, say)
    result = OptimizeResult(plan, [method] * plan.n_layers, decisions, ev, base_ev, options, own)
    if levers.groups:
        result = add_compute_groups(world, result, method=levers.compute_group, group_size=levers.group_size,
                                    group_candidates=levers.group_candidates, memory=memory,
                                    bytes_per_param=bytes_per_param, progress=say)
    return result


def best_options(world) -> Levers:
    """The levers ``Space-XNet-opt`` switches on for ``world`` (the rows of ``reproduce``).

    Small layers (at most 64 experts, the paper's 8): gateways by the ring DP,
    up to 8 experts of a layer per satellite (fewer if the satellite memory
    holds fewer), then replicas on up to 64 spare satellites. Large layers
    (DeepSeek-V3's 256): up to 4 experts of a layer per satellite on the ring
    bands, greedy fill -- on the mega shell the best measured lever for its
    time (docs/deployment.md).
    """

    limit = capacity_limit(world)
    if world.n_experts <= 64:
        spare = world.n_sats - world.n_layers * (world.n_experts + 1)
        return Levers(gateways="dp", capacity=max(1, min(8, world.n_experts, limit or 8)),
                      replicas=max(0, min(64, spare)))
    return Levers(capacity=max(1, min(4, limit or 4)))
