"""The entity sidebar: the open article's people, places and organisations.

Each line shows the name coloured by type, the article's own mention count and how many sources in
the library name the entity. Choosing one (enter or click) asks for the list to be filtered to the
articles naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from reader.panes.model import ENTITY_PARTS, EntityItem, plain

TYPE_ORDER = {"PER": 0, "LOC": 1, "ORG": 2}
HEADINGS = {"PER": "People", "LOC": "Places", "ORG": "Organisations"}


class EntitySidebar(OptionList):
    """People, places and organisations of the open article.

    | Key | Action |
    | :- | :- |
    | j, down | next entity |
    | k, up | previous entity |
    | enter | filter the list to articles naming it |
    """

    BINDINGS = [
        Binding("j", "cursor_down", "Next entity", id="entities.down", show=False),
        Binding("k", "cursor_up", "Previous entity", id="entities.up", show=False),
        Binding("enter", "select", "Filter by entity", id="entities.choose"),
    ]

    COMPONENT_CLASSES = {
        "entity-sidebar--person",
        "entity-sidebar--place",
        "entity-sidebar--organisation",
    }

    DEFAULT_CSS = """
    EntitySidebar { scrollbar-size-vertical: 1; scrollbar-gutter: stable; }
    """

    @dataclass
    class Chosen(Message):
        """An entity was chosen: filter the list to the articles naming it."""

        entity: EntityItem

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.entities: list[EntityItem] = []

    def show(self, entities: tuple[EntityItem, ...] | list[EntityItem]) -> None:
        """Show the open article's entities, grouped by type."""
        ordered = sorted(entities, key=lambda e: (TYPE_ORDER.get(e.type, 9), -e.mentions,
                                                  -e.sources, e.name.casefold()))
        self.entities = ordered
        self.clear_options()
        options: list[Option | None] = []
        last = None
        for i, e in enumerate(ordered):
            if e.type != last:
                if last is not None:
                    options.append(None)
                heading = Text(HEADINGS.get(e.type, e.type), style="bold underline", end="")
                options.append(Option(heading, disabled=True))
                last = e.type
            part = ENTITY_PARTS.get(e.type)
            line = plain(e.name, self.get_component_rich_style(f"entity-sidebar--{part}",
                                                               partial=True) if part else "")
            # Counts in their own column: a long name wraps inside its column, the counts stay
            # whole and aligned ("×1  2 src", never "×1  2" / "src").
            counts = Text(f"×{e.mentions}", style="dim", end="")
            if e.sources > 1:
                counts.append(f"  {e.sources} src", style="bold")
            row = Table.grid(expand=True, padding=(0, 0, 0, 1))
            row.add_column(ratio=1, overflow="fold")
            row.add_column(no_wrap=True, justify="right")
            row.add_row(line, counts)
            options.append(Option(row, id=f"e{i}"))
        if not options:
            options.append(Option(Text("No entities.", style="dim italic", end=""), disabled=True))
        self.add_options(options)
        self.highlighted = next(
            (k for k, o in enumerate(self.options) if not o.disabled), None
        )

    @property
    def current(self) -> EntityItem | None:
        """The highlighted entity."""
        if self.highlighted is None:
            return None
        option = self.get_option_at_index(self.highlighted)
        if option.id and option.id.startswith("e"):
            return self.entities[int(option.id[1:])]
        return None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and event.option.id.startswith("e"):
            self.post_message(self.Chosen(self.entities[int(event.option.id[1:])]))
