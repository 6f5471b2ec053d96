"""Per-layer linear assignment: time of every linear backend as a ratio to ``sorted``, in one run.

Run: ``.venv/bin/python bench/bench_lap_sizes.py [--time-limit S]``.

Each size is a rank-one layer (activation probabilities from a Dirichlet draw
scaled to top-2, candidate latencies uniform in 10-40 ms), so ``sorted`` is
exact and every method must reach the same objective. Times are the best of
three solves for layers up to 64 experts, one solve above. Peak memory is the
Python-heap peak of one solve (tracemalloc; native solver memory and the CBC
subprocess are not included).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from spacexnet_opt.solve import solve
from spacexnet_opt.solve.problems import LinearProblem

SIZES = [(8, 32), (16, 64), (32, 128), (64, 256), (128, 500), (256, 1000)]
METHODS = ["sorted", "hungarian", "ortools-lsa", "cpsat", "pulp-cbc", "pulp-highs"]


def layer(m: int, n: int, rng: np.random.Generator) -> LinearProblem:
    activation = 2 * rng.dirichlet(np.full(m, 0.5))
    return LinearProblem.rank_one(np.minimum(activation, 1.0), rng.uniform(0.010, 0.040, n))


def measure(problem, method: str, repeats: int, time_limit: float):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        result = solve(problem, method=method, time_limit=time_limit, rng=0)
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    solve(problem, method=method, time_limit=time_limit, rng=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, best, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per solve for cpsat and pulp-*")
    args = parser.parse_args()
    rng = np.random.default_rng(5)
    print(f"{'experts x cands':>15} {'method':>12} {'time_s':>10} {'x sorted':>9} {'peak_MiB':>9} {'status':>10} objective")
    for m, n in SIZES:
        problem = layer(m, n, rng)
        repeats = 3 if m <= 64 else 1
        anchor = None
        for method in METHODS:
            result, seconds, peak = measure(problem, method, repeats, args.time_limit)
            anchor = anchor or seconds
            print(f"{f'{m} x {n}':>15} {method:>12} {seconds:10.4f} {seconds / anchor:9.1f} {peak / 2**20:9.2f} "
                  f"{result.status.value:>10} {result.objective:.9g}", flush=True)


if __name__ == "__main__":
    main()
