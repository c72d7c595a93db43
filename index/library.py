"""The library: one folder holding the article store and the search index derived from it.

``Library`` is the engine's facade; the CLI and the app use nothing else. Layout of the folder::

    library.db      SQLite store: articles, entities, events, passage links, stories (the truth)
    whoosh-N/       Whoosh index derived from the store (``reindex`` builds a new one and swaps)
    write.lock      held by whoever is adding, so two writers never interleave

Adding is atomic per batch: the store commits the whole batch in one transaction, then the index
catches up. If a crash comes between the two, the next writer (or reader) indexes what the index
lacks, so the index never stays behind the store.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
import sqlite3
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from index import inputs, store
from index.model import Article, EntityMention
from index.parse import ParsedArticle
from index.pipeline import (
    ENRICH_VERSION,
    Prepared,
    Result,
    Unit,
    enrichable,
    prepare_units,
    reenrich,
    search_names,
    warm,
)
from index.pool import Workers, default_procs
from index.search import Hit, IndexDamaged, QueryError, SearchIndex, document
from index.store import ArticleRow, NotFound, StoreError, StoreFull, StoreUnwritable

__all__ = [
    "AddReport",
    "Cancelled",
    "Interrupted",
    "NotFound",
    "EntityRow",
    "EventRow",
    "IndexDamaged",
    "Library",
    "LibraryBusy",
    "QueryError",
    "SearchRow",
    "StoreError",
    "StoreFull",
    "StoreUnwritable",
    "default_library_path",
]

BULK_THRESHOLD = 200  # above this many inputs, enrichment runs in worker processes
REENRICH_PAGE = 64  # a reindex makes names and dates again this many articles at a time
# Stored articles are linked (passages, stories) this many at a time: each call writes its
# shingle postings and document frequencies once, so bigger runs rewrite fewer table pages
# (a few MB of prepared prints in memory)
LINK_BATCH = 2048
_CHUNK = 32  # units sent to a worker at a time


def default_library_path() -> Path:
    """``$READER_LIBRARY`` or the user's data folder (platformdirs)."""
    env = os.environ.get("READER_LIBRARY")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("reader", appauthor=False)) / "library"


class Cancelled(Exception):
    """An add was cancelled; the batch was rolled back."""


class Interrupted(KeyboardInterrupt):
    """An add or reindex was interrupted (Ctrl-C, SIGTERM); the message says what was kept."""


class LibraryBusy(RuntimeError):
    """Another process is writing to the library."""


class LibraryPathError(StoreError):
    """The library path cannot be a library (a file, or under a file)."""


MAX_SKIPS_NAMED = 1000  # a report names this many skipped inputs, and counts the rest


@dataclass
class AddReport:
    """What an add did: ids added, duplicates ignored, inputs skipped with their reason.

    ``ids`` maps each input's name to its article id, whether it was added now or was already
    in the library (a skipped input has none)."""

    added: list[str] = field(default_factory=list)
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    skipped_more: int = 0  # skipped beyond the MAX_SKIPS_NAMED named ones
    ids: dict[str, str] = field(default_factory=dict)  # input name -> article id (new or not)

    def skip(self, name: str, reason: str) -> None:
        """Record a skipped input (named while few, counted beyond MAX_SKIPS_NAMED)."""
        if len(self.skipped) < MAX_SKIPS_NAMED:
            self.skipped.append((name, reason))
        else:
            self.skipped_more += 1

    @property
    def skipped_count(self) -> int:
        return len(self.skipped) + self.skipped_more


@dataclass(frozen=True, slots=True)
class Progress:
    """Progress of an add (or a reindex): items done, total if known, the item being handled,
    and the stage of a reindex ("" for an add)."""

    done: int
    total: int | None
    current: str
    stage: str = ""


@dataclass(frozen=True, slots=True)
class SearchRow:
    """A search result with what a list shows."""

    id: str
    title: str
    source: str
    published: str | None
    score: float


@dataclass(frozen=True, slots=True)
class EntityRow:
    """An entity merged across the library: counts over mentions, articles and sources."""

    key: str
    name: str
    type: str
    aliases: tuple[str, ...]
    mentions: int
    articles: int
    sources: int


@dataclass(frozen=True, slots=True)
class EventRow:
    """A dated event with its article and source."""

    date: str
    precision: str
    expression: str
    text: str
    article: str
    source: str
    paragraph: int
    start: int
    end: int


def _fault_point(name: str) -> None:
    """Crash-test hook. With ``READER_FAULT_PAUSE=name`` the writer stops here, so a test can
    kill or interrupt it at exactly this point: for ``READER_FAULT_SECONDS`` (default an
    hour), after touching the file ``READER_FAULT_MARK`` if set (so the test knows it is
    there). With ``READER_FAULT_RAISE=name:ENOSPC`` it raises that OSError here instead.
    Unset, it costs one dictionary lookup."""
    env = os.environ
    if env.get("READER_FAULT_PAUSE") == name:
        import time

        mark = env.get("READER_FAULT_MARK")
        if mark:
            Path(mark).touch()
        time.sleep(float(env.get("READER_FAULT_SECONDS", "3600")))
    raise_at = env.get("READER_FAULT_RAISE")
    if raise_at and raise_at.split(":")[0] == name:
        import errno

        what = raise_at.split(":")[1] if ":" in raise_at else "ENOSPC"
        code = getattr(errno, what, None)
        if code is None:  # not an errno name: an unexpected error, as a bug would raise
            raise RuntimeError(f"fault point {name}")
        raise OSError(code, os.strerror(code))


