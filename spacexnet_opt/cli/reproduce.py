"""CLI group ``reproduce``: the paper's experiments end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..budget import MAX_SEEDS
from .console import progress_bar, result_console, stage_reporter

__all__ = ["register"]

# DeepSeek-V3 load file the placements (made on a decode workload) are evaluated on
OUT_OF_SAMPLE_FILE = "prefill_in1000out1000.json"

# options every ``reproduce`` command takes (``paper`` adds the sweeps to --out and --quick)
Out = Annotated[Optional[Path], typer.Option("--out", metavar="DIR",
                                                  help="Directory for table2.json and the deployment files.")]
Quick = Annotated[bool, typer.Option("--quick", help="50 snapshots, 3 seeds, 20,000 tokens.")]
Seeds = Annotated[Optional[int], typer.Option("--seeds", min=2, max=MAX_SEEDS,
                                              help="Placements per random scheme.", show_default="10")]
Tokens = Annotated[Optional[int], typer.Option("--tokens", min=0,
                                               help="Monte Carlo tokens per scheme.", show_default="100,000")]
Gflops = Annotated[Optional[float], typer.Option("--gflops",
                                                 help="Satellite throughput in GFLOPS.",
                                                 show_default="the scenario's; paper 7.28")]
ContextLen = Annotated[int, typer.Option("--context-len", min=0, help="Attention context at the gateway.")]
Schemes = Annotated[Optional[str], typer.Option(
    "--schemes", help="Comma-separated schemes (Space-XNet-top2 needs top-2 routing).",
    show_default="those the scenario's model can run, without the -tp baselines")]
CONTEXT_LEN = 4096
TABLE_WIDTH = 200
"""Columns of the Table II printout when not on a terminal: every column unwrapped, resources included."""
Throughput = Annotated[bool, typer.Option("--throughput/--no-throughput",
                                          help="Also the throughput table: every scheme and the throughput fleet "
                                               "on the serving simulator (paper: about 3.5 minutes; docs/serving.md).")]
ThroughputWorkload = Annotated[Optional[Path], typer.Option("--workload", help="Workload of the throughput table.",
                                                            show_default="instances/workload-poisson.toml "
                                                                         "(deepseek-v3: workload-short.toml)")]
ThroughputRequests = Annotated[int, typer.Option("--throughput-requests", min=1, max=100_000,
                                                 help="Requests per simulated run of the throughput table.")]


def _table2(doc: dict, title: str):
    """The Table II printout; the "paper" column only when the rows carry the paper's range (its own scenario)."""
    from rich.table import Table

    rows = doc["schemes"]
    paper = any("paper_s_per_token" in row for row in rows.values())
    table = Table(title=title)
    for col in ("scheme", "s/token (MC mean)", "std over seeds", "MC 95% CI", "p99", "analytic", "propagation",
                "compute", "in-sample groups", "resources", *["paper"] * paper):
        table.add_column(col, justify="left" if col in ("scheme", "resources") else "right", no_wrap=col == "scheme")
    for name, row in rows.items():
        ci, reported, fitted = row.get("ci95_s"), row.get("paper_s_per_token"), row.get("in_sample_s_per_token")
        table.add_row(name, f"{row['mean_s_per_token']:.3f}", f"{row['std_s']:.3f}",
                      f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "-",
                      f"{row['p99_s_per_token']:.3f}" if "p99_s_per_token" in row else "-",
                      f"{row['analytic_s_per_token']:.3f}", f"{row['propagation_s_per_token']:.3f}",
                      f"{row['compute_s_per_token']:.3f}", "-" if fitted is None else f"{fitted:.3f}",
                      _resources(row["resources"]),
                      *[f"{reported[0]:.2f}-{reported[1]:.2f}" if reported else "-"] * paper)
    return table


