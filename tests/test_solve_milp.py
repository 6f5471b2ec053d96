"""OR-Tools and PuLP backends, the exact reductions and the LP/MPS export, checked against brute force."""

from __future__ import annotations

import itertools
import re
import sys

import numpy as np
import pytest

from spacexnet_opt.errors import BackendUnavailableError, SolverError
from spacexnet_opt.formats.instance import Instance, LayerSubproblem, Trace, save_instance
from spacexnet_opt.solve import solve
from spacexnet_opt.solve.export import export_model
from spacexnet_opt.solve.problems import LinearProblem, QAPProblem, TraceProblem
from spacexnet_opt.solve.reductions import candidate_columns, qap_as_trace
from spacexnet_opt.solve.result import Status

EXACT = ["cpsat", "pulp-cbc", "pulp-highs"]


def exhaustive(problem, columns=None):
    """Minimum objective over every injective map of the experts into ``columns`` (default: all)."""
    m, n = problem.shape
    columns = range(n) if columns is None else columns
    return min(problem.objective(np.array(a)) for a in itertools.permutations(columns, m))


def random_problems(seed: int, m: int = 4, n: int = 6):
    """One problem of every kind on ``m`` experts and ``n`` candidates."""
    rng = np.random.default_rng(seed)
    tau = rng.uniform(0.01, 0.05, n)
    p = rng.dirichlet(np.ones(m)) * 2
    pair = rng.random((m, m)) ** 3  # correlated, far from independent co-activation
    sets = np.array([rng.choice(m, 3, replace=False) for _ in range(12)])
    return {
        "linear": LinearProblem(rng.random((m, n))),
        "rank-one": LinearProblem.rank_one(p / 2, tau),
        "top2": QAPProblem.top2(np.triu(pair + pair.T, 1), tau, activation=p),
        "qap": QAPProblem(rng.integers(0, 6, (m, m)), rng.integers(0, 9, (n, n))),
        "trace": TraceProblem(tau, sets, n_experts=m, weights=rng.random(12)),
    }


CASES = [(seed, kind) for seed in (0, 1) for kind in ("linear", "rank-one", "top2", "qap", "trace")]


@pytest.mark.parametrize("method", EXACT)
@pytest.mark.parametrize("seed,kind", CASES)
def test_exact_backends_match_brute_force(method, seed, kind):
    problem = random_problems(seed)[kind]
    result = solve(problem, method=method, time_limit=30, rng=0)
    best = exhaustive(problem)
    assert result.status is Status.OPTIMAL
    assert len(set(result.assignment.tolist())) == problem.shape[0]
    assert result.objective == pytest.approx(problem.objective(result.assignment))
    assert result.objective == pytest.approx(best, rel=1e-7)
    assert result.bound <= best + 1e-12


@pytest.mark.parametrize("seed", range(3))
def test_ortools_lsa_matches_scipy_on_rectangular_costs(seed):
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(seed)
    cost = rng.random((15, 40)) * 10.0 ** rng.integers(-6, 6)
    rows, cols = linear_sum_assignment(cost)
    result = solve(LinearProblem(cost), method="ortools-lsa")
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(cost[rows, cols].sum(), rel=1e-9)
    assert result.bound <= cost[rows, cols].sum()


def test_lsa_bound_stays_below_optimum_when_scaling_cannot_resolve_costs():
    # entries differ by 1e-15 of the largest cost, far below the integer precision
    cost = np.array([[1e6, 1.0 + 3e-9, 2.0], [1e6, 1.0, 1.0 + 1e-9]])
    best = exhaustive(LinearProblem(cost))
    for method in ("ortools-lsa", "cpsat"):
        result = solve(LinearProblem(cost), method=method)
        assert result.bound <= best
        assert result.objective >= best
        if result.status is Status.OPTIMAL:
            assert result.objective - best <= 1e-7 * best


