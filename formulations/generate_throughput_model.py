"""Regenerate the throughput reference model in ``formulations/models/`` (see ``throughput.md``).

Run from the repository root: ``.venv/bin/python formulations/generate_throughput_model.py``.
The reference: 3 satellites of 2, 1 and 1 GFLOPS; layer A's group {0, 1} shares 6 GFLOP a request, layer
B's group {1, 2} shares 4 GFLOP, and satellite 2 also runs 1 GFLOP of experts. Every satellite is busy at
the optimum, so the rate is total speed over total work, 4 / 11 requests/s; the script prints that and the
LP's optimum.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spacexnet_opt.optimize.throughput import RingWork, capacity_bound, capacity_model

MODELS = Path(__file__).resolve().parent / "models"


def main() -> None:
    gflops = np.array([2.0, 1.0, 1.0])
    work = RingWork(np.array([0.0, 0.0, 1.0]), [np.array([0, 1]), np.array([1, 2])], [6.0, 4.0])
    print(f"hand value: {4 / 11:.6f} requests/s; LP: {capacity_bound([work], gflops, output=1).requests_per_s:.6f}")
    prob = capacity_model([work], gflops, name="reference_capacity")
    prob.writeLP(str(MODELS / "throughput.lp"))
    prob.writeMPS(str(MODELS / "throughput.mps"))


if __name__ == "__main__":
    main()
