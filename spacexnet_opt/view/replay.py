"""Replay a played timeline on one offline page: s/token (and tokens/s) per policy, then a map per policy.

The first chart draws every policy's seconds per token, serving tokens/s
(when a workload was given), share of tokens affected and lowest battery over
time, the events as dotted lines. Then, per policy, the flat map of
:func:`~.figure.map_layout` with a slider over the samples: satellites coloured
by battery state of charge (squares in shadow, circles in sunlight), failed
satellites as red crosses, expert hosts and gateways, and the migrations since
the previous sample as magenta lines from the old host to the new one (moved
hosts ringed). Positions are the satellites' at the sample's time.

>>> moved_pairs(np.array([[1, 2], [3, 4]]), np.array([[1, 7], [3, 4]])).tolist()
[[2, 7]]
"""

from __future__ import annotations

import os

import numpy as np

from .figure import STATIC, earth, earth_styles, map_layout, segments
from .page import write_view
from .scene import lonlat

__all__ = ["write_replay", "replay_chart", "replay_map", "moved_pairs", "MAP_TRACES"]

MAP_TRACES = ("land", "coastlines", "satellites", "failed", "expert hosts", "migrations", "moved hosts", "gateways")
"""The replay map's traces, in drawing order (later above)."""


def moved_pairs(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(M, 2) ``(old, new)`` satellites of every expert copy or gateway whose satellite changed."""
    changed = before != after
    return np.stack([before[changed], after[changed]], axis=1)


def _plan_points(plan) -> np.ndarray:
    """The gateways (L,), then the experts' primary hosts (L * E), of a deployment: two deployments' arrays pair
    up entry by entry."""
    return np.concatenate([plan.gateways, plan.hosts[:, :, 0].ravel()])


def replay_chart(result):
    """Per policy over time: s/token, tokens/s (with a workload), share of tokens affected, lowest battery."""
    from plotly.subplots import make_subplots

    rates = any(t.tokens_per_s for t in result.policies.values())
    rows = ["s per token"] + (["tokens/s served"] if rates else []) + ["tokens affected", "lowest state of charge"]
    fig = make_subplots(rows=len(rows), cols=1, shared_xaxes=True, vertical_spacing=0.04)
    hours = result.sample_h.tolist()
    power_h = (np.arange(len(result.shadow) + 1) * result.step_s / 3600).tolist()
    for k, (name, trace) in enumerate(result.policies.items()):
        colour = f"hsl({(k * 97) % 360}, 70%, 45%)"
        series = [(hours, trace.s_per_token)] + ([(hours, trace.tokens_per_s)] if rates else []) + [
            (hours, trace.affected), (power_h, trace.power["soc_min_over_satellites"])]
        for row, (x, y) in enumerate(series, start=1):
            fig.add_scatter(x=x, y=y, name=name, legendgroup=name, showlegend=row == 1, line_shape="hv",
                            line={"color": colour}, row=row, col=1)
    for event in result.events:
        fig.add_vline(x=event.time_h, line={"dash": "dot", "color": "grey", "width": 1})
    for row, title in enumerate(rows, start=1):
        fig.update_yaxes(title_text=title, row=row, col=1)
    fig.update_xaxes(title_text="hours", row=len(rows), col=1)
    fig.update_layout(height=220 * len(rows), title="per policy over time (events dotted)")
    return fig


def _frame(result, name: str, f: int, ll: np.ndarray) -> dict:
    """Positions, colours and symbols of the moving traces of policy ``name`` at sample ``f``."""
    trace = result.policies[name]
    plan = trace.states[f]
    previous = trace.states[max(f - 1, 0)]
    shadow = result.shadow[result.sample_steps()[f]]
    failed = np.asarray(trace.failed[f], dtype=np.int64)
    pairs = moved_pairs(_plan_points(previous), _plan_points(plan))
    hosts = plan.hosts[plan.hosts >= 0]

    def points(ids):
        return {"x": ll[ids, 0].tolist(), "y": ll[ids, 1].tolist()}

    lon, lat = segments(ll, pairs)
    return {
        "satellites": {**points(slice(None)), "marker": {"color": trace.soc[f].round(3).tolist(),
                                                         "symbol": np.where(shadow, "square", "circle").tolist()}},
        "failed": points(failed), "expert hosts": points(hosts), "migrations": {"x": lon, "y": lat},
        "moved hosts": points(pairs[:, 1]), "gateways": points(plan.gateways)}


def _styles(soc_floor: float) -> dict[str, dict]:
    return {
        **earth_styles(),
        "satellites": {"mode": "markers", "hoverinfo": "skip",
                       "marker": {"size": 5, "colorscale": "RdYlGn", "cmin": soc_floor, "cmax": 1.0,
                                  "colorbar": {"title": "charge", "len": 0.6}}},
        "failed": {"mode": "markers", "marker": {"size": 11, "symbol": "x", "color": "red"}},
        "expert hosts": {"mode": "markers", "marker": {"size": 7, "color": "rgba(255,200,40,0.85)",
                                                       "line": {"color": "black", "width": 0.5}}},
        "migrations": {"mode": "lines", "line": {"color": "#ff2bd6", "width": 2.5}, "hoverinfo": "skip"},
        "moved hosts": {"mode": "markers", "marker": {"size": 14, "symbol": "circle-open", "color": "#ff2bd6",
                                                      "line": {"width": 2}}},
        "gateways": {"mode": "markers", "marker": {"size": 11, "symbol": "diamond", "color": "white",
                                                   "line": {"color": "black", "width": 1}}},
    }


def _caption(result, name: str, f: int) -> str:
    trace = result.policies[name]
    t = float(result.sample_h[f])
    moved = sum(m["gb_moved"] for m in trace.moves if result.sample_h[max(f - 1, 0)] < m["time_h"] <= t)
    rate = f", {trace.tokens_per_s[f]:.4g} tokens/s" if trace.tokens_per_s else ""
    return (f"{name}, {t:g} h: {trace.s_per_token[f]:.4f} s/token{rate}, {100 * trace.affected[f]:.2f} % of tokens "
            f"affected, {len(trace.failed[f])} failed, {moved:.3g} GB moved since the last sample")


def replay_map(result, name: str):
    """The map of policy ``name`` with one frame per sample and a slider (traces :data:`MAP_TRACES`)."""
    import plotly.graph_objects as go

    trace = result.policies[name]
    times = result.sample_h * 3600
    positions, _ = result.shell.positions_velocities(times)
    ll = lonlat(positions, times)
    styles, still = _styles(trace.power["soc_floor"]), earth()
    moving = [i for i, n in enumerate(MAP_TRACES) if n not in STATIC]
    first = _frame(result, name, 0, ll[0])
    data = [go.Scatter(name=n, x=still[n][0], y=still[n][1], **styles[n]) if n in STATIC
            else go.Scatter(name=n, **_merge(styles[n], first[n])) for n in MAP_TRACES]
    frames = []
    for f in range(len(times)):
        now = _frame(result, name, f, ll[f])
        frames.append(go.Frame(name=str(f), traces=moving, layout={"title": {"text": _caption(result, name, f)}},
                               data=[go.Scatter(name=MAP_TRACES[i], **now[MAP_TRACES[i]]) for i in moving]))
    fig = go.Figure(data, frames=frames)
    steps = [{"label": f"{t:g} h", "method": "animate",
              "args": [[str(f)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                  "transition": {"duration": 0}}]} for f, t in enumerate(result.sample_h)]
    fig.update_layout(**map_layout(_caption(result, name, 0)),
                      sliders=[{"active": 0, "steps": steps, "currentvalue": {"prefix": "time: "}, "pad": {"t": 30}}])
    return fig


def _merge(style: dict, data: dict) -> dict:
    """``style`` with ``data`` on top; their ``marker`` dicts merged."""
    return {**style, **data, "marker": {**style.get("marker", {}), **data.get("marker", {})}}


def write_replay(path: str | os.PathLike, scenario: str | os.PathLike, result) -> int:
    """Write the replay page of a played timeline (:func:`~spacexnet_opt.timeline.play.play_timeline`) of
    ``scenario``; returns its size in bytes."""
    figures = [replay_chart(result)] + [replay_map(result, name) for name in result.policies]
    return write_view(path, figures, title=f"timeline of {os.path.basename(str(scenario))}")
