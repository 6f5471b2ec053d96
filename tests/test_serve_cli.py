"""``spacexnet serve``: outputs, and bad workloads, rates and SLOs as one-line errors with nothing written."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from spacexnet_opt.cli.app import app
from spacexnet_opt.formats.workload import MAX_REQUESTS, parse_workload

from hostile import assert_one_error_line, tree_digest
from test_serve import SERVE_TINY

HEAD = 'format = "spacexnet-workload"\nversion = 1\nname = "w"\n'
GOOD = HEAD + '[arrivals]\nprocess = "poisson"\nrate = 0.2\n[requests]\ncount = 6\n[prompt]\nvalue = 4\n' \
              '[output]\nvalue = 5\n[slo]\nttft_s = 20.0\ntpot_s = 2.5\n'


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("serve-cli")
    (d / "tiny.toml").write_text(SERVE_TINY)
    assert CliRunner().invoke(app, ["optimize", str(d / "tiny.toml"), "-o", str(d / "dep.json")]).exit_code == 0
    (d / "w.toml").write_text(GOOD)
    return d


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_serve_writes_table_json_csv_and_plot(work, tmp_path):
    res = invoke("serve", work / "dep.json", "--workload", work / "w.toml", "--rate", "0.1,0.3",
                 "-o", tmp_path / "r.json", "--csv", tmp_path / "r.csv", "--plot", tmp_path / "r.png")
    assert res.exit_code == 0, res.output
    assert "TPOT p99" in res.stdout
    runs = json.loads((tmp_path / "r.json").read_text())["runs"]
    assert [r["rate_per_s"] for r in runs] == [0.1, 0.3]
    for run in runs:
        assert run["requests"]["completed"] == 6 and run["throughput"]["tokens"] == 30
        assert run["littles_law"]["ratio"] == pytest.approx(1.0, abs=0.02)
        assert 0.0 <= run["slo"]["attainment"] <= 1.0
        assert run["satellites"][0]["utilisation"] >= run["satellites"][-1]["utilisation"]
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    assert [float(r["rate_per_s"]) for r in rows] == [0.1, 0.3]
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("text, names", [
    (GOOD.replace("rate = 0.2", "rate = -1.0"), ["w.toml", "arrivals.rate", "greater than 0"]),
    (GOOD.replace("rate = 0.2", "rate = nan"), ["w.toml", "arrivals.rate", "finite"]),
    (GOOD.replace("count = 6", "count = 1000000000"), ["w.toml", "requests", "1,000,000,000 requests",
                                                       f"{MAX_REQUESTS:,}"]),
    (GOOD.replace("count = 6", "duration_s = 600.0").replace("rate = 0.2", "rate = 1e9"),
     ["w.toml", "requests", "1e+09/s x 600 s"]),
    (GOOD.replace("tpot_s = 2.5", "tpot_s = 0.0"), ["w.toml", "slo.tpot_s", "greater than 0"]),
    (GOOD.replace("ttft_s = 20.0", "ttft_s = -3.0"), ["w.toml", "slo.ttft_s", "greater than 0"]),
    (GOOD.replace('process = "poisson"', 'process = "gamma"'), ["w.toml", "arrivals", "needs cv"]),
    (GOOD.replace("[prompt]\nvalue = 4", '[prompt]\nkind = "uniform"\nlow = 9\nhigh = 3'),
     ["w.toml", "prompt", "low (9) is above high (3)"]),
    (GOOD.replace("[output]\nvalue = 5", "[output]\nvalue = 5\nwidth = 3"), ["w.toml", "output.width"]),
    (GOOD.replace("[output]\nvalue = 5", "[output]\nvalue = 500000"), ["w.toml", "output.value"]),
    (GOOD + '[origins]\nkind = "ground"\n', ["w.toml", "origins", "[[origins.points]]"]),
    (GOOD.replace("version = 1", "version = 2"), ["w.toml", "version"]),
    (GOOD.replace("[arrivals]", "[arrivals"), ["w.toml", "invalid TOML"]),
    (GOOD.replace('process = "poisson"\nrate = 0.2', 'process = "file"\nfile = "t.txt"'), ["t.txt:2", "arrivals.file", "timestamps must not decrease"]),
    (GOOD.replace("count = 6", "count = 1000000").replace("value = 5", "value = 100000"),
     ["requests", "simulated events exceeds the ceiling"]),
])
def test_bad_workloads_are_one_line_errors_and_nothing_is_written(work, tmp_path, text, names):
    (tmp_path / "bad.toml").write_text(text)
    (tmp_path / "t.txt").write_text("0.5\n0.2\n")
    before = tree_digest(tmp_path)
    res = invoke("serve", work / "dep.json", "--workload", tmp_path / "bad.toml", "-o", tmp_path / "r.json",
                 "--csv", tmp_path / "r.csv")
    assert_one_error_line(res, *[n.replace("w.toml", "bad.toml") for n in names])
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("options, message", [
    (["--rate", "-1"], "--rate: rates must be positive and finite, got -1"),
    (["--rate", "nan"], "--rate: rates must be positive and finite, got nan"),
    (["--rate", "0.5,fast"], "--rate: not a number: 'fast'"),
    (["--until", "0"], "--until: must be positive and finite, got 0.0"),
])
def test_bad_options_are_one_line_errors(work, tmp_path, options, message):
    res = invoke("serve", work / "dep.json", "--workload", work / "w.toml", "-o", tmp_path / "r.json", *options)
    assert assert_one_error_line(res) == f"error: {message}"
    assert not (tmp_path / "r.json").exists()


def test_gamma_arrivals_have_the_asked_rate_and_burstiness():
    """Gaps of a gamma renewal process with rate 2 and cv 3: mean 0.5 s, coefficient of variation 3."""
    import numpy as np

    from spacexnet_opt.serve.requests import draw_requests

    w = parse_workload(GOOD.replace('process = "poisson"', 'process = "gamma"\ncv = 3.0')
                       .replace("rate = 0.2", "rate = 2.0").replace("count = 6", "count = 200000"))
    gaps = np.diff(draw_requests(w).arrival_s)
    assert gaps.mean() == pytest.approx(0.5, rel=0.02) and gaps.std() / gaps.mean() == pytest.approx(3.0, rel=0.03)


def test_max_rate_at_slo_is_the_edge_of_what_the_runs_measured(work, tmp_path):
    (tmp_path / "w.toml").write_text(GOOD.replace("count = 6", "count = 100").replace("value = 5", "value = 10")
                                     .replace("tpot_s = 2.5", "tpot_s = 2.0"))
    res = invoke("serve", work / "dep.json", "--workload", tmp_path / "w.toml", "--max-rate-at-slo",
                 "-o", tmp_path / "s.json")
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "s.json").read_text())
    best, slo = doc["max_rate_at_slo"]["rate_per_s"], doc["max_rate_at_slo"]["tpot_p99_slo_s"]
    p99 = {run["rate_per_s"]: run["tpot_s"]["p99"] for run in doc["runs"]}
    assert p99[best] <= slo  # the rate found meets the SLO ...
    assert p99[min(r for r in p99 if r > best)] > slo  # ... and the next rate measured above it does not
    assert "largest rate measured with p99 TPOT <= 2 s" in res.stdout


@pytest.mark.parametrize("text, options, message", [
    (GOOD, ["--max-rate-at-slo", "--rate", "1"], "--max-rate-at-slo: searches the rate itself; drop --rate"),
    (GOOD.replace("tpot_s = 2.5\n", ""), ["--max-rate-at-slo"],
     "--max-rate-at-slo: the workload sets no slo.tpot_s to search the rate for"),
])
def test_max_rate_at_slo_refusals(work, tmp_path, text, options, message):
    (tmp_path / "w.toml").write_text(text)
    res = invoke("serve", work / "dep.json", "--workload", tmp_path / "w.toml", "-o", tmp_path / "s.json", *options)
    assert assert_one_error_line(res) == f"error: {message}"
    assert not (tmp_path / "s.json").exists()


def test_ground_origins_single_rate_plot_and_a_point_without_coverage(work, tmp_path):
    ground = GOOD + '[origins]\nkind = "ground"\n[[origins.points]]\nlat = 48.1\nlon = 11.6\n'
    (tmp_path / "g.toml").write_text(ground)
    res = invoke("serve", work / "dep.json", "--workload", tmp_path / "g.toml", "--plot", tmp_path / "g.png")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    (tmp_path / "g.toml").write_text(ground.replace('kind = "ground"', 'kind = "ground"\nelevation_mask_deg = 89.0'))
    res = invoke("serve", work / "dep.json", "--workload", tmp_path / "g.toml", "-o", tmp_path / "r.json")
    assert_one_error_line(res, "g.toml", "origins.points[0]", "sees no satellite above the 89 deg mask")
    assert not (tmp_path / "r.json").exists()
