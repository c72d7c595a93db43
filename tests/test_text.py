"""index.text: the abbreviations and the sentence splitter every extractor shares."""

from __future__ import annotations

import pytest

from index import dates, passages, text
from index.ner import tokens


def _sents(s: str) -> list[str]:
    return [s[a:b] for a, b in text.split_sentences(s)]


@pytest.mark.parametrize(
    ("s", "want"),
    [
        ("Sens. Alan Cranston and Daniel Evans spoke. They left.",
         ["Sens. Alan Cranston and Daniel Evans spoke.", "They left."]),
        ("RICHMOND, Va. Feb 26 - Qtly div. Prior was 7.5 cts.",
         ["RICHMOND, Va. Feb 26 - Qtly div.", "Prior was 7.5 cts."]),
        ("Lt. Gen. Yarallah said J. Smith left at 5 a.m. Monday.",
         ["Lt. Gen. Yarallah said J. Smith left at 5 a.m. Monday."]),
        ("Troops left the U.S. The war went on.", ["Troops left the U.S.", "The war went on."]),
        ("U.S. forces moved in.", ["U.S. forces moved in."]),
        ("It rose… Then it fell! «Why?» Nobody knows.",
         ["It rose…", "Then it fell!", "«Why?»", "Nobody knows."]),
        ("One.\n\ntwo", ["One.", "two"]),
        ("", []),
    ],
)
def test_split_sentences(s: str, want: list[str]) -> None:
    assert _sents(s) == want


def test_abbreviations() -> None:
    for w in ("Mr", "Sens.", "Calif", "sept", "U.S", "a.m.", "J", "No"):
        assert text.is_abbreviation(w), w
    for w in ("said", "Iraq", "US", "the", ""):
        assert not text.is_abbreviation(w), w


def test_every_extractor_uses_the_one_splitter() -> None:
    assert dates.split_sentences is text.split_sentences
    assert passages.sentences is text.split_sentences
    assert tokens.ABBREVIATIONS is text.ABBREVIATIONS


def test_ner_sentences_do_not_end_at_an_abbreviation() -> None:
    s = "Sens. Alan Cranston of Calif. met Gov. Brown. Then they left."
    spans = tokens.tokenize(s)
    got = [s[spans[g[0]][0]:spans[g[-1]][1]] for g in tokens.sentences(s, spans)]
    assert got == ["Sens. Alan Cranston of Calif. met Gov. Brown.", "Then they left."]
