"""SQL of the story tables (``pi_*``): passage prints (shingle postings), cross-source links and
pairs, document frequencies, entity postings, articles' term profiles and stories
(``index.stories.StoryIndex`` runs them and holds the rules; the tables are made here from
``schema.STORY_SCHEMA``).

Functions take a cursor or a connection (anything with ``execute``). Writers call them inside
the caller's transaction. Lists of keys are read a chunk of ``CHUNK`` at a time (SQLite's
limit on parameters).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain

from index.store.schema import STORY_SCHEMA, STORY_TABLES

Db = sqlite3.Connection | sqlite3.Cursor

CHUNK = 900
_ROWS_PER_INSERT = 100


def chunks(seq: list, n: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def _insert(cur: Db, head: str, ncols: int, rows: list[tuple]) -> None:
    """``head VALUES (?,..)`` for each row, in order, a hundred rows to a statement: most of
    the cost of inserting small rows one statement each is the statement, not the row."""
    one = "(" + ",".join("?" * ncols) + ")"
    per = _ROWS_PER_INSERT
    n = len(rows) // per * per
    if n:
        flat = list(chain.from_iterable(rows[:n] if n < len(rows) else rows))
        step = per * ncols
        cur.executemany(f"{head} VALUES {','.join([one] * per)}",
                        (flat[i : i + step] for i in range(0, len(flat), step)))
    if n < len(rows):
        cur.executemany(f"{head} VALUES {one}", rows[n:])


# --- the tables ------------------------------------------------------------------------------

def needs_schema(conn: Db, version: int) -> bool:
    """True when the tables are missing or of another layout than ``version`` (reads only)."""
    try:
        row = conn.execute("SELECT v FROM pi_meta WHERE k = 'schema'").fetchone()
    except sqlite3.OperationalError:  # no pi_meta table
        return True
    if row is None or row[0] != version:
        return True
    have = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    return not set(STORY_TABLES) <= have


def create_schema(conn: Db, version: int) -> bool:
    """Create the tables of layout ``version``. Tables of an older layout are dropped and
    created empty: returns True then (their articles are to be added again)."""
    old = False
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pi_meta'").fetchone()
    if has_meta:
        row = conn.execute("SELECT v FROM pi_meta WHERE k = 'schema'").fetchone()
        if row is None or row[0] != version:
            old = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'pi_article'").fetchone() is not None
            for t in STORY_TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {t}")
    else:
        # tables of the first layout had no pi_meta
        old = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'pi_article'").fetchone() is not None
        if old:
            for t in STORY_TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {t}")
    for stmt in STORY_SCHEMA.split(";"):
        if stmt.strip():
            conn.execute(stmt)
    conn.execute("INSERT OR REPLACE INTO pi_meta(k, v) VALUES ('schema', ?)", (version,))
    return old


def clear(conn: Db) -> None:
    """Empty every story table but ``pi_meta``."""
    for t in STORY_TABLES:
        if t != "pi_meta":
            conn.execute(f"DELETE FROM {t}")


def stamp(cur: Db) -> tuple:
    """What tells whether the tables changed since it was taken: another connection's commit
    changes ``data_version``; a rollback of ours changes the last article."""
    dv = cur.execute("PRAGMA data_version").fetchone()[0]
    last = cur.execute("SELECT aid, id FROM pi_article ORDER BY aid DESC LIMIT 1").fetchone()
    return dv, last


# --- articles and sources ----------------------------------------------------------------------

def article_rows(cur: Db, aids: list[int]) -> dict[int, dict]:
    """aid -> its ``pi_article`` row as a dict (id, sid, day, story, sizes, ekeys, terms)."""
    out: dict[int, dict] = {}
    for chunk in chunks(aids):
        q = ("SELECT aid, id, sid, day, story, sizes, ekeys, terms FROM pi_article"
             " WHERE aid IN ({})".format(",".join("?" * len(chunk))))
        for aid, id_, sid, day, story, sizes, ekeys, terms in cur.execute(q, chunk):
            out[aid] = {
                "id": id_, "sid": sid, "day": day, "story": story, "sizes": sizes,
                "ekeys": ekeys, "terms": terms,
            }
    return out


def has_article(cur: Db, article_id: str) -> bool:
    return cur.execute("SELECT 1 FROM pi_article WHERE id = ?", (article_id,)).fetchone() is not None


def top_aid(cur: Db) -> int:
    """The highest article number given (0 when empty)."""
    return cur.execute("SELECT coalesce(max(aid), 0) FROM pi_article").fetchone()[0]


def sid_range(cur: Db) -> tuple[int | None, int | None]:
    """(lowest, highest) source id with articles in the tables, (None, None) when empty."""
    lo, hi = cur.execute("SELECT min(sid), max(sid) FROM pi_article").fetchone()
    return lo, hi


def has_shingles(cur: Db) -> bool:
    return cur.execute("SELECT 1 FROM pi_shingle LIMIT 1").fetchone() is not None


def has_entity_postings(cur: Db) -> bool:
    return cur.execute("SELECT 1 FROM pi_entity LIMIT 1").fetchone() is not None


def has_term_counts(cur: Db) -> bool:
    return cur.execute("SELECT 1 FROM pi_tdf LIMIT 1").fetchone() is not None


def source_id(cur: Db, source: str) -> int:
    """The number of a source, given on first use."""
    cur.execute("INSERT OR IGNORE INTO pi_source(name) VALUES (?)", (source,))
    return cur.execute("SELECT sid FROM pi_source WHERE name = ?", (source,)).fetchone()[0]


def source_names(cur: Db) -> dict[int, str]:
    return dict(cur.execute("SELECT sid, name FROM pi_source"))


def insert_article(cur: Db, aid: int, article_id: str, sid: int, day: int | None, story: int,
                   sizes: str, ekeys: str, terms: bytes) -> None:
    cur.execute(
        "INSERT INTO pi_article(aid, id, sid, day, story, sizes, ekeys, terms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (aid, article_id, sid, day, story, sizes, ekeys, terms),
    )


def article_of(cur: Db, article_id: str) -> tuple[int, int, int | None, int, str] | None:
    """(aid, sid, day, story, ekeys) of an article, or None."""
    return cur.execute("SELECT aid, sid, day, story, ekeys FROM pi_article WHERE id = ?",
                       (article_id,)).fetchone()


def delete_article(cur: Db, aid: int, sid: int, day: int | None, hashes: Iterable[int],
                   keys: Sequence[str], terms: Iterable[int], epochs: Sequence[int]) -> None:
    """Take one article out of the tables: its shingle and entity postings, its links and
    pairs in both directions, its counts in the document frequencies of ``epochs`` (term -1
    counts the articles), its row."""
    cur.executemany("DELETE FROM pi_shingle WHERE h = ? AND sid = ? AND aid = ?",
                    [(h, sid, aid) for h in hashes])
    cur.executemany("DELETE FROM pi_entity WHERE key = ? AND day = ? AND aid = ?",
                    [(k, day or 0, aid) for k in keys])
    for table in ("pi_link", "pi_pair"):  # rows are stored in both directions
        others = [r[0] for r in cur.execute(
            f"SELECT DISTINCT oaid FROM {table} WHERE aid = ?", (aid,))]
        cur.executemany(f"DELETE FROM {table} WHERE aid = ? AND oaid = ?",
                        [(o, aid) for o in others])
        cur.execute(f"DELETE FROM {table} WHERE aid = ?", (aid,))
    cur.executemany("UPDATE pi_tdf SET n = n - 1 WHERE t = ? AND e = ?",
                    [(t, e) for t in (-1, *terms) for e in epochs])
    cur.executemany("UPDATE pi_edf SET n = n - 1 WHERE key = ? AND e = ?",
                    [(k, e) for k in keys for e in epochs])
    cur.execute("DELETE FROM pi_article WHERE aid = ?", (aid,))


def drop_zero_counts(cur: Db) -> None:
    """Forget the document frequencies removals brought to zero (not the article counts)."""
    cur.execute("DELETE FROM pi_tdf WHERE n <= 0 AND t != -1")
    cur.execute("DELETE FROM pi_edf WHERE n <= 0")


def aid_of(conn: Db, article_id: str) -> int | None:
    row = conn.execute("SELECT aid FROM pi_article WHERE id = ?", (article_id,)).fetchone()
    return row[0] if row else None


# --- stories ----------------------------------------------------------------------------------

def story_aids(cur: Db, story: int) -> list[int]:
    """The articles of a story, in order of arrival."""
    return [r[0] for r in cur.execute(
        "SELECT aid FROM pi_article WHERE story = ? ORDER BY aid", (story,))]


def story_aids_but(cur: Db, story: int, aid: int) -> set[int]:
    """The other articles of a story."""
    return {r[0] for r in cur.execute(
        "SELECT aid FROM pi_article WHERE story = ? AND aid != ?", (story, aid))}


def latest_aids(cur: Db, stories: Sequence[int], limit: int) -> list[int]:
    """The ``limit`` latest articles of the given stories."""
    marks = ",".join("?" * len(stories))
    return [a for (a,) in cur.execute(
        f"SELECT aid FROM pi_article WHERE story IN ({marks}) ORDER BY aid DESC LIMIT {limit}",
        stories)]


def story_rows(cur: Db, ids: list[int]) -> Iterator[tuple[int, int, bytes, str, bytes]]:
    """(story, n, terms, ents, ew) of the stories with a ``pi_story`` row (of two articles or
    more) among ``ids``."""
    for chunk in chunks(ids):
        q = "SELECT story, n, terms, ents, ew FROM pi_story WHERE story IN ({})".format(
            ",".join("?" * len(chunk)))
        yield from cur.execute(q, chunk)


def write_story(cur: Db, story: int, n: int, terms: bytes, ents: str, ew: bytes) -> None:
    """A story's size and centroid."""
    cur.execute(
        "INSERT OR REPLACE INTO pi_story(story, n, terms, ents, ew) VALUES (?, ?, ?, ?, ?)",
        (story, n, terms, ents, ew),
    )


