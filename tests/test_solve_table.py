"""``spacexnet solve``'s table: units in the headers, QAPLIB rows by instance name with the gap to the ``.sln``."""

import itertools
import json

import numpy as np
import pytest

from spacexnet_opt.formats.instance import Instance, LayerSubproblem, save_instance
from spacexnet_opt.formats.placement import load_placement


def _table(output: str) -> tuple[list[str], list[list[str]]]:
    """Header cells and body rows of the rich table in ``output``."""
    lines = output.splitlines()
    header = next(line for line in lines if line.startswith("┃"))
    rows = [line for line in lines if line.startswith("│")]
    cells = lambda line, bar: [c.strip() for c in line.strip(bar).split(bar)]  # noqa: E731
    return cells(header, "┃"), [cells(row, "│") for row in rows]


def _qap_value(a: np.ndarray, b: np.ndarray, perm) -> float:
    """QAPLIB's objective ``sum_ij A[i, j] B[p(i), p(j)]``, written out."""
    n = len(perm)
    return float(sum(a[i, j] * b[perm[i], perm[j]] for i in range(n) for j in range(n)))


def _toy_qaplib(tmp_path, sln_perm=None):
    """A 5-facility QAPLIB file (and a ``.sln`` holding ``sln_perm``, 1-based); returns (path, A, B)."""
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 9, (5, 5)), rng.integers(1, 9, (5, 5))
    np.fill_diagonal(a, 0)
    np.fill_diagonal(b, 0)
    path = tmp_path / "toy5.dat"
    path.write_text("5\n\n" + "\n".join(" ".join(map(str, r)) for r in a) + "\n\n"
                    + "\n".join(" ".join(map(str, r)) for r in b) + "\n")
    if sln_perm is not None:
        value = _qap_value(a, b, sln_perm)
        path.with_suffix(".sln").write_text(f"5 {value:g}\n" + " ".join(str(p + 1) for p in sln_perm) + "\n")
    return path, a, b


def test_qaplib_row_is_the_instance_with_its_gap_to_the_sln(cli, tmp_path):
    probe, a, b = _toy_qaplib(tmp_path)
    values = {perm: _qap_value(a, b, perm) for perm in itertools.permutations(range(5))}
    optimum = min(values.values())
    # a .sln worse than the optimum (and than its inverse): brute force beats it by a known margin
    worse = max((p for p in values if values[tuple(np.argsort(p))] >= values[p]), key=values.get)
    _toy_qaplib(tmp_path, worse)
    result = cli("solve", probe, "--method", "brute")
    assert result.exit_code == 0, result.output
    header, rows = _table(result.output)
    assert header == ["instance", "status", "cost (unitless)", "bound", "gap to bound", "best known (.sln)",
                      "gap to best known", "time (s)"]
    assert rows[0][:7] == ["toy5", "OPTIMAL", f"{optimum:g}", f"{optimum:g}", "0.00%", f"{values[worse]:g}",
                           f"{(optimum - values[worse]) / values[worse]:.2%}"]
    assert rows[0][6].startswith("-")  # better than the best known: a negative gap
    assert f"total objective {optimum:g}\n" in result.output


def test_qaplib_without_sln_shows_no_gap(cli, tmp_path):
    path, _, _ = _toy_qaplib(tmp_path)
    result = cli("solve", path, "--method", "brute")
    assert result.exit_code == 0, result.output
    assert _table(result.output)[1][0][5:7] == ["-", "-"]


def test_real_qaplib_gap_is_recomputed_from_the_sln(cli, shared_data, tmp_path):
    dat = shared_data / "qaplib" / "bur26a.dat"
    numbers = dat.read_text().split()
    n = int(numbers[0])
    a = np.array(numbers[1:1 + n * n], float).reshape(n, n)
    b = np.array(numbers[1 + n * n:1 + 2 * n * n], float).reshape(n, n)
    perm = np.array(dat.with_suffix(".sln").read_text().split()[2:], int) - 1
    best = min(_qap_value(a, b, perm), _qap_value(a, b, np.argsort(perm)))
    result = cli("solve", dat, "--method", "2opt", "--seed", 0, "-o", tmp_path / "p.json")
    assert result.exit_code == 0, result.output
    found = load_placement(tmp_path / "p.json").total_objective
    row = _table(result.output)[1][0]
    assert row[0] == "bur26a" and row[5] == f"{best:.10g}" == "5426670"
    assert row[6] == f"{(found - best) / best:.2%}"


def test_instance_rows_are_layers_in_seconds(cli, tmp_path):
    layer = LayerSubproblem(layer=0, gateway=9, next_gateway=19, k=1, satellites=[1, 2, 3], tau_s=[0.3, 0.1, 0.2],
                            activation=[0.75, 0.25])
    path = tmp_path / "inst.json"
    save_instance(Instance(scenario={"name": "t"}, layers=[layer]), path)
    result = cli("solve", path, "--method", "hungarian")
    assert result.exit_code == 0, result.output
    header, rows = _table(result.output)
    assert header == ["layer", "status", "objective (s)", "bound (s)", "gap to bound", "time (s)"]
    optimum = 0.75 * 0.1 + 0.25 * 0.2  # the most active expert on the fastest candidate
    assert rows[0][:4] == ["0", "OPTIMAL", f"{optimum:.6g}", f"{optimum:.6g}"]
    assert f"total objective {optimum:.10g} s\n" in result.output


def test_compare_names_the_units_of_each_kind(cli, tmp_path):
    probe, a, b = _toy_qaplib(tmp_path, [0, 1, 2, 3, 4])
    result = cli("compare", probe, "--methods", "brute", "--json", tmp_path / "c.json")
    assert result.exit_code == 0, result.output
    assert "compare: objective qap (unitless)" in result.output
    header, rows = _table(result.output)
    assert header[-2:] == ["gap to reference", "time (s)"]
    record = json.loads((tmp_path / "c.json").read_text())["rows"][0]
    assert record["reference"] == _qap_value(a, b, [0, 1, 2, 3, 4])
    assert record["gap"] == pytest.approx((record["objective"] - record["reference"]) / record["reference"])
    assert rows[0][6] == f"{record['gap']:.2%}"
