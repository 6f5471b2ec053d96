"""How a solve ended: the status vocabulary shared by solver results and placement files.

Re-exported by :mod:`spacexnet_opt.solve`; :mod:`spacexnet_opt.formats` reads and
writes it without depending on the solver package.

>>> Status("OPTIMAL") is Status.OPTIMAL
True
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Status"]


class Status(str, Enum):
    """How a solve ended.

    OPTIMAL: the backend proved the assignment optimal. FEASIBLE: a valid
    assignment with no optimality proof (heuristics, or exact methods used
    outside their exactness conditions). TIME_LIMIT: an exact backend stopped
    at its time limit; its incumbent (if any) and bound are reported.
    INFEASIBLE: no valid assignment exists. GIVEN: a decision taken as given,
    not solved (a deployment's scenario gateways, a converted placement).
    """

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    TIME_LIMIT = "TIME_LIMIT"
    INFEASIBLE = "INFEASIBLE"
    GIVEN = "GIVEN"
