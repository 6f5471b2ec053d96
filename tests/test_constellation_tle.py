"""TLE parsing and shell extraction against the shared Starlink file."""

import math
from collections import Counter

import numpy as np
import pytest
from sgp4.api import Satrec

from spacexnet_opt.constellation import IslConfig, build_snapshots, load_tle_shell, read_tle_file
from spacexnet_opt.errors import FileFormatError, InputError


@pytest.fixture(scope="module")
def starlink_path(shared_data):
    return shared_data / "tle" / "Starlink.tle"


@pytest.fixture(scope="module")
def shell(starlink_path):
    return load_tle_shell(starlink_path, inclination_deg=53.0, altitude_km=(540, 560))


def test_reads_all_starlink_records_and_known_satellites(starlink_path):
    records = read_tle_file(starlink_path)
    assert len(records) == 3023
    by_name = {r.name: r for r in records}
    sat = Satrec.twoline2rv(by_name["STARLINK-24"].line1, by_name["STARLINK-24"].line2)
    assert sat.satnum == 44238
    assert math.degrees(sat.inclo) == pytest.approx(53.0028)
    assert math.degrees(sat.nodeo) == pytest.approx(47.8601)
    assert sat.ecco == pytest.approx(0.0007663)
    assert sat.no_kozai * 1440 / (2 * math.pi) == pytest.approx(15.51686006)
    assert by_name["STARLINK-1007"].line1.startswith("1 44713U")
    assert by_name["STARLINK-24"].line_no == 2


def test_shell_is_a_rectangular_grid_with_an_accounted_report(shell, starlink_path):
    assert shell.n_sats == shell.n_planes * shell.sats_per_plane == len(shell.records)
    assert 60 <= shell.n_planes <= 72 and 15 <= shell.sats_per_plane <= 22
    report = shell.report
    assert report.n_total == 3023 and report.n_kept == shell.n_sats
    dropped = [name for names in report.dropped.values() for name in names]
    kept = [r.name for r in shell.records]
    everyone = [r.name for r in read_tle_file(starlink_path)]
    assert Counter(dropped) + Counter(kept) == Counter(everyone)
    assert any("inclination" in reason for reason in report.dropped)
    assert "kept" in report.lines()[0]
    assert shell.period_s / 60 == pytest.approx(95.6, abs=0.3)
    assert 540 <= shell.altitude_km <= 560 and abs(shell.inclination_deg - 53.0) < 0.1


def test_shell_satellites_obey_the_selection(shell):
    for rec in shell.records:
        sat = Satrec.twoline2rv(rec.line1, rec.line2)
        assert abs(math.degrees(sat.inclo) - 53.0) <= 0.1
        a = (3.986004418e14 / (sat.no_kozai / 60) ** 2) ** (1 / 3)
        assert 540 <= (a - 6378137.0) / 1e3 <= 560


