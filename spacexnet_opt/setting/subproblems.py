"""The per-layer expert-placement subproblems of an instance.

:mod:`spacexnet_opt.setting` makes the constellation, the model profile and the
activation statistics, cuts the shell into a ring of bands
(:mod:`spacexnet_opt.partition`), chooses a gateway per band and routes from
the gateways over every snapshot. Then,
for layer ``l`` with gateway ``g_l`` and next gateway ``g_{l+1}``, every band
member ``s`` other than ``g_l`` is a candidate with expected path latency

    tau_s(s) = E[ D(g_l, s) + D(s, g_{l+1}) ]

Disconnection rule: the mean runs over the snapshots in which both legs have a
path; ``disconnect_prob[s]`` is the fraction of snapshots in which either leg
has none. Candidates never connected in any snapshot are dropped (counted in
``scenario.report.dropped_candidates``). Floats are rounded to 9 significant
digits so rebuilt files are byte-identical.

Onboard compute (:func:`spacexnet_opt.setting.onboard.draw_onboard`): with
heterogeneous speeds every layer gets per-candidate ``gflops`` and the cost
``cost[i][c] = activation[i] * (tau_s[c] + expert_gflop / gflops[c])``
(computed from the rounded stored values); with a memory model it gets
``memory_gb`` and loses the candidates that cannot hold their experts: a
satellite of a band shared by f layers may host one expert of each, so it must
hold ``f * expert_memory_gb``.

>>> from spacexnet_opt.partition import GridShape, ring_partition
>>> part = ring_partition(GridShape(2, 4), 2)
>>> d = np.abs(np.subtract.outer(np.arange(8.0), np.arange(8.0)))
>>> layers, dropped = layer_subproblems(part, np.array([0, 2]), [d[[0, 2]]], np.array([[1.0], [1.0]]), 1)
>>> layers[0].satellites, layers[0].tau_s
([1, 4, 5], [2.0, 6.0, 8.0])
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..errors import InputError
from ..constellation.paths import Legs, PathDelays, path_delays
from ..constellation.routing import connected_average
from ..formats.instance import LayerSubproblem, Trace
from ..partition import RingPartition
from .onboard import Onboard

__all__ = [
    "SIGNIFICANT_DIGITS",
    "CANDIDATE_DISCONNECTION_RULE",
    "round_significant",
    "expected_path_latency",
    "candidate_legs",
    "check_band_sizes",
    "layer_subproblems",
]

SIGNIFICANT_DIGITS = 9
CANDIDATE_DISCONNECTION_RULE = (
    "tau_s = mean of D(g_l, s) + D(s, g_next) over the snapshots in which both legs have a path; "
    "disconnect_prob = fraction of snapshots in which either leg has none; "
    "candidates never connected are dropped"
)


def round_significant(values, digits: int = SIGNIFICANT_DIGITS):
    """Round floats (any nesting of arrays) to ``digits`` significant digits, as nested lists.

    >>> round_significant([[1 / 3, 2e-12]]), round_significant(2 / 3, 3)
    ([[0.333333333, 2e-12]], 0.667)
    """
    arr = np.asarray(values, dtype=float)
    return np.vectorize(lambda x: float(f"{x:.{digits}g}"), otypes=[float])(arr).tolist() if arr.size else arr.tolist()


def expected_path_latency(paths: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean over snapshots of each leg's delay where it is finite, and the fraction of snapshots where it is not.

    Parameters
    ----------
    paths : iterable of arrays (n,)
        Per snapshot, the delay ``D(g, s) + D(s, g_next)`` of every leg (``inf``: no path).

    Returns
    -------
    mean_s, disconnect_prob : arrays (n,)
        ``mean_s`` is ``inf`` where the leg is never connected.

    Examples
    --------
    >>> expected_path_latency(np.array([[1.0, 2.0], [3.0, np.inf]]))
    (array([2., 2.]), array([0. , 0.5]))
    """
    total = connected = None
    n = 0
    for path in paths:
        if total is None:
            total, connected = np.zeros(len(path)), np.zeros(len(path), dtype=np.int64)
        ok = np.isfinite(path)
        total += np.where(ok, path, 0.0)
        connected += ok
        n += 1
    if total is None:
        raise InputError("at least one snapshot is needed", field="snapshots")
    return connected_average(total, connected), 1.0 - connected / max(n, 1)


def candidate_legs(partition: RingPartition, band_gateways: np.ndarray) -> tuple[Legs, np.ndarray]:
    """The legs of every candidate of every layer (band members other than the layer's gateway, in layer
    order) and the layer of each."""
    layer_gw = band_gateways[partition.layer_band]
    next_gw = np.roll(layer_gw, -1)
    cand, owner = [], []
    for layer, band in enumerate(partition.layer_band):
        members = partition.members(band)
        cand.append(members[members != layer_gw[layer]])
        owner.append(np.full(len(cand[-1]), layer))
    owner = np.concatenate(owner)
    return Legs(layer_gw[owner], np.concatenate(cand), next_gw[owner]), owner


def check_band_sizes(partition: RingPartition, n_experts: int) -> None:
    """Raise InputError naming the layer and both sizes when a band has fewer candidates than experts."""
    for layer, band in enumerate(partition.layer_band):
        n_cand = len(partition.members(band)) - 1
        if n_cand < n_experts:
            raise InputError(
                f"layer {layer}: subnet (band {band}) has {n_cand} candidate satellites besides its gateway "
                f"but the layer has {n_experts} experts",
                field="constellation",
            )


