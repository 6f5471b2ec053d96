"""One convention for every command, checked on each command's ``--help`` (walked from the Typer app tree).

- a single-file output is spelled ``-o/--output``, an output folder ``--out``; the other spelling, where a
  command used it before, still parses but is not shown;
- the context length is ``--context-len`` (``--context`` a hidden alias);
- defaults appear as ``[default: ...]``, never in an option's prose;
- the root has ``--version`` and lists every exit code of :data:`EXIT_CODES`;
- missing output folders are created under an existing writable directory; a file on the way is refused.
"""

from __future__ import annotations

import importlib.metadata
import json
import re

import pytest
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from spacexnet_opt.cli.app import app
from spacexnet_opt.cli.boundary import _is_directory, output_parameters
from spacexnet_opt.cli.exit_codes import EXIT_CODES
from spacexnet_opt.errors import InputError
from spacexnet_opt.fileio import check_output_path

PRIMARY_OUTPUT = {"-o", "--output", "--out", "--out-dir", "--output-dir"}


def _commands(group, path=()):
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = list(_commands(typer.main.get_command(app)))
IDS = [" ".join(path) for path, _ in COMMANDS]


def _help(*args: str) -> str:
    """The help text of ``spacexnet ARGS --help`` with the table drawing removed and whitespace collapsed."""
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "1000"})  # no cell cut short
    assert result.exit_code == 0, result.output
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())


def _shown_names(text: str) -> set[str]:
    """The long option names in the option column of a help text (``--a,--b -x <type>``)."""
    return {name for names in re.findall(r"((?:--[\w-]+,)*--[\w-]+)(?: -\w)? (?:\* )?<", text)
            for name in names.split(",")}


def _options(command):
    return [p for p in command.params if p.param_type_name == "option" and p.name != "help"]


def test_the_walk_finds_every_command():
    assert {"build", "solve", "export", "convert", "optimize", "view", "sweep", "moe sample", "moe info",
            "reproduce paper", "constellation export", "serve", "timeline"} <= set(IDS)


@pytest.mark.parametrize("path,command", COMMANDS, ids=IDS)
def test_outputs_are_spelled_output_for_a_file_and_out_for_a_folder(path, command):
    text = _help(*path)
    for param in output_parameters(command):
        if param.param_type_name != "option" or not PRIMARY_OUTPUT.intersection(param.opts):
            continue  # a positional folder, or a side output named by its format (--json, --csv, --plot)
        if _is_directory(param):
            assert "--out" in param.opts and f"--out DIR {param.help}" in text
        else:
            assert {"-o", "--output"} <= set(param.opts)
            assert re.search(r"(?<![\w,-])--output -o (\* )?<path>", text), text
    shown = _shown_names(text)
    assert "--output" not in shown or "--out" not in shown, "one command, two output spellings"


@pytest.mark.parametrize("path,command", COMMANDS, ids=IDS)
def test_context_length_is_context_len(path, command):
    context = [p for p in command.params if "context" in p.name]
    assert all("--context-len" in p.opts for p in context)
    assert "--context" not in _shown_names(_help(*path))


@pytest.mark.parametrize("path,command", COMMANDS, ids=IDS)
def test_defaults_are_shown_the_same_way(path, command):
    text = _help(*path)
    for param in [*_options(command), *[p for p in command.params if p.param_type_name == "argument"]]:
        assert not re.search(r"\bdefault", param.help or "", flags=re.I), f"{param.name}: default in prose"
        if isinstance(param.show_default, str):
            assert f"[default: ({param.show_default})]" in text
        elif param.default not in (None, False, ()) and not getattr(param, "is_flag", False):
            assert param.show_default is not False
            assert f"[default: {param.default}]" in text, f"{param.name}: default {param.default} not shown"


def test_root_version_prints_the_installed_version():
    result = CliRunner().invoke(app, ["--version"])
    assert (result.exit_code, result.output) == (0, f"spacexnet-opt {importlib.metadata.version('spacexnet-opt')}\n")


def test_root_help_lists_every_exit_code():
    text = _help()
    assert "--version" in text
    for code, meaning in EXIT_CODES.items():
        assert f"{code} {meaning}" in text


def test_old_spellings_still_parse(shared_data, tmp_path):
    runner = CliRunner()
    new, old = (runner.invoke(app, ["moe", "info", "deepseek-v3", "--json", flag, "128"]) for flag in ("--context-len", "--context"))
    assert new.exit_code == old.exit_code == 0
    assert json.loads(new.output) == json.loads(old.output) and json.loads(new.output)["context_len"] == 128
    load = shared_data / "moe-load" / "deepseek-v3" / "decode_in1000out1000.json"
    for flag in ("-o", "--output", "--out"):
        out = tmp_path / flag.strip("-") / "s.npz"
        result = runner.invoke(app, ["moe", "sample", str(load), "--profile", "deepseek-v3", "--tokens", "5", flag, str(out)])
        assert result.exit_code == 0 and out.is_file(), result.output  # the missing folder is created


@pytest.mark.parametrize("directory", [False, True])
def test_missing_folders_are_allowed_under_a_directory_and_refused_under_a_file(tmp_path, directory):
    (tmp_path / "file.txt").write_text("x")
    target = tmp_path / "new" / "deeper" / "out.json"
    assert check_output_path(target, field="--output", directory=directory) == target
    assert not (tmp_path / "new").exists()  # checked, not created: the writer creates it
    with pytest.raises(InputError, match=f"--output: {tmp_path}/file.txt exists and is not a directory"):
        check_output_path(tmp_path / "file.txt" / "deeper" / "out.json", field="--output", directory=directory)


def test_a_missing_output_folder_is_created_by_a_file_command(shared_data, tmp_path):
    out = tmp_path / "a" / "b" / "model.lp"
    result = CliRunner().invoke(app, ["export", str(shared_data / "qaplib" / "nug12.dat"), "-o", str(out)])
    assert result.exit_code == 0 and out.read_text().startswith("\\* nug12 *\\"), result.output


def test_constellation_export_takes_out_and_still_its_old_argument(tmp_path):
    runner = CliRunner()
    shell = ["--walker", "53:40/4/1", "-T", "2"]
    for args, folder in ((["--out", str(tmp_path / "new" / "a")], "new/a"), ([str(tmp_path / "b")], "b")):
        result = runner.invoke(app, ["constellation", "export", *args, *shell])
        assert result.exit_code == 0 and (tmp_path / folder / "graph.json").is_file(), result.output
    for args in ([], [str(tmp_path / "c"), "--out", str(tmp_path / "d")]):
        result = runner.invoke(app, ["constellation", "export", *args, *shell])
        assert (result.exit_code, result.output) == (2, "error: --out: give the output folder once: --out DIR\n")