def test_positions_match_direct_sgp4(shell):
    times = np.array([0.0, 1800.0])
    pos, vel = shell.positions_velocities(times)
    assert pos.shape == (2, shell.n_sats, 3)
    for sat_id in (0, shell.n_sats // 2, shell.n_sats - 1):
        rec = shell.records[sat_id]
        sat = Satrec.twoline2rv(rec.line1, rec.line2)
        for k, t in enumerate(times):
            jd = shell.epoch_jd + t / 86400
            err, r, v = sat.sgp4(math.floor(jd), jd - math.floor(jd))
            assert err == 0
            np.testing.assert_allclose(pos[k, sat_id], np.array(r) * 1e3, atol=1.0)
            np.testing.assert_allclose(vel[k, sat_id], np.array(v) * 1e3, atol=1e-3)


def _orbit_angles(pos, vel):
    h = np.cross(pos, vel)
    raan = np.arctan2(h[:, 0], -h[:, 1]) % (2 * np.pi)
    inc = np.arccos(h[:, 2] / np.linalg.norm(h, axis=1))
    node = np.stack([np.cos(raan), np.sin(raan)], axis=1)
    u = np.arctan2(pos[:, 2] / np.sin(inc), np.einsum("ij,ij->i", pos[:, :2], node)) % (2 * np.pi)
    return raan, u


def test_planes_by_raan_and_slots_by_argument_of_latitude(shell):
    pos, vel = shell.positions_velocities([0.0])
    raan, u = _orbit_angles(pos[0], vel[0])
    P, S = shell.n_planes, shell.sats_per_plane
    raan, u = raan.reshape(P, S), u.reshape(P, S)
    wrap = lambda x: (x + np.pi) % (2 * np.pi) - np.pi  # noqa: E731
    # each plane is tight in RAAN, and planes advance in RAAN
    spread = np.abs(wrap(raan - raan[:, :1]))
    assert np.degrees(spread).max() < 2.0
    step = np.degrees(wrap(raan[1:, 0] - raan[:-1, 0]))
    assert np.all(step > 2.0) and np.all(step < 15.0)
    # slots increase with the argument of latitude, one turn per plane
    du = np.diff(np.concatenate([u, u[:, :1]], axis=1), axis=1) % (2 * np.pi)
    np.testing.assert_allclose(du.sum(axis=1), 2 * np.pi)
    assert np.all(np.degrees(du) > 5.0)
    # slot s faces slot s of the next plane: no other rotation of the slot
    # numbering brings the planes closer in phase (brute force over rotations)
    for p in range(P - 1):
        cost = [np.sum(wrap(np.roll(u[p + 1], -k) - u[p]) ** 2) for k in range(S)]
        assert int(np.argmin(cost)) == 0
    if shell.pattern == "delta":
        cost = [np.sum(wrap(np.roll(u[0], -k) - u[P - 1]) ** 2) for k in range(S)]
        assert int(np.argmin(cost)) == shell.phasing


def test_tle_shell_snapshots_are_mostly_feasible(shell):
    snaps = build_snapshots(shell, n_snapshots=4, config=IslConfig(survival=1.0))
    assert snaps.n_links == 2 * shell.n_sats and snaps.feasible.mean() > 0.99


def _write(tmp_path, lines, name="bad.tle"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_bad_checksum_names_the_line(tmp_path, starlink_path):
    lines = starlink_path.read_text().splitlines()[:9]
    line = lines[5]
    lines[5] = line[:-1] + str((int(line[-1]) + 1) % 10)
    path = _write(tmp_path, lines)
    with pytest.raises(FileFormatError, match=r"bad\.tle:6: bad checksum on TLE line 2"):
        read_tle_file(path)


def test_truncated_records_name_the_line(tmp_path, starlink_path):
    lines = starlink_path.read_text().splitlines()[:9]
    with pytest.raises(FileFormatError, match=r":8: truncated record"):
        read_tle_file(_write(tmp_path, lines[:8]))
    with pytest.raises(FileFormatError, match=r":7: truncated record"):
        read_tle_file(_write(tmp_path, lines[:7]))
    short = lines[:5] + [lines[5][:40]] + lines[6:]
    with pytest.raises(FileFormatError, match=r":6: truncated TLE line 2"):
        read_tle_file(_write(tmp_path, short))
    with pytest.raises(FileFormatError, match=r":5: truncated record"):
        read_tle_file(_write(tmp_path, lines[:4] + lines[5:]))
    with pytest.raises(FileFormatError, match=r":6: TLE line 2 has 70 characters"):
        read_tle_file(_write(tmp_path, lines[:5] + [lines[5] + "0"] + lines[6:]))


def test_two_line_files_without_names(tmp_path, starlink_path):
    lines = starlink_path.read_text().splitlines()[:9]
    records = read_tle_file(_write(tmp_path, [line for k, line in enumerate(lines) if k % 3]))
    assert [r.name for r in records] == ["44238", "44252", "44713"]
    assert [r.line_no for r in records] == [1, 3, 5]


def test_non_ascii_and_non_text_files_name_the_problem(tmp_path, starlink_path):
    lines = starlink_path.read_text().splitlines()[:6]
    lines[3] = "STARLINK-\u00e9"
    with pytest.raises(FileFormatError, match=r":4: non-ASCII characters"):
        read_tle_file(_write(tmp_path, lines))
    latin1 = tmp_path / "latin1.tle"
    latin1.write_bytes("\n".join(lines).encode("latin-1"))
    with pytest.raises(FileFormatError, match=r"latin1\.tle: cannot read as text"):
        read_tle_file(latin1)
    with pytest.raises(FileFormatError, match="is a directory, not a file"):
        read_tle_file(tmp_path)


def test_missing_file_and_empty_shell(tmp_path, starlink_path):
    with pytest.raises(InputError, match="file not found"):
        read_tle_file(tmp_path / "nope.tle")
    with pytest.raises(InputError, match="no satellite"):
        load_tle_shell(starlink_path, inclination_deg=10.0)
