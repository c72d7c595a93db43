"""The reader engine: parse, clean, enrich, store and search news articles.

This package never imports ``textual``, ``rich`` or ``reader``; the application is a client of it.
The public surface is :class:`index.library.Library` and the dataclasses in :mod:`index.model`.
"""

from index.model import Article, DateMention, Entity, EntityMention, Event

__all__ = ["Article", "DateMention", "Entity", "EntityMention", "Event"]
