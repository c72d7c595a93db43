"""Text rules every extractor shares: the abbreviations after which a period ends no sentence,
and the sentence splitter.

Used by :mod:`index.parse` (a title taken from the first sentence of a body),
:mod:`index.dates` (the sentence an event is told in, the clause before a date),
:mod:`index.passages` (sentences as fingerprint units) and the named-entity tagger
(:mod:`index.ner.tokens`, sentences of tokens). A sentence-boundary fix goes here.
"""

from __future__ import annotations

import re

__all__ = ["ABBREVIATIONS", "is_abbreviation", "split_sentences"]

#: Words (lower case, without their final period) after which a period does not end a
#: sentence: titles and ranks, company forms, months and weekdays, US states as the wires
#: abbreviate them ("Va.", "Calif."), "No.", "vs.", dotted forms ("u.s", "a.m").
ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "messrs", "mme", "mlle", "dr", "prof", "rev", "hon", "pres", "gen", "gens", "lt", "col", "maj", "capt", "cpt", "sgt", "cpl", "pvt", "brig", "adm", "cmdr", "gov", "govs", "sen", "sens", "rep", "reps", "supt", "insp", "det", "st", "jr", "sr", "inc", "corp", "co", "ltd", "bros", "assn", "no", "vs", "etc", "est", "approx", "fig", "dept", "univ", "mt", "ft", "rd", "ave", "blvd", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "ala", "ariz", "ark", "calif", "colo", "conn", "del", "fla", "ga", "ill", "ind", "kan", "ky", "la", "mass", "md", "mich", "minn", "miss", "mo", "mont", "neb", "nev", "okla", "ore", "pa", "penn", "tenn", "tex", "va", "vt", "wash", "wis", "wyo", "u.s", "u.k", "u.n", "e.g", "i.e", "a.m", "p.m"]
)

_OPENER = re.compile(r"(?:The|He|She|It|They|We|I|In|But|A|An|This|That|There|Its)\b")
_SENT_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s+[\"'“‘«(\[]?[A-Z0-9])|\n\s*\n")


def is_abbreviation(word: str) -> bool:
    """True when a period after ``word`` ends no sentence: a listed abbreviation or a single
    letter (an initial: "J. Smith", "P.")."""
    low = word.lower().rstrip(".")
    return low in ABBREVIATIONS or (len(low) == 1 and low.isalpha())


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentences; returns (start, end) offsets with whitespace trimmed.

    Abbreviation-aware: "Sept. 28", "U.S. forces", "Lt. Gen. Yarallah", "J. Smith" and
    "a.m." do not end a sentence; a blank line always does.
    """
    if not text:
        return []
    cuts: list[int] = []
    for m in _SENT_END.finditer(text):
        if m.group().startswith("\n"):
            cuts.append(m.start())
            continue
        if m.group()[0] == ".":
            j = m.start()
            i = j
            while i > 0 and not text[i - 1].isspace() and text[i - 1] not in "\"'“‘«(":
                i -= 1
            tok = text[i:j]
            if not tok:
                pass
            elif "." in tok and all(len(p) <= 2 for p in tok.split(".")):
                # initials and dotted abbreviations: U.S., a.m., D.C. -- a sentence ends
                # after them only before a clear sentence opener ("The", "He" ...)
                if not _OPENER.match(text[m.end() :].lstrip()[:12]):
                    continue
            elif is_abbreviation(tok):
                continue
        cuts.append(m.end())
    spans: list[tuple[int, int]] = []
    start = 0
    for c in [*cuts, len(text)]:
        a, b = start, c
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            spans.append((a, b))
        start = c
    return spans
