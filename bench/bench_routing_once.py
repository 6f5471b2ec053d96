"""How often ``spacexnet reproduce paper`` routes a snapshot, and how long the Table II part takes.

Runs the Table II part of ``reproduce paper`` (instances/paper.toml, all six
schemes, 10 seeds, 100,000 tokens per scheme) and counts the snapshot graphs
routed (one Dijkstra batch each): every full pass over the 200 snapshots, plus
the median-gateway rule's routing between band members over
``partition.diameter_snapshots`` snapshots. Prints the best wall time and the
best CPU time of all threads (less sensitive to a loaded machine). To compare with an older checkout,
run the same file with that checkout first on ``PYTHONPATH``.
Run: .venv/bin/python bench/bench_routing_once.py [repeats]
"""

import sys
import time

import spacexnet_opt
from spacexnet_opt.constellation.isl import IslSnapshots
from spacexnet_opt.formats.scenario import load_scenario
from spacexnet_opt.reproduce import default_scenario, reproduce_table


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    calls = {"graphs": 0}
    graph = IslSnapshots.graph

    def counted(self, t):
        calls["graphs"] += 1
        return graph(self, t)

    IslSnapshots.graph = counted
    path = default_scenario("paper")
    spec = load_scenario(path)
    wall, cpu = [], []
    for _ in range(repeats):
        calls["graphs"] = 0
        start, start_cpu = time.perf_counter(), time.process_time()
        reproduce_table(spec, path, seeds=10, tokens=100_000, paper_reference=True)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(f"{spacexnet_opt.__file__}: snapshot graphs routed {calls['graphs']} ({spec.snapshots.count} snapshots); "
          f"Table II part best of {repeats}: wall {min(wall):.1f} s, CPU (all threads) {min(cpu):.1f} s")


if __name__ == "__main__":
    main()
