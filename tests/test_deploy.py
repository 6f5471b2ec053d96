"""Deployment optimiser: each lever against brute force on tiny cases, the deployment file, the CLI."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from spacexnet_opt.formats.deployment import load_deployment, save_deployment
from spacexnet_opt.evaluate import deployment_from_file, deployment_to_file
from spacexnet_opt.optimize.assign import global_assignment
from spacexnet_opt.formats.deployment import ScenarioRef
from spacexnet_opt.optimize.gateways import layer_costs, ring_dp, sorted_hosts
from spacexnet_opt.optimize.replicas import greedy_replicas, milp_replicas, replication_saving
from spacexnet_opt.evaluate import Deployment
from spacexnet_opt.errors import FileFormatError
from spacexnet_opt.evaluate import CpsLaw

from test_evaluate_cli import TINY


def _grid_delays(n_planes: int, n_slots: int, rng) -> np.ndarray:
    """All-pairs shortest delays on a small P x S torus grid with random link delays (a metric)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    n = n_planes * n_slots
    rows, cols = [], []
    for p in range(n_planes):
        for s in range(n_slots):
            u = p * n_slots + s
            rows += [u, u]
            cols += [p * n_slots + (s + 1) % n_slots, ((p + 1) % n_planes) * n_slots + s]
    w = rng.uniform(1.0, 3.0, len(rows))
    g = coo_matrix((w, (rows, cols)), shape=(n, n))
    return dijkstra(g + g.T, directed=False)


def test_ring_dp_matches_exhaustive_search():
    rng = np.random.default_rng(1)
    for n_layers in (1, 3, 4):
        sizes = rng.integers(2, 4, n_layers)
        costs = [rng.uniform(0, 1, (sizes[l], sizes[(l + 1) % n_layers])) for l in range(n_layers)]
        choice, total = ring_dp(costs)
        brute = min(itertools.product(*[range(k) for k in sizes]),
                    key=lambda c: sum(costs[l][c[l], c[(l + 1) % n_layers]] for l in range(n_layers)))
        best = sum(costs[l][brute[l], brute[(l + 1) % n_layers]] for l in range(n_layers))
        assert total == pytest.approx(best)
        assert sum(costs[l][choice[l], choice[(l + 1) % n_layers]] for l in range(n_layers)) == pytest.approx(total)


def test_gateway_dp_is_exhaustive_optimum_over_gateways_of_sorted_placements():
    """3 layers on a 3 x 6 grid, two-slot bands: DP over all members equals exhaustive search over gateways."""
    rng = np.random.default_rng(2)
    d = _grid_delays(3, 6, rng)
    members = [np.array([p * 6 + s for p in range(3) for s in (2 * b, 2 * b + 1)]) for b in range(3)]
    p = np.array([[0.9, 0.7, 0.4], [0.8, 0.8, 0.4], [1.0, 0.5, 0.5]])
    laws = [CpsLaw(row, 2) for row in p]
    row = np.arange(18)

    def layer_value(l, a, b):
        cand = members[l][members[l] != a]
        tau = d[a, cand] + d[cand, b]
        return laws[l].expected_max(tau[sorted_hosts(tau, cand, p[l])])

    costs = [layer_costs(d, row, members[l], members[(l + 1) % 3], members[l], p[l], laws[l]) for l in range(3)]
    choice, total = ring_dp(costs)
    brute = min(sum(layer_value(l, g[l], g[(l + 1) % 3]) for l in range(3)) for g in itertools.product(*members))
    assert total == pytest.approx(brute)
    gw = [members[l][k] for l, k in enumerate(choice)]
    assert sum(layer_value(l, gw[l], gw[(l + 1) % 3]) for l in range(3)) == pytest.approx(brute)


