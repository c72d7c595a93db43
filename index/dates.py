"""Date expressions and dated events.

Candidates are found by our own regular expressions (compiled once, at import); each is
resolved against the article's publication date by small, explicit news conventions.
``dateparser`` resolves the genuinely language-y arithmetic ("two days ago",
"three weeks ago"); the rest (month names, ISO and numeric dates, weekdays, "last
week") is resolved directly, which keeps extraction at thousands of documents per
second.  Calling ``dateparser.search.search_dates`` on whole bodies is deliberately
avoided: it is slow and finds dates in counts, durations and phone numbers.

Conventions:

* A bare weekday ("on Thursday") is the most recent such day on or before publication
  (a Thursday paper's "Thursday" is that very day).  "next Thursday", "this coming
  Thursday" and a weekday in a clause with a future cue ("will", "is scheduled to",
  "as soon as" ...) mean the next such day on or after publication; "last Thursday" is
  strictly before it.
* A month without a year is the most recent such month on or before publication,
  unless it is the very next month, or "next"/"this coming", a future cue in its clause
  or "by/until/through" points forward (up to nine months ahead).  "last April" is the
  latest April before the publication month, but "last September" in October is the one
  a year before (the month just gone would be "last month"); "this September" is in
  the publication year.
* A month and day without a year ("Sept. 28") is the latest such day on or before
  publication, unless the next one is within 45 days, or within about eight months
  with a future cue ("will", "payable", "effective", "until" ...).
* "mid-2014", "early 2015", "the end of 1990" have year precision (value ``2014``).
* Quarters, halves and seasons ("the third quarter", "last fall") have year precision:
  the value is the year they fall in, since the model has no quarter precision.
* Week precision values are the Monday of the week ("last week" in a 2017-10-26 paper
  is ``2017-10-16``); weekends belong to their (Monday-starting) week.
* Anaphoric expressions ("the following day", "that day", "a year earlier",
  "three days later") are resolved against the most recent date mentioned before them in
  the same text (the narrative anchor), else the publication date.
* A bare four-digit number is a year only with a cue ("in 2014", "since 1990",
  "2014's", "by 2020", "fiscal 1989") and only within 1900-2100.
* With ``published=None`` only expressions that carry their own year are kept (explicit
  dates, month + year, cued years, years of quarters/seasons) plus anaphora anchored
  on such an explicit date earlier in the same text; everything that needs the
  publication date is dropped.

Not dates: durations ("nine months", "for three weeks"), counts, percentages,
ordinals ("51st"), phone numbers, bare numbers, copyright ranges ("(c) 2000-2016"),
"4 MIN READ", the verb "march" and the modal "may".
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache

from index import guards
from index.model import DateMention, Event
from index.text import is_abbreviation, split_sentences

__all__ = ["extract_dates", "article_events", "split_sentences"]

# ---------------------------------------------------------------------------
# Vocabulary

_MONTHS_FULL = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH_NUM: dict[str, int] = {}
for _i, _m in enumerate(_MONTHS_FULL, 1):
    _MONTH_NUM[_m.lower()] = _i
    _MONTH_NUM[_m[:3].lower()] = _i
_MONTH_NUM["sept"] = 9
_FULL_MONTHS = frozenset(m.lower() for m in _MONTHS_FULL)

_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_WEEKDAY_NUM: dict[str, int] = {w.lower(): i for i, w in enumerate(_WEEKDAYS)}
for _w, _i in list(_WEEKDAY_NUM.items()):
    _WEEKDAY_NUM[_w[:3]] = _i
_WEEKDAY_NUM.update({"tues": 1, "thur": 3, "thurs": 3})

_UNITS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
}
_SEASON_START = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}


def _trie(words: list[str]) -> str:
    """A regex alternation of ``words`` factored by common prefixes ("jan(?:uary)?|ju(?:ly|ne)"):
    the regex engine then checks one character per branch instead of every word in turn.
    Longer words are tried first, as in a longest-first alternation."""
    root: dict = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alts = [re.escape(ch) + emit(node[ch]) for ch in sorted(k for k in node if k)]
        if not alts:
            return ""
        body = "(?:" + "|".join(alts) + ")"
        return body + "?" if "" in node else body

    return emit(root)


_MONTH_WORDS = [m.lower() for m in _MONTHS_FULL] + (
    ["sept", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
)
_WEEKDAY_WORDS = [w.lower() for w in _WEEKDAYS] + [
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
]

# Month names are matched case-sensitively (capitalised or all caps): "march on" and the
# modal "may" never start a candidate.
_MON_FULL_RE = "|".join(_MONTHS_FULL + [m.upper() for m in _MONTHS_FULL])
_MON_ABBR_RE = "Sept|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec|SEPT|JAN|FEB|MAR|APR|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_MON = rf"(?:{_trie(_MON_FULL_RE.split('|'))}\b|{_trie(_MON_ABBR_RE.split('|'))}(?:\.|\b))"
_WD_FULL = "|".join(_WEEKDAYS + [w.upper() for w in _WEEKDAYS])
_WD = rf"(?:{_trie(_WD_FULL.split('|'))}\b|(?:Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun)\.)"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?!\d|:\d)\b"
_YEAR = r"(?:1[89]\d\d|20\d\d|2100)(?![\d-]\d)\b"
_U = "one|two|three|four|five|six|seven|eight|nine"
_T = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_TEEN = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
# spoken years, as in broadcast transcripts: "nineteen ninety-six", "the year two thousand"
_SPOKEN_YEAR = (
    rf"(?:(?i:nineteen)[\s-](?:(?i:{_T})(?:[\s-](?i:{_U}))?\b|(?i:{_TEEN})\b|(?i:oh)[\s-](?i:{_U})\b|(?i:hundred)\b)"
    rf"|(?i:two\s+thousand)(?:\s+(?i:and)\s+(?i:{_U}|{_TEEN})\b|\s+(?i:{_U})\b)?)"
)
_NUM = rf"(?:\d{{1,3}}|a|an|{_U}|{_TEEN}|{_T}|(?:{_T})-(?:{_U}))"
_HEDGE = r"(?:(?:nearly|almost|about|some|roughly|around|only|just|more\s+than|less\s+than|over|barely)\s+)"
_PART = r"(?:morning|afternoon|evening|night)"

_PATTERN = rf"""
# ISO date, optionally with a time: 2017-10-26
(?P<iso>(?<![\d/.-])(?P<iso_y>(?:1[89]|20)\d\d)-(?P<iso_m>[01]\d)-(?P<iso_d>[0-3]\d)(?![\d-]))
# numeric day.month.year (25.10.2017) and month/day/year (10/26/2017, 7/8/07)
|(?P<dmy>(?<![\d./-])(?P<dmy_d>\d{{1,2}})\.(?P<dmy_m>\d{{1,2}})\.(?P<dmy_y>(?:1[89]|20)\d\d)(?![\d.]\d))
|(?P<mdy>(?<![\d./-])(?P<mdy_m>\d{{1,2}})/(?P<mdy_d>\d{{1,2}})/(?P<mdy_y>(?:1[89]|20)\d\d|\d\d)(?![\d/]))
# [Weekday,] Month Day[, Year]: Sept. 28 / October 26, 2017 / Friday, Oct. 13
|(?P<md>(?:(?P<md_wd>{_WD}),?\s+)?(?P<md_m>{_MON})\s+(?P<md_d>{_DAY})(?:,?\s+(?P<md_y>{_YEAR}))?)
# [Weekday,] [the] Day [of] Month [Year]: 26 October 2017 / 11 December
|(?P<dm>(?:(?P<dm_wd>{_WD}),?\s+)?(?<![\d.,])(?P<dm_d>{_DAY})(?:\s+of)?\s+(?P<dm_m>{_MON})(?:,?\s+(?P<dm_y>{_YEAR}))?)
# [modifier] Month [of] Year: July 2017 / early March 1990 / January this year
|(?P<my>(?:(?P<my_mod>[Ee]arly|[Ll]ate|[Mm]id-?|[Tt]he\s+(?:middle|end|beginning|start)\s+of)\s*)?
     (?P<my_m>{_MON}),?\s+(?:of\s+)?(?:(?P<my_y>{_YEAR}|{_SPOKEN_YEAR})|(?P<my_rel>this|last|next)\s+year\b))
