"""The full-text index: a Whoosh index derived from the store.

Whoosh is old, untyped code; this module is the only place that touches it. The index holds the
searchable text (title, body, source, entity names, publication date) and stores only the article
id: everything shown comes from the store.
"""

from __future__ import annotations

import os
import re
import shutil
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from pickle import dumps as pickle_dumps

from whoosh import index as whoosh_index
from whoosh import qparser
from whoosh import query as wq
from whoosh.analysis import (
    CommaSeparatedTokenizer,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StandardAnalyzer,
    StopFilter,
)
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3PerDocReader,
    W3PostingsWriter,
    _lenfield,
)
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.formats import Positions
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte

from index.model import Article

FIELDS = ("title", "body", "source", "entity", "published")
# A query is typed (or pasted) by a person: these bound what one may cost.
MAX_QUERY_CHARS = 2000
MAX_QUERY_WORDS = 100
MAX_WORD_CHARS = 100
MAX_EXPANSION = 5000  # words a prefix/wildcard/fuzzy part may stand for, all parts together
QUERY_SECONDS = 5.0  # time budget for collecting results
BULK_LIMIT_MB = 512  # postings a bulk writer (each sub-writer) sorts in memory (see writer())


class QueryError(ValueError):
    """A malformed query; the message is one line meant for the user."""


# What Whoosh raises on damaged or missing files (anything else is a bug, reported as one).
import pickle as _pickle  # noqa: E402
import struct as _struct  # noqa: E402

from whoosh.index import EmptyIndexError as _EmptyIndexError  # noqa: E402
from whoosh.index import IndexError as _WhooshIndexError  # noqa: E402

_DAMAGE = (OSError, EOFError, _struct.error, _pickle.UnpicklingError, zlib.error, ValueError,
           KeyError, IndexError, _EmptyIndexError, _WhooshIndexError, UnicodeDecodeError)


def _damaged(exc: BaseException) -> Exception:
    """The error to raise for an exception from Whoosh: a full or unwritable disk says so; a
    damaged file says the index is damaged."""
    from index.store import failure_kind

    if isinstance(exc, OSError) and failure_kind(exc):
        return exc
    return IndexDamaged(f"the search index cannot be read ({exc})")


class QueryRefused(QueryError):
    """A query over the size or time a query may cost (a subclass of QueryError)."""


class IndexDamaged(RuntimeError):
    """The Whoosh index cannot be read; ``reader reindex`` rebuilds it from the store."""


@lru_cache(maxsize=1 << 16)
def entity_key(name: str) -> str:
    """The merge key of an entity name (delegates to :mod:`index.entities`; a pure function
    of the name, so the keys of the names an index sees again and again are kept)."""
    from index.entities import entity_key as _key

    return _key(name)


