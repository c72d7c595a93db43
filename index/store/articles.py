"""SQL of an article and what is derived from it: the ``articles``, ``entities`` and ``events``
tables, the entity counts kept by triggers (``entity_totals``, ``entity_sources``) and the
removals the search index has yet to apply. Writers call these inside their own transaction;
every read behind ``Library``'s methods of these tables is here."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import NamedTuple

from index.model import Article, Enriched, EntityMention
from index.store.core import get_meta, has_table, set_meta, statements, transaction
from index.store.schema import FETCH_DATED_SCHEMA, FILL_TALLY, TALLY_SCHEMA


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
        for stmt in statements(TALLY_SCHEMA):
            conn.execute(stmt)
        for stmt in FILL_TALLY:
            conn.execute(stmt)
        set_meta(conn, "entity_tally", "1")
    return True


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
        conn.execute(FETCH_DATED_SCHEMA)
        conn.executemany("INSERT OR REPLACE INTO fetch_dated(id, fetched) VALUES (?,?)", undated)
    return len(rows)


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


def _chunked(ids: Sequence[str], n: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(ids), n):
        yield list(ids[i : i + n])


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
