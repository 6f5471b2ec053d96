"""``spacexnet solve`` and ``spacexnet compare``: outputs, exit codes and messages."""

import json

import numpy as np
import pytest

from spacexnet_opt.formats.instance import Instance, LayerSubproblem, save_instance
from spacexnet_opt.formats.placement import load_placement
from spacexnet_opt.solve import METHODS, Status
from spacexnet_opt.solve import api as api_module
from spacexnet_opt.solve import compare as compare_module


@pytest.fixture()
def instance(tmp_path):
    layers = []
    rng = np.random.default_rng(0)
    for index in range(3):
        p = rng.dirichlet(np.ones(4)) * 2
        while p.max() > 1:
            p = rng.dirichlet(np.ones(4)) * 2
        satellites = [100 * index + s for s in range(6)]
        layers.append(LayerSubproblem(layer=index, gateway=100 * index + 50, next_gateway=100 * index + 150, k=2,
                                      satellites=satellites, tau_s=rng.uniform(0.01, 0.05, 6).tolist(),
                                      activation=p.tolist()))
    path = tmp_path / "inst.json"
    save_instance(Instance(scenario={"name": "cli test"}, layers=layers), path)
    return path


def test_solve_writes_a_placement_that_matches_the_summary(cli, instance, tmp_path):
    out = tmp_path / "placement.json"
    result = cli("solve", instance, "--method", "hungarian", "--objective", "linear", "-o", out)
    assert result.exit_code == 0, result.output
    placement = load_placement(out)
    assert placement.method == "hungarian" and placement.objective == "linear"
    assert [layer.layer for layer in placement.layers] == [0, 1, 2]
    for layer in placement.layers:
        assert layer.status is Status.OPTIMAL and layer.bound == layer.objective
        assert set(layer.experts) <= {100 * layer.layer + s for s in range(6)}
    assert f"total objective {placement.total_objective:.10g}" in result.output
    assert cli("solve", instance, "--method", "sorted", "-o", tmp_path / "s.json").exit_code == 0
    assert load_placement(tmp_path / "s.json").total_objective == pytest.approx(placement.total_objective)


def test_solve_accepts_qaplib(cli, shared_data, tmp_path):
    result = cli("solve", shared_data / "qaplib" / "had12.dat", "--method", "tabu", "--seed", "0", "-o", tmp_path / "q.json")
    assert result.exit_code == 0, result.output
    placement = load_placement(tmp_path / "q.json")
    assert placement.objective == "qap" and placement.layers[0].gateway is None
    assert placement.total_objective == 1652 and "1652" in result.output


def test_missing_file(cli, tmp_path):
    result = cli("solve", tmp_path / "none.json", "--method", "sorted")
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'none.json'}: file not found\n"


def test_wrong_format(cli, instance, tmp_path):
    cli("solve", instance, "--method", "sorted", "-o", tmp_path / "p.json")
    result = cli("solve", tmp_path / "p.json", "--method", "sorted")
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'p.json'}: format: not a spacexnet-instance file (format='spacexnet-placement')\n"


def test_unknown_method_lists_valid_ones(cli, instance):
    result = cli("solve", instance, "--method", "magic")
    assert result.exit_code == 2
    assert result.stderr == f"error: --method: unknown method 'magic'; valid methods: {', '.join(sorted(METHODS))}\n"


def test_objective_needing_missing_data(cli, instance):
    result = cli("solve", instance, "--method", "brute", "--objective", "trace")
    assert result.exit_code == 2
    assert result.stderr == (f"error: {instance}: layers[0].trace: objective trace needs a token trace of "
                             "activated expert sets; the layer has none\n")


def test_method_that_cannot_solve_the_objective(cli, shared_data):
    result = cli("solve", shared_data / "qaplib" / "had12.dat", "--method", "hungarian")
    assert result.exit_code == 2
    assert result.stderr == "error: hungarian solves linear problems only, not 'qap'\n"


def test_qaplib_rejects_an_objective(cli, shared_data):
    result = cli("solve", shared_data / "qaplib" / "had12.dat", "--method", "tabu", "--objective", "linear")
    assert result.exit_code == 2 and "objective 'linear' does not apply" in result.stderr


def test_failed_run_leaves_an_earlier_placement_intact(cli, instance, tmp_path):
    out = tmp_path / "placement.json"
    assert cli("solve", instance, "--method", "sorted", "-o", out).exit_code == 0
    before = out.read_bytes()
    assert cli("solve", instance, "--method", "hungarian", "--objective", "trace", "-o", out).exit_code == 2
    assert cli("solve", instance, "--method", "tabu", "--objective", "linear", "-o", out).exit_code == 2
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst.json", "placement.json"]


