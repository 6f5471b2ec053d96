"""Evaluate deployments on a world: analytic formula, exact snapshot expectation and Monte Carlo.
See :func:`evaluate` and ``spacexnet evaluate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..progress import Progress, no_progress
from ..threads import thread_map

from .analytic import LayerLatency, analytic_latency, snapshot_latency
from .deployment import Deployment
from .legs import LegDelays, leg_delays
from .montecarlo import MonteCarloResult, pooled_cdf, simulate
from .memory import check_world_memory

if TYPE_CHECKING:
    from .world import World

__all__ = ["Evaluation", "evaluate", "evaluate_many"]


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Seconds per token of one deployment, three ways.

    ``analytic``: the paper formula on expected path latencies (a lower bound);
    ``snapshot``: its exact expectation when each token meets one snapshot,
    what ``montecarlo`` estimates (agreement within the CI is the check).
    """

    deployment: Deployment
    analytic: LayerLatency
    snapshot: LayerLatency
    montecarlo: MonteCarloResult | None
    disconnected_share: float
    assumptions: dict

    def to_json(self) -> dict:
        """The evaluation as a JSON-ready dict (the ``spacexnet evaluate --json`` document)."""
        mc = self.montecarlo
        doc = {
            "deployment": self.deployment.name,
            "analytic_s_per_token": self.analytic.total_s,
            "snapshot_exact_s_per_token": self.snapshot.total_s,
            "mean_s_per_token": mc.mean_s if mc else self.snapshot.total_s,
        }
        if mc is not None:
            doc.update({
                "tokens": mc.n_tokens,
                "std_s": mc.std_s,
                "ci95_s": [float(x) for x in mc.ci95_s],
                "p50_s_per_token": mc.p50_s,
                "p95_s_per_token": mc.p95_s,
                "p99_s_per_token": mc.p99_s,
                "p99_ci95_s": [float(x) for x in mc.p99_ci95_s],
                "disconnected_token_share": mc.disconnected_token_share,
                "cdf": pooled_cdf([mc]),
            })
        layer_source = mc if mc is not None else self.snapshot
        doc["per_token_compute_s"] = self.analytic.per_token_s
        doc["disconnected_leg_share"] = self.disconnected_share
        doc["layers"] = [
            {"layer": l, "gateway": int(self.deployment.gateways[l]),
             "mean_s": float(layer_source.layer_s[l]), "propagation_s": float(layer_source.propagation_s[l]),
             "compute_s": float(layer_source.compute_s[l]), "analytic_s": float(self.analytic.layer_s[l])}
            for l in range(self.deployment.n_layers)
        ]
        doc["assumptions"] = self.assumptions
        return doc


def _one(world: World, deployment: Deployment, legs: LegDelays, tokens: int, seed: np.random.Generator) -> Evaluation:
    legs = world.charge_compute(deployment, legs)
    times = world.times
    mc = None
    if tokens:
        mc = simulate(legs.delay_s, world.laws, times, n_tokens=tokens, seed=seed, disconnected=legs.disconnected)
    return Evaluation(deployment, analytic_latency(legs.expected_s, world.laws, times),
                      snapshot_latency(legs.delay_s, world.laws, times), mc, float(legs.disconnected.mean()),
                      world.assumptions)


def evaluate_many(world: World, deployments: Sequence[Deployment], *, tokens: int | Sequence[int] = 100_000,
                  seed: int = 0, check_memory: bool = True, progress: Progress = no_progress) -> list[Evaluation]:
    """Evaluate several deployments, routing every snapshot once for all of them.

    Parameters
    ----------
    world : World
    deployments : sequence of Deployment
    tokens : int or sequence of int
        Monte Carlo tokens per deployment, or one count per deployment (0: analytic values only).
    seed : int
        Deployment ``j`` simulates with the stream ``(seed, j)``.
    check_memory : bool
        Refuse a deployment that does not fit the scenario's memory (below); False for the optimiser's
        intermediate deployments.
    progress : Progress, optional
        ``progress("routing", done_snapshots, total)`` while routing legs the world has not routed yet.

    Raises
    ------
    InputError
        When the world's scenario has a memory model and a satellite's weights and KV cache at the evaluated
        context do not fit (:func:`~.memory.check_world_memory`), before any routing.
    """
    counts = [int(tokens)] * len(deployments) if isinstance(tokens, (int, np.integer)) else [int(n) for n in tokens]
    for d in deployments if check_memory else ():
        check_world_memory(d, world)
    all_legs = leg_delays(world.snapshots, deployments, paths=world.paths, progress=progress)

    def run(job) -> Evaluation:    # each deployment has its own stream: threads give the same numbers
        j, (d, legs, n) = job
        return _one(world, d, legs, n, np.random.default_rng([seed, j]))

    return thread_map(run, enumerate(zip(deployments, all_legs, counts)))


def evaluate(world: World, deployment: Deployment, *, tokens: int = 100_000, seed: int = 0,
             progress: Progress = no_progress) -> Evaluation:
    """Evaluate one deployment (see :func:`evaluate_many`)."""
    return evaluate_many(world, [deployment], tokens=tokens, seed=seed, progress=progress)[0]
