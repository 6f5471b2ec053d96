"""Ground users: the satellite each ground point reaches in each snapshot, and the up/down-link delay.

A point at latitude/longitude on a spherical Earth turns with the Earth
(longitudes are those of the inertial frame at ``t = 0``); in snapshot ``t``
it reaches the satellite nearest to it among those at least
``elevation_mask_deg`` above its horizon, at the light delay of the slant
range. A point that sees no satellite above the mask in some snapshot is an
error naming the point (lower the mask, or the point is outside the shell's
coverage).

>>> from spacexnet_opt.constellation import WalkerShell
>>> shell = WalkerShell("t", 6, 16, 550.0, 87.0, pattern="star")
>>> sat, delay = ground_access(shell, np.array([0.0]), [(0.0, 0.0)], mask_deg=10.0)
>>> sat.shape, bool(550e3 / 299_792_458.0 <= delay[0, 0] < 2500e3 / 299_792_458.0)
((1, 1), True)
"""

from __future__ import annotations

import math

import numpy as np

from ..constellation.isl import SPEED_OF_LIGHT_M_S
from ..constellation.walker import EARTH_RADIUS_M
from ..errors import InputError

__all__ = ["EARTH_ROTATION_RAD_S", "ground_access"]

EARTH_ROTATION_RAD_S = 7.2921159e-5
"""Sidereal rotation rate of the Earth."""


def ground_access(shell, times_s: np.ndarray, points, *, mask_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Access satellite (T, P) and one-way ground-satellite delay (T, P) of ``points`` [(lat, lon) deg]."""
    pos, _ = shell.positions_velocities(times_s)  # (T, N, 3)
    lat = np.radians([p[0] for p in points])
    lon = np.radians([p[1] for p in points])[None, :] + EARTH_ROTATION_RAD_S * np.asarray(times_s)[:, None]
    up = np.stack([np.cos(lat)[None, :] * np.cos(lon), np.cos(lat)[None, :] * np.sin(lon),
                   np.broadcast_to(np.sin(lat), lon.shape)], axis=-1)  # (T, P, 3) unit vectors
    rel = pos[:, None, :, :] - EARTH_RADIUS_M * up[:, :, None, :]  # (T, P, N, 3)
    rng = np.linalg.norm(rel, axis=-1)
    sin_elev = np.einsum("tpnk,tpk->tpn", rel, up) / rng
    rng = np.where(sin_elev >= math.sin(math.radians(mask_deg)), rng, np.inf)
    sat = np.argmin(rng, axis=-1)
    best = np.take_along_axis(rng, sat[..., None], axis=-1)[..., 0]
    if not np.isfinite(best).all():
        t, p = np.argwhere(~np.isfinite(best))[0]
        raise InputError(f"sees no satellite above the {mask_deg:g} deg mask in snapshot {t}; lower "
                         "origins.elevation_mask_deg or move the point", field=f"origins.points[{p}]")
    return sat, best / SPEED_OF_LIGHT_M_S
