"""Per-layer traces in instances (sampled or exact), the angular-rate switch, statistics paths."""

import hashlib
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from scenario_text import small_scenario

from spacexnet_opt.setting import build_from_file
from spacexnet_opt.setting.resolvers import scenario_isl_config
from spacexnet_opt.constellation import build_snapshots, preset
from spacexnet_opt.errors import FileFormatError, InputError
from spacexnet_opt.formats.instance import load_instance
from spacexnet_opt.moe import TopKSampler, get_profile
from spacexnet_opt.formats.scenario import parse_scenario
from spacexnet_opt.solve.from_instance import layer_problem
from spacexnet_opt.setting.traces import exact_trace, merge_trace

INSTANCES = Path(__file__).resolve().parents[1] / "instances"
SMALL = small_scenario(snapshots=2, fold=8, diameter_snapshots=0)


def _build(tmp_path, extra: str, name="s.toml"):
    path = tmp_path / name
    path.write_text(SMALL + extra)
    return build_from_file(path)


def test_committed_paper_instance_carries_the_exact_pair_distribution():
    inst = load_instance(INSTANCES / "paper.instance.json")
    for lay in inst.layers:
        pairs = TopKSampler(np.array(lay.activation), 2).pair_coactivation()
        assert lay.trace.sets == [list(c) for c in combinations(range(8), 2)]
        assert sum(lay.trace.weights) == pytest.approx(1.0, abs=1e-8)
        assert np.allclose(lay.trace.weights, [pairs[a, b] for a, b in lay.trace.sets], rtol=1e-6, atol=1e-9)
    # the trace objective runs on it; its value is the top-2 objective (the same pair law)
    trace, top2 = layer_problem(inst.layers[0], "trace"), layer_problem(inst.layers[0], "top2")
    a = np.argsort(inst.layers[0].tau_s)[:8]
    assert trace.objective(a) == pytest.approx(top2.objective(a), rel=1e-7)


