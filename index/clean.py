"""Cleaning: make untrusted text safe and searchable, and recognise boilerplate lines.

Two jobs live here, both pure functions on strings:

* :func:`clean_text` strips what must never reach a terminal or the index: C0/C1 control
  characters, ANSI/OSC escape sequences, bidi overrides and zero-width characters; it also
  NFC-normalises so that the same word is always the same string.
* The ``is_*`` predicates and :func:`boilerplate_kind` recognise lines that are page furniture
  rather than article text: share/print widgets, copyright and contact footers, section labels,
  photo credits and captions, "N MIN READ", agency signatures. The rules are general (they are meant
  for outlets they were never tuned on), not lists of the seed articles' strings.

The parser (:mod:`index.parse`) decides *where* a rule applies (header, tail, anywhere).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "boilerplate_kind",
    "clean_text",
    "is_caption",
    "is_section_label",
    "normalize_ws",
    "source_from_copyright",
]

# --- clean_text ---------------------------------------------------------------------------------

# Escape sequences first (so their parameter bytes go with them), then stray control characters.
_ESCAPES = re.compile(
    # OSC ... BEL/ST, and C1 OSC; DCS / PM / APC / SOS strings. Only terminated ones within a
    # line: an unterminated one loses just its introducer (below), never the rest of the text.
    r"(?:\x1b\][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)"
    r"|\x9d[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[P^_X][^\x1b\x9c\n]*(?:\x1b\\|\x9c)"
    r"|\x1b\[[0-?]*[ -/]*[@-~]"  # CSI (colours, cursor moves)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # C1 CSI
    r"|\x1b[ -/]*[0-~]?)"  # other two-byte escapes (ESC c, ESC ( B, ...)
)
# C0 except \t \n; DEL; C1; bidi embeddings/overrides/isolates; zero-width chars; soft hyphen;
# BOM; interlinear annotation marks.
_STRIP = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_LINE_SEPS = re.compile("[\u2028\u2029\x85]")  # Unicode line/paragraph separators (and NEL)
_NEEDS_WORK = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)


def clean_text(s: str) -> str:
    """Return ``s`` safe to display and index.

    Removes ANSI/OSC escape sequences, C0/C1 control characters (``\\n`` and ``\\t`` are kept;
    ``\\r`` is dropped, so normalise newlines *before* calling this), bidi embedding/override/
    isolate characters (U+202A-202E, U+2066-2069), zero-width characters and the soft hyphen; turns
    U+2028/U+2029 into newlines; NFC-normalises. Words stay searchable: ``"Da\\u200besh"`` becomes
    ``"Daesh"``. Idempotent.
    """
    if _NEEDS_WORK.search(s) is not None:
        s = _LINE_SEPS.sub("\n", s)
        if "\x1b" in s or "\x9b" in s or "\x9d" in s:
            s = _ESCAPES.sub("", s)
        s = _STRIP.sub("", s)
    if not s.isascii() and not unicodedata.is_normalized("NFC", s):
        s = unicodedata.normalize("NFC", s)
    return s


_WS = re.compile(r"\s+")


def normalize_ws(s: str) -> str:
    """Collapse every run of whitespace (tabs, NBSP, newlines...) to one space and strip."""
    return _WS.sub(" ", s).strip()


# --- boilerplate lines --------------------------------------------------------------------------

# Widget lines are made only of these words (and punctuation); at least one must be a "strong" one.
_WIDGET_STRONG = frozenset(
    [
        "share",
        "shares",
        "print",
        "email",
        "e-mail",
        "mail",
        "zoom",
        "zoom+",
        "zoom-",
        "tweet",
        "twitter",
        "facebook",
        "whatsapp",
        "linkedin",
        "pinterest",
        "reddit",
        "telegram",
        "messenger",
        "flipboard",
        "sms",
        "x.com",
        "bookmark",
        "comments",
        "comment",
        "a+",
        "a-",
        "a+a-",
        "font-size",
    ]
)
_WIDGET_WEAK = frozenset(
    [
        "on",
        "via",
        "by",
        "the",
        "this",
        "article",
        "story",
        "page",
        "link",
        "copy",
        "url",
        "to",
        "save",
        "font",
        "size",
        "text",
        "+",
        "-",
        "|",
        "/",
        "reset",
        "more",
        "google+",
        "google",
        "listen",
        "download",
        "pdf",
        "subscribe",
        "follow",
        "us",
        "and",
        "or",
        "in",
        "with",
        "your",
        "our",
        "send",
        "print-friendly",
        "friendly",
        "version",
        "reprint",
        "reprints",
        "permalink",
        "icon",
    ]
)
_WIDGET_ALL = _WIDGET_STRONG | _WIDGET_WEAK
_WIDGET_SEP = re.compile(r"[|•·/]")
_WIDGET_TOKEN = re.compile(r"[^\s|•·/]+")

_COPYRIGHT = re.compile(
    r"©|\(c\)\s*(?:19|20)\d\d|\bcopyright\s*(?:©|\(c\))?\s*(?:19|20)\d\d|all rights reserved"
    r"|\b(?:tel|fax|phone)\s*[:.]\s*\+?\(?\d"
    r"|(?:can ?not|may not|must not) be (?:re)?(?:published|reproduced|printed|copied|distributed)"
    r"|(?:published|reproduced|reprinted|redistributed) without (?:prior )?(?:written )?permission",
    re.IGNORECASE,
)
# Weaker signs, trusted only on short lines that are not sentences.
_CONTACT = re.compile(
    r"^(?:copyright\b.*|contact us|about us|terms (?:of use|of service|and conditions)"
    r"|privacy policy|cookie (?:policy|settings)|(?:e-?mail|phone|tel|fax|address)\s*:.*)$",
    re.IGNORECASE,
)
_MIN_READ = re.compile(r"^\d{1,3}\s*[-–]?\s*min(?:ute)?s?\.?\s+read$", re.IGNORECASE)
_SIGNATURE = re.compile(
    r"^[-–—(\s]*(?:reuters?|afp|ap|dpa|upi|xinhua|more|end|ends|\(?more\)?)[\s.)…]*$",
    re.IGNORECASE,
)
_FURNITURE = re.compile(
    r"^(?:advertisement|advertising|sponsored(?: content)?|ad|scroll to continue(?: with content)?"
    r"|continue reading(?: below)?|skip to (?:main )?content|loading\.*|click here.{0,60}"
    r"|read more|read more:.*|also read:.*|related:.*|see also:.*|story continues below"
    r"|(?:subscribe|sign up)(?: now| today)?(?: to [\w ]{1,40})?[.!]?"
    r"|show comments|view comments|\d+ comments?|back to top|top of page"
    r"|listen to (?:this|the) (?:article|story)|audio version|print this (?:article|page)"
    r"|(?:photo|image|video|gallery) ?\d+ ?(?:of|/) ?\d+)$",
    re.IGNORECASE,
)

# Photo credits and captions. A caption is a line that *ends* in a credit; a credit line is one
# that *is* one.
_AGENCY = (
    r"(?:AFP|AP|AA|EPA|DPA|IHA|DHA|UPI|ANSA|Xinhua|Reuters|REUTERS|Getty(?: Images)?|Shutterstock"
    r"|iStock(?:photo)?|Alamy|Anadolu(?: Agency)?|Sipa|Zuma(?: Press)?|Bloomberg|PA(?: Wire)?"
    r"|EPA-EFE|EFE|Sputnik|TASS|Corbis|Wikimedia(?: Commons)?)"
)
_CAPTION_END = re.compile(
    r"(?:(?<![A-Z])/\s*" + _AGENCY + r"(?:\s*(?:photo|file|archive|pool)s?)?\.?"  # "... / AFP"
    r"|\(\s*(?:" + _AGENCY + r"\s*)?(?:photo|file photo|archive photo|photograph|picture|image)s?"
    r"(?:\s*(?:by|:|/)\s*[^()]{1,60})?\s*\)\.?"  # "(AFP photo)", "(Photo: X)"
    r"|\(\s*" + _AGENCY + r"\s*(?:/[^()]{1,60})?\)\.?"  # "(Reuters/John Doe)"
    r"|\b(?:photo|photograph|picture|image|credit)s?\s*(?:credit)?\s*(?::|by)\s*[^.!?]{1,60}"
    r"|\bGetty Images(?: for [^.]{1,40})?\.?"
    r"|\b" + _AGENCY + r"\s+(?:photo|file photo|pool photo)s?\.?)\s*$",
    re.IGNORECASE,
)
_CREDIT_ANYWHERE = re.compile(
    r"\b(?:REUTERS|Reuters|AFP|AP|EPA(?:-EFE)?|AA)\s*/\s*[A-Z][a-z]+"  # REUTERS/Thaier Al-Sudani
)
_CREDIT_LINE = re.compile(
    r"^(?:(?:photo|photograph|picture|image|credit|file photo)s?\s*(?:credit)?\s*(?::|by)\s*.{1,80}"
    r"|" + _AGENCY + r"(?:\s*(?:photo|file|pool|archive|images?))*\s*(?:/\s*[\w .'-]{1,60})?"
    r"|(?:photo|file|pool|archive)\s*:?\s*" + _AGENCY + r".{0,40})$",
    re.IGNORECASE,
)
# Residue of stripped HTML inline tags, e.g. "emAP Photo/em" from "<em>AP Photo</em>".
_TAG_RESIDUE = re.compile(
    r"^(?:em|i|b|strong|small|span|figcaption|cite)(.+?)/(?:em|i|b|strong|small|span|figcaption|cite)$"
)
_TERMINAL = frozenset(".!?:;\"”’'»)…")


def _is_widget(line: str) -> bool:
    if len(line) > 120:
        return False
    low = line.lower()
    first = low.split(None, 1)[0]
    if first.strip(".,:;!()[]") not in _WIDGET_ALL and _WIDGET_SEP.search(first) is None:
        return False  # cheap exit for ordinary text
    tokens = _WIDGET_TOKEN.findall(low)
    if not tokens:
        return False
    strong = False
    for tok in tokens:
        t = tok.strip(".,:;!()[]")
        if t in _WIDGET_STRONG:
            strong = True
        elif t and t not in _WIDGET_WEAK:
            return False
    return strong


def is_caption(line: str) -> bool:
    """A photo caption or credit line: ends in a credit ("... / AFP", "(AFP photo)", "Photo: X",
    "Getty Images"), names a photographer ("REUTERS/Jane Doe"), or is only a credit ("AP Photo",
    "emAP Photo/em")."""
    if len(line) > 600:
        return False
    m = _TAG_RESIDUE.match(line)
    if m is not None:
        line = m.group(1).strip()
    # The end patterns are bounded, so the tail is enough (and keeps long lines cheap).
    tail = line[-140:]
    low = tail.lower()
    hint = (
        "/" in tail
        or "(" in tail
        or "photo" in low
        or "image" in low
        or "picture" in low
        or "credit" in low
    )
    if (hint or len(line) <= 30) and len(line) <= 120 and _CREDIT_LINE.match(line) is not None:
        return True
    if hint:
        if _CAPTION_END.search(tail) is not None:
            return True
        return "/" in line and _CREDIT_ANYWHERE.search(line) is not None
    return False


def is_section_label(line: str) -> bool:
    """A short ALL-CAPS label ("WORLD", "YEREL HABERLER", "MIDDLE EAST"): at most four words,
    no digits, no sentence punctuation."""
    if len(line) > 40 or not line.isupper() or line[-1] in _TERMINAL:
        return False
    if len(line.split()) > 4:
        return False
    return not any(ch.isdigit() for ch in line)


def boilerplate_kind(line: str) -> str | None:
    """Name the kind of boilerplate ``line`` is, or ``None`` if it may be article text.

    ``line`` is stripped and whitespace-normalised. Kinds: ``widget`` (share/print/zoom...),
    ``copyright`` (copyright and contact lines), ``min-read``, ``signature`` (a lone agency name or
    "MORE" closing wire copy), ``furniture`` ("Advertisement", "Read more", ...), ``caption``.
    Section labels are *not* judged here: an ALL-CAPS line may be a wire headline, so the parser
    decides by position (see :func:`is_section_label`).
    """
    n = len(line)
    if n <= 120:
        if _is_widget(line):
            return "widget"
        if line[0].isdigit() and _MIN_READ.match(line) is not None:
            return "min-read"
        if n <= 16 and _SIGNATURE.match(line) is not None:
            return "signature"
        if _FURNITURE.match(line) is not None:
            return "furniture"
    if n <= 500:
        low = line.lower()
        if (
            "©" in line
            or "(c)" in low
            or "right" in low
            or "tel" in low
            or "fax" in low
            or "phone" in low
            or "permission" in low
            or "not be" in low
        ) and _COPYRIGHT.search(line) is not None:
            return "copyright"
    if n <= 100 and line[-1] not in ".!?" and _CONTACT.match(line) is not None:
        return "copyright"
    if is_caption(line):
        return "caption"
    return None


# --- source from a copyright footer --------------------------------------------------------------

_CORP_SUFFIX = re.compile(
    r"(?:[\s,.-]+(?:group|media|publications?|publishing|publishers?|press|inc|ltd|limited|llc"
    r"|corp|corporation|co|company|holdings?|network|plc|gmbh|ag|sa|s\.a|a\.ş|as|bv|nv|pty"
    r"|[a-z]{2,}ications?|all|the)\.?)+$",
    re.IGNORECASE,
)
_AFTER_COPY = re.compile(
    r"(?:©|\(c\)|copyright)\s*(?:©\s*)?(?:(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)?\d\d)?)?\s*,?\s*"
    r"(?P<name>[A-Z][\w&.' -]{1,60}?)\s*(?=[.,|;]|\s[-–]\s|\s*all rights|$)",
    re.IGNORECASE,
)
_BEFORE_COPY = re.compile(
    r"^(?P<name>.{2,80}?)\s*(?:all rights reserved|©|\(c\)|copyright)", re.IGNORECASE
)
_LEAD_JUNK = re.compile(r"^(?:copyright|©|\(c\)|(?:19|20)\d\d|[-–,.\s])+", re.IGNORECASE)
_NAME_OK = re.compile(r"^[A-Z0-9][\w&.' -]*$")


def _tidy_outlet(name: str) -> str | None:
    name = _LEAD_JUNK.sub("", name).strip(" -–,.")
    name = _CORP_SUFFIX.sub("", name).strip(" -–,.")
    if not name or len(name) < 2 or len(name.split()) > 5 or _NAME_OK.match(name) is None:
        return None
    if name.lower() in {"all rights reserved", "all", "rights", "the"}:
        return None
    return name


def source_from_copyright(line: str) -> str | None:
    """The outlet named by a copyright footer, e.g. ``"© 2017 The Outlet Inc. All rights reserved"``
    -> ``"The Outlet"``; ``"Milli Gazete Publication Group All Rights Reserved © 2000-2016"`` ->
    ``"Milli Gazete"``. ``None`` when no plausible name is found."""
    m = _AFTER_COPY.search(line)
    if m is not None:
        name = _tidy_outlet(m.group("name"))
        if name is not None and not name.lower().startswith(("can ", "cannot", "all rights")):
            return name
    m = _BEFORE_COPY.search(line)
    if m is not None:
        return _tidy_outlet(m.group("name"))
    return None
