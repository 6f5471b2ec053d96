"""Build stage: scenario -> resolved parts -> instance (one subproblem per MoE layer).

The public builder API lives in :mod:`spacexnet_opt.build.builder` and is
re-exported here.
"""

from .builder import *  # noqa: F401,F403
from .builder import __all__  # noqa: F401
