"""The sweep's results database: one SQLite file, one row per point and scheme.

Schema version 2 (``PRAGMA user_version``), marked as this tool's by
``PRAGMA application_id`` = :data:`APPLICATION_ID`: table ``results`` with
``point_hash``, ``point_index``, ``scheme``, ``scheme_index``, one column per
grid parameter (named as the axis), the metrics of
:data:`METRICS`, ``runtime_s`` (the point's wall
time), ``error`` (NULL on success) and the serving metrics of load sweeps,
:data:`SERVING_METRICS` (NULL without a workload); ``UNIQUE (point_hash, scheme)``. Table
``sweep`` holds the grid's name and text. Each finished point is committed at
once, so a killed client loses only the points in flight.

Before anything is written the file is recognised (:func:`inspect_results`):
a missing or empty file is new; a file with our ``application_id`` and schema
version 2 or 1 is ours; a version-1 file written before the ``application_id``
existed (exactly the tables ``sweep`` and ``results`` with our key columns)
is ours and gets the ``application_id`` when first written. A version-1 file
is read as it is (its rows have no serving metrics) and gets the serving
columns and version 2 when first written (the only migrations, and only of
this tool's own schema). Anything else (a
directory, a file that is not SQLite, a truncated or corrupt one, another
program's database, a newer schema) is one :class:`~spacexnet_opt.errors.InputError`
naming the file, and the file is left as it was. A database another process
holds locked is waited for up to ``lock_timeout`` seconds (``notify`` says so),
then refused the same way.

>>> import tempfile, pathlib
>>> db = ResultsDB(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite", ["isl.survival"])
>>> db.record(point_hash="ab", point_index=0, params={"isl.survival": 0.9}, schemes=["Space-XNet"],
...           result={"rows": {"Space-XNet": {"mean_s_per_token": 1.5}}, "runtime_s": 0.1})
>>> db.finished(), db.rows()[0]["isl.survival"], db.rows()[0]["mean_s_per_token"]
({'ab'}, 0.9, 1.5)
>>> db.close()
>>> inspect_results(db.path)
'ours'
>>> _ = db.path.write_bytes(b"not a database, just text" * 10)
>>> inspect_results(db.path)
Traceback (most recent call last):
...
spacexnet_opt.errors.FileFormatError: .../r.sqlite: not a sweep results database (not an SQLite file)
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from ..errors import FileFormatError, InputError
from ..fileio import write_text_atomic

# database columns of one scheme's result, as run_schemes names them
METRICS = ("mean_s_per_token", "std_s", "ci95_low_s", "ci95_high_s", "p99_s_per_token", "analytic_s_per_token",
           "propagation_s_per_token", "compute_s_per_token", "satellites", "feasible_link_fraction",
           "links_up_fraction")
SERVING_METRICS = ("rate_per_s", "ttft_mean_s", "ttft_p99_s", "tpot_mean_s", "tpot_p99_s", "tokens_per_s",
                   "requests_per_s", "slo_attainment", "completed", "max_utilisation", "busiest_satellite")
"""Columns of a load sweep's serving run of one scheme (schema version 2; NULL on a point without a workload)."""
INTEGER_COLUMNS = ("satellites", "completed", "busiest_satellite")


__all__ = ["METRICS", "SERVING_METRICS", "SCHEMA_VERSION", "APPLICATION_ID", "DB_NAME", "LOCK_TIMEOUT_S", "ResultsDB", "inspect_results"]

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
"""Schema versions read; version 1 (no serving columns) is migrated when first written."""
APPLICATION_ID = 0x53584E54
"""``PRAGMA application_id`` of a spacexnet-opt results database (``"SXNT"``)."""
DB_NAME = "results.sqlite"
LOCK_TIMEOUT_S = 10.0
"""Default wait for a database another process holds locked."""
KEY_COLUMNS = ("point_hash", "point_index", "scheme", "scheme_index")
TAIL_COLUMNS = (*METRICS, "runtime_s", "error")
"""The columns after the parameters in schema version 1 (its signature); version 2 appends :data:`SERVING_METRICS`."""
SQLITE_MAGIC = b"SQLite format 3\x00"

