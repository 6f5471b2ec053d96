"""Golden regression files: the paper's Table II and the quick Fig. 7 sweep, rounded as pinned.

``tests/test_golden.py`` runs the two commands below in-process and compares
their output with the files beside this script:

- ``table2-paper.json``: every scheme row of ``spacexnet reproduce paper``
  (``instances/paper.toml``, default schemes, seeds and tokens), each number
  rounded to the digits the printed table shows (:data:`DECIMALS`; the paper's
  range to 2), the exact snapshot mean too, the in-sample figure of the rows with
  compute groups, and the integer counts and resources as they are;
- ``fig7-quick.csv``: every row of ``spacexnet sweep instances/fig7-quick.toml``
  (``--workers 0``), ordered by the point parameters, then the scheme; the
  metrics to :data:`SIGNIFICANT` significant digits.

Rewrite them only on purpose, and say in the commit why the numbers moved::

    python tests/golden/regenerate.py

>>> printed(2.2864985548595205), significant(0.949807692307692), significant(1056), significant(None)
('2.286', '0.949808', '1056', '')
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import sys
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TABLE2_GOLDEN = HERE / "table2-paper.json"
SWEEP_GOLDEN = HERE / "fig7-quick.csv"
SWEEP_GRID = REPO / "instances" / "fig7-quick.toml"
TABLE2_ARGS = ("reproduce", "paper")
SWEEP_ARGS = ("sweep", str(SWEEP_GRID), "--workers", "0")
DECIMALS = 3
"""Decimals of the numbers in the Table II printout (``spacexnet reproduce``)."""
SIGNIFICANT = 6
"""Significant digits of the pinned sweep metrics."""
# table2.json fields of a scheme row pinned to DECIMALS: the printed columns and the exact snapshot mean
TABLE2_NUMBERS = ("mean_s_per_token", "std_s", "p99_s_per_token", "analytic_s_per_token",
                  "snapshot_exact_s_per_token", "propagation_s_per_token", "compute_s_per_token")

__all__ = ["TABLE2_GOLDEN", "SWEEP_GOLDEN", "current_table2", "current_sweep", "read_table2", "read_sweep",
           "differences", "printed", "significant"]


def printed(x: float, decimals: int = DECIMALS) -> str:
    """``x`` as the Table II printout shows it: ``decimals`` digits after the point."""
    return f"{x:.{decimals}f}"


def significant(x) -> str:
    """A database value as pinned: a float to :data:`SIGNIFICANT` significant digits, NULL as empty."""
    if x is None:
        return ""
    return f"{x:.{SIGNIFICANT}g}" if isinstance(x, float) else str(x)


def _invoke(args: Sequence[str], out: Path) -> None:
    """``spacexnet ARGS --out OUT`` in this process; a failure raises with the command's output."""
    from typer.testing import CliRunner

    from spacexnet_opt.cli.app import app

    result = CliRunner().invoke(app, [*args, "--out", str(out)], catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"spacexnet {' '.join(args)} exited {result.exit_code}:\n{result.output}")


def table2_rows(doc: dict) -> list[dict[str, str]]:
    """The pinned form of a ``table2.json`` document: one row per scheme, in its order."""
    rows = []
    for scheme, row in doc["schemes"].items():
        low, high = row["ci95_s"]
        paper, fitted = row.get("paper_s_per_token"), row.get("in_sample_s_per_token")
        rows.append({"scheme": scheme, **{name: printed(row[name]) for name in TABLE2_NUMBERS},
                     "ci95_low_s": printed(low), "ci95_high_s": printed(high),
                     "paper_s_per_token": "-".join(printed(p, 2) for p in paper) if paper else "-",
                     "in_sample_s_per_token": "-" if fitted is None else printed(fitted),
                     "resources": ", ".join(f"{k} {v}" for k, v in row.get("resources", {}).items()),
                     "placements": str(row["placements"]), "tokens": str(row["tokens"])})
    return rows


