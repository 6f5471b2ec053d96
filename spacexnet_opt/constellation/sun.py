"""The Sun, the Earth's shadow, and sun-synchronous shells.

- **Sun direction**: the *Astronomical Almanac*'s low-precision solar
  coordinates (section C, "Low precision formulas for the Sun"), good to
  0.01° in 1950-2050, as a unit vector in the Earth-centred inertial frame of the
  mean equator and equinox of date (x towards the vernal equinox, z north).
- **Shadow**: a *cylindrical* Earth shadow of the equatorial radius, parallel
  to the Sun's direction: a satellite is eclipsed when it is behind the Earth
  (``r . s < 0``) and within ``R`` of the Sun-Earth line. No penumbra, no
  atmosphere, no oblateness; entry and exit are instantaneous.
- **Frames**: a Walker shell's inertial frame is read as this frame, its
  ``t = 0`` at the epoch the caller gives (a Walker shell has no epoch of its
  own); a TLE shell counts time from its ``epoch_jd`` in TEME, which differs
  from the mean equator of date by well under a degree.
- **Sun-synchronous shells**: J2 nodal precession
  ``dOmega/dt = -3/2 J2 (R/a)^2 n cos i`` equal to 360° per tropical year
  gives the inclination; a :class:`SunSynchronousShell` keeps its planes around
  a local time of the ascending node (18:00 or 06:00: dawn-dusk) and precesses
  with the Sun.

>>> round(sun_synchronous_inclination_deg(550.0), 2)
97.59
>>> round(eclipse_fraction(550.0, 0.0), 3)       # beta = 0: the longest shadow at 550 km
0.372
>>> eclipse_fraction(550.0, math.radians(70.0))   # beyond the critical beta, no shadow
0.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import numpy as np

from ..errors import InputError
from .walker import EARTH_RADIUS_M, MU_EARTH_M3_S2, WalkerShell

__all__ = ["J2000_JD", "J2_EARTH", "TROPICAL_YEAR_S", "julian_date", "sun_direction", "sun_right_ascension",
           "in_shadow", "eclipse_states", "eclipse_fraction", "nodal_precession_rad_s",
           "sun_synchronous_inclination_deg", "SunSynchronousShell", "shell_epoch_jd"]

J2000_JD = 2_451_545.0
"""Julian date of 2000-01-01 12:00 TT (the UT/TT difference, about a minute, is below this model's accuracy)."""
J2_EARTH = 1.082_626_68e-3  # EGM96 / WGS-84 second zonal harmonic
TROPICAL_YEAR_S = 365.242_19 * 86_400.0
_DAY_S = 86_400.0


def julian_date(when) -> float:
    """Julian date of an ISO 8601 UTC string or an aware/naive-UTC :class:`datetime`.

    >>> julian_date("2000-01-01T12:00:00Z")
    2451545.0
    """
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"expected an ISO 8601 date such as 2026-03-20T00:00:00Z, got {when!r}",
                             field="epoch") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    seconds = (when - datetime(2000, 1, 1, 12, tzinfo=timezone.utc)).total_seconds()
    return J2000_JD + seconds / _DAY_S


def _ecliptic(jd):
    """Apparent ecliptic longitude and obliquity (rad) of the Sun, Astronomical Almanac low precision."""
    n = np.asarray(jd, dtype=float) - J2000_JD
    mean_longitude = np.radians(280.460 + 0.985_647_4 * n)
    anomaly = np.radians(357.528 + 0.985_600_3 * n)
    longitude = mean_longitude + np.radians(1.915 * np.sin(anomaly) + 0.020 * np.sin(2 * anomaly))
    obliquity = np.radians(23.439 - 4.0e-7 * n)
    return longitude, obliquity


def sun_direction(jd) -> np.ndarray:
    """Unit vector(s) from the Earth to the Sun, shape ``jd.shape + (3,)``.

    Accuracy about 0.01° in 1950-2050 (Astronomical Almanac low-precision formulas).

    >>> s = sun_direction(julian_date("2024-06-20T20:51:00Z"))   # June solstice: declination +23.44°
    >>> round(math.degrees(math.asin(s[2])), 2)
    23.44
    """
    longitude, obliquity = _ecliptic(jd)
    return np.stack([np.cos(longitude), np.cos(obliquity) * np.sin(longitude),
                     np.sin(obliquity) * np.sin(longitude)], axis=-1)


