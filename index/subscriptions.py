"""Feeds the user follows: rows in the library's store, refreshed over HTTP into articles.

``Subscriptions(library)`` adds, lists, removes, imports and exports feeds and refreshes them.
A refresh fetches every feed at once within :mod:`index.fetch`'s limits, parses each with
:mod:`index.feeds`, fetches the linked page of a summary-only item when the feed's full-text
policy says so (:mod:`index.extract`), and adds the resulting articles to the library in one
batch (:meth:`Library.add_parsed`: cleaned, enriched, indexed). Then it records, per feed, which
article each item key became and what was fetched (validators, last success or error, when it is
due again).

- An item seen again is not parsed again (its digest is stored). An item the outlet edited is
  parsed again; when its text changed it becomes a new article and the old one is removed, so the
  library holds one article per item, with the latest text.
- One feed's failure is recorded on its row and reported in one line; it never stops the others.
- 410 marks a feed gone (not fetched again unless named); a 429/503 ``Retry-After`` holds the feed
  until then; other failures push ``next_due`` back exponentially (``refresh --due`` honours it).
- A permanent redirect updates the stored address.

A feed may also be a local file (``reader feed add feed.xml``): it is read again on refresh when
its size or modification time changed. Only ``http`` and ``https`` addresses are fetched.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import queue
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from index import store
from index.fetch import FetchConfig, Fetched, Request, Session, is_fetchable, run_async
from index.library import AddReport, Cancelled, Library, Progress
from index.opml import Outline, read_opml, write_opml
from index.parse import ParsedArticle, ParseError

__all__ = [
    "FULL_TEXT",
    "FeedError",
    "FeedResult",
    "FeedRow",
    "RefreshProgress",
    "RefreshReport",
    "Subscriptions",
]

FULL_TEXT = ("auto", "always", "never")
INTERVAL = timedelta(hours=1)  # a feed fetched fine is due again after this
BACKOFF_FIRST = timedelta(minutes=15)  # after a failure; doubled per failure in a row
BACKOFF_MAX = timedelta(days=1)
MAX_FILE_BYTES = 16 * 2**20
FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, "
               "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


class FeedError(ValueError):
    """A feed cannot be added, found or imported; the message is one line for the user."""


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def _parse_iso(s: str | None) -> datetime | None:
    if not s:
        return None
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A followed feed as stored, with its article count."""

    id: int
    name: str
    url: str
    full_text: str
    title: str | None
    added: str
    last_attempt: str | None
    last_success: str | None
    last_error: str | None
    failures: int
    next_due: str | None
    hold_until: str | None
    gone: bool
    last_new: int
    articles: int
    etag: str | None = None
    last_modified: str | None = None

    @property
    def is_file(self) -> bool:
        """A local feed file rather than an address."""
        return not is_fetchable(self.url)

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name, "url": self.url, "full_text": self.full_text, "title": self.title,
            "articles": self.articles, "new": self.last_new, "last_success": self.last_success,
            "last_error": self.last_error, "last_attempt": self.last_attempt,
            "next_due": self.next_due, "held_until": self.hold_until, "gone": self.gone,
            "added": self.added,
        }


@dataclass(frozen=True, slots=True)
class FeedResult:
    """What a refresh did to one feed. ``status``: ``new`` (fetched, maybe 0 new items),
    ``unchanged`` (304 or the same file), ``error``, ``gone``, ``held`` (waiting for the
    server's Retry-After), ``not due`` (``--due`` only)."""

    name: str
    url: str
    status: str
    new: int = 0
    updated: int = 0
    error: str | None = None
    moved_to: str | None = None
    pages: int = 0

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "url": self.url, "status": self.status, "new": self.new,
                "updated": self.updated, "error": self.error, "moved_to": self.moved_to,
                "pages": self.pages}


@dataclass
class RefreshReport:
    """What a refresh did: one result per feed, the articles added, items that could not be
    turned into articles (name, reason)."""

    feeds: list[FeedResult] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(f.new for f in self.feeds)

    @property
    def errors(self) -> list[FeedResult]:
        return [f for f in self.feeds if f.error]


