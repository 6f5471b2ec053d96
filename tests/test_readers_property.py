"""Property-based tests of every reader: any bytes, or any mutation of a valid file, either load into a
valid object or raise the project's error (:class:`SpaceXNetError`) -- never anything else.

Readers: instance, placement, scenario, QAPLIB (.dat/.sln), TLE (file and shell), expert-load
(.json/.npy), trace (.npz/.jsonl) and model-profile (.toml/.json) files. Each property runs a bounded number of examples.
"""

from __future__ import annotations

import io
import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spacexnet_opt.errors import SpaceXNetError
from spacexnet_opt.formats.instance import Instance, LayerSubproblem, Trace, load_instance, save_instance
from spacexnet_opt.formats.placement import Placement, PlacementLayer, load_placement, save_placement
from spacexnet_opt.formats.scenario import load_scenario
from spacexnet_opt.moe import load_expert_load, load_profile, load_trace
from spacexnet_opt.solve.from_instance import layer_problem
from spacexnet_opt.solve.qaplib import load_qaplib
from spacexnet_opt.constellation import load_tle_shell, read_tle_file

from conftest import SHARED_DATA
from scenario_text import small_scenario

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

PROPERTY = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

WORK = Path(tempfile.mkdtemp(prefix="spacexnet-property-"))

# values that break naive readers: huge, negative, non-finite, wrong types
WEIRD = [-1, 0, 1, 2, -1e-9, 1.5, 1e308, -1e308, 10**30, -(10**30), 2**63, "x", "", None, True, [], {}, [[]],
         [1, 2], {"a": 1}, 1e-320, 0.5]


def _valid_instance() -> dict:
    layers = [
        LayerSubproblem(layer=3, gateway=40, next_gateway=41, k=2, satellites=[1, 2, 3, 4], tau_s=[0.01, 0.02, 0.03, 0.04],
                        activation=[0.5, 0.5, 0.5, 0.5], coactivation=[[0, 1 / 6, 1 / 6, 1 / 6]] * 4,
                        cost=[[0.1, 0.2, 0.3, 0.4]] * 4, disconnect_prob=[0.0, 0.1, 0.0, 0.2],
                        expert_gflop=[1.0] * 4, gflops=[7.0, 7.0, 8.0, 9.0], memory_gb=[1.0] * 4,
                        trace=Trace(sets=[[0, 1], [2, 3]], weights=[1.0, 2.0])),
        LayerSubproblem(layer=4, gateway=41, next_gateway=40, k=1, satellites=[5, 6], tau_s=[0.01, 0.02],
                        activation=[0.25, 0.75]),
    ]
    return Instance(scenario={"name": "property"}, layers=layers).model_dump(mode="json", exclude_none=True)


def _valid_placement() -> dict:
    layers = [PlacementLayer(layer=3, gateway=40, experts=[1, 2, 3, 4], objective=0.5, status="OPTIMAL", bound=0.5,
                             runtime_s=0.01),
              PlacementLayer(layer=4, gateway=41, experts=[6, 5], objective=0.25, status="FEASIBLE", runtime_s=0.0)]
    return Placement(instance="inst.json", method="hungarian", objective="linear", layers=layers,
                     total_objective=0.75).model_dump(mode="json")


def _write(name: str, data: bytes) -> Path:
    path = WORK / name
    path.write_bytes(data)
    return path


def _mutate_json(doc, data):
    """Replace one value somewhere in ``doc`` (a JSON tree) with a weird one, or drop/duplicate an entry."""
    node, path = doc, []
    while isinstance(node, (dict, list)) and node and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        path.append((node, key))
        node = node[key]
    if not path:
        return data.draw(st.sampled_from(WEIRD))
    parent, key = path[-1]
    action = data.draw(st.sampled_from(["replace", "replace", "drop", "duplicate"]))
    if action == "replace":
        parent[key] = data.draw(st.sampled_from(WEIRD))
    elif action == "drop":
        del parent[key]
    elif isinstance(parent, list):
        parent.append(parent[key])
    else:
        parent[f"{key}_copy"] = parent[key]
    return doc


def _mutate_bytes(raw: bytes, data) -> bytes:
    """Splice random bytes into ``raw``, delete a span, or swap a number for a weird token."""
    action = data.draw(st.sampled_from(["splice", "delete", "token"]))
    at = data.draw(st.integers(0, len(raw)))
    if action == "splice":
        return raw[:at] + data.draw(st.binary(max_size=8)) + raw[at:]
    if action == "delete":
        return raw[:at] + raw[at + data.draw(st.integers(1, 40)):]
    tokens = raw.split(b" ")
    i = data.draw(st.integers(0, len(tokens) - 1))
    tokens[i] = data.draw(st.sampled_from([b"nan", b"inf", b"-1", b"1e999", b"0", b"1" * 40, b"-0", b"x"]))
    return b" ".join(tokens)


