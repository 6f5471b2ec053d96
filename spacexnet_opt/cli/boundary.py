"""The CLI error boundary shared by every command (see ``docs/reliability.md``).

:class:`BoundaryGroup` is the root Typer group. Before a command's code runs it
checks the parsed options of *every* command, including commands added later,
by kind rather than by name of the command:

- an output path (a path option spelled ``-o``, ``--output``, ``--out``,
  ``--json``, ``--csv``, ``--plot`` ... or an argument named ``*dir``) must not
  be a file the run reads (resolved paths; also the files its inputs name, see
  :mod:`.inputs`), its nearest existing ancestor must be a writable directory (missing
  folders are created, for a file as for a directory output), and it must not be a
  directory nor a socket (or, for a directory output, not a file); a device or FIFO
  is written in place;
- an option's old spelling (``--out`` for a file, ``--context``) still parses but is left out of
  ``--help`` (:mod:`.aliases`);
- a float option must be finite; a ``--time-limit``, ``--gflops``, ``--duration``, ``--altitude`` or
  ``--max-range`` positive; a time limit at most :data:`MAX_TIME_LIMIT_S`; a seed non-negative.

Then, while the command runs, an anticipated failure becomes one line
``error: FILE: FIELD: problem`` with exit code 2: a project error
(:class:`~spacexnet_opt.errors.SpaceXNetError`), an operating-system error on a
file, a usage error of an option, an out-of-memory refusal. Ctrl-C ends the run
with exit code 130 and writes nothing. Any other exception is a bug: its
traceback is shown, followed by a line asking to report it (exit code 70).
Warnings raised during a successful run are printed as one ``warning:`` line
each after it; a failed run prints only its error line.
"""

from __future__ import annotations

import math
import os
import traceback
import warnings
from pathlib import Path

import typer
from typer.core import TyperGroup

try:  # typer vendors click since 0.2x
    from typer._click.exceptions import BadParameter, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - typer on click
    from click.exceptions import BadParameter, NoArgsIsHelpError, UsageError

from ..errors import InputError, SpaceXNetError
from ..fileio import check_output_path, discard_pending_outputs, written_in_place
from .aliases import hide_aliases
from .inputs import files_read
from .exit_codes import BAD_INPUT_EXIT_CODE, BUG_EXIT_CODE, INTERRUPTED_EXIT_CODE, interrupted_line

__all__ = ["BoundaryGroup", "OUTPUT_FLAGS", "check_parameters", "output_parameters"]

OUTPUT_FLAGS = frozenset({"-o", "--output", "--out", "--out-dir", "--output-dir", "--json", "--csv", "--plot",
                          "--png", "--svg", "--pdf", "--html", "--save"})
"""Options whose path value is written by the command (never read)."""

POSITIVE_OPTIONS = frozenset({"gflops", "satellite_gflops", "duration", "altitude", "max_range"})
"""Parameter names (besides any ``*time_limit*``) whose value, when given, must be positive."""

MAX_TIME_LIMIT_S = 1_000_000
"""Longest time limit accepted: a limit beyond it is a typo, and some searches run until their limit."""

REPORT_BUG = ("error: internal error ({name}); this is a bug in spacexnet-opt, please report it with the "
              "command line and the traceback above")


def _is_option(param) -> bool:
    return any(opt.startswith("-") for opt in param.opts)


def _flag(param) -> str:
    """How the user spells ``param``: its longest option, or the argument's name in capitals."""
    if _is_option(param):
        return max(param.opts, key=len)
    return param.metavar or param.name.upper()


def _is_output(param) -> bool:
    if _is_option(param):
        return not getattr(param, "is_flag", False) and bool(OUTPUT_FLAGS.intersection(param.opts))
    return param.name.endswith("dir")


def _is_directory(param) -> bool:
    """A directory the command writes into: a name ending in ``dir`` or help starting with 'Directory'."""
    return param.name.endswith("dir") or (getattr(param, "help", None) or "").lower().startswith("directory")


def output_parameters(command) -> list:
    """The parameters of ``command`` that name files or directories it writes."""
    return [p for p in command.params if _is_output(p)]


def _must_be_positive(param) -> bool:
    return "time_limit" in param.name or param.name in POSITIVE_OPTIONS


def _check_number(param, value) -> None:
    values = value if isinstance(value, (list, tuple)) else [value]
    for number in values:
        if isinstance(number, float) and not math.isfinite(number):
            raise InputError(f"must be a finite number, got {number}", field=_flag(param))
        if _must_be_positive(param) and isinstance(number, (int, float)) and not number > 0:
            raise InputError(f"must be positive, got {number:g}", field=_flag(param))
        if "time_limit" in param.name and isinstance(number, (int, float)) and number > MAX_TIME_LIMIT_S:
            raise InputError(f"must be at most {MAX_TIME_LIMIT_S:,.0f} s (11.6 days), got {number:g}", field=_flag(param))
        if param.name.endswith("seed") and isinstance(number, int) and not isinstance(number, bool) and number < 0:
            raise InputError(f"must be >= 0, got {number}", field=_flag(param))