def sweep_rows(database: Path, params: Sequence[str]) -> list[dict[str, str]]:
    """The pinned form of a sweep's ``results.sqlite``: ordered by ``params``, then the scheme."""
    from spacexnet_opt.sweep.db import METRICS

    names = [*params, "scheme", *METRICS]
    quoted = [f'"{name}"' for name in names]
    order = ", ".join(quoted[:len(params) + 1])
    with closing(sqlite3.connect(database)) as conn:
        rows = conn.execute(f"SELECT {', '.join(quoted)} FROM results ORDER BY {order}").fetchall()
    return [{name: significant(value) for name, value in zip(names, row)} for row in rows]


def current_table2(out: Path) -> list[dict[str, str]]:
    """Run ``spacexnet reproduce paper --out OUT`` and return its pinned rows."""
    _invoke(TABLE2_ARGS, out)
    return table2_rows(json.loads((out / "table2.json").read_text()))


def current_sweep(out: Path) -> list[dict[str, str]]:
    """Run ``spacexnet sweep instances/fig7-quick.toml --workers 0 --out OUT`` and return its pinned rows."""
    from spacexnet_opt.sweep import load_grid

    _invoke(SWEEP_ARGS, out)
    return sweep_rows(out / "results.sqlite", load_grid(SWEEP_GRID).columns())


def read_table2(path: Path = TABLE2_GOLDEN) -> list[dict[str, str]]:
    """The pinned Table II rows stored at ``path``."""
    return json.loads(path.read_text())["rows"]


def read_sweep(path: Path = SWEEP_GOLDEN) -> list[dict[str, str]]:
    """The pinned sweep rows stored at ``path``."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def differences(golden: list[dict[str, str]], got: list[dict[str, str]], *, key: Sequence[str]) -> list[str]:
    """One readable line per difference between two lists of pinned rows, rows matched on ``key``.

    >>> for line in differences([{"scheme": "A", "x": "1.000"}, {"scheme": "B", "x": "2"}],
    ...                         [{"scheme": "A", "x": "1.001"}, {"scheme": "C", "x": "2"}], key=["scheme"]):
    ...     print(line)
    scheme=A | x: golden 1.000, got 1.001
    scheme=B | missing: golden has the row, the run has not
    scheme=C | extra: the run has the row, golden has not
    """
    def label(row: dict[str, str]) -> str:
        return ", ".join(f"{name}={row[name]}" for name in key)

    mine, theirs = {label(r): r for r in golden}, {label(r): r for r in got}
    lines = []
    for name, row in mine.items():
        if name not in theirs:
            lines.append(f"{name} | missing: golden has the row, the run has not")
            continue
        columns = dict.fromkeys([*row, *theirs[name]])
        lines += [f"{name} | {column}: golden {row.get(column)}, got {theirs[name].get(column)}"
                  for column in columns if row.get(column) != theirs[name].get(column)]
    lines += [f"{name} | extra: the run has the row, golden has not" for name in theirs if name not in mine]
    if not lines and list(mine) != list(theirs):
        lines.append(f"row order: golden {list(mine)}, got {list(theirs)}")
    return lines


def main() -> None:
    """Run both commands and rewrite the golden files."""
    import tempfile

    from spacexnet_opt.fileio import write_json_atomic, write_text_atomic

    with tempfile.TemporaryDirectory() as tmp:
        table = current_table2(Path(tmp) / "table2")
        sweep = current_sweep(Path(tmp) / "sweep")
    write_json_atomic(TABLE2_GOLDEN, {
        "command": "spacexnet reproduce paper --out DIR",
        "rounding": f"{DECIMALS} decimals, as printed; paper_s_per_token 2",
        "rows": table})
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(sweep[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(sweep)
    write_text_atomic(SWEEP_GOLDEN, text.getvalue())
    print(f"wrote {TABLE2_GOLDEN} ({len(table)} schemes) and {SWEEP_GOLDEN} ({len(sweep)} rows)")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))  # this checkout's code, whatever is installed
    main()
