"""Feed parsing: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed 1.x through ``json``.

:func:`parse_feed` turns the bytes of a feed into a :class:`Feed` of :class:`FeedItem` s;
:func:`item_article` turns one item (and, when it was fetched, the extracted full page) into a
:class:`~index.parse.ParsedArticle` that the library stores like any other article.

Items are keyed for matching across refreshes (:attr:`FeedItem.key`): the guid/id, else the
link normalised by :func:`normalise_link` (tracking parameters and fragment dropped), else a
hash of title and date. An item without any date gets the fetch time and says so.

Hostile XML: a feed's DOCTYPE (with any ``<!ENTITY>`` declaration in it) is removed before
feedparser sees the document, so an entity can neither expand (billion laughs) nor read a file
(external entities); references to the removed entities stay unexpanded and the feed is still
read, with a problem line. feedparser itself also never fetches external entities and
sanitises item HTML (scripts, styles, event handlers removed).

Nothing here does I/O; nothing imports a UI.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from index.clean import clean_text, normalize_ws
from index.extract import Page, decode_html
from index.parse import ParsedArticle, ParseError

__all__ = [
    "Feed",
    "FeedItem",
    "html_paragraphs",
    "item_article",
    "looks_like_feed",
    "normalise_link",
    "parse_feed",
]

# A body shorter than this many words is a summary, whatever the feed calls it.
SUMMARY_WORDS = 100
_MORE = re.compile(
    r"(?:…|\.\.\.|\[(?:…|\.\.\.)\]|\b(?:read|see|view) (?:the )?(?:more|full (?:story|article)"
    r"|the rest)|\bcontinue reading\b.*|\bkeep reading|\bmore\s*(?:»|>>|→))"
    r"\s*[»>→.…\])]*\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a feed, its strings cleaned (``body_html`` is as the feed gave it).

    ``key`` identifies the item across refreshes: the guid/id, else the normalised link, else a
    hash of title and date. ``published`` is the item's published date, else its updated date,
    else the fetch time (then ``dated_by_fetch``). ``body_html`` is the full content when the
    feed carries it, else the summary; ``body_type`` says whether it is HTML (``text/html``) or
    plain text (``text/plain``). ``is_summary`` is True when the body came from a summary, is
    short, or ends in "…", "Read more", "Continue reading".
    """

    key: str
    title: str
    link: str | None
    published: datetime | None
    dated_by_fetch: bool
    byline: str | None
    body_html: str | None
    is_summary: bool
    updated: datetime | None = None
    body_type: str = "text/html"


@dataclass(frozen=True, slots=True)
class Feed:
    """A parsed feed: its title and site link, its items, and a problem line if it was damaged
    (malformed or cut short: the items before the damage are still there)."""

    title: str | None
    link: str | None
    items: tuple[FeedItem, ...]
    problem: str | None


# --- sniffing -----------------------------------------------------------------------------------

_SKIP_PROLOG = re.compile(
    rb"\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]*\[.*?\]\s*>|[^>]*>)", re.DOTALL | re.IGNORECASE
)
_DOCTYPE_NAME = re.compile(rb"<!DOCTYPE\s+([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)", re.IGNORECASE)
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")


def _root_element(head: bytes) -> tuple[bytes, bytes] | None:
    """(prefix, local name) of the first element of an XML document's head, if any."""
    pos = 0
    n = len(head)
    while pos < n:
        m = _SKIP_PROLOG.match(head, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
    m = _ROOT.match(head, pos)
    if m is None:
        # a DOCTYPE longer than the head: its name is the root element's
        d = _DOCTYPE_NAME.match(head, pos)
        if d is None:
            return None
        return (d.group(1) or b"").lower(), d.group(2).lower()
    return (m.group(1) or b"").lower(), m.group(2).lower()


def _xml_head(head: bytes) -> bytes:
    """The first bytes as ASCII-compatible bytes (UTF-16/32 with a BOM re-encoded)."""
    head = head[:8192]
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                       (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom):].decode(codec, "ignore").encode("utf-8", "ignore")
    return head.removeprefix(b"\xef\xbb\xbf")


def _is_json_feed(head: bytes) -> bool:
    s = head.lstrip()
    return s.startswith(b"{") and b"jsonfeed.org/version" in head


