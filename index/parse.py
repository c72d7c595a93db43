"""Parsing: turn a file (plain-text article, JSON Lines) into a :class:`ParsedArticle`.

The plain-text parser recovers title, publication date, source, byline and body paragraphs from
pages copied out of news sites and from wire copy. It works line by line:

1. Decode (:func:`decode_bytes`), normalise newlines, :func:`~index.clean.clean_text`, and collapse
   whitespace inside each line (tabs, non-breaking spaces).
2. Classify each line: a date header (``date 2017-10-26 WORLD``, ``Date: 25.10.2017 15:00``,
   ``Published ...``, ``October 26, 2017``, ``Thu, 26 Feb 1987 15:01:01``, ISO), a byline
   (``By X``), a source line (``SOURCE: X``), boilerplate (see :mod:`index.clean`), or text.
   Metadata lines are taken out of the text and remembered.
3. Choose the title: the first text line if it looks like a headline (short, no closing full
   stop, not wrapped prose); otherwise the first sentence of the body, without its dateline
   (``BAGHDAD/BEIRUT — ``). Copies of the title are dropped. Text lines sitting *between* the title
   and the header's metadata (a standfirst above the photo caption and byline) are the deck, not
   body.
4. Cut a trailing list of unrelated headlines (after ``Explore``/``Related``/``Most read``..., or
   a bare run of at least four short unpunctuated lines).
5. Paragraphs: blank-line separated blocks, the lines of a block joined with a space; a file with
   no blank lines at all has one paragraph per line. A Reuters dateline (``SALVADOR, Feb 26 - ``)
   stays in the first paragraph; the closing ``Reuter`` signature is dropped.

Nothing here does I/O except :func:`parse_file` and :func:`iter_jsonl`; nothing imports a UI.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from index.clean import (
    boilerplate_kind,
    clean_text,
    is_caption,
    is_section_label,
    normalize_ws,
    source_from_copyright,
)
from index.text import is_abbreviation

__all__ = [
    "ParseError",
    "ParsedArticle",
    "clean_text",
    "content_id",
    "decode_bytes",
    "iter_jsonl",
    "parse_date",
    "parse_file",
    "parse_text",
    "sniff",
]

# The most one article may weigh, as a text file or a JSON Lines record: far beyond any
# news article, small enough that parsing and enriching one stays bounded in memory.
DEFAULT_MAX_BYTES = 64 * 2**20


class ParseError(ValueError):
    """A file or record that cannot become an article, with one clear reason.

    E.g. ``'empty file'``, ``'binary file (not text)'``, ``'no article body found'``.
    """


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """An article as parsed from one file or record: cleaned text and metadata, no id yet.

    Every string is already passed through :func:`clean_text` and whitespace-normalised;
    ``paragraphs`` holds the body without boilerplate.
    """

    title: str
    source: str | None
    published: date | None
    byline: str | None
    paragraphs: tuple[str, ...]
    url: str | None = None
    # when the article had no date of its own: the time it was fetched (ISO 8601, UTC), which
    # ``published`` then holds the day of (a feed item without any date)
    fetched: str | None = None


# --- decoding -----------------------------------------------------------------------------------

# Bytes that do not occur in text (C0 controls other than \t \n \v \f \r and ESC).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))
_NON_CONTROL_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _normalize_newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def decode_bytes(data: bytes) -> str:
    """Decode a text file's bytes and normalise newlines to ``\\n``.

    UTF-8 (with or without BOM); UTF-16/UTF-32 with a BOM; otherwise Windows-1252 (so ``0x92`` is
    ``’``), and Latin-1 for the few bytes cp1252 leaves undefined. Raises
    ``ParseError('binary file (not text)')`` for NUL bytes or a high share of control bytes.
    Returns ``''`` for empty input (the caller decides whether that is an error).
    """
    if not data:
        return ""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _normalize_newlines(data[len(bom) :].decode(codec.removesuffix("-sig")))
            except UnicodeDecodeError:
                raise ParseError(f"undecodable text (bad {codec.upper()})") from None
    if b"\x00" in data:
        raise ParseError("binary file (not text)")
    sample = data[:65536]
    controls = len(sample.translate(None, _NON_CONTROL_BYTES))
    if controls > 8 and controls * 50 > len(sample):  # more than 2% control bytes
        raise ParseError("binary file (not text)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return _normalize_newlines(text)


# --- dates --------------------------------------------------------------------------------------

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY_RE = (
    r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)\.?,?\s+)?"
)
_DATE_PREFIX = re.compile(
    _WEEKDAY_RE + r"(?:(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|(?P<sy>\d{4})/(?P<sm>\d{1,2})/(?P<sd>\d{1,2})"
    r"|(?P<na>\d{1,2})(?P<sep>[./-])(?P<nb>\d{1,2})(?P=sep)(?P<ny>\d{4})"
    r"|(?P<mm>" + _MONTH_RE + r")\.?\s+(?P<md>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<my>\d{4})"
    r"|(?P<dd>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<dm>" + _MONTH_RE + r")\.?,?\s+(?P<dy>\d{4})"
    r")\b",
    re.IGNORECASE,
)
# What may follow a date on a date line: a time, a timezone, separators.
_TIME_TAIL = re.compile(
    r"^(?:[\s,|@·•–—-]|at\b)*"
    r"(?:\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s*[aApP]\.?\s?[mM]\.?)?)?\s*"
    r"(?:\(?(?:[A-Z]{2,5}|GMT|UTC)(?:\s*[+-]\s*\d{1,2}(?::?\d{2})?)?\)?)?\s*$"
)
_LABELLED_DATE = re.compile(
    r"^(?P<label>date|dated|published|publish date|publication date|posted|first published"
    r"|updated|last updated|modified|last modified|created|datum|tarih|fecha)"
    r"(?:\s+(?:on|at))?\s*[:|–-]?\s*(?P<rest>.+)$",
    re.IGNORECASE,
)


def _date_from_match(m: re.Match[str]) -> date | None:
    g = m.group
    try:
        if g("iy"):
            return date(int(g("iy")), int(g("im")), int(g("id")))
        if g("sy"):
            return date(int(g("sy")), int(g("sm")), int(g("sd")))
        if g("ny"):
            a, b = int(g("na")), int(g("nb"))
            if g("sep") == "/" and a <= 12 < b:  # unambiguous US month/day/year
                a, b = b, a
            return date(int(g("ny")), b, a)  # day first: 25.10.2017, 26/10/2017
        if g("my"):
            return date(int(g("my")), _MONTHS[g("mm").lower()], int(g("md")))
        if g("dy"):
            return date(int(g("dy")), _MONTHS[g("dm").lower()], int(g("dd")))
    except ValueError:
        return None
    return None


def parse_date(s: str) -> date | None:
    """Parse a date at the start of ``s`` (ISO date or datetime, ``25.10.2017`` day first,
    ``October 26, 2017``, ``Thu, 26 Feb 1987 15:01:01``, ``2017/10/26``); ``None`` if none."""
    m = _DATE_PREFIX.match(s.strip())
    return _date_from_match(m) if m is not None else None


def _dateparser_fallback(s: str) -> date | None:
    """Last resort for one labelled header value our patterns did not read (slow: ~ms)."""
    try:
        import dateparser  # imported lazily: it costs ~0.5 s to import
    except ImportError:  # pragma: no cover - dateparser is a declared dependency
        return None
    try:
        dt = dateparser.parse(
            s, settings={"DATE_ORDER": "DMY", "REQUIRE_PARTS": ["day", "month", "year"]}
        )
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    return dt.date() if dt is not None else None


# --- line classification ------------------------------------------------------------------------

_BYLINE = re.compile(r"^by[:\s]\s*(?P<name>.{2,80})$", re.IGNORECASE)
_NAME_CONNECTORS = frozenset(
    [
        "and",
        "&",
        "in",
        "de",
        "da",
        "del",
        "der",
        "den",
        "van",
        "von",
        "al",
        "el",
        "bin",
        "ibn",
        "la",
        "le",
        "du",
        "di",
        "of",
        "dos",
        "das",
        "y",
        "e",
    ]
)
_SOURCE_LINE = re.compile(
    r"^(?:source|sources|kaynak|quelle|fuente)\s*:\s*(?P<src>.{1,80})$", re.IGNORECASE
)
_URL_LINE = re.compile(
    r"^(?:(?:url|link|source url|original)\s*:\s*)?(?P<url>https?://\S+)$", re.IGNORECASE
)
_TAIL_LABEL = re.compile(
    r"^(?:explore(?: more)?|related(?: articles| stories| news| content| coverage| topics| posts)?"
    r"|more(?: from [\w .'&-]{1,40}| stories| news| on this(?: story| topic)?| in [\w .'&-]{1,30})?"
    r"|read more|read also|also read|more to read|most read|most popular|most viewed|popular"
    r"|trending(?: now| stories)?|recommended(?: for you| stories| articles)?"
    r"|you (?:may|might) (?:also )?(?:like|be interested in)|see also|latest(?: news| stories)?"
    r"|top stories|editor'?s picks|don'?t miss|further reading|in other news|what to read next"
    r"|related posts|other news|more news)\s*[:>»]?$",
    re.IGNORECASE,
)
_TERMINAL = frozenset(".!?:;\"”’'»)…")
_SENTENCE_END = frozenset(".!?\"”’'…")
_DATELINE = re.compile(
    r"^[A-Z][A-Z.'’/&\- ]*[A-Z.](?:,[^—–\-]{1,40}?)?(?:\s*\([^)]{1,30}\))?\s*(?:—|–|--|-)\s+"
)
_SENTENCE_BREAK = re.compile(r"[.!?…][\"”’')\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")

# Item kinds
_BLANK, _TEXT, _META, _LABEL = 0, 1, 2, 3
# Meta kinds that belong to an article's header (used to find the deck)
_HEADER_META = frozenset({"date", "byline", "caption", "min-read", "updated", "label"})


def _is_byline_name(name: str) -> bool:
    words = name.replace(",", " ").split()
    if not words or len(words) > 10 or name[-1] in ".!?":
        return False
    return all(w[0].isupper() or w.lower() in _NAME_CONNECTORS for w in words)


def _headline_like(s: str) -> bool:
    """Short, unpunctuated, mostly letters: a headline in a list of links."""
    if len(s) > 160 or s[-1] in _SENTENCE_END or s[-1] == ")" or len(s.split()) < 4:
        return False
    if ":" in s or " vs " in s:  # "Note: ...", wire result tables ("Shr 33 cts vs 24 cts")
        return False
    if not (s[0].isupper() or s[0].isdigit() or s[0] in "\"“‘'"):
        return False
    digits = sum(ch.isdigit() for ch in s)
    return digits * 10 <= len(s) and ". " not in s


def _title_like(s: str) -> bool:
    n = len(s)
    if n < 6 or n > 250 or s[-1] in ".,;:" or s[0].islower():
        return False
    words = s.split()
    if len(words) < 2:
        return False
    return not is_caption(s)


def _first_sentence(p: str) -> str:
    """The first sentence of ``p`` (without its closing punctuation), abbreviation-aware."""
    for m in _SENTENCE_BREAK.finditer(p):
        head = p[: m.start() + 1]
        last = head.rsplit(None, 1)[-1].rstrip(".").lower().lstrip('("“‘')
        if is_abbreviation(last):
            continue
        return p[: m.start()].rstrip()
    return p.rstrip(" .!?…")


def _title_from_body(p: str) -> str:
    s = _first_sentence(_DATELINE.sub("", p, count=1))
    if len(s) > 120:  # a list row, not a paragraph: cut long first sentences at a word
        cut = s[:110].rsplit(" ", 1)[0].rstrip(",;:—–- ")
        s = cut + "…"
    return s


class _Meta:
    __slots__ = ("published", "published_rank", "byline", "source", "copyright_source", "url")

    def __init__(self) -> None:
        self.published: date | None = None
        self.published_rank = 9  # 0 labelled "Date/Published", 1 bare date line, 2 "Updated"
        self.byline: str | None = None
        self.source: str | None = None
        self.copyright_source: str | None = None
        self.url: str | None = None

    def offer_date(self, d: date | None, rank: int) -> None:
        if d is not None and rank < self.published_rank:
            self.published, self.published_rank = d, rank


def _classify(s: str, meta: _Meta, allow_fallback: list[bool]) -> tuple[int, str, str]:
    """Classify one whitespace-normalised, non-empty line: (item kind, meta kind, text)."""
    n = len(s)
    c0 = s[0]
    # Date header lines ("date 2017-10-26 WORLD", "Published 26.10.2017 00:00", "October 26, 2017")
    if n <= 400 and (c0.isalpha() or c0.isdigit()):
        m = _LABELLED_DATE.match(s) if c0 in "dDpPuUlLmMfFcCtT" else None
        if m is not None:
            rest = m.group("rest")
            dm = _DATE_PREFIX.match(rest)
            label = m.group("label").lower()
            updated = "updat" in label or "modif" in label
            d = _date_from_match(dm) if dm is not None else None
            if d is None and dm is None and len(rest) <= 40 and allow_fallback[0]:
                allow_fallback[0] = False
                d = _dateparser_fallback(rest)
                if d is not None:
                    meta.offer_date(d, 2 if updated else 0)
                    return _META, "updated" if updated else "date", ""
            if d is not None and dm is not None:
                meta.offer_date(d, 2 if updated else 0)
                tail = rest[dm.end() :].strip()
                if tail and _TIME_TAIL.match(tail) is None and not is_section_label(tail):
                    # "date 2017-10-26 <photo caption or headline>": judge the tail on its own
                    kind, mk, text = _classify(tail, meta, allow_fallback)
                    if kind == _TEXT:
                        return _TEXT, "date+text", text
                return _META, "updated" if updated else "date", ""
        if n <= 60 and (c0.isdigit() or c0.isupper()):
            dm = _DATE_PREFIX.match(s)
            if dm is not None and _TIME_TAIL.match(s[dm.end() :]) is not None:
                d = _date_from_match(dm)
                if d is not None:
                    meta.offer_date(d, 1)
                    return _META, "date", ""
    if c0 in "bB" and n <= 90:
        m = _BYLINE.match(s)
        if m is not None:
            name = m.group("name").strip(" ,")
            if _is_byline_name(name):
                if meta.byline is None:
                    meta.byline = name
                return _META, "byline", ""
    if c0 in "sSkKqQfF" and n <= 100 and ":" in s:
        m = _SOURCE_LINE.match(s)
        if m is not None:
            if meta.source is None:
                meta.source = m.group("src").strip(" .")
            return _META, "source", ""
    if c0 in "hHuUlLoO" and n <= 2000 and "://" in s:
        m = _URL_LINE.match(s)
        if m is not None:
            if meta.url is None:
                meta.url = m.group("url")
            return _META, "url", ""
    bp = boilerplate_kind(s)
    if bp is not None:
        if bp == "copyright" and meta.copyright_source is None:
            meta.copyright_source = source_from_copyright(s)
        return _META, bp, ""
    if c0.isupper() and is_section_label(s):
        return _LABEL, "label", s
    return _TEXT, "", s


def _norm_key(s: str) -> str:
    """Comparison key for title copies (lines are already whitespace-normalised)."""
    return s.casefold().rstrip(" .")


def _analyse(text: str, *, title: str | None = None) -> tuple[str | None, tuple[str, ...], _Meta]:
    """The core of the plain-text parser: returns (title, paragraphs, metadata)."""
    text = clean_text(_normalize_newlines(text))
    meta = _Meta()
    allow_fallback = [True]
    # items: (kind, meta kind, text, raw block number)
    items: list[tuple[int, str, str, int]] = []
    block = 0
    for raw in text.split("\n"):
        s = " ".join(raw.split())
        if not s:
            if items and items[-1][0] != _BLANK:
                items.append((_BLANK, "", "", block))
                block += 1
            continue
        kind, mk, t = _classify(s, meta, allow_fallback)
        items.append((kind, mk, t, block))
    while items and items[-1][0] == _BLANK:
        items.pop()

    # Section labels: an ALL-CAPS first line of several words is a wire headline, else a label.
    first_text = next((i for i, it in enumerate(items) if it[0] in (_TEXT, _LABEL)), None)
    for i, it in enumerate(items):
        if it[0] == _LABEL:
            if i == first_text and title is None and len(it[2].split()) >= 2:
                items[i] = (_TEXT, "", it[2], it[3])
            else:
                items[i] = (_META, "label", "", it[3])

    # Title: the first text line, if it looks like a headline and not like wrapped prose.
    drop: set[int] = set()
    if title is None and first_text is not None and items[first_text][0] == _TEXT:
        cand = items[first_text][2]
        nxt = next((j for j in range(first_text + 1, len(items)) if items[j][0] != _META), None)
        wrapped = (
            nxt is not None
            and items[nxt][0] == _TEXT
            and items[nxt][3] == items[first_text][3]
            and items[nxt][2][0].islower()
        )
        if _title_like(cand) and not wrapped:
            title = cand
            drop.add(first_text)
            # The deck: text between the title and the header's last metadata line, same block.
            blk = items[first_text][3]
            last_meta = None
            for j in range(first_text + 1, min(first_text + 9, len(items))):
                if items[j][3] != blk:
                    break
                if items[j][0] == _META and items[j][1] in _HEADER_META:
                    last_meta = j
            if last_meta is not None:
                drop.update(j for j in range(first_text + 1, last_meta) if items[j][0] == _TEXT)

    if title is not None:
        key = _norm_key(title)
        lo, hi = len(key) - 1, len(key) + 3
        for j, it in enumerate(items):
            if it[0] == _TEXT and lo <= len(it[2]) <= hi and _norm_key(it[2]) == key:
                drop.add(j)

    texts = [j for j, it in enumerate(items) if it[0] == _TEXT and j not in drop]
    end = len(items)
    if texts:
        end = _cut_tail(items, texts, drop)

    paragraphs = _assemble(items[:end], drop)
    return title, paragraphs, meta


def _cut_tail(items: list[tuple[int, str, str, int]], texts: list[int], drop: set[int]) -> int:
    """Index where the article ends: before a trailing list of unrelated headlines."""
    # (a) a label such as "Explore" / "Related" / "Most read" followed only by short lines
    first_body = texts[0]
    for j in texts[1:]:
        s = items[j][2]
        if len(s) <= 40 and _TAIL_LABEL.match(s) is not None and j > first_body:
            rest = [items[k][2] for k in texts if k > j]
            if all(len(r) <= 200 for r in rest):
                punct = sum(r[-1] in _SENTENCE_END for r in rest)
                if punct * 2 <= len(rest):
                    return j
    # (b) a bare trailing run of >= 4 headline-like lines, after some real prose
    run = 0
    start = len(items)
    for j in reversed(texts):
        if _headline_like(items[j][2]):
            run += 1
            start = j
        else:
            break
    if run >= 4 and run < len(texts):
        return start
    return len(items)


def _assemble(items: list[tuple[int, str, str, int]], drop: set[int]) -> tuple[str, ...]:
    """Join text lines into paragraphs (blank lines and removed lines separate them)."""
    has_blank_between = False
    seen_text = False
    pending_blank = False
    for j, it in enumerate(items):
        if it[0] == _TEXT and j not in drop:
            if seen_text and pending_blank:
                has_blank_between = True
                break
            seen_text = True
        elif it[0] == _BLANK and seen_text:
            pending_blank = True
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if not current:
            return
        if (
            len(current) > 1
            and all(c[-1] in _SENTENCE_END for c in current)
            and any(len(c) > 100 for c in current)
        ):
            paragraphs.extend(current)  # one paragraph per line, not hard-wrapped prose
        else:
            paragraphs.append(" ".join(current))
        current.clear()

    for j, it in enumerate(items):
        kind = it[0]
        if kind == _TEXT and j not in drop:
            if has_blank_between:
                current.append(it[2])
            else:
                paragraphs.append(it[2])
        elif kind != _TEXT:  # a blank or a removed line ends the paragraph
            flush()
    flush()
    return tuple(paragraphs)


# --- public API ---------------------------------------------------------------------------------


def _clean_field(s: str | None) -> str | None:
    if s is None:
        return None
    s = normalize_ws(clean_text(s))
    return s or None


def _build(
    title: str | None,
    paragraphs: tuple[str, ...],
    meta: _Meta,
    *,
    source: str | None,
    published: date | None,
    url: str | None,
    byline: str | None = None,
) -> ParsedArticle:
    if not paragraphs:
        raise ParseError("no article body found")
    if not title:
        # never empty: a body of only punctuation has no first sentence to take a title from
        title = _title_from_body(paragraphs[0]) or paragraphs[0][:100]
    return ParsedArticle(
        title=normalize_ws(title),
        source=source,
        published=published,
        byline=byline if byline is not None else meta.byline,
        paragraphs=paragraphs,
        url=url if url is not None else meta.url,
    )


def parse_text(text: str, *, source_hint: str | None = None) -> ParsedArticle:
    """Parse a plain-text article (a page saved as text, or wire copy).

    ``source_hint`` (the folder name or ``--source``) is used only when the text names no source
    itself (a ``SOURCE:`` line, else a copyright footer). Raises :class:`ParseError` with
    ``'no text'`` for blank input and ``'no article body found'`` when nothing but boilerplate
    and metadata remains.
    """
    if not text.strip():
        raise ParseError("no text")
    title, paragraphs, meta = _analyse(text)
    source = _clean_field(meta.source) or _clean_field(meta.copyright_source)
    source = source or _clean_field(source_hint)
    return _build(title, paragraphs, meta, source=source, published=meta.published, url=None)


# How many bytes of a file :func:`sniff` looks at.
SNIFF_BYTES = 4096


def sniff(head: bytes) -> str:
    """What a file holds, judged by its first bytes (:data:`SNIFF_BYTES`), not its name:
    ``'feed'`` (RSS, Atom, RDF, JSON Feed), ``'html'`` (a web page), ``'mbox'``, ``'email'``
    (one RFC 5322 message, an ``.eml``) or ``'text'`` (anything else: a plain-text article)."""
    from index.extract import looks_like_html
    from index.feeds import looks_like_feed
    from index.mail import looks_like_email, looks_like_mbox

    head = head[:SNIFF_BYTES]
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if first in (b"<", b"{") or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        if looks_like_feed(head):
            return "feed"
        if looks_like_html(head):
            return "html"
    elif first == b"F" and looks_like_mbox(head):
        return "mbox"
    if first.isalpha() and looks_like_email(head):
        return "email"
    return "text"


def parse_file(
    path: Path, *, source_hint: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> ParsedArticle:
    """Read and parse one article file, recognised by its content (:func:`sniff`): a web page
    is extracted (:mod:`index.extract`), an e-mail message read (:mod:`index.mail`), anything
    else decoded and parsed as plain text.

    Raises :class:`ParseError` for an unreadable, empty, too big, binary, blank or body-less
    file, and for a feed or mbox (they hold several articles: the library reads those); the
    message is one short reason suitable for "skipped FILE: REASON".
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ParseError(f"file too big ({size / 2**20:.1f} MiB > {max_bytes / 2**20:.0f} MiB)")
        data = path.read_bytes()
    except IsADirectoryError:
        raise ParseError("is a directory") from None
    except OSError as e:
        raise ParseError(f"cannot read file: {e.strerror or e}") from None
    if not data:
        raise ParseError("empty file")
    if len(data) > max_bytes:  # grew between stat and read
        raise ParseError(f"file too big (> {max_bytes / 2**20:.0f} MiB)")
    kind = sniff(data[:SNIFF_BYTES])
    if kind == "html":
        from index.extract import extract_page, page_article

        return page_article(extract_page(data), source_hint=source_hint)
    if kind == "email":
        from index.mail import parse_message

        return parse_message(data, source_hint=source_hint)
    if kind in ("feed", "mbox"):
        raise ParseError(f"a {kind} file holds several articles (add it to a library)")
    text = decode_bytes(data)
    del data
    return parse_text(text, source_hint=source_hint)


