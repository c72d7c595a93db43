"""The event strip: the story's dated events in date order.

The open article's events stand out (bold, marked); the other sources' are dim. Choosing one
(enter or click) opens its article at that paragraph.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from reader.panes.model import EventItem, plain

SOURCE_WIDTH = 14


class EventStrip(OptionList):
    """The story's events on one date-sorted strip.

    | Key | Action |
    | :- | :- |
    | j, down | next event |
    | k, up | previous event |
    | enter | open the event's article at its paragraph |
    """

    BINDINGS = [
        Binding("j", "cursor_down", "Next event", id="events.down", show=False),
        Binding("k", "cursor_up", "Previous event", id="events.up", show=False),
        Binding("enter", "select", "Open event", id="events.choose"),
    ]

    DEFAULT_CSS = """
    EventStrip { scrollbar-size-vertical: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    class Chosen(Message):
        """An event was chosen: open its article at its paragraph."""

        def __init__(self, event: EventItem) -> None:
            self.event = event
            super().__init__()

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.events: list[EventItem] = []
        self.article_id: str | None = None

    def show(self, events: tuple[EventItem, ...] | list[EventItem], article_id: str) -> None:
        """Show the story's events; those of ``article_id`` stand out."""
        self.events = list(events)
        self.article_id = article_id
        self.clear_options()
        options = []
        for i, ev in enumerate(self.events):
            own = ev.article == article_id
            line = Text(end="", no_wrap=True, overflow="ellipsis")
            line.append("● " if own else "○ ", style="bold #61afef" if own else "dim")
            line.append(f"{ev.date:<10} ", style="bold" if own else "")
            source = plain(ev.source, "#61afef" if own else "dim")
            source.truncate(SOURCE_WIDTH, pad=True)
            line.append_text(source)
            line.append(" ")
            sentence = plain(ev.text, "" if own else "dim")
            line.append_text(sentence)
            options.append(Option(line, id=f"v{i}"))
        if not options:
            options.append(Option(Text("No dated events in this story.", style="dim italic",
                                       end=""), disabled=True))
        self.add_options(options)
        first_own = next((i for i, e in enumerate(self.events) if e.article == article_id), None)
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
