"""Cross-source passage alignment and story grouping, persisted in SQLite (tables ``pi_*``).

``PassageIndex`` works on the caller's connection and never commits: the store calls it inside
its own transaction, so an article's passages, links and story land atomically with it.

Incremental by construction: adding an article looks up only its own shingle hashes and its own
entity keys (index seeks), evaluates only the articles those return, and relabels only the
stories it merges. No step scans the corpus.

Tables
  pi_meta(k, v)                       article count (for IDF)
  pi_source(sid, name)
  pi_article(aid, id, sid, day, story, sizes, ekeys, terms)
      day: date ordinal or NULL; story: aid of the story's founding article;
      sizes: JSON [[paragraph size, [sentence sizes], [quote sizes]], ...]; ekeys: JSON keys;
      terms: JSON [[term hash, tf], ...] (the term profile)
  pi_shingle(h, sid, aid, para, sent, quote)   postings of shingle hashes (clustered by h, sid)
  pi_tdf(t, n)                                 term document frequencies
  pi_link(aid, para, oaid, opara, sim, kind)   paragraph links, stored in both directions
  pi_pair(aid, oaid, score, esim, npass)       article pairs that share passages or entities
  pi_edf(key, n)                               entity-key document frequencies
  pi_entity(key, day, aid, sid)                entity postings (day 0 = undated)

Rules
  * Paragraphs are linked only across different sources (see ``index.passages.match``);
    shingles held by more than ``SHINGLE_CAP`` other-source paragraphs are ignored (boilerplate).
  * Story similarity of two articles = ``STORY_TERM_WEIGHT`` * cosine of their term profiles
    (top ``TERMS`` content stems, (1+log tf) * IDF) + the rest * IDF-weighted cosine of their
    entity keys; IDF from our own document-frequency tables, kept incrementally. Candidates
    are the other-source articles sharing >= ``MIN_ENTITY_SHARED`` non-hub entity keys (hubs:
    keys in more than ``ENTITY_CAP`` articles) within ``ENTITY_DAYS`` (or undated), plus the
    articles sharing a passage.
  * Two articles of different sources join one story when: they share passages totalling
    >= ``STORY_SHINGLES`` shingles (or a shorter passage and similarity >= ``STORY_WEAK`` times
    the bar) within ``PASSAGE_DAYS`` (or either date unknown); or their similarity is
    >= ``STORY_DATED`` within ``ENTITY_DAYS`` days, or >= ``STORY_UNDATED`` when either date is
    unknown (entity cosine >= ``MIN_ENTITY_SIM`` in both cases).
  * Stories are union-find with stable ids: a new article founds its own story, joining
    merges stories, and the merged story keeps the id of the oldest one (its founding article).
"""

from __future__ import annotations

import gc
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
TERMS = 60  # an article's term profile: its top terms by tf-idf
STORY_TERM_WEIGHT = 0.7  # story similarity = w * term cosine + (1 - w) * entity cosine
STORY_DATED = 0.13
STORY_UNDATED = 0.16
MIN_ENTITY_SIM = 0.05
STORY_WEAK = 0.75  # a short shared passage joins only with this fraction of the similarity bar
_FLUSH_ROWS = 200_000
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
    ekeys TEXT NOT NULL,
    terms TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pi_article_story ON pi_article(story);
