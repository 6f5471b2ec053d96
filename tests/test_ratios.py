"""Every documented ratio between schemes compares equal resources, or names the difference beside it.

A ratio is a number followed by ``×``, ``x`` or ``times`` (not a product such as ``130 × 116``) or a signed
percentage (``−15.0 %``). Its unit is the sentence it stands in, or the table row with the table's header.
The schemes a unit names (and, when it names fewer than two, those the unit before it names: "3.6× below
Space-XNet" after a sentence on Space-XNet-opt-tp compares the two) are compared by the
:class:`~spacexnet_opt.reproduce.schemes.Resources` their rules allow (``SCHEMES[name].resources``); every
field in which two of them differ must be named in the unit by one of :data:`NAMES`. A ratio whose other
side is named nowhere near it ("3× over RandPlace" in a paragraph on Space-XNet) is checked only against
what the text names.
"""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import pytest

from spacexnet_opt.reproduce.schemes import SCHEMES

REPO = Path(__file__).resolve().parents[1]
DOCS = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]
RATIO = re.compile(r"(?<![\w.,])\d+(?:\.\d+)?\s?(?:×(?!\s*\d)|x\b|times\b)|[−+]\d+(?:\.\d+)?\s?%")
SCHEME = re.compile("|".join(rf"(?<![\w-]){re.escape(name)}(?![\w-])"
                             for name in sorted(SCHEMES, key=len, reverse=True)))
SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z*(`])")
NAMES = {"satellites": ("satellite", "replica", "capacity"), "experts_per_satellite": ("capacity", "per satellite"),
         "replicas": ("replica",), "compute_groups": ("group",)}
"""Words that name a difference in each resource field."""


def units(text: str) -> list[str]:
    """The sentences of ``text``'s paragraphs and its table rows (each with its table's header), code left out.

    >>> units("A 1.5× gain.\\nStill it. Next one\\n\\n| a | b |\\n|---|---|\\n| x | 2× |\\n\\n    code 3×\\n")
    ['A 1.5× gain.', 'Still it.', 'Next one', '| a | b | | x | 2× |']
    """
    out: list[str] = []
    paragraph: list[str] = []
    header = None
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if stripped.startswith("|"):
            if header is None:
                header = stripped
            elif not set(stripped) <= set("|-: "):
                out.append(f"{header} {stripped}")
            continue
        header = None
        if not stripped or line.startswith("    ") or stripped.startswith(("#", "- ", "* ", "```")):
            out += SENTENCE_END.split(" ".join(paragraph)) if paragraph else []
            paragraph = [] if not stripped or line.startswith("    ") or stripped.startswith("```") else \
                [stripped.lstrip("-* ")]
            continue
        paragraph.append(stripped)
    return out


def unnamed_differences(unit: str, context: str = "") -> list[str]:
    """``"A / B: field"`` for every resource field two schemes of ``unit`` differ in that it does not name
    (with those of ``context`` when ``unit`` names fewer than two).

    >>> unnamed_differences("Space-XNet-opt-tp is 3.60× below Space-XNet.")
    ['Space-XNet / Space-XNet-opt-tp: satellites', \
'Space-XNet / Space-XNet-opt-tp: experts_per_satellite', 'Space-XNet / Space-XNet-opt-tp: replicas', \
'Space-XNet / Space-XNet-opt-tp: compute_groups']
    """
    lower = unit.lower()
    schemes = set(SCHEME.findall(unit))
    schemes = sorted(schemes | set(SCHEME.findall(context)) if len(schemes) < 2 else schemes)
    return [f"{a} / {b}: {field}" for a, b in combinations(schemes, 2)
            for field in SCHEMES[a].resources.differences(SCHEMES[b].resources)
            if not any(word in lower for word in NAMES[field])]


def bad_ratios(text: str) -> list[str]:
    """One line per ratio unit of ``text`` comparing unequal resources without naming the difference."""
    found = units(text)
    return [f"{unit[:160]} -- {'; '.join(missing)}" for unit, before in zip(found, ["", *found])
            if RATIO.search(unit) and (missing := unnamed_differences(unit, before))]


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_documented_ratio_compares_equal_resources_or_names_the_difference(doc):
    assert bad_ratios(doc.read_text(encoding="utf-8")) == []


def test_the_docs_quote_ratios_between_schemes():
    """The check above looks at something: the reproduction notes hold ratios between named schemes."""
    text = (REPO / "docs" / "reproduction.md").read_text(encoding="utf-8")
    compared = [u for u in units(text) if RATIO.search(u) and len(set(SCHEME.findall(u))) >= 2]
    assert len(compared) >= 5


@pytest.mark.parametrize("planted", [
    "On DeepSeek-V3 Space-XNet-opt-tp is 3.60× below Space-XNet.",
    "Space-XNet-opt gains 7.1 % over Space-XNet (−7.1 %) with the same gateways.",
    "| scheme | ratio to Space-XNet-opt-tp |\n|---|---|\n| RandIntra-CG | 2.66× |",
    "Space-XNet-opt-tp is 2.1 times faster than RandIntra-CG-tp, with the same groups.",
    "| scheme | s/token |\n|---|---|\n| Space-XNet-opt-tp | 2.821 |\n\n3.60× below Space-XNet.",
], ids=["times-sign", "signed-percent", "table-header", "groups-named-capacity-not", "comparand-before"])
def test_a_planted_bad_ratio_is_found(planted):
    text = f"# Notes\n\nA 3× speed-up of a solver.\n\n{planted}\n\nMore text.\n"
    assert len(bad_ratios(text)) == 1


@pytest.mark.parametrize("fine", [
    "With the same compute groups Space-XNet-opt-tp is 1.56× below Space-XNet-tp, with capacity 4 per satellite "
    "and no replicas.",
    "Space-XNet is 1.60× below RandIntra-CG: both one expert per satellite.",
    "Space-XNet-opt is 1.08× below Space-XNet-opt-paper, from capacity 8 and 64 replicas.",
    "| scheme | ratio to Space-XNet-tp |\n|---|---|\n| RandIntra-CG-tp | 1.90× |",
    "The shell has 130 × 116 satellites under Space-XNet-opt-tp and Space-XNet.",
], ids=["named", "equal", "capacity-and-replicas-named", "equal-table", "product"])
def test_a_ratio_of_equal_resources_or_with_the_difference_named_passes(fine):
    assert bad_ratios(f"Intro.\n\n{fine}\n") == []
