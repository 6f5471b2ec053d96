"""Benchmark of ``spacexnet sweep``: the Fig. 7 grid serially vs 2 Dask workers, and points per second
against the number of worker processes on a loopback ``dask scheduler``.

Every part prints wall time *and* CPU time (this process plus every worker process), because the
machine it runs on may be shared: the CPU seconds show the work the sweep did, the wall seconds
what the load left it.

``--fig7`` runs ``instances/fig7.toml`` (21 distinct points on the paper's shell, 200 snapshots,
4 schemes, 3 seeds) in this process and then on a 2-worker cluster (the sweep's own local-cluster
settings), and prints the wall ratio, the CPU seconds of each and whether the numbers agree.
``--profile`` prints what one Fig. 7 point costs and ships (the routing share
of its time, the size of its snapshots and scenario, its CPU with 1 and 2 routing threads, and as a task on a
2-worker cluster). ``--scaling`` starts ``dask scheduler`` on 127.0.0.1 and 1, 2 and 4 ``dask worker`` processes
(one thread each) and runs a 24-point grid on the paper's shell (50 snapshots) on each, printing
points per second. ``--reproduce`` runs the Fig. 7 grid on 2 workers and then
``reproduce_sweeps`` (the ``reproduce paper --sweeps`` loop) and compares their numbers.
Every process started is stopped before the bench ends.
Run: .venv/bin/python bench/bench_sweep.py [--profile] [--fig7] [--scaling] [--reproduce]   (default: --fig7 --scaling)
"""

import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from spacexnet_opt.sweep import load_grid, run_sweep
from spacexnet_opt.sweep.cluster import connect

ROOT = Path(__file__).resolve().parents[1]
SCALING_GRID = """format = "spacexnet-grid"
version = 1
name = "scaling-24"
scenario = "{paper}"
[run]
seeds = 2
[set]
"snapshots.count" = 50
[axes]
"isl.survival" = [0.8, 0.85, 0.9, 0.95, 1.0, 0.75]
"seeds.statistics" = [0, 1, 2, 3]
"""


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _worker_cpu(client) -> float:
    """CPU seconds of every worker process so far."""
    import psutil

    return sum(client.run(lambda: sum(psutil.Process().cpu_times()[:2])).values())


def _timed(grid, out, client=None) -> tuple:
    """``(summary, wall s, cpu s)`` of one sweep; on ``client``'s workers, or in this process."""
    before, workers_before = _own_cpu(), _worker_cpu(client) if client is not None else 0.0
    start = time.perf_counter()
    address = client.scheduler.address if client is not None else None
    summary = run_sweep(grid, out, workers=0 if client is None else None, scheduler=address)
    wall = time.perf_counter() - start
    cpu = _own_cpu() - before + (_worker_cpu(client) - workers_before if client is not None else 0.0)
    return summary, wall, cpu


def _rows(database) -> list:
    with sqlite3.connect(database) as conn:
        return conn.execute("SELECT point_hash, scheme, mean_s_per_token FROM results ORDER BY 1, 2").fetchall()


def fig7() -> None:
    grid = load_grid(ROOT / "instances" / "fig7.toml")
    with tempfile.TemporaryDirectory() as out:
        serial, serial_s, serial_cpu = _timed(grid, Path(out) / "serial")
        start = time.perf_counter()
        client, cluster = connect(workers=2)
        startup = time.perf_counter() - start
        try:
            dask, dask_s, dask_cpu = _timed(grid, Path(out) / "dask", client)
        finally:
            client.close()
            cluster.close()
        same = _rows(serial.database) == _rows(dask.database)
    print(f"Fig. 7 grid, {serial.points} points: serial {serial_s:.1f} s wall / {serial_cpu:.1f} s CPU; "
          f"2 workers {dask_s:.1f} s wall (+{startup:.1f} s cluster start) / {dask_cpu:.1f} s CPU (client and "
          f"workers); wall ratio {serial_s / dask_s:.2f}, CPU ratio {dask_cpu / serial_cpu:.2f}; "
          f"same numbers: {same}; load average {os.getloadavg()[0]:.1f}")


def _point_cpu(spec, source, schemes, run, levers, routing_threads=None) -> float:
    """CPU seconds of one point, its snapshots built in the same call (a Dask task of its own)."""
    from spacexnet_opt.constellation import routing
    from spacexnet_opt.sweep.task import run_point, shell_snapshots

    default = routing.default_workers
    if routing_threads is not None:
        routing.default_workers = lambda: routing_threads
    try:
        start = time.process_time()
        run_point(spec, source, schemes, run, shell_snapshots(spec, source), levers)
        return time.process_time() - start
    finally:
        routing.default_workers = default


