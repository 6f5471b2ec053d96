"""Draw the k distinct experts of a token with prescribed inclusion probabilities.

:class:`TopKSampler` uses *conditional Poisson sampling* (CPS, Hájek's
rejective sampling): a set ``A`` of size k has probability proportional to
``prod_{i in A} w_i``. Its inclusion probabilities
``pi_i = w_i e_{k-1}(w without i) / e_k(w)`` are exact through elementary
symmetric polynomials ``e_r``, so the weights ``w`` are fitted until
``pi = p`` (to 1e-10). CPS is the maximum-entropy design with those
marginals, the natural "no extra correlation" model of a router.

Sampling is exact: k independent draws proportional to ``w`` accepted when all
distinct (the same set law), vectorised over tokens; when that acceptance rate
is low, a sequential pass over the experts with the exact conditional
probabilities is used instead.

:func:`sample_sequential` is the naive baseline (draw proportional to p,
renormalise, repeat): its inclusion frequencies are flattened towards uniform
when p is skewed, which is why the calibration exists.

>>> import numpy as np
>>> s = TopKSampler([0.9, 0.6, 0.3, 0.2], 2)
>>> np.round(s.inclusion(), 6)
array([0.9, 0.6, 0.3, 0.2])
>>> sets = s.sample(50_000, rng=np.random.default_rng(0))
>>> np.round(np.bincount(sets.ravel(), minlength=4) / 50_000, 2)
array([0.9, 0.6, 0.3, 0.2])
>>> round(float(np.triu(s.pair_coactivation(), 1).sum()), 12)   # k=2: P({a,b}) sums to 1
1.0
"""

from __future__ import annotations

from math import factorial

import numpy as np

from ..budget import check_tokens
from ..errors import InputError

__all__ = ["TopKSampler", "sample_sequential", "check_probabilities", "cps_inclusion", "cps_pairs", "cps_sample", "cps_acceptance"]

_SURE = 1.0 - 1e-12  # an expert with p above this is always activated
_CHUNK = 16384  # tokens drawn at a time by the rejective sampler


def check_probabilities(p, k: int, *, name: str = "p", rows=None, source=None) -> np.ndarray:
    """Validate activation probabilities of shape (E,) or (L, E) that sum to ``k`` per row.

    Returns a float array clipped to [0, 1] within rounding. Raises
    :class:`InputError` naming ``source``, the row (``rows[r]`` if given) and the problem.

    >>> check_probabilities([0.5, 1.5], 2)
    Traceback (most recent call last):
    ...
    spacexnet_opt.errors.InputError: p: probabilities must be finite and in [0, 1] (found min 0.5, max 1.5)
    """
    arr = np.asarray(p, dtype=float)
    if arr.ndim not in (1, 2) or arr.shape[-1] == 0:
        raise InputError(f"must have shape (E,) or (L, E), got {arr.shape}", field=name, source=source)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= arr.shape[-1]:
        raise InputError(f"must be an integer in 1..{arr.shape[-1]}, got {k!r}", field="k", source=source)
    flat = arr.reshape(-1, arr.shape[-1])

    def where(r: int) -> str:
        if rows is not None:
            return str(rows[r])
        return f"{name}[{r}]" if arr.ndim == 2 else name

    bad = ~np.isfinite(flat).all(axis=1) | (flat < -1e-9).any(axis=1) | (flat > 1 + 1e-9).any(axis=1)
    if bad.any():
        r = int(np.argmax(bad))
        raise InputError(f"probabilities must be finite and in [0, 1] (found min {flat[r].min():.6g}, "
                         f"max {flat[r].max():.6g})", field=where(r), source=source)
    sums = flat.sum(axis=1)
    off = np.abs(sums - k) > 1e-6 * k
    if off.any():
        r = int(np.argmax(off))
        raise InputError(f"probabilities sum to {sums[r]:.8g}, expected k={k}", field=where(r), source=source)
    return np.clip(arr, 0.0, 1.0)


def _esp_prefix(w: np.ndarray, k: int, *, reverse: bool = False) -> np.ndarray:
    """Elementary symmetric polynomials e_0..e_k of the first i (or last E-i) weights.

    ``w`` is (..., E); the result is (E+1, ..., k+1) with ``out[i]`` the
    polynomials of ``w[..., :i]`` (``reverse``: of ``w[..., i:]``).
    """
    n = w.shape[-1]
    out = np.zeros((n + 1, *w.shape[:-1], k + 1))
    order = range(n - 1, -1, -1) if reverse else range(n)
    step = -1 if reverse else 1
    pos = n if reverse else 0
    out[pos, ..., 0] = 1.0
    for i in order:
        nxt = pos + step
        out[nxt] = out[pos]
        out[nxt, ..., 1:] += w[..., i, None] * out[pos, ..., :-1]
        pos = nxt
    return out


