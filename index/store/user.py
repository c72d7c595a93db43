"""SQL of the user's tables (``article_state``: read and starred marks; ``saved_searches``),
which survive ``reindex``. ``Library``'s ``mark``, ``read_ids``, ``saved_searches``... call
these; ``index.user`` reads the ``is:`` filters of a query."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

from index.store.articles import existing_ids
from index.store.core import has_table
from index.store.schema import USER_SCHEMA


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def ensure_user_tables(conn: sqlite3.Connection) -> None:
    """Create the user-state tables if missing (inside the caller's write transaction)."""
    for stmt in USER_SCHEMA.split(";"):
        if stmt.strip():
            conn.execute(stmt)


# ---------------------------------------------------------------------------------------------
# marks


def read_ids(conn: sqlite3.Connection) -> set[str]:
    """Ids of the articles marked read."""
    if not has_table(conn, "article_state"):
        return set()
    return {r[0] for r in conn.execute("SELECT id FROM article_state WHERE read_at IS NOT NULL")}


def starred_ids(conn: sqlite3.Connection) -> set[str]:
    """Ids of the starred articles."""
    if not has_table(conn, "article_state"):
        return set()
    return {r[0] for r in
            conn.execute("SELECT id FROM article_state WHERE starred_at IS NOT NULL")}


def marks_of(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[bool, bool]]:
    """article id -> (read, starred) for the given ids (unmarked ones included)."""
    out = dict.fromkeys(ids, (False, False))
    if not has_table(conn, "article_state"):
        return out
    for i in range(0, len(ids), 500):
        chunk = list(ids[i : i + 500])
        for aid, read_at, starred_at in conn.execute(
            "SELECT id, read_at, starred_at FROM article_state"
            f" WHERE id IN ({','.join('?' * len(chunk))})", chunk,
        ):
            out[aid] = (read_at is not None, starred_at is not None)
    return out


def set_marks(conn: sqlite3.Connection, ids: Iterable[str], *, read: bool | None = None,
              starred: bool | None = None) -> int:
    """Mark articles read/unread and starred/unstarred (None leaves a mark as it is), inside
    the caller's transaction; ids not in the store are ignored. Returns how many articles'
    marks changed."""
    ids = list(dict.fromkeys(ids))
    present = existing_ids(conn, ids)
    ensure_user_tables(conn)
    now = _now()
    changed = 0
    for aid in ids:
        if aid not in present:
            continue
        row = conn.execute("SELECT read_at, starred_at FROM article_state WHERE id=?",
                           (aid,)).fetchone()
        read_at, starred_at = row if row else (None, None)
        new_read = read_at if read is None or read == (read_at is not None) else (
            now if read else None)
        new_star = starred_at if starred is None or starred == (starred_at is not None) else (
            now if starred else None)
        if (new_read, new_star) == (read_at, starred_at):
            continue
        changed += 1
        if new_read is None and new_star is None:
            conn.execute("DELETE FROM article_state WHERE id=?", (aid,))
        else:
            conn.execute("INSERT OR REPLACE INTO article_state(id, read_at, starred_at)"
                         " VALUES (?,?,?)", (aid, new_read, new_star))
    return changed


# ---------------------------------------------------------------------------------------------
# saved searches


def saved_searches(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(name, query) of every saved search, by name."""
    if not has_table(conn, "saved_searches"):
        return []
    return [(n, q) for n, q in
            conn.execute("SELECT name, query FROM saved_searches ORDER BY name COLLATE NOCASE")]


def save_search(conn: sqlite3.Connection, name: str, query: str) -> None:
    """Save (or replace) a search under ``name`` (inside the caller's transaction)."""
    ensure_user_tables(conn)
    conn.execute("INSERT OR REPLACE INTO saved_searches(name, query, created) VALUES (?,?,?)",
                 (name, query, _now()))


def delete_search(conn: sqlite3.Connection, name: str) -> bool:
    """Forget a saved search; False if there was none of that name."""
    if not has_table(conn, "saved_searches"):
        return False
    return conn.execute("DELETE FROM saved_searches WHERE name=?", (name,)).rowcount > 0
