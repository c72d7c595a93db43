"""The app at every size: titles and outlets readable at 120 columns, panes folding at 80x24, a
key maximising the focused pane (the real app through Pilot on the seed library, plus long
outlet names added to it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.library import Library
from reader.app import ReaderApp
from reader.panes.article_list import ArticleList
from reader.panes.entities import EntitySidebar
from reader.panes.events import EventStrip
from reader.panes.reader_view import ReaderView
from tests.test_app import library, make_app, seed_library, settle  # noqa: F401 (fixtures)

LONG_OUTLETS = ["The New York Times International Edition", "TRTWorld and Agencies"]


@pytest.fixture
def long_library(library: Library, tmp_path: Path) -> Library:
    """The seed library plus two articles from outlets with long names."""
    folder = tmp_path / "long"
    folder.mkdir()
    for i, outlet in enumerate(LONG_OUTLETS):
        (folder / f"a{i}.txt").write_text(
            f"Markets in Basra reopen after the floods of the autumn season number {i}\n\n"
            f"date 2017-10-2{i}\n\nSOURCE: {outlet}\n\n"
            f"Traders in Basra reopened the covered market on Monday, officials said ({i}).\n",
            encoding="utf-8")
    report = library.add([folder])
    assert len(report.added) == 2, report
    return library


def row_cells(app: ReaderApp, index: int) -> list[str]:
    """The text of each segment of one rendered list row."""
    alist = app.main.query_one(ArticleList)
    strip = alist.render_line(index - int(alist.scroll_offset.y))
    return [seg.text for seg in strip]


@pytest.mark.parametrize("size", [(120, 35), (160, 45), (200, 50)])
async def test_titles_get_forty_cells_and_outlets_cut_at_words(
        long_library: Library, size: tuple[int, int]) -> None:
    app = make_app(long_library)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        alist = app.main.query_one(ArticleList)
        for outlet in LONG_OUTLETS:
            index = next(i for i, r in enumerate(alist.rows) if r.source == outlet)
            alist.select(alist.rows[index].id)
            await pilot.pause()
            cells = row_cells(app, index)
            date = next(i for i, c in enumerate(cells) if c.strip() == "2017-10-2" + c.strip()[-1:])
            source = cells[date + 1].strip()  # the cell after the date
            title = cells[-1].rstrip()
            assert len(cells[-1]) >= 40, (size, cells)  # the title's cell
            assert source.endswith("…") and source[:-1] in outlet
            end = outlet.index(source[:-1]) + len(source) - 1
            assert outlet[end] == " ", f"{source!r} cut {outlet!r} mid-word"
            assert title.startswith("Markets in Basra reopen after the")


async def test_80x24_folds_the_sidebar_and_strip_away(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main
        reader = main.query_one(ReaderView)
        assert main.has_class("-fold")
        assert not main.query_one(EntitySidebar).display or \
            main.query_one(EntitySidebar).region.height == 0
        assert main.query_one(EventStrip).region.height == 0
        assert main.query_one(ArticleList).region.height >= 5
        assert reader.region.height >= 10  # the list and the reader keep the screen
        await pilot.press("3")  # the entities take the reader's place
        await pilot.pause()
        sidebar = main.query_one(EntitySidebar)
        assert main.focused is sidebar and sidebar.region.height >= 10
        assert reader.region.height == 0
        await pilot.press("4")
        await pilot.pause()
        assert main.focused is main.query_one(EventStrip)
        assert main.query_one(EventStrip).region.height >= 10
        await pilot.press("2")  # back to the reader
        await pilot.pause()
        assert main.focused is reader and reader.region.height >= 10
        assert sidebar.region.height == 0
        await pilot.resize_terminal(160, 45)  # room again: everything shows
        await settle(pilot)
        assert not main.has_class("-fold")
        assert sidebar.region.height > 10 and main.query_one(EventStrip).region.height >= 6


@pytest.mark.parametrize("pane", ["list", "reader", "entities", "events"])
async def test_f_maximises_the_focused_pane_and_restores(library: Library, pane: str) -> None:
    app = make_app(library)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        main = app.main
        key = {"list": "1", "reader": "2", "entities": "3", "events": "4"}[pane]
        widget = main.query_one(f"#{pane}")
        await pilot.press(key)
        await pilot.pause()
        normal = widget.region
        await pilot.press("f")
        await pilot.pause()
        assert main.maximized is widget
        assert widget.region.width == 120 and widget.region.height >= 30
        await pilot.press("f")
        await pilot.pause()
        assert main.maximized is None and widget.region == normal


async def test_big_library_shows_its_newest_rows_first(long_library: Library,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import reader.screens.main as main_module
    from reader.gate import Gate
    from reader.messages import RowsLoaded

    gate = Gate(long_library)
    assert gate.first_rows(3) == gate.list_rows()[:3]  # the same rows, story counts included
    monkeypatch.setattr(main_module, "FIRST_PAGE", 3)
    monkeypatch.setattr(main_module, "PARTIAL_FROM", 3)  # "big": more than 3 articles
    seen: list = []
    app = make_app(long_library)
    async with app.run_test(size=(120, 35), message_hook=seen.append) as pilot:
        await settle(pilot)
        # (a message is seen once per node it bubbles through: count each once)
        loads = list({id(m): m for m in seen if isinstance(m, RowsLoaded)}.values())
        assert [len(m.rows) for m in loads] == [3, 7] and loads[0].total == 7
        assert loads[1].total is None
        alist = app.main.query_one(ArticleList)
        assert len(alist.rows) == 7 and alist.border_title.startswith("Articles · 7 ·")
        assert app.main.view is not None and app.main.view.id == alist.rows[0].id


async def test_big_library_opens_its_first_article_once(long_library: Library,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # The first rows open their first article; when the library is busy (the rows worker
    # reading the rest holds it), a worker reads it. The rest of the rows arriving before that
    # article must not open it again: that cancelled the first load (a WorkerCancelled out of
    # waiting for the workers: the flaky test above) and read the article twice.
    from textual.worker import Worker, WorkerState

    import reader.screens.main as main_module
    from reader.gate import Gate

    monkeypatch.setattr(main_module, "FIRST_PAGE", 3)
    monkeypatch.setattr(main_module, "PARTIAL_FROM", 3)
    monkeypatch.setattr(Gate, "try_article_text", lambda self, article_id: None)
    opened: list[str] = []
    load = main_module.MainScreen.load_article

    def counting(self, seq, article_id, *args, **kw):  # type: ignore[no-untyped-def]
        if not kw.get("shown", args[5] if len(args) > 5 else False):
            opened.append(article_id)
        return load(self, seq, article_id, *args, **kw)

    monkeypatch.setattr(main_module.MainScreen, "load_article", counting)
    seen: list = []
    app = make_app(long_library)
    async with app.run_test(size=(120, 35), message_hook=seen.append) as pilot:
        await settle(pilot)
        alist = app.main.query_one(ArticleList)
        assert app.main.view is not None and app.main.view.id == alist.rows[0].id
        assert opened == [alist.rows[0].id]
        assert not [m for m in seen if isinstance(m, Worker.StateChanged)
                    and m.worker.group == "load" and m.state == WorkerState.CANCELLED]


async def test_held_j_lands_on_the_last_row_and_never_jumps_back(long_library: Library) -> None:
    from textual import events

    app = make_app(long_library)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        alist = app.main.query_one(ArticleList)
        alist.focus()
        await pilot.pause()
        for _ in range(6):  # a held key: six presses delivered before any is handled
            key = events.Key("j", "j")
            key.set_sender(app)
            app._driver.send_message(key)
        await settle(pilot)
        assert alist.cursor == 6  # no press lost to a load moving the cursor back
        assert app.main.view is not None and app.main.view.id == alist.rows[6].id
        assert app.main.query_one(ReaderView).article.id == alist.rows[6].id
        assert app.main.query_one(EventStrip).article_id == alist.rows[6].id


async def test_a_stale_highlight_never_moves_the_cursor_back(long_library: Library) -> None:
    # a held key: the cursor has moved on to row 3 while the message of row 1 is still queued
    app = make_app(long_library)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        alist = app.main.query_one(ArticleList)
        alist.focus()
        await pilot.press("j", "j", "j")
        await settle(pilot)
        assert alist.cursor == 3 and app.main.view.id == alist.rows[3].id
        alist.post_message(ArticleList.Highlighted(alist.rows[1].id))
        await settle(pilot)
        assert alist.cursor == 3 and app.main.view.id == alist.rows[3].id
