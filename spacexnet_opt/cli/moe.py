"""CLI commands: ``spacexnet moe profiles | info | stats | sample``.

``info`` shows a model's per-token compute split and activation message size,
``stats`` summarises an expert-load or trace file, ``sample`` writes a
calibrated token trace drawn from a load file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from ..errors import InputError
from .console import result_console

moe_app = typer.Typer(no_args_is_help=True, help="MoE model profiles and activation statistics.")


def _profile(spec: str):
    """A built-in profile name, or a .toml/.json profile file (or a Hugging Face config.json)."""
    from ..moe.profile_files import PROFILE_FILE_TYPES, load_profile
    from ..moe.profiles import get_profile

    return load_profile(spec) if Path(spec).suffix in PROFILE_FILE_TYPES else get_profile(spec)


def _stats(path: Path, profile: Optional[str], k: Optional[int]):
    """Expert-load file (.json/.npy) or trace file (.npz/.jsonl)."""
    from ..moe import load_expert_load, load_trace

    prof = None if profile is None else _profile(profile)
    if path.suffix in (".npz", ".jsonl"):
        if k is not None:
            raise InputError("--k applies to expert-load files; a trace gives k itself", field="k", source=path)
        return load_trace(path, profile=prof)
    return load_expert_load(path, profile=prof, k=k)


@moe_app.command("profiles")
def profiles(context: int = typer.Option(4096, "--context-len", "--context", help="Context length for the GFLOP column.")) -> None:
    """List the built-in model profiles."""
    from ..moe import PROFILES

    table = Table(title=f"Built-in MoE profiles (GFLOP per token at a {context}-token context)")
    for col in ("name", "layers", "dense", "experts", "top-k", "shared", "hidden", "expert FFN", "GFLOP/token"):
        table.add_column(col, justify="left" if col == "name" else "right", no_wrap=True)
    for p in PROFILES.values():
        table.add_row(p.name, str(p.n_layers), str(p.n_dense_layers), str(p.n_experts), str(p.top_k),
                      str(p.n_shared_experts), str(p.hidden_size), str(p.expert_ffn_dim),
                      f"{p.total_gflop_per_token(context):.2f}")
    result_console(110).print(table)


@moe_app.command("info")
def info(
    profile: str = typer.Argument(..., help="Built-in profile name, a .toml/.json profile file or a Hugging Face "
                                            "config.json."),
    context: int = typer.Option(4096, "--context-len", "--context", help="Context length (keys each token attends to)."),
    bytes_per_element: int = typer.Option(2, help="Bytes per activation element (2 = bf16)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Per-token compute split (gateway vs one routed expert) and activation message size."""
    p = _profile(profile)
    row = {
        "name": p.name,
        "moe_layers": p.n_moe_layers,
        "dense_layers": p.n_dense_layers,
        "experts": p.n_experts,
        "top_k": p.top_k,
        "shared_experts": p.n_shared_experts,
        "context_len": context,
        "gateway_gflop_per_token": p.gateway_gflop_per_token(context),
        "expert_gflop_per_token": p.expert_gflop_per_token(),
        "dense_layer_gflop_per_token": p.dense_layer_gflop_per_token(context),
        "lm_head_gflop_per_token": p.lm_head_gflop_per_token(),
        "total_gflop_per_token": p.total_gflop_per_token(context),
        f"total_tflop_per_{context}_tokens": p.total_gflop_per_token(context) * context / 1000,
        "active_params_billion": p.active_params() / 1e9,
        "total_params_billion": p.total_params() / 1e9,
        "activation_bytes": p.activation_bytes(bytes_per_element),
    }
    if as_json:
        typer.echo(json.dumps({**row, "source": p.source}, indent=1))
        return
    table = Table(title=f"{p.name}: per-token compute (2 FLOP per multiply-accumulate)", show_header=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in row.items():
        table.add_row(key.replace("_", " "), f"{value:.4g}" if isinstance(value, float) else str(value))
    console = Console()
    console.print(table)
    console.print(f"source: {p.source}")


@moe_app.command("stats")
def stats(
    file: Path = typer.Argument(..., help="Expert load (.json SGLang/EPLB, .npy) or token trace (.npz, .jsonl)."),
    profile: Optional[str] = typer.Option(None, help="Profile to check the file against (name or file)."),
    k: Optional[int] = typer.Option(None, help="Top-k, for a load file without a profile."),
    per_layer: bool = typer.Option(False, "--per-layer", help="One row per MoE layer."),
    plot: Optional[Path] = typer.Option(None, help="Write a heat map of p (layers x experts) to this PNG."),
) -> None:
    """Summarise a load or trace file: layers, skew, hottest experts, notes."""
    import numpy as np

    s = _stats(file, profile, k)
    skew = s.skew()
    typer.echo(f"{s.source}: {s.n_layers} MoE layers (layers {s.layers[0]}..{s.layers[-1]}), "
               f"{s.n_experts} experts, top-{s.k}" + (f", trace of {s.trace[0].n_tokens} tokens" if s.trace else ""))
    typer.echo(f"hottest expert / mean load: min {skew.min():.2f}, median {np.median(skew):.2f}, "
               f"max {skew.max():.2f}; largest p {s.p.max():.4f}; smallest p {s.p.min():.3g}")
    for note in s.notes:
        typer.echo(f"note: {note}")
    if per_layer:
        table = Table()
        for col in ("layer", "hottest", "p max", "p min", "skew", "effective experts"):
            table.add_column(col, justify="right")
        for r in s.summary():
            table.add_row(str(r["layer"]), str(r["hottest"]), f"{r['p_max']:.4f}", f"{r['p_min']:.3g}",
                          f"{r['skew']:.2f}", f"{r['effective_experts']:.1f}")
        Console().print(table)
    if plot is not None:
        _plot_heatmap(s, plot)
        typer.echo(f"wrote {plot}")


def _plot_heatmap(s, path: Path) -> None:
    from ..plotting import pyplot, save_figure

    fig, ax = pyplot().subplots(figsize=(10, 4 + s.n_layers / 20))
    image = ax.imshow(s.p, aspect="auto", interpolation="nearest", cmap="viridis",
                      extent=(-0.5, s.n_experts - 0.5, s.layers[-1] + 0.5, s.layers[0] - 0.5))
    ax.set_xlabel("expert")
    ax.set_ylabel("layer")
    ax.set_title(f"activation probability p (top-{s.k}): {Path(s.source).name}")
    fig.colorbar(image, ax=ax, label="p")
    save_figure(fig, path)


@moe_app.command("sample")
def sample(
    file: Path = typer.Argument(..., help="Expert load (.json, .npy) or trace (.npz, .jsonl) giving p."),
    out: Path = typer.Option(..., "-o", "--output", "--out", help="Trace file to write (.npz or .jsonl)."),
    tokens: int = typer.Option(10_000, help="Tokens to draw."),
    seed: int = typer.Option(0, help="Random seed."),
    profile: Optional[str] = typer.Option(None, help="Profile to check the file against (name or file)."),
    k: Optional[int] = typer.Option(None, help="Top-k, for a load file without a profile."),
) -> None:
    """Draw a token trace whose inclusion frequencies match the file's p (calibrated sampler)."""
    from ..moe import ActivationStats, save_trace

    if tokens < 1:
        raise InputError(f"must be >= 1, got {tokens}", field="--tokens")
    if out.suffix not in (".npz", ".jsonl"):
        raise InputError(f"unknown trace file type {out.suffix or '(none)'!r}: expected .npz or .jsonl", field="--output")
    s = _stats(file, profile, k)
    sets = s.sampler().sample(tokens, rng=seed)
    sampled = ActivationStats.from_trace(list(sets), n_experts=s.n_experts, layers=s.layers,
                                         source=f"sampled from {file}")
    save_trace(sampled, out)
    typer.echo(f"wrote {out}: {tokens} tokens x {s.n_layers} layers, top-{s.k} of {s.n_experts}")


def register(app: typer.Typer) -> None:
    """Add the ``moe`` command group to the root app."""
    app.add_typer(moe_app, name="moe")
