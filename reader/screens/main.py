"""The main screen: the switchboard between the panes and the library.

Panes never reach into each other. Each posts a message up ("this article was highlighted", "this
entity was chosen"); this screen decides what that means, runs the slow part in a thread worker,
and sets the result on the panes that show it ("attributes down, messages up"). Worker results come
back as messages tagged with a sequence number, so a stale result (an older keystroke, an article
the user has already moved past) is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, ProgressBar
from textual.worker import Worker, WorkerState, get_current_worker

from index.library import Library, LibraryBusy, QueryError
from reader.gate import Gate, first_mention, seeds_dir
from reader.messages import (
    ArticleExtras,
    ArticleLoaded,
    EntityArticles,
    FeedsProgress,
    FeedsRefreshed,
    FeedsWaiting,
    GenerationSeen,
    IngestDone,
    IngestProgress,
    JumpTo,
    PassageTargets,
    RowsLoaded,
    SearchDone,
    SearchFailed,
    Status,
)
from reader.panes.article_list import ArticleList
from reader.panes.entities import EntitySidebar
from reader.panes.events import EventStrip
from reader.panes.model import ArticleView, EntityItem, ListRow, plain
from reader.panes.reader_view import ReaderView
from reader.panes.search import SearchLine
from reader.safe import one_line
from reader.screens.daily import DAILY_BINDINGS, DailyActions

if TYPE_CHECKING:  # the feeds screen and its fetching are imported when first used
    from reader.screens.feeds import FeedChosen

SEARCH_LIMIT = 200  # results shown at once; the rest follow from a second, complete search
WIDE = 180
"""From this width the list, the reader and the sidebar stand side by side; below it the list
sits above the reader (titles get the full width of the left column)."""
FOLD_WIDTH, FOLD_HEIGHT = 100, 28
"""Below either, the sidebar and the event strip fold away: the list and the reader keep the
screen, and ``3``/``4`` show the entities or the events in the reader's place."""
FIRST_PAGE = 200
"""Rows shown first when a big library opens (the rest follows from the same worker)."""
PARTIAL_FROM = 50_000
"""From this many articles the list opens on its first rows (below it the whole list, read in
~0.5 s at 19k, is on screen sooner than a first page followed by the whole)."""
PROGRESS_EVERY = 0.05  # seconds between progress messages from an ingest


class StatusLine(Widget):
    """One line of status: rendered text only, so an update never costs a new layout."""

    DEFAULT_CSS = "StatusLine { height: 1; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = Text("", end="")

    def update(self, text: Text) -> None:
        """Show ``text`` (a Text: never markup)."""
        self.text = text
        self.refresh()

    def render(self) -> Text:
        return self.text


