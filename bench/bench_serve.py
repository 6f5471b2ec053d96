"""Serving simulator speed (issue 20): the engine against its SimPy reference, and 10 minutes at saturation.

Builds the paper's Space-XNet deployment (``spacexnet optimize instances/paper.toml``) in a temporary
directory, then on it:

1. the anchor: the same requests (Poisson 0.2/s, 128-token prompts, 128 output tokens, 120 s of arrivals)
   through the SimPy reference (:mod:`spacexnet_opt.serve.reference`) and the engine
   (:mod:`spacexnet_opt.serve.engine`), in the same run; prints both CPU times, their ratio and the largest
   difference of per-request times (the cross-check);
2. the target: 10 simulated minutes of arrivals at the deployment's saturation (0.2/s: each request keeps
   every gateway busy about 4.8 s), run to completion; prints wall and CPU time and events per second.

CPU times are of this process (best of ``repeats`` for the engine), less sensitive to a loaded machine.
Run: .venv/bin/python bench/bench_serve.py [repeats]
"""

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from spacexnet_opt.cli.app import app
from spacexnet_opt.formats.workload import parse_workload
from spacexnet_opt.serve import engine, reference
from spacexnet_opt.serve.inputs import load_inputs
from spacexnet_opt.serve.model import build_model
from spacexnet_opt.serve.requests import draw_requests

REPO = Path(__file__).resolve().parents[1]
WORKLOAD = """format = "spacexnet-workload"
version = 1
[arrivals]
process = "poisson"
rate = 0.2
[requests]
duration_s = {duration}
[prompt]
value = 128
[output]
value = 128
"""


def cpu(run, *args, **kwargs):
    start = time.process_time()
    out = run(*args, **kwargs)
    return time.process_time() - start, out


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as tmp:
        dep = Path(tmp) / "paper.json"
        res = CliRunner().invoke(app, ["optimize", str(REPO / "instances" / "paper.toml"), "-o", str(dep)])
        assert res.exit_code == 0, res.output
        model = build_model(load_inputs(dep))
    anchor = draw_requests(parse_workload(WORKLOAD.format(duration=120.0)))
    t_simpy, slow = cpu(reference.run, model, anchor)
    t_heap, fast = min((cpu(engine.run, model, anchor) for _ in range(repeats)), key=lambda x: x[0])
    diff = float(np.nanmax(np.abs(fast.done_s - slow.done_s)))
    print(f"anchor: {len(anchor)} requests, {fast.events:,} events; SimPy {t_simpy:.2f} s CPU, engine {t_heap:.2f} s "
          f"CPU: {t_simpy / t_heap:.1f}x faster; largest per-request difference {diff:.1e} s")
    ten = draw_requests(parse_workload(WORKLOAD.format(duration=600.0)))
    start = time.perf_counter()
    t_ten, trace = cpu(engine.run, model, ten)
    wall = time.perf_counter() - start
    print(f"10 minutes at saturation: {len(ten)} requests, {int(trace.tokens.sum()):,} tokens, {trace.events:,} events, "
          f"simulated {trace.end_s:.0f} s in {wall:.1f} s wall, {t_ten:.1f} s CPU "
          f"({trace.events / t_ten:,.0f} events per CPU second)")


if __name__ == "__main__":
    main()