def _str_field(rec: dict[str, object], *names: str) -> str | None:
    for name in names:
        if name in rec:
            v = rec[name]
            if v is None:
                return None
            if not isinstance(v, str):
                raise ParseError(f"field {name!r} is not a string")
            return v
    return None


def _record_to_article(rec: object, source_hint: str | None) -> ParsedArticle:
    if not isinstance(rec, dict):
        raise ParseError("line is not a JSON object")
    body = _str_field(rec, "body", "text", "content")
    if body is None:
        raise ParseError("missing body")
    title = _clean_field(_str_field(rec, "title", "headline"))
    pub_s = _str_field(rec, "published", "date", "dct")
    published = parse_date(pub_s) if pub_s else None
    source = _clean_field(_str_field(rec, "source"))
    url = _clean_field(_str_field(rec, "url"))
    byline = _clean_field(_str_field(rec, "byline", "author"))
    if not body.strip():
        raise ParseError("empty body")
    found_title, paragraphs, meta = _analyse(body, title=title)
    if published is None:
        published = meta.published
    source = (
        source
        or _clean_field(meta.source)
        or _clean_field(meta.copyright_source)
        or _clean_field(source_hint)
    )
    return _build(
        found_title, paragraphs, meta, source=source, published=published, url=url, byline=byline
    )


