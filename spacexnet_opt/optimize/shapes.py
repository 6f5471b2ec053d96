"""Subnet shapes: which satellites may serve each MoE layer, in ring order.

``bands``
    The paper's ring: layer ``l`` owns the band of consecutive slots of the
    scenario's ring partition; its default gateway is the scenario's.
``regions``
    Equal-size, compact regions of the expected-delay ISL graph (each link
    weighted by its mean delay over the snapshots in which it is up). Seeds
    start spread by farthest-point sampling from the first band gateway; each round assigns every satellite to a seed
    by a balanced transportation problem (OR-Tools min-cost flow: region sizes
    differ by at most one, total delay to the seeds minimal), then moves every
    seed to its region's deepest member (largest delay to the region's
    boundary). The regions are then ordered into a ring by a cycle through all
    of them of least seed-to-seed delay (a TSP, OR-Tools routing), and layer
    ``l`` gets the ``l``-th region; its default gateway is the seed.

Gateway candidates of a layer are its default gateway and ``n_candidates - 1``
more members spread over the subnet by farthest-point sampling.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["Subnets", "band_subnets", "region_subnets", "mean_delay_graph", "gateway_candidates", "SHAPES"]

SHAPES = ("bands", "regions", "free")


@dataclass(frozen=True, eq=False)
class Subnets:
    """Members (allowed satellites) and default gateway of every layer, in ring order."""

    kind: str
    members: tuple
    centre: np.ndarray

    @property
    def n_layers(self) -> int:
        return len(self.members)


def band_subnets(world) -> Subnets:
    """The ring bands of ``world.partition`` with the scenario's gateways."""
    part = world.partition
    members = tuple(part.members(int(part.layer_band[l])) for l in range(part.n_layers))
    return Subnets("bands", members, np.array([layer.gateway for layer in world.layers], dtype=np.int64))


def mean_delay_graph(snapshots):
    """Symmetric CSR graph of every link ever up, weighted by its mean delay over the snapshots where it is up."""
    from scipy.sparse import coo_matrix

    up = np.isfinite(snapshots.delay_s)
    count = up.sum(axis=0)
    keep = count > 0
    mean = np.where(up, snapshots.delay_s, 0.0).sum(axis=0)[keep] / count[keep]
    u, v = snapshots.edges[keep, 0], snapshots.edges[keep, 1]
    n = snapshots.n_sats
    return coo_matrix((np.concatenate([mean, mean]), (np.concatenate([u, v]), np.concatenate([v, u]))),
                      shape=(n, n)).tocsr()


def _balanced(dist: np.ndarray, sizes: np.ndarray, arcs: int) -> np.ndarray | None:
    """Region of every satellite: min total delay to its seed with region ``r`` of size ``sizes[r]`` (min-cost flow)."""
    from ortools.graph.python import min_cost_flow

    n_reg, n = dist.shape
    arcs = min(arcs, n_reg)
    near = np.argsort(dist, axis=0, kind="stable")[:arcs].T  # (n, arcs)
    cost = np.take_along_axis(dist.T, near, axis=1)
    finite = np.isfinite(cost)
    scale = 1e9  # ns
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.repeat(np.arange(n), arcs)[finite.ravel()]
    heads = (n + near).ravel()[finite.ravel()]
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, np.ones(len(tails), dtype=np.int64),
                                              np.rint(cost[finite] * scale).astype(np.int64))
    flow.set_nodes_supplies(np.arange(n + n_reg), np.concatenate([np.ones(n, dtype=np.int64), -sizes]))
    if flow.solve() != flow.OPTIMAL:
        return None
    region = np.empty(n, dtype=np.int64)
    used = np.array([flow.flow(a) for a in range(flow.num_arcs())]) > 0
    region[np.asarray([flow.tail(a) for a in range(flow.num_arcs())])[used]] = \
        np.asarray([flow.head(a) for a in range(flow.num_arcs())])[used] - n
    return region


