"""Feeds in the app: the refresh worker's messages and the feeds view.

``r`` on the main screen refreshes every feed in a thread worker (:func:`refresh_in_worker`),
which opens a library of its own (as an ingest does) and posts :class:`FeedsProgress` ("12/40
feeds · 57 new") and, at the end, :class:`FeedsRefreshed`. The app never touches the network
otherwise.

``F`` (or the palette) opens :class:`FeedsScreen`: every feed with its unread, new (last refresh)
and total articles and its last error on one line; choosing one dismisses the screen with the feed, and the main screen
filters the article list to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from index.library import Cancelled, Library, LibraryBusy
from reader.messages import FeedsProgress, FeedsRefreshed, FeedsWaiting
from reader.panes.model import plain

if TYPE_CHECKING:  # fetching (httpx, ssl) is imported when a refresh or this screen needs it,
    # not when the app starts
    from index.subscriptions import FeedRow, RefreshProgress, RefreshReport


@dataclass(frozen=True, slots=True)
class FeedChosen:
    """The feed picked in the feeds view: its row id and name."""

    id: int
    name: str


def progress_text(p: RefreshProgress) -> str:
    """``12/40 feeds · 57 new`` (and ``adding 30/57`` once articles are being stored: feeds
    still arriving are added as they come)."""
    line = f"{p.done}/{p.total} feeds · {p.new} new"
    if p.phase == "fetch" and not p.added:
        return line
    return f"{line} · adding {p.added}/{p.adding}"


def report_text(report: RefreshReport) -> tuple[str, bool]:
    """The status line after a refresh, and whether it reports a failure. Failed feeds are
    named with the first one's reason, on one line."""
    fetched = [f for f in report.feeds if f.status in ("new", "unchanged")]
    failed = [f for f in report.feeds if f.status in ("error", "gone", "held")]
    line = (f"Refreshed {len(fetched)} feed{'s' if len(fetched) != 1 else ''} · "
            f"{len(report.added)} new")
    updated = sum(f.updated for f in report.feeds)
    if updated:
        line += f" · {updated} updated"
    if failed:
        first = failed[0]
        line += (f" · {len(failed)} failed ({first.name}: {first.error}"
                 + (f"; and {len(failed) - 1} more, see F" if len(failed) > 1 else "") + ")")
    damaged = [f for f in fetched if f.error]  # read, with a problem (a damaged feed)
    if damaged and not failed:
        first = damaged[0]
        line += (f" · {first.name}: {first.error}"
                 + (f"; and {len(damaged) - 1} more, see F" if len(damaged) > 1 else ""))
    return line, bool(failed)


WAIT_STEP = 0.2  # seconds between two looks at a busy library's writer lock


def refresh_in_worker(path: Path, post: Callable[[Message], object],
                      names: list[str] | None = None,
                      cancel: Callable[[], bool] | None = None) -> None:
    """Refresh feeds with a library of the worker's own; posts progress and the report. When
    another process is adding to the library the refresh waits for it (posting
    :class:`FeedsWaiting`), in small steps so that ``cancel`` stops the wait at once."""
    stopped = cancel or (lambda: False)
    from index.subscriptions import Subscriptions

    try:
        with Library(path) as lib:
            subs = Subscriptions(lib)
            if not subs.feeds():
                post(FeedsRefreshed(None, "no feeds yet: add one with `reader feed add URL`"))
                return

            def wait() -> None:
                post(FeedsWaiting(f"the library is busy: {lib.busy_with()}; waiting"))
                while not lib.writer_free():
                    if stopped():
                        raise Cancelled("refresh stopped while waiting; nothing was added")
                    time.sleep(WAIT_STEP)

            def progress(p: RefreshProgress) -> None:
                post(FeedsProgress(p))

            report = subs.refresh(names or None, progress=progress, on_busy=wait,
                                  cancel=stopped)
    except Cancelled as exc:
        post(FeedsRefreshed(None, str(exc), stopped=True))
        return
    except LibraryBusy as exc:
        post(FeedsRefreshed(None, str(exc)))
        return
    except Exception as exc:  # shown in the status line; the app goes on
        post(FeedsRefreshed(None, f"{type(exc).__name__}: {exc}"))
        return
    post(FeedsRefreshed(report, None))


