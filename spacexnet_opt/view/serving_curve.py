"""The view's throughput-latency panel: each deployment's p99 TPOT and TTFT against its tokens/s.

The curves come from a load sweep (``spacexnet sweep`` of a grid with a
workload: ``results.sqlite`` or its directory; one curve per scheme and
combination of the other varying parameters) or from ``spacexnet serve -o``
JSON files (one curve per deployment, a point per ``--rate``), grouped by
:func:`spacexnet_opt.sweep.load.curves`.

>>> run = {"deployment": "D", "rate_per_s": 0.5, "ttft_s": {"mean": 1.0, "p99": 2.0},
...        "tpot_s": {"mean": 0.5, "p99": 0.75}, "throughput": {"tokens_per_s": 9.0}, "slo": {"attainment": 1.0}}
>>> serve_rows({"runs": [run]}, "s.json")
[{'scheme': 'D', 'rate_per_s': 0.5, 'tokens_per_s': 9.0, 'tpot_p99_s': 0.75, 'tpot_mean_s': 0.5, 'ttft_p99_s': 2.0, 'slo_attainment': 1.0}]
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import FileFormatError, InputError
from ..fileio import read_json
from ..sweep.db import DB_NAME, ResultsDB
from ..sweep.load import curves

__all__ = ["serve_rows", "serving_rows", "serving_figure"]


def serve_rows(doc, source: str | os.PathLike) -> list[dict]:
    """The runs of a ``spacexnet serve -o`` document as rows of the results' serving columns."""
    runs = doc.get("runs") if isinstance(doc, dict) else None
    if not isinstance(runs, list) or not runs:
        raise FileFormatError("not a spacexnet serve output (no runs)", field="runs", source=source)
    rows = []
    for i, run in enumerate(runs):
        try:
            rows.append({"scheme": str(run["deployment"]), "rate_per_s": run["rate_per_s"],
                         "tokens_per_s": run["throughput"]["tokens_per_s"], "tpot_p99_s": run["tpot_s"]["p99"],
                         "tpot_mean_s": run["tpot_s"]["mean"], "ttft_p99_s": run["ttft_s"]["p99"],
                         "slo_attainment": (run.get("slo") or {}).get("attainment")})
        except (KeyError, TypeError) as exc:
            raise FileFormatError(f"missing {exc}", field=f"runs[{i}]", source=source) from None
    return rows


def serving_rows(path: str | os.PathLike) -> list[dict]:
    """The serving rows of ``path``: a ``spacexnet serve`` JSON, or a sweep's results database (or directory).

    Raises
    ------
    InputError
        Neither, or a results database with no serving metrics (a sweep without a workload).
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        return serve_rows(read_json(path), path)
    database = path / DB_NAME if path.is_dir() else path
    db = ResultsDB(database, readonly=True)
    try:
        rows = [r for r in db.rows("WHERE error IS NULL") if r.get("tokens_per_s") is not None]
    finally:
        db.close()
    if not rows:
        raise InputError("no serving metrics (a sweep whose grid names no workload)", field="tokens_per_s",
                         source=database)
    return rows


def serving_figure(paths: list):
    """The plotly figure of the curves of every path of ``paths`` (:func:`serving_rows`): p99 TPOT (left)
    and p99 TTFT (right) against tokens/s; hovering a point shows its offered rate."""
    from plotly.colors import qualitative
    from plotly.subplots import make_subplots

    found = curves([row for path in paths for row in serving_rows(path)])
    fig = make_subplots(rows=1, cols=2, subplot_titles=("p99 TPOT against throughput", "p99 TTFT against throughput"))
    for i, curve in enumerate(found):
        colour = qualitative.Plotly[i % len(qualitative.Plotly)]
        for col, ys in ((1, curve.tpot_p99_s), (2, curve.ttft_p99_s)):
            fig.add_scatter(name=curve.label, legendgroup=curve.label, showlegend=col == 1, x=curve.tokens_per_s,
                            y=ys, customdata=curve.rate_per_s, mode="lines+markers", row=1, col=col,
                            marker={"color": colour}, line={"color": colour},
                            hovertemplate="%{x:.4g} tokens/s, %{y:.4g} s<br>offered %{customdata:.4g} requests/s")
    for col, what in ((1, "s per output token"), (2, "s to first token")):
        fig.update_xaxes(title_text="throughput [output tokens/s]", row=1, col=col)
        fig.update_yaxes(title_text=what, row=1, col=col)
    names = ", ".join(Path(p).name for p in paths)
    fig.update_layout(height=380, title=f"{names}: throughput-latency curves ({len(found)})")
    return fig