def test_exact_backends_agree_on_a_larger_layer():
    problems = random_problems(7, m=6, n=9)
    for kind in ("top2", "trace"):
        values = [solve(problems[kind], method=method, time_limit=30).objective for method in EXACT]
        assert values == pytest.approx([values[0]] * len(values), rel=1e-7)
    linear = [solve(problems["linear"], method=method, time_limit=30).objective for method in [*EXACT, "ortools-lsa"]]
    assert linear == pytest.approx([linear[0]] * len(linear), rel=1e-7)


@pytest.mark.parametrize("method", ["pulp-cbc", "pulp-highs"])
def test_milp_optimum_of_a_64_by_256_layer_matches_hungarian_to_rounding(method):
    # at unit objective scale CBC's cutoff increment let it stop 4.5e-8 (relative) above the optimum here
    rng = np.random.default_rng(5)
    problem = LinearProblem.rank_one(np.minimum(2 * rng.dirichlet(np.full(64, 0.5)), 1.0), rng.uniform(0.01, 0.04, 256))
    best = solve(problem, method="hungarian").objective
    result = solve(problem, method=method, time_limit=60)
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(best, rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_an_optimum_lies_on_the_fastest_candidates(seed):
    problems = random_problems(seed, m=3, n=6)
    for kind in ("top2", "trace"):
        problem = problems[kind]
        fastest = candidate_columns(problem)
        assert fastest.tolist() == sorted(np.argsort(problem.tau)[:3].tolist())
        assert exhaustive(problem, fastest) == pytest.approx(exhaustive(problem))


def test_top2_qap_equals_its_trace_form_on_every_assignment():
    problem = random_problems(3)["top2"]
    trace = qap_as_trace(problem)
    for a in itertools.permutations(range(6), 4):
        assert trace.objective(np.array(a)) == pytest.approx(problem.objective(np.array(a)))
    assert qap_as_trace(random_problems(3)["qap"]) is None


def test_ortools_lsa_rejects_quadratic_problems():
    with pytest.raises(SolverError, match="linear problems only"):
        solve(random_problems(0)["top2"], method="ortools-lsa")


def read_qaplib(path):
    tokens = path.read_text().split()
    n = int(tokens[0])
    values = np.array(tokens[1 : 1 + 2 * n * n], dtype=float)
    return QAPProblem(values[: n * n].reshape(n, n), values[n * n :].reshape(n, n))


def test_cpsat_proves_chr12a(shared_data):
    result = solve(read_qaplib(shared_data / "qaplib" / "chr12a.dat"), method="cpsat", time_limit=60, rng=0)
    assert result.status is Status.OPTIMAL
    assert result.objective == 9552 and result.bound == 9552


def test_cpsat_bound_on_had12_is_valid_when_stopped_early(shared_data):
    # proving had12 (1652) takes CP-SAT minutes on 2 cores: check the honest TIME_LIMIT instead
    result = solve(read_qaplib(shared_data / "qaplib" / "had12.dat"), method="cpsat", time_limit=3, rng=0)
    assert result.status in (Status.TIME_LIMIT, Status.OPTIMAL)
    assert result.bound <= 1652
    assert result.objective is None or result.objective >= 1652


def highs_resolve(path):
    """Solve a model file with HiGHS; return the assignment decoded from the ``x_i_s`` columns and the objective."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    names, values = h.getLp().col_names_, h.getSolution().col_value
    chosen = {}
    for name, value in zip(names, values):
        match = re.fullmatch(r"x_(\d+)_(\d+)", name)
        if match and value > 0.5:
            chosen[int(match[1])] = int(match[2])
    return np.array([chosen[i] for i in range(len(chosen))]), h.getInfo().objective_function_value


@pytest.mark.parametrize("fmt", ["lp", "mps"])
@pytest.mark.parametrize("kind", ["linear", "top2", "qap", "trace"])
def test_exported_model_resolved_by_highs_gives_our_objective(tmp_path, fmt, kind):
    problem = random_problems(5)[kind]
    path = tmp_path / f"model.{fmt}"
    export_model(problem, path)
    assignment, value = highs_resolve(path)
    assert problem.objective(assignment) == pytest.approx(value, rel=1e-9)
    assert value == pytest.approx(exhaustive(problem), rel=1e-9)


@pytest.mark.parametrize(
    "blocked,method",
    [("ortools.sat.python", "cpsat"), ("ortools.graph.python", "ortools-lsa"), ("pulp", "pulp-cbc"), ("pulp", "pulp-highs")],
)
def test_missing_backend_gives_install_hint(monkeypatch, blocked, method):
    monkeypatch.setitem(sys.modules, blocked, None)
    with pytest.raises(BackendUnavailableError, match="pip install"):
        solve(random_problems(0)["linear"], method=method)


@pytest.fixture()
def instance_file(tmp_path):
    rng = np.random.default_rng(11)
    layers = [
        LayerSubproblem(layer=layer, gateway=100 + layer, next_gateway=101 + layer, k=2,
                        satellites=list(range(10 * layer, 10 * layer + 6)), tau_s=rng.uniform(0.01, 0.05, 6).tolist(),
                        activation=[0.8, 0.6, 0.4, 0.2], trace=Trace(sets=[[0, 1], [1, 2], [0, 3], [0, 1]]))
        for layer in (0, 1)
    ]
    path = tmp_path / "instance.json"
    save_instance(Instance(scenario={"name": "test"}, layers=layers), path)
    return path


def test_cli_export_writes_a_model_highs_solves_to_the_layer_optimum(cli, instance_file, tmp_path):
    from spacexnet_opt.formats.instance import load_instance

    out = tmp_path / "layer1.mps"
    result = cli("export", instance_file, "--layer", "1", "--objective", "trace", "-o", out)
    assert result.exit_code == 0, result.output
    layer = load_instance(instance_file).layers[1]
    problem = TraceProblem(layer.tau_s, np.array(layer.trace.sets), n_experts=4)
    _, value = highs_resolve(out)
    assert value == pytest.approx(exhaustive(problem), rel=1e-9)


def test_cli_export_errors(cli, instance_file, tmp_path):
    result = cli("export", instance_file, "--layer", "7", "-o", tmp_path / "m.lp")
    assert result.exit_code == 2 and "no layer 7" in result.stderr
    result = cli("export", instance_file, "--layer", "0", "-o", tmp_path / "m.txt")
    assert result.exit_code == 2 and "unknown model format 'txt'" in result.stderr
    result = cli("export", instance_file, "-o", tmp_path / "m.lp")
    assert result.exit_code == 2 and "choose one with --layer" in result.stderr
    assert not list(tmp_path.glob("m.*"))


def test_committed_reference_models_resolve_to_the_exhaustive_optimum():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "formulations"
    spec = importlib.util.spec_from_file_location("generate_models", root / "generate_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, problem in module.reference_problems().items():
        for fmt in ("lp", "mps"):
            assignment, value = highs_resolve(root / "models" / f"{name}.{fmt}")
            assert value == pytest.approx(exhaustive(problem), rel=1e-9), (name, fmt)
            assert problem.objective(assignment) == pytest.approx(value, rel=1e-9)


def test_cpsat_proves_a_mid_size_rank_one_layer():
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(2)
    problem = LinearProblem.rank_one(rng.dirichlet(np.ones(16)), rng.uniform(0.01, 0.04, 64))
    rows, cols = linear_sum_assignment(problem.cost)
    result = solve(problem, method="cpsat", time_limit=30, rng=0)
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(problem.cost[rows, cols].sum(), rel=1e-7)


@pytest.mark.parametrize("method", ["pulp-cbc", "pulp-highs", "cpsat"])
def test_exact_backends_resolve_millisecond_costs(method):
    # latencies in seconds make tiny coefficients; solver tolerances must not decide the optimum
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(5)
    problem = LinearProblem.rank_one(rng.dirichlet(np.full(32, 0.5)), rng.uniform(0.010, 0.040, 128))
    rows, cols = linear_sum_assignment(problem.cost)
    result = solve(problem, method=method, time_limit=60)
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(problem.cost[rows, cols].sum(), rel=1e-9)
