"""Write a placement problem as a solver-neutral LP or MPS model file.

The model is the MILP of :mod:`spacexnet_opt.solve.milp_models`; its binary
``x_i_s`` is 1 when expert ``i`` sits on candidate column ``s`` (for an
instance layer, satellite ``satellites[s]``). Any MILP solver can read the file;
its optimal objective equals the placement objective of the problem.

>>> import numpy as np, tempfile, pathlib
>>> from spacexnet_opt.solve.problems import LinearProblem
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.lp"
>>> export_model(LinearProblem(np.array([[1.0, 5.0], [2.0, 1.0]])), path)
>>> "x_1_1" in path.read_text()
True
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import InputError
from ..fileio import write_bytes_atomic
from .milp_models import build_milp
from .problems import Problem

__all__ = ["FORMATS", "export_model", "model_bytes"]

FORMATS = ("lp", "mps")
"""Model file formats: CPLEX LP and (free) MPS."""


def model_bytes(problem: Problem, fmt: str, *, restrict: bool = True) -> bytes:
    """The model file of ``problem`` in format ``fmt`` (``"lp"`` or ``"mps"``) as bytes.

    ``restrict=False`` keeps every candidate column even where an optimum is
    known to use only the ``m`` fastest (bottleneck objectives).
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown model format {fmt!r}; valid formats: {', '.join(FORMATS)}", field="format")
    model = build_milp(problem, restrict=restrict)
    with tempfile.TemporaryDirectory(prefix="spacexnet-export-") as tmp:
        target = Path(tmp) / f"model.{fmt}"
        if fmt == "lp":
            model.lp.writeLP(str(target))
        else:
            model.lp.writeMPS(str(target))
        return target.read_bytes()


def export_model(problem: Problem, path: str | os.PathLike, *, fmt: str | None = None, restrict: bool = True) -> None:
    """Write the model of ``problem`` to ``path`` atomically.

    Parameters
    ----------
    problem : LinearProblem, QAPProblem or TraceProblem
    path : path-like
    fmt : {"lp", "mps"}, optional
        Default: the suffix of ``path``.
    restrict : bool
        See :func:`model_bytes`.
    """
    path = Path(path)
    fmt = fmt or path.suffix.lower().lstrip(".")
    write_bytes_atomic(path, model_bytes(problem, fmt, restrict=restrict))
