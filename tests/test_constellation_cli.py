"""`spacexnet constellation ...` commands and the Hypatia / networkx export."""

import json

import networkx as nx
import numpy as np
import pytest
from sgp4.api import Satrec

from spacexnet_opt.constellation import IslConfig, WalkerShell, build_snapshots, read_tle_file
from spacexnet_opt.constellation.export import export_snapshot
from spacexnet_opt.constellation.tle import tle_checksum


def test_info_paper_prints_the_shell(cli):
    result = cli("constellation", "info", "--preset", "paper")
    assert result.exit_code == 0, result.output
    out = result.output
    for text in ("33", "32", "1,056", "550.0 km", "87.00°", "95.65 min", "star / 0", "2,080", "feasible-link fraction", "mean link delay"):
        assert text in out


def test_info_custom_walker_and_plot(cli, tmp_path):
    png = tmp_path / "links.png"
    result = cli("constellation", "info", "--walker", "53:120/8/1", "--altitude", "800", "--pattern", "delta", "-T", "5", "--plot", png)
    assert result.exit_code == 0, result.output
    assert "delta / 1" in result.output and "240" in result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_info_tle_reports_kept_and_dropped(cli, shared_data):
    result = cli("constellation", "info", "--tle", shared_data / "tle" / "Starlink.tle", "-T", "3")
    assert result.exit_code == 0, result.output
    assert "of 3023 satellites" in result.output and "dropped" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--walker", "53:100/7/0"], "T=100 is not divisible by P=7"),
        (["--walker", "53:60/6/6"], "phasing: Walker F must be an integer in 0..5"),
        (["--walker", "53:60/6/0", "--altitude", "-550"], "--altitude: must be positive"),
        (["--walker", "200:60/6/0"], "inclination_deg: must be within 0-180"),
        (["-T", "0"], "--snapshots: must be a positive integer"),
        (["--survival", "0"], "survival: must be in (0, 1]"),
        (["--preset", "iridium"], "unknown preset 'iridium'"),
    ],
)
def test_bad_parameters_exit_2_with_one_line(cli, args, message):
    result = cli("constellation", "info", *args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["info", "export"])
def test_info_and_export_share_the_constellation_options(cli, tmp_path, name):
    command = ["export", tmp_path / "out"] if name == "export" else ["info"]
    result = cli("constellation", *command, "--preset", "paper", "--max-rate", "-1")
    assert result.exit_code == 2
    assert result.stderr == "error: --max-rate: must be >= 0 (0 disables the check), got -1.0\n"
    assert not (tmp_path / "out").exists()
    result = cli("constellation", *command, "--help")
    for flag in ("--preset", "--walker", "--altitude", "--pattern", "--tle", "--inclination", "--alt-band",
                 "--snapshots", "--duration", "--max-rate", "--survival", "--max-range", "--clearance", "--seed"):
        assert flag in result.output


def test_malformed_tle_exits_2_naming_the_line(cli, tmp_path, shared_data):
    lines = (shared_data / "tle" / "Starlink.tle").read_text().splitlines()[:6]
    lines[2] = lines[2][:-1] + str((int(lines[2][-1]) + 3) % 10)
    bad = tmp_path / "bad.tle"
    bad.write_text("\n".join(lines) + "\n")
    result = cli("constellation", "info", "--tle", bad)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {bad}:3: bad checksum on TLE line 2: computed {tle_checksum(lines[2])}, found {lines[2][-1]!r}"
    good = (shared_data / "tle" / "Starlink.tle").read_text().splitlines()[:5]
    truncated = tmp_path / "cut.tle"
    truncated.write_text("\n".join(good) + "\n")
    result = cli("constellation", "export", tmp_path / "out", "--tle", truncated)
    assert result.exit_code == 2 and ":5: truncated record" in result.stderr
    assert not (tmp_path / "out").exists()


def test_export_writes_hypatia_and_networkx_files(cli, tmp_path):
    result = cli("constellation", "export", tmp_path, "--walker", "53:120/8/1", "--altitude", "600", "-T", "4", "--snapshot", "2", "--survival", "0.8")
    assert result.exit_code == 0, result.output
    shell = WalkerShell.from_notation("53:120/8/1", altitude_km=600)
    snaps = build_snapshots(shell, n_snapshots=4, config=IslConfig(survival=0.8), seed=0)
    up = {tuple(e) for e in snaps.edges[np.isfinite(snaps.delay_s[2])].tolist()}
    isls = [tuple(map(int, line.split())) for line in (tmp_path / "isls.txt").read_text().splitlines()]
    assert set(isls) == up and len(isls) == len(up) and all(a < b for a, b in isls)
    assert len(up) < len(snaps.edges)  # failures removed some links
    data = json.loads((tmp_path / "graph.json").read_text())
    graph = nx.node_link_graph(data, edges="links")
    assert graph.number_of_nodes() == 120 and {tuple(sorted(e)) for e in graph.edges} == up
    assert graph.nodes[17]["plane"] == 1 and graph.nodes[17]["slot"] == 2  # S = 15


def test_hypatia_tles_are_valid_and_propagate_to_the_walker_positions(tmp_path):
    shell = WalkerShell("Shell 1", 6, 15, 550.0, 53.0, phasing=2, pattern="delta")
    export_snapshot(shell, build_snapshots(shell, n_snapshots=1), 0, tmp_path)
    lines = (tmp_path / "tles.txt").read_text().splitlines()
    assert lines[0] == "6 15" and len(lines) == 1 + 3 * 90
    assert [line.split()[-1] for line in lines[1::3]] == [str(i) for i in range(90)]
    body = tmp_path / "body.tle"
    body.write_text("\n".join(lines[1:]) + "\n")
    records = read_tle_file(body)  # checksums and lengths verified here
    pos, _ = shell.positions_velocities([0.0])
    for sat_id in (0, 31, 89):
        sat = Satrec.twoline2rv(records[sat_id].line1, records[sat_id].line2)
        err, r, _ = sat.sgp4(2451544.5, 0.0)  # the TLE epoch, 2000-01-01 00:00 UTC
        assert err == 0
        assert np.linalg.norm(np.array(r) * 1e3 - pos[0, sat_id]) < 30e3  # SGP4 mean vs two-body elements