def cps_inclusion(w, k: int) -> np.ndarray:
    """Exact inclusion probabilities of conditional Poisson sampling of size ``k``.

    ``pi_i = w_i e_{k-1}(w_{-i}) / e_k(w)``, from prefix and suffix tables
    (no subtraction, so it is stable). ``w`` is (..., E) with at least ``k``
    positive entries per row.

    >>> cps_inclusion([1.0, 1.0, 1.0], 2).round(6)
    array([0.666667, 0.666667, 0.666667])
    """
    w = np.asarray(w, dtype=float)
    if k == 0:
        return np.zeros_like(w)
    w = w * (k / w.sum(axis=-1, keepdims=True))  # keeps every e_r below k^r / r!
    pre = _esp_prefix(w, k)
    suf = _esp_prefix(w, k, reverse=True)
    leave_out = np.einsum("i...a,i...a->i...", pre[:-1, ..., :k], suf[1:, ..., k - 1::-1])
    return w * np.moveaxis(leave_out, 0, -1) / pre[-1, ..., k, None]


def cps_acceptance(w, k: int) -> np.ndarray:
    """Probability that k independent draws proportional to ``w`` are all distinct: ``k! e_k(w) / (sum w)^k``."""
    w = np.asarray(w, dtype=float)
    w = w * (k / w.sum(axis=-1, keepdims=True))
    return factorial(k) * _esp_prefix(w, k)[-1, ..., k] / float(k) ** k


def cps_pairs(w, k: int) -> np.ndarray:
    """Exact pair inclusion probabilities (E, E) of conditional Poisson sampling with weights ``w`` (E,).

    ``P(a, b) = pi_a * P(b | a)``: given ``a``, the other ``k - 1`` experts are
    a CPS of size ``k - 1`` over the weights without ``a``. Zero diagonal.

    >>> cps_pairs([1.0, 1.0, 1.0], 2).round(6).tolist()[0]
    [0.0, 0.333333, 0.333333]
    """
    w = np.asarray(w, dtype=float)
    n = len(w)
    out = np.zeros((n, n))
    if k < 2:
        return out
    rows = np.flatnonzero(w > 0)
    given = np.tile(w, (len(rows), 1))
    given[np.arange(len(rows)), rows] = 0.0
    out[rows] = cps_inclusion(w, k)[rows, None] * cps_inclusion(given, k - 1)
    return 0.5 * (out + out.T)


def cps_sample(w, k: int, n_tokens: int, *, rng=None, acceptance: float | None = None) -> np.ndarray:
    """Exact conditional Poisson sample (n_tokens, k) with weights ``w`` (E,), experts in random order.

    Rejective (k draws proportional to ``w``, redraw the tokens that repeat an
    expert) when that accepts often enough; else one sequential pass over the experts.
    """
    w = np.asarray(w, dtype=float)
    rng = np.random.default_rng(rng)
    out = np.empty((n_tokens, k), dtype=np.int32)
    acc = float(cps_acceptance(w, k)) if acceptance is None else acceptance
    if acc * len(w) >= 2 * k:  # expected draws per token k/acc at most half the sequential pass
        _rejective(w, k, out, rng)
    else:
        _sequential_exact(w, k, out, rng)
    return out


def _fit_weights(p: np.ndarray, k: int, *, tol: float, max_iter: int) -> np.ndarray:
    """CPS weights (rows summing to k) whose size-k inclusion probabilities equal ``p`` (all < 1)."""
    live = p > 0
    target = np.where(live, p, 0.5)
    logit_target = np.log(target) - np.log1p(-target)
    theta = np.where(live, logit_target, -np.inf)
    for _ in range(max_iter):
        w = np.exp(theta - theta.max(axis=-1, keepdims=True))
        pi = cps_inclusion(w, k)
        if np.max(np.abs(pi - p)) < tol:
            return w * (k / w.sum(axis=-1, keepdims=True))
        pi = np.clip(np.where(live, pi, 0.5), 1e-300, 1 - 1e-16)
        theta = theta + (logit_target - (np.log(pi) - np.log1p(-pi)))
    raise InputError(f"conditional Poisson weights did not converge in {max_iter} iterations "
                     f"(max error {np.max(np.abs(pi - p)):.3g})", field="p")