def iter_jsonl(
    path: Path, *, source_hint: str | None = None
) -> Iterator[tuple[int, ParsedArticle | ParseError]]:
    """Read JSON Lines articles, gzipped (detected by magic bytes) or not.

    Each line is an object with ``body`` (or ``text``) and optionally ``title``, ``published``
    (ISO date or datetime), ``source``, ``url``, ``byline``. Yields ``(line_number, article)`` or
    ``(line_number, ParseError)`` — a bad line is reported and skipped, never stopping the file.
    Blank lines are skipped silently. A truncated gzip stream ends the file with one error.
    Raises :class:`ParseError` only if the file cannot be opened.
    """
    for lineno, raw in iter_jsonl_lines(path):
        if isinstance(raw, ParseError):
            yield lineno, raw
            continue
        try:
            yield lineno, parse_jsonl_line(raw, source_hint)
        except ParseError as e:
            yield lineno, e


def iter_jsonl_lines(
    path: Path, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[tuple[int, bytes | ParseError]]:
    """The non-blank lines of a JSON Lines file as bytes, unparsed (see :func:`iter_jsonl`), so
    that parsing them can happen elsewhere (in worker processes, by :func:`parse_jsonl_line`).

    Memory stays bounded whatever the file holds: a line over ``max_bytes`` is skipped (read
    through in pieces, never held) and reported; a UTF-8 byte order mark is dropped."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            magic = fh.read(2)
    except OSError as e:
        raise ParseError(f"cannot read file: {e.strerror or e}") from None
    opener = gzip.open if magic == b"\x1f\x8b" else open
    lineno = 0
    with opener(path, "rb") as fh:  # type: ignore[operator]
        while True:
            try:
                raw = fh.readline(max_bytes + 1)
                if len(raw) > max_bytes and not raw.endswith(b"\n"):
                    while True:  # the rest of an oversized line, a piece at a time
                        piece = fh.readline(2**20)
                        if not piece or piece.endswith(b"\n"):
                            break
                    lineno += 1
                    yield lineno, ParseError(
                        f"line {lineno} is over {max_bytes / 2**20:.0f} MiB (the most one "
                        "article may weigh)")
                    if not piece:
                        return
                    continue
            except (EOFError, OSError, zlib.error):
                yield lineno + 1, ParseError("truncated or corrupt gzip stream")
                return
            if not raw:
                return
            lineno += 1
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if raw.strip():
                yield lineno, raw


def parse_jsonl_line(raw: bytes, source_hint: str | None = None) -> ParsedArticle:
    """One JSON Lines record as an article; :class:`ParseError` says what is wrong with it."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("line is not valid UTF-8") from None
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as e:
        where = "column" if e.msg.endswith(" at") else "at column"  # "starting at"
        raise ParseError(f"invalid JSON ({e.msg} {where} {e.colno})") from None
    except RecursionError:
        raise ParseError("invalid JSON (nested too deeply)") from None
    return _record_to_article(rec, source_hint)


def content_id(article: ParsedArticle) -> str:
    """A stable id from the cleaned content: title and paragraphs, whitespace-normalised.

    The first 16 hex digits of BLAKE2b. The path, source and dates play no part, so the same
    article read from two paths (or re-added) gets the same id.
    """
    h = hashlib.blake2b(digest_size=8)
    h.update(normalize_ws(article.title).encode("utf-8"))
    for p in article.paragraphs:
        h.update(b"\n")
        h.update(normalize_ws(p).encode("utf-8"))
    return h.hexdigest()
