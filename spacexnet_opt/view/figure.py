"""Plotly figures of a :class:`~.scene.Scene`: the constellation map with a snapshot slider.

The map is an equirectangular Earth (longitude, latitude) drawn with SVG
scatter traces, so it renders without WebGL and without any map tiles or
coastline files from the network. Trace order (the browser test relies on
it): ISLs up, ISLs down, satellites, gateways, expert hosts (first copies),
replicas (further copies), token path, compute groups (rings on the members
of each layer's group, empty without groups).
"""

from __future__ import annotations

import numpy as np

__all__ = ["map_figure", "TRACE_NAMES"]

TRACE_NAMES = ("ISL up", "ISL down", "satellites", "gateways", "expert hosts", "replicas", "token path",
               "compute groups")
OCEAN, LAND_GRID = "#0d2b45", "#2c4f6e"
UP_LINKS_MAX_SATS = 5000


def _segments(lonlat: np.ndarray, pairs: np.ndarray) -> tuple[list, list]:
    """x, y of line segments between satellite pairs, None-separated; segments across the date line dropped."""
    if len(pairs) == 0:
        return [], []
    a, b = lonlat[pairs[:, 0]], lonlat[pairs[:, 1]]
    keep = np.abs(a[:, 0] - b[:, 0]) < 180.0
    a, b = a[keep], b[keep]
    gap = np.full((len(a), 1), np.nan)
    x = np.hstack([a[:, :1], b[:, :1], gap]).ravel()
    y = np.hstack([a[:, 1:], b[:, 1:], gap]).ravel()
    return [None if np.isnan(v) else float(v) for v in x], [None if np.isnan(v) else float(v) for v in y]


def _path_pairs(legs: list) -> np.ndarray:
    pairs = [(u, v) for leg in legs for u, v in zip(leg[:-1], leg[1:])]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _frame_data(scene, f: int, up_links: bool) -> list[dict]:
    """x/y of every trace at frame ``f`` (same order as :data:`TRACE_NAMES`); no up links unless ``up_links``."""
    ll = scene.lonlat[f]
    up = scene.up[f]
    replicas = scene.hosts[:, :, 1:]
    out = []
    for pairs in (scene.edges[up] if up_links else scene.edges[:0], scene.edges[~up], None):
        x, y = _segments(ll, pairs) if pairs is not None else (ll[:, 0].tolist(), ll[:, 1].tolist())
        out.append({"x": x, "y": y})
    for ids in (scene.gateways, scene.hosts[:, :, 0].ravel(), replicas[replicas >= 0]):
        out.append({"x": ll[ids, 0].tolist(), "y": ll[ids, 1].tolist()})
    x, y = _segments(ll, _path_pairs(scene.paths[f]))
    out.append({"x": x, "y": y})
    members = np.concatenate([m for m, _ in scene.groups]) if scene.groups else np.zeros(0, dtype=np.int64)
    out.append({"x": ll[members, 0].tolist(), "y": ll[members, 1].tolist()})
    return out


