"""Constellation engine: Walker and TLE shells, +Grid ISL snapshots, shortest-path delays.

>>> from spacexnet_opt.constellation import preset, build_snapshots, expected_delays
>>> snaps = build_snapshots(preset("paper"), n_snapshots=4, seed=0)
>>> expected_delays(snaps, [0, 100]).mean_s.shape
(2, 1056)
"""

from .isl import IslConfig, IslSnapshots, build_snapshots, plus_grid_edges
from .presets import PRESETS, min_separation_km, preset
from .route_table import RouteTable
from .routing import (DISCONNECTION_RULE, ExpectedDelays, connected_expectation, connected_mean, expected_delays,
                      iter_shortest_delays, shortest_delays)
from .tle import TleReport, TleShell, TleShellSummary, find_shells, load_tle_shell, read_tle_file
from .walker import WalkerShell

Shell = WalkerShell | TleShell
"""A constellation shell: a Walker shell or one selected from a TLE file."""

__all__ = [
    "WalkerShell",
    "PRESETS",
    "preset",
    "min_separation_km",
    "TleShell",
    "TleReport",
    "load_tle_shell",
    "find_shells",
    "TleShellSummary",
    "read_tle_file",
    "IslConfig",
    "IslSnapshots",
    "build_snapshots",
    "plus_grid_edges",
    "shortest_delays",
    "iter_shortest_delays",
    "expected_delays",
    "ExpectedDelays",
    "DISCONNECTION_RULE",
    "connected_mean",
    "connected_expectation",
    "RouteTable",
    "Shell",
]
