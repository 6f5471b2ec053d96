"""Whole deployments: the deployment file, its evaluation, and the optimiser of gateways, subnets and replicas.

A deployment is every choice that sets a token's latency: the gateway of each
MoE layer, the satellites of its experts (possibly several copies), and how
many experts one satellite may hold. :func:`optimize_deployment` makes each of
these a decision variable (``spacexnet optimize``); the file
(:mod:`.file`) stores the result, and :func:`evaluate_plans` evaluates it
alone (``spacexnet evaluate DEPLOYMENT``).
"""

from .convert import deployment_from_pair, plan_from_file, plan_to_file, predicted_from, save_scheme_deployments
from .evaluation import check_plan, evaluate_plans, load_deployment_world, plan_legs
from ..formats.deployment import DeploymentFile, load_deployment, save_deployment, scenario_ref
from .plan import Plan, plan_from_deployment, plan_from_lists

__all__ = ["DeploymentFile", "load_deployment", "save_deployment", "scenario_ref", "Plan", "plan_from_deployment",
           "plan_from_lists", "plan_to_file", "plan_from_file", "deployment_from_pair", "predicted_from", "save_scheme_deployments",
           "check_plan", "evaluate_plans", "load_deployment_world", "plan_legs"]
