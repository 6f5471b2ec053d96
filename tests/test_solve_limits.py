"""Time limits end to end, honest bounds, and a solve that ends without a placement."""

import json
import time
from types import SimpleNamespace

import numpy as np
import pytest

from spacexnet_opt.errors import BackendUnavailableError, InputError, SolverError
from spacexnet_opt.evaluate.deployment import deployment_from_placement
from spacexnet_opt.formats.placement import Placement, PlacementLayer, load_placement, save_placement
from spacexnet_opt.solve import QAPProblem, Status, TraceProblem, solve
from spacexnet_opt.solve import api as solve_api
from spacexnet_opt.solve.qaplib import load_qaplib
from spacexnet_opt.solve.result import SolveResult

LIMIT_SLACK_S = 3.0
"""Allowed overrun of a time limit, a correctness bound and not a speed target: the CBC watchdog
interrupts at the deadline and kills one second later, plus process start-up on a loaded 2-core machine."""


def _hard_top2(seed: int = 0) -> QAPProblem:
    """9 experts, 40 candidates: CBC's root alone outlasts a one-second limit."""
    rng = np.random.default_rng(seed)
    return QAPProblem.top2(rng.uniform(0, 1, (9, 9)), rng.uniform(1, 2, 40))


def _hard_trace(seed: int = 0) -> TraceProblem:
    rng = np.random.default_rng(seed)
    sets = np.array([rng.choice(9, 3, replace=False) for _ in range(300)])
    return TraceProblem(tau=rng.uniform(1, 2, 40), sets=sets, n_experts=9, weights=rng.exponential(1, 300))


@pytest.mark.parametrize("method", ["pulp-cbc", "pulp-highs", "cpsat", "order-ls", "brute"])
@pytest.mark.parametrize("make", [_hard_top2, _hard_trace])
def test_solvers_return_within_the_limit(method, make):
    problem = make()
    limit = 1.0
    start = time.perf_counter()
    try:
        result = solve(problem, method, time_limit=limit, rng=0,
                       options={"kicks": 10**6} if method == "order-ls" else None)
    except BackendUnavailableError as exc:
        pytest.skip(str(exc))
    assert time.perf_counter() - start <= limit + LIMIT_SLACK_S
    if result.assignment is None:
        assert result.status is Status.TIME_LIMIT and result.objective is None
    if result.bound is not None and result.objective is not None:
        assert result.bound <= result.objective * (1 + 1e-12)


@pytest.mark.parametrize("method", ["memetic", "bls", "tabu"])
def test_qap_heuristics_return_within_the_limit(method, shared_data):
    problem = load_qaplib(shared_data / "qaplib" / "tai60a.dat")
    start = time.perf_counter()
    result = solve(problem, method, time_limit=0.5, rng=0)
    assert time.perf_counter() - start <= 0.5 + LIMIT_SLACK_S
    assert result.status is Status.FEASIBLE and result.objective >= problem.best_known


@pytest.mark.parametrize("method", ["pulp-cbc", "pulp-highs", "cpsat"])
def test_models_too_large_for_the_limit_are_refused_with_the_estimate(method, shared_data):
    problem = load_qaplib(shared_data / "qaplib" / "tai30a.dat")
    start = time.perf_counter()
    with pytest.raises(SolverError, match=r"(nonzeros|table rows).* about [0-9.]+ s"):
        solve(problem, method, time_limit=1.0)
    assert time.perf_counter() - start < 1.0


def test_cbc_bound_is_below_the_optimum_when_it_stops_at_its_gap():
    """A trace with negative latencies: CBC's optimal stop proves the objective only up to its gap."""
    rng = np.random.default_rng(5)
    problem = TraceProblem(tau=rng.normal(0, 1, 7), sets=[rng.choice(5, 2, replace=False) for _ in range(9)],
                           n_experts=5)
    optimum = solve(problem, "dp").objective
    result = solve(problem, "pulp-cbc")
    assert result.status is Status.OPTIMAL
    assert result.bound <= optimum and result.bound < result.objective


def _placement(layers) -> Placement:
    total = None if any(layer.objective is None for layer in layers) else sum(layer.objective for layer in layers)
    return Placement(instance="x.json", method="cpsat", objective="top2", layers=layers, total_objective=total)


def test_placement_keeps_a_layer_without_experts_and_its_bound(tmp_path):
    layers = [PlacementLayer(layer=0, experts=[3, 1], objective=2.0, status="OPTIMAL", bound=2.0, runtime_s=0.1),
              PlacementLayer(layer=1, experts=None, objective=None, status="TIME_LIMIT", bound=1.5, runtime_s=1.0)]
    save_placement(_placement(layers), tmp_path / "p.json")
    back = load_placement(tmp_path / "p.json")
    assert back.total_objective is None and back.layers[1].experts is None and back.layers[1].bound == 1.5
    assert json.loads((tmp_path / "p.json").read_text())["layers"][1]["experts"] is None
    with pytest.raises(ValueError, match="must have status TIME_LIMIT"):
        PlacementLayer(layer=1, experts=None, objective=None, status="FEASIBLE", runtime_s=1.0)
    instance_layers = [SimpleNamespace(layer=number, n_experts=2, gateway=0) for number in range(2)]
    with pytest.raises(InputError, match=r"layer 1: no placement \(the solver stopped at its time limit"):
        deployment_from_placement(back, instance_layers, n_sats=10)


def test_solve_cli_reports_the_bound_of_a_layer_without_placement(cli, shared_data, tmp_path, monkeypatch):
    def stopped(problem, method=None, **kw):  # what a solver stopped before any solution returns, bound 500
        return SolveResult(None, None, Status.TIME_LIMIT, 500.0, 1.0, method, problem.kind, "no solution found")

    monkeypatch.setattr(solve_api, "solve", stopped)
    out = tmp_path / "p.json"
    result = cli("solve", shared_data / "qaplib" / "nug12.dat", "--method", "cpsat", "--time-limit", "1", "-o", out)
    assert result.exit_code == 0
    assert "warning: layer 0: cpsat stopped at the time limit without a placement (no solution found); " \
           "proven bound 500" in result.stderr
    layer = load_placement(out).layers[0]
    assert layer.experts is None and layer.status is Status.TIME_LIMIT and layer.bound == 500
    assert "TIME_LIMIT" in result.stdout and "total objective -- (a layer has no placement)" in result.stdout
