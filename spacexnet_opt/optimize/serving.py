"""The throughput objective: a fleet of rings maximising the requests per second a constellation sustains.

:func:`optimize_throughput` builds the rings of the plane heuristic (:func:`.fleet.plane_rings`), solves
the capacity LP over all of them at once (:func:`.throughput.capacity_bound`: group shares and the
request split), and returns the :class:`~.fleet.Fleet` with the LP's shares, its bound and the serving
models the simulator runs (:mod:`spacexnet_opt.serve.fleet`). :func:`serving_models` is shared with
the checks of other deployments (``reproduce``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..evaluate import deployment_to_file
from ..evaluate.compute_group import world_work
from ..evaluate.deployment import ComputeGroup
from ..formats.deployment import save_deployment, scenario_ref
from ..formats.fleet import FleetFile, FleetRing, save_fleet
from ..progress import no_progress
from ..serve.fleet import fleet_max_rate, zero_load_tpot
from ..serve.inputs import inputs_from
from ..serve.model import build_model
from ..serve.requests import draw_requests
from .fleet import Fleet, plane_rings
from .throughput import CapacityBound, capacity_bound, compute_limit, ring_work

__all__ = ["ThroughputResult", "optimize_throughput", "serving_models", "layer_work",
           "MIN_SHARE", "AUTO_PLANES", "fleet_bound", "check_deployments",
           "bound_record", "write_fleet", "fleet_compute_limit"]

AUTO_PLANES = (2, 3, 4, 6, 8)
"""Planes per ring tried when the caller gives none."""

MIN_SHARE = 1e-6
"""Group shares the LP leaves below this are dropped (the member keeps only its experts)."""


@dataclass(frozen=True, eq=False)
class ThroughputResult:
    """The fleet and its capacity LP optimum."""

    fleet: Fleet
    bound: CapacityBound


def layer_work(world) -> np.ndarray:
    """GFLOP per token of every MoE layer at the world's context (layer 0 with the dense layers)."""
    w = world_work(world)
    per = sum(s + r for s, r in w.rounds) + w.router + world.profile.top_k * world.profile.expert_gflop_per_token()
    work = np.full(world.n_layers, per)
    work[0] += sum(s + r for s, r in w.once_rounds) + w.once_unsplit
    return work


def serving_models(plans, world, *, memory_gb=None, bytes_per_param: float = 2.0) -> list:
    """The serving model of every deployment in ``plans`` on ``world`` (routes every gateway: the slow part)."""
    return [build_model(inputs_from(p, world, memory_gb=memory_gb, bytes_per_param=bytes_per_param)) for p in plans]


def fleet_bound(plans, world, *, prompt, output, hosts=None) -> CapacityBound:
    """The capacity LP of the deployments ``plans`` on ``world`` (``hosts``: per plan, the copies a serving
    model uses per snapshot, for plans with replicas)."""
    act = world.activation
    hosts = [None] * len(plans) if hosts is None else hosts
    works = [ring_work(inputs_from(p, world), act, prompt=prompt, output=output, hosts=h)
             for p, h in zip(plans, hosts)]
    return capacity_bound(works, world.compute.gflops(np.arange(world.n_sats)), output=float(np.mean(output)))


def _with_shares(plan, shares):
    groups = []
    for g, w in zip(plan.groups, shares):
        keep = w > MIN_SHARE
        groups.append(ComputeGroup(g.members[keep], w[keep] / w[keep].sum()))
    return replace(plan, groups=tuple(groups))


def optimize_throughput(world, *, prompt, output, planes_per_ring: int | None = None,
                        name: str = "throughput") -> ThroughputResult:
    """The throughput fleet of ``world`` for requests of ``prompt`` + ``output`` tokens (arrays: their means;
    module docstring). ``planes_per_ring`` None: each of :data:`AUTO_PLANES` that fits the shell, the one with
    the highest bound (the fewest planes on a tie)."""
    if planes_per_ring is None:
        n_planes = getattr(world.shell, "n_planes", max(AUTO_PLANES))
        tries = [optimize_throughput(world, prompt=prompt, output=output, planes_per_ring=c, name=name)
                 for c in AUTO_PLANES if c <= n_planes]
        return max(tries, key=lambda r: r.bound.requests_per_s)
    rings = plane_rings(world.shell, layer_work=layer_work(world), activation=world.activation,
                        planes_per_ring=planes_per_ring, name=name)
    bound = fleet_bound(rings, world, prompt=prompt, output=output)
    rings = [_with_shares(p, s) for p, s in zip(rings, bound.shares)]
    return ThroughputResult(Fleet(tuple(rings), bound.split, name=name), bound)


