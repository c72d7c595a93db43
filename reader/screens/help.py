"""The help screen: every binding of the app, with its description and id."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEY_NAMES = {
    "slash": "/", "question_mark": "?", "right_square_bracket": "]", "left_square_bracket": "[",
    "escape": "esc", "pagedown": "pgdn", "pageup": "pgup", "vertical_line": "|",
    "apostrophe": "'",
}


def key_display(keys: str) -> str:
    """``"j,down"`` -> ``"j / down"`` with symbol names shown as symbols."""
    return " / ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def binding_sections() -> list[tuple[str, list[Binding]]]:
    """Every binding of the app, grouped by where it works."""
    from reader.app import ReaderApp
    from reader.panes.article_list import ArticleList
    from reader.panes.entities import EntitySidebar
    from reader.panes.events import EventStrip
    from reader.panes.reader_view import ReaderView
    from reader.panes.search import SearchLine
    from reader.screens.coverage import CoverageScreen, SavedSearchesScreen, SaveSearchScreen
    from reader.screens.feeds import FeedsScreen
    from reader.screens.main import MainScreen

    def only(bindings: list[BindingType]) -> list[Binding]:
        return [b for b in bindings if isinstance(b, Binding)]

    return [
        ("Everywhere", only(ReaderApp.BINDINGS) + only(MainScreen.BINDINGS)),
        ("Article list", only(ArticleList.BINDINGS)),
        ("Reader", only(ReaderView.BINDINGS)),
        ("Entity sidebar", only(EntitySidebar.BINDINGS)),
        ("Event strip", only(EventStrip.BINDINGS)),
        ("Search line", only(SearchLine.BINDINGS)),
        ("Feeds", only(FeedsScreen.BINDINGS)),
        ("Coverage", only(CoverageScreen.BINDINGS)),
        ("Saved searches", only(SavedSearchesScreen.BINDINGS) + only(SaveSearchScreen.BINDINGS)),
        ("Help", only(HelpScreen.BINDINGS)),
    ]


def effective_keys(bindings: list[Binding], remapped: dict[str, str]) -> list[str]:
    """The keys each binding answers to once ``remapped`` (binding id -> keys) applies, as
    Textual applies a keymap to one set of bindings: a remapped binding loses its default keys,
    and a key given to a remapped binding is taken from the others that had it."""

    def keys_of(b: Binding) -> list[str]:
        keys = remapped.get(b.id or "", b.key)
        return [","] if keys == "," else [k.strip() for k in keys.split(",") if k.strip()]

    taken = {k for b in bindings if (b.id or "") in remapped for k in keys_of(b)}
    return [",".join(k for k in keys_of(b)
                     if (b.id or "") in remapped or k not in taken) for b in bindings]


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


def binding_ids() -> list[str]:
    """Every binding id of the app (what a keys.toml may name)."""
    return [b.id for _title, bs in binding_sections() for b in bs if b.id]


class HelpScreen(ModalScreen[None]):
    """Every key, what it does, and its id (for remapping).

    | Key | Action |
    | :- | :- |
    | escape, q, ? | close |
    """

    BINDINGS = [
        Binding("escape,q,question_mark", "app.pop_screen", "Close help", id="help.close"),
        Binding("j,down", "scroll(1)", "Scroll down", id="help.down", show=False),
        Binding("k,up", "scroll(-1)", "Scroll up", id="help.up", show=False),
    ]

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
        table.add_column("key", no_wrap=True, style="bold #e5c07b")
        table.add_column("does")
        table.add_column("id", style="dim", no_wrap=True)
        mine = getattr(self.app, "keys", None)
        remapped = mine.keys if mine is not None else {}
        table.add_row(Text("Marks", style="bold underline"), "", "")
        for where, mark, means in LEGEND:
            table.add_row(Text(mark), Text(means), Text(where.lower()))
        table.add_row("", "", "")
        for title, bindings in binding_sections():
            table.add_row(Text(title, style="bold underline"), "", "")
            for b, keys in zip(bindings, effective_keys(bindings, remapped), strict=True):
                does = f"{b.description}: {b.tooltip}" if b.tooltip else b.description
                table.add_row(Text(key_display(keys) if keys else "(none)"), Text(does),
                              Text(b.id or ""))
            table.add_row("", "", "")
        table.add_row(Text("ctrl+p"), Text("Command palette: search, jumps, panes, help, quit"),
                      Text("app.palette"))
        where = mine.path if mine is not None and mine.path else "keys.toml"
        table.add_row("", "", "")
        table.add_row(Text("remap"), Text(f"put [keys] \"id\" = \"keys\" lines in {where}"),
                      Text(""))
        table.add_row(Text("mouse"), Text("click to choose; double-click an article to read it;"
                                          " wheel scrolls"), Text(""))
        return table
