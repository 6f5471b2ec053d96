"""The project's exception hierarchy.

Every error a user can cause with bad input derives from :class:`SpaceXNetError`;
the CLI prints such an error as one line and exits with code 2.

>>> from spacexnet_opt.errors import InputError
>>> str(InputError("must be positive", field="altitude_km", source="paper.toml"))
'paper.toml: altitude_km: must be positive'
"""

from __future__ import annotations

from os import PathLike

__all__ = [
    "SpaceXNetError",
    "InputError",
    "FileFormatError",
    "ResourceError",
    "SolverError",
    "BackendUnavailableError",
]


class SpaceXNetError(Exception):
    """Base class of every error raised on purpose by spacexnet-opt."""


class InputError(SpaceXNetError, ValueError):
    """A parameter or a data value is invalid.

    Parameters
    ----------
    message : str
        What is wrong, in a few words.
    field : str, optional
        The parameter, key or column that is wrong (``"layers[3].tau_s"``).
    source : str or path-like, optional
        The file the value came from.
    line : int, optional
        The 1-based line number in ``source``.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        source: str | PathLike | None = None,
        line: int | None = None,
    ):
        self.message = message
        self.field = field
        self.source = None if source is None else str(source)
        self.line = line
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.source is not None:
            where.append(self.source if self.line is None else f"{self.source}:{self.line}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(self.field)
        return ": ".join([*where, self.message])


class FileFormatError(InputError):
    """A file is malformed, of another format, or of an unsupported version."""


class ResourceError(InputError):
    """A request would need more memory or work than the documented ceiling allows.

    The message gives the estimate, the ceiling and the option that lowers it
    (see ``docs/reliability.md``).
    """


class SolverError(SpaceXNetError):
    """A solver backend failed or was asked for something it cannot do."""


class BackendUnavailableError(SolverError):
    """An optional solver backend is not installed; the message holds the install hint."""
