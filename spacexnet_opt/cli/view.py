"""CLI command ``view``: a self-contained HTML view of a placement or a deployment file on its constellation."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

__all__ = ["register"]


def _deployment(world, placement: Optional[Path]):
    """The placement file's deployment, or the Space-XNet scheme's when none is given."""
    from ..evaluate import deployment_from_placement
    from ..evaluate.deployment import deployment_from_solver
    from ..reproduce.schemes import SCHEMES

    if placement is None:
        scheme = SCHEMES["Space-XNet"]
        return deployment_from_solver(world.layers, objective=scheme.objective, method=scheme.method, name="Space-XNet")
    from ..formats.placement import load_placement

    return deployment_from_placement(load_placement(placement), world.layers, n_sats=world.n_sats, source=placement)


def _is_deployment(path: Path) -> bool:
    """True for a deployment file (JSON whose ``format`` is spacexnet-deployment)."""
    from ..formats.deployment import DEPLOYMENT_FORMAT
    from ..fileio import read_json

    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    doc = read_json(path)
    return isinstance(doc, dict) and doc.get("format") == DEPLOYMENT_FORMAT


def _world_and_deployment(target: Path, placement: Optional[Path]):
    """``(world, deployment, label)``: a deployment file's plan on its own scenario, or an instance's placement."""
    if _is_deployment(target):
        from ..evaluate import load_deployment_world
        from ..errors import InputError

        if placement is not None:
            raise InputError("a deployment file is drawn alone (no placement argument)", source=placement)
        doc, plan, world = load_deployment_world(target)
        return world, plan, doc.name
    from ..evaluate import world_from_file

    world = world_from_file(target)
    deployment = _deployment(world, placement)
    return world, deployment, deployment.name or str(placement)


def register(app: typer.Typer) -> None:
    """Add the ``view`` command to the root app."""

    @app.command("view")
    def view(
        instance: Path = typer.Argument(..., metavar="DEPLOYMENT_OR_INSTANCE",
                                        help="Deployment file (spacexnet optimize/convert -o), or an instance "
                                             "(JSON) or scenario (TOML) file."),
        placement: Optional[Path] = typer.Argument(None, help="Placement file.",
                                                    show_default="the Space-XNet scheme"),
        out: Path = typer.Option(..., "-o", "--output", "--out", help="HTML file to write."),
        frames: int = typer.Option(12, "--frames", min=1, help="Snapshots on the slider (evenly spaced)."),
        up_links: Optional[bool] = typer.Option(None, "--up-links/--no-up-links",
                                                help="Draw the usable ISLs (links down are always drawn).",
                                                show_default="for shells up to 5,000 satellites"),
        results: Optional[Path] = typer.Option(None, "--results",
                                               help="A reproduce table2.json or a sweep results.sqlite (or its "
                                                    "directory) to chart beside the map."),
        serving: Optional[List[Path]] = typer.Option(None, "--serving",
                                                     help="A load sweep's results.sqlite (or its directory) or a "
                                                          "spacexnet serve -o JSON: adds the throughput-latency "
                                                          "curves (repeatable)."),
        seed: int = typer.Option(0, "--seed", min=0, help="Seed of the sampled token whose path is drawn."),
    ) -> None:
        """Write one offline HTML page: a map and a globe with satellites, ISLs, subnets, gateways, experts,
        a token's path and coastlines, on one slider over the snapshots.

        A deployment file also shows its expert replicas and compute groups.
        """
        from ..view import globe_figure, layer_figure, make_scene, map_figure, results_figure, serving_figure, write_view

        curve = serving_figure(serving) if serving else None  # a bad curve file is refused before the world is built
        world, deployment, label = _world_and_deployment(instance, placement)
        scene = make_scene(world, deployment, frames=frames, seed=seed)
        figures = [(map_figure(scene, up_links=up_links), globe_figure(scene)), layer_figure(world, deployment)]
        if results is not None:
            figures.append(results_figure(results))
        if curve is not None:
            figures.append(curve)
        size = write_view(out, figures, title=f"{world.name}: {label}")
        typer.echo(f"wrote {out} ({size / 1e6:.1f} MB, {world.n_sats} satellites, {len(scene.frames)} snapshots)")
