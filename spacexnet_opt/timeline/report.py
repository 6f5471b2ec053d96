"""A played timeline as CSV rows and a PNG (the JSON is :meth:`TimelineResult.to_json`).

>>> import numpy as np
>>> from spacexnet_opt.timeline.play import PolicyTrace, TimelineResult
>>> trace = PolicyTrace("never", s_per_token=[1.5, 1.6], affected=[0.0, 0.25])
>>> result = TimelineResult(np.array([0.0, 1.0]), {"never": trace}, [], 60.0, 0.0, {})
>>> print(timeline_csv(result), end="")
time_h,policy,s_per_token,affected_token_share
0,never,1.5,0
1,never,1.6,0.25
>>> trace.tokens_per_s = [8.0, 7.5]                 # with a workload
>>> print(timeline_csv(result).splitlines()[2])
1,never,1.6,0.25,7.5
"""

from __future__ import annotations

import os

import numpy as np

from ..fileio import write_text_atomic
from ..plotting import pyplot, save_figure
from .play import TimelineResult

__all__ = ["timeline_csv", "save_timeline_csv", "save_timeline_plot"]


def timeline_csv(result: TimelineResult) -> str:
    """One row per sample and policy: time, policy, seconds per token, share of tokens needing a lost expert, and
    the serving tokens/s when a workload was given."""
    rates = any(trace.tokens_per_s for trace in result.policies.values())
    rows = ["time_h,policy,s_per_token,affected_token_share" + (",tokens_per_s" if rates else "")]
    for name, trace in result.policies.items():
        tail = [f",{r:.9g}" for r in trace.tokens_per_s] if rates else [""] * len(result.sample_h)
        rows += [f"{t:.9g},{name},{s:.9g},{a:.9g}{r}"
                 for t, s, a, r in zip(result.sample_h, trace.s_per_token, trace.affected, tail)]
    return "\n".join(rows) + "\n"


def save_timeline_csv(result: TimelineResult, path: str | os.PathLike) -> None:
    write_text_atomic(path, timeline_csv(result))


def save_timeline_plot(result: TimelineResult, path: str | os.PathLike) -> None:
    """Seconds per token and cumulative GB moved per policy, and each policy's lowest battery charge."""
    plt = pyplot()
    fig, axes = plt.subplots(3, 1, figsize=(8, 9), sharex=True)
    for name, trace in result.policies.items():
        axes[0].plot(result.sample_h, trace.s_per_token, label=name, drawstyle="steps-post")
        times = [0.0] + [m["time_h"] for m in trace.moves] + [float(result.sample_h[-1])]
        moved = np.cumsum([0.0] + [m["gb_moved"] for m in trace.moves])
        axes[1].step(times, np.append(moved, moved[-1]), where="post", label=name)
    axes[0].set_ylabel("s / token")
    axes[0].legend()
    axes[1].set_ylabel("GB moved (cumulative)")
    for name, trace in result.policies.items():
        lowest = trace.power["soc_min_over_satellites"]
        axes[2].plot(np.arange(len(lowest)) * result.step_s / 3600, lowest, label=f"{name}: lowest battery")
    floors = {trace.power["soc_floor"] for trace in result.policies.values()}
    for floor in floors:
        axes[2].axhline(floor, color="grey", linestyle=":", label="floor")
    axes[2].legend()
    axes[2].set_ylabel("state of charge")
    axes[2].set_xlabel("hours")
    save_figure(fig, path)
