"""Names: the key that merges spellings of one name (:func:`entity_key`), within-article
resolution (a surname to the full name, an acronym to its expansion, the "X (Y)" alias) and
joining names across a collection (:func:`join_names`, :func:`story_keys`)."""

from __future__ import annotations

import string
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache

import regex

from index.model import EntityMention
from index.ner.lexicon import _COMPANY_SUFFIXES
from index.ner.rules import _ALIAS_GAP_RE, _Raw
from index.ner.tokens import _words

# Names: keys, aliases and within-article resolution
# --------------------------------------------------------------------------------------------

_DASHES_RE = regex.compile(r"[\s\-\u2010-\u2015_/]+")
_KEY_DROP_RE = regex.compile(r"[^\p{L}\p{N}'& ]+")
_PARTICLES = _words(
    "al el ad ar as ash at az bin ibn bint abu abd de da di du del della der den van von la le ul"
)





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
    for root, name in names.items():
        # a place written only in capitals (a wire dateline's JAKARTA) is named as a place is
        # written ("Jakarta"); short ones may be acronyms ("USA", "UAE") and stay
        words = name.split()
        if types[root] == "LOC" and name.isupper() and (
                len(name) > 4 if len(words) == 1 else all(len(w) > 2 for w in words)):
            names[root] = string.capwords(name.lower())
    out: list[list[EntityMention]] = [[] for _ in raws]
    for i, (t, r) in enumerate(flat):
        root = root_of[i]
        typ = types[root] if _RETYPE else r.type
        out[t].append(EntityMention(r.start, r.end, typ, r.text, names[root]))
    return out


_RETYPE = True

