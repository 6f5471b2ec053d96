"""Regenerate the reference model files in ``formulations/models/``.

Run from the repository root: ``.venv/bin/python formulations/generate_models.py``.
The three reference problems (4 experts x 6 candidates, fixed seed) are built in
code, written as LP and MPS through :func:`spacexnet_opt.solve.export.export_model`
(``x_i_s`` = expert i on candidate column s), and their optimum, found by
exhaustive search over all 360 injective maps, is printed.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from spacexnet_opt.solve.export import FORMATS, export_model
from spacexnet_opt.solve.problems import LinearProblem, QAPProblem, TraceProblem

SEED = 20240605
M_EXPERTS, N_CANDIDATES = 4, 6
MODELS = Path(__file__).resolve().parent / "models"


def reference_problems() -> dict:
    """The ``linear``, ``top2`` and ``trace`` reference problems (deterministic)."""
    rng = np.random.default_rng(SEED)
    tau = np.round(rng.uniform(0.010, 0.040, N_CANDIDATES), 4)  # expected path latency, seconds
    flop = rng.uniform(0.5, 1.5, M_EXPERTS)  # heterogeneous expert cost makes the linear cost general
    activation = np.array([0.8, 0.6, 0.4, 0.2])  # top-2: sums to k = 2
    sets = np.array([rng.choice(M_EXPERTS, 2, replace=False, p=activation / 2) for _ in range(40)])
    pair = np.zeros((M_EXPERTS, M_EXPERTS))
    np.add.at(pair, (sets.min(axis=1), sets.max(axis=1)), 1 / len(sets))
    return {
        "linear": LinearProblem(np.outer(activation * flop, tau) + 0.001 * rng.random((M_EXPERTS, N_CANDIDATES)),
                                name="reference_linear"),
        "top2": QAPProblem.top2(pair, tau, activation=activation, name="reference_top2"),
        "trace": TraceProblem(tau, sets, n_experts=M_EXPERTS, activation=activation, name="reference_trace"),
    }


def optimum(problem) -> tuple[float, tuple[int, ...]]:
    """Exhaustive minimum and a minimiser over every injective map."""
    return min((problem.objective(np.array(a)), a) for a in itertools.permutations(range(N_CANDIDATES), M_EXPERTS))


def main() -> None:
    for name, problem in reference_problems().items():
        for fmt in FORMATS:
            export_model(problem, MODELS / f"{name}.{fmt}")
        value, assignment = optimum(problem)
        print(f"{name}: optimum {value:.12g} at expert -> column {list(assignment)}")


if __name__ == "__main__":
    main()
