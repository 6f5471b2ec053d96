"""Benchmark of ``spacexnet reproduce paper``: the Table II part and the full Fig. 7 sweeps.

Table II part: instances/paper.toml (1,056 satellites, 200 snapshots, link failures),
the four paper schemes, 10 seeds per random scheme, 100,000 simulated tokens per
scheme (goal: under 60 s on 2 cores). Then the full sweeps (goal: under 10 minutes).
Run: .venv/bin/python bench/bench_reproduce.py [--no-sweeps]
"""

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from spacexnet_opt.reproduce import PAPER_SCHEMES, default_scenario, reproduce_sweeps, reproduce_table
from spacexnet_opt.formats.scenario import load_scenario


def main() -> None:
    path = default_scenario("paper")
    spec = load_scenario(path)
    tracemalloc.start()
    start = time.perf_counter()
    doc = reproduce_table(spec, path, schemes=PAPER_SCHEMES, seeds=10, tokens=100_000, paper_reference=True)
    table_s = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"Table II part: {table_s:.1f} s (goal < 60 s), peak traced memory {peak:.0f} MiB")
    for name, row in doc["schemes"].items():
        print(f"  {name:14s} {row['mean_s_per_token']:.3f} s/token  std {row['std_s']:.3f}  "
              f"paper {row.get('paper_s_per_token')}")
    if "--no-sweeps" in sys.argv:
        return
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        reproduce_sweeps(spec, path, Path(out))
    print(f"full sweeps: {time.perf_counter() - start:.1f} s (goal < 600 s)")


if __name__ == "__main__":
    main()
