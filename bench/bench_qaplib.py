"""QAPLIB benchmark of the QAP backends: gap to the best-known value and wall time.

For each instance of the suite: ``faq`` as the best of 20 starts (barycenter,
then 19 random), ``2opt`` (one run from a random permutation), our robust tabu
search given exactly the wall time the 20 FAQ runs took, and the exact methods
``cpsat`` and ``bnb`` (branch and bound, at most 40 locations) with a time limit. FAQ-20 and tabu are repeated over a few
seeds and averaged. The anchor is the QAPLIB best-known value (gap 0 = reached).

Two further parts (issue 13):

- ``--part anchor``: our heuristics ``tabu``, ``bls`` and ``memetic`` (on every
  core, and on one thread as ``memetic-1``) against a robust tabu search written
  in C from Taillard (1991) (``bench/rots.c``, compiled here with ``gcc -O2``
  into a temporary directory, one thread), each given the same wall time per
  run on the seven instances of :data:`ANCHOR_SUITE`, several seeds. Our
  methods run through :func:`spacexnet_opt.solve.solve` (objectives recomputed);
  the anchor's permutation is re-evaluated too.
- ``--part speed``: moves per second of the compiled swap kernels on one
  thread (``memetic``'s tabu walk, ``bls``'s descent) and iterations per
  second of the C anchor, on the instances of :data:`ANCHOR_SUITE`.
- ``--part budget``: ``memetic`` (one thread) with a fixed number of moves
  instead of a time limit, on tai40a, tai50a and tai60a: deterministic and
  independent of the machine's load, for comparing settings (``--options``).
  The budget is what two threads make in 5 s on an idle machine: 2.23 million
  moves at ``n = 60``, scaled by ``(60 / n)^2``.
- ``--part exact``: ``bnb`` on every QAPLIB instance with ``n <= 16``
  (time limit per instance), with its node count and root bound.

Run: ``.venv/bin/python bench/bench_qaplib.py [--part suite|anchor|speed|budget|exact] [--seeds 3] [--exact-time-limit 5]``
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from spacexnet_opt.errors import SolverError
from spacexnet_opt.solve import METHODS, Status, solve
from spacexnet_opt.solve.backends.scipy_qap import solve_faq
from spacexnet_opt.solve.qaplib import load_qaplib

SUITE = ["chr12a", "chr12c", "had12", "had20", "nug12", "nug20", "nug30", "scr12", "tai12a", "tai20a", "tai30a",
         "kra30a", "sko42", "wil50", "tai50a"]
ANCHOR_SUITE = ["tai30a", "kra30a", "tai40a", "sko42", "wil50", "tai50a", "tai60a"]
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "qaplib"
ROTS_C = Path(__file__).resolve().parent / "rots.c"


def _gap(value: float | None, best: float) -> float:
    return float("nan") if value is None else 100.0 * (value - best) / best


def _faq20(problem, seed: int) -> tuple[float, float]:
    start = time.perf_counter()
    out = solve_faq(problem, rng=seed, starts=20)
    return problem.objective(out.assignment), time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("suite", "anchor", "speed", "budget", "exact"), default="suite")
    parser.add_argument("--seeds", type=int, default=3, help="repetitions of the randomised methods (default 3)")
    parser.add_argument("--exact-time-limit", type=float, default=5.0,
                        help="seconds per instance for the exact methods (default 5; use 60 with --part exact)")
    parser.add_argument("--seconds", type=float, default=5.0, help="wall time per heuristic run of --part anchor")
    parser.add_argument("--ours", default=",".join(OURS), help=f"columns of --part anchor (default {','.join(OURS)})")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds of --part anchor and budget: this one and the next ones")
    parser.add_argument("--options", default="", help="memetic options of --part budget, e.g. patience=80,walk=20")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    if args.part == "anchor":
        return anchor_part(args)
    if args.part == "exact":
        return exact_part(args)
    if args.part == "speed":
        return speed_part(args)
    if args.part == "budget":
        return budget_part(args)
    return suite_part(args)


def _compile_anchor(workdir: Path) -> Path:
    exe = workdir / "rots"
    subprocess.run([shutil.which("gcc") or "gcc", "-O2", "-o", str(exe), str(ROTS_C)], check=True)
    return exe


def _run_anchor(exe: Path, problem, path: Path, seconds: float, seed: int) -> tuple[float, int]:
    """Objective (re-evaluated by us) of the C robust tabu search and its iteration count."""
    run = subprocess.run([str(exe), str(path), str(seconds), str(seed)], check=True, capture_output=True, text=True)
    values = run.stdout.split()
    perm = np.array([int(v) for v in values[1:]])
    objective = problem.objective(perm)
    assert objective == float(values[0]), "anchor objective differs from the recomputed one"
    return objective, int(run.stderr.split()[0])


OURS = {"tabu": ("tabu", {}), "bls": ("bls", {}), "memetic": ("memetic", {}), "memetic-1": ("memetic", {"workers": 1})}
"""Our heuristics in ``--part anchor``: column name -> (method, options)."""


def anchor_part(args) -> int:
    """Mean gap of our heuristics versus the C robust tabu anchor at equal wall time."""
    unknown = set(args.ours.split(",")) - set(OURS)
    if unknown:
        raise SystemExit(f"--ours: unknown column(s) {', '.join(sorted(unknown))}; valid: {', '.join(OURS)}")
    ours = {column: OURS[column] for column in args.ours.split(",")}
    methods = ("anchor", *ours)
    for method in ("bls", "memetic"):  # warm-up: numba cache
        solve(load_qaplib(args.data / "nug12.dat"), method=method, rng=0, time_limit=0.1)
    header = f"{'instance':9} {'n':>3} {'best':>10} | " + " | ".join(f"{m + ' %':>11} {'sd':>6}" for m in methods)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"equal wall time {args.seconds:g} s per run, seeds {seeds.start}-{seeds.stop - 1} "
          "(mean and sd of the gap to the best known)")
    print(header + f" | {'anchor it/s':>11}")
    print("-" * (len(header) + 14))
    gaps = {m: [] for m in methods}
    total = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        exe = _compile_anchor(Path(tmp))
        for name in ANCHOR_SUITE:
            path = args.data / f"{name}.dat"
            problem = load_qaplib(path)
            best = problem.best_known
            runs, rate = {m: [] for m in methods}, []
            for seed in seeds:
                value, iterations = _run_anchor(exe, problem, path, args.seconds, seed)
                runs["anchor"].append(_gap(value, best))
                rate.append(iterations / args.seconds)
                for column, (method, options) in ours.items():
                    result = solve(problem, method=method, time_limit=args.seconds, rng=seed, options=options)
                    runs[column].append(_gap(result.objective, best))
            for m in methods:
                gaps[m].append(np.mean(runs[m]))
            print(f"{name:9} {problem.shape[0]:3d} {best:10.0f} | "
                  + " | ".join(f"{np.mean(runs[m]):11.3f} {np.std(runs[m]):6.3f}" for m in methods)
                  + f" | {np.mean(rate):11.0f}", flush=True)
    means = {m: float(np.mean(gaps[m])) for m in methods}
    print(f"mean gap over {len(ANCHOR_SUITE)} instances (%): " + ", ".join(f"{m} {means[m]:.3f}" for m in methods))
    for m in ours:
        print(f"{m} / anchor = {means[m] / means['anchor']:.3f}" if means["anchor"] > 0 else f"{m}: anchor gap is 0")
    print(f"total wall time {time.perf_counter() - total:.1f} s")
    return 0


def _kernel_rates(problem, moves: int) -> tuple[float, float]:
    """Moves per second of ``memetic``'s tabu walk and of ``bls``'s search, one thread, from a random start."""
    from spacexnet_opt.solve.backends import bls, qap_walk

    a, b, symmetric, fast = qap_walk.symmetric_form(problem.flow, problem.distance)
    n = len(a)
    perm = np.random.default_rng(0).permutation(n)
    walk = qap_walk.Walk(a, b, n, symmetric, fast)
    walk.reset(perm)
    qap_walk.seed_thread(0)
    start = time.perf_counter()
    walk.run(moves, np.array([(9 * n) // 10, (11 * n) // 10]))
    walk_rate = moves / (time.perf_counter() - start)
    search = bls._Search(a, b, perm.copy(), n, 0)
    start = time.perf_counter()
    search.run(moves)
    return walk_rate, search.moves / (time.perf_counter() - start)


def speed_part(args) -> int:
    """Swap-kernel speed: moves/s of the tabu walk and of bls, iterations/s of the C anchor (1 s run)."""
    print(f"{'instance':9} {'n':>3} | {'walk moves/s':>12} {'bls moves/s':>12} {'anchor it/s':>12} | walk / anchor")
    with tempfile.TemporaryDirectory() as tmp:
        exe = _compile_anchor(Path(tmp))
        for name in ANCHOR_SUITE:
            path = args.data / f"{name}.dat"
            problem = load_qaplib(path)
            _kernel_rates(problem, 100)  # warm-up
            walk, bls_rate = _kernel_rates(problem, 200_000)
            anchor = _run_anchor(exe, problem, path, 1.0, 0)[1]
            print(f"{name:9} {problem.shape[0]:3d} | {walk:12,.0f} {bls_rate:12,.0f} {anchor:12,.0f} | {walk / anchor:.1f}",
                  flush=True)
    return 0


BUDGET_SUITE = ["tai40a", "tai50a", "tai60a"]
BUDGET_MOVES_AT_60 = 2.23e6
"""Moves of ``--part budget`` at ``n = 60``: about what two threads make in 5 s (``--part speed``)."""


def budget_part(args) -> int:
    """``memetic`` on one thread with a fixed move budget: mean gap per instance over the seeds."""
    from spacexnet_opt.solve.backends import memetic

    options = {"workers": 1}
    for item in filter(None, args.options.split(",")):
        key, value = item.split("=")
        options[key] = int(value)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"memetic {options}, fixed move budget, seeds {seeds.start}-{seeds.stop - 1}")
    means = []
    for name in BUDGET_SUITE:
        problem = load_qaplib(args.data / f"{name}.dat")
        n = problem.shape[0]
        walk = options.get("walk", memetic.solve_memetic.__kwdefaults__["walk"])
        memetic.CHILDREN_PER_FACILITY = math.ceil(BUDGET_MOVES_AT_60 * (60 / n) ** 2 / (walk * n * n))
        gaps = [_gap(solve(problem, method="memetic", rng=seed, options=options).objective, problem.best_known)
                for seed in seeds]
        means.append(np.mean(gaps))
        print(f"{name:9} {n:3d} | " + " ".join(f"{g:.3f}" for g in gaps) + f" | mean {means[-1]:.3f}", flush=True)
    print(f"mean gap over {len(BUDGET_SUITE)} instances (%): {np.mean(means):.3f}")
    return 0


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.args = None

    def emit(self, record):
        self.args = record.args


def exact_part(args) -> int:
    """``bnb`` on every QAPLIB instance of at most 16 locations: status, bound, nodes, root bound, time."""
    names = sorted((p.stem for p in args.data.glob("*.dat")), key=lambda s: (load_qaplib(args.data / f"{s}.dat").shape[0], s))
    names = [s for s in names if load_qaplib(args.data / f"{s}.dat").shape[0] <= 16]
    records = _Records()
    logger = logging.getLogger("spacexnet_opt.solve.backends.qap_bnb")
    logger.addHandler(records)
    logger.setLevel(logging.DEBUG)
    solve(load_qaplib(args.data / "tai10a.dat"), method="bnb", rng=0)  # warm-up: numba cache
    print(f"bnb, time limit {args.exact_time_limit:g} s per instance, seed 0")
    print(f"{'instance':9} {'n':>3} {'best':>8} {'objective':>10} {'bound':>10} {'status':>10} "
          f"{'root bound':>11} {'root gap %':>10} {'nodes':>8} {'t[s]':>6}")
    proven, total = 0, time.perf_counter()
    for name in names:
        problem = load_qaplib(args.data / f"{name}.dat")
        result = solve(problem, method="bnb", time_limit=args.exact_time_limit, rng=0)
        nodes, root = records.args
        proven += result.status is Status.OPTIMAL
        best = problem.best_known  # None for tai10a, tai10b (no .sln): the objective is the reference
        reference = result.objective if best is None else best
        root_gap = 100 * (reference - root) / reference if reference else 0.0
        shown = "-" if best is None else f"{best:.0f}"
        print(f"{name:9} {problem.shape[0]:3d} {shown:>8} {result.objective:10.0f} {result.bound:10.0f} "
              f"{result.status.value:>10} {root:11.1f} {root_gap:10.2f} {nodes:8d} {result.runtime_s:6.2f}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"proven optimal: {proven}/{len(names)}; total wall time {time.perf_counter() - total:.1f} s, "
          f"peak RSS {peak:.0f} MiB")
    return 0


def suite_part(args) -> int:
    """The issue-5 suite: FAQ-20, 2-opt and tabu at FAQ-20's wall time, cpsat and bnb with a time limit."""

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
            result = solve(problem, method="tabu", time_limit=seconds, rng=seed)
            tabu_g.append(_gap(result.objective, best))
            tabu_t.append(result.runtime_s)
        two = solve(problem, method="2opt", rng=0)
        row = (f"{name:9} {problem.shape[0]:3d} {best:9.0f} | {np.mean(faq_g):8.3f} {np.mean(faq_t):6.3f} | "
               f"{_gap(two.objective, best):7.3f} {two.runtime_s:5.3f} | {np.mean(tabu_g):7.3f} {np.mean(tabu_t):6.3f}")
        gaps["faq"].append(np.mean(faq_g))
        gaps["2opt"].append(_gap(two.objective, best))
        gaps["tabu"].append(np.mean(tabu_g))
        for method in exact:
            try:
                res = solve(problem, method=method, time_limit=args.exact_time_limit, rng=0)
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
