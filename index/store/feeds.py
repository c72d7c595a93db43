"""SQL of the feed tables (``feeds``, ``feed_items``): the feeds a user follows and which article
each feed item became (``index.subscriptions`` runs them)."""

from __future__ import annotations

import sqlite3

from index.store.core import transaction
from index.store.schema import FEEDS_SCHEMA


def ensure_feeds(conn: sqlite3.Connection) -> None:
    """Create the feed tables if this library predates them (on a write path only)."""
    if has_feeds(conn):
        return
    with transaction(conn):
        for stmt in FEEDS_SCHEMA.split(";"):
            if stmt.strip():
                conn.execute(stmt)


def has_feeds(conn: sqlite3.Connection) -> bool:
    """Whether the store has the feed tables (a library that never followed a feed may not)."""
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='feed_items'"
    ).fetchone() is not None


# a feed's row, with the number of its items' articles still in the store
_ROW = ("SELECT f.id, f.name, f.url, f.full_text, f.title, f.added, f.last_attempt,"
        " f.last_success, f.last_error, f.failures, f.next_due, f.hold_until, f.gone, f.last_new,"
        " (SELECT COUNT(*) FROM feed_items i JOIN articles a ON a.id = i.article"
        "  WHERE i.feed = f.id), f.etag, f.last_modified FROM feeds f")
_BY = {"name": " WHERE f.name = ?", "url": " WHERE f.url = ?",
       "name_nocase": " WHERE f.name = ? COLLATE NOCASE"}


def feed_rows(conn: sqlite3.Connection) -> list[tuple]:
    """Every feed's row (see ``_ROW``), by name."""
    return conn.execute(_ROW + " ORDER BY f.name COLLATE NOCASE").fetchall()


def feed_rows_by(conn: sqlite3.Connection, by: str, value: str) -> list[tuple]:
    """The rows of the feeds whose ``by`` ("name", "url" or "name_nocase") is ``value``."""
    return conn.execute(_ROW + _BY[by], (value,)).fetchall()


def feed_article_ids(conn: sqlite3.Connection, feed_id: int) -> list[str]:
    """The articles of one feed still in the store, newest first."""
    return [r[0] for r in conn.execute(
        "SELECT a.id FROM feed_items i JOIN articles a ON a.id = i.article WHERE i.feed=?"
        " ORDER BY a.published IS NULL, a.published DESC, a.seq DESC", (feed_id,))]


def feed_names_of_articles(conn: sqlite3.Connection) -> dict[str, str]:
    """article id -> the name of a feed it came from."""
    return dict(conn.execute(
        "SELECT i.article, f.name FROM feed_items i JOIN feeds f ON f.id = i.feed"))


def feed_name_at(conn: sqlite3.Connection, url: str) -> str | None:
    """The name of the feed followed at ``url``, if any."""
    row = conn.execute("SELECT name FROM feeds WHERE url=?", (url,)).fetchone()
    return row[0] if row else None


def feed_id_named(conn: sqlite3.Connection, name: str) -> int | None:
    """The id of the feed named ``name`` (case aside), if any."""
    row = conn.execute("SELECT id FROM feeds WHERE name = ? COLLATE NOCASE", (name,)).fetchone()
    return row[0] if row else None


def insert_feed(conn: sqlite3.Connection, name: str, url: str, full_text: str,
                added: str | None) -> None:
    """Follow a feed (inside the caller's transaction)."""
    conn.execute("INSERT INTO feeds(name, url, full_text, added) VALUES (?,?,?,?)",
                 (name, url, full_text, added))


def delete_feed(conn: sqlite3.Connection, feed_id: int, *, items: bool = True) -> None:
    """Stop following a feed, forgetting its items unless ``items`` is False (inside the
    caller's transaction); the articles stay."""
    if items:
        conn.execute("DELETE FROM feed_items WHERE feed=?", (feed_id,))
    conn.execute("DELETE FROM feeds WHERE id=?", (feed_id,))


def is_feed_article(conn: sqlite3.Connection, article_id: str) -> bool:
    """Whether some feed's item became this article."""
    return conn.execute("SELECT 1 FROM feed_items WHERE article=? LIMIT 1",
                        (article_id,)).fetchone() is not None


def known_items(conn: sqlite3.Connection,
                feed_ids: list[int]) -> dict[int, dict[str, tuple[str, str]]]:
    """feed id -> item key -> (article id, digest) of the items seen before."""
    out: dict[int, dict[str, tuple[str, str]]] = {f: {} for f in feed_ids}
    for i in range(0, len(feed_ids), 500):
        chunk = feed_ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for feed, key, article, digest in conn.execute(
                f"SELECT feed, key, article, digest FROM feed_items WHERE feed IN ({marks})",
                chunk):
            out[feed][key] = (article, digest)
    return out


def feed_failures(conn: sqlite3.Connection, feed_id: int) -> int | None:
    """How many fetches of a feed failed in a row (None: no such feed, removed meanwhile)."""
    row = conn.execute("SELECT failures FROM feeds WHERE id=?", (feed_id,)).fetchone()
    return None if row is None else int(row[0])


def record_failure(conn: sqlite3.Connection, feed_id: int, *, stamp: str | None, error: str,
                   failures: int, next_due: str | None, hold_until: str | None,
                   gone: bool) -> None:
    """Note a failed fetch on a feed's row (inside the caller's transaction)."""
    conn.execute(
        "UPDATE feeds SET last_attempt=?, last_error=?, failures=?, next_due=?,"
        " hold_until=?, gone=?, last_new=0 WHERE id=?",
        (stamp, error, failures, next_due, hold_until, 1 if gone else 0, feed_id))


def record_item(conn: sqlite3.Connection, feed_id: int, key: str, article_id: str, digest: str,
                seen: str | None) -> None:
    """Note which article a feed's item became (inside the caller's transaction)."""
    conn.execute(
        "INSERT OR REPLACE INTO feed_items(feed, key, article, digest, seen)"
        " VALUES (?,?,?,?,?)", (feed_id, key, article_id, digest, seen))


def record_success(conn: sqlite3.Connection, feed_id: int, *, name: str, url: str,
                   title: str | None, etag: str | None, last_modified: str | None,
                   stamp: str | None, next_due: str | None, new: int,
                   damage: str | None, unchanged: bool) -> None:
    """Note a fetch that worked on a feed's row (inside the caller's transaction); ``damage``
    (a feed damaged part-way whose items before it were kept) stays as its last error."""
    conn.execute(
        "UPDATE feeds SET name=?, url=?, title=COALESCE(?, title), etag=?,"
        " last_modified=?, last_attempt=?, last_success=?, last_error=NULL,"
        " failures=0, next_due=?, hold_until=NULL, gone=0, last_new=? WHERE id=?",
        (name, url, title, etag, last_modified, stamp, stamp, next_due, new, feed_id))
    if damage:
        conn.execute("UPDATE feeds SET last_error=? WHERE id=?", (damage, feed_id))
    if unchanged:
        conn.execute("UPDATE feeds SET last_new=0 WHERE id=?", (feed_id,))
