"""Articles out of the library: Markdown, JSON or plain text (issue 13 item 7).

Each article comes with its title, outlet, date, URL, text, entities and dated events. The text
is the stored (cleaned) text, so no escape sequence or control character is in it; Markdown
output escapes the characters that would turn an article's words into Markdown structure.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from index.library import Library

FORMATS = ("md", "json", "txt")
SUFFIX = {"md": ".md", "json": ".json", "txt": ".txt"}

# Markdown that would change the meaning of a plain paragraph: a heading, list or quote marker at
# the start of a line, emphasis, code, links, HTML
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+-]|(\d+)([.)]))(?=\s|$)", re.M)


def _line_start(m: re.Match[str]) -> str:
    if m.group(3):  # "1." -> "1\." (a backslash before a digit escapes nothing)
        return f"{m.group(1)}{m.group(3)}\\{m.group(4)}"
    return f"{m.group(1)}\\{m.group(2)}"


def md_escape(text: str) -> str:
    """``text`` as literal Markdown: structure characters backslash-escaped."""
    return _MD_LINE_START.sub(_line_start, _MD_INLINE.sub(r"\\\1", text))


def article_data(lib: Library, article_id: str) -> dict:
    """Everything an export holds about one article, as plain data."""
    a = lib.article(article_id)
    return {
        "id": a.id,
        "title": a.title,
        "source": a.source,
        "published": a.published.isoformat() if a.published else None,
        "byline": a.byline,
        "url": a.url,
        "story": lib.story_of(a.id),
        "paragraphs": list(a.paragraphs),
        "entities": [{"name": e.name, "type": e.type, "mentions": e.mentions,
                      "aliases": list(e.aliases)} for e in lib.entities(a.id)],
        "events": [{"date": e.date, "precision": e.precision, "expression": e.expression,
                    "text": e.text, "paragraph": e.paragraph} for e in lib.events(a.id)],
    }


_TYPE_NAMES = {"PER": "people", "LOC": "places", "ORG": "organisations"}


def _md(d: dict) -> str:
    out = [f"# {md_escape(d['title'])}", ""]
    meta = " · ".join(md_escape(x) for x in (d["source"], d["published"],
                                              f"by {d['byline']}" if d["byline"] else None) if x)
    out += [f"*{meta}*", ""]
    if d["url"]:
        out += [f"<{d['url']}>", ""]
    for p in d["paragraphs"]:
        out += [md_escape(p), ""]
    if d["entities"]:
        out += ["## Entities", ""]
        for t in ("PER", "LOC", "ORG"):
            names = [md_escape(e["name"]) for e in d["entities"] if e["type"] == t]
            if names:
                out.append(f"- **{_TYPE_NAMES[t]}**: {', '.join(names)}")
        out.append("")
    if d["events"]:
        out += ["## Dated events", ""]
        for e in d["events"]:
            out.append(f"- **{e['date']}** ({md_escape(e['expression'])}): {md_escape(e['text'])}")
        out.append("")
    return "\n".join(out)


def _txt(d: dict) -> str:
    out = [d["title"], " · ".join(x for x in (d["source"], d["published"],
                                               f"by {d['byline']}" if d["byline"] else None) if x)]
    if d["url"]:
        out.append(d["url"])
    out.append("")
    for p in d["paragraphs"]:
        out += [p, ""]
    if d["entities"]:
        for t in ("PER", "LOC", "ORG"):
            names = [e["name"] for e in d["entities"] if e["type"] == t]
            if names:
                out.append(f"{_TYPE_NAMES[t].capitalize()}: {', '.join(names)}")
        out.append("")
    if d["events"]:
        out.append("Dated events:")
        for e in d["events"]:
            out.append(f"  {e['date']}  {e['expression']}: {e['text']}")
        out.append("")
    return "\n".join(out)


def export(lib: Library, ids: Sequence[str], fmt: str, *, title: str | None = None) -> str:
    """The articles ``ids`` (full ids) in format ``fmt`` (md, json or txt; JSON is always a
    list). ``title`` heads a Markdown or text export of several articles (a story, a search)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    data = [article_data(lib, i) for i in ids]
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    render = _md if fmt == "md" else _txt
    parts = [render(d) for d in data]
    sep = "\n---\n\n" if fmt == "md" else "\n" + "=" * 72 + "\n\n"
    head = ""
    if title:
        head = (f"# {md_escape(title)}\n\n" if fmt == "md" else f"{title}\n{'=' * len(title)}\n\n")
        if fmt == "md":  # the articles become sections of the document
            parts = ["\n".join(("#" + line) if line.startswith("#") else line
                               for line in p.split("\n")) for p in parts]
    return head + sep.join(parts).rstrip("\n") + "\n"