def delete_story(cur: Db, story: int) -> None:
    cur.execute("DELETE FROM pi_story WHERE story = ?", (story,))


def rename_story(cur: Db, story: int, new: int) -> None:
    """Move the members of ``story`` into ``new``."""
    cur.execute("UPDATE pi_article SET story = ? WHERE story = ?", (new, story))


def merge_stories(cur: Db, story: int, lost: list[int]) -> None:
    """Move the members of the ``lost`` stories into ``story`` and forget their rows."""
    for chunk in chunks(lost):
        marks = ",".join("?" * len(chunk))
        cur.execute(f"UPDATE pi_article SET story = ? WHERE story IN ({marks})", (story, *chunk))
        cur.execute(f"DELETE FROM pi_story WHERE story IN ({marks})", chunk)


# --- links and pairs ----------------------------------------------------------------------------

def insert_links(cur: Db, rows: list[tuple[int, int, int, int, float, str]]) -> None:
    """(aid, para, oaid, opara, sim, kind) rows, each as given."""
    cur.executemany(
        "INSERT OR REPLACE INTO pi_link(aid, para, oaid, opara, sim, kind) VALUES (?,?,?,?,?,?)",
        rows,
    )


def insert_pairs(cur: Db, rows: list[tuple]) -> None:
    """(aid, oaid, score, esim, npass) rows, each as given."""
    cur.executemany(
        "INSERT OR REPLACE INTO pi_pair(aid, oaid, score, esim, npass) VALUES (?,?,?,?,?)",
        rows,
    )


