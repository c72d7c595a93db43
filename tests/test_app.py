"""Pilot journeys through the app on real libraries built from the seeds (no mocks).

Each test gets its own copy of a library built once per session from ``seeds/``; workers are
awaited (``settle``), never slept on.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rich.style import Style
from textual.binding import Binding
from textual.pilot import Pilot

from index.library import Library
from reader.app import ReaderApp
from reader.bindings import binding_sections
from reader.messages import IngestDone, IngestProgress, RowsLoaded
from reader.panes.article_list import ArticleList
from reader.panes.entities import EntitySidebar
from reader.panes.events import EventStrip
from reader.panes.reader_view import Paragraph, ReaderView
from reader.panes.search import SearchLine
from reader.screens.help import HelpScreen
from reader.screens.main import MainScreen

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SIZE = (160, 45)

HOSTILE = (
    "Hostile [bold]x[/bold] headline\n\n"
    "date 2017-10-27\n\n"
    "Body [bold]x[/bold] [link=http://evil]y[/link] \x1b]0;pwned\x07 \x1b[31mred\x1b[0m "
    "\u202emirrored and [i]italic[/i] and :smile: in Baghdad.\n\n"
    "Second paragraph with a bell \x07 and a backspace \x08 and [on red]bg[/on red].\n"
)


def build_library(folder: Path) -> Path:
    """A library of the five seed articles in ``folder``."""
    seeds = folder / "seeds"
    shutil.copytree(SEEDS, seeds)
    with Library(folder / "lib") as lib:
        _ = lib.index  # create the index before add() holds the writer lock
        report = lib.add([seeds])
        assert len(report.added) == 5, report
    return folder / "lib"


@pytest.fixture(scope="session")
def seed_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed library, built once."""
    return build_library(tmp_path_factory.mktemp("seedlib"))


@pytest.fixture
def library(seed_library: Path, tmp_path: Path) -> Library:
    """A private copy of the seed library."""
    shutil.copytree(seed_library, tmp_path / "lib")
    lib = Library(tmp_path / "lib")
    yield lib
    lib.close()


def make_app(lib: Library, paths: list[Path] | None = None, **kw: object) -> ReaderApp:
    kw.setdefault("poll_interval", None)
    return ReaderApp(lib, paths or [], **kw)  # type: ignore[arg-type]


async def settle(pilot: Pilot) -> None:
    """Wait until no worker runs and every message they posted has been handled."""
    import contextlib

    from textual.worker import WorkerCancelled

    app = pilot.app
    for _ in range(50):
        with contextlib.suppress(WorkerCancelled):  # a newer load replaced it (by design)
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running or w.state.name == "PENDING" for w in app.workers):
            await pilot.pause()
            if not any(w.is_running for w in app.workers):
                return
    raise AssertionError("workers did not settle")


def main(app: ReaderApp) -> MainScreen:
    return app.main


def list_ids(app: ReaderApp) -> list[str]:
    return [r.id for r in app.main.query_one(ArticleList).rows]


async def open_source(pilot: Pilot, source: str) -> str:
    """Open the article of ``source`` from the list; returns its id."""
    app = pilot.app
    rows = app.main.query_one(ArticleList).rows
    target = next(r.id for r in rows if r.source.startswith(source))
    app.main.open_article(target)
    await settle(pilot)
    assert app.main.view is not None and app.main.view.id == target
    return target


# --- 1. opening ----------------------------------------------------------------------------


async def test_empty_library_adds_seeds_with_progress(tmp_path: Path) -> None:
    seen: list = []
    lib = Library(tmp_path / "empty")
    app = make_app(lib)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        assert len(list_ids(app)) == 5
        assert any(isinstance(m, IngestProgress) for m in seen), "no visible progress"
        done = [m for m in seen if isinstance(m, IngestDone)]
        assert done and done[0].report is not None and len(done[0].report.added) == 5
        # the first screen is a working reader: an article is open
        assert app.main.view is not None
        assert app.main.query_one(ReaderView).article is not None
        assert "Added 5 articles" in app.main.status_text
    lib.close()


async def test_paths_added_in_worker_while_app_usable(library: Library, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "new.txt").write_text(
        "Mosul residents return home\n\ndate 2017-11-02\n\n"
        "Residents of Mosul returned to the old city on Thursday, officials in Baghdad said.\n",
        encoding="utf-8")
    seen: list = []
    app = make_app(library, [extra / "new.txt"])
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        kinds = [type(m) for m in seen if isinstance(m, (RowsLoaded, IngestDone))]
        # the list was populated before the ingest finished: usable while it runs
        assert kinds[0] is RowsLoaded and IngestDone in kinds
        assert len(list_ids(app)) == 6
        assert "Added 1 article from your files" in app.main.status_text


