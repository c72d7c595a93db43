"""Story grouping and the cross-source passage links it rests on, persisted in SQLite (tables
``pi_*``). :mod:`index.passages` fingerprints and matches paragraphs; this module keeps the
links and groups articles into stories. ``Library.stories`` is the library's ``StoryIndex``.

``StoryIndex`` works on the caller's connection and never commits: the store calls it inside
its own transaction, so an article's passages, links and story land atomically with it.

Two steps per article. ``prepare`` (a pure, module-level function: no database, picklable
result) fingerprints the paragraphs and counts the content terms; it can run in worker
processes. ``StoryIndex.add_prepared`` does the database part in the caller's process.
``add``/``add_many`` are ``prepare`` + ``add_prepared``.

Incremental by construction: adding an article looks up only its own shingle hashes, its own
terms and entity keys, and the stories of the articles those return (index seeks), evaluates
only those, and relabels only the stories it merges. No step scans the corpus.

Tables
  pi_meta(k, v)                       'schema' (layout version)
  pi_source(sid, name)
  pi_article(aid, id, sid, day, story, sizes, ekeys, terms)
      day: date ordinal or NULL; story: aid of the story's founding article;
      sizes: JSON [[paragraph size, [sentence sizes], [quote sizes]], ...]; ekeys: the entity
      keys joined by U+001F; terms: int64 blob (little-endian) of (term hash, tf) pairs, the
      top ``TERMS`` terms by tf-idf when it arrived
  pi_story(story, n, terms, ents, ew) a story of 2+ articles: its size and centroid, the sum of
                                      its members' unit-length (1+log tf) term and binary
                                      entity vectors (IDF applied when compared), integers in
                                      1/10000ths, the top ``CENTROID_TERMS`` / ``CENTROID_ENTS``
                                      kept (terms: blob of pairs; ents: keys joined by U+001F,
                                      ew: blob of their weights). A lone article has no row: its
                                      centroid is its own vectors.
  pi_shingle(h, sid, aid, pos)        postings of shingle hashes (clustered by h, sid); pos =
                                      paragraph << 32 | (sentence + 1) << 16 | (quotation + 1)
  pi_tdf(t, e, n)                     term document frequencies per epoch ``e``; ``t = -1``
                                      counts the articles of the epoch
  pi_edf(key, e, n)                   entity-key document frequencies per epoch
  pi_link(aid, para, oaid, opara, sim, kind)   paragraph links, stored in both directions
  pi_pair(aid, oaid, score, esim, npass)       article pairs that share passages or entities
  pi_entity(key, day, aid, sid)                entity postings (day 0 = undated)

Document frequencies are read per key on first use and kept in memory by the
``StoryIndex`` across calls while the tables are known to be unchanged behind it (same
``PRAGMA data_version``, same last article: another connection's commit or a rollback of ours
drops them).

Epochs: ``day // EPOCH_DAYS`` for a dated article, ``UNDATED_EPOCH`` for an undated one, and
every article also counts in ``ALL_EPOCHS``.

Rules
  * Paragraphs are linked only across different sources (see ``index.passages.match``);
    shingles held by more than ``SHINGLE_CAP`` other-source paragraphs are ignored (boilerplate).
  * IDF is local in time: a term's document frequency is taken over the articles of the
    article's own epoch and the two next to it (undated: over the undated articles), smoothed
    towards the whole library's rate with a prior worth ``IDF_PRIOR`` articles:
    ``idf = -log((df_window + IDF_PRIOR * p_all) / (n_window + IDF_PRIOR))``. So a big old
    corpus does not make every word of this year's news look rare, and a window with few
    articles leans on the library as a whole.
  * A batch of articles is counted (document frequencies) before any of its articles is
    placed (``PRECOUNT``): a library added in one go is judged with the IDF of the whole
    library, not of the few articles that came first (in which every shared word looks
    common). One-at-a-time adds count as they come, so a batch and the same articles added
    one by one may group differently.
  * Story similarity = ``STORY_TERM_WEIGHT`` * cosine of term vectors ((1+log tf) * IDF, top
    ``TERMS``; the title's words count ``TITLE_WEIGHT`` times) + the rest * cosine of
    IDF-weighted entity keys. Candidates are the other-source articles sharing >=
    ``MIN_ENTITY_SHARED`` non-hub entity keys (hubs: keys in more than ``ENTITY_CAP``
    articles) within ``ENTITY_DAYS``, or undated (an undated article: of any date), plus the
    articles sharing a passage.
  * An article *links* to a candidate of another source when: they share passages totalling
    >= ``STORY_SHINGLES`` shingles (or a shorter passage and similarity >= ``STORY_WEAK``
    times the bar) within ``PASSAGE_DAYS`` (or either date unknown); or their similarity is
    >= ``STORY_DATED`` + ``DAY_STEP`` per day between them within ``ENTITY_DAYS`` days (news
    of one story is mostly of one day: several stories about the same people on nearby days
    must not chain), >= ``STORY_UNDATED`` when both dates are unknown, >= ``STORY_MIXED``
    when one is (entity cosine >= ``MIN_ENTITY_SIM`` in all cases): an undated article joins
    a story by its content.
  * A link is not enough to join a story of several articles (that chains related but
    different events): the article must also be similar to the story as a whole, its
    similarity to the story's centroid >= ``CENTROID_BAR``. A story it links to no member of
    (a candidate through shared entities, similar as a whole) it may join only if its nearest
    member is similar to it by at least ``NEAREST_NOW`` times the link bar of the pair (the
    bar of their days): a centroid is denser than any article, and a related event's story
    scores high against it without any one article being close (mutual-neighbour style).
    Nearer than ``NEAREST_BAR`` but not ``NEAREST_NOW``, it stays alone until that story
    next grows (see below). An undated article uses
    ``CENTROID_UNDATED``, and so does a dated one that shares a passage with a member it
    links to (``PASSAGE_EASES``: the same wire copy is evidence that the centroid of a
    long-article story, diluted by each outlet's own angle, need not repeat). Of the stories
    it may join it joins, by the strength of the evidence, one holding a long passage of it
    (the same wire copy), else one it links to, else one it only comes near; the most similar
    of those. It merges two stories only if it links to both and their centroids are similar
    (>= ``MERGE_BAR``), or when one of the two is a lone article it links to and the grown
    story is similar to it (>= ``LONE_BAR``): what that article would have joined had it
    arrived last. So is a lone article it does not link to, of any date, when that article
    would have joined the grown story had it arrived last: similar to it (>= ``LONE_BAR``)
    and linked to one of its members by a stored pair, or within ``NEAREST_BAR`` of a link
    to one (the order of arrival should decide the grouping as little as possible).
  * Story ids are stable as articles arrive: a new article founds its own story, and a merged
    story keeps the id of the oldest one (its founding article). They depend on the order of
    arrival: rebuilding a library from the same articles in another order may group a few
    articles differently and name stories after other founding articles.
"""

from __future__ import annotations

import gc
import json
import math
import sqlite3
import sys
import threading
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain
from operator import itemgetter
from typing import NamedTuple

from index.passages import ParagraphPrint, _parts, match
from index.store import stories as db

__all__ = ["StoryIndex", "PreparedArticle", "Related", "PassageLink", "prepare"]

