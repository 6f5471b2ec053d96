"""The view's throughput-latency panel: the curves of a load sweep's database and of serve JSON, in the page."""

from __future__ import annotations

import json
import re

import pytest

from spacexnet_opt.sweep import ResultsDB

from test_evaluate_cli import TINY

# (scheme, isl.survival, rate, tokens/s, p99 TPOT, p99 TTFT), stored out of rate order
ROWS = [("A", 0.9, 0.2, 4.0, 1.5, 9.0), ("A", 0.9, 0.1, 2.0, 1.25, 8.0), ("A", 1.0, 0.1, 2.5, 1.0, 7.0),
        ("B", 0.9, 0.1, 1.75, 2.0, 6.0), ("B", 0.9, 0.2, 3.5, 2.5, 6.5)]


@pytest.fixture()
def inputs(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY)
    db = ResultsDB(tmp_path / "sweep" / "results.sqlite", ["isl.survival", "workload.rate"])
    for i, (scheme, survival, rate, tokens, tpot, ttft) in enumerate(ROWS):
        db.record(point_hash=f"p{i}", point_index=i, params={"isl.survival": survival, "workload.rate": rate},
                  schemes=[scheme], result={"rows": {scheme: {
                      "mean_s_per_token": 1.0, "rate_per_s": rate, "tokens_per_s": tokens, "tpot_p99_s": tpot,
                      "tpot_mean_s": tpot / 2, "ttft_p99_s": ttft}}})
    db.close()
    runs = [{"deployment": "served", "rate_per_s": rate, "tokens_per_s": None, "ttft_s": {"mean": 1.0, "p99": 3.0},
             "tpot_s": {"mean": 0.5, "p99": tpot}, "throughput": {"tokens_per_s": tokens}}
            for rate, tokens, tpot in ((0.4, 8.0, 0.75), (0.2, 4.5, 0.5))]
    (tmp_path / "serve.json").write_text(json.dumps({"workload": "w.toml", "runs": runs}))
    return tmp_path


def _figure(page: str, div: str) -> list[dict]:
    """The data of the plotly figure drawn into ``div``."""
    start = re.search(r'Plotly\.newPlot\(\s*"' + div + r'",\s*', page).end()
    return json.JSONDecoder().raw_decode(page, start)[0]


def test_view_page_holds_every_curve_in_rate_order(cli, inputs):
    page = inputs / "page.html"
    result = cli("view", inputs / "tiny.toml", "--frames", 1, "-o", page, "--serving", inputs / "sweep",
                 "--serving", inputs / "serve.json")
    assert result.exit_code == 0, result.output
    data = _figure(page.read_text(), "view-3")  # after the map and globe (0, 1) and the layer bars (2)
    left = {t["name"]: t for t in data if t["xaxis"] == "x"}
    right = {t["name"]: t for t in data if t["xaxis"] == "x2"}
    assert set(left) == set(right) == {"A isl.survival=0.9", "A isl.survival=1.0", "B isl.survival=0.9", "served"}
    for name, survival in (("A", 0.9), ("A", 1.0), ("B", 0.9)):
        mine = sorted((r for r in ROWS if r[:2] == (name, survival)), key=lambda r: r[2])
        trace = left[f"{name} isl.survival={survival}"]
        assert trace["customdata"] == [r[2] for r in mine]
        assert (trace["x"], trace["y"]) == ([r[3] for r in mine], [r[4] for r in mine])
        assert right[f"{name} isl.survival={survival}"]["y"] == [r[5] for r in mine]
    assert (left["served"]["customdata"], left["served"]["x"], left["served"]["y"]) == ([0.2, 0.4], [4.5, 8.0],
                                                                                         [0.5, 0.75])


@pytest.mark.parametrize("content, message", [
    ('{"runs": []}', "serve.json: runs: not a spacexnet serve output (no runs)"),
    ('{"runs": [{"deployment": "d", "rate_per_s": 1}]}', "serve.json: runs[0]: missing 'throughput'"),
    ("[1, 2]", "serve.json: runs: not a spacexnet serve output (no runs)"),
])
def test_bad_serving_input_is_one_line_and_nothing_written(cli, inputs, content, message):
    (inputs / "serve.json").write_text(content)
    result = cli("view", inputs / "tiny.toml", "-o", inputs / "page.html", "--serving", inputs / "serve.json")
    assert result.exit_code == 2 and result.output.strip() == f"error: {inputs / message}"
    assert not (inputs / "page.html").exists()
