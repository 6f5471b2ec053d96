"""Count the routing passes (Dijkstra over the snapshots) one CLI command makes.

Usage::

    .venv/bin/python bench/bench_routing_passes.py optimize instances/paper.toml -o /tmp/o.json \\
        --gateways dp --replicas 64 --compute-group waterfill
    .venv/bin/python bench/bench_routing_passes.py reproduce paper --out /tmp/rp

Run it with ``PYTHONPATH=OTHER_CHECKOUT`` to count an older tree the same way. A pass is one call of
``iter_shortest_delays``; it prints how many passes there were, how many covered every snapshot, and the
sources of each.
"""

from __future__ import annotations

import importlib
import sys

import numpy as np


def main() -> None:
    from spacexnet_opt.constellation import routing

    calls = []
    original = routing.iter_shortest_delays

    def counting(snapshots, sources, *args, **kwargs):
        every = kwargs.get("snapshots_idx") is None and not args
        calls.append((len(np.atleast_1d(sources)), every))
        return original(snapshots, sources, *args, **kwargs)

    # every module that bound the function at import time
    for name in ("spacexnet_opt.constellation.routing", "spacexnet_opt.constellation",
                 "spacexnet_opt.constellation.route_table"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "iter_shortest_delays"):
            module.iter_shortest_delays = counting
    from spacexnet_opt.cli.app import app

    try:
        app(sys.argv[1:], standalone_mode=False)
    finally:
        full = sum(1 for _, every in calls if every)
        print(f"routing passes: {len(calls)} (over every snapshot: {full}); sources per pass: "
              f"{[n for n, _ in calls]}")


if __name__ == "__main__":
    main()
