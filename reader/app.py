"""The Textual app: parses nothing, holds the library gate, and pushes the main screen.

``run_app(library, paths)`` is what ``reader [PATH ...]`` calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from textual.app import App, SystemCommand
from textual.screen import Screen

from index.library import Library
from reader.bindings import APP, binding_ids, binding_sections
from reader.config import Config, load_config
from reader.gate import Gate
from reader.keys import Keymap, clashes, load_keys
from reader.screens.help import HelpScreen
from reader.screens.main import MainScreen


class ReaderApp(App[int]):
    """Read one news story as many outlets tell it.

    | Key | Action |
    | :- | :- |
    | q, ctrl+q | quit |
    | ? | help: every binding |
    | ctrl+p | command palette |
    """

    CSS_PATH = "reader.tcss"
    TITLE = "reader"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = APP

    def __init__(self, library: Library, paths: Sequence[Path] = (), *, seed: bool = True,
                 poll_interval: float | None = 2.0, keys: Keymap | None = None,
                 config: Config | None = None) -> None:
        super().__init__()
        self.library = library
        self.gate = Gate(library)
        self.paths = list(paths)
        self.seed = seed
        self.poll_interval = poll_interval
        self.keys = keys or Keymap()
        self.removal_error: str | None = None
        """What the main screen could not write as the app closed (run_app says it at exit)."""
        self.config = config or Config()

    def on_mount(self) -> None:
        if self.keys.keys:
            self.set_keymap(self.keys.keys)
        for problem in [*self.keys.problems, *clashes(self.keys, binding_sections())]:
            self.notify(problem, title="keys.toml", severity="warning", timeout=10, markup=False)
        if self.library.enrichment_outdated():  # said, never done silently on open
            self.notify("This library's names, dates and stories were made by an older reader: "
                        "`reader reindex` makes them again from the stored text.",
                        title="reader reindex", severity="warning", timeout=15, markup=False)
        for problem in self.config.problems:
            self.notify(problem, title="config.toml", severity="warning", timeout=10,
                        markup=False)
        self.push_screen(MainScreen(self.gate, self.paths, seed=self.seed,
                                    poll_interval=self.poll_interval,
                                    refresh_every=self.config.refresh_every,
                                    refresh_on_start=self.config.refresh_on_start))

    @property
    def main(self) -> MainScreen:
        """The main screen (wherever the screen stack is)."""
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("the main screen is not mounted")

    def action_help(self) -> None:
        """Show every binding."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(binding_sections(), self.keys))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette: the main actions, then Textual's own (theme, keys, quit…)."""
        if isinstance(screen, MainScreen):
            m = screen
            yield SystemCommand("Search", "Focus the search line (/)", m.action_search)
            yield SystemCommand("Clear search and filters", "Show every article (esc)",
                                m.action_clear)
            yield SystemCommand("Next source", "Same story in the next source (])",
                                lambda: m.action_source(1))
            yield SystemCommand("Previous source", "Same story in the previous source ([)",
                                lambda: m.action_source(-1))
            yield SystemCommand("Same passage elsewhere",
                                "The paragraph under the cursor in another source (p)",
                                m.action_passage)
            yield SystemCommand("Next article naming the entity",
                                "Next article naming the chosen entity (e)", m.action_entity_next)
            yield SystemCommand("Next search hit", "Next hit in the open article (n)",
                                lambda: m.action_hit(1))
            yield SystemCommand("Previous search hit", "Previous hit in the open article (N)",
                                lambda: m.action_hit(-1))
            for name, pane in (("article list", "list"), ("reader", "reader"),
                               ("entity sidebar", "entities"), ("event strip", "events")):
                yield SystemCommand(f"Focus the {name}", f"Move the focus to the {name}",
                                    lambda pane=pane: m.action_pane(pane))
            yield SystemCommand("Refresh feeds", "Fetch the feeds you follow (r)",
                                m.action_refresh_feeds)
            yield SystemCommand("Feeds", "The feeds you follow; show one feed's articles (F)",
                                m.action_feeds)
            yield from m.daily_commands()
            yield SystemCommand("Help", "Every key binding (?)", self.action_help)
        yield from super().get_system_commands(screen)


def run_app(library: Library, paths: list[Path]) -> int:
    """Open the app on ``library``; ``paths`` are added first, in a worker."""
    app = ReaderApp(library, paths, keys=load_keys(binding_ids()), config=load_config())
    try:
        app.run()
    finally:
        app.gate.close()
        library.close()
    problem = getattr(app, "removal_error", None)  # removals the app could not apply
    if problem:
        import sys

        sys.stderr.write(f"reader: {problem}\n")
        return 1
    return app.return_code or 0
