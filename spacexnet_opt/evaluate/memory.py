"""Bytes every satellite holds for a deployment with compute groups: weights and KV cache.

Weights (``bytes_per_param``, default 2 = bf16): every expert copy holds
``3 * hidden * ffn`` parameters; member ``j`` of layer ``l``'s group holds
``w_j`` of the layer's head-parallel weights (attention projections, shared
experts), the whole replicated part (the low-rank down-projections of
multi-head latent attention) and, at the gateway, the router. The first
gateway's group also holds the dense layers the same way.

KV cache (bf16) for ``context_len`` tokens, in the profile's attention layout
(the one its FLOPs are counted in, :func:`~spacexnet_opt.moe.flops.kv_cache_numbers`):
a member keeps the cache of its attention units (key/value heads for multi-head
or grouped-query attention, query heads for decompressed latent attention),
``max(1, w_j units)`` of them (a member holds at least one whole unit), plus
what every member reads whole (the latent of absorbed latent attention, the
shared rope key of decompressed latent attention).

>>> from spacexnet_opt.moe import get_profile
>>> from spacexnet_opt.evaluate import ComputeGroup
>>> p = get_profile("llama-moe-3.5b-2of8")
>>> use = satellite_bytes(p, [0], [[1, 2]], [ComputeGroup([0, 5], [0.5, 0.5])], n_sats=8, context_len=4096)
>>> [round(float(x) / 2**20, 2) for x in (use.weights[0], use.kv[5], use.weights[1])]   # MiB
[64.06, 32.0, 32.25]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..moe import flops
from ..setting.resolvers import scenario_onboard
from ..formats.scenario import Scenario, load_scenario
from ..formats.schema import validate_document
from ..formats.instance import load_instance
from .compute_group import single_groups

__all__ = ["SatelliteBytes", "satellite_bytes", "head_bytes", "expert_bytes", "group_bytes", "share_caps", "check_group_memory",
           "check_world_memory", "scenario_memory", "memory_summary"]

KV_BYTES = 2


@dataclass(frozen=True, eq=False)
class SatelliteBytes:
    """Bytes (N,) of weights and of KV cache per satellite."""

    weights: np.ndarray
    kv: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.weights + self.kv


def _layer_params(profile) -> tuple[float, float]:
    """(split, replicated) parameters of one MoE layer's non-expert work (the router excluded)."""

    h = profile.hidden_size
    rep = h * (profile.kv_lora_rank + profile.qk_rope_head_dim) + h * (profile.q_lora_rank or 0) \
        if profile.is_mla else 0
    shared = profile.n_shared_experts * flops.ffn_macs(h, profile.shared_expert_ffn_dim or profile.expert_ffn_dim)
    return flops.attention_projection_macs(profile) - rep + shared, rep


def _kv_numbers(profile, shares: np.ndarray, context_len: int) -> np.ndarray:
    """KV-cache numbers per member for one layer."""
    per_unit, whole = flops.kv_cache_numbers(profile)
    units = np.maximum(1.0, shares * flops.attention_units(profile))
    return context_len * (units * per_unit + whole)


def _layer_parts(profile, *, context_len: int, bytes_per_param: float, first: bool, include_dense: bool):
    """(per unit share, fixed per member, one attention unit) bytes of one layer's group; layer 0 also carries the
    dense layers.

    The KV cache is ``max(1, w units) * per_unit + whole``; it is split as
    ``w * units * per_unit`` per share, ``whole`` fixed, and one unit's cache
    counted as fixed only where it is larger (members below one unit), see :func:`group_bytes`.
    """

    split, rep = _layer_params(profile)
    per_unit, whole = flops.kv_cache_numbers(profile)
    kv_split = context_len * per_unit * flops.attention_units(profile) * KV_BYTES
    kv_whole, kv_unit = context_len * whole * KV_BYTES, context_len * per_unit * KV_BYTES
    dense = profile.n_dense_layers if (first and include_dense) else 0
    dense_split = flops.attention_projection_macs(profile) - rep + flops.ffn_macs(profile.hidden_size,
                                                                                 profile.dense_ffn_dim or 0)
    per_share = split * bytes_per_param + kv_split + dense * (dense_split * bytes_per_param + kv_split)
    fixed = (1 + dense) * (rep * bytes_per_param + kv_whole)
    return per_share, fixed, (1 + dense) * float(kv_unit)


