"""Untrusted text made safe for a terminal.

Article text comes from anywhere. Everything the CLI or the app shows from an article passes
through :func:`safe_text`, and is then handed to Rich/Textual as a ``Text`` object (never as
markup), so ``[bold]`` stays literal and no escape sequence or control character reaches the
terminal.
"""

from __future__ import annotations

from index.clean import clean_text


def safe_text(value: str) -> str:
    """``value`` without escape sequences, control characters, bidi overrides or zero-width
    characters (newlines and tabs kept)."""
    return clean_text(value)


def one_line(value: str) -> str:
    """``safe_text`` folded onto one line (for list cells and titles)."""
    return " ".join(safe_text(value).split())
