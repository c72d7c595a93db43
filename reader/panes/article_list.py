"""The article list: one line per article, virtualised (only visible lines are rendered).

A library can hold tens of thousands of articles, so the list is a Line-API widget over a plain
Python list: setting :attr:`ArticleList.rows` costs one assignment, not one widget per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reader.panes.model import ListRow
from reader.safe import one_line, shorten

DATE_WIDTH = 10
COUNT_WIDTH = 4
MARKS_WIDTH = 2  # unread, starred
UNREAD_MARK = "•"
STAR_MARK = "★"


class ArticleList(ScrollView, can_focus=True):
    """Articles with date, source, title and how many other sources the story has; ``•`` marks
    an unread article (its title bold), ``★`` a starred one.

    | Key | Action |
    | :- | :- |
    | j, down | next article |
    | k, up | previous article |
    | g, home | first article |
    | G, end | last article |
    | ctrl+d, pagedown | page down |
    | ctrl+u, pageup | page up |
    | enter, l | read the article |
    """

    BINDINGS = [
        Binding("j,down", "move(1)", "Next article", id="list.down", show=False),
        Binding("k,up", "move(-1)", "Previous article", id="list.up", show=False),
        Binding("g,home", "jump(0)", "First article", id="list.first", show=False),
        Binding("G,end", "jump(-1)", "Last article", id="list.last", show=False),
        Binding("ctrl+d,pagedown", "page(1)", "Page down", id="list.page_down", show=False),
        Binding("ctrl+u,pageup", "page(-1)", "Page up", id="list.page_up", show=False),
        Binding("enter,l", "read", "Read", id="list.read", show=False),
    ]

    COMPONENT_CLASSES = {
        "article-list--cursor",
        "article-list--date",
        "article-list--source",
        "article-list--count",
        "article-list--empty",
        "article-list--unread",
        "article-list--star",
    }

    DEFAULT_CSS = """
    ArticleList {
        background: $surface;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
    }
    ArticleList > .article-list--cursor { background: $block-cursor-blurred-background; }
    ArticleList:focus > .article-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    ArticleList > .article-list--date { color: $text-muted; }
    ArticleList > .article-list--source { color: $text-secondary; }
    ArticleList > .article-list--count { color: $text-accent; text-style: bold; }
    ArticleList > .article-list--empty { color: $text-muted; text-style: italic; }
    ArticleList > .article-list--unread { color: $text-accent; text-style: bold; }
    ArticleList > .article-list--star { text-style: bold; }
    """

    cursor: reactive[int] = reactive(-1, always_update=False)
    """Index of the highlighted row (-1 when the list is empty)."""

    @dataclass
    class Highlighted(Message):
        """The cursor moved onto an article."""

        article_id: str

    @dataclass
    class Read(Message):
        """The user asked to read the highlighted article (enter, or a click on it)."""

        article_id: str

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._rows: list[ListRow] = []
        self._where: dict[str, int] | None = None
        """Row index by article id, built on first lookup after :meth:`set_rows`."""
        self.empty_text = "No articles."
        self._quiet = False
        self.read_ids: set[str] | None = None
        """Articles marked read (None: marks not known yet, so none is shown unread)."""
        self.starred_ids: set[str] = set()

    # --- data -----------------------------------------------------------------------------
    @property
    def rows(self) -> list[ListRow]:
        """The rows shown, in order."""
        return self._rows

    def set_rows(self, rows: list[ListRow], keep: str | None = None) -> None:
        """Show ``rows``; keep the cursor on article ``keep`` if it is among them."""
        self._rows = rows
        self._where = None
        self.virtual_size = Size(self.size.width, len(rows))
        index = self.index_of(keep) if keep else None
        self._quiet = True
        try:
            self.cursor = index if index is not None else (0 if rows else -1)
        finally:
            self._quiet = False
        self._scroll_to_cursor()
        self.refresh()

    def index_of(self, article_id: str) -> int | None:
        """The row index of an article, or None."""
        if self._where is None:
            self._where = {row.id: i for i, row in enumerate(self._rows)}
        return self._where.get(article_id)

    def select(self, article_id: str) -> bool:
        """Move the cursor to an article without announcing it; False if it is not listed."""
        index = self.index_of(article_id)
        if index is None:
            return False
        self._quiet = True
        try:
            self.cursor = index
        finally:
            self._quiet = False
        self._scroll_to_cursor()
        return True

    @property
    def current(self) -> ListRow | None:
        """The highlighted row."""
        if 0 <= self.cursor < len(self._rows):
            return self._rows[self.cursor]
        return None

    # --- behaviour ------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        if not self._quiet and (row := self.current) is not None:
            self.post_message(self.Highlighted(row.id))

    def _scroll_to_cursor(self) -> None:
        if self.cursor >= 0:
            self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, immediate=True)

    def action_move(self, delta: int) -> None:
        if self._rows:
            self.cursor = max(0, min(len(self._rows) - 1, self.cursor + delta))
            self._scroll_to_cursor()

    def action_jump(self, where: int) -> None:
        if self._rows:
            self.cursor = where if where >= 0 else len(self._rows) - 1
            self._scroll_to_cursor()

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.scrollable_content_region.height - 1))

    def action_read(self) -> None:
        if (row := self.current) is not None:
            self.post_message(self.Read(row.id))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = int(self.scroll_offset.y) + offset.y
        if 0 <= index < len(self._rows):
            was = self.cursor
            self.cursor = index
            if event.chain > 1 or was == index:
                self.action_read()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._rows))

    # --- rendering ------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_offset.y) + y
        base = self.rich_style
        if not self._rows:
            if y == 0:
                style = self.get_component_rich_style("article-list--empty")
                return Strip([Segment(set_cell_size(" " + self.empty_text, width), style)], width)
            return Strip.blank(width, base)
        if index >= len(self._rows):
            return Strip.blank(width, base)
        row = self._rows[index]
        cursor = index == self.cursor
        line_style = base + self.get_component_rich_style("article-list--cursor") if cursor else base
        date_style = line_style + self.get_component_rich_style("article-list--date", partial=True)
        source_style = line_style + self.get_component_rich_style("article-list--source",
                                                                   partial=True)
        count_style = line_style + self.get_component_rich_style("article-list--count",
                                                                  partial=True)
        if cursor:
            date_style = source_style = line_style
            count_style = line_style + Style(bold=True)
        unread = self.read_ids is not None and row.id not in self.read_ids
        mark_style = line_style + self.get_component_rich_style("article-list--unread",
                                                                 partial=True)
        star_style = line_style + self.get_component_rich_style("article-list--star",
                                                                partial=True)
        marks = [Segment(UNREAD_MARK if unread else " ", mark_style),
                 Segment(STAR_MARK if row.id in self.starred_ids else " ", star_style)]
        # an unread title is bold, as in a mail reader
        title_style = line_style + Style(bold=True) if unread else line_style
        segments = self._segments(row, width - MARKS_WIDTH, line_style, date_style,
                                  source_style, count_style)
        segments[-1] = Segment(segments[-1].text, title_style)
        return Strip([*marks, *segments], width)

    @staticmethod
    def _segments(row: ListRow, width: int, line: Style, date_style: Style, source_style: Style,
                  count_style: Style) -> list[Segment]:
        source_width = max(8, min(18, width // 4))
        show_date = width >= 40
        segments = [Segment(" ", line)]
        used = 1
        if show_date:
            # an item without a date of its own is dated by its fetch, and says so (dim)
            day = "fetched" if row.fetched else (row.published or "")
            segments.append(Segment(set_cell_size(day, DATE_WIDTH) + " ",
                                    date_style + Style(dim=True) if row.fetched else date_style))
            used += DATE_WIDTH + 1
        source = shorten(one_line(row.source), source_width)
        segments.append(Segment(set_cell_size(source, source_width) + " ", source_style))
        used += source_width + 1
        count = f"+{row.others}" if row.others else ""
        segments.append(Segment(set_cell_size(count, COUNT_WIDTH - 1).rjust(COUNT_WIDTH - 1) + " ",
                                count_style))
        used += COUNT_WIDTH
        rest = max(0, width - used)
        title = one_line(row.title)
        if cell_len(title) > rest and rest > 1:
            title = set_cell_size(title, rest - 1) + "…"
        segments.append(Segment(set_cell_size(title, rest), line))
        return segments
