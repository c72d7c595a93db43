"""Tokens and sentences for the named-entity tagger, with character offsets kept.

:func:`tokenize` cuts a text into word tokens (a fast ASCII path and a Unicode one giving the same
result), :func:`sentences` groups them into sentences for tagging."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from itertools import accumulate

import regex

from index.text import ABBREVIATIONS

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
                if prev.lower() in ABBREVIATIONS or (len(prev) == 1 and prev.isupper()):
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
