"""Scenario files and the `spacexnet build` / `partition` commands: errors, exit codes, nothing half-written."""

import json
from pathlib import Path

import pytest
from scenario_text import HEAD, small_scenario

from spacexnet_opt.setting import build_from_file
from spacexnet_opt.errors import FileFormatError
from spacexnet_opt.formats.instance import load_instance
from spacexnet_opt.formats.scenario import load_scenario, parse_scenario

SMALL = small_scenario(snapshots=6, fold=4, diameter_snapshots=2)


def _write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "patch, field, message",
    [
        ('[constellation]\npreset = "paper"\nsurprise = 1\n', "constellation.surprise", "Extra inputs are not permitted"),
        ("[snapshots]\ncount = \"many\"\n", "snapshots.count", "Input should be a valid integer"),
        ('[partition]\ngateway = "middle"\n', "partition.gateway", "Input should be 'center', 'median' or 'random'"),
        ("[statistics]\nkind = \"load\"\n", "statistics", "kind = 'load' needs file"),
    ],
)
def test_schema_errors_name_file_and_field(tmp_path, patch, field, message):
    base = {"constellation": '[constellation]\npreset = "paper"\n', "snapshots": "", "partition": "",
            "statistics": '[statistics]\nkind = "zipf"\n'}
    section = patch.split("]")[0].strip("[").split(".")[0]
    base[section] = patch
    path = _write(tmp_path, HEAD + '[model]\nprofile = "llama-moe-3.5b-2of8"\n' + "".join(base.values()))
    with pytest.raises(FileFormatError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}: {field}: {message}")


def test_header_and_toml_errors(tmp_path):
    with pytest.raises(FileFormatError, match=r"^x.toml: format: not a spacexnet-scenario file \(format='other'\)$"):
        parse_scenario('format = "other"\nversion = 1\n', source="x.toml")
    with pytest.raises(FileFormatError, match=r"^x.toml: version: unsupported version 2; this spacexnet-opt reads version 1$"):
        parse_scenario('format = "spacexnet-scenario"\nversion = 2\n', source="x.toml")
    with pytest.raises(FileFormatError, match=r"^x.toml:2: invalid TOML"):
        parse_scenario('format = "spacexnet-scenario"\nversion = = 1\n', source="x.toml")


def test_small_build_through_the_cli(tmp_path, cli):
    scenario = _write(tmp_path, SMALL)
    out = tmp_path / "inst.json"
    result = cli("build", scenario, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    inst = load_instance(out)
    assert len(inst.layers) == 32 and inst.scenario["partition"]["n_bands"] == 8
    assert inst.scenario["spec"]["statistics"]["params"] == {"alpha": 0.5}
    # rebuilding from the recorded spec gives the same instance
    spec_file = _write(tmp_path, _toml(inst.scenario["spec"]), "again.toml")
    assert build_from_file(spec_file).layers == inst.layers
    result = cli("partition", scenario)
    assert result.exit_code == 0 and "32 layers in 8 bands" in result.output


def _toml(spec: dict) -> str:
    """A minimal TOML writer for the recorded spec (tables of scalars and one level of nesting)."""
    lines, tables = [], []
    for key, value in spec.items():
        (tables if isinstance(value, dict) else lines).append((key, value))
    out = [f"{k} = {json.dumps(v)}" for k, v in lines]
    for name, table in tables:
        out.append(f"[{name}]")
        for k, v in table.items():
            if isinstance(v, dict):
                inner = ", ".join(f"{ik} = {json.dumps(iv)}" for ik, iv in v.items())
                out.append(f"{k} = {{ {inner} }}")
            else:
                out.append(f"{k} = {json.dumps(v)}")
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(
    "patch, message",
    [
        ("sats_per_plane = 16", "error: {path}: constellation: layer 0: subnet (band 0) has 11 candidate satellites "
                                "besides its gateway but the layer has 16 experts\n"),
        ("fold = 4", "error: {path}: partition.fold: 32 layers need 32 bands but the shell has only 16 slots per plane; "
                     "set fold = 2 (or 'auto') to put several layers in one band\n"),
        ('profile = "llama-moe-3.5b-2of8"', "error: {path}: model.profile: unknown model profile 'gpt'; valid names: "),
    ],
)
def test_build_errors_exit_2_and_write_nothing(tmp_path, cli, patch, message):
    replacement = {"sats_per_plane = 16": "sats_per_plane = 16\n", "fold = 4": "fold = 1",
                   'profile = "llama-moe-3.5b-2of8"': 'profile = "gpt"'}[patch]
    text = SMALL.replace(patch, replacement)
    if patch.startswith("sats_per_plane"):
        text = text.replace('profile = "llama-moe-3.5b-2of8"', 'profile = "llama-moe-3.5b-4of16"').replace("n_planes = 6", "n_planes = 3")
        text = text.replace("fold = 4", "fold = 8")
    scenario = _write(tmp_path, text)
    out = tmp_path / "inst.json"
    out.write_text("previous")
    result = cli("build", scenario, "-o", out, "-q")
    assert result.exit_code == 2
    assert result.stderr.startswith(message.format(path=scenario))
    assert out.read_text() == "previous" and sorted(p.name for p in tmp_path.iterdir()) == ["inst.json", "s.toml"]


def test_missing_scenario_and_foreign_file(tmp_path, cli):
    result = cli("build", tmp_path / "none.toml", "-o", tmp_path / "x.json")
    assert result.exit_code == 2 and result.stderr == f"error: {tmp_path / 'none.toml'}: file not found\n"
    foreign = _write(tmp_path, 'format = "spacexnet-instance"\nversion = 1\n')
    result = cli("build", foreign, "-o", tmp_path / "x.json")
    assert result.exit_code == 2
    assert result.stderr == f"error: {foreign}: format: not a spacexnet-scenario file (format='spacexnet-instance')\n"
    assert not (tmp_path / "x.json").exists()


def test_statistics_file_resolves_relative_to_the_scenario(tmp_path, shared_data, cli):
    text = SMALL.replace('profile = "llama-moe-3.5b-2of8"', 'profile = "deepseek-v3"')
    text = text.replace('kind = "dirichlet"\nparams = { alpha = 0.5 }',
                        'kind = "load"\nfile = "nowhere/decode.json"\ncoactivation = false')
    scenario = _write(tmp_path, text)
    result = cli("build", scenario, "-o", tmp_path / "x.json")
    assert result.exit_code == 2 and str(tmp_path / "nowhere" / "decode.json") in result.stderr


@pytest.mark.parametrize("name", ["paper", "heterogeneous", "starlink-tle", "deepseek-v3-mega"])
def test_scenario_writer_round_trips_the_committed_scenarios(name, tmp_path):
    from spacexnet_opt.formats.scenario import save_scenario

    spec = load_scenario(Path(__file__).parents[1] / "instances" / f"{name}.toml")
    save_scenario(spec, tmp_path / "s.toml")
    assert load_scenario(tmp_path / "s.toml") == spec


def test_scenario_writer_keeps_per_satellite_blocks_and_odd_keys(tmp_path):
    from spacexnet_opt.formats.scenario import dumps_scenario

    spec = parse_scenario(small_scenario(snapshots=2, fold=4, diameter_snapshots=0, extra="""
[compute]
memory_gb = 16.0
[compute.gflops]
spread = 0.25
[seeds]
compute = 3
"""))
    spec = spec.model_copy(update={"description": 'quote " and ünïcode'})
    assert parse_scenario(dumps_scenario(spec)) == spec
