"""The error hierarchy, atomic writes and the versioned instance schema."""

import json

import pytest

from spacexnet_opt.errors import FileFormatError, InputError, SpaceXNetError
from spacexnet_opt.fileio import write_json_atomic
from spacexnet_opt.formats.instance import Instance, LayerSubproblem, load_instance, save_instance


def _layer(**over):
    base = dict(layer=0, gateway=9, next_gateway=19, k=1, satellites=[1, 2, 3], tau_s=[0.1, 0.2, 0.3], activation=[0.5, 0.5])
    base["k"] = 1
    base.update(over)
    return base


def test_input_error_is_value_error_and_names_file_field_line():
    err = InputError("bad checksum", source="x.tle", line=7, field="line 2")
    assert isinstance(err, ValueError) and isinstance(err, SpaceXNetError)
    assert str(err) == "x.tle:7: line 2: bad checksum"


def test_atomic_write_keeps_old_file_when_serialisation_fails(tmp_path):
    target = tmp_path / "out.json"
    write_json_atomic(target, {"ok": 1})
    with pytest.raises(ValueError):
        write_json_atomic(target, {"bad": float("nan")})
    assert json.loads(target.read_text()) == {"ok": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_instance_round_trip(tmp_path):
    inst = Instance(scenario={"name": "t"}, layers=[LayerSubproblem(**_layer())])
    save_instance(inst, tmp_path / "i.json")
    assert load_instance(tmp_path / "i.json") == inst


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"format": "other"}, "format"),
        ({"version": 2}, "version"),
        ({"surprise": 1}, "surprise"),
        ({"layers": [_layer(tau_s=[0.1])]}, "layers[0]"),
        ({"layers": [_layer(satellites=[1])]}, "layers[0]"),
        ({"layers": [_layer(activation=[0.2, 0.2])]}, "layers[0]"),
    ],
)
def test_instance_errors_name_file_and_field(tmp_path, patch, field):
    doc = {"format": "spacexnet-instance", "version": 1, "scenario": {}, "layers": [_layer()]}
    doc.update(patch)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(FileFormatError) as info:
        load_instance(path)
    assert str(info.value).startswith(f"{path}: {field}")


def test_layer_with_fewer_candidates_than_experts_names_both_sizes():
    with pytest.raises(ValueError, match="layer 0 has 2 experts but only 1 candidate"):
        LayerSubproblem(**_layer(satellites=[1], tau_s=[0.1]))