def _loads_or_refuses(read, path: Path, check=None):
    """``read(path)`` returns a value passing ``check``, or raises SpaceXNetError; nothing else."""
    try:
        value = read(path)
    except SpaceXNetError:
        return
    if check is not None:
        check(value)


def _check_instance(instance) -> None:
    for layer in instance.layers:
        problem = layer_problem(layer, "linear")
        assert np.isfinite(problem.objective(np.arange(layer.n_experts)))


def _check_stats(stats) -> None:
    assert np.all(np.isfinite(stats.p)) and np.all((stats.p >= 0) & (stats.p <= 1 + 1e-9))


def _check_qap(problem) -> None:
    assert np.isfinite(problem.objective(np.arange(problem.shape[0])))


# ---- instance and placement (JSON) ---------------------------------------------------------------------------------

@PROPERTY
@given(st.data())
def test_instance_mutated(data):
    doc = _mutate_json(_valid_instance(), data)
    _loads_or_refuses(load_instance, _write("i.json", json.dumps(doc).encode()), _check_instance)


@PROPERTY
@given(st.data())
def test_placement_mutated(data):
    doc = _mutate_json(_valid_placement(), data)
    _loads_or_refuses(load_placement, _write("p.json", json.dumps(doc).encode()))


def test_valid_instance_and_placement_round_trip():
    instance, placement = Instance.model_validate(_valid_instance()), Placement.model_validate(_valid_placement())
    save_instance(instance, WORK / "rt-i.json")
    save_placement(placement, WORK / "rt-p.json")
    assert load_instance(WORK / "rt-i.json") == instance and load_placement(WORK / "rt-p.json") == placement


# ---- scenario (TOML) -----------------------------------------------------------------------------------------------

SCENARIO = small_scenario(snapshots=2, fold=1, diameter_snapshots=0).encode()


@PROPERTY
@given(st.data())
def test_scenario_mutated(data):
    _loads_or_refuses(load_scenario, _write("s.toml", _mutate_bytes(SCENARIO, data)))


# ---- QAPLIB --------------------------------------------------------------------------------------------------------

QAP_DAT = b"3\n0 1 2\n1 0 3\n2 3 0\n\n0 5 2\n5 0 1\n2 1 0\n"
QAP_SLN = b"3 22\n2 1 3\n"


@PROPERTY
@given(st.data())
def test_qaplib_mutated(data):
    _write("q.sln", _mutate_bytes(QAP_SLN, data) if data.draw(st.booleans()) else QAP_SLN)
    _loads_or_refuses(load_qaplib, _write("q.dat", _mutate_bytes(QAP_DAT, data)), _check_qap)


def test_qaplib_valid_file_loads_with_its_solution():
    _write("q.sln", QAP_SLN)
    problem = load_qaplib(_write("q.dat", QAP_DAT))
    assert problem.best_known == min(problem.objective(np.array(p)) for p in
                                     ([1, 0, 2], np.argsort([1, 0, 2])))


# ---- TLE -----------------------------------------------------------------------------------------------------------

def _tle_records(count: int) -> bytes:
    lines = (SHARED_DATA / "tle" / "Starlink.tle").read_text().splitlines()
    return ("\n".join(lines[: 3 * count]) + "\n").encode()


TLE = _tle_records(3)


@PROPERTY
@given(st.data())
def test_tle_mutated_file_and_shell(data):
    path = _write("t.tle", _mutate_bytes(TLE, data))
    _loads_or_refuses(read_tle_file, path)
    _loads_or_refuses(lambda p: load_tle_shell(p, altitude_km=(100, 2000), inclination_tol_deg=10), path)


# ---- expert-load (.json, .npy) and trace (.npz, .jsonl) files -----------------------------------------------------

LOAD = {"logical_count": [[0, 0, 0, 0], [40, 10, 10, 10], [5, 5, 5, 5]]}


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


