"""Tests for index.dates: each resolution rule, the seeds' cases, false friends, offsets,
sentence splitting, events, and quality floors on TempEval-3 / MEANTIME."""

from __future__ import annotations

import importlib.util
import os
import sys
from datetime import date
from pathlib import Path

import pytest

from index.dates import article_events, extract_dates, split_sentences
from index.model import DateMention, Event

ROOT = Path(__file__).resolve().parent.parent
THU = date(2017, 10, 26)  # a Thursday


def one(text: str, published: date | None = THU) -> tuple[str, str, str]:
    got = extract_dates(text, published)
    assert len(got) == 1, got
    m = got[0]
    return m.text, m.value, m.precision


def values(text: str, published: date | None = THU) -> list[tuple[str, str, str]]:
    return [(m.text, m.value, m.precision) for m in extract_dates(text, published)]


# --- the seeds' cases ---------------------------------------------------------------


def test_seed_weekday_in_thursday_paper_is_that_day() -> None:
    assert one("Iraqi forces launched an offensive on Thursday to recapture") == (
        "Thursday",
        "2017-10-26",
        "day",
    )


def test_seed_month_day_without_year() -> None:
    text = "released an audio recording on Sept. 28 that indicated he was alive"
    assert one(text, date(2017, 10, 25)) == ("Sept. 28", "2017-09-28", "day")


def test_seed_bare_month_is_latest_such_month() -> None:
    assert one("the caliphate effectively collapsed in July, when", date(2017, 10, 25)) == (
        "July",
        "2017-07",
        "month",
    )


def test_seed_last_week_is_monday_of_previous_week() -> None:
    assert one("the official said last week.") == ("last week", "2017-10-16", "week")


def test_seed_mid_year_has_year_precision() -> None:
    assert one("declared the caliphate from Mosul in mid-2014, released", date(2017, 10, 25)) == (
        "mid-2014",
        "2014",
        "year",
    )


def test_seed_earlier_this_month() -> None:
    text = "two towns recaptured from Daesh earlier this month, in a pincer movement"
    assert one(text, date(2017, 11, 25)) == ("earlier this month", "2017-11", "month")


def test_seed_files_resolve_against_their_header_dates() -> None:
    seed = (ROOT / "seeds" / "001_ac2dd124fd2d6500.txt").read_text(encoding="utf-8")
    got = {(m.text, m.value) for m in extract_dates(seed, date(2017, 10, 25))}
    assert ("Sept. 28", "2017-09-28") in got
    assert ("July", "2017-07") in got
    assert ("mid-2014", "2014") in got
    assert not any("nine months" in m for m, _ in got)


@pytest.mark.parametrize(
    "text",
    [
        "+90 212 697 1000",
        "1000",
        "4 MIN READ",
        "T2",
        "they planned to march on the extremists",
        "a grueling battle which lasted nine months",
        "the 51st anniversary",
        "© 2000-2016 Reuters",
        "Copyright 2016 Reuters",
        "for three weeks",
        "up 12% to 2,000",
        "a total of 2000 troops",
        "It may rain.",
        "May I ask?",
        "The March on Washington",
        "Jan Kavan of the Czech Republic",
        "two thousand years of history",
        "the quarter of the city",
    ],
)
def test_false_friends_are_not_dates(text: str) -> None:
    assert extract_dates(text, THU) == []


