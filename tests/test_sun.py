"""Sun ephemeris, cylindrical shadow and sun-synchronous shells against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spacexnet_opt.constellation import WalkerShell, preset
from spacexnet_opt.constellation.sun import (TROPICAL_YEAR_S, SunSynchronousShell, eclipse_fraction, eclipse_states,
                                             julian_date, nodal_precession_rad_s, sun_direction, sun_right_ascension,
                                             sun_synchronous_inclination_deg)
from spacexnet_opt.constellation.walker import EARTH_RADIUS_M, MU_EARTH_M3_S2
from spacexnet_opt.errors import InputError

# USNO's equinoxes and solstices of 2024 (to the minute; the Sun moves 0.0007° a minute).
SEASONS = [("2024-03-20T03:06Z", 0.0), ("2024-06-20T20:51Z", 90.0), ("2024-09-22T12:44Z", 180.0),
           ("2024-12-21T09:21Z", 270.0)]


@pytest.mark.parametrize("when, longitude_deg", SEASONS)
def test_sun_longitude_at_equinoxes_and_solstices(when, longitude_deg):
    s = sun_direction(julian_date(when))
    obliquity = math.radians(23.4393)
    # Back to ecliptic longitude by rotating about x by the obliquity.
    longitude = math.degrees(math.atan2(s[1] * math.cos(obliquity) + s[2] * math.sin(obliquity), s[0])) % 360
    assert abs((longitude - longitude_deg + 180) % 360 - 180) < 0.01
    assert abs(np.linalg.norm(s) - 1) < 1e-12


def _crossings(states: np.ndarray, times: np.ndarray) -> tuple[float, float]:
    """First shadow entry, and the exit after it, on a sampled eclipse state."""
    entries = np.flatnonzero(~states[:-1] & states[1:]) + 1
    exits = np.flatnonzero(states[:-1] & ~states[1:]) + 1
    entry = entries[0]
    return float(times[entry]), float(times[exits[exits > entry][0]])


def _analytic_entry_exit(inclination_deg: float, jd0: float) -> tuple[float, float, float]:
    """Entry and exit times of a single satellite (RAAN 0, u = 0 at t = 0) from the beta angle, and beta.

    The test allows 2 s: 1 s sampling, and the Sun moving 0.07° during the orbit."""
    a = EARTH_RADIUS_M + 550e3
    n = math.sqrt(MU_EARTH_M3_S2 / a**3)
    inc = math.radians(inclination_deg)
    p, q = np.array([1.0, 0.0, 0.0]), np.array([0.0, math.cos(inc), math.sin(inc)])
    normal = np.cross(p, q)
    mid = 0.0
    for _ in range(3):  # the Sun at mid-eclipse: it moves 0.07° an orbit
        s = sun_direction(jd0 + mid / 86400)
        beta = math.asin(float(s @ normal))
        anti = math.atan2(-float(s @ q), -float(s @ p)) % (2 * math.pi)
        mid = anti / n
    half = math.pi * eclipse_fraction(550.0, beta)
    return (anti - half) / n, (anti + half) / n, beta


@pytest.mark.parametrize("inclination_deg, when", [(87.0, "2026-03-20T00:00Z"), (53.0, "2026-06-01T00:00Z"),
                                                   (97.6, "2026-11-05T06:00Z"), (30.0, "2026-01-10T00:00Z")])
def test_eclipse_entry_exit_match_the_beta_angle_geometry(inclination_deg, when):
    shell = WalkerShell("one", 1, 1, 550.0, inclination_deg)
    jd0 = julian_date(when)
    entry, exit_, beta = _analytic_entry_exit(inclination_deg, jd0)
    assert exit_ > entry  # the case has a shadow
    times = np.arange(0.0, 2 * shell.period_s, 1.0)
    states = eclipse_states(shell, times, epoch_jd=jd0)[:, 0]
    sim_entry, sim_exit = _crossings(states, times)
    # One entry per period: the first sampled entry is the analytic one modulo the period.
    entry, duration = entry % shell.period_s, exit_ - entry
    assert abs(sim_entry - entry) <= 2.0, (sim_entry, entry, math.degrees(beta))
    assert abs(sim_exit - (entry + duration)) <= 2.0, (sim_exit, entry + duration, math.degrees(beta))


def test_no_shadow_beyond_the_critical_beta():
    # Critical beta at 550 km: arccos(sqrt(h^2 + 2Rh) / (R + h)) = 66.95°.
    critical = math.degrees(math.acos(math.sqrt(550e3**2 + 2 * EARTH_RADIUS_M * 550e3) / (EARTH_RADIUS_M + 550e3)))
    assert eclipse_fraction(550.0, math.radians(critical + 0.01)) == 0.0
    assert eclipse_fraction(550.0, math.radians(critical - 1.0)) > 0.0


def test_sun_synchronous_inclination():
    # Closed form: cos i = -(2 a^(7/2) Omega_dot) / (3 J2 R^2 sqrt(mu)), tabulated as 97.6° at 550 km
    # (Wertz, Space Mission Engineering, table 10-9).
    assert sun_synchronous_inclination_deg(550.0) == pytest.approx(97.59, abs=0.01)
    assert sun_synchronous_inclination_deg(800.0) == pytest.approx(98.60, abs=0.01)
    # Round trip: that inclination precesses 360° per tropical year.
    rate = nodal_precession_rad_s(550.0, sun_synchronous_inclination_deg(550.0))
    assert rate * TROPICAL_YEAR_S == pytest.approx(2 * math.pi, rel=1e-12)
    with pytest.raises(InputError, match="no sun-synchronous orbit"):
        sun_synchronous_inclination_deg(7000.0)


def test_dawn_dusk_preset_tracks_the_terminator():
    shell = preset("dawn-dusk-550").at_epoch(julian_date("2026-03-20T00:00Z"))
    assert shell.n_sats == preset("paper").n_sats
    # Around the equinox, every plane sees the Sun at beta > 67°: no shadow at all.
    assert not eclipse_states(shell, np.arange(0.0, shell.period_s, 20.0), epoch_jd=0.0).any()
    # 90 days on, the middle plane's node is still 90° (18:00) east of the Sun, within the equation of time.
    t = 90 * 86400.0
    pos, _ = shell.positions_velocities([t, t + 1.0])
    mid = (shell.n_planes // 2) * shell.sats_per_plane
    normal = np.cross(pos[0, mid], pos[1, mid])
    node = math.atan2(normal[0], -normal[1])
    offset = math.degrees(node - float(sun_right_ascension(shell.epoch_jd + t / 86400))) % 360
    assert offset == pytest.approx(90.0, abs=2.0)


def test_bad_dates_and_shells_raise_input_errors():
    with pytest.raises(InputError, match="epoch: expected an ISO 8601 date"):
        julian_date("yesterday")
    with pytest.raises(InputError, match="ltan_h"):
        SunSynchronousShell.dawn_dusk("x", 2, 2, 550.0, ltan_h=25.0)
