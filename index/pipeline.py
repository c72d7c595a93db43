"""The one place an article goes from input to prepared rows.

``Unit`` (a file, a parsed item, a JSON Lines record, a message) -> :func:`article_of` (parse,
clean, content id) -> :func:`enrich` (entities with their mentions, dated events) ->
:func:`prepare_units` -> ``Prepared``: the store rows (``store.ArticleRows``), the Whoosh
document and the story prints (``stories.PreparedArticle``). Pure: no database, no index, safe
in worker processes; the results are plain records, cheap to pickle, so the writer only runs
SQL and hands the document to Whoosh (``Library._store_batch``). The entity tagger runs once
over a batch of articles (the same mentions per article as one at a time, for less CPU).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from index import store
from index.model import Article, Enriched, Entity, EntityMention, EntityRecord
from index.parse import ParsedArticle
from index.search import document

if TYPE_CHECKING:
    from index.stories import PreparedArticle

__all__ = [
    "Prepared",
    "Result",
    "Unit",
    "article_of",
    "enrich",
    "enrichable",
    "failure",
    "merge_records",
    "no_enrich",
    "prepare_units",
    "reenrich",
    "search_names",
    "warm",
]


@dataclass(frozen=True, slots=True)
class Unit:
    """One article to add, as the input walk found it: a file, a parsed article (a feed's
    item, a fetched page), a JSON Lines record or a mail message."""

    name: str
    path: str | None
    parsed: ParsedArticle | Callable[[], ParsedArticle] | None
    source_hint: str | None
    enrich: bool
    line: bytes | None = None  # a JSON Lines record (or a message), parsed by the worker
    line_kind: str = "jsonl"  # what ``line`` holds: "jsonl" or "email" (a mailbox message)


class Prepared(NamedTuple):
    """One article ready to store and index, as a worker hands it back."""

    id: str
    rows: store.ArticleRows  # the article's store rows (see store.rows_of)
    document: dict  # its Whoosh document (see search.document)
    prints: PreparedArticle | None  # its story prints (None when not enriched)


class Result(NamedTuple):
    """What became of one unit: prepared, or the reason it was skipped."""

    name: str
    prepared: Prepared | None
    failure: str | None


#: The rules the enrichment (entities, dated events) and the story grouping follow. A library
#: keeps the version its rows were made by (store meta ``enrich_version``); one made by older
#: rules (or with no version and some articles: made before versions were kept) is made again
#: by ``reader reindex`` (``Library.reindex``), from the stored text. 2: issue 14's names,
#: dates and story rules.
ENRICH_VERSION = 2
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


_ENRICH_READY = False


def warm() -> None:
    """Load extractor models once, before forking workers, so they share the memory."""
    global _ENRICH_READY
    if not _ENRICH_READY:
        enrich(Article("warm", "Warm", "x", date(2017, 10, 26), None,
                       ("Haider al Abadi spoke in Baghdad on Thursday.",)))
        _ENRICH_READY = True


def article_of(unit: Unit) -> Article:
    """Parse one unit into an article (raises ParseError, OSError...)."""
    from index.parse import content_id, parse_file, parse_jsonl_line

    if unit.line is not None and unit.line_kind == "email":
        from index.mail import parse_message

        parsed = parse_message(unit.line, source_hint=unit.source_hint)
    elif unit.line is not None:
        parsed = parse_jsonl_line(unit.line, unit.source_hint)
    elif unit.parsed is None:
        assert unit.path is not None
        parsed = parse_file(Path(unit.path), source_hint=unit.source_hint)
    elif callable(unit.parsed):  # made here (a feed item whose fetched page is extracted)
        parsed = unit.parsed()
    else:
        parsed = unit.parsed
    return Article(
        id=content_id(parsed),
        title=parsed.title,
        source=parsed.source or unit.source_hint or "unknown",
        published=parsed.published,
        byline=parsed.byline,
        paragraphs=tuple(parsed.paragraphs),
        path=unit.path,
        url=getattr(parsed, "url", None),
        fetched=getattr(parsed, "fetched", None),
    )


def failure(exc: BaseException) -> str:
    """What to say of a unit that could not be added."""
    from index.parse import ParseError

    if isinstance(exc, ParseError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "file too large to read"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return f"could not be processed (a bug: {type(exc).__name__}: {exc})"


def prepare_units(units: Sequence[Unit]) -> tuple[list[Result], dict[str, int]]:
    """Parse, enrich and prepare units; the entity tagger runs once over all of them (the same
    mentions per article as one at a time, for less CPU). A unit that fails is reported, never
    the batch. Also returns what the extractors' guards swallowed meanwhile."""
    from index import guards

    out: list[Result | None] = [None] * len(units)
    todo: list[tuple[int, Article]] = []
    for k, unit in enumerate(units):
        try:
            article = article_of(unit)
            if unit.enrich:
                todo.append((k, article))
            else:
                ready = Prepared(article.id, store.rows_of(no_enrich(article)),
                                 document(article), None)
                out[k] = Result(unit.name, ready, None)
        except Exception as exc:  # a bad file or a bug in a parser must not stop the batch
            if not isinstance(exc, (OSError, MemoryError)) and type(exc).__name__ != "ParseError":
                guards.note("parse")
            out[k] = Result(unit.name, None, failure(exc))
    if todo:
        from index.entities import annotate_articles, story_keys
        from index.stories import prepare

        try:
            mentions: list = annotate_articles(
                [(enrichable(a.paragraphs), a.title) for _, a in todo])
        except Exception:  # never expected ("never raises"); fall back to one at a time
            guards.note("entities-batch")
            mentions = [None] * len(todo)
        for (k, article), ms in zip(todo, mentions, strict=True):
            try:
                enriched = enrich(article, mentions=ms)
                prints = prepare(article.id, article.source, article.published,
                                 enrichable(article.paragraphs),
                                 story_keys((r.key, r.entity.type) for r in enriched.entities),
                                 article.title)
                doc = document(article, search_names(
                    (r.entity.name, r.entity.type, r.entity.aliases) for r in enriched.entities))
                out[k] = Result(units[k].name,
                                Prepared(article.id, store.rows_of(enriched), doc, prints), None)
            except Exception as exc:  # a bug in an extractor must not stop the batch
                guards.note("enrich")
                out[k] = Result(units[k].name, None, failure(exc))
    return [x for x in out if x is not None], guards.take()




