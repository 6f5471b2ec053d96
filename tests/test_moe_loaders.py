"""Loaders: the real DeepSeek-V3 load files, .npy loads, .npz/JSONL traces, and every error case."""

import json
import warnings

import numpy as np
import pytest

from spacexnet_opt.errors import InputError
from spacexnet_opt.moe import (
    ActivationStats,
    ProbabilityCapWarning,
    load_expert_load,
    load_trace,
    save_trace,
    synthetic_zipf,
)

DEEPSEEK = "moe-load/deepseek-v3"


def test_all_deepseek_files_load_with_dense_layers_skipped(shared_data):
    files = sorted((shared_data / DEEPSEEK).glob("*.json"))
    assert len(files) == 12
    for path in files:
        stats = load_expert_load(path, profile="deepseek-v3")
        counts = np.array(json.loads(path.read_text())["logical_count"], dtype=float)
        assert stats.layers == tuple(range(3, 61)) and stats.k == 8 and stats.p.shape == (58, 256)
        np.testing.assert_allclose(stats.p, counts[3:] / counts[3:].sum(axis=1, keepdims=True) * 8)
        assert stats.notes == () and stats.source == str(path)


def test_deepseek_profile_is_inferred_from_the_shape_and_said_so(shared_data):
    stats = load_expert_load(shared_data / DEEPSEEK / "decode_in1000out1000.json")
    assert stats.k == 8 and stats.notes == ("profile deepseek-v3 inferred from the shape 61 x 256",)


def test_npy_round_trip_full_and_moe_only(tmp_path):
    rng = np.random.default_rng(0)
    counts = np.vstack([np.zeros((3, 256)), rng.integers(1, 1000, size=(58, 256))])
    np.save(tmp_path / "full.npy", counts)
    np.save(tmp_path / "moe.npy", counts[3:])
    full = load_expert_load(tmp_path / "full.npy", profile="deepseek-v3")
    moe = load_expert_load(tmp_path / "moe.npy", profile="deepseek-v3")
    assert full.layers == moe.layers == tuple(range(3, 61))
    np.testing.assert_allclose(full.p, moe.p)
    np.testing.assert_allclose(full.p, counts[3:] / counts[3:].sum(axis=1, keepdims=True) * 8)


def test_overflow_is_capped_by_water_filling_with_a_warning_or_refused(tmp_path):
    path = tmp_path / "hot.npy"
    np.save(path, np.array([[70.0, 10, 10, 10], [1, 1, 1, 1]]))
    with pytest.warns(ProbabilityCapWarning, match="layer 0"):
        stats = load_expert_load(path, k=2)
    # 70 / 100 * 2 = 1.4 > 1: pinned at 1, the other 3 share the remaining 1 in proportion to their counts.
    np.testing.assert_allclose(stats.p[0], [1.0, 1 / 3, 1 / 3, 1 / 3])
    assert stats.notes and stats.notes[0].startswith("layer 0: 1 expert(s) above p = 1 were capped")
    with pytest.raises(InputError) as info:
        load_expert_load(path, k=2, overflow="error")
    assert str(info.value).startswith(f"{path}: layer 0: ") and "exceed p = 1" in str(info.value)


@pytest.mark.parametrize(
    "counts, kwargs, expected",
    [
        (np.ones(8), {"k": 2}, "expected a 2-D array"),
        (np.ones((2, 2, 2)), {"k": 2}, "expected a 2-D array"),
        (np.ones((60, 256)), {"profile": "deepseek-v3"}, "layers: has 60 layers; profile deepseek-v3 has 61"),
        (np.ones((61, 128)), {"profile": "deepseek-v3"}, "experts: has 128 experts per layer"),
        (np.array([[0, 0, 0, 0], [1, -2, 3, 4]]), {"k": 2}, "layer 1: count of expert 1 is -2"),
        (np.array([[1, 1, 1, np.nan], [1, 1, 1, 1]]), {"k": 2}, "layer 0: count of expert 3 is nan"),
        (np.array([[1, 1, 1, 1], [0, 0, 0, 0], [1, 1, 1, 1]]), {"k": 2}, "layer 1: MoE layer has all-zero counts"),
        (np.array([[5, 0, 0, 0], [1, 1, 1, 1]]), {"k": 2}, "layer 0: only 1 experts have counts"),
        (np.zeros((3, 4)), {"k": 2}, "every layer is all zero"),
        (np.ones((4, 4)), {}, "k: cannot tell top-k for a 4 x 4 load"),
    ],
)
def test_load_errors_name_file_layer_and_problem(tmp_path, counts, kwargs, expected):
    path = tmp_path / "bad.npy"
    np.save(path, counts)
    with pytest.raises(InputError) as info:
        load_expert_load(path, **kwargs)
    assert str(info.value).startswith(f"{path}: ") and expected in str(info.value)


