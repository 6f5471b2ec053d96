"""Benchmark: expected path latencies over 200 ISL snapshots (issue 2).

Run:  .venv/bin/python bench/bench_routing.py [--mega]

1. Paper scenario: 1,056 satellites (33 x 32 Walker star, 550 km, 87°), 200
   snapshots over one period, angular-rate check 0.12 rad/s, survival 0.95,
   expected delays from 64 evenly spaced source satellites. Goal: < 2 s.
2. Anchor, same run: the all-pairs networkx approach of popular simulators
   (Hypatia's satgenpy builds a networkx graph per time step and calls
   ``floyd_warshall_numpy``; ``all_pairs_dijkstra_path_length`` is also timed).
   A few snapshots are measured and extrapolated linearly to 200. Goal: >= 20x.
3. Time and peak traced memory (tracemalloc, separate pass) for 4,000- and
   10,000-satellite Walker delta shells, same settings; ``--mega`` adds the
   15,000-satellite x 60-source case of the later mega scenario.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np

from spacexnet_opt.constellation import IslConfig, WalkerShell, build_snapshots, expected_delays, preset
from spacexnet_opt.constellation.routing import default_workers

N_SNAPSHOTS = 200
CONFIG = IslConfig(max_angular_rate=0.12, survival=0.95)


def run(shell, n_sources: int):
    """Snapshots + expected delays: (wall s for snapshots, wall s for routing, CPU s in all, snapshots, result)."""
    cpu0, t0 = time.process_time(), time.perf_counter()
    snaps = build_snapshots(shell, n_snapshots=N_SNAPSHOTS, config=CONFIG, seed=0)
    t1 = time.perf_counter()
    sources = np.linspace(0, shell.n_sats, n_sources, endpoint=False).astype(np.int64)
    result = expected_delays(snaps, sources)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, time.process_time() - cpu0, snaps, result


def peak_mib(shell, n_sources: int) -> float:
    tracemalloc.start()
    run(shell, n_sources)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def networkx_all_pairs(snaps, n_measure: int) -> dict[str, float]:
    """Seconds per snapshot of the networkx all-pairs approaches (graph build included)."""
    import networkx as nx

    def nx_graph(t):
        g = nx.Graph()
        g.add_nodes_from(range(snaps.n_sats))
        up = np.isfinite(snaps.delay_s[t])
        g.add_weighted_edges_from(zip(snaps.edges[up, 0].tolist(), snaps.edges[up, 1].tolist(), snaps.delay_s[t, up].tolist()))
        return g

    out = {}
    t0 = time.perf_counter()
    for t in range(n_measure):
        nx.floyd_warshall_numpy(nx_graph(t))
    out["floyd_warshall_numpy"] = (time.perf_counter() - t0) / n_measure
    t0 = time.perf_counter()
    for t in range(n_measure):
        dict(nx.all_pairs_dijkstra_path_length(nx_graph(t)))
    out["all_pairs_dijkstra_path_length"] = (time.perf_counter() - t0) / n_measure
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mega", action="store_true", help="also run 15,000 satellites x 60 sources")
    parser.add_argument("--nx-snapshots", type=int, default=2, help="snapshots measured for the networkx anchor")
    args = parser.parse_args()
    print(f"CPUs available: {len(os.sched_getaffinity(0))}, load average at start: {os.getloadavg()}")

    paper = preset("paper")
    run(paper, 64)  # warm-up: imports and first-call costs
    times = [run(paper, 64) for _ in range(3)]
    build_s, route_s, cpu_s, snaps, result = min(times, key=lambda r: r[0] + r[1])
    total = build_s + route_s
    print(f"\n[paper] {paper.n_sats} satellites, {N_SNAPSHOTS} snapshots, 64 sources (best of 3)")
    print(f"  wall: snapshots {build_s:.3f} s + Dijkstra/expectation {route_s:.3f} s = {total:.3f} s (goal < 2 s); CPU {cpu_s:.3f} s")
    print(f"  feasible-link fraction {snaps.feasible.mean():.4f}, links up {snaps.up.mean():.4f}, "
          f"mean expected delay {1e3 * result.mean_s[np.isfinite(result.mean_s)].mean():.2f} ms, "
          f"mean P(disconnected) {result.p_disconnected.mean():.5f}")
    print(f"  peak traced memory {peak_mib(paper, 64):.1f} MiB")
    sources = np.linspace(0, paper.n_sats, 64, endpoint=False).astype(np.int64)
    cpu0, t0 = time.process_time(), time.perf_counter()
    expected_delays(snaps, sources, workers=1)
    print(f"  Dijkstra/expectation on one thread: wall {time.perf_counter() - t0:.3f} s, CPU {time.process_time() - cpu0:.3f} s "
          f"(default: {default_workers()} threads)")

    per_snapshot = networkx_all_pairs(snaps, args.nx_snapshots)
    print(f"\n[anchor] networkx all pairs, measured on {args.nx_snapshots} snapshots, extrapolated to {N_SNAPSHOTS}:")
    for name, seconds in per_snapshot.items():
        extrapolated = seconds * N_SNAPSHOTS
        print(f"  {name}: {seconds:.2f} s/snapshot -> {extrapolated:.0f} s; ours is {extrapolated / total:.0f}x faster (goal >= 20x)")

    shells = [
        (WalkerShell.from_notation("53:4000/80/1", altitude_km=550, name="delta-4000"), 64),
        (WalkerShell.from_notation("53:10000/100/1", altitude_km=550, name="delta-10000"), 64),
    ]
    if args.mega:
        shells.append((WalkerShell.from_notation("53:15000/120/1", altitude_km=550, name="delta-15000"), 60))
    for shell, n_sources in shells:
        build_s, route_s, cpu_s, snaps, result = run(shell, n_sources)
        print(f"\n[{shell.name}] {shell.n_sats} satellites ({shell.notation}), {N_SNAPSHOTS} snapshots, {n_sources} sources")
        print(f"  wall: snapshots {build_s:.2f} s + Dijkstra/expectation {route_s:.2f} s = {build_s + route_s:.2f} s; CPU {cpu_s:.2f} s")
        print(f"  peak traced memory {peak_mib(shell, n_sources):.0f} MiB")
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