class EntityKeyFilter(Filter):
    """Maps each comma-separated entity name to its merge key, at index and query time."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EntityKeyFilter)

    def __call__(self, tokens):  # type: ignore[no-untyped-def]
        for t in tokens:
            t.text = entity_key(t.text)
            if t.text:
                yield t


_TEXT = StandardAnalyzer()

_DEFAULT_WORD = r"\w+(\.?\w+)*"  # whoosh's default RegexTokenizer pattern
_FAST_WORD = re.compile(r"\w+(?:\.?\w+)*")  # the same matches, for findall
_ONE_POSITION: dict[int, bytes] = {}  # encoded position list of a term seen once, by position


class FastText(TEXT):
    """A TEXT field that indexes exactly what Whoosh's analyser chain and Positions format
    would (same terms, frequencies, weights and encoded positions), without one Token
    object and three generator hops per word: for a RegexTokenizer | LowercaseFilter
    [| StopFilter] analyser (StandardAnalyzer), the words are found with one ``findall``.
    Anything else falls back to Whoosh's own ``index``. Queries use the analyser as before.

    The schema is pickled into the index, so this class must stay importable under this name.
    """

    def index(self, value, **kwargs):  # type: ignore[no-untyped-def]
        plan = _fast_plan(self)
        if plan is None or not isinstance(value, str) or kwargs.get("mode", "index") != "index":
            yield from TEXT.index(self, value, **kwargs)
            return
        expr, stops, minsize, maxsize, renumber = plan
        words = _FAST_WORD.findall(value) if expr is None else [
            m.group(0) for m in expr.finditer(value)]
        poses: dict[str, list[int]] = {}
        pos = None
        for i, w in enumerate(words):
            w = w.lower()
            if stops is not None:
                n = len(w)
                if n < minsize or (maxsize is not None and n > maxsize) or w in stops:
                    continue
                # StopFilter renumbers: the first kept word keeps its place, the next follow it
                pos = (i if pos is None else pos + 1) if renumber else i
            else:
                pos = i
            got = poses.get(w)
            if got is None:
                poses[w] = [pos]
            else:
                got.append(pos)
        fb = self.format.field_boost
        one = _ONE_POSITION
        for w, plist in poses.items():
            n = len(plist)
            if n == 1:
                p = plist[0]
                enc = one.get(p)
                if enc is None:
                    enc = one[p] = pack_uint(1) + pickle_dumps([p], 2)
            else:
                deltas = [plist[0]]
                deltas += [b - a for a, b in zip(plist, plist[1:], strict=False)]
                enc = pack_uint(n) + pickle_dumps(deltas, 2)
            # Positions.word_values: weight = the sum of the tokens' boosts (1.0 each) * boost
            yield w.encode("utf-8"), n, float(n) * fb, enc


def _fast_plan(field: TEXT):  # type: ignore[no-untyped-def]
    """(pattern or None for the default, stops or None, minsize, maxsize, renumber) when the
    field's analyser and format are ones ``FastText`` reproduces, else None."""
    plan = None
    ana = field.analyzer
    items = getattr(ana, "items", None)
    if type(field.format) is Positions and items and type(items[0]) is RegexTokenizer \
            and not items[0].gaps and len(items) in (2, 3) \
            and type(items[1]) is LowercaseFilter \
            and (len(items) == 2 or type(items[2]) is StopFilter):
        expr = items[0].expression
        default = expr.pattern == _DEFAULT_WORD and expr.flags == re.compile(_DEFAULT_WORD).flags
        stop = items[2] if len(items) == 3 else None
        plan = (None if default else expr,
                stop.stops if stop else None,
                stop.min if stop else 0,
                stop.max if stop else None,
                stop.renumber if stop else False)
    return plan


class _LengthsReader(W3PerDocReader):
    """Whoosh's per-document reader, with each field's length column read in one go on
    first use. Whoosh asks for the length of the document of every posting it writes at
    commit (a seek and a one-byte read each: a sixth of the commit) and of every document
    it scores. The values are the same."""

    def doc_field_length(self, docnum, fieldname, default=0):  # type: ignore[no-untyped-def]
        if docnum > self._doccount:
            raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
        cache = self.__dict__.setdefault("_lengths", {})
        lens = cache.get(fieldname, False)
        if lens is False:
            lens = cache[fieldname] = self._lengths_of(fieldname)
        if lens is None:
            return default
        if lens == "slow":
            return W3PerDocReader.doc_field_length(self, docnum, fieldname, default)
        return lens[docnum] if docnum < len(lens) else None

    def _lengths_of(self, fieldname):  # type: ignore[no-untyped-def]
        reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if reader is None:
            return None
        try:  # Whoosh 2.7's NumericColumn reader: one length byte per document
            if reader._fixedlen != 1:
                return "slow"
            raw = reader._dbfile.get(reader._basepos, reader._count)
        except AttributeError:
            return "slow"
        if len(raw) != reader._count:
            return "slow"
        return [byte_to_length(b) if b else None for b in raw]


_COMPRESS_MIN = 96  # posting blocks smaller than this (pickled) are stored uncompressed