def group_bytes(profile, group, gateway: int, *, n_sats: int, first: bool, context_len: int = 4096,
                bytes_per_param: float = 2.0, include_dense: bool = True) -> SatelliteBytes:
    """Weights and KV-cache bytes (N,) one layer's group adds (the router at the gateway included)."""

    split, rep = _layer_params(profile)
    dense = profile.n_dense_layers if (first and include_dense) else 0
    weights, kv = np.zeros(n_sats), np.zeros(n_sats)
    layer_kv = _kv_numbers(profile, group.shares, context_len) * KV_BYTES
    np.add.at(weights, group.members, (group.shares * split + rep) * bytes_per_param)
    np.add.at(kv, group.members, (1 + dense) * layer_kv)
    weights[gateway] += flops.router_macs(profile) * bytes_per_param
    if dense:
        dense_split = flops.attention_projection_macs(profile) - rep + flops.ffn_macs(profile.hidden_size,
                                                                                     profile.dense_ffn_dim or 0)
        np.add.at(weights, group.members, dense * (group.shares * dense_split + rep) * bytes_per_param)
    return SatelliteBytes(weights, kv)


def share_caps(profile, free_bytes, *, first: bool, context_len: int = 4096, bytes_per_param: float = 2.0,
               include_dense: bool = True) -> np.ndarray:
    """The largest share of a layer each satellite's ``free_bytes`` holds (0 where not even the fixed part fits).

    Conservative for MHA/GQA: ``max(1, w n) <= w n + 1`` heads of KV cache.
    """
    per_share, fixed, one_head = _layer_parts(profile, context_len=context_len, bytes_per_param=bytes_per_param,
                                              first=first, include_dense=include_dense)
    room = np.asarray(free_bytes, dtype=float) - fixed - one_head
    return np.clip(room / per_share, 0.0, 1.0)


def expert_bytes(profile, experts, *, n_sats: int, bytes_per_param: float = 2.0) -> np.ndarray:
    """Weight bytes (N,) of the expert copies ``experts`` (any shape, ``-1`` padding) per satellite."""

    out = np.zeros(n_sats)
    hosts = np.asarray(experts, dtype=np.int64).ravel()
    np.add.at(out, hosts[hosts >= 0], flops.expert_macs(profile) * bytes_per_param)
    return out


def head_bytes(profile, *, bytes_per_param: float = 2.0) -> float:
    """Weight bytes of the LM head and the embedding table (once if tied), held by the first layer's gateway."""
    return flops.lm_head_macs(profile) * (1 if profile.tied_embeddings else 2) * bytes_per_param


def satellite_bytes(profile, gateways, experts, groups, *, n_sats: int, context_len: int = 4096,
                    bytes_per_param: float = 2.0, include_dense: bool = True,
                    include_lm_head: bool = False) -> SatelliteBytes:
    """Weights and KV-cache bytes of every satellite; ``experts`` (L, E, C) or (L, E) ids, ``-1`` padding.

    ``groups`` None: every layer's gateway alone (the paper's model); ``include_lm_head``: the LM head and
    embedding table at the first gateway (:func:`head_bytes`).
    """

    gateways = np.asarray(gateways).ravel()
    groups = single_groups(gateways) if groups is None else groups
    weights, kv = expert_bytes(profile, experts, n_sats=n_sats, bytes_per_param=bytes_per_param), np.zeros(n_sats)
    for l, (gr, g) in enumerate(zip(groups, gateways)):
        part = group_bytes(profile, gr, int(g), n_sats=n_sats, first=l == 0, context_len=context_len,
                           bytes_per_param=bytes_per_param, include_dense=include_dense)
        weights += part.weights
        kv += part.kv
    if include_lm_head:
        weights[int(gateways[0])] += head_bytes(profile, bytes_per_param=bytes_per_param)
    return SatelliteBytes(weights, kv)