class _ForkGuard:
    """While a writer holds the lock, every process it forks (the enrichment workers) drops
    its inherited copy of the lock and dies with the writer, so a killed writer never leaves
    orphans that keep the library locked."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.parent = os.getpid()

    def in_child(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        if os.getppid() != self.parent:  # the writer died before prctl took effect
            os._exit(1)


class _Signals:
    """SIGINT and SIGTERM held back for a few statements (``with _Signals.held():``), so a
    commit and the note that it happened are one step: an interrupt lands before or after
    both, and what the interrupted command says it kept is true."""

    @staticmethod
    @contextlib.contextmanager
    def held() -> Iterator[None]:
        import signal

        if threading.current_thread() is not threading.main_thread():
            yield
            return
        sigs = {signal.SIGINT, signal.SIGTERM}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


class Library:
    """One library folder: add articles, search them, and read what was derived from them.

    Opening a library to read writes nothing: the store's and the link tables' schemas are
    created by the first writer (or on an upgrade, under the writer lock)."""

    def __init__(self, path: Path | str | None = None, *, create: bool = True,
                 on_upgrade: Callable[[str, int, int], None] | None = None) -> None:
        self.path = Path(path).expanduser() if path else default_library_path()
        self.on_upgrade = on_upgrade
        """Told ``(what, done, total)`` while a library made by an older version is brought
        up to date (once, by its first writer: relinking its stories, counting its
        entities), so that a long wait is never silent."""
        self._check_path(create)
        self._lock = threading.RLock()
        self._held = 0
        self._reader_fd: int | None = None
        db = self.path / "library.db"
        wal = self.path / "library.db-wal"
        if (not db.exists() or db.stat().st_size == 0) and not (
            wal.exists() and wal.stat().st_size > 0
        ) and any(self.path.glob("whoosh-*")):
            raise StoreError(
                f"the library store {db} is missing or empty but {self.path} holds a library; "
                "restore library.db from a backup, or move the folder aside and add the articles "
                "again"
            )
        self.conn = store.connect(db)
        self.readonly = store.is_readonly(self.conn)
        from index.stories import StoryIndex

        self.stories = StoryIndex(self.conn)
        if not self.readonly and self.stories.needs_schema():
            # a new library or an older layout: a write, made once, under the writer lock
            with self._write_lock(on_busy=lambda: None):
                if self.stories.needs_schema():
                    with store.transaction(self.conn):
                        old = self.stories.create_schema()
                    if old:  # an older layout was dropped: derive it again
                        self._relink_all()
        self._index: SearchIndex | None = None
        self._index_dir: str | None = None

    def _check_path(self, create: bool) -> None:
        p = self.path
        for parent in [p, *p.parents]:
            if parent.exists():
                if not parent.is_dir():
                    where = "is a file" if parent == p else f"lies under the file {parent}"
                    raise LibraryPathError(f"the library path {p} {where}, not a folder")
                break
        if create:
            try:
                p.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LibraryPathError(
                    f"cannot create the library folder {p} ({exc.strerror or exc})") from None
        elif not (p / "library.db").exists():
            raise StoreError(f"no library at {p}")

    # --- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        """Close the store and the index."""
        if self._index is not None:
            self._index.close()
        self._release_reader()
        self.conn.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _release_reader(self) -> None:
        if self._reader_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._reader_fd)  # closing drops the shared lock
            self._reader_fd = None

    def _hold_index(self, name: str) -> bool:
        """Take a shared lock on index ``name`` (its ``.readers-`` file) so no writer deletes it
        while this library reads it. False when the index was replaced meanwhile."""
        self._release_reader()
        if self.readonly:
            return True  # nothing can delete it here
        try:
            fd = os.open(self.path / f".readers-{name}", os.O_CREAT | os.O_RDWR, 0o644)
        except OSError:
            return True  # an unwritable folder: no writer can delete it either
        fcntl.flock(fd, fcntl.LOCK_SH)
        if not (self.path / name).is_dir() or store.get_meta(self.conn, "index_dir") != name:
            os.close(fd)
            return False
        self._reader_fd = fd
        return True

    @property
    def index(self) -> SearchIndex:
        """The current search index (the folder named in the store's meta)."""
        for _ in range(5):
            name = store.get_meta(self.conn, "index_dir")
            if name is None:
                name = self._create_index()
            if self._index is not None and self._index_dir == name:
                return self._index
            if self._index is not None:
                self._index.close()
                self._index = None
            if self._hold_index(name):
                self._index = SearchIndex(self.path / name)
                self._index_dir = name
                return self._index
        raise IndexDamaged("the search index keeps changing under this reader; try again")

    def _create_index(self) -> str:
        """The first index of a new library (made by the first writer; a reader waits for the
        moment it takes)."""
        if self.readonly:
            raise IndexDamaged(f"the search index is missing ({self.path})")
        with self._write_lock(on_busy=lambda: None), store.transaction(self.conn):
            name = store.get_meta(self.conn, "index_dir")
            if name is None:
                name = "whoosh-1"
                SearchIndex(self.path / name).create()
                store.set_meta(self.conn, "index_dir", name)
                store.set_meta(self.conn, "indexed_seq", "0")
        return name

    def generation(self) -> tuple[int, str]:
        """Changes whenever articles are added or removed or the index is rebuilt (for
        polling): the highest article number ever given (it never goes back, even when the
        newest article is removed) plus the number of removals."""
        removed = int(store.get_meta(self.conn, "removed_count", "0") or 0)
        top = max(store.top_seq(self.conn), store.ever_seq(self.conn))
        return top + removed, store.get_meta(self.conn, "index_dir") or ""

    def busy_with(self) -> str:
        """What the process holding the writer lock is doing ('adding to it', ...)."""
        try:
            text = (self.path / "write.lock").read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        what, _, pid = text.strip().partition(" ")
        doing = {"reindex": "rebuilding its search index", "remove": "removing from it",
                 "refresh": "refreshing its feeds"}.get(what, "adding to it")
        return f"another reader{f' (process {pid})' if pid.isdigit() else ''} is {doing}"

    def writer_free(self) -> bool:
        """Whether no other process holds the writer lock now (a probe: taken and let go at
        once; for a caller that waits in small steps it can stop, instead of blocking)."""
        if self._held:
            return True
        try:
            fd = os.open(self.path / "write.lock", os.O_CREAT | os.O_RDWR, 0o644)
        except OSError:
            return True  # the add itself will say what is wrong
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(fd)  # closing lets go of a lock taken through it
        return True

    @contextlib.contextmanager
    def _write_lock(self, on_busy: Callable[[], None] | None = None,
                    doing: str = "add") -> Iterator[None]:
        """Hold the library's writer lock (flock: released by the OS if the holder dies).
        Busy: call ``on_busy`` and wait, or raise LibraryBusy without it."""
        with self._lock:
            if self._held:
                self._held += 1
                try:
                    yield
                finally:
                    self._held -= 1
                return
            if store.is_full(self.conn):
                raise StoreFull(f"no space left on the disk holding {self.path}; nothing was "
                                "changed")
            if self.readonly:
                raise StoreUnwritable(
                    f"the library {self.path} is read-only here; it can be read, not changed")
            try:
                fd = os.open(self.path / "write.lock", os.O_CREAT | os.O_RDWR, 0o644)
            except OSError as exc:
                raise StoreUnwritable(
                    f"the library {self.path} cannot be written ({exc.strerror or exc})"
                ) from None
            guards: list[_ForkGuard] = []
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if on_busy is None:
                        raise LibraryBusy(f"the library is busy: {self.busy_with()}") from None
                    on_busy()
                    fcntl.flock(fd, fcntl.LOCK_EX)
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, f"{doing} {os.getpid()}\n".encode(), 0)
                self._held = 1
                import multiprocessing.util

                guards.append(_ForkGuard(fd))
                multiprocessing.util.register_after_fork(guards[0], _ForkGuard.in_child)
                self._ensure_tally()
                yield
            finally:
                guards.clear()  # unregisters it (the registry holds it weakly)
                self._held = 0
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _upgrading(self, what: str, done: int, total: int) -> None:
        if self.on_upgrade is not None:
            self.on_upgrade(what, done, total)

    def _ensure_tally(self) -> None:
        """The first writer of a library made before the entity counts counts them (once;
        see ``store.TALLY_SCHEMA``). Needs the writer lock."""
        if store.has_tally(self.conn):
            return
        if not store.has_entities(self.conn):
            store.ensure_tally(self.conn)  # nothing to count: a new library
            return
        self._upgrading("counting the entities", 0, 1)
        store.ensure_tally(self.conn)
        self._upgrading("counting the entities", 1, 1)

    def _clean_stale_indexes(self) -> None:
        """Delete index folders that are not the current one (a finished reindex's old index,
        a killed reindex's partial one) once no reader holds them. Needs the writer lock."""
        current = store.get_meta(self.conn, "index_dir")
        names = {p.name for p in self.path.glob("whoosh-*")}
        names |= {p.name.removeprefix(".readers-") for p in self.path.glob(".readers-whoosh-*")}
        for name in sorted(names):
            if name == current:
                continue
            lockfile = self.path / f".readers-{name}"
            try:
                fd = os.open(lockfile, os.O_CREAT | os.O_RDWR, 0o644)
            except OSError:
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a reader still has it open: the next writer deletes it
                shutil.rmtree(self.path / name, ignore_errors=True)
                with contextlib.suppress(OSError):
                    lockfile.unlink()
            finally:
                os.close(fd)

    # --- adding ---------------------------------------------------------------------------
    def add(
        self,
        paths: Iterable[Path | str],
        *,
        source: str | None = None,
        progress: Callable[[Progress], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        on_busy: Callable[[], None] | None = None,
        enrich: bool = True,
        procs: int | None = None,
    ) -> AddReport:
        """Add files, folders and JSON Lines files; one transaction for the whole batch.

        Bad inputs are skipped and named in the report; duplicates (same cleaned content) are
        stored once. ``cancel`` is polled between articles: when it returns True the batch is
        rolled back and :class:`Cancelled` is raised. Ctrl-C or SIGTERM raises
        :class:`Interrupted`, whose message says truly what was kept.
        """
        report = AddReport()
        return self._add_units(inputs.units(paths, source, enrich, report.skip), report,
                               progress=progress, cancel=cancel, on_busy=on_busy,
                               enrich=enrich, procs=procs)

    def add_parsed(
        self,
        items: Iterable[tuple[str, ParsedArticle | Callable[[], ParsedArticle]]],
        *,
        progress: Callable[[Progress], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        on_busy: Callable[[], None] | None = None,
        enrich: bool = True,
        procs: int | None = None,
    ) -> AddReport:
        """Add articles parsed elsewhere (a feed's items, a fetched page), each under a name
        for the report; ``report.ids`` maps each name to its article id. An item may also be a
        picklable callable that makes the article: it is called where the batch is parsed
        (the worker processes of a big batch); what it raises skips the item, named."""
        report = AddReport()
        units = (Unit(name, None, parsed, None, enrich) for name, parsed in items)
        return self._add_units(units, report, progress=progress, cancel=cancel,
                               on_busy=on_busy, enrich=enrich, procs=procs)

    def _add_units(
        self,
        units: Iterator[Unit],
        report: AddReport,
        *,
        progress: Callable[[Progress], None] | None,
        cancel: Callable[[], bool] | None,
        on_busy: Callable[[], None] | None,
        enrich: bool,
        procs: int | None,
    ) -> AddReport:
        import itertools

        procs = default_procs(procs)
        # A look ahead decides between worker processes (a big batch) and this process.
        head = list(itertools.islice(units, BULK_THRESHOLD))
        bulk = len(head) >= BULK_THRESHOLD
        use_pool = procs > 1 and bulk
        stream: Iterator[Unit] = itertools.chain(head, units)
        state = {"stage": "before"}
        try:
            with self._write_lock(on_busy):
                self._clean_stale_indexes()
                self._catch_up_index()
                if enrich:
                    warm()
                # the writer links stories LINK_BATCH articles at a time, and takes no results
                # meanwhile: the workers may prepare that many ahead instead of waiting for it
                workers = (Workers(procs, ahead=max(3, LINK_BATCH // (_CHUNK * procs)))
                           if use_pool else None)
                try:
                    if workers is not None:
                        chunks = iter(lambda: list(itertools.islice(stream, _CHUNK)), [])
                        results: Iterator[tuple[list[Result], dict[str, int]]] = workers.run(
                            chunks)
                    else:
                        results = (prepare_units([u]) for u in stream)
                    self._store_batch(results, None if bulk else len(head), report, progress,
                                      cancel, bulk=bulk, state=state)
                finally:
                    if workers is not None:
                        workers.stop()
        except KeyboardInterrupt as exc:
            raise Interrupted(self._interrupted_line(state, report)) from exc
        except (OSError, sqlite3.DatabaseError, StoreError) as exc:
            if store.failure_kind(exc) == "full":
                raise StoreFull(self._full_line(state)) from None
            if store.failure_kind(exc) == "unwritable":
                raise StoreUnwritable(
                    f"the library {self.path} cannot be written ({exc}); "
                    "nothing from this batch was kept") from None
            raise
        return report

    def _interrupted_line(self, state: dict[str, str], report: AddReport) -> str:
        n = len(report.added)
        if state["stage"] == "before":
            return "interrupted; nothing from this batch was kept"
        if state["stage"] == "stored":
            return (f"interrupted after the batch was stored ({n} new article"
                    f"{'s' if n != 1 else ''}); the search index catches up on the next command")
        return f"interrupted after the batch was complete ({n} new article{'s' if n != 1 else ''})"

    def _full_line(self, state: dict[str, str]) -> str:
        if state["stage"] == "before":
            return f"no space left on the disk holding {self.path}; nothing from this batch was kept"
        return (f"no space left on the disk holding {self.path}; the batch is stored, and its "
                "search index is completed by the next command once there is space")

    def _store_batch(
        self,
        results: Iterator[tuple[list[Result], dict[str, int]]],
        total: int | None,
        report: AddReport,
        progress: Callable[[Progress], None] | None,
        cancel: Callable[[], bool] | None,
        *,
        bulk: bool,
        state: dict[str, str],
    ) -> None:
        conn = self.conn
        index = self.index
        writer = index.writer(bulk=bulk)
        seen: set[str] = set()
        swallowed: Counter[str] = Counter()
        done = 0
        held = contextlib.ExitStack()  # signals held from the commit until it is noted
        try:
            with store.transaction(conn):
                if store.get_meta(conn, "enrich_version") is None and not store.top_seq(conn):
                    # a new library: its rows are made by today's rules
                    store.set_meta(conn, "enrich_version", str(ENRICH_VERSION))
                pending: list = []  # PreparedArticle of stored articles not linked yet
                chunk: list[tuple[str, Prepared]] = []

                def flush() -> None:
                    """Store a run of articles: one existence query, a few statements."""
                    nonlocal pending
                    if not chunk:
                        return
                    ids = [r.id for _n, r in chunk]
                    present = store.existing_ids(conn, ids)
                    fresh: list[Prepared] = []
                    for name, r in chunk:
                        report.ids[name] = r.id
                        if r.id in present or r.id in seen:
                            report.duplicates += 1
                            continue
                        seen.add(r.id)
                        fresh.append(r)
                    store.insert_rows(conn, [r.rows for r in fresh])
                    for r in fresh:
                        writer.add_document(**r.document)
                        report.added.append(r.id)
                        if r.prints is not None:
                            pending.append(r.prints)
                    chunk.clear()
                    if len(pending) >= LINK_BATCH:
                        self.stories.add_prepared(pending)
                        pending = []
                    _fault_point("in-store-batch")

                for part, counts in results:
                    swallowed.update(counts)
                    for name, ready, error in part:
                        done += 1
                        if cancel is not None and cancel():
                            raise Cancelled("add cancelled; nothing from this batch was kept")
                        if progress is not None:
                            progress(Progress(done, total, name))
                        if ready is None:
                            report.skip(name, error or "unknown error")
                            continue
                        chunk.append((name, ready))
                        if len(chunk) >= 64:
                            flush()
                flush()
                if pending:
                    self.stories.add_prepared(pending)
                if swallowed:
                    self._count_swallowed(swallowed)
                _fault_point("before-store-commit")
                held.enter_context(_Signals.held())
            state["stage"] = "stored"  # committed: noted before an interrupt can land
            held.close()
            # The store has the batch; now the index. A crash here is repaired by _catch_up_index.
            _fault_point("after-store-commit")
            writer.commit()
            writer = None
            with _Signals.held():
                self._mark_indexed()
                state["stage"] = "indexed"
        finally:
            held.close()
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.cancel()

    def _count_swallowed(self, counts: Counter[str]) -> None:
        """Add to the store's running counts of errors the extractors' guards swallowed."""
        have = json.loads(store.get_meta(self.conn, "swallowed", "{}") or "{}")
        for k, v in counts.items():
            have[k] = int(have.get(k, 0)) + v
        store.set_meta(self.conn, "swallowed", json.dumps(have, sort_keys=True))

    def _relink_all(self) -> None:
        """Rebuild passages, links and stories from the stored articles (after an upgrade),
        telling ``on_upgrade`` how far it is."""
        total = self.count()
        what = "linking the stories again"

        def items() -> Iterator[tuple]:
            self._upgrading(what, 0, total)
            for n, (_seq, a) in enumerate(store.iter_articles(self.conn, 0), 1):
                yield self._link_item(a)
                if n % 500 == 0:
                    self._upgrading(what, n, total)
            self._upgrading(what, total, total)

        with self._write_lock(), store.transaction(self.conn):
            self.stories.add_many(items())

    def _link_item(self, a: Article) -> tuple:
        """What linking takes of a stored article (as the add path gives it: the enriched
        paragraphs, the entities' story keys, the title), for re-linking and removal."""
        from index.entities import story_keys

        keys = story_keys(store.entity_pairs_of(self.conn, a.id))
        return (a.id, a.source, a.published, enrichable(a.paragraphs), keys, a.title)

    def _mark_indexed(self) -> None:
        with store.transaction(self.conn):
            store.set_meta(self.conn, "indexed_seq", str(store.top_seq(self.conn)))

    def _entity_names(self, article_id: str) -> list[str]:
        return search_names(store.entity_names_of(self.conn, article_id))

    def _needs_catch_up(self) -> bool:
        """Whether the index lags the store (added or removed articles it has not seen)."""
        done = int(store.get_meta(self.conn, "indexed_seq", "0") or 0)
        return store.top_seq(self.conn) > done or bool(store.pending_removals(self.conn))

    def _catch_up_index(self) -> int:
        """Index the articles the store has and the index lacks (after a crash). Needs the lock."""
        self._catch_up_removals()
        index = self.index
        done = int(store.get_meta(self.conn, "indexed_seq", "0") or 0)
        top = store.top_seq(self.conn)
        if top <= done:
            return 0
        writer = index.writer(bulk=True)
        n = 0
        try:
            for _seq, article in store.iter_articles(self.conn, done):
                writer.update_document(**document(article, self._entity_names(article.id)))
                n += 1
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        self._mark_indexed()
        return n

    def ensure_indexed(self) -> int:
        """Catch the index up with the store if it lags (after a crash) and nobody else is
        writing; returns docs indexed. A library that needs nothing is only read."""
        if self.readonly or not self._needs_catch_up():
            return 0
        try:
            with self._write_lock():
                return self._catch_up_index()
        except (LibraryBusy, StoreUnwritable):
            return 0

    def enrichment_outdated(self) -> bool:
        """Whether the library's entities, events and stories were made by older rules than
        this reader's (``pipeline.ENRICH_VERSION``; a library with articles and no version was
        made before versions were kept), or a reindex making them again was cut short. Then
        ``reindex`` makes them again. Reads only."""
        if store.get_meta(self.conn, "enrich_seq") is not None:
            return True
        v = store.get_meta(self.conn, "enrich_version")
        if v is None:
            return store.top_seq(self.conn) > 0
        return not v.isdigit() or int(v) < ENRICH_VERSION

    def reindex(self, progress: Callable[[Progress], None] | None = None,
                on_busy: Callable[[], None] | None = None, *, enrich: bool | None = None,
                procs: int | None = None) -> int:
        """Rebuild the search index from the store into a new folder, then swap it in. The old
        index is deleted once no reader has it open (else by a later writer).

        With ``enrich`` (by default when :meth:`enrichment_outdated`), first make every
        article's entities, mentions and events again from its stored text, by today's rules
        (in worker processes for a big library), in pages each committed with the point
        reached, so an interrupted or killed reindex resumes there; then its passages and
        stories, in one transaction (readers keep the old ones until it commits); then the
        search index (which holds the entities' names). Readers never wait: they read the
        last committed state throughout. ``progress`` gets each stage's progress."""
        state: dict = {"stage": "before", "done": 0, "total": 0}
        try:
            with self._write_lock(on_busy, doing="reindex"):
                if enrich is None:
                    enrich = self.enrichment_outdated()
                if enrich:
                    self._reenrich(progress, procs, state)
                    self._relink(progress, state)
                self._clean_stale_indexes()
                old = store.get_meta(self.conn, "index_dir")
                n_old = int(old.split("-")[-1]) if old and old.split("-")[-1].isdigit() else 0
                existing = [int(p.name.split("-")[-1]) for p in self.path.glob("whoosh-*")
                            if p.name.split("-")[-1].isdigit()]
                name = f"whoosh-{max([n_old, *existing]) + 1}"
                new = SearchIndex(self.path / name)
                new.create()
                total = store.count_articles(self.conn)
                writer = new.writer(bulk=True)
                n = 0
                top = 0
                try:
                    for seq, article in store.iter_articles(self.conn, 0):
                        writer.add_document(**document(article, self._entity_names(article.id)))
                        n += 1
                        top = max(top, seq)
                        if progress is not None:
                            progress(Progress(n, total, article.id, "search index"))
                    _fault_point("reindex-before-commit")
                    writer.commit()
                except BaseException:
                    with contextlib.suppress(Exception):
                        writer.cancel()
                    new.close()
                    shutil.rmtree(new.path, ignore_errors=True)
                    raise
                new.close()
                with _Signals.held():
                    with store.transaction(self.conn):
                        store.set_meta(self.conn, "index_dir", name)
                        store.set_meta(self.conn, "indexed_seq", str(top))
                    state["stage"] = "indexed"
                if self._index is not None:
                    self._index.close()
                    self._index = None
                self._release_reader()
                self._clean_stale_indexes()
                return n
        except KeyboardInterrupt as exc:
            raise Interrupted(self._reindex_line(state)) from exc
        except (OSError, sqlite3.DatabaseError) as exc:
            if store.failure_kind(exc) == "full":
                raise StoreFull(f"no space left on the disk holding {self.path}; "
                                "the search index is as it was") from None
            raise

    @staticmethod
    def _reindex_line(state: dict) -> str:
        """What an interrupted reindex kept, by the stage it reached."""
        again = "; run `reader reindex` again to finish"
        stage = state["stage"]
        if stage == "enriching":
            return (f"interrupted; names and dates of {state['done']} of {state['total']} "
                    f"articles were made again and kept, stories and the search index are as "
                    f"they were{again}")
        if stage == "linking":
            return ("interrupted; names and dates were made again, stories and the search "
                    f"index are as they were{again}")
        if stage == "linked":
            return ("interrupted; names, dates and stories were made again, the search index "
                    f"is as it was{again}")
        if stage == "indexed":
            return "interrupted; the search index was rebuilt"
        return "interrupted; the search index is as it was"

    def _reenrich(self, progress: Callable[[Progress], None] | None, procs: int | None,
                  state: dict) -> None:
        """Make every stored article's entities, mentions and events again (see ``reindex``),
        from the point a cut-short pass reached. Needs the writer lock."""
        import collections

        conn = self.conn
        ver, _, seq = (store.get_meta(conn, "enrich_seq") or "").partition(":")
        after = int(seq) if ver == str(ENRICH_VERSION) and seq.isdigit() else 0
        total = store.count_articles(conn)
        state.update(stage="enriching", total=total, done=total - store.count_after(conn, after))
        procs = default_procs(procs)
        use_pool = procs > 1 and total - state["done"] >= BULK_THRESHOLD
        warm()
        # the pages are read where they are taken (the pool's threads): on their own connection
        reader = store.connect(self.path / "library.db") if use_pool else conn
        sent: collections.deque = collections.deque()

        def pages() -> Iterator[list[Article]]:
            last = after
            while page := store.articles_page(reader, last, REENRICH_PAGE):
                last = page[-1][0]
                sent.append(last)
                yield [a for _s, a in page]

        workers = Workers(procs) if use_pool else None
        try:
            results: Iterable[tuple[list, dict[str, int]]] = (
                workers.run(("reenrich", page) for page in pages()) if workers is not None
                else map(reenrich, pages()))
            for made, swallowed in results:
                top = sent.popleft()
                with _Signals.held():
                    with store.transaction(conn):
                        store.replace_enrichment(conn, [r for _id, r in made if r is not None])
                        store.set_meta(conn, "enrich_seq", f"{ENRICH_VERSION}:{top}")
                        if swallowed:
                            self._count_swallowed(Counter(swallowed))
                    state["done"] += len(made)
                _fault_point("reenrich-page")
                if progress is not None and made:
                    progress(Progress(state["done"], total, made[-1][0], "names and dates"))
        finally:
            if workers is not None:
                workers.stop()
            if reader is not conn:
                reader.close()

    def _relink(self, progress: Callable[[Progress], None] | None, state: dict) -> None:
        """Passages, links and stories made again from the stored articles in one transaction
        (by the order of arrival), and the library marked as made by today's rules. Needs the
        writer lock."""
        conn = self.conn
        total = store.count_articles(conn)
        state["stage"] = "linking"
        n = 0

        def items() -> Iterator[tuple]:
            nonlocal n
            for _seq, a in store.iter_articles(conn, 0):
                n += 1
                if progress is not None and (n % 50 == 0 or n == total):
                    progress(Progress(n, total, a.id, "stories"))
                yield self._link_item(a)

        held = contextlib.ExitStack()  # signals held from the commit until it is noted
        try:
            with store.transaction(conn):
                self.stories.remove_all()
                self.stories.add_many(items())
                store.set_meta(conn, "enrich_version", str(ENRICH_VERSION))
                store.delete_meta(conn, "enrich_seq")
                _fault_point("relink-before-commit")
                held.enter_context(_Signals.held())
            state["stage"] = "linked"
        finally:
            held.close()

    # --- removing -------------------------------------------------------------------------
    def remove(self, ids: Iterable[str], *,
               on_busy: Callable[[], None] | None = None) -> int:
        """Remove articles (full ids; unknown ones are ignored) from the store and the index;
        returns how many were removed.

        Atomic like an add: one store transaction takes the articles out with their entities,
        events, user state, passages, links and story places (a story keeps its other
        members), and notes their ids as pending removals; then the index drops them and the
        notes are cleared. A crash between the two leaves notes that the next writer applies
        (:meth:`_catch_up_removals`); meanwhile searches never show an article the store
        lacks."""
        from index.stories import prepare

        wanted = list(dict.fromkeys(ids))
        with self._write_lock(on_busy):
            with store.transaction(self.conn):
                present = sorted(store.existing_ids(self.conn, wanted))
                if present:
                    store.ensure_user_tables(self.conn)
                    arts = [a for i in present if (a := store.get_article(self.conn, i))]
                    self.stories.remove(prepare(*self._link_item(a)) for a in arts)
                    n = store.delete_articles(self.conn, present)
                    done = int(store.get_meta(self.conn, "removed_count", "0") or 0)
                    store.set_meta(self.conn, "removed_count", str(done + n))
                else:
                    n = 0
            _fault_point("after-remove-commit")
            self._catch_up_removals()
        return n

    def _catch_up_removals(self) -> int:
        """Apply to the index the removals the store has noted (after a crash between the two
        commits). An id that is in the store again (added back since) gets its document
        rewritten, so it is neither lost nor doubled. Needs the lock."""
        pending = store.pending_removals(self.conn)
        if not pending:
            return 0
        back = store.existing_ids(self.conn, pending)
        writer = self.index.writer()
        try:
            for aid in pending:
                writer.delete_by_term("id", aid)
            for aid in sorted(back):
                a = store.get_article(self.conn, aid)
                if a is not None:
                    writer.add_document(**document(a, self._entity_names(aid)))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        with store.transaction(self.conn):
            store.clear_removals(self.conn, pending)
        return len(pending)

    # --- what the user does: read and starred marks, saved searches (store.user) ----------
    def mark(self, ids: Iterable[str], *, read: bool | None = None,
             starred: bool | None = None, on_busy: Callable[[], None] | None = None) -> int:
        """Mark articles (full ids; unknown ones ignored) read or unread, starred or not
        (None leaves that mark alone), in one transaction; returns how many changed."""
        with self._write_lock(on_busy), store.transaction(self.conn):
            return store.set_marks(self.conn, ids, read=read, starred=starred)

    def read_ids(self) -> set[str]:
        """Ids of the articles marked read."""
        return store.read_ids(self.conn)

    def starred_ids(self) -> set[str]:
        """Ids of the starred articles."""
        return store.starred_ids(self.conn)

    def marks(self, ids: Sequence[str]) -> dict[str, tuple[bool, bool]]:
        """article id -> (read, starred) for the given ids."""
        return store.marks_of(self.conn, ids)

    def saved_searches(self) -> list[tuple[str, str]]:
        """(name, query) of the saved searches, by name."""
        return store.saved_searches(self.conn)

    def saved_search(self, name: str) -> str:
        """The query saved under ``name`` (NotFound with a clear message if none)."""
        for n, q in self.saved_searches():
            if n == name:
                return q
        raise NotFound(f"no saved search named {name!r}")

    def save_search(self, name: str, query: str,
                    on_busy: Callable[[], None] | None = None) -> None:
        """Save ``query`` under ``name`` (replacing one of that name). The query is checked
        first: a malformed one raises QueryError and nothing is saved."""
        name = " ".join(name.split())
        if not name:
            raise ValueError("a saved search needs a name")
        self.search(query, limit=1)
        with self._write_lock(on_busy), store.transaction(self.conn):
            store.save_search(self.conn, name, query)

    def delete_search(self, name: str, on_busy: Callable[[], None] | None = None) -> None:
        """Forget a saved search (NotFound if there is none of that name)."""
        with self._write_lock(on_busy), store.transaction(self.conn):
            if not store.delete_search(self.conn, name):
                raise NotFound(f"no saved search named {name!r}")

    def _search_marked(self, query: str, states: frozenset[str],
                       limit: int | None) -> list[SearchRow]:
        """``search`` for a query with ``is:`` clauses: the rest of the query (or, if nothing
        is left, every article newest first), kept to the articles in those states."""
        from index import user

        read, starred = self.read_ids(), self.starred_ids()
        out: list[SearchRow] = []
        if query.strip():
            hits: list[Hit] = self.index.search(query, limit=None)
            keep = [h for h in hits if user.matches(states, h.id, read, starred)]
            if limit is not None:
                keep = keep[:limit]
            rows = store.rows_by_id(self.conn, [h.id for h in keep])
            return [SearchRow(h.id, r.title, r.source, r.published, h.score)
                    for h in keep if (r := rows.get(h.id)) is not None]
        for r in store.list_rows(self.conn):
            if user.matches(states, r.id, read, starred):
                out.append(SearchRow(r.id, r.title, r.source, r.published, 0.0))
                if limit is not None and len(out) >= limit:
                    break
        return out

    # --- reading --------------------------------------------------------------------------
    def count(self) -> int:
        """Number of articles."""
        return store.count_articles(self.conn)

    def rows(self, limit: int | None = None,
             stories: dict[str, str] | None = None) -> list[ArticleRow]:
        """Every article (or the ``limit`` newest) as a light row, newest first. An undated
        article of a story sits right after its story's newest dated article (not at the
        bottom, away from it); undated articles with no dated story come last. ``stories``:
        ``self.stories()`` when the caller has it already."""
        _fault_point("rows")
        rows = store.list_rows(self.conn, limit)
        if not rows or rows[-1].published is not None:
            return rows
        if stories is None:
            stories = self.stories()
        undated: dict[str, list[ArticleRow]] = {}
        for r in rows:
            if r.published is None and r.id in stories:
                undated.setdefault(stories[r.id], []).append(r)
        if not undated:
            return rows
        out: list[ArticleRow] = []
        for r in rows:
            if r.published is None:
                if r.id not in stories:
                    out.append(r)
                continue  # placed beside its story, or below if the story has no date
            out.append(r)
            out.extend(undated.pop(stories.get(r.id, ""), ()))
        for rs in undated.values():  # stories with no dated article
            out.extend(rs)
        return out

    def rows_by_id(self, ids: Sequence[str]) -> dict[str, ArticleRow]:
        """Light rows of the given articles (missing ids are left out)."""
        return store.rows_by_id(self.conn, ids)

    def resolve(self, ref: str) -> str:
        """The full id for an id or a unique id prefix; NotFound (a KeyError) with a clear message if none."""
        ref = ref.strip()
        if store.has_article(self.conn, ref):
            return ref
        if len(ref) >= 4:
            found = store.ids_with_prefix(self.conn, ref)
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise NotFound(f"article id prefix {ref!r} is ambiguous")
        raise NotFound(f"no article with id {ref!r}")

    def article(self, article_id: str) -> Article:
        """The full article (NotFound if missing)."""
        a = store.get_article(self.conn, self.resolve(article_id))
        if a is None:
            raise NotFound(f"no article with id {article_id!r}")
        fetched = store.fetch_dated(self.conn, [a.id]).get(a.id)
        return dataclasses.replace(a, fetched=fetched) if fetched else a

    def fetch_dated(self, ids: Sequence[str] | None = None) -> dict[str, str]:
        """id -> when it was fetched, for the articles (of ``ids``, default all) that had no
        date of their own: their ``published`` is the day they were fetched."""
        return store.fetch_dated(self.conn, ids)

    def mentions(self, article_id: str) -> list[list[EntityMention]]:
        """Entity mentions per paragraph, offsets within each paragraph."""
        a = self.article(article_id)
        out: list[list[EntityMention]] = [[] for _ in a.paragraphs]
        for p, m in store.get_mentions(self.conn, a.id):
            if 0 <= p < len(out):
                out[p].append(m)
        return out

    def search(self, query: str, limit: int | None = 50) -> list[SearchRow]:
        """Ranked results for a query in Whoosh syntax; QueryError if malformed, too big or
        too slow. ``is:unread``, ``is:read``, ``is:starred`` keep the hits in those states (see
        index/user.py)."""
        from index.user import split_filters

        if limit is not None and limit < 1:
            return []
        query, states = split_filters(query)
        if states:
            return self._search_marked(query, states, limit)
        hits: list[Hit] = self.index.search(query, limit=limit)
        rows = store.rows_by_id(self.conn, [h.id for h in hits])
        return [
            SearchRow(h.id, r.title, r.source, r.published, h.score)
            for h in hits
            if (r := rows.get(h.id)) is not None
        ]

    def query_terms(self, query: str) -> set[str]:
        """The analysed words of a query, to highlight in an article."""
        from index.user import split_filters

        try:
            query = split_filters(query)[0]
        except QueryError:
            return set()
        return self.index.terms(query)

    def _entity_rows(self, pairs: Sequence[tuple[str, str]] | None = None) -> list[EntityRow]:
        names: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        aliases: dict[tuple[str, str], set[str]] = defaultdict(set)
        mentions: Counter[tuple[str, str]] = Counter()
        articles: dict[tuple[str, str], set[str]] = defaultdict(set)
        sources: dict[tuple[str, str], set[str]] = defaultdict(set)
        for key, type_, name, al, n, art, src in store.entity_mention_rows(self.conn, pairs):
            k = (key, type_)
            names[k][name] += n
            aliases[k].update(json.loads(al))
            aliases[k].add(name)
            mentions[k] += n
            articles[k].add(art)
            sources[k].add(src)
        out = []
        for k, counter in names.items():
            # the name as most often written, but never in capitals (a dateline's NEW YORK)
            # when it is written otherwise too
            best = max(counter.items(), key=lambda nc: (not nc[0].isupper(), nc[1]))[0]
            out.append(EntityRow(
                key=k[0], name=best, type=k[1],
                aliases=tuple(sorted(aliases[k] - {best})),
                mentions=mentions[k], articles=len(articles[k]), sources=len(sources[k]),
            ))
        out.sort(key=lambda e: (-e.sources, -e.articles, -e.mentions, e.name, e.type))
        return out

    def entities(self, article_id: str | None = None) -> list[EntityRow]:
        """Entities merged across the library; with ``article_id``, only those it names
        (counts still library-wide; ``mentions`` is the article's own count)."""
        if article_id is None:
            return self._entity_rows()
        aid = self.resolve(article_id)
        own = {(k, t): n for k, t, n in store.entity_counts_of(self.conn, aid)}
        if not own:
            return []
        # one person, one entity: a surname (a company's short name, a country's other name)
        # stands for the full name the story gives it ("Mr. Trump" -> "Donald Trump")
        joined = self._joined_in_story(aid)
        mine: dict[tuple[str, str], int] = {}
        for (k, t), n in own.items():
            j = (joined.get((k, t), k), t)
            mine[j] = mine.get(j, 0) + n
        pairs = sorted(mine)
        rows = []
        for i in range(0, len(pairs), 400):
            rows += self._entity_rows(pairs[i : i + 400])
        targets = {(jk, t) for (k, t) in own if (jk := joined.get((k, t), k)) != k}
        out = []
        for r in rows:
            r = replace(r, mentions=mine.get((r.key, r.type), r.mentions))
            if (r.key, r.type) in targets:  # count the articles naming it by a short name too
                arts = self.articles_naming(r.key, r.type)
                srcs = {x.source for x in store.rows_by_id(self.conn, arts).values()}
                r = replace(r, articles=len(arts), sources=len(srcs))
            out.append(r)
        out.sort(key=lambda e: (-e.mentions, -e.sources, e.name))
        return out

    def top_entities(self, limit: int) -> tuple[list[EntityRow], int]:
        """The first ``limit`` rows of :meth:`entities` (library-wide, same order and values)
        and how many entities there are, without merging every entity's names in Python: the
        counts come from one SQL aggregate, names and aliases only for the rows returned."""
        rows, total = self.iter_top_entities(limit)
        return list(rows), total

    def iter_top_entities(self, limit: int) -> tuple[Iterator[EntityRow], int]:
        """:meth:`top_entities` as a stream (and the number of entities): each row is named
        as it is reached, so the first arrives at once."""
        if store.has_tally(self.conn):
            counted, total = self._top_tallied(limit)
        else:
            counted, total = self._top_counted(limit)

        def rows() -> Iterator[EntityRow]:
            n = 0
            i = 0
            while i < len(counted) and n < limit:
                # rows of equal counts are ordered by name: name a tied run, then yield it
                j = i + 1
                while j < len(counted) and counted[j][2:] == counted[i][2:]:
                    j += 1
                run = []
                for key, type_, mentions, articles, sources in counted[i:j]:
                    best, aliases = self._names_of(key, type_)
                    run.append(EntityRow(key=key, name=best, type=type_,
                                         aliases=tuple(sorted(aliases - {best})),
                                         mentions=mentions, articles=articles, sources=sources))
                run.sort(key=lambda e: (e.name, e.type))
                for row in run[: limit - n]:
                    yield row
                    n += 1
                i = j

        return rows(), total

    def _names_of(self, key: str, type_: str) -> tuple[str, set[str]]:
        """An entity's name (as most often written, never in capitals when written otherwise
        too; ties to the first seen, as in :meth:`entities`) and every spelling of it, summed
        by SQLite (one indexed pass, whatever the number of articles naming it)."""
        names = store.entity_spellings(self.conn, key, type_)
        best = max(names, key=lambda r: (not r[0].isupper(), r[1]))[0]
        aliases = {r[0] for r in names}
        for al in store.entity_alias_lists(self.conn, key, type_):
            aliases.update(json.loads(al))
        return best, aliases

    def _top_tallied(self, limit: int) -> tuple[list[tuple[str, str, int, int, int]], int]:
        """The first ``limit`` entities by (sources, articles, mentions), with every entity
        tied with the last one (their order is by name), from the store's running counts: an
        indexed read, however big the library."""
        counted = store.top_tallied(self.conn, limit)
        if limit and len(counted) == limit:
            last = counted[-1]
            have = {(r[0], r[1]) for r in counted}
            counted += [r for r in store.tallied_alike(self.conn, last[4], last[3], last[2])
                        if (r[0], r[1]) not in have]
        return counted, store.tallied_count(self.conn)

    def _top_counted(self, limit: int) -> tuple[list[tuple[str, str, int, int, int]], int]:
        """:meth:`_top_tallied` for a library without the running counts (made by an older
        version and not written since): one pass over every entity row."""
        # one pass over the table with each article's source as a bit: ~4x faster than
        # SQLite's GROUP BY over the join, which looks up each row's article (an article names
        # an entity once: the key is (article, type, key), so rows count articles)
        bit_of: dict[str, int] = {}
        source_bits: dict[str, int] = {}
        for aid, source in store.article_sources(self.conn):
            bit = bit_of.get(source)
            if bit is None:
                bit = bit_of[source] = 1 << len(bit_of)
            source_bits[aid] = bit
        tally: dict[tuple[str, str], list[int]] = {}
        get_bit = source_bits.get
        for key, type_, article, n in store.entity_tally_rows(self.conn):
            t = tally.get((key, type_))
            if t is None:
                tally[(key, type_)] = [n, 1, get_bit(article, 0)]
            else:
                t[0] += n
                t[1] += 1
                t[2] |= get_bit(article, 0)
        counted = [(k[0], k[1], t[0], t[1], t[2].bit_count()) for k, t in tally.items()]
        del tally
        counted.sort(key=lambda r: (-r[4], -r[3], -r[2]))
        total = len(counted)
        if len(counted) > limit:
            # rows tied with the last one kept are ordered by name: take them all, sort, cut
            last = counted[limit - 1][2:] if limit else None
            end = limit
            while last is not None and end < len(counted) and counted[end][2:] == last:
                end += 1
            counted = counted[:end]
        return counted, total

    def entity_reach(
        self, article_id: str, cache: dict[tuple[str, str], tuple[str, int, int]] | None = None
    ) -> list[EntityRow]:
        """The entities one article names, with their library-wide reach, cheaply: what
        :meth:`entities` gives for one article less the aliases (empty here), from one indexed
        lookup per entity. ``cache`` maps (key, type) to (name, articles, sources) already
        read (valid while the library does not change) and is filled in."""
        aid = self.resolve(article_id)
        cache = {} if cache is None else cache
        out = []
        own = store.entity_own_of(self.conn, aid)
        # one person, one entity: a surname the story gives in full is the full name
        joined = self._joined_in_story(aid) if own else {}
        if joined:
            merged: dict[tuple[str, str], list] = {}
            for key, type_, own_name, n in own:
                j = (joined.get((key, type_), key), type_)
                if j in merged:
                    merged[j][3] += n
                else:
                    merged[j] = [j[0], type_, own_name, n]
                if j[0] != key and j not in cache:
                    arts = self.articles_naming(j[0], type_)
                    written = Counter(name for name, _, _ in store.entity_name_rows(self.conn, *j))
                    best = max(written.items(), key=lambda nc: (not nc[0].isupper(), nc[1]))[0] \
                        if written else own_name
                    srcs = {r.source for r in store.rows_by_id(self.conn, arts).values()}
                    cache[j] = (best, len(arts), len(srcs))
            own = [tuple(v) for v in merged.values()]
        tallied = store.has_tally(self.conn)
        for key, type_, own_name, n in own:
            reach = cache.get((key, type_))
            if reach is None and tallied:
                # the running counts give the reach; the spellings give the name
                spelt = store.entity_spellings(self.conn, key, type_)
                # ties go to the first seen, as in :meth:`entities`
                best = max(spelt, key=lambda nc: (not nc[0].isupper(), nc[1]))[0] \
                    if spelt else own_name
                reach = cache[(key, type_)] = (best, *store.tallied_reach(self.conn, key, type_))
            if reach is None:
                names: Counter[str] = Counter()
                sources: set[str] = set()
                articles = 0
                for name, m, source in store.entity_reach_rows(self.conn, key, type_):
                    names[name] += m  # ties go to the first seen, as in :meth:`entities`
                    sources.add(source)
                    articles += 1  # one row per article: (article, type, key) is the key
                best = max(names.items(), key=lambda nc: (not nc[0].isupper(), nc[1]))[0] \
                    if names else own_name  # never capitals when written otherwise too
                reach = cache[(key, type_)] = (best, articles, len(sources))
            out.append(EntityRow(key=key, name=reach[0], type=type_, aliases=(), mentions=n,
                                 articles=reach[1], sources=reach[2]))
        out.sort(key=lambda e: (-e.mentions, -e.sources, e.name))
        return out

    def _joined_in_story(self, article_id: str) -> dict[tuple[str, str], str]:
        """:func:`index.entities.join_names` over the entities of an article's story."""
        from index.entities import join_names

        return join_names(self._entries_of(self.stories.story_members(article_id)))

    def articles_naming(self, key: str, type_: str | None = None) -> list[str]:
        """Ids of articles naming an entity (by merge key), newest first: also those naming
        it by a surname (a short name) that their story joins to it (see ``entities``)."""
        found = store.articles_naming(self.conn, key, type_)
        words = key.split()
        if type_ not in (None, "PER", "ORG") or len(words) < 2:
            return found
        from index.entities import join_names

        # candidates: articles naming a tail of the key ("trump" of "donald trump") or the
        # name without a company ending, in a story with an article naming the key itself
        shorter = [" ".join(words[m:]) for m in range(1, len(words))]
        shorter += [" ".join(words[:m]) for m in range(1, len(words))]
        have = set(found)
        cands = [r for r in store.entities_keyed(self.conn, shorter, type_) if r[0] not in have]
        if not cands:
            return found
        story_of = self.stories.story_numbers([*have, *(r[0] for r in cands)])
        named = {story_of[a] for a in found if a in story_of}
        joined: dict[int, dict] = {}
        extra = []
        for art, k, t in cands:
            story = story_of.get(art)
            if art in have or story not in named:
                continue
            if story not in joined:
                joined[story] = join_names(self._entries_of(self.stories.story_members(art)))
            if joined[story].get((k, t)) == key:
                extra.append(art)
                have.add(art)
        return self._newest_first(found + extra) if extra else found

    def _entries_of(self, ids: Sequence[str]) -> list[tuple[str, str, str]]:
        return store.entity_entries(self.conn, ids)

    def _newest_first(self, ids: Sequence[str]) -> list[str]:
        rows = store.rows_by_id(self.conn, list(ids))
        out = sorted((i for i in ids if i in rows),
                     key=lambda i: (rows[i].published or "", rows[i].seq), reverse=True)
        out.sort(key=lambda i: rows[i].published is None)
        return out

    def events(
        self, article_id: str | None = None, *, story_of: str | None = None
    ) -> list[EventRow]:
        """Dated events, date-sorted: of one article, of one article's story, or of all."""
        if article_id is not None:
            rows = store.event_rows(self.conn, article_id=self.resolve(article_id))
        elif story_of is not None:
            rows = store.event_rows(self.conn, ids=self.story_articles(self.resolve(story_of)))
        else:
            rows = store.event_rows(self.conn)
        return [EventRow(*r) for r in rows]

    def iter_events(self) -> Iterator[EventRow]:
        """Every dated event of the library in :meth:`events`' order, as a stream: rows come
        off the date index as they are read (one date's events sorted at a time), so the first
        ones arrive at once however many there are."""
        group: list[tuple] = []
        for r in store.iter_event_rows(self.conn):
            if group and r[0] != group[0][0]:
                yield from self._event_group(group)
                group = []
            group.append(r)
        yield from self._event_group(group)

    @staticmethod
    def _event_group(group: list[tuple]) -> Iterator[EventRow]:
        # SQLite sorts NULL first, as this key does
        group.sort(key=lambda r: (r[9] is not None, r[9] or "", r[4], r[6], r[7]))
        for r in group:
            yield EventRow(*r[:9])

    def count_events(self) -> int:
        """Number of dated events in the library."""
        return store.count_events(self.conn)

    # --- cross-source links ---------------------------------------------------------------
    def story_of(self, article_id: str) -> str | None:
        """The story id of an article (None if it stands alone)."""
        return self.stories.story_of(article_id)

    def story_articles(self, article_id: str) -> list[str]:
        """The article and the other articles of its story (the story alone: what the list
        counts is what the jumps visit)."""
        return self.stories.story_members(article_id)

    def story_sizes(self, ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """article id -> (story id, articles in the story) for the given articles (what
        :meth:`stories` gives for a few articles, without reading them all)."""
        return self.stories.story_sizes(ids)

    def story_sources(self, ids: Sequence[str]) -> dict[str, int]:
        """article id -> number of distinct sources in its story, for the given articles
        (articles in no story are left out)."""
        return self.stories.story_sources(ids)

    def related(self, article_id: str) -> list:  # list[index.stories.Related]
        """The story's other articles with the passages they share, best first."""
        return self.stories.related(self.resolve(article_id))

    def same_passage(self, article_id: str, paragraph: int) -> list:
        """Paragraphs of other sources carrying this paragraph's passage, best first."""
        return self.stories.same_passage(self.resolve(article_id), paragraph)

    def paragraph_sources(self, article_id: str) -> dict[int, int]:
        """Paragraph index -> number of other sources carrying it."""
        return self.stories.paragraph_sources(self.resolve(article_id))

    def source_counts(self, window: tuple[str, str] | None = None) -> list[tuple[str, int]]:
        """(source, articles) for every source; with ``window`` (ISO dates, inclusive), the
        articles published in it."""
        return store.source_counts(self.conn, window)

    def coverage(self, article_id: str):  # type: ignore[no-untyped-def]
        """Who carries the article's story, who does not, and what only this article says
        (an :class:`index.coverage.Coverage`)."""
        from index.coverage import coverage

        return coverage(self, article_id)

    # --- summary --------------------------------------------------------------------------
    def stats(self) -> dict[str, object]:
        """Counts and sizes for ``reader stats``."""
        c = self.conn
        size = sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())
        try:
            indexed = self.index.doc_count()
        except IndexDamaged:
            indexed = None
        stories = self.stories()
        counts = store.summary(c)
        return {
            "library": str(self.path),
            "articles": counts["articles"],
            "sources": counts["sources"],
            "entities": counts["entities"],
            "events": counts["events"],
            "stories": sum(1 for n in Counter(stories.values()).values() if n > 1),
            "indexed": indexed,
            "first_published": counts["first_published"],
            "last_published": counts["last_published"],
            "size_bytes": size,
            "swallowed_errors": json.loads(store.get_meta(c, "swallowed", "{}") or "{}"),
            "read_only": self.readonly,
        }

    def check(self) -> list[str]:
        """Problems found in the library, each a line saying what to run."""
        problems: list[str] = []
        try:
            n = self.index.doc_count()
            total = self.count()
            if n < total:
                problems.append(f"the search index lacks {total - n} articles; run `reader reindex`")
        except IndexDamaged as exc:
            problems.append(f"{exc}; run `reader reindex`")
        return problems
