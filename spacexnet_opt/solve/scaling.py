"""Integer scaling for the integer-only OR-Tools solvers, with honest bounds.

Costs are scaled by a power of two ``scale`` and rounded *down*:
``C = floor(scale * c)``, so ``C / scale <= c`` term by term. The optimum of the
integer problem divided by ``scale`` is therefore a valid lower bound of the
true optimum, and the true objective of the integer optimum exceeds that bound by
less than ``(number of terms) / scale``. Integer-valued data (QAPLIB) is kept
exactly (``scale == 1``).

A backend reports OPTIMAL only when the objective recomputed from the
instance is within :data:`OPTIMAL_RTOL` of the rigorous lower bound; otherwise
FEASIBLE with that bound (:func:`optimality_status`).

>>> ints, scale = floor_scale(np.array([0.5, 1.25]), budget=2**10)
>>> ints.tolist(), scale
([256, 640], 512.0)
"""

from __future__ import annotations

import math

import numpy as np

from .result import Status

__all__ = ["OPTIMAL_RTOL", "floor_scale", "lower_bound", "optimality_status"]

OPTIMAL_RTOL = 1e-7
"""Relative precision up to which a scaled-integer optimum is reported OPTIMAL."""


def floor_scale(values: np.ndarray, *, budget: int) -> tuple[np.ndarray, float]:
    """Return ``(floor(scale * values) as int64, scale)`` with ``scale`` a power of two.

    ``scale`` is 1 when ``values`` are integers no larger than ``budget`` in
    magnitude; otherwise the largest power of two keeping ``max|values| * scale``
    at most ``budget``.
    """
    values = np.asarray(values, dtype=float)
    peak = float(np.max(np.abs(values))) if values.size else 0.0
    if peak == 0.0 or (peak <= budget and np.all(values == np.round(values))):
        return values.astype(np.int64), 1.0
    scale = 2.0 ** math.floor(math.log2(budget / peak))
    return np.floor(values * scale).astype(np.int64), scale


def lower_bound(int_bound: float, scale: float, offset: float = 0.0) -> float:
    """``int_bound / scale + offset``, one ulp lower unless exact, so float rounding cannot lift it.

    ``scale`` is a power of two, so the division is exact for integers up to 2**53.
    """
    value = int_bound / scale + offset
    exact = offset == 0.0 and float(int_bound).is_integer() and abs(int_bound) <= 2**53
    return float(value) if exact else float(np.nextafter(value, -np.inf))


def optimality_status(objective: float, bound: float) -> Status:
    """OPTIMAL if ``objective - bound <= OPTIMAL_RTOL * max(|objective|, |bound|)``, else FEASIBLE."""
    return Status.OPTIMAL if objective - bound <= OPTIMAL_RTOL * max(abs(objective), abs(bound)) else Status.FEASIBLE