def _static_traces(scene) -> list[dict]:
    """Everything but positions: styles, colours, sizes and hover text."""
    n_layers, n_experts, _ = scene.hosts.shape
    p = scene.activation.ravel()
    size = 5 + 20 * p / max(float(p.max()), 1e-12)
    band_text = [f"sat {s}; subnet {b} (layers {', '.join(map(str, scene.band_layers[b]))})" if b >= 0
                 else f"sat {s}; no subnet" for s, b in enumerate(scene.band)]
    layer_of, expert_of = np.divmod(np.arange(n_layers * n_experts), n_experts)
    expert_text = [f"layer {l} expert {e}: sat {s}, p = {q:.3f}"
                   for l, e, s, q in zip(layer_of, expert_of, scene.hosts[:, :, 0].ravel(), p)]
    extra = np.argwhere(scene.hosts[:, :, 1:] >= 0)
    replica_text = [f"layer {l} expert {e}: copy {c + 2} on sat {scene.hosts[l, e, c + 1]}" for l, e, c in extra]
    return [
        {"mode": "lines", "line": {"color": "rgba(170,200,230,0.35)", "width": 0.6}, "hoverinfo": "skip"},
        {"mode": "lines", "line": {"color": "rgba(255,90,90,0.6)", "width": 0.8, "dash": "dot"}, "hoverinfo": "skip"},
        {"mode": "markers", "text": band_text, "hoverinfo": "text",
         "marker": {"size": 4, "color": scene.band.tolist(), "colorscale": "Turbo", "cmin": 0,
                    "cmax": max(len(scene.band_layers) - 1, 1),
                    "colorbar": {"title": {"text": "subnet"}, "thickness": 12}}},
        {"mode": "markers", "text": [f"gateway of layer {l}: sat {g}" for l, g in enumerate(scene.gateways)],
         "hoverinfo": "text", "marker": {"size": 11, "symbol": "diamond", "color": "white",
                                         "line": {"color": "black", "width": 1}}},
        {"mode": "markers", "text": expert_text, "hoverinfo": "text",
         "marker": {"size": size.round(1).tolist(), "color": "rgba(255,200,40,0.85)",
                    "line": {"color": "black", "width": 0.5}}},
        {"mode": "markers", "text": replica_text, "hoverinfo": "text", "showlegend": bool(replica_text),
         "marker": {"size": 9, "symbol": "circle-open", "color": "rgba(255,200,40,1)", "line": {"width": 2}}},
        {"mode": "lines", "line": {"color": "#ff2bd6", "width": 3}, "hoverinfo": "skip"},
        _group_style(scene),
    ]


def _group_style(scene) -> dict:
    """Rings on compute-group members, coloured by layer (the legend entry only when there are groups)."""
    layers = [l for l, (m, _) in enumerate(scene.groups) for _ in m]
    text = [f"layer {l} compute group: sat {s}, share {w:.2f}"
            for l, (m, shares) in enumerate(scene.groups) for s, w in zip(m, shares)]
    return {"mode": "markers", "text": text, "hoverinfo": "text", "showlegend": bool(text),
            "marker": {"size": 14, "symbol": "circle-open", "color": layers, "colorscale": "Turbo",
                       "cmin": 0, "cmax": max(len(scene.gateways) - 1, 1), "line": {"width": 1.5}}}


def _slider(scene) -> dict:
    steps = [{"label": f"{t:.0f} s", "method": "animate",
              "args": [[str(f)], {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                                  "transition": {"duration": 0}}]}
             for f, t in enumerate(scene.times_s)]
    return {"active": 0, "steps": steps, "currentvalue": {"prefix": "snapshot time: "}, "pad": {"t": 30}}


def map_figure(scene, *, up_links: bool | None = None):
    """The constellation map of ``scene`` with one animation frame per snapshot and a slider.

    ``up_links``: draw the usable ISLs (default: for shells up to
    :data:`UP_LINKS_MAX_SATS` satellites; beyond, they are a blur that would
    make the file several times larger, and only the links down are drawn).
    """
    up_links = scene.n_sats <= UP_LINKS_MAX_SATS if up_links is None else up_links
    import plotly.graph_objects as go

    first = _frame_data(scene, 0, up_links)
    traces = [go.Scatter(name=name, **style, **xy)
              for name, style, xy in zip(TRACE_NAMES, _static_traces(scene), first)]
    frames = [go.Frame(name=str(f), data=[go.Scatter(**xy) for xy in _frame_data(scene, f, up_links)],
                       traces=list(range(len(TRACE_NAMES)))) for f in range(len(scene.frames))]
    fig = go.Figure(data=traces, frames=frames)
    axis = {"showgrid": True, "gridcolor": LAND_GRID, "zeroline": False, "dtick": 30}
    fig.update_layout(
        title={"text": f"{scene.name}: {scene.n_sats} satellites, {len(scene.gateways)} layers; token path in magenta",
               "y": 0.985},
        plot_bgcolor=OCEAN, paper_bgcolor="white", height=640, margin={"l": 50, "r": 20, "t": 90, "b": 40},
        xaxis={**axis, "range": [-180, 180], "title": "longitude (°)"},
        yaxis={**axis, "range": [-90, 90], "title": "latitude (°)", "scaleanchor": "x"},
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.7)"},
        sliders=[_slider(scene)])
    return fig
