"""Benchmark of ``spacexnet sweep``: the Fig. 7 grid serially vs 2 Dask workers, and a 200-point grid of small shells.

Part 1 runs ``instances/fig7.toml`` (21 distinct points on the paper's 1,056-satellite
shell, 200 snapshots, 4 schemes, 3 seeds) in this process and then on a 2-worker
LocalCluster, in the same run, and prints the ratio. Part 2 runs a factorial grid of
200 points on 10 x 32 shells (the paper's scenario cut down with [set]: 8 snapshots) on 2 workers and prints points per second
per worker and the resident memory of each worker after the run.
With ``--reproduce`` it instead runs the Fig. 7 grid on 2 workers and then
``reproduce_sweeps`` (the ``reproduce paper --sweeps`` loop) and compares their numbers.
Run: .venv/bin/python bench/bench_sweep.py [--small-only | --reproduce]
"""

import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from spacexnet_opt.sweep import load_grid, run_sweep

ROOT = Path(__file__).resolve().parents[1]
SMALL_GRID = """format = "spacexnet-grid"
version = 1
name = "small-200"
scenario = "{paper}"
[run]
seeds = 2
[set]
"constellation.walker.n_planes" = 10
"constellation.walker.sats_per_plane" = 32
"snapshots.count" = 8
"partition.diameter_snapshots" = 0
[axes]
"constellation.walker.altitude_km" = [500.0, 550.0, 600.0, 650.0, 700.0]
"isl.survival" = [0.8, 0.85, 0.9, 0.95, 1.0]
"seeds.statistics" = [0, 1, 2, 3, 4, 5, 6, 7]
"""




def fig7() -> None:
    grid = load_grid(ROOT / "instances" / "fig7.toml")
    with tempfile.TemporaryDirectory() as out:
        serial = run_sweep(grid, Path(out) / "serial", workers=0)
        dask = run_sweep(grid, Path(out) / "dask", workers=2)
        same = [sqlite3.connect(s.database).execute(
            "SELECT point_hash, scheme, mean_s_per_token FROM results ORDER BY 1, 2").fetchall() for s in (serial, dask)]
    print(f"Fig. 7 grid, {serial.points} points: serial {serial.seconds:.1f} s, 2 workers {dask.seconds:.1f} s, "
          f"ratio {serial.seconds / dask.seconds:.2f}; same numbers: {same[0] == same[1]}")


def small() -> None:
    from dask.distributed import Client, LocalCluster
    import psutil

    with tempfile.TemporaryDirectory() as out:
        (Path(out) / "grid.toml").write_text(SMALL_GRID.format(paper=ROOT / "instances" / "paper.toml"))
        grid = load_grid(Path(out) / "grid.toml")
        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, Client(cluster):
            summary = run_sweep(grid, Path(out) / "res", scheduler=cluster.scheduler_address)
            memory = Client(cluster).run(lambda: psutil.Process().memory_info().rss / 2**20)
    rate = summary.run / summary.seconds
    print(f"small grid: {summary.run} points in {summary.seconds:.1f} s on 2 workers: {rate:.2f} points/s, "
          f"{rate / 2:.2f} points/s per worker; failed {summary.failed}")
    print("worker resident memory after the grid: " + ", ".join(f"{m:.0f} MiB" for m in memory.values()))


def against_reproduce() -> None:
    """The Fig. 7 grid on 2 workers against ``reproduce_sweeps`` (the ``reproduce paper --sweeps`` loop)."""
    from spacexnet_opt.formats.scenario import load_scenario
    from spacexnet_opt.reproduce import reproduce_sweeps

    paper = ROOT / "instances" / "paper.toml"
    base = {"altitude_km": 550.0, "constellation_size": "33x32", "link_survival": 0.95, "max_angular_rate": 0.12}
    with tempfile.TemporaryDirectory() as out:
        engine = run_sweep(load_grid(ROOT / "instances" / "fig7.toml"), Path(out) / "engine", workers=2)
        start = time.perf_counter()
        old = reproduce_sweeps(load_scenario(paper), paper, Path(out) / "old", seeds=3)
        old_s = time.perf_counter() - start
        conn = sqlite3.connect(engine.database)
        worst, n = 0.0, 0
        for parameter, rows in old.items():
            for row in rows:
                point = base | {parameter: row["value"]}
                (got,) = conn.execute("SELECT mean_s_per_token, std_s, propagation_s_per_token FROM results WHERE "
                                      + " AND ".join(f"{k} = ?" for k in point) + " AND scheme = ?",
                                      (*point.values(), row["scheme"])).fetchall()
                for a, b in zip(got, (row["mean_s_per_token"], row["std_s"], row["propagation_s_per_token"])):
                    worst, n = max(worst, abs(a - b) / max(abs(b), 1e-12)), n + 1
    print(f"Fig. 7: engine on 2 workers {engine.seconds:.1f} s, reproduce_sweeps {old_s:.1f} s; "
          f"{n} values compared, largest relative difference {worst:.1e}")


if __name__ == "__main__":
    if "--reproduce" in sys.argv:
        against_reproduce()
        sys.exit()
    small()
    if "--small-only" not in sys.argv:
        fig7()