def test_sorted_rule_is_the_exhaustive_linear_optimum():
    rng = np.random.default_rng(3)
    tau, p = rng.uniform(0, 1, 6), rng.dirichlet(np.ones(3))
    hosts = sorted_hosts(tau, np.arange(6), p)
    brute = min(itertools.permutations(range(6), 3), key=lambda a: float(p @ tau[list(a)]))
    assert float(p @ tau[hosts]) == pytest.approx(float(p @ tau[list(brute)]))


def test_global_assignment_matches_exhaustive_search():
    """2 layers x 2 experts over 7 satellites (one a gateway): every injective placement tried."""
    rng = np.random.default_rng(4)
    tau, p = rng.uniform(0, 1, (2, 7)), rng.dirichlet(np.ones(2), size=2)
    gateways = np.array([6])
    for kwargs in ({}, {"dense_limit": 0}):
        hosts, _ = global_assignment(tau, p, gateways, **kwargs)
        value = float((p * np.take_along_axis(tau, hosts, axis=1)).sum())
        brute = min(float(p[0, 0] * tau[0, a] + p[0, 1] * tau[0, b] + p[1, 0] * tau[1, c] + p[1, 1] * tau[1, e])
                    for a, b, c, e in itertools.permutations(range(6), 4))
        assert value == pytest.approx(brute)
        assert len(np.unique(hosts)) == 4 and 6 not in hosts


def test_replication_milp_is_exhaustive_optimum_and_greedy_within_its_bound():
    rng = np.random.default_rng(5)
    current = rng.uniform(1, 2, (3, 2, 2))        # T=3 snapshots, 2 layers, 2 experts
    spare = rng.uniform(0.5, 2.2, (3, 2, 4))       # 4 spare satellites
    p = np.array([[0.7, 0.3], [0.6, 0.4]])
    triples = [(l, i, s) for l in range(2) for i in range(2) for s in range(4)]
    for budget in (1, 2, 3, 4):   # 4: every spare satellite taken
        feasible = [c for r in range(budget + 1) for c in itertools.combinations(triples, r)
                    if len({s for _, _, s in c}) == len(c)]
        best = max(replication_saving(current, spare, p, c) for c in feasible)
        exact = milp_replicas(current, spare, p, budget)
        greedy = greedy_replicas(current, spare, p, budget)
        assert exact.saving == pytest.approx(best, rel=1e-7)
        assert greedy.saving >= 0.5 * best - 1e-12
        assert greedy.saving <= best + 1e-12 <= greedy.bound + 1e-9
        assert replication_saving(current, spare, p, greedy.copies) == pytest.approx(greedy.saving)


def test_deployment_file_round_trip(tmp_path):
    plan = Deployment(np.array([0, 5]), np.array([[[1, 7], [2, -1]], [[6, -1], [8, 3]]]), name="rt")
    ref = ScenarioRef(path="x.toml", sha256="0" * 64, kind="scenario")
    doc = deployment_to_file(plan, ref, methods="sorted", objectives=[0.1, 0.2])
    save_deployment(doc, tmp_path / "d.json")
    back = load_deployment(tmp_path / "d.json")
    assert back == doc
    again = deployment_from_file(back)
    assert np.array_equal(again.hosts, plan.hosts) and np.array_equal(again.gateways, plan.gateways)
    raw = json.loads((tmp_path / "d.json").read_text())
    raw["layers"][0]["next_gateway"] = 9
    (tmp_path / "bad.json").write_text(json.dumps(raw))
    with pytest.raises(FileFormatError, match="next_gateway 9 is not the gateway of layer 1"):
        load_deployment(tmp_path / "bad.json")
    raw["layers"][0]["next_gateway"] = 5
    raw["layers"][0]["compute_group"] = [4]
    (tmp_path / "bad.json").write_text(json.dumps(raw))
    with pytest.raises(FileFormatError, match=r"layers\[0\]\.compute_group"):
        load_deployment(tmp_path / "bad.json")




