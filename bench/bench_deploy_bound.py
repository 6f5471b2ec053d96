"""Lower bounds on the propagation of one-expert-per-satellite deployments with given gateways.

For the gateways of a ring (``--ring bands``: the paper's band centres;
``regions``: the region seeds; ``--gateways dp``: the ring DP of
``spacexnet optimize``) every snapshot is routed from the gateways and
``tau_l(s) = E_t[D_t(g_l, s) + D_t(s, g_{l+1})]`` is taken over every
non-gateway satellite. A layer's exact propagation ``E_t E_A max_{i in A}
D_t(s_i)`` (top-k set ``A``, ``|A| = k``) is at least ``E_A max_{i in A}
tau(s_i)`` (Jensen), which is at least

* ``share``: ``min_s tau_l(s)`` -- any placement, satellites shared or not;
* ``kth``: the k-th smallest ``tau_l`` -- k distinct satellites per token;
* ``mean``: ``(1/k) sum_i p_(i) tau_(i)`` (largest activation on the least
  ``tau``; max >= mean of the k) -- the layer's experts on distinct satellites;
* ``tail``: with ``x_1 <= x_2 <= ...`` the E least ``tau`` and ``p_1 >= p_2 >=
  ...`` the activations, ``sum_j (x_j - x_{j-1}) q_j`` where ``q_j = 1`` for
  ``j <= k`` and ``max(p_j, (p_j + ... + p_E) / k)`` after: the probability
  that the bottleneck is at least ``x_j`` is the probability that a token
  activates one of the experts not on the ``j - 1`` best satellites, at least
  the largest of their activations and at least their summed activation over
  k. It implies ``kth`` and ``mean``; ``tail-snapshot`` is the same bound per
  snapshot on ``D_t`` (a relaxation that may re-place experts in every
  snapshot; a disconnected leg is charged ``tau``, the evaluation's rule),
  averaged; the layer's bound is the larger of the two.

All of them relax the cross-layer constraint (other layers may reuse the
satellites). The cross-layer one: ``--exact-lap`` solves the global
assignment of ``spacexnet optimize --shape free`` exactly (dense
Jonker-Volgenant over all ``(L*E) x (N - L)`` costs ``p_li tau_l(s)``); its
optimum divided by k bounds the propagation of *every* one-expert-per-satellite
placement on these gateways; ``bound_propagation_s`` is then the larger of it and the
sum of the per-layer bounds. The ``free`` placement (restricted LAP, what
``optimize`` does) is evaluated exactly too: a feasible value, an upper bound.

    .venv/bin/python bench/bench_deploy_bound.py instances/deepseek-v3-mega.toml --ring regions --gateways dp \
        --exact-lap --out docs/img/deploy-mega-bound
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def layer_bounds(tau: np.ndarray, activation: np.ndarray, gateways: np.ndarray, k: int) -> dict:
    """Per-layer ``share``, ``kth`` and ``mean`` bounds (seconds) over the non-gateway satellites."""
    t = np.sort(np.delete(tau, np.unique(gateways), axis=1), axis=1)
    p = -np.sort(-activation, axis=1)
    return {"share": t[:, 0], "kth": t[:, k - 1], "mean": (p * t[:, :p.shape[1]]).sum(axis=1) / k,
            "tail": tail_bound(t, p, k)}


def tail_bound(x: np.ndarray, p: np.ndarray, k: int) -> np.ndarray:
    """``sum_j (x_j - x_{j-1}) q_j`` over the last axis (``x`` sorted ascending, ``p`` (L, E) descending).

    >>> float(tail_bound(np.array([[1.0, 2.0, 4.0]]), np.array([[1.0, 0.5, 0.5]]), 2)[0])   # {0,1} or {0,2}
    3.0
    """
    n = p.shape[1]
    step = np.diff(x[..., :n], prepend=0.0, axis=-1)
    tails = np.cumsum(p[:, ::-1], axis=1)[:, ::-1] / k
    q = np.maximum(p, tails)
    q[:, :k] = 1.0
    return (step * np.minimum(q, 1.0)).sum(axis=-1)


def snapshot_tail(legs, activation: np.ndarray, gateways: np.ndarray, k: int) -> np.ndarray:
    """Mean over snapshots of the ``tail`` bound on that snapshot's delays (L,)."""
    keep = np.setdiff1d(np.arange(legs.tau.shape[1]), gateways)
    p = -np.sort(-activation, axis=1)
    out = np.zeros(len(activation))
    for delay in legs.delay:
        d = np.where(np.isfinite(delay[:, keep]), delay[:, keep], legs.tau[:, keep])
        out += tail_bound(np.sort(d, axis=1), p, k)
    return out / len(legs.delay)


