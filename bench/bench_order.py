"""Order-based top-k methods and solver limits: ``dp`` scaling, ``order-ls`` against ``dp``, limit overruns, ``sorted``.

1. ``dp`` on random trace layers (20,000 sets of 8 experts) for m = 14..22:
   wall time and peak traced memory.
2. ``order-ls`` (and ``sorted``, its start) against the ``dp`` optimum on
   correlated layers (a few heavy sets), m = 12, 16, 20.
3. Wall time of ``pulp-cbc``, ``pulp-highs`` and ``cpsat`` given 1 s on 9 x 40
   top-2 and trace layers (the overrun is the correctness bound of the limit).
4. ``sorted`` on a 4,000 x 4,000 rank-one layer: made from its factors (checked
   in O(m + n)) against the same cost given as a matrix (one O(mn) check).
5. ``order-ls`` on one DeepSeek-V3 layer (256 experts, top-8 trace) of a built
   instance, only when its path is given: time to build the move tables from
   scratch and price all moves (before the incremental update, every move paid
   this), one full descent from ``sorted`` (moves, ms per move, objective) and
   the objective reached in 3 s. Run it on an older checkout too
   (``PYTHONPATH=OLD_CHECKOUT``) for the before/after comparison.

Run: ``.venv/bin/python bench/bench_order.py [INSTANCE [LAYER]]``, e.g. with
``mega-trace.json`` built from ``instances/deepseek-v3-mega.toml`` plus
``trace_tokens = 20000`` under ``[statistics]`` (``docs/benchmarks.md``).
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc

import numpy as np

from spacexnet_opt.solve import LinearProblem, QAPProblem, TraceProblem, solve


def _correlated(m: int, seed: int) -> TraceProblem:
    rng = np.random.default_rng(seed)
    heavy = [rng.choice(m, 4, replace=False) for _ in range(m // 2)]
    sets = [heavy[i % len(heavy)] for i in range(4 * m)] + [rng.choice(m, 4, replace=False) for _ in range(8 * m)]
    weights = np.r_[rng.exponential(5.0, 4 * m), rng.exponential(1.0, 8 * m)]
    return TraceProblem(tau=np.sort(rng.uniform(0.01, 0.05, 2 * m)), sets=np.array(sets), n_experts=m, weights=weights)


def dp_scaling() -> None:
    print("1. dp: m, subsets, time [s], peak traced memory [MiB]")
    rng = np.random.default_rng(0)
    for m in (14, 16, 18, 20, 22):
        problem = TraceProblem(tau=rng.uniform(1, 2, 2 * m), sets=np.array([rng.choice(m, 8, replace=False)
                                                                           for _ in range(20_000)]), n_experts=m)
        tracemalloc.start()
        start = time.perf_counter()
        solve(problem, "dp")
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"   {m:2d} {2**m:>10,} {elapsed:7.2f} {peak / 2**20:8.1f}")


def order_ls_against_dp() -> None:
    print("2. order-ls and sorted against the dp optimum: m, layers, order-ls mean/max gap, reached, sorted mean gap, "
          "order-ls mean time [s]")
    for m in (12, 16, 20):
        ls_gap, sorted_gap, reached, times = [], [], 0, []
        for seed in range(5):
            problem = _correlated(m, seed)
            best = solve(problem, "dp").objective
            ls = solve(problem, "order-ls", rng=seed)
            ls_gap.append(ls.objective / best - 1)
            sorted_gap.append(solve(problem, "sorted").objective / best - 1)
            reached += ls.objective <= best * (1 + 1e-12)
            times.append(ls.runtime_s)
        print(f"   {m:2d} {len(times)} {np.mean(ls_gap):.3%} {np.max(ls_gap):.3%} {reached}/{len(times)} "
              f"{np.mean(sorted_gap):.3%} {np.mean(times):.2f}")


def limit_overruns() -> None:
    print("3. wall time given --time-limit 1 on 9 x 40 layers: method, max wall [s], layers without placement")
    rng = np.random.default_rng(0)
    problems = []
    for _ in range(3):
        problems.append(QAPProblem.top2(rng.uniform(0, 1, (9, 9)), rng.uniform(1, 2, 40)))
        sets = np.array([rng.choice(9, 3, replace=False) for _ in range(300)])
        problems.append(TraceProblem(tau=rng.uniform(1, 2, 40), sets=sets, n_experts=9, weights=rng.exponential(1, 300)))
    for method in ("pulp-cbc", "pulp-highs", "cpsat"):
        walls, empty = [], 0
        for problem in problems:
            start = time.perf_counter()
            result = solve(problem, method, time_limit=1.0, rng=0)
            walls.append(time.perf_counter() - start)
            empty += result.assignment is None
        print(f"   {method:10} {max(walls):5.2f} {empty}/{len(problems)}")


def sorted_rank_one() -> None:
    rng = np.random.default_rng(0)
    p, t = rng.uniform(0, 1, 4000), rng.uniform(1, 2, 4000)
    factored = LinearProblem.rank_one(p, t)
    matrix = LinearProblem(np.outer(p, t), activation=p, tau=t)
    times = {}
    for name, problem in (("factored", factored), ("matrix", matrix)):
        start = time.perf_counter()
        status = solve(problem, "sorted").status.value
        times[name] = time.perf_counter() - start
    print(f"4. sorted 4000 x 4000 rank-one: from factors {times['factored'] * 1e3:.1f} ms ({status}), "
          f"as a matrix {times['matrix'] * 1e3:.1f} ms: {times['matrix'] / times['factored']:.0f}x")


def order_ls_deepseek(path: str, layer: int) -> None:
    from spacexnet_opt.formats.instance import load_instance
    from spacexnet_opt.solve.backends.expert_order import OrderProblem
    from spacexnet_opt.solve.backends.order_ls import _MoveTables
    from spacexnet_opt.solve.from_instance import layer_problem

    problem = layer_problem(load_instance(path).layers[layer], "trace")
    op = OrderProblem.of(problem, "order-ls")
    start = solve(problem, "sorted")
    position = np.empty(op.m, dtype=np.int64)
    position[op.order(start.assignment)] = np.arange(op.m)
    clock = time.perf_counter()
    for _ in range(5):
        _MoveTables(op, position).deltas(position)
    rebuild = (time.perf_counter() - clock) / 5
    descent = solve(problem, "order-ls", options={"kicks": 0})
    limited = solve(problem, "order-ls", time_limit=3.0, rng=0)
    print(f"5. order-ls on layer {layer} of {path} ({op.m} experts, {len(op.weights)} sets): tables built and all moves priced "
          f"in {rebuild * 1e3:.1f} ms; full descent {descent.iterations} moves in {descent.runtime_s:.2f} s "
          f"({descent.runtime_s / max(descent.iterations, 1) * 1e3:.1f} ms per move), objective {descent.objective:.7g} "
          f"(sorted {start.objective:.7g}); in 3 s: {limited.objective:.7g} ({limited.message})")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(f"load average {os.getloadavg()[0]:.1f}")
        order_ls_deepseek(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)
        sys.exit()
    print(f"load average {os.getloadavg()[0]:.1f}")
    dp_scaling()
    order_ls_against_dp()
    limit_overruns()
    sorted_rank_one()