def looks_like_feed(head: bytes) -> bool:
    """Whether a document's first bytes (a KB is enough) are an RSS, Atom, RDF or JSON feed.

    Looks at the root element: ``<rss>``, ``<feed>`` (Atom), ``<rdf:RDF>`` (RSS 1.0), or a
    JSON object naming ``jsonfeed.org/version``. An HTML page is not a feed.
    """
    head = _xml_head(head)
    if _is_json_feed(head):
        return True
    root = _root_element(head)
    if root is None:
        return False
    prefix, name = root
    if name in (b"rss", b"feed", b"channel"):
        return True
    return name == b"rdf" and b"purl.org/rss" in head or (name == b"rdf" and prefix == b"rdf:")


# --- links --------------------------------------------------------------------------------------

_TRACKING = frozenset({
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "mc_cid", "mc_eid", "yclid", "igshid",
    "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id",
    "wickedid", "rb_clickid", "s_cid", "ncid", "cmpid", "ito", "soc_src", "soc_trk",
    "at_medium", "at_campaign", "ocid", "sr_share", "smid", "cid_source",
})
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")


def normalise_link(url: str) -> str:
    """A link as a stable key: scheme and host lowercased, default port, fragment and
    tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ...) dropped; the other
    query parameters kept in their order. A string that is not a URL comes back stripped."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.partition(":")
    if hostport.startswith("["):  # IPv6 literal
        end = hostport.find("]")
        host, port = hostport[: end + 1], hostport[end + 2 :]
        colon = ":" if port else ""
    host = host.lower().rstrip(".")
    if (scheme, port) in (("http", "80"), ("https", "443")):
        colon, port = "", ""
    netloc = f"{userinfo}{at}{host}{colon}{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


# --- text ---------------------------------------------------------------------------------------


def _clean(s: object) -> str | None:
    if not isinstance(s, str) or not s:
        return None
    s = normalize_ws(clean_text(s.replace("\r", " ")))
    return s or None


_BLOCK_TAGS = frozenset(
    ["p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "tr", "br", "figure", "figcaption", "section", "article", "header", "footer", "aside", "dd", "dt", "dl", "hr", "tbody", "thead"]
)
_DROP_TAGS = ("script", "style", "noscript", "iframe", "object", "embed", "template", "svg",
              "math", "form", "button", "select", "textarea", "head", "title")


def html_paragraphs(fragment: str) -> list[str]:
    """The text of an HTML fragment (a feed item's body), one string per block, cleaned.

    Scripts, styles and embedded objects are dropped; entities decoded; every line passed
    through :func:`~index.clean.clean_text` and whitespace-normalised; empty lines dropped.
    """
    import lxml.etree
    import lxml.html

    if not fragment.strip():
        return []
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return text_paragraphs(fragment)
    for el in list(root.iter(*_DROP_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()  # keeps the text after it
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
            if el.tag.lower() == "li":
                el.text = "• " + (el.text or "")
    text = clean_text(root.text_content().replace("\r\n", "\n").replace("\r", "\n"))
    return [p for p in (normalize_ws(x) for x in text.split("\n")) if p]


def text_paragraphs(text: str) -> list[str]:
    """Plain text as cleaned paragraphs: blank lines separate paragraphs, lines are joined."""
    text = clean_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [normalize_ws(x) for x in text.split("\n")]
    if any(not x for x in lines) and sum(1 for x in lines if x) > 1:
        # blank-line separated blocks, unless every line is its own block already
        out: list[str] = []
        cur: list[str] = []
        for x in lines:
            if x:
                cur.append(x)
            elif cur:
                out.append(" ".join(cur))
                cur = []
        if cur:
            out.append(" ".join(cur))
        return out
    return [x for x in lines if x]


def _is_html(body: str, declared: str | None) -> bool:
    if declared and "html" in declared:
        return True
    if declared and declared.startswith("text/plain"):
        return False
    return bool(re.search(r"</?[a-zA-Z][\w-]*[\s/>]|&(?:#\d+|#x[\da-fA-F]+|[a-zA-Z]+);", body))


def _looks_like_summary(paragraphs: list[str]) -> bool:
    if not paragraphs:
        return True
    words = sum(len(p.split()) for p in paragraphs)
    if words < SUMMARY_WORDS:
        return True
    return _MORE.search(paragraphs[-1]) is not None


# --- dates --------------------------------------------------------------------------------------


def _parse_dt(raw: object, parsed: object) -> datetime | None:
    """A date-time from the raw string (keeping its UTC offset), else feedparser's parse (UTC)."""
    if isinstance(raw, str) and raw.strip():
        s = raw.strip()
        try:
            dt = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
            return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
        except ValueError:
            pass
        try:
            dt = parsedate_to_datetime(s)
            return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
        except (TypeError, ValueError, IndexError):
            pass
    if parsed is not None:
        try:
            return datetime(*parsed[:6], tzinfo=timezone.utc)  # type: ignore[index, misc]
        except (TypeError, ValueError):
            return None
    return None


def _fallback_key(title: str, when: datetime | None) -> str:
    h = hashlib.blake2b(digest_size=8)
    h.update(title.encode("utf-8"))
    h.update(b"\n")
    h.update((when.isoformat() if when else "").encode("ascii"))
    return "hash:" + h.hexdigest()


def _make_item(
    *, guid: object, title: object, link: object, published: datetime | None,
    updated: datetime | None, fetched_at: datetime, byline: object, content: str | None,
    content_type: str | None, summary: str | None, summary_type: str | None,
) -> FeedItem:
    link_s = _clean(link)
    if link_s is not None and not link_s.lower().startswith(("http://", "https://")):
        link_s = None  # a guid feedparser took for a permalink, a relative link without a base
    if content and content.strip():
        body, btype, from_summary = content, content_type, False
    elif summary and summary.strip():
        body, btype, from_summary = summary, summary_type, True
    else:
        body, btype, from_summary = None, None, True
    is_html = body is not None and _is_html(body, btype)
    paragraphs = (html_paragraphs(body) if is_html else text_paragraphs(body)) if body else []
    title_s = _clean(title)
    if title_s is None:
        first = paragraphs[0] if paragraphs else ""
        title_s = first[:100] if first else (link_s or "")
    when = published or updated
    key = _clean(guid)
    if key is None and link_s:
        key = normalise_link(link_s)
    if key is None:
        key = _fallback_key(title_s, when)
    return FeedItem(
        key=key,
        title=title_s,
        link=link_s,
        published=when or fetched_at,
        dated_by_fetch=when is None,
        byline=_clean(byline),
        body_html=body,
        is_summary=from_summary or _looks_like_summary(paragraphs),
        updated=updated,
        body_type="text/html" if is_html else "text/plain",
    )


# --- XML feeds (feedparser) ---------------------------------------------------------------------

_DOCTYPE = re.compile(rb"<!DOCTYPE(?:[^\[>]*\[.*?\]\s*>|[^>]*>)", re.DOTALL | re.IGNORECASE)


def _strip_doctype(data: bytes) -> tuple[bytes, str | None]:
    """Remove a DOCTYPE from the prolog; a problem line if it declared entities."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        # UTF-16/32: work on a UTF-8 copy
        text = decode_html(data)
        data = text.encode("utf-8")
        data = re.sub(rb"^(\s*<\?xml[^>]*?)encoding\s*=\s*[\"'][^\"']*[\"']", rb"\1", data)
    first = re.search(rb"<[A-Za-z_]", data)
    end = first.start() if first else len(data)
    m = _DOCTYPE.search(data, 0, end)
    if m is None:
        if b"<!ENTITY" in data[:end].upper():
            return b"", "feed declares XML entities outside a DOCTYPE (refused)"
        return data, None
    problem = None
    if b"<!ENTITY" in m.group(0).upper():
        problem = "the feed declares XML entities; they were not expanded"
    return data[: m.start()] + data[m.end() :], problem


_EMAIL_NAME = re.compile(r"^\s*\S+@\S+\s*\((?P<name>[^()]+)\)\s*$")


def _author_name(author: object) -> str | None:
    """An RSS ``<author>`` as a name: ``"news@x.org (Jane Roe)"`` gives ``Jane Roe``; a bare
    e-mail address gives nothing."""
    if not isinstance(author, str):
        return None
    m = _EMAIL_NAME.match(author)
    if m:
        return m.group("name")
    if "@" in author and " " not in author.strip():
        return None
    return author


def _absolute(link: object, base: str | None) -> str | None:
    if not isinstance(link, str) or not link.strip():
        return None
    link = link.strip()
    if base and "://" not in link[:12]:
        from urllib.parse import urljoin

        link = urljoin(base, link)
    return link


def _text_of(detail: object) -> tuple[str | None, str | None]:
    if not detail:
        return None, None
    value = detail.get("value") if hasattr(detail, "get") else None  # type: ignore[union-attr]
    ctype = detail.get("type") if hasattr(detail, "get") else None  # type: ignore[union-attr]
    return (value if isinstance(value, str) else None), ctype


def _parse_xml_feed(data: bytes, url: str | None, content_type: str | None,
                    fetched_at: datetime, problem: str | None) -> Feed:
    import feedparser
    # no base URL for feedparser: it would "resolve" guids/ids against it too; links are
    # resolved here instead
    headers = {"content-type": content_type} if content_type else {}
    result = feedparser.parse(data, response_headers=headers, sanitize_html=True,
                              resolve_relative_uris=True)
    feed = result.get("feed", {})
    entries = result.get("entries", [])
    version = result.get("version") or ""
    if not version and not entries and not feed.get("title"):
        raise ParseError("not a feed (no RSS, Atom or JSON Feed found)")
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        name = type(exc).__name__
        if name not in ("CharacterEncodingOverride", "NonXMLContentType"):
            msg = re.sub(r"^<unknown>:", "line ", normalize_ws(str(exc))) or name
            line = f"malformed feed ({msg})"
            problem = f"{problem}; {line}" if problem else line
    items: list[FeedItem] = []
    for e in entries:
        contents = e.get("content") or []
        content, ctype = None, None
        for c in contents:  # the longest full content (some feeds carry text and HTML)
            v = c.get("value")
            if isinstance(v, str) and v.strip() and (content is None or len(v) > len(content)):
                content, ctype = v, c.get("type")
        summary, stype = _text_of(e.get("summary_detail"))
        if summary is None:
            summary = e.get("summary") if isinstance(e.get("summary"), str) else None
        if content is not None and summary is not None and content.strip() == summary.strip():
            # feedparser files a lone RSS <description> as both; it is the summary
            content = None
        detail = e.get("author_detail") or {}
        author = detail.get("name") or _author_name(e.get("author"))
        if not author and e.get("authors"):
            names = [a.get("name") for a in e["authors"] if a.get("name")]
            author = ", ".join(names) if names else None
        items.append(_make_item(
            guid=e.get("id"),
            title=e.get("title"),
            link=_absolute(e.get("link"), url),
            # dict.get: feedparser's own get maps a missing "published" to "updated", warning
            published=_parse_dt(dict.get(e, "published"), dict.get(e, "published_parsed")),
            updated=_parse_dt(dict.get(e, "updated"), dict.get(e, "updated_parsed")),
            fetched_at=fetched_at,
            byline=author,
            content=content, content_type=ctype,
            summary=summary, summary_type=stype,
        ))
    return Feed(
        title=_clean(feed.get("title")),
        link=_clean(_absolute(feed.get("link"), url)),
        items=tuple(items),
        problem=problem,
    )


# --- JSON Feed ----------------------------------------------------------------------------------


def _parse_json_feed(data: bytes, fetched_at: datetime, url: str | None = None) -> Feed:
    try:
        doc = json.loads(decode_html(data, "application/json; charset=utf-8"))
    except (json.JSONDecodeError, RecursionError) as e:
        msg = getattr(e, "msg", "nested too deeply")
        raise ParseError(f"invalid JSON Feed ({msg})") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
        ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
    ):
        raise ParseError("not a feed (a JSON document without a JSON Feed version)")
    raw_items = doc.get("items")
    problem = None
    if not isinstance(raw_items, list):
        raw_items, problem = [], "JSON Feed without an items list"
    feed_authors = _json_authors(doc)
    items: list[FeedItem] = []
    skipped = 0
    for it in raw_items:
        if not isinstance(it, dict):
            skipped += 1
            continue
        body_html = it.get("content_html") if isinstance(it.get("content_html"), str) else None
        text = it.get("content_text") if isinstance(it.get("content_text"), str) else None
        summary = it.get("summary") if isinstance(it.get("summary"), str) else None
        guid = it.get("id")
        if isinstance(guid, (int, float)) and not isinstance(guid, bool):
            guid = str(guid)
        items.append(_make_item(
            guid=guid,
            title=html.unescape(it["title"]) if isinstance(it.get("title"), str) else None,
            link=_absolute(it.get("url") or it.get("external_url"), url),
            published=_parse_dt(it.get("date_published"), None),
            updated=_parse_dt(it.get("date_modified"), None),
            fetched_at=fetched_at,
            byline=_json_authors(it) or feed_authors,
            content=body_html if body_html else text,
            content_type="text/html" if body_html else "text/plain",
            summary=summary, summary_type="text/plain",
        ))
    if skipped:
        line = f"{skipped} item(s) that are not JSON objects skipped"
        problem = f"{problem}; {line}" if problem else line
    title = doc.get("title")
    return Feed(
        title=_clean(html.unescape(title) if isinstance(title, str) else None),
        link=_clean(_absolute(doc.get("home_page_url"), url)),
        items=tuple(items),
        problem=problem,
    )


def _json_authors(obj: dict) -> str | None:
    authors = obj.get("authors")
    if not isinstance(authors, list):
        authors = [obj["author"]] if isinstance(obj.get("author"), dict) else []
    names = [a["name"] for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)]
    return ", ".join(n for n in names if n.strip()) or None


# --- public API ---------------------------------------------------------------------------------


def parse_feed(
    data: bytes, *, url: str | None = None, content_type: str | None = None,
    fetched_at: datetime,
) -> Feed:
    """Parse a feed document (RSS, Atom, RDF, or JSON Feed).

    ``content_type`` is the HTTP header (its charset is used), ``url`` where it came from
    (relative links resolve against it), ``fetched_at`` the date given to undated items.
    Raises :class:`~index.parse.ParseError` if the document is not a feed at all; a damaged
    feed whose items can still be read returns them with :attr:`Feed.problem` set.
    """
    if not data or not data.strip():
        raise ParseError("empty feed")
    head = _xml_head(data[:8192])
    problem = None
    if head.lstrip().startswith(b"<"):
        data, problem = _strip_doctype(data)  # before sniffing: a long DOCTYPE hides the root
        if not data:
            raise ParseError(problem or "empty feed")
        head = _xml_head(data[:8192])
    if _is_json_feed(head) or (head.lstrip().startswith(b"{") and content_type
                               and "json" in content_type.lower()):
        return _parse_json_feed(data, fetched_at, url)
    if head.lstrip().startswith((b"{", b"[")):
        raise ParseError("not a feed (a JSON document without a JSON Feed version)")
    if not looks_like_feed(head):
        raise ParseError("not a feed (no RSS, Atom or JSON Feed found)")
    return _parse_xml_feed(data, url, content_type, fetched_at, problem)


def item_article(item: FeedItem, *, outlet: str, page: Page | None = None) -> ParsedArticle:
    """One feed item as an article: title, link as url, the item's date (the day), outlet,
    byline, and paragraphs from ``page`` (the linked page, extracted) when given and not empty,
    else from the item's body. An item without any date (nor its page) is dated by the fetch
    and says so: ``fetched`` holds that time. Raises :class:`~index.parse.ParseError` ``'item has no text'``
    when neither has any."""
    paragraphs: tuple[str, ...] = ()
    byline = item.byline
    if page is not None and page.paragraphs:
        paragraphs = page.paragraphs
        byline = byline or page.byline
    elif item.body_html:
        paras = (html_paragraphs(item.body_html) if item.body_type != "text/plain"
                 else text_paragraphs(item.body_html))
        paragraphs = tuple(paras)
    title = _clean(item.title) or (page.title if page is not None else None)
    if not paragraphs:
        if not title:
            raise ParseError("item has no text")
        paragraphs = (title,)
    published: date | None = item.published.date() if item.published else None
    fetched = None
    if item.dated_by_fetch:
        if page is not None and page.published is not None:
            published = page.published  # the linked page has the date the item lacked
        elif item.published is not None:
            fetched = item.published.astimezone(timezone.utc).isoformat(timespec="seconds")
    return ParsedArticle(
        title=title or paragraphs[0][:100],
        source=_clean(outlet),
        published=published,
        byline=byline,
        paragraphs=paragraphs,
        url=item.link,
        fetched=fetched,
    )