SCHEMA_VERSION = 4  # 4: titles among the terms, new story rules (re-derived on upgrade)
TITLE_WEIGHT = 2  # a title word counts as this many occurrences in the article's terms
SHINGLE_CAP = 40  # a shingle held by more other-source paragraphs than this is boilerplate
ENTITY_CAP = 300  # keys in more articles than this do not generate story candidates
ENTITY_CANDIDATES = 30
PASSAGE_DAYS = 7
ENTITY_DAYS = 3
TERMS = 60  # an article's term profile: its top terms by tf-idf
EPOCH_DAYS = 30  # document frequencies are kept per epoch of this many days
UNDATED_EPOCH = -2
ALL_EPOCHS = -1
IDF_PRIOR = 20.0  # weight (in articles) of the library-wide rate in a window's IDF
STORY_TERM_WEIGHT = 0.7  # story similarity = w * term cosine + (1 - w) * entity cosine
STORY_DATED = 0.13
STORY_UNDATED = 0.2
STORY_MIXED = 0.2  # the bar between a dated and an undated article
DAY_STEP = 0.06  # the dated bar rises by this much for each day between the two articles
MIN_ENTITY_SIM = 0.05
STORY_WEAK = 0.75  # a short shared passage joins only with this fraction of the similarity bar
CENTROID_BAR = 0.2  # similarity to a story's centroid to join a story of 2+ articles
CENTROID_UNDATED = 0.14  # the same for an undated article (content is all it has)
NEAREST_BAR = 0.7  # joining a story without a link: its nearest member's similarity / bar
NEAREST_NOW = 0.9  # ... at once; between NEAREST_BAR and this, only when the story next grows
MERGE_BAR = 0.25  # centroid similarity of two stories for an article to merge them
LONE_BAR = 0.14  # centroid similarity for a lone article the new one links to, to merge it in
CENTROID_TERMS = 200
CENTROID_ENTS = 100
_FLUSH_ROWS = 200_000
# what ``_Batch.postings`` gives for a shingle over SHINGLE_CAP (never appended to)
_OVER_CAP: list[tuple[int, int]] = [(0, 0)] * (SHINGLE_CAP + 1)
PRECOUNT = True
PASSAGE_EASES = True  # a shared passage with a linked member lowers the centroid bar
PRECOUNT_BATCH = 8192  # articles counted ahead at most
STORY_SHINGLES = 6  # shared shingles (over all linked paragraphs) for a passage-only join
MIN_ENTITY_SHARED = 1  # at least this many shared keys for an entity-only link
_SCALE = 10_000  # stored weights are integers, 1/_SCALE
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


class PreparedArticle(NamedTuple):
    """Everything about one article that needs no database (see ``prepare``). Compact to
    pickle: flat integer arrays, no per-paragraph objects.

    Shingle ``i`` of paragraph ``p`` (``ends[p-1] <= i < ends[p]``) is ``hashes[i]``, held by
    sentence ``sents[i]`` and top-level quotation ``quotes[i]`` of the paragraph (or -1).
    ``sizes`` is the stored JSON of unit sizes; ``terms``/``tfs`` the content-term hashes and
    their counts, sorted by hash."""

    id: str
    source: str
    day: int | None  # date ordinal
    keys: tuple[str, ...]  # entity keys, sorted, distinct
    hashes: array  # 'q'
    sents: array  # 'i'
    quotes: array  # 'i'
    ends: array  # 'i', end offset of each paragraph's shingles
    sizes: str
    terms: array  # 'q'
    tfs: array  # 'i'


def prepare(
    article_id: str,
    source: str,
    published: date | None,
    paragraphs: Sequence[str],
    entity_keys: Collection[str],
    title: str | None = None,
) -> PreparedArticle:
    """Fingerprint and count one article: pure (no I/O, no shared state but caches), safe to run
    in a worker process; the result pickles compactly. The title's words count among the
    article's terms (``TITLE_WEIGHT`` times each), not among its passages."""
    hashes = array("q")
    sents = array("i")
    quotes = array("i")
    ends = array("i")
    sizes = []
    words: list[int] = []
    for p in paragraphs:
        sh, ss, qs, ssz, qsz, _spans, _quotes, hs = _parts(p)
        hashes.extend(sh)
        sents.extend(ss)
        quotes.extend(qs)
        ends.append(len(hashes))
        sizes.append([len(sh), ssz, qsz])
        words += hs
    if title:
        words += _parts(title)[7] * TITLE_WEIGHT
    tf = Counter(words)
    terms = sorted(tf)
    return PreparedArticle(
        article_id,
        source,
        published.toordinal() if published is not None else None,
        tuple(sorted({k for k in entity_keys if k})),
        hashes,
        sents,
        quotes,
        ends,
        json.dumps(sizes, separators=(",", ":")),
        array("q", terms),
        array("i", [tf[h] for h in terms]),
    )


def _paragraph_print(p: PreparedArticle, para: int, sizes: list) -> ParagraphPrint:
    lo = p.ends[para - 1] if para else 0
    hi = p.ends[para]
    sh = {p.hashes[i]: (p.sents[i], p.quotes[i]) for i in range(lo, hi)}
    return ParagraphPrint(sh, tuple(sizes[para][1]), tuple(sizes[para][2]))


_KSEP = "\x1f"  # entity keys are stored joined by this (unit separator)
_BIG_ENDIAN = sys.byteorder == "big"


def _pack(pairs: Iterable[tuple[int, int]]) -> bytes:
    """(key, value) integer pairs as a little-endian int64 blob."""
    a = array("q", chain.from_iterable(pairs))
    if _BIG_ENDIAN:
        a.byteswap()
    return a.tobytes()


def _unpack(blob: bytes) -> dict[int, int]:
    a = array("q")
    a.frombytes(blob)
    if _BIG_ENDIAN:
        a.byteswap()
    return dict(zip(a[::2], a[1::2], strict=True))


def _ints(blob: bytes) -> array:
    a = array("q")
    a.frombytes(blob)
    if _BIG_ENDIAN:
        a.byteswap()
    return a


def _int_blob(values: Iterable[int]) -> bytes:
    a = array("q", values)
    if _BIG_ENDIAN:
        a.byteswap()
    return a.tobytes()


def _keys(text: str) -> list[str]:
    return text.split(_KSEP) if text else []


def _pos(para: int, sent: int, quote: int) -> int:
    """A shingle's place: paragraph, sentence and quotation (-1: none) in one integer."""
    return (para << 32) | (min(sent + 1, 0xFFFF) << 16) | min(quote + 1, 0xFFFF)


def _idf(n_docs: int, df: int) -> float:
    """Plain IDF (for ``related``'s entity cosine over the whole library)."""
    return math.log((n_docs + 1) / (df + 0.5))


def _epochs(day: int | None) -> tuple[int, ...]:
    """The epochs whose articles make an article's IDF window."""
    if day is None:
        return (UNDATED_EPOCH,)
    e = day // EPOCH_DAYS
    return (e - 1, e, e + 1)


def _epoch(day: int | None) -> int:
    return UNDATED_EPOCH if day is None else day // EPOCH_DAYS


def _first(row: tuple) -> int:
    return row[0]


