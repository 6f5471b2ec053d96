"""Export one snapshot's topology for other tools: Hypatia text files and networkx JSON.

Hypatia (satgenpy) formats:

- ``tles.txt``: first line ``P S``; then per satellite in id order a line
  ``<name> <id>`` and the two TLE lines.
- ``isls.txt``: one line ``a b`` (``a < b``) per inter-satellite link.

For a Walker shell the TLEs are generated from the circular orbits (epoch
2000-01-01, eccentricity 1e-7, argument of perigee 0, mean anomaly = argument
of latitude at t = 0); for a TLE shell the original element lines are written.
``isls.txt`` lists the links *up* in the chosen snapshot.

All files are written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..fileio import write_json_atomic, write_text_atomic
from .tle import TleShell, tle_checksum

__all__ = ["hypatia_tles", "hypatia_isls", "snapshot_graph", "export_snapshot"]


def _with_checksum(line: str) -> str:
    return line + str(tle_checksum(line))


def hypatia_tles(constellation) -> str:
    """Text of Hypatia's ``tles.txt`` for a Walker or TLE shell."""
    out = [f"{constellation.n_planes} {constellation.sats_per_plane}"]
    label = "".join(c if c.isalnum() or c in "-_" else "-" for c in constellation.name)
    if isinstance(constellation, TleShell):
        for sat_id, rec in enumerate(constellation.records):
            out += [f"{rec.name.replace(' ', '-')} {sat_id}", rec.line1, rec.line2]
        return "\n".join(out) + "\n"
    raan = np.degrees(np.repeat(constellation.raan_rad(), constellation.sats_per_plane))
    anomaly = np.degrees(constellation.initial_arg_latitude_rad()) % 360.0
    revs_per_day = 86400.0 / constellation.period_s
    for sat_id in range(constellation.n_sats):
        number = (sat_id + 1) % 100000
        line1 = f"1 {number:05d}U 00000ABC 00001.00000000  .00000000  00000-0  00000+0 0    0"
        line2 = (
            f"2 {number:05d} {constellation.inclination_deg:8.4f} {raan[sat_id]:8.4f} 0000001 "
            f"{0.0:8.4f} {anomaly[sat_id]:8.4f} {revs_per_day:11.8f}    0"
        )
        out += [f"{label} {sat_id}", _with_checksum(line1), _with_checksum(line2)]
    return "\n".join(out) + "\n"


def hypatia_isls(snapshots, t: int) -> str:
    """Text of Hypatia's ``isls.txt``: the links up in snapshot ``t``."""
    up = snapshots.edges[np.isfinite(snapshots.delay_s[t])]
    return "".join(f"{a} {b}\n" for a, b in up)


def snapshot_graph(constellation, snapshots, t: int):
    """networkx Graph of snapshot ``t``: nodes carry plane, slot and position (m), edges the delay (s)."""
    import networkx as nx

    pos, _ = constellation.positions_velocities([snapshots.times_s[t]])
    plane, slot = constellation.plane_slot(np.arange(constellation.n_sats))
    graph = nx.Graph(name=constellation.name, snapshot=int(t), time_s=float(snapshots.times_s[t]))
    graph.add_nodes_from(
        (i, {"plane": int(p), "slot": int(s), "position_m": [float(x) for x in pos[0, i]]})
        for i, (p, s) in enumerate(zip(plane, slot))
    )
    delay = snapshots.delay_s[t]
    up = np.flatnonzero(np.isfinite(delay))
    graph.add_edges_from((int(snapshots.edges[k, 0]), int(snapshots.edges[k, 1]), {"delay_s": float(delay[k])}) for k in up)
    return graph


def export_snapshot(constellation, snapshots, t: int, out_dir) -> dict[str, Path]:
    """Write ``tles.txt``, ``isls.txt`` and ``graph.json`` (networkx node-link) for snapshot ``t``.

    Returns the paths written, by kind.

    >>> import tempfile
    >>> from spacexnet_opt.constellation import WalkerShell, build_snapshots
    >>> shell = WalkerShell("toy", 3, 4, 550.0, 87.0, pattern="star")
    >>> paths = export_snapshot(shell, build_snapshots(shell, n_snapshots=2), 0, tempfile.mkdtemp())
    >>> sorted(paths)
    ['graph', 'isls', 'tles']
    """
    import networkx as nx

    snapshots.graph(t)  # validates t
    out = Path(out_dir)
    paths = {"tles": out / "tles.txt", "isls": out / "isls.txt", "graph": out / "graph.json"}
    write_text_atomic(paths["tles"], hypatia_tles(constellation))
    write_text_atomic(paths["isls"], hypatia_isls(snapshots, t))
    data = nx.node_link_data(snapshot_graph(constellation, snapshots, t), edges="links")
    write_json_atomic(paths["graph"], data)
    return paths

