"""The per-layer expert-placement subproblems of an instance.

:mod:`spacexnet_opt.build` makes the constellation, the model profile and the
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
from ..formats.instance import LayerSubproblem, Trace
from .onboard import Onboard
from ..partition import RingPartition

__all__ = [
    "SIGNIFICANT_DIGITS",
    "DISCONNECTION_RULE",
    "round_significant",
    "expected_path_latency",
    "check_band_sizes",
    "layer_subproblems",
]

SIGNIFICANT_DIGITS = 9
DISCONNECTION_RULE = (
    "tau_s = mean of D(g_l, s) + D(s, g_next) over the snapshots in which both legs have a path; "
    "disconnect_prob = fraction of snapshots in which either leg has none; "
    "candidates never connected are dropped"
)
# progress(stage, done, total); the CLI draws it with rich.


def round_significant(values, digits: int = SIGNIFICANT_DIGITS):
    """Round floats (any nesting of arrays) to ``digits`` significant digits, as nested lists.

    >>> round_significant([[1 / 3, 2e-12]]), round_significant(2 / 3, 3)
    ([[0.333333333, 2e-12]], 0.667)
    """
    arr = np.asarray(values, dtype=float)
    return np.vectorize(lambda x: float(f"{x:.{digits}g}"), otypes=[float])(arr).tolist() if arr.size else arr.tolist()


def expected_path_latency(delays: Iterable[np.ndarray], first: np.ndarray, second: np.ndarray, targets: np.ndarray):
    """Mean of ``D[first, targets] + D[second, targets]`` over snapshots where both are finite.

    Parameters
    ----------
    delays : iterable of arrays (n_src, N)
        Shortest-path delays from the sources, one array per snapshot.
    first, second : int arrays (n,)
        Source row of each leg, per target.
    targets : int array (n,)
        Satellite ids.

    Returns
    -------
    mean_s, disconnect_prob : arrays (n,)
        ``mean_s`` is ``inf`` where the pair is never connected.

    Examples
    --------
    >>> snaps = [np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[0.0, np.inf], [3.0, 0.0]])]
    >>> expected_path_latency(snaps, np.array([0]), np.array([1]), np.array([1]))
    (array([1.]), array([0.5]))
    """
    total = np.zeros(len(targets))
    connected = np.zeros(len(targets), dtype=np.int64)
    n = 0
    for dist in delays:
        path = dist[first, targets] + dist[second, targets]
        ok = np.isfinite(path)
        total += np.where(ok, path, 0.0)
        connected += ok
        n += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(connected > 0, total / np.maximum(connected, 1), np.inf)
    return mean, 1.0 - connected / max(n, 1)


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


def layer_subproblems(
    partition: RingPartition,
    band_gateways: np.ndarray,
    delays: Iterable[np.ndarray],
    activation: np.ndarray,
    k: int,
    *,
    coactivation: np.ndarray | None = None,
    expert_gflop: float | None = None,
    onboard: Onboard | None = None,
    expert_memory_gb: float | None = None,
    traces: list | None = None,
) -> tuple[list[LayerSubproblem], int]:
    """Assemble the per-layer subproblems from a partition, its gateways and routed delays.

    Parameters
    ----------
    partition : RingPartition
    band_gateways : int array (B,)
        Gateway id of each band.
    delays : iterable of arrays (G, N)
        Per snapshot, delays from ``np.unique(band_gateways)`` (in that sorted order).
    activation : array (L, E)
        Activation probability of each expert, rows summing to ``k``.
    k : int
    coactivation : array (L, E, E), optional
    expert_gflop : float, optional
        GFLOP of one expert per token (the same for every expert).
    onboard : Onboard, optional
        Per-satellite speed and memory (:func:`spacexnet_opt.build.onboard.draw_onboard`).
        With heterogeneous speeds every layer gets per-candidate ``gflops`` and
        the cost ``cost[i][c] = activation[i] * (tau_s[c] + expert_gflop / gflops[c])``
        (computed from the rounded stored values); with a memory model it gets
        ``memory_gb`` and loses the candidates that cannot hold their experts.
    expert_memory_gb : float, optional
        Memory of one expert. A satellite of a band shared by f layers may host
        one expert of each, so it must hold ``f * expert_memory_gb``.
    traces : list of (sets, weights), optional
        One activated-set trace per layer (:mod:`spacexnet_opt.build.traces`).

    Returns
    -------
    layers : list of LayerSubproblem
    dropped : int
        Candidates dropped because they were never connected (memory
        exclusions are not counted here).

    Raises
    ------
    InputError
        A layer with fewer candidates than experts (naming both sizes), or a
        gateway disconnected from all its candidates.
    """
    activation = np.asarray(activation, dtype=float)
    n_layers, n_experts = activation.shape
    check_band_sizes(partition, n_experts)
    rows = np.unique(band_gateways, return_inverse=True)[1]
    layer_gw = band_gateways[partition.layer_band]
    next_gw = np.roll(layer_gw, -1)
    cand, first, second, owner = [], [], [], []
    for layer, band in enumerate(partition.layer_band):
        members = partition.members(band)
        members = members[members != layer_gw[layer]]
        cand.append(members)
        first.append(np.full(len(members), rows[band]))
        second.append(np.full(len(members), rows[partition.next_band(layer)]))
        owner.append(np.full(len(members), layer))
    targets, owner = np.concatenate(cand), np.concatenate(owner)
    tau, disc = expected_path_latency(delays, np.concatenate(first), np.concatenate(second), targets)
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
        n_ok = int(ok.sum())
        dropped += int(mine.sum()) - int(connected.sum())
        if not connected.any():
            raise InputError(
                f"layer {layer}: gateway {layer_gw[layer]} (with next gateway {next_gw[layer]}) is disconnected "
                f"from all {int(mine.sum())} candidates in every snapshot",
                field="constellation",
            )
        if n_ok < n_experts:
            short = int((connected & ~fits).sum())
            why = (f"only {n_ok} candidate satellites are ever connected to the gateways"
                   + (f" and have the memory for their experts ({short} too small)" if short else ""))
            raise InputError(f"layer {layer}: {why} but the layer has {n_experts} experts",
                             field="compute.memory" if short else "constellation")
        layers.append(LayerSubproblem(
            layer=layer,
            gateway=int(layer_gw[layer]),
            next_gateway=int(next_gw[layer]),
            k=int(k),
            satellites=targets[ok].tolist(),
            tau_s=round_significant(tau[ok]),
            activation=round_significant(activation[layer]),
            coactivation=None if coactivation is None else round_significant(coactivation[layer]),
            disconnect_prob=round_significant(disc[ok]),
            expert_gflop=None if expert_gflop is None else round_significant(np.full(n_experts, expert_gflop)),
            **_onboard_fields(onboard, targets[ok], activation[layer], tau[ok], expert_gflop),
            trace=None if traces is None else Trace(sets=traces[layer][0].tolist(), weights=round_significant(traces[layer][1])),
        ))
    return layers, dropped


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

