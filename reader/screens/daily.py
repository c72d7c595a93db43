"""What makes the app one to live in (issue 13): read and starred marks, the unread-only
toggle, sorting, links, export and the pager, removal with undo, saved searches, coverage, and
the state file that brings the session back.

:class:`DailyActions` is mixed into :class:`reader.screens.main.MainScreen`; its bindings are
:data:`DAILY_BINDINGS`. The main screen calls its ``daily_*`` hooks at the few points where it
needs them (mount, rows loaded, article shown, list refreshed, unmount); everything else lives
here. Library calls run in thread workers through the gate; marks are shown at once and written
behind (a failed write is said in the status line and the mark put back).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import work
from textual.binding import Binding

from reader.messages import (
    CoverageReady,
    MarkFailed,
    MarksLoaded,
    SavedReady,
)
from reader.panes.model import ListRow, plain

if TYPE_CHECKING:
    from textual.screen import Screen

    from reader.app import ReaderApp
    from reader.panes.model import ArticleView, EntityItem

    _Host = Screen[None]
    """What the mixin is mixed into, for the type checker (the main screen)."""
else:
    _Host = object

SORTS = ("date", "source", "relevance")

DAILY_BINDINGS = [
    Binding("m", "toggle_read", "Read/unread", id="main.toggle_read",
            tooltip="Mark the article read or unread (opening it marks it read)"),
    Binding("s", "toggle_star", "Star", id="main.toggle_star", tooltip="Star or unstar it"),
    Binding("u", "unread_only", "Unread only", id="main.unread_only",
            tooltip="Show only unread articles (again: all)", show=False),
    Binding("O", "cycle_sort", "Sort", id="main.sort",
            tooltip="Sort by date, source, or relevance while searching", show=False),
    Binding("o", "open_link", "Open link", id="main.open_link",
            tooltip="Open the article's URL in the browser ($BROWSER)", show=False),
    Binding("y", "copy_link", "Copy link", id="main.copy_link",
            tooltip="Copy the article's URL to the clipboard", show=False),
    Binding("x", "export('article')", "Export", id="main.export",
            tooltip="Write the open article to a Markdown file", show=False),
    Binding("X", "export('story')", "Export story", id="main.export_story",
            tooltip="Write the open article's story to a Markdown file", show=False),
    Binding("vertical_line", "pipe", "Pipe to pager", id="main.pipe",
            tooltip="Show the open article in $PAGER", show=False),
    Binding("c", "coverage", "Coverage", id="main.coverage",
            tooltip="Who carries this story, who does not, what only this article says"),
    Binding("d", "remove", "Remove", id="main.remove",
            tooltip="Remove the article from the library (z undoes it until you quit)",
            show=False),
    Binding("z", "undo_remove", "Undo remove", id="main.undo_remove", show=False),
    Binding("S", "save_search", "Save search", id="main.save_search",
            tooltip="Save the current query under a name", show=False),
    Binding("apostrophe", "saved_searches", "Saved searches", id="main.saved_searches",
            tooltip="Run a saved search (with its unread count)", show=False),
]


def _slug(text: str, n: int = 48) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return s[:n].rstrip("-") or "article"


def export_dir() -> Path:
    """Where ``x`` writes: ``$READER_EXPORT_DIR``, else the user's downloads folder."""
    env = os.environ.get("READER_EXPORT_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_downloads_dir())


class DailyActions(_Host):
    """Mixed into the main screen: see the module docstring."""

    # provided by MainScreen
    gate: Any
    view: ArticleView | None
    all_rows: list[ListRow]
    by_id: dict[str, ListRow]
    search_hits: list[tuple[str, float]] | None
    query_text: str
    if TYPE_CHECKING:
        def set_status(self, text: str | Text, error: bool = False) -> None: ...
        def open_article(self, article_id: str, paragraph: int | None = 0, *,
                         note: str | None = None, entity: EntityItem | None = None,
                         focus: bool = False, from_list: bool = False) -> None: ...
        def _refresh_list(self) -> None: ...

    # --- state ----------------------------------------------------------------------------
    def daily_init(self) -> None:
        """Set up the state (called from ``__init__``)."""
        self.read_ids: set[str] | None = None
        """Ids marked read (None until loaded)."""
        self.starred_ids: set[str] = set()
        self.unread_only = False
        self.sort_mode = "date"
        self.searched_sort: str | None = None
        """The order chosen while searching (None: relevance, as search results come)."""
        self.hidden: list[list[str]] = []
        """Removals of this session not yet applied, newest last (``z`` takes one back)."""
        self.link: tuple[str, str | None] | None = None
        self._writer: Any = None
        """A Library of the mark writer's own (opened on the first mark)."""
        self._writer_lock = threading.Lock()
        self._closing = False
        self._unsaved_marks = 0
        self._restore: dict[str, Any] | None = None
        self._read_later: str | None = None
        self._last_focus: Any = None
        self._title_counts: list[int | None] | None = None
        """[unread, starred] among the rows the list shows (unread None: marks not known)."""
        self._title_base: tuple[str, int] = ("Articles", 0)
        self.saved: list[tuple[str, str, int | None, int | None]] = []
        """Saved searches: (name, query, matches, unread), as last counted."""

    def daily_mount(self) -> None:
        """Read the marks, the saved searches and where the last session was (called from
        ``on_mount``)."""
        from reader.state import load_state

        self._restore = load_state(self.gate.library.path)
        self.load_marks()
        self.load_saved(False)

    def daily_restore(self) -> bool:
        """Bring back the last session's place, once, when the list first loads: order,
        unread-only, query, highlighted article, open article and paragraph, focused pane.
        True if it opened an article. Anything no longer in the library is skipped."""
        from reader.panes.article_list import ArticleList
        from reader.panes.search import SearchLine

        st, self._restore = self._restore, None
        if not st:
            return False
        if st.get("sort") in ("date", "source"):
            self.sort_mode = st["sort"]
        self.unread_only = bool(st.get("unread_only"))
        if st.get("query"):
            self.query_one(SearchLine).value = st["query"]
        self._refresh_list()
        if st.get("cursor") in self.by_id:
            self.query_one(ArticleList).select(st["cursor"])
        opened = False
        if st.get("article") in self.by_id:
            self.open_article(st["article"], st.get("paragraph", 0))
            opened = True
        pane = {"list": "#list", "reader": "#reader", "entities": "#entities",
                "events": "#events", "search": "#search"}.get(st.get("focus", ""))
        if pane:
            self.set_focus(self.query_one(pane))
        return opened

    def on_descendant_focus(self, event: Any) -> None:
        self._last_focus = event.widget  # the focus is gone by the time the app quits

    def daily_place(self) -> dict[str, Any]:
        """Where the user is now (what the state file keeps)."""
        from reader.panes.article_list import ArticleList
        from reader.panes.reader_view import ReaderView

        lst = self.query_one(ArticleList)
        focused = self.focused or self._last_focus
        return {
            "article": self.view.id if self.view is not None else None,
            "paragraph": self.query_one(ReaderView).paragraph,
            "cursor": lst.current.id if lst.current is not None else None,
            "query": self.query_text or None,
            "focus": focused.id if focused is not None else None,
            "sort": self.sort_mode,
            "unread_only": self.unread_only,
        }

    # --- marks ----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="marks")
    def load_marks(self) -> None:
        lib = self.gate.library
        read, starred = self.gate.call(lambda: (lib.read_ids(), lib.starred_ids()))
        self.post_message(MarksLoaded(read, starred))

    def on_marks_loaded(self, message: MarksLoaded) -> None:
        self.read_ids, self.starred_ids = message.read, message.starred
        pending, self._read_later = self._read_later, None
        if pending is not None and self.view is not None and self.view.id == pending \
                and pending not in self.read_ids:
            self.set_marks([pending], read=True)
        else:
            self._refresh_keep()

    @work(thread=True, exclusive=False, exit_on_error=False, group="mark-write")
    def write_marks(self, ids: list[str], read: bool | None, starred: bool | None) -> None:
        """Write marks in the store with a library connection of the writer's own, so that
        waiting for an add in progress (another process holding the writer lock) never holds
        the gate every read goes through."""
        from index.library import Library

        def busy() -> None:
            self.app.call_from_thread(
                self.set_status,
                "Another reader is adding to the library; the mark is saved when it is done.")

        import time

        from index.library import LibraryBusy

        try:
            with self._writer_lock:
                if self._writer is None:
                    self._writer = Library(self.gate.library.path, create=False)
                told = False
                while True:  # wait for a writer in another process, but never past quitting
                    try:
                        self._writer.mark(ids, read=read, starred=starred)
                        return
                    except LibraryBusy:
                        if self._closing:
                            self._unsaved_marks += len(ids)
                            return
                        if not told:
                            busy()
                            told = True
                        time.sleep(0.2)
        except Exception as exc:  # noqa: BLE001 - any failure is said and undone
            self.post_message(MarkFailed(ids, read, starred,
                                         f"{type(exc).__name__}: {exc}"))

    def on_mark_failed(self, message: MarkFailed) -> None:
        self._apply_marks(message.ids, None if message.read is None else not message.read,
                          None if message.starred is None else not message.starred)
        self.set_status(f"Could not save the mark: {message.error}",
                        error=True)

    def _refresh_keep(self) -> None:
        """Refresh the list, the cursor staying on its article (results would otherwise put
        the best match under it again)."""
        from reader.panes.article_list import ArticleList

        lst = self.query_one(ArticleList)
        current = lst.current.id if lst.current is not None else None
        self._refresh_list()
        if current is not None:
            lst.select(current)

    def _apply_marks(self, ids: list[str], read: bool | None, starred: bool | None) -> None:
        from reader.panes.article_list import ArticleList

        if self.read_ids is None:
            self.read_ids = set()
        lst = self.query_one(ArticleList)  # type: ignore[attr-defined]
        # unless the rows shown depend on the marks (unread only), the list keeps its rows and
        # only its lines and title counts change: no pass over every row (reading with j marks
        # each article read, and a pass costs with the library's size)
        counts = self._title_counts
        in_place = not self.unread_only and counts is not None and counts[0] is not None \
            and lst.read_ids is self.read_ids
        for i in ids:
            was_read, was_starred = i in self.read_ids, i in self.starred_ids
            if read is True:
                self.read_ids.add(i)
            elif read is False:
                self.read_ids.discard(i)
            if starred is True:
                self.starred_ids.add(i)
            elif starred is False:
                self.starred_ids.discard(i)
            if in_place and lst.index_of(i) is not None:
                assert counts is not None
                unread, starred_n = counts
                assert unread is not None and starred_n is not None
                counts[0] = unread + was_read - (i in self.read_ids)
                counts[1] = starred_n + (i in self.starred_ids) - was_starred
        if in_place:
            lst.border_title = self._list_label()  # type: ignore[attr-defined]
            lst.refresh()
        else:
            self._refresh_keep()

    def set_marks(self, ids: list[str], *, read: bool | None = None,
                  starred: bool | None = None) -> None:
        """Show marks at once and write them behind."""
        self._apply_marks(ids, read, starred)
        self.write_marks(ids, read, starred)

    def _target(self) -> str | None:
        """The article the keys act on: the highlighted one in the list when it has the focus,
        else the open one."""
        from reader.panes.article_list import ArticleList

        lst = self.query_one(ArticleList)
        if self.focused is lst and lst.current is not None:
            return lst.current.id
        if self.view is not None:
            return self.view.id
        return lst.current.id if lst.current is not None else None

    def action_toggle_read(self) -> None:
        """Mark the article read or unread."""
        aid = self._target()
        if aid is None:
            return
        read = aid not in (self.read_ids or set())
        self.set_marks([aid], read=read)
        self.set_status(f"Marked {'read' if read else 'unread'}.")

    def action_toggle_star(self) -> None:
        """Star or unstar the article."""
        aid = self._target()
        if aid is None:
            return
        star = aid not in self.starred_ids
        self.set_marks([aid], starred=star)
        self.set_status("Starred." if star else "Unstarred.")

    def action_unread_only(self) -> None:
        """Show only the unread articles (again: all)."""
        self.unread_only = not self.unread_only
        self._refresh_keep()
        self.set_status("Showing unread articles only (u: all)." if self.unread_only
                        else "Showing all articles.")

    def daily_opened(self, view: ArticleView) -> None:
        """An article is shown (its link with it; its coverage marks come with its entities
        and events, in the same frame): mark it read."""
        self.link = (view.id, view.url)
        if self.read_ids is None:
            self._read_later = view.id  # marked when the marks are known
        elif view.id not in self.read_ids:
            self.set_marks([view.id], read=True)

    # --- the list: marks, unread only, order ----------------------------------------------
    def daily_rows(self, rows: list[ListRow]) -> list[ListRow]:
        """The rows to show: hidden (removed) ones out, unread only if asked, in order."""
        from reader.panes.article_list import ArticleList

        lst = self.query_one(ArticleList)
        lst.read_ids = self.read_ids
        lst.starred_ids = self.starred_ids
        gone = {i for batch in self.hidden for i in batch}
        if gone:
            rows = [r for r in rows if r.id not in gone]
        if self.unread_only and self.read_ids is not None:
            keep = self.view.id if self.view is not None else None
            rows = [r for r in rows if r.id not in self.read_ids or r.id == keep]
        order = self.order
        if order in ("source", "date") and (order == "source" or self.search_hits is not None):
            # newest first, undated last (the plain list comes so from the store)
            rows = sorted(rows, key=lambda r: (r.published is not None, r.published or ""),
                          reverse=True)
        if order == "source":
            rows = sorted(rows, key=lambda r: r.source.casefold())  # stable: dates kept
        return rows

    @property
    def order(self) -> str:
        """The order in effect: while searching, relevance unless another was chosen."""
        if self.search_hits is not None:
            return self.searched_sort or "relevance"
        return self.sort_mode

    def daily_title(self, title: str, rows: list[ListRow]) -> str:
        """The list's title: count, unread and starred counts, the order."""
        unread = None if self.read_ids is None else \
            sum(1 for r in rows if r.id not in self.read_ids)
        self._title_counts = [unread, sum(1 for r in rows if r.id in self.starred_ids)]
        self._title_base = (title, len(rows))
        return self._title_text()

    def _title_text(self) -> str:
        """:meth:`daily_title` from the counts it took (kept up to date by a mark)."""
        title, n = self._title_base
        unread, starred = self._title_counts or (None, 0)
        parts = [f"{title} · {n}"]
        if unread is not None:
            parts.append(f"{unread} unread")
        if starred:
            parts.append(f"{starred}★")
        if self.unread_only:
            parts.append("unread only")
        parts.append(f"by {self.order}")
        return " · ".join(parts)

    def action_cycle_sort(self) -> None:
        """Date, source, then relevance (while searching)."""
        if self.search_hits is not None:
            cur = self.order
            self.searched_sort = SORTS[(SORTS.index(cur) + 1) % len(SORTS)]
        else:
            self.sort_mode = "source" if self.sort_mode == "date" else "date"
        self._refresh_keep()
        self.set_status(f"Sorted by {self.order}.")

    # --- links, export, pager -------------------------------------------------------------
    def _url(self) -> str | None:
        if self.view is None:
            self.set_status("No article open.")
            return None
        if self.link is None or self.link[0] != self.view.id:
            lib = self.gate.library
            aid = self.view.id
            self.link = (aid, self.gate.call(lambda: lib.article(aid).url))
        if not self.link[1]:
            self.set_status("This article has no URL.")
            return None
        return self.link[1]

    def action_open_link(self) -> None:
        """Open the article's URL in the browser."""
        url = self._url()
        if url is None:
            return
        if not url.lower().startswith(("http://", "https://")):
            self.set_status(f"Not opening {url!r}: only http(s) links are opened.",
                            error=True)
            return
        self.open_in_browser(url)

    @work(thread=True, exit_on_error=False, group="browser")
    def open_in_browser(self, url: str) -> None:
        import webbrowser

        ok = False
        try:
            ok = webbrowser.open(url)
        except Exception:  # noqa: BLE001 - said below
            ok = False
        self.app.call_from_thread(
            self.set_status, f"Opened {url}" if ok else f"No browser could open {url}",
            not ok)

    def action_copy_link(self) -> None:
        """Copy the URL (Textual's clipboard: OSC 52 to the terminal)."""
        url = self._url()
        if url is None:
            return
        self.app.copy_to_clipboard(url)
        self.set_status(f"Copied {url}")

    def action_export(self, what: str = "article") -> None:
        """Write the open article (or its story) to a Markdown file and say where."""
        if self.view is None:
            self.set_status("No article open.")
            return
        self.export_to_file(self.view.id, what)

    @work(thread=True, exit_on_error=False, group="export")
    def export_to_file(self, article_id: str, what: str) -> None:
        from index.coverage import story_members
        from index.export import export

        lib = self.gate.library

        def build() -> tuple[str, str]:
            a = lib.article(article_id)
            if what == "story":
                ids = story_members(lib, article_id)
                rows = lib.rows_by_id(ids)
                ids.sort(key=lambda i: (rows[i].published or "", rows[i].source, i))
                return export(lib, ids, "md", title=f"Story: {a.title}"), f"story-{a.title}"
            return export(lib, [article_id], "md"), f"{a.source}-{a.title}"

        try:
            text, name = self.gate.call(build)
            folder = export_dir()
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{_slug(name)}.md"
            k = 1
            while path.exists():
                k += 1
                path = folder / f"{_slug(name)}-{k}.md"
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.app.call_from_thread(
                self.set_status, f"Could not export: {exc.strerror or exc}", True)
            return
        self.app.call_from_thread(
            self.set_status, f"Exported the {what} to {path}")

    def action_pipe(self) -> None:
        """Show the open article as text in ``$PAGER`` (the app steps aside meanwhile)."""
        if self.view is None:
            self.set_status("No article open.")
            return
        from index.export import export
        from reader.safe import safe_text

        text = safe_text(self.gate.call(export, self.gate.library, [self.view.id], "txt"))
        pager = os.environ.get("PAGER") or "less"
        try:
            argv = shlex.split(pager)
        except ValueError:
            argv = []
        if not argv:
            self.set_status(f"$PAGER is not a command: {pager!r}", error=True)
            return
        from textual.app import SuspendNotSupported

        try:
            try:
                with self.app.suspend():
                    code = subprocess.run(argv, input=text.encode(), check=False).returncode
            except SuspendNotSupported:  # no terminal to hand over (headless)
                code = subprocess.run(argv, input=text.encode(), check=False,
                                      stdout=subprocess.DEVNULL).returncode
        except OSError as exc:
            self.set_status(f"Could not run {argv[0]}: {exc.strerror or exc}", error=True)
            return
        self.set_status(f"{argv[0]} exited with status {code}." if code else
                        f"Back from {argv[0]}.")

    # --- the command palette ----------------------------------------------------------------
    def daily_commands(self):  # type: ignore[no-untyped-def]
        """Palette entries for this module's actions, and one per saved search."""
        from textual.app import SystemCommand

        yield SystemCommand("Mark read / unread", "Toggle the article's read mark (m)",
                            self.action_toggle_read)
        yield SystemCommand("Star / unstar", "Toggle the article's star (s)",
                            self.action_toggle_star)
        yield SystemCommand("Unread only", "Show only unread articles, or all again (u)",
                            self.action_unread_only)
        yield SystemCommand("Sort", "Cycle date / source / relevance (O)", self.action_cycle_sort)
        yield SystemCommand("Coverage of the story",
                            "Who carries it, who does not, what only this article says (c)",
                            self.action_coverage)
        yield SystemCommand("Open link", "Open the article's URL in the browser (o)",
                            self.action_open_link)
        yield SystemCommand("Copy link", "Copy the article's URL (y)", self.action_copy_link)
        yield SystemCommand("Export article", "Write it to a Markdown file (x)",
                            lambda: self.action_export("article"))
        yield SystemCommand("Export story", "Write its story to a Markdown file (X)",
                            lambda: self.action_export("story"))
        yield SystemCommand("Show in pager", "The article in $PAGER (|)", self.action_pipe)
        yield SystemCommand("Remove article", "Remove it from the library (d; z undoes)",
                            self.action_remove)
        yield SystemCommand("Save search", "Save the current query under a name (S)",
                            self.action_save_search)
        yield SystemCommand("Saved searches", "Choose a saved search to run (')",
                            self.action_saved_searches)
        for name, query, total, unread in self.saved:
            counts = "" if total is None else f" ({unread} unread / {total})"
            yield SystemCommand(f"Saved search: {name}{counts}", query,
                                lambda name=name: self.run_saved(name))

    # --- coverage -------------------------------------------------------------------------
    def action_coverage(self) -> None:
        """Open the coverage view of the open article's story."""
        if self.view is None:
            self.set_status("No article open.")
            return
        self.load_coverage(self.view.id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="coverage")
    def load_coverage(self, article_id: str) -> None:
        lib = self.gate.library

        def read() -> CoverageReady:
            a = lib.article(article_id)
            return CoverageReady(lib.coverage(article_id), a.title, a.paragraphs)

        self.post_message(self.gate.call(read))

    def on_coverage_ready(self, message: CoverageReady) -> None:
        from reader.screens.coverage import CoverageScreen

        def chosen(article_id: str | None) -> None:
            if article_id and (self.view is None or article_id != self.view.id):
                self.open_article(article_id, focus=True)

        self.app.push_screen(
            CoverageScreen(message.cov, message.title, message.paragraphs), chosen)

    # --- saved searches -------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="saved")
    def load_saved(self, show: bool) -> None:
        """Count the saved searches' matches and unread matches."""
        from index.library import QueryError

        lib = self.gate.library

        def count() -> list[tuple[str, str, int | None, int | None]]:
            read = lib.read_ids()
            out: list[tuple[str, str, int | None, int | None]] = []
            for name, query in lib.saved_searches():
                try:
                    ids = [r.id for r in lib.search(query, limit=None)]
                except QueryError:
                    out.append((name, query, None, None))
                    continue
                out.append((name, query, len(ids), sum(1 for i in ids if i not in read)))
            return out

        self.post_message(SavedReady(self.gate.call(count), show))

    def on_saved_ready(self, message: SavedReady) -> None:
        self.saved = message.rows
        if message.show:
            from reader.screens.coverage import SavedSearchesScreen

            def chosen(name: str | None) -> None:
                if name:
                    self.run_saved(name)

            self.app.push_screen(SavedSearchesScreen(message.rows), chosen)

    def run_saved(self, name: str) -> None:
        """Put a saved search in the search line (which runs it)."""
        from reader.panes.search import SearchLine

        query = next((q for n, q, _t, _u in self.saved if n == name), None)
        if query is None:
            self.set_status(f"No saved search named {name!r}.", error=True)
            return
        self.query_one(SearchLine).value = query
        self.set_focus(self.query_one("#list"))

    def action_saved_searches(self) -> None:
        """Choose a saved search to run (with fresh counts)."""
        self.load_saved(True)

    def action_save_search(self) -> None:
        """Save the current query under a name."""
        query = self.query_text.strip()
        if not query:
            self.set_status("Nothing to save: search with / first.")
            return
        from reader.screens.coverage import SaveSearchScreen

        def named(name: str | None) -> None:
            if name:
                self.save_search(name, query)

        self.app.push_screen(SaveSearchScreen(query), named)

    @work(thread=True, exclusive=False, exit_on_error=False, group="mark-write")
    def save_search(self, name: str, query: str) -> None:
        from index.library import Library

        try:
            with self._writer_lock:
                if self._writer is None:
                    self._writer = Library(self.gate.library.path, create=False)
                self._writer.save_search(name, query)
        except Exception as exc:  # noqa: BLE001 - a malformed query, a busy library...
            self.app.call_from_thread(
                self.set_status, f"Could not save the search: {exc}", True)
            return
        self.app.call_from_thread(
            self.set_status, f"Saved the search as {name!r} (' lists saved searches).")
        self.load_saved(False)

    # --- removal with undo ----------------------------------------------------------------
    def action_remove(self) -> None:
        """Take the article out of the list now; it leaves the library when the app quits,
        unless ``z`` takes it back first."""
        aid = self._target()
        if aid is None:
            return
        row = self.by_id.get(aid)
        self.hidden.append([aid])
        if self.view is not None and self.view.id == aid:
            self.view = None
        self._refresh_list()
        from reader.panes.article_list import ArticleList

        lst = self.query_one(ArticleList)
        if lst.current is not None:
            self.open_article(lst.current.id)
        else:
            from reader.panes.reader_view import ReaderView

            self.query_one(ReaderView).clear()
        line = Text("Removed ", end="")
        line.append_text(plain(row.title if row else aid, "bold"))
        line.append(f" · z: undo ({len(self.hidden)} removed this session; "
                    "applied when you quit)")
        self.set_status(line)

    def action_undo_remove(self) -> None:
        """Take back the last removal of this session."""
        if not self.hidden:
            self.set_status("Nothing to undo.")
            return
        batch = self.hidden.pop()
        self._refresh_list()
        self.open_article(batch[0], focus=False)
        row = self.by_id.get(batch[0])
        line = Text("Restored ", end="")
        line.append_text(plain(row.title if row else batch[0], "bold"))
        self.set_status(line)

    def _on_prune(self) -> None:
        """The screen is about to go (the app quits), its panes still there: save the place.
        (Removed articles are not kept as the place.)"""
        from textual.css.query import NoMatches

        from reader.state import save_state

        try:
            place = self.daily_place()
        except NoMatches:  # the panes are already gone
            return
        gone = {i for batch in self.hidden for i in batch}
        if place["article"] in gone:
            place["article"] = None
        if place["cursor"] in gone:
            place["cursor"] = None
        save_state(self.gate.library.path, place)

    def on_unmount(self) -> None:
        """The screen is gone (the app quits): apply the session's removals, close the mark
        writer."""
        self._closing = True  # a mark write waiting for the library gives up at once
        ids = [i for batch in self.hidden for i in batch]
        self.hidden = []
        if ids:
            from index.library import LibraryBusy

            try:
                self.gate.call(self.gate.library.remove, ids)
            except LibraryBusy as exc:
                # said by run_app once the terminal is back
                cast("ReaderApp", self.app).removal_error = (
                    f"{len(ids)} article(s) not removed ({exc}); run "
                    f"`reader remove {' '.join(ids)}`")
        with self._writer_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        if self._unsaved_marks:
            note = (f"{self._unsaved_marks} read/star mark(s) not saved: another reader was "
                    "writing to the library when the app closed")
            prior = getattr(self.app, "removal_error", None)
            cast("ReaderApp", self.app).removal_error = f"{prior}; {note}" if prior else note