def sun_right_ascension(jd) -> np.ndarray:
    """Right ascension of the Sun (rad, in ``[-pi, pi]``).

    >>> round(math.degrees(float(sun_right_ascension(julian_date("2024-03-20T03:06:00Z")))), 2)
    0.0
    """
    s = sun_direction(jd)
    return np.arctan2(s[..., 1], s[..., 0])


def in_shadow(positions_m, sun) -> np.ndarray:
    """Cylindrical-shadow eclipse state of positions ``(..., N, 3)`` for Sun direction(s) ``(..., 3)``.

    >>> in_shadow(np.array([[-7e6, 0.0, 0.0], [7e6, 0.0, 0.0], [-7e6, 6.5e6, 0.0]]), np.array([1.0, 0.0, 0.0]))
    array([ True, False, False])
    """
    pos = np.asarray(positions_m, dtype=float)
    sun = np.asarray(sun, dtype=float)[..., None, :]
    along = np.sum(pos * sun, axis=-1)
    across_sq = np.sum(pos * pos, axis=-1) - along**2
    return (along < 0) & (across_sq < EARTH_RADIUS_M**2)


def shell_epoch_jd(shell, epoch_jd: float) -> float:
    """The Julian date of a shell's ``t = 0``: a TLE shell's own epoch, otherwise ``epoch_jd``."""
    return float(getattr(shell, "epoch_jd", epoch_jd))


def eclipse_states(shell, times_s, *, epoch_jd: float, block: int = 256) -> np.ndarray:
    """Eclipse state (T, N) of every satellite of ``shell`` at ``times_s`` seconds after its epoch.

    ``epoch_jd`` dates ``t = 0`` of a Walker shell (a TLE or sun-synchronous shell
    keeps its own epoch); positions come from the shell's own propagation, in
    blocks of ``block`` instants.

    >>> from spacexnet_opt.constellation import preset
    >>> states = eclipse_states(preset("paper"), np.arange(0, 5760, 60.0), epoch_jd=julian_date("2026-03-20"))
    >>> states.shape, round(float(states.mean()), 2)     # planes at every beta angle: 0 to 37 % in shadow
    ((96, 1056), 0.24)
    """
    t = np.atleast_1d(np.asarray(times_s, dtype=float))
    jd0 = shell_epoch_jd(shell, epoch_jd)
    out = np.empty((len(t), shell.n_sats), dtype=bool)
    for start in range(0, len(t), block):
        chunk = t[start:start + block]
        pos, _ = shell.positions_velocities(chunk)
        out[start:start + block] = in_shadow(pos, sun_direction(jd0 + chunk / _DAY_S))
    return out


def eclipse_fraction(altitude_km: float, beta_rad) -> np.ndarray | float:
    """Fraction of a circular orbit in the cylindrical shadow at Sun beta angle ``beta_rad``.

    ``f = arccos(sqrt(h^2 + 2 R h) / ((R + h) cos beta)) / pi`` when the argument is
    below one, else 0; the shadow arc is centred on the anti-Sun point of the orbit.
    """
    h, radius = 1e3 * altitude_km, EARTH_RADIUS_M
    cos_beta = np.abs(np.cos(np.asarray(beta_rad, dtype=float)))
    with np.errstate(divide="ignore"):
        ratio = math.sqrt(h * h + 2 * radius * h) / ((radius + h) * cos_beta)
    fraction = np.where(ratio < 1, np.arccos(np.minimum(ratio, 1.0)) / math.pi, 0.0)
    return float(fraction) if fraction.ndim == 0 else fraction


def nodal_precession_rad_s(altitude_km: float, inclination_deg: float) -> float:
    """J2 secular drift of the ascending node of a circular orbit (rad/s; negative: westward).

    >>> round(math.degrees(nodal_precession_rad_s(550.0, 53.0)) * 86400, 2)   # Starlink shell 1
    -4.49
    """
    a = EARTH_RADIUS_M + 1e3 * altitude_km
    mean_motion = math.sqrt(MU_EARTH_M3_S2 / a**3)
    return -1.5 * J2_EARTH * (EARTH_RADIUS_M / a) ** 2 * mean_motion * math.cos(math.radians(inclination_deg))


