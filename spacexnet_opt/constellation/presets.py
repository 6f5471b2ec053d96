"""Published constellation shells as ready-made :class:`WalkerShell` objects.

Sizes, altitudes and inclinations are the published ones. Walker F is not
published for these shells; each preset uses the smallest F whose minimum
distance between any two satellites, sampled at 1,000 instants of one period
(:func:`min_separation_km`), is at least 10 km: no conjunctions, and the
shortest +Grid links among such F (see ``docs/constellations.md``).

``dawn-dusk-550`` is the paper's shell size (33 x 32 at 550 km) on sun-synchronous
planes (inclination from J2, :mod:`.sun`) spread over 30° of RAAN around the
18:00 local time of the ascending node, placed for its epoch (J2000 unless a
timeline re-places it with :meth:`~.sun.SunSynchronousShell.at_epoch`); F = 0
already keeps 14.5 km between satellites.

>>> preset("paper").n_sats
1056
>>> sorted(PRESETS)
['dawn-dusk-550', 'kuiper-630', 'oneweb', 'paper', 'starlink-shell1', 'telesat-polar']
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .sun import SunSynchronousShell
from .walker import WalkerShell

__all__ = ["PRESETS", "preset", "min_separation_km"]

PRESETS: dict[str, WalkerShell] = {
    shell.name: shell
    for shell in [
        WalkerShell("paper", 33, 32, 550.0, 87.0, phasing=0, pattern="star"),
        WalkerShell("starlink-shell1", 72, 22, 550.0, 53.0, phasing=3, pattern="delta"),
        WalkerShell("kuiper-630", 34, 34, 630.0, 51.9, phasing=3, pattern="delta"),
        WalkerShell("oneweb", 12, 49, 1200.0, 87.9, phasing=1, pattern="star"),
        WalkerShell("telesat-polar", 27, 13, 1015.0, 98.98, phasing=3, pattern="star"),
        SunSynchronousShell.dawn_dusk("dawn-dusk-550", 33, 32, 550.0, phasing=0, raan_spread_deg=30.0),
    ]
}


def preset(name: str) -> WalkerShell:
    """The preset shell called ``name``; an unknown name raises InputError listing the valid ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise InputError(f"unknown preset {name!r}; valid: {', '.join(PRESETS)}", field="preset") from None


def min_separation_km(constellation, *, n_times: int = 1000, block: int = 100) -> float:
    """Smallest distance (km) between any two satellites at ``n_times`` instants of one period.

    A sampled upper bound of the true minimum; used to choose the presets' Walker F.

    >>> round(min_separation_km(preset("paper"), n_times=20), 1) > 10
    True
    """
    from scipy.spatial import cKDTree

    times = np.arange(n_times) * (constellation.period_s / n_times)
    best = np.inf
    for start in range(0, n_times, block):
        pos, _ = constellation.positions_velocities(times[start : start + block])
        best = min(best, min(cKDTree(p).query(p, k=2)[0][:, 1].min() for p in pos))
    return float(best) / 1e3
