"""Read QAPLIB instances (``NAME.dat``) and their best-known solutions (``NAME.sln``).

``.dat``: ``n``, then matrix A and matrix B (``n x n`` each); rows may wrap
across lines, so the file is read as whitespace-separated tokens. ``.sln``:
``n value``, then a permutation (1-based; tai40a's is 0-based, detected from
its values). The objective is ``sum_ij A[i, j] * B[p(i), p(j)]``, so A becomes
the flow and B the distance of a :class:`QAPProblem`.

The best-known value is recomputed by us, not read from the header: it is the
smaller objective of the ``.sln`` permutation and of its inverse, because
several files list the inverse (kra30a, kra30b, tho30, ste36c, tai60a, tai80a,
tho150, esc128 match their header only that way) and the header of kra32.sln
says 88900 while its permutation evaluates to 88700, the literature optimum.

>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "toy.dat").write_text("2\\n0 3\\n3 0\\n0 1 2 0\\n")
>>> _ = (d / "toy.sln").write_text("2 6\\n2 1\\n")
>>> p = load_qaplib(d / "toy.dat")
>>> p.shape, p.best_known, p.name
((2, 2), 9.0, 'toy')
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from ..fileio import read_text
from ..limits import MAX_MAGNITUDE
from .problems import QAPProblem

__all__ = ["load_qaplib", "read_qaplib_solution"]


def _numbers(path: Path) -> list[tuple[float, int]]:
    """All whitespace-separated numbers of a file with their 1-based line numbers (finite, at most 1e100)."""
    out = []
    for line_no, line in enumerate(read_text(path).splitlines(), start=1):
        for token in line.split():
            try:
                value = float(token)
            except ValueError:
                raise FileFormatError(f"expected a number, found {token!r}", source=path, line=line_no) from None
            if not abs(value) <= MAX_MAGNITUDE:
                raise FileFormatError(f"expected a finite number of magnitude at most {MAX_MAGNITUDE:g}, "
                                      f"found {token!r}", source=path, line=line_no)
            out.append((value, line_no))
    return out


def _size(numbers, path: Path) -> int:
    if not numbers:
        raise FileFormatError("empty file; expected the size n first", source=path)
    n, line = numbers[0]
    if n != int(n) or n < 1:
        raise FileFormatError(f"size must be a positive integer, found {n:g}", source=path, line=line)
    return int(n)


def read_qaplib_solution(path: str | os.PathLike, n: int) -> np.ndarray:
    """The 0-based permutation of a ``.sln`` file of an instance of size ``n``."""
    path = Path(path)
    numbers = _numbers(path)
    if _size(numbers, path) != n:
        raise FileFormatError(f"solution is for size {numbers[0][0]:g}, instance has {n}", source=path, line=1)
    values = [v for v, _ in numbers[2:]]
    if len(values) != n:
        raise FileFormatError(f"expected {n} permutation entries after the header, found {len(values)}", source=path)
    bad = next(((v, line) for v, line in numbers[2:] if v != int(v) or not 0 <= v <= n), None)
    if bad is not None:
        raise FileFormatError(f"permutation entry {bad[0]:g} is not an integer in 0..{n}", source=path, line=bad[1])
    perm = np.array(values, dtype=np.int64)
    if perm.min() == 1:
        perm -= 1  # QAPLIB's usual 1-based form
    if sorted(perm.tolist()) != list(range(n)):
        raise FileFormatError(f"is not a permutation of 1..{n}", source=path)
    return perm


def load_qaplib(path: str | os.PathLike) -> QAPProblem:
    """Load a QAPLIB ``.dat`` file; ``best_known`` is the value of the ``.sln`` beside it, if any.

    Raises
    ------
    InputError
        The file does not exist or cannot be read.
    FileFormatError
        Naming the file and line: non-numeric tokens, a wrong count of numbers,
        or a malformed ``.sln``.
    """
    path = Path(path)
    numbers = _numbers(path)
    n = _size(numbers, path)
    body = numbers[1:]
    if len(body) != 2 * n * n:
        where = body[-1][1] if body else numbers[0][1]
        raise FileFormatError(f"expected 2 x {n}x{n} = {2 * n * n} matrix entries after n, found {len(body)}",
                              source=path, line=where)
    values = np.array([v for v, _ in body])
    problem = QAPProblem(values[: n * n].reshape(n, n), values[n * n:].reshape(n, n), name=path.stem)
    solution = path.with_suffix(".sln")
    if solution.is_file():
        perm = read_qaplib_solution(solution, n)
        best = min(problem.objective(perm), problem.objective(np.argsort(perm)))
        problem = QAPProblem(problem.flow, problem.distance, best_known=best, name=path.stem)
    return problem
