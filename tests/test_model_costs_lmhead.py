"""The LM head and embeddings charged as an option: the scenario field, a deployment's flag, the reproduce row."""

from __future__ import annotations

import numpy as np
import pytest

from spacexnet_opt.evaluate import deployment_from_solver, evaluate_deployments, world_from_file
from spacexnet_opt.evaluate.convert import deployment_from_file, deployment_to_file
from spacexnet_opt.formats.deployment import scenario_ref
from spacexnet_opt.reproduce.table import run_schemes

from test_evaluate_cli import TINY

LM_HEAD_S = 2 * 4096 * 32000 / 7.28e9   # LLaMA-MoE-3.5B: hidden x vocabulary MACs at 7.28 GFLOPS, 36.0 ms


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    d = tmp_path_factory.mktemp("lmhead")
    (d / "plain.toml").write_text(TINY)
    (d / "head.toml").write_text(TINY.replace('[model]\n', '[model]\ncharge_lm_head = true\n'))
    return d, world_from_file(d / "plain.toml"), world_from_file(d / "head.toml")


def test_default_is_the_papers_formula(worlds):
    _, plain, head = worlds
    assert not plain.compute.include_lm_head and head.compute.include_lm_head
    assert plain.times.per_token_s == 0.0 and head.times.per_token_s == pytest.approx(LM_HEAD_S, rel=1e-12)


def test_the_field_adds_the_lm_head_once_per_token(worlds):
    _, plain, head = worlds
    plan = deployment_from_solver(plain.layers, objective="linear", method="sorted", name="x")
    a, = evaluate_deployments(plain, [plan], tokens=0)
    b, = evaluate_deployments(head, [plan], tokens=0)
    assert b.snapshot.total_s - a.snapshot.total_s == pytest.approx(LM_HEAD_S, rel=1e-9)


def test_a_deployment_flag_charges_it_and_survives_its_file(worlds):
    d, plain, head = worlds
    plan = deployment_from_solver(plain.layers, objective="linear", method="sorted", name="x")
    flagged = plan.replace(charge_lm_head=True)
    a, b = evaluate_deployments(plain, [plan, flagged], tokens=0)
    c, = evaluate_deployments(head, [plan], tokens=0)
    assert b.snapshot.total_s == c.snapshot.total_s
    assert b.snapshot.total_s - a.snapshot.total_s == pytest.approx(LM_HEAD_S, rel=1e-9)
    doc = deployment_to_file(flagged, scenario_ref(d / "plain.toml", relative_to=d), methods="sorted")
    assert doc.options == {"charge_lm_head": True} and deployment_from_file(doc).charge_lm_head
    assert not deployment_from_file(deployment_to_file(plan, doc.scenario, methods="sorted")).charge_lm_head


def test_reproduce_row_shows_the_cost_and_leaves_the_other_rows(worlds):
    _, plain, _ = worlds
    alone = run_schemes(plain, ["Space-XNet"], seeds=2, tokens=400)
    both = run_schemes(plain, ["Space-XNet", "Space-XNet+lm-head"], seeds=2, tokens=400)
    assert both["Space-XNet"] == alone["Space-XNet"]
    gap = both["Space-XNet+lm-head"]["snapshot_exact_s_per_token"] - both["Space-XNet"]["snapshot_exact_s_per_token"]
    assert gap == pytest.approx(LM_HEAD_S, rel=1e-9)
    assert both["Space-XNet+lm-head"]["compute_s_per_token"] - both["Space-XNet"]["compute_s_per_token"] == \
        pytest.approx(LM_HEAD_S, rel=1e-9)


def test_a_flagged_deployment_holds_the_lm_head_in_memory(worlds):
    from spacexnet_opt.evaluate.memory import check_world_memory, head_bytes

    _, plain, _ = worlds
    plan = deployment_from_solver(plain.layers, objective="linear", method="sorted", name="x")
    a, b = check_world_memory(plan, plain), check_world_memory(plan.replace(charge_lm_head=True), plain)
    assert (b.weights - a.weights)[plan.gateways[0]] == head_bytes(plain.profile) == 2 * 32000 * 4096 * 2
    assert (b.weights - a.weights).sum() == head_bytes(plain.profile)


def test_group_shares_leave_room_for_the_lm_head(worlds):
    """The compute-group memory caps count the LM head and embeddings at the first gateway (0.52 GB here)."""
    from spacexnet_opt.optimize.compute_groups import _caps

    _, plain, head = worlds
    plan = deployment_from_solver(plain.layers, objective="linear", method="sorted", name="x")
    g0 = int(plan.gateways[0])
    without, with_head = _caps(plain, plan, 0.7, 2.0)(0, []), _caps(head, plan, 0.7, 2.0)(0, [])
    assert without[g0] == 1.0 > with_head[g0] > 0.0
    others = np.arange(plain.n_sats) != g0
    assert np.array_equal(without[others], with_head[others])