def profile() -> None:
    """What one Fig. 7 point costs and ships: routing share, snapshot size, routing threads, in a worker."""
    import cProfile
    import pickle
    import pstats

    from spacexnet_opt.sweep import distinct, grid_points
    from spacexnet_opt.sweep.task import run_point, shell_snapshots

    grid = load_grid(ROOT / "instances" / "fig7.toml")
    points = [p for p in distinct(grid_points(grid)) if p.params["link_survival"] in (0.8, 0.85, 0.9, 1.0)
              and p.params["max_angular_rate"] == 0.12 and p.params["altitude_km"] == 550.0
              and p.params["constellation_size"] == "33x32"]
    source = str(grid.base_path().resolve())
    args = [(p.spec, source, list(p.schemes), p.run, p.levers) for p in points]
    start = time.perf_counter()
    snapshots = shell_snapshots(points[0].spec, source)
    built = time.perf_counter() - start
    _point_cpu(*args[0])  # imports and first-use work out of the figures
    profiler = cProfile.Profile()
    profiler.enable()
    run_point(*args[0][:4], snapshots, args[0][4])
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = max(v[3] for v in stats.values())
    routing = max(v[3] for k, v in stats.items() if k[2] == "route_paths")
    threads = {n: [round(_point_cpu(*a, routing_threads=n), 2) for a in args[:2]] for n in (1, 2)}
    print(f"one point: snapshots built in {built:.2f} s, {len(pickle.dumps(snapshots)) / 1e6:.1f} MB pickled; "
          f"scenario {len(pickle.dumps(points[0].spec)) / 1e3:.1f} kB pickled; routing {routing / total:.0%} of "
          f"the point's time; CPU s with 1 / 2 routing threads: {threads[1]} / {threads[2]}")
    client, cluster = connect(workers=2)
    try:
        client.run(lambda: __import__("spacexnet_opt.sweep.task") and None)
        cpu = client.gather([client.submit(_point_cpu, *a, pure=False) for a in args])
    finally:
        client.close()
        cluster.close()
    print(f"the same points as tasks on 2 workers, CPU s each: {[round(c, 2) for c in cpu]}; "
          f"load average {os.getloadavg()[0]:.1f}")


def _start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"})


def _stop(processes: list[subprocess.Popen]) -> None:
    for proc in processes:
        proc.terminate()
    for proc in processes:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def scaling() -> None:
    """Points per second on a loopback ``dask scheduler`` with 1, 2 and 4 worker processes."""
    from dask.distributed import Client

    with tempfile.TemporaryDirectory() as out:
        (Path(out) / "grid.toml").write_text(SCALING_GRID.format(paper=ROOT / "instances" / "paper.toml"))
        grid = load_grid(Path(out) / "grid.toml")
        file = Path(out) / "scheduler.json"
        scheduler = _start([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                            "--port", "0", "--no-dashboard", "--scheduler-file", str(file)])
        processes = [scheduler]
        try:
            deadline = time.monotonic() + 60
            while not file.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            address = json.loads(file.read_text())["address"]
            for n in (1, 2, 4):
                workers = _start([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                  "--nworkers", str(n), "--host", "127.0.0.1", "--no-dashboard"])
                processes.append(workers)
                with Client(address, timeout=30) as client:
                    client.wait_for_workers(n, timeout=120)
                    client.run(lambda: __import__("spacexnet_opt.sweep.task") and None)  # imports out of the timing
                    summary, wall, cpu = _timed(grid, Path(out) / f"w{n}", client)
                _stop([workers])
                processes.remove(workers)
                print(f"{n} worker process(es): {summary.run} points in {wall:.1f} s wall, {cpu:.1f} s CPU: "
                      f"{summary.run / wall:.2f} points/s ({summary.run / cpu:.2f} points per CPU-second); "
                      f"failed {summary.failed}; load average {os.getloadavg()[0]:.1f}", flush=True)
        finally:
            _stop(processes)


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
    parts = {"--profile": profile, "--fig7": fig7, "--scaling": scaling, "--reproduce": against_reproduce}
    chosen = [flag for flag in parts if flag in sys.argv] or ["--fig7", "--scaling"]
    for flag in chosen:
        parts[flag]()
