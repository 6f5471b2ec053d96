"""Root of the ``spacexnet`` CLI: builds the Typer app and turns project errors into exit code 2.

Each command group lives in its own module of this package and exposes
``register(app)``; this module only wires them together.
"""

from __future__ import annotations

import importlib

import typer
from typer.core import TyperGroup

from ..errors import SpaceXNetError

__all__ = ["app", "main"]

# Modules of spacexnet_opt.cli, each with a ``register(app)`` function.
COMMAND_MODULES = ("constellation", "moe", "build", "solve", "export", "evaluate", "reproduce", "methods", "optimize",
                   "sweep", "view")


class _ErrorsAsExitCode(TyperGroup):
    """Print a :class:`SpaceXNetError` as one line on stderr and exit with code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SpaceXNetError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=_ErrorsAsExitCode,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    help="Place Mixture-of-Experts models on satellite constellations (Space-XNet).",
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"{__package__}.{_name}").register(app)


def main() -> None:
    """Entry point of the ``spacexnet`` console script."""
    app()