def pairs_into(cur: Db, aid: int, stories: Sequence[int]) -> list[tuple]:
    """(esim, npass, their day, its day) of the stored pairs of ``aid`` with members of
    ``stories``."""
    marks = ",".join("?" * len(stories))
    return cur.execute(
        "SELECT p.esim, p.npass, a.day, b.day FROM pi_pair p"
        " JOIN pi_article a ON a.aid = p.oaid JOIN pi_article b ON b.aid = p.aid"
        f" WHERE p.aid = ? AND a.story IN ({marks})", (aid, *stories)).fetchall()


def pair_scores(cur: Db, aid: int) -> dict[int, float]:
    return {o: s for o, s in cur.execute("SELECT oaid, score FROM pi_pair WHERE aid = ?", (aid,))}


def link_rows(cur: Db, aid: int) -> list[tuple[int, str, int, int, float, str]]:
    """(oaid, their id, para, opara, sim, kind) of an article's links, by paragraph, best
    first."""
    return cur.execute(
        "SELECT l.oaid, o.id, l.para, l.opara, l.sim, l.kind FROM pi_link l"
        " JOIN pi_article o ON o.aid = l.oaid WHERE l.aid = ? ORDER BY l.para, l.sim DESC",
        (aid,),
    ).fetchall()


def paragraph_links(conn: Db, aid: int, paragraph: int) -> list[tuple[str, int, int, float, str]]:
    """(their id, para, opara, sim, kind) of one paragraph's links, best first."""
    return conn.execute(
        "SELECT o.id, l.para, l.opara, l.sim, l.kind FROM pi_link l"
        " JOIN pi_article o ON o.aid = l.oaid WHERE l.aid = ? AND l.para = ?"
        " ORDER BY l.sim DESC, o.id, l.opara",
        (aid, paragraph),
    ).fetchall()


