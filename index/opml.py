"""OPML, the subscription list feed readers exchange: read one, write one.

Only what readers use: each ``<outline>`` with an ``xmlUrl`` is a feed (its ``text`` or
``title`` the name); nested outlines (folders) are flattened. A file declaring entities is
refused rather than expanded, and no external entity is ever read.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from index.clean import clean_text, normalize_ws

__all__ = ["OpmlError", "Outline", "read_opml", "write_opml"]

MAX_BYTES = 16 * 2**20


class OpmlError(ValueError):
    """A file that is not a usable OPML subscription list (one line)."""


@dataclass(frozen=True, slots=True)
class Outline:
    """One feed of a subscription list."""

    url: str
    name: str | None = None
    full_text: str | None = None  # reader's own attribute, kept across a round trip


def _field(s: str | None) -> str | None:
    if s is None:
        return None
    s = normalize_ws(clean_text(s)).strip()
    return s or None


def read_opml(data: bytes) -> list[Outline]:
    """The feeds of an OPML document, in order, each address once."""
    if not data.strip():
        raise OpmlError("empty file")
    if len(data) > MAX_BYTES:
        raise OpmlError(f"larger than {MAX_BYTES // 2**20} MB; not a subscription list")
    if re.search(rb"<!ENTITY", data, re.IGNORECASE):
        raise OpmlError("the file declares XML entities; refused (an OPML list needs none)")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"not valid XML ({exc})") from None
    if root.tag.lower() != "opml":
        raise OpmlError(f"not an OPML file (the root element is <{root.tag}>)")
    out: list[Outline] = []
    seen: set[str] = set()
    for node in root.iter():
        if node.tag.lower() != "outline":
            continue
        attrs = {k.lower(): v for k, v in node.attrib.items()}
        url = _field(attrs.get("xmlurl"))
        if not url or url in seen:
            continue
        seen.add(url)
        name = _field(attrs.get("text")) or _field(attrs.get("title"))
        policy = attrs.get("readerfulltext")
        out.append(Outline(url, name, policy if policy in ("auto", "always", "never") else None))
    return out


def write_opml(feeds: Iterable[Outline], title: str = "reader subscriptions") -> str:
    """An OPML 2.0 document listing ``feeds``."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_escape(title)}</title></head>",
        "  <body>",
    ]
    for f in feeds:
        name = f.name or f.url
        extra = f" readerFullText={quoteattr(f.full_text)}" if f.full_text else ""
        lines.append(
            f"    <outline type=\"rss\" text={quoteattr(name)} title={quoteattr(name)}"
            f" xmlUrl={quoteattr(f.url)}{extra}/>"
        )
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
