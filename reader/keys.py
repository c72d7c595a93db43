"""User key bindings: a ``keys.toml`` that maps binding ids (shown by ``?``) to keys.

The file lives at ``$READER_KEYS``, else ``keys.toml`` in the user's config folder (platformdirs)::

    [keys]
    "main.next_source" = "l, ]"          # several keys: comma-separated
    "main.previous_source" = "h, ["
    "app.quit" = "ctrl+c"

Keys are Textual key names (``ctrl+n``, ``pagedown``, ``f5``) or the character itself (``]``,
``/``, ``?``). A binding named in the file loses its default keys. A file that cannot be read or
parsed, an unknown id or a value that is not a string is reported in one line each and left out;
the rest of the file still applies and the app always starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import tomllib
from textual.binding import Binding
from textual.keys import _character_to_key

from reader.config import user_config_file


def keys_path() -> Path:
    """``$READER_KEYS`` or ``keys.toml`` in the user's config folder."""
    return user_config_file("keys.toml", "READER_KEYS")


@dataclass
class Keymap:
    """Binding id -> Textual key string, and what was wrong with the file (one line each)."""

    keys: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    path: Path | None = None


def _key_name(key: str) -> str:
    """One key as Textual names it: ``]`` -> ``right_square_bracket``; names pass through."""
    key = key.strip()
    if len(key) == 1:
        return _character_to_key(key)
    return key


def parse_keys(text: str, known_ids: Iterable[str], where: str = "keys.toml") -> Keymap:
    """Read a keys file's text; ``known_ids`` are the app's binding ids."""
    km = Keymap()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        km.problems.append(f"{where}: not valid TOML ({exc}); using the default keys")
        return km
    table = data.get("keys")
    if table is None:
        if data:
            km.problems.append(f"{where}: no [keys] table; using the default keys")
        return km
    if not isinstance(table, dict):
        km.problems.append(f"{where}: 'keys' must be a table; using the default keys")
        return km
    known = set(known_ids)
    for binding_id, value in table.items():
        if binding_id not in known:
            km.problems.append(f"{where}: unknown binding id {binding_id!r} (press ? for the ids)")
            continue
        if not isinstance(value, str) or not value.strip():
            km.problems.append(f'{where}: {binding_id!r} needs a string of keys, like "l, ]"')
            continue
        # a lone "," is the comma key; otherwise commas separate keys
        parts = [","] if value.strip() == "," else [p for p in value.split(",") if p.strip()]
        km.keys[binding_id] = ",".join(_key_name(p) for p in parts)
    return km


def load_keys(known_ids: Iterable[str], path: Path | None = None) -> Keymap:
    """The user's keymap from ``path`` (default :func:`keys_path`); no file is no keymap."""
    path = path or keys_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Keymap(path=path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return Keymap(
            problems=[f"{path}: cannot read it ({reason}); using the default keys"], path=path
        )
    km = parse_keys(text, known_ids, where=str(path))
    km.path = path
    return km


def clashes(keymap: Keymap, sections: Sequence[tuple[str, Sequence[Binding]]]) -> list[str]:
    """One line per key the user's keymap gives to two bindings that can meet.

    ``sections`` are (where, bindings); the first is "Everywhere" (app and screen), the others
    are panes. Within one section the keymap's binding takes the key and the other loses it.
    Between a pane and "Everywhere", the pane's binding wins while the pane has the focus (unless
    the global one is a priority binding), so the key does two things: that is said too.
    """

    def keys_of(b: Binding) -> set[str]:
        keys = keymap.keys.get(b.id or "", b.key)
        return {k.strip() for k in keys.split(",") if k.strip()} if keys != "," else {","}

    def mapped(b: Binding) -> bool:
        return (b.id or "") in keymap.keys

    def name(b: Binding) -> str:
        return f"{b.description} ({b.id})"

    out: list[str] = []
    if not keymap.keys or not sections:
        return out
    everywhere = list(sections[0][1])
    for i, (where, bindings) in enumerate(sections):
        for a_index, a in enumerate(bindings):
            for b in bindings[a_index + 1 :]:
                if not (mapped(a) or mapped(b)):
                    continue
                for key in sorted(keys_of(a) & keys_of(b)):
                    winner, loser = (a, b) if mapped(a) else (b, a)
                    out.append(f"{name(loser)} lost {key} to {name(winner)} in your keymap")
            if i == 0:
                continue
            for g in everywhere:
                if not (mapped(a) or mapped(g)) or g.priority:
                    continue
                for key in sorted(keys_of(a) & keys_of(g)):
                    out.append(f"{key} is {name(a)} in the {where.lower()} and {name(g)} elsewhere")
    return out
