"""Matplotlib on the headless Agg backend, figures saved atomically as PNG, and the per-layer latency plot.

>>> import tempfile, pathlib
>>> rows = [{"layer": 0, "propagation_s": 0.02, "compute_s": 0.03, "analytic_s": 0.048},
...         {"layer": 1, "propagation_s": 0.01, "compute_s": 0.03, "analytic_s": 0.041}]
>>> png = pathlib.Path(tempfile.mkdtemp()) / "layers.png"
>>> plot_layer_latency(rows, png, title="example")
>>> png.read_bytes()[1:4]  # the PNG signature
b'PNG'
"""

from __future__ import annotations

import io
import os

from .fileio import write_bytes_atomic

__all__ = ["pyplot", "save_figure", "plot_layer_latency"]


def pyplot():
    """``matplotlib.pyplot`` with the non-interactive Agg backend selected."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | os.PathLike, *, dpi: int = 110) -> None:
    """Render ``fig`` to PNG, write it atomically to ``path`` and close the figure."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    pyplot().close(fig)
    write_bytes_atomic(path, buffer.getvalue())


def plot_layer_latency(layers, path: str | os.PathLike, *, title: str) -> None:
    """Bar chart of each layer's seconds per token, propagation and compute stacked, written as PNG to ``path``.

    ``layers``: the per-layer rows of an evaluation (``Evaluation.to_json()["layers"]``, the
    ``spacexnet evaluate --json`` document): ``layer``, ``propagation_s``, ``compute_s`` and,
    drawn as a marker per layer when present, ``analytic_s`` (the paper formula).
    """
    layer = [row["layer"] for row in layers]
    propagation = [row["propagation_s"] for row in layers]
    compute = [row["compute_s"] for row in layers]
    fig, ax = pyplot().subplots(figsize=(max(6.0, 0.22 * len(layer) + 2), 3.8))
    ax.bar(layer, propagation, label="propagation", color="#4c72b0")
    ax.bar(layer, compute, bottom=propagation, label="compute", color="#dd8452")
    if all("analytic_s" in row for row in layers):
        ax.plot(layer, [row["analytic_s"] for row in layers], "k_", markersize=9, label="analytic (paper formula)")
    ax.set(xlabel="MoE layer", ylabel="s per token", title=title,
           xlim=(min(layer, default=0) - 0.6, max(layer, default=0) + 0.6))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize="small", frameon=False)
    save_figure(fig, path)