def paragraph_sources(conn: Db, aid: int) -> dict[int, int]:
    """Paragraph -> number of other sources linked to it."""
    return dict(
        conn.execute(
            "SELECT l.para, count(DISTINCT o.sid) FROM pi_link l"
            " JOIN pi_article o ON o.aid = l.oaid WHERE l.aid = ? GROUP BY l.para",
            (aid,),
        ).fetchall()
    )


# --- postings -----------------------------------------------------------------------------------

def insert_shingles(cur: Db, rows: list[tuple[int, int, int, int]]) -> None:
    """(h, sid, aid, pos) shingle postings."""
    _insert(cur, "INSERT OR IGNORE INTO pi_shingle(h, sid, aid, pos)", 4, rows)


def insert_entity_postings(cur: Db, rows: list[tuple[str, int, int, int]]) -> None:
    """(key, day, aid, sid) entity postings."""
    _insert(cur, "INSERT OR IGNORE INTO pi_entity(key, day, aid, sid)", 4, rows)


def entity_postings(cur: Db, keys: list[str], sid: int,
                    days: tuple[int, int] | None) -> list[tuple[str, int]]:
    """(key, aid) of other sources' articles naming one of ``keys``: of any date, or (with
    ``days``) dated between them or undated."""
    res: list[tuple[str, int]] = []
    for chunk in chunks(keys):
        marks = ",".join("?" * len(chunk))
        if days is None:
            q = f"SELECT key, aid FROM pi_entity WHERE key IN ({marks}) AND sid != ?"
            res += cur.execute(q, (*chunk, sid)).fetchall()
        else:
            q = (f"SELECT key, aid FROM pi_entity WHERE key IN ({marks})"
                 " AND (day BETWEEN ? AND ? OR day = 0) AND sid != ?")
            res += cur.execute(q, (*chunk, *days, sid)).fetchall()
    return res


# --- document frequencies -------------------------------------------------------------------------

def write_counts(cur: Db, kind: str, rows: list[tuple]) -> None:
    """(key, epoch, n) document frequencies of terms (``kind`` "t") or entity keys ("e")."""
    if kind == "t":
        _insert(cur, "INSERT OR REPLACE INTO pi_tdf(t, e, n)", 3, rows)
    else:
        _insert(cur, "INSERT OR REPLACE INTO pi_edf(key, e, n)", 3, rows)


def entity_df(cur: Db, keys: Iterable[str], epoch: int) -> dict[str, int]:
    """Entity key -> its document frequency in one epoch (keys without one left out)."""
    out: dict[str, int] = {}
    for chunk in chunks(list(keys)):
        q = "SELECT key, n FROM pi_edf WHERE key IN ({}) AND e = ?".format(
            ",".join("?" * len(chunk)))
        out.update(cur.execute(q, (*chunk, epoch)).fetchall())
    return out


def article_count(cur: Db, epoch: int) -> int | None:
    """The number of articles counted in one epoch (term -1), None if none was."""
    row = cur.execute("SELECT n FROM pi_tdf WHERE t = -1 AND e = ?", (epoch,)).fetchone()
    return row[0] if row else None


# --- reads by article id -----------------------------------------------------------------------

def founder_of(conn: Db, article_id: str) -> str | None:
    """The id of the article that founded an article's story."""
    row = conn.execute(
        "SELECT f.id FROM pi_article a JOIN pi_article f ON f.aid = a.story WHERE a.id = ?",
        (article_id,),
    ).fetchone()
    return row[0] if row else None


def story_number(conn: Db, article_id: str) -> int | None:
    row = conn.execute("SELECT story FROM pi_article WHERE id = ?", (article_id,)).fetchone()
    return row[0] if row else None


