"""The sweep's results database: one SQLite file, one row per point and scheme.

Schema version 1 (``PRAGMA user_version``): table ``results`` with
``point_hash``, ``point_index``, ``scheme``, ``scheme_index``, one column per
grid parameter (named as the axis), the metrics of
:data:`~spacexnet_opt.sweep.task.METRICS`, ``runtime_s`` (the point's wall
time) and ``error`` (NULL on success); ``UNIQUE (point_hash, scheme)``. Table
``sweep`` holds the grid's name and text. Each finished point is committed at
once, so a killed client loses only the points in flight.

>>> import tempfile, pathlib
>>> db = ResultsDB(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite", ["isl.survival"])
>>> db.record(point_hash="ab", point_index=0, params={"isl.survival": 0.9}, schemes=["Space-XNet"],
...           result={"rows": {"Space-XNet": {"mean_s_per_token": 1.5}}, "runtime_s": 0.1})
>>> db.finished(), db.rows()[0]["isl.survival"], db.rows()[0]["mean_s_per_token"]
({'ab'}, 0.9, 1.5)
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
from pathlib import Path

from ..errors import InputError
from ..fileio import write_text_atomic
from .task import METRICS

__all__ = ["SCHEMA_VERSION", "DB_NAME", "ResultsDB"]

SCHEMA_VERSION = 1
DB_NAME = "results.sqlite"
KEY_COLUMNS = ("point_hash", "point_index", "scheme", "scheme_index")
TAIL_COLUMNS = (*METRICS, "runtime_s", "error")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ResultsDB:
    """The results database at ``path`` with parameter columns ``params`` (created or extended as needed)."""

    def __init__(self, path: str | os.PathLike, params: list[str], *, grid_text: str = "", grid_name: str = ""):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.params = list(params)
        self.conn = sqlite3.connect(self.path)
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise InputError(f"results database schema version {version}; this spacexnet-opt writes "
                             f"{SCHEMA_VERSION}", source=self.path)
        clash = set(params) & {*KEY_COLUMNS, *TAIL_COLUMNS}
        if clash:
            raise InputError(f"axis name {sorted(clash)[0]!r} is a results column; rename the axis", source=self.path)
        self._create(grid_text, grid_name)

    def _create(self, grid_text: str, grid_name: str) -> None:
        with self.conn:
            self.conn.execute("CREATE TABLE IF NOT EXISTS sweep (key TEXT PRIMARY KEY, value TEXT)")
            columns = ", ".join([
                "point_hash TEXT NOT NULL", "point_index INTEGER", "scheme TEXT NOT NULL", "scheme_index INTEGER",
                *(_quote(p) for p in self.params),
                *(f"{m} {'INTEGER' if m == 'satellites' else 'REAL'}" for m in METRICS),
                "runtime_s REAL", "error TEXT", "UNIQUE (point_hash, scheme)"])
            self.conn.execute(f"CREATE TABLE IF NOT EXISTS results ({columns})")
            have = {row[1] for row in self.conn.execute("PRAGMA table_info(results)")}
            for name in self.params:
                if name not in have:
                    self.conn.execute(f"ALTER TABLE results ADD COLUMN {_quote(name)}")
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self.conn.executemany("INSERT OR REPLACE INTO sweep VALUES (?, ?)",
                                  [("grid_name", grid_name), ("grid", grid_text)])

    def finished(self) -> set[str]:
        """Hashes of the points whose every row succeeded."""
        query = "SELECT point_hash FROM results GROUP BY point_hash HAVING COUNT(error) = 0"
        return {row[0] for row in self.conn.execute(query)}

    def failed(self) -> set[str]:
        """Hashes of the points recorded with an error."""
        return {row[0] for row in self.conn.execute("SELECT DISTINCT point_hash FROM results WHERE error IS NOT NULL")}

    def record(self, *, point_hash: str, point_index: int, params: dict, schemes: list[str], result: dict) -> None:
        """Write one point's rows (one per scheme) and commit; a repeat replaces the earlier rows."""
        names = [*KEY_COLUMNS, *self.params, *TAIL_COLUMNS]
        rows = []
        for index, scheme in enumerate(schemes):
            metrics = result.get("rows", {}).get(scheme, {})
            rows.append([point_hash, point_index, scheme, index, *(params.get(p) for p in self.params),
                         *(metrics.get(m) for m in METRICS), result.get("runtime_s"), result.get("error")])
        sql = (f"INSERT OR REPLACE INTO results ({', '.join(map(_quote, names))}) "
               f"VALUES ({', '.join('?' * len(names))})")
        with self.conn:
            self.conn.executemany(sql, rows)

    def rows(self, where: str = "") -> list[dict]:
        """Every row as a dict, in grid order (point, then scheme)."""
        cursor = self.conn.execute(f"SELECT * FROM results {where} ORDER BY point_index, scheme_index")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def export_csv(self, path: str | os.PathLike) -> int:
        """Write every row to ``path`` (CSV, atomically); returns the number of rows."""
        rows = self.rows()
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=list(rows[0]) if rows else [*KEY_COLUMNS, *self.params])
        writer.writeheader()
        writer.writerows(rows)
        write_text_atomic(path, text.getvalue())
        return len(rows)

    def close(self) -> None:
        self.conn.close()
