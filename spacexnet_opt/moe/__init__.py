"""The model side of placement: MoE architecture profiles, activation statistics, top-k sampling.

>>> from spacexnet_opt.moe import get_profile, synthetic_zipf, TopKSampler
>>> get_profile("deepseek-v3").n_moe_layers
58
>>> stats = synthetic_zipf(4, 8, 2, seed=0)
>>> stats.sampler().sample(10, rng=0).shape
(4, 10, 2)
"""

from .hf import profile_from_hf_config
from .loaders import ProbabilityCapWarning, load_expert_load, load_trace, save_trace
from .profile_files import load_profile
from .profiles import PROFILES, ModelProfile, get_profile
from .sampler import TopKSampler, cps_inclusion, cps_pairs, cps_sample, sample_sequential
from .stats import ActivationStats, TokenTrace, water_fill
from .synthetic import synthetic_correlated, synthetic_dirichlet, synthetic_zipf

__all__ = [
    "ModelProfile", "PROFILES", "get_profile", "load_profile", "profile_from_hf_config",
    "ActivationStats", "TokenTrace", "water_fill",
    "load_expert_load", "load_trace", "save_trace", "ProbabilityCapWarning",
    "synthetic_zipf", "synthetic_dirichlet", "synthetic_correlated",
    "TopKSampler", "sample_sequential", "cps_inclusion", "cps_pairs", "cps_sample",
]
