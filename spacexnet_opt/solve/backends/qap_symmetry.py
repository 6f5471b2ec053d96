"""Automorphisms of a distance matrix, used by ``bnb`` to skip mirrored subtrees.

A permutation ``s`` of the locations with ``D[s(k), s(l)] = D[k, l]`` for all
``k, l`` maps every assignment ``p`` to ``s o p`` of the same cost. If ``s``
fixes the locations already taken at a node, the children "facility ``i`` on
``k``" and "``i`` on ``s(k)``" hold mirrored completions of equal costs, so one
child per orbit suffices. Any subset of the automorphism group gives valid
orbits; the enumeration stops at :data:`MAX_AUTOMORPHISMS`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_AUTOMORPHISMS", "automorphisms", "orbits"]

MAX_AUTOMORPHISMS, MAX_STEPS = 4096, 200_000
"""Enumeration caps: automorphisms kept, and partial maps tried."""


def automorphisms(distance: np.ndarray) -> np.ndarray:
    """``(s, n)`` array of automorphisms of ``distance`` (the identity first), by backtracking.

    >>> square = np.array([[0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1], [1, 2, 1, 0]])  # a 4-cycle
    >>> len(automorphisms(square))  # its 4 rotations and 4 reflections
    8
    """
    d = np.asarray(distance)
    n = d.shape[0]
    signature = [(d[k, k], tuple(np.sort(d[k])), tuple(np.sort(d[:, k]))) for k in range(n)]
    candidates = [[b for b in range(n) if signature[b] == signature[a]] for a in range(n)]
    sigma, used, found, steps = np.full(n, -1), np.zeros(n, dtype=bool), [], [0]

    def extend(a: int) -> bool:  # True: stop the enumeration
        if a == n:
            found.append(sigma.copy())
            return len(found) >= MAX_AUTOMORPHISMS
        for b in candidates[a]:
            steps[0] += 1
            if steps[0] > MAX_STEPS:
                return True
            if used[b] or np.any(d[sigma[:a], b] != d[:a, a]) or np.any(d[b, sigma[:a]] != d[a, :a]):
                continue
            sigma[a], used[b] = b, True
            stop = extend(a + 1)
            used[b] = False
            if stop:
                return True
        return False

    extend(0)
    return np.array(found, dtype=np.int64).reshape(len(found), n)


def orbits(group: np.ndarray, n: int) -> np.ndarray:
    """Label of each location: the smallest location of its orbit under the maps ``group`` (rows).

    >>> orbits(np.array([[0, 1, 2, 3], [0, 3, 2, 1]]), 4).tolist()
    [0, 1, 2, 1]
    """
    label = np.arange(n)
    while True:
        new = np.minimum(label, label[group].min(axis=0, initial=n))
        np.minimum.at(new, group.ravel(), np.tile(label, len(group)))
        if np.array_equal(new, label):
            return label
        label = new
