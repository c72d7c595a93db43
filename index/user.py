"""What a user does with the articles: read and starred marks, saved searches (issue 13).

Kept in the store beside the articles (tables ``article_state`` and ``saved_searches``, see
:data:`index.store.USER_SCHEMA`), so they survive ``reindex`` and are written atomically. The
tables are created by the first write; a library without them reads as "nothing read, nothing
starred, no saved search".

Queries take ``is:unread``, ``is:read``, ``is:starred`` and ``is:unstarred`` (also negated,
``NOT is:read`` / ``-is:read``): :func:`split_filters` takes them out of the text before Whoosh
sees it, and the caller filters the hits by the marks.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

from index import store
from index.search import QueryError

STATES = ("read", "unread", "starred", "unstarred")
_OPPOSITE = {"read": "unread", "unread": "read", "starred": "unstarred", "unstarred": "starred"}

# a quoted phrase, a parenthesis, or a run of anything else
_TOKEN = re.compile(r'"[^"]*"?|[()]|[^\s()"]+')


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def split_filters(query: str) -> tuple[str, frozenset[str]]:
    """``query`` without its ``is:`` clauses, and the states they ask for.

    ``is:`` applies to the whole query, so it must stand at the top level: inside parentheses
    or next to ``OR`` it is a :class:`QueryError` (one line saying so), as is an unknown state
    or asking for a state and its opposite."""
    if "is:" not in query.lower():
        return query, frozenset()
    toks = list(_TOKEN.finditer(query))
    words = [m.group(0).upper() for m in toks]
    drop: set[int] = set()  # tokens taken out of the query
    wanted: set[str] = set()
    depth = 0
    for i, m in enumerate(toks):
        tok = m.group(0)
        low = tok.lower()
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        negated = low.startswith("-is:")
        if not (low.startswith("is:") or negated):
            continue
        state = low.split(":", 1)[1]
        if state not in STATES:
            raise QueryError(f"is: takes {', '.join(STATES)}, not {state!r}")
        drop.add(i)
        j = i - 1
        if j >= 0 and words[j] == "NOT":
            drop.add(j)
            negated = not negated
            j -= 1
        before = words[j] if j >= 0 else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        if depth or "OR" in (before, after):
            raise QueryError("is: applies to the whole query: use it outside parentheses and OR")
        if before == "AND":
            drop.add(j)
        elif after == "AND" and j < 0:
            drop.add(i + 1)
        if negated:
            state = _OPPOSITE[state]
        if _OPPOSITE[state] in wanted:
            raise QueryError(f"is:{state} and is:{_OPPOSITE[state]} exclude each other")
        wanted.add(state)
    out = []
    pos = 0
    for i in sorted(drop):
        out.append(query[pos:toks[i].start()])
        pos = toks[i].end()
    out.append(query[pos:])
    return " ".join("".join(out).split()), frozenset(wanted)


def matches(states: frozenset[str], article_id: str, read: set[str], starred: set[str]) -> bool:
    """Whether an article is in every state of ``states`` (given the read and starred ids)."""
    for s in states:
        if s == "read" and article_id not in read:
            return False
        if s == "unread" and article_id in read:
            return False
        if s == "starred" and article_id not in starred:
            return False
        if s == "unstarred" and article_id in starred:
            return False
    return True


# ---------------------------------------------------------------------------------------------
# marks


def read_ids(conn: sqlite3.Connection) -> set[str]:
    """Ids of the articles marked read."""
    if not store.has_table(conn, "article_state"):
        return set()
    return {r[0] for r in conn.execute("SELECT id FROM article_state WHERE read_at IS NOT NULL")}


def starred_ids(conn: sqlite3.Connection) -> set[str]:
    """Ids of the starred articles."""
    if not store.has_table(conn, "article_state"):
        return set()
    return {r[0] for r in
            conn.execute("SELECT id FROM article_state WHERE starred_at IS NOT NULL")}


def marks_of(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[bool, bool]]:
    """article id -> (read, starred) for the given ids (unmarked ones included)."""
    out = dict.fromkeys(ids, (False, False))
    if not store.has_table(conn, "article_state"):
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
    present = store.existing_ids(conn, ids)
    store.ensure_user_tables(conn)
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
    if not store.has_table(conn, "saved_searches"):
        return []
    return [(n, q) for n, q in
            conn.execute("SELECT name, query FROM saved_searches ORDER BY name COLLATE NOCASE")]


def save_search(conn: sqlite3.Connection, name: str, query: str) -> None:
    """Save (or replace) a search under ``name`` (inside the caller's transaction)."""
    store.ensure_user_tables(conn)
    conn.execute("INSERT OR REPLACE INTO saved_searches(name, query, created) VALUES (?,?,?)",
                 (name, query, _now()))


def delete_search(conn: sqlite3.Connection, name: str) -> bool:
    """Forget a saved search; False if there was none of that name."""
    if not store.has_table(conn, "saved_searches"):
        return False
    return conn.execute("DELETE FROM saved_searches WHERE name=?", (name,)).rowcount > 0
