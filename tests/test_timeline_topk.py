"""Top-k re-placement: local search with the migration price, against brute force on tiny layers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from spacexnet_opt.solve.problems import QAPProblem, TraceProblem
from spacexnet_opt.timeline.migration import LayerCost, migration_problem
from spacexnet_opt.timeline.topk import local_search, replace_topk


def _line(sources, targets):
    return np.abs(np.subtract.outer(np.asarray(sources), np.asarray(targets))).astype(float)


def _value(problem, price, lam, a):
    return problem.objective(np.asarray(a)) + lam * price[np.arange(len(a)), a].sum()


def _case(seed):
    rng = np.random.default_rng(seed)
    tau = rng.random(6)
    sets = [sorted(rng.choice(3, 2, replace=False).tolist()) for _ in range(5)]
    trace = TraceProblem(tau=tau, sets=sets, n_experts=3, weights=rng.random(5) + 0.1)
    coactivation = rng.random((3, 3))
    top2 = QAPProblem.top2((coactivation + coactivation.T) / 2, tau)
    price = rng.random((3, 6))
    price[:, 5] = np.inf                     # a failed column
    return (trace, top2)[seed % 2], price, float(rng.choice([0.0, 0.1, 1.0]))


@pytest.mark.parametrize("seed", range(10))
def test_local_search_is_a_local_optimum_no_worse_than_its_start(seed):
    problem, price, lam = _case(seed)
    start = np.array([0, 1, 2])
    found = local_search(problem, price, start, lam=lam)
    best = _value(problem, price, lam, found)
    assert best <= _value(problem, price, lam, start) + 1e-12
    assert np.isfinite(price[np.arange(3), found]).all() and len(set(found.tolist())) == 3
    for i in range(3):   # no single relocation or swap improves it
        for column in set(range(5)) - set(found.tolist()):
            trial = found.copy()
            trial[i] = column
            assert _value(problem, price, lam, trial) >= best - 1e-12
        for j in range(i + 1, 3):
            trial = found.copy()
            trial[i], trial[j] = found[j], found[i]
            assert _value(problem, price, lam, trial) >= best - 1e-12
    # On these tiny layers the local optimum is the global one (brute force over all 60 placements).
    brute = min(_value(problem, price, lam, list(a)) for a in itertools.permutations(range(5), 3))
    assert best == pytest.approx(brute, rel=1e-12)


def test_replace_topk_starts_from_the_linear_re_placement_and_keeps_failed_columns_out():
    tau = np.array([0.5, 0.1, 0.2, 0.3, 0.4])
    layer = LayerCost(np.arange(10, 15), np.outer([0.6, 0.4], tau))
    migration = migration_problem([layer], np.array([[10, 14]]), [0], _line, expert_gb=1.0, failed=[11])
    trace = TraceProblem(tau=tau, sets=[[0, 1]], n_experts=2)
    free = replace_topk([trace], [np.arange(10, 15)], migration, lam=0.0)
    # The bottleneck of the one set is max(tau): the two fastest surviving columns, 12 and 13.
    assert sorted(free.experts[0].tolist()) == [12, 13] and 11 not in free.experts
    stay = replace_topk([trace], [np.arange(10, 15)], migration, lam=10.0)
    assert stay.experts[0].tolist() == [10, 14] and stay.gb_moved == 0.0