def _resources(used: dict) -> str:
    """A row's resources in one cell: satellites, experts per satellite, replicas, largest compute group.

    >>> _resources({"satellites": 288, "experts_per_satellite": 1, "replicas": 0, "compute_group": 1})
    '288 sat, 1/sat, 0 rep, group 1'
    """
    return (f"{used['satellites']:,} sat, {used['experts_per_satellite']}/sat, {used['replicas']} rep, "
            f"group {used['compute_group']}")


def _reading_guide(doc: dict, out: Optional[Path]) -> list[str]:
    """The two lines under the table: what the compute column means against the paper, and how to look further."""
    from ..reproduce import PAPER_TABLE2

    floor = doc["assumptions"]["compute_floor_s_per_token"]
    groups = "; the -tp rows split it over compute groups" * any(name.endswith("-tp") for name in doc["schemes"])
    first = f"Compute alone costs {floor:.3f} s/token (each layer's gateway and one expert, no link crossed{groups})"
    if doc["assumptions"]["paper_scenario"]:
        low, high = PAPER_TABLE2["Space-XNet"]
        first += (f": the paper's {low:.2f}-{high:.2f} s/token for Space-XNet leaves at most {high - floor:.3f} s "
                  "for the links. docs/reproduction.md explains the gap.")
    else:
        first += "; the rest is propagation. docs/reproduction.md describes the model."
    if out is None:
        return [first, "Give --out DIR to write table2.json and a deployment file per scheme for spacexnet view."]
    best = min(doc["schemes"], key=lambda name: doc["schemes"][name]["mean_s_per_token"])
    return [first, f"View the fastest scheme: spacexnet view {out / f'deployment-{best}.json'} "
                   f"--results {out / 'table2.json'} -o {out / 'view.html'}"]


def _chosen_schemes(schemes: Optional[str], spec, scenario: Path) -> tuple[str, ...]:
    """The ``--schemes`` list, checked against the scenario's model before any work (None: the defaults it can
    run, with a note for each one left out; ``reproduce_table`` records them)."""
    from ..setting.resolvers import scenario_profile
    from ..reproduce.schemes import model_schemes

    given = None if schemes is None else tuple(s.strip() for s in schemes.split(",") if s.strip())
    chosen, notes = model_schemes(scenario_profile(spec, scenario), given, field="--schemes")
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    return chosen


def _out_of_sample_statistics(spec, scenario: Path, evaluate_on: Optional[Path]):
    """The statistics placements are evaluated on: ``evaluate_on``, or the prefill file beside the scenario's."""
    from ..errors import InputError
    from ..moe import get_profile, load_expert_load
    from ..formats.scenario import resolve_path

    if evaluate_on is None:
        if spec.statistics.file is None:
            raise InputError("the scenario places on no statistics file; give --evaluate-on", field="--evaluate-on")
        evaluate_on = resolve_path(spec.statistics.file, scenario).parent / OUT_OF_SAMPLE_FILE
    return load_expert_load(evaluate_on, profile=get_profile(spec.model.profile))


