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


def shown_name(value: str) -> str:
    """A file name or path as one visible line: control, format and bidi characters (a
    newline, an escape sequence's ESC, U+202E) shown escaped (``\\n``, ``\\x1b``, ``\\u202e``)
    rather than removed or obeyed, so the name on screen is the name on disk."""
    import unicodedata

    out = []
    for ch in value:
        if ch == "\\":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co"):
            code = ord(ch)
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch)
                       or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"))
        else:
            out.append(ch)
    return "".join(out)


def shorten(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, cut at a word boundary with an ellipsis where it can
    be (``New York Times`` -> ``New York…``), mid-word only when the first word alone is longer
    than half the width."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return text
    if width <= 1:
        return set_cell_size(text, width)

    def words_cut(t: str) -> str:
        out = ""
        for word in t.split():
            candidate = f"{out} {word}" if out else word
            if cell_len(candidate) + 1 > width:
                break
            out = candidate
        return out.rstrip(" ,;:-–—")

    out = words_cut(text)
    first, _, rest = text.partition(" ")
    if cell_len(out) < width // 2 and first.casefold() in ("the", "a", "an") and rest:
        if cell_len(rest) <= width:  # "The Washington Post" -> "Washington Post"
            return rest
        out = words_cut(rest)
    if cell_len(out) < width // 2:
        out = set_cell_size(text, width - 1).rstrip()
    return out + "…"