@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.toml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="module")
def base_prediction(tiny):
    """Space-XNet's exact s/token on the tiny scenario (what ``optimize`` writes with no lever on)."""
    from typer.testing import CliRunner

    from spacexnet_opt.cli.app import app

    out = tiny.parent / "base.json"
    assert CliRunner().invoke(app, ["optimize", str(tiny), "-o", str(out)]).exit_code == 0
    return load_deployment(out).predicted.s_per_token


@pytest.mark.parametrize("options", [[], ["--gateways", "dp", "--gateway-candidates", "3"], ["--shape", "regions"],
                                     ["--shape", "free"], ["--replicas", "8"], ["--capacity", "2"],
                                     ["--capacity", "2", "--replicas", "4", "--gateways", "dp",
                                      "--gateway-candidates", "2"],
                                     ["--compute-group", "waterfill", "--group-size", "6"]])
def test_optimize_then_evaluate_agrees_with_prediction(cli, tiny, base_prediction, tmp_path, options):
    out = tmp_path / "dep.json"
    res = cli("optimize", tiny, "-o", out, *options)
    assert res.exit_code == 0, res.output
    doc = load_deployment(out)
    res = cli("evaluate", out, "--tokens", "10000", "--json", tmp_path / "ev.json")
    assert res.exit_code == 0, res.output
    ev = json.loads((tmp_path / "ev.json").read_text())
    assert ev["snapshot_exact_s_per_token"] == pytest.approx(doc.predicted.s_per_token, rel=1e-9)
    lo, hi = ev["ci95_s"]
    assert lo <= doc.predicted.s_per_token <= hi
    assert doc.predicted.s_per_token <= base_prediction + 1e-12


def test_method_options_reach_the_method_and_the_file(cli, tiny, tmp_path):
    # One pass of the capacity local search stops before the default's 200 passes do: a worse layout, and the
    # file records the option.
    predicted = {}
    for extra in ([], ["-O", "max_passes=1"]):
        out = tmp_path / f"d{len(extra)}.json"
        assert cli("optimize", tiny, "-o", out, "--capacity", "2", *extra).exit_code == 0
        doc = load_deployment(out)
        predicted[len(extra)] = doc.predicted.s_per_token
        assert doc.options.get("method_options") == ({"capacity-search": {"max_passes": 1}} if extra else None)
    assert predicted[2] > predicted[0]


def test_converted_placement_evaluates_like_the_pair(cli, tiny, tmp_path):
    inst, pl, dep = tmp_path / "i.json", tmp_path / "p.json", tmp_path / "d.json"
    assert cli("build", tiny, "-o", inst).exit_code == 0
    assert cli("solve", inst, "--method", "sorted", "-o", pl).exit_code == 0
    assert cli("convert", inst, pl, "-o", dep).exit_code == 0
    cli("evaluate", inst, pl, "--tokens", "3000", "--json", tmp_path / "a.json")
    cli("evaluate", dep, "--tokens", "3000", "--json", tmp_path / "b.json")
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("a.json", "b.json"))
    assert {k: v for k, v in a.items() if k != "deployment"} == {k: v for k, v in b.items() if k != "deployment"}


@pytest.mark.parametrize("options, message", [
    (["--shape", "blob"], "--shape: unknown shape 'blob'; valid: bands, regions, free"),
    (["--replicas", "100000"], "--replicas: 100000 replicas but only 32 spare satellites "
                               "(320 - 32 x (8 experts + 1 gateway))"),
    (["--gateways", "best"], "--gateways: unknown gateways 'best'; valid: center, dp"),
    (["--capacity", "0"], "--capacity: must be at least 1, got 0"),
    (["--replicas", "-2"], "--replicas: must be at least 0, got -2"),
    (["--shape", "free", "--capacity", "2"], "--capacity: capacity above one works with the bands and regions "
                                             "shapes, not free"),
    (["--capacity", "2", "-O", "max_passes=0"], "--option: capacity-search.max_passes must be a positive integer, "
                                                "got 0"),
    (["--capacity", "2", "-O", "time_limit=5"], "--option: 'time_limit' is not an option of capacity-search "
                                                "(valid: batch, exhaustive_limit, max_passes, search_limit)"),
    (["-O", "max_passes=3"], "--option: no chosen method takes options, got 'max_passes=3'"),
    (["--replicas", "2", "--replica-method", "milp", "-O", "milp.time_limit=soon"],
     "--option: milp.time_limit must be a positive number or null, got 'soon'"),
])
def test_bad_options_are_one_line_errors(cli, tiny, tmp_path, options, message):
    res = cli("optimize", tiny, "-o", tmp_path / "d.json", *options)
    assert res.exit_code == 2
    assert res.output.strip() == f"error: {message}"
    assert not (tmp_path / "d.json").exists()