def _bar(day: int | None, oday: int | None) -> float:
    """The similarity two articles need to link by content, by their dates: the dated bar
    rises with the days between them and is out of reach beyond ``ENTITY_DAYS``."""
    if day is None and oday is None:
        return STORY_UNDATED
    if day is None or oday is None:
        return STORY_MIXED
    gap = abs(day - oday)
    return STORY_DATED + DAY_STEP * gap if gap <= ENTITY_DAYS else math.inf


def _was_link(sim: float, npass: int, day: int | None, oday: int | None) -> bool:
    """Whether a stored pair (``pi_pair``: its combined similarity, its count of linked
    paragraphs, the two days) was a link when it was made, by the rules of
    ``PassageIndex._link`` (a shared passage counts with the short-passage bar: the shingle
    count is not stored)."""
    gap = abs(day - oday) if day is not None and oday is not None else None
    if npass and (gap is None or gap <= PASSAGE_DAYS) and sim >= STORY_WEAK * (
            STORY_UNDATED if gap is None else STORY_DATED):
        return True
    return sim >= _bar(day, oday)


def _unit(weights: dict) -> dict:
    """Scale to unit length, as integers (1/_SCALE)."""
    norm = math.sqrt(sum(w * w for w in weights.values()))
    if not norm:
        return {}
    return {k: max(1, round(_SCALE * w / norm)) for k, w in weights.items()}


def _dot(a: dict, b: dict) -> float:
    if len(b) < len(a):
        a, b = b, a
    return float(sum(w * b[k] for k, w in a.items() if k in b))


def _norm(v: dict) -> float:
    return math.sqrt(sum(w * w for w in v.values()))


def _cos(a: dict, b: dict, norms: dict[int, tuple[dict, float]] | None = None) -> float:
    """Cosine of two sparse vectors (any scale). ``norms`` keeps the vectors' lengths for a
    caller that compares the same vectors again (by identity: it holds the vectors too)."""
    num = _dot(a, b)
    if not num:
        return 0.0
    if norms is None:
        return num / (_norm(a) * _norm(b))
    got = norms.get(id(a))
    if got is None or got[0] is not a:
        got = norms[id(a)] = (a, _norm(a))
    na = got[1]
    got = norms.get(id(b))
    if got is None or got[0] is not b:
        got = norms[id(b)] = (b, _norm(b))
    return num / (na * got[1])


def _top(weights: dict, n: int) -> dict:
    if len(weights) <= n:
        return weights
    keep = sorted(weights, key=lambda k: (-weights[k], k))[:n]
    return {k: weights[k] for k in keep}


def _raw_terms(tf: dict[int, int]) -> dict[int, float]:
    return {h: 1 + math.log(c) for h, c in tf.items()}