def layer_subproblems(partition: RingPartition, band_gateways: np.ndarray, delays: PathDelays | Iterable[np.ndarray],
                      activation: np.ndarray, k: int, *, coactivation: np.ndarray | None = None,
                      expert_gflop: float | None = None, onboard: Onboard | None = None,
                      expert_memory_gb: float | None = None,
                      traces: list | None = None) -> tuple[list[LayerSubproblem], int]:
    """Assemble the per-layer subproblems from a partition, its gateways and routed delays.

    Parameters
    ----------
    partition : RingPartition
    band_gateways : int array (B,)
        Gateway id of each band.
    delays : PathDelays, or iterable of arrays (G, N)
        The routed :func:`candidate_legs`, or per snapshot the delays from ``np.unique(band_gateways)``.
    activation : array (L, E)
        Activation probability of each expert, rows summing to ``k``.
    k : int
    coactivation, expert_gflop, onboard, expert_memory_gb, traces : optional
        Pair matrices (L, E, E), GFLOP of one expert per token, per-satellite
        speed and memory, memory of one expert, one (sets, weights) trace per
        layer: stored per layer (see the module docstring for the cost and memory rules).

    Returns
    -------
    layers, dropped : list of LayerSubproblem, int
        ``dropped``: candidates never connected (memory exclusions not counted). InputError
        when a layer has fewer usable candidates than experts.
    """
    activation = np.asarray(activation, dtype=float)
    n_layers, n_experts = activation.shape
    check_band_sizes(partition, n_experts)
    legs, owner = candidate_legs(partition, band_gateways)
    if not isinstance(delays, PathDelays):
        delays = path_delays(delays, np.unique(band_gateways), legs)
    (tau, disc), targets = expected_path_latency(delays.lookup(legs)), legs.satellites
    layer_gw, next_gw = band_gateways[partition.layer_band], np.roll(band_gateways[partition.layer_band], -1)
    fits = np.ones(len(targets), dtype=bool)
    if onboard is not None and onboard.memory_gb is not None and expert_memory_gb is not None:
        need = np.bincount(partition.layer_band, minlength=partition.n_bands) * expert_memory_gb
        fits = onboard.memory_gb[targets] >= need[partition.layer_band[owner]]
    if onboard is not None and onboard.heterogeneous and expert_gflop is None:
        raise ValueError("heterogeneous satellite speeds need expert_gflop for the cost matrix")
    layers, dropped = [], 0
    for layer in range(n_layers):
        mine = owner == layer
        connected = mine & np.isfinite(tau)
        ok = connected & fits
        dropped += int(mine.sum()) - int(connected.sum())
        _check_candidates(layer, legs, mine, connected, ok, n_experts)
        layers.append(LayerSubproblem(
            layer=layer, gateway=int(layer_gw[layer]), next_gateway=int(next_gw[layer]), k=int(k),
            satellites=targets[ok].tolist(), tau_s=round_significant(tau[ok]),
            disconnect_prob=round_significant(disc[ok]), activation=round_significant(activation[layer]),
            coactivation=None if coactivation is None else round_significant(coactivation[layer]),
            expert_gflop=None if expert_gflop is None else round_significant(np.full(n_experts, expert_gflop)),
            trace=None if traces is None else Trace(sets=traces[layer][0].tolist(),
                                                    weights=round_significant(traces[layer][1])),
            **_onboard_fields(onboard, targets[ok], activation[layer], tau[ok], expert_gflop),
        ))
    return layers, dropped


def _check_candidates(layer: int, legs: Legs, mine: np.ndarray, connected: np.ndarray, ok: np.ndarray,
                      n_experts: int) -> None:
    """Raise InputError when ``layer`` keeps fewer usable candidates than experts, saying why."""
    if not connected.any():
        first = int(np.flatnonzero(mine)[0])
        raise InputError(
            f"layer {layer}: gateway {legs.gateways[first]} (with next gateway {legs.next_gateways[first]}) is "
            f"disconnected from all {int(mine.sum())} candidates in every snapshot",
            field="constellation",
        )
    n_ok = int(ok.sum())
    if n_ok < n_experts:
        short = int((connected & ~ok).sum())
        why = (f"only {n_ok} candidate satellites are ever connected to the gateways"
               + (f" and have the memory for their experts ({short} too small)" if short else ""))
        raise InputError(f"layer {layer}: {why} but the layer has {n_experts} experts",
                         field="compute.memory" if short else "constellation")


def _onboard_fields(onboard: Onboard | None, satellites, activation, tau, expert_gflop) -> dict[str, Any]:
    """Per-candidate ``gflops``/``cost`` (heterogeneous speeds) and ``memory_gb`` (memory model) of one layer."""
    fields: dict[str, Any] = {}
    if onboard is None:
        return fields
    if onboard.heterogeneous:
        gflops = round_significant(onboard.gflops[satellites])
        # from the rounded stored values, so a reader recomputes the same matrix
        p, t, g = np.array(round_significant(activation)), np.array(round_significant(tau)), float(round_significant(expert_gflop))
        fields["gflops"] = gflops
        fields["cost"] = round_significant(np.outer(p, t + g / np.array(gflops)))
    if onboard.memory_gb is not None:
        fields["memory_gb"] = round_significant(onboard.memory_gb[satellites])
    return fields

