"""MEANTIME's span convention against CoNLL's: the cut that scripts/score_entities.py applies, and
the floors of the figures it prints (they only ever rise)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import score_entities as S  # noqa: E402

DATA = Path(os.environ.get("READER_SHARED_DATA", ROOT.parent / "shared" / "data"))
needs_data = pytest.mark.skipif(
    not (DATA / "meantime.gold.jsonl.gz").exists(),
    reason=f"shared gold data not found at {DATA} (set READER_SHARED_DATA)",
)


def cut(extent: str) -> list[str]:
    text = f"In {extent} today"
    start = 3
    return [text[a:b] for a, b in S.name_core(text, start, start + len(extent))]


@pytest.mark.parametrize(
    ("extent", "names"),
    [
        ("the United States", ["United States"]),
        ("The GAO", ["GAO"]),
        ("President Vladimir Putin", ["Vladimir Putin"]),
        ("Mr. Lee Hsien Loong", ["Lee Hsien Loong"]),
        ("German airline Lufthansa", ["Lufthansa"]),
        ("Airbus chief executive Noel Forgeard", ["Noel Forgeard"]),
        ("Mobile, Alabama", ["Mobile", "Alabama"]),
        ("Singapore Airlines (SIA", ["Singapore Airlines", "SIA"]),
        ("Bank of America", ["Bank of America"]),
        ("the United States of America", ["United States of America"]),
        ("General Motors", ["General Motors"]),
        ("Singapore's Changi International Airport", ["Changi International Airport"]),
        ("its European division", []),
    ],
)
def test_name_core_cuts_an_extent_to_the_name_conll_would_mark(
    extent: str, names: list[str]
) -> None:
    assert cut(extent) == names


def test_name_core_offsets_point_into_the_text() -> None:
    text = "Staff of Airbus and German airline Lufthansa, in Toulouse, France."
    s = text.index("German")
    e = text.index(",")
    assert [text[a:b] for a, b in S.name_core(text, s, e)] == ["Lufthansa"]
    s = text.index("Toulouse")
    assert [text[a:b] for a, b in S.name_core(text, s, len(text) - 1)] == ["Toulouse", "France"]


@needs_data
def test_meantime_convention_figures_and_floor() -> None:
    c = S.meantime_conventions(DATA)
    assert c["gold"] == 753
    # a quarter of MEANTIME's named extents are not a name alone: no CoNLL-style tagger can
    # match them exactly, so even a perfect one stays near the 0.75
    assert 0.2 < c["unmatchable"] / c["gold"] < 0.3, c["kinds"]
    assert c["oracle"]["f1"] < 0.8, c["oracle"]
    assert c["name_core"]["f1"] >= 0.75, c["name_core"]
