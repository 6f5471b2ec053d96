"""The trivial packed layout: every expert of a layer on the satellite of the next layer's gateway.

Space-XNet's central gateways ``g_l``; all experts of layer ``l`` on ``g_{l+1}`` (capacity = experts per
layer, no replicas, no compute groups, no search), so every expert leg is the gateway-to-gateway path and
co-activated experts run one after another. Evaluated like a ``reproduce`` row (Monte Carlo stream 0)::

    .venv/bin/python bench/bench_packed.py instances/paper.toml --tokens 100000

It measures how much of ``Space-XNet-opt``'s gain (capacity up to 8, replicas) needs no optimiser at all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code

from spacexnet_opt.evaluate import Deployment, evaluate_deployments, world_from_file  # noqa: E402


def packed_layout(world) -> Deployment:
    """Space-XNet's gateways, each layer's experts all on the next layer's gateway."""
    gateways = np.array([layer.gateway for layer in world.layers])
    hosts = np.repeat(np.roll(gateways, -1)[:, None], world.n_experts, axis=1)
    return Deployment(gateways, hosts, name="packed", capacity=world.n_experts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--tokens", type=int, default=100_000)
    args = parser.parse_args()
    world = world_from_file(args.scenario)
    ev = evaluate_deployments(world, [packed_layout(world)], tokens=args.tokens)[0]
    print(f"packed layout on {args.scenario}: {ev.montecarlo.mean_s:.3f} s/token (MC mean, {args.tokens:,} "
          f"tokens), exact {ev.snapshot.total_s:.4f}, propagation {ev.snapshot.propagation_s.sum():.4f}")


if __name__ == "__main__":
    main()
