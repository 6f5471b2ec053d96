"""``spacexnet timeline``: a quiet timeline reproduces evaluate; a failure under each policy; bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from spacexnet_opt.evaluate import Deployment, evaluate
from spacexnet_opt.timeline import inputs
from spacexnet_opt.timeline.play import play_timeline

HEAD = """format = "spacexnet-scenario"
version = 1
name = "tl"
[constellation]
preset = "paper"
[snapshots]
count = 2
[model]
profile = "llama-moe-3.5b-2of8"
[statistics]
kind = "zipf"
"""
HOT_HOST = 480  # host of layer 0's hottest expert (p = 0.736) in the starting placement of this scenario


def _scenario(tmp_path, timeline: str):
    path = tmp_path / "t.toml"
    path.write_text(HEAD + "[timeline]\n" + timeline)
    return path


@pytest.fixture(scope="module")
def failure_run(tmp_path_factory):
    path = _scenario(tmp_path_factory.mktemp("tl"), "duration_h = 6\nsample_h = 0.5\nlambda_s_per_gb_hop = 10.0\n"
                     f"[[timeline.failures]]\nsatellite = {HOT_HOST}\nat_h = 1.5\nrepair_h = 2.0\n")
    return play_timeline(path), inputs.load_world(path)


def test_a_timeline_without_events_reproduces_evaluate(tmp_path):
    path = _scenario(tmp_path, "duration_h = 2\nsample_h = 1\neclipse = false\npolicies = [\"never\", \"event\"]\n")
    result = play_timeline(path)
    world = inputs.load_world(path)
    start = result.policies["event"]
    assert start.replacements == 0 and start.gb_moved == 0.0
    # The starting placement is the re-optimised linear one; evaluate it independently.
    from spacexnet_opt.solve import solve
    from spacexnet_opt.solve.from_instance import layer_problem

    experts = np.array([np.asarray(layer.satellites)[solve(layer_problem(layer, "linear"), "hungarian").assignment]
                        for layer in world.layers])
    expected = evaluate(world, Deployment(inputs.gateways(world), experts), tokens=0).snapshot.total_s
    for trace in result.policies.values():
        assert trace.s_per_token == pytest.approx([expected] * 3, rel=1e-12)
        assert trace.affected_token_share == 0.0 and trace.degraded_h == 0.0


def test_a_failure_under_each_policy(failure_run):
    result, world = failure_run
    gb = inputs.expert_gb(world)
    never, event, threshold = (result.policies[name] for name in ("never", "event", "threshold"))
    # Never: layer 0's hottest expert is lost from 1.5 h to 3.5 h.
    assert never.replacements == 0 and never.degraded_h == pytest.approx(2.0)
    lost = [a for t, a in zip(result.sample_h, never.affected) if 1.5 <= t < 3.5]
    assert len(lost) == 4 and all(a == pytest.approx(0.736, abs=5e-4) for a in lost)
    assert never.affected_token_share == pytest.approx(2.0 * never.affected[3] / 6.0)
    # Event and threshold re-place at the failure, moving exactly the orphan (lambda this large: fewest bytes
    # first): nothing is lost at any sample.
    for trace in (event, threshold):
        assert trace.moves[0]["time_h"] == 1.5 and trace.moves[0]["experts_moved"] == 1
        assert trace.moves[0]["gb_moved"] == pytest.approx(gb)
        assert trace.degraded_h == 0.0 and max(trace.affected) == 0.0
    for trace in result.policies.values():
        assert not trace.power["below_floor"] and 0 < trace.power["max_depth_of_discharge"] < 0.7
    # Never keeps computing on the failed host's plane; event moved one expert: their energy differs there.
    assert never.power["energy_wh"] != event.power["energy_wh"]


def test_cli_writes_json_csv_png(tmp_path, cli):
    path = _scenario(tmp_path, "duration_h = 1\nsample_h = 0.5\npolicies = [\"never\"]\n")
    out = tmp_path / "o"
    result = cli("timeline", path, "--json", f"{out}.json", "--csv", f"{out}.csv", "--plot", f"{out}.png")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "o.json").read_text())
    assert doc["format"] == "spacexnet-timeline" and doc["sample_h"] == [0.0, 0.5, 1.0]
    assert (tmp_path / "o.csv").read_text().splitlines()[1].startswith("0,never,")
    assert (tmp_path / "o.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("timeline, message", [
    ("duration_h = 2\n[[timeline.failures]]\nsatellite = 3\nat_h = 5.0\n",
     "t.toml: timeline.failures[0].at_h: 5 h is after the end of the timeline (2 h)"),
    ("duration_h = 2\n[[timeline.failures]]\nsatellite = 5000\nat_h = 1.0\n",
     "timeline.failures[0].satellite: no satellite 5000 in a shell of 1,056"),
    ("duration_h = 2\n[timeline.power]\narray_w = 12.0\n",
     "power.idle_w: impossible power budget"),
    ("duration_h = 2\nduration_days = 1\n", "t.toml: timeline: give exactly one of duration_h, duration_days"),
    ("duration_h = 2\nepoch = \"someday\"\n", "timeline.epoch: expected an ISO 8601 date"),
    ("duration_h = 2\npolicies = [\"sometimes\"]\n", "timeline.policies[0]"),
    ("duration_h = 2\nspeed = 3\n", "timeline.speed"),
    ("duration_h = 2\ndrift_steps = 3\ndrift_every_h = 1\n",
     "timeline.drift_every_h: 3 drift steps every 1 h run past the end of the timeline (2 h)"),
    ("duration_h = 2\ndrift_steps = 3\ndrift = [\"x.json\"]\n",
     "timeline.drift_steps: give drift files or parametric drift_steps, not both"),
    ("duration_h = 2\ndrift = [\"missing.json\"]\n", "missing.json"),
    ("duration_h = 2\nworkload = \"missing.toml\"\n", "missing.toml: file not found"),
    ("duration_h = 2\ninitial_soc = 0.1\n", "timeline.initial_soc"),
    ("duration_h = 2\n[timeline.power]\ninitial_soc = 0.1\n", "timeline.power.initial_soc: 0.1 is below soc_floor (0.3)"),
])
def test_bad_timelines_exit_2_with_one_line_and_write_nothing(tmp_path, cli, timeline, message):
    path = _scenario(tmp_path, timeline)
    out = tmp_path / "o.json"
    result = cli("timeline", path, "--json", out)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not out.exists()


def test_energy_aware_start_keeps_hosts_at_full_speed(tmp_path):
    from spacexnet_opt.constellation.sun import eclipse_states, julian_date
    from spacexnet_opt.timeline.energy import powered_satellites
    from spacexnet_opt.timeline.play import initial_deployment
    from spacexnet_opt.timeline.power import PowerModel

    timeline = ('epoch = "2026-06-21T00:00:00Z"\nduration_h = 3\nsample_h = 3\npolicies = ["never"]\n'
                "[timeline.power]\nbattery_wh = 25.0\n")
    plain = play_timeline(_scenario(tmp_path, timeline))
    (tmp_path / "aware").mkdir()
    aware = play_timeline(_scenario(tmp_path / "aware", "energy_aware = true\n" + timeline))
    world = inputs.load_world(tmp_path / "t.toml")
    shadow = eclipse_states(world.shell, np.arange(0, 3 * 3600, 60.0), epoch_jd=julian_date("2026-06-21"))
    powered = powered_satellites(shadow, 60.0, PowerModel(battery_wh=25.0))
    aware_start, plain_start = initial_deployment(world, powered=powered), initial_deployment(world)
    assert powered[aware_start.hosts].all() and powered[aware_start.gateways].all()
    assert not powered[plain_start.hosts].all() and not powered[plain_start.gateways].all()
    moved = aware_start.gateways != plain_start.gateways
    assert (np.array([l in s for l, s in zip(aware_start.gateways, inputs.subnets(world))])).all() and moved.any()
    for result in (plain, aware):
        assert not result.policies["never"].power["below_floor"]
    assert aware.policies["never"].s_per_token[0] > plain.policies["never"].s_per_token[0]   # the constraint's cost


def test_parametric_drift_moves_experts_only_under_re_placing_policies(tmp_path):
    path = _scenario(tmp_path, "duration_h = 4\nsample_h = 1\neclipse = false\ndrift_steps = 3\ndrift_sigma = 1.0\n"
                               "drift_every_h = 1\npolicies = [\"never\", \"event\"]\nlambda_s_per_gb_hop = 0.0\n")
    result = play_timeline(path)
    assert [e.kind for e in result.events] == ["drift"] * 3 and [e.time_h for e in result.events] == [1, 2, 3]
    never, event = result.policies["never"], result.policies["event"]
    assert never.gb_moved == 0.0 and event.replacements == 3 and event.gb_moved > 0
    assert event.s_per_token[0] == never.s_per_token[0]
    assert len(set(never.s_per_token)) == 4   # each drift step changes the statistics the start is evaluated on


def test_a_parametric_drift_step_keeps_k_experts_per_token():
    world = inputs.load_world(Path(__file__).parent.parent / "instances" / "paper.toml", snapshots=2)
    p = np.array([layer.activation for layer in world.layers])
    one = inputs.drifted_statistics(world, p, np.random.default_rng(0), 1.0, "step").p
    again = inputs.drifted_statistics(world, p, np.random.default_rng(0), 1.0, "step").p
    np.testing.assert_array_equal(one, again)
    np.testing.assert_allclose(one.sum(axis=1), world.profile.top_k)
    assert one.max() <= 1.0 and not np.allclose(one, p)
    assert np.array_equal(inputs.drifted_statistics(world, p, np.random.default_rng(0), 0.0, "none").p.round(12),
                          (p / p.sum(axis=1, keepdims=True) * 2).round(12))


def test_a_timeline_scenario_round_trips_through_toml():
    from spacexnet_opt.formats.scenario import dumps_scenario, parse_scenario

    spec = parse_scenario(HEAD + "[timeline]\nduration_h = 5\n[[timeline.failures]]\nsatellite = 3\nat_h = 1.0\n"
                                 "[[timeline.failures]]\nsatellite = 4\nat_h = 2.0\nrepair_h = 1.5\n"
                                 "[timeline.power]\nbattery_wh = 50.0\n")
    text = dumps_scenario(spec)
    assert text.count("[[timeline.failures]]") == 2
    assert parse_scenario(text) == spec


def test_a_failed_gateway_affects_every_token_until_repaired_or_moved(tmp_path):
    path = _scenario(tmp_path, "duration_h = 3\nsample_h = 0.5\neclipse = false\npolicies = [\"never\", \"event\"]\n"
                               "[[timeline.failures]]\nsatellite = 512\nat_h = 1.0\nrepair_h = 1.0\n")
    world = inputs.load_world(path)
    assert inputs.gateways(world)[0] == 512
    result = play_timeline(path)
    never, event = result.policies["never"], result.policies["event"]
    assert never.affected == [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert never.degraded_h == pytest.approx(1.0) and never.affected_token_share == pytest.approx(1 / 3)
    # Event moves layer 0's gateway off the failed satellite at once: no token waits, and the layer's non-expert
    # weights are sent again.
    assert max(event.affected) == 0.0 and event.degraded_h == 0.0
    failure = event.moves[0]
    assert failure["time_h"] == 1.0 and failure["gateways_moved"] == 1
    moved_to = event.states[2].gateways[0]
    assert moved_to != 512 and moved_to in inputs.subnets(world)[0]
    assert failure["gb_moved"] >= inputs.gateway_gb(world)[0] > 0
