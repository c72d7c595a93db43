"""Dates in the year the text is in, and one event per date a sentence names (issue 14).
Excerpts rewritten in the shape of the articles that showed the failures."""

from __future__ import annotations

from datetime import date

from index.dates import article_events

PUB = date(2018, 4, 20)  # a 2018 article telling the events of early 2017


def _dates(paragraphs, pub=PUB):
    return [(e.expression, e.date) for e in article_events(paragraphs, pub)]


def test_month_days_after_a_full_date_resolve_in_its_year():
    got = _dates([
        "Comey wrote in a memo dated Jan. 27, 2017, that the president had asked for his "
        "loyalty over dinner.",
        "On Feb. 8, the two men met again in the Oval Office, the memo says, and on Feb. 14 "
        "the president cleared the room.",
    ])
    assert ("Feb. 8", "2017-02-08") in got and ("Feb. 14", "2017-02-14") in got, got


def test_a_date_counted_from_publication_brings_the_text_back():
    got = _dates([
        "The memos describe a dinner on Jan. 27, 2017, at the White House.",
        "On Thursday the Justice Department sent the memos to Congress, which will hear "
        "from the inspector general on May 3.",
    ])
    assert ("Thursday", "2018-04-19") in got and ("May 3", "2018-05-03") in got, got


def test_without_a_full_date_month_days_stay_near_publication():
    # a month and year in passing ("in July 1997") does not move the text
    got = _dates(["Poland, invited to join NATO in July 1997, will join on March 12."],
                 date(1999, 2, 27))
    assert ("March 12", "1999-03-12") in got, got


def test_one_event_per_date_a_sentence_names_at_its_most_precise():
    got = _dates(["Troops pushed north in November, and on Nov. 25 they opened a new front "
                  "near the border."], date(2017, 11, 26))
    assert got == [("Nov. 25", "2017-11-25")], got
    twice = _dates(["The offensive began on Saturday, and by Saturday night the town had "
                    "fallen."], date(2017, 11, 26))
    assert [d for _e, d in twice].count("2017-11-25") == 1, twice


def test_meantime_timeline_order_floor():
    """The strip's order against the SemEval-2015 Task 4 gold timelines (score_dates.py).
    Before issue 14: 0.847 of 3,969 pairs; coverage 383/793 dated gold events."""
    import sys

    import pytest

    from tests.conftest import DATA, REPO

    if not (DATA / "meantime-timelines.jsonl.gz").exists():
        pytest.skip(f"shared data not found at {DATA}")
    sys.path.insert(0, str(REPO / "scripts"))
    import score_dates

    r = score_dates.timeline_order(DATA)
    assert r["order_accuracy"] >= 0.845, r
    assert r["coverage"] >= 0.48, r
