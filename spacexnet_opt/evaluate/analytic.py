"""Expected seconds per token in closed form.

Paper formula, from expected path latencies ``tau_l(s)`` (mean over snapshots
and link failures)::

    T = sum_l [ t_gw + E_A max_{i in A} ( tau_l(s(i)) + t_exp ) ]

:func:`analytic_latency` evaluates it exactly under the layer's set law
(:mod:`spacexnet_opt.evaluate.sets`). Because the max is taken of *expected*
delays, it is a lower bound of the true mean (Jensen): a token meets one
snapshot, in which the bottleneck expert is the slowest *in that snapshot*.
:func:`snapshot_latency` takes the expectation the other way round, exactly,
``E_t E_A max_i (D_t(s(i)) + t_exp)``: the value a Monte Carlo simulation that
routes on each snapshot converges to.

>>> import numpy as np
>>> from spacexnet_opt.evaluate.compute import ComputeTimes
>>> from spacexnet_opt.evaluate.sets import PairLaw
>>> law = PairLaw(np.array([[0, 0.5, 0.5], [0.5, 0, 0], [0.5, 0, 0]]))   # {0,1} or {0,2}
>>> res = analytic_latency(np.array([[1.0, 2.0, 4.0]]), [law], ComputeTimes(0.5, 0.25))
>>> float(res.total_s)   # 0.5 + 0.25 + (2 + 4) / 2
3.75
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from collections.abc import Sequence
    from .compute import ComputeTimes
    from .sets import SetLaw

__all__ = ["LayerLatency", "analytic_latency", "snapshot_latency"]


@dataclass(frozen=True, eq=False)
class LayerLatency:
    """Expected latency per token and per layer; propagation = bottleneck path delay, compute = t_gw + t_exp."""

    total_s: float
    propagation_s: np.ndarray
    compute_s: np.ndarray
    per_token_s: float = 0.0

    @property
    def layer_s(self) -> np.ndarray:
        return self.propagation_s + self.compute_s


def _result(propagation: ArrayLike, times: ComputeTimes) -> LayerLatency:
    propagation = np.asarray(propagation, dtype=float)
    compute = np.full(len(propagation), times.gateway_s + times.expert_s)
    return LayerLatency(float(propagation.sum() + compute.sum() + times.per_token_s), propagation, compute,
                        times.per_token_s)


def analytic_latency(tau: np.ndarray, laws: Sequence[SetLaw], times: ComputeTimes) -> LayerLatency:
    """The paper formula for expected path latencies ``tau`` (L, E) of the placed experts.

    Parameters
    ----------
    tau : array (L, E)
        Expected path latency of the satellite of each expert.
    laws : sequence of set laws, one per layer
    times : ComputeTimes
    """
    tau = np.asarray(tau, dtype=float)
    return _result([law.expected_max(row) for law, row in zip(laws, tau)], times)


def snapshot_latency(delay_s: np.ndarray, laws: Sequence[SetLaw], times: ComputeTimes) -> LayerLatency:
    """Exact mean latency when every token meets one snapshot: ``delay_s`` is (T, L, E)."""
    delay_s = np.asarray(delay_s, dtype=float)
    return _result([law.expected_max(delay_s[:, l, :]).mean() for l, law in enumerate(laws)], times)