def test_contention_expectation_matches_enumeration_and_local_search_matches_exhaustive():
    from spacexnet_opt.optimize.capacity import capacity_hosts
    from spacexnet_opt.evaluate.contention import shared_expected_max

    rng = np.random.default_rng(6)
    law = CpsLaw(np.array([0.8, 0.5, 0.3, 0.25, 0.15]), 2)
    tau, cont = rng.uniform(1, 3, 5), rng.uniform(0.2, 1.0, 5)
    hosts = np.array([0, 0, 1, 2, 2])

    def brute(h):
        total = 0.0
        for a in itertools.combinations(range(5), 2):
            times = [tau[h[i]] + cont[h[i]] * (sum(h[j] == h[i] for j in a) - 1) for i in a]
            total += law.set_probability(a) * max(times)
        return total

    assert shared_expected_max(law, tau[hosts], hosts, cont[hosts]) == pytest.approx(brute(hosts))
    every = {h: brute(np.array(h)) for h in itertools.product(range(5), repeat=5)}
    for capacity in (1, 2, 3):
        exact = capacity_hosts(tau, np.arange(5), law.sampler.p[0], law, capacity, cont)
        local = capacity_hosts(tau, np.arange(5), law.sampler.p[0], law, capacity, cont, exhaustive_limit=0)
        best = min(v for h, v in every.items() if max(np.bincount(h, minlength=5)) <= capacity)
        assert brute(exact) == pytest.approx(best)
        assert brute(local) >= best - 1e-12
        assert np.bincount(exact, minlength=5).max() <= capacity
        greedy = capacity_hosts(tau, np.arange(5), law.sampler.p[0], law, capacity, cont, search_limit=0)
        assert np.bincount(greedy, minlength=5).max() <= capacity and brute(greedy) >= best - 1e-12


def test_evaluate_refuses_a_changed_scenario(cli, tmp_path):
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY)
    out = tmp_path / "dep.json"
    assert cli("optimize", scenario, "-o", out).exit_code == 0
    assert load_deployment(out).scenario.path == "tiny.toml"
    scenario.write_text(TINY.replace("count = 6", "count = 5"))
    res = cli("evaluate", out, "--tokens", "0")
    assert res.exit_code == 2
    assert res.output.strip() == f"error: {out}: scenario.sha256: {scenario} changed since the deployment was " \
                                 "written (SHA-256 differs)"


def test_balanced_regions_match_exhaustive_search():
    """The regions' transportation step: 8 satellites into 2 regions of 4, every split tried."""
    from spacexnet_opt.optimize.shapes import _balanced

    rng = np.random.default_rng(7)
    dist = rng.uniform(0, 1, (2, 8))
    region = _balanced(dist, np.array([4, 4]), arcs=2)
    value = dist[region, np.arange(8)].sum()
    best = min(dist[0, list(a)].sum() + dist[1, [s for s in range(8) if s not in a]].sum()
               for a in itertools.combinations(range(8), 4))
    assert np.bincount(region).tolist() == [4, 4]
    assert value == pytest.approx(best, abs=1e-8)
