"""Hostile deployment files through ``evaluate``, ``view`` and the library loader: exit code 2, one line naming
the file and the field, and no file changed; a hypothesis property mutates a valid file field by field."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacexnet_opt.evaluate import load_deployment_world
from spacexnet_opt.errors import SpaceXNetError

from hostile import assert_one_error_line, run_cli as _run, tree_digest
from test_evaluate_cli import TINY as EVALUATE_TINY
from test_readers_property import _mutate_json as mutate_json

# 320 satellites, 2 snapshots
TINY = EVALUATE_TINY.replace("count = 6", "count = 2").replace("diameter_snapshots = 2", "diameter_snapshots = 0")


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """sc.toml and dep.json (optimised with compute groups) in one directory."""
    d = tmp_path_factory.mktemp("hostile-deployment")
    (d / "sc.toml").write_text(TINY)
    result = _run("optimize", d / "sc.toml", "-o", d / "dep.json", "--compute-group", "waterfill",
                  "--group-size", "3")
    assert result.exit_code == 0, result.output
    return d


def _valid(work: Path) -> dict:
    return json.loads((work / "dep.json").read_text())


def _set(path: str, value):
    """A mutation setting the dotted/indexed ``path`` (``layers.0.gateway``) of a deployment document."""
    def mutate(doc):
        *parents, last = [int(p) if p.lstrip("-").isdigit() else p for p in path.split(".")]
        node = doc
        for key in parents:
            node = node[key]
        node[last] = value
        return doc
    return mutate


BIG = 10**30
CASES = {
    # id: (mutation, words the line must name)
    "gateway-beyond-int": (_set("layers.0.gateway", BIG), ("layers[0].gateway", "less than or equal")),
    "expert-beyond-int": (_set("layers.1.experts.0", [BIG]), ("layers[1].experts[0][0]",)),
    "member-beyond-int": (_set("layers.0.compute_group.members.0", BIG), ("layers[0].compute_group.members[0]",)),
    "member-negative": (_set("layers.0.compute_group.members.0", -4), ("layers[0].compute_group.members[0]",)),
    "gateway-outside": (lambda d: _set("layers.-1.next_gateway", 5000)(_set("layers.0.gateway", 5000)(d)),
                        ("layers[0].gateway", "5000", "outside the constellation")),
    "expert-outside": (_set("layers.2.experts.3", [7000]), ("layers[2].experts[3]", "7000", "outside")),
    "member-outside": (_set("layers.1.compute_group.members.0", 9999),
                       ("layers[1].compute_group.members", "9999", "outside")),
    "layer-beyond-int": (_set("layers.0.layer", BIG), ("layers[0].layer",)),
    "too-many-copies": (_set("layers.0.experts.0", list(range(1000, 1400))),
                        ("layers[0].experts[0]", "400 copies")),
    "shares-not-one": (_set("layers.0.compute_group.shares", None), ("layers[0].compute_group.shares",)),
    "shares-negative": (lambda d: _set("layers.0.compute_group", {"members": [1, 2], "shares": [1.5, -0.5]})(d),
                        ("layers[0].compute_group.shares", "positive")),
    "shares-sum": (lambda d: _set("layers.0.compute_group", {"members": [1, 2], "shares": [0.5, 0.4]})(d),
                   ("layers[0].compute_group.shares", "sum to 1", "0.9")),
    "shares-count": (lambda d: _set("layers.0.compute_group", {"members": [1, 2, 3], "shares": [0.5, 0.5]})(d),
                     ("layers[0].compute_group", "one share per member")),
    "members-twice": (lambda d: _set("layers.0.compute_group", {"members": [1, 1], "shares": [0.5, 0.5]})(d),
                      ("layers[0].compute_group.members", "twice")),
    "scenario-missing": (_set("scenario.path", "nowhere.toml"), ("scenario.path", "does not exist")),
    "scenario-device": (_set("scenario.path", "/dev/zero"), ("scenario.path", "not a regular file",
                                                             "character device")),
    "scenario-directory": (_set("scenario.path", "."), ("scenario.path", "directory")),
    "scenario-changed": (_set("scenario.sha256", "0" * 64), ("scenario.sha256", "changed")),
    "capacity-beyond-int": (_set("capacity", BIG), ("capacity",)),
}


@pytest.mark.parametrize("command", ["evaluate", "view"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_deployment_is_one_line_and_changes_nothing(work, tmp_path, case, command):
    mutate, names = CASES[case]
    bad = work / f"bad-{case}-{command}.json"
    bad.write_text(json.dumps(mutate(_valid(work))))
    before = tree_digest(work)
    args = ["--tokens", "50"] if command == "evaluate" else ["-o", tmp_path / "v.html"]
    line = assert_one_error_line(_run(command, bad, *args), bad.name, *names)
    assert "Traceback" not in line
    assert tree_digest(work) == before
    assert not (tmp_path / "v.html").exists()


def test_deep_nesting_and_special_files_as_deployments(work, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"format": "spacexnet-deployment", "layers": ' + "[" * 50_000 + "]" * 50_000 + "}")
    assert_one_error_line(_run("evaluate", deep), "deep.json", "nesting deeper than 64")
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    assert_one_error_line(_run("evaluate", link), "zero.json", "not a regular file", "character device")


@pytest.mark.parametrize("command", [("evaluate", "--json"), ("view", "-o")])
def test_output_may_not_be_the_scenario_a_deployment_names(work, command):
    """``evaluate DEP --json S`` and ``view DEP -o S`` would overwrite the scenario DEP was made for."""
    before = tree_digest(work)
    name, flag = command
    assert_one_error_line(_run(name, work / "dep.json", flag, work / "sc.toml"), flag, "sc.toml", "input")
    assert tree_digest(work) == before


PROPERTY = settings(max_examples=25, deadline=None, derandomize=True, database=None)


@PROPERTY
@given(data=st.data())
def test_mutated_deployment_loads_or_is_refused(work, tmp_path_factory, data):
    """Any field-by-field mutation of a valid deployment either loads into a consistent plan or raises the
    project's error, never anything else."""
    doc = mutate_json(copy.deepcopy(_valid(work)), data)
    path = work / "mutated.json"
    path.write_text(json.dumps(doc))
    try:
        _, plan, world = load_deployment_world(path)
    except SpaceXNetError:
        return
    assert plan.hosts.max() < world.n_sats and plan.gateways.max() < world.n_sats
