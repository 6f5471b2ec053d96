"""Per-hop processing delay: charged once per hop on every link, default 0 (the paper's model), bad values refused."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from spacexnet_opt.constellation import IslConfig, WalkerShell, build_snapshots, shortest_delays
from spacexnet_opt.errors import InputError

from hostile import assert_one_error_line, run_cli
from test_evaluate_cli import TINY

SHELL = WalkerShell("t", 6, 12, 550.0, 87.0, pattern="star")


def _snaps(hop_s: float):
    return build_snapshots(SHELL, n_snapshots=3, seed=1,
                           config=IslConfig(survival=1.0, max_angular_rate=None, hop_processing_s=hop_s))


def test_every_link_costs_the_processing_delay_more():
    base, slow = _snaps(0.0), _snaps(1e-3)
    up = np.isfinite(base.delay_s)
    assert np.array_equal(up, np.isfinite(slow.delay_s))
    assert np.allclose(slow.delay_s[up] - base.delay_s[up], 1e-3, rtol=0, atol=1e-15)


def test_routes_pay_one_delay_per_hop():
    """With a large processing delay the shortest route is the one with fewest hops: delay = hops x d + links."""
    slow = _snaps(1.0)
    got = shortest_delays(slow, [0])[0, 0]
    hops = dijkstra(slow.graph(0) > 0, directed=True, indices=0, unweighted=True)
    assert np.array_equal(np.floor(got), hops)   # propagation and serialisation add well under a second


def test_default_is_the_papers_model():
    assert IslConfig().hop_processing_s == 0.0
    assert np.array_equal(_snaps(0.0).delay_s, build_snapshots(SHELL, n_snapshots=3, seed=1, config=IslConfig(
        survival=1.0, max_angular_rate=None)).delay_s)


@pytest.mark.parametrize("value", [-1e-4, float("nan"), float("inf")])
def test_bad_processing_delay_is_refused(value):
    with pytest.raises(InputError, match="hop_processing_s"):
        IslConfig(hop_processing_s=value)


def test_negative_processing_delay_in_a_scenario_is_one_line(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(TINY.replace("[isl]\n", "[isl]\nhop_processing_s = -0.001\n"))
    assert_one_error_line(run_cli("build", scenario, "-o", tmp_path / "i.json"), "s.toml", "isl.hop_processing_s")
    assert not (tmp_path / "i.json").exists()
