"""The Fig. 7 sweeps: the angular-rate threshold binds where the geometry says, plots redraw from CSV."""

import csv

import numpy as np
import pytest

from spacexnet_opt.constellation import IslConfig, WalkerShell, build_snapshots
from spacexnet_opt.constellation.isl import plus_grid_edges
from spacexnet_opt.reproduce import SWEEPS, plot_sweep, reproduce_sweeps, sweep_grid
from spacexnet_opt.formats.scenario import load_scenario

from test_evaluate_cli import TINY


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweeps") / "tiny.toml"
    path.write_text(TINY)
    return path


def test_intra_plane_links_turn_at_the_orbital_rate():
    # In a circular orbit the chord to the next satellite of the same plane rotates
    # with the mean motion 2 pi / T: a threshold just below it cuts every such link.
    shell = WalkerShell("t", 6, 12, 550.0, 87.0, pattern="star")
    edges = plus_grid_edges(shell)
    intra = edges[:, 0] // 12 == edges[:, 1] // 12
    omega = 2 * np.pi / shell.period_s
    for factor, expected in ((0.99, False), (1.01, True)):
        snaps = build_snapshots(shell, n_snapshots=4, config=IslConfig(survival=1.0, max_angular_rate=factor * omega))
        assert (snaps.feasible[:, intra] == expected).all()


def test_angular_rate_sweep_spans_the_binding_range():
    rates = SWEEPS["max_angular_rate"]
    assert rates == sorted(rates) and rates[-1] == 0.12  # the paper's value
    assert rates[0] > 2 * np.pi / WalkerShell("p", 33, 32, 550.0, 87.0, pattern="star").period_s
    assert any(abs(r - np.radians(0.12)) < 1e-4 for r in rates)  # 0.12 deg/s


def test_angular_rate_sweep_rows(scenario, tmp_path):
    spec = load_scenario(scenario)
    rows = reproduce_sweeps(spec, scenario, tmp_path, sweeps={"max_angular_rate": [0.0012, 0.12]}, seeds=2)
    rows = rows["max_angular_rate"]
    by = {(r["value"], r["scheme"]): r for r in rows}
    # 0.12 rad/s keeps every link of this shell; 0.0012 rad/s cuts inter-plane links near the poles
    assert by[0.12, "Space-XNet"]["feasible_link_fraction"] == 1.0
    assert 0.5 < by[0.0012, "Space-XNet"]["feasible_link_fraction"] < 1.0
    # RandPlace ignores the graph when placing and the failure draws do not depend on the threshold,
    # so the larger threshold keeps a superset of links: never a longer path.
    assert by[0.12, "RandPlace"]["mean_s_per_token"] <= by[0.0012, "RandPlace"]["mean_s_per_token"]
    assert {r["satellites"] for r in rows} == {320}


def test_plot_redraws_from_csv_text(scenario, tmp_path):
    spec = load_scenario(scenario)
    reproduce_sweeps(spec, scenario, tmp_path, sweeps={"constellation_size": [(10, 32), (12, 32)]}, seeds=2)
    with open(tmp_path / "sweep_constellation_size.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["value"] for r in rows[::4]] == ["10x32", "12x32"] and [r["x"] for r in rows[::4]] == ["320.0", "384.0"]
    target = tmp_path / "again.png"
    plot_sweep(rows, "constellation_size", target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_sweep(scenario):
    with pytest.raises(ValueError, match="valid sweeps: altitude_km, constellation_size"):
        sweep_grid(scenario, {"bogus": [1.0]}, seeds=2)


def test_sweeps_run_on_the_sweep_engine(scenario, tmp_path):
    """The rows land in the sweep engine's database, and the CSV holds exactly its numbers."""
    from spacexnet_opt.sweep.db import ResultsDB

    spec = load_scenario(scenario)
    rows = reproduce_sweeps(spec, scenario, tmp_path, sweeps={"link_survival": [0.9, 1.0]}, seeds=2)["link_survival"]
    stored = ResultsDB(tmp_path / "results.sqlite", ["link_survival"]).rows()
    assert sorted((r["link_survival"], r["scheme"], r["mean_s_per_token"]) for r in stored) == \
        sorted((r["value"], r["scheme"], r["mean_s_per_token"]) for r in rows)
