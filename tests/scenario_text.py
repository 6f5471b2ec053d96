"""Text of small scenario files shared by the build tests (a 6 x 16 Walker star)."""

HEAD = 'format = "spacexnet-scenario"\nversion = 1\nname = "t"\n'
DIRICHLET = 'kind = "dirichlet"\nparams = { alpha = 0.5 }'


def small_scenario(*, snapshots: int, fold: int, diameter_snapshots: int, statistics: str = DIRICHLET,
                   extra: str = "") -> str:
    """A scenario on a 6-plane x 16-slot star at 550 km with LLaMA-MoE-3.5B (2/8).

    ``[statistics]`` comes last, so text appended to the result adds statistics keys.
    """
    return HEAD + f"""
[constellation.walker]
n_planes = 6
sats_per_plane = 16
altitude_km = 550.0
inclination_deg = 87.0
pattern = "star"

[snapshots]
count = {snapshots}

[model]
profile = "llama-moe-3.5b-2of8"

[partition]
fold = {fold}
diameter_snapshots = {diameter_snapshots}
{extra}
[statistics]
{statistics}
"""
