"""Screens of issue 13: the coverage of a story, saving a search, choosing a saved search.

Each is a modal screen that returns its choice through ``dismiss``; the main screen acts on it.
"""

from __future__ import annotations

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from index.coverage import Coverage
from reader.panes.model import plain
from reader.panes.reader_view import EVERYWHERE, ONLY_HERE


class CoverageScreen(ModalScreen[str | None]):
    """Who carries the story, when, who does not, and what only this article says.

    | Key | Action |
    | :- | :- |
    | j, k, arrows | move through the outlets |
    | enter | open that outlet's article |
    | escape, q, c | close |
    """

    BINDINGS = [
        Binding("escape,q,c", "dismiss_none", "Close coverage", id="coverage.close"),
    ]

    DEFAULT_CSS = """
    CoverageScreen { align: center middle; background: $background 60%; }
    #coverage-box {
        width: 90%; max-width: 140; height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    #coverage-outlets { height: auto; max-height: 12; border: none; }
    #coverage-rest { height: 1fr; }
    """

    COMPONENT_CLASSES = {
        "coverage-screen--carrier",
        "coverage-screen--missing",
        "coverage-screen--only-here",
        "coverage-screen--everywhere",
    }

    def __init__(self, cov: Coverage, title: str, paragraphs: tuple[str, ...]) -> None:
        super().__init__()
        self.cov = cov
        self.article_title = title
        self.paragraphs = paragraphs

    def compose(self) -> ComposeResult:
        with Vertical(id="coverage-box"):
            yield Static(self._head(), id="coverage-head")
            yield OptionList(*self._outlets(), id="coverage-outlets")
            with VerticalScroll(id="coverage-rest"):
                yield Static(self._rest(), id="coverage-body")

    def part(self, name: str) -> Style:
        """The style reader.tcss gives the component class ``name``."""
        return self.get_component_rich_style(name, partial=True)

    def on_mount(self) -> None:
        box = self.query_one("#coverage-box")
        box.border_title = "Coverage (enter: open · esc: close)"
        self.query_one(OptionList).focus()

    def _head(self) -> Text:
        t = Text(end="")
        t.append_text(plain(self.article_title, "bold"))
        n = len(self.cov.outlets)
        t.append(f"\n{n} outlet{'s' if n != 1 else ''} carry this story", style="dim")
        t.append("  (shared: its paragraphs this article also carries · own: its paragraphs "
                 "no other outlet carries)", style="dim")
        return t

    def _outlets(self) -> list[Option]:
        out = []
        width = max((len(c.source) for c in self.cov.carriers), default=10)
        for c in self.cov.carriers:
            here = c.id == self.cov.article
            line = Text(end="")
            line.append(f"{c.published or '—':<10}  ", style="dim")
            source = plain(c.source[:24], self.part("coverage-screen--carrier"))
            line.append_text(source)
            line.append(" " * (min(width, 24) - source.cell_len + 2))
            line.append("this article   " if here else
                        f"{c.shared:>2} shared {c.only:>2} own ", style="bold" if here else "")
            line.append_text(plain(c.title))
            out.append(Option(line, id=c.id))
        return out

    def _rest(self) -> Table:
        cov = self.cov
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, width=3)
        grid.add_column(ratio=1)
        if cov.missing:
            when = f"{cov.window[0]} to {cov.window[1]}" if cov.window else "at any time"
            grid.add_row("", Text(f"\nRegular outlets with nothing on it (publishing {when})",
                                  style="bold"))
            for source, n in cov.missing:
                row = plain(source, self.part("coverage-screen--missing"))
                row.append(f"  {n} article{'s' if n != 1 else ''} then", style="dim")
                grid.add_row("", row)
        else:
            grid.add_row("", Text("\nEvery outlet publishing then carries it.", style="dim"))
        if len(cov.outlets) < 2:
            grid.add_row("", Text("\nNo other outlet carries this story.", style="dim"))
            return grid
        for mark, label, paras, style in (
                (ONLY_HERE, "Only here", cov.only_here, self.part("coverage-screen--only-here")),
                (EVERYWHERE, "Everywhere", cov.everywhere,
                 self.part("coverage-screen--everywhere"))):
            grid.add_row("", Text(f"\n{label}: {len(paras)} paragraph"
                                  f"{'s' if len(paras) != 1 else ''} "
                                  f"(marked {mark} in the reader)", style="bold"))
            for p in paras:
                text = self.paragraphs[p] if p < len(self.paragraphs) else ""
                cell = Text(f"¶{p + 1} ", style="dim", end="")
                cell.append_text(plain(text if len(text) <= 240 else text[:239] + "…"))
                grid.add_row(Text(mark, style=style), cell)
        return grid

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class SaveSearchScreen(ModalScreen[str | None]):
    """Name the current query (enter saves, escape cancels).

    | Key | Action |
    | :- | :- |
    | enter | save |
    | escape | cancel |
    """

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="save_search.cancel")]

    DEFAULT_CSS = """
    SaveSearchScreen { align: center middle; background: $background 60%; }
    #save-box { width: 70; height: auto; border: round $primary; background: $surface;
                padding: 0 1; }
    """

    def __init__(self, query: str) -> None:
        super().__init__()
        self.query_text = query

    def compose(self) -> ComposeResult:
        with Vertical(id="save-box"):
            yield Static(plain(f"Save {self.query_text!r} as:"))
            yield Input(placeholder="a name (enter alone: the query itself)", id="save-name")

    def on_mount(self) -> None:
        self.query_one("#save-box").border_title = "Save search"
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = " ".join(event.value.split()) or " ".join(self.query_text.split())
        self.dismiss(name or None)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class SavedSearchesScreen(ModalScreen[str | None]):
    """The saved searches with their unread and total counts; enter runs one.

    | Key | Action |
    | :- | :- |
    | enter | run the search |
    | escape, q | close |
    """

    BINDINGS = [Binding("escape,q", "dismiss_none", "Close", id="saved_searches.close")]

    DEFAULT_CSS = """
    SavedSearchesScreen { align: center middle; background: $background 60%; }
    #saved-list { width: 80; height: auto; max-height: 80%; border: round $primary;
                  background: $surface; }
    """

    COMPONENT_CLASSES = {"saved-searches-screen--counts"}

    def __init__(self, rows: list[tuple[str, str, int | None, int | None]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        options = []
        for name, query, total, unread in self.rows:
            line = plain(name, "bold")
            counts = "?" if total is None else f"{unread} unread / {total}"
            line.append(f"  {counts}  ", style=self.get_component_rich_style(
                "saved-searches-screen--counts", partial=True))
            line.append_text(plain(query, "dim"))
            options.append(Option(line, id=name))
        if not options:
            options.append(Option(Text("No saved searches: search with /, then press S.",
                                       style="dim"), id="", disabled=True))
        yield OptionList(*options, id="saved-list")

    def on_mount(self) -> None:
        self.query_one("#saved-list").border_title = "Saved searches (enter: run · esc: close)"
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id or None)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
