"""One self-contained HTML page: map and globe, the per-layer latency bars and, given results, the schemes' s/token.

plotly.js is inlined, so the page opens offline and makes no network request.
``results`` may be a ``reproduce`` output (``table2.json``: each scheme's mean
with its 95 % interval and p99, and its per-token s/token CDF) or a ``sweep`` output (``results.sqlite`` or
its directory: the distribution (CDF) of each scheme's s/token over the grid's
points).
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..fileio import read_json, write_text_atomic
from ..evaluate import evaluate_deployments
from ..sweep.db import DB_NAME, ResultsDB

__all__ = ["write_view", "layer_figure", "results_figure"]


def layer_figure(world, deployment):
    """Per-layer expected latency of ``deployment`` (snapshot expectation): propagation and compute stacked.

    ``deployment``: an :class:`~spacexnet_opt.evaluate.Deployment` (with any replicas and compute groups).
    """
    import plotly.graph_objects as go


    latency = evaluate_deployments(world, [deployment], tokens=0)[0].snapshot
    layers = list(range(len(latency.propagation_s)))
    fig = go.Figure([go.Bar(name="propagation", x=layers, y=latency.propagation_s),
                     go.Bar(name="compute", x=layers, y=latency.compute_s)])
    fig.update_layout(barmode="stack", height=360, xaxis_title="MoE layer", yaxis_title="s per token",
                      title=f"{deployment.name or 'placement'}: {latency.total_s:.3f} s/token expected, per layer")
    return fig


def _sweep_rows(path: Path) -> list[tuple[str, float]]:
    """``(scheme, s/token)`` of every successful row of a sweep's results database (or its directory)."""

    db = ResultsDB(path / DB_NAME if path.is_dir() else path, readonly=True)
    try:
        return [(r["scheme"], r["mean_s_per_token"]) for r in db.rows("WHERE error IS NULL")]
    finally:
        db.close()


def _table_figure(path: Path):
    """A reproduce output: mean, 95 % interval and p99 per scheme, and beside it each scheme's per-token CDF."""
    from plotly.subplots import make_subplots

    schemes = read_json(path).get("schemes")
    if not isinstance(schemes, dict):
        raise InputError("not a reproduce output (no schemes table)", field="schemes", source=path)
    names = list(schemes)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("mean (95 % interval) and p99", "per-token CDF"))
    mean = np.array([schemes[n]["mean_s_per_token"] for n in names])
    ci = np.array([schemes[n].get("ci95_s") or [m, m] for n, m in zip(names, mean)])
    fig.add_bar(name="mean", x=names, y=mean, row=1, col=1,
                error_y={"type": "data", "symmetric": False, "array": ci[:, 1] - mean, "arrayminus": mean - ci[:, 0]})
    fig.add_scatter(name="p99", x=names, y=[schemes[n].get("p99_s_per_token") for n in names], mode="markers",
                    marker={"symbol": "line-ew-open", "size": 26, "color": "black"}, row=1, col=1)
    for name in names:
        cdf = schemes[name].get("cdf")
        if isinstance(cdf, dict):
            fig.add_scatter(name=name, x=cdf.get("s_per_token"), y=cdf.get("fraction"), mode="lines", row=1, col=2)
    fig.update_yaxes(title_text="s per token", row=1, col=1)
    fig.update_xaxes(title_text="s per token", row=1, col=2)
    fig.update_yaxes(title_text="fraction of tokens", row=1, col=2)
    fig.update_layout(title=f"{path.name}: s/token per scheme")
    return fig


def results_figure(path: str | os.PathLike):
    """The schemes of a reproduce (``table2.json``: means and per-token CDFs) or sweep (``results.sqlite``) output."""
    import plotly.graph_objects as go

    path = Path(path)
    if path.suffix == ".json":
        fig = _table_figure(path)
    else:
        rows = _sweep_rows(path)
        fig = go.Figure()
        for scheme in dict.fromkeys(s for s, _ in rows):
            values = np.sort([v for s, v in rows if s == scheme])
            fig.add_scatter(name=scheme, x=values, y=np.arange(1, len(values) + 1) / len(values), line_shape="hv")
        fig.update_layout(title=f"{path.name}: distribution of s/token over the sweep's points (CDF)",
                          xaxis_title="s per token", yaxis_title="fraction of points")
    fig.update_layout(height=360)
    return fig


def write_view(path: str | os.PathLike, figures: list, *, title: str) -> int:
    """Write ``figures`` into one self-contained HTML file (plotly.js inlined); returns its size in bytes.

    An entry of ``figures`` may be a tuple of figures, drawn side by side (the
    first at 62 % of the width); the first one's slider then also moves the
    others to its frame (:func:`~.figure.globe_figure` beside
    :func:`~.figure.map_figure`). The figures' divs are ``view-0``, ``view-1``
    ... in order.
    """
    rows, parts, links, n = [f if isinstance(f, tuple) else (f,) for f in figures], [], [], 0
    for row in rows:
        ids = [f"view-{n + i}" for i in range(len(row))]
        cells = [fig.to_html(full_html=False, include_plotlyjs=n + i == 0, div_id=div, auto_play=False,
                             config={"displaylogo": False, "responsive": True})
                 for i, (fig, div) in enumerate(zip(row, ids))]
        if len(row) == 1:
            parts.append(cells[0])
        else:
            widths = ["flex: 0 0 62%"] + ["flex: 1 1 0"] * (len(row) - 1)
            parts.append("<div style=\"display: flex\">" + "".join(
                f"<div style=\"{w}; min-width: 0\">{cell}</div>" for w, cell in zip(widths, cells)) + "</div>")
            links.append(ids)
        n += len(row)
    title = html.escape(title)
    page = (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n"
            f"<body style=\"font-family: sans-serif; margin: 12px\">\n<h2>{title}</h2>\n"
            + "\n".join(parts) + f"\n<script>window.spacexnetView = {json.dumps({'figures': n})};\n"
            + _FOLLOW_SLIDER.replace("LINKS", json.dumps(links)) + "</script>\n</body></html>\n")
    write_text_atomic(path, page)
    return len(page.encode("utf-8"))


_FOLLOW_SLIDER = """for (const [lead, ...others] of LINKS) {
  document.getElementById(lead).on("plotly_sliderchange", (event) => others.forEach((id) => Plotly.animate(
    id, [event.step.args[0][0]], {mode: "immediate", frame: {duration: 0, redraw: true}, transition: {duration: 0}})));
}
"""
