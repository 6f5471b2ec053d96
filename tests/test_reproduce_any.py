"""``spacexnet reproduce`` on any scenario: the paper's numbers only beside its own setting, the schemes
checked against the scenario's model before any work, and the lines under the table."""

import json
import re

import pytest

from spacexnet_opt.errors import InputError, SolverError
from spacexnet_opt.formats.scenario import load_scenario
from spacexnet_opt.reproduce import default_scenario, reproduce_table
from spacexnet_opt.reproduce.paper import is_paper_scenario
from spacexnet_opt.reproduce.schemes import DEFAULT_SCHEMES, scheme_obstacle

from scenario_text import small_scenario

PAPER = default_scenario("paper")
TOP2_NOTE = "note: Space-XNet-top2 left out: it needs top-2 routing, the model routes top-8 (toy-top8)\n"


def _paper_copy(tmp_path, name: str = "mine.toml", **replace: str):
    """instances/paper.toml under another name, with 2 snapshots (cheap) and the text changes ``replace``."""
    text = PAPER.read_text().replace('name = "paper"', 'name = "mine"').replace("count = 200", "count = 2")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture()
def top8(tmp_path):
    """The small test shell with a top-8 model (8 of 16 experts, 4 layers so that a band holds them)."""
    (tmp_path / "top8.toml").write_text('base = "llama-moe-3.5b-4of16"\nname = "toy-top8"\ntop_k = 8\nn_layers = 4\n')
    path = tmp_path / "scenario.toml"
    path.write_text(small_scenario(snapshots=2, fold=1, diameter_snapshots=0).replace(
        'profile = "llama-moe-3.5b-2of8"', 'file = "top8.toml"'))
    return path


WALKER = '[constellation.walker]\nn_planes = 33\nsats_per_plane = 32\naltitude_km = {alt}\ninclination_deg = 87.0\n' \
         'pattern = "star"'


@pytest.mark.parametrize("replace, expected", [
    ({}, True),
    ({'[constellation]\npreset = "paper"': WALKER.format(alt=550.0)}, True),  # the preset's parameters spelled out
    ({"statistics = 0": "statistics = 7", "diameter_snapshots = 4": "diameter_snapshots = 1"}, True),
    ({'[constellation]\npreset = "paper"': WALKER.format(alt=560.0)}, False),
    ({"survival = 0.95": "survival = 0.9"}, False),
    ({'profile = "llama-moe-3.5b-2of8"': 'profile = "mixtral-8x7b"'}, False),
    ({"exponent = 1.0": "exponent = 1.2"}, False),
    ({'gateway = "center"': 'gateway = "median"'}, False),
    ({"satellite_gflops = 7.28": "satellite_gflops = 14.56"}, False),
], ids=["copy", "walker-spelled-out", "other-seeds", "altitude", "survival", "model", "statistics", "gateway",
        "throughput"])
def test_the_paper_scenario_is_recognised_by_its_setting(tmp_path, replace, expected):
    path = _paper_copy(tmp_path, **replace)
    assert is_paper_scenario(load_scenario(path), path) is expected


def test_the_paper_scenario_with_other_throughput_is_not_the_papers():
    assert is_paper_scenario(load_scenario(PAPER), PAPER)
    assert not is_paper_scenario(load_scenario(PAPER), PAPER, gflops=7.3)


def _space_xnet_cells(output: str) -> list[str]:
    row = next(line for line in output.splitlines() if line.startswith("│ Space-XNet "))
    return [cell.strip() for cell in row.strip("│").split("│")]


def test_paper_column_and_reading_guide_for_the_papers_scenario_under_another_name(cli, tmp_path):
    path = _paper_copy(tmp_path)
    result = cli("reproduce", "paper", "--scenario", path, "--seeds", 2, "--tokens", 0,
                 "--schemes", "RandPlace,Space-XNet", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "out" / "table2.json").read_text())
    assert doc["schemes"]["Space-XNet"]["paper_s_per_token"] == [1.02, 1.07]
    assert doc["schemes"]["RandPlace"]["paper_s_per_token"] == [5.28, 5.30]
    assert _space_xnet_cells(result.output)[-1] == "1.02-1.07"
    floor = doc["assumptions"]["compute_floor_s_per_token"]
    assert f"{floor:.3f}" == "1.034" == f"{doc['schemes']['Space-XNet']['compute_s_per_token']:.3f}"
    assert (f"Compute alone costs 1.034 s/token (each layer's gateway and one expert, no link crossed): the paper's "
            f"1.02-1.07 s/token for Space-XNet leaves at most {1.07 - floor:.3f} s for the links. "
            "docs/reproduction.md explains the gap.\n") in result.output


