"""The placement file schema: round trip, validation, atomic writes."""

import json

import pytest

from spacexnet_opt.errors import FileFormatError
from spacexnet_opt.formats.placement import Placement, PlacementLayer, load_placement, save_placement


def _placement(**over):
    layers = [
        PlacementLayer(layer=0, gateway=16, experts=[3, 1, 7], objective=0.25, status="OPTIMAL", bound=0.25, runtime_s=0.01),
        PlacementLayer(layer=1, gateway=49, experts=[40, 41, 52], objective=0.5, status="FEASIBLE", runtime_s=0.02),
    ]
    fields = dict(instance="inst.json", method="sorted", objective="linear", layers=layers, total_objective=0.75)
    fields.update(over)
    return Placement(**fields)


def test_round_trip_keeps_every_field_and_writes_null_bounds(tmp_path):
    placement = _placement(seed=3, time_limit_s=2.0)
    save_placement(placement, tmp_path / "p.json")
    assert load_placement(tmp_path / "p.json") == placement
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["format"] == "spacexnet-placement" and doc["version"] == 1
    assert doc["layers"][1]["bound"] is None and doc["layers"][1]["status"] == "FEASIBLE"
    assert doc["layers"][0]["experts"] == [3, 1, 7]


@pytest.mark.parametrize(
    "patch, field",
    [
        (lambda d: d.update(format="spacexnet-instance"), "format"),
        (lambda d: d.update(version=2), "version"),
        (lambda d: d["layers"][0].update(experts=[3, 3, 7]), "layers[0].experts"),
        (lambda d: d["layers"][0].update(status="GREAT"), "layers[0].status"),
        (lambda d: d.update(total_objective=1.0), "(document)"),
        (lambda d: d["layers"][1].update(layer=0), "(document)"),
    ],
)
def test_invalid_placement_names_file_and_field(tmp_path, patch, field):
    save_placement(_placement(), tmp_path / "p.json")
    doc = json.loads((tmp_path / "p.json").read_text())
    patch(doc)
    (tmp_path / "p.json").write_text(json.dumps(doc))
    with pytest.raises(FileFormatError) as info:
        load_placement(tmp_path / "p.json")
    assert str(info.value).startswith(f"{tmp_path / 'p.json'}: {field}")


def test_formats_do_not_import_the_solver_and_status_is_shared():
    import subprocess
    import sys

    code = ("import sys, spacexnet_opt.formats.placement, spacexnet_opt.formats.instance, "
            "spacexnet_opt.formats.scenario; print(sorted(m for m in sys.modules if m.startswith('spacexnet_opt.solve')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    from spacexnet_opt.formats.placement import PlacementLayer
    from spacexnet_opt.solve import Status

    assert PlacementLayer.model_fields["status"].annotation is Status
