"""Shells of the shared TLE files: clustering, star/delta detection, grid size and widening bands."""

import math

import numpy as np
import pytest

from spacexnet_opt.constellation import WalkerShell, find_shells, load_tle_shell, read_tle_file
from spacexnet_opt.constellation.shells import ALTITUDE_GAP_KM, INCLINATION_GAP_DEG, cluster_shells, detect_pattern
from spacexnet_opt.constellation.tle import _slots_per_plane
from spacexnet_opt.errors import InputError


@pytest.fixture(scope="module")
def tle_dir(shared_data):
    return shared_data / "tle"


def _elements(path):
    """Inclination (deg) and mean altitude (km) straight from the TLE columns, without SGP4."""
    records = read_tle_file(path)
    inc = np.array([float(r.line2[8:16]) for r in records])
    rev_per_day = np.array([float(r.line2[52:63]) for r in records])
    a = np.cbrt(3.986004418e14 / (rev_per_day * 2 * np.pi / 86400) ** 2)
    return inc, (a - 6378137.0) / 1e3


@pytest.mark.parametrize("name, top", [("Starlink", (53.03, 1478, "delta")), ("OneWeb", (87.91, 370, "star"))])
def test_shells_are_exactly_the_satellites_of_their_boxes(tle_dir, name, top):
    shells = find_shells(tle_dir / f"{name}.tle")
    inc, alt = _elements(tle_dir / f"{name}.tle")
    members = []
    for shell in shells:
        low, high = shell.altitude_km
        box = np.flatnonzero((np.abs(inc - shell.inclination_deg) <= shell.inclination_tol_deg) & (alt >= low) & (alt <= high))
        assert len(box) == shell.n_sats >= 10
        # a shell is one cluster: no gap wider than the tolerances inside it
        assert np.diff(np.sort(inc[box])).max(initial=0) <= INCLINATION_GAP_DEG
        assert np.diff(np.sort(alt[box])).max(initial=0) <= ALTITUDE_GAP_KM
        assert shell.median_altitude_km == pytest.approx(np.median(alt[box]), abs=0.5)
        members.append(box)
    everyone = np.concatenate(members)
    assert len(np.unique(everyone)) == len(everyone)  # no satellite in two shells
    assert [s.n_sats for s in shells] == sorted((s.n_sats for s in shells), reverse=True)
    first = shells[0]
    assert (first.inclination_deg, first.n_sats, first.pattern) == top


def test_starlink_shells_separate_53_0_from_53_2(tle_dir):
    shells = find_shells(tle_dir / "Starlink.tle")
    inc, alt = _elements(tle_dir / "Starlink.tle")
    first, second = shells[:2]
    assert abs(second.inclination_deg - 53.22) < 0.01 and second.n_sats == 898
    # independent count: the 53.2° shell is every satellite within 0.05° of 53.21 between 520 and 546 km
    assert second.n_sats == np.sum((np.abs(inc - 53.21) < 0.05) & (alt > 520) & (alt < 546))
    assert first.n_planes == 72 and first.grid == (72, 18)


@pytest.mark.parametrize("name, count", [("Starlink", 2), ("OneWeb", 2)])
def test_a_shell_selection_loads_that_shell(tle_dir, name, count):
    path = tle_dir / f"{name}.tle"
    for summary in find_shells(path)[:count]:
        shell = load_tle_shell(path, **summary.selection())
        report = shell.report
        band = sum(len(names) for reason, names in report.dropped.items() if "outside" in reason)
        assert report.n_total - band == summary.n_sats
        assert (shell.n_planes, shell.sats_per_plane) == summary.grid
        assert shell.pattern == summary.pattern and report.pattern_detected


def test_detection_on_walker_shells():
    for n_planes in (2, 3, 5, 12, 33, 72):
        for pattern in ("star", "delta"):
            raan = WalkerShell("w", n_planes, 10, 550.0, 53.0, pattern=pattern).raan_rad()
            detected, spread = detect_pattern(np.random.default_rng(n_planes).permutation(raan))
            assert detected == pattern
            assert math.degrees(spread) == pytest.approx((180 if pattern == "star" else 360) * (n_planes - 1) / n_planes)
    assert detect_pattern([1.0])[0] == "star"


def test_oneweb_is_a_star_and_starlink_53_a_delta(tle_dir):
    oneweb = load_tle_shell(tle_dir / "OneWeb.tle", inclination_deg=87.9, altitude_km=(1100, 1300))
    assert oneweb.pattern == "star" and oneweb.phasing == 0 and oneweb.report.pattern_detected
    assert 150 < oneweb.report.raan_spread_deg < 190
    starlink = load_tle_shell(tle_dir / "Starlink.tle")
    assert starlink.pattern == "delta" and starlink.report.pattern_detected
    assert starlink.report.raan_spread_deg > 340
    given = load_tle_shell(tle_dir / "OneWeb.tle", inclination_deg=87.9, altitude_km=(1100, 1300), pattern="delta")
    assert given.pattern == "delta" and not given.report.pattern_detected
    assert given.report.pattern_line().startswith("pattern delta, given: kept planes span 167° of RAAN")