Notify = Callable[[str], None]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _typed(column: str) -> str:
    """A metric column's declaration."""
    return f"{column} {'INTEGER' if column in INTEGER_COLUMNS else 'REAL'}"


def _is_locked(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def _waiting(path: Path, action: Callable[[], object], lock_timeout: float, notify: Notify | None, conn):
    """``action()``; if the database is locked, say so and retry it until ``lock_timeout`` seconds have passed."""
    try:
        return action()
    except sqlite3.Error as exc:
        if not _is_locked(exc):
            raise
    if notify is not None:
        notify(f"{path}: locked by another process; waiting up to {lock_timeout:g} s")
    conn.execute(f"PRAGMA busy_timeout = {int(lock_timeout * 1000)}")
    try:
        return action()
    except sqlite3.Error as exc:
        if _is_locked(exc):
            raise InputError(f"locked by another process; gave up after waiting {lock_timeout:g} s",
                             source=path) from None
        raise


def _schema(conn) -> dict[str, list[str]]:
    """Every table (but SQLite's own) and its columns."""
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {t: [r[1] for r in conn.execute(f"PRAGMA table_info({_quote(t)})")] for t in tables}


def _kind(conn, path: Path) -> str:
    """``'new'``, ``'ours'`` or ``'legacy'`` (our version 1 without application_id); else InputError."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = _schema(conn)
    problems = conn.execute("PRAGMA quick_check").fetchall()
    if problems != [("ok",)]:
        raise FileFormatError(f"not a sweep results database (corrupt: {problems[0][0]})", source=path)
    if app_id == APPLICATION_ID:
        if version > SCHEMA_VERSION:
            raise FileFormatError(f"results schema version {version} is newer than this spacexnet-opt's "
                                  f"{SCHEMA_VERSION}", field="user_version", source=path)
        if version in READABLE_VERSIONS:
            return "ours"
    elif app_id == 0 and not tables and version == 0:
        return "new"
    elif app_id == 0 and version == 1 and _our_tables(tables):
        return "legacy"
    if app_id not in (0, APPLICATION_ID):
        raise FileFormatError(f"not a sweep results database (application_id {app_id:#x}: another "
                              "program's)", field="application_id", source=path)
    found = ", ".join(tables) or "none"
    raise FileFormatError(f"not a sweep results database (tables: {found}; user_version {version})",
                          field="results" if "results" in tables else "user_version", source=path)


def _our_tables(tables: dict[str, list[str]]) -> bool:
    """The schema signature of a version-1 database of ours: tables sweep and results, with our columns."""
    results = tables.get("results", [])
    return (set(tables) == {"sweep", "results"} and tables["sweep"] == ["key", "value"]
            and tuple(results[:len(KEY_COLUMNS)]) == KEY_COLUMNS and set(TAIL_COLUMNS) <= set(results))


def _stderr(message: str) -> None:
    print(f"note: {message}", file=sys.stderr, flush=True)


def _recognise(path: Path, *, lock_timeout: float, notify: Notify | None) -> tuple[sqlite3.Connection | None, str]:
    """A read-only connection to ``path`` once recognised (None when new), and its kind (see :func:`_kind`)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None, "new"
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=path) from None
    if stat.S_ISDIR(mode):
        raise InputError("is a directory, not a results database", source=path)
    if not stat.S_ISREG(mode):
        raise InputError("exists but is not a regular file", source=path)
    try:
        with open(path, "rb") as handle:
            magic = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=path) from None
    if not magic:
        return None, "new"
    if magic != SQLITE_MAGIC:
        raise FileFormatError("not a sweep results database (not an SQLite file)", source=path)
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=0, isolation_level=None)
    try:
        return conn, _waiting(path, lambda: _kind(conn, path), lock_timeout, notify, conn)
    except sqlite3.Error as exc:
        conn.close()
        raise FileFormatError(f"not a sweep results database (unreadable SQLite: {exc})", source=path) from None
    except BaseException:
        conn.close()
        raise


