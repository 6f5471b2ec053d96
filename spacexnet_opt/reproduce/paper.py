"""The paper's Table II analogue: :func:`reproduce_table` runs the schemes on a scenario.

The default scenario is ``instances/paper.toml``; the result is the
``table2.json`` document. The Fig. 7 sweeps are in :mod:`.sweeps`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..build import resolve_setting
from ..evaluate import ComputeModel, laws_from_stats
from ..fileio import write_json_atomic
from ..formats.scenario import Scenario
from ..progress import Progress, no_progress
from .schemes import SCHEMES
from .table import PAPER_TABLE2, run_schemes, scheme_world

if TYPE_CHECKING:
    from ..moe import ActivationStats

__all__ = ["default_scenario", "with_snapshots", "reproduce_table", "write_table"]


def default_scenario(name: str = "paper") -> Path:
    """``instances/<name>.toml`` of the checkout (or of the working directory)."""
    for root in (Path(__file__).resolve().parents[2], Path.cwd()):
        path = root / "instances" / f"{name}.toml"
        if path.is_file():
            return path
    return Path("instances") / f"{name}.toml"


def with_snapshots(spec: Scenario, snapshots: int | None) -> Scenario:
    """``spec`` with ``snapshots`` snapshots (None: unchanged)."""
    if snapshots is None:
        return spec
    return spec.model_copy(update={"snapshots": spec.snapshots.model_copy(update={"count": snapshots})})


def reproduce_table(spec: Scenario, source: str | os.PathLike, *, schemes: Sequence[str] = tuple(SCHEMES),
                    seeds: int = 10, tokens: int = 100_000, snapshots: int | None = None,
                    compute: ComputeModel | None = None, statistics: ActivationStats | None = None,
                    paper_reference: bool = False, progress: Progress = no_progress,
                    keep: dict | None = None) -> dict:
    """Run ``schemes`` on the scenario ``spec`` and return the ``table2.json`` document.

    ``statistics`` (ActivationStats), if given, replaces the scenario's for
    evaluation only: placements are solved on the scenario's statistics and
    evaluated on these (out of sample). ``keep`` (a dict) receives each scheme's
    first deployment. With ``paper_reference`` (the paper's own setting) each row of a scheme the paper reports carries ``paper_s_per_token``.
    """
    start = time.perf_counter()
    spec = with_snapshots(spec, snapshots)
    setting = resolve_setting(spec, source)
    world, layers = scheme_world(setting, schemes, seeds=seeds, compute=compute, progress=progress)
    if statistics is not None:
        world = world.with_laws(laws_from_stats(statistics), f"out of sample: {statistics.source}")
    rows = run_schemes(world, schemes, seeds=seeds, tokens=tokens, layers=layers, progress=progress, keep=keep)
    if paper_reference:
        for name in rows.keys() & PAPER_TABLE2.keys():
            rows[name]["paper_s_per_token"] = list(PAPER_TABLE2[name])
    times = world.times
    assumptions = {
        **world.assumptions,
        "scenario": str(source),
        "constellation": spec.constellation.model_dump(exclude_none=True),
        "model": world.profile.name,
        "statistics": spec.statistics.model_dump(exclude_none=True),
        "gateway_s": times.gateway_s,
        "expert_s": times.expert_s,
        "compute_floor_s_per_token": world.n_layers * (times.gateway_s + times.expert_s) + times.per_token_s,
        "seeds": seeds,
        "tokens_per_scheme": tokens,
        "std_s": "standard deviation over placement seeds (0 for deterministic schemes)",
        "scheme_solvers": {name: list(SCHEMES[name][1:]) for name in schemes},
    }
    return {"schemes": rows, "assumptions": assumptions, "runtime_s": time.perf_counter() - start}


def write_table(doc: dict, out: str | os.PathLike) -> None:
    """Write ``table2.json`` (atomically) into ``out``."""
    write_json_atomic(Path(out) / "table2.json", doc)