def _run(name: str, scenario: Optional[Path], *, out: Optional[Path], quick: bool, seeds: Optional[int],
         tokens: Optional[int], gflops: Optional[float], context_len: int, schemes: Optional[str],
         sweeps: bool = False, out_of_sample: bool = False, evaluate_on: Optional[Path] = None,
         throughput: bool = False, workload: Optional[Path] = None, throughput_requests: int = 150) -> None:
    """Table II analogue of ``instances/<name>.toml`` (or ``scenario``), then the sweeps if asked."""
    import time

    from ..errors import InputError
    from ..evaluate import ComputeModel
    from ..reproduce import default_scenario, reproduce_sweeps, reproduce_table, write_table
    from ..formats.scenario import load_scenario

    scenario = scenario or default_scenario(name)
    spec = load_scenario(scenario)
    chosen = _chosen_schemes(schemes, spec, scenario)
    if sweeps and out is None:
        raise InputError("the sweeps write CSV and PNG files: give --out DIR", field="--sweeps")
    compute = ComputeModel(satellite_gflops=gflops if gflops is not None else spec.compute.satellite_gflops,
                           context_len=context_len, include_lm_head=bool(spec.model.charge_lm_head))
    stats = _out_of_sample_statistics(spec, scenario, evaluate_on) if out_of_sample else None
    snapshots = min(50, spec.snapshots.count) if quick else None
    tp_workload = _throughput_workload(workload, "workload-short.toml" if out_of_sample else
                                       "workload-poisson.toml") if throughput else None
    start = time.perf_counter()
    kept: dict = {}
    with progress_bar() as bar:
        doc = reproduce_table(spec, scenario, schemes=None if schemes is None else chosen,
                              seeds=seeds or (3 if quick else 10),
                              tokens=tokens if tokens is not None else (20_000 if quick else 100_000),
                              snapshots=snapshots, compute=compute, statistics=stats,
                              progress=stage_reporter(bar), keep=kept)
    console = result_console(min_width=TABLE_WIDTH)
    console.print(_table2(doc, f"Table II analogue: {scenario} ({time.perf_counter() - start:.1f} s)"))
    if out is not None:
        write_table(doc, out)
        typer.echo(f"wrote {out / 'table2.json'}")
        from ..evaluate import save_scheme_deployments

        save_scheme_deployments(kept, out, scenario)
        typer.echo(f"wrote {len(kept)} deployment files (deployment-SCHEME.json) to {out}")
    for line in _reading_guide(doc, out):
        console.print(line, highlight=False, soft_wrap=True)
    if throughput:
        _throughput(scenario, kept, tp_workload, out, throughput_requests)
    if sweeps:
        start = time.perf_counter()
        with progress_bar() as bar:
            reproduce_sweeps(spec, scenario, out, quick=quick, seeds=2 if quick else 3, snapshots=snapshots,
                             compute=compute, progress=stage_reporter(bar))
        typer.echo(f"wrote sweeps to {out} ({time.perf_counter() - start:.1f} s)")


def _throughput_workload(workload: Optional[Path], default: str):
    """``(path, spec)`` of the throughput table's workload, loaded before any work."""
    from ..formats.workload import load_workload
    from ..reproduce.paper import default_scenario

    path = workload or default_scenario("paper").parent / default
    return path, load_workload(path)


def _throughput(scenario: Path, kept: dict, workload, out: Optional[Path], requests: int) -> None:
    """The throughput table (:mod:`spacexnet_opt.reproduce.throughput`) of the ``(path, spec)`` ``workload``:
    printed, and written to ``out``."""
    import time

    from rich.table import Table

    from ..evaluate import world_from_file
    from ..reproduce.throughput import COLUMNS, throughput_table, write_throughput

    path, spec = workload
    start = time.perf_counter()
    with progress_bar() as bar:
        doc = throughput_table(world_from_file(scenario), kept, spec, requests=requests,
                               progress=stage_reporter(bar))
    table = Table(title=f"Throughput: {path.name}, fixed SLO p99 TPOT {doc['tpot_slo_s']:g} s, {requests} requests "
                        f"a run ({time.perf_counter() - start:.1f} s)")
    for col in COLUMNS:
        table.add_column(col.replace("_", " "), justify="left" if col == "scheme" else "right")
    for row in doc["rows"]:
        table.add_row(*[f"{row[c]:.3g}" if isinstance(row[c], float) else str(row[c] if row[c] is not None else "-")
                        for c in COLUMNS])
    console = result_console()
    console.print(table)
    console.print(f"Compute limit of the constellation: {doc['compute_limit_tokens_per_s']:.1f} output tokens/s "
                  "(all satellites busy; prompt work included).", highlight=False)
    if out is not None:
        for written in write_throughput(doc, out):
            typer.echo(f"wrote {written}")


