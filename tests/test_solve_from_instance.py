"""Problems built from instance layers for the linear, top2 and trace objectives."""

import numpy as np
import pytest

from spacexnet_opt.errors import InputError
from spacexnet_opt.formats.instance import LayerSubproblem, Trace
from spacexnet_opt.solve import LinearProblem, QAPProblem, Status, TraceProblem, solve
from spacexnet_opt.solve.from_instance import layer_problem

TAU = [0.4, 0.1, 0.3, 0.2, 0.5]


def _layer(**over):
    fields = dict(layer=2, gateway=99, next_gateway=98, k=2, satellites=[10, 11, 12, 13, 14], tau_s=TAU,
                  activation=[0.8, 0.6, 0.4, 0.2])
    fields.update(over)
    return LayerSubproblem(**fields)


def test_linear_is_rank_one_without_cost_and_general_with_it():
    rank_one = layer_problem(_layer(), "linear")
    assert isinstance(rank_one, LinearProblem)
    assert np.allclose(rank_one.cost, np.outer([0.8, 0.6, 0.4, 0.2], TAU))
    cost = np.arange(20.0).reshape(4, 5)
    general = layer_problem(_layer(cost=cost.tolist()), "linear")
    assert np.array_equal(general.cost, cost)
    # activation and tau ride along so `sorted` can run, but only as a heuristic
    assert solve(general, method="sorted").status is Status.FEASIBLE
    assert solve(rank_one, method="sorted").status is Status.OPTIMAL


def test_top2_objective_is_the_expected_pair_bottleneck():
    co = np.zeros((4, 4))
    co[0, 1], co[0, 2], co[1, 3], co[2, 3] = 0.4, 0.2, 0.2, 0.2
    co = co + co.T  # symmetric file form: each unordered pair counted once
    problem = layer_problem(_layer(coactivation=co.tolist()), "top2")
    assert isinstance(problem, QAPProblem)
    a = np.array([1, 3, 2, 0])  # taus 0.1, 0.2, 0.3, 0.4
    expected = 0.4 * 0.2 + 0.2 * 0.3 + 0.2 * 0.4 + 0.2 * 0.4
    assert problem.objective(a) == pytest.approx(expected)


def test_top2_needs_k_equal_two():
    with pytest.raises(InputError, match="layer 2.k: objective top2 is the exact latency of top-2 routing"):
        layer_problem(_layer(k=1, activation=[0.4, 0.3, 0.2, 0.1]), "top2")


def test_top2_without_coactivation_derives_it_or_says_what_is_missing():
    try:
        from spacexnet_opt.moe import TopKSampler
    except ImportError:
        with pytest.raises(InputError, match="layer 2.coactivation: objective top2 needs the pair co-activation"):
            layer_problem(_layer(), "top2")
        return
    problem = layer_problem(_layer(), "top2")
    expected = np.triu(TopKSampler(np.array([0.8, 0.6, 0.4, 0.2]), 2).pair_coactivation(), 1)
    assert np.allclose(problem.flow, expected)


def test_trace_pads_short_sets_without_changing_the_bottleneck():
    trace = Trace(sets=[[0, 1], [2], [1, 3]], weights=[0.5, 0.25, 0.25])
    problem = layer_problem(_layer(trace=trace), "trace")
    assert isinstance(problem, TraceProblem)
    a = np.array([0, 1, 2, 3])
    assert problem.objective(a) == pytest.approx(0.5 * 0.4 + 0.25 * 0.3 + 0.25 * 0.2)


def test_trace_objective_without_trace_and_unknown_objective():
    with pytest.raises(InputError, match="layer 2.trace: objective trace needs a token trace"):
        layer_problem(_layer(), "trace")
    with pytest.raises(InputError, match="unknown objective 'fast'; valid objectives: linear, top2, trace"):
        layer_problem(_layer(), "fast")


def test_bottleneck_objectives_add_compute_time_on_heterogeneous_satellites():
    layer = _layer(gflops=[10.0, 5.0, 10.0, 2.0, 10.0], expert_gflop=[1.0] * 4,
                   trace=Trace(sets=[[0, 1], [2, 3]], weights=[0.5, 0.5]))
    expected_tau = np.asarray(TAU) + 1.0 / np.array([10.0, 5.0, 10.0, 2.0, 10.0])
    assert np.allclose(layer_problem(layer, "top2").tau, expected_tau)
    assert np.allclose(layer_problem(layer, "trace").tau, expected_tau)
    uneven = _layer(gflops=[10.0] * 5, expert_gflop=[1.0, 2.0, 1.0, 1.0])
    with pytest.raises(InputError, match="experts of one size"):
        layer_problem(uneven, "top2")


def test_solve_instance_places_every_layer_like_solving_each_layer_brute_force(tmp_path):
    from itertools import permutations

    from spacexnet_opt.formats.instance import Instance, save_instance
    from spacexnet_opt.solve.from_instance import solve_instance

    rng = np.random.default_rng(4)
    layers = [_layer(layer=i, tau_s=rng.uniform(0.1, 0.5, 5).tolist()) for i in range(3)]
    path = tmp_path / "i.json"
    save_instance(Instance(scenario={"name": "t"}, layers=layers), path)
    placement = solve_instance(path, "tabu", objective="top2", rng=3)
    assert placement.instance == str(path) and placement.objective == "top2" and placement.seed == 3
    for layer, entry in zip(layers, placement.layers):
        problem = layer_problem(layer, "top2")
        best = min(problem.objective(np.array(a)) for a in permutations(range(5), 4))
        # a heuristic: feasible, never below the optimum, its objective recomputed from the experts it names
        assert entry.objective >= best - 1e-12 and entry.status is Status.FEASIBLE
        columns = np.array([layer.satellites.index(s) for s in entry.experts])
        assert entry.objective == problem.objective(columns) and entry.gateway == layer.gateway
    exact = solve_instance(Instance(scenario={"name": "t"}, layers=layers), "brute", objective="top2")
    assert exact.instance == "t"
    assert exact.total_objective == pytest.approx(
        sum(min(layer_problem(l, "top2").objective(np.array(a)) for a in permutations(range(5), 4)) for l in layers))
