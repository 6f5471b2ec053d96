"""Ring layer partitioner: cut a P x S shell into bands of consecutive slots.

Each band holds the satellites of a run of consecutive slots in *every* plane,
so bands follow one another along the orbiting direction and the last band
hands over to the first one, like the autoregressive loop of layer 1..L, 1..
Band widths differ by at most one slot when S is not a multiple of the number
of bands. Satellite id = plane x S + slot, as everywhere in the project, so the
same partition works for Walker shells and for TLE shells grouped into planes.

With Walker phasing F != 0, slot ``s`` of plane ``p`` sits ``F * p / P`` slots
ahead of slot ``s`` of plane 0, so a band of equal slot indices zig-zags (or
slants) across the planes; :func:`band_diameters` measures it. ``align="phase"``
instead shifts each plane's slot range by its rounded phase offset, so every
band covers the same argument-of-latitude range in every plane.

When a shell has fewer slots than the model has layers, ``fold`` puts several
consecutive layers into one band (they share its satellites and gateway; a
satellite then hosts at most one expert *per layer*).

>>> part = ring_partition(GridShape(n_planes=3, sats_per_plane=5), 2)
>>> part.band_slots
((0, 2), (2, 5))
>>> part.members(0).tolist()
[0, 1, 5, 6, 10, 11]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["GridShape", "RingPartition", "ring_partition", "fold_for", "band_diameters", "DelayOracle"]

# A function mapping source satellite ids (n_src,) to expected delays (n_src, N) in seconds.
DelayOracle = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class GridShape:
    """A bare P x S grid, for anything shaped like a shell (``n_planes``, ``sats_per_plane``)."""

    n_planes: int
    sats_per_plane: int


@dataclass(frozen=True, eq=False)
class RingPartition:
    """Bands of consecutive slots across all planes, and the band of each layer.

    Attributes
    ----------
    n_planes, sats_per_plane : int
        The grid (P, S); satellite id = plane * S + slot.
    band_slots : tuple of (start, stop)
        Half-open slot range of each band, in ring (orbiting) order.
    plane_shift : ndarray (P,)
        Band ``b`` holds slots ``(start - shift[p]) .. (stop - shift[p]) mod S`` of
        plane ``p``; all zeros unless aligned by phase.
    layer_band : ndarray (L,)
        Band index of each layer; non-decreasing, consecutive layers share a band
        only when folded.
    """

    n_planes: int
    sats_per_plane: int
    band_slots: tuple[tuple[int, int], ...]
    layer_band: np.ndarray
    plane_shift: np.ndarray

    @property
    def n_bands(self) -> int:
        return len(self.band_slots)

    @property
    def n_layers(self) -> int:
        return len(self.layer_band)

    @property
    def n_sats(self) -> int:
        return self.n_planes * self.sats_per_plane

    @property
    def folded(self) -> bool:
        return self.n_bands < self.n_layers

    def member_at(self, band: int, plane, offset):
        """Id of the satellite ``offset`` slots into ``band`` in ``plane`` (vectorised)."""
        slot = (self.band_slots[band][0] + np.asarray(offset) - self.plane_shift[plane]) % self.sats_per_plane
        return np.asarray(plane) * self.sats_per_plane + slot

    def members(self, band: int) -> np.ndarray:
        """Satellite ids of ``band``, plane by plane, in orbiting order within each plane."""
        start, stop = self.band_slots[band]
        planes = np.arange(self.n_planes)[:, None]
        return self.member_at(band, planes, np.arange(stop - start)[None, :]).ravel()

    def band_of(self) -> np.ndarray:
        """Band index of every satellite, shape (N,)."""
        out = np.empty(self.n_sats, dtype=np.int64)
        for b in range(self.n_bands):
            out[self.members(b)] = b
        return out

    def next_band(self, layer: int) -> int:
        """Band of the layer after ``layer`` on the ring (layer L-1 hands over to layer 0)."""
        return int(self.layer_band[(layer + 1) % self.n_layers])


def fold_for(n_layers: int, sats_per_plane: int) -> int:
    """Smallest number of layers per band that fits ``n_layers`` into ``sats_per_plane`` slots.

    >>> fold_for(32, 22)
    2
    """
    return max(1, math.ceil(n_layers / sats_per_plane))


def _phase_shift(shell) -> np.ndarray:
    """Rounded slot offset of every plane's slot 0 relative to plane 0 (Walker phasing, TLE phases)."""
    n_planes, n_slots = int(shell.n_planes), int(shell.sats_per_plane)
    if not hasattr(shell, "initial_arg_latitude_rad"):
        raise InputError("align='phase' needs a shell with initial_arg_latitude_rad()", field="align")
    u0 = np.asarray(shell.initial_arg_latitude_rad())[:: n_slots][:n_planes]
    offset = (u0 - u0[0]) * n_slots / (2 * np.pi)
    return np.rint(offset).astype(np.int64) % n_slots


