"""Architecture profiles of Mixture-of-Experts language models.

A :class:`ModelProfile` holds the published configuration values that the
placement toolkit needs: layer counts, experts and top-k, shared experts, the
widths that set the per-token compute, and the attention layout. The built-in
profiles copy each model's released ``config.json`` (see ``source``); user
profiles come from a TOML or JSON file (:func:`~spacexnet_opt.moe.profile_files.load_profile`).

>>> p = get_profile("llama-moe-3.5b-2of8")
>>> p.n_moe_layers, p.n_experts, p.top_k, p.activation_bytes()
(32, 8, 2, 8192)
>>> round(p.total_gflop_per_token(4096), 2)   # x 4,096 tokens = 36.3 TFLOP, as in the paper
8.87
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from . import flops

__all__ = ["ModelProfile", "PROFILES", "ATTENTION_LAYOUTS", "get_profile", "MAX_PROFILE_LAYERS", "MAX_PROFILE_EXPERTS", "MAX_PROFILE_COUNT"]

MAX_PROFILE_LAYERS = 10_000
"""Most layers a profile may have (the largest published MoE models have under 100)."""
MAX_PROFILE_EXPERTS = 65_536
"""Most routed experts per layer (the trace files' ceiling too)."""
ATTENTION_LAYOUTS = ("absorbed", "decompressed")
"""How attention is computed and cached (:mod:`spacexnet_opt.moe.flops`): ``absorbed`` (multi-head latent attention
only: latent-only KV cache) or ``decompressed`` (per-head keys and values)."""
MAX_PROFILE_COUNT = 2**40
"""Largest value of any integer field (widths, heads, vocabulary): products of such values stay exact in float64
FLOP counts."""


@dataclass(frozen=True)
class ModelProfile:
    """Published architecture of one MoE model (all widths in elements).

    Parameters
    ----------
    name : str
        Short identifier (``get_profile`` key).
    n_layers : int
        Transformer blocks in total.
    n_dense_layers : int
        Leading blocks with a dense FFN instead of experts (DeepSeek's
        ``first_k_dense_replace``); MoE layers are ``n_dense_layers .. n_layers-1``.
    n_experts, top_k : int
        Routed experts per MoE layer and experts each token activates.
    n_shared_experts : int
        Always-active experts, run at the gateway with the attention.
    hidden_size, expert_ffn_dim : int
        Model width and the intermediate width of one routed (SwiGLU) expert.
    n_heads, n_kv_heads : int
        Attention heads and key/value heads (grouped-query attention when fewer);
        ``n_kv_heads`` must divide ``n_heads``.
    vocab_size : int
        Vocabulary (LM head and embedding rows).
    head_dim : int, optional
        Width of one attention head. Default ``hidden_size / n_heads`` (which must
        then divide evenly), or ``v_head_dim`` for multi-head latent attention;
        families such as Qwen3 declare it explicitly.
    shared_expert_ffn_dim : int, optional
        Width of one shared expert (default: ``expert_ffn_dim``).
    dense_ffn_dim : int, optional
        FFN width of the dense layers (required when ``n_dense_layers > 0``).
    q_lora_rank, kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim : int, optional
        Multi-head latent attention (DeepSeek-V2/V3); ``kv_lora_rank`` set means MLA.
    attention_layout : str, optional
        ``"absorbed"`` or ``"decompressed"`` (:data:`ATTENTION_LAYOUTS`): the one
        layout both the FLOPs and the KV cache follow. Default ``decompressed``
        (the only layout of multi-head and grouped-query attention; for MLA the
        fewer FLOPs a compute-bound satellite needs, see ``docs/moe.md``);
        ``absorbed`` (MLA only) caches the latent alone, for long contexts.
    tied_embeddings : bool
        Whether the LM head shares the embedding matrix (parameter count only).
    source : str
        Where the values come from.
    """

    name: str
    n_layers: int
    n_dense_layers: int
    n_experts: int
    top_k: int
    n_shared_experts: int
    hidden_size: int
    expert_ffn_dim: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    head_dim: int | None = None
    shared_expert_ffn_dim: int | None = None
    dense_ffn_dim: int | None = None
    q_lora_rank: int | None = None
    kv_lora_rank: int | None = None
    qk_nope_head_dim: int | None = None
    qk_rope_head_dim: int | None = None
    v_head_dim: int | None = None
    attention_layout: str | None = None
    tied_embeddings: bool = False
    source: str = ""

    def __post_init__(self):
        src = self.source if isinstance(self.source, str) and self.source.endswith((".toml", ".json")) else None
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "attention_layout":
                continue
            if f.name in ("name", "source"):
                if not isinstance(value, str) or (f.name == "name" and not value):
                    raise InputError("must be a non-empty string" if f.name == "name" else "must be a string",
                                     field=f.name, source=src)
            elif f.name == "tied_embeddings":
                if not isinstance(value, bool):
                    raise InputError(f"must be true or false, got {value!r}", field=f.name, source=src)
            elif value is not None or f.default is dataclasses.MISSING:
                minimum = 0 if f.name in ("n_dense_layers", "n_shared_experts") else 1
                if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                    raise InputError(f"must be an integer >= {minimum}, got {value!r}", field=f.name, source=src)
                if value > MAX_PROFILE_COUNT:
                    raise InputError(f"must be at most {MAX_PROFILE_COUNT:,}, got {value:,}", field=f.name, source=src)
        if self.n_layers > MAX_PROFILE_LAYERS or self.n_experts > MAX_PROFILE_EXPERTS:
            field, limit = ("n_layers", MAX_PROFILE_LAYERS) if self.n_layers > MAX_PROFILE_LAYERS else \
                ("n_experts", MAX_PROFILE_EXPERTS)
            raise InputError(f"must be at most {limit:,}, got {getattr(self, field):,} (every layer and expert is "
                             "placed and evaluated)", field=field, source=src)
        if self.n_dense_layers >= self.n_layers:
            raise InputError(f"{self.n_dense_layers} dense layers leave no MoE layer of {self.n_layers}",
                             field="n_dense_layers", source=src)
        if self.top_k > self.n_experts:
            raise InputError(f"top_k={self.top_k} exceeds n_experts={self.n_experts}", field="top_k", source=src)
        if self.n_dense_layers and self.dense_ffn_dim is None:
            raise InputError("required when n_dense_layers > 0", field="dense_ffn_dim", source=src)
        mla = ("qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")
        if self.kv_lora_rank is not None and any(getattr(self, m) is None for m in mla):
            raise InputError(f"multi-head latent attention (kv_lora_rank) also needs {', '.join(mla)}",
                             field="kv_lora_rank", source=src)
        self._check_heads(src)
        self._check_layout(src)

    def _check_layout(self, src: str | None) -> None:
        """``attention_layout`` is one of :data:`ATTENTION_LAYOUTS` (absorbed only for MLA); None is the default."""
        layout = self.attention_layout
        if layout is None:
            object.__setattr__(self, "attention_layout", "decompressed")
        elif layout not in ATTENTION_LAYOUTS:
            raise InputError(f"unknown attention layout {layout!r}; valid: {', '.join(ATTENTION_LAYOUTS)}",
                             field="attention_layout", source=src)
        elif layout == "absorbed" and not self.is_mla:
            raise InputError("absorbed needs multi-head latent attention (kv_lora_rank); this profile's attention "
                             "has one layout, decompressed", field="attention_layout", source=src)

    def _check_heads(self, src: str | None) -> None:
        """Key/value heads divide the attention heads; an omitted ``head_dim`` is derived."""
        if self.n_kv_heads > self.n_heads or self.n_heads % self.n_kv_heads:
            raise InputError(f"{self.n_kv_heads} key/value heads must divide the {self.n_heads} attention heads "
                             "(each key/value head serves the same number of query heads)",
                             field="n_kv_heads", source=src)
        if self.head_dim is not None:
            return
        if self.is_mla:
            object.__setattr__(self, "head_dim", self.v_head_dim)
        elif self.hidden_size % self.n_heads:
            raise InputError(f"not given, and hidden_size {self.hidden_size} is not a multiple of the "
                             f"{self.n_heads} attention heads: give head_dim explicitly", field="head_dim", source=src)
        else:
            object.__setattr__(self, "head_dim", self.hidden_size // self.n_heads)

    @property
    def n_moe_layers(self) -> int:
        """Number of layers with routed experts."""
        return self.n_layers - self.n_dense_layers

    @property
    def moe_layers(self) -> tuple[int, ...]:
        """Original (0-based) indices of the MoE layers."""
        return tuple(range(self.n_dense_layers, self.n_layers))

    @property
    def is_mla(self) -> bool:
        """True for multi-head latent attention (DeepSeek-V2/V3)."""
        return self.kv_lora_rank is not None

    def gateway_gflop_per_token(self, context_len: int = 4096) -> float:
        """GFLOP one token costs at a MoE layer's gateway.

        Attention projections, attention over ``context_len`` keys, the router
        and the shared experts (2 FLOP per multiply-accumulate, matrix products
        only; see :mod:`spacexnet_opt.moe.flops`).
        """
        return flops.gateway_macs(self, context_len) * 2e-9

    def expert_gflop_per_token(self) -> float:
        """GFLOP of one routed expert for one token (SwiGLU: three matrices)."""
        return flops.expert_macs(self) * 2e-9

    def dense_layer_gflop_per_token(self, context_len: int = 4096) -> float:
        """GFLOP of one dense (non-MoE) layer for one token; 0 if the model has none."""
        return flops.dense_layer_macs(self, context_len) * 2e-9 if self.n_dense_layers else 0.0

    def lm_head_gflop_per_token(self) -> float:
        """GFLOP of the output projection to the vocabulary."""
        return flops.lm_head_macs(self) * 2e-9

    def total_gflop_per_token(self, context_len: int = 4096) -> float:
        """GFLOP of one token through the whole model (every layer and the LM head)."""
        return flops.total_macs(self, context_len) * 2e-9

    def active_params(self, *, include_embeddings: bool = True) -> int:
        """Parameters touched by one token (matrices only; norms are ignored)."""
        return flops.active_params(self, include_embeddings=include_embeddings)

    def total_params(self) -> int:
        """Parameters of the whole model (every expert; matrices only, embeddings counted)."""
        return flops.total_params(self)

    def activation_bytes(self, bytes_per_element: int = 2) -> int:
        """Size of the hidden-state message handed between satellites (bf16 by default)."""
        if bytes_per_element <= 0:
            raise InputError(f"must be positive, got {bytes_per_element}", field="bytes_per_element")
        return self.hidden_size * bytes_per_element


def _llama_moe(name: str, n_experts: int, top_k: int, note: str = "") -> ModelProfile:
    return ModelProfile(
        name=name, n_layers=32, n_dense_layers=0, n_experts=n_experts, top_k=top_k, n_shared_experts=0,
        hidden_size=4096, expert_ffn_dim=11008 // n_experts, n_heads=32, n_kv_heads=32, head_dim=128,
        vocab_size=32000,
        source=f"config.json of huggingface.co/llama-moe/LLaMA-MoE-v1-3_5B-{top_k}_{n_experts} (LLaMA-2-7B "
               f"FFN of width 11008 split into {n_experts} experts, arXiv 2406.16554){note}",
    )


_DEEPSEEK_V3 = ModelProfile(
    name="deepseek-v3", n_layers=61, n_dense_layers=3, n_experts=256, top_k=8, n_shared_experts=1,
    hidden_size=7168, expert_ffn_dim=2048, dense_ffn_dim=18432, n_heads=128, n_kv_heads=128, head_dim=128,
    vocab_size=129280, q_lora_rank=1536, kv_lora_rank=512, qk_nope_head_dim=128, qk_rope_head_dim=64,
    v_head_dim=128,
    source="config.json of huggingface.co/deepseek-ai/DeepSeek-V3 (671B total, 37B active, arXiv 2412.19437); "
           "the multi-token-prediction module is not counted",
)

_BUILTIN = (
    _llama_moe("llama-moe-3.5b-2of8", 8, 2, "; the model of Space-XNet (arXiv 2605.00515)"),
    _llama_moe("llama-moe-3.5b-4of16", 16, 4),
    ModelProfile(
        name="mixtral-8x7b", n_layers=32, n_dense_layers=0, n_experts=8, top_k=2, n_shared_experts=0,
        hidden_size=4096, expert_ffn_dim=14336, n_heads=32, n_kv_heads=8, head_dim=128, vocab_size=32000,
        source="config.json of huggingface.co/mistralai/Mixtral-8x7B-v0.1 (12.9B active parameters, arXiv 2401.04088)",
    ),
    ModelProfile(
        name="qwen1.5-moe-a2.7b", n_layers=24, n_dense_layers=0, n_experts=60, top_k=4, n_shared_experts=1,
        hidden_size=2048, expert_ffn_dim=1408, shared_expert_ffn_dim=5632, n_heads=16, n_kv_heads=16,
        head_dim=128, vocab_size=151936,
        source="config.json of huggingface.co/Qwen/Qwen1.5-MoE-A2.7B (shared_expert_intermediate_size 5632)",
    ),
    ModelProfile(
        name="deepseek-v2-lite", n_layers=27, n_dense_layers=1, n_experts=64, top_k=6, n_shared_experts=2,
        hidden_size=2048, expert_ffn_dim=1408, dense_ffn_dim=10944, n_heads=16, n_kv_heads=16, head_dim=128,
        vocab_size=102400, kv_lora_rank=512, qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128,
        source="config.json of huggingface.co/deepseek-ai/DeepSeek-V2-Lite (arXiv 2405.04434)",
    ),
    _DEEPSEEK_V3,
    ModelProfile(
        name="qwen3-30b-a3b", n_layers=48, n_dense_layers=0, n_experts=128, top_k=8, n_shared_experts=0,
        hidden_size=2048, expert_ffn_dim=768, n_heads=32, n_kv_heads=4, head_dim=128, vocab_size=151936,
        source="config.json of huggingface.co/Qwen/Qwen3-30B-A3B (30.5B total, 3.3B active; head_dim 128 "
               "declared, not hidden / heads)",
    ),
    ModelProfile(
        name="qwen3-235b-a22b", n_layers=94, n_dense_layers=0, n_experts=128, top_k=8, n_shared_experts=0,
        hidden_size=4096, expert_ffn_dim=1536, n_heads=64, n_kv_heads=4, head_dim=128, vocab_size=151936,
        source="config.json of huggingface.co/Qwen/Qwen3-235B-A22B (235B total, 22B active)",
    ),
    dataclasses.replace(
        _DEEPSEEK_V3, name="kimi-k2", n_dense_layers=1, n_experts=384, n_heads=64, n_kv_heads=64, vocab_size=163840,
        source="config.json of huggingface.co/moonshotai/Kimi-K2-Instruct (DeepSeek-V3 architecture with 384 "
               "experts, 64 heads, first layer dense; 1.04T total, 32.6B active, arXiv 2507.20534)",
    ),
)

PROFILES: dict[str, ModelProfile] = {p.name: p for p in _BUILTIN}
"""Built-in profiles by name."""


def get_profile(name: str) -> ModelProfile:
    """Return the built-in profile ``name`` (case-insensitive).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.

    >>> get_profile("DeepSeek-V3").n_moe_layers
    58
    """
    if isinstance(name, ModelProfile):
        return name
    try:
        return PROFILES[str(name).lower()]
    except KeyError:
        raise InputError(f"unknown model profile {name!r}; valid names: {', '.join(PROFILES)}",
                         field="profile") from None
