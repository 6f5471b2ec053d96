"""QAPLIB benchmark of the QAP backends: gap to the best-known value and wall time.

For each instance of the suite: ``faq`` as the best of 20 starts (barycenter,
then 19 random), ``2opt`` (one run from a random permutation), our robust tabu
search given exactly the wall time the 20 FAQ runs took, and the exact methods
``cpsat`` and ``bnb`` (branch and bound, at most 40 locations) with a time limit. FAQ-20 and tabu are repeated over a few
seeds and averaged. The anchor is the QAPLIB best-known value (gap 0 = reached).

Run: ``.venv/bin/python bench/bench_qaplib.py [--seeds 3] [--exact-time-limit 5]``
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import sys
import time
from pathlib import Path

import numpy as np

from spacexnet_opt.errors import SolverError
from spacexnet_opt.solve import METHODS, Status, solve
from spacexnet_opt.solve.backends.scipy_qap import solve_faq
from spacexnet_opt.solve.qaplib import load_qaplib

SUITE = ["chr12a", "chr12c", "had12", "had20", "nug12", "nug20", "nug30", "scr12", "tai12a", "tai20a", "tai30a",
         "kra30a", "sko42", "wil50", "tai50a"]
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "qaplib"


def _gap(value: float | None, best: float) -> float:
    return float("nan") if value is None else 100.0 * (value - best) / best


def _faq20(problem, seed: int) -> tuple[float, float]:
    start = time.perf_counter()
    out = solve_faq(problem, rng=seed, starts=20)
    return problem.objective(out.assignment), time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="repetitions of FAQ-20 and tabu (default 3)")
    parser.add_argument("--exact-time-limit", type=float, default=5.0,
                        help="seconds per instance for the exact methods cpsat and bnb (default 5)")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)

    exact = [m for m in ("cpsat", "bnb") if importlib.util.find_spec(f"spacexnet_opt.solve.backends.{METHODS[m].split(':')[0]}")]
    solve_faq(load_qaplib(args.data / "nug12.dat"), rng=0)  # warm-up: imports, BLAS threads
    total = time.perf_counter()
    header = f"{'instance':9} {'n':>3} {'best':>9} | {'FAQ-20 %':>8} {'t[s]':>6} | {'2opt %':>7} {'t[s]':>5} | {'tabu %':>7} {'t[s]':>6}"
    for method in exact:
        header += f" | {method + ' %':>8} {'bound %':>8} {'status':>10} {'t[s]':>6}"
    print(header)
    print("-" * len(header))
    gaps = {"faq": [], "2opt": [], "tabu": [], **{m: [] for m in exact}}
    proven = {m: 0 for m in exact}
    for name in SUITE:
        problem = load_qaplib(args.data / f"{name}.dat")
        best = problem.best_known
        faq_g, faq_t, tabu_g, tabu_t = [], [], [], []
        for seed in range(args.seeds):
            value, seconds = _faq20(problem, seed)
            faq_g.append(_gap(value, best))
            faq_t.append(seconds)
            result = solve(problem, method="tabu", time_limit=seconds, seed=seed)
            tabu_g.append(_gap(result.objective, best))
            tabu_t.append(result.runtime_s)
        two = solve(problem, method="2opt", seed=0)
        row = (f"{name:9} {problem.shape[0]:3d} {best:9.0f} | {np.mean(faq_g):8.3f} {np.mean(faq_t):6.3f} | "
               f"{_gap(two.objective, best):7.3f} {two.runtime_s:5.3f} | {np.mean(tabu_g):7.3f} {np.mean(tabu_t):6.3f}")
        gaps["faq"].append(np.mean(faq_g))
        gaps["2opt"].append(_gap(two.objective, best))
        gaps["tabu"].append(np.mean(tabu_g))
        for method in exact:
            try:
                res = solve(problem, method=method, time_limit=args.exact_time_limit, seed=0)
            except SolverError:  # bnb refuses more than 40 locations
                gaps[method].append(float("nan"))
                row += f" | {'-':>8} {'-':>8} {'refused':>10} {'-':>6}"
                continue
            gaps[method].append(_gap(res.objective, best))
            proven[method] += res.status is Status.OPTIMAL
            row += (f" | {_gap(res.objective, best):8.3f} {_gap(res.bound, best):8.2f} {res.status.value:>10} "
                    f"{res.runtime_s:6.2f}")
        print(row, flush=True)
    print("-" * len(header))
    print(f"mean gap to best known over {len(SUITE)} instances (%): "
          + ", ".join(f"{k} {np.mean(gaps[k]):.3f}" for k in ("faq", "2opt", "tabu")))
    for method in exact:
        found = [g for g in gaps[method] if not np.isnan(g)]
        print(f"{method} ({args.exact_time_limit:g} s limit): a solution on {len(found)}/{len(SUITE)} instances"
              + (f" (mean gap over those {np.mean(found):.3f} %)" if found else "")
              + f", proven optimal on {proven[method]}")
    ratio = np.mean(gaps["tabu"]) / np.mean(gaps["faq"]) if np.mean(gaps["faq"]) > 0 else float("nan")
    print(f"tabu mean gap / FAQ-20 mean gap = {ratio:.3f} (same wall time per instance, {args.seeds} seeds)")
    print(f"instances where tabu (mean over seeds) is at least as good as FAQ-20: "
          f"{sum(t <= f + 1e-12 for t, f in zip(gaps['tabu'], gaps['faq']))}/{len(SUITE)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total wall time {time.perf_counter() - total:.1f} s, peak RSS {peak:.0f} MiB")
    return 0 if np.mean(gaps["tabu"]) < np.mean(gaps["faq"]) else 1


if __name__ == "__main__":
    sys.exit(main())