class _PostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer, except that a block whose pickle is under ``_COMPRESS_MIN``
    bytes is written uncompressed (marked so in its header, which readers honour block by
    block). Whoosh meant to skip blocks under 20 bytes but overwrites its own decision; two
    thirds of the blocks of a news index are that small (one to a few postings of a rare
    word), and zlib makes them bigger, at a fixed cost of some microseconds a call."""

    def _write_block(self, last=False):  # type: ignore[no-untyped-def]
        # whoosh.codec.whoosh3.W3PostingsWriter._write_block (Whoosh 2.7.4) but for `comp`
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = pickle_dumps(data, 2)
        comp = self._compression if len(databytes) >= _COMPRESS_MIN else 0
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        infobytes = pickle_dumps((len(ids), ids[-1], self._maxweight, comp,
                                  length_to_byte(self._minlength),
                                  length_to_byte(self._maxlength)), 2)
        postfile = self._postfile
        blocklength = len(infobytes) + len(databytes)
        if last:
            blocklength *= -1
        postfile.write_int(blocklength)
        postfile.write(infobytes)
        postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class _Codec(W3Codec):
    """Whoosh's codec, with ``_LengthsReader`` and ``_PostingsWriter``. Pickled into the
    index with its segments: keep the name importable."""

    def per_document_reader(self, storage, segment):  # type: ignore[no-untyped-def]
        return _LengthsReader(storage, segment)

    def postings_writer(self, dbfile, byteids=False):  # type: ignore[no-untyped-def]
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                               compression=self._compression, inlinelimit=self._inlinelimit)


def _codec():  # type: ignore[no-untyped-def]
    return _Codec(compression=1)


def make_schema() -> Schema:
    """The index schema. Only the id is stored; the store holds everything else."""
    return Schema(
        id=ID(stored=True, unique=True),
        title=FastText(analyzer=_TEXT, field_boost=2.0),
        body=FastText(analyzer=_TEXT),
        source=FastText(analyzer=StandardAnalyzer(stoplist=None)),
        entity=KEYWORD(analyzer=CommaSeparatedTokenizer() | EntityKeyFilter(), scorable=True),
        # YYYYMMDD as one term: ranges are lexicographic term ranges (see _rewrite_dates).
        # A DATETIME field indexes eight numeric tiers per value and cost a fifth of indexing.
        published=ID(),
    )


def document(article: Article, entity_names: Iterable[str] = ()) -> dict:
    """The Whoosh document for one article."""
    doc: dict = {
        "id": article.id,
        "title": article.title,
        "body": "\n".join(article.paragraphs),
        "source": article.source,
    }
    names = sorted({n.replace(",", " ") for n in entity_names if n})
    if names:
        doc["entity"] = ",".join(names)
    if article.published:
        doc["published"] = article.published.strftime("%Y%m%d")
    return doc


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: the article id and Whoosh's score."""

    id: str
    score: float


_FIELD_RE = re.compile(r"(?<![\w\"'])([A-Za-z_]\w*):(?=\S)")


