"""The event strip opens on the story's own days; background years fold, ``b`` shows them
(issue 14). Real app through Pilot on the seed library."""

from __future__ import annotations

from reader.panes.events import OWN_DAYS, EventStrip, background
from tests.test_app import SIZE, library, make_app, open_source, seed_library, settle  # noqa: F401


def test_background_is_outside_the_storys_own_days():
    assert background("2014", "2017-10-26")
    assert background("2017-07", "2017-10-26")
    assert not background("2017", "2017-10-26")  # the year of the news itself
    assert not background("2017-09-28", "2017-10-26")
    assert background("2017-09-10", "2017-10-26") and OWN_DAYS == 45
    assert not background("2014", None)  # undated article: nothing folds


async def test_strip_opens_on_the_storys_days_and_b_shows_background(library) -> None:  # noqa: F811
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = await open_source(pilot, "Daily Sabah")
        strip = app.main.query_one(EventStrip)
        shown = list(strip.events)
        assert shown and not any(background(e.date, strip.published) for e in shown)
        folded = [e for e in strip._all if background(e.date, strip.published)]
        assert {e.date[:4] for e in folded} >= {"2014"}  # the caliphate's rise, recalled
        cur = strip.current
        assert cur is not None and cur.article == start and cur.date.startswith("2017-10")
        strip.focus()
        await pilot.press("b")
        await settle(pilot)
        assert len(strip.events) == len(shown) + len(folded)
        assert [e.date for e in strip.events] == sorted(e.date for e in strip.events)
        assert strip.current == cur  # the cursor stays on its event
        await pilot.press("b")
        await settle(pilot)
        assert strip.events == shown


async def test_a_long_sentence_is_never_cut_and_hangs_under_its_first_word(library) -> None:  # noqa: F811
    """At 120 columns the strip gains a scrollbar after its lines were measured; a sentence that
    needed one more line then lost its end ("…a commander" without "said."). Every event's lines
    are now all drawn, each continuation line indented under the sentence, not under the date."""
    app = make_app(library)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await open_source(pilot, "AFP")
        strip = app.main.query_one(EventStrip)
        width = strip.scrollable_content_region.width
        assert strip.max_scroll_y > 0  # it scrolls: the scrollbar is there
        seen: list[str] = []
        for y in range(strip.max_scroll_y + 1):  # every line of the strip, one scroll at a time
            strip.scroll_to(y=y, animate=False, immediate=True)
            await pilot.pause()
            seen.append(strip.render_line(0).text)
        seen.extend(strip.render_line(y).text for y in range(1, strip.size.height))
        indent = seen[0].index(" ".join(strip.events[0].text.split())[:20])
        texts: list[str] = []
        for line in seen:
            if line.lstrip().startswith(("●", "○")):
                texts.append(line[indent:].strip())
            elif texts and line.strip() and not line.lstrip().startswith("▸"):
                assert line[:indent].strip() == "", line  # hangs under the sentence
                texts[-1] += " " + line.strip()
        assert strip.events and width > 0
        own = [" ".join(e.text.split()) for e in strip.events]
        assert texts == own