# [modifier] Month: in July / last April / mid-November / the middle of October
|(?P<mon>(?:(?P<mon_mod>(?i:this\s+(?:past|coming)|last|next|this|early|late|mid-?|
     the\s+(?:middle|end|beginning|start|first\s+half|second\s+half)\s+of))[\s-]*)?(?P<mon_m>{_MON})(?!\s+\d))
# weekday: on Thursday / last Friday / Thursday morning / early Tuesday
|(?P<wd>(?:(?P<wd_mod>(?i:this\s+(?:past|coming)|last|next|this|early|late|earlier|later|the\s+previous|the\s+following))\s+)?
     (?P<wd_w>{_WD})(?:\s+(?P<wd_part>{_PART}))?)
# today, yesterday, tomorrow, tonight, this morning
|(?P<kw>(?i:(?:(?P<kw_mod>late|early|earlier|later)\s+)?
     (?P<kw_w>the\s+day\s+before\s+yesterday|the\s+day\s+after\s+tomorrow|yesterday|today|tonight|tomorrow|
     this\s+(?:morning|afternoon|evening))(?:\s+{_PART})?)\b)
# quarters and reporting periods: third-quarter / the third quarter of 1990 / the latest quarter /
# this year's third quarter / the year-ago period
|(?P<q>(?i:(?P<q_det>the|its|a|this|that|last|next)?\s*(?:(?P<q_yrel>this|last|next)\s+year's\s+|(?P<q_y1>{_YEAR})\s+)?
     (?P<q_mods>(?:(?:fiscal|latest|current|year-ago|year-earlier|comparable|first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+)*)
     (?P<q_u>quarter|period)(?![-\w])(?:\s+of\s+(?P<q_y2>{_YEAR}))?(?:\s+(?P<q_rel>a\s+year\s+(?:ago|earlier)))?))
# year-ago / year-earlier (results, levels)
|(?P<ya>(?i:year-(?:ago|earlier))\b)
# fiscal and calendar years: the fiscal year / the full year / year-end / the year
|(?P<fy>(?i:(?:the\s+)?(?:full|fiscal|current|current\s+fiscal|calendar|latest\s+fiscal)\s+year(?![-\w])|
     year[-\s]end\b|year's\s+end\b|the\s+year(?![-\w])))
# seasons: last fall / this summer / the winter of 1994
|(?P<season>(?:(?P<s_mod>(?i:this\s+past|this\s+coming|last|next|this|early|late|mid-?|the(?:\s+early|\s+late)?))[\s-]+)?
     (?P<s_s>(?i:spring|summer|fall|autumn|winter))(?:\s+of)?(?:\s+(?P<s_y>{_YEAR}|{_SPOKEN_YEAR}))?\b)
# relative periods: last week / this month / earlier this month / early next year / the end of the month
|(?P<rel>(?i:(?P<rel_mod>earlier|later|early|late|(?:at\s+)?the\s+(?:end|beginning|start|middle)\s+of|(?:earlier|later)\s+in)\s+)?
     (?P<rel_w>(?i:last|this|next|the\s+previous|the\s+following|the\s+next|the\s+current|that|the\s+same|the\s+coming|the))\s+
     (?P<rel_u>(?i:week(?:end)?|month|year|day))\b)
# offsets: two days ago / a week ago / a year earlier / three days later
|(?P<ago>(?i:{_HEDGE}?(?P<ago_n>{_NUM})\s+(?P<ago_u>day|week|month|year)s?\s+(?P<ago_w>ago|earlier|later)\b))
# (over) the weekend
|(?P<wkend>(?i:the\s+weekend)\b)
# spoken years: nineteen ninety-six / the year two thousand
|(?P<spoken>(?:(?i:the\s+year)\s+)?{_SPOKEN_YEAR})
# cued year: in 2014 / mid-2014 / early 2015 / fiscal 1989 / the end of 1990 / 2014's
|(?P<year>(?:(?P<y_mod>(?i:early|late|mid|fiscal|calendar|the\s+(?:middle|end|beginning|start|first\s+half|second\s+half|rest)\s+of))[\s-]+|
     (?<![\d$€£¥#.,/-]))(?P<y_y>(?:19\d\d|20\d\d|2100))(?![\d%]|-\d|\.\d|,\d\d\d)\b)
"""

# Speed: a candidate can only start at a few word shapes, read off the branches above
# (each alternative names the branches it opens).  This look-ahead rejects every other
# word start before the eighteen branches are tried; tests/test_dates.py checks that it
# changes no match.  Modifiers that a branch may run straight into the next word
# ("lastMarch", "mid-2014", "thequarter") are matched as prefixes.
_UNIT_START = r"(?:day|week|month|year)"
_NUM_LIST = "|".join([_U, _TEEN, _T]).split("|")
_GATE_WORDS = [
    # modifiers (my, mon, wd, kw, rel, season, year, q), as prefixes
    *[
        "this",
        "last",
        "next",
        "early",
        "late",
        "mid",
        "earlier",
        "fiscal",
        "calendar",
        "full",
        "current",
        "latest",
        "comparable",
    ],
    *["first", "second", "third", "fourth", "quarter", "period"],
    # q: the 1988 period, its fiscal quarter, a year-ago quarter
    *(
        det + r"\s*(?:fiscal|latest|current|year|comparable|first|second|third|fourth|quarter|"
        r"period|this|last|next|\d)"
        for det in ("the", "its", "a", "that")
    ),
    # my, mon, wd, kw, fy, season, rel, wkend, spoken, year: the end of, the following, the year
    r"the[\s-]+(?:middle|end|beginning|start|first|second|day|previous|following|full|fiscal|"
    r"current|calendar|latest|year|early|late|spring|summer|fall|autumn|winter|next|same|coming|"
    r"week|month|rest)",
    r"at\s+the\s",
    r"an?\s+" + _UNIT_START,
    r"that\s+" + _UNIT_START,
    # ya, fy, q: year-ago, year-end, year's end
    r"year(?:-ago|-earlier|[-\s]end|'s\s+end)",
    # ago: nearly four weeks ago, twenty-one days earlier
    *(
        hedge + rf"\s+(?:than\s+)?(?:\d|an?\s|{_trie(_NUM_LIST)})"
        for hedge in [
            "nearly",
            "almost",
            "about",
            "some",
            "roughly",
            "around",
            "only",
            "just",
            "more",
            "less",
            "over",
            "barely",
        ]
    ),
    *(w + rf"(?:-{_trie(_U.split('|'))})?\s+{_UNIT_START}" for w in _NUM_LIST),
    # spoken years
    r"nineteen[\s-]",
    r"two\s+thousand",
    # season, kw
    *(
        w + r"\b"
        for w in [
            "spring",
            "summer",
            "fall",
            "autumn",
            "winter",
            "yesterday",
            "today",
            "tonight",
            "tomorrow",
        ]
    ),
]


def _gate() -> str:
    """The look-ahead: every alternative opens with a digit class, a capital or a [xX] class,
    so the engine rules most of them out on the first character."""
    alts = [
        # iso, dmy, mdy, year, q (1988 period, 1st-quarter), dm (26 October), ago (3 days ago)
        r"\d\d?[./]\d\d?[./]\d",
        r"1[89]\d\d",
        r"20\d\d",
        r"2100",
        r"\d(?:st|nd|rd|th)[\s-]",
        r"\d{1,3}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:[A-Z]|(?i:day|week|month|year))",
    ]
    # month and weekday names (md, dm, my, mon, wd): capitalised or all caps
    names: dict[str, list[str]] = {}
    for w in _MONTH_WORDS + _WEEKDAY_WORDS:
        names.setdefault(w[0], []).append(w[1:])
    alts += [rf"{c.upper()}(?i:{_trie(tails)})\b" for c, tails in sorted(names.items())]
    words: dict[str, list[str]] = {}
    for w in _GATE_WORDS:
        words.setdefault(w[0], []).append(w[1:])
    alts += [rf"[{c}{c.upper()}](?i:{'|'.join(tails)})" for c, tails in sorted(words.items())]
    return "(?=" + "|".join(alts) + ")"


# Speed: a candidate can only start at a few word shapes, read off the branches above.
# This look-ahead rejects every other word start before the eighteen branches are tried;
# tests/test_dates.py checks that it changes no match.  Modifiers that a branch may run
# straight into the next word ("lastMarch", "mid-2014", "thequarter") are prefixes.
_GATE = _gate()

_RX = re.compile(r"(?<!\w)" + _GATE + "(?:" + _PATTERN + ")", re.X)

# Speed: the full pattern only runs in windows around trigger words, found in one pass
# over the lower-cased text.  Every candidate holds a trigger at a word start: a year-like
# number, a m/d/y numeric date, a month or weekday name (capitalised, as the pattern wants
# them) or one of a few whole words; what may come before the trigger ("at the beginning
# of the following ", "more than twenty-seven days ") is shorter than _BACK characters.
# The pattern opens with the character before the word (a blank is put before the text),
# so the engine only stops at non-alphanumeric characters, found by a fast set look-up.
_CASED_TRIGGERS = frozenset(_MONTH_WORDS + _WEEKDAY_WORDS)
_TRIGGER = re.compile(
    r"[^a-z0-9_](?:"
    + _trie(
        _MONTH_WORDS
        + _WEEKDAY_WORDS
        + [
            "yesterday",
            "today",
            "tonight",
            "tomorrow",
            "this",
            "week",
            "weekend",
            "month",
            "year",
            "day",
            "quarter",
            "period",
            "spring",
            "summer",
            "fall",
            "autumn",
            "winter",
            "ago",
            "earlier",
            "later",
            "nineteen",
        ]
    )
    + r"\b|thousand|(?:1[89]|20)\d\d(?!\d)|\d\d?/\d)"
)
_BACK, _AHEAD = 40, 25

# A bare year is accepted only after one of these words (or with a modifier / "'s").
_YEAR_CUE = re.compile(
    r"(?i)(?:^|[^\w])(in|since|by|until|till|through|throughout|during|before|after|from|of|for|into|due|"
    r"around|circa|c\.|year|years|the|a|an|its|his|her|their|our|that|this|both|early|late|mid|end|"
    r"spring|summer|fall|autumn|winter|between|beginning|start|fiscal|calendar|to|and|or|[a-z]+'s)\s+$"
)
_YEAR_BEFORE = re.compile(r"(?:1[89]|20)\d\d(?:\s*(?:,|and|or|to|through|-|–)\s*|\s+)$")
_COPYRIGHT = re.compile(r"(?i)(?:©|\(c\)|copyright)\s*$")
_PLURAL_AFTER = re.compile(
    r"\s+(?!(?:was|is|has|as|this|its|his|us|thus|whereas|perhaps|always|less|unless|across|"
    r"news|elections|olympics|games|results|sales|earnings|levels|figures|'s)\b)[a-z]+s\b"
)
_COUNT_AFTER = re.compile(
    r"\s*(?:%|percent|per\s+cent|people|troops|soldiers|men|women|km|miles|tons)\b"
)
# Bare months that are also common words or names need a cue before them.
_AMBIGUOUS_MONTHS = {
    "may",
    "march",
    "april",
    "june",
    "august",
    "jan",
    "mar",
    "jun",
    "aug",
    "sept",
    "sep",
    "oct",
    "nov",
    "dec",
    "feb",
    "apr",
    "jul",
}
_MONTH_CUE = re.compile(
    r"(?i)(?:^|[^\w])(in|since|by|until|till|through|during|before|after|from|of|for|"
    r"early|late|mid|last|next|this|end|beginning|start|and|or|between|to|on|as|"
    r"throughout|around|a|the|its|his|her|their|[a-z]+'s)[\s,]+$"
)
_STRONG_MONTH_CUES = frozenset(
    [
        "in",
        "since",
        "by",
        "until",
        "till",
        "through",
        "during",
        "before",
        "after",
        "from",
        "last",
        "next",
        "this",
        "early",
        "late",
        "mid",
        "end",
        "beginning",
        "start",
    ]
)
_SET_CUE = re.compile(r"(?i)(?:^|\W)(?:each|every|per|on\s+alternate)\s+$")
_FUTURE_CUE = re.compile(
    r"(?i)\b(?:will|'ll|shall|won't|(?:is|are|was|were)\s+(?:scheduled|expected|due|set|supposed|going)|"
    r"scheduled\s+(?:to|for)|expects?\s+to|set\s+(?:to|for)|is\s+to|are\s+to|to\s+be\s+held|plans?\s+to|"
    r"planned\s+(?:to|for)|planning\s+to|should|as\s+(?:soon|early)\s+as|due\s+(?:to|in|on|by)|"
    r"upcoming|hopes?\s+to|intends?\s+to)\b"
)
_FORWARD_PREP = re.compile(
    r"(?i)(?:^|\W)(?:by|until|till|through|before|effective|payable|due|starting|expires?|expiring)\s+"
    r"(?:early\s+|late\s+|mid-?|on\s+)?$"
)
_NAMED_DAY = re.compile(
    r"(?:Black|Good|Super|Ash|Easter|Palm|Bloody|Cyber|Holy|Maundy|Shrove|Blue|Orange)\s+$"
)
_SENT_BREAK = re.compile(r"(?:[.!?][\"'”’)]*\s+(?=[\"“‘(]?[A-Z])|\n|;\s|:\s)")


# ---------------------------------------------------------------------------
# Calendar helpers


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _add_months(y: int, m: int, n: int) -> tuple[int, int]:
    k = y * 12 + (m - 1) + n
    return k // 12, k % 12 + 1


_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid(y: int, m: int, d: int) -> bool:
    return 1 <= m <= 12 and 1 <= d <= (29 if m == 2 and calendar.isleap(y) else _MONTH_DAYS[m])


def _month_num(tok: str) -> int:
    t = tok.rstrip(".").lower()
    return _MONTH_NUM["sept" if t.startswith("sept") else t[:3]]


def _day_num(tok: str) -> int:
    return int(tok.rstrip("stndrh"))


def _spoken_year(phrase: str) -> int | None:
    """'nineteen ninety-six' -> 1996, 'the year two thousand and one' -> 2001."""
    words = re.findall(r"[a-z]+", phrase.lower())
    words = [w for w in words if w not in ("the", "year", "and")]
    if words[:2] == ["two", "thousand"]:
        rest = words[2:]
        return 2000 + sum(_UNITS.get(w, 0) + _TEENS.get(w, 0) for w in rest)
    if words[:1] != ["nineteen"]:
        return None
    rest = words[1:]
    if rest == ["hundred"]:
        return 1900
    n = 0
    for w in rest:
        n += _TENS.get(w, 0) + _TEENS.get(w, 0) + _UNITS.get(w, 0)
    return 1900 + n


def _clause_before(text: str, start: int, width: int = 80) -> str:
    """The text of the clause leading up to ``start`` (back to the last sentence break;
    a period after an initial or an abbreviation such as "P." or "Gen." is no break)."""
    lo = max(0, start - width)
    window = text[lo:start]
    cut = 0
    for m in _SENT_BREAK.finditer(window):
        if window[m.start()] == ".":
            i = m.start()
            j = i
            while j > 0 and window[j - 1].isalpha():
                j -= 1
            tok = window[j:i]
            if len(tok) <= 1 or is_abbreviation(tok):
                continue
        cut = m.end()
    return window[cut:]


def _future_context(text: str, start: int) -> bool:
    """True when the clause before ``start`` has a future cue ("will", "is scheduled to" ...)."""
    return bool(_FUTURE_CUE.search(_clause_before(text, start)))


@lru_cache(maxsize=4096)
def _month_day_options(mo: int, d: int, pub: date) -> tuple[date | None, date | None]:
    """(latest such day on or before ``pub``, latest such day after it) over the nearby years."""
    past = fut = None
    for y in (pub.year + 1, pub.year, pub.year - 1, pub.year - 2):
        if not _valid(y, mo, d):
            continue
        c = date(y, mo, d)
        if c <= pub and past is None:
            past = c
        elif c > pub:
            fut = c
    return past, fut


def _month_day_year(mo: int, d: int, pub: date, future: Callable[[], bool]) -> date | None:
    """Year for a month and day without one: the latest on or before publication, unless the
    next occurrence is close (45 days) or a future cue allows up to about eight months.
    ``future`` tells whether there is such a cue; it is only asked when it matters."""
    past, fut = _month_day_options(mo, d, pub)
    if fut is not None:
        ahead = (fut - pub).days
        if ahead <= 45 or (ahead <= 250 and future()):
            return fut
    return past or fut


_PARSER = None
_FIXED_BASE = datetime(2000, 6, 15)


def _dateparser():
    """One shared English-only dateparser (built on first use; loading it is the slow part)."""
    global _PARSER
    if _PARSER is None:
        from dateparser.date import DateDataParser

        _PARSER = DateDataParser(
            languages=["en"], settings={"PREFER_DATES_FROM": "past", "RELATIVE_BASE": _FIXED_BASE}
        )
    return _PARSER


@lru_cache(maxsize=2048)
def _offset(phrase: str) -> tuple[int, str] | None:
    """How far back "<number> <unit>s ago" reaches, as (n, unit), via dateparser.

    dateparser reads the number words and the unit; the offset is measured against a
    fixed base, so the result is independent of the article and cached per phrase.
    """
    try:
        dd = _dateparser().get_date_data(phrase)
    except Exception:  # pragma: no cover - dateparser must never break extraction
        guards.note("dates")
        return None
    got = dd.date_obj if dd is not None else None
    if got is None:
        return None
    unit = dd.period if dd.period in ("day", "week", "month", "year") else "day"
    base = _FIXED_BASE
    if unit in ("day", "week"):
        days = (base - got).days
        return (days // 7, "week") if unit == "week" and days % 7 == 0 else (days, "day")
    months = (base.year - got.year) * 12 + base.month - got.month
    return (months // 12, "year") if unit == "year" and months % 12 == 0 else (months, "month")


def _shift(base: date, n: int, unit: str) -> date:
    """``base`` moved by ``n`` units (negative = back), month ends clamped."""
    if unit == "day":
        return base + timedelta(days=n)
    if unit == "week":
        return base + timedelta(weeks=n)
    months = n if unit == "month" else 12 * n
    y, m = _add_months(base.year, base.month, months)
    return date(y, m, min(base.day, calendar.monthrange(y, m)[1]))


def _value(d: date, precision: str) -> str:
    if precision == "day":
        return d.isoformat()
    if precision == "week":
        return _monday(d).isoformat()
    if precision == "month":
        return f"{d.year:04d}-{d.month:02d}"
    return f"{d.year:04d}"


# ---------------------------------------------------------------------------
# Resolution

_Resolved = tuple[int, int, date, str, bool]  # start, end, date, precision, is-anchor


class _State:
    """Per-text resolution state: publication date and the narrative anchor.

    The anchor is the latest date mentioned in the text by an expression that is not
    itself anaphoric; "the following day" or "a year earlier" count from it.
    """

    __slots__ = ("pub", "anchor", "anchor_prec", "anchor_end", "year")

    #: how far (characters) an anaphor may be from the date it leans on
    REACH = 400

    def __init__(self, pub: date | None) -> None:
        self.pub = pub
        self.anchor: date | None = None
        self.anchor_prec = ""
        self.anchor_end = 0
        # the year the text has moved to by naming it ("In 2017, ..."), until it moves again
        # (another year, or a date counted from publication: "on Thursday", "last week")
        self.year: int | None = None

    def ref(self, pos: int, day: bool = False) -> date | None:
        """The anchor when one is near enough (and fine enough), else the publication date."""
        if (
            self.anchor is not None
            and pos - self.anchor_end <= self.REACH
            and (not day or self.anchor_prec == "day")
        ):
            return self.anchor
        return self.pub

    def next_text(self, length: int) -> None:
        """Move on to a following text (paragraph) of ``length`` characters before it."""
        self.anchor_end -= length + 1


def _resolve(m: re.Match[str], text: str, st: _State) -> _Resolved | None:
    """Resolve one candidate, or None to drop it."""
    kind = m.lastgroup or ""
    g = m.group
    pub = st.pub
    s, e = m.start(kind), m.end(kind)

    if kind in ("iso", "dmy", "mdy"):
        p = kind + "_"
        y, mo, d = g(p + "y"), int(g(p + "m")), int(g(p + "d"))
        if kind == "mdy" and mo > 12 and d <= 12:
            mo, d = d, mo
        if len(y) == 2:
            yy = 2000 + int(y)
            if yy > (pub.year if pub else date.today().year) + 10:
                yy -= 100
        else:
            yy = int(y)
        return (s, e, date(yy, mo, d), "day", True) if _valid(yy, mo, d) else None

    if kind in ("md", "dm"):
        p = kind + "_"
        mo, d = _month_num(g(p + "m")), _day_num(g(p + "d"))
        ys = g(p + "y")
        if ys:
            y = int(ys)
            return (s, e, date(y, mo, d), "day", True) if _valid(y, mo, d) else None
        if pub is None:
            return None
        wd = g(p + "wd")
        got: date | None = None
        if wd:
            # a weekday pins the year: the nearby year in which the date falls on it
            wn = _WEEKDAY_NUM.get(wd.rstrip(".").lower(), -1)
            for y in (pub.year, pub.year + 1, pub.year - 1):
                if _valid(y, mo, d) and date(y, mo, d).weekday() == wn:
                    got = date(y, mo, d)
                    break
        if got is None and st.year is not None and st.year != pub.year and _valid(st.year, mo, d):
            got = date(st.year, mo, d)  # the text is telling another year's events
        if got is None:
            got = _month_day_year(
                mo,
                d,
                pub,
                lambda: (
                    _future_context(text, s) or bool(_FORWARD_PREP.search(text[max(0, s - 16) : s]))
                ),
            )
        return (s, e, got, "day", True) if got else None

    if kind == "my":
        mo = _month_num(g("my_m"))
        ys = g("my_y")
        if ys:
            y = int(ys) if ys[0].isdigit() else (_spoken_year(ys) or 0)
            if not 1000 <= y <= 2999:
                return None
        else:
            if pub is None:
                return None
            y = pub.year + {"this": 0, "last": -1, "next": 1}[g("my_rel")]
        return s, e, date(y, mo, 1), "month", True

    if kind == "mon":
        return _resolve_month(m, s, e, text, st)

    if kind == "wd":
        if (
            pub is None
            or _SET_CUE.search(text[max(0, s - 15) : s])
            or _NAMED_DAY.search(text[max(0, s - 10) : s])
        ):
            return None
        wn = _WEEKDAY_NUM[g("wd_w").rstrip(".").lower()]
        mod = " ".join((g("wd_mod") or "").lower().split())
        wbase = st.ref(s, day=True) if mod in ("the previous", "the following") else pub
        if wbase is None:
            return None
        back = (wbase.weekday() - wn) % 7
        fwd = (wn - wbase.weekday()) % 7
        if mod in ("next", "this coming", "the following"):
            when = wbase + timedelta(days=fwd or 7)
        elif mod in ("last", "this past", "the previous"):
            when = wbase - timedelta(days=back or 7)
        elif mod == "this":
            when = _monday(wbase) + timedelta(days=wn)
        elif back and (
            _future_context(text, s)
            or re.search(r"(?i)(?:until|till)\s+$", text[max(0, s - 8) : s])
        ):
            when = wbase + timedelta(days=fwd)
        else:
            when = wbase - timedelta(days=back)
        return s, e, when, "day", not mod.startswith("the ")

    if kind == "kw":
        if pub is None:
            return None
        w = " ".join(g("kw_w").lower().split())
        if (
            w == "today"
            and s > 1
            and g("kw_w")[0] == "T"
            and text[s - 1] == " "
            and text[s - 2].isalpha()
        ):
            # "USA Today", "VOA Today": a capitalised Today after a word is a name
            prev = text[max(0, s - 20) : s - 1].split()[-1:]
            if prev and prev[0][:1].isupper():
                return None
        off = {
            "yesterday": -1,
            "tomorrow": 1,
            "the day before yesterday": -2,
            "the day after tomorrow": 2,
        }.get(w, 0)
        return s, e, pub + timedelta(days=off), "day", True

    if kind == "q":
        return _resolve_quarter(m, s, e, st)

    if kind == "ya":
        base = st.pub
        return (s, e, date(base.year - 1, 1, 1), "year", False) if base else None

    if kind == "fy":
        t = " ".join(g("fy").lower().split())
        if t == "the year":
            before = text[max(0, s - 12) : s].lower()
            after = text[e : e + 12].lower()
            if not re.search(r"(?:for|of|during|through|in)\s+$", before) or re.match(
                r"\s*(?:before|after|earlier|later|ago|or|and|to|in\s+which|when)\b", after
            ):
                return None
        base = st.pub
        if base is None:
            return None
        y = base.year - 1 if "latest" in t else base.year
        return s, e, date(y, 1, 1), "year", False

    if kind == "season":
        return _resolve_season(m, s, e, text, st)

    if kind == "rel":
        return _resolve_rel(m, s, e, text, st)

    if kind == "ago":
        n_word, unit = g("ago_n").lower(), g("ago_u").lower()
        offset = _offset(f"{n_word} {unit}{'' if n_word in ('a', 'an', 'one', '1') else 's'} ago")
        if offset is None or offset[0] <= 0:
            return None
        n, unit = offset
        w = g("ago_w").lower()
        # "ago" counts back from publication; "earlier"/"later" from the narrative anchor
        base = pub if w == "ago" else st.ref(s, day=unit in ("day", "week"))
        if base is None:
            return None
        return s, e, _shift(base, n if w == "later" else -n, unit), unit, w == "ago"

    if kind == "wkend":
        if pub is None:
            return None
        sat = pub - timedelta(days=(pub.weekday() - 5) % 7 if pub.weekday() != 6 else 1)
        return s, e, sat, "week", False

    if kind == "spoken":
        if "thousand" in g("spoken").lower() and not g("spoken").lower().startswith("the year"):
            return None  # "two thousand years": a count
        if _PLURAL_AFTER.match(text[e : e + 24]):
            return None
        y = _spoken_year(g("spoken"))
        return (s, e, date(y, 1, 1), "year", True) if y and 1900 <= y <= 2100 else None

    if kind == "year":
        y = int(g("y_y"))
        mod = g("y_mod")
        ys = m.start("y_y")
        after = text[e : e + 24]
        before = text[max(0, ys - 24) : ys]
        if _COPYRIGHT.search(before):
            return None
        if not mod:
            if not (
                after.startswith(("'s", "’s"))
                or _YEAR_CUE.search(before)
                or _YEAR_BEFORE.search(before)
            ):
                return None
            if _PLURAL_AFTER.match(after) or _COUNT_AFTER.match(after):
                return None
            s = ys
        if not 1900 <= y <= 2100:
            return None
        return s, e, date(y, 1, 1), "year", True

    return None


def _resolve_month(m: re.Match[str], s: int, e: int, text: str, st: _State) -> _Resolved | None:
    g = m.group
    tok = g("mon_m")
    mod = " ".join((g("mon_mod") or "").lower().split())
    mo = _month_num(tok)
    before = text[max(0, s - 16) : s]
    if _SET_CUE.search(before):
        return None  # "each July": a recurrence, not a date
    if not mod:
        cue = _MONTH_CUE.search(before)
        strong = cue is not None and cue.group(1).lower() in _STRONG_MONTH_CUES
        key = tok.rstrip(".").lower()
        if key not in _FULL_MONTHS and not tok.endswith("."):
            return None  # "Jan Kavan": an abbreviation needs its period or a day
        if not strong:
            # "May I", "the March on Washington": the modal and the verb/noun need a
            # temporal preposition; so do abbreviations and all-caps headline words
            if key in ("may", "march") or (
                (tok.endswith(".") or key in _AMBIGUOUS_MONTHS or tok.isupper()) and not cue
            ):
                return None
            # "April Smith", "and June Carter": a bare month followed by a capitalised
            # word is taken as a name
            nxt = text[e : e + 2]
            if len(nxt) == 2 and nxt[0] == " " and nxt[1].isupper():
                return None
    pub = st.pub
    if pub is None:
        return None
    back = (pub.month - mo) % 12  # months since the latest such month (0 = this month)
    fwd = (mo - pub.month) % 12  # months until the next one
    if mod.startswith("next") or mod.startswith("this coming"):
        d = _add_months(pub.year, pub.month, fwd or 12)
    elif mod.startswith("last") or mod.startswith("this past"):
        # "last February" in March is February a year ago ("last month" would say the other)
        d = _add_months(pub.year, pub.month, -(back if back > 1 else back + 12))
    elif mod == "this":
        d = (pub.year, mo)
    elif fwd and (
        fwd <= 1 or (fwd <= 9 and (_future_context(text, s) or _FORWARD_PREP.search(before)))
    ):
        d = _add_months(pub.year, pub.month, fwd)
    else:
        d = _add_months(pub.year, pub.month, -back)
    return s, e, date(d[0], d[1], 1), "month", True


def _resolve_quarter(m: re.Match[str], s: int, e: int, st: _State) -> _Resolved | None:
    g = m.group
    mods = set(g("q_mods").lower().replace("-", " ").split())
    det = (g("q_det") or "").lower()
    unit = g("q_u").lower()
    q = next((_ORDINALS[w] for w in mods if w in _ORDINALS), None)
    year_s = g("q_y1") or g("q_y2")
    if unit == "period":
        # "period" is a date only as a reporting period: "the latest period", "the 1988 period"
        if not (year_s or {"latest", "ago", "earlier", "comparable", "fiscal"} & mods or q):
            return None
    elif q is None and not (det or year_s or g("q_yrel") or mods):
        return None  # "quarter" alone
    if det == "a" and q is None:
        return None  # "a quarter of ...": a fraction
    if (
        q is None
        and det
        and not (mods or year_s or g("q_yrel"))
        and det not in ("the", "this", "that", "last", "next", "its")
    ):
        return None
    if unit == "quarter" and det in ("the", "a") and not mods and not year_s:
        nxt = m.string[e : e + 4]
        if nxt.startswith(" of"):
            return None  # "the quarter of the city"
    if year_s:
        y = int(year_s)
        return s, e, date(y, 1, 1), "year", True
    base = st.pub if det not in ("that",) else st.ref(s)
    if base is None:
        return None
    pq = (base.month - 1) // 3 + 1
    if g("q_yrel"):
        y = base.year + {"this": 0, "last": -1, "next": 1}[g("q_yrel").lower()]
    elif q is not None:
        y = base.year if q <= pq else base.year - 1
    elif "current" in mods or det == "this":
        y = base.year
    elif det == "next":
        y = base.year + (pq == 4)
    else:  # "the quarter", "the latest quarter", "last quarter": the most recently reported one
        y = base.year if pq > 1 else base.year - 1
    if {"ago", "earlier"} & mods or g("q_rel"):
        y -= 1
    return s, e, date(y, 1, 1), "year", False


def _resolve_season(m: re.Match[str], s: int, e: int, text: str, st: _State) -> _Resolved | None:
    g = m.group
    mod = " ".join((g("s_mod") or "").lower().split())
    season = g("s_s").lower()
    ys = g("s_y")
    if ys:
        y = int(ys) if ys[0].isdigit() else (_spoken_year(ys) or 0)
        return (s, e, date(y, 1, 1), "year", True) if 1000 <= y <= 2999 else None
    if not mod:
        return None  # "prices fall"
    if text[e : e + 3] == " of" or (season == "fall" and mod.startswith("the")):
        return None  # "the fall of the Wall"
    pub = st.pub
    if pub is None:
        return None
    start = _SEASON_START[season]
    # the latest instance of the season that has begun on or before publication
    cur = pub.year if pub.month >= start else pub.year - 1
    ended = (pub.year * 12 + pub.month) > (cur * 12 + start + 2)
    if mod in ("last", "this past"):
        y = cur if ended else cur - 1
    elif mod in ("next", "this coming"):
        y = cur + 1
    elif mod == "this" and ended:
        y = cur + 1 if season != "winter" else cur
        y = pub.year if start > pub.month else y
    else:
        y = cur
    return s, e, date(y, 1, 1), "year", False


def _resolve_rel(m: re.Match[str], s: int, e: int, text: str, st: _State) -> _Resolved | None:
    g = m.group
    w = " ".join(g("rel_w").lower().split())
    mod = " ".join((g("rel_mod") or "").lower().split())
    unit = g("rel_u").lower()
    anaphoric = w in ("the previous", "the following", "the next", "that", "the same", "the")
    if w == "the" and not mod:
        return None  # "the week", "the day": not a date by itself
    if w == "this" and unit == "day" and not mod:
        return None
    if w == "the" and unit == "weekend":
        return None
    if unit == "day":
        if not anaphoric:
            return None
        base = st.ref(s, day=True)
        if base is None:
            return None
        off = {"the previous": -1, "the following": 1, "the next": 1}.get(w, 0)
        return s, e, base + timedelta(days=off), "day", False
    if (
        w == "this"
        and g("rel_w")[0] == "T"
        and g("rel_u")[0] == "W"
        and s > 0
        and text[s - 1] in "\"'“‘"
    ):
        return None  # "This Week", the programme
    if anaphoric:
        base = st.ref(s)
        n = {"the next": 1, "the following": 1, "the previous": -1}.get(w, 0)
    else:
        base = st.pub
        n = {"last": -1, "this": 0, "next": 1, "the current": 0, "the coming": 1}.get(w, 0)
    if base is None:
        return None
    if unit == "weekend":
        sat = _monday(base) + timedelta(days=5 + 7 * n)
        if w == "last" and base.weekday() < 5:
            sat = _monday(base) - timedelta(days=2)
        return s, e, sat, "week", False
    return s, e, _shift(base, n, unit) if n else base, unit, False


# ---------------------------------------------------------------------------
# Public API


def _windows(text: str) -> list[tuple[int, int]]:
    """Merged (start, end) ranges around trigger words; the only places a candidate can be."""
    n = len(text)
    low = " " + text.lower()  # low[i + 1] is text[i]
    if len(low) != n + 1:  # a character whose lower case is longer ("İ"): offsets would shift
        return [(0, n)]
    out: list[tuple[int, int]] = []
    lo_start = hi_end = -1
    cased = _CASED_TRIGGERS
    for m in _TRIGGER.finditer(low):
        s = m.start()  # where the trigger word starts in text
        if text[s].islower() and m.group()[1:] in cased:
            continue  # "may", "march", "sun": month and weekday names must be capitalised
        a = s - _BACK
        b = m.end() - 1 + _AHEAD
        if a <= hi_end:
            hi_end = b
            continue
        if hi_end >= 0:
            out.append((max(0, lo_start), min(n, hi_end)))
        lo_start, hi_end = a, b
    if hi_end >= 0:
        out.append((max(0, lo_start), min(n, hi_end)))
    return out


# expressions that name their year, and expressions counted from publication (the present)
_YEAR_KINDS = frozenset(("iso", "dmy", "mdy"))
_PRESENT_KINDS = frozenset(("wd", "kw", "rel", "ago"))


def _scan(text: str, st: _State) -> list[DateMention]:
    out: list[DateMention] = []
    last_end = 0
    for a, b in _windows(text):
        if b < len(text):
            # never cut an expression at the window's end: extend to the next blank
            sp = text.find(" ", b)
            b = len(text) if sp < 0 else sp
        for m in _RX.finditer(text, max(a, last_end), b):
            try:
                r = _resolve(m, text, st)
            except (ValueError, KeyError, OverflowError, IndexError, TypeError, AttributeError):
                r = None
            if r is None:
                continue
            s, e, d, prec, anchor = r
            while e > s and text[e - 1] in " \t\n,":
                e -= 1
            if e <= s:
                continue
            out.append(DateMention(s, e, text[s:e], _value(d, prec), prec))
            if anchor:
                st.anchor, st.anchor_prec, st.anchor_end = d, prec, e
            kind = m.lastgroup or ""
            if kind in _YEAR_KINDS or (kind in ("md", "dm") and m.group(kind + "_y")):
                st.year = d.year  # a full date with its year: "Feb. 8, 2017"
            elif kind in _PRESENT_KINDS and (kind != "wd" or anchor):
                st.year = None
            last_end = e
    return out


def extract_dates(text: str, published: date | None) -> list[DateMention]:
    """Find and resolve the date expressions in ``text``.

    Offsets index ``text`` exactly as given (``text[m.start:m.end] == m.text``).  Values
    are ``YYYY-MM-DD`` (day; week precision gives the week's Monday), ``YYYY-MM``
    (month) or ``YYYY`` (year), resolved against ``published`` by the conventions in this
    module's docstring.  With ``published=None`` only expressions that carry their own
    year are returned (and anaphora anchored on them).  Never raises: bad input yields
    an empty list.
    """
    if not isinstance(text, str) or not text:
        return []
    if isinstance(published, datetime):
        published = published.date()
    if published is not None and not isinstance(published, date):
        published = None
    try:
        return _scan(text, _State(published))
    except Exception:  # pragma: no cover - last-resort guard: never raise
        guards.note("dates")
        return []




def article_events(paragraphs: Sequence[str], published: date | None) -> list[Event]:
    """One :class:`Event` per date a sentence of ``paragraphs`` names (the most precise
    expression of it: a month is left out when the same sentence names a day of it).

    Each event carries the sentence holding the expression, the resolved date and
    precision, the expression itself, the paragraph index and the expression's offsets
    within that paragraph.  Anaphora ("the following day") resolve against the latest
    date mentioned earlier in the article.  Never raises.
    """
    events: list[Event] = []
    if isinstance(published, datetime):
        published = published.date()
    st = _State(published if isinstance(published, date) else None)
    prev = ""
    try:
        for pi, para in enumerate(paragraphs or ()):
            if pi:
                st.next_text(len(prev))
            prev = para if isinstance(para, str) else ""
            if not prev:
                continue
            mentions = _scan(para, st)
            if not mentions:
                continue
            sents = split_sentences(para)
            placed = [(mm, next(((a, b) for a, b in sents if a <= mm.start < b), (0, len(para))))
                      for mm in mentions]
            for mm, sent in placed:
                # one event per date a sentence names, at its most precise: "in November,
                # on Nov. 25" is 2017-11-25 once, not also 2017-11; the same day twice is once
                if any(o is not mm and osent == sent and (
                        (o.value != mm.value and o.value.startswith(mm.value))
                        or (o.value == mm.value and o.start < mm.start))
                       for o, osent in placed):
                    continue
                events.append(
                    Event(
                        date=mm.value,
                        precision=mm.precision,
                        expression=mm.text,
                        text=para[sent[0] : max(sent[1], min(mm.end, len(para)))].strip(),
                        paragraph=pi,
                        start=mm.start,
                        end=mm.end,
                    )
                )
    except Exception:  # pragma: no cover - never raise
        guards.note("dates")
        return events
    return events
