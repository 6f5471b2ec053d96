"""Between plans, deployment files and today's instance + placement pair.

:func:`deployment_from_pair` converts an instance file and a placement file
(``spacexnet solve -o``) into a deployment file losslessly: the instance is the
deployment's ``scenario`` (it embeds its scenario, so the world and the numbers
are those of ``spacexnet evaluate INSTANCE PLACEMENT``), the gateways and
experts are the placement's, and the placement's method, objective kind, time
limit, seed and per-layer objective, status, bound and run time are kept.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..status import Status
from ..errors import InputError
from ..formats.deployment import Decision, DeploymentFile, DeploymentLayer, Predicted, save_deployment, scenario_ref
from .compute_group import with_file_groups
from .deployment import Deployment, deployment_from_lists, deployment_from_placement
from ..formats.instance import load_instance
from ..formats.placement import load_placement

__all__ = ["deployment_to_file", "deployment_from_file", "deployment_from_pair", "predicted_from", "save_scheme_deployments"]


def predicted_from(evaluation) -> Predicted:
    """The ``predicted`` block of an :class:`~spacexnet_opt.evaluate.Evaluation` (its exact snapshot mean)."""
    snap = evaluation.snapshot
    return Predicted(s_per_token=snap.total_s, propagation_s=float(snap.propagation_s.sum()),
                     compute_s=float(snap.compute_s.sum() + snap.per_token_s),
                     analytic_s_per_token=evaluation.analytic.total_s)


def deployment_to_file(plan: Deployment, ref, *, methods, objectives=None, decisions=(), options=None,
                 predicted: Predicted | None = None) -> DeploymentFile:
    """The deployment file of ``plan`` on the scenario/instance ``ref`` (a :class:`ScenarioRef`).

    ``methods`` and ``objectives``: one per layer (or one method for all layers).
    """
    methods = [methods] * plan.n_layers if isinstance(methods, str) else list(methods)
    objectives = [None] * plan.n_layers if objectives is None else [float(o) for o in objectives]
    nxt = plan.next_gateways
    layers = [DeploymentLayer(layer=l, gateway=int(plan.gateways[l]), next_gateway=int(nxt[l]),
                              experts=[plan.copies(l, i) for i in range(plan.n_experts)], method=methods[l],
                              objective=objectives[l],
                              compute_group=None if plan.groups is None else plan.groups[l].entry())
              for l in range(plan.n_layers)]
    options = {**(options or {}), **({"charge_lm_head": True} if plan.charge_lm_head else {})}
    return DeploymentFile(name=plan.name or "deployment", scenario=ref, capacity=plan.capacity,
                          options=options, decisions=list(decisions), layers=layers, predicted=predicted)


def deployment_from_file(doc: DeploymentFile) -> Deployment:
    """The plan a deployment file describes (``options.charge_lm_head``: the LM head charged, see :class:`Deployment`)."""
    plan = deployment_from_lists([e.gateway for e in doc.layers], [e.experts for e in doc.layers], name=doc.name,
                           capacity=doc.capacity)
    return with_file_groups(plan, doc).replace(charge_lm_head=doc.options.get("charge_lm_head") is True)


def deployment_from_pair(instance_path: str | os.PathLike, placement_path: str | os.PathLike, *,
                         out: str | os.PathLike | None = None) -> DeploymentFile:
    """Convert an instance + placement pair into a deployment file (``out``: where it will be written).

    The placement is checked against the instance exactly as ``spacexnet evaluate`` checks it.
    """

    instance, placement = load_instance(instance_path), load_placement(placement_path)
    n_sats = instance.scenario.get("constellation", {}).get("n_sats")
    if not isinstance(n_sats, int):
        raise InputError("has no scenario.constellation.n_sats", field="scenario.constellation.n_sats",
                         source=instance_path)
    deployment = deployment_from_placement(placement, instance.layers, n_sats=n_sats, source=placement_path)
    plan = deployment
    layers = sorted(placement.layers, key=lambda e: e.layer)
    decision = Decision(
        decision="experts", method=placement.method, objective=placement.total_objective,
        status=Status.OPTIMAL if all(e.status is Status.OPTIMAL for e in layers) else Status.FEASIBLE,
        runtime_s=sum(e.runtime_s for e in layers),
        detail={"placement_file": Path(placement_path).name, "objective": placement.objective,
                "time_limit_s": placement.time_limit_s, "seed": placement.seed,
                "layers": [{"status": e.status.value, "bound": e.bound, "runtime_s": e.runtime_s} for e in layers]})
    rule = instance.scenario.get("spec", {}).get("partition", {}).get("gateway", "center")
    gateways = Decision(decision="gateways", method=str(rule),
                        status=Status.GIVEN)
    ref = scenario_ref(instance_path, relative_to=Path(out).parent if out is not None else None)
    return deployment_to_file(plan, ref, methods=placement.method, objectives=[e.objective for e in layers],
                        decisions=[gateways, decision], options={"converted_from": "instance + placement"})


def save_scheme_deployments(plans: dict, out: str | os.PathLike, scenario: str | os.PathLike) -> None:
    """Write ``deployment-<scheme>.json`` into ``out`` for every ``{scheme: Deployment}`` (random schemes: first seed)."""

    out = Path(out)
    ref = scenario_ref(scenario, relative_to=out)
    for name, plan in plans.items():
        doc = deployment_to_file(plan, ref, methods=name, decisions=[Decision(decision="experts", method=name)],
                           options={"scheme": name})
        save_deployment(doc.model_copy(update={"name": name}), out / f"deployment-{name}.json")
