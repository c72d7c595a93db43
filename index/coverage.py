"""Coverage of a story: who carries it, who does not, and what each outlet alone says.

For an article, :func:`coverage` gathers its story's articles (one line per article: outlet,
date, title, how many of its paragraphs it shares with the article and how many no other
outlet carries), the library's regular outlets that have nothing on the story, and, for the
article itself, its paragraphs no other outlet carries ("only here") and those every other
outlet of the story carries ("everywhere").

Regular outlets: the sources that published anything within the story's dates widened by
``WINDOW_DAYS`` on each side (so an outlet that was publishing then, and said nothing about
this), or every source of the library when the story has no dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.library import Library

WINDOW_DAYS = 3


@dataclass(frozen=True, slots=True)
class Carrier:
    """One article of the story."""

    id: str
    source: str
    title: str
    published: str | None
    paragraphs: int
    shared: int
    """Paragraphs of this article that the asked-about article also carries (0 for itself)."""
    only: int
    """Paragraphs of this article that no other outlet carries."""


@dataclass(frozen=True, slots=True)
class Coverage:
    """The coverage of the story of ``article``."""

    article: str
    story: str | None
    carriers: tuple[Carrier, ...]
    """The story's articles, the asked-about one included, oldest first."""
    missing: tuple[tuple[str, int], ...]
    """Regular outlets with nothing on the story: (source, its articles in the window)."""
    window: tuple[str, str] | None
    """The dates the regular outlets are taken from (None: the story has no dates)."""
    only_here: tuple[int, ...]
    """Paragraphs of the article that no other outlet carries (empty for a lone article)."""
    everywhere: tuple[int, ...]
    """Paragraphs of the article that every other outlet of the story carries."""
    carried: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """Paragraph -> the other outlets carrying it."""

    @property
    def outlets(self) -> list[str]:
        """The outlets carrying the story, each once, in the order of their first article."""
        return list(dict.fromkeys(c.source for c in self.carriers))

    def to_json(self) -> dict:
        return {
            "article": self.article,
            "story": self.story,
            "outlets": [
                {"id": c.id, "source": c.source, "title": c.title, "published": c.published,
                 "paragraphs": c.paragraphs, "shared_with_article": c.shared,
                 "only_here": c.only}
                for c in self.carriers
            ],
            "missing": [{"source": s, "articles_in_window": n} for s, n in self.missing],
            "window": list(self.window) if self.window else None,
            "only_here": list(self.only_here),
            "everywhere": list(self.everywhere),
            "carried_by": {str(p): list(s) for p, s in sorted(self.carried.items())},
        }


def story_members(lib: Library, article_id: str) -> list[str]:
    """The ids of the article's story (the article included), in order of arrival."""
    return lib.stories.members(article_id) or [article_id]


def _carriers_of(lib: Library, article_id: str,
                 n_paragraphs: int) -> dict[int, dict[str, set[int]]]:
    """Paragraph -> {other article id: its paragraphs carrying the passage}."""
    out: dict[int, dict[str, set[int]]] = {}
    for p in range(n_paragraphs):
        links = lib.same_passage(article_id, p)
        if links:
            by: dict[str, set[int]] = {}
            for link in links:
                by.setdefault(link.article, set()).add(link.other_paragraph)
            out[p] = by
    return out


def coverage(lib: Library, article_id: str) -> Coverage:
    """The coverage of an article's story (KeyError for an unknown article)."""
    aid = lib.resolve(article_id)
    members = story_members(lib, aid)
    rows = lib.rows_by_id(members)
    members = [m for m in members if m in rows]
    source_of = {m: rows[m].source for m in members}
    article = lib.article(aid)
    own_source = article.source

    # the article's paragraphs and who else carries them
    links = _carriers_of(lib, aid, len(article.paragraphs))
    others_in_story = {source_of[m] for m in members if source_of[m] != own_source}
    carried: dict[int, tuple[str, ...]] = {}
    unknown = sorted({o for by in links.values() for o in by if o not in source_of})
    if unknown:
        source_of.update({i: r.source for i, r in lib.rows_by_id(unknown).items()})
    only_here: list[int] = []
    everywhere: list[int] = []
    for p in range(len(article.paragraphs)):
        outlets = {source_of.get(o, "") for o in links.get(p, {})} - {own_source, ""}
        if outlets:
            carried[p] = tuple(sorted(outlets))
        if not article.paragraphs[p].strip():
            continue
        if others_in_story:
            if not outlets:
                only_here.append(p)
            elif others_in_story <= outlets:
                everywhere.append(p)

    carriers = []
    for m in members:
        r = rows[m]
        if m == aid:
            n_par = len(article.paragraphs)
            shared = 0
            only = len(only_here) if others_in_story else n_par
        else:
            a = lib.article(m)
            n_par = len(a.paragraphs)
            shared = len({op for by in links.values() for op in by.get(m, ())})
            theirs = lib.paragraph_sources(m)
            only = sum(1 for p, text in enumerate(a.paragraphs) if text.strip() and not theirs.get(p))
        carriers.append(Carrier(m, r.source, r.title, r.published, n_par, shared, only))
    carriers.sort(key=lambda c: (c.published is None, c.published or "", c.source, c.id))

    # regular outlets with nothing on it
    dates = sorted(c.published for c in carriers if c.published)
    window: tuple[str, str] | None = None
    if dates:
        lo = date.fromisoformat(dates[0]) - timedelta(days=WINDOW_DAYS)
        hi = date.fromisoformat(dates[-1]) + timedelta(days=WINDOW_DAYS)
        window = (lo.isoformat(), hi.isoformat())
    active = lib.source_counts(window)
    carrying = {c.source for c in carriers}
    missing = sorted(((s, n) for s, n in active if s not in carrying),
                     key=lambda x: (-x[1], x[0]))
    return Coverage(aid, lib.story_of(aid), tuple(carriers), tuple(missing), window, tuple(only_here),
                    tuple(everywhere), carried)
