"""+Grid inter-satellite links and their state in every topology snapshot.

Candidate links (+Grid): slot ``s`` to ``s + 1`` in every plane, and plane
``p`` to ``p + 1`` at the same slot. Walker star: no link across the seam
between the last and the first plane (they counter-rotate). Walker delta: the
seam links plane ``P - 1`` slot ``s`` to plane ``0`` slot ``(s + F) mod S``.

In a snapshot a candidate link is *feasible* when its line of sight clears
the Earth by ``min_clearance_km``, its length is within ``max_range_km`` and
its pointing angular rate ``|r_uv x v_uv| / |r_uv|^2`` is below
``max_angular_rate``. A feasible link then survives with probability
``survival``, independently per link and snapshot. Link delay is
``length / c + message_bits / link_rate_bps``.

>>> from spacexnet_opt.constellation import WalkerShell
>>> shell = WalkerShell("toy", 6, 8, 550.0, 53.0, phasing=1, pattern="delta")
>>> snaps = build_snapshots(shell, n_snapshots=4, config=IslConfig(survival=1.0))
>>> snaps.edges.shape, snaps.delay_s.shape
((96, 2), (4, 96))
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..budget import check_snapshots
from ..limits import MAX_MAGNITUDE
from ..errors import InputError
from .walker import EARTH_RADIUS_M

__all__ = ["IslConfig", "IslSnapshots", "build_snapshots", "plus_grid_edges", "SPEED_OF_LIGHT_M_S"]

SPEED_OF_LIGHT_M_S = 299_792_458.0
# Snapshots are processed in blocks of about this many satellite positions, so
# memory stays bounded for large shells (15,000 satellites x 200 snapshots).
_BLOCK_POSITIONS = 250_000


@dataclass(frozen=True)
class IslConfig:
    """Feasibility, failure and delay parameters of inter-satellite links.

    Parameters
    ----------
    min_clearance_km : float
        The straight line between two satellites must stay this far above the
        Earth's surface (sphere of radius 6,378.137 km).
    max_range_km : float or None
        Longest usable link; None = unlimited.
    max_angular_rate : float or None
        Largest pointing angular rate in rad/s (paper: 0.12); None = no check.
    survival : float
        Probability that a feasible link is up in a snapshot (paper: 0.95).
    message_bits : float
        Bits serialised per hop: default one bf16 hidden state of width 4,096.
    link_rate_bps : float
        Link rate: default 100 Gbit/s (the paper's lower bound).
    hop_processing_s : float
        Processing and switching delay every satellite adds to a message it forwards or receives, charged
        once per hop on top of propagation and serialisation; default 0, the paper's model (it charges
        transmission only). Sensitivity at 0.1 and 1 ms: docs/reproduction.md.
    """

    min_clearance_km: float = 80.0
    max_range_km: float | None = None
    max_angular_rate: float | None = 0.12
    survival: float = 0.95
    message_bits: float = 4096 * 16
    link_rate_bps: float = 100e9
    hop_processing_s: float = 0.0

    def __post_init__(self):
        checks = [
            ("min_clearance_km", self.min_clearance_km, self.min_clearance_km >= 0, "must be >= 0"),
            ("max_range_km", self.max_range_km, self.max_range_km is None or self.max_range_km > 0, "must be positive or None"),
            ("max_angular_rate", self.max_angular_rate, self.max_angular_rate is None or self.max_angular_rate > 0, "must be positive or None"),
            ("survival", self.survival, 0 < self.survival <= 1, "must be in (0, 1]"),
            ("message_bits", self.message_bits, self.message_bits >= 0, "must be >= 0"),
            ("link_rate_bps", self.link_rate_bps, self.link_rate_bps > 0, "must be positive"),
            ("hop_processing_s", self.hop_processing_s, self.hop_processing_s >= 0, "must be >= 0"),
        ]
        for name, value, ok, rule in checks:
            if value is not None and not abs(value) <= MAX_MAGNITUDE:  # also refuses nan and inf
                ok, rule = False, f"must be finite and at most {MAX_MAGNITUDE:g}"
            if not ok:
                raise InputError(f"{rule}, got {value!r}", field=name)

    @property
    def serialisation_s(self) -> float:
        """Per-hop serialisation delay, ``message_bits / link_rate_bps``."""
        return self.message_bits / self.link_rate_bps

    @property
    def per_hop_s(self) -> float:
        """What every hop adds to its propagation: serialisation plus processing."""
        return self.serialisation_s + self.hop_processing_s


def plus_grid_edges(constellation) -> np.ndarray:
    """Candidate +Grid links of a shell as an (M, 2) array of ids, ``u < v``, sorted.

    >>> from spacexnet_opt.constellation import WalkerShell
    >>> plus_grid_edges(WalkerShell("s", 3, 4, 550.0, 87.0, pattern="star")).shape
    (20, 2)
    """
    n_planes, n_slots = constellation.n_planes, constellation.sats_per_plane
    plane, slot = np.divmod(np.arange(n_planes * n_slots), n_slots)
    intra = np.stack([plane * n_slots + slot, plane * n_slots + (slot + 1) % n_slots], axis=1)
    inner = plane < n_planes - 1
    inter = np.stack([plane * n_slots + slot, (plane + 1) * n_slots + slot], axis=1)[inner]
    parts = [intra[intra[:, 0] != intra[:, 1]], inter]
    if constellation.pattern == "delta" and n_planes > 1:
        last = (n_planes - 1) * n_slots + np.arange(n_slots)
        parts.append(np.stack([last, (np.arange(n_slots) + constellation.phasing) % n_slots], axis=1))
    edges = np.sort(np.concatenate(parts), axis=1)
    return np.unique(edges, axis=0).astype(np.int64)


def _dot(a, b):
    return np.einsum("...k,...k->...", a, b)


def _link_state(pos_u, pos_v, vel_u, vel_v, config: IslConfig):
    """Length (m) and feasibility of links given end positions/velocities of shape (..., 3)."""
    rel = pos_v - pos_u
    length_sq = np.maximum(_dot(rel, rel), 1e-30)
    # Closest approach of the segment u->v to the Earth's centre (squared).
    along = _dot(pos_u, rel)
    t = np.clip(-along / length_sq, 0.0, 1.0)
    closest_sq = _dot(pos_u, pos_u) + t * (2 * along + t * length_sq)
    feasible = closest_sq >= (EARTH_RADIUS_M + 1e3 * config.min_clearance_km) ** 2
    if config.max_range_km is not None:
        feasible &= length_sq <= (1e3 * config.max_range_km) ** 2
    if config.max_angular_rate is not None:
        # |rel x dv|^2 = |rel|^2 |dv|^2 - (rel . dv)^2 (Lagrange's identity); compare squares.
        dv = vel_v - vel_u
        cross_sq = np.maximum(length_sq * _dot(dv, dv) - _dot(rel, dv) ** 2, 0.0)
        feasible &= cross_sq < (config.max_angular_rate * length_sq) ** 2
    return np.sqrt(length_sq), feasible


@dataclass(frozen=True, eq=False)
class IslSnapshots:
    """Link states of a constellation over T snapshots.

    Attributes
    ----------
    edges : int array (M, 2)
        Candidate +Grid links, ``u < v``.
    delay_s : float array (T, M)
        Link delay in seconds; ``inf`` where the link is absent (infeasible or failed).
    feasible : bool array (T, M)
        Geometric feasibility before failures are drawn.
    times_s : float array (T,)
        Snapshot times from the constellation's epoch.
    n_sats : int
    config : IslConfig
    seed : int or None
    """

    edges: np.ndarray
    delay_s: np.ndarray
    feasible: np.ndarray
    times_s: np.ndarray
    n_sats: int
    config: IslConfig
    seed: int | None = None
    _csr: tuple = field(init=False, repr=False)

    def __post_init__(self):
        # Both directions of every link in CSR order, computed once; a snapshot
        # only selects the links that are up.
        u, v = self.edges[:, 0], self.edges[:, 1]
        rows, cols = np.concatenate([u, v]), np.concatenate([v, u])
        order = np.lexsort((cols, rows))
        link = np.concatenate([np.arange(len(u))] * 2)[order]
        # int32 indices: scipy.sparse.csgraph's native index type, no conversion per call.
        object.__setattr__(self, "_csr", (rows[order], cols[order].astype(np.int32), link))

    @property
    def n_snapshots(self) -> int:
        return len(self.times_s)

    @property
    def n_links(self) -> int:
        return len(self.edges)

    @property
    def up(self) -> np.ndarray:
        """Bool (T, M): link present (feasible and not failed)."""
        return np.isfinite(self.delay_s)

    def graph(self, t: int):
        """Symmetric scipy.sparse CSR matrix (N, N) of snapshot ``t``, weights = delays in seconds."""
        from scipy.sparse import csr_matrix

        if not -self.n_snapshots <= t < self.n_snapshots:
            raise InputError(f"snapshot must be in 0..{self.n_snapshots - 1}, got {t}", field="snapshot")
        rows, cols, link = self._csr
        weight = self.delay_s[t, link]
        keep = np.isfinite(weight)
        indptr = np.zeros(self.n_sats + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows[keep], minlength=self.n_sats), out=indptr[1:])
        return csr_matrix((weight[keep], cols[keep], indptr), shape=(self.n_sats, self.n_sats))


def build_snapshots(constellation, *, n_snapshots: int = 200, duration_s: float | None = None, config: IslConfig = IslConfig(), seed: int | None = 0) -> IslSnapshots:
    """Evaluate every +Grid link of ``constellation`` at ``n_snapshots`` evenly spaced times.

    Parameters
    ----------
    constellation : WalkerShell or TleShell
    n_snapshots : int
        T, number of snapshots (paper: 200).
    duration_s : float, optional
        Time span covered, ``[0, duration_s)``; default one orbital period.
    config : IslConfig
    seed : int or None
        Seed of the link-failure draws (numpy ``default_rng``).

    Returns
    -------
    IslSnapshots

    Examples
    --------
    >>> from spacexnet_opt.constellation import preset
    >>> snaps = build_snapshots(preset("paper"), n_snapshots=2, seed=1)
    >>> snaps.graph(0).shape
    (1056, 1056)
    """
    if not isinstance(n_snapshots, (int, np.integer)) or n_snapshots < 1:
        raise InputError(f"must be a positive integer, got {n_snapshots!r}", field="n_snapshots")
    check_snapshots(constellation.n_sats, n_snapshots, field="n_snapshots")
    if duration_s is None:
        duration_s = constellation.period_s
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise InputError(f"must be positive, got {duration_s!r}", field="duration_s")
    edges = plus_grid_edges(constellation)
    times = np.arange(n_snapshots) * (duration_s / n_snapshots)
    rng = np.random.default_rng(seed)
    delay = np.empty((n_snapshots, len(edges)))
    feasible = np.empty((n_snapshots, len(edges)), dtype=bool)
    u, v = edges[:, 0], edges[:, 1]
    block = max(1, _BLOCK_POSITIONS // max(constellation.n_sats, 1))
    for start in range(0, n_snapshots, block):
        stop = min(start + block, n_snapshots)
        pos, vel = constellation.positions_velocities(times[start:stop])
        length, ok = _link_state(pos[:, u], pos[:, v], vel[:, u], vel[:, v], config)
        survived = rng.random(ok.shape) < config.survival
        feasible[start:stop] = ok
        delay[start:stop] = np.where(ok & survived, length / SPEED_OF_LIGHT_M_S + config.per_hop_s, np.inf)
    return IslSnapshots(edges, delay, feasible, times, constellation.n_sats, config, seed)