class TopKSampler:
    """Calibrated sampler of top-k expert sets (conditional Poisson sampling).

    Parameters
    ----------
    p : array_like, shape (E,) or (L, E)
        Target inclusion probabilities per layer, each row summing to ``k``.
    k : int
        Experts per token.
    tol : float
        Largest allowed gap between the fitted design's inclusion probabilities and ``p``.

    Attributes
    ----------
    weights : ndarray (L, E)
        Fitted CPS weights of the free experts (0 for experts with p = 0 or p = 1).
    acceptance : ndarray (L,)
        Probability that k independent draws from ``weights`` are distinct.

    Examples
    --------
    >>> import numpy as np
    >>> s = TopKSampler(np.array([[0.5, 0.5, 0.5, 0.5], [1.0, 0.5, 0.25, 0.25]]), 2)
    >>> sets = s.sample(4, rng=np.random.default_rng(1))
    >>> sets.shape, bool((sets[1] == 0).any(axis=1).all())
    ((2, 4, 2), True)
    """

    def __init__(self, p, k: int, *, tol: float = 1e-10, max_iter: int = 500):
        arr = check_probabilities(p, k)
        self._squeeze = arr.ndim == 1
        self.p = np.atleast_2d(arr)
        self.k = int(k)
        self.sure = self.p >= _SURE
        self.k_free = self.k - self.sure.sum(axis=1)
        if (self.k_free < 0).any():
            raise InputError(f"more than k={k} experts have probability 1", field="p")
        free_p = np.where(self.sure, 0.0, self.p)
        self.weights = np.zeros_like(self.p)
        self.acceptance = np.ones(len(self.p))
        for kf in np.unique(self.k_free[self.k_free > 0]):
            rows = np.flatnonzero(self.k_free == kf)
            target = free_p[rows] * (kf / free_p[rows].sum(axis=1, keepdims=True))
            w = _fit_weights(target, int(kf), tol=tol, max_iter=max_iter)
            self.weights[rows] = w
            self.acceptance[rows] = cps_acceptance(w, int(kf))

    @property
    def n_experts(self) -> int:
        return self.p.shape[1]

    def _out(self, arr: np.ndarray) -> np.ndarray:
        return arr[0] if self._squeeze else arr

    def inclusion(self) -> np.ndarray:
        """Exact inclusion probabilities of the fitted design (equal to ``p`` within ``tol``)."""
        pi = self.sure.astype(float)
        for kf in np.unique(self.k_free[self.k_free > 0]):
            rows = np.flatnonzero(self.k_free == kf)
            pi[rows] += cps_inclusion(self.weights[rows], int(kf))
        return self._out(pi)

    def pair_coactivation(self) -> np.ndarray:
        """Exact pair inclusion probabilities ``P(a in A and b in A)``; zero diagonal.

        Shape (E, E) or (L, E, E). Each row sums to ``(k - 1) p_a``; for k = 2
        the upper triangle is the distribution of the activated pair and sums to 1.
        Uses ``P(a, b) = p_a * P(b | a)``, where given ``a`` the others are a CPS
        of size ``k - 1`` over the remaining weights.
        """
        n_layers, n = self.p.shape
        out = np.zeros((n_layers, n, n))
        for l in range(n_layers):
            kf, sure = int(self.k_free[l]), self.sure[l]
            if kf >= 2:
                out[l] = cps_pairs(self.weights[l], kf)
            out[l, sure, :] = self.p[l]
            out[l, :, sure] = self.p[l]
            np.fill_diagonal(out[l], 0.0)
        return self._out(out)

    def sample(self, n_tokens: int, *, rng=None, dtype=np.int32) -> np.ndarray:
        """Draw ``n_tokens`` activated sets per layer.

        Returns an int array (n_tokens, k), or (L, n_tokens, k) for a 2-D ``p``:
        k distinct expert ids per token, in random order.
        """
        if not isinstance(n_tokens, (int, np.integer)) or n_tokens < 0:
            raise InputError(f"must be a non-negative integer, got {n_tokens!r}", field="n_tokens")
        rng = np.random.default_rng(rng)
        n_layers = len(self.p)
        check_tokens(n_tokens, n_layers * self.k, n_layers * self.k * np.dtype(dtype).itemsize, field="n_tokens")
        out = np.empty((n_layers, n_tokens, self.k), dtype=dtype)
        for l in range(n_layers):
            kf = int(self.k_free[l])
            out[l, :, kf:] = np.flatnonzero(self.sure[l])
            if kf:
                out[l, :, :kf] = cps_sample(self.weights[l], kf, n_tokens, rng=rng, acceptance=self.acceptance[l])
        if self.sure.any():  # put the certain experts at random positions too
            out = np.take_along_axis(out, rng.random(out.shape).argsort(axis=-1), axis=-1)
        return self._out(out)


