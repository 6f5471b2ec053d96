"""CLI commands ``evaluate`` (seconds per token of a placement) and ``reproduce`` (the paper's experiments)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

__all__ = ["register"]


def _bar(console):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)


def _progress_fn(bar):
    tasks: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total or None)
        bar.update(tasks[stage], completed=done, total=total or None)

    return progress


def _out_console():
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 140)
    return console


def _compute(world_spec_gflops, gflops, context_len):
    from ..evaluate import ComputeModel

    return ComputeModel(satellite_gflops=gflops if gflops is not None else world_spec_gflops,
                        context_len=context_len)


def _evaluate_table(doc: dict, title: str):
    from rich.table import Table

    table = Table(title=title)
    table.add_column("quantity")
    table.add_column("s / token", justify="right")
    table.add_row("analytic (paper formula, expected path latencies)", f"{doc['analytic_s_per_token']:.4f}")
    table.add_row("exact mean, one snapshot per token", f"{doc['snapshot_exact_s_per_token']:.4f}")
    if "ci95_s" in doc:
        lo, hi = doc["ci95_s"]
        table.add_row(f"Monte Carlo mean ({doc['tokens']:,} tokens)", f"{doc['mean_s_per_token']:.4f}  [{lo:.4f}, {hi:.4f}]")
        for q in ("p50", "p95", "p99"):
            table.add_row(f"Monte Carlo {q}", f"{doc[f'{q}_s_per_token']:.4f}")
    prop = sum(layer["propagation_s"] for layer in doc["layers"])
    comp = sum(layer["compute_s"] for layer in doc["layers"]) + doc["per_token_compute_s"]
    table.add_row("of which propagation / compute", f"{prop:.4f} / {comp:.4f}")
    return table


def _table2(doc: dict, title: str):
    from rich.table import Table

    table = Table(title=title)
    for col in ("scheme", "s/token (MC mean)", "std over seeds", "95% CI", "p99", "analytic", "propagation",
                "compute", "paper"):
        table.add_column(col, justify="left" if col == "scheme" else "right")
    for name, row in doc["schemes"].items():
        ci = row.get("ci95_s")
        paper = row.get("paper_s_per_token")
        table.add_row(name, f"{row['mean_s_per_token']:.3f}", f"{row['std_s']:.3f}",
                      f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "-",
                      f"{row['p99_s_per_token']:.3f}" if "p99_s_per_token" in row else "-",
                      f"{row['analytic_s_per_token']:.3f}", f"{row['propagation_s_per_token']:.3f}",
                      f"{row['compute_s_per_token']:.3f}", f"{paper[0]:.2f}-{paper[1]:.2f}" if paper else "-")
    return table


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` and the ``reproduce`` group to the root app."""

    @app.command("evaluate")
    def evaluate_command(
        target: Path = typer.Argument(..., metavar="SCENARIO_OR_INSTANCE",
                                      help="Scenario (.toml) or instance file (JSON) the placement runs on."),
        placement: str = typer.Argument(..., help="Placement file (spacexnet solve -o), or a baseline name: "
                                                  "RandPlace, RandIntra, RandIntra-CG (seeded by --seed)."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the evaluation as JSON (atomically)."),
        tokens: int = typer.Option(100_000, "--tokens", min=0, help="Monte Carlo tokens (0: exact values only)."),
        seed: int = typer.Option(0, "--seed", help="Seed of the simulation and of a baseline placement."),
        gflops: Optional[float] = typer.Option(None, "--gflops", help="Satellite throughput (default: scenario's, "
                                                                       "paper 7.28)."),
        context_len: int = typer.Option(4096, "--context-len", min=0, help="Attention context per token at the "
                                                                           "gateway."),
        link_seed: Optional[int] = typer.Option(None, "--link-seed", help="Redraw link failures with this seed "
                                                                          "(default: the scenario's)."),
    ) -> None:
        """Seconds per generated token of a deployment: analytic and Monte Carlo."""
        from rich.console import Console

        from ..errors import InputError
        from ..evaluate import (BASELINE_SCHEMES, ComputeModel, deployment_from_baseline, deployment_from_placement,
                                evaluate, world_from_file)
        from ..fileio import write_json_atomic

        if tokens == 1:
            raise InputError("must be 0 or at least 2", field="--tokens")
        err = Console(stderr=True)
        with _bar(err) as bar:
            progress = _progress_fn(bar)
            progress("building the world", 0, 1)
            world = world_from_file(target, compute=ComputeModel(context_len=context_len), link_seed=link_seed)
            world = world.with_compute(_compute(world.compute.satellite_gflops if gflops is None else gflops,
                                                None, context_len)) if gflops is not None else world
            progress("building the world", 1, 1)
            if placement in BASELINE_SCHEMES:
                deployment = deployment_from_baseline(world.partition, world.n_experts, scheme=placement, seed=seed)
            elif not Path(placement).exists() and "." not in Path(placement).name:
                raise InputError(f"no such placement file, and not a baseline name ({', '.join(BASELINE_SCHEMES)})",
                                 source=placement)
            else:
                from ..placement import load_placement

                deployment = deployment_from_placement(load_placement(placement), world.layers, n_sats=world.n_sats,
                                                       source=placement)
            ev = evaluate(world, deployment, tokens=tokens, seed=seed,
                          progress=lambda done, total: progress("routing", done, total))
        doc = ev.to_json()
        _out_console().print(_evaluate_table(doc, f"{placement} on {target}"))
        if json_out is not None:
            write_json_atomic(json_out, doc)
            typer.echo(f"wrote {json_out}")

    reproduce = typer.Typer(no_args_is_help=True, help="Reproduce the Space-XNet paper's experiments.")
    app.add_typer(reproduce, name="reproduce")

    def _run(name: str, scenario: Optional[Path], out: Optional[Path], sweeps: bool, quick: bool, seeds: Optional[int],
             tokens: Optional[int], gflops: Optional[float], context_len: int, schemes: Optional[str],
             eval_statistics: Optional[Path] = None) -> None:
        import time

        from rich.console import Console

        from ..errors import InputError
        from ..evaluate import ComputeModel
        from ..reproduce import SCHEMES, default_scenario, reproduce_sweeps, reproduce_table, write_table
        from ..scenario import load_scenario

        scenario = scenario or default_scenario(name)
        spec = load_scenario(scenario)
        chosen = tuple(SCHEMES) if schemes is None else tuple(s.strip() for s in schemes.split(",") if s.strip())
        bad = [s for s in chosen if s not in SCHEMES]
        if bad:
            raise InputError(f"unknown scheme {bad[0]!r}; valid schemes: {', '.join(SCHEMES)}", field="--schemes")
        compute = ComputeModel(satellite_gflops=gflops if gflops is not None else spec.compute.satellite_gflops,
                               context_len=context_len)
        stats = None
        if eval_statistics is not None:
            from ..moe import get_profile, load_expert_load

            stats = load_expert_load(eval_statistics, profile=get_profile(spec.model.profile))
        err = Console(stderr=True)
        start = time.perf_counter()
        with _bar(err) as bar:
            doc = reproduce_table(spec, scenario, schemes=chosen, seeds=seeds or (3 if quick else 10),
                                  tokens=tokens if tokens is not None else (20_000 if quick else 100_000),
                                  snapshots=min(50, spec.snapshots.count) if quick else None, compute=compute, statistics=stats,
                                  progress=_progress_fn(bar))
        _out_console().print(_table2(doc, f"Table II analogue: {scenario} ({time.perf_counter() - start:.1f} s)"))
        if out is not None:
            write_table(doc, out)
            typer.echo(f"wrote {out / 'table2.json'}")
        if sweeps:
            if out is None:
                raise InputError("the sweeps write CSV and PNG files: give --out DIR", field="--sweeps")
            start = time.perf_counter()
            with _bar(err) as bar:
                reproduce_sweeps(spec, scenario, out, quick=quick, seeds=2 if quick else 3,
                                 snapshots=min(50, spec.snapshots.count) if quick else None, compute=compute,
                                 progress=_progress_fn(bar))
            typer.echo(f"wrote sweeps to {out} ({time.perf_counter() - start:.1f} s)")

    common = dict(
        out=typer.Option(None, "--out", help="Directory for table2.json (and the sweeps' CSV/PNG)."),
        quick=typer.Option(False, "--quick", help="50 snapshots, 3 seeds, 20,000 tokens, 2-point sweeps."),
        seeds=typer.Option(None, "--seeds", min=2, help="Placements per random scheme (default 10)."),
        tokens=typer.Option(None, "--tokens", min=0, help="Monte Carlo tokens per scheme (default 100,000)."),
        gflops=typer.Option(None, "--gflops", help="Satellite throughput in GFLOPS (default: scenario's, 7.28)."),
        context_len=typer.Option(4096, "--context-len", min=0, help="Attention context at the gateway."),
        schemes=typer.Option(None, "--schemes", help="Comma-separated schemes (default: all)."),
    )

    @reproduce.command("paper")
    def paper(
        scenario: Optional[Path] = typer.Option(None, "--scenario", help="Default instances/paper.toml."),
        out: Optional[Path] = common["out"],
        sweeps: bool = typer.Option(False, "--sweeps/--no-sweeps", help="Also run the Fig. 7 sweeps (needs --out)."),
        quick: bool = common["quick"], seeds: Optional[int] = common["seeds"], tokens: Optional[int] = common["tokens"],
        gflops: Optional[float] = common["gflops"], context_len: int = common["context_len"],
        schemes: Optional[str] = common["schemes"],
    ) -> None:
        """Table II analogue of the paper's setting (and the Fig. 7 sweeps with --sweeps)."""
        _run("paper", scenario, out, sweeps, quick, seeds, tokens, gflops, context_len, schemes)

    @reproduce.command("starlink-tle")
    def starlink(
        scenario: Optional[Path] = typer.Option(None, "--scenario", help="Default instances/starlink-tle.toml."),
        out: Optional[Path] = common["out"], quick: bool = common["quick"], seeds: Optional[int] = common["seeds"],
        tokens: Optional[int] = common["tokens"], gflops: Optional[float] = common["gflops"],
        context_len: int = common["context_len"], schemes: Optional[str] = common["schemes"],
    ) -> None:
        """The schemes on the real Starlink 53° shell (TLE)."""
        _run("starlink-tle", scenario, out, False, quick, seeds, tokens, gflops, context_len, schemes)

    @reproduce.command("deepseek-v3")
    def deepseek(
        scenario: Optional[Path] = typer.Option(None, "--scenario", help="Default instances/deepseek-v3-mega.toml "
                                                                         "(placed on its decode statistics)."),
        evaluate_on: Path = typer.Option(Path(__file__).resolve().parents[3] / "shared" / "data" / "moe-load" /
                                         "deepseek-v3" / "prefill_in1000out1000.json", "--evaluate-on",
                                         help="Expert-load file the placements are evaluated on (out of sample)."),
        out: Optional[Path] = common["out"], quick: bool = common["quick"], seeds: Optional[int] = common["seeds"],
        tokens: Optional[int] = common["tokens"], gflops: Optional[float] = common["gflops"],
        context_len: int = common["context_len"],
        schemes: Optional[str] = typer.Option("RandPlace,RandIntra,RandIntra-CG,Space-XNet", "--schemes",
                                              help="Comma-separated schemes."),
    ) -> None:
        """DeepSeek-V3 real loads: place with a decode file, evaluate on a prefill file (out of sample)."""
        _run("deepseek-v3-mega", scenario, out, False, quick, seeds, tokens, gflops, context_len, schemes,
             eval_statistics=evaluate_on)
