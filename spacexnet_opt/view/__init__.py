"""Interactive views: one self-contained HTML page of a deployment on its constellation."""

from .figure import GLOBE_TRACES, TRACE_NAMES, globe_figure, map_figure, subnet_colours
from .page import layer_figure, results_figure, write_view
from .scene import Scene, make_scene
from .serving_curve import serving_figure

__all__ = ["TRACE_NAMES", "GLOBE_TRACES", "map_figure", "globe_figure", "subnet_colours", "layer_figure",
           "results_figure", "write_view", "Scene", "make_scene", "serving_figure"]
