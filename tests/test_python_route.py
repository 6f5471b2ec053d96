"""The README's Python route (scenario -> deployment -> evaluation -> plot), run as written on a small scenario.

The block is read from README.md, so the documented code is the tested code; its numbers must be those of the
CLI route it names (``spacexnet optimize --gateways dp`` then ``spacexnet evaluate --tokens 20000``).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
from test_evaluate_cli import TINY

import spacexnet_opt

README = Path(__file__).resolve().parents[1] / "README.md"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _route_block() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    route = [b for b in blocks if "world_from_file" in b]
    assert len(route) == 1, "README.md should hold exactly one Python route block"
    return route[0]


@pytest.fixture()
def small(tmp_path, monkeypatch) -> Path:
    """A small scenario (320 satellites, 2 snapshots) in an empty working directory (``out/`` does not exist yet)."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "small.toml"
    path.write_text(TINY.replace("count = 6", "count = 2"))
    return path


def test_readme_route_runs_and_matches_the_cli(small, cli):
    code = _route_block()
    assert '"instances/paper.toml"' in code and "out/layers.png" in code
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code.replace("instances/paper.toml", str(small)), "README.md", "exec"), {})
    assert Path("out/layers.png").read_bytes()[:8] == PNG_SIGNATURE  # out/ created by the writer
    line = re.fullmatch(r"(\S+): (\d\.\d{3}) s/token analytic, (\d\.\d{3}) Monte Carlo\n", printed.getvalue())
    assert line, printed.getvalue()

    assert cli("optimize", small, "-o", "cli/dp.json", "--gateways", "dp").exit_code == 0
    assert cli("evaluate", "cli/dp.json", "--tokens", "20000", "--json", "cli/eval.json").exit_code == 0
    doc = json.loads(Path("cli/eval.json").read_text())
    assert line.groups() == (doc["deployment"], f"{doc['analytic_s_per_token']:.3f}", f"{doc['mean_s_per_token']:.3f}")


def test_readme_comment_shows_the_paper_output():
    """The block's ``# ...`` result line has the shape its print statement produces."""
    assert re.search(r"\n# Space-XNet-opt: \d\.\d{3} s/token analytic, \d\.\d{3} Monte Carlo\n", _route_block())


def test_package_top_exports_the_route_lazily():
    for name in ("world_from_file", "optimize_deployment", "evaluate_deployments", "plot_layer_latency",
                 "Deployment", "Evaluation", "Levers", "deployment_to_file", "deployment_from_file"):
        assert name in spacexnet_opt.__all__ and callable(getattr(spacexnet_opt, name))
    assert spacexnet_opt.evaluate_deployments is spacexnet_opt.evaluate.evaluate_deployments
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        spacexnet_opt.nope