def register(app: typer.Typer) -> None:
    """Add the ``reproduce`` group to the root app."""
    reproduce = typer.Typer(no_args_is_help=True, help="Reproduce the Space-XNet paper's experiments.")
    app.add_typer(reproduce, name="reproduce")

    @reproduce.command("paper")
    def paper(
        scenario: Optional[Path] = typer.Option(None, "--scenario", help="Scenario file (TOML).",
                                                show_default="instances/paper.toml"),
        out: Optional[Path] = typer.Option(None, "--out", metavar="DIR",
                                           help="Directory for table2.json, the deployment files and the sweeps' CSV/PNG."),
        sweeps: bool = typer.Option(False, "--sweeps/--no-sweeps", help="Also run the Fig. 7 sweeps (needs --out)."),
        quick: bool = typer.Option(False, "--quick", help="50 snapshots, 3 seeds, 20,000 tokens, 2-point sweeps."),
        seeds: Seeds = None, tokens: Tokens = None, gflops: Gflops = None,
        context_len: ContextLen = CONTEXT_LEN, schemes: Schemes = None, throughput: Throughput = False,
        workload: ThroughputWorkload = None, throughput_requests: ThroughputRequests = 150,
    ) -> None:
        """Table II analogue of the paper's setting, or of --scenario (and the Fig. 7 sweeps with --sweeps).

        The paper's own Table II column appears only for the paper's scenario (instances/paper.toml or the same
        setting under another name; docs/reproduction.md).
        """
        _run("paper", scenario, out=out, quick=quick, seeds=seeds, tokens=tokens, gflops=gflops,
             context_len=context_len, schemes=schemes, sweeps=sweeps, throughput=throughput, workload=workload,
             throughput_requests=throughput_requests)

    @reproduce.command("starlink-tle")
    def starlink(
        scenario: Optional[Path] = typer.Option(None, "--scenario", help="Scenario file (TOML).",
                                                show_default="instances/starlink-tle.toml"),
        out: Out = None, quick: Quick = False, seeds: Seeds = None, tokens: Tokens = None, gflops: Gflops = None,
        context_len: ContextLen = CONTEXT_LEN, schemes: Schemes = None,
    ) -> None:
        """The schemes on the real Starlink 53° shell (TLE)."""
        _run("starlink-tle", scenario, out=out, quick=quick, seeds=seeds, tokens=tokens, gflops=gflops,
             context_len=context_len, schemes=schemes)

    @reproduce.command("deepseek-v3")
    def deepseek(
        scenario: Optional[Path] = typer.Option(None, "--scenario", help="Scenario file (TOML), placed on its decode statistics.",
                                                show_default="instances/deepseek-v3-mega.toml"),
        evaluate_on: Optional[Path] = typer.Option(
            None, "--evaluate-on", help="Expert-load file the placements are evaluated on (out of sample).",
            show_default=f"{OUT_OF_SAMPLE_FILE} beside the scenario's statistics file"),
        out: Out = None, quick: Quick = False, seeds: Seeds = None, tokens: Tokens = None, gflops: Gflops = None,
        context_len: ContextLen = CONTEXT_LEN,
        schemes: Optional[str] = typer.Option("RandPlace,RandIntra,RandIntra-CG,Space-XNet,Space-XNet-opt", "--schemes",
                                              help="Comma-separated schemes."),
        throughput: Throughput = False, workload: ThroughputWorkload = None,
        throughput_requests: ThroughputRequests = 150,
    ) -> None:
        """DeepSeek-V3 real loads: place with a decode file, evaluate on a prefill file (out of sample)."""
        _run("deepseek-v3-mega", scenario, out=out, quick=quick, seeds=seeds, tokens=tokens, gflops=gflops,
             context_len=context_len, schemes=schemes, out_of_sample=True, evaluate_on=evaluate_on,
             throughput=throughput, workload=workload, throughput_requests=throughput_requests)
