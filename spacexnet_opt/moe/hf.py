"""Model profiles from Hugging Face ``config.json`` files ("bring your own model").

The family comes from ``model_type`` (else from ``architectures``); each family
names its fields differently, and :data:`FAMILIES` maps them onto
:class:`~spacexnet_opt.moe.profiles.ModelProfile`. Errors name the file and the
``config.json`` key. Fields the profile does not model (quantisation, RoPE,
norms, biases, multi-token prediction) are ignored.

>>> cfg = {"model_type": "mixtral", "num_hidden_layers": 32, "hidden_size": 4096, "intermediate_size": 14336,
...        "num_attention_heads": 32, "num_key_value_heads": 8, "num_local_experts": 8,
...        "num_experts_per_tok": 2, "vocab_size": 32000}
>>> p = profile_from_hf_config(cfg, name="mixtral")
>>> p.head_dim, round(p.total_params() / 1e9, 1), round(p.active_params() / 1e9, 1)
(128, 46.7, 12.9)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError
from .profiles import ModelProfile

__all__ = ["FAMILIES", "is_hf_config", "profile_from_hf_config"]

_COMMON = {
    "n_layers": "num_hidden_layers",
    "hidden_size": "hidden_size",
    "n_heads": "num_attention_heads",
    "top_k": "num_experts_per_tok",
    "vocab_size": "vocab_size",
}
"""Profile field -> config key, the same in every family."""

_OPTIONAL = {"n_kv_heads": "num_key_value_heads", "head_dim": "head_dim"}
"""Keys a config may leave out: key/value heads default to the attention heads, head_dim to hidden / heads."""

_MIXTRAL = {"n_experts": "num_local_experts", "expert_ffn_dim": "intermediate_size"}
_QWEN = {"n_experts": "num_experts", "expert_ffn_dim": "moe_intermediate_size", "dense_ffn_dim": "intermediate_size"}
_DEEPSEEK = {
    "n_experts": "n_routed_experts", "expert_ffn_dim": "moe_intermediate_size", "n_shared_experts": "n_shared_experts",
    "n_dense_layers": "first_k_dense_replace", "dense_ffn_dim": "intermediate_size", "q_lora_rank": "q_lora_rank",
    "kv_lora_rank": "kv_lora_rank", "qk_nope_head_dim": "qk_nope_head_dim", "qk_rope_head_dim": "qk_rope_head_dim",
    "v_head_dim": "v_head_dim",
}

FAMILIES: dict[str, dict[str, str]] = {
    "mixtral": _MIXTRAL,
    "phimoe": _MIXTRAL,
    "gpt_oss": _MIXTRAL,
    "olmoe": {"n_experts": "num_experts", "expert_ffn_dim": "intermediate_size"},
    "qwen2_moe": {**_QWEN, "shared_expert_ffn_dim": "shared_expert_intermediate_size"},
    "qwen3_moe": _QWEN,
    "deepseek_v2": _DEEPSEEK,
    "deepseek_v3": _DEEPSEEK,
    "kimi_k2": _DEEPSEEK,
}
"""Supported ``model_type`` values -> their profile field -> config key mapping (beyond the common keys)."""

_ARCHITECTURES = {
    "MixtralForCausalLM": "mixtral", "PhimoeForCausalLM": "phimoe", "PhiMoEForCausalLM": "phimoe",
    "GptOssForCausalLM": "gpt_oss", "OlmoeForCausalLM": "olmoe",
    "Qwen2MoeForCausalLM": "qwen2_moe", "Qwen3MoeForCausalLM": "qwen3_moe",
    "DeepseekV2ForCausalLM": "deepseek_v2", "DeepseekV3ForCausalLM": "deepseek_v3",
}

_MAY_BE_ABSENT = {"q_lora_rank", "shared_expert_ffn_dim", "n_shared_experts", "n_dense_layers", "dense_ffn_dim"}
"""Family keys whose absence (or null) means "none" rather than an error."""


def is_hf_config(data: Mapping[str, Any]) -> bool:
    """True when a JSON mapping is a Hugging Face model config rather than a profile file."""
    return "model_type" in data or "architectures" in data


def _family(cfg: Mapping[str, Any], source) -> str:
    model_type = cfg.get("model_type")
    if isinstance(model_type, str) and model_type in FAMILIES:
        return model_type
    architectures = cfg.get("architectures")
    for arch in architectures if isinstance(architectures, list) else []:
        if isinstance(arch, str) and arch in _ARCHITECTURES:
            return _ARCHITECTURES[arch]
    raise InputError(f"unknown model family {model_type!r} (architectures {architectures!r}); "
                     f"supported model_type values: {', '.join(FAMILIES)}", field="model_type", source=source)


def _count(cfg: Mapping[str, Any], key: str, minimum: int, source) -> int:
    value = cfg[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"must be an integer >= {minimum}, got {value!r}", field=key, source=source)
    return value


def _leading_dense(cfg: Mapping[str, Any], n_layers: int, source) -> int:
    """Qwen-MoE: the number of dense layers, which must be the leading ones.

    Layer i is dense when listed in ``mlp_only_layers`` or when ``(i + 1) % decoder_sparse_step``
    is not 0. Counted without a loop over the layers (a config may claim any number).
    """
    only = cfg.get("mlp_only_layers") or []
    step = _count(cfg, "decoder_sparse_step", 1, source) if cfg.get("decoder_sparse_step") is not None else 1
    if not isinstance(only, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in only):
        raise InputError(f"must be a list of layer indices, got {only!r}", field="mlp_only_layers", source=source)
    listed = {i for i in only if 0 <= i < n_layers}
    if step == 1:
        if listed != set(range(len(listed))):
            raise InputError(f"dense layers {sorted(listed)} are not the leading layers; a profile models only "
                             "leading dense layers", field="mlp_only_layers", source=source)
        return len(listed)
    # Sparse layers are i = step - 1, 2 step - 1, ...: a suffix of the layers only if at most the last one is.
    sparse = n_layers // step - sum((i + 1) % step == 0 for i in listed)
    if sparse > 1 or (sparse == 1 and (n_layers % step or n_layers - 1 in listed)):
        raise InputError(f"a MoE layer every {step} layers leaves dense layers between them; a profile models "
                         "only leading dense layers", field="decoder_sparse_step", source=source)
    return n_layers - sparse


def _default_name(cfg: Mapping[str, Any], source, family: str) -> str:
    given = cfg.get("_name_or_path")
    if isinstance(given, str) and Path(given).name:
        return Path(given).name
    if source is None:
        return family
    path = Path(source)
    return path.parent.name if path.stem == "config" and path.parent.name else path.stem


def profile_from_hf_config(cfg: Mapping[str, Any], *, name: str | None = None,
                           source: str | os.PathLike | None = None):
    """Build a :class:`~spacexnet_opt.moe.profiles.ModelProfile` from a parsed ``config.json``.

    Parameters
    ----------
    cfg : mapping
        The config (a multimodal wrapper's ``text_config`` is used when present).
    name : str, optional
        Profile name. Default: the last part of ``_name_or_path``, else the
        file's name (its folder's for a ``config.json``), else the ``model_type``.
    source : str or path-like, optional
        The file, named in errors and recorded as the profile's ``source``.

    Raises
    ------
    spacexnet_opt.errors.InputError
        An unknown family (listing the supported ``model_type`` values), a
        missing or non-integer key, or an impossible layout, naming the key.
    """
    if isinstance(cfg.get("text_config"), Mapping) and "model_type" in cfg["text_config"]:
        cfg = cfg["text_config"]
    family = _family(cfg, source)
    keys = {**_COMMON, **FAMILIES[family]}
    fields = {**keys, **_OPTIONAL}
    values: dict[str, Any] = {}
    for field, key in fields.items():
        if cfg.get(key) is None:
            if field in keys and field not in _MAY_BE_ABSENT:
                raise InputError(f"missing: a {family} config must give it", field=key, source=source)
            continue
        values[field] = _count(cfg, key, 0 if field in _MAY_BE_ABSENT else 1, source)
    if family in ("qwen2_moe", "qwen3_moe"):
        values["n_dense_layers"] = _leading_dense(cfg, values["n_layers"], source)
        shared = values.pop("shared_expert_ffn_dim", 0)
        if shared:
            values.update(n_shared_experts=1, shared_expert_ffn_dim=shared)
    elif cfg.get("moe_layer_freq", 1) != 1:
        raise InputError(f"must be 1, got {cfg['moe_layer_freq']!r}: a profile has experts in every layer after "
                         "the leading dense ones", field="moe_layer_freq", source=source)
    if not values.get("n_dense_layers"):
        values.pop("dense_ffn_dim", None)
    values.setdefault("n_kv_heads", values["n_heads"])
    values.setdefault("n_dense_layers", 0)
    values.setdefault("n_shared_experts", 0)
    tied = cfg.get("tie_word_embeddings", False)
    if not isinstance(tied, bool):
        raise InputError(f"must be true or false, got {tied!r}", field="tie_word_embeddings", source=source)
    fields.setdefault("n_dense_layers", "mlp_only_layers")  # Qwen: the dense layers are listed there
    try:
        return ModelProfile(name=name or _default_name(cfg, source, family), tied_embeddings=tied,
                            source="" if source is None else str(source), **values)
    except InputError as exc:
        raise InputError(exc.message, field=fields.get(exc.field, exc.field), source=source) from None
