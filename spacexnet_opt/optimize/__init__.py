"""Optimise a whole deployment: gateways, subnet shapes, expert placement, replicas, capacity, compute groups.

:func:`optimize_deployment` makes each lever a decision (``spacexnet optimize``);
:func:`add_compute_groups` adds every layer's compute group to its result (the ``compute_group`` lever). The
deployment it returns (:class:`~spacexnet_opt.evaluate.Deployment`) is evaluated by
:func:`~spacexnet_opt.evaluate.evaluate_deployments` and written by
:func:`~spacexnet_opt.evaluate.deployment_to_file`.
"""

from .compute_groups import add_compute_groups, attach_groups
from .deployment import OptimizeResult, best_options, optimize_deployment
from .levers import Levers

__all__ = ["optimize_deployment", "Levers", "add_compute_groups", "attach_groups", "best_options", "OptimizeResult"]