def test_compare_table_csv_and_json(cli, instance, shared_data, tmp_path):
    result = cli("compare", instance, shared_data / "qaplib" / "nug12.dat", "--methods", "sorted,hungarian,tabu,brute",
                 "--time-limit", "0.2", "--seed", "1", "--csv", tmp_path / "c.csv", "--json", tmp_path / "c.json")
    assert result.exit_code == 0, result.output + result.stderr
    doc = json.loads((tmp_path / "c.json").read_text())
    assert doc["issues"] == []
    rows = {(r["instance"], r["method"]): r for r in doc["rows"]}
    assert rows[("inst", "hungarian")]["gap"] == 0.0 and rows[("inst", "sorted")]["gap"] == pytest.approx(0.0, abs=1e-12)
    assert rows[("nug12", "hungarian")]["status"] == "n/a"
    assert rows[("nug12", "tabu")]["reference"] == 578
    assert rows[("inst", "tabu")]["status"] == "n/a" and rows[("nug12", "brute")]["status"] == "n/a"
    csv_lines = (tmp_path / "c.csv").read_text().splitlines()
    assert csv_lines[0].startswith("instance,method,status,objective,bound,reference,gap,runtime_s")
    assert len(csv_lines) == 1 + 8


def test_compare_flags_a_false_optimality_claim(cli, instance, monkeypatch):
    real_solve = api_module.solve

    def lying_solve(problem, *, method, **kw):
        result = real_solve(problem, method=method, **kw)
        if method == "sorted":  # claim optimality for the worst assignment instead
            worst = np.argsort(-np.asarray(problem.tau))[: problem.shape[0]][np.argsort(problem.activation)[::-1]]
            return type(result)(worst, problem.objective(worst), Status.OPTIMAL, None, 0.0, method, problem.kind)
        return result

    monkeypatch.setattr(api_module, "solve", lying_solve)
    result = cli("compare", instance, "--methods", "sorted,hungarian")
    assert result.exit_code == 1
    assert "inconsistent: inst layer 0: sorted claims OPTIMAL at" in result.stderr
    assert "but hungarian reaches" in result.stderr


def test_compare_flags_a_bound_above_a_feasible_value():
    from spacexnet_opt.solve.from_instance import LayerJob
    from spacexnet_opt.solve.problems import QAPProblem
    from spacexnet_opt.solve.result import SolveResult

    job = LayerJob(0, None, None, QAPProblem(np.ones((2, 2)), np.ones((2, 2)), best_known=4.0))
    claim = SolveResult(np.array([0, 1]), 4.0, Status.TIME_LIMIT, 4.5, 1.0, "x", "qap")
    assert compare_module.inconsistencies("toy", [job], {"x": [claim]}) == [
        "toy: x reports bound 4.5 above the objective 4 of the best-known solution"
    ]


def test_compare_unknown_method(cli, instance):
    result = cli("compare", instance, "--methods", "sorted,nope")
    assert result.exit_code == 2 and "unknown method 'nope'" in result.stderr


def test_exact_search_without_time_limit_gets_the_default_and_says_so(cli, tmp_path, shared_data, monkeypatch):
    import spacexnet_opt.cli.solve as solve_cli

    monkeypatch.setattr(solve_cli, "DEFAULT_EXACT_TIME_LIMIT_S", 0.5)
    out = tmp_path / "nug12.json"
    result = cli("solve", shared_data / "qaplib" / "nug12.dat", "--method", "bnb", "-o", out)
    assert result.exit_code == 0, result.output
    assert "note: no --time-limit given; bnb stops after 0.5 s per layer" in result.stderr
    placement = load_placement(out)
    assert placement.time_limit_s == 0.5
    assert placement.layers[0].status in (Status.TIME_LIMIT, Status.OPTIMAL)
    assert placement.layers[0].bound <= 578 <= placement.layers[0].objective


def test_solve_without_method_uses_the_default_of_the_problem_kind(cli, instance, tmp_path):
    result = cli("solve", instance, "--objective", "top2", "-o", tmp_path / "d.json")
    assert result.exit_code == 0
    assert result.stderr == "note: no --method given; using dp, the default for top2 layers of 4 experts\n"
    placement = load_placement(tmp_path / "d.json")
    assert placement.method == "dp" and all(layer.status is Status.OPTIMAL for layer in placement.layers)
