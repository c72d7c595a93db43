"""Snapshots of the app's main visual states, on the seed library (fixed data, no clock).

Update after an intended visual change with ``pytest tests/test_app_snapshots.py --snapshot-update``
and look at the report before committing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.pilot import Pilot

from index.library import Library
from reader.app import ReaderApp
from reader.panes.article_list import ArticleList
from reader.panes.reader_view import ReaderView
from tests.test_app import build_library, settle


@pytest.fixture(scope="module")
def snap_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_library(tmp_path_factory.mktemp("snaplib"))


@pytest.fixture
def app(snap_library: Path, tmp_path: Path) -> ReaderApp:
    shutil.copytree(snap_library, tmp_path / "lib")
    lib = Library(tmp_path / "lib")
    yield ReaderApp(lib, [], poll_interval=None)
    lib.close()


async def open_daily_sabah(pilot: Pilot) -> None:
    await settle(pilot)
    main = pilot.app.main
    target = next(r.id for r in main.query_one(ArticleList).rows if r.source == "Daily Sabah")
    main.open_article(target)
    await settle(pilot)


class TestMain:
    def test_wide(self, snap_compare, app: ReaderApp) -> None:
        assert snap_compare(app, terminal_size=(160, 45), run_before=open_daily_sabah)

    def test_narrow(self, snap_compare, app: ReaderApp) -> None:
        assert snap_compare(app, terminal_size=(80, 24), run_before=open_daily_sabah)


class TestSizes:
    """The main screen at the four sizes issue 12 names (80x24 and 160x45 are in TestMain)."""

    def test_120x35(self, snap_compare, app: ReaderApp) -> None:
        assert snap_compare(app, terminal_size=(120, 35), run_before=open_daily_sabah)

    def test_200x50(self, snap_compare, app: ReaderApp) -> None:
        assert snap_compare(app, terminal_size=(200, 50), run_before=open_daily_sabah)

    def test_folded_entities_80x24(self, snap_compare, app: ReaderApp) -> None:
        async def run_before(pilot: Pilot) -> None:
            await open_daily_sabah(pilot)
            await pilot.press("3")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    def test_reader_maximised_120x35(self, snap_compare, app: ReaderApp) -> None:
        async def run_before(pilot: Pilot) -> None:
            await open_daily_sabah(pilot)
            await pilot.press("2", "f")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(120, 35), run_before=run_before)


class TestSearch:
    def test_results_and_current_hit(self, snap_compare, app: ReaderApp) -> None:
        async def run_before(pilot: Pilot) -> None:
            await settle(pilot)
            await pilot.press("slash", *"leaflets")
            await settle(pilot)
            await pilot.press("enter", "enter")
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)

        assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)

    def test_malformed_query(self, snap_compare, app: ReaderApp) -> None:
        async def run_before(pilot: Pilot) -> None:
            await settle(pilot)
            await pilot.press("slash", *'"Abadi')
            await settle(pilot)
            pilot.app.main.query_one(ArticleList).focus()  # no blinking cursor in the shot
            await pilot.pause()

        assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)


class TestJumps:
    def test_same_passage(self, snap_compare, app: ReaderApp) -> None:
        async def run_before(pilot: Pilot) -> None:
            await settle(pilot)
            main = pilot.app.main
            target = next(r.id for r in main.query_one(ArticleList).rows
                          if r.source.startswith("TRTWorld"))
            main.open_article(target)
            await settle(pilot)
            main.query_one(ReaderView).set_paragraph(3)
            await pilot.press("p")
            await settle(pilot)

        assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)


class TestHelp:
    def test_help(self, snap_compare, app: ReaderApp) -> None:
        async def run_before(pilot: Pilot) -> None:
            await settle(pilot)
            await pilot.press("question_mark")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


class TestDaily:
    """Issue 13: the list with unread and starred marks, the coverage view."""

    def test_list_with_marks(self, snap_compare, app: ReaderApp) -> None:
        async def run_before(pilot: Pilot) -> None:
            await settle(pilot)
            await pilot.press("j", "s", "j", "j", "m")  # read two, star one, one back unread
            await settle(pilot)
            pilot.app.main.query_one(ArticleList).focus()
            await pilot.pause()

        assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)

    def test_coverage_view(self, snap_compare, app: ReaderApp) -> None:
        async def run_before(pilot: Pilot) -> None:
            await settle(pilot)
            main = pilot.app.main
            target = next(r.id for r in main.query_one(ArticleList).rows
                          if r.source.startswith("TRT"))
            main.open_article(target)
            await settle(pilot)
            await pilot.press("c")
            await settle(pilot)

        assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)
