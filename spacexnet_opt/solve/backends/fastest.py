"""Restrict ``top2`` and ``trace`` problems to the ``m`` fastest candidates before searching.

For both objectives some optimum uses only the ``m`` fastest candidates
(:func:`spacexnet_opt.solve.reductions.candidate_columns`, proof in
``formulations/``), so exact and heuristic backends may search the ``m!``
bijections onto those columns only.

>>> from spacexnet_opt.solve.problems import TraceProblem
>>> sub, columns = restrict_to_fastest(TraceProblem(tau=[0.3, 0.1, 0.2], sets=[[0, 1]], n_experts=2))
>>> sub.shape, columns.tolist()
((2, 2), [1, 2])
"""

from __future__ import annotations

import numpy as np

from ..problems import QAPProblem, TraceProblem
from ..reductions import candidate_columns

__all__ = ["restrict_to_fastest"]


def restrict_to_fastest(problem):
    """Return ``(subproblem, columns)``: assignment ``a`` of the subproblem is ``columns[a]`` of ``problem``.

    The subproblem is ``problem`` itself (and ``columns = arange(n)``) when no
    reduction applies (linear problems, general QAPs, negative weights).
    """
    columns = candidate_columns(problem)
    if len(columns) == problem.shape[1]:
        return problem, columns
    tau = problem.tau[columns]
    if isinstance(problem, QAPProblem):
        sub = QAPProblem(problem.flow, problem.distance[np.ix_(columns, columns)], activation=problem.activation,
                         tau=tau, best_known=problem.best_known, name=problem.name)
    else:
        sub = TraceProblem(tau=tau, sets=problem.sets, n_experts=problem.n_experts, weights=problem.weights,
                           activation=problem.activation, name=problem.name)
    return sub, columns