def test_sampled_trace_weights_and_marginals(tmp_path):
    n = 20_000
    inst = _build(tmp_path, "trace_tokens = 20000\n[seeds]\ntrace = 5\n")
    assert inst.scenario["statistics"]["trace"] == {"mode": "sample", "tokens": n, "seed": 5}
    for lay in inst.layers:
        sets, w = np.array(lay.trace.sets), np.array(lay.trace.weights)
        assert abs(w.sum() - 1.0) < 1e-7 and (np.diff(sets, axis=1) > 0).all()
        assert len({tuple(s) for s in lay.trace.sets}) == len(sets)  # merged: every set once
        assert np.allclose(w * n, np.round(w * n), atol=1e-4)  # shares of n tokens
        marginal = np.bincount(sets.ravel(), weights=np.repeat(w, 2), minlength=8)
        p = np.array(lay.activation)
        assert (np.abs(marginal - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-9).all()
    again = _build(tmp_path, "trace_tokens = 20000\n[seeds]\ntrace = 5\n", "again.toml")
    other = _build(tmp_path, "trace_tokens = 20000\n[seeds]\ntrace = 6\n", "other.toml")
    assert again.layers[0].trace == inst.layers[0].trace != other.layers[0].trace


def test_exact_trace_for_k3_has_the_samplers_marginals_and_pairs():
    p = np.array([[0.9, 0.7, 0.5, 0.4, 0.3, 0.2], [1.0, 0.6, 0.5, 0.4, 0.3, 0.2]])
    for row, (sets, w) in zip(p, exact_trace(p, 3)):
        assert len(sets) == (20 if row[0] < 1 else 10) and w.sum() == pytest.approx(1.0)
        incl = np.zeros(6)
        pair = np.zeros((6, 6))
        for s, x in zip(sets, w):
            incl[s] += x
            for a, b in combinations(s, 2):
                pair[a, b] += x
                pair[b, a] += x
        assert np.allclose(incl, row, atol=1e-9)
        assert np.allclose(pair, TopKSampler(row, 3).pair_coactivation(), atol=1e-9)


def test_exact_trace_refuses_huge_enumerations():
    with pytest.raises(InputError, match=r"layer 0: exact trace has C\(256, 8\) = .* use trace = 'sample'"):
        exact_trace(np.full((1, 256), 8 / 256), 8)


def test_merge_trace_sums_weights_of_permuted_sets():
    sets, w = merge_trace(np.array([[3, 1], [1, 3], [0, 2], [2, 0], [2, 0]]), np.array([1.0, 1.0, 1.0, 0.5, 0.5]))
    assert sets.tolist() == [[0, 2], [1, 3]] and w.tolist() == [0.5, 0.5]


@pytest.mark.parametrize("extra, message", [
    ('trace = "sample"\n', "trace = 'sample' needs trace_tokens"),
    ('trace = "exact"\ntrace_tokens = 10\n', "trace_tokens is only read for trace = 'sample'"),
    ('trace = "file"\n', "trace = 'file' needs kind = 'trace'"),
    ("trace_tokens = 0\n", "greater than or equal to 1"),
])
def test_trace_option_errors(extra, message):
    with pytest.raises(FileFormatError, match=message):
        parse_scenario(SMALL + extra, source="x.toml")


@pytest.mark.parametrize("value", ["0", '"off"', "0.0"])
def test_angular_rate_check_can_be_switched_off(value):
    spec = parse_scenario(SMALL.replace("[snapshots]", f"[isl]\nmax_angular_rate = {value}\n[snapshots]"))
    profile = get_profile("llama-moe-3.5b-2of8")
    assert scenario_isl_config(spec, profile).max_angular_rate is None
    assert scenario_isl_config(parse_scenario(SMALL), profile).max_angular_rate == 0.12  # unset: the default
    strict = parse_scenario(SMALL.replace("[snapshots]", "[isl]\nmax_angular_rate = 0.001\n[snapshots]"))
    shell = preset("paper")
    feasible_off = build_snapshots(shell, n_snapshots=2, config=scenario_isl_config(spec, profile)).feasible
    feasible_strict = build_snapshots(shell, n_snapshots=2, config=scenario_isl_config(strict, profile)).feasible
    # off keeps every +Grid link: 33 x 32 in-plane plus 32 x 32 cross-plane (a star has no seam links)
    assert feasible_off.sum(axis=1).tolist() == [2 * 33 * 32 - 32] * 2
    assert feasible_strict.sum() < feasible_off.sum() and not (feasible_strict & ~feasible_off).any()


@pytest.mark.parametrize("value, message", [("-0.1", "max_angular_rate must be >= 0"), ('"never"', "max_angular_rate")])
def test_angular_rate_rejects_other_values(value, message):
    with pytest.raises(FileFormatError, match=message):
        parse_scenario(SMALL.replace("[snapshots]", f"[isl]\nmax_angular_rate = {value}\n[snapshots]"), source="x.toml")


def test_loaded_statistics_source_is_relative_to_the_scenario(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "sc").mkdir()
    counts = np.random.default_rng(0).integers(1, 100, size=(32, 8))
    np.save(tmp_path / "data" / "load.npy", counts)
    text = SMALL.replace('kind = "dirichlet"\nparams = { alpha = 0.5 }', 'kind = "load"\nfile = "../data/load.npy"')
    (tmp_path / "sc" / "s.toml").write_text(text)
    digest = hashlib.sha256((tmp_path / "data" / "load.npy").read_bytes()).hexdigest()
    records = []
    for cwd, scenario in ((tmp_path, "sc/s.toml"), (tmp_path / "data", "../sc/s.toml")):
        monkeypatch.chdir(cwd)
        records.append(build_from_file(scenario).scenario["statistics"])
    assert records[0] == records[1] == {"source": "../data/load.npy", "relative_to": "scenario_file", "sha256": digest}


def test_file_trace_is_merged_into_weighted_sets(tmp_path):
    rng = np.random.default_rng(1)
    sets = np.stack([np.stack([rng.choice(8, 2, replace=False) for _ in range(50)]) for _ in range(32)])
    np.savez(tmp_path / "trace.npz", sets=sets)
    text = SMALL.replace('kind = "dirichlet"\nparams = { alpha = 0.5 }', 'kind = "trace"\nfile = "trace.npz"\ntrace = "file"')
    (tmp_path / "s.toml").write_text(text)
    inst = build_from_file(tmp_path / "s.toml")
    for l, lay in enumerate(inst.layers):
        counts = {}
        for a, b in sets[l]:
            key = (min(a, b), max(a, b))
            counts[key] = counts.get(key, 0) + 1
        assert {tuple(s): w for s, w in zip(lay.trace.sets, lay.trace.weights)} == pytest.approx(
            {k: v / 50 for k, v in counts.items()})
        assert [tuple(s) for s in lay.trace.sets] == sorted(counts)
