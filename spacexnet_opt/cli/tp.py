"""The compute-group part of ``spacexnet optimize --compute-group`` (kept apart from the placement levers)."""

from __future__ import annotations

__all__ = ["optimize_grouped_cli"]


def optimize_grouped_cli(scenario, world, method: str, size: int, candidates: int, levers: dict):
    """:func:`~spacexnet_opt.deploy.tp_deploy.optimize_with_groups` with the scenario's memory model."""
    from ..deploy.memory import scenario_memory
    from ..deploy.tp_deploy import optimize_with_groups
    from ..deploy.tp_optimize import GROUP_METHODS
    from ..errors import InputError

    if method not in GROUP_METHODS:
        raise InputError(f"unknown compute group {method!r}; valid: none, {', '.join(GROUP_METHODS)}",
                         field="group_method")
    memory, bpp = scenario_memory(scenario, world.shell)
    return optimize_with_groups(world, group_method=method, group_size=size, group_candidates=candidates,
                                memory=memory, bytes_per_param=bpp, **levers)
