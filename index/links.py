"""Cross-source passage alignment and story grouping, persisted in SQLite (tables ``pi_*``).

``PassageIndex`` works on the caller's connection and never commits: the store calls it inside
its own transaction, so an article's passages, links and story land atomically with it.

Incremental by construction: adding an article looks up only its own shingle hashes and its own
entity keys (index seeks), evaluates only the articles those return, and relabels only the
stories it merges. No step scans the corpus.

Tables
  pi_meta(k, v)                       article count (for IDF)
  pi_source(sid, name)
  pi_article(aid, id, sid, day, story, sizes, ekeys)
      day: date ordinal or NULL; story: aid of the story's founding article;
      sizes: JSON [[paragraph size, [sentence sizes], [quote sizes]], ...]; ekeys: JSON keys
  pi_shingle(h, aid, para, sid, sent, quote)   postings of shingle hashes (clustered by h)
  pi_link(aid, para, oaid, opara, sim, kind)   paragraph links, stored in both directions
  pi_pair(aid, oaid, score, esim, npass)       article pairs that share passages or entities
  pi_edf(key, n)                               entity-key document frequencies
  pi_entity(key, day, aid, sid)                entity postings (day 0 = undated)

Rules
  * Paragraphs are linked only across different sources (see ``index.passages.match``).
  * Two articles of different sources belong to one story when they share a passage and were
    published within ``PASSAGE_DAYS`` of each other (or either date is unknown), or when their
    entity profiles are close: IDF-weighted cosine over entity keys >= ``ENTITY_DATED`` within
    ``ENTITY_DAYS`` days, or >= ``ENTITY_UNDATED`` when either date is unknown. Hub keys (in
    more than ``ENTITY_CAP`` articles) still weigh in the cosine (with their low IDF) but do
    not generate candidates.
  * Stories are union-find with stable ids: a new article founds its own story, joining
    merges stories, and the merged story keeps the id of the oldest one (its founding article).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from index.passages import ParagraphPrint, fingerprint, match

__all__ = ["PassageIndex", "Related", "PassageLink"]

SHINGLE_CAP = 40  # a shingle held by more other-source paragraphs than this is boilerplate
ENTITY_CAP = 300  # keys in more articles than this do not generate story candidates
ENTITY_CANDIDATES = 30
PASSAGE_DAYS = 7
ENTITY_DAYS = 3
ENTITY_DATED = 0.30
ENTITY_UNDATED = 0.45
ENTITY_WEAK = 0.10  # a short shared passage joins a story only with this entity cosine too
STORY_SHINGLES = 6  # shared shingles (over all linked paragraphs) for a passage-only join
MIN_ENTITY_SHARED = 2  # at least this many shared keys for an entity-only link
_CHUNK = 900
STORY_PREFIX = "story:"


@dataclass(frozen=True, slots=True)
class PassageLink:
    """``paragraph`` of the asked-about article carries the passage found in ``article``'s
    ``other_paragraph``."""

    article: str
    paragraph: int
    other_paragraph: int
    similarity: float
    kind: str  # paragraph | sentence | quote


@dataclass(frozen=True, slots=True)
class Related:
    id: str
    source: str
    score: float
    passages: tuple[PassageLink, ...]

    def to_json(self, title: str | None = None) -> dict:
        return {
            "id": self.id,
            "source": self.source,
            "title": title,
            "score": self.score,
            "passages": [
                {
                    "paragraph": p.paragraph,
                    "other_paragraph": p.other_paragraph,
                    "similarity": p.similarity,
                    "kind": p.kind,
                }
                for p in self.passages
            ],
        }


_SCHEMA = """
CREATE TABLE IF NOT EXISTS pi_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pi_source (sid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS pi_article (
    aid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    sid INTEGER NOT NULL,
    day INTEGER,
    story INTEGER NOT NULL,
    sizes TEXT NOT NULL,
    ekeys TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pi_article_story ON pi_article(story);
CREATE TABLE IF NOT EXISTS pi_shingle (
    h INTEGER NOT NULL, aid INTEGER NOT NULL, para INTEGER NOT NULL,
    sid INTEGER NOT NULL, sent INTEGER NOT NULL, quote INTEGER NOT NULL,
    PRIMARY KEY (h, aid, para)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pi_link (
    aid INTEGER NOT NULL, para INTEGER NOT NULL, oaid INTEGER NOT NULL, opara INTEGER NOT NULL,
    sim REAL NOT NULL, kind TEXT NOT NULL,
    PRIMARY KEY (aid, para, oaid, opara)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pi_pair (
    aid INTEGER NOT NULL, oaid INTEGER NOT NULL, score REAL NOT NULL, esim REAL NOT NULL,
    npass INTEGER NOT NULL, PRIMARY KEY (aid, oaid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pi_edf (key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pi_entity (
    key TEXT NOT NULL, day INTEGER NOT NULL, aid INTEGER NOT NULL, sid INTEGER NOT NULL,
    PRIMARY KEY (key, day, aid)
) WITHOUT ROWID;
"""

_TABLES = ("pi_meta", "pi_source", "pi_article", "pi_shingle", "pi_link", "pi_pair", "pi_edf",
           "pi_entity")


def _chunks(seq: list, n: int = _CHUNK) -> Iterable[list]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def _idf(n_docs: int, df: int) -> float:
    return math.log((n_docs + 1) / (df + 0.5))


class PassageIndex:
    """Passage fingerprints, cross-source links and stories over one SQLite connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # ---------------------------------------------------------------------------- schema

    def create_schema(self) -> None:
        for stmt in _SCHEMA.split(";"):
            if stmt.strip():
                self.conn.execute(stmt)

    def remove_all(self) -> None:
        for t in _TABLES:
            self.conn.execute(f"DELETE FROM {t}")

    # ---------------------------------------------------------------------------- adding

    def add(
        self,
        article_id: str,
        source: str,
        published: date | None,
        paragraphs: Sequence[str],
        entity_keys: Collection[str],
    ) -> None:
        """Fingerprint, align and place one article in a story. Re-adding an id is a no-op."""
        self.add_many([(article_id, source, published, paragraphs, entity_keys)])

    def add_many(
        self,
        items: Iterable[tuple[str, str, date | None, Sequence[str], Collection[str]]],
    ) -> None:
        """Add articles in order; the same result as ``add`` on each in turn."""
        cur = self.conn.cursor()
        row = cur.execute("SELECT v FROM pi_meta WHERE k = 'n'").fetchone()
        n_docs = row[0] if row else 0
        sources: dict[str, int] = {}
        for article_id, source, published, paragraphs, entity_keys in items:
            if cur.execute("SELECT 1 FROM pi_article WHERE id = ?", (article_id,)).fetchone():
                continue
            sid = sources.get(source)
            if sid is None:
                cur.execute("INSERT OR IGNORE INTO pi_source(name) VALUES (?)", (source,))
                sid = cur.execute("SELECT sid FROM pi_source WHERE name = ?", (source,)).fetchone()[0]
                sources[source] = sid
            n_docs += 1
            self._add_one(cur, article_id, sid, published, paragraphs, entity_keys, n_docs)
        cur.execute(
            "INSERT INTO pi_meta(k, v) VALUES ('n', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
            (n_docs,),
        )

    def _add_one(
        self,
        cur: sqlite3.Cursor,
        article_id: str,
        sid: int,
        published: date | None,
        paragraphs: Sequence[str],
        entity_keys: Collection[str],
        n_docs: int,
    ) -> None:
        day = published.toordinal() if published is not None else None
        prints: list[ParagraphPrint] = [fingerprint(p) for p in paragraphs]
        keys = sorted({k for k in entity_keys if k})
        sizes = [[p.size, list(p.sentence_sizes), list(p.quote_sizes)] for p in prints]
        cur.execute(
            "INSERT INTO pi_article(id, sid, day, story, sizes, ekeys) VALUES (?, ?, ?, 0, ?, ?)",
            (article_id, sid, day, json.dumps(sizes, separators=(",", ":")),
             json.dumps(keys, ensure_ascii=False, separators=(",", ":"))),
        )
        aid = cur.lastrowid
        assert aid is not None

        # ---- passages: postings of the other sources' paragraphs sharing our shingles
        where: dict[int, list[int]] = defaultdict(list)  # hash -> our paragraphs
        rows = []
        for pi, pr in enumerate(prints):
            for h, (s, q) in pr.shingles.items():
                where[h].append(pi)
                rows.append((h, aid, pi, sid, s, q))
        hashes = list(where)
        postings: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
        for chunk in _chunks(hashes):
            q = (
                "SELECT h, aid, para, sent, quote FROM pi_shingle WHERE h IN (%s) AND sid != ?"
                % ",".join("?" * len(chunk))
            )
            for h, oaid, opara, osent, oquote in cur.execute(q, (*chunk, sid)):
                postings[h].append((oaid, opara, osent, oquote))
        cur.executemany(
            "INSERT OR IGNORE INTO pi_shingle(h, aid, para, sid, sent, quote) VALUES (?,?,?,?,?,?)",
            rows,
        )
        # (our paragraph, their article, their paragraph) -> shared (hash, their sent, their quote)
        shared: dict[tuple[int, int, int], list[tuple[int, int, int]]] = defaultdict(list)
        for h, plist in postings.items():
            if len(plist) > SHINGLE_CAP:
                continue
            for oaid, opara, osent, oquote in plist:
                for pi in where[h]:
                    shared[(pi, oaid, opara)].append((h, osent, oquote))
        shared = {k: v for k, v in shared.items() if len(v) >= 2}
        others = sorted({k[1] for k in shared})
        info = self._articles(cur, others)
        links: list[tuple[int, int, int, int, float, str]] = []
        pass_shared: dict[int, int] = defaultdict(int)
        for (pi, oaid, opara), sh in shared.items():
            osizes = info[oaid]["sizes"][opara]
            m = match(prints[pi], osizes[0], osizes[1], osizes[2], sh)
            if m is not None:
                links.append((aid, pi, oaid, opara, m.similarity, m.kind))
                pass_shared[oaid] += len(sh)
        if links:
            cur.executemany(
                "INSERT OR REPLACE INTO pi_link(aid, para, oaid, opara, sim, kind) VALUES (?,?,?,?,?,?)",
                links + [(b, bp, a, ap, s, k) for a, ap, b, bp, s, k in links],
            )
        pass_score: dict[int, float] = defaultdict(float)
        pass_n: dict[int, int] = defaultdict(int)
        for _a, _ap, oaid, _bp, s, _k in links:
            pass_score[oaid] += s
            pass_n[oaid] += 1

        # ---- entities
        esims: dict[int, float] = {}
        if keys:
            cur.executemany(
                "INSERT INTO pi_edf(key, n) VALUES (?, 1) ON CONFLICT(key) DO UPDATE SET n = n + 1",
                [(k,) for k in keys],
            )
            cur.executemany(
                "INSERT OR IGNORE INTO pi_entity(key, day, aid, sid) VALUES (?, ?, ?, ?)",
                [(k, day or 0, aid, sid) for k in keys],
            )
            esims = self._entity_candidates(cur, aid, sid, day, keys, n_docs)

        # ---- story
        neighbours: dict[int, tuple[float, float, int]] = {}
        for oaid in set(pass_score) | set(esims):
            if oaid not in info:
                info.update(self._articles(cur, [oaid]))
            oday = info[oaid]["day"]
            es = esims.get(oaid, 0.0)
            gap = abs(day - oday) if day is not None and oday is not None else None
            joined = False
            if pass_n.get(oaid) and (gap is None or gap <= PASSAGE_DAYS) and (
                pass_shared[oaid] >= STORY_SHINGLES or es >= ENTITY_WEAK
            ):
                joined = True
            if es:
                if gap is None:
                    joined = joined or es >= ENTITY_UNDATED
                elif gap <= ENTITY_DAYS:
                    joined = joined or es >= ENTITY_DATED
            if joined or pass_n.get(oaid):
                neighbours[oaid] = (round(es + pass_score.get(oaid, 0.0), 4), es, pass_n.get(oaid, 0))
            if not joined:
                continue
            info[oaid]["joined"] = True
        if neighbours:
            cur.executemany(
                "INSERT OR REPLACE INTO pi_pair(aid, oaid, score, esim, npass) VALUES (?,?,?,?,?)",
                [(aid, o, *v) for o, v in neighbours.items()]
                + [(o, aid, *v) for o, v in neighbours.items()],
            )
        stories = {info[o]["story"] for o in neighbours if info[o].get("joined")}
        if stories:
            keep = min(stories)
            cur.execute("UPDATE pi_article SET story = ? WHERE aid = ?", (keep, aid))
            lost = sorted(stories - {keep})
            for chunk in _chunks(lost):
                cur.execute(
                    "UPDATE pi_article SET story = ? WHERE story IN (%s)" % ",".join("?" * len(chunk)),
                    (keep, *chunk),
                )
        else:
            cur.execute("UPDATE pi_article SET story = ? WHERE aid = ?", (aid, aid))

    def _articles(self, cur: sqlite3.Cursor, aids: list[int]) -> dict[int, dict]:
        out: dict[int, dict] = {}
        for chunk in _chunks(aids):
            q = "SELECT aid, id, sid, day, story, sizes, ekeys FROM pi_article WHERE aid IN (%s)" % (
                ",".join("?" * len(chunk))
            )
            for aid, id_, sid, day, story, sizes, ekeys in cur.execute(q, chunk):
                out[aid] = {
                    "id": id_, "sid": sid, "day": day, "story": story,
                    "sizes": json.loads(sizes), "ekeys": ekeys,
                }
        return out

    def _df(self, cur: sqlite3.Cursor, keys: Iterable[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        keys = list(keys)
        for chunk in _chunks(keys):
            q = "SELECT key, n FROM pi_edf WHERE key IN (%s)" % ",".join("?" * len(chunk))
            out.update(cur.execute(q, chunk).fetchall())
        return out

    def _entity_candidates(
        self, cur: sqlite3.Cursor, aid: int, sid: int, day: int | None, keys: list[str], n_docs: int
    ) -> dict[int, float]:
        """IDF-weighted cosine between this article and the other-source articles that share
        its non-hub keys (in the date window when dated; undated ones always)."""
        df = self._df(cur, keys)
        rare = [k for k in keys if 2 <= df.get(k, 1) <= ENTITY_CAP]
        if len(rare) < 1:
            return {}
        weight = {k: _idf(n_docs, df.get(k, 1)) for k in keys}
        partial: dict[int, float] = defaultdict(float)
        count: dict[int, int] = defaultdict(int)
        for chunk in _chunks(rare):
            marks = ",".join("?" * len(chunk))
            if day is None:
                q = f"SELECT key, aid FROM pi_entity WHERE key IN ({marks}) AND sid != ? AND aid != ?"
                args: tuple = (*chunk, sid, aid)
                res = cur.execute(q, args).fetchall()
            else:
                q = (
                    f"SELECT key, aid FROM pi_entity WHERE key IN ({marks}) AND day BETWEEN ? AND ?"
                    " AND sid != ? AND aid != ?"
                )
                res = cur.execute(q, (*chunk, day - ENTITY_DAYS, day + ENTITY_DAYS, sid, aid)).fetchall()
                q0 = f"SELECT key, aid FROM pi_entity WHERE key IN ({marks}) AND day = 0 AND sid != ?"
                res += cur.execute(q0, (*chunk, sid)).fetchall()
            for k, oaid in res:
                partial[oaid] += weight[k] ** 2
                count[oaid] += 1
        if not partial:
            return {}
        # every shared key counts in the cosine, rare or not: add the hub keys' share later
        best = sorted(partial, key=lambda o: (-partial[o], o))[:ENTITY_CANDIDATES]
        info = self._articles(cur, best)
        okeys = {o: json.loads(info[o]["ekeys"]) for o in best}
        all_keys = set().union(*okeys.values()) - set(df)
        df.update(self._df(cur, all_keys))
        norm_a = math.sqrt(sum(_idf(n_docs, df.get(k, 1)) ** 2 for k in keys))
        mine = set(keys)
        out: dict[int, float] = {}
        for o in best:
            ok = okeys[o]
            inter = mine.intersection(ok)
            if len(inter) < MIN_ENTITY_SHARED:
                continue
            num = sum(_idf(n_docs, df.get(k, 1)) ** 2 for k in inter)
            norm_b = math.sqrt(sum(_idf(n_docs, df.get(k, 1)) ** 2 for k in ok))
            if norm_a and norm_b:
                out[o] = round(num / (norm_a * norm_b), 4)
        return out

    # ---------------------------------------------------------------------------- queries

    def _aid(self, article_id: str) -> int | None:
        row = self.conn.execute("SELECT aid FROM pi_article WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def story_of(self, article_id: str) -> str | None:
        """The article's story id (every indexed article has one; a lone article founds its
        own), or None for an unknown article."""
        row = self.conn.execute(
            "SELECT f.id FROM pi_article a JOIN pi_article f ON f.aid = a.story WHERE a.id = ?",
            (article_id,),
        ).fetchone()
        return STORY_PREFIX + row[0] if row else None

    def stories(self) -> dict[str, str]:
        """Every indexed article -> its story id."""
        return {
            a: STORY_PREFIX + f
            for a, f in self.conn.execute(
                "SELECT a.id, f.id FROM pi_article a JOIN pi_article f ON f.aid = a.story"
            )
        }

    def same_passage(self, article_id: str, paragraph: int) -> list[PassageLink]:
        """Other sources' paragraphs carrying this paragraph's passage(s), best first."""
        aid = self._aid(article_id)
        if aid is None:
            return []
        rows = self.conn.execute(
            "SELECT o.id, l.para, l.opara, l.sim, l.kind FROM pi_link l"
            " JOIN pi_article o ON o.aid = l.oaid WHERE l.aid = ? AND l.para = ?"
            " ORDER BY l.sim DESC, o.id, l.opara",
            (aid, paragraph),
        ).fetchall()
        return [PassageLink(*r) for r in rows]

    def paragraph_sources(self, article_id: str) -> dict[int, int]:
        """Paragraph index -> number of other sources carrying it (paragraphs with none are
        left out)."""
        aid = self._aid(article_id)
        if aid is None:
            return {}
        return dict(
            self.conn.execute(
                "SELECT l.para, count(DISTINCT o.sid) FROM pi_link l"
                " JOIN pi_article o ON o.aid = l.oaid WHERE l.aid = ? GROUP BY l.para",
                (aid,),
            ).fetchall()
        )

    def related(self, article_id: str) -> list[Related]:
        """The story's other articles plus any article sharing a passage with this one.

        Order: other sources first, then by score (entity cosine + sum of passage
        similarities), then id. Story members never compared directly (joined through a third
        article) get their entity cosine computed now.
        """
        row = self.conn.execute(
            "SELECT aid, sid, story, ekeys FROM pi_article WHERE id = ?", (article_id,)
        ).fetchone()
        if row is None:
            return []
        aid, sid, story, ekeys = row
        cur = self.conn.cursor()
        members = {
            r[0]
            for r in cur.execute("SELECT aid FROM pi_article WHERE story = ? AND aid != ?", (story, aid))
        }
        scores = {
            o: s for o, s in cur.execute("SELECT oaid, score FROM pi_pair WHERE aid = ?", (aid,))
        }
        links: dict[int, list[PassageLink]] = defaultdict(list)
        for oaid, oid, para, opara, sim, kind in cur.execute(
            "SELECT l.oaid, o.id, l.para, l.opara, l.sim, l.kind FROM pi_link l"
            " JOIN pi_article o ON o.aid = l.oaid WHERE l.aid = ? ORDER BY l.para, l.sim DESC",
            (aid,),
        ):
            links[oaid].append(PassageLink(oid, para, opara, sim, kind))
        others = members | set(links)
        if not others:
            return []
        info = self._articles(cur, sorted(others))
        missing = [o for o in others if o not in scores]
        if missing:
            mine = json.loads(ekeys)
            nrow = cur.execute("SELECT v FROM pi_meta WHERE k = 'n'").fetchone()
            n_docs = nrow[0] if nrow else 1
            okeys = {o: json.loads(info[o]["ekeys"]) for o in missing}
            df = self._df(cur, set(mine).union(*okeys.values()))
            w = {k: _idf(n_docs, df.get(k, 1)) ** 2 for k in df}
            na = math.sqrt(sum(w.get(k, 0.0) for k in mine))
            for o in missing:
                nb = math.sqrt(sum(w.get(k, 0.0) for k in okeys[o]))
                num = sum(w.get(k, 0.0) for k in set(mine).intersection(okeys[o]))
                scores[o] = round(num / (na * nb), 4) if na and nb else 0.0
        names = dict(cur.execute("SELECT sid, name FROM pi_source"))
        out = [
            Related(info[o]["id"], names[info[o]["sid"]], scores[o], tuple(links.get(o, ())))
            for o in others
        ]
        out.sort(key=lambda r: (names[sid] == r.source, -r.score, r.id))
        return out
