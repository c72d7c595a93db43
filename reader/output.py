"""Where a command's output goes: JSON for programs, streamed tables for people, a pager on a
terminal.

Every command prints through :func:`emit`, the one place its output takes its form:

* ``--json``: one JSON document on stdout (complete; ASCII-escaped when stdout is a terminal);
* otherwise a table streamed line by line as rows arrive (columns of fixed width, the text column
  wrapped at word boundaries), so the first lines show at once however long the output;
* on a terminal, long output goes through a pager as git does: ``$READER_PAGER``, else
  ``$PAGER``, else ``less``, with ``LESS=FRX`` unless ``$LESS`` is set (``F``: a screenful or less
  prints and exits; ``R``: colours; ``X``: the output stays on the screen). ``--no-pager``, an
  empty pager or ``cat`` print straight to the terminal.

Text from articles reaches a line only through :func:`reader.safe.safe_text` (no escape sequence
of an article reaches the terminal); the colours are ours.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from argparse import Namespace
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from rich.cells import cell_len, set_cell_size

from reader.safe import safe_text, shorten

if TYPE_CHECKING:
    from rich.console import Console

#: Width of piped human output (for reading later in less or a file).
PIPE_WIDTH = 160

_STYLES = {"dim": "\x1b[2m", "bold": "\x1b[1m", "cyan": "\x1b[36m", "magenta": "\x1b[35m"}
_RESET = "\x1b[0m"


@dataclass(frozen=True)
class Column:
    """A table column: ``width`` cells (None: the text column, which takes the rest and wraps)."""

    name: str
    width: int | None = None
    style: str = ""
    right: bool = False


def one_line(value: object) -> str:
    """Untrusted text as one safe line."""
    return " ".join(safe_text("" if value is None else str(value)).split())


class Output:
    """One command's output channel; use as a context manager."""

    def __init__(self, *, json_mode: bool = False, pager: bool = True,
                 stream: IO[str] | None = None) -> None:
        self.json_mode = json_mode
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.use_pager = pager and self.tty and not json_mode
        self.color = self.tty and not os.environ.get("NO_COLOR")
        self._pager: subprocess.Popen[str] | None = None
        self._out: IO[str] = self.stream
        self.closed = False
        """True when the reader quit the pager (or closed the pipe): stop producing."""
        if self.tty:
            self.width = shutil.get_terminal_size((100, 24)).columns
        else:
            cols = os.environ.get("COLUMNS")
            self.width = int(cols) if cols and cols.isdigit() else PIPE_WIDTH

    # --- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> Output:
        if self.use_pager:
            self._start_pager()
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def _start_pager(self) -> None:
        command = os.environ.get("READER_PAGER")
        if command is None:
            command = os.environ.get("PAGER", "less")
        command = command.strip()
        if not command or command == "cat":
            return
        env = dict(os.environ)
        env.setdefault("LESS", "FRX")
        env.setdefault("LV", "-c")
        try:
            self._pager = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env,
                                           text=True, encoding="utf-8", errors="replace")
        except OSError:
            self._pager = None
            return
        assert self._pager.stdin is not None
        self._out = self._pager.stdin

    def finish(self) -> None:
        """Flush, and wait for the pager to be quit."""
        try:
            self._out.flush()
        except (BrokenPipeError, ValueError):
            self.closed = True
        if self._pager is not None:
            with contextlib.suppress(BrokenPipeError, OSError):
                self._out.close()
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the pager handles ^C
            try:
                self._pager.wait()
            finally:
                signal.signal(signal.SIGINT, previous)
            self._pager = None

    # --- writing ----------------------------------------------------------------------------
    def write(self, line: str = "") -> bool:
        """Write one line (already safe); False once the reader has gone (quit the pager)."""
        if self.closed:
            return False
        try:
            self._out.write(line + "\n")
        except (BrokenPipeError, ValueError, OSError):
            self.closed = True
            return False
        return True

    def style(self, text: str, style: str) -> str:
        if not self.color or not style:
            return text
        codes = "".join(_STYLES.get(s, "") for s in style.split())
        return f"{codes}{text}{_RESET}" if codes else text

    def text(self, value: object, style: str = "") -> bool:
        """One line of untrusted text."""
        return self.write(self.style(one_line(value), style))

    def json(self, data: Any) -> None:
        """The whole JSON document."""
        ascii_only = self.stream.isatty()
        self.write(json.dumps(data, ensure_ascii=ascii_only, indent=2))

    def table(self, columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> int:
        """Stream ``rows`` as a table (a header, then one row at a time); returns rows written.
        Stops early if the reader quits the pager."""
        fixed = sum(c.width or 0 for c in columns) + 2 * (len(columns) - 1)
        flex = [c for c in columns if c.width is None]
        flex_width = max(20, (self.width - 1 - fixed) // max(1, len(flex))) if flex else 0
        widths = [c.width if c.width is not None else flex_width for c in columns]
        header = "  ".join(set_cell_size(c.name, w) if i < len(columns) - 1 else c.name
                           for i, (c, w) in enumerate(zip(columns, widths, strict=True)))
        if not self.write(self.style(header.rstrip(), "bold")):
            return 0
        n = 0
        for row in rows:
            # a cell is a value, or (value, style) for a style of its own
            styles = [v[1] if isinstance(v, tuple) else c.style
                      for c, v in zip(columns, row, strict=True)]
            cells = [one_line(v[0] if isinstance(v, tuple) else v) for v in row]
            wrapped = [
                (textwrap.wrap(cell, w, break_long_words=True, break_on_hyphens=False) or [""])
                if c.width is None else [shorten(cell, w)]
                for c, w, cell in zip(columns, widths, cells, strict=True)
            ]
            for k in range(max(len(w) for w in wrapped)):
                parts = []
                for i, (c, w, lines) in enumerate(zip(columns, widths, wrapped, strict=True)):
                    piece = lines[k] if k < len(lines) else ""
                    last = i == len(columns) - 1
                    if c.right:
                        piece = " " * max(0, w - cell_len(piece)) + piece
                    elif not last:
                        piece = set_cell_size(piece, w)
                    parts.append(self.style(piece, styles[i]) if piece.strip() else piece)
                if not self.write("  ".join(parts).rstrip()):
                    return n
            n += 1
        return n

    def console(self, max_width: int | None = None) -> Console:
        """A Rich console writing where this output goes (markup and emoji off)."""
        from rich.console import Console

        width = self.width if max_width is None else min(self.width, max_width)
        return Console(file=self._out, force_terminal=self.color, no_color=not self.color,
                       highlight=False, markup=False, emoji=False, soft_wrap=False,
                       width=width)

    def more(self, shown: int, total: int, what: str = "") -> None:
        """The closing line when output was cut at a limit."""
        if total > shown:
            noun = f" {what}" if what else ""
            self.write(self.style(f"{total - shown:,} more{noun} — use --limit N "
                                  f"(--limit 0 for all) or --json", "dim"))


def emit(args: Namespace, as_json: Callable[[], Any], as_text: Callable[[Output], object], *,
         pager: bool = True) -> None:
    """Print a command's result in the form its flags ask for: with ``--json``, the document
    ``as_json()`` returns; otherwise ``as_text(out)`` writes for people, through the pager on a
    terminal (unless ``--no-pager``; ``pager=False`` for the short reports of commands that
    change the library). Each is called only when wanted, so a command does only the work of
    the form it prints."""
    with Output(json_mode=bool(getattr(args, "json", False)),
                pager=pager and not getattr(args, "no_pager", False)) as out:
        if out.json_mode:
            out.json(as_json())
        else:
            as_text(out)
