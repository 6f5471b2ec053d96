"""Versioned file formats: scenario (TOML), instance and placement (JSON).

One module per format (:mod:`.scenario`, :mod:`.instance`, :mod:`.placement`)
over the shared strict-model helpers of :mod:`.schema`.
"""