@dataclass(frozen=True, slots=True)
class RefreshProgress:
    """Progress of a refresh: feeds done of total, new items found so far; ``phase`` is
    ``fetch`` while feeds arrive, then ``add`` while their articles are stored."""

    done: int
    total: int
    new: int
    phase: str = "fetch"
    added: int = 0
    adding: int = 0


# --- one feed's fetch and parse ----------------------------------------------------------------


@dataclass
class _Item:
    key: str
    digest: str
    parsed: ParsedArticle | _WithPage
    previous: str | None  # the article this key had, if any


@dataclass(frozen=True)
class _WithPage:
    """A feed item whose linked page was fetched: the page is extracted, and the article made,
    when the add parses it (in its worker processes for a big refresh, so extraction runs
    beside storing instead of on the thread that fetches). A page that cannot be extracted
    leaves the feed's own text, as before."""

    item: object  # index.feeds.FeedItem
    page: bytes
    url: str | None
    content_type: str | None
    outlet: str

    def __call__(self) -> ParsedArticle:
        from index.extract import extract_page
        from index.feeds import item_article

        try:
            page = extract_page(self.page, url=self.url, content_type=self.content_type)
        except ParseError:
            page = None  # the feed's own text stands
        return item_article(self.item, outlet=self.outlet, page=page)  # type: ignore[arg-type]


@dataclass
class _Outcome:
    feed: FeedRow
    fetched: Fetched | None = None
    status: str = "new"
    error: str | None = None
    items: list[_Item] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    title: str | None = None
    validators: tuple[str | None, str | None] = (None, None)
    pages: int = 0
    name: str | None = None  # the feed's title, free, when a first fetch names the feed
    damage: str | None = None  # a feed damaged part-way whose items before it were kept


_ITEM_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>", re.IGNORECASE)


def _whole_items(data: bytes) -> int:
    """How many items/entries of an XML feed cut short were closed before the cut."""
    return len(_ITEM_END.findall(data))


def _digest(item: object) -> str:
    h = hashlib.sha1()
    for part in (getattr(item, "title", None), getattr(item, "link", None),
                 getattr(item, "byline", None), getattr(item, "body_html", None),
                 str(getattr(item, "published", None) if not getattr(item, "dated_by_fetch", False)
                     else "")):
        h.update((part or "").encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:20]


