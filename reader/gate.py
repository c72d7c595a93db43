"""The app's way into the library from worker threads.

The :class:`~index.library.Library` holds one SQLite connection and one Whoosh searcher; the app
reads them from several worker threads (search, loading, polling), so every read goes through
:class:`Gate`, which serialises calls with a lock. Each call is short (milliseconds), so the lock
is never held for long. Ingest never uses the gate: it opens its own ``Library`` on the same folder
in its own thread, so reading stays possible while a batch is added.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import reader
from index.library import EventRow, Library
from reader.panes.model import ArticleView, EntityItem, ListRow

T = TypeVar("T")


def seeds_dir() -> Path | None:
    """The bundled seed articles: ``reader/seeds`` when installed, ``<repo>/seeds`` in a checkout."""
    here = Path(reader.__file__).parent
    for candidate in (here / "seeds", here.parent / "seeds"):
        if candidate.is_dir():
            return candidate
    return None


class Gate:
    """Serialised access to one :class:`Library` from many threads, plus the app's read models."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self._lock = threading.RLock()
        self._reach: dict[tuple[str, str], tuple[str, int, int]] = {}
        """Library-wide reach of entities already shown (valid for ``_reach_generation``)."""
        self._reach_generation: tuple[int, str] | None = None
        self._bulk: Library | None = None
        self._bulk_lock = threading.Lock()

    def close(self) -> None:
        """Close the connection of :meth:`list_rows` (the library itself is the caller's)."""
        with self._bulk_lock:
            if self._bulk is not None:
                self._bulk.close()
                self._bulk = None

    def call(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        """Run ``fn(*args, **kwargs)`` holding the library lock."""
        with self._lock:
            return fn(*args, **kwargs)

    # --- read models --------------------------------------------------------------------
    def list_rows(self) -> list[ListRow]:
        """Every article, newest first, with its story's other-source count. Read through a
        connection of its own, not under the lock every other read takes: on a big library
        this read takes a while, and the article under the cursor must not wait for it."""
        with self._bulk_lock:
            if self._bulk is None:
                self._bulk = Library(self.library.path, create=False)
            stories = self._bulk.stories()
            rows = self._bulk.rows(stories=stories)
            fetched = self._bulk.fetch_dated()
        if not stories:
            return [ListRow(r.id, r.title, r.source, r.published, fetched=r.id in fetched)
                    for r in rows]
        source_of = {r.id: r.source for r in rows}
        per_story: dict[str, set[str]] = {}
        for aid, sid in stories.items():
            per_story.setdefault(sid, set()).add(source_of.get(aid, aid))
        out = []
        for r in rows:
            story = stories.get(r.id)
            others = len(per_story[story]) - 1 if story is not None else 0
            out.append(ListRow(r.id, r.title, r.source, r.published, max(others, 0),
                               fetched=r.id in fetched))
        return out

    def first_rows(self, n: int) -> list[ListRow]:
        """The ``n`` newest rows of :meth:`list_rows` (same values), read without the rest."""
        with self._lock:
            rows = self.library.rows(n)
            others = self.library.story_sources([r.id for r in rows])
            fetched = self.library.fetch_dated([r.id for r in rows])
        return [ListRow(r.id, r.title, r.source, r.published, max(others.get(r.id, 1) - 1, 0),
                        fetched=r.id in fetched)
                for r in rows]

    def search(self, query: str, limit: int) -> tuple[list[tuple[str, float]], set[str]]:
        """Ranked (id, score) for a query and its terms to highlight; QueryError if malformed."""
        with self._lock:
            rows = self.library.search(query, limit=limit)
            terms = self.library.query_terms(query)
        return [(r.id, r.score) for r in rows], terms

    def article(self, article_id: str) -> ArticleView:
        """The open-article model: text, mentions, carried paragraphs, entities, story events."""
        view = self.article_text(article_id)
        entities, events = self.article_extras(view.id)
        return replace(view, entities=entities, events=events)

    def article_text(self, article_id: str) -> ArticleView:
        """What the reader pane needs (text, mentions, carried paragraphs): the fast half of
        :meth:`article`, shown first; entities and events are left empty."""
        with self._lock:
            lib = self.library
            a = lib.article(article_id)
            mentions = lib.mentions(a.id)
            carried = lib.paragraph_sources(a.id)
        return ArticleView(
            id=a.id,
            title=a.title,
            source=a.source,
            published=a.published.isoformat() if a.published else None,
            byline=a.byline,
            paragraphs=tuple(a.paragraphs),
            mentions=tuple(tuple(m) for m in mentions),
            carried=dict(carried),
            url=a.url,
            fetched=a.fetched,
        )

    def try_article_text(self, article_id: str) -> ArticleView | None:
        """:meth:`article_text` if the library is free right now, else None (never waits: the
        caller is the event loop)."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            return self.article_text(article_id)
        finally:
            self._lock.release()

    def article_extras(self, article_id: str) -> tuple[tuple[EntityItem, ...],
                                                       tuple[EventRow, ...]]:
        """The sidebar's entities and the strip's story events of one article."""
        entities, events, _coverage = self.article_extras_and_coverage(article_id)
        return entities, events

    def article_extras_and_coverage(self, article_id: str) -> tuple[
            tuple[EntityItem, ...], tuple[EventRow, ...], tuple[tuple[int, ...], tuple[int, ...]]]:
        """:meth:`article_extras` and the reader's coverage marks (the paragraphs no other
        outlet carries, those every outlet carries), read together so that they reach the
        screen in one frame."""
        with self._lock:
            generation = self.library.generation()
            if generation != self._reach_generation:
                self._reach, self._reach_generation = {}, generation
            entities = self.library.entity_reach(article_id, self._reach)
            events = self.library.events(story_of=article_id)
            cov = self.library.coverage(article_id)
        return (
            tuple(EntityItem(e.key, e.name, e.type, e.mentions, e.articles, e.sources)
                  for e in entities),
            tuple(events),
            (tuple(cov.only_here), tuple(cov.everywhere)),
        )

    def story_members(self, article_id: str) -> list[tuple[str, str, str | None]]:
        """(id, source, published) of the article's story, ordered by source then date."""
        with self._lock:
            ids = self.library.story_articles(article_id)
            rows = self.library.rows_by_id(ids)
        members = [(i, rows[i].source, rows[i].published) for i in ids if i in rows]
        members.sort(key=lambda m: (m[1].casefold(), m[2] or "", m[0]))
        return members

    def shared_paragraph(self, article_id: str, paragraph: int, other: str) -> int:
        """The paragraph of ``other`` that carries ``paragraph``'s passage (0 if none)."""
        with self._lock:
            links = self.library.same_passage(article_id, paragraph)
            related = self.library.related(article_id) if not links else []
        for link in links:
            if link.article == other:
                return int(link.other_paragraph)
        for r in related:
            if r.id == other and r.passages:
                # the shared passage nearest the paragraph under the cursor
                best = min(r.passages, key=lambda p: abs(p.paragraph - paragraph))
                return int(best.other_paragraph)
        return 0

    def same_passage(self, article_id: str, paragraph: int) -> list[tuple[str, int, str]]:
        """(article, paragraph, source) of every other source carrying this paragraph."""
        with self._lock:
            links = self.library.same_passage(article_id, paragraph)
            rows = self.library.rows_by_id([link.article for link in links])
        out = []
        for link in links:
            row = rows.get(link.article)
            out.append((link.article, int(link.other_paragraph), row.source if row else "?"))
        return out

    def articles_naming(self, key: str, type_: str) -> list[str]:
        """Ids of the articles naming an entity, newest first."""
        with self._lock:
            return self.library.articles_naming(key, type_)

    def generation(self) -> tuple[int, str]:
        """The library's change marker."""
        with self._lock:
            return self.library.generation()

    def count(self) -> int:
        """Number of articles."""
        with self._lock:
            return self.library.count()


def first_mention(view: ArticleView, key: str, type_: str) -> int:
    """The first paragraph of ``view`` naming the entity ``key`` (0 if none found)."""
    from index.entities import entity_key

    for i, ms in enumerate(view.mentions):
        for m in ms:
            if m.type == type_ and (entity_key(m.name) == key or entity_key(m.text) == key):
                return i
    return 0

