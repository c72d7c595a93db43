"""Pilot journeys for issue 13 in the app: marks, unread only, sort, links, export, pager,
remove with undo, saved searches, coverage, the state file, the help legend."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from index.library import Library
from reader.panes.article_list import STAR_MARK, UNREAD_MARK, ArticleList
from reader.panes.reader_view import EVERYWHERE, ONLY_HERE, Paragraph, ReaderView
from tests.test_app import SIZE, library, make_app, seed_library, settle  # noqa: F401

TRT = "d899b682e974f0a3"
AFP = "662c503237eed907"


def _text(renderable) -> str:  # type: ignore[no-untyped-def]
    """What a Rich renderable shows, as plain text."""
    from rich.console import Console

    con = Console(width=150, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    con.print(renderable)
    return con.export_text()


def _line(app, index: int) -> str:  # type: ignore[no-untyped-def]
    lst = app.main.query_one(ArticleList)
    return "".join(s.text for s in lst.render_line(index - int(lst.scroll_offset.y)))


async def test_marks_read_star_unread_only_and_counts(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        m = app.main
        lst = m.query_one(ArticleList)
        first = lst.rows[0].id
        # the first article opened at launch is read; the other four are unread
        assert m.read_ids == {first}
        assert "5 · 4 unread" in lst.border_title and "by date" in lst.border_title
        assert _line(app, 0).startswith("  ") and _line(app, 1).startswith(UNREAD_MARK)
        await pilot.press("j")
        await settle(pilot)
        second = lst.rows[1].id
        assert library.read_ids() == {first, second}
        await pilot.press("m")  # back to unread
        await settle(pilot)
        assert library.read_ids() == {first}
        assert _line(app, 1).startswith(UNREAD_MARK)
        await pilot.press("s")
        await settle(pilot)
        assert library.starred_ids() == {second}
        assert _line(app, 1)[1] == STAR_MARK and "1★" in lst.border_title
        await pilot.press("u")  # unread only: the read first article goes
        await settle(pilot)
        assert first not in [r.id for r in lst.rows] and len(lst.rows) == 4
        assert "unread only" in lst.border_title
        await pilot.press("u")
        await settle(pilot)
        assert len(lst.rows) == 5
        # is: queries in the app's search
        await pilot.press("slash", *"is:starred", "enter")
        await settle(pilot)
        assert [r.id for r in lst.rows] == [second]
    # the marks are in the store: a new session sees them
    app2 = make_app(library)
    async with app2.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert second in app2.main.starred_ids


async def test_sort_cycles_and_title_says_which(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lst = app.main.query_one(ArticleList)
        dates = [r.published for r in lst.rows]
        assert dates == sorted(dates, reverse=True)
        await pilot.press("O")
        assert "by source" in lst.border_title
        sources = [r.source.casefold() for r in lst.rows]
        assert sources == sorted(sources)
        await pilot.press("O")
        assert "by date" in lst.border_title
        await pilot.press("slash", *"Daesh", "enter")
        await settle(pilot)
        assert "by relevance" in lst.border_title
        scores = [r.score for r in lst.rows]
        assert scores == sorted(scores, reverse=True)
        await pilot.press("O")  # relevance -> date
        assert "by date" in lst.border_title
        assert [r.published for r in lst.rows] == sorted((r.published for r in lst.rows),
                                                          reverse=True)
        await pilot.press("O", "O")
        assert "by relevance" in lst.border_title


async def test_link_shown_opened_only_on_key_and_copied(library: Library, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # a "browser" that records what it was asked to open
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f"#!/bin/sh\necho \"$1\" >> {opened}\n")
    browser.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(browser))
    import webbrowser

    monkeypatch.setattr(webbrowser, "_tryorder", None)
    library.conn.execute("UPDATE articles SET url='https://example.org/afp' WHERE id=?", (AFP,))
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_article(AFP)
        await settle(pilot)
        head = str(app.main.query_one("#reader-head").render())
        assert "https://example.org/afp" in head
        assert not opened.exists()  # nothing opened by showing it
        await pilot.press("y")
        assert app.clipboard == "https://example.org/afp"
        await pilot.press("o")
        await settle(pilot)
        assert opened.read_text().strip() == "https://example.org/afp"
        app.main.open_article(TRT)  # no URL
        await settle(pilot)
        await pilot.press("o")
        assert "no URL" in app.main.status_text
        assert opened.read_text().count("\n") == 1


async def test_export_and_pager(library: Library, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER_EXPORT_DIR", str(tmp_path / "out"))
    piped = tmp_path / "piped.txt"
    monkeypatch.setenv("PAGER", f"{sys.executable} -c \"import sys,shutil; "
                       f"shutil.copyfileobj(sys.stdin, open({str(piped)!r}, 'w'))\"")
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_article(AFP)
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        files = list((tmp_path / "out").iterdir())
        assert len(files) == 1 and files[0].suffix == ".md"
        assert str(files[0]) in app.main.status_text
        assert files[0].read_text().startswith("# Iraqi forces open new front in final push")
        app.main.open_article(TRT)
        await settle(pilot)
        await pilot.press("X")
        await settle(pilot)
        story = [f for f in (tmp_path / "out").iterdir() if f.name.startswith("story-")]
        assert len(story) == 1 and story[0].read_text().count("\n---\n") == 3
        await pilot.press("vertical_line")
        await settle(pilot)
        assert piped.read_text().startswith("Iraq launches offensive on last Daesh-held")


async def test_remove_with_undo_and_applied_on_quit(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lst = app.main.query_one(ArticleList)
        victim = lst.rows[0].id
        await pilot.press("d")
        await settle(pilot)
        assert victim not in [r.id for r in lst.rows] and len(lst.rows) == 4
        assert "z: undo" in app.main.status_text
        await pilot.press("z")
        await settle(pilot)
        assert victim in [r.id for r in lst.rows]
        assert library.count() == 5
        await pilot.press("j", "d")
        await settle(pilot)
        gone = app.main.hidden[-1][0]
        assert gone != victim and len(lst.rows) == 4
        assert library.count() == 5  # applied when the app quits
    with Library(library.path) as again:
        assert again.count() == 4
        assert gone not in {r.id for r in again.rows()}
        assert gone not in {r.id for r in again.search("Daesh", limit=None)}


async def test_coverage_marks_in_the_reader(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_article(TRT)
        await settle(pilot)
        cov = library.coverage(TRT)
        marks = {p.index: p.coverage for p in app.main.query(Paragraph)}
        assert {i for i, m in marks.items() if m == ONLY_HERE} == set(cov.only_here)
        assert {i for i, m in marks.items() if m == EVERYWHERE} == set(cov.everywhere)
        assert cov.only_here
        app.main.open_article(AFP)  # a lone article: no marks
        await settle(pilot)
        assert all(not p.coverage for p in app.main.query(Paragraph))



async def test_coverage_view_and_opening_an_outlet(library: Library) -> None:
    from textual.widgets import OptionList

    from reader.screens.coverage import CoverageScreen

    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_article(TRT)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CoverageScreen)
        options = screen.query_one(OptionList)
        assert options.option_count == 4
        body = _text(screen._rest())
        assert "Only here: 2 paragraphs" in body and "Every outlet publishing then" in body
        # the first outlet (oldest) is Milli Gazete: enter opens its article
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, CoverageScreen)
        assert app.main.view is not None and app.main.view.source == "Milli Gazete"
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("escape")
        assert not isinstance(app.screen, CoverageScreen)


async def test_saved_searches_save_list_run_and_palette(library: Library) -> None:
    from reader.screens.coverage import SavedSearchesScreen, SaveSearchScreen

    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S")
        assert "Nothing to save" in app.main.status_text
        await pilot.press("slash", *"source:AFP", "enter")
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        assert isinstance(app.screen, SaveSearchScreen)
        await pilot.press(*"afp wire", "enter")
        await settle(pilot)
        assert library.saved_searches() == [("afp wire", "source:AFP")]
        await pilot.press("escape")  # clear the search
        await settle(pilot)
        assert len(app.main.query_one(ArticleList).rows) == 5
        await pilot.press("apostrophe")
        await settle(pilot)
        assert isinstance(app.screen, SavedSearchesScreen)
        # one match, unread unless AFP was the article open at launch
        total, unread = app.main.saved[0][2], app.main.saved[0][3]
        assert total == 1 and unread == (0 if AFP in app.main.read_ids else 1)
        await pilot.press("enter")
        await settle(pilot)
        assert [r.id for r in app.main.query_one(ArticleList).rows] == [AFP]
        titles = [c.title for c in app.main.daily_commands()]
        assert any(t.startswith("Saved search: afp wire (") for t in titles)


def test_state_file_bad_input(tmp_path: Path) -> None:
    from reader.state import load_state, save_state

    f = tmp_path / "state.json"
    lib = tmp_path / "lib"
    assert load_state(lib, f) == {}  # no file
    for bad in (b"", b"{not json", b"[1, 2]", b'{"libraries": 3}', b"\xff\xfe\x00garbage",
                b'{"libraries": {"%s": "x"}}' % str(lib.resolve()).encode()):
        f.write_bytes(bad)
        assert load_state(lib, f) == {}
        assert save_state(lib, {"article": "abc", "paragraph": 2}, f)  # replaces it
        assert load_state(lib, f) == {"article": "abc", "paragraph": 2}
    # wrong kinds are dropped, the rest kept
    f.write_text(json.dumps({"libraries": {str(lib.resolve()): {
        "article": 5, "paragraph": True, "query": "x", "unread_only": True, "sort": "source",
        "junk": 1}}}))
    assert load_state(lib, f) == {"query": "x", "unread_only": True, "sort": "source"}
    # a folder where the file should be: nothing saved, nothing raised
    (tmp_path / "dir").mkdir()
    assert save_state(lib, {"article": "a"}, tmp_path / "dir") is False
    assert load_state(lib, tmp_path / "dir") == {}


async def test_the_place_comes_back_and_a_broken_state_file_is_replaced(
        library: Library, tmp_path: Path) -> None:
    from reader.panes.search import SearchLine

    state = Path(os.environ["READER_STATE"])
    state.write_bytes(b"\x00 broken {")
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:  # a broken file: a first launch
        await settle(pilot)
        assert app.main.query_text == ""
        await pilot.press("slash", *"Daesh", "enter")
        await settle(pilot)
        app.main.open_article(TRT, 3)
        await settle(pilot)
        await pilot.press("O", "u", "2")  # by date, unread only, focus the reader
        await settle(pilot)
    saved = json.loads(state.read_text())["libraries"]
    entry = next(iter(saved.values()))
    assert len(saved) == 1 and entry.pop("cursor") in {r.id for r in library.rows()}
    assert entry == {"article": TRT, "paragraph": 3, "query": "Daesh", "focus": "reader",
                     "sort": "date", "unread_only": True}
    app2 = make_app(library)
    async with app2.run_test(size=SIZE) as pilot:
        await settle(pilot)
        m = app2.main
        assert m.query_one(SearchLine).value == "Daesh" and m.search_hits is not None
        assert m.view is not None and m.view.id == TRT
        assert m.query_one(ReaderView).paragraph == 3
        assert m.unread_only and isinstance(app2.focused, ReaderView)


async def test_help_has_a_legend_and_lists_remapped_keys_once(library: Library) -> None:
    from reader.bindings import binding_ids, effective_keys
    from reader.keys import parse_keys
    from reader.screens.help import HelpScreen

    km = parse_keys('[keys]\n"main.toggle_star" = "f"\n"list.read" = "enter, j"\n',
                    binding_ids())
    app = make_app(library, keys=km)
    async with app.run_test(size=(160, 200)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = _text(app.screen._table())
        for mark in ("•", "★", "◆", "≡", "×3", "4 src", "●", "○", "+3"):
            assert mark in text, mark
        await pilot.press("escape")
        await pilot.press("f")  # the remapped star key works
        await settle(pilot)
        assert app.main.starred_ids
    from reader.panes.article_list import ArticleList as AL

    keys = dict(zip([b.id for b in AL.BINDINGS],
                    effective_keys(list(AL.BINDINGS), km.keys), strict=True))
    assert keys["list.read"] == "enter,j" and keys["list.down"] == "down"  # j moved, once


async def test_results_are_not_cut_at_200(tmp_path: Path) -> None:
    import json as _json

    from reader.screens.main import SEARCH_LIMIT

    src = tmp_path / "many.jsonl"
    with src.open("w") as f:
        for i in range(SEARCH_LIMIT * 2 + 50):
            f.write(_json.dumps({"title": f"Harbour report {i}", "source": f"Outlet {i % 7}",
                                 "published": f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}",
                                 "body": f"The harbour master counted {i} ships today."}) + "\n")
    with Library(tmp_path / "lib") as lib:
        lib.add([src], enrich=False)
    lib = Library(tmp_path / "lib")
    try:
        app = make_app(lib)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("slash", *"harbour", "enter")
            await settle(pilot)
            lst = app.main.query_one(ArticleList)
            assert len(lst.rows) == SEARCH_LIMIT * 2 + 50
            assert lst.border_title.startswith(f"Results · {SEARCH_LIMIT * 2 + 50} ·")
            assert app.main.status_text.startswith(f"{SEARCH_LIMIT * 2 + 50} results for")
            lst.focus()
            await pilot.press("end")  # the last one is there to scroll to
            await settle(pilot)
            assert lst.cursor == len(lst.rows) - 1
    finally:
        lib.close()


async def test_an_open_app_sees_a_removal_from_the_command_line(library: Library) -> None:
    from tests.conftest import CLI

    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert TRT in [r.id for r in app.main.query_one(ArticleList).rows]
        # not the newest article: the list's top number does not move
        out = CLI(library.path)("remove", TRT, "--yes")
        assert out.returncode == 0, out.stderr
        app.main.poll_generation()
        await settle(pilot)
        rows = [r.id for r in app.main.query_one(ArticleList).rows]
        assert TRT not in rows and len(rows) == 4
