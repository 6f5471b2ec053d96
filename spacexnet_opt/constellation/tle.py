"""Real shells from two-line element (TLE) files, arranged as a rectangular P x S grid.

Pipeline of :func:`load_tle_shell`:

1. parse and validate the file (checksums, record structure; errors name the line);
2. keep the satellites of one shell: inclination within ``inclination_tol_deg``
   of ``inclination_deg`` and mean altitude (from the mean motion) in ``altitude_km``;
3. propagate them with SGP4 to one common epoch (the latest TLE epoch) and
   group them into planes by right ascension of the ascending node (a new plane
   starts wherever sorted RAANs jump by more than ``plane_gap_deg``);
4. make the grid rectangular: S is the count that keeps the most satellites,
   ``S x (planes with at least S)`` (or ``sats_per_plane``, or the largest count that
   ``min_plane_fraction`` of the planes reach); planes with fewer satellites are
   dropped; in planes with more, the satellite in the most crowded position
   (smallest arc between its two neighbours) is dropped until S remain;
5. the pattern, unless given: star or delta from the RAAN spread of the kept
   planes (:func:`~spacexnet_opt.constellation.shells.detect_pattern`);
6. order each plane by argument of latitude and rotate its slot numbering so
   slot ``s`` faces slot ``s`` of the previous plane (nearest in phase); the seam
   offset F (plane P-1 slot s to plane 0 slot s + F) is fitted the same way.

Every dropped satellite is counted under its reason in :attr:`TleShell.report`.
A wider band only adds satellites to the planes (a RAAN gap can be filled, never
opened) and step 4 maximises the kept count, so widening the band keeps at least as
many satellites, unless the added satellites bridge two planes into one or move the
common epoch enough to split a plane; the report says where every satellite went.

:func:`find_shells` lists the shells of a file
(:func:`~spacexnet_opt.constellation.shells.cluster_shells`) with the grid and
pattern that :func:`load_tle_shell` would make of each.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import FileFormatError, InputError
from ..fileio import read_text
from .shells import cluster_shells, detect_pattern
from .walker import EARTH_RADIUS_M, MU_EARTH_M3_S2, GridIds, check_shell

__all__ = ["TleRecord", "TleReport", "TleShell", "TleShellSummary", "read_tle_file", "load_tle_shell", "find_shells",
           "tle_checksum"]

_TLE_LENGTH = 69


@dataclass(frozen=True)
class TleRecord:
    """One satellite of a TLE file: name, the two element lines and the file line of line 1."""

    name: str
    line1: str
    line2: str
    line_no: int


def tle_checksum(line: str) -> int:
    """Modulo-10 checksum of the first 68 characters (digits count, '-' counts 1).

    >>> tle_checksum("1 44238U 19029D   22257.46316094  .00217935  00000+0  35067-2 0  999")
    2
    """
    return sum(int(c) if c.isdigit() else c == "-" for c in line[:68]) % 10


def _check_line(line: str, number: str, source, line_no: int) -> str:
    line = line.rstrip()
    if len(line) < _TLE_LENGTH:
        raise FileFormatError(f"truncated TLE line {number}: {len(line)} characters, expected {_TLE_LENGTH}", source=source, line=line_no)
    if len(line) > _TLE_LENGTH:
        raise FileFormatError(f"TLE line {number} has {len(line)} characters, expected {_TLE_LENGTH}", source=source, line=line_no)
    if not line[-1].isdigit() or int(line[-1]) != tle_checksum(line):
        raise FileFormatError(f"bad checksum on TLE line {number}: computed {tle_checksum(line)}, found {line[-1]!r}", source=source, line=line_no)
    return line


def read_tle_file(path) -> list[TleRecord]:
    """Parse a 2- or 3-line TLE file, validating structure and checksums.

    Raises
    ------
    InputError
        The file does not exist.
    FileFormatError
        The file is not ASCII text, or a record is truncated, out of order or
        fails its checksum; the message names the file and the line number.
    """
    path = Path(path)
    lines = read_text(path).splitlines()
    non_ascii = next((i for i, line in enumerate(lines, start=1) if not line.isascii()), None)
    if non_ascii is not None:
        raise FileFormatError("non-ASCII characters: TLE files are plain ASCII", source=path, line=non_ascii)
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    records, k, name = [], 0, None
    while k < len(numbered):
        line_no, line = numbered[k]
        if line.startswith("1 "):
            if k + 1 >= len(numbered):
                raise FileFormatError("truncated record: TLE line 1 without line 2 at the end of the file", source=path, line=line_no)
            next_no, next_line = numbered[k + 1]
            if not next_line.startswith("2 "):
                raise FileFormatError(f"truncated record: TLE line 1 is followed by line {next_no}, which is not a TLE line 2", source=path, line=line_no)
            line1 = _check_line(line, "1", path, line_no)
            line2 = _check_line(next_line, "2", path, next_no)
            if line1[2:7] != line2[2:7]:
                raise FileFormatError(f"satellite number {line2[2:7].strip()} on line 2 differs from {line1[2:7].strip()} on line 1", source=path, line=next_no)
            records.append(TleRecord(name if name is not None else line1[2:7].strip(), line1, line2, line_no))
            name, k = None, k + 2
        elif line.startswith("2 "):
            raise FileFormatError("truncated record: TLE line 2 without a preceding line 1", source=path, line=line_no)
        else:
            if name is not None:
                raise FileFormatError(f"truncated record: name {name!r} is not followed by TLE line 1", source=path, line=line_no - 1)
            name, k = line.strip(), k + 1
    if name is not None:
        raise FileFormatError(f"truncated record: name {name!r} at the end of the file has no element lines", source=path, line=numbered[-1][0])
    if not records:
        raise FileFormatError("no TLE records found", source=path)
    return records


@dataclass(frozen=True)
class TleReport:
    """How a TLE file was reduced to a rectangular shell.

    Attributes
    ----------
    n_total : int
        Satellites in the file.
    n_kept : int
        Satellites in the shell (P x S).
    n_planes_found : int
        Planes found by RAAN clustering before dropping small ones.
    dropped : dict of str -> tuple of str
        Names of the dropped satellites, by reason.
    pattern : {"star", "delta"}
        The shell's pattern.
    pattern_detected : bool
        True when the pattern was detected from ``raan_spread_deg``, False when it was given.
    raan_spread_deg : float
        Arc of right ascension covered by the kept planes.
    """

    n_total: int
    n_kept: int
    n_planes_found: int
    dropped: dict
    pattern: str
    pattern_detected: bool
    raan_spread_deg: float

    def lines(self) -> list[str]:
        """Human-readable summary, one line per reason."""
        out = [f"kept {self.n_kept} of {self.n_total} satellites ({self.n_planes_found} planes found)"]
        out += [f"dropped {len(names)}: {reason}" for reason, names in self.dropped.items() if names]
        return out

    def pattern_line(self) -> str:
        """The pattern, whether it was detected or given, and the RAAN spread it follows from."""
        how = "detected" if self.pattern_detected else "given"
        return f"pattern {self.pattern}, {how}: kept planes span {self.raan_spread_deg:.0f}° of RAAN (star ~180°, delta ~360°)"


@dataclass(frozen=True, eq=False)
class TleShell(GridIds):
    """A real shell: TLE satellites on a P x S grid, propagated with SGP4.

    Satellite id ``p * S + s`` is ``records[p * S + s]``; times passed to
    :meth:`positions_velocities` count seconds from ``epoch_jd`` (the latest
    TLE epoch of the kept satellites). Positions are in the TEME frame.
    """

    name: str
    n_planes: int
    sats_per_plane: int
    records: tuple
    epoch_jd: float
    period_s: float
    altitude_km: float
    inclination_deg: float
    phasing: int
    pattern: str
    report: TleReport
    _satrecs: object = field(repr=False, default=None)

    def __post_init__(self):
        from sgp4.api import Satrec, SatrecArray

        if self._satrecs is None:
            object.__setattr__(self, "_satrecs", SatrecArray([Satrec.twoline2rv(r.line1, r.line2) for r in self.records]))

    def positions_velocities(self, times_s) -> tuple[np.ndarray, np.ndarray]:
        """SGP4 positions (m) and velocities (m/s), each (T, N, 3), at ``epoch_jd + times_s``."""
        t = np.atleast_1d(np.asarray(times_s, dtype=float))
        days = t / 86400.0
        whole = np.floor(days)
        error, r, v = self._satrecs.sgp4(np.full(len(t), self.epoch_jd) + whole, days - whole)
        if np.any(error):
            sat, when = np.argwhere(error)[0]
            raise InputError(f"SGP4 propagation failed (code {error[sat, when]}) for {self.records[sat].name} at t={t[when]:g} s", field="times_s")
        return 1e3 * r.transpose(1, 0, 2), 1e3 * v.transpose(1, 0, 2)


def _wrap(angle):
    """Wrap angles (rad) to [-pi, pi)."""
    return (np.asarray(angle) + math.pi) % (2 * math.pi) - math.pi


def _best_rotation(reference: np.ndarray, candidate: np.ndarray) -> int:
    """Rotation k so that ``candidate[(s + k) % S]`` is nearest in phase to ``reference[s]``."""
    n = len(reference)
    rolled = candidate[(np.arange(n)[None, :] + np.arange(n)[:, None]) % n]
    return int(np.argmin(np.sum(_wrap(rolled - reference[None, :]) ** 2, axis=1)))


def _thin(arg_lat: np.ndarray, keep: int) -> np.ndarray:
    """Indices of ``keep`` satellites left after repeatedly dropping the most crowded one."""
    idx = list(np.argsort(arg_lat))
    while len(idx) > keep:
        u = arg_lat[idx]
        arc = (np.roll(u, -1) - np.roll(u, 1)) % (2 * math.pi)
        idx.pop(int(np.argmin(arc)))
    return np.array(idx, dtype=np.int64)


def load_tle_shell(path: str | os.PathLike, *, inclination_deg: float = 53.0,
                   altitude_km: Sequence[float] = (540.0, 560.0), inclination_tol_deg: float = 0.1,
                   plane_gap_deg: float = 2.0, sats_per_plane: int | None = None,
                   min_plane_fraction: float | None = None, pattern: str | None = None,
                   name: str | None = None) -> TleShell:
    """Select one shell of a TLE file and arrange it as a P x S grid (see the module docstring).

    Parameters
    ----------
    path : path-like
        TLE file (2- or 3-line records).
    inclination_deg, inclination_tol_deg, altitude_km : float, float, (low, high)
        Keep satellites within the inclination tolerance and mean altitude ``a - 6378.137 km`` band
        (:meth:`TleShellSummary.selection` gives them for each shell of :func:`find_shells`).
    plane_gap_deg : float
        A RAAN jump larger than this starts a new plane.
    sats_per_plane, min_plane_fraction : int or None, float or None
        S; default: the S that keeps the most satellites, or, with ``min_plane_fraction``,
        the largest S reached by that fraction of the planes.
    pattern : {"star", "delta"} or None
        Seam rule for +Grid; default: detected from the RAAN spread of the planes.
    name : str or None
        The shell's name.

    Returns
    -------
    TleShell
        ``.report`` tells how many satellites were kept, why others were dropped and how
        the pattern was chosen.

    Raises
    ------
    InputError
        No satellite in the band (the message lists the file's largest shells), or a bad parameter.

    >>> shell = load_tle_shell("../shared/data/tle/Starlink.tle")  # doctest: +SKIP
    >>> shell.n_planes, shell.sats_per_plane, shell.pattern  # doctest: +SKIP
    (71, 18, 'delta')
    """
    low, high = (float(x) for x in altitude_km)
    if not (0 < low <= high < math.inf):
        raise InputError(f"must be an increasing pair of positive km, got {tuple(altitude_km)}", field="altitude_km")
    if not 0 < inclination_tol_deg < math.inf:
        raise InputError(f"must be a positive number of degrees, got {inclination_tol_deg!r}", field="inclination_tol_deg")
    check_shell(inclination_deg=inclination_deg, **({} if pattern is None else {"pattern": pattern}),
                **({} if sats_per_plane is None else {"sats_per_plane": sats_per_plane}))
    if min_plane_fraction is not None and not 0 < min_plane_fraction <= 1:
        raise InputError(f"must be in (0, 1], got {min_plane_fraction}", field="min_plane_fraction")
    records = read_tle_file(path)
    sel = _Selection(records)
    cand = sel.in_band(inclination_deg, inclination_tol_deg, low, high)
    if cand.size == 0:
        shells = cluster_shells(sel.inc, sel.alt)
        listed = "; ".join(_label(sel, ids) for ids in shells[:_LISTED_SHELLS])
        more = f" and {len(shells) - _LISTED_SHELLS} more" if len(shells) > _LISTED_SHELLS else ""
        raise InputError(f"no satellite of {path} has inclination {inclination_deg:g} ± {inclination_tol_deg:g}° "
                         f"and altitude {low:g}-{high:g} km; its shells: {listed or 'none'}{more}", field="shell")
    grid = _grid(sel, cand, plane_gap_deg=plane_gap_deg, sats_per_plane=sats_per_plane,
                 min_plane_fraction=min_plane_fraction)
    chosen = pattern or grid.pattern
    aligned, phasing = _align(grid.planes, grid.arg_lat, chosen)
    ids = grid.cand[np.concatenate(aligned)]
    report = TleReport(len(records), len(ids), grid.n_planes_found, {k: v for k, v in sel.dropped.items() if v},
                       pattern=chosen, pattern_detected=pattern is None, raan_spread_deg=grid.raan_spread_deg)
    return TleShell(name=name or f"{Path(path).stem} {inclination_deg:g}° {low:g}-{high:g} km",
                    n_planes=len(aligned), sats_per_plane=len(aligned[0]), records=tuple(records[i] for i in ids),
                    epoch_jd=grid.epoch, period_s=float(np.mean(2 * math.pi / sel.mean_motion[ids])),
                    altitude_km=float(np.mean(sel.alt[ids])), inclination_deg=float(np.mean(sel.inc[ids])),
                    phasing=phasing, pattern=chosen, report=report)


_LISTED_SHELLS = 3
"""Shells named in the error about an empty selection."""


@dataclass(frozen=True)
class TleShellSummary:
    """One shell of a TLE file, as found by :func:`find_shells`.

    Attributes
    ----------
    inclination_deg, inclination_tol_deg : float, float
        Centre and half-width (rounded up to 0.01°) of the shell's inclinations.
    altitude_km : (float, float)
        Lowest and highest mean altitude, rounded outwards to whole km.
    median_altitude_km : float
    n_sats : int
        Satellites of the shell; exactly those that :meth:`selection` selects.
    n_planes : int
        Planes found by RAAN clustering (with the default 2° gap).
    grid : (int, int)
        P and S of the grid :func:`load_tle_shell` makes of the shell.
    pattern : {"star", "delta"}
        Detected from ``raan_spread_deg``, the arc of RAAN covered by the grid's planes.
    """

    inclination_deg: float
    inclination_tol_deg: float
    altitude_km: tuple
    median_altitude_km: float
    n_sats: int
    n_planes: int
    grid: tuple
    pattern: str
    raan_spread_deg: float

    def selection(self) -> dict:
        """Keyword arguments of :func:`load_tle_shell` that select this shell."""
        return {"inclination_deg": self.inclination_deg, "inclination_tol_deg": self.inclination_tol_deg,
                "altitude_km": self.altitude_km}


def find_shells(path: str | os.PathLike, *, plane_gap_deg: float = 2.0, **tolerances) -> tuple[TleShellSummary, ...]:
    """The shells of a TLE file, largest first (tolerances: see :func:`~.shells.cluster_shells`).

    >>> shells = find_shells("../shared/data/tle/OneWeb.tle")  # doctest: +SKIP
    >>> shells[0].n_sats, shells[0].pattern, shells[0].selection()  # doctest: +SKIP
    (370, 'star', {'inclination_deg': 87.93, 'inclination_tol_deg': 0.06, 'altitude_km': (1181.0, 1226.0)})
    """
    sel = _Selection(read_tle_file(path))
    summaries = []
    for ids in cluster_shells(sel.inc, sel.alt, **tolerances):
        grid = _grid(sel, ids, plane_gap_deg=plane_gap_deg, sats_per_plane=None, min_plane_fraction=None)
        centre, tol, low, high = _box(sel, ids)
        summaries.append(TleShellSummary(centre, tol, (low, high), float(np.median(sel.alt[ids])), len(ids),
                                         grid.n_planes_found, (len(grid.planes), len(grid.planes[0])), grid.pattern,
                                         grid.raan_spread_deg))
    return tuple(summaries)


def _box(sel: _Selection, ids: np.ndarray) -> tuple[float, float, float, float]:
    """``(inclination, tolerance, low km, high km)`` of a box around ``ids`` that is at most 0.03° and 1 km wider
    than they are (less than the clustering gaps, so it holds no satellite of another shell)."""
    inc = sel.inc[ids]
    centre = round(float(inc.min() + inc.max()) / 2, 2)
    tol = (math.ceil(100 * max(inc.max() - centre, centre - inc.min()) - 1e-9) + 1) / 100
    return centre, tol, float(math.floor(sel.alt[ids].min())), float(math.ceil(sel.alt[ids].max()))


def _label(sel: _Selection, ids: np.ndarray) -> str:
    """``53.02 ± 0.05° 527-550 km (1,478 satellites)``."""
    centre, tol, low, high = _box(sel, ids)
    return f"{centre:g} ± {tol:g}° {low:g}-{high:g} km ({len(ids):,} satellites)"


class _Grid(NamedTuple):
    """The planes of a selection made rectangular (positions into ``cand``) and their detected pattern."""

    epoch: float
    cand: np.ndarray
    arg_lat: np.ndarray
    n_planes_found: int
    planes: list
    pattern: str
    raan_spread_deg: float


def _grid(sel: _Selection, cand: np.ndarray, *, plane_gap_deg: float, sats_per_plane: int | None,
          min_plane_fraction: float | None) -> _Grid:
    """Steps 3-5 of the module docstring for the satellites ``cand``."""
    epoch, cand, raan, arg_lat = sel.phases(cand)
    planes = _split_planes(raan, plane_gap_deg)
    n = sats_per_plane or _slots_per_plane(np.array([len(p) for p in planes]), min_plane_fraction)
    kept = sel.fill_planes(planes, cand, arg_lat, n)
    pattern, spread = detect_pattern([np.angle(np.exp(1j * raan[p]).mean()) for p in kept])
    return _Grid(float(epoch), cand, arg_lat, len(planes), kept, pattern, math.degrees(spread))


def _slots_per_plane(sizes: np.ndarray, min_plane_fraction: float | None) -> int:
    """S from the plane sizes: the largest count reached by ``min_plane_fraction`` of the planes, or by
    default the count that keeps the most satellites, ``S x (planes with at least S)`` (more planes on a tie).

    >>> _slots_per_plane(np.array([50, 49, 37, 25, 7, 1]), None), _slots_per_plane(np.array([50, 49, 37, 25, 7, 1]), 0.9)
    (37, 1)
    """
    sizes = np.sort(sizes)[::-1]
    if min_plane_fraction is not None:
        return int(sizes[math.ceil(min_plane_fraction * len(sizes)) - 1])
    kept = sizes * np.arange(1, len(sizes) + 1)  # sizes[k] kept in each of the k + 1 largest planes
    return int(sizes[len(sizes) - 1 - np.argmax(kept[::-1])])


class _Selection:
    """The satellites of a TLE file while one shell is selected; ``dropped`` names who left and why."""

    def __init__(self, records: list[TleRecord]):
        from sgp4.api import Satrec

        self.sats = [Satrec.twoline2rv(r.line1, r.line2) for r in records]
        self.inc = np.degrees([s.inclo for s in self.sats])
        self.mean_motion = np.array([s.no_kozai for s in self.sats]) / 60.0  # rad/s
        self.alt = (np.cbrt(MU_EARTH_M3_S2 / self.mean_motion**2) - EARTH_RADIUS_M) / 1e3
        self.names = np.array([r.name for r in records], dtype=object)
        self.dropped: dict[str, tuple] = {}

    def drop(self, indices, reason: str) -> None:
        mask = np.isin(np.arange(len(self.sats)), np.asarray(indices, dtype=np.int64))
        self.dropped[reason] = tuple(self.names[mask])

    def in_band(self, inclination_deg: float, tol_deg: float, low: float, high: float) -> np.ndarray:
        """Indices within the inclination tolerance and the mean-altitude band."""
        in_inc = np.abs(self.inc - inclination_deg) <= tol_deg
        self.drop(np.flatnonzero(~in_inc), f"inclination outside {inclination_deg:g} ± {tol_deg:g}°")
        in_alt = in_inc & (self.alt >= low) & (self.alt <= high)
        self.drop(np.flatnonzero(in_inc & ~in_alt), f"mean altitude outside {low:g}-{high:g} km")
        return np.flatnonzero(in_alt)

    def phases(self, cand: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """SGP4 at the latest epoch of ``cand``: ``(epoch, kept, raan, argument of latitude)`` (rad)."""
        from sgp4.api import SatrecArray

        epoch = max(self.sats[i].jdsatepoch + self.sats[i].jdsatepochF for i in cand)
        error, r, v = SatrecArray([self.sats[i] for i in cand]).sgp4(np.array([epoch]), np.array([0.0]))
        ok = error[:, 0] == 0
        self.drop(cand[~ok], "SGP4 error at the common epoch")
        cand, r, v = cand[ok], r[ok, 0], v[ok, 0]
        h = np.cross(r, v)
        raan = np.arctan2(h[:, 0], -h[:, 1]) % (2 * math.pi)
        inc_now = np.arccos(np.clip(h[:, 2] / np.linalg.norm(h, axis=1), -1, 1))
        node = np.stack([np.cos(raan), np.sin(raan)], axis=1)
        arg_lat = np.arctan2(r[:, 2] / np.sin(inc_now), np.einsum("ij,ij->i", r[:, :2], node)) % (2 * math.pi)
        return epoch, cand, raan, arg_lat

    def fill_planes(self, planes: list[np.ndarray], cand: np.ndarray, arg_lat: np.ndarray, n: int) -> list[np.ndarray]:
        """Planes of at least ``n`` satellites, thinned to ``n`` (positions into ``cand``)."""
        small = [p for p in planes if len(p) < n]
        self.drop(cand[np.concatenate(small)] if small else [], f"in a plane with fewer than S={n} satellites")
        kept, surplus = [], []
        for members in (p for p in planes if len(p) >= n):
            keep = members[_thin(arg_lat[members], n)]
            surplus.extend(np.setdiff1d(members, keep))
            kept.append(keep)
        self.drop(cand[np.array(surplus, dtype=np.int64)], f"surplus in a plane with more than S={n} "
                                                           "(most crowded position)")
        if not kept:
            raise InputError(f"no plane has {n} satellites", field="sats_per_plane")
        return kept


def _split_planes(raan: np.ndarray, plane_gap_deg: float) -> list[np.ndarray]:
    """Planes: the RAAN circle split at gaps wider than ``plane_gap_deg``, the seam at the widest gap."""
    order = np.argsort(raan)
    gaps = np.diff(np.append(raan[order], raan[order[0]] + 2 * math.pi))
    start = (int(np.argmax(gaps)) + 1) % len(order)
    order, gaps = np.roll(order, -start), np.roll(gaps, -start)
    return np.split(order, np.flatnonzero(gaps[:-1] > math.radians(plane_gap_deg)) + 1)


def _align(planes: list[np.ndarray], arg_lat: np.ndarray, pattern: str) -> tuple[list[np.ndarray], int]:
    """Rotate each plane so slot s is nearest in phase to slot s of the previous plane; Walker F of the seam."""
    aligned = [planes[0]]
    for members in planes[1:]:
        aligned.append(np.roll(members, -_best_rotation(arg_lat[aligned[-1]], arg_lat[members])))
    phasing = _best_rotation(arg_lat[aligned[-1]], arg_lat[aligned[0]]) if pattern == "delta" and len(aligned) > 1 else 0
    return aligned, phasing
