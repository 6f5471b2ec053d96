"""A scenario's [model] table: ``profile =`` and ``file =`` point to each other in their errors."""

import pytest
from scenario_text import HEAD

from spacexnet_opt.errors import FileFormatError
from spacexnet_opt.formats.scenario import parse_scenario
from spacexnet_opt.moe import PROFILES

NAMES = ", ".join(PROFILES)


def _scenario(model: str) -> str:
    return HEAD + f'[constellation]\npreset = "paper"\n[model]\n{model}\n[statistics]\nkind = "zipf"\n'


@pytest.mark.parametrize(
    "model, message",
    [
        ('profile = "mine.toml"', """model.profile: 'mine.toml' is a profile file, not a built-in profile: """
                                  """write file = "mine.toml\""""),
        ('profile = "models/config.json"', """model.profile: 'models/config.json' is a profile file, not a """
                                           """built-in profile: write file = "models/config.json\""""),
        ('profile = "gpt"', f"""model.profile: unknown model profile 'gpt'; valid names: {NAMES}; a profile file """
                            """(.toml, .json or a Hugging Face config.json) goes in file = "...\""""),
        ('file = "Mixtral-8x7B"', """model.file: 'Mixtral-8x7B' is a built-in profile, not a file: """
                                  """write profile = "Mixtral-8x7B\""""),
        ('file = "mine.yaml"', """model.file: 'mine.yaml' is not a .toml or .json profile file (nor a Hugging Face """
                               f"""config.json); a built-in profile goes in profile = "..." (valid names: {NAMES})"""),
    ],
)
def test_each_key_points_to_the_other(model, message):
    with pytest.raises(FileFormatError) as info:
        parse_scenario(_scenario(model), source="s.toml")
    assert str(info.value) == f"s.toml: {message}"


@pytest.mark.parametrize("model", ['profile = "kimi-k2"', 'profile = "Qwen3-30B-A3B"', 'file = "mine.toml"',
                                   'file = "hf/config.json"'])
def test_good_model_tables_parse(model):
    spec = parse_scenario(_scenario(model))
    assert (spec.model.profile or spec.model.file) == model.split('"')[1]


def test_build_prints_the_hint_in_one_line_and_exits_2(cli, tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(_scenario('profile = "mine.toml"'))
    result = cli("build", scenario, "-o", tmp_path / "x.json")
    assert result.exit_code == 2
    assert result.stderr == (f"error: {scenario}: model.profile: 'mine.toml' is a profile file, not a built-in "
                             'profile: write file = "mine.toml"\n')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]