def other_member_ids(conn: Db, story: int, article_id: str) -> list[str]:
    """The other articles of a story, in order of arrival."""
    return [r[0] for r in conn.execute(
        "SELECT id FROM pi_article WHERE story = ? AND id != ? ORDER BY aid",
        (story, article_id))]


def story_numbers(conn: Db, article_ids: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for chunk in chunks(article_ids):
        q = "SELECT id, story FROM pi_article WHERE id IN ({})".format(",".join("?" * len(chunk)))
        out.update(conn.execute(q, chunk).fetchall())
    return out


def story_sizes(conn: Db, ids: Sequence[str]) -> Iterator[tuple[str, str, int]]:
    """(article id, its story's founder id, articles in the story) of the given articles."""
    for i in range(0, len(ids), 500):
        chunk = list(ids[i : i + 500])
        yield from conn.execute(
            "SELECT a.id, f.id, (SELECT COUNT(*) FROM pi_article m WHERE m.story = a.story)"
            " FROM pi_article a JOIN pi_article f ON f.aid = a.story"
            f" WHERE a.id IN ({','.join('?' * len(chunk))})",
            chunk,
        )


def story_sources(conn: Db, ids: Sequence[str]) -> dict[str, int]:
    """Article id -> number of distinct sources in its story (articles in none left out)."""
    out: dict[str, int] = {}
    for i in range(0, len(ids), 500):
        chunk = list(ids[i : i + 500])
        out.update(conn.execute(
            "SELECT a.id, COUNT(DISTINCT s.source) FROM pi_article a"
            " JOIN pi_article m ON m.story = a.story JOIN articles s ON s.id = m.id"
            f" WHERE a.id IN ({','.join('?' * len(chunk))}) GROUP BY a.id",
            chunk,
        ).fetchall())
    return out


def member_ids(conn: Db, article_id: str) -> list[str]:
    """The articles of an article's story, the article included, in order of arrival."""
    return [r[0] for r in conn.execute(
        "SELECT m.id FROM pi_article a JOIN pi_article m ON m.story = a.story"
        " WHERE a.id = ? ORDER BY m.aid", (article_id,))]


def founders(conn: Db) -> Iterator[tuple[str, str]]:
    """(article id, its story's founder id) of every article."""
    return iter(conn.execute(
        "SELECT a.id, f.id FROM pi_article a JOIN pi_article f ON f.aid = a.story"))


# --- the linker's look-ups (one chunk of keys at a time: see ``chunks``) --------------------------

def shingle_counts(cur: Db, hashes: list[int], sid: int, op: str) -> Iterator[tuple[int, int]]:
    """(h, postings) of ``hashes`` held by the sources numbered below (``op`` "<") or above
    (">") ``sid``: a range scan on (h, sid) skips this source's postings without reading them."""
    marks = ",".join("?" * len(hashes))
    q = f"SELECT h, count(*) FROM pi_shingle WHERE h IN ({marks}) AND sid {op} ? GROUP BY h"
    return iter(cur.execute(q, (*hashes, sid)))


def shingle_postings(cur: Db, hashes: list[int], sid: int,
                     op: str) -> Iterator[tuple[int, int, int]]:
    """(h, aid, pos) of the postings of ``hashes`` held by the sources numbered below (``op``
    "<") or above (">") ``sid``."""
    marks = ",".join("?" * len(hashes))
    q = f"SELECT h, aid, pos FROM pi_shingle WHERE h IN ({marks}) AND sid {op} ?"
    return iter(cur.execute(q, (*hashes, sid)))


def counts(cur: Db, kind: str, keys: list, epochs: list[int]) -> Iterator[tuple[object, int, int]]:
    """(key, epoch, n) document frequencies of terms (``kind`` "t") or entity keys ("e") in
    ``epochs`` (keys without one in an epoch left out)."""
    table, col = ("pi_tdf", "t") if kind == "t" else ("pi_edf", "key")
    emarks = ",".join("?" * len(epochs))
    q = (f"SELECT {col}, e, n FROM {table} WHERE {col} IN (%s) AND e IN ({emarks})"
         % ",".join("?" * len(keys)))
    return iter(cur.execute(q, (*keys, *epochs)))
