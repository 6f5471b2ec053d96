"""Reproduction of the Space-XNet paper's experiments (Table II, Fig. 7) and runs on real data."""

from .paper import default_scenario, reproduce_table, write_table
from .sweeps import QUICK_SWEEPS, SWEEPS, plot_sweep, reproduce_sweeps, sweep_grid
from .schemes import PAPER_SCHEMES, SCHEMES, scheme_deployment
from .table import PAPER_TABLE2, run_schemes

__all__ = ["SWEEPS", "QUICK_SWEEPS", "default_scenario", "reproduce_sweeps", "reproduce_table", "sweep_grid", "plot_sweep",
           "write_table", "PAPER_SCHEMES", "SCHEMES", "scheme_deployment", "PAPER_TABLE2",
           "run_schemes"]
