"""Solver backends; each module is imported lazily through :data:`spacexnet_opt.solve.api.METHODS`."""
