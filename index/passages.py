"""Passage fingerprints: pure functions, no I/O.

A passage is found again in another source when its *content-word shingles* reappear there.
Text is normalised so that casing, quote marks, dashes, punctuation, British/American spelling
("gruelling"/"grueling"), abbreviations ("Sept."/"September", "U.S."/"US") and auxiliaries
("has"/"have") do not matter:

1. ``tokens``: words with their character offsets; function words (articles, auxiliaries,
   pronouns, common prepositions, "said") are dropped, the rest are light-stemmed: casefolded,
   inner punctuation removed, possessive and plural ``s`` dropped, doubled letters collapsed,
   ``z`` -> ``s``, month abbreviations expanded, then truncated to 6 characters.
2. ``shingles``: every run of ``K`` (=3) consecutive content tokens, hashed to a stable
   63-bit integer (blake2b per token, polynomial combination per shingle; the same on every run
   and every machine, so hashes can be stored).
3. ``fingerprint``: a paragraph's set of shingle hashes, each attributed to the sentence and the
   top-level quotation that holds it entirely (or -1), with per-unit sizes. Containment of a
   unit (paragraph, sentence, quotation) in another paragraph = shared hashes / unit size; one
   changed word costs at most ``K`` shingles, so a 20-word sentence with one word changed still
   scores ~0.8.

``match`` decides whether two paragraphs share a passage and what kind ("quote", "paragraph",
"sentence"). Exact hashes are used rather than MinHash: units are small (a quotation may have
two shingles), what is wanted is containment rather than Jaccard similarity, and exact
postings in SQLite give incremental look-ups without any corpus pass.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import cast

from index.text import split_sentences

__all__ = [
    "K",
    "ParagraphPrint",
    "Match",
    "normalise",
    "quotations",
    "sentences",
    "tokens",
    "shingles",
    "fingerprint",
    "match",
    "match_texts",
]

K = 3  # shingle length in content tokens

# Minimum unit sizes (in shingles) and containment thresholds.
MIN_PARAGRAPH = 4
MIN_SENTENCE = 4
MIN_QUOTE = 2
MIN_PARAGRAPH_SHARED = 3
PARAGRAPH_THRESHOLD = 0.5
SENTENCE_THRESHOLD = 0.6
QUOTE_THRESHOLD = 0.75  # short quotations (< 5 shingles) must be nearly whole
LONG_QUOTE_THRESHOLD = 0.6

# --------------------------------------------------------------------------------------------
# Normalisation

_DOUBLE_QUOTES = "\"“”„‟«»〝〞〟＂″‶"
_SINGLE_QUOTES = "'‘’‚‛‹›′‵＇`´"
_DASHES = "-‐‑‒–—―−﹘﹣－"

_TRANSLATE: dict[int, str | None] = {ord(c): '"' for c in _DOUBLE_QUOTES}
_TRANSLATE.update({ord(c): "'" for c in _SINGLE_QUOTES})
_TRANSLATE.update({ord(c): "-" for c in _DASHES})
_TRANSLATE.update({ord("\u00a0"): " ", ord("\u200b"): None, ord("\u00ad"): None})

_WS = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w\s]|_")
_INNER = re.compile(r"(?<=\w)[.'’,](?=\w)")


def unify_marks(text: str) -> str:
    """NFKC, every quote mark to ``"`` or ``'``, every dash to ``-`` (same length per char
    except ``''``/````` pairs which stay two characters)."""
    return unicodedata.normalize("NFKC", text).translate(_TRANSLATE)


def normalise(text: str) -> str:
    """Casefold, unify quote marks and dashes, drop punctuation, collapse whitespace.

    Punctuation inside a word is removed ("U.S." -> "us", "1,500" -> "1500", "Shi'ite" ->
    "shiite"); elsewhere it becomes a space ("al-Qaim" -> "al qaim").
    """
    t = unify_marks(text).casefold()
    t = _INNER.sub("", t)
    t = _NON_WORD.sub(" ", t)
    return _WS.sub(" ", t).strip()


# --------------------------------------------------------------------------------------------
# Tokens

STOPWORDS = frozenset(
    ["a", "an", "the", "and", "or", "but", "nor", "of", "in", "on", "at", "to", "for", "from", "by", "with", "as", "into", "onto", "upon", "about", "is", "are", "was", "were", "be", "been", "being", "am", "has", "have", "had", "having", "do", "does", "did", "done", "it", "its", "it's", "this", "that", "these", "those", "which", "who", "whom", "whose", "what", "where", "when", "while", "he", "she", "they", "them", "his", "her", "hers", "their", "theirs", "we", "us", "our", "ours", "you", "your", "yours", "i", "me", "my", "mine", "him", "will", "would", "shall", "should", "can", "could", "may", "might", "must", "not", "no", "so", "than", "then", "there", "here", "also", "said", "says", "say", "saying", "told", "tell", "according", "just", "very", "only", "even", "if", "because", "since", "though", "although", "whether"]
)
# note "us" above is the pronoun; "U.S." is told apart by its dots (kept as "us" only then)

_MONTHS = {
    "jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june",
    "jul": "july", "aug": "august", "sep": "september", "sept": "september",
    "oct": "october", "nov": "november", "dec": "december",
}

_WORD = re.compile(r"[^\W_]+(?:[.'’,][^\W_]+)*\.?", re.UNICODE)
_DOUBLED = re.compile(r"(.)\1+")
_STEM_CACHE: dict[str, str | None] = {}
_STEM_CACHE_MAX = 400_000


def _stem(raw: str) -> str | None:
    """Content stem of one raw word, or None for a function word."""
    got = _STEM_CACHE.get(raw, 0)
    if got != 0:
        return got  # type: ignore[return-value]
    w = raw.casefold()
    dotted = "." in w.rstrip(".")  # an acronym like u.s. / u.n.
    w = w.rstrip(".")
    if not dotted and w in STOPWORDS and not (raw.isupper() and len(raw) > 1):
        out = None
    else:
        for suffix in ("'s", "’s", "s'", "s’"):
            if w.endswith(suffix) and len(w) > 3:
                w = w[:-2] if suffix[0] != "s" else w[:-1]
                break
        w = w.replace(".", "").replace("'", "").replace("’", "").replace(",", "")
        w = unicodedata.normalize("NFKD", w)
        w = "".join(c for c in w if not unicodedata.combining(c))
        if w.isdigit():
            out = w
        else:
            w = _MONTHS.get(w, w)
            if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
                w = w[:-1]
            w = _DOUBLED.sub(r"\1", w).replace("z", "s")
            out = w[:6]
    if len(_STEM_CACHE) > _STEM_CACHE_MAX:
        _STEM_CACHE.clear()
    _STEM_CACHE[raw] = out
    return out


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Content tokens ``(stem, start, end)`` with character offsets into ``text``."""
    out = []
    for m in _WORD.finditer(text):
        s = _stem(m.group())
        if s:
            out.append((s, m.start(), m.end()))
    return out


# --------------------------------------------------------------------------------------------
# Hashing

_MASK = (1 << 63) - 1
_P1 = 0x9E3779B97F4A7C15
_P2 = 0xC2B2AE3D27D4EB4F
_TOKEN_HASH: dict[str, int] = {}


def _thash(tok: str) -> int:
    h = _TOKEN_HASH.get(tok)
    if h is None:
        h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little") & _MASK
        if len(_TOKEN_HASH) > _STEM_CACHE_MAX:
            _TOKEN_HASH.clear()
        _TOKEN_HASH[tok] = h
    return h


def shingles(stems: list[str], k: int = K) -> list[int]:
    """Stable hashes of every run of ``k`` consecutive stems (one for a shorter list, if any)."""
    hs = [_thash(s) for s in stems]
    n = len(hs)
    if n == 0:
        return []
    if n < k:
        k = n
    if k == 3:
        return [((a * _P1) ^ (b * _P2) ^ c) & _MASK for a, b, c in zip(hs, hs[1:], hs[2:], strict=False)]
    out = []
    for i in range(n - k + 1):
        h = 0
        for x in hs[i : i + k]:
            h = ((h * _P1) ^ x) & _MASK
        out.append(h)
    return out


# --------------------------------------------------------------------------------------------
# Quotations

# Double marks, each at its original offset; '' and `` count as one mark.
_DQ = re.compile(r"''|``|,,|[\"“”„‟«»〝〞〟＂]")
_OPEN_ONLY = set("“„‟«〝") | {"``", ",,"}
_CLOSE_ONLY = set("”»〞〟")
# A single-quote opener: at start or after space/bracket/dash, followed by a word character.
_SQ_OPEN = re.compile(r"(?:(?<=^)|(?<=[\s(\[—–-]))[‘'‹‚](?=\w)")
_SQ_CLOSE = re.compile(r"(?<=[\w.,!?;:…])[’'›](?=$|[\s.,;:!?)\]—–-])")
_PARA_BREAK = re.compile(r"\n\s*\n")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def quotations(text: str) -> list[tuple[int, int, str]]:
    """Text inside quotation marks of any kind: ``(start, end, normalised)``.

    ``start``/``end`` delimit the quoted words (marks excluded) in ``text`` as given. Handles
    straight and curly double quotes, ``''...''`` and mixes (``"...''``), guillemets, ``‘...’``
    and straight single quotes (apostrophes inside words are not quote marks), and a quotation
    that runs to the end of its paragraph without a closing mark. Sorted by start; a quotation
    nested in another is listed too.
    """
    out: list[tuple[int, int, str]] = []
    # paragraph by paragraph: an unclosed quote ends at its paragraph's end
    bounds = []
    pos = 0
    for m in _PARA_BREAK.finditer(text):
        bounds.append((pos, m.start()))
        pos = m.end()
    bounds.append((pos, len(text)))
    for pstart, pend in bounds:
        seg = text[pstart:pend]
        # double quotes: toggle, with direction hints
        open_at = -1
        for m in _DQ.finditer(seg):
            mark = m.group()
            if open_at < 0:
                if mark in _CLOSE_ONLY:
                    continue  # stray closer
                open_at = m.end()
            else:
                if mark in _OPEN_ONLY and mark != "„":
                    # a new opener while open: the previous quote ran unclosed (paragraph-like
                    # continuation); restart here
                    s, e = _trim(seg, open_at, m.start())
                    if e > s:
                        out.append((pstart + s, pstart + e, ""))
                    open_at = m.end()
                    continue
                s, e = _trim(seg, open_at, m.start())
                if e > s:
                    out.append((pstart + s, pstart + e, ""))
                open_at = -1
        if open_at >= 0:
            s, e = _trim(seg, open_at, len(seg))
            if e > s:
                out.append((pstart + s, pstart + e, ""))
        # single quotes: an opener then the nearest closer in the same paragraph
        for m in _SQ_OPEN.finditer(seg):
            c = _SQ_CLOSE.search(seg, m.end())
            if c is None:
                continue
            s, e = _trim(seg, m.end(), c.start())
            inner = seg[s:e]
            if e > s and '"' not in inner and "“" not in inner and len(inner.split()) >= 2:
                out.append((pstart + s, pstart + e, ""))
    out = sorted(set(out))
    return [(s, e, normalise(text[s:e])) for s, e, _ in out]


def _top_level(spans: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    top: list[tuple[int, int]] = []
    for s, e, _ in sorted(spans, key=lambda x: (x[0], -x[1])):
        if top and s >= top[-1][0] and e <= top[-1][1]:
            continue
        top.append((s, e))
    return top


# --------------------------------------------------------------------------------------------
# Sentences

#: sentence spans ``(start, end)``: the splitter every extractor shares
sentences = split_sentences


# --------------------------------------------------------------------------------------------
# Fingerprints


@dataclass(frozen=True, slots=True)
class ParagraphPrint:
    """One paragraph's fingerprint.

    ``shingles`` maps each distinct shingle hash to ``(sentence, quote)``: the index of the
    sentence and of the top-level quotation that hold it entirely, or -1. ``sentence_sizes`` and
    ``quote_sizes`` count the hashes attributed to each unit; ``size`` is ``len(shingles)``.
    ``quotes`` are the top-level quotation spans, ``sentence_spans`` the sentence spans.
    """

    shingles: Mapping[int, tuple[int, int]]
    sentence_sizes: tuple[int, ...]
    quote_sizes: tuple[int, ...]
    sentence_spans: tuple[tuple[int, int], ...] = ()
    quotes: tuple[tuple[int, int], ...] = ()
    words: tuple[int, ...] = ()  # hashes of the content tokens, in order (for term profiles)

    @property
    def size(self) -> int:
        return len(self.shingles)


_WORD_FLAT = re.compile(r"[^\W_]+(?:[.'’,][^\W_]+)*\.?", re.UNICODE)
_HASH_CACHE: dict[str, int | None] = {}
_MISSING = -1


def _word_hash(raw: str) -> int | None:
    s = _stem(raw)
    h = None if s is None else _thash(s)
    if len(_HASH_CACHE) > _STEM_CACHE_MAX:
        _HASH_CACHE.clear()
    _HASH_CACHE[raw] = h
    return h


def _hashes(words: list[str]) -> list[int]:
    """The token hashes of raw words, function words left out."""
    hw: list[int | None] = list(map(_HASH_CACHE.get, words, repeat(_MISSING, len(words))))
    if _MISSING in hw:  # hashes are non-negative: -1 is only ever the miss marker
        hw = [_word_hash(w) if h == _MISSING else h for w, h in zip(words, hw, strict=True)]
    if None in hw:
        return [h for h in hw if h is not None]
    return cast("list[int]", hw)


def _segments(text: str, sents: list[tuple[int, int]], quotes: list[tuple[int, int]]):
    """Cut ``text`` at sentence and quotation bounds: ``(start, end, sentence, quote)``."""
    cuts = {0, len(text)}
    for a, b in sents:
        cuts.add(a)
        cuts.add(b)
    for a, b in quotes:
        cuts.add(a)
        cuts.add(b)
    cuts_l = sorted(cuts)
    out = []
    si = qi = 0
    for a, b in zip(cuts_l, cuts_l[1:], strict=False):
        while si < len(sents) and sents[si][1] <= a:
            si += 1
        s = si if si < len(sents) and sents[si][0] <= a else -1
        while qi < len(quotes) and quotes[qi][1] <= a:
            qi += 1
        q = qi if qi < len(quotes) and quotes[qi][0] <= a else -1
        out.append((a, b, s, q))
    return out


def _parts(text: str) -> tuple[list[int], list[int], list[int], list[int], list[int],
                                list[tuple[int, int]], list[tuple[int, int]], list[int]]:
    """The pieces of a paragraph's fingerprint as flat lists: distinct shingle hashes in order
    of first occurrence, the sentence and quotation of each (or -1), sentence and quotation
    sizes, sentence spans, top-level quotation spans, content-token hashes in order."""
    sents = sentences(text)
    quotes = _top_level(quotations(text)) if ('"' in text or "“" in text or "'" in text
                                              or "‘" in text or "«" in text or "„" in text
                                              or "»" in text) else []
    if len(sents) == 1 and not quotes:
        # the common paragraph: one sentence, no quotation (the words outside the sentence's
        # span are none: it is the paragraph less surrounding blanks)
        a, b = sents[0]
        hs = _hashes(_WORD_FLAT.findall(text, a, b))
        tsent = [0] * len(hs)
        tquote = [-1] * len(hs)
    else:
        hs = []
        tsent = []
        tquote = []
        for a, b, s, q in _segments(text, sents, quotes):
            hw = _hashes(_WORD_FLAT.findall(text, a, b))
            if hw:
                hs += hw
                tsent += [s] * len(hw)
                tquote += [q] * len(hw)
    n = len(hs)
    if n == 0:
        return [], [], [], [0] * len(sents), [0] * len(quotes), sents, quotes, hs
    k = min(K, n)
    if k == 3:
        sh = [((x * _P1) ^ (y * _P2) ^ z) & _MASK for x, y, z in zip(hs, hs[1:], hs[2:], strict=False)]
    else:
        sh = []
        for i in range(n - k + 1):
            h = 0
            for x in hs[i : i + k]:
                h = ((h * _P1) ^ x) & _MASK
            sh.append(h)
    # a shingle belongs to a unit when its first and last token do
    last = k - 1
    ss = [x if x == y else -1 for x, y in zip(tsent, tsent[last:], strict=False)]
    qs = [x if x == y else -1 for x, y in zip(tquote, tquote[last:], strict=False)]
    if len(set(sh)) != len(sh):  # a repeated shingle counts once, where it first occurs
        seen: set[int] = set()
        keep = [i for i, h in enumerate(sh) if not (h in seen or seen.add(h))]  # type: ignore[func-returns-value]
        sh = [sh[i] for i in keep]
        ss = [ss[i] for i in keep]
        qs = [qs[i] for i in keep]
    ssz = [0] * len(sents)
    qsz = [0] * len(quotes)
    for x in ss:
        if x >= 0:
            ssz[x] += 1
    if quotes:
        for x in qs:
            if x >= 0:
                qsz[x] += 1
    return sh, ss, qs, ssz, qsz, sents, quotes, hs


def fingerprint(text: str) -> ParagraphPrint:
    """Fingerprint one paragraph (see module doc)."""
    sh, ss, qs, ssz, qsz, sents, quotes, hs = _parts(text)
    return ParagraphPrint(dict(zip(sh, zip(ss, qs, strict=True), strict=True)), tuple(ssz),
                          tuple(qsz), tuple(sents), tuple(quotes), tuple(hs))


# --------------------------------------------------------------------------------------------
# Matching


@dataclass(frozen=True, slots=True)
class Match:
    kind: str  # quote | paragraph | sentence
    similarity: float


def _quote_ok(shared: int, size: int) -> float:
    if size < MIN_QUOTE:
        return 0.0
    c = shared / size
    return c if c >= (QUOTE_THRESHOLD if size < 5 else LONG_QUOTE_THRESHOLD) else 0.0


def match(
    a: ParagraphPrint,
    b_size: int,
    b_sentence_sizes: tuple[int, ...] | list[int],
    b_quote_sizes: tuple[int, ...] | list[int],
    shared: Iterable[tuple[int, int, int]],
) -> Match | None:
    """Do paragraph ``a`` and another paragraph share a passage?

    The other paragraph is known only by its unit sizes and ``shared``: the hashes both hold,
    each as ``(hash, b_sentence, b_quote)``. Kind precedence: a quotation (either side) nearly
    whole in the other paragraph is "quote"; else a paragraph mostly contained in the other is
    "paragraph"; else a sentence mostly contained is "sentence". ``similarity`` is the best
    qualifying containment (0..1).
    """
    shared = list(shared)
    n = len(shared)
    if n == 0:
        return None
    a_s: dict[int, int] = {}
    a_q: dict[int, int] = {}
    b_s: dict[int, int] = {}
    b_q: dict[int, int] = {}
    sh = a.shingles
    for h, bs, bq in shared:
        s, q = sh[h]
        if s >= 0:
            a_s[s] = a_s.get(s, 0) + 1
        if q >= 0:
            a_q[q] = a_q.get(q, 0) + 1
        if bs >= 0:
            b_s[bs] = b_s.get(bs, 0) + 1
        if bq >= 0:
            b_q[bq] = b_q.get(bq, 0) + 1
    best_q = 0.0
    for q, c in a_q.items():
        best_q = max(best_q, _quote_ok(c, a.quote_sizes[q]))
    for q, c in b_q.items():
        best_q = max(best_q, _quote_ok(c, b_quote_sizes[q]))
    small = min(a.size, b_size)
    par = n / small if small >= MIN_PARAGRAPH and n >= MIN_PARAGRAPH_SHARED else 0.0
    if best_q:
        return Match("quote", round(max(best_q, par if par >= PARAGRAPH_THRESHOLD else 0), 4))
    if par >= PARAGRAPH_THRESHOLD:
        return Match("paragraph", round(min(par, 1.0), 4))
    best_s = 0.0
    for s, c in a_s.items():
        size = a.sentence_sizes[s]
        if size >= MIN_SENTENCE and c / size >= SENTENCE_THRESHOLD:
            best_s = max(best_s, c / size)
    for s, c in b_s.items():
        size = b_sentence_sizes[s]
        if size >= MIN_SENTENCE and c / size >= SENTENCE_THRESHOLD:
            best_s = max(best_s, c / size)
    if best_s:
        return Match("sentence", round(best_s, 4))
    return None


def match_texts(a: str, b: str) -> Match | None:
    """Convenience: ``match`` for two paragraph texts."""
    pa, pb = fingerprint(a), fingerprint(b)
    shared = [(h, *pb.shingles[h]) for h in pa.shingles if h in pb.shingles]
    return match(pa, pb.size, pb.sentence_sizes, pb.quote_sizes, shared)