def test_no_paper_numbers_beside_another_shell(cli, tmp_path):
    path = _paper_copy(tmp_path, **{'[constellation]\npreset = "paper"': WALKER.format(alt=560.0)})
    out = tmp_path / "out"
    result = cli("reproduce", "paper", "--scenario", path, "--seeds", 2, "--tokens", 0,
                 "--schemes", "RandPlace,Space-XNet", "--out", out)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "table2.json").read_text())
    assert doc["assumptions"]["paper_scenario"] is False
    assert [k for row in doc["schemes"].values() for k in row if k.startswith("paper")] == []
    header = next(line for line in result.output.splitlines() if line.startswith("┃ scheme"))
    assert header.split("┃")[-2].strip() == "resources" and "paper" not in header
    assert _space_xnet_cells(result.output)[-3:] == ["1.034", "-", "288 sat, 1/sat, 0 rep, group 1"]
    for paper_figure in ("1.02", "1.07", "5.28", "5.30"):
        assert paper_figure not in result.output


def test_top8_defaults_leave_out_the_top2_scheme_with_a_note_and_run(cli, top8, tmp_path):
    out = tmp_path / "out"
    result = cli("reproduce", "paper", "--scenario", top8, "--seeds", 2, "--tokens", 0, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stderr == TOP2_NOTE
    doc = json.loads((out / "table2.json").read_text())
    expected = [s for s in DEFAULT_SCHEMES if s != "Space-XNet-top2"]
    assert list(doc["schemes"]) == expected
    assert doc["assumptions"]["schemes_left_out"] == [TOP2_NOTE[len("note: "):-1]]
    # the lines under the table: the compute floor, the doc, and a view command that works as printed
    floor = f"{doc['assumptions']['compute_floor_s_per_token']:.3f}"
    assert floor == f"{doc['schemes']['Space-XNet']['compute_s_per_token']:.3f}"
    lines = result.stdout.splitlines()
    assert lines[-2] == (f"Compute alone costs {floor} s/token (each layer's gateway and one expert, no link "
                         "crossed; the -tp rows split it over compute groups); the rest is propagation. "
                         "docs/reproduction.md describes the model.")
    best = min(expected, key=lambda s: doc["schemes"][s]["mean_s_per_token"])
    command = (f"spacexnet view {out / f'deployment-{best}.json'} --results {out / 'table2.json'} "
               f"-o {out / 'view.html'}")
    assert lines[-1] == f"View the fastest scheme: {command}"
    view = cli(*command.split()[1:])
    assert view.exit_code == 0, view.output
    assert (out / "view.html").stat().st_size > 0


def test_an_unsupported_scheme_is_refused_before_any_work(cli, top8, tmp_path, monkeypatch):
    import spacexnet_opt.reproduce as reproduce

    def no_work(*args, **kwargs):
        raise AssertionError("the table ran")

    monkeypatch.setattr(reproduce, "reproduce_table", no_work)
    result = cli("reproduce", "paper", "--scenario", top8, "--schemes", "Space-XNet,Space-XNet-top2",
                 "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert re.fullmatch(r"error: --schemes: Space-XNet-top2 needs top-2 routing, the model routes top-8 "
                        r"\(toy-top8\); schemes it can run: RandPlace, [^\n]*\n", result.stderr)
    assert "Space-XNet-top2" not in result.stderr.split("can run: ")[1].split(", ")
    assert not (tmp_path / "out").exists()


def test_the_library_refuses_an_unsupported_scheme_before_routing(top8, monkeypatch):
    import spacexnet_opt.reproduce.paper as paper

    monkeypatch.setattr(paper, "scheme_world", lambda *a, **k: pytest.fail("routed"))
    with pytest.raises(InputError, match=r"^schemes: Space-XNet-top2 needs top-2 routing"):
        reproduce_table(load_scenario(top8), top8, schemes=("Space-XNet-top2",), seeds=2, tokens=0)


def test_the_top2_schemes_expert_limit_is_the_brute_force_limit():
    from spacexnet_opt.solve.backends.brute import solve_brute
    from spacexnet_opt.solve.problems import QAPProblem
    import numpy as np

    assert scheme_obstacle("Space-XNet-top2", top_k=2, n_experts=9) is None
    assert "10! orders" in scheme_obstacle("Space-XNet-top2", top_k=2, n_experts=10)
    rng = np.random.default_rng(0)
    flow = np.triu(rng.uniform(size=(10, 10)), 1)
    with pytest.raises(SolverError, match="10 experts to 10 candidates"):
        solve_brute(QAPProblem.top2(flow / flow.sum(), rng.uniform(size=12)))


@pytest.mark.parametrize("command, sweeps", [("paper", True), ("starlink-tle", False), ("deepseek-v3", False)])
def test_only_the_paper_command_mentions_sweeps(cli, command, sweeps):
    result = cli("reproduce", command, "--help")
    assert result.exit_code == 0
    assert ("sweep" in result.output.lower()) is sweeps
