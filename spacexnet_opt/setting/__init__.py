"""Build stage: scenario -> :class:`Setting` -> instance (one placement subproblem per MoE layer).

:func:`resolve_setting` resolves a scenario once (:mod:`.setting`, with the
per-part resolvers of :mod:`.resolvers`); :func:`build_instance` routes its
candidate legs and assembles the layers (:mod:`.subproblems`, compute draw
:mod:`.onboard`, traces :mod:`.traces`) and the scenario record
(:mod:`.scenario_record`).
"""

from .builder import SettingLayers, build_from_file, build_instance, route_candidates, setting_layers
from .setting import Setting, member_delay_function, resolve_setting, setting_from_file
from .subproblems import (SIGNIFICANT_DIGITS, candidate_legs, check_band_sizes, expected_path_latency,
                          layer_subproblems)

__all__ = [
    "Setting", "resolve_setting", "setting_from_file", "member_delay_function",
    "SettingLayers", "route_candidates", "setting_layers", "build_instance", "build_from_file",
    "SIGNIFICANT_DIGITS", "candidate_legs", "check_band_sizes", "expected_path_latency",
    "layer_subproblems",
]
