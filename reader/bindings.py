"""Every key binding of the app, grouped by where it works: what the help screen shows, what a
``keys.toml`` may remap (by binding id), and what :func:`reader.keys.clashes` checks.

Each pane and screen keeps its own ``BINDINGS`` (with its key table in its docstring); the app's
and the help screen's live here, so that this module, the app and the help screen import each
other in one direction only (app -> help -> bindings -> panes and screens).
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

from reader.panes.article_list import ArticleList
from reader.panes.entities import EntitySidebar
from reader.panes.events import EventStrip
from reader.panes.reader_view import ReaderView
from reader.panes.search import SearchLine
from reader.screens.coverage import CoverageScreen, SavedSearchesScreen, SaveSearchScreen
from reader.screens.feeds import FeedsScreen
from reader.screens.main import MainScreen

APP: list[BindingType] = [
    Binding("q", "quit", "Quit", id="app.quit"),
    Binding("ctrl+q", "quit", "Quit", id="app.quit_now", show=False, priority=True),
    Binding("question_mark", "help", "Help", id="app.help"),
    Binding("ctrl+p", "command_palette", "Commands", id="app.palette", show=False),
]
"""The app's own bindings (:class:`reader.app.ReaderApp`)."""

HELP: list[BindingType] = [
    Binding("escape,q,question_mark", "app.pop_screen", "Close help", id="help.close"),
    Binding("j,down", "scroll(1)", "Scroll down", id="help.down", show=False),
    Binding("k,up", "scroll(-1)", "Scroll up", id="help.up", show=False),
]
"""The help screen's bindings (:class:`reader.screens.help.HelpScreen`)."""

Sections = list[tuple[str, list[Binding]]]


def _only(bindings: list[BindingType]) -> list[Binding]:
    return [b for b in bindings if isinstance(b, Binding)]


def binding_sections() -> Sections:
    """Every binding of the app, grouped by where it works ("Everywhere" first)."""
    return [
        ("Everywhere", _only(APP) + _only(MainScreen.BINDINGS)),
        ("Article list", _only(ArticleList.BINDINGS)),
        ("Reader", _only(ReaderView.BINDINGS)),
        ("Entity sidebar", _only(EntitySidebar.BINDINGS)),
        ("Event strip", _only(EventStrip.BINDINGS)),
        ("Search line", _only(SearchLine.BINDINGS)),
        ("Feeds", _only(FeedsScreen.BINDINGS)),
        ("Coverage", _only(CoverageScreen.BINDINGS)),
        ("Saved searches", _only(SavedSearchesScreen.BINDINGS) + _only(SaveSearchScreen.BINDINGS)),
        ("Help", _only(HELP)),
    ]


def binding_ids() -> list[str]:
    """Every binding id of the app (what a keys.toml may name)."""
    return [b.id for _title, bs in binding_sections() for b in bs if b.id]


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
