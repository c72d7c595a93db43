"""Article extraction from HTML pages: trafilatura finds the article, our rules clean it.

:func:`extract_page` turns the bytes (or text) of a web page into a :class:`Page`: title,
paragraphs, publication date, byline, site name and URL. The work is split in three:

1. **Decoding** (:func:`decode_html`): a byte-order mark, else the ``charset`` of the
   ``Content-Type`` header, else the page's own ``<?xml encoding?>`` / ``<meta charset>``
   declaration, else UTF-8 if the bytes are valid UTF-8, else detection (charset_normalizer,
   which trafilatura brings), else Windows-1252. A single-byte charset declared for bytes that
   are valid multi-byte UTF-8 loses to UTF-8 (a server's default header is often wrong).
2. **Extraction** by trafilatura (with its metadata): scripts, styles, navigation, comments
   and forms never become text. Its metadata is completed from the page's ``<meta>`` tags
   where it found none (``og:site_name``, the canonical URL).
3. **Cleaning** of what it returns, line by line, with the plain-text parser's rules
   (:mod:`index.parse`, :mod:`index.clean`): untrusted-text cleaning (escape sequences, bidi
   and zero-width characters), date/byline/share-widget/copyright/caption lines taken out,
   copies of the title dropped, a trailing list of unrelated headlines cut.

Nothing here does I/O; nothing imports a UI.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from index.clean import clean_text, normalize_ws
from index.parse import ParsedArticle, ParseError

__all__ = ["Page", "decode_html", "extract_page", "looks_like_html", "page_article"]

# Pages bigger than this are cut before parsing (lxml's tree of a huge page costs ~10x its size).
MAX_HTML_CHARS = 16 * 2**20


# Fewer words than this is not an article (a navigation bar, a cookie notice).
MIN_WORDS = 5
# An extraction shorter than this is checked against trafilatura's fallbacks, which are taken
# when they find SHORT_GAIN times as many words (a section front: see extract_page).
SHORT_WORDS = 100
SHORT_GAIN = 4


@dataclass(frozen=True, slots=True)
class Page:
    """An article extracted from a web page; every string cleaned (see :func:`extract_page`)."""

    title: str | None
    paragraphs: tuple[str, ...]
    published: date | None
    byline: str | None
    site_name: str | None
    url: str | None


# --- decoding -----------------------------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_XML_DECL_ENC = re.compile(rb"^\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([\w.:-]+)[\"']")
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
# WHATWG: these labels mean windows-1252 in a browser, and pages are written for browsers
_AS_CP1252 = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "ascii",
                        "us-ascii", "iso_8859-1", "cp819", "ibm819", "windows-1252"})
_LATIN_GUESS = re.compile(r"^(?:cp125[02-8]|windows-125[02-8]|iso8859_(?:[1-4]|9|1[0356])|latin|mac_(?:roman|latin2|iceland|turkish)|ascii)", re.I)
_SINGLE_BYTE = re.compile(r"^(?:cp|windows-|iso-?8859|latin|koi8|mac|ascii|us-ascii)", re.I)


def _codec(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None if unknown."""
    if not label:
        return None
    label = label.strip().lower()
    if label in _AS_CP1252:
        return "cp1252"
    if label in ("utf8", "unicode-1-1-utf-8"):
        label = "utf-8"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def charset_of(content_type: str | None) -> str | None:
    """The Python codec named by a ``Content-Type`` header's ``charset``, if any and known."""
    if not content_type:
        return None
    m = _CT_CHARSET.search(content_type)
    return _codec(m.group(1)) if m else None