async def test_picks_up_articles_added_by_another_process(library: Library,
                                                          tmp_path: Path) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(list_ids(app)) == 5
        other = tmp_path / "other.txt"
        other.write_text("Raqqa rebuilds\n\ndate 2017-11-03\n\nRaqqa began to rebuild.\n",
                         encoding="utf-8")
        with Library(library.path) as writer:  # another writer on the same folder
            writer.add([other])
        app.main.poll_generation()
        await settle(pilot)
        assert len(list_ids(app)) == 6


# --- 2. panes ------------------------------------------------------------------------------


async def test_list_shows_title_source_date_and_story_count(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = app.main.query_one(ArticleList).rows
        assert [r.published for r in rows] == sorted([r.published for r in rows], reverse=True)
        by_source = {r.source: r for r in rows}
        assert by_source["Daily Sabah"].others == 3
        assert by_source["AFP"].others == 0
        lines = [app.main.query_one(ArticleList).render_line(y).text for y in range(5)]
        assert any("Daily Sabah" in line and "+3" in line and "2017-10-26" in line
                   for line in lines)


async def test_reader_view_meta_margin_marks_and_entity_colours(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        aid = await open_source(pilot, "TRTWorld")
        reader = app.main.query_one(ReaderView)
        head = reader.query_one("#reader-head").render()
        assert "Iraq launches offensive" in str(head)
        assert "TRTWorld" in str(head) and "2017-10-26" in str(head)
        carried = library.paragraph_sources(aid)
        assert carried, "the seeds share passages"
        paras = list(reader.query(Paragraph))
        for i, n in carried.items():
            assert paras[i].carried == n
        # entities coloured by type
        colours = {span.style for p in paras for span in p.text.spans}
        styles = reader.entity_styles  # the colours reader.tcss gives each type
        assert styles["PER"].color is not None and styles["PER"] != styles["LOC"]
        assert styles["PER"] in colours and styles["LOC"] in colours


async def test_entity_sidebar_lists_entities_with_counts(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        aid = await open_source(pilot, "Daily Sabah")
        sidebar = app.main.query_one(EntitySidebar)
        names = {e.name for e in sidebar.entities}
        assert {e.name for e in library.entities(aid)} == names
        assert any(e.sources > 1 for e in sidebar.entities)


async def test_entity_counts_stay_whole_beside_a_long_name(library: Library) -> None:
    """At 120 columns a name too long for the sidebar wraps inside its column; "×1  2 src" stays
    one unit on the name's first line (it used to break into "×1  2" / "src")."""
    app = make_app(library)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await open_source(pilot, "Milli Gazete")
        sidebar = app.main.query_one(EntitySidebar)
        long = next(e for e in sidebar.entities
                    if e.sources > 1 and len(e.name) + 12 > sidebar.scrollable_content_region.width)
        lines = [sidebar.render_line(y).text for y in range(sidebar.size.height)]
        first = next(i for i, t in enumerate(lines) if long.name.split()[0] in t)
        assert f"×{long.mentions}  {long.sources} src" in lines[first], lines[first]
        assert not any(t.strip().startswith("src") for t in lines), lines
        # the rest of the name on the next line, the counts right-aligned on every row
        assert long.name.split()[-1] in lines[first + 1]
        counted = [t.rstrip() for t in lines if "×" in t]
        assert len({len(t) for t in counted}) == 1, counted


# --- 3. search -----------------------------------------------------------------------------


async def test_search_as_you_type_highlight_and_hits(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, SearchLine)
        for ch in "mosul":
            await pilot.press(ch)
            await settle(pilot)
        expected = [r.id for r in library.search("mosul", limit=500)]
        assert list_ids(app) == expected and 0 < len(expected) < 5
        assert app.main.results_query == "mosul"
        await pilot.press("enter")
        assert isinstance(app.focused, ArticleList)
        await pilot.press("enter")  # read the first result
        await settle(pilot)
        reader = app.main.query_one(ReaderView)
        assert reader.article is not None and reader.article.id == expected[0]
        assert reader.hits
        await pilot.press("n")
        first = reader.hit
        para, start, end = reader.hits[first]
        assert reader.paragraph == para
        # the current hit is marked as the current one (not merely as a hit)
        current_hit = reader.part("reader-view--current-hit")
        assert current_hit != reader.part("reader-view--hit")
        assert any(s.style == current_hit for s in reader._paras[para].text.spans)
        await pilot.press("n")
        assert reader.hit != first or len([h for h in reader.hits if h[0] >= 0]) == 1
        await pilot.press("N")
        assert reader.hit == first
        # escape (anywhere on the main screen) clears the search
        await pilot.press("escape")
        await settle(pilot)
        assert len(list_ids(app)) == 5 and app.main.results_query is None
        assert not reader.hits




async def test_search_fields(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"source:AFP")
        await settle(pilot)
        rows = app.main.query_one(ArticleList).rows
        assert [r.source for r in rows] == ["AFP"]
        await pilot.press("escape")
        await settle(pilot)
        assert len(list_ids(app)) == 5
        assert isinstance(app.focused, ArticleList)


async def test_malformed_query_shows_message_and_nothing_breaks(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = list_ids(app)
        await pilot.press("slash", *'"abadi')
        await settle(pilot)
        assert "Malformed query" in app.main.status_text
        assert "unclosed quote" in app.main.status_text
        assert app.main.query_one(SearchLine).has_class("-malformed")
        assert list_ids(app) == before  # the last good results stay
        await pilot.press("backspace")
        await pilot.press(*'"')
        await settle(pilot)
        assert "Malformed" not in app.main.status_text
        assert app.is_running


# --- 4. jumps ------------------------------------------------------------------------------


async def test_next_and_previous_source_of_the_story(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = await open_source(pilot, "Daily Sabah")
        members = sorted({library.article(i).source for i in library.story_articles(start)},
                         key=str.casefold)
        app.main.query_one(ReaderView).focus()
        await pilot.press("right_square_bracket")
        await settle(pilot)
        k = members.index("Daily Sabah")
        assert app.main.view.source == members[(k + 1) % len(members)]
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert app.main.view.id == start
        assert app.main.query_one(ArticleList).current.id == start


async def test_source_jump_lands_on_the_shared_paragraph(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = await open_source(pilot, "TRTWorld")
        reader = app.main.query_one(ReaderView)
        links = library.same_passage(start, 3)
        assert links
        reader.set_paragraph(3)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        landed = app.main.view.id
        link = next((lk for lk in links if lk.article == landed), None)
        if link is not None:
            assert reader.paragraph == link.other_paragraph
        assert reader._paras[reader.paragraph].has_class("-cursor")


async def test_same_passage_cycles_through_every_source(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = await open_source(pilot, "TRTWorld")
        links = library.same_passage(start, 3)
        assert len(links) >= 2
        reader = app.main.query_one(ReaderView)
        reader.set_paragraph(3)
        reader.focus()
        for link in links:
            await pilot.press("p")
            await settle(pilot)
            assert app.main.view.id == link.article
            assert reader.paragraph == link.other_paragraph
            assert reader._paras[link.other_paragraph].has_class("-cursor")
            assert "Same passage" in app.main.status_text
        await pilot.press("p")  # back to where the cycle began
        await settle(pilot)
        assert app.main.view.id == start and reader.paragraph == 3


async def test_passage_jump_without_other_sources_says_so(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_source(pilot, "AFP")
        await pilot.press("p")
        await settle(pilot)
        assert "No other source carries" in app.main.status_text


# --- entity filter and entity jump -----------------------------------------------------------


async def test_choose_entity_filters_list_and_e_jumps(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = await open_source(pilot, "Daily Sabah")
        sidebar = app.main.query_one(EntitySidebar)
        sidebar.focus()
        target = next(e for e in sidebar.entities if e.name == "Mosul")
        index = next(i for i, o in enumerate(sidebar.options) if o.id == f"e{sidebar.entities.index(target)}")
        sidebar.highlighted = index
        await pilot.press("enter")
        await settle(pilot)
        naming = library.articles_naming(target.key, target.type)
        assert set(list_ids(app)) == set(naming) and len(naming) < 5
        assert "naming Mosul" in app.main.status_text
        await pilot.press("e")
        await settle(pilot)
        now = app.main.view.id
        assert now != start and now in naming
        reader = app.main.query_one(ReaderView)
        para_mentions = app.main.view.mentions[reader.paragraph]
        assert any("mosul" in m.name.casefold() for m in para_mentions)
        await pilot.press("escape")
        await settle(pilot)
        assert len(list_ids(app)) == 5


# --- event strip -----------------------------------------------------------------------------


async def test_choose_event_opens_article_at_paragraph(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = await open_source(pilot, "Daily Sabah")
        strip = app.main.query_one(EventStrip)
        events = strip.events
        assert [e.date for e in events] == sorted(e.date for e in events)
        assert any(e.article == start for e in events)
        other = next(i for i, e in enumerate(events) if e.article != start and e.paragraph > 0)
        strip.focus()
        strip.highlighted = other
        await pilot.press("enter")
        await settle(pilot)
        ev = events[other]
        assert app.main.view.id == ev.article
        reader = app.main.query_one(ReaderView)
        assert reader.paragraph == ev.paragraph
        assert reader._paras[ev.paragraph].has_class("-cursor")
        assert isinstance(app.focused, ReaderView)


# --- 5. keys, help, palette, mouse, quit ---------------------------------------------------------


def test_every_binding_has_id_and_description() -> None:
    for _title, bindings in binding_sections():
        for b in bindings:
            assert isinstance(b, Binding)
            assert b.id, b
            assert b.description, b


async def test_help_lists_every_binding(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen._table()
        from rich.console import Console

        console = Console(width=200, record=True, file=io.StringIO())
        console.print(table)
        text = console.export_text()
        for _title, bindings in binding_sections():
            for b in bindings:
                assert b.id in text and b.description in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_tab_moves_between_panes_and_vim_keys_move(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.focused, ArticleList)
        await pilot.press("j")
        await settle(pilot)
        article_list = app.main.query_one(ArticleList)
        assert article_list.cursor == 1
        assert app.main.view.id == article_list.rows[1].id  # moving previews the article
        await pilot.press("tab")
        assert isinstance(app.focused, ReaderView)
        await pilot.press("j", "j", "down")
        assert app.main.query_one(ReaderView).paragraph == 3
        await pilot.press("k")
        assert app.main.query_one(ReaderView).paragraph == 2
        await pilot.press("tab")
        assert isinstance(app.focused, EntitySidebar)
        await pilot.press("tab")
        assert isinstance(app.focused, EventStrip)
        await pilot.press("shift+tab", "shift+tab", "shift+tab")
        assert isinstance(app.focused, ArticleList)
        await pilot.press("G")
        assert article_list.cursor == 4
        await pilot.press("g")
        assert article_list.cursor == 0


async def test_command_palette_runs_a_jump(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = await open_source(pilot, "Daily Sabah")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Next source")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.view.id != start


async def test_mouse_click_opens_article(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        article_list = app.main.query_one(ArticleList)
        await pilot.click("#list", offset=(10, 3))  # border row + rows 0,1 -> row 2
        await settle(pilot)
        assert article_list.cursor == 2
        assert app.main.view.id == article_list.rows[2].id


async def test_q_quits(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (0, None)
    assert not app.is_running


# --- 6. untrusted text ------------------------------------------------------------------------


async def test_hostile_text_is_shown_literally(library: Library, tmp_path: Path) -> None:
    bad = tmp_path / "hostile"
    bad.mkdir()
    (bad / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    report = library.add([bad / "hostile.txt"])
    assert report.added, report
    aid = report.added[0]
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_article(aid)
        await settle(pilot)
        reader = app.main.query_one(ReaderView)
        body = "\n".join(p.text.plain for p in reader._paras)
        assert "[bold]x[/bold]" in body
        assert "[link=http://evil]y[/link]" in body
        assert "[on red]bg[/on red]" in body
        for ch in ("\x1b", "\x07", "\x08", "\u202e"):
            assert ch not in body
        for p in reader._paras:
            for span in p.text.spans:
                style = span.style if isinstance(span.style, Style) else Style.parse(span.style)
                assert style.link is None
                assert not (style.bold and span.end - span.start == 1)  # "x" not bolded
        # the list line and the rendered screen show the literal title, no control bytes
        article_list = app.main.query_one(ArticleList)
        article_list.select(aid)
        line = article_list.render_line(article_list.cursor - int(article_list.scroll_y)).text
        assert "Hostile [bold]x[/bo" in line
        head = reader.query_one("#reader-head").render()
        assert "Hostile [bold]x[/bold] headline" in str(head)
        svg = app.export_screenshot()
        assert "[bold]x[/bold]" in svg.replace("&#160;", " ")
        assert "pwned" not in svg or "\x1b" not in svg
        assert "\x1b" not in svg and "\x07" not in svg
