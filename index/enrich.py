"""Enrichment: from a parsed article to an article with entities and dated events.

Pure functions, safe to run in worker processes.
"""

from __future__ import annotations

from collections import defaultdict

from index.model import Article, Entity, EntityMention
from index.store import Enriched, EntityRecord

ENRICH_CHARS = 1_000_000  # enrich at most this much of one article's body (all of it is indexed)


def enrichable(paragraphs: tuple[str, ...], limit: int = ENRICH_CHARS) -> tuple[str, ...]:
    """The leading paragraphs of an article that enrichment reads.

    A news article is a few kilobytes; a 50 MB "article" (a dump, a book) is still stored and
    searchable in full, but entities and events are read from its first megabyte only, so one
    such file cannot stall a batch for minutes.
    """
    total = 0
    for i, p in enumerate(paragraphs):
        total += len(p)
        if total > limit:
            return paragraphs[:i] if i else (p[:limit],)  # a prefix keeps offsets valid
    return paragraphs


def enrich(article: Article, mentions: list[list[EntityMention]] | None = None) -> Enriched:
    """Entities (with per-paragraph mentions) and dated events of one article.

    ``mentions``: the article's entity mentions when they were found already (by
    :func:`index.entities.annotate_articles` over a batch of articles)."""
    from index.dates import article_events
    from index.entities import annotate_paragraphs, entity_key, summarize

    paragraphs = enrichable(article.paragraphs)
    if mentions is None:
        mentions = annotate_paragraphs(paragraphs, title=article.title)
    flat = [m for para in mentions for m in para]
    records = merge_records(summarize(flat), entity_key)
    events = tuple(article_events(paragraphs, article.published))
    return Enriched(
        article=article,
        entities=records,
        mentions=tuple(tuple(p) for p in mentions),
        events=events,
    )


def merge_records(entities: list[Entity], key_fn) -> tuple[EntityRecord, ...]:  # type: ignore[no-untyped-def]
    """One record per (type, key): entities whose names normalise alike are one entity."""
    groups: dict[tuple[str, str], list[Entity]] = defaultdict(list)
    for e in entities:
        k = key_fn(e.name)
        if k:
            groups[(e.type, k)].append(e)
    out = []
    for (type_, key), es in groups.items():
        best = max(es, key=lambda e: e.mentions)
        aliases = sorted({a for e in es for a in (e.name, *e.aliases)} - {best.name})
        out.append(
            EntityRecord(
                key=key,
                entity=Entity(best.name, type_, tuple(aliases), sum(e.mentions for e in es)),
            )
        )
    return tuple(out)


def no_enrich(article: Article) -> Enriched:
    """The article alone (used when enrichment is switched off, e.g. the raw benchmark)."""
    return Enriched(article=article)


__all__ = ["enrich", "merge_records", "no_enrich", "EntityMention"]