def ring_partition(shell, n_layers: int, *, fold: int | str = 1, align: str = "slot") -> RingPartition:
    """Cut ``shell`` into ring-ordered bands of consecutive slots, one per layer (or per ``fold`` layers).

    Parameters
    ----------
    shell : WalkerShell, TleShell or GridShape
        Anything with ``n_planes`` and ``sats_per_plane``.
    n_layers : int
        Number of MoE layers L.
    fold : int or "auto"
        Layers per band. 1 (default): one band per layer, an error if S < L.
        An integer f > 1: ceil(L / f) bands, consecutive layers share a band.
        ``"auto"``: the smallest fold that fits, :func:`fold_for`.
    align : {"slot", "phase"}
        ``slot`` (default, the paper's cut): band b is the same slot range in
        every plane. ``phase``: each plane's range is shifted by the plane's
        rounded phase offset (needs ``shell.initial_arg_latitude_rad()``).

    Returns
    -------
    RingPartition

    Raises
    ------
    InputError
        When there are fewer slots than bands, naming both counts and the fold that would fit.

    Examples
    --------
    >>> part = ring_partition(GridShape(4, 3), 5, fold="auto")
    >>> part.band_slots, part.layer_band.tolist()
    (((0, 1), (1, 2), (2, 3)), [0, 0, 1, 1, 2])
    """
    n_planes, n_slots = int(shell.n_planes), int(shell.sats_per_plane)
    if n_layers < 1:
        raise InputError(f"needs at least one layer, got {n_layers}", field="n_layers")
    if n_planes < 1 or n_slots < 1:
        raise InputError(f"needs a non-empty grid, got {n_planes} x {n_slots}", field="shell")
    if fold == "auto":
        fold = fold_for(n_layers, n_slots)
    if isinstance(fold, bool) or not isinstance(fold, (int, np.integer)) or fold < 1:
        raise InputError(f"must be a positive integer or 'auto', got {fold!r}", field="fold")
    n_bands = math.ceil(n_layers / int(fold))
    if n_bands > n_slots:
        raise InputError(
            f"{n_layers} layers need {n_bands} bands but the shell has only {n_slots} slots per plane; "
            f"set fold = {fold_for(n_layers, n_slots)} (or 'auto') to put several layers in one band",
            field="fold",
        )
    edges = (np.arange(n_bands + 1) * n_slots) // n_bands
    bands = tuple((int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]))
    layer_band = (np.arange(n_layers) * n_bands) // n_layers
    if align not in ("slot", "phase"):
        raise ValueError(f"unknown align {align!r}; valid: phase, slot")
    shift = _phase_shift(shell) if align == "phase" else np.zeros(n_planes, dtype=np.int64)
    return RingPartition(n_planes, n_slots, bands, layer_band, shift)


def band_diameters(partition: RingPartition, delays: DelayOracle, *, method: str = "exact") -> np.ndarray:
    """Largest expected delay between two members of each band (seconds), shape (B,).

    With Walker phasing F != 0 the slots of a band sit at shifted arguments of
    latitude from plane to plane, so a band zig-zags and its diameter grows;
    ``inf`` means some pair of members is never connected.

    Parameters
    ----------
    partition : RingPartition
    delays : callable
        Maps source ids (n,) to expected delays (n, N), e.g.
        ``lambda s: expected_delays(snapshots, s).mean_s``.
    method : {"exact", "sweep"}
        ``exact`` routes from every member (N sources in all). ``sweep`` routes
        from 3 sources per band: the band's middle member, the member farthest
        from it (a), and reports the largest delay from a to a member -- a lower
        bound of the diameter, exact on paths and typically on grids, for large shells.

    Examples
    --------
    >>> d = np.abs(np.subtract.outer(np.arange(6.0), np.arange(6.0)))
    >>> band_diameters(ring_partition(GridShape(2, 3), 3), lambda s: d[s]).tolist()
    [3.0, 3.0, 3.0]
    >>> band_diameters(ring_partition(GridShape(2, 3), 3), lambda s: d[s], method="sweep").tolist()
    [3.0, 3.0, 3.0]
    """
    bands = [partition.members(b) for b in range(partition.n_bands)]
    if method == "exact":
        return np.array([np.max(np.asarray(delays(m))[:, m]) for m in bands])
    if method != "sweep":
        raise ValueError(f"unknown method {method!r}; valid: exact, sweep")
    start = np.array([m[len(m) // 2] for m in bands])
    for _ in range(2):
        dist = np.asarray(delays(start))
        far = [m[np.argmax(row[m])] for row, m in zip(dist, bands)]
        diameter = np.array([row[m].max() for row, m in zip(dist, bands)])
        start = np.array(far)
    return diameter