_LINK_TAG = re.compile(rb"<link\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(rb"""([a-zA-Z-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_FEED_TYPES = (b"application/rss+xml", b"application/atom+xml", b"application/feed+json",
               b"application/json")


def discover_feed(html: bytes, base: str) -> str | None:
    """The first feed a page links to (``<link rel="alternate" type="application/rss+xml">``)."""
    for tag in _LINK_TAG.findall(html[: 512 * 1024]):
        attrs = {k.lower(): v.strip(b"\"'") for k, v in _ATTR.findall(tag)}
        if b"alternate" in attrs.get(b"rel", b"").lower().split() and \
                attrs.get(b"type", b"").lower() in _FEED_TYPES and attrs.get(b"href"):
            url = urljoin(base, attrs[b"href"].decode("utf-8", "replace").strip())
            return url if is_fetchable(url) else None
    return None


def _read_file(path: str, stamp: str | None) -> tuple[bytes | None, str, str | None]:
    """A local feed file: (bytes or None if unchanged, its stamp, error)."""
    p = Path(path)
    try:
        st = p.stat()
        now_stamp = f"{st.st_mtime_ns}:{st.st_size}"
        if stamp == now_stamp:
            return None, now_stamp, None
        with p.open("rb") as f:
            data = f.read(MAX_FILE_BYTES)
        return data, now_stamp, None
    except OSError as exc:
        return None, stamp or "", exc.strerror or str(exc)


class Subscriptions:
    """The feeds of one library. Reading writes nothing; the feed tables are created on the
    first write if the library predates them."""

    def __init__(self, library: Library, config: FetchConfig | None = None) -> None:
        self.library = library
        self.conn: sqlite3.Connection = library.conn
        self.config = config or FetchConfig()

    # --- reading --------------------------------------------------------------------------
    def feeds(self) -> list[FeedRow]:
        """Every feed, by name."""
        if not store.has_feeds(self.conn):
            return []
        return [self._row(r) for r in store.feeds.feed_rows(self.conn)]

    @staticmethod
    def _row(r: tuple) -> FeedRow:
        return FeedRow(
            id=r[0], name=r[1], url=r[2], full_text=r[3], title=r[4], added=r[5],
            last_attempt=r[6], last_success=r[7], last_error=r[8], failures=int(r[9]),
            next_due=r[10], hold_until=r[11], gone=bool(r[12]), last_new=int(r[13]),
            articles=int(r[14]), etag=r[15], last_modified=r[16])

    def get(self, ref: str) -> FeedRow:
        """A feed by name or address (NotFound with a clear message if none)."""
        if store.has_feeds(self.conn):
            ref = ref.strip()
            for by in ("name", "url", "name_nocase"):
                rows = store.feeds.feed_rows_by(self.conn, by, ref)
                if len(rows) == 1:
                    return self._row(rows[0])
            path = _local_path(ref)
            if path is not None:
                rows = store.feeds.feed_rows_by(self.conn, "url", path)
                if rows:
                    return self._row(rows[0])
        raise store.NotFound(f"no feed named {ref!r} (see `reader feed list`)")

    def article_ids(self, ref: str | int) -> list[str]:
        """The articles of one feed (by name, address or row id), newest first."""
        if not store.has_feeds(self.conn):
            return []
        fid = ref if isinstance(ref, int) else self.get(ref).id
        return store.feeds.feed_article_ids(self.conn, fid)

    def feed_of_articles(self) -> dict[str, str]:
        """article id -> the name of a feed it came from."""
        if not store.has_feeds(self.conn):
            return {}
        return store.feeds.feed_names_of_articles(self.conn)

    # --- changing the list ------------------------------------------------------------------
    def add(self, target: str, *, name: str | None = None, full_text: str = "auto",
            fetch: bool = True,
            progress: Callable[[RefreshProgress], None] | None = None,
            on_busy: Callable[[], None] | None = None,
            ) -> tuple[FeedRow, RefreshReport | None]:
        """Follow a feed (an address or a local feed file) and, with ``fetch``, fetch it now.

        Raises FeedError when it is already followed, the name is taken, or the address is not
        a feed (a page linking to its feed is followed through that link)."""
        if full_text not in FULL_TEXT:
            raise FeedError(f"--full-text must be one of {', '.join(FULL_TEXT)}")
        target = target.strip()
        url = target if is_fetchable(target) else _local_path(target)
        if url is None:
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", target):
                raise FeedError(f"{target}: only http:// and https:// addresses are followed")
            raise FeedError(f"{target}: no such file, and not an http(s) address")
        store.ensure_feeds(self.conn)
        first: Fetched | None = None
        if fetch and is_fetchable(url):
            url, first = self._resolve_feed_address(url)
        clash = store.feeds.feed_name_at(self.conn, url)
        if clash is not None:
            raise FeedError(f"already following {url} as {clash!r}")
        name = _clean_name(name) if name else None
        if name is not None and self._name_taken(name):
            raise FeedError(f"a feed is already named {name!r}; choose another --name")
        provisional = name or self._free_name(_name_from_url(url))
        with store.transaction(self.conn):
            store.feeds.insert_feed(self.conn, provisional, url, full_text, _iso(_now()))
        row = self.get(url)
        if not fetch:
            return row, None
        report = self._refresh_rows([row], progress=progress, named=name is not None,
                                    first=True, prefetched=first, on_busy=on_busy)
        result = report.feeds[0] if report.feeds else None
        if first is not None and result is not None and result.status == "error":
            # it answered, and what it sent is no feed we can read: do not follow it
            with store.transaction(self.conn):
                store.feeds.delete_feed(self.conn, row.id, items=False)
            raise FeedError(f"{url}: {result.error}")
        return self.get(url), report

    def _resolve_feed_address(self, url: str) -> tuple[str, Fetched | None]:
        """``url`` itself when it serves a feed (with the response, so the first refresh does
        not fetch it again); the feed a page links to when it is a page."""
        from index.feeds import looks_like_feed

        got = run_async(lambda s: s.fetch(Request(url, accept=FEED_ACCEPT)), self.config)
        if got.status in (401, 403, 404, 410) or (got.status == 0 and got.error and
                                                  got.error.startswith("redirected")):
            raise FeedError(f"{url}: {got.error}")
        if not (got.ok or (got.cut_short and got.content)) or got.status != 200:
            return url, None  # the first refresh records the error on the row
        if looks_like_feed(got.content[:4096]):
            return got.moved_to or url, got
        if not got.content.lstrip()[:1] == b"<":
            raise FeedError(f"{url} is not a feed (RSS, Atom or JSON Feed)")
        found = discover_feed(got.content, got.final_url)
        if found is None:
            raise FeedError(f"{url} is a web page, not a feed, and links to no feed "
                            "(use `reader add URL` to add the page itself)")
        return found, None

    def _name_taken(self, name: str, but: int | None = None) -> bool:
        fid = store.feeds.feed_id_named(self.conn, name)
        return fid is not None and fid != but

    def _free_name(self, base: str, but: int | None = None) -> str:
        name, n = base, 1
        while self._name_taken(name, but):
            n += 1
            name = f"{base} ({n})"
        return name

    def remove(self, ref: str, *, purge: bool = False,
               on_busy: Callable[[], None] | None = None) -> tuple[FeedRow, int]:
        """Stop following a feed; its articles stay unless ``purge`` (then those no other feed
        carries are removed). Returns the row and the number of articles removed."""
        row = self.get(ref)
        ids = self.article_ids(row.id) if purge else []
        with store.transaction(self.conn):
            store.feeds.delete_feed(self.conn, row.id)
        removed = 0
        if ids:
            removed = self.library.remove(self._unreferenced(ids), on_busy=on_busy)
        return row, removed

    def _unreferenced(self, ids: Iterable[str]) -> list[str]:
        return [aid for aid in ids if not store.feeds.is_feed_article(self.conn, aid)]

    def import_opml(self, data: bytes) -> tuple[list[FeedRow], list[tuple[str, str]]]:
        """Follow every feed of an OPML list (not fetched yet: ``refresh`` does that). Returns
        the feeds added and those skipped with the reason (already followed, bad address)."""
        outlines = read_opml(data)
        added: list[FeedRow] = []
        skipped: list[tuple[str, str]] = []
        for o in outlines:
            if not is_fetchable(o.url):
                skipped.append((o.url, "only http:// and https:// addresses are followed"))
                continue
            try:
                name = o.name if o.name and not (store.has_feeds(self.conn)
                                                 and self._name_taken(_clean_name(o.name))) \
                    else None
                row, _ = self.add(o.url, name=name, full_text=o.full_text or "auto", fetch=False)
                added.append(row)
            except FeedError as exc:
                skipped.append((o.url, str(exc).removeprefix(o.url + ": ")))
        return added, skipped

    def export_opml(self) -> str:
        """Every followed address as an OPML document (local files are left out)."""
        return write_opml(Outline(f.url, f.name, None if f.full_text == "auto" else f.full_text)
                          for f in self.feeds() if not f.is_file)

    # --- refreshing --------------------------------------------------------------------------
    def refresh(self, refs: Sequence[str] | None = None, *, due_only: bool = False,
                progress: Callable[[RefreshProgress], None] | None = None,
                on_busy: Callable[[], None] | None = None,
                cancel: Callable[[], bool] | None = None) -> RefreshReport:
        """Fetch the named feeds (default: all) and add what is new. Gone feeds are skipped
        unless named; a feed the server asked to wait (Retry-After) waits; with ``due_only``,
        so does every feed whose ``next_due`` has not come. ``cancel`` is polled as for an add:
        when it returns True nothing is added or recorded and :class:`Cancelled` is raised."""
        named = bool(refs)
        rows = [self.get(r) for r in refs] if refs else self.feeds()
        rows = list({r.id: r for r in rows}.values())
        return self._refresh_rows(rows, progress=progress, named=named, due_only=due_only,
                                  on_busy=on_busy, cancel=cancel)

    def _refresh_rows(self, rows: list[FeedRow], *, progress=None, named: bool = False,
                      due_only: bool = False, first: bool = False,
                      prefetched: Fetched | None = None,
                      on_busy: Callable[[], None] | None = None,
                      cancel: Callable[[], bool] | None = None) -> RefreshReport:
        report = RefreshReport()
        now = _now()
        todo: list[FeedRow] = []
        for r in rows:
            hold = _parse_iso(r.hold_until)
            due = _parse_iso(r.next_due)
            if r.gone and not named:
                report.feeds.append(FeedResult(r.name, r.url, "gone", error=(
                    "gone (410): the server says it was removed; `reader feed remove` it, or "
                    "refresh it by name to try again")))
            elif hold is not None and hold > now:
                report.feeds.append(FeedResult(r.name, r.url, "held", error=(
                    f"the server asked to wait until {hold:%Y-%m-%d %H:%M} UTC")))
            elif due_only and due is not None and due > now:
                report.feeds.append(FeedResult(r.name, r.url, "not due"))
            else:
                todo.append(r)
        if not todo:
            return report
        known = store.feeds.known_items(self.conn, [r.id for r in todo])
        counts = {"done": 0, "new": 0, "items": 0, "added": 0}
        # Feeds are fetched, parsed and their pages extracted on a thread of their own while
        # this thread adds what has arrived: the add's enrichment (worker processes), storing
        # and indexing overlap with the network and the parsers instead of waiting for the
        # last feed. Still one add, one transaction: the promises of an add hold unchanged.
        arrived: queue.Queue[_Outcome | None] = queue.Queue()
        stop = threading.Event()
        fetched: dict[str, object] = {}
        lock = threading.Lock()

        def feed_done(outcome: _Outcome) -> None:
            with lock:
                counts["done"] += 1
                counts["new"] += sum(1 for i in outcome.items if i.previous is None)
                counts["items"] += len(outcome.items)
                p = RefreshProgress(counts["done"], len(todo), counts["new"])
            if progress is not None:
                progress(p)

        async def go(session: Session) -> list[_Outcome]:
            async def one(r: FeedRow) -> _Outcome:
                if stop.is_set() or (cancel is not None and cancel()):
                    return _Outcome(r, status="error", error="the refresh was stopped")
                try:
                    out = await self._fetch_feed(session, r, known.get(r.id, {}), now,
                                                 rename=first and not named,
                                                 prefetched=prefetched)
                except Exception as exc:  # a bug on one feed's content must not stop the rest
                    out = _Outcome(r, status="error",
                                   error=f"could not be read ({type(exc).__name__}: {exc})")
                feed_done(out)
                arrived.put(out)
                return out

            return list(await asyncio.gather(*(one(r) for r in todo)))

        def fetch_all_feeds() -> None:
            try:
                fetched["outcomes"] = run_async(go, self.config)
            except BaseException as exc:  # re-raised in the adding thread
                fetched["error"] = exc
            finally:
                arrived.put(None)

        def stream() -> Iterator[tuple[str, Any]]:
            while True:
                o = arrived.get()
                if o is None:
                    if "error" in fetched:
                        raise fetched["error"]  # type: ignore[misc]
                    return
                for it in o.items:
                    yield f"{o.feed.id}\t{it.key}", it.parsed

        fetcher = threading.Thread(target=fetch_all_feeds, name="refresh-fetch", daemon=True)
        fetcher.start()
        add_report = AddReport()
        try:
            items = stream()
            first_item = next(items, None)  # nothing new (all 304s): no add, no model loading
            if first_item is not None:

                def add_progress(p: Progress) -> None:
                    if progress is None:
                        return
                    with lock:
                        done, new, total = counts["done"], counts["new"], counts["items"]
                    progress(RefreshProgress(done, len(todo), new,
                                             "add" if done == len(todo) else "fetch",
                                             p.done, total))

                add_report = self.library.add_parsed(itertools.chain([first_item], items),
                                                     progress=add_progress, on_busy=on_busy,
                                                     cancel=cancel)
        finally:
            stop.set()
        fetcher.join()
        if cancel is not None and cancel():
            raise Cancelled("refresh stopped; nothing from it was kept")
        if "error" in fetched:
            raise fetched["error"]  # type: ignore[misc]
        outcomes: list[_Outcome] = fetched["outcomes"]  # type: ignore[assignment]
        report.added = list(add_report.added)
        report.skipped = [(n.split("\t", 1)[-1], why) for n, why in add_report.skipped]
        fresh = set(add_report.added)
        stale = self._record(outcomes, add_report.ids, fresh, now, report, first=first,
                             named=named)
        if stale:
            report.removed = self.library.remove(self._unreferenced(stale), on_busy=on_busy)
        order = {r.id: k for k, r in enumerate(rows)}
        report.feeds.sort(key=lambda f: order.get(self._id_of(f.url, rows), 0))
        return report

    @staticmethod
    def _id_of(url: str, rows: list[FeedRow]) -> int:
        for r in rows:
            if r.url == url:
                return r.id
        return 0

    async def _fetch_feed(self, session: Session, row: FeedRow,
                          known: dict[str, tuple[str, str]], now: datetime, *,
                          rename: bool = False, prefetched: Fetched | None = None) -> _Outcome:
        """Fetch and parse one feed, and the pages of its summary-only items that are new or
        edited (never raises for the feed's own failure)."""
        from index.feeds import parse_feed

        out = _Outcome(row)
        if row.is_file:
            data, stamp, error = await asyncio.to_thread(_read_file, row.url, row.last_modified)
            out.validators = (None, stamp)
            if error:
                out.status, out.error = "error", error
                return out
            if data is None:
                out.status = "unchanged"
                return out
            content_type, base = None, None
        else:
            got = prefetched or await session.fetch(
                Request(row.url, row.etag, row.last_modified, accept=FEED_ACCEPT))
            out.fetched = got
            if not got.ok and not (got.cut_short and got.content):
                out.status = "gone" if got.gone else "error"
                out.error = got.error
                return out
            out.validators = (got.etag, got.last_modified)
            if got.not_modified:
                out.status = "unchanged"
                return out
            data, content_type, base = got.content, got.content_type, got.final_url
        cut_short = out.fetched is not None and out.fetched.cut_short
        try:
            feed = parse_feed(data, url=base, content_type=content_type, fetched_at=now)
        except ParseError as exc:
            out.status, out.error = "error", (out.fetched.error if cut_short and out.fetched
                                              else f"not a feed ({exc})")
            return out
        items = feed.items
        if cut_short or (out.fetched is not None and out.fetched.truncated):
            items = items[:_whole_items(data)]  # an item the cut went through is not kept
        if not items and (cut_short or feed.problem):
            out.status = "error"
            out.error = (out.fetched.error if cut_short and out.fetched else feed.problem)
            return out
        if cut_short or feed.problem:
            # damaged part-way: the items before the damage are kept, and the damage is
            # reported in one line (and stays on the feed's row until a good fetch)
            n = f"{len(items)} item{'s' if len(items) != 1 else ''}"
            out.damage = (f"the feed was cut short after {len(data):,} bytes; kept the {n} "
                          "before the cut" if cut_short else f"{feed.problem}; kept the {n} read")
        if out.fetched is not None and out.fetched.truncated:
            out.error = None  # usable, but say so in the report
            out.skipped.append(("", f"the feed was cut at {self.config.max_bytes // 2**20} MB"))
        out.title = feed.title
        if rename and feed.title and _clean_name(feed.title):
            out.name = _clean_name(feed.title)  # made unique when recorded (no SQL here:
            # this runs on the fetching thread)
        changed = []
        for item in items:
            digest = _digest(item)
            prev = known.get(item.key)
            if prev is not None and prev[1] == digest:
                continue
            changed.append((item, digest, prev[0] if prev else None))
        parsed, pages, skipped = await _articles_of(
            session, [item for item, _d, _p in changed], row.full_text, out.name or row.name,
            defer=True)
        out.pages = pages
        out.skipped.extend(skipped)
        for (item, digest, before), article in zip(changed, parsed, strict=True):
            if article is not None:
                out.items.append(_Item(item.key, digest, article, before))
        return out

    def _record(self, outcomes: list[_Outcome], ids: dict[str, str], fresh: set[str],
                now: datetime, report: RefreshReport, *, first: bool,
                named: bool) -> list[str]:
        """Write what the refresh learnt to the feed rows; returns the ids of articles replaced
        by an edited item's new text."""
        stale: list[str] = []
        stamp = _iso(now)
        with store.transaction(self.conn):
            for o in outcomes:
                r = o.feed
                current = store.feeds.feed_failures(self.conn, r.id)
                if current is None:  # removed while we fetched
                    continue
                if o.error is not None and o.status in ("error", "gone"):
                    failures = current + 1
                    wait = min(BACKOFF_FIRST * 2 ** (failures - 1), BACKOFF_MAX)
                    hold = None
                    if o.fetched is not None and o.fetched.retry_after is not None:
                        hold = now + timedelta(seconds=o.fetched.retry_after)
                        wait = max(wait, timedelta(seconds=o.fetched.retry_after))
                    store.feeds.record_failure(
                        self.conn, r.id, stamp=stamp, error=o.error, failures=failures,
                        next_due=_iso(now + wait), hold_until=_iso(hold),
                        gone=o.status == "gone")
                    report.feeds.append(FeedResult(r.name, r.url, o.status, error=o.error))
                    continue
                new = updated = 0
                for it in o.items:
                    aid = ids.get(f"{r.id}\t{it.key}")
                    if aid is None:
                        continue
                    store.feeds.record_item(self.conn, r.id, it.key, aid, it.digest, stamp)
                    if it.previous is None:
                        new += aid in fresh
                    elif it.previous != aid:
                        updated += 1
                        stale.append(it.previous)
                name, url = r.name, r.url
                moved = o.fetched.moved_to if o.fetched is not None else None
                if moved and moved != url and store.feeds.feed_name_at(self.conn, moved) is None:
                    url = moved
                if o.name and o.name != name:
                    name = self._free_name(o.name, but=r.id)
                etag, lm = o.validators
                if o.status == "unchanged":
                    etag, lm = etag or r.etag, lm or r.last_modified
                store.feeds.record_success(
                    self.conn, r.id, name=name, url=url, title=o.title, etag=etag,
                    last_modified=lm, stamp=stamp, next_due=_iso(now + INTERVAL), new=new,
                    damage=o.damage, unchanged=o.status == "unchanged")
                note = "; ".join([*([o.damage] if o.damage else []),
                                  *(why for _n, why in o.skipped if not _n)]) or None
                report.feeds.append(FeedResult(
                    name, url, o.status, new=new, updated=updated, error=note,
                    moved_to=url if url != r.url else None, pages=o.pages))
                report.skipped.extend((n, why) for n, why in o.skipped if n)
        return stale


async def _articles_of(session: Session, items: Sequence[object], full_text: str, outlet: str,
                       *, defer: bool = False,
                       ) -> tuple[list[Any], int, list[tuple[str, str]]]:
    """Feed items as articles, the linked page fetched and extracted for those the full-text
    policy asks it of (a page that fails leaves the feed's own text). Returns the articles (None
    for an item that cannot be one), the number of pages used, and (item, reason) skipped.
    With ``defer``, an item with a fetched page is a :class:`_WithPage` that the add extracts
    (the number is then of pages fetched)."""
    from index.extract import extract_page
    from index.feeds import item_article

    wants = [
        k for k, item in enumerate(items)
        if getattr(item, "link", None) and is_fetchable(item.link)  # type: ignore[attr-defined]
        and (full_text == "always" or (full_text == "auto" and item.is_summary))  # type: ignore[attr-defined]
    ]
    pages: dict[int, object] = {}
    if wants:
        fetched = await asyncio.gather(*(
            session.fetch(Request(items[k].link, accept=PAGE_ACCEPT))  # type: ignore[attr-defined]
            for k in wants))
        for k, got in zip(wants, fetched, strict=True):
            if got.ok and got.status == 200 and got.content:
                if defer:
                    pages[k] = _WithPage(items[k], got.content, got.final_url, got.content_type,
                                         outlet)
                    continue
                with contextlib.suppress(ParseError):  # the feed's own text stands
                    pages[k] = extract_page(got.content, url=got.final_url,
                                            content_type=got.content_type)
    out: list[Any] = []
    skipped: list[tuple[str, str]] = []
    for k, item in enumerate(items):
        if isinstance(pages.get(k), _WithPage):
            out.append(pages[k])
            continue
        try:
            out.append(item_article(item, outlet=outlet, page=pages.get(k)))  # type: ignore[arg-type]
        except ParseError as exc:
            out.append(None)
            skipped.append((item.link or item.title or item.key, str(exc)))  # type: ignore[attr-defined]
    return out, len(pages), skipped


def articles_from_urls(urls: Sequence[str], config: FetchConfig | None = None,
                       ) -> tuple[list[tuple[str, ParsedArticle]], list[tuple[str, str]]]:
    """``reader add URL``: each address fetched once, as an article page (extracted) or, when it
    serves a feed, as that feed's items (summary-only items get their page). Returns
    (name, article) pairs to add and (address, reason) pairs skipped, one line each."""
    from index.extract import extract_page, page_article
    from index.feeds import looks_like_feed, parse_feed

    async def one(session: Session, url: str):  # type: ignore[no-untyped-def]
        if not is_fetchable(url):
            return [], [(url, "only http:// and https:// addresses are fetched")]
        got = await session.fetch(Request(url, accept=PAGE_ACCEPT))
        if not got.ok:
            return [], [(url, got.error or "could not fetch")]
        if got.status != 200 or not got.content:
            return [], [(url, "the server sent nothing")]
        try:
            if looks_like_feed(got.content[:4096]):
                feed = parse_feed(got.content, url=got.final_url, content_type=got.content_type,
                                  fetched_at=_now())
                if not feed.items:
                    return [], [(url, feed.problem or "a feed with no items")]
                outlet = feed.title or _name_from_url(got.final_url)
                arts, _n, skipped = await _articles_of(session, feed.items, "auto", outlet)
                return [(f"{url} {it.key}", a) for it, a in zip(feed.items, arts, strict=True)
                        if a is not None], skipped
            page = extract_page(got.content, url=got.final_url, content_type=got.content_type)
            return [(url, page_article(page))], []
        except ParseError as exc:
            return [], [(url, str(exc))]

    async def go(session: Session):  # type: ignore[no-untyped-def]
        return await asyncio.gather(*(one(session, u) for u in urls))

    items: list[tuple[str, ParsedArticle]] = []
    skipped: list[tuple[str, str]] = []
    for got_items, got_skipped in run_async(go, config):
        items.extend(got_items)
        skipped.extend(got_skipped)
    return items, skipped


def _local_path(ref: str) -> str | None:
    if is_fetchable(ref) or "://" in ref:
        return None
    p = Path(ref).expanduser()
    try:
        return str(p.resolve()) if p.is_file() else None
    except OSError:
        return None


def _clean_name(name: str) -> str:
    from index.clean import clean_text, normalize_ws

    return normalize_ws(clean_text(name)).strip()[:120]


def _name_from_url(url: str) -> str:
    if is_fetchable(url):
        host = (urlsplit(url).hostname or url).lower()
        return host.removeprefix("www.")
    return Path(url).stem or url