def fleet_compute_limit(world, plan, *, prompt, output) -> float:
    """Output tokens/s of the whole constellation computing without rest (:func:`.throughput.compute_limit`),
    one request's work taken from ``plan`` (any deployment of the model)."""
    hosts = plan.hosts[None, :, :, 0]
    work = ring_work(inputs_from(plan, world), world.activation, prompt=prompt, output=output, hosts=hosts)
    return compute_limit(world.compute.gflops(np.arange(world.n_sats)), work, output=float(np.mean(output)))


def check_deployments(models, split, workload, *, tpot_s: float | None = None, times_zero_load: float | None = None,
                      start_rate: float, max_rate: float = float("inf"), iterations: int = 4,
                      zero: float | None = None, progress=None) -> dict:
    """The serving simulator on the serving ``models`` of one ring or of a fleet's rings split by ``split``:
    zero-load TPOT (``zero`` if known), and the largest total rate (requests/s) whose pooled p99 TPOT is at
    most the target -- ``tpot_s`` (default: the workload's SLO), or ``times_zero_load`` x the zero-load
    TPOT -- and p99 TTFT within the workload's ``slo.ttft_s`` (when it sets one), searched from
    ``start_rate`` up to ``max_rate`` (the capacity bound; :func:`~spacexnet_opt.serve.fleet.fleet_max_rate`)."""
    zero = zero_load_tpot(models, workload) if zero is None else zero
    target = times_zero_load * zero if times_zero_load is not None else \
        (tpot_s if tpot_s is not None else workload.slo.tpot_s)
    if target is None:
        raise InputError("the workload sets no slo.tpot_s to serve at", field="slo.tpot_s")
    if zero > target:
        raise InputError(f"the SLO's TPOT {target:g} s is below the deployment's zero-load TPOT {zero:.3f} s: "
                         "no arrival rate meets it", field="slo.tpot_s")
    rate, runs = fleet_max_rate(models, split, workload, tpot_s=target, ttft_s=workload.slo.ttft_s,
                                start=start_rate, max_rate=max_rate, iterations=iterations,
                                progress=progress or no_progress)
    best = next((r for r in runs if r.rate == rate), None)
    return {"zero_load_tpot_s": zero, "tpot_target_s": target, "ttft_target_s": workload.slo.ttft_s,
            "max_rate_per_s": rate,
            "tokens_per_s": best.tokens_per_s if best else 0.0,
            "offered_tokens_per_s": rate * float(draw_requests(workload).output.mean()),
            "runs": [r.to_json() for r in runs]}


def bound_record(bound: CapacityBound, limit: float) -> dict:
    """The JSON record of a capacity bound next to the compute limit (output tokens/s)."""
    return {"requests_per_s": bound.requests_per_s, "tokens_per_s": bound.tokens_per_s,
            "compute_limit_tokens_per_s": limit, "bottleneck_satellite": bound.bottleneck,
            "rings_requests_per_s": bound.rates.tolist()}


def write_fleet(fleet: Fleet, scenario, out, *, bound: dict, check: dict) -> list:
    """Write every ring's deployment file (``OUT-STEM.ringNN.json``) and the fleet file ``out``; the paths."""
    out = Path(out)
    ref = scenario_ref(scenario, relative_to=out.parent)
    rings = []
    for r, (plan, share) in enumerate(zip(fleet.rings, fleet.split)):
        path = out.with_name(f"{out.stem}.ring{r:02d}.json")
        save_deployment(deployment_to_file(plan, ref, methods="throughput", options={"objective": "throughput"}),
                        path)
        rings.append(FleetRing(deployment=path.name, share=float(share)))
    save_fleet(FleetFile(name=fleet.name, rings=rings, bound=bound, check=check), out)
    return [out.with_name(r.deployment) for r in rings] + [out]
