"""Regenerate the deployment reference models in ``formulations/models/`` (see ``deployment.md``).

Run from the repository root: ``.venv/bin/python formulations/generate_deploy_models.py``.
Two small references (fixed seed): the global assignment of 2 layers x 2 experts
over 6 non-gateway satellites (``x_r_s``: row r = layer * 2 + expert on satellite
s), and the replication MILP of 2 layers x 2 experts, 3 spare satellites, 3
snapshots, budget 2. Their optima, by exhaustive search, are printed.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from spacexnet_opt.optimize.replicas import replica_model, replication_saving
from spacexnet_opt.solve.export import FORMATS, export_model
from spacexnet_opt.solve.problems import LinearProblem

SEED = 20261124
MODELS = Path(__file__).resolve().parent / "models"


def main() -> None:
    rng = np.random.default_rng(SEED)
    tau = np.round(rng.uniform(0.010, 0.040, (2, 6)), 4)
    p = np.array([[0.7, 0.3], [0.6, 0.4]])
    cost = (p[:, :, None] * tau[:, None, :]).reshape(4, 6)
    glob = LinearProblem(cost, name="reference_global_assignment")
    best = min(sum(cost[r, c] for r, c in enumerate(a)) for a in itertools.permutations(range(6), 4))
    print(f"global assignment optimum (exhaustive): {best:.6f} s")
    for fmt in FORMATS:
        export_model(glob, MODELS / f"global.{fmt}", fmt=fmt)
    current = np.round(rng.uniform(0.015, 0.030, (3, 2, 2)), 4)
    spare = np.round(rng.uniform(0.010, 0.035, (3, 2, 3)), 4)
    triples = [(l, i, s) for l in range(2) for i in range(2) for s in range(3)]
    saving = max(replication_saving(current, spare, p, c) for r in range(3) for c in itertools.combinations(triples, r)
                 if len({s for _, _, s in c}) == len(c))
    print(f"replication optimum saving (exhaustive, budget 2): {saving:.6f} s")
    prob, _ = replica_model(current, spare, p, 2)
    prob.writeLP(str(MODELS / "replication.lp"))
    prob.writeMPS(str(MODELS / "replication.mps"))


if __name__ == "__main__":
    main()
