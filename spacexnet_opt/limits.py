"""Value ranges every stored number and id obeys, whichever file or parameter it comes from.

The file formats (:mod:`spacexnet_opt.formats.schema`) enforce them on every
reader; the engines that take numbers directly (ISL settings, QAPLIB files,
compute speeds) check the same ranges.

>>> MAX_ID, MAX_MAGNITUDE * MAX_MAGNITUDE < float("inf")
(2147483647, True)
"""

from __future__ import annotations

__all__ = ["MAX_ID", "MAX_MAGNITUDE", "MIN_POSITIVE", "SHARE_TOLERANCE"]

MAX_ID = 2**31 - 1
"""Largest satellite or expert id any file may hold (ids index numpy arrays)."""

MAX_MAGNITUDE = 1e100
"""Largest magnitude of a stored real value: sums and products of such values stay finite."""

SHARE_TOLERANCE = 1e-6
"""How far shares (of satellites, of a compute group's work) may sum from 1 before they are refused; they are
never rescaled silently."""

MIN_POSITIVE = 1e-100
"""Smallest positive stored value (speeds, sizes): ratios of stored values stay finite too."""
