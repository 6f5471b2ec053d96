"""Whole deployments: converting, evaluating and optimising gateways, subnets, replicas and compute groups.

A deployment (:class:`~spacexnet_opt.evaluate.Deployment`) is every choice that
sets a token's latency: the gateway of each MoE layer, the satellites of its
experts (possibly several copies), how many experts one satellite may hold, and
the compute group of each layer. :func:`optimize_deployment` makes each of these
a decision variable (``spacexnet optimize``); the file
(:mod:`spacexnet_opt.formats.deployment`) stores the result, and
:func:`evaluate_deployments` evaluates it alone (``spacexnet evaluate DEPLOYMENT``).
"""

from ..formats.deployment import DeploymentFile, load_deployment, save_deployment, scenario_ref
from .convert import deployment_from_file, deployment_from_pair, deployment_to_file, predicted_from, save_scheme_deployments
from .evaluation import check_in_world, evaluate_deployments, load_deployment_world, nearest_copy_legs

__all__ = ["DeploymentFile", "load_deployment", "save_deployment", "scenario_ref", "deployment_to_file",
           "deployment_from_file", "deployment_from_pair", "predicted_from", "save_scheme_deployments",
           "check_in_world", "evaluate_deployments", "load_deployment_world", "nearest_copy_legs"]