def check_parameters(command, values: dict) -> None:
    """Refuse non-finite numbers, bad time limits, negative seeds and unsafe output paths, before any work."""
    outputs = [p for p in output_parameters(command) if isinstance(values.get(p.name), (str, os.PathLike))]
    inputs = [f for p in command.params if p not in outputs for f in files_read(values.get(p.name))]
    for param in command.params:
        if values.get(param.name) is not None:
            _check_number(param, values[param.name])
    seen: dict[Path, str] = {}
    for param in outputs:
        path = values[param.name]
        check_output_path(path, field=_flag(param), inputs=inputs, directory=_is_directory(param))
        if written_in_place(path):  # /dev/null may take several outputs
            continue
        resolved = Path(path).resolve()
        if resolved in seen:
            raise InputError(f"{path} is also given to {seen[resolved]}", field=_flag(param))
        seen[resolved] = _flag(param)


def _guarded(command) -> None:
    """Make ``command`` check its parameters before its callback runs (once per command object)."""
    original = command.callback
    if original is None or getattr(original, "_boundary", False):
        return

    def callback(**kwargs):
        check_parameters(command, kwargs)
        try:
            return original(**kwargs)
        except InputError as exc:
            raise _named_as_option(exc, command) from None

    callback._boundary = True
    command.callback = callback


def _named_as_option(exc: InputError, command) -> InputError:
    """``exc`` with its field spelled as the command's option when the library named the option's value
    (``n_snapshots`` -> ``--snapshots``, ``satellite_gflops`` -> ``--gflops``, ``duration_s`` ->
    ``--duration``); other errors unchanged. Units other than seconds are not stripped: ``altitude_km``
    may come from ``--walker``'s shell or ``--alt-band``, so it keeps its own name."""
    if exc.source is not None or exc.field is None:
        return exc
    for param in filter(_is_option, command.params):
        if _core(exc.field) == _core(param.name):
            return type(exc)(exc.message, field=_flag(param), line=exc.line)
    return exc


def _core(name: str) -> str:
    """A value's name without count, scope and seconds affixes: ``n_snapshots`` -> ``snapshots``."""
    for prefix in ("n_", "satellite_", "min_", "max_"):
        name = name.removeprefix(prefix)
    for suffix in ("_s", "_name"):
        name = name.removesuffix(suffix)
    return name


def _guard_tree(group: TyperGroup) -> None:
    for command in group.commands.values():
        if isinstance(command, TyperGroup):
            _guard_tree(command)
        else:
            _guarded(command)
            for param in command.params:
                hide_aliases(param, directory=_is_output(param) and _is_directory(param))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _usage_line(exc: UsageError) -> str:
    param = getattr(exc, "param", None)
    if isinstance(exc, BadParameter) and param is not None and exc.message:
        return f"error: {_flag(param)}: {_one_line(exc.message)}"
    return f"error: {_one_line(exc.format_message())} (see --help)"


def _os_line(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"error: {where}{exc.strerror or _one_line(str(exc))}"


def _say(line: str) -> None:
    typer.echo(line, err=True)


class BoundaryGroup(TyperGroup):
    """Root group: parameter checks before every command, one-line errors and exit codes around it."""

    def make_context(self, info_name, args, parent=None, **extra):
        """Parse the root's own options; a usage error there is one line too."""
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            _fail(_usage_line(exc), BAD_INPUT_EXIT_CODE)

    def invoke(self, ctx):
        _guard_tree(self)
        with warnings.catch_warnings(record=True) as caught:
            # the project's own warnings are recorded and printed after the run, even where a caller (the test
            # suite) turns them into errors
            warnings.filterwarnings("default", module=r"spacexnet_opt")
            try:
                result = super().invoke(ctx)
            except (typer.Exit, typer.Abort, NoArgsIsHelpError):
                raise
            except UsageError as exc:
                _fail(_usage_line(exc), BAD_INPUT_EXIT_CODE)
            except SpaceXNetError as exc:
                _fail(f"error: {_one_line(exc)}", BAD_INPUT_EXIT_CODE)
            except KeyboardInterrupt:
                discard_pending_outputs()
                _fail(interrupted_line(), INTERRUPTED_EXIT_CODE)
            except OSError as exc:
                _fail(_os_line(exc), BAD_INPUT_EXIT_CODE)
            except MemoryError:
                _fail("error: out of memory; lower the size of the request (see docs/reliability.md)", BAD_INPUT_EXIT_CODE)
            except Exception as exc:
                traceback.print_exc()
                _fail(REPORT_BUG.format(name=type(exc).__name__), BUG_EXIT_CODE)
        for warning in caught:
            _say(f"warning: {_one_line(warning.message)}")
        return result


def _fail(line: str, code: int):
    _say(line)
    raise typer.Exit(code) from None
