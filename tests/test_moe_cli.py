"""``spacexnet moe``: exit codes, printed figures, written files."""

import json

import numpy as np

from spacexnet_opt.moe import load_trace

DEEPSEEK = "moe-load/deepseek-v3/decode_in1800out100.json"


def test_profiles_lists_every_builtin(cli):
    result = cli("moe", "profiles")
    assert result.exit_code == 0
    for name in ("llama-moe-3.5b-2of8", "mixtral-8x7b", "deepseek-v3"):
        assert name in result.output


def test_info_json_gives_the_compute_split(cli):
    result = cli("moe", "info", "llama-moe-3.5b-2of8", "--json")
    assert result.exit_code == 0
    info = json.loads(result.output)
    assert abs(info["total_tflop_per_4096_tokens"] - 36.3) < 0.2
    assert info["activation_bytes"] == 8192 and info["top_k"] == 2
    table = cli("moe", "info", "deepseek-v3", "--context", "1024")
    assert table.exit_code == 0 and "gateway gflop per token" in table.output


def test_info_unknown_profile_and_bad_file_exit_2(cli, tmp_path):
    result = cli("moe", "info", "nope")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: profile: unknown model profile 'nope'; valid names: ")
    bad = tmp_path / "p.toml"
    bad.write_text('base = "mixtral-8x7b"\ntop_k = 0\n')
    result = cli("moe", "info", bad)
    assert result.exit_code == 2 and result.stderr == f"error: {bad}: top_k: must be an integer >= 1, got 0\n"


def test_stats_on_real_file_and_plot(cli, shared_data, tmp_path):
    png = tmp_path / "p.png"
    result = cli("moe", "stats", shared_data / DEEPSEEK, "--per-layer", "--plot", png)
    assert result.exit_code == 0
    assert "58 MoE layers (layers 3..60), 256 experts, top-8" in result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_stats_errors_exit_2_naming_file_and_layer(cli, tmp_path):
    path = tmp_path / "neg.npy"
    np.save(path, np.array([[1.0, 2, 3], [1, -1, 1]]))
    result = cli("moe", "stats", path, "--k", "1")
    assert result.exit_code == 2
    assert result.stderr == f"error: {path}: layer 1: count of expert 1 is -1: counts must be finite and >= 0\n"
    result = cli("moe", "stats", tmp_path / "missing.json", "--k", "1")
    assert result.exit_code == 2 and "file not found" in result.stderr


def test_sample_writes_a_calibrated_trace(cli, shared_data, tmp_path):
    out = tmp_path / "trace.npz"
    result = cli("moe", "sample", shared_data / DEEPSEEK, "--tokens", "300", "--seed", "1", "-o", out)
    assert result.exit_code == 0
    trace = load_trace(out, profile="deepseek-v3")
    assert trace.layers == tuple(range(3, 61)) and trace.trace[0].sets.shape == (300, 8)
    assert cli("moe", "sample", shared_data / DEEPSEEK, "--tokens", "0", "-o", out).exit_code == 2
