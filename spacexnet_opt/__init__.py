"""spacexnet-opt: place Mixture-of-Experts layers and experts on satellite constellations.

The data flow is scenario -> constellation -> routing -> partition -> instance ->
solve -> evaluate; ``docs/architecture.md`` says where each piece lives.

The package top holds the Python route from a scenario to a plot (the README's
"Python route"); each name is imported from its subpackage on first use, so that
``import spacexnet_opt`` stays light:

===========================  ===================================================
``world_from_file``          a scenario (``.toml``) or instance (JSON) resolved
                             into a :class:`World`: snapshots, layers, statistics
``optimize_deployment``      a :class:`Deployment` chosen lever by lever (``Levers``)
``evaluate_deployments``     seconds per token of deployments, as :class:`Evaluation`
``deployment_to_file``,      a deployment file (``spacexnet optimize -o``) and back
``deployment_from_file``
``plot_layer_latency``       each layer's s/token as a PNG chart
===========================  ===================================================

>>> import spacexnet_opt
>>> spacexnet_opt.optimize_deployment.__module__
'spacexnet_opt.optimize.deployment'
>>> sorted(set(spacexnet_opt.__all__) - set(dir(spacexnet_opt)))
[]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# public name -> the subpackage it comes from
_PUBLIC = {
    "World": "evaluate", "world_from_file": "evaluate", "Deployment": "evaluate", "Evaluation": "evaluate",
    "evaluate_deployments": "evaluate", "deployment_to_file": "evaluate", "deployment_from_file": "evaluate",
    "Levers": "optimize", "optimize_deployment": "optimize", "OptimizeResult": "optimize",
    "plot_layer_latency": "plotting",
}

__all__ = ["__version__", *_PUBLIC]

if TYPE_CHECKING:  # for type checkers and editors; at run time :func:`__getattr__` imports on first use
    from .evaluate import (Deployment, Evaluation, World, deployment_from_file, deployment_to_file,
                           evaluate_deployments, world_from_file)
    from .optimize import Levers, OptimizeResult, optimize_deployment
    from .plotting import plot_layer_latency


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
