"""Benchmark `spacexnet build`: the paper scenario (goal < 3 s) and the DeepSeek-V3 mega shell (goal < 30 s).

Each build runs in a fresh Python process (so peak memory is that build's own);
the time covers scenario -> instance file, without interpreter start-up and imports.

    .venv/bin/python bench/bench_build.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
from spacexnet_opt.setting import build_from_file
from spacexnet_opt.formats.instance import save_instance
import spacexnet_opt.constellation, spacexnet_opt.moe, scipy.sparse.csgraph  # imports are not timed
start = time.perf_counter()
inst = build_from_file(sys.argv[1])
save_instance(inst, sys.argv[2])
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "layers": len(inst.layers), "candidates": sum(l.n_candidates for l in inst.layers),
                  "n_sats": inst.scenario["constellation"]["n_sats"],
                  "snapshots": inst.scenario["snapshots"]["count"]}))
"""

CASES = [("paper.toml", 3.0), ("deepseek-v3-mega.toml", 30.0)]


def run(scenario: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "instance.json"
        proc = subprocess.run([sys.executable, "-c", CHILD, str(REPO / "instances" / scenario), str(out)],
                              capture_output=True, text=True, check=True)
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        result["file_kb"] = out.stat().st_size / 1024
    return result


def main() -> None:
    print(f"{'scenario':<24}{'satellites':>11}{'snapshots':>10}{'layers':>7}{'candidates':>11}"
          f"{'time (s)':>10}{'goal (s)':>9}{'peak MB':>9}{'file kB':>9}")
    for scenario, goal in CASES:
        r = run(scenario)
        print(f"{scenario:<24}{r['n_sats']:>11}{r['snapshots']:>10}{r['layers']:>7}{r['candidates']:>11}"
              f"{r['seconds']:>10.2f}{goal:>9.0f}{r['peak_mb']:>9.0f}{r['file_kb']:>9.0f}")


if __name__ == "__main__":
    main()