# --- rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,value,precision",
    [
        ("on Thursday", "2017-10-26", "day"),
        ("on Wednesday", "2017-10-25", "day"),
        ("on Friday", "2017-10-20", "day"),  # most recent Friday on or before publication
        ("last Thursday", "2017-10-19", "day"),
        ("next Thursday", "2017-11-02", "day"),
        ("this coming Monday", "2017-10-30", "day"),
        ("Thursday morning", "2017-10-26", "day"),
        ("The vote will be held on Saturday", "2017-10-28", "day"),  # future cue
        ("today", "2017-10-26", "day"),
        ("yesterday", "2017-10-25", "day"),
        ("tomorrow", "2017-10-27", "day"),
        ("this week", "2017-10-23", "week"),
        ("next week", "2017-10-30", "week"),
        ("this month", "2017-10", "month"),
        ("next month", "2017-11", "month"),
        ("last month", "2017-09", "month"),
        ("last year", "2016", "year"),
        ("this year", "2017", "year"),
        ("two days ago", "2017-10-24", "day"),
        ("a week ago", "2017-10-16", "week"),
        ("three months ago", "2017-07", "month"),
        ("nearly four years ago", "2013", "year"),
    ],
)
def test_relative_expressions(text: str, value: str, precision: str) -> None:
    got = values(text)
    assert [(v, p) for _, v, p in got] == [(value, precision)], got


@pytest.mark.parametrize(
    "text,value,precision",
    [
        ("2017-10-26", "2017-10-26", "day"),
        ("25.10.2017", "2017-10-25", "day"),
        ("10/26/2017", "2017-10-26", "day"),
        ("26/10/2017", "2017-10-26", "day"),  # day first when the first number cannot be a month
        ("October 26, 2017", "2017-10-26", "day"),
        ("26 October 2017", "2017-10-26", "day"),
        ("Thu, 26 Feb 1987", "1987-02-26", "day"),
        ("July 2017", "2017-07", "month"),
        ("in 2014", "2014", "year"),
        ("since 1990", "1990", "year"),
        ("2014's budget", "2014", "year"),
        ("by 2020", "2020", "year"),
        ("early 2015", "2015", "year"),
        ("fiscal 1989", "1989", "year"),
        ("in nineteen ninety-six", "1996", "year"),
    ],
)
def test_explicit_dates(text: str, value: str, precision: str) -> None:
    got = values(text)
    assert [(v, p) for _, v, p in got] == [(value, precision)], got


def test_explicit_dates_need_no_publication_date() -> None:
    assert values("on October 26, 2017 and in 2014", None) == [
        ("October 26, 2017", "2017-10-26", "day"),
        ("2014", "2014", "year"),
    ]


def test_without_publication_date_relative_expressions_are_dropped() -> None:
    assert extract_dates("on Thursday, last week, in July, Sept. 28, yesterday", None) == []


def test_bare_year_needs_a_cue_and_a_sane_range() -> None:
    assert extract_dates("The index rose 2014 points.", THU) == []
    assert extract_dates("in 1850", THU) == []
    assert one("the 1996 campaign") == ("1996", "1996", "year")


def test_month_day_future_when_close_or_cued() -> None:
    assert one("payable Jan. 2 to holders", date(1989, 11, 2))[1] == "1990-01-02"
    assert one("the year ended March 31", date(1989, 11, 1))[1] == "1989-03-31"
    assert one("the offer expires Nov. 15", date(1989, 11, 2))[1] == "1989-11-15"


def test_month_rules() -> None:
    assert one("last April", THU)[1] == "2017-04"
    assert one("last September", THU)[1] == "2016-09"  # the month just gone is "last month"
    assert one("next May", THU)[1] == "2018-05"
    assert one("this September", THU)[1] == "2017-09"
    assert one("in November", THU)[1] == "2017-11"  # the very next month: ahead
    assert one("the deal is expected to close in March", THU)[1] == "2018-03"  # future cue
    assert one("sales fell in March", THU)[1] == "2017-03"
    assert one("Friday, Oct. 13", THU) == ("Friday, Oct. 13", "2017-10-13", "day")


def test_names_and_recurrences_are_not_dates() -> None:
    assert extract_dates("April Smith said", THU) == []
    assert extract_dates("the parade is held each July", THU) == []
    assert extract_dates("on Black Monday", THU) == []
    assert extract_dates("he read USA Today", THU) == []


