"""The committed instance files rebuild byte for byte from their scenarios, and have the paper's shape."""

from pathlib import Path

import numpy as np
import pytest

from spacexnet_opt.setting import build_from_file
from spacexnet_opt.formats.instance import dumps_instance, load_instance
from spacexnet_opt.formats.scenario import load_scenario

INSTANCES = Path(__file__).resolve().parents[1] / "instances"


@pytest.mark.parametrize("name", ["paper", "starlink-tle"])
def test_committed_instance_rebuilds_identically(name, shared_data):
    committed = (INSTANCES / f"{name}.instance.json").read_text()
    assert dumps_instance(build_from_file(INSTANCES / f"{name}.toml")) == committed


def test_paper_instance_matches_the_paper_setting():
    inst = load_instance(INSTANCES / "paper.instance.json")
    sc = inst.scenario
    assert sc["constellation"]["n_sats"] == 1056 and sc["constellation"]["pattern"] == "star"
    assert sc["isl"]["max_angular_rate"] == 0.12 and sc["isl"]["survival"] == 0.95
    assert sc["snapshots"]["count"] == 200 and sc["model"]["profile"] == "llama-moe-3.5b-2of8"
    assert len(inst.layers) == 32
    for lay in inst.layers:
        assert lay.k == 2 and lay.n_experts == 8 and lay.n_candidates == 32
        assert lay.gateway // 32 == 16  # central plane
        # a candidate next to the gateway is among the fastest, the band's ends are the slowest
        tau = dict(zip(lay.satellites, lay.tau_s))
        assert min(tau, key=tau.get) // 32 in (15, 17)
        assert max(tau, key=tau.get) // 32 in (0, 32)
        assert np.allclose(np.sum(lay.coactivation, axis=1), np.array(lay.activation) * (lay.k - 1), atol=1e-6)


def test_mega_scenario_is_sized_for_deepseek_v3():
    spec = load_scenario(INSTANCES / "deepseek-v3-mega.toml")
    walker = spec.constellation.walker
    n_sats = walker.n_planes * walker.sats_per_plane
    assert n_sats >= 15_000
    width = walker.sats_per_plane // 58  # every band: at least 256 experts + 1 gateway
    assert walker.sats_per_plane % 58 == 0 and width * walker.n_planes >= 257
    assert spec.model.profile == "deepseek-v3"
    assert (INSTANCES / spec.statistics.file).resolve().is_file()
