"""Compute groups: a layer's non-expert work split tensor-parallel over nearby satellites.

A :class:`ComputeGroup` of MoE layer ``l`` lists satellites ``m_j`` and their
shares ``w_j`` (sum 1) of the layer's head-parallel work. The work comes from
the model profile in *rounds* (:func:`group_work`), each ended by a reduction
at the gateway:

1. attention: Q/K/V/O projections and attention over the context, split by
   heads; with multi-head latent attention the low-rank down-projections
   (``hidden x q_lora_rank`` and ``hidden x (kv_lora_rank + rope)``) are
   computed by every member (replicated: every head needs the whole latent);
2. shared experts (where the profile has them), column/row-parallel.

The router runs at the gateway after the attention round (it needs the summed
hidden state, so partial results are combined at the gateway, never directly
at the expert hosts). One round in snapshot ``t`` takes::

    R_t = max_j ( 2 D_t(g, m_j) + (w_j W_split + W_rep) / f(m_j) ) + 2 n_remote sigma

``D_t`` is the routed one-way delay (propagation plus the per-hop
serialisation of one hidden state, which is exactly the size of the message
sent out and of the partial sum sent back), ``f`` the member's GFLOPS, and
``sigma = message_bits / link_rate`` charges the gateway's one interface
sending ``n_remote`` copies out and receiving ``n_remote`` partial sums back
one after the other. The layer's non-expert phase is ``sum_r R_t,r +
W_router / f(g)``; a group of one (the gateway, share 1) gives exactly
``t_gw(g)``, the paper's term. The dense layers (and the LM head, if charged)
run once per token at the first gateway with layer 0's group.

>>> from spacexnet_opt.moe import get_profile
>>> work = group_work(get_profile("llama-moe-3.5b-2of8"), context_len=4096)
>>> [round(s / 7.28 * 1e3, 2) for s, r in work.rounds], round(work.router / 7.28 * 1e6, 2)   # ms, us
([27.65], 9.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .deployment import ComputeGroup
from ..moe import flops

__all__ = ["GroupWork", "group_work", "world_work", "round_times", "compute_only",
           "single_groups", "with_file_groups"]


def single_groups(gateways) -> tuple:
    """One group per layer holding only its gateway (today's model)."""
    return tuple(ComputeGroup(np.array([int(g)]), np.array([1.0])) for g in np.asarray(gateways).ravel())


@dataclass(frozen=True)
class GroupWork:
    """GFLOP per token: ``rounds`` [(split, replicated)] of every MoE layer, the router, once-per-token rounds;
    ``units``: the whole attention units the split work comes in (:func:`~spacexnet_opt.moe.flops.attention_units`)."""

    rounds: tuple
    router: float
    once_rounds: tuple = ()
    once_unsplit: float = 0.0
    units: int = 1


def _attention_round(profile, context_len: int) -> tuple[float, float]:
    h = profile.hidden_size
    rep = 0
    if profile.is_mla:
        rep = h * (profile.kv_lora_rank + profile.qk_rope_head_dim) + h * (profile.q_lora_rank or 0)
    split = flops.attention_projection_macs(profile) - rep + flops.attention_context_macs(profile, context_len)
    return split * 2e-9, rep * 2e-9


def group_work(profile, *, context_len: int = 4096, include_dense: bool = True,
               include_lm_head: bool = False) -> GroupWork:
    """The split, replicated and gateway-only work of ``profile`` (sums to the compute model's GFLOP)."""

    attention = _attention_round(profile, context_len)
    rounds = [attention]
    shared = profile.n_shared_experts * flops.ffn_macs(profile.hidden_size,
                                                       profile.shared_expert_ffn_dim or profile.expert_ffn_dim)
    if shared:
        rounds.append((shared * 2e-9, 0.0))
    once = []
    if include_dense and profile.n_dense_layers:
        dense_ffn = flops.ffn_macs(profile.hidden_size, profile.dense_ffn_dim) * 2e-9
        once = [attention, (dense_ffn, 0.0)] * profile.n_dense_layers
    unsplit = flops.lm_head_macs(profile) * 2e-9 if include_lm_head else 0.0
    return GroupWork(tuple(rounds), flops.router_macs(profile) * 2e-9, tuple(once), unsplit,
                     flops.attention_units(profile))


def world_work(world) -> GroupWork:
    """The :class:`GroupWork` of a world's profile under its compute model."""
    c = world.compute
    return group_work(world.profile, context_len=c.context_len, include_dense=c.include_dense,
                      include_lm_head=c.include_lm_head)


def round_times(rtt, group: ComputeGroup, gflops, rounds, sigma: float, gateway: int) -> np.ndarray:
    """Seconds of each snapshot (T,) for ``rounds`` run by ``group``; ``rtt`` (T, n) round trips to the members.

    >>> g = ComputeGroup([0, 1], [0.5, 0.5])
    >>> round_times(np.array([[0.0, 2.0]]), g, np.array([1.0, 1.0]), [(4.0, 0.0)], 0.0, 0).tolist()
    [4.0]
    """
    if not rounds:
        return np.zeros(len(rtt))
    comm = 2.0 * group.remote(gateway) * sigma
    total = np.zeros(len(rtt))
    for split, rep in rounds:
        total += (rtt + (group.shares * split + rep) / gflops).max(axis=1) + comm
    return total


def compute_only(group: ComputeGroup, gflops, rounds) -> float:
    """The compute part of ``rounds`` (no communication): the slowest member's share, summed over rounds."""
    return float(sum(((group.shares * split + rep) / gflops).max() for split, rep in rounds))


def with_file_groups(plan, doc):
    """``plan`` with the compute groups of a deployment file's layers (unchanged when no layer has one)."""
    from dataclasses import replace

    entries = [e.compute_group for e in doc.layers]
    if all(e is None for e in entries):
        return plan
    groups = []
    for l, (entry, g) in enumerate(zip(entries, plan.gateways)):
        if entry is None:
            groups.append(ComputeGroup(np.array([int(g)]), np.array([1.0])))
            continue
        try:
            groups.append(ComputeGroup(entry.members, entry.shares))
        except InputError as exc:
            raise InputError(exc.message, field=f"layers[{l}].{exc.field}") from None
    return replace(plan, groups=tuple(groups))