class MainScreen(DailyActions, Screen[None]):
    """Article list, reader view, entity sidebar, event strip and the search line.

    | Key | Action |
    | :- | :- |
    | / | search |
    | n, N | next / previous search hit in the article |
    | ], [ | same story, next / previous source |
    | p | same passage in another source (press again to cycle) |
    | e | next article naming the chosen entity |
    | r | refresh the feeds you follow |
    | F | feeds: new and total articles, errors; enter shows one feed's articles |
    | escape | clear the search and the entity and feed filters |
    | tab, shift+tab | next / previous pane |
    """

    BINDINGS = [
        # priority: handled as the key arrives, so "/abadi" typed in one burst lands in the
        # search line instead of sending "abadi" to the pane that had the focus
        Binding("slash", "search", "Search", id="main.search", priority=True),
        Binding("n", "hit(1)", "Next hit", id="main.next_hit", show=False),
        Binding("N", "hit(-1)", "Previous hit", id="main.previous_hit", show=False),
        Binding("right_square_bracket", "source(1)", "Next source", id="main.next_source",
                tooltip="The same story in the next source"),
        Binding("left_square_bracket", "source(-1)", "Previous source",
                id="main.previous_source", show=False),
        Binding("p", "passage", "Same passage", id="main.same_passage",
                tooltip="The paragraph under the cursor in another source (again: the next)"),
        Binding("e", "entity_next", "Entity jump", id="main.next_entity_article",
                tooltip="Next article naming the chosen entity"),
        Binding("r", "refresh_feeds", "Refresh feeds", id="main.refresh_feeds", show=False,
                tooltip="Fetch the feeds you follow and add what is new"),
        Binding("F", "feeds", "Feeds", id="main.feeds", show=False,
                tooltip="The feeds you follow; enter shows one feed's articles"),
        Binding("escape", "clear", "Clear filters", id="main.clear", show=False),
        Binding("tab", "app.focus_next", "Next pane", id="main.next_pane", show=False),
        Binding("shift+tab", "app.focus_previous", "Previous pane", id="main.previous_pane",
                show=False),
        Binding("1", "pane('list')", "Focus the article list", id="main.pane_list", show=False),
        Binding("2", "pane('reader')", "Focus the reader", id="main.pane_reader", show=False),
        Binding("3", "pane('entities')", "Focus the entities", id="main.pane_entities",
                show=False),
        Binding("4", "pane('events')", "Focus the events", id="main.pane_events", show=False),
        *DAILY_BINDINGS,
        Binding("f", "zoom", "Maximise", id="main.maximise",
                tooltip="Maximise the focused pane (again: restore)"),
    ]

    COMPONENT_CLASSES = {"main-screen--error"}

    def __init__(self, gate: Gate, paths: Sequence[Path] = (), *, seed: bool = True,
                 poll_interval: float | None = 2.0, refresh_every: float | None = None,
                 refresh_on_start: bool = False) -> None:
        super().__init__()
        self.refresh_on_start = refresh_on_start
        """Refresh the feeds once when the app opens (config.toml; off by default)."""
        self.refresh_every = refresh_every
        """Seconds between automatic feed refreshes (config.toml; None: only on ``r``)."""
        self.gate = gate
        self.paths = list(paths)
        self.seed = seed
        self.poll_interval = poll_interval
        self.all_rows: list[ListRow] = []
        self.by_id: dict[str, ListRow] = {}
        self.generation: tuple[int, str] | None = None
        self._rows_total: int | None = None
        """While only the first screenful is loaded: the number of articles."""
        self.query_text = ""
        self.search_hits: list[tuple[str, float]] | None = None
        self.terms: set[str] = set()
        self.results_query: str | None = None
        """The query whose results the list shows (None: no search)."""
        self.entity_filter: EntityItem | None = None
        self.entity_ids: set[str] = set()
        self.feed_filter: FeedChosen | None = None
        """The feed whose articles the list shows (None: every article)."""
        self.feed_ids: set[str] = set()
        self._refreshing = False
        self._refresh_worker: Worker | None = None
        self._refresh_waiting = False
        self.view: ArticleView | None = None
        self._search_seq = 0
        self._load_seq = 0
        self._load_from_list = False
        self._opening: str | None = None
        """The article a load worker is reading (it could not be read at once)."""
        self._ingesting = 0
        self._seeded = False
        self._cycle: tuple[str, int, list[tuple[str, int, str]], int] | None = None
        self._cycle_landed: tuple[str, int] | None = None
        self._status = Text(end="")
        self._idle_status = True
        self._typed_at: float | None = None
        self.search_latencies: list[float] = []
        """Seconds from each query change to its results on screen (for the benchmark)."""
        self.daily_init()

    # --- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield SearchLine(id="search")
        with Horizontal(id="status-bar"):
            yield StatusLine(id="status")
            yield ProgressBar(id="progress", show_eta=False)
        with Vertical(id="body"):
            with Horizontal(id="top"):
                with Container(id="main-col"):  # list above the reader, or beside it (-wide)
                    yield ArticleList(id="list")
                    yield ReaderView(id="reader")
                yield EntitySidebar(id="entities")
            yield EventStrip(id="events")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#list").border_title = "Articles"
        self.query_one("#reader").border_title = "Reader"
        self.query_one("#entities").border_title = "Entities"
        self.query_one("#events").border_title = "Events"
        self.query_one("#progress").display = False
        self.query_one(ArticleList).empty_text = "Loading the library…"
        self.set_focus(self.query_one(ArticleList))
        self.load_rows()
        self.daily_mount()
        if self.paths:
            self.start_ingest(self.paths, "your files")
        if self.poll_interval:
            self.set_interval(self.poll_interval, self.poll_generation, name="poll")
        if self.refresh_every:
            self.set_interval(self.refresh_every, self.refresh_on_interval, name="feeds-interval")
        if self.refresh_on_start:
            self._start_refresh("Refreshing the feeds (on start)…")
        self._apply_size()

    def on_resize(self) -> None:
        self._apply_size()

    def _apply_size(self) -> None:
        width, height = self.size
        self.set_class(width >= WIDE, "-wide")
        fold = width < FOLD_WIDTH or height < FOLD_HEIGHT
        if not fold:
            self.remove_class("-show-entities", "-show-events")
        self.set_class(fold, "-fold")

    # --- status ---------------------------------------------------------------------------
    def set_status(self, text: str | Text, error: bool = False) -> None:
        """Show a line in the status bar (``text`` is shown literally)."""
        line = text if isinstance(text, Text) else plain(text)
        if error:
            line.stylize(self.get_component_rich_style("main-screen--error", partial=True))
        self._status = line
        self._idle_status = False
        self.query_one("#status", StatusLine).update(line)

    @property
    def status_text(self) -> str:
        """The status bar's text (for tests)."""
        return self._status.plain

    # --- workers --------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="rows")
    def load_rows(self) -> None:
        """Read the article list (and catch the index up with the store)."""
        self.gate.call(self.gate.library.ensure_indexed)
        generation = self.gate.generation()
        if self.generation is None and (total := self.gate.count()) > PARTIAL_FROM:
            # launch on a big library: the newest articles first, on screen at once
            self.post_message(RowsLoaded(self.gate.first_rows(FIRST_PAGE), generation, total))
        rows = self.gate.list_rows()
        if not get_current_worker().is_cancelled:
            self.post_message(RowsLoaded(rows, generation))

    @work(thread=True, exclusive=True, exit_on_error=False, group="search")
    def run_search(self, seq: int, query: str) -> None:
        """Search in a thread; the result is posted with its sequence number."""
        try:
            hits, terms = self.gate.search(query, SEARCH_LIMIT)
        except QueryError as exc:
            self.post_message(SearchFailed(seq, query, str(exc)))
            return
        more = len(hits) >= SEARCH_LIMIT
        self.post_message(SearchDone(seq, query, hits, terms, partial=more))
        if more and seq == self._search_seq and not get_current_worker().is_cancelled:
            # every hit, not cut at the first page: the list is virtual, so all can scroll
            hits, terms = self.gate.search(query, None)
            if seq == self._search_seq:
                self.post_message(SearchDone(seq, query, hits, terms))

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_article(self, seq: int, article_id: str, paragraph: int | None, note: str | None,
                     entity: EntityItem | None, focus: bool, shown: bool = False) -> None:
        """Load one article in two steps: its text for the reader first, then its entities and
        its story's events for the sidebar and the strip. A newer load (the cursor moved on)
        makes this one stop at the next step, so held keys never queue up reads."""
        if seq != self._load_seq:
            return
        if not shown:
            view = self.gate.article_text(article_id)
            if seq != self._load_seq:
                return
            article_id = view.id
            if paragraph is None:
                paragraph = first_mention(view, entity.key, entity.type) if entity else 0
            self.post_message(ArticleLoaded(seq, view, paragraph, note, focus))
            if seq != self._load_seq:
                return
        entities, events, coverage = self.gate.article_extras_and_coverage(article_id)
        if seq == self._load_seq:  # one message: the sidebar, strip and marks in one frame
            self.post_message(ArticleExtras(seq, article_id, entities, events, coverage))

    @work(thread=True, exclusive=True, exit_on_error=False, group="jump")
    def resolve_source_jump(self, article_id: str, paragraph: int, direction: int) -> None:
        """Find the same story's article in the next/previous source."""
        members = self.gate.story_members(article_id)
        sources = sorted({m[1] for m in members}, key=str.casefold)
        if len(sources) < 2:
            self.post_message(Status("No other source in this story."))
            return
        mine = next(m for m in members if m[0] == article_id)
        k = sources.index(mine[1])
        target_source = sources[(k + direction) % len(sources)]
        target = next(m for m in members if m[1] == target_source)
        landing = self.gate.shared_paragraph(article_id, paragraph, target[0])
        note = (f"Same story, {'next' if direction > 0 else 'previous'} source: {target_source} "
                f"({sources.index(target_source) + 1}/{len(sources)}), ¶{landing + 1}")
        self.post_message(JumpTo(target[0], landing, note))

    @work(thread=True, exclusive=True, exit_on_error=False, group="jump")
    def resolve_passage(self, article_id: str, paragraph: int) -> None:
        """Find every other source carrying this paragraph."""
        self.post_message(PassageTargets(article_id, paragraph,
                                         self.gate.same_passage(article_id, paragraph)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="jump")
    def resolve_entity_jump(self, entity: EntityItem, current: str | None) -> None:
        """Find the next article naming ``entity`` after the open one."""
        ids = self.gate.articles_naming(entity.key, entity.type)
        others = [i for i in ids if i != current]
        if not others:
            self.post_message(Status(f"No other article names {entity.name}."))
            return
        if current in ids:
            k = ids.index(current)
            target = ids[(k + 1) % len(ids)]
            position = (k + 1) % len(ids) + 1
        else:
            target, position = ids[0], 1
        self.post_message(JumpTo(target, None, f"{entity.name}: article {position}/{len(ids)}",
                                 entity=entity))

    @work(thread=True, exclusive=True, exit_on_error=False, group="filter")
    def load_entity_articles(self, entity: EntityItem) -> None:
        """The ids of the articles naming an entity."""
        self.post_message(EntityArticles(entity, self.gate.articles_naming(entity.key,
                                                                           entity.type)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="poll")
    def poll_generation(self) -> None:
        """Read the library's change marker (another process may have added articles)."""
        self.post_message(GenerationSeen(self.gate.generation()))

    def start_ingest(self, paths: list[Path], label: str) -> None:
        """Add ``paths`` in a worker, with progress in the status bar."""
        self._ingesting += 1
        self.query_one("#progress", ProgressBar).display = True
        self.set_status(f"Adding {label}…")
        self.ingest(paths, label)

    @work(thread=True, exclusive=False, exit_on_error=False, group="ingest")
    def ingest(self, paths: list[Path], label: str) -> None:
        """Add files with a library of the worker's own (its own connection and index)."""
        worker = get_current_worker()
        last = [0.0]

        def progress(p) -> None:  # type: ignore[no-untyped-def]
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY or p.done == p.total:
                last[0] = now
                self.post_message(IngestProgress(p.done, p.total))

        def busy() -> None:
            self.post_message(Status("Another reader is adding to the library; waiting…"))

        try:
            with Library(self.gate.library.path) as lib:
                report = lib.add(paths, progress=progress, cancel=lambda: worker.is_cancelled,
                                 on_busy=busy)
        except LibraryBusy as exc:
            self.post_message(IngestDone(label, None, str(exc)))
            return
        except Exception as exc:
            self.post_message(IngestDone(label, None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(IngestDone(label, report, None))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed worker becomes a visible notification; nothing else breaks."""
        if event.state == WorkerState.ERROR:
            if event.worker.group == "load":
                self._opening = None
            error = event.worker.error
            message = f"{event.worker.group} failed: {type(error).__name__}: {error}"
            self.set_status(message, error=True)
            self.notify(message, severity="error", markup=False)

    # --- messages from workers ------------------------------------------------------------
    def on_rows_loaded(self, message: RowsLoaded) -> None:
        self.all_rows = message.rows
        self.by_id = {r.id: r for r in message.rows}
        self.generation = message.generation
        self._rows_total = message.total
        article_list = self.query_one(ArticleList)
        if message.total is not None:  # the first screenful; the rest follows
            self._refresh_list()
            if self.view is None and article_list.current is not None:
                self.open_article(article_list.current.id)
            self.set_status(f"Reading {message.total} articles…")
            self._idle_status = True
            return
        if not message.rows and self.seed and not self._seeded and not self.paths \
                and not self._ingesting and (seeds := seeds_dir()) is not None:
            self._seeded = True
            article_list.empty_text = "Adding the bundled sample articles…"
            article_list.refresh()
            self.start_ingest([seeds], "the sample articles")
            return
        article_list.empty_text = (
            "The library is empty. Run `reader PATH` or `reader add PATH` to add articles."
            if not message.rows else "No articles match."
        )
        self._refresh_list()
        # (a big library's first rows may have an article on its way already: opening it again
        # would cancel that load and read it twice)
        if self.view is None and self._opening is None and not self.daily_restore() \
                and article_list.current is not None:
            self.open_article(article_list.current.id)
        elif self.view is None and self._opening is None:
            self.query_one(ReaderView).clear()
        if self.query_text and self.search_hits is not None:
            self._start_search(self.query_text)
        if self._idle_status and not self._ingesting:
            self.set_status(f"{len(message.rows)} articles. Press / to search, ? for help.")
            self._idle_status = True

    def on_search_done(self, message: SearchDone) -> None:
        if message.seq != self._search_seq:
            return  # stale: the user has typed since
        article_list = self.query_one(ArticleList)
        # the rest of the hits arriving keeps the cursor where the user has put it
        stay = (article_list.current.id if self.results_query == message.query
                and self.search_hits is not None and article_list.current is not None
                else None)
        self.search_hits = message.hits
        self.terms = message.terms
        self._refresh_list()
        if stay is not None:
            article_list.select(stay)
        self.call_after_refresh(self._searched, message.query, self._typed_at)
        self.query_one(ReaderView).set_terms(message.terms)
        n = len(message.hits)
        line = Text(f"{n}{'+ (loading the rest)' if message.partial else ''} "
                    f"result{'s' if n != 1 else ''} for ", end="")
        line.append_text(plain(message.query, "bold"))
        hits = self.query_one(ReaderView).hit_position[1]
        if hits:
            line.append(f" · {hits} hit{'s' if hits != 1 else ''} in this article (n/N)")
        self.set_status(line)

    def _searched(self, query: str, typed_at: float | None) -> None:
        """The results of ``query`` are on screen."""
        self.results_query = query
        if typed_at is not None:
            self.search_latencies.append(time.perf_counter() - typed_at)

    def on_search_failed(self, message: SearchFailed) -> None:
        if message.seq != self._search_seq:
            return
        self.query_one("#search").add_class("-malformed")
        self.set_status(f"Malformed query: {message.error}", error=True)

    def on_article_loaded(self, message: ArticleLoaded) -> None:
        if message.seq != self._load_seq:
            return
        self._opening = None
        self.view = message.view
        reader = self.query_one(ReaderView)
        reader.show(message.view, message.paragraph, self.terms)
        if not self._load_from_list:
            self.query_one(ArticleList).select(message.view.id)
        if message.note:
            self.set_status(message.note)
        elif self.terms and message.paragraph == 0 and reader.next_hit(1):
            # opened from search results: land on the first hit, as a pager would
            k, n = reader.hit_position
            self.set_status(f"Hit {k}/{n} in this article, ¶{reader.paragraph + 1} (n/N for more)")
        if message.focus:
            self.set_focus(reader)
        self.daily_opened(message.view)

    def on_article_extras(self, message: ArticleExtras) -> None:
        if message.seq != self._load_seq or self.view is None \
                or self.view.id != message.article_id:
            return
        self.view = replace(self.view, entities=message.entities, events=message.events)
        self.query_one(EntitySidebar).show(message.entities)
        self.query_one(EventStrip).show(message.events, message.article_id,
                                        self.view.published)
        self.query_one(ReaderView).set_coverage(*message.coverage)

    def on_jump_to(self, message: JumpTo) -> None:
        self.open_article(message.article_id, message.paragraph, note=message.note,
                          entity=message.entity, focus=True)

    def on_passage_targets(self, message: PassageTargets) -> None:
        if not message.targets:
            self.set_status(f"No other source carries ¶{message.paragraph + 1}.")
            return
        self._cycle = (message.article_id, message.paragraph, message.targets, 0)
        self._land_cycle()

    def _land_cycle(self) -> None:
        assert self._cycle is not None
        origin, paragraph, targets, k = self._cycle
        if k < len(targets):
            article, para, source = targets[k]
            note = (f"Same passage as ¶{paragraph + 1}: {source} ¶{para + 1} "
                    f"({k + 1}/{len(targets)}; p for the next)")
        else:
            article, para = origin, paragraph
            note = f"Back to the passage's origin ¶{paragraph + 1} ({len(targets)} other sources)"
        self._cycle_landed = (article, para)
        self.open_article(article, para, note=note, focus=True)

    def on_status(self, message: Status) -> None:
        self.set_status(message.text, message.error)

    def on_entity_articles(self, message: EntityArticles) -> None:
        if self.entity_filter != message.entity:
            return
        self.entity_ids = set(message.ids)
        self._refresh_list()
        line = Text(f"Filter: {len(message.ids)} article{'s' if len(message.ids) != 1 else ''}"
                    " naming ", end="")
        line.append_text(plain(message.entity.name, "bold"))
        line.append(" · e: next one · esc: clear")
        self.set_status(line)

    def on_ingest_progress(self, message: IngestProgress) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.display = True
        bar.update(total=message.total, progress=message.done)
        self.query_one("#status", StatusLine).update(
            Text(f"Adding {message.done}/{message.total or '?'}…", end=""))

    def on_ingest_done(self, message: IngestDone) -> None:
        self._ingesting -= 1
        if self._ingesting <= 0:
            self._ingesting = 0
            self.query_one("#progress", ProgressBar).display = False
        if message.error:
            self.set_status(f"Could not add {message.label}: {message.error}", error=True)
            self.notify(f"Could not add {message.label}: {message.error}", severity="error",
                        markup=False)
        elif message.report is not None:
            r = message.report
            parts = [f"Added {len(r.added)} article{'s' if len(r.added) != 1 else ''} from "
                     f"{message.label}"]
            if r.duplicates:
                parts.append(f"{r.duplicates} already in the library")
            if r.skipped:
                parts.append(f"{len(r.skipped)} skipped ({r.skipped[0][0]}: {r.skipped[0][1]})")
            self.set_status("; ".join(parts) + ".", error=bool(r.skipped and not r.added))
        self.load_rows()

    def on_generation_seen(self, message: GenerationSeen) -> None:
        if self.generation is not None and message.generation != self.generation \
                and not self._ingesting:
            self.generation = message.generation
            self.load_rows()

    # --- messages from panes --------------------------------------------------------------
    @on(SearchLine.QueryChanged)
    def search_changed(self, message: SearchLine.QueryChanged) -> None:
        self.query_one("#search").remove_class("-malformed")
        self._start_search(message.query)

    def _start_search(self, query: str) -> None:
        self._typed_at = time.perf_counter()
        self.query_text = query
        self._search_seq += 1
        if not query.strip():
            self.search_hits = None
            self.results_query = None
            self.terms = set()
            self.query_one(ReaderView).set_terms(set())
            self._refresh_list()
            self.set_status(f"{len(self.all_rows)} articles.")
            return
        self.run_search(self._search_seq, query)

    @on(SearchLine.Cleared)
    def search_cleared(self) -> None:
        self._start_search("")
        self.set_focus(self.query_one(ArticleList))

    @on(SearchLine.Done)
    def search_done(self) -> None:
        self.set_focus(self.query_one(ArticleList))

    @on(ArticleList.Highlighted)
    def article_highlighted(self, message: ArticleList.Highlighted) -> None:
        current = self.query_one(ArticleList).current
        if current is None or current.id != message.article_id:
            return  # the cursor has moved on since: a newer Highlighted follows (keys never queue)
        if self.view is None or message.article_id != self.view.id:
            self.open_article(message.article_id, from_list=True)

    @on(ArticleList.Read)
    def article_read(self, message: ArticleList.Read) -> None:
        if self.view is not None and self.view.id == message.article_id:
            self.set_focus(self.query_one(ReaderView))
        else:
            self.open_article(message.article_id, focus=True)

    @on(EntitySidebar.Chosen)
    def entity_chosen(self, message: EntitySidebar.Chosen) -> None:
        self.entity_filter = message.entity
        self.entity_ids = set()
        self.load_entity_articles(message.entity)

    @on(EventStrip.Chosen)
    def event_chosen(self, message: EventStrip.Chosen) -> None:
        ev = message.event
        self.open_article(ev.article, ev.paragraph, note=f"Event {ev.date} ({ev.precision}) in "
                          f"{' '.join(ev.source.split())}, ¶{ev.paragraph + 1}", focus=True)

    # --- opening --------------------------------------------------------------------------
    def open_article(self, article_id: str, paragraph: int | None = 0, *, note: str | None = None,
                     entity: EntityItem | None = None, focus: bool = False,
                     from_list: bool = False) -> None:
        """Load an article in a worker and show it at ``paragraph`` (None: the entity's first
        mention). ``from_list``: the list's cursor chose it, so the cursor is left where it is
        (it may have moved on); otherwise the cursor follows to the article."""
        self._load_from_list = from_list
        self._load_seq += 1
        seq = self._load_seq
        # the text is one indexed read (well under a millisecond): when no worker holds the
        # library, read it here and show it in this very frame; only entities and events wait
        try:
            view = self.gate.try_article_text(article_id)
        except Exception:  # noqa: BLE001 - the worker reads again and reports the error
            view = None
        if view is None:
            self._opening = article_id
            self.load_article(seq, article_id, paragraph, note, entity, focus)
            return
        self._opening = None
        if paragraph is None:
            paragraph = first_mention(view, entity.key, entity.type) if entity else 0
        self.on_article_loaded(ArticleLoaded(seq, view, paragraph, note, focus))
        self.load_article(seq, view.id, paragraph, note, entity, focus, shown=True)

    def _refresh_list(self) -> None:
        rows: list[ListRow]
        if self.search_hits is not None:
            rows = [replace(self.by_id[i], score=s) for i, s in self.search_hits if i in self.by_id]
        else:
            rows = self.all_rows
        if self.entity_filter is not None:
            rows = [r for r in rows if r.id in self.entity_ids]
        if self.feed_filter is not None:
            rows = [r for r in rows if r.id in self.feed_ids]
        rows = self.daily_rows(rows)
        article_list = self.query_one(ArticleList)
        # results put the best match under the cursor; the plain list keeps the open article
        keep = None if self.search_hits is not None else (self.view.id if self.view else None)
        article_list.set_rows(rows, keep=keep)
        title = "Results" if self.search_hits is not None else "Articles"
        if self.feed_filter is not None:
            title += f" · {one_line(self.feed_filter.name)}"
        if self.entity_filter is not None:
            title += " (filtered)"
        self.daily_title(title, rows)
        article_list.border_title = self._list_label()

    def _list_label(self) -> str:
        """The list's title (see ``daily_title``), with the total while only the first
        screenful of a big library is loaded."""
        label = self._title_text()
        if self._rows_total is not None:  # the first screenful of a big library
            title, n = self._title_base
            label = label.replace(f"{title} · {n}", f"{title} · {n} of {self._rows_total}…", 1)
        return label

    # --- actions --------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``/`` types a slash while the search line has the focus."""
        return not (action == "search" and isinstance(self.focused, SearchLine))

    def action_search(self) -> None:
        """Focus the search line."""
        self.set_focus(self.query_one(SearchLine))

    def action_pane(self, which: str) -> None:
        """Focus a pane by id (folded: the entities or the events take the reader's place)."""
        if self.has_class("-fold"):
            self.set_class(which == "entities", "-show-entities")
            self.set_class(which == "events", "-show-events")
        if self.maximized is not None:
            self.minimize()
        self.set_focus(self.query_one(f"#{which}"))

    def action_zoom(self) -> None:
        """Maximise the focused pane to the whole screen; again to restore."""
        if self.maximized is not None:
            self.minimize()
            return
        pane = self.focused
        while pane is not None and pane.id not in ("list", "reader", "entities", "events"):
            pane = pane.parent if isinstance(pane.parent, Widget) else None
        if pane is None:
            self.set_status("Focus a pane first (tab, 1-4), then f.")
            return
        self.maximize(pane, container=False)

    def action_clear(self) -> None:
        """Clear the search and the entity filter."""
        search = self.query_one(SearchLine)
        if search.value:
            search.value = ""
            self._start_search("")
        if self.entity_filter is not None or self.feed_filter is not None:
            self.entity_filter = None
            self.entity_ids = set()
            self.feed_filter = None
            self.feed_ids = set()
            self._refresh_list()
            self.set_status(f"{len(self.all_rows)} articles.")

    def action_hit(self, direction: int) -> None:
        """Move to the next/previous search hit in the open article."""
        reader = self.query_one(ReaderView)
        if not self.terms:
            self.set_status("No search: press / and type a query, then n/N to move through hits.")
            return
        if not reader.next_hit(direction):
            self.set_status("No search hits in this article.")
            return
        k, n = reader.hit_position
        self.set_status(f"Hit {k}/{n} in this article, ¶{reader.paragraph + 1}")

    def _cursor(self) -> tuple[str, int] | None:
        reader = self.query_one(ReaderView)
        if self.view is None:
            self.set_status("No article open.")
            return None
        return self.view.id, reader.paragraph

    def action_source(self, direction: int) -> None:
        """Open the same story in the next (1) or previous (-1) source."""
        if (where := self._cursor()) is not None:
            self.resolve_source_jump(where[0], where[1], direction)

    def action_passage(self) -> None:
        """Jump to the same passage in another source; again to cycle through all of them."""
        where = self._cursor()
        if where is None:
            return
        if self._cycle is not None and self._cycle_landed == where:
            origin, paragraph, targets, k = self._cycle
            self._cycle = (origin, paragraph, targets, (k + 1) % (len(targets) + 1))
            self._land_cycle()
            return
        self.resolve_passage(*where)

    def chosen_entity(self) -> EntityItem | None:
        """The entity filter if one is set, else the entity highlighted in the sidebar."""
        return self.entity_filter or self.query_one(EntitySidebar).current

    def action_entity_next(self) -> None:
        """Open the next article naming the chosen entity, at its first mention."""
        entity = self.chosen_entity()
        if entity is None:
            self.set_status("Choose an entity in the sidebar first.")
            return
        self.resolve_entity_jump(entity, self.view.id if self.view else None)

    # --- feeds ------------------------------------------------------------------------------
    def action_refresh_feeds(self) -> None:
        """Fetch the feeds you follow in a worker (the only time the app uses the network,
        with the optional refresh interval). Pressed again while the refresh waits for another
        process's add: stop waiting."""
        if self._refreshing:
            if self._refresh_waiting and self._refresh_worker is not None:
                self._refresh_worker.cancel()
                self.set_status("Stopping the refresh…")
            else:
                self.set_status("Already refreshing the feeds…")
            return
        self._start_refresh("Refreshing the feeds…")

    def refresh_on_interval(self) -> None:
        """The refresh interval (config.toml) came round: refresh unless one is running."""
        if not self._refreshing:
            self._start_refresh("Refreshing the feeds (every "
                                f"{(self.refresh_every or 0) / 60:g} min)…")

    def _start_refresh(self, status: str) -> None:
        self._refreshing = True
        self._refresh_waiting = False
        bar = self.query_one("#progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.set_status(status)
        self._refresh_worker = self.refresh_feeds()

    @work(thread=True, exclusive=True, exit_on_error=False, group="feeds-refresh")
    def refresh_feeds(self) -> None:
        """The refresh, with a library of the worker's own (stopped when the worker is
        cancelled: by ``r`` while it waits, or by quitting)."""
        from reader.screens.feeds import refresh_in_worker

        worker = get_current_worker()
        refresh_in_worker(self.gate.library.path, self.post_message,
                          cancel=lambda: worker.is_cancelled)

    def on_feeds_waiting(self, message: FeedsWaiting) -> None:
        self._refresh_waiting = True
        line = Text(message.why[:1].upper() + message.why[1:], end="")
        line.append(" (r: stop waiting)")
        self.set_status(line)

    def on_feeds_progress(self, message: FeedsProgress) -> None:
        from reader.screens.feeds import progress_text

        p = message.progress
        if p.phase == "add" or p.added:
            self._refresh_waiting = False
        bar = self.query_one("#progress", ProgressBar)
        bar.display = True
        if p.phase == "fetch":
            bar.update(total=p.total, progress=p.done)
        else:
            bar.update(total=p.adding, progress=p.added)
        if not self._refresh_waiting:  # the waiting line stays until the add begins
            self.query_one("#status", StatusLine).update(Text(progress_text(p), end=""))

    def on_feeds_refreshed(self, message: FeedsRefreshed) -> None:
        from reader.screens.feeds import FeedsScreen, report_text

        self._refreshing = False
        self._refresh_waiting = False
        self._refresh_worker = None
        if not self._ingesting:
            self.query_one("#progress", ProgressBar).display = False
        if message.stopped:
            self.set_status(message.error or "Refresh stopped.")
            return
        if message.report is None:
            self.set_status(f"Could not refresh: {message.error}", error=True)
            return
        line, failed = report_text(message.report)
        self.set_status(line, error=failed)
        self.load_rows()
        if isinstance(self.app.screen, FeedsScreen):  # open over the list: its counts too
            self.app.screen.load()
        if self.feed_filter is not None:
            self.load_feed_articles(self.feed_filter)

    def action_feeds(self) -> None:
        """Open the feeds view."""
        from reader.screens.feeds import FeedsScreen

        if not isinstance(self.app.screen, FeedsScreen):
            self.app.push_screen(
                FeedsScreen(self.gate.library.path,
                            lambda fn: self.gate.call(fn, self.gate.library)),
                self._feed_chosen)

    def _feed_chosen(self, chosen: FeedChosen | None) -> None:
        if chosen is None:
            return
        self.feed_filter = chosen
        self.load_feed_articles(chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="feed-articles")
    def load_feed_articles(self, chosen: FeedChosen) -> None:
        """The ids of one feed's articles, then the list shows only them."""
        from index.subscriptions import Subscriptions

        ids = self.gate.call(lambda: Subscriptions(self.gate.library).article_ids(chosen.id))
        self.app.call_from_thread(self._show_feed, chosen, ids)

    def _show_feed(self, chosen: FeedChosen, ids: list[str]) -> None:
        if self.feed_filter != chosen:
            return
        self.feed_ids = set(ids)
        self._refresh_list()
        line = Text(f"Feed: {len(ids)} article{'s' if len(ids) != 1 else ''} from ", end="")
        line.append_text(plain(chosen.name, "bold"))
        line.append(" · F: another feed · esc: every article")
        self.set_status(line)
