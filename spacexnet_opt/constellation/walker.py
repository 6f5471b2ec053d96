"""Walker star and Walker delta shells on circular two-body orbits.

A shell ``i:T/P/F`` has ``P`` planes of ``S = T / P`` satellites. Plane ``p``
has right ascension of the ascending node ``p * 360° / P`` (delta) or
``p * 180° / P`` (star); slot ``s`` of plane ``p`` starts at argument of
latitude ``360° * (s / S + F * p / T)``. Satellite id = ``p * S + s``.

>>> shell = WalkerShell.from_notation("87:1056/33/0", altitude_km=550, pattern="star")
>>> shell.n_planes, shell.sats_per_plane, shell.n_sats
(33, 32, 1056)
>>> round(shell.period_s / 60, 1)
95.6
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["WalkerShell", "EARTH_RADIUS_M", "MU_EARTH_M3_S2", "PATTERNS", "GridIds", "check_shell", "circular_period_s"]

EARTH_RADIUS_M = 6_378_137.0  # WGS-84 equatorial radius
MU_EARTH_M3_S2 = 3.986_004_418e14  # standard gravitational parameter of the Earth
PATTERNS = ("star", "delta")


def circular_period_s(altitude_km: float) -> float:
    """Period of a circular two-body orbit at ``altitude_km`` above the equatorial radius.

    >>> round(circular_period_s(550.0) / 60, 2)
    95.65
    """
    a = EARTH_RADIUS_M + 1e3 * altitude_km
    return 2 * math.pi * math.sqrt(a**3 / MU_EARTH_M3_S2)


class GridIds:
    """Satellite numbering shared by Walker and TLE shells: id = plane * S + slot.

    Subclasses provide ``n_planes`` and ``sats_per_plane``.
    """

    n_planes: int
    sats_per_plane: int

    @property
    def n_sats(self) -> int:
        """Number of satellites, ``P * S``."""
        return self.n_planes * self.sats_per_plane

    def sat_id(self, plane, slot):
        """Satellite id(s) of ``(plane, slot)``; vectorised, raises InputError out of range."""
        plane, slot = np.asarray(plane), np.asarray(slot)
        if np.any((plane < 0) | (plane >= self.n_planes)):
            raise InputError(f"plane must be in 0..{self.n_planes - 1}", field="plane")
        if np.any((slot < 0) | (slot >= self.sats_per_plane)):
            raise InputError(f"slot must be in 0..{self.sats_per_plane - 1}", field="slot")
        ids = plane * self.sats_per_plane + slot
        return int(ids) if ids.ndim == 0 else ids

    def plane_slot(self, ids):
        """``(plane, slot)`` of satellite id(s); vectorised inverse of :meth:`sat_id`."""
        ids = np.asarray(ids)
        if np.any((ids < 0) | (ids >= self.n_sats)):
            raise InputError(f"satellite id must be in 0..{self.n_sats - 1}", field="ids")
        plane, slot = np.divmod(ids, self.sats_per_plane)
        if plane.ndim == 0:
            return int(plane), int(slot)
        return plane, slot


def _is_count(value, low: int = 1, high: float = math.inf) -> bool:
    return isinstance(value, (int, np.integer)) and low <= value < high


def check_shell(**fields) -> None:
    """Raise :class:`InputError` naming the first invalid shell field among those given (in their order).

    Fields: ``n_planes``, ``sats_per_plane``, ``altitude_km``, ``inclination_deg``,
    ``phasing`` (checked against ``n_planes`` when given) and ``pattern``; shared
    by Walker and TLE shells.

    >>> check_shell(inclination_deg=53.0, pattern="delta")
    >>> try:
    ...     check_shell(pattern="ring")
    ... except InputError as exc:
    ...     print(exc)
    pattern: must be one of star, delta, got 'ring'
    """
    n_planes = fields.get("n_planes", math.inf)
    checks = {
        "n_planes": (_is_count, "must be a positive integer, got {!r}"),
        "sats_per_plane": (_is_count, "must be a positive integer, got {!r}"),
        "altitude_km": (lambda v: math.isfinite(v) and v > 0, "must be a positive number of km, got {!r}"),
        "inclination_deg": (lambda v: math.isfinite(v) and 0 <= v <= 180, "must be within 0-180 degrees, got {!r}"),
        "phasing": (lambda v: _is_count(v, 0, n_planes), f"Walker F must be an integer in 0..{n_planes - 1}, got {{!r}}"),
        "pattern": (lambda v: v in PATTERNS, f"must be one of {', '.join(PATTERNS)}, got {{!r}}"),
    }
    for name, value in fields.items():
        valid, message = checks[name]
        if not valid(value):
            raise InputError(message.format(value), field=name)


@dataclass(frozen=True)
class WalkerShell(GridIds):
    """A Walker shell of ``n_planes x sats_per_plane`` satellites on circular orbits.

    Parameters
    ----------
    name : str
    n_planes : int
        P, number of orbital planes.
    sats_per_plane : int
        S, satellites per plane (T = P * S).
    altitude_km : float
        Altitude above the equatorial radius (6,378.137 km).
    inclination_deg : float
        Inclination, 0-180 degrees.
    phasing : int
        Walker F in ``0..P-1``: plane ``p+1`` is ahead of plane ``p`` by ``F * 360° / T``.
    pattern : {"star", "delta"}
        Planes spread over 180° (star) or 360° (delta); also the seam rule of +Grid.

    Examples
    --------
    >>> s = WalkerShell("toy", 4, 6, 550.0, 53.0, phasing=1, pattern="delta")
    >>> s.sat_id(2, 5), s.plane_slot(17)
    (17, (2, 5))
    >>> pos, vel = s.positions_velocities([0.0, 60.0])
    >>> pos.shape, vel.shape
    ((2, 24, 3), (2, 24, 3))
    """

    name: str
    n_planes: int
    sats_per_plane: int
    altitude_km: float
    inclination_deg: float
    phasing: int = 0
    pattern: str = "delta"

    def __post_init__(self):
        check_shell(n_planes=self.n_planes, sats_per_plane=self.sats_per_plane, altitude_km=self.altitude_km,
                    inclination_deg=self.inclination_deg, phasing=self.phasing, pattern=self.pattern)

    @classmethod
    def from_notation(cls, notation: str, *, altitude_km: float, pattern: str = "delta", name: str | None = None) -> WalkerShell:
        """Build a shell from Walker notation ``"i:T/P/F"`` (inclination in degrees).

        >>> WalkerShell.from_notation("53:1584/72/39", altitude_km=550).sats_per_plane
        22
        """
        match = re.fullmatch(r"\s*([-+0-9.eE]+)\s*:\s*(\d+)\s*/\s*(\d+)\s*/\s*(\d+)\s*", str(notation))
        if match is None:
            raise InputError(f"expected Walker notation i:T/P/F such as 87:1056/33/0, got {notation!r}", field="walker")
        try:
            inclination = float(match[1])
        except ValueError:
            raise InputError(f"inclination {match[1]!r} is not a number", field="walker") from None
        total, planes, phasing = int(match[2]), int(match[3]), int(match[4])
        if planes < 1 or total < 1:
            raise InputError(f"T and P must be positive, got T={total}, P={planes}", field="walker")
        if total % planes:
            raise InputError(f"T={total} is not divisible by P={planes}", field="walker")
        return cls(name or str(notation).strip(), planes, total // planes, float(altitude_km), inclination, phasing, pattern)

    @property
    def notation(self) -> str:
        """Walker notation ``i:T/P/F``."""
        return f"{self.inclination_deg:g}:{self.n_sats}/{self.n_planes}/{self.phasing}"

    @property
    def semi_major_axis_m(self) -> float:
        return EARTH_RADIUS_M + 1e3 * self.altitude_km

    @property
    def period_s(self) -> float:
        """Orbital period, ``2 pi sqrt(a^3 / mu)``."""
        return circular_period_s(self.altitude_km)

    @property
    def mean_motion_rad_s(self) -> float:
        return 2 * math.pi / self.period_s

    def raan_rad(self) -> np.ndarray:
        """Right ascension of the ascending node of each plane, shape (P,)."""
        spread = math.pi if self.pattern == "star" else 2 * math.pi
        return np.arange(self.n_planes) * spread / self.n_planes

    def initial_arg_latitude_rad(self) -> np.ndarray:
        """Argument of latitude of every satellite at t = 0, shape (N,), in id order."""
        plane, slot = np.divmod(np.arange(self.n_sats), self.sats_per_plane)
        return 2 * math.pi * (slot / self.sats_per_plane + self.phasing * plane / self.n_sats)

    def positions_velocities(self, times_s) -> tuple[np.ndarray, np.ndarray]:
        """Inertial positions (m) and velocities (m/s) of all satellites, each of shape (T, N, 3).

        The frame is Earth-centred inertial with the z axis through the north
        pole; the Earth's rotation is irrelevant for inter-satellite links.
        """
        t = np.atleast_1d(np.asarray(times_s, dtype=float))
        raan = np.repeat(self.raan_rad(), self.sats_per_plane)
        inc = math.radians(self.inclination_deg)
        # Unit vectors towards the ascending node (p) and 90° ahead in the plane (q).
        p = np.stack([np.cos(raan), np.sin(raan), np.zeros_like(raan)], axis=1)
        q = np.stack([-np.sin(raan) * math.cos(inc), np.cos(raan) * math.cos(inc), np.full_like(raan, math.sin(inc))], axis=1)
        u = self.initial_arg_latitude_rad()[None, :] + self.mean_motion_rad_s * t[:, None]
        cos_u, sin_u = np.cos(u)[..., None], np.sin(u)[..., None]
        a = self.semi_major_axis_m
        pos = a * (cos_u * p + sin_u * q)
        vel = (a * self.mean_motion_rad_s) * (cos_u * q - sin_u * p)
        return pos, vel