@pytest.mark.parametrize("name, inclination, bands", [
    ("OneWeb", 87.9, [(1190, 1210), (1180, 1230), (1100, 1300), (1000, 1400)]),
    ("Starlink", 53.0, [(545, 555), (540, 560), (520, 570), (500, 600)]),
])
def test_widening_the_band_never_keeps_fewer_satellites(tle_dir, name, inclination, bands):
    kept = [load_tle_shell(tle_dir / f"{name}.tle", inclination_deg=inclination, altitude_km=band).n_sats for band in bands]
    assert kept == sorted(kept) and kept[0] < kept[-1]


def test_oneweb_bands_of_the_bug_report(tle_dir):
    """1190-1210 km kept 125 and 1100-1300 km 77 before: S was the size of the 11th of 12 planes (one still
    being filled), 7. The default now keeps the most satellites; min_plane_fraction=0.9 is the old rule."""
    path = tle_dir / "OneWeb.tle"
    narrow = load_tle_shell(path, inclination_deg=87.9, altitude_km=(1190, 1210))
    wide = load_tle_shell(path, inclination_deg=87.9, altitude_km=(1100, 1300))
    assert (narrow.n_planes, narrow.sats_per_plane) == (4, 37)
    assert (wide.n_planes, wide.sats_per_plane) == (7, 37)
    old = load_tle_shell(path, inclination_deg=87.9, altitude_km=(1100, 1300), min_plane_fraction=0.9)
    assert (old.n_planes, old.sats_per_plane) == (11, 7)


def test_slots_per_plane_keeps_the_most_satellites_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(300):
        sizes = rng.integers(1, 40, size=rng.integers(1, 15))
        s = _slots_per_plane(sizes, None)
        kept = {k: k * int(np.sum(sizes >= k)) for k in range(1, sizes.max() + 1)}
        best = max(kept.values())
        assert kept[s] == best
        assert s == min(k for k, v in kept.items() if v == best)  # the most planes on a tie


def test_cluster_shells_without_satellites_and_small_groups():
    assert cluster_shells([], []) == []
    inc = np.r_[np.full(9, 53.0), np.full(10, 70.0)]
    alt = np.r_[np.full(9, 550.0), np.arange(500.0, 550.0, 5.0)]
    assert [sorted(ids.tolist()) for ids in cluster_shells(inc, alt)] == [list(range(9, 19))]
    assert cluster_shells(inc, alt + np.r_[np.zeros(9), 0.0, np.full(9, 0.1)]) == []  # 500 -> 505.1: a gap
    assert [len(ids) for ids in cluster_shells(inc, alt, min_sats=9)] == [10, 9]


def test_missing_shell_lists_the_shells_of_the_file(tle_dir):
    with pytest.raises(InputError) as caught:
        load_tle_shell(tle_dir / "OneWeb.tle")
    message = str(caught.value)
    assert "has inclination 53 ± 0.1° and altitude 540-560 km; its shells: 87.91 ± 0.05° 1181-1226 km (370 satellites); " \
           "87.21 ± 0.05° 585-590 km (36 satellites)" in message
    with pytest.raises(InputError, match=r"its shells: 53\.03 ± 0\.05° 527-550 km \(1,478 satellites\); .* and 8 more$"):
        load_tle_shell(tle_dir / "Starlink.tle", inclination_deg=30)


@pytest.mark.parametrize("pattern_line, pattern, detected", [("", "star", True), ('pattern = "delta"', "delta", False)])
def test_a_scenario_tle_shell_detects_its_pattern_unless_given(tle_dir, tmp_path, pattern_line, pattern, detected):
    from spacexnet_opt.setting.resolvers import scenario_constellation
    from spacexnet_opt.formats.scenario import parse_scenario

    text = f"""format = "spacexnet-scenario"
version = 1
name = "oneweb"

[constellation.tle]
file = "{tle_dir / 'OneWeb.tle'}"
inclination_deg = 87.9
altitude_km = [1100.0, 1300.0]
{pattern_line}

[model]
profile = "llama-moe-3.5b-2of8"

[statistics]
kind = "zipf"
params = {{ exponent = 1.0 }}
"""
    shell = scenario_constellation(parse_scenario(text, source=tmp_path / "s.toml"), tmp_path / "s.toml")
    assert (shell.pattern, shell.report.pattern_detected, shell.n_sats) == (pattern, detected, 259)