CREATE TABLE IF NOT EXISTS pi_shingle (
    h INTEGER NOT NULL, sid INTEGER NOT NULL, aid INTEGER NOT NULL, para INTEGER NOT NULL,
    sent INTEGER NOT NULL, quote INTEGER NOT NULL,
    PRIMARY KEY (h, sid, aid, para)
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
CREATE TABLE IF NOT EXISTS pi_tdf (t INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pi_entity (
    key TEXT NOT NULL, day INTEGER NOT NULL, aid INTEGER NOT NULL, sid INTEGER NOT NULL,
    PRIMARY KEY (key, day, aid)
) WITHOUT ROWID;
"""

_TABLES = ("pi_meta", "pi_source", "pi_article", "pi_shingle", "pi_link", "pi_pair", "pi_edf",
           "pi_tdf", "pi_entity")


def _chunks(seq: list, n: int = _CHUNK) -> Iterable[list]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def _idf(n_docs: int, df: int) -> float:
    return math.log((n_docs + 1) / (df + 0.5))


def _articles(cur: sqlite3.Cursor, aids: list[int]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for chunk in _chunks(aids):
        q = "SELECT aid, id, sid, day, story, sizes, ekeys, terms FROM pi_article WHERE aid IN ({})".format(",".join("?" * len(chunk)))
        for aid, id_, sid, day, story, sizes, ekeys, terms in cur.execute(q, chunk):
            out[aid] = {
                "id": id_, "sid": sid, "day": day, "story": story,
                "sizes": json.loads(sizes), "ekeys": json.loads(ekeys), "terms": json.loads(terms),
            }
    return out


def _first(row: tuple) -> int:
    return row[0]


def _cosine(a: dict, b: dict) -> float:
    if len(b) < len(a):
        a, b = b, a
    num = sum(w * b[k] for k, w in a.items() if k in b)
    if not num:
        return 0.0
    na = math.sqrt(sum(w * w for w in a.values()))
    nb = math.sqrt(sum(w * w for w in b.values()))
    return num / (na * nb)


class _Batch:
    """State of one ``add_many`` call: the tables plus in-memory postings and frequencies
    not yet written. Everything is written by ``flush`` (also on error, so the caller's
    rollback sees a consistent picture)."""

    def __init__(self, cur: sqlite3.Cursor) -> None:
        self.cur = cur
        row = cur.execute("SELECT v FROM pi_meta WHERE k = 'n'").fetchone()
        self.n_docs = row[0] if row else 0
        self.next_aid = cur.execute("SELECT coalesce(max(aid), 0) FROM pi_article").fetchone()[0]
        self.ids: set[str] = set()
        self.sources: dict[str, int] = {}
        self.db_shingles = cur.execute("SELECT 1 FROM pi_shingle LIMIT 1").fetchone() is not None
        lo, hi = cur.execute("SELECT min(sid), max(sid) FROM pi_article").fetchone()
        self.min_sid = lo if lo is not None else 1 << 62  # sources with articles in the tables
        self.max_sid = hi if hi is not None else -1
        self.db_entities = cur.execute("SELECT 1 FROM pi_entity LIMIT 1").fetchone() is not None
        self.db_terms = cur.execute("SELECT 1 FROM pi_tdf LIMIT 1").fetchone() is not None
        row = cur.execute("SELECT v FROM pi_meta WHERE k = 'undated'").fetchone()
        self.undated = row[0] if row else 0
        self.shingle_rows: list[tuple[int, int, int, int, int, int]] = []
        self.mem_sids: set[int] = set()
        # hash -> source -> postings (aid, para, sent, quote) not yet written
        self.shingle_mem: dict[int, dict[int, list[tuple[int, int, int, int]]]] = {}
        self.entity_rows: list[tuple[str, int, int, int]] = []
        self.entity_mem: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        self.edf: dict[str, int] = {}
        self.edf_dirty: set[str] = set()
        self.tdf: dict[int, int] = {}
        self.tdf_dirty: set[int] = set()

    def source_id(self, source: str) -> int:
        sid = self.sources.get(source)
        if sid is None:
            self.cur.execute("INSERT OR IGNORE INTO pi_source(name) VALUES (?)", (source,))
            sid = self.cur.execute("SELECT sid FROM pi_source WHERE name = ?", (source,)).fetchone()[0]
            self.sources[source] = sid
        return sid

    # shingles
    def postings(self, hashes: Iterable[int], sid: int) -> dict[int, list[tuple[int, int, int, int]]]:
        out: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
        hashes = list(hashes)
        if self.db_shingles:
            # range scans on (h, sid) skip this source's postings without reading them; a side
            # with no other source's postings is not scanned at all
            ops = [op for op, present in (("<", self.min_sid < sid), (">", self.max_sid > sid))
                   if present]
            for chunk in _chunks(hashes) if ops else ():
                marks = ",".join("?" * len(chunk))
                for op in ops:
                    q = (f"SELECT h, aid, para, sent, quote FROM pi_shingle"
                         f" WHERE h IN ({marks}) AND sid {op} ?")
                    for h, oaid, opara, osent, oquote in self.cur.execute(q, (*chunk, sid)):
                        out[h].append((oaid, opara, osent, oquote))
        mem = self.shingle_mem
        if mem:
            for h in hashes:
                by_source = mem.get(h)
                if by_source is None or (len(by_source) == 1 and sid in by_source):
                    continue
                lst = out[h]
                for osid, plist in by_source.items():
                    if osid != sid:
                        lst.extend(plist)
        return out

    def add_postings(self, aid: int, sid: int, prints: list[ParagraphPrint]) -> None:
        self.mem_sids.add(sid)
        rows = self.shingle_rows
        mem = self.shingle_mem
        for pi, pr in enumerate(prints):
            for h, (s, q) in pr.shingles.items():
                rows.append((h, sid, aid, pi, s, q))
                by_source = mem.get(h)
                if by_source is None:
                    mem[h] = {sid: [(aid, pi, s, q)]}
                else:
                    plist = by_source.get(sid)
                    if plist is None:
                        by_source[sid] = [(aid, pi, s, q)]
                    else:
                        plist.append((aid, pi, s, q))

    def flush_postings(self) -> None:
        if self.shingle_rows:
            self.shingle_rows.sort(key=_first)
            self.cur.executemany(
                "INSERT OR IGNORE INTO pi_shingle(h, sid, aid, para, sent, quote) VALUES (?,?,?,?,?,?)",
                self.shingle_rows,
            )
            self.shingle_rows = []
            self.shingle_mem = {}
            self.db_shingles = True
            self.min_sid = min([self.min_sid, *self.mem_sids])
            self.max_sid = max([self.max_sid, *self.mem_sids])
        if self.entity_rows:
            self.entity_rows.sort()
            self.cur.executemany(
                "INSERT OR IGNORE INTO pi_entity(key, day, aid, sid) VALUES (?, ?, ?, ?)",
                self.entity_rows,
            )
            self.entity_rows = []
            self.entity_mem = defaultdict(list)
            self.db_entities = True

    # document frequencies
    def _load(self, table: str, col: str, cache: dict, keys: Iterable, in_db: bool) -> None:
        missing = [k for k in keys if k not in cache]
        if not missing:
            return
        if in_db:
            for chunk in _chunks(missing):
                q = f"SELECT {col}, n FROM {table} WHERE {col} IN (%s)" % ",".join("?" * len(chunk))
                cache.update(self.cur.execute(q, chunk).fetchall())
        for k in missing:
            cache.setdefault(k, 0)

    def bump_edf(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        self._load("pi_edf", "key", self.edf, keys, self.db_entities)
        for k in keys:
            self.edf[k] += 1
        self.edf_dirty.update(keys)

    def edf_of(self, keys: Iterable[str]) -> dict[str, int]:
        keys = list(keys)
        self._load("pi_edf", "key", self.edf, keys, self.db_entities)
        return self.edf

    def bump_tdf(self, tf: dict[int, int]) -> None:
        self._load("pi_tdf", "t", self.tdf, tf, self.db_terms)
        for h in tf:
            self.tdf[h] += 1
        self.tdf_dirty.update(tf)

    def tdf_of(self, hashes: Iterable[int]) -> dict[int, int]:
        self._load("pi_tdf", "t", self.tdf, hashes, self.db_terms)
        return self.tdf

    # entities
    def add_entities(self, keys: list[str], day: int | None, aid: int, sid: int) -> None:
        d = day or 0
        for k in keys:
            self.entity_rows.append((k, d, aid, sid))
            self.entity_mem[k].append((d, aid, sid))
        if day is None:
            self.undated += 1

    def entity_candidates(self, aid: int, sid: int, day: int | None, keys: list[str]) -> set[int]:
        """Other-source articles sharing at least ``MIN_ENTITY_SHARED`` of this article's
        non-hub keys (dated: within ``ENTITY_DAYS``, or undated; undated: any date), the
        ``ENTITY_CANDIDATES`` sharing the most IDF weight."""
        df = self.edf_of(keys)
        rare = [k for k in keys if 2 <= df[k] <= ENTITY_CAP]
        if not rare:
            return set()
        n = self.n_docs
        weight = {k: _idf(n, df[k]) for k in rare}
        partial: dict[int, float] = defaultdict(float)
        count: dict[int, int] = defaultdict(int)
        res: list[tuple[str, int]] = []
        if self.db_entities:
            for chunk in _chunks(rare):
                marks = ",".join("?" * len(chunk))
                if day is None:
                    q = f"SELECT key, aid FROM pi_entity WHERE key IN ({marks}) AND sid != ?"
                    res += self.cur.execute(q, (*chunk, sid)).fetchall()
                else:
                    q = (f"SELECT key, aid FROM pi_entity WHERE key IN ({marks})"
                         " AND day BETWEEN ? AND ? AND sid != ?")
                    res += self.cur.execute(
                        q, (*chunk, day - ENTITY_DAYS, day + ENTITY_DAYS, sid)).fetchall()
                    if self.undated:
                        q0 = f"SELECT key, aid FROM pi_entity WHERE key IN ({marks}) AND day = 0 AND sid != ?"
                        res += self.cur.execute(q0, (*chunk, sid)).fetchall()
        if self.entity_mem:
            lo, hi = (day - ENTITY_DAYS, day + ENTITY_DAYS) if day is not None else (None, None)
            for k in rare:
                for d, oaid, osid in self.entity_mem.get(k, ()):
                    if osid != sid and (lo is None or d == 0 or lo <= d <= hi):
                        res.append((k, oaid))
        for k, oaid in res:
            if oaid != aid:
                partial[oaid] += weight[k] ** 2
                count[oaid] += 1
        ok = [o for o in partial if count[o] >= MIN_ENTITY_SHARED]
        return set(sorted(ok, key=lambda o: (-partial[o], o))[:ENTITY_CANDIDATES])

    def similarities(self, keys: list[str], terms: list[list[int]], others: dict[int, dict]
                     ) -> dict[int, tuple[float, float]]:
        """(entity cosine, term cosine) of this article with each of ``others``, with the
        current document frequencies (binary IDF weights for entities, (1+log tf)*IDF for
        terms)."""
        if not others:
            return {}
        n = self.n_docs
        all_keys = set(keys).union(*(o["ekeys"] for o in others.values()))
        edf = self.edf_of(all_keys)
        all_terms = {h for h, _ in terms}.union(*({h for h, _ in o["terms"]} for o in others.values()))
        tdf = self.tdf_of(all_terms)
        ea = {k: _idf(n, max(edf[k], 1)) for k in keys}
        ta = {h: (1 + math.log(c)) * _idf(n, max(tdf[h], 1)) for h, c in terms}
        out = {}
        for o, inf in others.items():
            eb = {k: _idf(n, max(edf[k], 1)) for k in inf["ekeys"]}
            tb = {h: (1 + math.log(c)) * _idf(n, max(tdf[h], 1)) for h, c in inf["terms"]}
            out[o] = (_cosine(ea, eb) if ea and eb else 0.0, _cosine(ta, tb) if ta and tb else 0.0)
        return out

    def articles(self, aids: list[int]) -> dict[int, dict]:
        return _articles(self.cur, aids) if aids else {}

    def flush(self) -> None:
        self.flush_postings()
        cur = self.cur
        if self.edf_dirty:
            cur.executemany("INSERT OR REPLACE INTO pi_edf(key, n) VALUES (?, ?)",
                            sorted((k, self.edf[k]) for k in self.edf_dirty))
            self.edf_dirty = set()
        if self.tdf_dirty:
            cur.executemany("INSERT OR REPLACE INTO pi_tdf(t, n) VALUES (?, ?)",
                            sorted((k, self.tdf[k]) for k in self.tdf_dirty))
            self.tdf_dirty = set()
        cur.executemany(
            "INSERT INTO pi_meta(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
            [("n", self.n_docs), ("undated", self.undated)],
        )


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
        """Add articles in order; the same result as ``add`` on each in turn.

        Postings and document frequencies of the batch are kept in memory (and consulted
        together with the tables) and written once at the end, sorted, which is what makes the
        bulk path cheap.
        """
        st = _Batch(self.conn.cursor())
        # the batch holds millions of small tuples in memory: cyclic GC passes over them would
        # cost more than the work itself (nothing here makes reference cycles)
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for article_id, source, published, paragraphs, entity_keys in items:
                if article_id in st.ids or st.cur.execute(
                    "SELECT 1 FROM pi_article WHERE id = ?", (article_id,)
                ).fetchone():
                    continue
                st.ids.add(article_id)
                self._add_one(st, article_id, st.source_id(source), published, paragraphs,
                              entity_keys)
                if len(st.shingle_rows) > _FLUSH_ROWS:
                    st.flush_postings()
        finally:
            try:
                st.flush()
            finally:
                if gc_was_enabled:
                    gc.enable()

    def _add_one(
        self,
        st: _Batch,
        article_id: str,
        sid: int,
        published: date | None,
        paragraphs: Sequence[str],
        entity_keys: Collection[str],
    ) -> None:
        cur = st.cur
        day = published.toordinal() if published is not None else None
        prints: list[ParagraphPrint] = [fingerprint(p) for p in paragraphs]
        keys = sorted({k for k in entity_keys if k})
        st.n_docs += 1
        n_docs = st.n_docs
        st.next_aid += 1
        aid = st.next_aid

        # ---- passages: postings of the other sources' paragraphs sharing our shingles
        where: dict[int, list[int]] = defaultdict(list)  # hash -> our paragraphs
        for pi, pr in enumerate(prints):
            for h in pr.shingles:
                where[h].append(pi)
        postings = st.postings(where, sid)
        st.add_postings(aid, sid, prints)
        # (our paragraph, their article, their paragraph) -> shared (hash, their sent, their quote)
        shared: dict[tuple[int, int, int], list[tuple[int, int, int]]] = defaultdict(list)
        for h, plist in postings.items():
            if len(plist) > SHINGLE_CAP:
                continue
            for oaid, opara, osent, oquote in plist:
                for pi in where[h]:
                    shared[(pi, oaid, opara)].append((h, osent, oquote))
        shared = {k: v for k, v in shared.items() if len(v) >= 2}
        info = st.articles(sorted({k[1] for k in shared}))
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
        for _a, _ap, oaid, _bp, s, _k in links:
            pass_score[oaid] += s

        # ---- term profile: top terms by tf-idf (tf kept; idf applied when compared)
        tf: dict[int, int] = defaultdict(int)
        for pr in prints:
            for h in pr.words:
                tf[h] += 1
        st.bump_tdf(tf)
        tdf = st.tdf_of(tf)
        weights = {h: (1 + math.log(c)) * _idf(n_docs, tdf[h]) for h, c in tf.items()}
        top = sorted(weights, key=lambda h: (-weights[h], h))[:TERMS]
        terms = [[h, tf[h]] for h in top]

        # ---- entities: candidates sharing non-hub keys
        candidates: set[int] = set()
        if keys:
            st.bump_edf(keys)
            candidates = st.entity_candidates(aid, sid, day, keys)
            st.add_entities(keys, day, aid, sid)
        candidates |= set(pass_score)
        info.update(st.articles([o for o in candidates if o not in info]))
        sims = st.similarities(keys, terms, {o: info[o] for o in candidates})

        # ---- story
        neighbours: dict[int, tuple[float, float, int]] = {}
        joined_stories: set[int] = set()
        for oaid in candidates:
            oday = info[oaid]["day"]
            es, ts = sims.get(oaid, (0.0, 0.0))
            gap = abs(day - oday) if day is not None and oday is not None else None
            combined = STORY_TERM_WEIGHT * ts + (1 - STORY_TERM_WEIGHT) * es
            joined = False
            bar = STORY_UNDATED if gap is None else STORY_DATED
            if pass_score.get(oaid) and (gap is None or gap <= PASSAGE_DAYS) and (
                pass_shared[oaid] >= STORY_SHINGLES or combined >= STORY_WEAK * bar
            ):
                joined = True
            if gap is None:
                joined = joined or (combined >= STORY_UNDATED and es >= MIN_ENTITY_SIM)
            elif gap <= ENTITY_DAYS:
                joined = joined or (combined >= STORY_DATED and es >= MIN_ENTITY_SIM)
            if joined or pass_score.get(oaid):
                neighbours[oaid] = (round(combined + pass_score.get(oaid, 0.0), 4),
                                    round(combined, 4), len([x for x in links if x[2] == oaid]))
            if joined:
                joined_stories.add(info[oaid]["story"])
        if neighbours:
            cur.executemany(
                "INSERT OR REPLACE INTO pi_pair(aid, oaid, score, esim, npass) VALUES (?,?,?,?,?)",
                [(aid, o, *v) for o, v in neighbours.items()]
                + [(o, aid, *v) for o, v in neighbours.items()],
            )
        story = min(joined_stories) if joined_stories else aid
        lost = sorted(joined_stories - {story})
        for chunk in _chunks(lost):
            cur.execute(
                "UPDATE pi_article SET story = ? WHERE story IN ({})".format(",".join("?" * len(chunk))),
                (story, *chunk),
            )
        sizes = [[p.size, list(p.sentence_sizes), list(p.quote_sizes)] for p in prints]
        cur.execute(
            "INSERT INTO pi_article(aid, id, sid, day, story, sizes, ekeys, terms)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (aid, article_id, sid, day, story, json.dumps(sizes, separators=(",", ":")),
             json.dumps(keys, ensure_ascii=False, separators=(",", ":")),
             json.dumps(terms, separators=(",", ":"))),
        )

    def _articles(self, cur: sqlite3.Cursor, aids: list[int]) -> dict[int, dict]:
        return _articles(cur, aids)

    def _df(self, cur: sqlite3.Cursor, keys: Iterable[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        keys = list(keys)
        for chunk in _chunks(keys):
            q = "SELECT key, n FROM pi_edf WHERE key IN ({})".format(",".join("?" * len(chunk)))
            out.update(cur.execute(q, chunk).fetchall())
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
            okeys = {o: info[o]["ekeys"] for o in missing}
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
