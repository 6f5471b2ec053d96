"""Throughput at a latency SLO (issue 20, items 4-5): Space-XNet against the throughput fleet, same run.

For each case (scenario, workload): the paper's Space-XNet deployment (``optimize_deployment`` with the
default levers) and the fleet of ``optimize_throughput`` are put through the throughput table of
``reproduce`` (:func:`spacexnet_opt.reproduce.throughput.throughput_table`): zero-load TPOT, the capacity LP
bound, the output tokens/s offered at the largest rate measured with p99 TPOT within 2 x the scheme's own
zero-load TPOT and within the workload's fixed SLO (p99 TTFT within its TTFT SLO in both), and the
constellation's compute limit; then the ratio fleet / Space-XNet and what the fleet has that Space-XNet lacks.

Run: .venv/bin/python bench/bench_throughput.py [requests per run] [cases: paper,paper-short,mega]
"""

import sys
import time
from pathlib import Path

from spacexnet_opt.evaluate import world_from_file
from spacexnet_opt.formats.workload import load_workload
from spacexnet_opt.optimize import Levers, optimize_deployment
from spacexnet_opt.reproduce.throughput import COLUMNS, throughput_table

REPO = Path(__file__).resolve().parents[1]
CASES = {"paper": ("paper.toml", "workload-poisson.toml", None),
         "paper-short": ("paper.toml", "workload-short.toml", None),
         "mega": ("deepseek-v3-mega.toml", "workload-short.toml", 8)}


def main(requests: int, cases: list[str]) -> None:
    for case in cases:
        scenario, workload, planes = CASES[case]
        start = time.perf_counter()
        world = world_from_file(REPO / "instances" / scenario)
        plans = {"Space-XNet": optimize_deployment(world, Levers.of()).plan}
        doc = throughput_table(world, plans, load_workload(REPO / "instances" / workload), requests=requests,
                               planes_per_ring=planes)
        print(f"\n{case}: {scenario} x {workload}, {requests} requests a run, {doc['bisection_steps']} bisection "
              f"steps, fixed SLO p99 TPOT {doc['tpot_slo_s']:g} s; {time.perf_counter() - start:.0f} s")
        print(" | ".join(COLUMNS))
        for row in doc["rows"]:
            print(" | ".join(f"{row[c]:.4g}" if isinstance(row[c], float) else str(row[c]) for c in COLUMNS))
        base, fleet = doc["rows"][0], doc["rows"][-1]
        print(f"compute limit {doc['compute_limit_tokens_per_s']:.1f} tokens/s; fleet / Space-XNet: bound "
              f"{fleet['bound_tokens_per_s'] / base['bound_tokens_per_s']:.1f}x, at 2x zero-load TPOT "
              f"{fleet['tokens_per_s_at_2x'] / max(base['tokens_per_s_at_2x'], 1e-300):.1f}x; fleet at the fixed SLO "
              f"{fleet['tokens_per_s_at_slo'] / doc['compute_limit_tokens_per_s']:.1%} of the compute limit")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 600,
         sys.argv[2].split(",") if len(sys.argv) > 2 else list(CASES))
