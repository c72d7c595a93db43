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
        harbour = Subscriptions(library).article_ids("Harbour")
        with Library(library.path) as other:
            other.mark([harbour[0]], read=True)
        await pilot.press("F")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FeedsScreen)
        table = screen.query_one(DataTable)
        cells = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert cells[0][0] == "Broken" and "500" in cells[0][4]
        assert cells[1][0] == "Harbour" and cells[1][2:4] == ["3", "3"]  # new, articles
        with Library(library.path) as other:
            unread = sum(1 for a in harbour if a not in other.read_ids())
        assert unread < 3 and cells[1][1] == str(unread)
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


# --- the library busy with another process's add; the refresh interval ------------------------

HOLD = """
import sys, time
from index.library import Library
lib = Library(sys.argv[1])
with lib._write_lock(doing="add"):
    print("held", flush=True)
    sys.stdin.readline()
"""


def hold_library(path: Path):  # type: ignore[no-untyped-def]
    """Another process holding the library's writer lock (as an add does) until told."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


async def _until(pilot, test, seconds: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    for _ in range(int(seconds / 0.05)):
        if test():
            return
        await asyncio.sleep(0.05)
        await pilot.pause()
    raise AssertionError("never happened")


async def test_r_waits_for_another_process_then_refreshes(library: Library, srv) -> None:
    url = srv.add("/w.xml", Resource(rss([full_item(n) for n in range(2)]),
                                     "application/rss+xml"))
    Subscriptions(library).add(url, name="Wharf", fetch=False)
    holder = None
    try:
        app = make_app(library)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)  # (before the lock is taken: opening marks an article read)
            holder = hold_library(library.path)
            await pilot.press("r")
            await _until(pilot, lambda: "waiting" in app.main.status_text)
            assert app.main.status_text.startswith("The library is busy: another reader")
            assert "r: stop waiting" in app.main.status_text
            assert app.main._refreshing
            holder.stdin.write("\n")  # type: ignore[union-attr]
            holder.stdin.flush()  # type: ignore[union-attr]
            holder.wait(timeout=20)
            await _until(pilot, lambda: app.main.status_text.startswith("Refreshed"))
            assert app.main.status_text == "Refreshed 1 feed · 2 new"
            await settle(pilot)
            assert len(list_ids(app)) == 7
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()


async def test_r_again_stops_the_wait_and_nothing_is_added(library: Library, srv) -> None:
    url = srv.add("/s.xml", Resource(rss([full_item(n) for n in range(2)]),
                                     "application/rss+xml"))
    Subscriptions(library).add(url, name="Quay", fetch=False)
    holder = None
    try:
        app = make_app(library)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            holder = hold_library(library.path)
            await pilot.press("r")
            await _until(pilot, lambda: "waiting" in app.main.status_text)
            await pilot.press("r")
            await _until(pilot, lambda: not app.main._refreshing, seconds=5)
            assert app.main.status_text == "refresh stopped while waiting; nothing was added"
            assert len(list_ids(app)) == 5
            holder.kill()  # (before the app quits: it would wait to save a mark)
            holder.wait()
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
    assert Subscriptions(library).feeds()[0].last_success is None  # nothing recorded


async def test_refresh_interval_from_the_config(library: Library, srv, tmp_path: Path) -> None:
    from reader.config import load_config

    url = srv.add("/i.xml", Resource(rss([full_item(n) for n in range(2)]),
                                     "application/rss+xml"))
    Subscriptions(library).add(url, name="Pier", fetch=False)
    conf = tmp_path / "config.toml"
    conf.write_text("[feeds]\nrefresh_every = 5\n", encoding="utf-8")
    cfg = load_config(conf)
    assert cfg.refresh_every == 300 and not cfg.problems
    cfg.refresh_every = 0.5  # the same setting, sooner (the file's minimum is a minute)
    seen: list = []
    app = make_app(library, config=cfg)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        def done_list() -> list:  # (a message is seen again as it bubbles up)
            return list({id(m): m for m in seen if isinstance(m, FeedsRefreshed)}.values())

        await _until(pilot, lambda: len(done_list()) >= 2)
        done = done_list()
        assert done[0].report is not None and len(done[0].report.added) == 2
        assert done[1].report is not None and done[1].report.added == []  # again: nothing new
        await settle(pilot)
        assert len(list_ids(app)) == 7
    # off by default: no file, no interval, and nothing fetched
    srv.seen.clear()
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(1.0)
        assert srv.seen == []


def test_config_problems_are_one_line_each(tmp_path: Path) -> None:
    from reader.config import load_config, parse_config

    assert load_config(tmp_path / "none.toml").refresh_every is None
    assert parse_config("[feeds]\nrefresh_every = 0\n").refresh_every is None
    bad = parse_config("[feeds]\nrefresh_every = 'often'\ncolour = 1\n[other]\nx=1\n")
    assert bad.refresh_every is None and len(bad.problems) == 3
    low = parse_config("[feeds]\nrefresh_every = 0.01\n")
    assert low.refresh_every == 60 and len(low.problems) == 1
    assert parse_config("not toml [").problems[0].startswith("config.toml: not TOML")


async def test_refresh_on_start_and_the_feeds_view_updates(library: Library, srv,
                                                         tmp_path: Path) -> None:
    from reader.config import parse_config

    url = srv.add("/o.xml", Resource(rss([full_item(n) for n in range(2)]),
                                     "application/rss+xml"))
    Subscriptions(library).add(url, name="Mole", fetch=False)
    cfg = parse_config("[feeds]\nrefresh_on_start = true\n")
    assert cfg.refresh_on_start and cfg.refresh_every is None and not cfg.problems
    assert parse_config("[feeds]\nrefresh_on_start = 'yes'\n").problems
    app = make_app(library, config=cfg)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _until(pilot, lambda: app.main.status_text.startswith("Refreshed"))
        assert app.main.status_text == "Refreshed 1 feed · 2 new"
        await settle(pilot)
        assert len(list_ids(app)) == 7
        # the feeds view, open while a refresh ends, shows the new counts
        srv.add("/o.xml", Resource(rss([full_item(n) for n in range(4)]),
                                   "application/rss+xml"))
        await pilot.press("F")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert [str(c) for c in table.get_row_at(0)][3] == "2"
        await pilot.press("r")
        await _until(pilot, lambda: app.main.status_text == "Refreshed 1 feed · 2 new"
                     and not app.main._refreshing)
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert [str(c) for c in table.get_row_at(0)][3] == "4"


async def test_an_undated_item_shows_fetched_not_a_date(library: Library, srv) -> None:
    from reader.panes.article_list import ArticleList
    from reader.panes.reader_view import ReaderView

    undated = {**full_item(7), "date": None}
    url = srv.add("/h.xml", Resource(rss([full_item(6), undated]), "application/rss+xml"))
    Subscriptions(library).add(url, name="Harbour", fetch=False)
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        lst = app.main.query_one(ArticleList)
        rows = {r.title: k for k, r in enumerate(lst.rows)}
        assert {"Harbour story number 6", "Harbour story number 7"} <= set(rows)

        async def line(k: int):  # type: ignore[no-untyped-def]
            lst.scroll_to(y=max(0, k - 2), animate=False)
            await settle(pilot)
            return lst.render_line(k - int(lst.scroll_offset.y))

        strip = await line(rows["Harbour story number 7"])
        text = "".join(s.text for s in strip)
        assert "fetched" in text and "Harbour story number 7" in text
        assert any(s.text.startswith("fetched") and s.style and s.style.dim for s in strip)
        strip = await line(rows["Harbour story number 6"])
        assert "2024-03-05" in "".join(s.text for s in strip)
        assert not any(s.text.startswith("fetched") for s in strip)
        app.main.open_article(lst.rows[rows["Harbour story number 7"]].id)
        await settle(pilot)
        head = str(app.main.query_one(ReaderView).query_one("#reader-head").render())
        assert "Harbour" in head and "fetched " in head and "(no date given)" in head
