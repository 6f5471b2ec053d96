"""The paper's Table II analogue: :func:`reproduce_table` runs the schemes on a scenario.

The default scenario is ``instances/paper.toml``; the result is the
``table2.json`` document. The Fig. 7 sweeps are in :mod:`.sweeps`.

The paper's own numbers (``paper_s_per_token``) go beside the rows only when
the scenario is the paper's (:func:`is_paper_scenario`): any scenario whose
setting is that of ``instances/paper.toml``, whatever its file name.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..setting import resolve_setting
from ..evaluate import ComputeModel, laws_from_stats
from ..fileio import write_json_atomic
from ..formats.scenario import Scenario, load_scenario, resolve_path
from ..progress import Progress, no_progress
from ..optimize.group_choice import fit_seed
from .schemes import SCHEMES, model_schemes
from .table import PAPER_TABLE2, run_schemes, scheme_world
from ..setting.resolvers import scenario_constellation, scenario_isl_config, scenario_profile

if TYPE_CHECKING:
    from ..moe import ActivationStats

__all__ = ["default_scenario", "with_snapshots", "scenario_setting_key", "is_paper_scenario", "reproduce_table",
           "write_table"]


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


def scenario_setting_key(spec: Scenario, source: str | os.PathLike, *, gflops: float | None = None) -> dict:
    """What of a scenario decides the setting its Table II measures, as comparable values.

    The resolved shell (a preset and the same Walker parameters are equal; a TLE
    shell is its file and selection), the resolved link model, the model's
    architecture (not its name or source), the statistics (files resolved), the
    snapshot duration, the partition's gateway rule, fold and alignment, and the
    onboard compute with throughput ``gflops`` (default: the scenario's). Left out,
    because they change the resolution or the draw but not the setting: the name and
    description, the snapshot count (``--quick``), the seeds and the band-diameter
    measurement. The attention context is an evaluation option, not part of it.

    >>> paper = default_scenario("paper")
    >>> key = scenario_setting_key(load_scenario(paper), paper)
    >>> key["shell"]["n_planes"], key["model"]["top_k"], key["compute"]["satellite_gflops"]
    (33, 2, 7.28)
    """

    source = Path(source)
    tle = spec.constellation.tle
    shell = (("tle", resolve_path(tle.file, source).resolve(), tle.selection()) if tle is not None
             else _without(scenario_constellation(spec, source), "name"))
    profile = scenario_profile(spec, source)
    statistics = spec.statistics.model_dump()
    if spec.statistics.file is not None:
        statistics["file"] = resolve_path(spec.statistics.file, source).resolve()
    return {
        "shell": shell,
        "isl": scenario_isl_config(spec, profile),
        "model": _without(profile, "name", "source"),
        "statistics": statistics,
        "duration_s": spec.snapshots.duration_s,
        "partition": spec.partition.model_dump(include={"gateway", "fold", "align"}),
        "compute": spec.compute.model_dump() | ({} if gflops is None else {"satellite_gflops": gflops}),
    }


def _without(record, *names: str) -> dict:
    """The fields of dataclass ``record`` but ``names``."""
    return {k: v for k, v in dataclasses.asdict(record).items() if k not in names}


def is_paper_scenario(spec: Scenario, source: str | os.PathLike, *, gflops: float | None = None) -> bool:
    """True when ``spec`` (throughput ``gflops``, default its own) sets up the paper's experiment.

    That is, when its :func:`scenario_setting_key` equals that of ``instances/paper.toml``: a copy under
    another name, with fewer snapshots or other seeds is the paper's scenario; another shell, link model,
    model, statistics, partition or throughput is not.

    >>> paper = default_scenario("paper")
    >>> spec = load_scenario(paper)
    >>> is_paper_scenario(spec.model_copy(update={"name": "copy"}), paper)
    True
    >>> is_paper_scenario(with_snapshots(spec, 50), paper), is_paper_scenario(spec, paper, gflops=14.56)
    (True, False)
    """
    paper = default_scenario("paper")
    if not paper.is_file():
        return False
    return scenario_setting_key(spec, source, gflops=gflops) == scenario_setting_key(load_scenario(paper), paper)


def reproduce_table(spec: Scenario, source: str | os.PathLike, *, schemes: Sequence[str] | None = None,
                    seeds: int = 10, tokens: int = 100_000, snapshots: int | None = None,
                    compute: ComputeModel | None = None, statistics: ActivationStats | None = None,
                    paper_reference: bool | None = None, progress: Progress = no_progress,
                    keep: dict | None = None) -> dict:
    """Run ``schemes`` on the scenario ``spec`` and return the ``table2.json`` document.

    ``schemes`` (default: those of the defaults the scenario's model can run) are
    checked against the model before any work (:func:`~.schemes.model_schemes`);
    the defaults left out are listed with the reason under the assumptions'
    ``schemes_left_out``. ``statistics`` (ActivationStats), if given, replaces the
    scenario's for evaluation only: placements are solved on the scenario's
    statistics and evaluated on these (out of sample). ``keep`` (a dict) receives
    each scheme's first deployment. ``paper_reference`` (default: whether the
    scenario is the paper's, :func:`is_paper_scenario`): each row of a scheme the
    paper reports carries ``paper_s_per_token``, the paper's Table II range.
    """
    start = time.perf_counter()
    spec = with_snapshots(spec, snapshots)
    setting = resolve_setting(spec, source)
    schemes, left_out = model_schemes(setting.profile, schemes)
    if paper_reference is None:
        gflops = None if compute is None else compute.satellite_gflops
        paper_reference = statistics is None and is_paper_scenario(spec, source, gflops=gflops)
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
        "scheme_solvers": {name: SCHEMES[name].recipe() for name in schemes},
        "scheme_resources": {name: dataclasses.asdict(SCHEMES[name].resources) for name in schemes},
        "resources": "per row, what its first placement uses: distinct satellites (gateways, expert copies, "
                     "compute-group members), most experts of one layer on one satellite, expert copies beyond "
                     "the first, largest compute group (1: the gateway alone)",
        "compute_group_fit_link_seed": fit_seed(world.setting.links_seed),
        "in_sample_s_per_token": "rows with compute groups: the same row with the groups' shares fitted on the "
                                 "evaluated link-failure draws themselves; the row's own mean fits them on draws "
                                 "seeded compute_group_fit_link_seed, which the evaluation does not use",
        "schemes_left_out": list(left_out),
        "paper_scenario": paper_reference,
    }
    return {"schemes": rows, "assumptions": assumptions, "runtime_s": time.perf_counter() - start}


def write_table(doc: dict, out: str | os.PathLike) -> None:
    """Write ``table2.json`` (atomically) into ``out``."""
    write_json_atomic(Path(out) / "table2.json", doc)