def declared_charset(head: bytes) -> str | None:
    """The codec a document declares in its first bytes (``<?xml encoding?>``, ``<meta charset>``)."""
    head = head[:4096]
    m = _XML_DECL_ENC.match(head) or _META_CHARSET.search(head)
    if m is None:
        return None
    return _codec(m.group(1).decode("ascii", "replace"))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Decode a page or feed: BOM, header charset, declared charset, UTF-8, detection, cp1252.

    Never raises: a codec that fails on the bytes is passed over, and the last resort decodes
    every byte. A single-byte charset (header or declaration) loses to UTF-8 when the bytes are
    valid UTF-8 and not plain ASCII, which a single-byte text almost never is.
    """
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(bom_codec, "replace")
    utf8: bool | None = None  # decided lazily
    for codec in (charset_of(content_type), declared_charset(data)):
        if codec is None:
            continue
        if codec in ("utf-16", "utf-32") or codec.startswith(("utf_16", "utf_32", "utf-16", "utf-32")):
            continue  # without a BOM a declared UTF-16 is a lie (the declaration itself is ASCII)
        if _SINGLE_BYTE.match(codec) and not data.isascii():
            if utf8 is None:
                utf8 = _is_utf8(data)
            if utf8:
                return data.decode("utf-8")
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    if utf8 is None:
        utf8 = _is_utf8(data)
    if utf8:
        return data.decode("utf-8")
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:262144]).best()
        # a guess between Latin single-byte code pages is a coin toss on a short page: keep
        # windows-1252 (the web's legacy default) unless the guess is another script
        if best is not None and best.encoding and not _LATIN_GUESS.match(best.encoding):
            return data.decode(best.encoding, "replace")
    except Exception:  # detection is a guess; never let it fail the page
        pass
    return data.decode("cp1252", "replace")


# --- sniffing -----------------------------------------------------------------------------------

_HTML_HEAD = re.compile(
    rb"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>]|meta\s|title>|article[\s>]|div[\s>]|p>)",
    re.IGNORECASE,
)


def looks_like_html(head: bytes) -> bool:
    """Whether the first bytes of a file look like an HTML page (not a feed, not plain text)."""
    s = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not s.startswith(b"<"):
        return False
    return _HTML_HEAD.search(s) is not None


# --- metadata from <meta> tags -------------------------------------------------------------------


def _meta_content(tree, *keys: str) -> str | None:  # type: ignore[no-untyped-def]
    for key in keys:
        for attr in ("property", "name"):
            for el in tree.iterfind(f".//meta[@{attr}='{key}']"):
                v = el.get("content")
                if v and v.strip():
                    return v.strip()
    return None


def _canonical(tree) -> str | None:  # type: ignore[no-untyped-def]
    for el in tree.iterfind(".//link[@rel='canonical']"):
        href = el.get("href")
        if href and href.strip().lower().startswith(("http://", "https://")):
            return href.strip()
    v = _meta_content(tree, "og:url")
    if v and v.lower().startswith(("http://", "https://")):
        return v
    return None


def host_name(url: str | None) -> str | None:
    """A site's name from its URL when nothing better is known: the host without ``www.``."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.lower().rstrip(".")
    for prefix in ("www.", "www2.", "m.", "mobile.", "amp."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
            break
    return host or None


# --- cleaning trafilatura's output --------------------------------------------------------------

_LIST_MARK = re.compile(r"^[-•*]\s+")
_AUTHOR_JUNK = frozenset({"username", "admin", "administrator", "staff", "editor", "unknown",
                          "anonymous", "null", "none"})


def _clean_field(s: str | None) -> str | None:
    if not s:
        return None
    s = normalize_ws(clean_text(s.replace("\r", " ")))
    return s or None


# What trafilatura sometimes leaves after a name: the month of the date line below it, a role
_BYLINE_TAIL = re.compile(
    r"(?:\s+(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?"
    r"|,?\s+(?:[A-Z][a-z]+\s+)?(?:editor|correspondent|reporter|writer|columnist|contributor"
    r"|producer|analyst))$",
    re.IGNORECASE,
)


def _clean_byline(author: str | None) -> str | None:
    """trafilatura's ``author`` ("A; B") as one byline, duplicates and placeholders dropped."""
    author = _clean_field(author)
    if not author:
        return None
    names: list[str] = []
    seen: set[str] = set()
    for part in author.split(";"):
        part = part.strip(" ,")
        part = re.sub(r"^by\s+", "", part, flags=re.IGNORECASE)
        cut = _BYLINE_TAIL.sub("", part)
        if len(cut.split()) >= 2:  # a name stays: "Ben Silverman Games Editor" -> "Ben Silverman"
            part = cut
        key = part.casefold()
        if not part or key in seen or key in _AUTHOR_JUNK:
            continue
        seen.add(key)
        names.append(part)
    return ", ".join(names) if names else None


_INITIAL = re.compile(r"(?<![\w.])([A-Z])(?=\s)")


def _dotted_initials(byline: str | None, page_text: str) -> str | None:
    """trafilatura drops the period of a middle initial ("Nelson D Schwartz"): put it back when
    the page writes the name with it ("Nelson D. Schwartz")."""
    if not byline or _INITIAL.search(byline) is None:
        return byline
    dotted = _INITIAL.sub(r"\1.", byline)
    for name in dotted.split(", "):
        if name not in page_text:
            return byline
    return dotted


def _clean_site(site: str | None, url: str | None) -> str | None:
    site = _clean_field(site)
    if site and site.lower().startswith(("http://", "https://", "www.")):
        return host_name(site if "://" in site else "http://" + site)
    return site


def _date_of(s: str | None) -> date | None:
    if not s:
        return None
    try:
        return date.fromisoformat(s[:10])
    except ValueError:
        return None


# A label above a list of links to other stories ("Other Opinion Columns", "More Stories")
_TEASER_LABEL = re.compile(
    r"^(?:other|more|latest|recent|popular|top|related|recommended)\b[\w'’ &-]{0,40}"
    r"\b(?:columns|stories|articles|news|posts|videos|reads|headlines|coverage)\s*[:>»]?$",
    re.IGNORECASE,
)
_PUNCT_END = frozenset(".!?\"”’'…")


# A link line inside an article: "Related: <a headline of several words>"
_INLINE_LINK = re.compile(r"^(?:related|read more|also read|see also)\s*:\s*\S+(?:\s+\S+){3,}",
                          re.IGNORECASE)


def _cut_teasers(paras: list[str]) -> list[str]:
    """Cut a trailing "Other ... Stories" label and the headlines and teasers under it: short
    lines, at most half of them ending like sentences (teasers), after some article text."""
    for j in range(1, len(paras)):
        s = paras[j]
        if len(s) > 50 or _TEASER_LABEL.match(s.lstrip("• ")) is None:
            continue
        rest = paras[j + 1 :]
        if rest and all(len(r) <= 250 for r in rest):
            ends = sum(r[-1] in _PUNCT_END for r in rest)
            if ends * 2 <= len(rest) + 1:
                return paras[:j]
    return paras


def _paragraphs(text: str, title: str | None) -> tuple[tuple[str, ...], str | None]:
    """Our rules on trafilatura's text (one block per line): untrusted-text cleaning, metadata
    and boilerplate lines out, title copies out, a trailing headline list cut. Returns the
    paragraphs and the byline of a "By ..." line, if the text had one."""
    from index.parse import _LABEL, _META, _TEXT, _classify, _cut_tail, _Meta

    text = clean_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    meta = _Meta()
    allow_fallback = [False]  # dates come from the metadata; no slow dateparser per line
    items: list[tuple[int, str, str, int]] = []
    title_key = title.casefold().rstrip(" .") if title else None
    for block, raw in enumerate(text.split("\n")):
        line = normalize_ws(raw)
        if not line:
            continue
        mark = _LIST_MARK.match(line)
        body = line[mark.end() :] if mark else line
        if not body:
            continue
        if title_key is not None and body.casefold().rstrip(" .") == title_key:
            items.append((_META, "title", "", block))
            continue
        if _INLINE_LINK.match(body):
            # "Related: <headline>" inside the article: a page's own link line, which a
            # reader mode (and the extraction benchmark) keeps with the text; the trailing
            # list of headlines is still cut below
            items.append((_TEXT, "", body, block))
            continue
        kind, mk, t = _classify(body, meta, allow_fallback)
        if kind == _LABEL:
            kind = _META
        if kind == _TEXT and mark:
            t = "• " + t
        items.append((kind, mk, t, block))
    texts = [j for j, it in enumerate(items) if it[0] == _TEXT]
    if not texts:
        return (), meta.byline
    end = _cut_tail(items, texts, set())
    out = [it[2] for it in items[:end] if it[0] == _TEXT]
    out = _cut_teasers(out)
    # short list items above the first paragraph are the page's header furniture
    # ("24 July 2015", "From the section US & Canada", "941 comments"), not the article
    lead = 0
    while lead < len(out) and out[lead].startswith("• ") and len(out[lead].split()) <= 7:
        lead += 1
    if lead < len(out):
        out = out[lead:]
    # and a run of short list items without sentence ends below the last paragraph is the
    # page's topic/tag list ("• Politics & Government", "• Arts & Entertainment")
    tail = len(out)
    while (tail > 1 and out[tail - 1].startswith("• ") and len(out[tail - 1].split()) <= 5
           and out[tail - 1][-1] not in _PUNCT_END):
        tail -= 1
    if len(out) - tail >= 2 and tail > 0 and not out[tail - 1].startswith("• "):
        out = out[:tail]
    return tuple(out), meta.byline


# --- public API ---------------------------------------------------------------------------------


def _trafilatura(source, url: str | None, *, fast: bool):  # type: ignore[no-untyped-def]
    """trafilatura's document for an lxml tree or a string (None when it finds no text)."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            source, url=url, fast=fast, with_metadata=True, include_comments=False,
            include_tables=True, include_images=False, include_links=False, deduplicate=False,
        )
    except Exception as exc:  # a bug in the extractor must not stop a batch
        raise ParseError(f"could not extract the page ({type(exc).__name__})") from None
    if doc is None or isinstance(doc, dict) or not (doc.text or "").strip():
        return None
    return doc


def extract_page(
    data: bytes | str, *, url: str | None = None, content_type: str | None = None
) -> Page:
    """Extract the article of one web page.

    ``data`` is the page as fetched or saved (bytes are decoded with :func:`decode_html`, using
    ``content_type``, the HTTP header, when given). ``url`` is where it came from (else the
    page's canonical URL is used). Raises :class:`~index.parse.ParseError`: ``'empty page'``,
    ``'not an HTML page'``, ``'no article text found in the page'``.
    """
    from trafilatura.utils import load_html

    text = decode_html(data, content_type) if isinstance(data, bytes) else data
    if not text.strip():
        raise ParseError("empty page")
    if len(text) > MAX_HTML_CHARS:
        text = text[:MAX_HTML_CHARS]
    text = _XML_DECL.sub("", text, count=1)
    try:
        tree = load_html(text)
    except Exception:  # lxml raises assorted errors on garbage
        tree = None
    if tree is None:
        raise ParseError("not an HTML page")
    # our own look at the <head>, before trafilatura prunes the tree
    canonical = _canonical(tree)
    og_site = _meta_content(tree, "og:site_name", "application-name")
    og_title = _meta_content(tree, "og:title", "twitter:title")
    # trafilatura's own extractor first; its fallbacks (readability, justext) only when that
    # finds nothing: on pages where its extractor succeeds, the fallbacks' "better" guess
    # tends to be a longer block of teasers or comments
    doc = _trafilatura(tree, url, fast=True)
    words = len((doc.text or "").split()) if doc is not None else 0
    if words < MIN_WORDS:
        doc = _trafilatura(text, url, fast=False)
    elif words < SHORT_WORDS:
        # a few lines of a page with much more to say: trafilatura's extractor took one block
        # of a section front (a list of stories, each a headline, a teaser and a byline); its
        # fallbacks see the list. Taken only when they find several times as much.
        wider = _trafilatura(text, url, fast=False)
        if wider is not None and len((wider.text or "").split()) >= SHORT_GAIN * words:
            doc = wider
    if doc is None:
        raise ParseError("no article text found in the page")
    title = _clean_field(doc.title) or _clean_field(og_title)
    paragraphs, text_byline = _paragraphs(doc.text or "", title)
    if sum(len(p.split()) for p in paragraphs) < MIN_WORDS:
        raise ParseError("no article text found in the page")
    page_url = url or _clean_field(doc.url) or canonical
    site = _clean_site(doc.sitename, page_url) or _clean_site(og_site, page_url)
    if site and title and fold_eq(site, title):
        site = None  # application-name is sometimes the page's title
    return Page(
        title=title,
        paragraphs=paragraphs,
        published=_date_of(doc.date),
        byline=_dotted_initials(_clean_byline(doc.author) or _clean_byline(text_byline), text),
        site_name=site,
        url=page_url,
    )


def fold_eq(a: str, b: str) -> bool:
    return a.casefold().strip() == b.casefold().strip()


def page_article(page: Page, *, source_hint: str | None = None) -> ParsedArticle:
    """A :class:`Page` as an article to store: outlet = site name, else ``source_hint``, else
    the URL's host. The title falls back to the first sentence (as for plain text)."""
    from index.parse import _title_from_body

    if not page.paragraphs:
        raise ParseError("no article text found in the page")
    source = page.site_name or _clean_field(source_hint) or host_name(page.url)
    title = page.title or _title_from_body(page.paragraphs[0]) or page.paragraphs[0][:100]
    return ParsedArticle(
        title=normalize_ws(title),
        source=source,
        published=page.published,
        byline=page.byline,
        paragraphs=page.paragraphs,
        url=page.url,
    )
