"""``spacexnet timeline --html``: the offline replay page, its frames per sample, failures and migrations."""

from __future__ import annotations

import numpy as np
import pytest

from spacexnet_opt.timeline import inputs
from spacexnet_opt.timeline.play import play_timeline
from spacexnet_opt.view.replay import MAP_TRACES, replay_chart, replay_map
from test_timeline_cli import HEAD

SCENARIO = HEAD + """[timeline]
duration_h = 2
sample_h = 0.5
policies = ["never", "event"]
lambda_s_per_gb_hop = 10.0
[[timeline.failures]]
satellite = 480
at_h = 0.75
"""


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    path = tmp_path_factory.mktemp("replay") / "t.toml"
    path.write_text(SCENARIO)
    return path, play_timeline(path)


def _frame(fig, f: int, name: str):
    frame = fig.frames[f]
    return frame.data[list(frame.traces).index(MAP_TRACES.index(name))]


def test_the_map_has_a_frame_per_sample_with_failures_shadow_charge_and_migrations(played):
    _, result = played
    fig = replay_map(result, "event")
    assert [t.name for t in fig.data] == list(MAP_TRACES) and len(fig.frames) == 5
    assert [s["label"] for s in fig.layout.sliders[0].steps] == ["0 h", "0.5 h", "1 h", "1.5 h", "2 h"]
    event = result.policies["event"]
    for f in range(5):
        sats = _frame(fig, f, "satellites")
        assert len(sats.x) == 1056
        shadow = result.shadow[result.sample_steps()[f]]
        assert (np.array(sats.marker.symbol) == "square").tolist() == shadow.tolist()
        assert np.allclose(sats.marker.color, event.soc[f], atol=5e-4)
        assert len(_frame(fig, f, "failed").x) == (f >= 2)               # 480 failed at 0.75 h
    # The re-placement at 0.75 h moved one expert off satellite 480: one line and one ringed host at 1 h only.
    assert len(_frame(fig, 2, "moved hosts").x) == 1 and len(_frame(fig, 1, "moved hosts").x) == 0
    assert len(_frame(fig, 3, "moved hosts").x) == 0
    assert _frame(fig, 2, "migrations").x[2] is None                       # old -> new, then a gap
    never = replay_map(result, "never")
    assert all(len(_frame(never, f, "moved hosts").x) == 0 for f in range(5))
    assert "1 failed" in never.frames[2].layout.title.text


def test_the_chart_draws_every_policy(played):
    _, result = played
    fig = replay_chart(result)
    names = {(t.name, t.yaxis) for t in fig.data}
    assert names == {(p, axis) for p in ("never", "event") for axis in ("y", "y2", "y3")}
    s_token = [t for t in fig.data if t.name == "event" and t.yaxis == "y"][0]
    assert list(s_token.y) == result.policies["event"].s_per_token


def test_cli_writes_an_offline_page(played, cli, tmp_path):
    path, _ = played
    out = tmp_path / "r.html"
    result = cli("timeline", path, "--html", out)
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.count("Plotly.newPlot") == 3 and "<script src=" not in page   # plotly.js inlined: offline


def test_html_output_is_checked_before_any_work(played, cli, tmp_path):
    path, _ = played
    result = cli("timeline", path, "--html", tmp_path)
    assert result.exit_code == 2 and "--html" in result.stderr


def test_the_gateways_drawn_are_the_deployments(played):
    _, result = played
    world_gateways = inputs.gateways(inputs.load_world(played[0]))
    fig = replay_map(result, "never")
    assert list(_frame(fig, 0, "gateways").x) == [fig.frames[0].data[0].x[s] for s in world_gateways]