def exact_lap(tau: np.ndarray, activation: np.ndarray, gateways: np.ndarray) -> float:
    """Optimum of ``sum_l sum_i p_li tau_l(s_li)`` over one-to-one maps to non-gateway satellites (dense LAP)."""
    from scipy.optimize import linear_sum_assignment

    free = np.setdiff1d(np.arange(tau.shape[1]), gateways)
    t = np.where(np.isfinite(tau[:, free]), tau[:, free], 1e3)
    cost = (activation[:, :, None] * t[:, None, :]).reshape(-1, len(free))
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].sum())


def main() -> None:
    from spacexnet_opt.optimize.assign import global_assignment
    from spacexnet_opt.evaluate.deployments import evaluate_deployments
    from spacexnet_opt.optimize.deployment import _shape_and_gateways
    from spacexnet_opt.evaluate import Deployment
    from spacexnet_opt.optimize.gateway_legs import gateway_legs
    from spacexnet_opt.evaluate import world_from_file

    parser = argparse.ArgumentParser()
    parser.add_argument("scenario")
    parser.add_argument("--out", required=True)
    parser.add_argument("--ring", default="bands", choices=["bands", "regions"])
    parser.add_argument("--gateways", default="center", choices=["center", "dp"])
    parser.add_argument("--exact-lap", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    world = world_from_file(args.scenario)
    activation = np.array([layer.activation for layer in world.layers])
    k = int(round(activation[0].sum()))
    _, gw, _ = _shape_and_gateways(world, shape="free", ring=args.ring, gateways=args.gateways,
                                   activation=activation, n_candidates=16, opt_snapshots=0, say=lambda *a: None)
    legs = gateway_legs(world.snapshots, gw, keep=True)
    bounds = layer_bounds(legs.tau, activation, gw, k)
    bounds["tail-snapshot"] = snapshot_tail(legs, activation, gw, k)
    doc = {"scenario": args.scenario, "ring": args.ring, "gateways": args.gateways, "k": k,
           "bounds_propagation_s": {name: float(v.sum()) for name, v in bounds.items()},
           "bound_propagation_s": float(np.maximum(bounds["tail"], bounds["tail-snapshot"]).sum())}
    hosts, status = global_assignment(legs.tau, activation, gw)
    linear = float((activation * np.take_along_axis(legs.tau, hosts, axis=1)).sum())
    (ev,) = evaluate_deployments(world, [Deployment(gw, hosts[:, :, None], name="free")], tokens=0)
    doc["free_placement"] = {"status": status, "linear_objective_s": linear, "linear_over_k_s": linear / k,
                             "propagation_s": float(ev.snapshot.propagation_s.sum()), "s_per_token": ev.snapshot.total_s}
    _write(doc, args.out, start)
    if args.exact_lap:
        lap_start = time.perf_counter()
        optimum = exact_lap(legs.tau, activation, gw)
        doc["exact_lap"] = {"linear_objective_s": optimum, "bound_propagation_s": optimum / k,
                            "seconds": time.perf_counter() - lap_start}
        doc["bound_propagation_s"] = max(doc["bound_propagation_s"], optimum / k)
        _write(doc, args.out, start)


def _write(doc: dict, out: str, start: float) -> None:
    doc.update({"seconds": time.perf_counter() - start,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "note": "shared 2-core machine"})
    Path(f"{out}.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(json.dumps(doc, indent=1), flush=True)


if __name__ == "__main__":
    main()
