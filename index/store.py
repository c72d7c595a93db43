"""The durable article store: SQLite from the standard library.

The store is the library's source of truth. It holds the cleaned articles and everything derived
from them that the UI lists without re-reading an article (entities, dated events, passage links).
The Whoosh index is rebuilt from it at any time (``reader reindex``).

Every batch of articles is written in one transaction, so a crash or Ctrl-C leaves the store as it
was before the batch or with the batch complete. The file runs in WAL mode so readers (the app) keep
reading while a writer adds.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import NamedTuple

from index.model import Article, Enriched, EntityMention

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    published TEXT,
    byline TEXT,
    paragraphs TEXT NOT NULL,
    path TEXT,
    url TEXT,
    added TEXT NOT NULL,
    mentions TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE TABLE IF NOT EXISTS entities (
    article TEXT NOT NULL,
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL,
    mentions INTEGER NOT NULL,
    PRIMARY KEY (article, type, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entities_key ON entities(key, type);
CREATE TABLE IF NOT EXISTS events (
    article TEXT NOT NULL,
    date TEXT NOT NULL,
    precision TEXT NOT NULL,
    expression TEXT NOT NULL,
    text TEXT NOT NULL,
    paragraph INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_date ON events(date);
CREATE INDEX IF NOT EXISTS events_article ON events(article);
""" + "\n"  # the feed tables follow (also created on the first write of a feed, see ensure_feeds)

