"""Mentions from tagged text, and the rules on top of the CRF: no entity from a common
sentence opener, a weekday or month, a byline or boilerplate; all-caps sentences true-cased
before tagging; company names retyped; wire datelines, titles and honorifics, acronyms in
parentheses."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache

import regex

from index import guards
from index.model import ENTITY_TYPES
from index.ner.decoder import _resources
from index.ner.lexicon import _COMPANY_SUFFIXES, _GROUP_WORDS, _Lexicon
from index.ner.tokens import _OPENERS, _plain, _sentence_bounds, _tokens, _words


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