def test_quarters_and_seasons_have_year_precision() -> None:
    p = date(1989, 11, 2)
    assert one("third-quarter net income rose", p)[1:] == ("1989", "year")
    assert one("in the fourth quarter of 1988", p)[1:] == ("1988", "year")
    assert one("the year-ago quarter", p)[1:] == ("1988", "year")
    assert one("began last fall", date(1998, 2, 6))[1:] == ("1997", "year")
    assert one("this summer", date(1998, 3, 22))[1:] == ("1998", "year")


def test_anaphora_lean_on_the_latest_date() -> None:
    got = values("The talks began on Sept. 28. The following day they broke down.")
    assert got == [("Sept. 28", "2017-09-28", "day"), ("The following day", "2017-09-29", "day")]
    got = values("He was killed on Oct. 23, 1999. Three days later police found the rifle.", None)
    assert got[1] == ("Three days later", "1999-10-26", "day")


# --- robustness ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\x00\x01",
        "9999-99-99",
        "31.02.2017",
        "2/30/2017",
        "Feb. 30",
        "00/00/00",
        "2100-13-45",
        "on the 99th",
        "Sept." * 1000,
        "2017-" * 500,
        "\u200bThursday\u2028",
        "yesterday" * 50,
    ],
)
def test_never_raises_and_offsets_hold(text: str) -> None:
    for published in (THU, None, date(1, 1, 1), date(9999, 12, 31)):
        for m in extract_dates(text, published):
            assert isinstance(m, DateMention)
            assert 0 <= m.start < m.end <= len(text)
            assert text[m.start : m.end] == m.text


def test_non_string_input_is_empty() -> None:
    assert extract_dates(None, THU) == []  # type: ignore[arg-type]
    assert extract_dates(b"Thursday", THU) == []  # type: ignore[arg-type]


def test_offsets_on_seeds() -> None:
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        got = extract_dates(text, THU)
        assert got, path.name
        for m in got:
            assert text[m.start : m.end] == m.text
            assert m.precision in ("day", "week", "month", "year")


# --- sentences and events ---------------------------------------------------------------


def test_split_sentences_is_abbreviation_aware() -> None:
    text = (
        "Chief of Western Anbar Operations, Lt. Gen. Abdul-Amir Yarallah added that U.S. forces "
        "left on Sept. 28 at 9 a.m. Tuesday. Mr. Smith disagreed! Did he? Yes."
    )
    spans = split_sentences(text)
    sents = [text[a:b] for a, b in spans]
    assert sents == [
        "Chief of Western Anbar Operations, Lt. Gen. Abdul-Amir Yarallah added that U.S. forces left on "
        "Sept. 28 at 9 a.m. Tuesday.",
        "Mr. Smith disagreed!",
        "Did he?",
        "Yes.",
    ]
    assert split_sentences("") == []
    two = "One.\n\ntwo"
    assert [two[a:b] for a, b in split_sentences(two)] == ["One.", "two"]


def test_article_events() -> None:
    paras = [
        "Iraqi forces launched an offensive on Thursday. Lt. Gen. Yarallah said on Sept. 28 that U.S. troops helped.",
        "",
        "The following day, the army advanced.",
    ]
    evs = article_events(paras, date(2017, 10, 26))
    assert all(isinstance(e, Event) for e in evs)
    assert [(e.date, e.precision, e.expression, e.paragraph) for e in evs] == [
        ("2017-10-26", "day", "Thursday", 0),
        ("2017-09-28", "day", "Sept. 28", 0),
        ("2017-09-29", "day", "The following day", 2),
    ]
    assert evs[0].text == "Iraqi forces launched an offensive on Thursday."
    assert evs[1].text == "Lt. Gen. Yarallah said on Sept. 28 that U.S. troops helped."
    for e in evs:
        assert paras[e.paragraph][e.start : e.end] == e.expression
    assert article_events([], THU) == []
    assert article_events(["no dates here"], None) == []


# --- the speed-ups change nothing -------------------------------------------------------

