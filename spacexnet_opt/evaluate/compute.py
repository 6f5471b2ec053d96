"""Onboard compute times of one token, from a model profile's FLOPs and the satellite throughput.

The paper states the throughput (7.28 GFLOPS effective: Frontgrade SBC-2A72 at
70 % of peak) but not how a layer's work is split or at what context length
attention runs. Both are explicit options here:

``context_len``
    Keys every token attends to at the gateway (default 4,096, the paper's
    36.3 TFLOP per 4,096-token pass). ``0`` counts projections only.
``satellite_gflops``
    Effective throughput of every satellite (default 7.28); with
    ``speed_factor`` (one number per satellite id) satellite ``s`` runs at
    ``satellite_gflops * speed_factor[s]`` (a scenario's ``[compute.gflops]``
    model: the factor is its speed over the base speed, so changing
    ``satellite_gflops`` scales every satellite and keeps their ratios).

The gateway of MoE layer ``l`` runs attention, router and shared experts
(``t_gw``); each activated expert runs on its own satellite in parallel
(``t_exp``). Dense layers (DeepSeek) and the LM head are charged once per token
at the first gateway when ``include_dense``/``include_lm_head`` are set
(defaults: dense layers yes, LM head no -- the paper's formula has neither).

With per-satellite speeds, :class:`ComputeTimes` holds the times at the base
speed and :meth:`ComputeModel.deviations` the difference each placed expert
makes: ``(t_gw(g_l) - t_gw) + (t_exp(s) - t_exp)`` (plus the once-per-token
work at the first gateway), where ``t_exp(s) = expert_gflop / gflops(s)``.
Added to an expert's path delay, the layer time
``t_gw(g_l) + max_{i in A} (D(s_i) + t_exp(s_i))`` comes out exact.

>>> from spacexnet_opt.moe import get_profile
>>> c = ComputeModel(satellite_gflops=7.28, context_len=0)
>>> t = c.times(get_profile("llama-moe-3.5b-2of8"))
>>> round(t.gateway_s * 1e3, 2), round(t.expert_s * 1e3, 2)
(18.45, 4.65)
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError
from ..limits import MAX_MAGNITUDE, MIN_POSITIVE

if TYPE_CHECKING:
    from ..moe import ModelProfile

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
    speed_factor: np.ndarray | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if not MIN_POSITIVE <= self.satellite_gflops <= MAX_MAGNITUDE:
            raise InputError(f"must be in [{MIN_POSITIVE:g}, {MAX_MAGNITUDE:g}], got {self.satellite_gflops!r}",
                             field="satellite_gflops")
        if isinstance(self.context_len, bool) or not isinstance(self.context_len, int) or self.context_len < 0:
            raise InputError(f"must be a non-negative integer, got {self.context_len!r}", field="context_len")
        if self.speed_factor is not None:
            factor = np.asarray(self.speed_factor, dtype=float).ravel()
            if not (np.isfinite(factor).all() and (factor > 0).all()):
                raise InputError("must hold finite, positive factors", field="speed_factor")
            object.__setattr__(self, "speed_factor", factor)

    @property
    def heterogeneous(self) -> bool:
        """True when satellites run at different speeds."""
        return self.speed_factor is not None and bool(np.ptp(self.speed_factor) > 0)

    def gflops(self, satellites: ArrayLike) -> np.ndarray:
        """Effective GFLOPS of each satellite id in ``satellites`` (any shape)."""
        satellites = np.asarray(satellites, dtype=np.int64)
        if self.speed_factor is None:
            return np.full(satellites.shape, float(self.satellite_gflops))
        return self.satellite_gflops * self.speed_factor[satellites]

    def deviations(self, profile: ModelProfile, gateways: np.ndarray, experts: np.ndarray) -> np.ndarray:
        """Seconds (L, E) to add to each placed expert's path delay for per-satellite speeds.

        ``(t_gw(g_l) - t_gw) + (t_exp(s_li) - t_exp)``, plus the once-per-token
        work's ``t_once(g_0) - t_once`` in layer 0, where ``t_x`` are the times at
        ``satellite_gflops`` (:meth:`times`). All zero for equal speeds.

        >>> from spacexnet_opt.moe import get_profile
        >>> c = ComputeModel(satellite_gflops=8.0, context_len=0, speed_factor=np.array([1.0, 0.5, 2.0]))
        >>> prof = get_profile("llama-moe-3.5b-2of8")
        >>> d = c.deviations(prof, [0], [[1, 2]])   # expert on a half-speed and a double-speed satellite
        >>> bool(np.allclose(d, [[prof.expert_gflop_per_token() / 8, -prof.expert_gflop_per_token() / 16]]))
        True
        """
        gateways = np.asarray(gateways, dtype=np.int64)
        experts = np.atleast_2d(np.asarray(experts, dtype=np.int64))
        if not self.heterogeneous:
            return np.zeros(experts.shape)
        base = self.times(profile)
        slow_gw = self.satellite_gflops / self.gflops(gateways)  # time multiplier at each gateway
        slow_exp = self.satellite_gflops / self.gflops(experts)
        dev = base.gateway_s * (slow_gw - 1.0)[:, None] + base.expert_s * (slow_exp - 1.0)
        dev[0] += base.per_token_s * (slow_gw[0] - 1.0)
        return dev

    def times(self, profile: ModelProfile) -> ComputeTimes:
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
        """The assumptions as a JSON-ready dict (per-satellite speeds summarised)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "speed_factor"}
        if self.speed_factor is not None:
            speeds = self.gflops(np.arange(len(self.speed_factor)))
            out["per_satellite_gflops"] = {"min": float(f"{speeds.min():.9g}"), "mean": float(f"{speeds.mean():.9g}"),
                                           "max": float(f"{speeds.max():.9g}"),
                                           "charged": "t_exp(s) = expert_gflop / gflops(s) on each expert's "
                                                      "satellite, t_gw(g) = gateway_gflop / gflops(g)"}
        return out