TRACE_SETS = np.array([[[0, 1], [2, 3], [1, 2]], [[3, 0], [1, 2], [0, 2]]])
NPZ = _npz(sets=TRACE_SETS, layers=np.array([1, 2]), weights=np.ones(3), n_experts=np.array(4))
JSONL = (b'{"n_experts": 4, "layers": [1, 2]}\n' + b"\n".join(
    json.dumps({"experts": TRACE_SETS[:, t].tolist(), "weight": 1.0}).encode() for t in range(3)) + b"\n")


@PROPERTY
@given(st.data())
def test_load_json_mutated(data):
    doc = _mutate_json(json.loads(json.dumps(LOAD)), data)
    _loads_or_refuses(lambda p: load_expert_load(p, k=2), _write("l.json", json.dumps(doc).encode()), _check_stats)


@PROPERTY
@given(st.data())
def test_load_npy_and_npz_mutated(data):
    counts = np.array(LOAD["logical_count"], dtype=float)
    counts.flat[data.draw(st.integers(0, counts.size - 1))] = data.draw(st.sampled_from(
        [np.nan, np.inf, -1.0, 1e308, 0.0, 1e-320]))
    _loads_or_refuses(lambda p: load_expert_load(p, k=2), _write("l.npy", _npy(counts)), _check_stats)
    damaged = _mutate_bytes(NPZ, data)
    _loads_or_refuses(lambda p: load_trace(p, n_experts=4), _write("t.npz", damaged), _check_stats)
    sets = TRACE_SETS.copy()
    sets.flat[data.draw(st.integers(0, sets.size - 1))] = data.draw(st.sampled_from([-1, 4, 2**40, 0]))
    arrays = {"sets": sets, "n_experts": np.array(data.draw(st.sampled_from([4, 0, -3, 2**40])))}
    _loads_or_refuses(load_trace, _write("t.npz", _npz(**arrays)), _check_stats)


@PROPERTY
@given(st.data())
def test_trace_jsonl_mutated(data):
    lines = [json.loads(line) for line in JSONL.decode().splitlines()]
    doc = _mutate_json(lines, data)
    text = "\n".join(json.dumps(item) for item in (doc if isinstance(doc, list) else [doc]))
    _loads_or_refuses(lambda p: load_trace(p, n_experts=4), _write("t.jsonl", text.encode()), _check_stats)


ANY_BYTES = {
    "i.json": (load_instance, _check_instance),
    "p.json": (load_placement, None),
    "s.toml": (load_scenario, None),
    "q.dat": (load_qaplib, _check_qap),
    "t.tle": (read_tle_file, None),
    "l.json": (lambda p: load_expert_load(p, k=2), _check_stats),
    "l.npy": (lambda p: load_expert_load(p, k=2), _check_stats),
    "t.npz": (lambda p: load_trace(p, n_experts=4), _check_stats),
    "t.jsonl": (lambda p: load_trace(p, n_experts=4), _check_stats),
    "m.toml": (load_profile, None),
    "m.json": (load_profile, None),
}


@pytest.mark.parametrize("name", ANY_BYTES)
@PROPERTY
@given(raw=st.binary(max_size=300))
def test_any_bytes_load_or_are_refused(name, raw):
    (WORK / "q.sln").unlink(missing_ok=True)
    read, check = ANY_BYTES[name]
    _loads_or_refuses(read, _write(name, raw), check)


PROFILE = {"base": "mixtral-8x7b", "name": "mine", "top_k": 1, "n_layers": 32, "hidden_size": 4096}


@PROPERTY
@given(st.data())
def test_profile_mutated(data):
    doc = _mutate_json(json.loads(json.dumps(PROFILE)), data)
    _loads_or_refuses(load_profile, _write("m.json", json.dumps(doc).encode()))


def test_valid_load_and_trace_files_load():
    stats = load_expert_load(_write("l.json", json.dumps(LOAD).encode()), k=2)
    assert stats.layers == (1, 2) and math.isclose(stats.p.sum(), 4)
    for name, raw in (("t.npz", NPZ), ("t.jsonl", JSONL)):
        trace = load_trace(_write(name, raw), n_experts=4)
        assert trace.layers == (1, 2) and np.allclose(trace.p.sum(axis=1), 2)


@pytest.mark.parametrize("counts", [[[1e308, 1e308, 1e308, 1e308]], [[10**400, 1, 1, 1]]])
def test_huge_counts_keep_their_proportions_or_are_refused(counts):
    path = _write("huge.json", json.dumps({"logical_count": counts}).encode())
    try:
        stats = load_expert_load(path, k=2)
    except SpaceXNetError as exc:
        assert "huge.json" in str(exc)
        return
    assert np.allclose(stats.p, 0.5)