def inspect_results(path: str | os.PathLike, *, lock_timeout: float = LOCK_TIMEOUT_S,
                    notify: Notify | None = _stderr) -> str:
    """What ``path`` is, without writing: ``'new'`` (missing or empty), ``'ours'`` or ``'legacy'``
    (our version 1 written before the ``application_id``, migrated when first written).

    Raises
    ------
    InputError
        A directory, not SQLite, truncated or corrupt, another program's database, a newer schema, or
        locked for longer than ``lock_timeout`` seconds.
    """
    conn, kind = _recognise(Path(path), lock_timeout=lock_timeout, notify=notify)
    if conn is not None:
        conn.close()
    return kind


class ResultsDB:
    """The results database at ``path`` with parameter columns ``params`` (created or extended as needed).

    With ``readonly=True`` an existing database is only read (``params`` unused): the reader of
    ``spacexnet view --results`` and of the plots. Errors as for :func:`inspect_results`.
    """

    def __init__(self, path: str | os.PathLike, params: list[str] = (), *, grid_text: str = "", grid_name: str = "",
                 readonly: bool = False, lock_timeout: float = LOCK_TIMEOUT_S, notify: Notify | None = _stderr):
        self.path = Path(path)
        self.params = list(params)
        self.lock_timeout, self.notify = lock_timeout, notify
        clash = set(self.params) & {*KEY_COLUMNS, *TAIL_COLUMNS, *SERVING_METRICS}
        if clash:
            raise InputError(f"axis name {sorted(clash)[0]!r} is a results column; rename the axis", source=self.path)
        self.conn, _ = _recognise(self.path, lock_timeout=lock_timeout, notify=notify)
        if readonly and self.conn is None:
            raise InputError("empty file, not a results database" if self.path.exists() else "file not found",
                             source=self.path)
        if not readonly:
            if self.conn is not None:
                self.conn.close()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            self._write(lambda: self._create(grid_text, grid_name))

    def _write(self, action: Callable[[], None]) -> None:
        """Run ``action`` in one write transaction, waiting for another process's lock as documented."""
        def transaction():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                action()
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

        try:
            _waiting(self.path, transaction, self.lock_timeout, self.notify, self.conn)
        except sqlite3.Error as exc:
            raise FileFormatError(f"cannot write the results database ({exc})", source=self.path) from None

    def _create(self, grid_text: str, grid_name: str) -> None:
        self.conn.execute("CREATE TABLE IF NOT EXISTS sweep (key TEXT PRIMARY KEY, value TEXT)")
        columns = ", ".join([
            "point_hash TEXT NOT NULL", "point_index INTEGER", "scheme TEXT NOT NULL", "scheme_index INTEGER",
            *(_quote(p) for p in self.params),
            *(_typed(m) for m in METRICS), "runtime_s REAL", "error TEXT", *(_typed(m) for m in SERVING_METRICS),
            "UNIQUE (point_hash, scheme)"])
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS results ({columns})")
        have = {row[1] for row in self.conn.execute("PRAGMA table_info(results)")}
        for name in self.params:
            if name not in have:
                self.conn.execute(f"ALTER TABLE results ADD COLUMN {_quote(name)}")
        for name in SERVING_METRICS:  # a version-1 database becomes version 2
            if name not in have:
                self.conn.execute(f"ALTER TABLE results ADD COLUMN {_typed(name)}")
        self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
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
        names = [*KEY_COLUMNS, *self.params, *TAIL_COLUMNS, *SERVING_METRICS]
        rows = []
        for index, scheme in enumerate(schemes):
            metrics = result.get("rows", {}).get(scheme, {})
            rows.append([point_hash, point_index, scheme, index, *(params.get(p) for p in self.params),
                         *(metrics.get(m) for m in METRICS), result.get("runtime_s"), result.get("error"),
                         *(metrics.get(m) for m in SERVING_METRICS)])
        sql = (f"INSERT OR REPLACE INTO results ({', '.join(map(_quote, names))}) "
               f"VALUES ({', '.join('?' * len(names))})")
        self._write(lambda: self.conn.executemany(sql, rows))

    def rows(self, where: str = "") -> list[dict]:
        """Every row as a dict, in grid order (point, then scheme)."""
        try:
            cursor = self.conn.execute(f"SELECT * FROM results {where} ORDER BY point_index, scheme_index")
        except sqlite3.Error as exc:
            raise FileFormatError(f"cannot read the results ({exc})", field="results", source=self.path) from None
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
