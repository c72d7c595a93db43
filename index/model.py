"""The data model: frozen dataclasses that flow from file to library.

file -> ``Article`` (parsed, cleaned) -> entities, events, passages -> library on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

ENTITY_TYPES = ("PER", "LOC", "ORG")


@dataclass(frozen=True, slots=True)
class Article:
    """One cleaned article: metadata plus body paragraphs (boilerplate removed)."""

    id: str
    title: str
    source: str
    published: date | None
    byline: str | None
    paragraphs: tuple[str, ...]
    path: str | None = None
    url: str | None = None
    fetched: str | None = None  # no date of its own: ``published`` is the day it was fetched


@dataclass(frozen=True, slots=True)
class EntityMention:
    """A named-entity mention: character offsets into the text it was found in.

    ``name`` is the canonical name of the entity within its document (e.g. "Abadi" ->
    "Haider al Abadi" when the full name appears in the same article).
    """

    start: int
    end: int
    type: str  # PER | LOC | ORG
    text: str
    name: str


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date expression: offsets into the text, its resolved value and precision.

    ``value`` is ``YYYY-MM-DD`` (day and week precision; a week is given by its Monday),
    ``YYYY-MM`` (month) or ``YYYY`` (year).
    """

    start: int
    end: int
    text: str
    value: str
    precision: str  # day | week | month | year


@dataclass(frozen=True, slots=True)
class Entity:
    """An entity as one article names it: canonical name, type, aliases, mention count."""

    name: str
    type: str
    aliases: tuple[str, ...] = ()
    mentions: int = 1


@dataclass(frozen=True, slots=True)
class Event:
    """A dated event: the sentence holding a date expression, with where it was found."""

    date: str
    precision: str
    expression: str
    text: str
    paragraph: int
    start: int = 0  # offsets of the expression within the paragraph
    end: int = 0
    article: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """An entity as stored for one article, with its cross-article merge key."""

    key: str
    entity: Entity


@dataclass(frozen=True, slots=True)
class Enriched:
    """An article with everything derived from it, ready to be stored and indexed."""

    article: Article
    entities: tuple[EntityRecord, ...] = ()
    mentions: tuple[tuple[EntityMention, ...], ...] = ()
    events: tuple[Event, ...] = ()