def reenrich(articles: Sequence[Article]) -> tuple[list[tuple[str, store.ArticleRows | None]],
                                                   dict[str, int]]:
    """Entities, mentions and events of stored articles made again by today's rules from their
    stored text (the ids and the text stay): ``(id, rows)`` in order, rows None for an article
    whose extractors failed (it keeps its old ones). Pure, like :func:`prepare_units` (the
    tagger runs once over the lot); also returns what the extractors' guards swallowed."""
    from index import guards
    from index.entities import annotate_articles

    try:
        mentions: list = annotate_articles([(enrichable(a.paragraphs), a.title) for a in articles])
    except Exception:  # never expected ("never raises"); then one at a time
        guards.note("entities-batch")
        mentions = [None] * len(articles)
    out: list[tuple[str, store.ArticleRows | None]] = []
    for article, ms in zip(articles, mentions, strict=True):
        try:
            out.append((article.id, store.rows_of(enrich(article, mentions=ms))))
        except Exception:  # a bug in an extractor must not stop the others
            guards.note("enrich")
            out.append((article.id, None))
    return out, guards.take()


def search_names(entities: Iterable[tuple[str, str, Sequence[str]]]) -> list[str]:
    """The names an article is found by in ``entity:`` searches: each entity's name and
    aliases, and a person's surname (``entity:Abadi`` finds every Haider al Abadi)."""
    names: list[str] = []
    for name, type_, aliases in entities:
        names.append(name)
        names.extend(aliases)
        if type_ == "PER" and " " in name:
            names.append(name.rsplit(" ", 1)[1])
    return names