def check_size(text: str) -> None:
    """Raise :class:`QueryError` for a query too big to be a person's question."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryRefused(f"the query is too long ({len(text):,} characters; at most "
                         f"{MAX_QUERY_CHARS:,})")
    words = text.split()
    if len(words) > MAX_QUERY_WORDS:
        raise QueryRefused(f"the query has too many words ({len(words):,}; at most "
                         f"{MAX_QUERY_WORDS})")
    longest = max((len(w) for w in re.split(r'[\s"():\[\]{}]+', text)), default=0)
    if longest > MAX_WORD_CHARS:
        raise QueryRefused(f"a word of the query is too long ({longest} characters; at most "
                         f"{MAX_WORD_CHARS})")


def check_syntax(text: str) -> None:
    """Raise :class:`QueryError` for what Whoosh would silently misread: unbalanced quotes,
    parentheses or brackets, and unknown field names."""
    depth_paren = depth_brack = 0
    in_quote = False
    for ch in text:
        if ch == '"':
            in_quote = not in_quote
        elif in_quote:
            continue
        elif ch == "(":
            depth_paren += 1
        elif ch == ")":
            depth_paren -= 1
            if depth_paren < 0:
                raise QueryError("unbalanced ')' in query")
        elif ch in "[{":
            depth_brack += 1
        elif ch in "]}":
            depth_brack -= 1
            if depth_brack < 0:
                raise QueryError(f"unbalanced '{ch}' in query")
    if in_quote:
        raise QueryError('unclosed quote (") in query')
    if depth_paren:
        raise QueryError("unclosed '(' in query")
    if depth_brack:
        raise QueryError("unclosed '[' in query (date ranges look like published:[2017-10-01 to 2017-10-31])")
    stripped = re.sub(r'"[^"]*"', '""', text)
    for m in _FIELD_RE.finditer(stripped):
        name = m.group(1).lower()
        if name not in FIELDS and name not in _ALIASES:
            raise QueryError(
                f"unknown field '{m.group(1)}:' (fields: title, body, source, entity, published)"
            )


_ALIASES = {"date": "published", "text": "body", "person": "entity", "place": "entity",
            "org": "entity"}


class SearchIndex:
    """A Whoosh index in one folder: writing, searching, highlighting terms."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ix: whoosh_index.Index | None = None
        self._searcher = None
        self._parser: qparser.QueryParser | None = None

    # --- opening -------------------------------------------------------------------------
    def exists(self) -> bool:
        """True when a Whoosh index is present in the folder."""
        try:
            return self.path.is_dir() and whoosh_index.exists_in(str(self.path))
        except _DAMAGE:  # a table of contents is there but unreadable: opening reports it
            return True

    def create(self) -> None:
        """Create an empty index (replacing whatever is in the folder)."""
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        self._ix = whoosh_index.create_in(str(self.path), make_schema())

    @property
    def ix(self) -> whoosh_index.Index:
        """The open Whoosh index (opened on first use)."""
        if self._ix is None:
            if not self.exists():
                raise IndexDamaged(f"the search index is missing ({self.path})")
            try:
                ix = whoosh_index.open_dir(str(self.path),
                                          readonly=not os.access(self.path, os.W_OK))
            except _DAMAGE as exc:  # whoosh raises many kinds on damaged files
                raise _damaged(exc) from exc
            if ix.schema.names() != make_schema().names() or not isinstance(
                ix.schema["published"], ID
            ):
                ix.close()
                raise IndexDamaged("the search index was built by an older version of reader")
            self._ix = ix
        return self._ix

    def close(self) -> None:
        """Close the searcher and the index."""
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        if self._ix is not None:
            self._ix.close()
            self._ix = None

    # --- writing -------------------------------------------------------------------------
    def writer(self, *, bulk: bool = False, procs: int = 1):  # type: ignore[no-untyped-def]
        """A Whoosh writer; ``bulk`` favours throughput for large batches.

        ``limitmb`` is how much of its postings (by Whoosh's own generous estimate, about
        180 bytes a posting, twice what they take) a writer keeps in memory before it sorts
        them out to a temporary run, to be merged back at commit. Runs cost more than the
        rest of indexing together: at 128 MB each of two sub-writers spilled while adding
        the 19,043 Reuters articles, and indexing took 1.46 ms of CPU an article instead of
        0.92 (for some 50 MB more peak memory).

        Posting blocks are compressed with zlib level 1 rather than Whoosh's 3: the index is
        1% bigger, indexing 4% cheaper. (Uncompressed would save three times that, for a
        Whoosh index two thirds bigger.)"""
        if procs > 1:
            return self.ix.writer(procs=procs, limitmb=BULK_LIMIT_MB, multisegment=True,
                                  codec=_codec())
        return self.ix.writer(limitmb=BULK_LIMIT_MB if bulk else 64, codec=_codec())

    def doc_count(self) -> int:
        """Number of live documents."""
        try:
            return self.ix.doc_count()
        except _DAMAGE as exc:
            raise _damaged(exc) from exc

    # --- searching -----------------------------------------------------------------------
    def _get_searcher(self):  # type: ignore[no-untyped-def]
        try:
            if self._searcher is None:
                self._searcher = self.ix.searcher()
            elif not self._searcher.up_to_date():
                self._searcher = self._searcher.refresh()
        except _DAMAGE as exc:
            raise _damaged(exc) from exc
        return self._searcher

    def parser(self) -> qparser.QueryParser:
        """The query parser: title and body by default; fields, phrases, date ranges."""
        if self._parser is None:
            p = qparser.MultifieldParser(["title", "body"], self.ix.schema, group=qparser.AndGroup)
            p.add_plugin(qparser.FieldAliasPlugin({k: [a for a, v in _ALIASES.items() if v == k]
                                                   for k in set(_ALIASES.values())}))
            p.add_plugin(qparser.GtLtPlugin())
            self._parser = p
        return self._parser

    def parse(self, text: str) -> wq.Query:
        """Parse a user query or raise :class:`QueryError` with one clear line."""
        check_size(text)
        check_syntax(text)
        text = _rewrite_dates(text)
        parser = self.parser()
        try:
            q = parser.parse(text)
        except Exception as exc:  # whoosh's parser raises assorted errors on odd input
            raise QueryError(f"cannot parse query: {exc}") from exc
        for node in _walk(q):
            error = getattr(node, "error", None)  # whoosh marks unparseable parts this way
            if error:
                raise QueryError(f"cannot parse part of the query ({error})")
        return q

    def _check_expansion(self, q: wq.Query, searcher) -> None:  # type: ignore[no-untyped-def]
        """QueryError when prefix, wildcard and fuzzy parts stand for too many words."""
        total = 0
        reader = searcher.reader()
        for node in _walk(q):
            if isinstance(node, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm, wq.Regex)):
                for _ in node._btexts(reader):
                    total += 1
                    if total > MAX_EXPANSION:
                        raise QueryRefused(
                            f"the query is too broad: {node} stands for more than "
                            f"{MAX_EXPANSION:,} words; make the prefix longer")

    def search(self, text: str, limit: int | None = 50) -> list[Hit]:
        """Ranked hits for a query in Whoosh syntax, within a time budget."""
        from whoosh.collectors import TimeLimit, TimeLimitCollector

        q = self.parse(text)
        s = self._get_searcher()
        try:
            self._check_expansion(q, s)
            collector = TimeLimitCollector(s.collector(limit=limit), timelimit=QUERY_SECONDS,
                                           use_alarm=False)
            try:
                s.search_with_collector(q, collector)
            except TimeLimit:
                raise QueryRefused(
                    f"the query took longer than {QUERY_SECONDS:.0f} s; make it narrower"
                ) from None
            results = collector.results()
            return [Hit(r["id"], float(r.score or 0.0)) for r in results]
        except QueryError:
            raise
        except _DAMAGE as exc:
            raise _damaged(exc) from exc

    def terms(self, text: str) -> set[str]:
        """The analysed body/title terms of a query, for highlighting hits."""
        try:
            q = self.parse(text)
        except QueryError:
            return set()
        out: set[str] = set()
        for field, term in q.iter_all_terms():
            if field in ("title", "body"):
                out.add(term.decode("utf-8") if isinstance(term, bytes) else str(term))
        return out


