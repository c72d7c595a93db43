"""The event strip: the story's dated events in date order.

The open article's events stand out (bold, marked); the other sources' are dim. Choosing one
(enter or click) opens its article at that paragraph. The strip opens on the story's own days
(around the open article's publication, ``OWN_DAYS`` either side); events of background years
are folded into one line at the end, and ``b`` shows them (dimmed, in date order) or folds
them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from reader.panes.model import EventItem, plain
from reader.safe import one_line, shorten

SOURCE_WIDTH = 14
OWN_DAYS = 45  # the story's own days: this many either side of the open article's date


def _period(value: str) -> tuple[date, date] | None:
    """First and last day of an event's value (YYYY, YYYY-MM or YYYY-MM-DD), or None."""
    try:
        parts = [int(x) for x in value.split("-")[:3]]
        if len(parts) == 1:
            return date(parts[0], 1, 1), date(parts[0], 12, 31)
        if len(parts) == 2:
            first = date(parts[0], parts[1], 1)
            nxt = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
            return first, nxt - timedelta(days=1)
        d = date(*parts)
        return d, d
    except (ValueError, TypeError):
        return None


def background(event_date: str, published: str | None) -> bool:
    """Whether an event lies outside the story's own days (more than ``OWN_DAYS`` from the
    open article's publication date): background years the story recalls."""
    if not published:
        return False
    pub = _period(published[:10])
    span = _period(event_date)
    if pub is None or span is None:
        return False
    lo, hi = pub[0] - timedelta(days=OWN_DAYS), pub[0] + timedelta(days=OWN_DAYS)
    return span[1] < lo or span[0] > hi


class EventStrip(OptionList):
    """The story's events on one date-sorted strip.

    | Key | Action |
    | :- | :- |
    | j, down | next event |
    | k, up | previous event |
    | enter | open the event's article at its paragraph |
    | b | show or fold the background years' events |
    """

    BINDINGS = [
        Binding("j", "cursor_down", "Next event", id="events.down", show=False),
        Binding("k", "cursor_up", "Previous event", id="events.up", show=False),
        Binding("enter", "select", "Open event", id="events.choose"),
        Binding("b", "toggle_background", "Background years", id="events.background"),
    ]

    COMPONENT_CLASSES = {
        "event-strip--own-mark",
        "event-strip--own-source",
    }

    DEFAULT_CSS = """
    EventStrip { scrollbar-size-vertical: 1; scrollbar-gutter: stable; }
    """

    @dataclass
    class Chosen(Message):
        """An event was chosen: open its article at its paragraph."""

        event: EventItem

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.events: list[EventItem] = []  # the events shown, in the order of the options
        self.article_id: str | None = None
        self.published: str | None = None
        self.show_background = False
        self._all: list[EventItem] = []

    def show(self, events: tuple[EventItem, ...] | list[EventItem], article_id: str,
             published: str | None = None) -> None:
        """Show the story's events; those of ``article_id`` stand out. With ``published``
        (the open article's date), events of background years are folded (see the module)."""
        self._all = list(events)
        self.article_id = article_id
        self.published = published
        self._show()

    def action_toggle_background(self) -> None:
        """Show the background years' events, or fold them again."""
        self.show_background = not self.show_background
        keep = self.current
        self._show()
        if keep is not None and keep in self.events:
            self.highlighted = self.events.index(keep)

    def _show(self) -> None:
        article_id = self.article_id
        back = [background(e.date, self.published) for e in self._all]
        if self.show_background:
            self.events = list(self._all)
        else:
            self.events = [e for e, b in zip(self._all, back, strict=True) if not b]
        hidden = [e for e, b in zip(self._all, back, strict=True) if b]
        self.clear_options()
        options = []
        own_mark = self.get_component_rich_style("event-strip--own-mark", partial=True)
        own_source = self.get_component_rich_style("event-strip--own-source", partial=True)
        for i, ev in enumerate(self.events):
            own = ev.article == article_id
            old = self.show_background and background(ev.date, self.published)
            head = Text(end="")
            head.append("● " if own else "○ ", style=own_mark if own else "dim")
            head.append(f"{ev.date:<10} ", style="dim" if old else ("bold" if own else ""))
            source = plain(shorten(one_line(ev.source), SOURCE_WIDTH),
                           "dim" if old else (own_source if own else "dim"))
            source.truncate(SOURCE_WIDTH, pad=True)
            head.append_text(source)
            sentence = plain(ev.text, "dim" if (old or not own) else "")
            # The sentence wraps in its own column (a hanging indent under its first word): it is
            # read whole, never cut, and the dates and sources stay a clean column on the left.
            line = Table.grid(expand=True, padding=(0, 0, 0, 1))
            line.add_column(no_wrap=True)
            line.add_column(ratio=1)
            line.add_row(head, sentence)
            options.append(Option(line, id=f"v{i}"))
        if hidden and not self.show_background:
            years = sorted({e.date[:4] for e in hidden})
            span = years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}"
            options.append(Option(Text(
                f"▸ {len(hidden)} background event{'s' if len(hidden) > 1 else ''} ({span}): "
                "b shows them", style="dim italic", end=""), disabled=True))
        if not self._all:
            options.append(Option(Text("No dated events in this story.", style="dim italic",
                                       end=""), disabled=True))
        self.add_options(options)
        own_days = [i for i, e in enumerate(self.events)
                    if not background(e.date, self.published)]
        first_own = next((i for i in own_days if self.events[i].article == article_id), None)
        if first_own is None:
            first_own = next((i for i, e in enumerate(self.events) if e.article == article_id),
                             None)
        if first_own is None and own_days:
            first_own = own_days[0]
        self.highlighted = first_own if first_own is not None else (0 if self.events else None)

    @property
    def current(self) -> EventItem | None:
        """The highlighted event."""
        if self.highlighted is None or not self.events:
            return None
        return self.events[self.highlighted]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and event.option.id.startswith("v"):
            self.post_message(self.Chosen(self.events[int(event.option.id[1:])]))