_SHORTCUT_TEXTS = [
    "lastMarch and thequarter, mid-2014, midJuly, the1988 period and its fiscal quarter",
    "the 1988 period, a year-ago quarter, the 1st-quarter loss, 2nd quarter, the latest period",
    "twenty-one days earlier, more than three weeks ago, an hour ago, a week ago, some 40 years ago",
    "on 26 of October, Sept. 28, Friday, Oct. 13, 7/8/07, 2017-10-26, 25.10.2017, in 2100",
    "the year two thousand, nineteen ninety-six, nineteen-oh-five, at the end of the month",
    "at the beginning of the following week; that day; the same month; year-end; the year's end",
    "EARLY JANUARY, MAY 5, Thurs. and Tues. morning, early Tuesday, the day before yesterday",
    "155 bags of 60 kilos, 5.93 mln, 1/8, 11-1/2, (c) 2000-2016, 4 MIN READ, nine months",
    "İstanbul, March 3: the meeting is on Thursday; earlier this week; earlier today",
]


def _shortcut_corpus() -> list[tuple[str, date | None]]:
    texts: list[tuple[str, date | None]] = [(t, THU) for t in _SHORTCUT_TEXTS]
    texts += [
        (p.read_text(encoding="utf-8"), date(2017, 10, 25))
        for p in sorted((ROOT / "seeds").glob("*.txt"))
    ]
    directory = _data_dir()
    mod = _scorer()
    for name, fname in mod.CORPORA.items():
        if (directory / fname).exists():
            texts += [(r["text"], mod._dct(r)) for r in mod.load(name, directory)]
    return texts


def test_gate_changes_no_match() -> None:
    """The look-ahead gate only skips word starts where no branch of the pattern can match."""
    import re

    from index import dates as D

    ungated = re.compile(r"(?<!\w)(?=\w)(?:" + D._PATTERN + ")", re.X)
    for text, _ in _shortcut_corpus():
        want = [(m.lastgroup, m.span()) for m in ungated.finditer(text)]
        got = [(m.lastgroup, m.span()) for m in D._RX.finditer(text)]
        assert got == want, text[:80]


def test_trigger_windows_miss_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scanning only the windows around triggers finds what scanning whole texts finds."""
    from index import dates as D

    corpus = _shortcut_corpus()
    windowed = [extract_dates(t, d) for t, d in corpus]
    monkeypatch.setattr(D, "_windows", lambda text: [(0, len(text))])
    whole = [extract_dates(t, d) for t, d in corpus]
    assert windowed == whole


# --- quality floors on real corpora -----------------------------------------------------


def _data_dir() -> Path:
    env = os.environ.get("READER_SHARED_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def _scorer():
    spec = importlib.util.spec_from_file_location(
        "score_dates", ROOT / "scripts" / "score_dates.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["score_dates"] = mod
    spec.loader.exec_module(mod)
    return mod


# floors: the figures reached, rounded down by about 0.01. Speed is reported by
# scripts/score_dates.py and tests/bench/, never asserted by a timed test.
FLOORS = {
    "timebank": dict(
        relaxed_precision=0.94,
        relaxed_recall=0.96,
        strict_precision=0.88,
        strict_recall=0.90,
        value_accuracy=0.92,
    ),
    "aquaint": dict(
        relaxed_precision=0.95,
        relaxed_recall=0.93,
        strict_precision=0.87,
        strict_recall=0.87,
        value_accuracy=0.91,
    ),
    "meantime": dict(
        relaxed_precision=0.97,
        relaxed_recall=0.91,
        strict_precision=0.90,
        strict_recall=0.86,
        value_accuracy=0.94,
    ),
}


@pytest.mark.parametrize("corpus", sorted(FLOORS))
def test_quality_floor(corpus: str) -> None:
    directory = _data_dir()
    mod = _scorer()
    if not (directory / mod.CORPORA[corpus]).exists():
        pytest.skip(f"gold data not found in {directory} (set READER_SHARED_DATA)")
    sc = mod.score_corpus(corpus, directory)
    for name, floor in FLOORS[corpus].items():
        assert getattr(sc, name) >= floor, (corpus, name, getattr(sc, name))
