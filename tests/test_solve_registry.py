"""The method registry, solve's defaults and options, the ``methods`` command and the README example."""

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

from spacexnet_opt.errors import SolverError
from spacexnet_opt.solve import REGISTRY, LinearProblem, QAPProblem, TraceProblem, solve
from spacexnet_opt.solve.registry import KINDS, methods_for

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_prints_what_it_says():
    text = README.read_text()
    code = re.search(r"From Python:\n\n```python\n(.*?)```", text, re.S).group(1)
    expected = "\n".join(line[2:] for line in code.splitlines() if line.startswith("# ")) + "\n"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {})
    assert out.getvalue() == expected


def test_problem_kinds_and_defaults():
    rng = np.random.default_rng(0)
    tau = rng.uniform(1, 2, 30)
    small = QAPProblem.top2(rng.uniform(0, 1, (6, 6)), tau)
    large = TraceProblem(tau=tau, sets=rng.integers(0, 25, (40, 3)), n_experts=25)
    qap = QAPProblem(rng.uniform(0, 1, (4, 4)), rng.uniform(0, 1, (4, 4)))
    assert [p.kind for p in (small, large, qap)] == ["top2", "trace", "qap"]
    assert solve(small).method == "dp" and solve(small).problem == "top2"
    assert solve(large, rng=0).method == "order-ls"
    assert solve(qap, rng=0).method == "memetic"
    assert solve(LinearProblem(np.ones((2, 3)))).method == "hungarian"


def test_rng_accepts_a_seed_or_a_generator():
    problem = QAPProblem(np.arange(36.0).reshape(6, 6), np.arange(36.0)[::-1].reshape(6, 6))
    by_seed = solve(problem, "faq", rng=5)
    by_generator = solve(problem, "faq", rng=np.random.default_rng(5))
    assert np.array_equal(by_seed.assignment, by_generator.assignment)


def test_options_reach_the_backend():
    problem = QAPProblem(np.arange(36.0).reshape(6, 6), np.arange(36.0)[::-1].reshape(6, 6))
    assert solve(problem, "faq", options={"starts": 4}, rng=0).iterations == 4
    with pytest.raises(SolverError, match="max_assignments"):
        solve(LinearProblem(np.ones((4, 6))), "brute", options={"max_assignments": 100})


def test_unknown_method_and_refused_kind():
    with pytest.raises(ValueError, match="valid methods: 2opt, bls, bnb, brute, cpsat, dp, faq"):
        solve(LinearProblem(np.ones((2, 2))), "magic")
    with pytest.raises(SolverError, match="dp solves top2 and trace problems only, not .linear."):
        solve(LinearProblem(np.ones((2, 2))), "dp")


def test_registry_is_consistent():
    assert set(KINDS) == {k for m in REGISTRY.values() for k in m.kinds}
    for kind in KINDS:
        assert any(m.exact for m in methods_for(kind)), kind
        assert any(not m.exact for m in methods_for(kind)), kind


def test_methods_command(cli):
    result = cli("methods", "--kind", "trace")
    assert result.exit_code == 0
    for name in ("dp", "order-ls", "cpsat", "max_experts=22"):
        assert name in result.stdout
    assert "hungarian" not in result.stdout
    bad = cli("methods", "--kind", "cubic")
    assert bad.exit_code == 2
    assert bad.stderr == "error: --kind: unknown problem kind 'cubic'; valid kinds: linear, top2, trace, qap\n"
