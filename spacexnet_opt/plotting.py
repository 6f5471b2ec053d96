"""Matplotlib on the headless Agg backend, and figures saved atomically as PNG."""

from __future__ import annotations

import io
import os

from .fileio import write_bytes_atomic

__all__ = ["pyplot", "save_figure"]


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
