"""Golden regression files: Table II of the paper scenario and the fig7-quick sweep cannot move unnoticed.

The real commands run in-process and their numbers, rounded as pinned, must
equal ``tests/golden/``; a change that moves them is regenerated on purpose
(``python tests/golden/regenerate.py``) and explained in its commit.
"""

from __future__ import annotations

import pytest

from golden.regenerate import (SWEEP_GRID, current_sweep, current_table2, differences, read_sweep, read_table2,
                               sweep_rows, table2_rows)
from spacexnet_opt.reproduce.schemes import DEFAULT_SCHEMES
from spacexnet_opt.sweep import ResultsDB, distinct, grid_points, load_grid


def _report(what: str, lines: list[str]) -> str:
    return f"{what} moved from its golden file (key | column: golden, got):\n" + "\n".join(lines)


def test_table2_of_the_paper_scenario_matches_golden(tmp_path):
    lines = differences(read_table2(), current_table2(tmp_path), key=["scheme"])
    assert not lines, _report("spacexnet reproduce paper", lines)


def test_fig7_quick_sweep_matches_golden(tmp_path):
    grid = load_grid(SWEEP_GRID)
    golden = read_sweep()
    assert len(golden) == len(distinct(grid_points(grid))) * len(grid.schemes) == 32
    lines = differences(golden, current_sweep(tmp_path), key=[*grid.columns(), "scheme"])
    assert not lines, _report("spacexnet sweep instances/fig7-quick.toml", lines)


def test_golden_table2_pins_every_default_scheme():
    assert [row["scheme"] for row in read_table2()] == list(DEFAULT_SCHEMES)


def test_a_change_of_the_last_printed_digit_is_reported():
    doc = {"schemes": {"Space-XNet": {"mean_s_per_token": 1.4283, "std_s": 0.0, "p99_s_per_token": 1.499,
                                      "analytic_s_per_token": 1.422, "snapshot_exact_s_per_token": 1.428,
                                      "propagation_s_per_token": 0.394, "compute_s_per_token": 1.034,
                                      "ci95_s": [1.428, 1.429], "placements": 1, "tokens": 100_000,
                                      "paper_s_per_token": [1.02, 1.07]}}}
    golden = table2_rows(doc)
    assert golden[0]["mean_s_per_token"] == "1.428"
    doc["schemes"]["Space-XNet"]["mean_s_per_token"] = 1.4286
    doc["schemes"]["Space-XNet"]["placements"] = 2
    assert differences(golden, table2_rows(doc), key=["scheme"]) == [
        "scheme=Space-XNet | mean_s_per_token: golden 1.428, got 1.429",
        "scheme=Space-XNet | placements: golden 1, got 2"]
    doc["schemes"]["Space-XNet"]["mean_s_per_token"] = 1.4284  # moved, but not in a printed digit
    doc["schemes"]["Space-XNet"]["placements"] = 1
    assert differences(golden, table2_rows(doc), key=["scheme"]) == []


@pytest.mark.parametrize("got, message", [
    (0.9498076, "feasible_link_fraction: golden 0.949807, got 0.949808"),  # the sixth significant digit
    (None, "feasible_link_fraction: golden 0.949807, got "),  # a metric gone NULL
], ids=["sixth-digit", "null"])
def test_sweep_rows_are_ordered_by_parameters_and_a_moved_metric_is_reported(tmp_path, got, message):
    def database(path, value):
        db = ResultsDB(path, ["isl.survival"])
        for index, survival in enumerate([1.0, 0.9]):  # point order is not parameter order
            db.record(point_hash=f"h{index}", point_index=index, params={"isl.survival": survival},
                      schemes=["Space-XNet", "RandPlace"],
                      result={"rows": {s: {"mean_s_per_token": 1.5, "feasible_link_fraction": value}
                                       for s in ("Space-XNet", "RandPlace")}})
        db.close()
        return sweep_rows(path, ["isl.survival"])

    golden = database(tmp_path / "golden.sqlite", 0.9498074)
    assert [(r["isl.survival"], r["scheme"]) for r in golden] == [
        ("0.9", "RandPlace"), ("0.9", "Space-XNet"), ("1", "RandPlace"), ("1", "Space-XNet")]
    lines = differences(golden, database(tmp_path / "got.sqlite", got), key=["isl.survival", "scheme"])
    assert len(lines) == 4 and lines[0] == f"isl.survival=0.9, scheme=RandPlace | {message}"
