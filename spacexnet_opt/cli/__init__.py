"""The ``spacexnet`` command-line interface (Typer)."""
