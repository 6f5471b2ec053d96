"""Benchmark `spacexnet optimize`: each lever alone, then all, against Space-XNet on one world.

For every configuration: the exact mean s/token (every token meets one
snapshot; the Monte Carlo of ``spacexnet evaluate`` converges to it),
its propagation part, and the optimisation time (world built once, not
timed). Also the bound "every expert on its layer's best satellite" for the
paper's gateways: ``sum_l min_s tau_l(s)``, a floor of the propagation no
placement inside the paper's gateway ring can beat. Writes a JSON summary and a
PNG of per-layer propagation by lever.

    .venv/bin/python bench/bench_deploy.py instances/paper.toml --out docs/img/deploy-paper --capacity 8
    .venv/bin/python bench/bench_deploy.py instances/deepseek-v3-mega.toml --out docs/img/deploy-mega \
        --replicas 174 --capacity 2 --all-shape regions
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


def configs(replicas: int, capacity: int, all_shape: str) -> dict:
    best = {"shape": all_shape, "gateways": "dp", "replicas": replicas}
    if capacity > 1 and all_shape != "free":
        best["capacity"] = capacity
    elif all_shape == "free":
        best["ring"] = "regions"
    rows = {
        "Space-XNet (paper)": {},
        "gateways dp": {"gateways": "dp"},
        "shape regions": {"shape": "regions"},
        "shape free": {"shape": "free"},
        f"replicas {replicas}": {"replicas": replicas},
        "free on regions": {"shape": "free", "ring": "regions"},
        "regions + dp": {"shape": "regions", "gateways": "dp"},
        "free on regions + dp": {"shape": "free", "ring": "regions", "gateways": "dp"},
    }
    if capacity > 1:
        rows[f"capacity {capacity}"] = {"capacity": capacity}
    rows["all"] = best
    return rows


def main() -> None:
    from spacexnet_opt.optimize.deployment import optimize_deployment
    from spacexnet_opt.optimize.gateway_legs import gateway_legs
    from spacexnet_opt.evaluate import world_from_file
    from spacexnet_opt.plotting import pyplot, save_figure

    parser = argparse.ArgumentParser()
    parser.add_argument("scenario")
    parser.add_argument("--out", required=True)
    parser.add_argument("--replicas", type=int, default=64)
    parser.add_argument("--capacity", type=int, default=1, help="capacity lever (1: not run)")
    parser.add_argument("--all-shape", default="bands", help="shape of the 'all levers' row")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    start = time.perf_counter()
    world = world_from_file(args.scenario)
    build_s = time.perf_counter() - start
    rows, layers = {}, {}
    for name, opts in configs(args.replicas, args.capacity, args.all_shape).items():
        if args.only and name not in args.only:
            continue
        start = time.perf_counter()
        result = optimize_deployment(world, **opts)
        seconds = time.perf_counter() - start
        snap = result.evaluation.snapshot
        rows[name] = {"options": opts, "s_per_token": snap.total_s, "propagation_s": float(snap.propagation_s.sum()),
                      "space_xnet_s_per_token": result.baseline.snapshot.total_s,
                      "space_xnet_propagation_s": float(result.baseline.snapshot.propagation_s.sum()),
                      "kept_space_xnet": any(d.method == "Space-XNet kept" for d in result.decisions),
                      "optimise_s": seconds,
                      "decisions": [d.model_dump(exclude_none=True) for d in result.decisions]}
        own = result.own.snapshot
        rows[name].update({"own_s_per_token": own.total_s, "own_propagation_s": float(own.propagation_s.sum())})
        layers[name] = own.propagation_s.tolist()
        print(f"{name:24s} {snap.total_s:8.4f} s/token  propagation {rows[name]['propagation_s']:.4f}  "
              f"(lever's own {own.total_s:.4f} / {rows[name]['own_propagation_s']:.4f}; {seconds:.1f} s)", flush=True)
    tau = gateway_legs(world.snapshots, np.array([layer.gateway for layer in world.layers])).tau
    bound = float(np.min(tau, axis=1).sum())
    doc = {"scenario": args.scenario, "n_sats": world.n_sats, "layers": world.n_layers, "experts": world.n_experts,
           "world_build_s": build_s, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "bound_best_satellite_paper_gateways_propagation_s": bound, "rows": rows,
           "note": "shared 2-core machine; exact snapshot means"}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{out}.json").write_text(json.dumps(doc, indent=1) + "\n")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for name, values in layers.items():
        ax.plot(np.arange(len(values)), np.asarray(values) * 1e3, marker=".", label=name)
    ax.set_xlabel("MoE layer")
    ax.set_ylabel("propagation (ms / token)")
    ax.set_title(f"per-layer propagation of each lever's own deployment: {Path(args.scenario).name}", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    save_figure(fig, f"{out}.png")
    print(f"bound (every expert on its layer's best satellite, paper gateways): propagation {bound:.4f} s")


if __name__ == "__main__":
    main()
