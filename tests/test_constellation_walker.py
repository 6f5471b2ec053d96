"""Walker shells: orbital period, geometry, numbering and parameter checks."""

import math

import numpy as np
import pytest

from spacexnet_opt.constellation import PRESETS, WalkerShell, preset
from spacexnet_opt.constellation.sun import sun_synchronous_inclination_deg
from spacexnet_opt.errors import InputError

MU = 3.986004418e14
R_EARTH = 6378137.0


@pytest.mark.parametrize("altitude_km", [550.0, 630.0, 1200.0])
def test_period_matches_keplers_third_law(altitude_km):
    shell = WalkerShell("t", 3, 10, altitude_km, 53.0)
    a = R_EARTH + altitude_km * 1e3
    assert shell.period_s == pytest.approx(2 * math.pi * math.sqrt(a**3 / MU), rel=1e-12)
    # one period later every satellite is back where it started
    pos, _ = shell.positions_velocities([0.0, shell.period_s])
    np.testing.assert_allclose(pos[1], pos[0], atol=1e-3)


def test_550_km_period_is_about_95_6_minutes():
    assert preset("paper").period_s / 60 == pytest.approx(95.6, abs=0.1)


def test_circular_orbit_radius_speed_and_velocity_is_derivative():
    shell = WalkerShell("t", 5, 7, 550.0, 87.0, phasing=2, pattern="star")
    a = R_EARTH + 550e3
    times = np.array([0.0, 123.0, 4000.0])
    pos, vel = shell.positions_velocities(times)
    assert pos.shape == vel.shape == (3, 35, 3)
    np.testing.assert_allclose(np.linalg.norm(pos, axis=-1), a, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(vel, axis=-1), math.sqrt(MU / a), rtol=1e-12)
    h = 1e-3
    plus, _ = shell.positions_velocities(times + h)
    minus, _ = shell.positions_velocities(times - h)
    np.testing.assert_allclose((plus - minus) / (2 * h), vel, rtol=1e-6, atol=1e-3)


@pytest.mark.parametrize("n_slots", [12, 22, 32])
def test_intra_plane_neighbour_distance(n_slots):
    shell = WalkerShell("t", 4, n_slots, 550.0, 53.0, phasing=1)
    a = R_EARTH + 550e3
    pos, _ = shell.positions_velocities([0.0, 777.0])
    plane, slot = np.divmod(np.arange(shell.n_sats), n_slots)
    nxt = shell.sat_id(plane, (slot + 1) % n_slots)
    dist = np.linalg.norm(pos[:, nxt] - pos[:, np.arange(shell.n_sats)], axis=-1)
    np.testing.assert_allclose(dist, 2 * a * math.sin(math.pi / n_slots), rtol=1e-10)


@pytest.mark.parametrize("pattern, spread", [("delta", 360.0), ("star", 180.0)])
def test_planes_and_slots_never_swapped(pattern, spread):
    # P != S so a swap would show; every plane's satellites share one orbit normal
    shell = WalkerShell("t", 5, 8, 550.0, 60.0, phasing=3, pattern=pattern)
    pos, vel = shell.positions_velocities([100.0])
    normal = np.cross(pos[0], vel[0])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    plane, slot = shell.plane_slot(np.arange(shell.n_sats))
    for p in range(5):
        members = normal[plane == p]
        np.testing.assert_allclose(members, np.repeat(members[:1], 8, axis=0), atol=1e-12)
        raan = math.degrees(math.atan2(members[0, 0], -members[0, 1])) % 360
        assert raan == pytest.approx(p * spread / 5, abs=1e-9)
        assert math.degrees(math.acos(members[0, 2])) == pytest.approx(60.0)
    # slot order follows the direction of motion, spaced 360/S, plane offset 360*F/T
    u = np.degrees(shell.initial_arg_latitude_rad())
    assert u[shell.sat_id(2, 3)] == pytest.approx(3 * 45.0 + 2 * 3 * 360 / 40)


def test_ids_round_trip_vectorised():
    shell = WalkerShell("t", 33, 32, 550.0, 87.0, pattern="star")
    ids = np.arange(shell.n_sats)
    plane, slot = shell.plane_slot(ids)
    np.testing.assert_array_equal(shell.sat_id(plane, slot), ids)
    assert shell.sat_id(1, 0) == 32 and shell.plane_slot(33) == (1, 1)
    with pytest.raises(InputError, match="plane"):
        shell.sat_id(33, 0)
    with pytest.raises(InputError, match="slot"):
        shell.sat_id(0, 32)
    with pytest.raises(InputError):
        shell.plane_slot(1056)


def test_from_notation_parses_planes_not_slots():
    shell = WalkerShell.from_notation("87:1056/33/5", altitude_km=550, pattern="star")
    assert (shell.n_planes, shell.sats_per_plane, shell.phasing, shell.inclination_deg) == (33, 32, 5, 87.0)
    assert shell.notation == "87:1056/33/5"


@pytest.mark.parametrize(
    "notation, kwargs, field",
    [
        ("53:100/7/0", {}, "walker"),  # T not divisible by P
        ("53:60/6/6", {}, "phasing"),  # F outside 0..P-1
        ("53:60/6/-1", {}, "walker"),
        ("181:60/6/0", {}, "inclination_deg"),
        ("-1:60/6/0", {}, "inclination_deg"),
        ("53:60/6/0", {"altitude_km": -550}, "altitude_km"),
        ("53:60/6/0", {"pattern": "rosette"}, "pattern"),
        ("53-60-6-0", {}, "walker"),
    ],
)
def test_bad_parameters_raise_input_error(notation, kwargs, field):
    with pytest.raises(InputError) as err:
        WalkerShell.from_notation(notation, **{"altitude_km": 550, **kwargs})
    assert err.value.field == field


def test_presets_have_published_sizes():
    expected = {
        "paper": (33, 32, 550, 87.0, "star"),
        "starlink-shell1": (72, 22, 550, 53.0, "delta"),
        "kuiper-630": (34, 34, 630, 51.9, "delta"),
        "oneweb": (12, 49, 1200, 87.9, "star"),
        "telesat-polar": (27, 13, 1015, 98.98, "star"),
        "dawn-dusk-550": (33, 32, 550, sun_synchronous_inclination_deg(550.0), "star"),  # tests/test_sun.py checks it
    }
    assert set(PRESETS) == set(expected)
    for name, (p, s, alt, inc, pattern) in expected.items():
        shell = preset(name)
        assert (shell.n_planes, shell.sats_per_plane, shell.altitude_km, shell.inclination_deg, shell.pattern) == (p, s, alt, inc, pattern)
    assert preset("paper").n_sats == 1056
    with pytest.raises(InputError, match="valid: paper"):
        preset("iridium")
