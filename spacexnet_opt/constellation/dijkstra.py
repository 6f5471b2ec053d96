"""Dijkstra from several sources on one CSR graph, compiled, with the GIL released.

SciPy's ``csgraph.dijkstra`` holds the GIL while it runs, so routing threads
take turns. This kernel runs the same algorithm (an indexed binary heap with
decrease-key, each key stored beside its node) under ``numba.njit(nogil=True)``: threads routing different snapshots
(:func:`~spacexnet_opt.constellation.routing.iter_shortest_delays`) run at once.
A distance is settled as the smallest ``dist[u] + w(u, v)`` over the graph's
edges, the same float sums SciPy forms, so both give the same delays
(``tests/test_routing.py`` compares them on every snapshot of a shell).

>>> import numpy as np
>>> from scipy.sparse import csr_matrix
>>> g = csr_matrix(np.array([[0, 1.0, 4.0], [1.0, 0, 2.0], [4.0, 2.0, 0]]))
>>> everything = np.zeros((2, 3), dtype=bool)
>>> multi_source_dijkstra(g.indptr, g.indices, g.data, np.array([0, 2]), everything).tolist()
[[0.0, 1.0, 3.0], [3.0, 2.0, 0.0]]
>>> multi_source_dijkstra(g.indptr, g.indices, g.data, np.array([0]), np.array([[False, True, False]])).tolist()
[[0.0, 1.0, nan]]
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["multi_source_dijkstra"]


@njit(cache=True, nogil=True)
def _sift_up(heap: np.ndarray, key: np.ndarray, where: np.ndarray, at: int, node: int, k: float) -> None:
    """Place ``node`` with key ``k`` at slot ``at`` or above."""
    while at > 0:
        parent = (at - 1) >> 1
        if key[parent] <= k:
            break
        heap[at], key[at] = heap[parent], key[parent]
        where[heap[at]] = at
        at = parent
    heap[at], key[at] = node, k
    where[node] = at


@njit(cache=True, nogil=True)
def _pop(heap: np.ndarray, key: np.ndarray, where: np.ndarray, size: int) -> int:
    """Remove and return the heap's nearest node; ``size`` is the size before the pop."""
    top = heap[0]
    size -= 1
    node, k, at = heap[size], key[size], 0
    while True:
        child = 2 * at + 1
        if child >= size:
            break
        if child + 1 < size and key[child + 1] < key[child]:
            child += 1
        if k <= key[child]:
            break
        heap[at], key[at] = heap[child], key[child]
        where[heap[at]] = at
        at = child
    heap[at], key[at] = node, k
    where[node] = at
    return top


@njit(cache=True, nogil=True)
def _one_source(indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray, source: int, wanted: np.ndarray,
                dist: np.ndarray, heap: np.ndarray, key: np.ndarray, where: np.ndarray) -> None:
    """Dijkstra with an indexed heap (keys beside the nodes): ``where[v]`` is v's heap slot, -1 before it is
    reached, -2 once settled.

    Stops once every ``wanted`` node is settled (all nodes when none is), and
    then marks the nodes not settled ``nan``.
    """
    dist[:] = np.inf
    where[:] = -1
    left = np.count_nonzero(wanted)
    dist[source] = 0.0
    heap[0], key[0], where[source], size = source, 0.0, 0, 1
    while size:
        u = _pop(heap, key, where, size)
        size -= 1
        where[u] = -2
        if wanted[u]:
            left -= 1
            if left == 0:
                dist[where != -2] = np.nan
                return
        du = dist[u]
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            candidate = du + weights[e]
            if candidate < dist[v] and where[v] != -2:
                dist[v] = candidate
                if where[v] == -1:
                    size += 1
                    _sift_up(heap, key, where, size - 1, v, candidate)
                else:
                    _sift_up(heap, key, where, where[v], v, candidate)


@njit(cache=True, nogil=True)
def multi_source_dijkstra(indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray, sources: np.ndarray,
                          wanted: np.ndarray) -> np.ndarray:
    """Shortest-path lengths (n_sources, N) from each of ``sources`` over the CSR graph; ``inf`` = unreachable.

    ``weights`` must be non-negative (every link delay is). ``wanted`` (bool,
    (n_sources, N)) lets a source stop once its wanted nodes are settled: its
    other entries may then be ``nan`` (not computed). A row with nothing wanted
    is routed whole.
    """
    n = len(indptr) - 1
    out = np.empty((len(sources), n))
    heap = np.empty(n, dtype=np.int64)
    key = np.empty(n)
    where = np.empty(n, dtype=np.int64)
    for row in range(len(sources)):
        _one_source(indptr, indices, weights, sources[row], wanted[row], out[row], heap, key, where)
    return out