# Feeds the user follows (index.subscriptions) and which article each feed item became. A feed is
# fetched again when ``next_due`` has passed (or on an explicit refresh, unless ``hold_until``, set
# from a server's Retry-After, has not); ``gone`` is set by a 410.
_FEEDS_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL UNIQUE,
    full_text TEXT NOT NULL DEFAULT 'auto',
    title TEXT,
    etag TEXT,
    last_modified TEXT,
    added TEXT NOT NULL,
    last_attempt TEXT,
    last_success TEXT,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_due TEXT,
    hold_until TEXT,
    gone INTEGER NOT NULL DEFAULT 0,
    last_new INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS feed_items (
    feed INTEGER NOT NULL,
    key TEXT NOT NULL,
    article TEXT NOT NULL,
    digest TEXT NOT NULL,
    seen TEXT NOT NULL,
    PRIMARY KEY (feed, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS feed_items_article ON feed_items(article);
"""
_SCHEMA += _FEEDS_SCHEMA

# What a user does with the articles (issue 13), and removals the search index has yet to see.
# Added tables: created by writers that need them (``ensure_user_tables``), read as empty when
# absent, so an older library opens unchanged.
USER_SCHEMA = """
CREATE TABLE IF NOT EXISTS article_state (
    id TEXT PRIMARY KEY,
    read_at TEXT,
    starred_at TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS saved_searches (
    name TEXT PRIMARY KEY,
    query TEXT NOT NULL,
    created TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS removed_pending (id TEXT PRIMARY KEY) WITHOUT ROWID;
"""
_SCHEMA += USER_SCHEMA


# Library-wide counts of each entity (its mentions, the articles and the sources naming it),
# kept by triggers as entity rows come and go, so "the most named entities" and an entity's
# reach are one indexed read however big the library (and two covering indexes give an
# entity's spellings and aliases without reading its rows). Not in _SCHEMA: an older library gets
# them from its next writer (``ensure_tally``: filled from the entity rows, under the writer
# lock); until then readers count from the entity rows as before (``has_tally``).
TALLY_SCHEMA = """
CREATE TABLE IF NOT EXISTS entity_sources (
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    source TEXT NOT NULL,
    articles INTEGER NOT NULL,
    PRIMARY KEY (key, type, source)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entity_totals (
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    mentions INTEGER NOT NULL,
    articles INTEGER NOT NULL,
    sources INTEGER NOT NULL,
    PRIMARY KEY (key, type)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entity_totals_rank ON entity_totals(sources DESC, articles DESC,
    mentions DESC);
CREATE INDEX IF NOT EXISTS entities_names ON entities(key, type, name, mentions);
CREATE INDEX IF NOT EXISTS entities_aliased ON entities(key, type, aliases) WHERE aliases != '[]';
CREATE TRIGGER IF NOT EXISTS entity_tally_in AFTER INSERT ON entities BEGIN
    INSERT INTO entity_sources(key, type, source, articles)
        SELECT NEW.key, NEW.type, source, 1 FROM articles WHERE id = NEW.article
        ON CONFLICT(key, type, source) DO UPDATE SET articles = articles + 1;
    INSERT INTO entity_totals(key, type, mentions, articles, sources)
        VALUES (NEW.key, NEW.type, NEW.mentions, 1, 1)
        ON CONFLICT(key, type) DO UPDATE SET mentions = mentions + excluded.mentions,
            articles = articles + 1,
            sources = sources + (SELECT s.articles = 1 FROM entity_sources s
                                 JOIN articles a ON a.id = NEW.article AND s.source = a.source
                                 WHERE s.key = NEW.key AND s.type = NEW.type);
END;
CREATE TRIGGER IF NOT EXISTS entity_tally_out AFTER DELETE ON entities BEGIN
    UPDATE entity_sources SET articles = articles - 1
        WHERE key = OLD.key AND type = OLD.type
          AND source = (SELECT source FROM articles WHERE id = OLD.article);
    UPDATE entity_totals SET mentions = mentions - OLD.mentions, articles = articles - 1,
        sources = sources - (SELECT COUNT(*) FROM entity_sources
                             WHERE key = OLD.key AND type = OLD.type AND articles <= 0)
        WHERE key = OLD.key AND type = OLD.type;
    DELETE FROM entity_sources WHERE key = OLD.key AND type = OLD.type AND articles <= 0;
    DELETE FROM entity_totals WHERE key = OLD.key AND type = OLD.type AND articles <= 0;
END;
CREATE TRIGGER IF NOT EXISTS entity_tally_moved AFTER UPDATE OF article, key, type, mentions
        ON entities BEGIN
    UPDATE entity_sources SET articles = articles - 1
        WHERE key = OLD.key AND type = OLD.type
          AND source = (SELECT source FROM articles WHERE id = OLD.article);
    UPDATE entity_totals SET mentions = mentions - OLD.mentions, articles = articles - 1,
        sources = sources - (SELECT COUNT(*) FROM entity_sources
                             WHERE key = OLD.key AND type = OLD.type AND articles <= 0)
        WHERE key = OLD.key AND type = OLD.type;
    DELETE FROM entity_sources WHERE key = OLD.key AND type = OLD.type AND articles <= 0;
    DELETE FROM entity_totals WHERE key = OLD.key AND type = OLD.type AND articles <= 0;
    INSERT INTO entity_sources(key, type, source, articles)
        SELECT NEW.key, NEW.type, source, 1 FROM articles WHERE id = NEW.article
        ON CONFLICT(key, type, source) DO UPDATE SET articles = articles + 1;
    INSERT INTO entity_totals(key, type, mentions, articles, sources)
        VALUES (NEW.key, NEW.type, NEW.mentions, 1, 1)
        ON CONFLICT(key, type) DO UPDATE SET mentions = mentions + excluded.mentions,
            articles = articles + 1,
            sources = sources + (SELECT s.articles = 1 FROM entity_sources s
                                 JOIN articles a ON a.id = NEW.article AND s.source = a.source
                                 WHERE s.key = NEW.key AND s.type = NEW.type);
END;
CREATE TRIGGER IF NOT EXISTS article_entities_gone BEFORE DELETE ON articles BEGIN
    DELETE FROM entities WHERE article = OLD.id;
END;
CREATE TRIGGER IF NOT EXISTS article_source_moved AFTER UPDATE OF source ON articles
        WHEN OLD.source IS NOT NEW.source BEGIN
    UPDATE entity_sources SET articles = articles - 1
        WHERE source = OLD.source
          AND (key, type) IN (SELECT key, type FROM entities WHERE article = NEW.id);
    INSERT INTO entity_sources(key, type, source, articles)
        SELECT key, type, NEW.source, 1 FROM entities WHERE article = NEW.id
        ON CONFLICT(key, type, source) DO UPDATE SET articles = articles + 1;
    DELETE FROM entity_sources WHERE articles <= 0
        AND (key, type) IN (SELECT key, type FROM entities WHERE article = NEW.id);
    UPDATE entity_totals SET sources = (SELECT COUNT(*) FROM entity_sources s
                                        WHERE s.key = entity_totals.key
                                          AND s.type = entity_totals.type)
        WHERE (key, type) IN (SELECT key, type FROM entities WHERE article = NEW.id);
END
"""

_FILL_TALLY = (
    "INSERT INTO entity_sources(key, type, source, articles)"
    " SELECT e.key, e.type, a.source, COUNT(*) FROM entities e JOIN articles a"
    " ON a.id = e.article GROUP BY e.key, e.type, a.source",
    "INSERT INTO entity_totals(key, type, mentions, articles, sources)"
    " SELECT e.key, e.type, SUM(e.mentions), COUNT(*), 0 FROM entities e GROUP BY e.key, e.type",
    "UPDATE entity_totals SET sources = (SELECT COUNT(*) FROM entity_sources s"
    " WHERE s.key = entity_totals.key AND s.type = entity_totals.type)",
)


def _statements(script: str) -> list[str]:
    """The statements of an SQL script (a trigger's body holds semicolons too)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip() + ";")
    return out


def has_entities(conn: sqlite3.Connection) -> bool:
    """Whether the store holds any entity row."""
    return conn.execute("SELECT 1 FROM entities LIMIT 1").fetchone() is not None


def tallied_count(conn: sqlite3.Connection) -> int:
    """Number of distinct entities (the running counts must exist: ``has_tally``)."""
    return int(conn.execute("SELECT COUNT(*) FROM entity_totals").fetchone()[0])


_TALLIED = ("SELECT key, type, mentions, articles, sources FROM entity_totals"
            " INDEXED BY entity_totals_rank")


def top_tallied(conn: sqlite3.Connection, limit: int) -> list[tuple[str, str, int, int, int]]:
    """(key, type, mentions, articles, sources) of the ``limit`` entities named by the most
    sources, then articles, then mentions: off the running counts' index."""
    return conn.execute(_TALLIED + " ORDER BY sources DESC, articles DESC, mentions DESC"
                        " LIMIT ?", (limit,)).fetchall()


def tallied_alike(conn: sqlite3.Connection, sources: int, articles: int,
                  mentions: int) -> list[tuple[str, str, int, int, int]]:
    """The entities with exactly these counts (those tied with the last of ``top_tallied``)."""
    return conn.execute(_TALLIED + " WHERE sources=? AND articles=? AND mentions=?",
                        (sources, articles, mentions)).fetchall()


def tallied_reach(conn: sqlite3.Connection, key: str, type_: str) -> tuple[int, int]:
    """(articles, sources) naming one entity, from the running counts."""
    row = conn.execute("SELECT articles, sources FROM entity_totals WHERE key=? AND type=?",
                       (key, type_)).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def entity_spellings(conn: sqlite3.Connection, key: str, type_: str) -> list[tuple[str, int]]:
    """(name, mentions) of each way one entity is written, first seen (in article order)
    first: summed by SQLite off a covering index, whatever the number of articles."""
    return [(r[0], int(r[1])) for r in conn.execute(
        "SELECT name, SUM(mentions), MIN(article) FROM entities WHERE key=? AND type=?"
        " GROUP BY name ORDER BY MIN(article), name", (key, type_))]


def entity_alias_lists(conn: sqlite3.Connection, key: str, type_: str) -> list[str]:
    """The distinct non-empty alias lists (JSON) of one entity's rows."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT aliases FROM entities WHERE key=? AND type=? AND aliases != '[]'",
        (key, type_))]


def has_tally(conn: sqlite3.Connection) -> bool:
    """Whether the store keeps the entity counts (see ``TALLY_SCHEMA``)."""
    try:
        return get_meta(conn, "entity_tally") == "1"
    except sqlite3.OperationalError:  # no meta table yet
        return False


def ensure_tally(conn: sqlite3.Connection) -> bool:
    """Make the store keep the entity counts: create the tables and triggers and count the
    entity rows there are (one transaction; the caller holds the writer lock). True if it had
    to (an older library: a pass over every entity row, once)."""
    if has_tally(conn):
        return False
    with transaction(conn):
        for t in ("entity_sources", "entity_totals"):
            conn.execute(f"DROP TABLE IF EXISTS {t}")  # a half-made tally (never committed)
        for stmt in _statements(TALLY_SCHEMA):
            conn.execute(stmt)
        for stmt in _FILL_TALLY:
            conn.execute(stmt)
        set_meta(conn, "entity_tally", "1")
    return True


class StoreError(RuntimeError):
    """The store cannot be used; the message says what is wrong and what to run."""


class NotFound(KeyError):
    """No such article, feed or saved search (or an ambiguous prefix); the message says which.
    The command line's only "not found" (exit 1): any other KeyError is a bug."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """The light view of an article used by lists: no body."""

    id: str
    title: str
    source: str
    published: str | None
    path: str | None
    seq: int


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


class StoreUnwritable(StoreError):
    """The store is healthy but cannot be written here (read-only file, folder or mount)."""


class StoreFull(StoreError):
    """The disk holding the library is full."""


def failure_kind(exc: BaseException) -> str | None:
    """``"full"`` for a full disk, ``"unwritable"`` for a read-only file, folder or mount, as
    the operating system, SQLite or a store error says it; None for anything else. The one
    place the engine tells these apart (the store, the add path and the search index ask)."""
    import errno

    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return "full"
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return "unwritable"
        return None
    if isinstance(exc, StoreFull):
        return "full"
    if isinstance(exc, StoreUnwritable):
        return "unwritable"
    if isinstance(exc, sqlite3.DatabaseError):
        name = str(getattr(exc, "sqlite_errorname", "") or "")
        if name == "SQLITE_FULL" or "disk is full" in str(exc):
            return "full"
        if name.startswith("SQLITE_READONLY"):
            return "unwritable"
    return None


def diagnose(exc: BaseException, path: Path) -> StoreError:
    """What a SQLite error really means, as a StoreError of the right kind with one line:
    full, unwritable, busy and damaged are told apart, and only damage gets restore advice."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    kind = failure_kind(exc)
    if kind == "full" or "disk is full" in text:
        return StoreFull(f"no space left on the disk holding {path.parent}")
    if kind == "unwritable" or name.startswith(
        ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")
    ) or ("readonly" in text or "read-only" in text or "unable to open" in text):
        return StoreUnwritable(
            f"the library store {path} cannot be written here (read-only file, folder or disk)")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return StoreError(f"the library store {path} is busy ({text})")
    if name.startswith("SQLITE_IOERR"):
        return StoreError(f"the disk holding {path} reported an input/output error ({text})")
    return StoreError(
        f"the library store {path} is damaged ({text}); restore it from a backup or move it "
        "aside and add the articles again"
    )


def connect(path: Path) -> sqlite3.Connection:
    """Open the store at ``path``, schema checked. Opening an existing store writes nothing;
    a missing store is created (with its schema). A store that cannot be written here (a
    read-only file, folder or mount) is opened read-only."""
    try:
        conn = _open(path)
        version = _schema_version(conn)
    except sqlite3.DatabaseError as exc:
        raise diagnose(exc, path) from exc
    if version is not None and version > SCHEMA_VERSION:
        conn.close()
        raise StoreError(
            f"the library at {path.parent} was written by a newer version of reader "
            f"(store version {version}, this reader knows {SCHEMA_VERSION}); upgrade reader"
        )
    if (version is None or _missing_tables(conn)) and not is_readonly(conn):
        # A new store, or one made before a table was added: created once. A writer busy
        # with a batch must not make this open wait: then a later open creates them.
        conn.execute("PRAGMA busy_timeout=100" if version is not None else "PRAGMA busy_timeout=30000")
        try:
            with transaction(conn):
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        conn.execute(stmt)
                conn.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
        except sqlite3.DatabaseError as exc:
            if not (version is not None and "locked" in str(exc)):
                conn.close()
                raise diagnose(exc, path) from exc
        finally:
            conn.execute("PRAGMA busy_timeout=30000")
    return conn


def ensure_feeds(conn: sqlite3.Connection) -> None:
    """Create the feed tables if this library predates them (on a write path only)."""
    if has_feeds(conn):
        return
    with transaction(conn):
        for stmt in _FEEDS_SCHEMA.split(";"):
            if stmt.strip():
                conn.execute(stmt)


def has_feeds(conn: sqlite3.Connection) -> bool:
    """Whether the store has the feed tables (a library that never followed a feed may not)."""
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='feed_items'"
    ).fetchone() is not None


def _open(path: Path) -> sqlite3.Connection:
    """A connection in WAL mode; read-only (``mode=ro``, else ``immutable``) where the file or
    its folder cannot be written."""
    writable = os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
    if writable:
        try:
            conn = sqlite3.connect(path, timeout=30.0, isolation_level=None,
                                   check_same_thread=False)
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode != "wal":  # a new store (or an old one): switching is a write, once
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # a replaced entity row (INSERT OR REPLACE) fires the entity counts' delete trigger
            conn.execute("PRAGMA recursive_triggers=ON")
            return conn
        except sqlite3.OperationalError as exc:
            if diagnose(exc, path).__class__ is not StoreUnwritable:
                # A full disk with no -wal/-shm left (the last writer cleaned them up): WAL
                # mode cannot make its 32 KB -shm file, so reading needs the file as it is,
                # complete without a WAL. (Writers are told the disk is full.)
                wal = Path(f"{path}-wal")
                if not (_disk_full(path) and (not wal.exists() or wal.stat().st_size == 0)):
                    raise
                factory: type[sqlite3.Connection] = _FullDiskConnection
            else:
                factory = _ReadOnlyConnection
    else:
        factory = _ReadOnlyConnection
    # Read-only: a read-only mount or folder may not allow the -shm file WAL readers need;
    # then the file is read as immutable (nothing can be writing it there).
    uri = path.resolve().as_uri()
    for q in ("?mode=ro", "?mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(uri + q, uri=True, timeout=30.0, isolation_level=None,
                                   check_same_thread=False, factory=factory)
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:
            continue
    raise sqlite3.OperationalError("unable to open database file (read-only)")


class _ReadOnlyConnection(sqlite3.Connection):
    """A connection to a store opened read-only."""

    readonly = True


class _FullDiskConnection(_ReadOnlyConnection):
    """A store read as it is because its disk has no room for what WAL readers need."""

    full = True


def _disk_full(path: Path) -> bool:
    """Whether the disk holding ``path`` has (next to) no room left."""
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 2**20


def is_full(conn: sqlite3.Connection) -> bool:
    """True for a store read as it is because its disk is full (see ``_open``)."""
    return bool(getattr(conn, "full", False))


def is_readonly(conn: sqlite3.Connection) -> bool:
    """True for a store opened read-only (see :func:`connect`)."""
    return bool(getattr(conn, "readonly", False))


def _missing_tables(conn: sqlite3.Connection) -> bool:
    """True when a table of the schema is missing (tables added since the store was made)."""
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    want = set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", _SCHEMA))
    return not want <= have


def _schema_version(conn: sqlite3.Connection) -> int | None:
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='meta'"
    ).fetchone()
    if row is None:
        return None
    got = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(got[0]) if got else None


class transaction:
    """``with transaction(conn):`` — BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception.

    SQLite rolls a transaction back by itself on some errors (a full disk): then there is
    nothing left to roll back, and the original error is what the caller sees."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        else:
            self._rollback()

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.DatabaseError):
                self.conn.execute("ROLLBACK")


def get_meta(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    """Read one value from the meta table."""
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return row[0] if row else default


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Write one value to the meta table (inside the caller's transaction)."""
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def delete_meta(conn: sqlite3.Connection, key: str) -> None:
    """Remove one value from the meta table (inside the caller's transaction)."""
    conn.execute("DELETE FROM meta WHERE key=?", (key,))


def existing_ids(conn: sqlite3.Connection, ids: Sequence[str]) -> set[str]:
    """Those of ``ids`` already in the store."""
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        found.update(r[0] for r in conn.execute(f"SELECT id FROM articles WHERE id IN ({marks})", chunk))
    return found


class ArticleRows(NamedTuple):
    """The store rows of one article, as plain tuples (see :func:`rows_of`)."""

    article: tuple  # the articles row without ``added``
    entities: list[tuple]
    events: list[tuple]
    fetched: str | None = None  # an article without a date of its own: when it was fetched


_INSERT_ARTICLE = (
    "INSERT OR IGNORE INTO articles(id, title, source, published, byline, paragraphs, path,"
    " url, mentions, added) VALUES (?,?,?,?,?,?,?,?,?,?)"
)
_INSERT_ENTITY = (
    "INSERT OR REPLACE INTO entities(article, key, type, name, aliases, mentions)"
    " VALUES (?,?,?,?,?,?)"
)
_INSERT_EVENT = (
    "INSERT INTO events(article, date, precision, expression, text, paragraph, start, end)"
    " VALUES (?,?,?,?,?,?,?,?)"
)


def rows_of(item: Enriched) -> ArticleRows:
    """The store rows of one enriched article, as plain tuples (cheap to pickle): pure, so a
    worker process can build them; ``insert_rows`` writes them."""
    a = item.article
    mentions = [
        [p, m.start, m.end, m.type, m.name]
        for p, para in enumerate(item.mentions)
        for m in para
    ]
    article = (
        a.id, a.title, a.source, _iso(a.published), a.byline,
        json.dumps(list(a.paragraphs), ensure_ascii=False), a.path, a.url,
        json.dumps(mentions, ensure_ascii=False),
    )
    entities = [
        (a.id, r.key, r.entity.type, r.entity.name,
         json.dumps(list(r.entity.aliases), ensure_ascii=False), r.entity.mentions)
        for r in item.entities
    ]
    events = [
        (a.id, e.date, e.precision, e.expression, e.text, e.paragraph, e.start, e.end)
        for e in item.events
    ]
    return ArticleRows(article, entities, events, a.fetched)


def insert_rows(conn: sqlite3.Connection, rows: Sequence[ArticleRows]) -> int:
    """Insert the rows of articles known not to be in the store yet (inside the caller's
    transaction), in order, with a few statements for the lot; returns how many."""
    if not rows:
        return 0
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    conn.executemany(_INSERT_ARTICLE, [(*r.article, now) for r in rows])
    conn.executemany(_INSERT_ENTITY, [e for r in rows for e in r.entities])
    conn.executemany(_INSERT_EVENT, [v for r in rows for v in r.events])
    undated = [(r.article[0], r.fetched) for r in rows if r.fetched]
    if undated:
        conn.execute(_FETCH_DATED_SCHEMA)
        conn.executemany("INSERT OR REPLACE INTO fetch_dated(id, fetched) VALUES (?,?)", undated)
    return len(rows)


# Articles without a date of their own (a feed item without any): ``published`` holds the day
# they were fetched, and this table says so, with the time. Created by the first writer that
# stores one; absent = none.
_FETCH_DATED_SCHEMA = ("CREATE TABLE IF NOT EXISTS fetch_dated (id TEXT PRIMARY KEY,"
                       " fetched TEXT NOT NULL) WITHOUT ROWID")


def fetch_dated(conn: sqlite3.Connection, ids: Sequence[str] | None = None) -> dict[str, str]:
    """id -> when it was fetched, for the articles (of ``ids``, default all) whose date is the
    time they were fetched, not one of their own."""
    if not has_table(conn, "fetch_dated"):
        return {}
    if ids is None:
        return dict(conn.execute("SELECT id, fetched FROM fetch_dated"))
    out: dict[str, str] = {}
    ids = list(ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        out.update(conn.execute(f"SELECT id, fetched FROM fetch_dated WHERE id IN ({marks})",
                                chunk))
    return out


def _article(row: sqlite3.Row | tuple) -> Article:
    (id_, title, source, published, byline, paragraphs, path, url) = row
    return Article(
        id=id_,
        title=title,
        source=source,
        published=date.fromisoformat(published) if published else None,
        byline=byline,
        paragraphs=tuple(json.loads(paragraphs)),
        path=path,
        url=url,
    )


_ARTICLE_COLS = "id, title, source, published, byline, paragraphs, path, url"


def get_article(conn: sqlite3.Connection, article_id: str) -> Article | None:
    """The full article, or None."""
    row = conn.execute(f"SELECT {_ARTICLE_COLS} FROM articles WHERE id=?", (article_id,)).fetchone()
    return _article(row) if row else None


def iter_articles(conn: sqlite3.Connection, after_seq: int = 0) -> Iterator[tuple[int, Article]]:
    """Every article with ``seq`` above ``after_seq``, in insertion order (for indexing)."""
    cur = conn.execute(
        f"SELECT seq, {_ARTICLE_COLS} FROM articles WHERE seq > ? ORDER BY seq", (after_seq,)
    )
    for row in cur:
        yield row[0], _article(row[1:])


def articles_page(conn: sqlite3.Connection, after_seq: int,
                  limit: int) -> list[tuple[int, Article]]:
    """Up to ``limit`` articles with ``seq`` above ``after_seq``, in insertion order: a page
    read at once (no statement left open between pages)."""
    rows = conn.execute(
        f"SELECT seq, {_ARTICLE_COLS} FROM articles WHERE seq > ? ORDER BY seq LIMIT ?",
        (after_seq, limit)).fetchall()
    return [(row[0], _article(row[1:])) for row in rows]


def count_after(conn: sqlite3.Connection, seq: int) -> int:
    """How many articles have a ``seq`` above ``seq``."""
    return int(conn.execute("SELECT COUNT(*) FROM articles WHERE seq > ?", (seq,)).fetchone()[0])


def replace_enrichment(conn: sqlite3.Connection, rows: Sequence[ArticleRows]) -> None:
    """Put the entities, events and mentions of ``rows`` (made again for stored articles, see
    ``pipeline.reenrich``) in place of the articles' old ones; the articles' text, ids and
    user state stay (inside the caller's transaction)."""
    ids = [r[0][0] for r in rows]
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        conn.execute(f"DELETE FROM entities WHERE article IN ({marks})", chunk)
        conn.execute(f"DELETE FROM events WHERE article IN ({marks})", chunk)
    conn.executemany("UPDATE articles SET mentions=? WHERE id=?",
                     [(r.article[8], r.article[0]) for r in rows])
    conn.executemany(_INSERT_ENTITY, [e for r in rows for e in r.entities])
    conn.executemany(_INSERT_EVENT, [v for r in rows for v in r.events])


def get_mentions(conn: sqlite3.Connection, article_id: str) -> list[tuple[int, EntityMention]]:
    """Entity mentions of one article as (paragraph, mention), offsets within the paragraph."""
    row = conn.execute("SELECT mentions, paragraphs FROM articles WHERE id=?", (article_id,)).fetchone()
    if not row:
        return []
    paragraphs = json.loads(row[1])
    out = []
    for p, start, end, type_, name in json.loads(row[0]):
        text = paragraphs[p][start:end] if p < len(paragraphs) else ""
        out.append((p, EntityMention(start, end, type_, text, name)))
    return out


def list_rows(conn: sqlite3.Connection, limit: int | None = None) -> list[ArticleRow]:
    """All articles (or the ``limit`` newest), light rows, newest first (undated last)."""
    # dated articles in the date index's order (no sort of the whole table: a big library's
    # first rows come at once), then the undated ones, newest added first
    sql = ("SELECT id, title, source, published, path, seq FROM articles"
           " WHERE published IS NOT NULL ORDER BY published DESC, seq DESC")
    if limit is None:
        rows = [ArticleRow(*r) for r in conn.execute(sql)]
    else:
        rows = [ArticleRow(*r) for r in conn.execute(sql + " LIMIT ?", (limit,))]
    if limit is None or len(rows) < limit:
        rows += [ArticleRow(*r) for r in conn.execute(
            "SELECT id, title, source, published, path, seq FROM articles"
            " WHERE published IS NULL ORDER BY seq DESC"
            + ("" if limit is None else f" LIMIT {int(limit) - len(rows)}"))]
    return rows


def rows_by_id(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, ArticleRow]:
    """Light rows for the given ids."""
    out: dict[str, ArticleRow] = {}
    for i in range(0, len(ids), 500):
        chunk = list(ids[i : i + 500])
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(
            f"SELECT id, title, source, published, path, seq FROM articles WHERE id IN ({marks})",
            chunk,
        ):
            out[r[0]] = ArticleRow(*r)
    return out


def entity_keys_of(conn: sqlite3.Connection, article_id: str) -> list[str]:
    """The merge keys of the entities one article names."""
    return [r[0] for r in conn.execute("SELECT key FROM entities WHERE article=?", (article_id,))]


# ---------------------------------------------------------------------------------------------
# Removal and user state (issue 13). Writers call these inside their own transaction.


def ensure_user_tables(conn: sqlite3.Connection) -> None:
    """Create the user-state tables if missing (inside the caller's write transaction)."""
    for stmt in USER_SCHEMA.split(";"):
        if stmt.strip():
            conn.execute(stmt)


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    """Whether the store has a table (added tables are absent from older libraries)."""
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)
    ).fetchone() is not None


def delete_articles(conn: sqlite3.Connection, ids: Sequence[str]) -> int:
    """Delete articles with their entities, events and user state, and note each id as a
    removal the search index has yet to apply (inside the caller's transaction; the user
    tables must exist). Returns how many articles were deleted."""
    n = 0
    dated = has_table(conn, "fetch_dated")
    for i in range(0, len(ids), 500):
        chunk = list(ids[i : i + 500])
        marks = ",".join("?" * len(chunk))
        # entities first: the entity counts' triggers read the article's source
        conn.execute(f"DELETE FROM entities WHERE article IN ({marks})", chunk)
        n += conn.execute(f"DELETE FROM articles WHERE id IN ({marks})", chunk).rowcount
        conn.execute(f"DELETE FROM events WHERE article IN ({marks})", chunk)
        conn.execute(f"DELETE FROM article_state WHERE id IN ({marks})", chunk)
        if dated:
            conn.execute(f"DELETE FROM fetch_dated WHERE id IN ({marks})", chunk)
        conn.executemany("INSERT OR IGNORE INTO removed_pending(id) VALUES (?)",
                         [(x,) for x in chunk])
    return n


def pending_removals(conn: sqlite3.Connection) -> list[str]:
    """Ids removed from the store whose removal from the search index is not confirmed."""
    if not has_table(conn, "removed_pending"):
        return []
    return [r[0] for r in conn.execute("SELECT id FROM removed_pending ORDER BY id")]


def clear_removals(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
    """Forget pending removals the index has applied (inside the caller's transaction)."""
    conn.executemany("DELETE FROM removed_pending WHERE id=?", [(x,) for x in ids])


# ---------------------------------------------------------------------------------------------
# Reads behind Library's methods: every query of the articles, entities and events tables.


def _chunked(ids: Sequence[str], n: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(ids), n):
        yield list(ids[i : i + n])


def top_seq(conn: sqlite3.Connection) -> int:
    """The number of the newest article in the store (0 when empty)."""
    return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM articles").fetchone()[0])


def ever_seq(conn: sqlite3.Connection) -> int:
    """The highest article number ever given (it stays when the newest article is removed)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name='articles'").fetchone()
    return int(row[0]) if row else 0


def count_articles(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])


def count_events(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])


def has_article(conn: sqlite3.Connection, article_id: str) -> bool:
    return conn.execute("SELECT 1 FROM articles WHERE id=?", (article_id,)).fetchone() is not None


def ids_with_prefix(conn: sqlite3.Connection, prefix: str, limit: int = 2) -> list[str]:
    """Up to ``limit`` article ids starting with ``prefix``."""
    return [r[0] for r in conn.execute("SELECT id FROM articles WHERE id LIKE ? LIMIT ?",
                                       (prefix.replace("%", "") + "%", limit))]


def article_sources(conn: sqlite3.Connection) -> Iterator[tuple[str, str]]:
    """(id, source) of every article."""
    return iter(conn.execute("SELECT id, source FROM articles"))


def source_counts(conn: sqlite3.Connection,
                  window: tuple[str, str] | None = None) -> list[tuple[str, int]]:
    """(source, articles) for every source, counting the articles published in ``window``
    (ISO dates, inclusive) when given."""
    if window is None:
        return conn.execute("SELECT source, count(*) FROM articles GROUP BY source").fetchall()
    return conn.execute(
        "SELECT source, count(*) FROM articles WHERE published BETWEEN ? AND ?"
        " GROUP BY source", window,
    ).fetchall()


def summary(conn: sqlite3.Connection) -> dict[str, object]:
    """The counts of ``reader stats``: articles, sources, entities, events, first and last
    publication dates."""
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    first, last = conn.execute("SELECT MIN(published), MAX(published) FROM articles").fetchone()
    return {
        "articles": one("SELECT COUNT(*) FROM articles"),
        "sources": one("SELECT COUNT(DISTINCT source) FROM articles"),
        "entities": one("SELECT COUNT(*) FROM (SELECT DISTINCT key, type FROM entities)"),
        "events": one("SELECT COUNT(*) FROM events"),
        "first_published": first,
        "last_published": last,
    }


def entity_pairs_of(conn: sqlite3.Connection, article_id: str) -> list[tuple[str, str]]:
    """(key, type) of the entities one article names."""
    return conn.execute("SELECT key, type FROM entities WHERE article=?", (article_id,)).fetchall()


def entity_names_of(conn: sqlite3.Connection, article_id: str) -> list[tuple[str, str, list[str]]]:
    """(name, type, aliases) of the entities one article names."""
    return [(name, type_, json.loads(aliases)) for name, type_, aliases in conn.execute(
        "SELECT name, type, aliases FROM entities WHERE article=?", (article_id,))]


def entity_counts_of(conn: sqlite3.Connection, article_id: str) -> list[tuple[str, str, int]]:
    """(key, type, mentions) of the entities one article names."""
    return conn.execute("SELECT key, type, mentions FROM entities WHERE article=?",
                        (article_id,)).fetchall()


def entity_own_of(conn: sqlite3.Connection, article_id: str) -> list[tuple[str, str, str, int]]:
    """(key, type, name, mentions) of the entities one article names."""
    return conn.execute("SELECT key, type, name, mentions FROM entities WHERE article=?",
                        (article_id,)).fetchall()


def entity_mention_rows(conn: sqlite3.Connection, pairs: Sequence[tuple[str, str]] | None = None,
                        ) -> Iterator[tuple[str, str, str, str, int, str, str]]:
    """(key, type, name, aliases JSON, mentions, article, source) of every entity row, or of
    the rows of the given (key, type) pairs."""
    head = ("SELECT e.key, e.type, e.name, e.aliases, e.mentions, e.article, a.source"
            " FROM entities e JOIN articles a ON a.id = e.article ")
    # in article order within an entity, whatever index SQLite picks: the first spelling seen
    # wins a tie (entities_names, a covering index, would give them in name order)
    order = " ORDER BY e.key, e.type, e.article"
    if pairs is None:
        yield from conn.execute(head + order)
        return
    for i in range(0, len(pairs), 400):
        chunk = pairs[i : i + 400]
        yield from conn.execute(
            head + "WHERE (e.key, e.type) IN (VALUES " + ",".join(["(?,?)"] * len(chunk)) + ")"
            + order, [x for kt in chunk for x in kt])


def entity_tally_rows(conn: sqlite3.Connection) -> Iterator[tuple[str, str, str, int]]:
    """(key, type, article, mentions) of every entity row."""
    return iter(conn.execute("SELECT key, type, article, mentions FROM entities"))


def entity_name_rows(conn: sqlite3.Connection, key: str,
                     type_: str) -> list[tuple[str, str, int]]:
    """(name, aliases JSON, mentions) of every row of one entity."""
    return conn.execute("SELECT name, aliases, mentions FROM entities WHERE key=? AND type=?"
                        " ORDER BY article", (key, type_)).fetchall()


def entity_reach_rows(conn: sqlite3.Connection, key: str,
                      type_: str) -> list[tuple[str, int, str]]:
    """(name, mentions, source) of every row of one entity (one row per article)."""
    return conn.execute(
        "SELECT e.name, e.mentions, a.source FROM entities e"
        " JOIN articles a ON a.id = e.article WHERE e.key=? AND e.type=? ORDER BY e.article",
        (key, type_),
    ).fetchall()


def articles_naming(conn: sqlite3.Connection, key: str, type_: str | None = None) -> list[str]:
    """Ids of the articles naming an entity key (of one type when given), newest first."""
    sql = ("SELECT e.article FROM entities e JOIN articles a ON a.id=e.article WHERE e.key=?"
           + (" AND e.type=?" if type_ else "")
           + " ORDER BY a.published IS NULL, a.published DESC, a.seq DESC")
    return [r[0] for r in conn.execute(sql, (key, type_) if type_ else (key,))]


def entities_keyed(conn: sqlite3.Connection, keys: Sequence[str],
                   type_: str | None = None) -> list[tuple[str, str, str]]:
    """(article, key, type) of the entity rows with one of ``keys`` (of one type when given)."""
    marks = ",".join("?" * len(keys))
    return conn.execute(
        f"SELECT article, key, type FROM entities WHERE key IN ({marks})"
        + (" AND type=?" if type_ else ""), (*keys, *([type_] if type_ else []))).fetchall()


def entity_entries(conn: sqlite3.Connection, ids: Sequence[str]) -> list[tuple[str, str, str]]:
    """(key, type, article) of the entities the given articles name."""
    out: list[tuple[str, str, str]] = []
    for chunk in _chunked(ids):
        out += conn.execute(
            "SELECT key, type, article FROM entities WHERE article IN ("
            + ",".join("?" * len(chunk)) + ")", chunk).fetchall()
    return out


_EVENT_COLUMNS = ("SELECT ev.date, ev.precision, ev.expression, ev.text, ev.article, a.source,"
                  " ev.paragraph, ev.start, ev.end")


def event_rows(conn: sqlite3.Connection, article_id: str | None = None,
               ids: Sequence[str] | None = None) -> list[tuple]:
    """(date, precision, expression, text, article, source, paragraph, start, end) of the
    events of one article, of the given articles, or of all, date-sorted."""
    sql = _EVENT_COLUMNS + " FROM events ev JOIN articles a ON a.id=ev.article"
    params: list[object] = []
    if article_id is not None:
        sql += " WHERE ev.article=?"
        params.append(article_id)
    elif ids is not None:
        sql += f" WHERE ev.article IN ({','.join('?' * len(ids))})"
        params.extend(ids)
    sql += " ORDER BY ev.date, a.published, ev.article, ev.paragraph, ev.start"
    return conn.execute(sql, params).fetchall()


def iter_event_rows(conn: sqlite3.Connection) -> Iterator[tuple]:
    """The rows of :func:`event_rows` plus the article's publication date, streamed off the
    date index (sorted by date only)."""
    cur = conn.cursor()
    cur.execute(
        _EVENT_COLUMNS + ", a.published"
        " FROM events ev INDEXED BY events_date JOIN articles a ON a.id=ev.article"
        " ORDER BY ev.date"
    )
    return iter(cur)