def _deepest(graph, region: np.ndarray, seeds: np.ndarray, to_seed: np.ndarray) -> np.ndarray:
    """Member of every region farthest from the region's boundary (ties: nearest to the old seed)."""
    from scipy.sparse.csgraph import dijkstra

    coo = graph.tocoo()
    border = np.unique(coo.row[region[coo.row] != region[coo.col]])
    if border.size == 0:
        return seeds
    depth = dijkstra(graph, indices=border, min_only=True)
    out = seeds.copy()
    for r in range(len(seeds)):
        mine = np.flatnonzero(region == r)
        best = depth[mine].max()
        tied = mine[depth[mine] >= best - 1e-12]
        out[r] = tied[np.argmin(to_seed[r, tied])]
    return out


def _ring_order(dist: np.ndarray) -> np.ndarray:
    """Order of the regions on a cycle of least total seed-to-seed delay (OR-Tools routing, greedy descent)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(dist)
    if n <= 3:
        return np.arange(n)
    cost = np.rint(np.where(np.isfinite(dist), dist, 10 * np.nanmax(dist[np.isfinite(dist)])) * 1e9).astype(np.int64)
    manager = pywrapcp.RoutingIndexManager(n, 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    callback = routing.RegisterTransitCallback(
        lambda i, j: int(cost[manager.IndexToNode(i), manager.IndexToNode(j)]))
    routing.SetArcCostEvaluatorOfAllVehicles(callback)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    solution = routing.SolveWithParameters(params)
    order, index = [], routing.Start(0)
    while not routing.IsEnd(index):
        order.append(manager.IndexToNode(index))
        index = solution.Value(routing.NextVar(index))
    return np.array(order)


def _spread_seeds(graph, first: int, count: int) -> np.ndarray:
    """``count`` seeds by farthest-point sampling on the graph, from ``first``."""
    from scipy.sparse.csgraph import dijkstra

    seeds = [first]
    nearest = dijkstra(graph, indices=first)
    for _ in range(count - 1):
        far = int(np.argmax(np.where(np.isfinite(nearest), nearest, -1.0)))
        seeds.append(far)
        nearest = np.minimum(nearest, dijkstra(graph, indices=far))
    return np.array(seeds, dtype=np.int64)


def region_subnets(world, *, rounds: int = 5, arcs: int = 8) -> Subnets:
    """Equal-size compact regions of the expected-delay ISL graph, ordered into a ring (see the module docstring)."""
    from scipy.sparse.csgraph import connected_components, dijkstra

    graph = mean_delay_graph(world.snapshots)
    n, n_layers = world.n_sats, world.n_layers
    sizes = np.full(n_layers, n // n_layers, dtype=np.int64)
    sizes[: n % n_layers] += 1
    seeds = _spread_seeds(graph, int(band_subnets(world).centre[0]), n_layers)
    region = None
    for _ in range(rounds):
        to_seed = dijkstra(graph, indices=seeds)
        found = _balanced(to_seed, sizes, arcs)
        if found is None:
            found = _balanced(to_seed, sizes, n_layers)
        if found is None:
            raise InputError("the ISL graph cannot be cut into equal regions (disconnected shell?)", field="shape")
        new = _deepest(graph, found, seeds, to_seed)
        converged = region is not None and np.array_equal(found, region) and np.array_equal(new, seeds)
        region, seeds = found, new
        if converged:
            break
    to_seed = dijkstra(graph, indices=seeds)
    order = _ring_order(to_seed[:, seeds])
    members = tuple(np.flatnonzero(region == r) for r in order)
    pieces = [connected_components(graph[m][:, m], directed=False)[0] for m in members]
    sub = Subnets("regions", members, seeds[order])
    object.__setattr__(sub, "disconnected_regions", int(sum(p > 1 for p in pieces)))
    return sub


def gateway_candidates(subnets: Subnets, graph, n_candidates: int) -> list[np.ndarray]:
    """``n_candidates`` members of each subnet spread over it: the default gateway, then farthest-point sampling
    (in delay on ``graph``, the mean-delay ISL graph) among the members."""
    from scipy.sparse.csgraph import dijkstra

    out = []
    for l, members in enumerate(subnets.members):
        picked = [int(subnets.centre[l])]
        nearest = dijkstra(graph, indices=picked[0])[members]
        for _ in range(min(n_candidates, len(members)) - 1):
            far = int(members[np.argmax(nearest)])
            picked.append(far)
            nearest = np.minimum(nearest, dijkstra(graph, indices=far)[members])
        out.append(np.array(picked, dtype=np.int64))
    return out
