"""Benchmark compute groups: s/token against the largest group size, ratios to the paper's baselines, timing.

For one world: the placement Space-XNet-opt chooses (``best_options``, or the
paper's deployment with ``--paper-placement``), then every layer's compute
group by the fast method (``waterfill``) for each largest size in ``--sizes``;
exact mean s/token (every token meets one snapshot, the value the Monte Carlo
of ``spacexnet evaluate`` converges to), the water-level lower bound of the
non-expert phases, and the end-to-end optimisation time of
``optimize_deployment`` with ``compute_group`` (world built once, not timed). The paper's random
baselines (``--seeds`` placements each) are evaluated without and with the
same groups. Writes a JSON summary and a PNG.

    .venv/bin/python bench/bench_tp.py instances/paper.toml --out docs/img/tp-paper
    .venv/bin/python bench/bench_tp.py instances/deepseek-v3-mega.toml --out docs/img/tp-mega \
        --paper-placement --sizes 1,8,32 --seeds 1 --group-candidates 64 --baselines RandIntra-CG
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _baselines(world, seeds: int, names):
    from spacexnet_opt.reproduce.schemes import scheme_deployment

    return {name: [scheme_deployment(name, partition=world.partition, layers=world.layers,
                                                          n_experts=world.n_experts, seed=s)
                   for s in range(seeds)] for name in names}


def _exact(world, plans) -> list[float]:
    from spacexnet_opt.evaluate import evaluate_deployments

    return [ev.snapshot.total_s for ev in evaluate_deployments(world, plans, tokens=0)]


def _placement(world, paper: bool):
    from spacexnet_opt.optimize import Levers, best_options, optimize_deployment

    options = Levers() if paper else best_options(world)
    start = time.perf_counter()
    result = optimize_deployment(world, options)
    return result, options, time.perf_counter() - start


def _sweep(world, plan, sizes, candidates):
    from spacexnet_opt.optimize.group_choice import choose_groups, fit_snapshots, gateway_delays

    delays = gateway_delays(fit_snapshots(world), plan.gateways)   # fitted on draws the evaluation does not use
    rows = []
    for size in sizes:
        choice = choose_groups(world, plan.gateways, max_size=size, n_candidates=candidates, delays=delays)
        grouped = replace(plan, groups=tuple(c.group for c in choice))
        rows.append({"max_size": size, "s_per_token": _exact(world, [grouped])[0],
                     "mean_size": float(np.mean([c.group.size for c in choice])),
                     "phase_s": float(sum(c.objective for c in choice)),
                     "phase_bound_s": float(sum(c.bound for c in choice)),
                     "compute_floor_s": _compute_floor(world, size)})
        print(f"  size <= {size:3d}: {rows[-1]['s_per_token']:.4f} s/token, mean group {rows[-1]['mean_size']:.1f}",
              flush=True)
    return rows


def _compute_floor(world, size: int) -> float:
    """Non-expert compute per token if ``size`` members at the base speed shared it with no distance."""
    from spacexnet_opt.evaluate.compute_group import world_work

    work, f = world_work(world), world.compute.satellite_gflops
    layer = sum(split / size + rep for split, rep in work.rounds) / f + work.router / f
    once = (sum(split / size + rep for split, rep in work.once_rounds) + work.once_unsplit) / f
    return world.n_layers * layer + once


def _plot(doc, out: Path):
    from spacexnet_opt.plotting import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    sizes = [r["max_size"] for r in doc["sweep"]]
    ax.plot(sizes, [r["s_per_token"] for r in doc["sweep"]], "o-", label="optimised placement + groups")
    ax.plot(sizes, [doc["sweep_bound_s"] + r["phase_bound_s"] for r in doc["sweep"]], "k:",
            label="bound: water level over all satellites (this placement)")
    ax.plot(sizes, [doc["sweep_bound_s"] + r["compute_floor_s"] for r in doc["sweep"]], "k--", lw=0.8,
            label="compute floor of a group of that size (no distance)")
    for k, (name, row) in enumerate(doc["baselines"].items()):
        ax.axhline(row["grouped_s"], ls="--", lw=0.8, color=f"C{k + 1}", label=f"{name} + same groups")
        ax.axhline(row["paper_model_s"], ls=":", lw=0.8, color=f"C{k + 1}", label=f"{name} (paper model)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("largest compute group (satellites)")
    ax.set_ylabel("s / token (exact snapshot mean)")
    ax.set_title(doc["scenario"])
    ax.legend(fontsize=7)
    save_figure(fig, out.with_suffix(".png"))


def main() -> None:
    from spacexnet_opt.evaluate.memory import scenario_memory
    from spacexnet_opt.optimize import attach_groups, optimize_deployment
    from spacexnet_opt.evaluate import world_from_file

    parser = argparse.ArgumentParser()
    parser.add_argument("scenario")
    parser.add_argument("--out", required=True, help="JSON/PNG path without suffix")
    parser.add_argument("--sizes", default="1,2,3,4,6,8,12,16")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--baselines", default="RandPlace,RandIntra,RandIntra-CG")
    parser.add_argument("--group-candidates", type=int, default=32)
    parser.add_argument("--paper-placement", action="store_true", help="groups on the paper's placement")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    t0 = time.perf_counter()
    world = world_from_file(args.scenario)
    build_s = time.perf_counter() - t0
    placed, options, placement_s = _placement(world, args.paper_placement)
    memory, bpp = scenario_memory(args.scenario, world.shell)
    start = time.perf_counter()
    full = optimize_deployment(world, options, compute_group="waterfill", group_size=max(sizes),
                               group_candidates=args.group_candidates, memory=memory, bytes_per_param=bpp)
    tp_s = time.perf_counter() - start
    print(f"{args.scenario}: world {build_s:.1f} s; placement + groups {tp_s:.1f} s "
          f"({full.evaluation.snapshot.total_s:.4f} s/token)", flush=True)
    sweep = _sweep(world, placed.plan, sizes, args.group_candidates)
    no_phase = placed.evaluation.snapshot.total_s - float(placed.evaluation.snapshot.compute_s.sum()) \
        - placed.evaluation.snapshot.per_token_s + world.n_layers * world.times.expert_s
    baselines = {}
    for name, plans in _baselines(world, args.seeds, [b for b in args.baselines.split(",") if b]).items():
        grouped = attach_groups(world, plans, group_size=max(sizes), group_candidates=args.group_candidates)
        plain_s, grouped_s = float(np.mean(_exact(world, plans))), float(np.mean(_exact(world, grouped)))
        baselines[name] = {"paper_model_s": plain_s, "grouped_s": grouped_s,
                           "ratio_paper_model": plain_s / full.evaluation.snapshot.total_s,
                           "ratio_same_groups": grouped_s / full.evaluation.snapshot.total_s}
        print(f"  {name}: {plain_s:.4f} s/token ({baselines[name]['ratio_paper_model']:.2f}x the grouped deployment "
              f"above), with the same groups {grouped_s:.4f} ({baselines[name]['ratio_same_groups']:.2f}x; the "
              f"deployment above also has capacity {options.capacity} and {options.replicas} replicas)", flush=True)
    doc = {"scenario": args.scenario, "placement_options": options.model_dump(), "world_build_s": build_s,
           "placement_s": placement_s, "optimize_with_groups_s": tp_s,
           "space_xnet_opt_s": placed.evaluation.snapshot.total_s,
           "space_xnet_opt_tp_s": full.evaluation.snapshot.total_s,
           "space_xnet_opt_tp_decision": full.decisions[-1].model_dump(mode="json"),
           "sweep": sweep, "sweep_bound_s": no_phase, "baselines": baselines,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "note": "shared 2-core machine; times are wall-clock of one run"}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(doc, indent=1))
    _plot(doc, out)
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
