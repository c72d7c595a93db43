"""Where the user was: a small JSON file in the user state folder (issue 13 item 4).

One entry per library folder: the open article and paragraph, the highlighted article, the
last query, the focused pane, the list's order and unread-only toggle. The file is a
convenience, never a source of truth: one that cannot be read or parsed, or holds values of the
wrong kind, is ignored (the app starts as on a first launch) and replaced on the next save.
Writes go to a temporary file renamed over the old one, so a crash never leaves half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

#: keys of an entry and the type each must have (anything else is dropped when read)
FIELDS: dict[str, type | tuple[type, ...]] = {
    "article": str, "paragraph": int, "cursor": str, "query": str, "focus": str,
    "sort": str, "unread_only": bool,
}
MAX_LIBRARIES = 50  # entries kept (the most recently saved)


def state_path() -> Path:
    """``$READER_STATE``, else ``state.json`` in the user state folder (platformdirs)."""
    env = os.environ.get("READER_STATE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir("reader", appauthor=False)) / "state.json"


def _key(library: Path) -> str:
    return str(Path(library).expanduser().resolve())


def _read_all(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    libs = data.get("libraries") if isinstance(data, dict) else None
    return libs if isinstance(libs, dict) else {}


def load_state(library: Path, path: Path | None = None) -> dict[str, Any]:
    """The saved entry of a library ({} if none, or if the file is unusable); only the known
    keys with values of the right type are kept."""
    entry = _read_all(path or state_path()).get(_key(library))
    if not isinstance(entry, dict):
        return {}
    out: dict[str, Any] = {}
    for k, kind in FIELDS.items():
        v = entry.get(k)
        if isinstance(v, kind) and not (kind is int and isinstance(v, bool)):
            out[k] = v
    return out


def save_state(library: Path, entry: dict[str, Any], path: Path | None = None) -> bool:
    """Save a library's entry (a broken file is replaced); False if it could not be written
    (the app goes on: losing the place is not worth an error)."""
    path = path or state_path()
    libs = _read_all(path)
    key = _key(library)
    libs.pop(key, None)
    libs[key] = {k: v for k, v in entry.items() if k in FIELDS and v is not None}
    while len(libs) > MAX_LIBRARIES:
        libs.pop(next(iter(libs)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".state-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"version": 1, "libraries": libs}, f, ensure_ascii=False, indent=1)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        return False
    return True