class FeedsScreen(ModalScreen[FeedChosen | None]):
    """The feeds you follow: new and total articles, last error. Enter shows one feed's
    articles in the list.

    | Key | Action |
    | :- | :- |
    | enter | show this feed's articles |
    | r | refresh every feed |
    | escape, q | close |
    """

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="feeds.close"),
        Binding("r", "refresh", "Refresh feeds", id="feeds.refresh"),
    ]

    DEFAULT_CSS = """
    FeedsScreen { align: center middle; }
    FeedsScreen > #feeds-body { width: 90%; height: 80%; border: round $accent;
                               background: $surface; }
    FeedsScreen #feeds-table { height: 1fr; }
    FeedsScreen #feeds-hint { height: 1; color: $text-muted; }
    """

    COMPONENT_CLASSES = {"feeds-screen--error"}

    def __init__(self, library_path: Path, gate_call: Callable[..., object]) -> None:
        super().__init__()
        self.library_path = library_path
        self.gate_call = gate_call
        self.rows: list[FeedRow] = []
        self.unread: dict[int, int] = {}
        """Each feed's articles not marked read."""

    def compose(self) -> ComposeResult:
        with Vertical(id="feeds-body"):
            yield DataTable(id="feeds-table", cursor_type="row", zebra_stripes=True)
            yield Static(Text("enter: this feed's articles · r: refresh · esc: close"),
                         id="feeds-hint")

    def on_mount(self) -> None:
        self.query_one("#feeds-body").border_title = "Feeds"
        table = self.query_one(DataTable)
        table.add_columns("feed", "unread", "new", "articles", "last error")
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="feeds")
    def load(self) -> None:
        """Read the feed rows and their unread counts (through the app's gate)."""
        from index.subscriptions import Subscriptions

        def read(lib: Library) -> tuple[list[FeedRow], dict[int, int]]:
            subs = Subscriptions(lib)
            rows = subs.feeds()
            seen = lib.read_ids()
            unread = {r.id: sum(1 for a in subs.article_ids(r.id) if a not in seen)
                      for r in rows}
            return rows, unread

        got: tuple[list[FeedRow], dict[int, int]] = self.gate_call(read)  # type: ignore[assignment]
        rows, self.unread = got
        self.app.call_from_thread(self.show, rows)

    def show(self, rows: list[FeedRow]) -> None:
        """Fill the table (keeps the cursor on the same feed)."""
        table = self.query_one(DataTable)
        keep = table.cursor_row
        self.rows = rows
        table.clear()
        error_style = self.get_component_rich_style("feeds-screen--error", partial=True)
        for r in rows:
            error = r.last_error or ("gone" if r.gone else "")
            table.add_row(plain(r.name, "bold"), plain(self.unread.get(r.id, "")),
                          plain(r.last_new or ""), plain(r.articles),
                          plain(error, error_style), key=str(r.id))
        if not rows:
            self.query_one("#feeds-hint", Static).update(
                Text("No feeds yet: `reader feed add URL` or `reader feed import FILE.opml`."))
        elif 0 <= keep < len(rows):
            table.move_cursor(row=keep)
        self.query_one("#feeds-body").border_title = f"Feeds · {len(rows)}"

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        row = next((r for r in self.rows if str(r.id) == event.row_key.value), None)
        if row is not None:
            self.dismiss(FeedChosen(row.id, row.name))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        main = next((s for s in self.app.screen_stack if hasattr(s, "action_refresh_feeds")),
                    None)
        if main is not None:
            main.action_refresh_feeds()
