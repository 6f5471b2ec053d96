"""CLI command ``evaluate``: seconds per generated token of a placement."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path
from typing import Optional

import typer

from .console import progress_bar, result_console, stage_reporter

__all__ = ["register", "with_compute_options", "evaluate_table", "write_layer_outputs", "evaluate_deployment_command",
           "LAYER_COLUMNS"]

LAYER_COLUMNS = ("layer", "gateway", "mean_s", "propagation_s", "compute_s", "analytic_s")
"""The ``--csv`` columns: one row per MoE layer, the ``layers`` rows of the ``--json`` document."""


def evaluate_table(doc: dict, title: str):
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


def write_layer_outputs(doc: dict, *, plot: Optional[Path], csv_path: Optional[Path], title: str) -> None:
    """Write the evaluation ``doc``'s per-layer rows as a PNG bar chart (``--plot``) and as CSV (``--csv``)."""
    from ..fileio import write_text_atomic
    from ..plotting import plot_layer_latency

    if csv_path is not None:
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=LAYER_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(doc["layers"])
        write_text_atomic(csv_path, text.getvalue())
        typer.echo(f"wrote {csv_path} ({len(doc['layers'])} layers)")
    if plot is not None:
        per_token = doc["per_token_compute_s"]
        total = f"{doc['mean_s_per_token']:.4f} s/token" + (f" (with {per_token:.4f} s per token outside the layers)"
                                                             if per_token else "")
        plot_layer_latency(doc["layers"], plot, title=f"{title}: {total}")
        typer.echo(f"wrote {plot}")


def with_compute_options(world, *, gflops: float | None, context_len: int):
    """``world`` with the ``--gflops`` and ``--context-len`` options applied."""
    return world.with_compute(dataclasses.replace(
        world.compute, context_len=context_len,
        satellite_gflops=world.compute.satellite_gflops if gflops is None else gflops))


def evaluate_deployment_command(path: Path, *, json_out: Optional[Path], tokens: int, seed: int,
                                gflops: Optional[float], context_len: int, link_seed: Optional[int]) -> dict:
    """``spacexnet evaluate DEPLOYMENT``: the deployment on the world of its own scenario or instance; returns the
    evaluation document (the ``--json`` one)."""
    from ..evaluate import evaluate_deployments, load_deployment_world
    from ..fileio import write_json_atomic

    with progress_bar() as bar:
        progress = stage_reporter(bar)
        progress("building the world", 0, 1)
        doc, plan, world = load_deployment_world(path, link_seed=link_seed)
        world = with_compute_options(world, gflops=gflops, context_len=context_len)
        progress("building the world", 1, 1)
        memory = _satellite_memory(plan, world, path)
        ev = evaluate_deployments(world, [plan], tokens=tokens, seed=seed, progress=progress)[0]
    out = ev.to_json()
    out["deployment"] = doc.name
    out["satellite_memory"] = memory
    if plan.replicated:
        out["replicas"] = plan.n_replicas
    if doc.predicted is not None:
        out["predicted_s_per_token"] = doc.predicted.s_per_token
    console = result_console()
    console.print(evaluate_table(out, f"{doc.name} ({path})"))
    if doc.predicted is not None:
        console.print(f"predicted by the optimiser: {doc.predicted.s_per_token:.4f} s/token (exact snapshot mean)")
    if json_out is not None:
        write_json_atomic(json_out, out)
        typer.echo(f"wrote {json_out}")
    return out


def _satellite_memory(plan, world, path):
    """Bytes the satellites hold at the evaluated context: the largest, and every compute-group member (or gateway)
    (refused over the scenario's memory)."""
    from ..evaluate.memory import check_world_memory, memory_summary

    use = check_world_memory(plan, world, source=path)
    return memory_summary(plan, use, world.compute.context_len)


def register(app: typer.Typer) -> None:
    """Add the ``evaluate`` command to the root app."""

    @app.command("evaluate")
    def evaluate_command(
        target: Path = typer.Argument(..., metavar="SCENARIO_OR_INSTANCE_OR_DEPLOYMENT",
                                      help="Scenario (.toml) or instance file (JSON) the placement runs on; "
                                           "alone: a deployment file (spacexnet optimize -o)."),
        placement: Optional[str] = typer.Argument(None, help="Placement file (spacexnet solve -o), or a baseline "
                                                             "name: RandPlace, RandIntra, RandIntra-CG (seeded by "
                                                             "--seed). Omit it to evaluate a deployment file."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the evaluation as JSON (atomically)."),
        tokens: int = typer.Option(100_000, "--tokens", min=0, help="Monte Carlo tokens (0: exact values only)."),
        seed: int = typer.Option(0, "--seed", help="Seed of the simulation and of a baseline placement."),
        gflops: Optional[float] = typer.Option(None, "--gflops", help="Satellite throughput in GFLOPS.",
                                                show_default="the scenario's; paper 7.28"),
        context_len: int = typer.Option(4096, "--context-len", min=0, help="Attention context per token at the "
                                                                           "gateway."),
        link_seed: Optional[int] = typer.Option(None, "--link-seed", help="Redraw link failures with this seed.",
                                                show_default="the scenario's"),
        plot: Optional[Path] = typer.Option(None, "--plot", help="Write each layer's s/token (propagation and "
                                                                 "compute stacked) as a PNG chart."),
        csv_path: Optional[Path] = typer.Option(None, "--csv", help="Write one row per layer as CSV: "
                                                                    + ", ".join(LAYER_COLUMNS) + "."),
    ) -> None:
        """Seconds per generated token of a deployment: analytic and Monte Carlo."""
        from ..errors import InputError
        from ..evaluate import (BASELINE_SCHEMES, deployment_from_baseline, deployment_from_placement,
                                evaluate, world_from_file)
        from ..fileio import write_json_atomic

        if tokens == 1:
            raise InputError("must be 0 or at least 2", field="--tokens")
        if placement is None:

            doc = evaluate_deployment_command(target, json_out=json_out, tokens=tokens, seed=seed, gflops=gflops,
                                              context_len=context_len, link_seed=link_seed)
            write_layer_outputs(doc, plot=plot, csv_path=csv_path, title=doc["deployment"] or target.name)
            return
        with progress_bar() as bar:
            progress = stage_reporter(bar)
            progress("building the world", 0, 1)
            world = world_from_file(target, link_seed=link_seed)
            world = with_compute_options(world, gflops=gflops, context_len=context_len)
            progress("building the world", 1, 1)
            if placement in BASELINE_SCHEMES:
                deployment = deployment_from_baseline(world.partition, world.n_experts, scheme=placement, seed=seed)
            elif not Path(placement).exists() and "." not in Path(placement).name:
                raise InputError(f"no such placement file, and not a baseline name ({', '.join(BASELINE_SCHEMES)})",
                                 source=placement)
            else:
                from ..formats.placement import load_placement

                deployment = deployment_from_placement(load_placement(placement), world.layers, n_sats=world.n_sats,
                                                       source=placement)
            memory = _satellite_memory(deployment, world, target if placement in BASELINE_SCHEMES else placement)
            ev = evaluate(world, deployment, tokens=tokens, seed=seed, progress=progress)
        doc = {**ev.to_json(), "satellite_memory": memory}
        result_console().print(evaluate_table(doc, f"{placement} on {target}"))
        if json_out is not None:
            write_json_atomic(json_out, doc)
            typer.echo(f"wrote {json_out}")
        write_layer_outputs(doc, plot=plot, csv_path=csv_path, title=f"{Path(placement).name} on {target.name}")
