"""Shells of a satellite catalogue and the Walker pattern of a shell's planes, from orbital elements.

A **shell** is a cluster in (inclination, mean altitude): sort by inclination and
start a new group wherever consecutive inclinations differ by more than
``inclination_gap_deg`` (0.05°); inside each group sort by altitude and start a
new shell wherever consecutive altitudes differ by more than ``altitude_gap_km``
(5 km). Groups of fewer than ``min_sats`` (10) satellites (orbit raising,
de-orbiting, stragglers) are not shells. The gaps are single-linkage
tolerances: two shells of the result are always farther apart than the gap in
inclination or in altitude, so the box spanned by a shell holds no satellite of
another group. On the shared files the gaps separate Starlink's 53.0° and 53.2°
shells (0.14° apart) and keep OneWeb's 1,200 km shell whole, whose planes sit
at altitudes 4 km apart (1,181-1,225 km).

The **pattern** follows from how far the planes spread in right ascension of
the ascending node (RAAN): a Walker star of P planes spans ``180° (P-1)/P``, a
delta ``360° (P-1)/P``; the spread is ``360°`` minus the widest gap between
adjacent plane RAANs, and the shell is a delta when the spread exceeds the
midpoint ``270° (P-1)/P``, otherwise a star (one plane: a star, it has no seam).

>>> import numpy as np
>>> inc = np.r_[np.full(12, 53.0), np.full(11, 53.2), 70.0]
>>> alt = np.r_[np.linspace(545, 555, 12), np.full(11, 530.0), 570.0]
>>> [len(ids) for ids in cluster_shells(inc, alt)]
[12, 11]
>>> detect_pattern(np.radians([0, 15, 30, 45, 60, 75, 90, 105, 120, 135, 150, 165]))[0]
'star'
>>> detect_pattern(np.radians(np.arange(0, 360, 5)))[0]
'delta'
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["INCLINATION_GAP_DEG", "ALTITUDE_GAP_KM", "MIN_SHELL_SATS", "cluster_shells", "detect_pattern", "raan_spread"]

INCLINATION_GAP_DEG = 0.05
"""Consecutive inclinations farther apart than this belong to different shells."""

ALTITUDE_GAP_KM = 5.0
"""Consecutive mean altitudes (within one inclination group) farther apart than this start a new shell."""

MIN_SHELL_SATS = 10
"""Smallest group of satellites counted as a shell."""


def cluster_shells(inclination_deg, altitude_km, *, inclination_gap_deg: float = INCLINATION_GAP_DEG,
                   altitude_gap_km: float = ALTITUDE_GAP_KM, min_sats: int = MIN_SHELL_SATS) -> list[np.ndarray]:
    """Indices of the satellites of each shell, largest shell first (see the module docstring).

    Parameters
    ----------
    inclination_deg, altitude_km : array_like, shape (N,)
        Inclination and mean altitude of every satellite.
    inclination_gap_deg, altitude_gap_km, min_sats : float, float, int
        The clustering tolerances and the smallest shell.

    Returns
    -------
    list of ndarray of int
        Sorted by size, then by inclination and altitude.
    """
    inc = np.asarray(inclination_deg, dtype=float)
    alt = np.asarray(altitude_km, dtype=float)
    if inc.size == 0:
        return []
    by_inc = np.argsort(inc, kind="stable")
    group = np.empty(inc.size, dtype=np.int64)
    group[by_inc] = np.concatenate([[0], np.cumsum(np.diff(inc[by_inc]) > inclination_gap_deg)])
    order = np.lexsort((alt, group))
    starts = np.flatnonzero((np.diff(group[order]) != 0) | (np.diff(alt[order]) > altitude_gap_km)) + 1
    shells = [ids for ids in np.split(order, starts) if len(ids) >= min_sats]
    return sorted(shells, key=len, reverse=True)


def raan_spread(raan_rad) -> float:
    """Arc (rad) covered by the RAANs: ``2 pi`` minus the widest gap between neighbours (0 for one value).

    >>> round(math.degrees(raan_spread(np.radians([350.0, 10.0, 20.0]))), 6)
    30.0
    """
    raan = np.sort(np.mod(np.asarray(raan_rad, dtype=float), 2 * math.pi))
    if raan.size < 2:
        return 0.0
    gaps = np.diff(np.append(raan, raan[0] + 2 * math.pi))
    return float(2 * math.pi - gaps.max())


def detect_pattern(plane_raan_rad) -> tuple[str, float]:
    """``(pattern, spread)``: "delta" when the planes' RAAN spread exceeds ``270° (P-1)/P``, else "star".

    ``plane_raan_rad`` holds one RAAN per plane; ``spread`` is :func:`raan_spread` of it (rad).
    """
    n_planes = len(plane_raan_rad)
    spread = raan_spread(plane_raan_rad)
    return ("delta" if spread > 1.5 * math.pi * (n_planes - 1) / n_planes else "star"), spread