def _add_vec(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, w in b.items():
        out[k] = out.get(k, 0) + w
    return out


def _weigh(raw: dict, idf: dict) -> dict:
    return {k: w * idf[k] for k, w in raw.items()}


class _Freqs:
    """Document frequencies per epoch (``epoch -> key -> n``), each key loaded from the tables
    on first use (absent = 0). Kept by the ``StoryIndex`` across calls while the tables are
    known not to have changed behind it (``stamp``), so that a library adding batch after batch
    does not read the same counts again."""

    __slots__ = ("t", "e", "size", "stamp", "sids", "whole")

    def __init__(self) -> None:
        self.t: dict[int, dict[int, int]] = {}
        self.e: dict[int, dict[str, int]] = {}
        self.size = 0
        self.stamp: tuple | None = None
        # (lowest, highest) source id with articles in the tables (a scan of pi_article to
        # find out), or None when not known
        self.sids: tuple[int, int] | None = None
        # (kind, epochs) -> keys whose counts are loaded in every one of those epochs
        self.whole: dict[tuple[str, tuple[int, ...]], set] = {}


_FREQS_MAX = 4_000_000  # cached counts beyond which the cache is dropped between calls


class _Batch:
    """State of one ``add_prepared`` call: the tables plus in-memory postings and frequencies
    not yet written. Everything is written by ``flush`` (also on error, so the caller's
    rollback sees a consistent picture)."""

    def __init__(self, cur: sqlite3.Cursor, freqs: _Freqs) -> None:
        self.cur = cur
        self.next_aid = db.top_aid(cur)
        self.ids: set[str] = set()
        self.sources: dict[str, int] = {}
        self.db_shingles = db.has_shingles(cur)
        if freqs.sids is None:
            lo, hi = db.sid_range(cur)
            freqs.sids = (lo if lo is not None else 1 << 62, hi if hi is not None else -1)
        # sources with articles in the tables
        self.min_sid, self.max_sid = freqs.sids
        self.db_entities = db.has_entity_postings(cur)
        self.db_terms = db.has_term_counts(cur)
        self.freqs = freqs
        # shingle postings not yet written: rows (h, sid, aid, pos), indexed by hash on demand
        self.shingle_rows: list[tuple[int, int, int, int]] = []
        self.mem_sids: set[int] = set()
        self.shingle_mem: dict[int, list[tuple[int, int, int, int]]] = {}
        self.mem_indexed = 0
        self.entity_rows: list[tuple[str, int, int, int]] = []
        self.entity_mem: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        self.tdirty: dict[int, set[int]] = defaultdict(set)
        self.edirty: dict[int, set[str]] = defaultdict(set)
        # IDF values computed since the counts last moved: (kind, epochs) -> key -> IDF. The
        # articles of a pre-counted batch are placed with unchanging counts, and compare
        # themselves with many of the same candidates' terms: each value is computed once
        self.idf_memo: dict[tuple[str, tuple[int, ...]], dict] = {}
        # and what is made of them: a candidate's vectors weighted with an epoch's IDF, by
        # (kind, epochs, aid); the lengths of vectors compared (see _cos)
        self.weighted: dict[tuple[str, tuple[int, ...], int], dict] = {}
        self.norms: dict[int, tuple[dict, float]] = {}
        # a stored article's raw term vector and entity keys (they never change), by aid
        self.raw: dict[int, tuple[dict, list[str]]] = {}
        self.units: dict[int, tuple[int, dict, dict]] = {}  # a lone article's unit vectors

    def source_id(self, source: str) -> int:
        sid = self.sources.get(source)
        if sid is None:
            sid = db.source_id(self.cur, source)
            self.sources[source] = sid
        return sid

    def others(self, sid: int) -> bool:
        """Whether any other source has articles (in the tables or in this batch)."""
        return (self.min_sid < sid or self.max_sid > sid
                or bool(self.mem_sids) and (len(self.mem_sids) > 1 or sid not in self.mem_sids))

    # shingles
    def postings(self, hashes: Iterable[int], sid: int) -> dict[int, list[tuple[int, int]]]:
        """Other sources' postings of ``hashes``: hash -> [(aid, pos)]."""
        out: dict[int, list[tuple[int, int]]] = defaultdict(list)
        hashes = list(hashes)
        if self.db_shingles:
            # range scans on (h, sid) skip this source's postings without reading them; a side
            # with no other source's postings is not scanned at all
            ops = [op for op, present in (("<", self.min_sid < sid), (">", self.max_sid > sid))
                   if present]
            for chunk in db.chunks(hashes) if ops else ():
                # a shingle held by more than SHINGLE_CAP other-source paragraphs is skipped
                # by the caller (boilerplate): counted here, its postings are not read (most
                # of the postings a long library returns are of such shingles)
                held: dict[int, int] = defaultdict(int)
                for op in ops:
                    for h, n in db.shingle_counts(self.cur, chunk, sid, op):
                        held[h] += n
                keep = [h for h in chunk if 0 < held.get(h, 0) <= SHINGLE_CAP]
                for h, n in held.items():
                    if n > SHINGLE_CAP:
                        out[h] = _OVER_CAP
                for op in ops if keep else ():
                    for h, oaid, pos in db.shingle_postings(self.cur, keep, sid, op):
                        out[h].append((oaid, pos))
        rows = self.shingle_rows
        if rows and (len(self.mem_sids) > 1 or sid not in self.mem_sids):
            mem = self.shingle_mem
            for i in range(self.mem_indexed, len(rows)):
                r = rows[i]
                lst = mem.get(r[0])
                if lst is None:
                    mem[r[0]] = [r]
                else:
                    lst.append(r)
            self.mem_indexed = len(rows)
            for h in hashes:
                lst = mem.get(h)
                if not lst:
                    continue
                got = out.get(h)
                if got is None:
                    got = out[h] = []
                elif len(got) > SHINGLE_CAP:
                    continue  # (possibly _OVER_CAP: never appended to)
                for _h, osid, oaid, pos in lst:
                    if osid != sid:
                        got.append((oaid, pos))
                        if len(got) > SHINGLE_CAP:
                            break  # boilerplate: skipped by the caller whatever the rest
        return out

    def add_postings(self, aid: int, sid: int, p: PreparedArticle) -> None:
        self.mem_sids.add(sid)
        rows = self.shingle_rows
        hashes, sents, quotes = p.hashes, p.sents, p.quotes
        if len(sents) and (max(sents) >= 0xFFFF or max(quotes) >= 0xFFFF):
            sents = array("i", [min(x, 0xFFFE) for x in sents])
            quotes = array("i", [min(x, 0xFFFE) for x in quotes])
        lo = 0
        for pi, hi in enumerate(p.ends):
            base = (pi << 32) | 0x10001  # sentence and quotation stored + 1 (-1: none)
            rows += [(h, sid, aid, base + (s << 16) + q)
                     for h, s, q in zip(hashes[lo:hi], sents[lo:hi], quotes[lo:hi], strict=True)]
            lo = hi

    def flush_postings(self) -> None:
        if self.shingle_rows:
            # by hash (the key's first column), for locality in the table; comparing whole
            # tuples costs twice as much and orders nothing that matters
            self.shingle_rows.sort(key=itemgetter(0))
            db.insert_shingles(self.cur, self.shingle_rows)
            self.shingle_rows = []
            self.shingle_mem = {}
            self.mem_indexed = 0
            self.db_shingles = True
            self.min_sid = min([self.min_sid, *self.mem_sids])
            self.max_sid = max([self.max_sid, *self.mem_sids])
            self.mem_sids = set()
        if self.entity_rows:
            self.entity_rows.sort()
            db.insert_entity_postings(self.cur, self.entity_rows)
            self.entity_rows = []
            self.entity_mem = defaultdict(list)
            self.db_entities = True

    # document frequencies
    def _load(self, kind: str, keys: set, epochs: tuple[int, ...]) -> None:
        """Make sure the counts of ``keys`` in ``epochs`` are in the cache."""
        fr = self.freqs
        whole = fr.whole.get((kind, epochs))
        if whole is None:
            whole = fr.whole[(kind, epochs)] = set()
        keys = keys.difference(whole)  # one look-up a key instead of one an epoch
        if not keys:
            return
        whole |= keys
        cache = fr.t if kind == "t" else fr.e
        miss: dict[int, set] = {}
        need: set = set()
        for e in epochs:
            d = cache.get(e)
            if d is None:
                d = cache[e] = {}
            m = keys.difference(d)
            if m:
                miss[e] = m
                need |= m
        if not need:
            return
        got: dict[int, dict] = defaultdict(dict)
        if (self.db_terms if kind == "t" else self.db_entities):
            es = sorted(miss)
            for chunk in db.chunks(sorted(need)):
                for k, e, n in db.counts(self.cur, kind, chunk, es):
                    got[e][k] = n
        for e, m in miss.items():
            d = cache[e]
            g = got.get(e)
            if g:
                for k in m:
                    d[k] = g.get(k, 0)
            else:
                d.update(dict.fromkeys(m, 0))
            fr.size += len(m)

    def count(self, kind: str, keys: Sequence, day: int | None) -> dict:
        """Count one article holding ``keys`` (terms or entity keys) in its epoch and in all
        (terms: and the article itself, term -1); returns the keys' IDF counted so."""
        ks = set(keys)
        if self.idf_memo:  # the counts move: what was computed from them goes
            self.idf_memo.clear()
            self.weighted.clear()
            self.norms.clear()
        if kind == "t":
            ks.add(-1)
        else:
            self._load("t", {-1}, (*_epochs(day), ALL_EPOCHS))
        own = _epoch(day)
        self._load(kind, ks, (*_epochs(day), ALL_EPOCHS))
        cache: dict = self.freqs.t if kind == "t" else self.freqs.e
        dirty: dict = self.tdirty if kind == "t" else self.edirty
        for e in (own, ALL_EPOCHS):
            d = cache[e]
            for k in ks:
                d[k] += 1
            dirty[e] |= ks
        if kind == "t":
            ks.discard(-1)
        return self._idf(cache, ks, day)

    def idf(self, kind: str, keys: Iterable, day: int | None) -> dict:
        """Windowed, smoothed IDF of ``keys`` for an article of ``day`` (see module doc)."""
        ks = keys if isinstance(keys, set) else set(keys)
        epochs = (*_epochs(day), ALL_EPOCHS)
        memo = self.idf_memo.get((kind, epochs))
        if memo is None:
            memo = self.idf_memo[(kind, epochs)] = {}
        missing = ks.difference(memo)
        if missing:
            self._load("t", {-1}, epochs)
            self._load(kind, missing, epochs)
            memo.update(self._idf(self.freqs.t if kind == "t" else self.freqs.e, missing, day))
        return {k: memo[k] for k in ks}

    def _idf(self, cache: dict, ks: set, day: int | None) -> dict:
        epochs = (*_epochs(day), ALL_EPOCHS)
        tc = self.freqs.t
        n_win = sum(tc[e][-1] for e in epochs[:-1])
        n_all = tc[ALL_EPOCHS][-1]
        den = n_win + IDF_PRIOR
        prior = IDF_PRIOR / (n_all + 1)
        da = cache[ALL_EPOCHS]
        log = math.log
        if len(epochs) == 4:
            d0, d1, d2 = (cache[e] for e in epochs[:3])
            return {k: -log((d0[k] + d1[k] + d2[k] + prior * (da[k] + 0.5)) / den) for k in ks}
        d0 = cache[epochs[0]]
        return {k: -log((d0[k] + prior * (da[k] + 0.5)) / den) for k in ks}

    def raw_of(self, aid: int, row: dict) -> tuple[dict, list[str]]:
        """A stored article's raw term vector (1 + log tf) and entity keys."""
        got = self.raw.get(aid)
        if got is None:
            got = self.raw[aid] = (_raw_terms(_unpack(row["terms"])), _keys(row["ekeys"]))
        return got

    def weighted_of(self, kind: str, aid: int, vec: dict | list, idf: dict,
                    day: int | None) -> dict:
        """A candidate's term vector (``kind`` "t": raw weights times IDF) or entity vector
        ("e": keys weighted by IDF), as weighed for an article of ``day``; ``idf`` holds this
        epoch's values (as :meth:`idf` gives them, so the same while the counts stand)."""
        key = (kind, _epochs(day), aid)
        got = self.weighted.get(key)
        if got is None:
            got = self.weighted[key] = (_weigh(vec, idf) if kind == "t"  # type: ignore[arg-type]
                                        else {k: idf[k] for k in vec})
        return got

    def global_df(self, keys: Iterable[str]) -> dict[str, int]:
        ks = set(keys)
        self._load("e", ks, (ALL_EPOCHS,))
        d = self.freqs.e[ALL_EPOCHS]
        return {k: d[k] for k in ks}

    # entities
    def add_entities(self, keys: Sequence[str], day: int | None, aid: int, sid: int) -> None:
        d = day or 0
        for k in keys:
            self.entity_rows.append((k, d, aid, sid))
            self.entity_mem[k].append((d, aid, sid))

    def entity_candidates(self, aid: int, sid: int, day: int | None, keys: Sequence[str],
                          weight: dict[str, float]) -> set[int]:
        """Other-source articles sharing at least ``MIN_ENTITY_SHARED`` of this article's
        non-hub keys (dated: within ``ENTITY_DAYS``, or undated; undated: any date), the
        ``ENTITY_CANDIDATES`` sharing the most IDF weight."""
        df = self.global_df(keys)
        rare = [k for k in keys if 2 <= df[k] <= ENTITY_CAP]
        if len(rare) < MIN_ENTITY_SHARED:
            return set()
        partial: dict[int, float] = defaultdict(float)
        count: dict[int, int] = defaultdict(int)
        res: list[tuple[str, int]] = []
        if self.db_entities and (self.min_sid < sid or self.max_sid > sid):
            # an undated article may belong with any date; a dated one with articles of days
            # near it, or undated ones
            res += db.entity_postings(
                self.cur, rare, sid,
                None if day is None else (day - ENTITY_DAYS, day + ENTITY_DAYS))
        if self.entity_mem:
            for k in rare:
                for d, oaid, osid in self.entity_mem.get(k, ()):
                    if osid != sid and (day is None or not d
                                        or day - ENTITY_DAYS <= d <= day + ENTITY_DAYS):
                        res.append((k, oaid))
        for k, oaid in res:
            if oaid != aid:
                partial[oaid] += weight[k] ** 2
                count[oaid] += 1
        ok = [o for o in partial if count[o] >= MIN_ENTITY_SHARED]
        return set(sorted(ok, key=lambda o: (-partial[o], o))[:ENTITY_CANDIDATES])

    def articles(self, aids: list[int]) -> dict[int, dict]:
        return db.article_rows(self.cur, aids) if aids else {}

    def stories(self, ids: Iterable[int]) -> dict[int, tuple[int, dict, dict]]:
        """Size and centroid (terms, entities) of stories. A story of one article has no row
        in ``pi_story``: its centroid is its article's unit vectors."""
        out = {}
        ids = sorted(set(ids))
        for story, n, terms, ents, ew in db.story_rows(self.cur, ids):
            out[story] = (n, _unpack(terms), dict(zip(_keys(ents), _ints(ew), strict=True)))
        lone = [s for s in ids if s not in out and s not in self.units]
        if lone:
            for s, a in self.articles(lone).items():
                # a lone article's vectors never change: made once a batch
                self.units[s] = (1, _unit(self.raw_of(s, a)[0]),
                                 _unit(dict.fromkeys(self.raw_of(s, a)[1], 1.0)))
        for s in ids:
            if s not in out and s in self.units:
                out[s] = self.units[s]
        return out

    def flush(self) -> None:
        self.flush_postings()
        # every source with articles now in the tables (an article without shingles leaves
        # its source in mem_sids)
        self.freqs.sids = (min([self.min_sid, *self.mem_sids]),
                           max([self.max_sid, *self.mem_sids]))
        cur = self.cur
        fr = self.freqs
        for kind, dirty in (("e", self.edirty), ("t", self.tdirty)):
            if not dirty:
                continue
            cache: dict = fr.t if kind == "t" else fr.e
            rows = sorted((k, e, cache[e][k]) for e, ks in dirty.items() for k in ks)
            db.write_counts(cur, kind, rows)
            if kind == "t":
                self.tdirty = defaultdict(set)
                self.db_terms = True
            else:
                self.edirty = defaultdict(set)


class StoryIndex:
    """Passage fingerprints, cross-source links and stories over one SQLite connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._freqs: _Freqs | None = None

    # ---------------------------------------------------------------------------- schema

    def needs_schema(self) -> bool:
        """True when the tables are missing or of another layout (reads only)."""
        return db.needs_schema(self.conn, SCHEMA_VERSION)

    def create_schema(self) -> bool:
        """Create the tables. A library with tables of an older layout has them dropped and
        created empty: returns True then, and the caller should add its articles again."""
        self._freqs = None
        return db.create_schema(self.conn, SCHEMA_VERSION)

    def remove_all(self) -> None:
        self._freqs = None
        db.clear(self.conn)

    def remove(self, items: Iterable[PreparedArticle]) -> int:
        """Take articles out of the tables as if they had never been added (inside the
        caller's transaction): their shingle and entity postings, their links and pairs in
        both directions, their counts in the document frequencies. ``items`` are the articles
        as ``prepare`` makes them from the stored text (their hashes and terms say which rows
        to touch, so no step scans a table).

        A story keeps its other members: if it was named after a removed article it takes the
        id of its oldest remaining member, and its centroid is summed again from the members
        left (a story left with one article has no ``pi_story`` row, like any lone article).
        Members are not regrouped: an article that was the only bridge between two groups
        leaves them in one story. Returns how many articles were removed."""
        self._freqs = None  # counts change behind the cache
        cur = self.conn.cursor()
        stories: set[int] = set()
        gone: set[int] = set()
        n = 0
        for p in items:
            row = db.article_of(cur, p.id)
            if row is None:
                continue
            aid, sid, day, story, ekeys = row
            n += 1
            gone.add(aid)
            stories.add(story)
            db.delete_article(cur, aid, sid, day, set(p.hashes), _keys(ekeys), set(p.terms),
                              sorted({_epoch(day), ALL_EPOCHS}))
        if n:
            db.drop_zero_counts(cur)
        for story in sorted(stories):
            members = db.story_aids(cur, story)
            db.delete_story(cur, story)
            if not members:
                continue
            new = members[0]
            if new != story:
                db.rename_story(cur, story, new)
            if len(members) > 1:
                cterms: dict = {}
                cents: dict = {}
                for a in db.article_rows(cur, members).values():
                    cterms = _add_vec(cterms, _unit(_raw_terms(_unpack(a["terms"]))))
                    cents = _add_vec(cents, _unit(dict.fromkeys(_keys(a["ekeys"]), 1.0)))
                cterms = _top(cterms, CENTROID_TERMS)
                cents = _top(cents, CENTROID_ENTS)
                db.write_story(cur, new, len(members), _pack(sorted(cterms.items())),
                               _KSEP.join(cents), _int_blob(cents.values()))
        return n

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
        self.add_prepared([prepare(article_id, source, published, paragraphs, entity_keys)])

    def add_many(
        self,
        items: Iterable[tuple[str, str, date | None, Sequence[str], Collection[str]]],
    ) -> None:
        """Add articles in order; the same result as ``add`` on each in turn."""
        self.add_prepared(prepare(*it) for it in items)

    def add_prepared(self, items: Iterable[PreparedArticle]) -> None:
        """The database part of adding articles (see ``prepare``), in order; re-adding an id
        is a no-op.

        Postings of the batch are kept in memory (and consulted together with the tables) and
        written once at the end, sorted, which is what makes the bulk path cheap. Document
        frequencies are cached across calls while the tables are unchanged behind them.
        """
        cur = self.conn.cursor()
        stamp = db.stamp(cur)
        fr = self._freqs
        if fr is None or fr.stamp != stamp or fr.size > _FREQS_MAX:
            fr = _Freqs()
        self._freqs = None  # until this call has written everything
        st = _Batch(cur, fr)
        # the batch holds millions of small tuples in memory: cyclic GC passes over them would
        # cost more than the work itself (nothing here makes reference cycles). Only on a
        # process's main thread (the command line's add): an add in a thread of the app must
        # not switch collection off under the UI.
        gc_was_enabled = gc.isenabled()
        if threading.current_thread() is threading.main_thread():
            gc.disable()
        ok = False
        try:
            it = iter(items)
            while True:
                todo = []
                for p in it:
                    if p.id in st.ids or db.has_article(cur, p.id):
                        continue
                    st.ids.add(p.id)
                    todo.append(p)
                    if len(todo) >= PRECOUNT_BATCH:
                        break
                if not todo:
                    break
                # the batch's articles are counted before any is placed: an article is
                # compared with the IDF of the library as it will be, the whole batch
                # included (a library added in one go is not judged by the few articles that
                # came first); batches of PRECOUNT_BATCH bound the memory
                for p in todo if PRECOUNT else ():
                    st.count("t", p.terms, p.day)
                    if p.keys:
                        st.count("e", p.keys, p.day)
                for p in todo:
                    self._add_one(st, p, st.source_id(p.source))
                    if len(st.shingle_rows) > _FLUSH_ROWS:
                        st.flush_postings()
            ok = True
        finally:
            try:
                st.flush()
                if ok:
                    fr.stamp = db.stamp(cur)
                    self._freqs = fr
            finally:
                if gc_was_enabled:
                    gc.enable()

    def _add_one(self, st: _Batch, p: PreparedArticle, sid: int) -> None:
        cur = st.cur
        day = p.day
        keys = p.keys
        st.next_aid += 1
        aid = st.next_aid

        # ---- passages: postings of the other sources' paragraphs sharing our shingles
        links: list[tuple[int, int, int, int, float, str]] = []
        pass_shared: dict[int, int] = defaultdict(int)
        info: dict[int, dict] = {}
        if st.others(sid):
            where: dict[int, list[int]] = defaultdict(list)  # hash -> our paragraphs
            lo = 0
            for pi, hi in enumerate(p.ends):
                for i in range(lo, hi):
                    where[p.hashes[i]].append(pi)
                lo = hi
            postings = st.postings(where, sid)
            # (our paragraph, their article, their paragraph) -> shared (hash, sent, quote)
            shared: dict[tuple[int, int, int], list[tuple[int, int, int]]] = defaultdict(list)
            for h, plist in postings.items():
                if len(plist) > SHINGLE_CAP:
                    continue
                for oaid, pos in plist:
                    opara = pos >> 32
                    osent = ((pos >> 16) & 0xFFFF) - 1
                    oquote = (pos & 0xFFFF) - 1
                    for pi in where[h]:
                        shared[(pi, oaid, opara)].append((h, osent, oquote))
            shared = {k: v for k, v in shared.items() if len(v) >= 2}
            if shared:
                info = st.articles(sorted({k[1] for k in shared}))
                my_sizes = json.loads(p.sizes)
                prints: dict[int, ParagraphPrint] = {}
                osizes_of: dict[int, list] = {}
                for (pi, oaid, opara), sh in shared.items():
                    if pi not in prints:
                        prints[pi] = _paragraph_print(p, pi, my_sizes)
                    if oaid not in osizes_of:
                        osizes_of[oaid] = json.loads(info[oaid]["sizes"])
                    osizes = osizes_of[oaid][opara]
                    m = match(prints[pi], osizes[0], osizes[1], osizes[2], sh)
                    if m is not None:
                        links.append((aid, pi, oaid, opara, m.similarity, m.kind))
                        pass_shared[oaid] += len(sh)
        st.add_postings(aid, sid, p)
        if links:
            db.insert_links(cur, links + [(b, bp, a, ap, s, k) for a, ap, b, bp, s, k in links])
        pass_score: dict[int, float] = defaultdict(float)
        for _a, _ap, oaid, _bp, s, _k in links:
            pass_score[oaid] += s

        # ---- term profile: top terms by tf-idf (tf kept; IDF applied when compared)
        tf_of = dict(zip(p.terms, p.tfs, strict=True))
        idf = st.idf("t", p.terms, day) if PRECOUNT else st.count("t", p.terms, day)
        log = math.log
        raw = {h: 1 + log(c) for h, c in tf_of.items()}
        top = _top({h: w * idf[h] for h, w in raw.items()}, TERMS)
        terms = sorted((h, tf_of[h]) for h in top)
        traw = {h: raw[h] for h in top}

        # ---- entities: candidates sharing non-hub keys
        candidates: set[int] = set()
        if keys:
            eidf = st.idf("e", keys, day) if PRECOUNT else st.count("e", keys, day)
            candidates = st.entity_candidates(aid, sid, day, keys, eidf)
            st.add_entities(keys, day, aid, sid)
        candidates |= set(pass_score)
        story = None
        n = 1
        cterms: dict = {}
        cents: dict = {}
        if candidates:
            story, n, cterms, cents = self._link(st, aid, day, keys, traw, candidates, info,
                                                 pass_score, pass_shared, links)
        if story is None:
            story = aid
        if n > 1:
            db.write_story(cur, story, n, _pack(sorted(cterms.items())), _KSEP.join(cents),
                           _int_blob(cents.values()))
        db.insert_article(cur, aid, p.id, sid, day, story, p.sizes, _KSEP.join(keys),
                          _pack(terms))

    def _link(self, st: _Batch, aid: int, day: int | None, keys: Sequence[str],
              traw: dict[int, float], candidates: set[int], info: dict[int, dict],
              pass_score: dict[int, float], pass_shared: dict[int, int],
              links: list) -> tuple[int | None, int, dict, dict]:
        """Compare a new article with its candidates, record the pairs, place it in a story."""
        cur = st.cur
        info.update(st.articles([o for o in candidates if o not in info]))
        # every vector compared with this article's is weighted with this article's IDF
        oraw = {o: st.raw_of(o, info[o]) for o in candidates}
        all_terms = set(traw).union(*(r for r, _ in oraw.values()))
        idf = st.idf("t", all_terms, day)
        all_keys = set(keys).union(*(k for _, k in oraw.values()))
        eidf = st.idf("e", all_keys, day) if all_keys else {}
        tvec = _weigh(traw, idf)
        evec = {k: eidf[k] for k in keys}
        norms = st.norms  # lengths of the vectors compared (kept while the counts stand)

        # ---- links to candidates
        neighbours: dict[int, tuple[float, float, int]] = {}
        # the candidates' stories -> the members the article links to
        linked: dict[int, list[int]] = defaultdict(list)
        strong: set[int] = set()  # stories with a member sharing a long passage
        quoted: set[int] = set()  # stories with a linked member sharing any passage
        nearest: dict[int, float] = {}  # story -> its nearest candidate member's similarity / bar
        near_of: dict[int, float] = {}  # candidate -> its similarity / the bar of the pair
        for oaid in sorted(candidates):
            o = info[oaid]
            oday = o["day"]
            ts = (_cos(tvec, st.weighted_of("t", oaid, oraw[oaid][0], idf, day), norms)
                  if tvec else 0.0)
            es = (_cos(evec, st.weighted_of("e", oaid, oraw[oaid][1], eidf, day), norms)
                  if evec else 0.0)
            gap = abs(day - oday) if day is not None and oday is not None else None
            combined = STORY_TERM_WEIGHT * ts + (1 - STORY_TERM_WEIGHT) * es
            joined = False
            bar = STORY_UNDATED if gap is None else STORY_DATED
            if pass_score.get(oaid) and (gap is None or gap <= PASSAGE_DAYS) and (
                pass_shared[oaid] >= STORY_SHINGLES or combined >= STORY_WEAK * bar
            ):
                joined = True
            comparable = (day is None) == (oday is None)  # a date on both sides, or neither
            if comparable:
                near_of[oaid] = combined / _bar(day, oday)
                nearest[o["story"]] = max(nearest.get(o["story"], 0.0), near_of[oaid])
            if day is None and oday is None:
                joined = joined or (combined >= STORY_UNDATED and es >= MIN_ENTITY_SIM)
            elif day is None or oday is None:  # content alone places an undated article
                joined = joined or (combined >= STORY_MIXED and es >= MIN_ENTITY_SIM)
            elif gap is not None and gap <= ENTITY_DAYS:
                joined = joined or (combined >= STORY_DATED + DAY_STEP * gap
                                    and es >= MIN_ENTITY_SIM)
            if joined or pass_score.get(oaid):
                neighbours[oaid] = (round(combined + pass_score.get(oaid, 0.0), 4),
                                    round(combined, 4), len([x for x in links if x[2] == oaid]))
            if joined:
                linked[o["story"]].append(oaid)
                if pass_score.get(oaid):
                    quoted.add(o["story"])
                if pass_shared.get(oaid, 0) >= STORY_SHINGLES:
                    strong.add(o["story"])
            elif comparable:
                linked.setdefault(o["story"], [])
        # lone candidates of any date: one may link (by its stored pairs) to a member of the
        # story this article joins, and so join it as it would have had it arrived last
        lone = {o for o in candidates if info[o]["story"] == o} - set(linked)
        if neighbours:
            db.insert_pairs(cur, [(aid, o, *v) for o, v in neighbours.items()]
                            + [(o, aid, *v) for o, v in neighbours.items()])
        return self._place(st, linked, strong, nearest, traw, keys, day, idf, eidf,
                           quoted if PASSAGE_EASES else set(), lone, near_of)

    def _place(self, st: _Batch, linked: dict[int, list[int]], strong: set[int],
               nearest: dict[int, float], traw: dict[int, float],
               keys: Sequence[str], day: int | None, idf: dict, eidf: dict,
               quoted: set[int] = frozenset(),  # type: ignore[assignment]
               lone: set[int] = frozenset(),  # type: ignore[assignment]
               near_of: dict[int, float] | None = None,
               ) -> tuple[int | None, int, dict, dict]:
        """Choose the story of a new article linked to members of the ``linked`` stories: the
        most similar (centroid) of those it fits as a whole; merge others into it if their
        centroids are similar enough. Returns (story id, or None for a new one; its size and
        centroid with the article counted). Two stories the article may join that each hold
        a long passage of it (``STORY_SHINGLES``: the same wire copy) are merged too.
        A story none of whose members the article links to is joined only if its nearest
        member comes close to a link (``nearest``: best similarity / bar >= ``NEAREST_NOW``;
        from ``NEAREST_BAR`` the article stays alone and joins when the story next grows).
        Of the stories it may join it prefers one holding a long passage of it, then one it
        links to, then one it only comes close to; the most similar within each.
        ``lone``: lone candidates it does not link to (of any date); ``near_of``: each
        candidate's similarity / the bar of the pair.
        ``idf``/``eidf``: the IDF already computed for this article (counts have not moved
        since), completed here with the centroids' keys."""
        cterms: dict = _unit(traw)
        cents: dict = _unit(dict.fromkeys(keys, 1.0))
        if not linked:
            return None, 1, cterms, cents
        info = st.stories(set(linked) | lone)
        need = set(traw).union(*(ct for _n, ct, _ce in info.values())).difference(idf)
        idf.update(st.idf("t", need, day))
        need = set(keys).union(*(ce for _n, _ct, ce in info.values())).difference(eidf)
        eidf.update(st.idf("e", need, day))
        weighted = {s: (_weigh(ct, idf), _weigh(ce, eidf)) for s, (_n, ct, ce) in info.items()}
        mine = (_weigh(traw, idf), {k: eidf[k] for k in keys})
        norms: dict[int, tuple[dict, float]] = {}

        def sim(a: tuple[dict, dict], b: tuple[dict, dict]) -> float:
            return (STORY_TERM_WEIGHT * (_cos(a[0], b[0], norms) if a[0] and b[0] else 0.0)
                    + (1 - STORY_TERM_WEIGHT)
                    * (_cos(a[1], b[1], norms) if a[1] and b[1] else 0.0))

        scored = []
        for s, (n, _ct, _ce) in info.items():
            if s not in linked:
                continue
            x = sim(mine, weighted[s])
            if (n == 1 and linked[s]) or (
                    n > 1 and x >= (CENTROID_BAR if day is not None and s not in quoted
                                    else CENTROID_UNDATED)
                    and (linked[s] or nearest.get(s, 0.0) >= NEAREST_NOW)) or (
                    len(linked[s]) >= max(2, (n + 1) // 2)):
                # the evidence first: the same wire copy, then a link, then content alone
                tier = (0 if s in strong else 1) if linked[s] else 2
                scored.append((tier, -x, s))
        if not scored:
            return None, 1, cterms, cents
        scored.sort()
        best = scored[0][-1]
        merged = [best]
        # the other candidate stories, accepted or not, are looked at again with today's IDF:
        # one as a whole similar to the joined story (article included) is merged into it
        grown = (_add_vec(weighted[best][0], mine[0]), _add_vec(weighted[best][1], mine[1]))
        tiers = {s: tier for tier, _neg, s in scored}
        rejoin = []  # lone articles that may join the grown story if they link to it
        for s in sorted(info):
            if s == best:
                continue
            x = sim(grown, weighted[s])
            # two stories merge when the article links to both and they are similar as a
            # whole; a lone article the new one links to joins the grown story as it would
            # have, had it arrived last (the order of arrival should not decide the grouping),
            # and so does a lone story the article chose over a story it links to as well
            # unless it chose it for stronger evidence (a shared passage over a link)
            if ((x >= MERGE_BAR and linked.get(s))
                    or (s in tiers and s in strong and best in strong)
                    or (linked.get(s) and x >= LONE_BAR
                        and (info[s][0] == 1 or (info[best][0] == 1
                                                 and tiers.get(s, 3) <= tiers[best]))
                        and (s in tiers or info[s][0] == 1))):
                merged.append(s)
            elif info[s][0] == 1 and x >= LONE_BAR:
                rejoin.append(s)
        if rejoin:
            merged += self._rejoin(st, rejoin, merged, near_of or {}, day, idf, eidf, sim)
        total = 1
        for s in merged:
            ns, cts, ces = info[s]
            total += ns
            for k, w in cts.items():
                cterms[k] = cterms.get(k, 0) + w
            for k, w in ces.items():
                cents[k] = cents.get(k, 0) + w
        story = min(merged)
        lost = sorted(set(merged) - {story})
        db.merge_stories(st.cur, story, lost)
        return story, total, _top(cterms, CENTROID_TERMS), _top(cents, CENTROID_ENTS)

    def _rejoin(self, st: _Batch, lone: list[int], stories: list[int],
                near_of: dict[int, float], day: int | None, idf: dict, eidf: dict,
                sim: Callable[[tuple[dict, dict], tuple[dict, dict]], float]) -> list[int]:
        """The lone articles of ``lone`` (each similar to the grown story as a whole) that would
        join the story of ``stories`` had they arrived now: those linked to one of its members
        by a stored pair, and those whose nearest member (the new article included, whose
        similarities are ``near_of``) comes within ``NEAREST_BAR`` of a link."""
        out = []
        members: dict[int, dict] | None = None
        for s in lone:
            rows = db.pairs_into(st.cur, s, stories)
            if any(_was_link(esim, npass, da, db) for esim, npass, da, db in rows):
                out.append(s)
                continue
            best = near_of.get(s, 0.0)
            if best < NEAREST_BAR:
                if members is None:  # the latest members are enough to find a near one
                    members = st.articles(db.latest_aids(st.cur, stories, 64))
                mine = st.articles([s])[s]
                vecs = {}
                for a, o in [(s, mine), *members.items()]:
                    tr = _raw_terms(_unpack(o["terms"]))
                    ks = _keys(o["ekeys"])
                    idf.update(st.idf("t", set(tr).difference(idf), day))
                    eidf.update(st.idf("e", set(ks).difference(eidf), day))
                    vecs[a] = (_weigh(tr, idf), {k: eidf[k] for k in ks})
                for a, o in members.items():
                    # another source's, of comparable date (both or neither), as ``nearest``
                    if o["sid"] != mine["sid"] and (mine["day"] is None) == (o["day"] is None):
                        best = max(best, sim(vecs[s], vecs[a]) / _bar(mine["day"], o["day"]))
            if best >= NEAREST_BAR:
                out.append(s)
        return out

    # ---------------------------------------------------------------------------- queries

    def story_of(self, article_id: str) -> str | None:
        """The article's story id (every indexed article has one; a lone article founds its
        own), or None for an unknown article."""
        founder = db.founder_of(self.conn, article_id)
        return STORY_PREFIX + founder if founder is not None else None

    def story_members(self, article_id: str) -> list[str]:
        """The article and the other articles of its story, in order of arrival (just the
        article when it stands alone or is unknown). The one answer to "which articles tell
        this story": the list's count and the next/previous-source jumps both come from it."""
        story = db.story_number(self.conn, article_id)
        if story is None:
            return [article_id]
        return [article_id, *db.other_member_ids(self.conn, story, article_id)]

    def story_numbers(self, article_ids: Sequence[str]) -> dict[str, int]:
        """Article id -> an integer naming its story (equal for the articles of one story)."""
        return db.story_numbers(self.conn, list(article_ids))

    def story_sizes(self, ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """Article id -> (story id, articles in the story) for the given articles."""
        return {aid: (STORY_PREFIX + founder, int(n))
                for aid, founder, n in db.story_sizes(self.conn, ids)}

    def story_sources(self, ids: Sequence[str]) -> dict[str, int]:
        """Article id -> number of distinct sources in its story, for the given articles
        (articles in no story are left out)."""
        return db.story_sources(self.conn, ids)

    def members(self, article_id: str) -> list[str]:
        """The articles of an article's story, the article included, in order of arrival
        (empty when the article is unknown)."""
        return db.member_ids(self.conn, article_id)

    def stories(self) -> dict[str, str]:
        """Every indexed article -> its story id."""
        return {a: STORY_PREFIX + f for a, f in db.founders(self.conn)}

    #: ``library.stories()``: the map of every article in a story to its story id
    __call__ = stories

    def same_passage(self, article_id: str, paragraph: int) -> list[PassageLink]:
        """Other sources' paragraphs carrying this paragraph's passage(s), best first."""
        aid = db.aid_of(self.conn, article_id)
        if aid is None:
            return []
        return [PassageLink(*r) for r in db.paragraph_links(self.conn, aid, paragraph)]

    def paragraph_sources(self, article_id: str) -> dict[int, int]:
        """Paragraph index -> number of other sources carrying it (paragraphs with none are
        left out)."""
        aid = db.aid_of(self.conn, article_id)
        if aid is None:
            return {}
        return db.paragraph_sources(self.conn, aid)

    def related(self, article_id: str) -> list[Related]:
        """The story's other articles plus any article sharing a passage with this one.

        Order: other sources first, then by score (entity cosine + sum of passage
        similarities), then id. Story members never compared directly (joined through a third
        article) get their entity cosine computed now.
        """
        row = db.article_of(self.conn, article_id)
        if row is None:
            return []
        aid, sid, _day, story, ekeys = row
        cur = self.conn.cursor()
        members = db.story_aids_but(cur, story, aid)
        scores = db.pair_scores(cur, aid)
        links: dict[int, list[PassageLink]] = defaultdict(list)
        for oaid, oid, para, opara, sim, kind in db.link_rows(cur, aid):
            links[oaid].append(PassageLink(oid, para, opara, sim, kind))
        others = members | set(links)
        if not others:
            return []
        info = db.article_rows(cur, sorted(others))
        missing = [o for o in others if o not in scores]
        if missing:
            mine = _keys(ekeys)
            counted = db.article_count(cur, ALL_EPOCHS)
            n_docs = counted if counted is not None else 1
            okeys = {o: _keys(info[o]["ekeys"]) for o in missing}
            df = db.entity_df(cur, set(mine).union(*okeys.values()), ALL_EPOCHS)
            w = {k: _idf(n_docs, df.get(k, 1)) ** 2 for k in df}
            na = math.sqrt(sum(w.get(k, 0.0) for k in mine))
            for o in missing:
                nb = math.sqrt(sum(w.get(k, 0.0) for k in okeys[o]))
                num = sum(w.get(k, 0.0) for k in set(mine).intersection(okeys[o]))
                scores[o] = round(num / (na * nb), 4) if na and nb else 0.0
        names = db.source_names(cur)
        out = [
            Related(info[o]["id"], names[info[o]["sid"]], scores[o], tuple(links.get(o, ())))
            for o in others
        ]
        out.sort(key=lambda r: (names[sid] == r.source, -r.score, r.id))
        return out
