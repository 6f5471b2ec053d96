"""Serving simulator: many requests at once on a deployment (``spacexnet serve``).

A deployment (:class:`~spacexnet_opt.evaluate.Deployment`) serves the requests of a workload
file (:mod:`spacexnet_opt.formats.workload`): every satellite is a FIFO server
of its GFLOPS, tokens cross the ring of layers autoregressively, KV cache
bounds admission. :func:`serve` runs the event-driven engine
(:mod:`.engine`); :mod:`.reference` is the same model on SimPy, kept small to
cross-check it. ``docs/serving.md`` states the model and its validation.
"""

from .api import ServeResult, serve, serve_file

__all__ = ["ServeResult", "serve", "serve_file"]
