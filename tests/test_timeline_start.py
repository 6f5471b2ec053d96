"""``spacexnet timeline --deployment`` and ``--workload``: a deployment file's start reproduces evaluate, its
throughput reproduces serve, and a bad deployment file is one line with exit 2."""

from __future__ import annotations

import json

import pytest

from spacexnet_opt.evaluate import evaluate_deployments, load_deployment_world
from spacexnet_opt.serve import serve_file
from spacexnet_opt.timeline.play import play_timeline
from test_timeline_cli import HEAD

SCENARIO = HEAD + """[timeline]
duration_h = 2
sample_h = 1
eclipse = false
policies = ["never", "event"]
"""
WORKLOAD = """format = "spacexnet-workload"
version = 1
name = "tiny"
seed = 0
[arrivals]
process = "poisson"
rate = 0.05
[requests]
duration_s = 60.0
[prompt]
value = 8
[output]
value = 8
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The scenario, a deployment with replicas and compute groups optimised for it, and a small workload."""
    from typer.testing import CliRunner

    from spacexnet_opt.cli.app import app

    root = tmp_path_factory.mktemp("start")
    (root / "t.toml").write_text(SCENARIO)
    (root / "w.toml").write_text(WORKLOAD)
    result = CliRunner().invoke(app, ["optimize", str(root / "t.toml"), "-o", str(root / "dep.json"),
                                      "--replicas", "8", "--compute-group", "waterfill", "--group-size", "4"])
    assert result.exit_code == 0, result.output
    return root


def test_a_deployment_start_without_events_reproduces_evaluate(files):
    _, plan, world = load_deployment_world(files / "dep.json")
    assert plan.hosts.shape[2] > 1 and plan.groups is not None and any(g.size > 1 for g in plan.groups)
    expected = evaluate_deployments(world, [plan], tokens=0)[0].snapshot.total_s
    result = play_timeline(files / "t.toml", deployment=files / "dep.json")
    for trace in result.policies.values():
        assert trace.s_per_token == pytest.approx([expected] * 3, rel=1e-12)
        assert trace.replacements == 0 and trace.tokens_per_s == []
        assert (trace.states[0].hosts == plan.hosts).all() and (trace.states[0].gateways == plan.gateways).all()
    assert "dep.json" in result.assumptions["start"]


def test_throughput_per_sample_reproduces_serve(files):
    expected = serve_file(files / "dep.json", files / "w.toml")[0].metrics["throughput"]["tokens_per_s"]
    assert expected > 0
    result = play_timeline(files / "t.toml", deployment=files / "dep.json", workload=files / "w.toml")
    for trace in result.policies.values():
        assert trace.tokens_per_s == pytest.approx([expected] * 3, rel=1e-12)
    (files / "tw.toml").write_text(SCENARIO.replace("[timeline]\n", '[timeline]\nworkload = "w.toml"\n'))
    from_scenario = play_timeline(files / "tw.toml", workload=None)   # the [timeline] workload, same numbers
    start = from_scenario.policies["never"]
    assert len(start.tokens_per_s) == 3 and start.to_json()["tokens_per_s"] == start.tokens_per_s


def test_cli_writes_throughput(files, cli, tmp_path):
    out = tmp_path / "o.json"
    result = cli("timeline", files / "t.toml", "--deployment", files / "dep.json", "--workload", files / "w.toml",
                 "--json", out, "--csv", tmp_path / "o.csv")
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    expected = serve_file(files / "dep.json", files / "w.toml")[0].metrics["throughput"]["tokens_per_s"]
    assert doc["policies"]["event"]["tokens_per_s"] == pytest.approx([expected] * 3, rel=1e-12)
    header, first = (tmp_path / "o.csv").read_text().splitlines()[:2]
    assert header.endswith(",tokens_per_s") and float(first.split(",")[-1]) == pytest.approx(expected, rel=1e-8)


def _deployment_variant(files, tmp_path, edit) -> str:
    doc = json.loads((files / "dep.json").read_text())
    edit(doc)
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    return str(tmp_path / "bad.json")


def _set_expert(doc):
    doc["layers"][0]["experts"][0] = [5000]


@pytest.mark.parametrize("case, message", [
    ("other scenario", "dep.json: scenario.sha256: was made for t.toml, not for "),
    ("not json", "bad.json"),
    ("satellite", "bad.json: layers[0]"),
])
def test_a_bad_deployment_file_is_one_line_exit_2_and_nothing_written(files, cli, tmp_path, case, message):
    scenario, deployment = files / "t.toml", files / "dep.json"
    if case == "other scenario":
        scenario = tmp_path / "other.toml"
        scenario.write_text(SCENARIO.replace("duration_h = 2", "duration_h = 3"))
    elif case == "not json":
        deployment = tmp_path / "bad.json"
        deployment.write_text("{not json")
    else:
        deployment = _deployment_variant(files, tmp_path, _set_expert)
    out = tmp_path / "o.json"
    result = cli("timeline", scenario, "--deployment", deployment, "--json", out)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not out.exists()


def test_an_energy_aware_deployment_start_moves_what_is_unpowered(tmp_path, cli):
    import numpy as np

    from spacexnet_opt.constellation.sun import eclipse_states, julian_date
    from spacexnet_opt.timeline import inputs
    from spacexnet_opt.timeline.energy import powered_satellites
    from spacexnet_opt.timeline.power import PowerModel

    text = SCENARIO.replace("eclipse = false", 'epoch = "2026-06-21T00:00:00Z"\nenergy_aware = true') \
        + "[timeline.power]\nbattery_wh = 25.0\n"
    (tmp_path / "e.toml").write_text(text)
    result = cli("optimize", tmp_path / "e.toml", "-o", tmp_path / "dep.json", "--compute-group", "waterfill",
                 "--group-size", "4")
    assert result.exit_code == 0, result.output
    _, plan, world = load_deployment_world(tmp_path / "dep.json")
    shadow = eclipse_states(world.shell, np.arange(0, 2 * 3600, 60.0), epoch_jd=julian_date("2026-06-21"))
    powered = powered_satellites(shadow, 60.0, PowerModel(battery_wh=25.0))
    assert not powered[plan.gateways].all() and not powered[plan.hosts].all()
    start = play_timeline(tmp_path / "e.toml", deployment=tmp_path / "dep.json").policies["never"].states[0]
    members = np.concatenate([g.members for g in start.groups])
    assert powered[start.gateways].all() and powered[start.hosts].all() and powered[members].all()
    moved = start.gateways != plan.gateways
    assert (start.gateways[moved] != plan.gateways[moved]).all() and moved.sum() == (~powered[plan.gateways]).sum()
    assert all(g.size == 1 for g, m in zip(start.groups, moved) if m)              # moved: the gateway alone
    assert all(s in subnet for s, subnet in zip(start.gateways, inputs.subnets(world)))