def test_dense_layer_with_counts_and_all_zero_moe_layer_under_a_profile(tmp_path):
    counts = np.ones((61, 256))
    np.save(tmp_path / "a.npy", counts)
    with pytest.raises(InputError, match=r"a\.npy: layer 0: is dense in profile deepseek-v3"):
        load_expert_load(tmp_path / "a.npy", profile="deepseek-v3")
    counts[:3] = 0
    counts[40] = 0
    np.save(tmp_path / "b.npy", counts)
    with pytest.raises(InputError, match=r"b\.npy: layer 40: MoE layer has all-zero counts"):
        load_expert_load(tmp_path / "b.npy", profile="deepseek-v3")


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"logical_count": [[1, 2], [1, 2, 3]]}', "layer 1: has 3 experts, layer 0 has 2"),
        ('{"counts": [[1, 2]]}', 'expected an object with a "logical_count"'),
        ('{"logical_count": [[1, "x"]]}', "logical_count: counts must be numbers"),
        ('{"logical_count": [[1, 2]', "invalid JSON"),
    ],
)
def test_json_format_errors(tmp_path, text, expected):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_expert_load(path, k=1)
    assert str(info.value).startswith(str(path)) and expected in str(info.value)


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="expected .json"):
        load_expert_load(tmp_path / "x.csv", k=1)
    with pytest.raises(InputError, match="file not found"):
        load_expert_load(tmp_path / "missing.npy", k=1)


@pytest.mark.parametrize("suffix", [".npz", ".jsonl"])
def test_trace_round_trip(tmp_path, suffix):
    stats = synthetic_zipf(3, 8, 2, n_tokens=50, seed=1)
    stats = ActivationStats.from_trace([t.sets for t in stats.trace], n_experts=8, layers=(2, 3, 4),
                                       weights=np.linspace(1, 2, 50))
    save_trace(stats, tmp_path / f"t{suffix}")
    back = load_trace(tmp_path / f"t{suffix}")
    assert back.layers == (2, 3, 4) and back.k == 2 and back.n_experts == 8
    for a, b in zip(stats.trace, back.trace):
        np.testing.assert_array_equal(a.sets, b.sets)
        np.testing.assert_allclose(a.weights, b.weights)
    np.testing.assert_allclose(back.p, stats.p)


def test_handwritten_jsonl_with_dense_layers_and_trace_statistics(tmp_path):
    path = tmp_path / "t.jsonl"
    lines = [{"experts": [[], [0, 1], [2, 3]]}, {"experts": [[], [0, 2], [2, 1]], "weight": 3}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    stats = load_trace(path, n_experts=4)
    assert stats.layers == (1, 2)
    np.testing.assert_allclose(stats.p, [[1.0, 0.25, 0.75, 0.0], [0.0, 0.75, 1.0, 0.25]])
    pairs = stats.pair_coactivation()
    assert pairs[0, 0, 2] == pytest.approx(0.75) and pairs[0, 2, 0] == pytest.approx(0.75)
    np.testing.assert_allclose(pairs.sum(axis=2), (stats.k - 1) * stats.p)


def test_npz_trace_with_profile(tmp_path):
    sets = synthetic_zipf(58, 256, 8, n_tokens=20, seed=2).trace
    np.savez(tmp_path / "ds.npz", sets=np.stack([t.sets for t in sets]))
    stats = load_trace(tmp_path / "ds.npz", profile="deepseek-v3")
    assert stats.layers == tuple(range(3, 61)) and stats.trace[0].n_tokens == 20
    with pytest.raises(InputError, match="n_experts: cannot tell the number of experts"):
        load_trace(tmp_path / "ds.npz")
    with pytest.raises(InputError, match="profile mixtral-8x7b has 32"):
        load_trace(tmp_path / "ds.npz", profile="mixtral-8x7b")


@pytest.mark.parametrize(
    "lines, expected",
    [
        (['{"experts": [[0, 1]]}', '{"experts": [[0, 0]]}'], "layer 0: trace token 1 activates the same expert twice"),
        (['{"experts": [[0, 9]]}'], "layer 0: trace refers to an expert outside 0..3"),
        (['{"experts": [[0, 1], [1, 2]]}', '{"experts": [[0, 1]]}'], ":2: experts: has 1 layers"),
        (['{"experts": [[], [1, 2]]}', '{"experts": [[0, 1], [1, 2]]}'], ":2: layer 0: is empty (dense) for some"),
        (['{"experts": [[0, 1]]}', "not json"], ":2: invalid JSON"),
        (['{"experts": [[0, 1]], "weight": -1}'], "layer 0: trace weights must be"),
        (['{"experts": [[0, 1]]}', '{"experts": [[0, 1, 2]]}'], "experts: every layer of every token needs"),
    ],
)
def test_jsonl_trace_errors_name_file_line_or_layer(tmp_path, lines, expected):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        load_trace(path, n_experts=4)
    assert str(info.value).startswith(str(path)) and expected in str(info.value)


def test_stats_validation_names_source_and_layer():
    p = np.full((2, 4), 0.5)
    with pytest.raises(InputError, match=r"^gen: layer 8: probabilities sum to 1.5"):
        ActivationStats(np.array([[0.5] * 4, [0.5, 0.5, 0.5, 0.0]]), k=2, layers=(7, 8), source="gen")
    with pytest.raises(InputError, match="^gen: layers: 1 layer indices for 2 rows"):
        ActivationStats(p, k=2, layers=(7,), source="gen")
    bad = np.zeros((2, 4, 4))
    with pytest.raises(InputError, match=r"^gen: layer 7: coactivation: rows must sum to \(k-1\) \* p"):
        ActivationStats(p, k=2, layers=(7, 9), coactivation=bad, source="gen")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok = ActivationStats(p, k=2, layers=(7, 9), coactivation=np.tile(1 / 6 * (1 - np.eye(4)), (2, 1, 1)))
    assert ok.row(9) == 1
    with pytest.raises(InputError, match="layer 3 is not a MoE layer"):
        ok.row(3)
