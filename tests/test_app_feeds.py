"""The app's feeds: `r` refreshes in a worker with progress, new articles appear, errors show in
one line; `F` lists the feeds and filters the list to one. A loopback server, no internet."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import DataTable

from index.library import Library
from index.subscriptions import Subscriptions
from reader.messages import FeedsProgress, FeedsRefreshed
from reader.screens.feeds import FeedsScreen
from tests.loopback import Loopback, Resource
from tests.test_app import SIZE, build_library, list_ids, make_app, settle
from tests.test_subscriptions import full_item, rss


@pytest.fixture(scope="module")
def seed_lib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_library(tmp_path_factory.mktemp("feedapp"))


@pytest.fixture
def srv():
    with Loopback() as s:
        yield s


@pytest.fixture
def library(seed_lib: Path, tmp_path: Path):
    shutil.copytree(seed_lib, tmp_path / "lib")
    lib = Library(tmp_path / "lib")
    yield lib
    lib.close()


async def test_r_refreshes_in_a_worker_and_new_articles_appear(library: Library, srv) -> None:
    good = srv.add("/h.xml", Resource(rss([full_item(n) for n in range(3)]),
                                      "application/rss+xml"))
    broken = srv.add("/b.xml", Resource(status=500))
    subs = Subscriptions(library)
    subs.add(good, name="Harbour", fetch=False)
    subs.add(broken, name="Broken", fetch=False)
    seen: list = []
    app = make_app(library)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        assert len(list_ids(app)) == 5
        assert srv.seen == []  # nothing fetched until asked
        await pilot.press("r")
        await settle(pilot)
        progress = [m.progress for m in seen if isinstance(m, FeedsProgress)]
        assert progress and progress[0].total == 2
        done = [m for m in seen if isinstance(m, FeedsRefreshed)]
        assert done and done[0].report is not None and len(done[0].report.added) == 3
        assert len(list_ids(app)) == 8  # without a restart
        status = app.main.status_text
        assert status == "Refreshed 1 feed · 3 new · 1 failed (Broken: server error (500))"
        assert "\n" not in status

        # the feeds view: counts and the error, enter filters the list to the feed
        await pilot.press("F")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FeedsScreen)
        table = screen.query_one(DataTable)
        cells = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert cells[0][0] == "Broken" and "500" in cells[0][3]
        assert cells[1][:3] == ["Harbour", "3", "3"]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, FeedsScreen)
        ids = list_ids(app)
        assert len(ids) == 3 and set(ids) == set(Subscriptions(library).article_ids("Harbour"))
        assert "3 articles from Harbour" in app.main.status_text
        await pilot.press("escape")
        await settle(pilot)
        assert len(list_ids(app)) == 8


async def test_refresh_without_feeds_says_how_to_add_one(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert "reader feed add URL" in app.main.status_text
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(app.screen, FeedsScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, FeedsScreen)
