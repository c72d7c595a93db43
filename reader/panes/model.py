"""What the panes show: plain view dataclasses and the one place untrusted text becomes Rich text.

Every string from an article reaches the screen through :func:`styled` or :func:`plain`, which run
it through :func:`reader.safe.safe_text` and return a :class:`rich.text.Text` (never markup), so
``[bold]`` stays literal and no escape sequence reaches the terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rich.style import Style
from rich.text import Text

from index.library import EventRow
from index.model import EntityMention
from reader.safe import one_line, safe_text

#: The component class part naming each entity type (``reader-view--person``...): the colours
#: themselves are in reader.tcss.
ENTITY_PARTS = {"PER": "person", "LOC": "place", "ORG": "organisation"}


@dataclass(frozen=True, slots=True)
class ListRow:
    """One line of the article list."""

    id: str
    title: str
    source: str
    published: str | None
    others: int = 0
    """How many other sources the article's story has."""
    score: float | None = None
    fetched: bool = False
    """The article had no date of its own: ``published`` is the day it was fetched."""


@dataclass(frozen=True, slots=True)
class EntityItem:
    """An entity of the open article, with library-wide reach."""

    key: str
    name: str
    type: str
    mentions: int
    articles: int
    sources: int


#: A dated event on the story's strip: the engine's row as it is.
EventItem = EventRow


@dataclass(frozen=True, slots=True)
class ArticleView:
    """Everything the reader view, the sidebar and the event strip need about the open article."""

    id: str
    title: str
    source: str
    published: str | None
    byline: str | None
    paragraphs: tuple[str, ...]
    mentions: tuple[tuple[EntityMention, ...], ...] = ()
    carried: dict[int, int] = field(default_factory=dict)
    """Paragraph -> number of other sources carrying it."""
    entities: tuple[EntityItem, ...] = ()
    events: tuple[EventItem, ...] = ()
    """The story's events, date-sorted."""
    url: str | None = None
    fetched: str | None = None
    """No date of its own: when it was fetched (``published`` is that day)."""
    """The article's address (shown under its title), read with its text."""


def plain(value: object, style: Style | str = "") -> Text:
    """Untrusted text as one line of Rich text (no markup, no control characters)."""
    return Text(one_line("" if value is None else str(value)), style=style, end="")


def styled(text: str, spans: Iterable[tuple[int, int, Style | str]], base: Style | str = "") -> Text:
    """``text`` made safe, with ``spans`` (offsets into the unsafe original) styled.

    The text is cut at every span boundary and each piece sanitised alone, so offsets computed on
    the original still land on the right characters when sanitising removes some.
    """
    spans = [(s, e, st) for s, e, st in spans if 0 <= s < e <= len(text)]
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    mapped: dict[int, int] = {}
    out = Text(style=base, end="")
    for a, b in zip(cuts, cuts[1:], strict=False):
        mapped[a] = len(out.plain)
        out.append(safe_text(text[a:b]))
    mapped[len(text)] = len(out.plain)
    for s, e, st in spans:
        out.stylize(st, mapped[s], mapped[e])
    return out


def mention_spans(mentions: Sequence[EntityMention],
                  styles: Mapping[str, Style]) -> list[tuple[int, int, Style]]:
    """Spans colouring each entity mention by its type (``styles``: type -> style)."""
    return [(m.start, m.end, styles.get(m.type, Style(bold=True))) for m in mentions]
