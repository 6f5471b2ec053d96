"""Per-token latency of a full deployment (gateways + expert placements) on a constellation.

Two ways that must agree within their error: the closed-form expectation
(:mod:`~spacexnet_opt.evaluate.analytic`) and a Monte Carlo simulation that
routes every token on one topology snapshot (:mod:`~spacexnet_opt.evaluate.montecarlo`).
"""

from .analytic import LayerLatency, analytic_latency, snapshot_latency
from .api import Evaluation, evaluate, evaluate_many
from .compute import PAPER_GFLOPS, ComputeModel, ComputeTimes
from .convert import deployment_from_file, deployment_from_pair, deployment_to_file, predicted_from, save_scheme_deployments
from .deployment import (BASELINE_SCHEMES, ComputeGroup, Deployment, check_deployment, deployment_from_assignments,
                         deployment_from_baseline, deployment_from_lists, deployment_from_placement,
                         deployment_from_solver)
from .deployments import check_in_world, evaluate_deployments, load_deployment_world, nearest_copy_legs
from .legs import LegDelays, deployment_legs, leg_delays
from .montecarlo import MonteCarloResult, simulate
from .sets import CpsLaw, PairLaw, SetLaw, TraceLaw, set_law
from .world import World, laws_from_stats, world_from_file, world_from_instance, world_from_scenario, world_from_setting

__all__ = [
    "LayerLatency", "analytic_latency", "snapshot_latency",
    "Evaluation", "evaluate", "evaluate_many",
    "PAPER_GFLOPS", "ComputeModel", "ComputeTimes",
    "BASELINE_SCHEMES", "ComputeGroup", "Deployment", "check_deployment", "deployment_from_assignments",
    "deployment_from_baseline", "deployment_from_lists", "deployment_from_placement", "deployment_from_solver",
    "evaluate_deployments", "load_deployment_world", "check_in_world", "nearest_copy_legs",
    "deployment_to_file", "deployment_from_file", "deployment_from_pair", "predicted_from", "save_scheme_deployments",
    "LegDelays", "deployment_legs", "leg_delays", "MonteCarloResult", "simulate",
    "CpsLaw", "PairLaw", "SetLaw", "TraceLaw", "set_law",
    "World", "laws_from_stats", "world_from_file", "world_from_instance", "world_from_scenario",
    "world_from_setting",
]