def sun_synchronous_inclination_deg(altitude_km: float) -> float:
    """Inclination whose J2 nodal precession is +360° per tropical year at ``altitude_km``.

    Raises InputError above about 5,970 km, where no inclination precesses fast enough.
    """
    rate = 2 * math.pi / TROPICAL_YEAR_S
    cos_i = rate / nodal_precession_rad_s(altitude_km, 0.0)
    if not -1 <= cos_i <= 1:
        raise InputError(f"no sun-synchronous orbit at {altitude_km:g} km", field="altitude_km")
    return math.degrees(math.acos(cos_i))


@dataclass(frozen=True)
class SunSynchronousShell(WalkerShell):
    """A shell of sun-synchronous planes held around one local time of the ascending node.

    Plane ``p`` has RAAN ``alpha_sun(epoch) + 15° (ltan_h - 12) + (p - (P-1)/2) * raan_spread_deg / P``:
    the planes straddle the local time ``ltan_h`` (18.0 or 6.0: dawn-dusk), and
    every node drifts east with the Sun (J2). Built with :meth:`dawn_dusk`.

    >>> s = SunSynchronousShell.dawn_dusk("dd", 4, 8, 550.0, epoch_jd=julian_date("2026-03-20T14:46:00Z"))
    >>> round(s.inclination_deg, 2), s.pattern
    (97.59, 'star')
    >>> [round(math.degrees(r), 1) for r in s.raan_rad()]    # Sun at RA 0 on the equinox: nodes near 90°
    [78.8, 86.3, 93.8, 101.3]
    """

    ltan_h: float = 18.0
    raan_spread_deg: float = 30.0
    epoch_jd: float = J2000_JD

    def __post_init__(self):
        super().__post_init__()
        if not 0 <= self.ltan_h < 24:
            raise InputError(f"must be a local time in hours, 0 <= ltan_h < 24, got {self.ltan_h!r}", field="ltan_h")
        if not 0 <= self.raan_spread_deg <= 180:
            raise InputError(f"must be within 0-180 degrees, got {self.raan_spread_deg!r}", field="raan_spread_deg")

    @classmethod
    def dawn_dusk(cls, name: str, n_planes: int, sats_per_plane: int, altitude_km: float, *, phasing: int = 0,
                  ltan_h: float = 18.0, raan_spread_deg: float = 30.0,
                  epoch_jd: float = J2000_JD) -> SunSynchronousShell:
        """A dawn-dusk shell at the sun-synchronous inclination of ``altitude_km``."""
        return cls(name, n_planes, sats_per_plane, altitude_km, sun_synchronous_inclination_deg(altitude_km),
                   phasing=phasing, pattern="star", ltan_h=ltan_h, raan_spread_deg=raan_spread_deg,
                   epoch_jd=epoch_jd)

    def at_epoch(self, epoch_jd: float) -> SunSynchronousShell:
        """The same shell with its planes placed for ``epoch_jd`` (its ``t = 0``)."""
        return replace(self, epoch_jd=float(epoch_jd))

    def raan_rad(self) -> np.ndarray:
        centre = float(sun_right_ascension(self.epoch_jd)) + math.radians(15.0 * (self.ltan_h - 12.0))
        offsets = (np.arange(self.n_planes) - (self.n_planes - 1) / 2) * math.radians(self.raan_spread_deg) / self.n_planes
        return centre + offsets

    def positions_velocities(self, times_s) -> tuple[np.ndarray, np.ndarray]:
        """Walker positions with every node advanced by the J2 drift: a rotation about z by ``dOmega/dt * t``."""
        t = np.atleast_1d(np.asarray(times_s, dtype=float))
        pos, vel = super().positions_velocities(t)
        angle = nodal_precession_rad_s(self.altitude_km, self.inclination_deg) * t
        cos_a, sin_a = np.cos(angle)[:, None], np.sin(angle)[:, None]
        return _rotate_z(pos, cos_a, sin_a), _rotate_z(vel, cos_a, sin_a)


def _rotate_z(v: np.ndarray, cos_a: np.ndarray, sin_a: np.ndarray) -> np.ndarray:
    x, y = v[..., 0], v[..., 1]
    return np.stack([cos_a * x - sin_a * y, sin_a * x + cos_a * y, v[..., 2]], axis=-1)
