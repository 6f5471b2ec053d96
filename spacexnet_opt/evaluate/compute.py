"""Onboard compute times of one token, from a model profile's FLOPs and the satellite throughput.

The paper states the throughput (7.28 GFLOPS effective: Frontgrade SBC-2A72 at
70 % of peak) but not how a layer's work is split or at what context length
attention runs. Both are explicit options here:

``context_len``
    Keys every token attends to at the gateway (default 4,096, the paper's
    36.3 TFLOP per 4,096-token pass). ``0`` counts projections only.
``satellite_gflops``
    Effective throughput of every satellite (default 7.28).

The gateway of MoE layer ``l`` runs attention, router and shared experts
(``t_gw``); each activated expert runs on its own satellite in parallel
(``t_exp``). Dense layers (DeepSeek) and the LM head are charged once per token
at the first gateway when ``include_dense``/``include_lm_head`` are set
(defaults: dense layers yes, LM head no -- the paper's formula has neither).

>>> from spacexnet_opt.moe import get_profile
>>> c = ComputeModel(satellite_gflops=7.28, context_len=0)
>>> t = c.times(get_profile("llama-moe-3.5b-2of8"))
>>> round(t.gateway_s * 1e3, 2), round(t.expert_s * 1e3, 2)
(18.45, 4.65)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import InputError

__all__ = ["PAPER_GFLOPS", "ComputeModel", "ComputeTimes"]

PAPER_GFLOPS = 7.28


@dataclass(frozen=True)
class ComputeTimes:
    """Seconds per token: at a gateway, in one expert, and once per token (dense layers, LM head)."""

    gateway_s: float
    expert_s: float
    per_token_s: float = 0.0


@dataclass(frozen=True)
class ComputeModel:
    """Assumptions that turn FLOPs into seconds (see the module docstring)."""

    satellite_gflops: float = PAPER_GFLOPS
    context_len: int = 4096
    include_dense: bool = True
    include_lm_head: bool = False

    def __post_init__(self):
        if not self.satellite_gflops > 0:
            raise InputError(f"must be positive, got {self.satellite_gflops!r}", field="satellite_gflops")
        if isinstance(self.context_len, bool) or not isinstance(self.context_len, int) or self.context_len < 0:
            raise InputError(f"must be a non-negative integer, got {self.context_len!r}", field="context_len")

    def times(self, profile) -> ComputeTimes:
        """Compute times of ``profile`` (a :class:`~spacexnet_opt.moe.ModelProfile`)."""
        once = 0.0
        if self.include_dense:
            once += profile.n_dense_layers * profile.dense_layer_gflop_per_token(self.context_len)
        if self.include_lm_head:
            once += profile.lm_head_gflop_per_token()
        rate = self.satellite_gflops
        return ComputeTimes(profile.gateway_gflop_per_token(self.context_len) / rate,
                            profile.expert_gflop_per_token() / rate, once / rate)

    def record(self) -> dict:
        """The assumptions as a JSON-ready dict."""
        return asdict(self)
