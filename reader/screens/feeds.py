"""Feeds in the app: the refresh worker's messages and the feeds view.

``r`` on the main screen refreshes every feed in a thread worker (:func:`refresh_in_worker`),
which opens a library of its own (as an ingest does) and posts :class:`FeedsProgress` ("12/40
feeds · 57 new") and, at the end, :class:`FeedsRefreshed`. The app never touches the network
otherwise.

``F`` (or the palette) opens :class:`FeedsScreen`: every feed with its new and total articles and
its last error on one line; choosing one dismisses the screen with the feed, and the main screen
filters the article list to it.
"""

from __future__ import annotations

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

from index.library import Library, LibraryBusy
from reader.messages import FeedsProgress, FeedsRefreshed
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
    """``12/40 feeds · 57 new`` (then ``adding 30/57``)."""
    if p.phase == "fetch":
        return f"{p.done}/{p.total} feeds · {p.new} new"
    return f"{p.total}/{p.total} feeds · {p.new} new · adding {p.added}/{p.adding}"


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
    return line, bool(failed)


def refresh_in_worker(path: Path, post: Callable[[Message], object],
                      names: list[str] | None = None) -> None:
    """Refresh feeds with a library of the worker's own; posts progress and the report."""
    from index.subscriptions import Subscriptions

    try:
        with Library(path) as lib:
            subs = Subscriptions(lib)
            if not subs.feeds():
                post(FeedsRefreshed(None, "no feeds yet: add one with `reader feed add URL`"))
                return

            def progress(p: RefreshProgress) -> None:
                post(FeedsProgress(p))

            report = subs.refresh(names or None, progress=progress)
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

    def compose(self) -> ComposeResult:
        with Vertical(id="feeds-body"):
            yield DataTable(id="feeds-table", cursor_type="row", zebra_stripes=True)
            yield Static(Text("enter: this feed's articles · r: refresh · esc: close"),
                         id="feeds-hint")

    def on_mount(self) -> None:
        self.query_one("#feeds-body").border_title = "Feeds"
        table = self.query_one(DataTable)
        table.add_columns("feed", "new", "articles", "last error")
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="feeds")
    def load(self) -> None:
        """Read the feed rows (through the app's gate)."""
        from index.subscriptions import Subscriptions

        rows = self.gate_call(lambda lib: Subscriptions(lib).feeds())
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
            table.add_row(plain(r.name, "bold"), plain(r.last_new or ""), plain(r.articles),
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