def _alias_table(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias table: draw ``j`` uniformly, keep it with ``keep[j]``, else take ``alias[j]``."""
    n = len(w)
    scaled = w * (n / w.sum())
    keep, alias = np.ones(n), np.arange(n)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        keep[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    return keep, alias  # leftovers are 1 up to rounding and keep themselves


def _alias_sampler(w: np.ndarray):
    """A function ``draw(shape, rng)`` of i.i.d. expert ids (int32) with probabilities proportional to ``w``.

    One uniform per draw: ``t = u * E`` picks the bucket ``j = floor(t)`` and
    keeps ``j`` when ``t < j + keep[j]``, else takes ``alias[j]``.
    """
    keep, alias = _alias_table(w)
    n = len(w)
    dead = w == 0  # a zero-weight expert is never kept, even after rounding
    keep[dead] = 0.0
    alias[dead & (alias == np.arange(n))] = int(np.argmax(w))
    # Entry n catches u * n rounding up to n: it always falls through to a live alias.
    threshold = np.append(np.arange(n) + keep, float(n)).astype(float)
    alias = np.append(alias, alias[int(np.argmax(w))]).astype(np.int32)

    def draw(shape, rng) -> np.ndarray:
        t = rng.random(shape)
        t *= n
        ids = t.astype(np.int32)
        return np.where(t < threshold[ids], ids, alias[ids])

    return draw


def _repeats(draws: np.ndarray) -> np.ndarray:
    """Rows of ``draws`` (n, k) that hold some expert twice."""
    k = draws.shape[1]
    bad = np.zeros(len(draws), dtype=bool)
    for i in range(k):
        for j in range(i + 1, k):
            bad |= draws[:, i] == draws[:, j]
    return bad


def _rejective(w: np.ndarray, k: int, out: np.ndarray, rng) -> None:
    """Fill ``out`` (n, k) with k draws proportional to ``w``, redrawing rows that repeat an expert."""
    draw = _alias_sampler(w)
    for start in range(0, len(out), _CHUNK):  # chunks small enough to stay in cache
        part = out[start:start + _CHUNK]
        part[:] = draw(part.shape, rng)
        todo = np.flatnonzero(_repeats(part))
        while len(todo):
            again = draw((len(todo), k), rng)
            part[todo] = again
            todo = todo[_repeats(again)]


def _sequential_exact(w: np.ndarray, k: int, out: np.ndarray, rng) -> None:
    """Exact CPS by one pass over the experts: include i with prob ``w_i e_{r-1}(w_{>i}) / e_r(w_{>=i})``."""
    suf = _esp_prefix(w[None, :] * (k / w.sum()), k, reverse=True)[:, 0]
    ws = w * (k / w.sum())
    n = len(out)
    need = np.full(n, k)
    rows = np.arange(n)
    for i in np.flatnonzero(w > 0):
        active = need > 0
        r = need[active]
        prob = ws[i] * suf[i + 1, r - 1] / suf[i, r]
        take = np.zeros(n, dtype=bool)
        take[active] = rng.random(r.size) < prob
        out[rows[take], k - need[take]] = i
        need -= take
    order = rng.random(out.shape).argsort(axis=1)
    out[:] = np.take_along_axis(out, order, axis=1)


def sample_sequential(p, k: int, n_tokens: int, *, rng=None) -> np.ndarray:
    """Uncalibrated baseline: pick an expert proportional to p, drop it, renormalise, repeat.

    Its inclusion frequencies do *not* equal ``p`` when ``p`` is skewed (hot
    experts are under-drawn); kept to show why :class:`TopKSampler` fits weights.
    Each pick is a draw proportional to ``p`` repeated until it is new, which is
    the same as renormalising over the experts not yet chosen.

    >>> import numpy as np
    >>> sets = sample_sequential([0.9, 0.6, 0.3, 0.2], 2, 50_000, rng=np.random.default_rng(0))
    >>> round(float(np.mean(sets == 0)) * 2, 1)   # p_0 = 0.9, but expert 0 is in only ~77 % of sets
    0.8
    """
    arr = check_probabilities(p, k)
    rng = np.random.default_rng(rng)
    rows = arr.reshape(-1, arr.shape[-1])
    out = np.empty((len(rows), n_tokens, k), dtype=np.intp)
    for l, w in enumerate(rows):
        draw = _alias_sampler(w)
        for j in range(k):
            todo = np.arange(n_tokens)
            while len(todo):
                pick = draw(len(todo), rng)
                fresh = ~(out[l, todo, :j] == pick[:, None]).any(axis=1)
                out[l, todo[fresh], j] = pick[fresh]
                todo = todo[~fresh]
    return out.reshape(*arr.shape[:-1], n_tokens, k)
