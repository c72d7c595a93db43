"""The search line: Whoosh query syntax, results as you type, a clear message when malformed."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

PLACEHOLDER = '/ search: words "phrases" title: source: entity: published:[2017-10-01 to 2017-10-31] AND OR NOT'


class SearchLine(Input):
    """The search line.

    | Key | Action |
    | :- | :- |
    | escape | clear the search and return to the list |
    | enter, down | go to the results |
    """

    BINDINGS = [
        Binding("escape", "clear_search", "Clear search", id="search.clear"),
        Binding("enter,down", "results", "Go to results", id="search.results"),
    ]

    DEFAULT_CSS = """
    SearchLine { border: none; height: 1; padding: 0 1; }
    SearchLine:focus { border: none; }
    """

    @dataclass
    class QueryChanged(Message):
        """The query changed (every keystroke)."""

        query: str

    class Cleared(Message):
        """The user cleared the search (escape)."""

    class Done(Message):
        """The user wants to go to the results (enter)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder=PLACEHOLDER, id=id, select_on_focus=False)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.QueryChanged(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()

    def action_clear_search(self) -> None:
        self.value = ""
        self.post_message(self.Cleared())

    def action_results(self) -> None:
        self.post_message(self.Done())
