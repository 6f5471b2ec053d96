"""Migration-aware re-placement for the top-k objectives: local search priced with the migration term.

For a ``top2`` (QAP) or ``trace`` (bottleneck) layer problem the latency term is
no longer one entry per expert, so the exact LAP form of
:mod:`.migration` does not apply. :func:`local_search` starts from a placement
anchored to the current deployment (the linear re-placement at the same
``lam``, which keeps every expert that has a surviving copy unless moving pays)
and applies first-improvement moves -- an expert to a free candidate, or two
experts swapped -- on

    problem.objective(a) + lam * sum_i price[i, a(i)]

until no move improves it (a local optimum) or ``max_rounds`` passes are done.
Each pass tries ``E * C + E (E - 1) / 2`` moves, each one objective evaluation:
meant for layers of tens of experts (the paper's 8), not DeepSeek-V3's 256.

>>> from spacexnet_opt.solve.problems import TraceProblem
>>> problem = TraceProblem(tau=[0.3, 0.1, 0.2, 0.4], sets=[[0, 1]], n_experts=2)
>>> price = np.array([[0.0, 1.0, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0]])   # experts now on columns 0 and 2
>>> local_search(problem, price, np.array([0, 2]), lam=0.01).tolist()   # move expert 0 to the fastest column
[1, 2]
>>> local_search(problem, price, np.array([0, 2]), lam=1.0).tolist()    # moving costs more than it saves
[0, 2]
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .migration import column_of

__all__ = ["local_search", "replace_topk"]


def local_search(problem, price: np.ndarray, start: np.ndarray, *, lam: float, max_rounds: int = 100) -> np.ndarray:
    """A local optimum (assignment of columns) of latency + ``lam`` x migration price, from ``start``.

    ``price`` (E, C) is the migration price of each expert on each column of
    ``problem`` (``inf``: not allowed, e.g. a failed satellite); ``start`` must be allowed.
    """
    price = np.asarray(price, dtype=float)
    a = np.array(start, dtype=np.int64)
    n_experts, n_columns = price.shape
    if not np.isfinite(price[np.arange(n_experts), a]).all():
        raise InputError("the start places an expert where it is not allowed", field="start")

    def value(assignment: np.ndarray) -> float:
        return problem.objective(assignment) + lam * float(price[np.arange(n_experts), assignment].sum())

    best = value(a)
    for _ in range(max_rounds):
        improved = False
        for i in range(n_experts):
            free = np.setdiff1d(np.flatnonzero(np.isfinite(price[i])), a)
            for column in free:
                trial = a.copy()
                trial[i] = column
                if (v := value(trial)) < best - 1e-12 * max(1.0, abs(best)):
                    a, best, improved = trial, v, True
            for j in range(i + 1, n_experts):
                if np.isfinite(price[i, a[j]]) and np.isfinite(price[j, a[i]]):
                    trial = a.copy()
                    trial[i], trial[j] = a[j], a[i]
                    if (v := value(trial)) < best - 1e-12 * max(1.0, abs(best)):
                        a, best, improved = trial, v, True
        if not improved:
            break
    return a


def replace_topk(problems, columns, migration, *, lam: float, max_rounds: int = 100):
    """:func:`local_search` in every layer, from the linear re-placement at the same ``lam``.

    ``problems[l]`` is layer ``l``'s top-k problem (:func:`spacexnet_opt.solve.from_instance.layer_problem`)
    whose columns are the satellites ``columns[l]``; ``migration`` the
    :class:`~.migration.MigrationProblem` of the same layers. Returns a
    :class:`~.migration.Replacement` (its ``latency`` is the linear one).
    """
    start = migration.solve(lam).experts
    experts = np.empty_like(start)
    for l, (problem, satellites) in enumerate(zip(problems, columns)):
        satellites = np.asarray(satellites, dtype=np.int64)
        first = column_of(satellites, start[l])
        found = local_search(problem, migration.price_on(l, satellites), first, lam=lam, max_rounds=max_rounds)
        experts[l] = satellites[found]
    return migration.replacement(experts)