def test_shells_lists_the_shells_and_writes_json(cli, tmp_path, shared_data):
    from dataclasses import asdict

    from spacexnet_opt.constellation import find_shells

    path = shared_data / "tle" / "OneWeb.tle"
    out = tmp_path / "shells.json"
    result = cli("constellation", "shells", path, "--json", out)
    assert result.exit_code == 0, result.output
    for text in ("87.91 ± 0.05°", "1181-1226", "370", "7 x 37", "star", "--alt-band 1181,1226"):
        assert text in result.output
    doc = json.loads(out.read_text())
    expected = [json.loads(json.dumps(asdict(s) | {"selection": s.selection()})) for s in find_shells(path)]
    assert doc["shells"] == expected and doc["file"] == str(path) and doc["min_sats"] == 10
    assert [s["n_sats"] for s in doc["shells"]] == [370, 36]
    result = cli("constellation", "shells", path, "--min-sats", "40", "--json", out)
    assert result.exit_code == 0 and [s["n_sats"] for s in json.loads(out.read_text())["shells"]] == [370]


def test_shells_json_may_not_overwrite_the_tle_file(cli, tmp_path, shared_data):
    tle = tmp_path / "OneWeb.tle"
    tle.write_text((shared_data / "tle" / "OneWeb.tle").read_text())
    result = cli("constellation", "shells", tle, "--json", tle)
    assert result.exit_code == 2 and result.stderr.startswith("error: ") and "--json" in result.stderr
    assert tle.read_text() == (shared_data / "tle" / "OneWeb.tle").read_text()


def _kept_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("kept "))


def test_alt_band_with_a_comma_or_a_space(cli, shared_data):
    path = shared_data / "tle" / "OneWeb.tle"
    runs = [cli("constellation", "info", "--tle", path, "--inclination", "87.9", "--alt-band", *band, "-T", "2")
            for band in (["1190,1210"], ["1190", "1210"], ["1190, 1210"])]
    assert all(r.exit_code == 0 for r in runs), [r.output for r in runs]
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout
    assert _kept_line(runs[0].stdout) == "kept 148 of 426 satellites (5 planes found)"
    assert "star / 0 (detected)" in runs[0].stdout and "pattern star, detected" in runs[0].stdout
    wide = cli("constellation", "info", "--tle", path, "--inclination", "87.9", "--alt-band", "1100,1300", "-T", "2")
    assert _kept_line(wide.stdout) == "kept 259 of 426 satellites (12 planes found)"


@pytest.mark.parametrize("band, message", [
    (["1190"], "expected two numbers LOW,HIGH in km such as 1190,1210, got '1190'"),
    (["a,b"], "expected two numbers LOW,HIGH in km such as 1190,1210, got 'a,b'"),
    (["1190,1210,1230"], "expected two numbers LOW,HIGH in km such as 1190,1210, got '1190,1210,1230'"),
    (["1210,1190"], "expected LOW,HIGH with 0 < LOW <= HIGH km, got '1210,1190'"),
    (["nan,1210"], "expected LOW,HIGH with 0 < LOW <= HIGH km, got 'nan,1210'"),
    (["nan"], "expected two numbers LOW,HIGH in km such as 1190,1210, got 'nan'"),
    (["1190", "inf"], "expected LOW,HIGH with 0 < LOW <= HIGH km, got '1190,inf'"),
    (["1 2", "--alt-band", "5"], "expected two numbers LOW,HIGH in km such as 1190,1210, got '5'"),
])
def test_malformed_alt_band_is_one_line_naming_the_option(cli, shared_data, band, message):
    result = cli("constellation", "info", "--tle", shared_data / "tle" / "OneWeb.tle", "--alt-band", *band, "-T", "2")
    assert result.exit_code == 2
    assert result.stderr == f"error: --alt-band: {message}\n"


def test_missing_shell_exits_2_listing_the_shells(cli, shared_data):
    path = shared_data / "tle" / "OneWeb.tle"
    result = cli("constellation", "info", "--tle", path, "-T", "2")
    assert result.exit_code == 2
    assert result.stderr == (f"error: shell: no satellite of {path} has inclination 53 ± 0.1° and altitude 540-560 km; "
                             "its shells: 87.91 ± 0.05° 1181-1226 km (370 satellites); "
                             "87.21 ± 0.05° 585-590 km (36 satellites)\n")


def test_pattern_given_on_the_command_line(cli, shared_data):
    result = cli("constellation", "info", "--tle", shared_data / "tle" / "OneWeb.tle", "--inclination", "87.91",
                 "--inclination-tol", "0.05", "--alt-band", "1181,1226", "--pattern", "delta", "-T", "2")
    assert result.exit_code == 0, result.output
    assert "(given)" in result.stdout and "pattern delta, given" in result.stdout
    assert _kept_line(result.stdout) == "kept 259 of 426 satellites (12 planes found)"


def test_bad_inclination_tolerance_names_the_option(cli, shared_data):
    result = cli("constellation", "info", "--tle", shared_data / "tle" / "OneWeb.tle", "--inclination-tol", "0", "-T", "2")
    assert result.exit_code == 2
    assert result.stderr == "error: --inclination-tol: must be a positive number of degrees, got 0.0\n"
