"""Parameter sweeps: grid files, Dask-distributed runs, a SQLite results database and Fig. 7-style plots."""

from .db import DB_NAME, SCHEMA_VERSION, ResultsDB
from .engine import SweepSummary, run_sweep
from .grid import Axis, Grid, RunSettings, load_grid, parse_grid
from .points import Point, distinct, grid_points

__all__ = ["DB_NAME", "SCHEMA_VERSION", "ResultsDB", "SweepSummary", "run_sweep", "Axis", "Grid", "RunSettings",
           "load_grid", "parse_grid", "Point", "distinct", "grid_points"]
