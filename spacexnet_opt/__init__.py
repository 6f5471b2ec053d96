"""spacexnet-opt: place Mixture-of-Experts layers and experts on satellite constellations.

The data flow is scenario -> constellation -> routing -> partition -> instance ->
solve -> evaluate; ``docs/architecture.md`` says where each piece lives.
"""

__version__ = "0.1.0"
