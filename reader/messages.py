"""The messages thread workers post back to the screens: data only (dataclasses), one each.

Workers run the slow part (a search, an article load, an add, a feed refresh) off the UI thread
and post one of these; the screen's ``on_<name>`` handler sets the result on the panes. Results
tagged with a sequence number (``seq``) or an article id are dropped by the handler when the user
has moved on. A message that says "how far" (:class:`IngestProgress`, :class:`FeedsProgress`)
replaces the one still waiting in the queue, so a flood of progress costs one repaint.

The panes' own messages (``ArticleList.Highlighted``, ``EntitySidebar.Chosen``...) stay nested in
their panes, as Textual's widgets do, and are named after them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

from index.library import AddReport
from reader.panes.model import ArticleView, EntityItem, EventItem, ListRow

if TYPE_CHECKING:  # fetching (httpx, ssl) is imported when a refresh needs it, not at launch
    from index.subscriptions import RefreshProgress, RefreshReport

# ---------------------------------------------------------------------------------------------
# The main screen: the list, searches, articles, jumps, adds


@dataclass
class RowsLoaded(Message):
    """The article list, newest first: all of it, or (``total`` set) the first screenful of a
    big library, shown while the rest is read."""

    rows: list[ListRow]
    generation: tuple[int, str]
    total: int | None = None


@dataclass
class SearchDone(Message):
    """Results of search number ``seq``: the first ``SEARCH_LIMIT`` (``partial``: more are
    coming), or all of them."""

    seq: int
    query: str
    hits: list[tuple[str, float]]
    terms: set[str]
    partial: bool = False


@dataclass
class SearchFailed(Message):
    """Search number ``seq`` was malformed."""

    seq: int
    query: str
    error: str


@dataclass
class ArticleLoaded(Message):
    """Load number ``seq`` finished: the article to show and the paragraph to land on."""

    seq: int
    view: ArticleView
    paragraph: int
    note: str | None
    focus: bool


@dataclass
class ArticleExtras(Message):
    """Load number ``seq`` read the article's entities and its story's events."""

    seq: int
    article_id: str
    entities: tuple[EntityItem, ...]
    events: tuple[EventItem, ...]
    coverage: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())
    """(paragraphs only this outlet carries, paragraphs every outlet carries): the reader's
    coverage marks, read with the entities and events so that all reach the screen in one
    frame."""


@dataclass
class JumpTo(Message):
    """A worker resolved a jump: open ``article_id`` at ``paragraph``."""

    article_id: str
    paragraph: int | None
    note: str
    entity: EntityItem | None = None


@dataclass
class PassageTargets(Message):
    """Every other source carrying the passage of ``paragraph`` in ``article_id``."""

    article_id: str
    paragraph: int
    targets: list[tuple[str, int, str]]


@dataclass
class Status(Message):
    """A line for the status bar."""

    text: str
    error: bool = False


@dataclass
class EntityArticles(Message):
    """The ids of the articles naming ``entity`` (for the list filter)."""

    entity: EntityItem
    ids: list[str]


@dataclass
class IngestProgress(Message):
    """Progress of an add (a newer one replaces one still queued)."""

    done: int
    total: int | None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, IngestProgress)


@dataclass
class IngestDone(Message):
    """An add finished (``report``) or failed (``error``)."""

    label: str
    report: AddReport | None
    error: str | None


@dataclass
class GenerationSeen(Message):
    """The library's change marker, read by the poller."""

    generation: tuple[int, str]


# ---------------------------------------------------------------------------------------------
# Feeds


@dataclass
class FeedsProgress(Message):
    """How far a refresh is: feeds fetched of all, new items found (a newer one replaces one
    still queued)."""

    progress: RefreshProgress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FeedsProgress)


@dataclass
class FeedsRefreshed(Message):
    """A refresh ended: its report, or the one-line reason it could not run."""

    report: RefreshReport | None
    error: str | None
    stopped: bool = False  # cancelled by the user (not a failure)


@dataclass
class FeedsWaiting(Message):
    """The refresh waits for another process's add to end (``why`` names it)."""

    why: str


# ---------------------------------------------------------------------------------------------
# Marks, links, coverage, saved searches (reader/screens/daily.py)


@dataclass
class MarksLoaded(Message):
    """The read and starred ids of the library."""

    read: set[str]
    starred: set[str]


@dataclass
class MarkFailed(Message):
    """Writing a mark failed: put it back and say why."""

    ids: list[str]
    read: bool | None
    starred: bool | None
    error: str


@dataclass
class CoverageReady(Message):
    """The coverage of the open article's story, for its screen."""

    cov: Any
    title: str
    paragraphs: tuple[str, ...]


@dataclass
class SavedReady(Message):
    """The saved searches with (total, unread) counts; ``show`` opens the picker."""

    rows: list[tuple[str, str, int | None, int | None]]
    show: bool
