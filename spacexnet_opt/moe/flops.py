"""Per-token compute of a MoE model, counted in multiply-accumulates (MACs).

Convention: only matrix products are counted; 1 MAC = 2 FLOP. Norms, softmax,
activation functions, rotary embeddings and residual adds are left out (they
are well under 1 % of the total). Attention over the context charges every
token ``context_len`` keys (the cost of a decode step at that context, and the
convention that reproduces the paper's 36.3 TFLOP per 4,096-token pass).

Multi-head latent attention (MLA) follows the profile's ``attention_layout``,
and the KV cache (:func:`kv_cache_numbers`) follows the same layout, so compute
and memory agree:

``absorbed`` (DeepSeek's own decode kernels; memory-bound GPUs)
    ``W_UK`` is folded into the query and ``W_UV`` applied after attention, so
    only the compressed latent (``kv_lora_rank + qk_rope_head_dim`` numbers per
    token and layer) is cached, and every head attends over the latent:
    ``context * n_heads * (2 kv_lora_rank + qk_rope_head_dim)`` MACs.
``decompressed`` (the default: 3.4x fewer context FLOPs on a compute-bound satellite)
    The per-head keys and values are cached (``n_heads * (qk_nope_head_dim +
    v_head_dim)`` numbers plus the one shared rope key per token and layer) and
    attended per head: ``context * n_heads * (qk_nope + qk_rope + v_head_dim)``.

The projections are the same in both (absorption moves ``W_UK``/``W_UV`` from
the keys to the query and output, one token each). Multi-head and
grouped-query attention have one layout, ``decompressed``.

>>> from spacexnet_opt.moe import get_profile
>>> p = get_profile("llama-moe-3.5b-2of8")
>>> attention_projection_macs(p) == 4 * 4096 * 4096
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    from .profiles import ModelProfile

__all__ = [
    "attention_projection_macs",
    "attention_context_macs",
    "attention_units",
    "kv_cache_numbers",
    "router_macs",
    "ffn_macs",
    "expert_macs",
    "gateway_macs",
    "dense_layer_macs",
    "lm_head_macs",
    "total_macs",
    "active_params",
    "total_params",
]


def attention_projection_macs(p: "ModelProfile") -> int:
    """Q, K, V and output projections for one token (MHA/GQA, or MLA with its low-rank factors)."""
    h = p.hidden_size
    if p.is_mla:
        qk = p.qk_nope_head_dim + p.qk_rope_head_dim
        q = h * p.n_heads * qk if p.q_lora_rank is None else h * p.q_lora_rank + p.q_lora_rank * p.n_heads * qk
        kv = h * (p.kv_lora_rank + p.qk_rope_head_dim) + p.kv_lora_rank * p.n_heads * (p.qk_nope_head_dim + p.v_head_dim)
        return q + kv + p.n_heads * p.v_head_dim * h
    return h * p.n_heads * p.head_dim * 2 + h * p.n_kv_heads * p.head_dim * 2


def attention_context_macs(p: "ModelProfile", context_len: int) -> int:
    """Scores (Q K^T) and weighted values (A V) of one token over ``context_len`` keys."""
    if context_len < 0:
        raise InputError(f"must be >= 0, got {context_len}", field="context_len")
    if p.attention_layout == "absorbed":
        return context_len * p.n_heads * (2 * p.kv_lora_rank + p.qk_rope_head_dim)
    if p.is_mla:
        return context_len * p.n_heads * (p.qk_nope_head_dim + p.qk_rope_head_dim + p.v_head_dim)
    return context_len * p.n_heads * p.head_dim * 2


def attention_units(p: "ModelProfile") -> int:
    """Whole units a layer's attention splits into over a compute group.

    A key/value head with its ``n_heads / n_kv_heads`` query heads (multi-head
    and grouped-query attention: a member never holds part of a KV head), or
    one query head with MLA (every head reads the whole latent).

    >>> from spacexnet_opt.moe import get_profile
    >>> attention_units(get_profile("mixtral-8x7b")), attention_units(get_profile("deepseek-v3"))
    (8, 128)
    """
    return p.n_heads if p.is_mla else p.n_kv_heads


def kv_cache_numbers(p: "ModelProfile") -> tuple[int, int]:
    """KV-cache numbers one token leaves in one layer: ``(per attention unit, held by every member)``.

    Per key/value head ``2 head_dim`` (MHA/GQA); MLA ``decompressed``:
    ``qk_nope_head_dim + v_head_dim`` per head and the shared rope key;
    ``absorbed``: the latent ``kv_lora_rank + qk_rope_head_dim``, held whole.

    >>> from spacexnet_opt.moe import get_profile
    >>> import dataclasses
    >>> v3 = get_profile("deepseek-v3")
    >>> kv_cache_numbers(v3), kv_cache_numbers(dataclasses.replace(v3, attention_layout="absorbed"))
    ((256, 64), (0, 576))
    """
    if p.attention_layout == "absorbed":
        return 0, p.kv_lora_rank + p.qk_rope_head_dim
    if p.is_mla:
        return p.qk_nope_head_dim + p.v_head_dim, p.qk_rope_head_dim
    return 2 * p.head_dim, 0


def router_macs(p: "ModelProfile") -> int:
    """The gating projection from the hidden state to one logit per routed expert."""
    return p.hidden_size * p.n_experts


def ffn_macs(hidden_size: int, ffn_dim: int) -> int:
    """A SwiGLU feed-forward block: gate, up and down projections."""
    return 3 * hidden_size * ffn_dim


def expert_macs(p: "ModelProfile") -> int:
    """One routed expert for one token."""
    return ffn_macs(p.hidden_size, p.expert_ffn_dim)


def _shared_macs(p: "ModelProfile") -> int:
    return p.n_shared_experts * ffn_macs(p.hidden_size, p.shared_expert_ffn_dim or p.expert_ffn_dim)


def gateway_macs(p: "ModelProfile", context_len: int) -> int:
    """Everything a MoE layer runs at its gateway: attention, router, shared experts."""
    return attention_projection_macs(p) + attention_context_macs(p, context_len) + router_macs(p) + _shared_macs(p)


def dense_layer_macs(p: "ModelProfile", context_len: int) -> int:
    """One dense layer: attention and a dense SwiGLU FFN of width ``dense_ffn_dim``."""
    return attention_projection_macs(p) + attention_context_macs(p, context_len) + ffn_macs(p.hidden_size, p.dense_ffn_dim or 0)


def lm_head_macs(p: "ModelProfile") -> int:
    """Output projection from the last hidden state to the vocabulary logits."""
    return p.hidden_size * p.vocab_size


def total_macs(p: "ModelProfile", context_len: int) -> int:
    """One token through every layer (top-k routed experts per MoE layer) and the LM head."""
    moe = gateway_macs(p, context_len) + p.top_k * expert_macs(p)
    dense = dense_layer_macs(p, context_len) if p.n_dense_layers else 0
    return p.n_moe_layers * moe + p.n_dense_layers * dense + lm_head_macs(p)


def active_params(p: "ModelProfile", *, include_embeddings: bool = True) -> int:
    """Weights one token touches: the MACs at zero context, plus the embedding table if asked.

    With tied embeddings the LM head is the embedding table, so it is counted once.
    """
    params = total_macs(p, 0)
    if include_embeddings and not p.tied_embeddings:
        params += p.vocab_size * p.hidden_size
    if not include_embeddings:
        params -= lm_head_macs(p)
    return params


def total_params(p: "ModelProfile") -> int:
    """Every weight matrix of the model: :func:`active_params` plus the routed experts a token skips.

    Like the published totals, this counts the embedding table (once if tied) and
    leaves out norms, biases and any multi-token-prediction module.
    """
    return active_params(p) + p.n_moe_layers * (p.n_experts - p.top_k) * expert_macs(p)
