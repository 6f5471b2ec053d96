"""Expert placement as linear assignment, QAP (top-2) and trace-bottleneck MILP."""

from .api import METHODS, solve
from .registry import REGISTRY
from .problems import LinearProblem, QAPProblem, TraceProblem
from .result import SolveResult, Status

__all__ = ["METHODS", "REGISTRY", "solve", "LinearProblem", "QAPProblem", "TraceProblem", "SolveResult", "Status"]
