"""The reader view: the open article, paragraph by paragraph, with a paragraph cursor.

Entities are coloured by type, search hits highlighted, and each paragraph that other sources
carry is marked in the margin with how many. The paragraph under the cursor is what the
cross-source jumps start from.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from index.search import hit_spans
from reader.panes.model import (
    ENTITY_PARTS,
    ArticleView,
    mention_spans,
    plain,
    styled,
)

MARGIN = 6
ONLY_HERE = "◆"  # no other outlet carries the paragraph
EVERYWHERE = "≡"  # every other outlet of the story carries it


class Paragraph(Widget):
    """One paragraph: a margin mark (other sources carrying it) and the styled text.

    The text is rendered alone (Textual's own wrapping, no table) inside a left padding of
    :data:`MARGIN` cells, and the mark is drawn into that padding on the first line: the
    cheapest way to draw a paragraph, which matters when the cursor runs down the list.
    """

    DEFAULT_CSS = """
    Paragraph { height: auto; padding: 0 1 1 6; }
    Paragraph.-cursor { background: $boost; }
    ReaderView:focus Paragraph.-cursor { background: $primary 20%; }
    """

    COMPONENT_CLASSES = {
        "paragraph--bar",
        "paragraph--carried",
        "paragraph--only-here",
        "paragraph--everywhere",
    }

    def __init__(self, index: int, text: Text, carried: int) -> None:
        super().__init__(classes="paragraph")
        self.index = index
        self.text = text
        self.carried = carried
        self.coverage = ""
        """``◆`` no other outlet carries it, ``≡`` every outlet of the story does, or ""."""

    def render(self) -> RenderableType:
        return self.text

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        if crop.y != 0 or crop.x != 0 or not lines:
            return lines
        first = lines[0]
        base = first.crop(0, 1)
        style = next((seg.style for seg in base if seg.style is not None), None) or Style()
        bar = "▌" if self.has_class("-cursor") else " "
        part = self.get_component_rich_style
        mark = [Segment(bar, style + part("paragraph--bar", partial=True))]
        if self.carried:
            mark.append(Segment(f"+{self.carried}"[: MARGIN - 3],
                                style + part("paragraph--carried", partial=True)))
        if self.coverage:
            used = sum(cell_len(seg.text) for seg in mark)
            mark.append(Segment(" " * max(0, MARGIN - 2 - used), style))
            mark.append(Segment(self.coverage, style + part(
                "paragraph--everywhere" if self.coverage == EVERYWHERE else "paragraph--only-here",
                partial=True)))
        width = sum(cell_len(seg.text) for seg in mark)
        lines[0] = Strip([*mark, *first.crop(width, first.cell_length)], first.cell_length)
        return lines

    def set(self, text: Text, carried: int) -> None:
        """Show another article's paragraph in this widget."""
        self.text = text
        self.carried = carried
        self.coverage = ""
        self.refresh(layout=True)

    def update(self, text: Text) -> None:
        """Restyle the paragraph (new highlights: same characters, so no new layout)."""
        if text.plain == self.text.plain and text.spans == self.text.spans:
            return
        layout = text.plain != self.text.plain
        self.text = text
        self.refresh(layout=layout)


class ReaderView(VerticalScroll, can_focus=True):
    """The open article.

    | Key | Action |
    | :- | :- |
    | j, down | next paragraph |
    | k, up | previous paragraph |
    | g, home | first paragraph |
    | G, end | last paragraph |
    | space, pagedown | page down |
    | b, pageup | page up |
    """

    ALLOW_MAXIMIZE = True

    BINDINGS = [
        Binding("j,down", "paragraph(1)", "Next paragraph", id="reader.down", show=False),
        Binding("k,up", "paragraph(-1)", "Previous paragraph", id="reader.up", show=False),
        Binding("g,home", "first", "First paragraph", id="reader.first", show=False),
        Binding("G,end", "last", "Last paragraph", id="reader.last", show=False),
        Binding("space,pagedown", "page(1)", "Page down", id="reader.page_down", show=False),
        Binding("b,pageup", "page(-1)", "Page up", id="reader.page_up", show=False),
    ]

    COMPONENT_CLASSES = {
        "reader-view--person",
        "reader-view--place",
        "reader-view--organisation",
        "reader-view--hit",
        "reader-view--current-hit",
        "reader-view--source",
        "reader-view--link",
    }

    DEFAULT_CSS = """
    ReaderView { padding: 0 1; }
    ReaderView > #reader-head { padding: 0 0 1 0; }
    ReaderView > #reader-empty { color: $text-muted; padding: 1 2; }
    """

    paragraph: reactive[int] = reactive(0, init=False)
    """Index of the paragraph under the cursor."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.article: ArticleView | None = None
        self.link: str | None = None
        """The open article's URL, shown under its title."""
        self.terms: set[str] = set()
        self.hits: list[tuple[int, int, int]] = []
        """(paragraph, start, end) of every search hit in the open article (paragraph -1: title)."""
        self.hit: int = -1
        """Index into :attr:`hits` of the current hit."""
        self._paras: list[Paragraph] = []

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(Text("", end=""), id="reader-head")
        yield Static(Text("Choose an article on the left.", end=""), id="reader-empty")

    def on_mount(self) -> None:
        self.query_one("#reader-head").display = False

    # --- attributes down ------------------------------------------------------------------
    def show(self, article: ArticleView, paragraph: int = 0, terms: set[str] | None = None) -> None:
        """Show ``article`` with the cursor on ``paragraph`` and ``terms`` highlighted.

        Paragraph widgets are reused from one article to the next (only the surplus is mounted
        or removed), so opening an article costs little.
        """
        self.article = article
        self.link = article.url
        if terms is not None:
            self.terms = terms
        self._compute_hits()
        self.hit = -1
        head = self.query_one("#reader-head", Static)
        head.update(self._head(article))
        head.display = True
        self.query_one("#reader-empty").display = False
        n = len(article.paragraphs)
        with self.app.batch_update():
            for i, para in enumerate(self._paras[:n]):
                para.set(self._paragraph_text(i), article.carried.get(i, 0))
            if n > len(self._paras):
                new = [Paragraph(i, self._paragraph_text(i), article.carried.get(i, 0))
                       for i in range(len(self._paras), n)]
                self._paras.extend(new)
                self.mount_all(new)
            elif n < len(self._paras):
                surplus, self._paras = self._paras[n:], self._paras[:n]
                for para in surplus:
                    para.remove()
        self.scroll_home(animate=False, immediate=True)
        self.set_paragraph(paragraph, force=True)

    def set_coverage(self, only_here: tuple[int, ...], everywhere: tuple[int, ...]) -> None:
        """Mark the paragraphs no other outlet carries and those every outlet carries."""
        only, every = set(only_here), set(everywhere)
        for p in self._paras:
            mark = ONLY_HERE if p.index in only else EVERYWHERE if p.index in every else ""
            if mark != p.coverage:
                p.coverage = mark
                p.refresh()

    def clear(self) -> None:
        """Show nothing."""
        self.article = None
        self.hits = []
        for para in self._paras:
            para.remove()
        self._paras = []
        self.query_one("#reader-head").display = False
        empty = self.query_one("#reader-empty", Static)
        empty.update(Text("No article.", end=""))
        empty.display = True

    def set_terms(self, terms: set[str]) -> None:
        """Highlight ``terms`` (the analysed words of the search) in the open article."""
        if terms == self.terms:
            return
        self.terms = terms
        self.hit = -1
        if self.article is None:
            return
        self._compute_hits()
        self.query_one("#reader-head", Static).update(self._head(self.article))
        for p in self._paras:
            p.update(self._paragraph_text(p.index))

    def set_paragraph(self, index: int, *, force: bool = False, top: bool = True) -> None:
        """Put the cursor on paragraph ``index`` and scroll it into view."""
        if self.article is None or not self.article.paragraphs:
            return
        index = max(0, min(len(self.article.paragraphs) - 1, index))
        changed = index != self.paragraph
        self.paragraph = index
        if changed or force:
            self._mark_cursor()
        self._scroll_to_cursor(top=top)

    # --- hits -----------------------------------------------------------------------------
    def _compute_hits(self) -> None:
        self.hits = []
        if self.article is None or not self.terms:
            return
        for s, e in hit_spans(self.article.title, self.terms):
            self.hits.append((-1, s, e))
        for i, para in enumerate(self.article.paragraphs):
            for s, e in hit_spans(para, self.terms):
                self.hits.append((i, s, e))

    def next_hit(self, direction: int) -> bool:
        """Move to the next (``direction`` 1) or previous (-1) search hit; False if none."""
        if not self.hits:
            return False
        body = [i for i, h in enumerate(self.hits) if h[0] >= 0] or list(range(len(self.hits)))
        if self.hit < 0:
            after = [i for i in body if self.hits[i][0] >= self.paragraph] if direction > 0 \
                else [i for i in body if self.hits[i][0] <= self.paragraph]
            target = (after[0] if direction > 0 else after[-1]) if after else \
                (body[0] if direction > 0 else body[-1])
        else:
            pos = body.index(self.hit) if self.hit in body else -1
            target = body[(pos + direction) % len(body)]
        old = self.hit
        self.hit = target
        para = self.hits[target][0]
        for p in self._paras:
            if p.index == para or (old >= 0 and p.index == self.hits[old][0]):
                p.update(self._paragraph_text(p.index))
        if para >= 0:
            self.set_paragraph(para, top=False)
        return True

    @property
    def hit_position(self) -> tuple[int, int]:
        """(1-based number of the current hit, number of hits) among body hits."""
        body = [i for i, h in enumerate(self.hits) if h[0] >= 0]
        return (body.index(self.hit) + 1 if self.hit in body else 0, len(body))

    # --- rendering ------------------------------------------------------------------------
    def _spans(self, where: int, text: str) -> list[tuple[int, int, Style]]:
        spans: list[tuple[int, int, Style]] = []
        if where >= 0 and self.article is not None and where < len(self.article.mentions):
            spans.extend(mention_spans(self.article.mentions[where], self.entity_styles))
        current = self.hits[self.hit] if 0 <= self.hit < len(self.hits) else None
        for i, (p, s, e) in enumerate(self.hits):
            if p == where:
                spans.append((s, e, self.part("reader-view--current-hit" if current and i == self.hit
                                              else "reader-view--hit")))
        return spans

    def part(self, name: str) -> Style:
        """The style reader.tcss gives the component class ``name`` (of this view's own)."""
        return self.get_component_rich_style(name, partial=True)

    @property
    def entity_styles(self) -> dict[str, Style]:
        """Entity type -> its colour (the ``reader-view--person``... component classes)."""
        return {t: self.part(f"reader-view--{p}") for t, p in ENTITY_PARTS.items()}

    def _head(self, article: ArticleView) -> Text:
        title = styled(" ".join(article.title.split()), [
            (s, e, st) for s, e, st in self._spans(-1, article.title)
        ] if article.title == " ".join(article.title.split()) else [], base="bold")
        out = Text(end="")
        out.append_text(title)
        out.append("\n")
        meta = [plain(article.source, self.part("reader-view--source"))]
        if article.fetched:  # no date of its own: when it was fetched, dim
            meta.append(plain(f"fetched {fetched_time(article.fetched)} (no date given)", "dim"))
        elif article.published:
            meta.append(plain(article.published))
        if article.byline:
            meta.append(plain("by " + article.byline, "italic"))
        for i, part in enumerate(meta):
            if i:
                out.append(" · ", style="dim")
            out.append_text(part)
        if self.link:
            out.append("\n")
            out.append_text(plain(self.link, self.part("reader-view--link")))
            out.append("  o: open · y: copy", style="dim")
        return out

    def _paragraph_text(self, index: int) -> Text:
        assert self.article is not None
        para = self.article.paragraphs[index]
        return styled(para, self._spans(index, para))

    def _mark_cursor(self) -> None:
        for p in self._paras:
            want = p.index == self.paragraph
            if p.has_class("-cursor") != want:
                p.set_class(want, "-cursor")
                p.refresh()

    def _scroll_to_cursor(self, top: bool = True) -> None:
        if self.paragraph == 0 and top:
            self.call_after_refresh(self.scroll_home, animate=False)
            return
        for p in self._paras:
            if p.index == self.paragraph:
                self.call_after_refresh(self.scroll_to_widget, p, animate=False, top=top)
                break

    # --- actions --------------------------------------------------------------------------
    def action_paragraph(self, delta: int) -> None:
        self.set_paragraph(self.paragraph + delta, top=False)

    def action_first(self) -> None:
        self.set_paragraph(0)
        self.scroll_home(animate=False)

    def action_last(self) -> None:
        if self.article is not None:
            self.set_paragraph(len(self.article.paragraphs) - 1, top=False)

    def action_page(self, direction: int) -> None:
        if self.article is None:
            return
        height = self.scrollable_content_region.height
        target_y = self.scroll_y + direction * max(1, height - 2)
        self.scroll_to(y=target_y, animate=False)
        # the cursor follows to the first paragraph in view
        for p in self._paras:
            if p.virtual_region.y >= target_y:
                self.paragraph = p.index
                self._mark_cursor()
                break

    def on_click(self, event) -> None:  # type: ignore[no-untyped-def]
        widget = event.widget
        while widget is not None and not isinstance(widget, Paragraph) and widget is not self:
            widget = widget.parent
        if isinstance(widget, Paragraph):
            self.set_paragraph(widget.index, top=False)


def fetched_time(iso: str) -> str:
    """A stored fetch time (UTC, ISO 8601) as local ``YYYY-MM-DD HH:MM``."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso[:16]
