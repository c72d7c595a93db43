"""The help screen: every binding of the app, with its description and id."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from reader.bindings import HELP, Sections, effective_keys
from reader.keys import Keymap

KEY_NAMES = {
    "slash": "/", "question_mark": "?", "right_square_bracket": "]", "left_square_bracket": "[",
    "escape": "esc", "pagedown": "pgdn", "pageup": "pgup", "vertical_line": "|",
    "apostrophe": "'",
}


def key_display(keys: str) -> str:
    """``"j,down"`` -> ``"j / down"`` with symbol names shown as symbols."""
    return " / ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


#: What every mark on the screen means (the legend at the top of the help).
LEGEND: list[tuple[str, str, str]] = [
    ("Article list", "•", "unread (its title in bold); opening an article marks it read, m toggles"),
    ("Article list", "★", "starred (s)"),
    ("Article list", "+3", "the article's story has 3 other sources"),
    ("Article list", "title", "Articles · count · unread · starred · the order (O changes it)"),
    ("Reader", "▌", "the paragraph cursor (jumps start from it)"),
    ("Reader", "+2", "2 other sources carry this paragraph (p goes there)"),
    ("Reader", "◆", "only here: no other outlet carries this paragraph"),
    ("Reader", "≡", "everywhere: every other outlet of the story carries it"),
    ("Reader", "colours", "people, places, organisations; search hits highlighted"),
    ("Entities", "×3", "mentioned 3 times in this article"),
    ("Entities", "4 src", "named by 4 sources across the library"),
    ("Events", "●", "a dated event of this article"),
    ("Events", "○", "a dated event of another article of its story"),
    ("Coverage", "shared / own", "paragraphs an outlet shares with this article / only it carries"),
]


class HelpScreen(ModalScreen[None]):
    """Every key, what it does, and its id (for remapping).

    | Key | Action |
    | :- | :- |
    | escape, q, ? | close |
    """

    BINDINGS = HELP

    COMPONENT_CLASSES = {"help-screen--key"}

    def __init__(self, sections: Sections, keymap: Keymap | None = None) -> None:
        super().__init__()
        self.sections = sections
        """What to show: (where, bindings), as :func:`reader.bindings.binding_sections` gives."""
        self.keymap = keymap
        """The user's keymap (the keys shown are the keys that work)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(self._table(), id="help-table")

    def on_mount(self) -> None:
        self.query_one("#help-body").border_title = "Keys (esc closes)"
        self.query_one("#help-body").focus()

    def action_scroll(self, delta: int) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        body.scroll_to(y=body.scroll_y + delta, animate=False)

    def _table(self) -> Table:
        table = Table(box=None, expand=True, show_header=True, header_style="bold",
                      pad_edge=False, padding=(0, 2, 0, 0))
        table.add_column("key", no_wrap=True,
                         style=self.get_component_rich_style("help-screen--key", partial=True))
        table.add_column("does")
        table.add_column("id", style="dim", no_wrap=True)
        mine = self.keymap
        remapped = mine.keys if mine is not None else {}
        table.add_row(Text("Marks", style="bold underline"), "", "")
        for where, mark, means in LEGEND:
            table.add_row(Text(mark), Text(means), Text(where.lower()))
        table.add_row("", "", "")
        for title, bindings in self.sections:
            table.add_row(Text(title, style="bold underline"), "", "")
            for b, keys in zip(bindings, effective_keys(bindings, remapped), strict=True):
                does = f"{b.description}: {b.tooltip}" if b.tooltip else b.description
                table.add_row(Text(key_display(keys) if keys else "(none)"), Text(does),
                              Text(b.id or ""))
            table.add_row("", "", "")
        table.add_row(Text("ctrl+p"), Text("Command palette: search, jumps, panes, help, quit"),
                      Text("app.palette"))
        where = str(mine.path) if mine is not None and mine.path else "keys.toml"
        table.add_row("", "", "")
        table.add_row(Text("remap"), Text(f"put [keys] \"id\" = \"keys\" lines in {where}"),
                      Text(""))
        table.add_row(Text("mouse"), Text("click to choose; double-click an article to read it;"
                                          " wheel scrolls"), Text(""))
        return table