_DATE_CLAUSE = re.compile(r"\b(published|date):(\[[^\]]*[\]}]|\{[^}]*[\]}]|[<>]=?\S+|\S+)", re.I)
_RANGE = re.compile(r"^([\[{])\s*(\S*?)\s*(?:\bto\b)\s*(\S*?)\s*([\]}])$", re.I)
_DAY = re.compile(r"^\d{4}(?:\d{2}(?:\d{2})?)?$")


def _day(token: str) -> str:
    """``2017-10-26``, ``2017-10``, ``2017`` (or compact) as digits; QueryError otherwise."""
    digits = token.replace("-", "").replace("/", "")
    if not _DAY.match(digits) or (len(digits) >= 6 and not 1 <= int(digits[4:6]) <= 12):
        raise QueryError(f"published: expects a date like 2017-10-26, 2017-10 or 2017, "
                         f"not {token!r}")
    return digits


def _lo(token: str) -> str:
    return _day(token).ljust(8, "0")


def _hi(token: str) -> str:
    return _day(token).ljust(8, "9")


def _rewrite_dates(text: str) -> str:
    """``published:`` clauses as ranges over the indexed YYYYMMDD terms: a day is a term, a
    month or year the range of its days; ``>``, ``<=``... and ``[a to b]`` take whole periods."""

    def clause(m: re.Match[str]) -> str:
        field, value = m.group(1), m.group(2)
        if value.startswith(("[", "{")):
            r = _RANGE.match(value)
            if not r:
                raise QueryError("date ranges look like published:[2017-10-01 to 2017-10-31]")
            open_, a, b, close = r.groups()
            lo = (_lo(a) if open_ == "[" else _hi(a)) if a else ""
            hi = (_hi(b) if close == "]" else _lo(b)) if b else ""
            return f"{field}:{open_}{' '.join(x for x in (lo, 'to', hi) if x)}{close}"
        for op, make in ((">=", lambda d: f"[{_lo(d)} to]"), ("<=", lambda d: f"[to {_hi(d)}]"),
                         (">", lambda d: f"{{{_hi(d)} to]"), ("<", lambda d: f"[to {_lo(d)}}}")):
            if value.startswith(op):
                return f"{field}:{make(value[len(op):])}"
        d = _day(value)
        return f"{field}:{d}" if len(d) == 8 else f"{field}:[{_lo(d)} to {_hi(d)}]"

    return _DATE_CLAUSE.sub(clause, text)


def _walk(q: wq.Query):  # type: ignore[no-untyped-def]
    yield q
    for c in q.children():
        yield from _walk(c)


def hit_spans(text: str, terms: set[str] | Sequence[str]) -> list[tuple[int, int]]:
    """Character spans of the words in ``text`` that the index would match to ``terms``."""
    if not terms or not text:
        return []
    wanted = set(terms)
    return [
        (t.startchar, t.endchar)
        for t in _TEXT(text, chars=True, removestops=False)
        if t.text in wanted
    ]