def scenario_memory(path, shell) -> tuple[np.ndarray | None, float]:
    """Per-satellite memory (GB, or None when the scenario sets none) and bytes per parameter of a scenario.

    ``path`` is a scenario (``.toml``) or an instance whose ``scenario.spec`` block is the scenario.
    """
    from pathlib import Path


    path = Path(path)
    if path.suffix.lower() == ".toml":
        spec, where = load_scenario(path), path
    else:

        scenario = load_instance(path).scenario
        spec = validate_document(Scenario, scenario.get("spec"), kind="spacexnet-scenario", version=1, source=path)
        where = path.parent / str(scenario.get("scenario_file", path.name))
    if not spec.compute.has_memory:
        return None, float(spec.compute.bytes_per_param or 2.0)
    return scenario_onboard(spec, shell, where).memory_gb, float(spec.compute.bytes_per_param or 2.0)


def _served_layers(plan, satellite: int) -> list[int]:
    """Layers ``satellite`` serves in ``plan``: as gateway, compute-group member or expert host."""
    hosts = np.asarray(plan.hosts).reshape(len(plan.gateways), -1)
    groups = plan.groups or ()
    return [l for l in range(len(plan.gateways)) if plan.gateways[l] == satellite or (hosts[l] == satellite).any()
            or (l < len(groups) and satellite in groups[l].members)]


def check_group_memory(plan, profile, memory_gb, *, n_sats: int, context_len: int, bytes_per_param: float = 2.0,
                       include_dense: bool = True, include_lm_head: bool = False, source=None) -> SatelliteBytes:
    """Per-satellite bytes of ``plan`` (any deployment; without groups each gateway alone);
    :class:`InputError` (one line naming the satellite, its layers and the bytes) for the satellite most over
    its memory."""
    use = satellite_bytes(profile, plan.gateways, plan.hosts, plan.groups, n_sats=n_sats, context_len=context_len,
                          bytes_per_param=bytes_per_param, include_dense=include_dense,
                          include_lm_head=include_lm_head)
    if memory_gb is None:
        return use
    memory = np.broadcast_to(np.asarray(memory_gb, dtype=float) * 1e9, (n_sats,))
    over = np.flatnonzero(use.total > memory)
    if over.size:
        s = int(over[np.argmax(use.total[over] - memory[over])])
        layers = _served_layers(plan, s)
        raise InputError(f"{plan.name or 'the deployment'} does not fit: satellite {s} (layers "
                         f"{', '.join(map(str, layers))}) must hold {use.total[s]:,.0f} bytes (weights "
                         f"{use.weights[s] / 1e9:.3f} GB, KV cache {use.kv[s] / 1e9:.3f} GB at context "
                         f"{context_len:,}) but has {memory[s]:,.0f} bytes",
                         field=f"layers[{layers[0]}]" if layers else "layers", source=source)
    return use


def check_world_memory(plan, world, *, source=None) -> SatelliteBytes:
    """:func:`check_group_memory` of ``plan`` under the memory model of ``world``'s scenario (none: only counted);
    the LM head counted where the world or the plan charges it."""
    setting, c = world.setting, world.compute
    memory = setting.onboard.memory_gb if setting.spec.compute.has_memory else None
    return check_group_memory(plan, world.profile, memory, n_sats=world.n_sats, context_len=c.context_len,
                              bytes_per_param=float(setting.spec.compute.bytes_per_param or 2.0),
                              include_dense=c.include_dense, include_lm_head=c.include_lm_head or plan.charge_lm_head,
                              source=source)


def memory_summary(plan, use: SatelliteBytes, context_len: int) -> dict:
    """JSON-ready bytes held: the largest, and weights/KV cache of every group member, or every gateway of a
    deployment without groups (GB)."""
    members = np.unique(plan.gateways if plan.groups is None else np.concatenate([g.members for g in plan.groups]))
    worst = int(np.argmax(use.total))
    return {"context_len": int(context_len), "max_gb": float(use.total[worst] / 1e9), "max_satellite": worst,
            "members": [{"satellite": int(s), "weights_gb": float(use.weights[s] / 1e9),
                         "kv_cache_gb": float(use.kv[s] / 1e9)} for s in members]}
