"""The ``reader`` command: a thin, scriptable layer over :class:`index.library.Library`.

``reader [--library DIR] [PATH ...]`` opens the app; the subcommands print for a person (Rich
tables) or, with ``--json``, for a program. Errors are one line on stderr, never a traceback
(``--debug`` or ``READER_DEBUG=1`` adds it). Exit status: 0 ok, 1 something was skipped or not
found, 2 a usage error or a malformed query, 3 the library cannot be used (damaged, busy,
unwritable, a full disk), 70 a bug in reader, 130/143 interrupted (Ctrl-C / SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from index.library import (
    AddReport,
    IndexDamaged,
    Interrupted,
    Library,
    LibraryBusy,
    NotFound,
    Progress,
    QueryError,
    StoreError,
    default_library_path,
)
from index.search import QueryRefused
from reader.safe import safe_text, shown_name

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from index.library import EntityRow, EventRow
    from index.model import Article
    from index.subscriptions import (
        FeedResult,
        FeedRow,
        RefreshProgress,
        RefreshReport,
        Subscriptions,
    )
    from reader.output import Output

COMMANDS = {
    "add": "add files, folders and JSON Lines files to the library",
    "list": "list the articles, newest first",
    "show": "show one article with its entities and dated events",
    "search": "search the library (Whoosh query syntax)",
    "entities": "people, places and organisations across the library or one article",
    "events": "dated events, date-sorted, across the library or one article",
    "related": "the other articles of an article's story, with the passages they share",
    "stats": "counts and sizes of the library",
    "reindex": "rebuild the search index from the article store (and the names, dates and "
               "stories, when an older reader made them)",
    "extract": "annotate raw text with entities and dates (no library)",
    "feed": "follow feeds: add, list, remove, import and export (OPML)",
    "refresh": "fetch the feeds you follow and add what is new",
}

from reader import commands as _more  # noqa: E402  (remove, mark, ...: issue 13)

COMMANDS.update(_more.COMMANDS)

EPILOG = """\
Run `reader` with no command to open the app (the bundled seed articles are added to an empty
library). The library folder is --library, else $READER_LIBRARY, else the user data folder.
"""


#: Default number of rows a table shows (``--limit`` changes it, ``--limit 0`` shows all). JSON
#: output is complete unless ``--limit`` is given, except search's, which is ranked (20 as ever).
LIMITS = {"list": 100, "search": 20, "entities": 50, "events": 100}


class UsageError(Exception):
    """Bad arguments; exit status 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an interrupt so a command ends as cleanly as on Ctrl-C."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


class _Parser(argparse.ArgumentParser):
    """argparse with its errors as one line (exit 2), not a usage block."""

    def error(self, message: str) -> NoReturn:
        name = self.prog.split()[-1] if self.prog.split()[-1] in COMMANDS else ""
        raise UsageError(f"{message} (see `reader {name + ' ' if name else ''}--help`)")


def _limit_type(text: str) -> int:
    """An argparse type for ``--limit``: a whole number, 0 meaning all (``-5`` is a usage
    error, not "all but five")."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (all) or more, got {n}")
    return n


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Piped output is for reading later (less, a file): lay it out wide rather than at 80 columns.
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 160
    return Console(stderr=stderr, highlight=False, markup=False, emoji=False, soft_wrap=False,
                   width=width)


def _err(msg: str) -> None:
    """One clear line on stderr."""
    sys.stderr.write(f"reader: {safe_text(msg)}\n")


def _dump(data: Any) -> None:
    """JSON for a program. ASCII-escaped when stdout is a terminal, so nothing can reach it raw."""
    ascii_only = sys.stdout.isatty()
    sys.stdout.write(json.dumps(data, ensure_ascii=ascii_only, indent=2) + "\n")


def _T(value: object, style: str = "") -> Text:
    """Untrusted text as a Rich Text: never markup, never control characters."""
    from rich.text import Text

    return Text(safe_text("" if value is None else str(value)), style=style)


def _pager_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-pager", action="store_true",
                   help="print straight to the terminal (default there: $READER_PAGER, $PAGER "
                   "or `less -FRX`)")


def emit(args: argparse.Namespace, as_json: Callable[[], Any],
         as_text: Callable[[Output], object], *, pager: bool = True) -> None:
    """:func:`reader.output.emit` (JSON, or text for people through a pager), imported when a
    command first prints, so that starting the app does not load it."""
    from reader.output import emit as emit_

    emit_(args, as_json, as_text, pager=pager)


def _limit(args: argparse.Namespace, command: str) -> int | None:
    """The number of rows to show (None: all)."""
    n = args.limit
    if n is None:
        return None if args.json and command != "search" else LIMITS[command]
    if n < 0:
        raise UsageError("--limit must be 0 (all) or more")
    return n or None


# ---------------------------------------------------------------------------------------------
# parsers


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for the subcommands (the app form is handled in :func:`main`)."""
    p = _Parser(
        prog="reader",
        usage="reader [--library DIR] [PATH ...]\n       reader [--library DIR] COMMAND ...",
        description="Read one news story as many outlets tell it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--library", metavar="DIR", help="library folder (default: $READER_LIBRARY "
                   "or the user data folder)")
    p.add_argument("--version", action="version", version="reader 0.1.0")
    p.add_argument("--debug", action="store_true", help="print a traceback for unexpected errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def cmd(name: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=COMMANDS[name], description=COMMANDS[name])

    a = cmd("add")
    a.add_argument("paths", nargs="+", metavar="PATH",
                   help="files, folders, .jsonl(.gz) files, http(s) addresses of article pages")
    a.add_argument("--source", metavar="NAME", help="source for files that do not name one")
    a.add_argument("--json", action="store_true", help="print the report as JSON")

    ls = cmd("list")
    ls.add_argument("--json", action="store_true", help="print JSON (every article)")
    _more.list_flags(ls)
    ls.add_argument("--limit", type=_limit_type, default=None, metavar="N",
                    help=f"at most N articles (default {LIMITS['list']} in a table, all in "
                    "JSON; 0: all)")
    _pager_flag(ls)

    sh = cmd("show")
    sh.add_argument("id", metavar="ID", help="article id (or a unique prefix)")
    sh.add_argument("--json", action="store_true", help="print JSON")
    _pager_flag(sh)

    se = cmd("search")
    se.add_argument("query", nargs="*", metavar="QUERY",
                    help='Whoosh syntax: words, "phrases", title:, source:, entity:, '
                    "published:[2017-10-01 to 2017-10-31], AND/OR/NOT")
    se.add_argument("--limit", type=_limit_type, default=None, metavar="N",
                    help=f"at most N results (default {LIMITS['search']}; 0: all)")
    se.add_argument("--json", action="store_true", help="print JSON")
    se.add_argument("--saved", metavar="NAME",
                    help="run the saved search NAME (QUERY words, if any, narrow it)")
    _pager_flag(se)

    en = cmd("entities")
    en.add_argument("--article", metavar="ID", help="only the entities one article names")
    en.add_argument("--limit", type=_limit_type, default=None, metavar="N",
                    help=f"at most N entities (default {LIMITS['entities']} in a table, all in "
                    "JSON; 0: all)")
    en.add_argument("--json", action="store_true", help="print JSON")
    _pager_flag(en)

    ev = cmd("events")
    ev.add_argument("--article", metavar="ID", help="only one article's events")
    ev.add_argument("--story", metavar="ID", help="the events of this article's story")
    ev.add_argument("--limit", type=int, default=None, metavar="N",
                    help=f"at most N events (default {LIMITS['events']} in a table, all in "
                    "JSON; 0: all)")
    ev.add_argument("--json", action="store_true", help="print JSON")
    _pager_flag(ev)

    re_ = cmd("related")
    re_.add_argument("id", metavar="ID", help="article id (or a unique prefix)")
    re_.add_argument("--json", action="store_true", help="print JSON")
    _pager_flag(re_)

    st = cmd("stats")
    st.add_argument("--json", action="store_true", help="print JSON")

    ri = cmd("reindex")
    ri.add_argument("--enrich", action="store_true",
                    help="make every article's names, dates and stories again even when they "
                         "are up to date (by default only when made by an older reader)")

    ex = cmd("extract")
    ex.add_argument("files", nargs="*", metavar="FILE", help="text files (default: stdin)")
    ex.add_argument("--published", metavar="YYYY-MM-DD",
                    help="publication date that relative dates resolve against")
    ex.add_argument("--json", action="store_true", help="print JSON")
    ex.add_argument("--jsonl", action="store_true",
                    help='JSON Lines in ({"id","text","published"}) and out')
    _more.register(cmd)
    fe = cmd("feed")
    fsub = fe.add_subparsers(dest="feed_command", metavar="ACTION", required=True,
                             help="add, list, remove, import or export")
    fa = fsub.add_parser("add", help="follow a feed and fetch it now",
                         description="Follow a feed (RSS, Atom or JSON Feed) by its address, or a "
                         "page that links to one, or a local feed file; it is fetched at once.")
    fa.add_argument("target", metavar="URL|FILE", help="feed address or local feed file")
    fa.add_argument("--name", metavar="NAME", help="the feed's name and its articles' outlet "
                    "(default: the feed's title)")
    fa.add_argument("--full-text", choices=("auto", "always", "never"), default="auto",
                    help="fetch the linked page of each item: auto (when the item is only a "
                    "summary, the default), always, never")
    fa.add_argument("--json", action="store_true", help="print the result as JSON")
    fl = fsub.add_parser("list", help="the feeds you follow", description="The feeds you follow "
                         "with their articles, new articles of the last refresh, last success, "
                         "last error and when each is due again.")
    fl.add_argument("--json", action="store_true", help="print JSON")
    fr = fsub.add_parser("remove", help="stop following a feed (its articles stay)",
                         description="Stop following a feed; its articles stay unless --purge.")
    fr.add_argument("ref", metavar="NAME|URL", help="the feed's name or address")
    fr.add_argument("--purge", action="store_true",
                    help="also remove its articles (those no other feed carries)")
    fi = fsub.add_parser("import", help="follow every feed of an OPML file",
                         description="Follow every feed of an OPML subscription list (from "
                         "newsboat, another reader...); `reader refresh` fetches them.")
    fi.add_argument("file", metavar="FILE.opml", help="OPML file")
    fsub.add_parser("export", help="the feeds you follow as OPML, on stdout",
                    description="Print the feeds you follow as an OPML subscription list.")

    rf = cmd("refresh")
    rf.add_argument("names", nargs="*", metavar="NAME", help="only these feeds (name or address)")
    rf.add_argument("--due", action="store_true",
                    help="only the feeds that are due (for a cron job or timer)")
    rf.add_argument("--json", action="store_true", help="print the report as JSON")
    return p


def _app_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="reader",
        usage="reader [--library DIR] [PATH ...]\n       reader [--library DIR] COMMAND ...",
        description="Open the reader app (PATHs are added first). Commands: "
        + ", ".join(COMMANDS) + ". See `reader COMMAND --help`.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--library", metavar="DIR", help="library folder")
    p.add_argument("--version", action="version", version="reader 0.1.0")
    p.add_argument("--debug", action="store_true", help="print a traceback for unexpected errors")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to add first")
    return p


def _first_positional(argv: Sequence[str]) -> str | None:
    skip = False
    for tok in argv:
        if skip:
            skip = False
            continue
        if tok == "--library":
            skip = True
            continue
        if tok.startswith("--library="):
            continue
        if tok == "--":
            return None
        if tok.startswith("-"):
            continue
        return tok
    return None


# ---------------------------------------------------------------------------------------------
# entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    import signal

    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("READER_DEBUG", "") not in ("", "0")
    first = _first_positional(argv)
    is_command = first in COMMANDS
    if is_command and threading_main():
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        if is_command:
            args = build_parser().parse_args(argv)
            return _run_command(args)
        if any(a in ("-h", "--help") for a in argv) and first is None:
            build_parser().print_help()
            return 0
        args = _app_parser().parse_args(argv)
        return _run_app(args)
    except Interrupted as exc:
        _err(str(exc))
        return 143 if isinstance(exc.__cause__, Terminated) else 130
    except KeyboardInterrupt as exc:
        _err("terminated" if isinstance(exc, Terminated) else "interrupted")
        return 143 if isinstance(exc, Terminated) else 130
    except UsageError as exc:
        _err(str(exc))
        return 2
    except QueryError as exc:
        _err(str(exc) if isinstance(exc, QueryRefused) else f"malformed query: {exc}")
        return 2
    except NotFound as exc:
        _err(str(exc))
        return 1
    except IndexDamaged as exc:
        _err(f"{exc}; run `reader reindex` to rebuild it from the article store")
        return 3
    except (StoreError, LibraryBusy) as exc:
        _err(str(exc))
        return 3
    except BrokenPipeError:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), sys.stdout.fileno())
        return 0
    except OSError as exc:
        import errno

        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            _err(f"no space left on the disk ({exc.filename or 'writing'})")
            return 3
        if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
            _err(f"cannot write {shown_name(str(exc.filename or 'the library'))}: "
                 f"{exc.strerror}")
            return 3
        return _bug(exc, debug)
    except Exception as exc:
        return _bug(exc, debug)


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _bug(exc: BaseException, debug: bool) -> int:
    """An unexpected error: one line saying it is a bug (the traceback with --debug)."""
    if debug:
        import traceback

        traceback.print_exception(exc)
    _err(f"internal error, a bug in reader: {type(exc).__name__}: {exc}"
         + ("" if debug else " (run with --debug or READER_DEBUG=1 for the traceback)"))
    return 70


def _library(args: argparse.Namespace, *, create: bool = True) -> Library:
    path = Path(args.library).expanduser() if args.library else default_library_path()
    return Library(path, create=create, on_upgrade=_Upgrade())


class _Upgrade:
    """Says on stderr what bringing a library made by an older version up to date is doing
    (once, on its first write): a line that counts up on a terminal, a line per step else."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown: str | None = None

    def __call__(self, what: str, done: int, total: int) -> None:
        if self.tty:
            end = "\n" if done >= total else ""
            count = f" {done:,}/{total:,}" if total > 1 else ("" if done < total else " done")
            sys.stderr.write(f"\rreader: upgrading the library (once): {what}…{count}\x1b[K{end}")
            sys.stderr.flush()
        elif what != self.shown:
            self.shown = what
            _err(f"upgrading the library (once): {what}…")


def _run_app(args: argparse.Namespace) -> int:
    from reader.app import run_app

    return run_app(_library(args), [Path(p) for p in args.paths])


def _run_command(args: argparse.Namespace) -> int:
    if args.command == "extract":
        return cmd_extract(args)
    with _library(args) as lib:
        handler = {
            "add": cmd_add,
            "list": cmd_list,
            "show": cmd_show,
            "search": cmd_search,
            "entities": cmd_entities,
            "events": cmd_events,
            "related": cmd_related,
            "stats": cmd_stats,
            "reindex": cmd_reindex,
            **_more.HANDLERS,
            "feed": cmd_feed,
            "refresh": cmd_refresh,
        }[args.command]
        if args.command not in ("add", "reindex", "feed", "refresh"):
            lib.ensure_indexed()
        if args.command != "reindex" and lib.enrichment_outdated():
            _err(OUTDATED_NOTE)
        return handler(lib, args)


# ---------------------------------------------------------------------------------------------
# commands


def cmd_add(lib: Library, args: argparse.Namespace) -> int:
    """``reader add PATH ... [--source NAME]``; http(s) addresses are fetched and extracted."""
    urls = [p for p in args.paths if _is_address(p)]
    paths = [p for p in args.paths if not _is_address(p)]
    report = add_with_progress(lib, paths, source=args.source, quiet=args.json) if paths \
        else AddReport()
    if urls:
        _merge_report(report, add_urls(lib, urls))
    emit(args, lambda: {"added": report.added, "duplicates": report.duplicates,
                        "skipped": [{"path": n, "reason": r} for n, r in report.skipped],
                        "skipped_more": report.skipped_more},
         lambda out: _print_report(report, out), pager=False)
    return 1 if report.skipped_count else 0


def add_with_progress(lib: Library, paths: Sequence[str], *, source: str | None = None,
                      quiet: bool = False) -> AddReport:
    """Add with a Rich progress bar on stderr (when it is a terminal)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bar

    def busy() -> None:
        _err(f"the library is busy: {lib.busy_with()}; waiting for it to finish…")

    console = _console(stderr=True)
    show = console.is_terminal and not quiet
    with Bar(
        TextColumn("adding"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(), console=console, transient=True, disable=not show,
    ) as bar:
        task = bar.add_task("add", total=None)

        def progress(p: Progress) -> None:
            if p.done % 25 == 0 or p.done == p.total:
                bar.update(task, completed=p.done, total=p.total)

        return lib.add([Path(p) for p in paths], source=source, progress=progress, on_busy=busy)


def _is_address(arg: str) -> bool:
    """An argument meant as a web address (``scheme://``) rather than a path."""
    import re

    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", arg)) and not Path(arg).exists()


def add_urls(lib: Library, urls: Sequence[str]) -> AddReport:
    """``reader add URL``: fetch each page (or feed) and add what it holds."""
    from index.subscriptions import articles_from_urls

    items, skipped = articles_from_urls(urls)
    report = lib.add_parsed(items) if items else AddReport()
    report.skipped.extend(skipped)
    return report


def _merge_report(into: AddReport, other: AddReport) -> None:
    into.added.extend(other.added)
    into.duplicates += other.duplicates
    into.skipped.extend(other.skipped)
    into.ids.update(other.ids)


def _print_report(report: AddReport, out: Output) -> None:
    for name, reason in report.skipped:
        _err(f"skipped {shown_name(name)}: {reason}")
    if report.skipped_more:
        _err(f"… and {report.skipped_more} more skipped")
    parts = [f"added {len(report.added)} article{'s' if len(report.added) != 1 else ''}"]
    if report.duplicates:
        parts.append(f"{report.duplicates} already in the library")
    if report.skipped_count:
        parts.append(f"{report.skipped_count} skipped")
    out.console().print(_T(", ".join(parts)))


_FLEX = {"title", "sentence", "aliases", "shared passages", "expression", "text", "value",
         "last error", "url"}


def _table(*columns: str) -> Table:
    """A borderless table: short columns never wrap, text columns share the rest."""
    from rich.table import Table

    t = Table(box=None, header_style="bold", pad_edge=False, expand=False)
    for c in columns:
        if c in _FLEX:
            t.add_column(c, overflow="fold", ratio=1, min_width=12)
        else:
            t.add_column(c, no_wrap=True)
    return t


def cmd_list(lib: Library, args: argparse.Namespace) -> int:
    """``reader list``: newest first, with each article's story size."""
    from reader.output import Column

    limit = _limit(args, "list")

    def as_json() -> list[dict[str, Any]]:
        rows, _total = _more.list_rows(lib, args, limit)
        marks = lib.marks([r.id for r in rows])
        stories = lib.stories()
        fetched = lib.fetch_dated([r.id for r in rows])
        size: dict[str, int] = {}
        for sid in stories.values():
            size[sid] = size.get(sid, 0) + 1
        return [
            {"id": r.id, "title": r.title, "source": r.source, "published": r.published,
             "date_is_fetch_time": r.id in fetched,
             "path": r.path, "story": stories.get(r.id),
             "story_size": size.get(stories.get(r.id, ""), 1),
             "read": marks[r.id][0], "starred": marks[r.id][1]}
            for r in rows
        ]

    def as_text(out: Output) -> None:
        rows, total = _more.list_rows(lib, args, limit)

        def lines() -> Iterator[tuple[object, ...]]:
            for i in range(0, len(rows), 200):
                chunk = rows[i : i + 200]
                sizes = lib.story_sizes([r.id for r in chunk])
                marks = lib.marks([r.id for r in chunk])
                fetched = lib.fetch_dated([r.id for r in chunk])
                for r in chunk:
                    n = sizes.get(r.id, ("", 1))[1] - 1
                    # no date of its own: dated by its fetch, and saying so (dim)
                    day = ("fetched", "dim") if r.id in fetched else (r.published or "—")
                    yield (_more.mark_cell(marks[r.id]), r.id[:12], day,
                           r.source, f"+{n}" if n else "", r.title)

        shown = out.table([Column("", 2, "bold"), Column("id", 12, "dim"), Column("date", 10),
                           Column("source", 18, "cyan"), Column("story", 5, "magenta", True),
                           Column("title")], lines())
        if not out.closed:
            out.more(shown, lib.count() if total is None else total, "articles")

    emit(args, as_json, as_text)
    return 0


def _event_json(e: EventRow) -> dict:
    return {"date": e.date, "precision": e.precision, "expression": e.expression, "text": e.text,
            "article": e.article, "source": e.source, "paragraph": e.paragraph}


def cmd_show(lib: Library, args: argparse.Namespace) -> int:
    """``reader show ID``: the article, its entities and events."""
    a = lib.article(args.id)
    ents = lib.entities(a.id)
    evs = lib.events(a.id)
    carried = lib.paragraph_sources(a.id)
    emit(args, lambda: {
        "id": a.id, "title": a.title, "source": a.source,
        "published": a.published.isoformat() if a.published else None,
        "date_is_fetch_time": a.fetched is not None, "fetched": a.fetched,
        "byline": a.byline, "path": a.path, "url": a.url,
        "story": lib.story_of(a.id),
        "paragraphs": list(a.paragraphs),
        "carried_by": [carried.get(i, 0) for i in range(len(a.paragraphs))],
        "entities": [{"name": e.name, "type": e.type, "mentions": e.mentions,
                      "aliases": list(e.aliases), "sources": e.sources} for e in ents],
        "events": [{"date": e.date, "precision": e.precision, "expression": e.expression,
                    "text": e.text, "paragraph": e.paragraph} for e in evs],
    }, lambda out: _print_article(out.console(100), a, ents, evs, carried))  # a book's measure
    return 0


def _print_article(con: Console, a: Article, ents: list[EntityRow], evs: list[EventRow],
                   carried: dict[int, int]) -> None:
    from rich.padding import Padding
    from rich.table import Table

    con.print(_T(a.title, "bold"))
    day = a.published.isoformat() if a.published else None
    if a.fetched:
        day = f"fetched {_when(a.fetched)} (no date given)"
    meta = " · ".join(x for x in (a.source, day, f"by {a.byline}" if a.byline else None) if x)
    con.print(_T(meta, "dim"))
    if a.url:
        con.print(_T(a.url, "underline cyan"))
    con.print(_T(f"id {a.id}", "dim"))
    con.print()
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=4, justify="right", style="magenta")
    grid.add_column()
    for i, para in enumerate(a.paragraphs):
        n = carried.get(i, 0)
        grid.add_row(_T(f"+{n}" if n else ""), _T(para))
        grid.add_row("", "")
    con.print(grid)
    if ents:
        con.print(_T("Entities", "bold"))
        t = _table("name", "type", "mentions", "sources")
        for e in ents:
            t.add_row(_T(e.name), _T(e.type), _T(e.mentions), _T(e.sources))
        con.print(Padding(t, (0, 0, 1, 2)))
    if evs:
        con.print(_T("Events", "bold"))
        t = _table("date", "expression", "sentence")
        for ev in evs:
            t.add_row(_T(ev.date), _T(ev.expression), _T(ev.text))
        con.print(Padding(t, (0, 0, 0, 2)))


def cmd_search(lib: Library, args: argparse.Namespace) -> int:
    """``reader search QUERY``: ranked results; a malformed query exits 2."""
    from reader.output import Column

    query = _more.search_query(lib, args)
    limit = _limit(args, "search")

    def as_json() -> list[dict[str, Any]]:
        rows = lib.search(query, limit=limit)
        marks = lib.marks([r.id for r in rows])
        return [{"id": r.id, "title": r.title, "source": r.source,
                 "published": r.published, "score": round(r.score, 4),
                 "read": marks[r.id][0], "starred": marks[r.id][1]} for r in rows]

    def as_text(out: Output) -> None:
        # a table says how many more there are: it reads every hit (ranking does anyway)
        rows = lib.search(query, limit=None)
        if not rows:
            out.text("no matches")
            return
        shown = out.table([Column("id", 12, "dim"), Column("score", 6, right=True),
                           Column("date", 10), Column("source", 18, "cyan"), Column("title")],
                          ((r.id[:12], f"{r.score:.2f}", r.published or "—", r.source, r.title)
                           for r in rows[:limit]))
        if not out.closed:
            out.more(shown, len(rows), "results")

    emit(args, as_json, as_text)
    return 0


def cmd_entities(lib: Library, args: argparse.Namespace) -> int:
    """``reader entities [--article ID]``."""
    import itertools

    from reader.output import Column

    limit = _limit(args, "entities")

    def read() -> tuple[Sequence[EntityRow] | Iterator[EntityRow], int]:
        if args.article is None and limit is not None:
            return lib.iter_top_entities(limit)  # the first row at once
        rows = lib.entities(args.article)
        return rows, len(rows)

    def as_json() -> list[dict[str, Any]]:
        rows, _total = read()
        return [{"name": e.name, "type": e.type, "aliases": list(e.aliases),
                 "mentions": e.mentions, "articles": e.articles, "sources": e.sources}
                for e in itertools.islice(rows, limit)]

    def as_text(out: Output) -> None:
        rows, total = read()
        shown = out.table(
            [Column("name", 28), Column("type", 4), Column("mentions", 8, right=True),
             Column("articles", 8, right=True), Column("sources", 7, right=True),
             Column("aliases", style="dim")],
            ((e.name, e.type, e.mentions, e.articles, e.sources,
              ", ".join(e.aliases[:6]) + (" …" if len(e.aliases) > 6 else ""))
             for e in itertools.islice(rows, limit)))
        if not out.closed:
            out.more(shown, total, "entities")

    emit(args, as_json, as_text)
    return 0


def cmd_events(lib: Library, args: argparse.Namespace) -> int:
    """``reader events [--article ID | --story ID]``: date-sorted."""
    import itertools

    from reader.output import Column

    limit = _limit(args, "events")

    def read() -> tuple[Iterator[EventRow], int | None]:
        if args.article is None and args.story is None and not (args.json and limit is None):
            return lib.iter_events(), None  # a table's first lines at once
        listed = lib.events(args.article, story_of=args.story)
        return iter(listed), len(listed)

    def first(stream: Iterator[EventRow]) -> Iterator[EventRow]:
        return itertools.islice(stream, limit) if limit is not None else stream

    def as_json() -> list[dict[str, Any]]:
        return [_event_json(e) for e in first(read()[0])]

    def as_text(out: Output) -> None:
        stream, total = read()
        rows = first(stream)
        shown = out.table([Column("date", 10), Column("prec.", 5, "dim"),
                           Column("source", 16, "cyan"), Column("expression", 18),
                           Column("sentence")],
                          ((e.date, e.precision, e.source, e.expression, e.text) for e in rows))
        if not out.closed:
            out.more(shown, lib.count_events() if total is None else total, "events")

    emit(args, as_json, as_text)
    return 0


def cmd_related(lib: Library, args: argparse.Namespace) -> int:
    """``reader related ID``: the story's other articles and the passages they share."""
    aid = lib.resolve(args.id)
    rel = lib.related(aid)
    rows = lib.rows_by_id([r.id for r in rel])
    out = []
    for r in rel:
        row = rows.get(r.id)
        out.append({
            "id": r.id, "source": r.source, "title": row.title if row else "",
            "published": row.published if row else None, "score": round(r.score, 4),
            "passages": [{"paragraph": p.paragraph, "other_paragraph": p.other_paragraph,
                          "similarity": round(p.similarity, 4), "kind": p.kind}
                         for p in r.passages],
        })

    def as_text(output: Output) -> None:
        if not out:
            output.text("no related articles from other sources")
            return
        _print_related(output.console(), out)

    emit(args, lambda: out, as_text)
    return 0


def _print_related(con: Console, out: list[dict]) -> None:
    t = _table("id", "score", "source", "title", "shared passages")
    for o in out:
        shared = ", ".join(f"¶{p['paragraph'] + 1}→¶{p['other_paragraph'] + 1}"
                           for p in o["passages"][:6])
        t.add_row(_T(o["id"][:12], "dim"), _T(f"{o['score']:.2f}"), _T(o["source"], "cyan"),
                  _T(o["title"]), _T(shared))
    con.print(t)


def cmd_stats(lib: Library, args: argparse.Namespace) -> int:
    """``reader stats``."""
    s = lib.stats()
    emit(args, lambda: s, lambda out: _print_stats(out, s), pager=False)
    if not args.json:
        for problem in lib.check():
            _err(problem)
    return 0


def _print_stats(out: Output, s: dict[str, object]) -> None:
    t = _table("", "")
    for k, v in s.items():
        if k == "size_bytes" and isinstance(v, int):
            v = f"{v / 2**20:.1f} MiB"
        elif k == "swallowed_errors" and isinstance(v, dict):
            v = ", ".join(f"{name} {n}" for name, n in sorted(v.items())) or "none"
        elif isinstance(v, bool):
            v = "yes" if v else "no"
        t.add_row(_T(k.replace("_", " "), "bold"), _T("—" if v is None else v))
    out.console().print(t)


OUTDATED_NOTE = ("this library's names, dates and stories were made by an older reader (or a "
                 "reindex was cut short); `reader reindex` makes them again from the stored text")


def cmd_reindex(lib: Library, args: argparse.Namespace) -> int:
    """``reader reindex [--enrich]``: rebuild the Whoosh index from the store (waits for a
    writer); first the names, dates and stories when an older reader made them (or with
    ``--enrich``), with a progress bar per stage on a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    def busy() -> None:
        _err(f"the library is busy: {lib.busy_with()}; waiting for it to finish…")

    console = _console(stderr=True)
    enrich = True if args.enrich else None
    with Bar(TextColumn("{task.description:16}"), BarColumn(), MofNCompleteColumn(),
             TimeRemainingColumn(), console=console, transient=True,
             disable=not console.is_terminal) as bar:
        tasks: dict[str, Any] = {}

        def progress(p: Progress) -> None:
            stage = p.stage or "search index"
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=p.total)
            if p.done % 25 == 0 or p.done == p.total:
                bar.update(tasks[stage], completed=p.done, total=p.total)

        remade = enrich or lib.enrichment_outdated()
        n = lib.reindex(progress, on_busy=busy, enrich=enrich)
    what = "made names, dates and stories again and " if remade else ""
    _console().print(_T(f"{what}reindexed {n} articles"))
    return 0


# --- feeds ----------------------------------------------------------------------------------------


def _when(iso: str | None) -> str:
    """A stored UTC time as local ``YYYY-MM-DD HH:MM`` (``—`` for none)."""
    if not iso:
        return "—"
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def cmd_feed(lib: Library, args: argparse.Namespace) -> int:
    """``reader feed add|list|remove|import|export``."""
    from index.opml import OpmlError
    from index.subscriptions import FeedError, Subscriptions

    subs = Subscriptions(lib)
    try:
        if args.feed_command == "list":
            return _feed_list(subs, args)
        if args.feed_command == "add":
            return _feed_add(subs, args)
        if args.feed_command == "remove":
            row, removed = subs.remove(args.ref, purge=args.purge)
            msg = f"stopped following {row.name}"
            if args.purge:
                msg += f"; removed {removed} article{'s' if removed != 1 else ''}"
            else:
                msg += (f"; its {row.articles} article{'s stay' if row.articles != 1 else ' stays'}"
                        " in the library")
            _console().print(_T(msg))
            return 0
        if args.feed_command == "import":
            try:
                data = Path(args.file).read_bytes()
            except OSError as exc:
                raise UsageError(f"{args.file}: {exc.strerror or exc}") from None
            added, skipped = subs.import_opml(data)
            for url, why in skipped:
                _err(f"skipped {url}: {why}")
            _console().print(_T(
                f"following {len(added)} new feed{'s' if len(added) != 1 else ''}"
                + (f", {len(skipped)} skipped" if skipped else "")
                + ("; run `reader refresh` to fetch them" if added else "")))
            return 1 if skipped and not added else 0
        if args.feed_command == "export":
            sys.stdout.write(subs.export_opml())
            return 0
    except (FeedError, OpmlError) as exc:
        _err(str(exc))
        return 1
    raise UsageError(f"unknown feed action {args.feed_command!r}")


def _feed_add(subs: Subscriptions, args: argparse.Namespace) -> int:
    with _refresh_bar(quiet=args.json) as progress:
        row, report = subs.add(args.target, name=args.name, full_text=args.full_text,
                               progress=progress, on_busy=_busy)
    row = subs.get(row.url)
    result = report.feeds[0] if report and report.feeds else None
    failed = result is not None and result.status in ("error", "gone", "held")

    def as_text(out: Output) -> None:
        if failed:
            _err(f"following {row.name}, but the first fetch failed: {row.last_error}")
            return
        out.console().print(_T(f"following {row.name} ({row.url}): {row.articles} "
                               f"article{'s' if row.articles != 1 else ''}"))
        if result is not None and result.error:  # usable, with a problem (a damaged feed)
            _err(f"{row.name}: {result.error}")
        for name, why in (report.skipped if report else []):
            _err(f"skipped item {name}: {why}")

    emit(args, lambda: {"feed": row.as_json(),
                        "refresh": _refresh_json(report) if report else None},
         as_text, pager=False)
    return 1 if failed else 0


def _feed_list(subs: Subscriptions, args: argparse.Namespace) -> int:
    rows = subs.feeds()
    emit(args, lambda: [r.as_json() for r in rows], lambda out: _print_feeds(out, rows),
         pager=False)
    return 0


def _print_feeds(out: Output, rows: list[FeedRow]) -> None:
    if not rows:
        out.console().print(_T("no feeds yet: `reader feed add URL` or "
                               "`reader feed import FILE.opml`"))
        return
    t = _table("name", "articles", "new", "last success", "next due", "last error", "url")
    for r in rows:
        error = r.last_error or ""
        if r.gone:
            error = error or "gone"
        due = "gone" if r.gone else _when(r.hold_until or r.next_due)
        t.add_row(_T(r.name, "cyan"), _T(r.articles), _T(r.last_new or ""),
                  _T(_when(r.last_success)), _T(due), _T(error, "red"), _T(r.url, "dim"))
    out.console().print(t)


@contextlib.contextmanager
def _refresh_bar(quiet: bool = False) -> Iterator[Callable[[RefreshProgress], None]]:
    """A progress line on stderr ("12/40 feeds · 57 new") when it is a terminal."""
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    console = _console(stderr=True)
    with Bar(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
             console=console, transient=True,
             disable=not console.is_terminal or quiet) as bar:
        task = bar.add_task("refreshing", total=None)

        def progress(p: RefreshProgress) -> None:
            if p.phase == "fetch":
                bar.update(task, completed=p.done, total=p.total,
                           description=f"{p.done}/{p.total} feeds · {p.new} new")
            else:
                bar.update(task, completed=p.added, total=p.adding,
                           description=f"adding {p.added}/{p.adding}")

        yield progress


def _busy() -> None:
    _err("the library is busy: another reader is adding to it; waiting for it to finish…")


def _refresh_json(report: RefreshReport) -> dict:
    return {"feeds": [f.as_json() for f in report.feeds], "new": report.new,
            "added": report.added, "removed": report.removed,
            "updated": sum(f.updated for f in report.feeds),
            "skipped": [{"item": n, "reason": r} for n, r in report.skipped]}


def cmd_refresh(lib: Library, args: argparse.Namespace) -> int:
    """``reader refresh [NAME ...] [--due]``: one line per failed feed, a summary line."""
    from index.subscriptions import RefreshReport, Subscriptions

    subs = Subscriptions(lib)
    if not args.names and not subs.feeds():
        emit(args, lambda: _refresh_json(RefreshReport()),
             lambda out: out.console().print(_T("no feeds yet: `reader feed add URL`")),
             pager=False)
        return 0
    with _refresh_bar(quiet=args.json) as progress:
        report = subs.refresh(args.names or None, due_only=args.due, progress=progress,
                              on_busy=_busy)
    failed = [f for f in report.feeds if f.status in ("error", "gone", "held")]
    emit(args, lambda: _refresh_json(report), lambda out: _print_refresh(out, report, failed),
         pager=False)
    return 1 if failed else 0


def _print_refresh(out: Output, report: RefreshReport, failed: list[FeedResult]) -> None:
    for f in report.feeds:
        if f.error:
            _err(f"{f.name}: {f.error}")
        if f.moved_to:
            _err(f"{f.name} moved permanently to {f.moved_to} (address updated)")
    con = out.console()
    for f in report.feeds:
        if f.new or f.updated:
            extra = f", {f.updated} updated" if f.updated else ""
            con.print(_T(f"{f.new:>5} new{extra}  {f.name}"))
    fetched = [f for f in report.feeds if f.status in ("new", "unchanged")]
    parts = [f"refreshed {len(fetched)} feed{'s' if len(fetched) != 1 else ''}",
             f"{len(report.added)} new article{'s' if len(report.added) != 1 else ''}"]
    updated = sum(f.updated for f in report.feeds)
    if updated:
        parts.append(f"{updated} updated")
    if failed:
        parts.append(f"{len(failed)} failed")
    not_due = sum(1 for f in report.feeds if f.status == "not due")
    if not_due:
        parts.append(f"{not_due} not due yet")
    con.print(_T(", ".join(parts)))


def _parse_day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise UsageError(f"bad date {text!r}: expected YYYY-MM-DD") from None


def extract(text: str, published: date | None) -> dict:
    """Entities and dates of raw text, offsets into the text exactly as given."""
    from index.dates import extract_dates
    from index.entities import extract_entities

    return {
        "entities": [{"start": m.start, "end": m.end, "type": m.type, "text": m.text,
                      "name": m.name} for m in extract_entities(text)],
        "dates": [{"start": d.start, "end": d.end, "text": d.text, "value": d.value,
                   "precision": d.precision} for d in extract_dates(text, published)],
    }


def cmd_extract(args: argparse.Namespace) -> int:
    """``reader extract``: raw text in, annotations out; no library."""
    published = _parse_day(args.published)
    status = 0
    if args.jsonl:
        for n, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                    raise ValueError('expected an object with a "text" string')
                pub = _parse_day(obj.get("published")) if obj.get("published") else published
            except (ValueError, UsageError) as exc:
                _err(f"line {n}: {exc}")
                status = 1
                continue
            out = {"id": obj.get("id"), **extract(obj["text"], pub)}
            sys.stdout.write(json.dumps(out, ensure_ascii=sys.stdout.isatty()) + "\n")
        return status
    inputs: list[tuple[str, str]] = []
    if not args.files:
        inputs.append(("-", sys.stdin.read()))
    for f in args.files:
        try:
            inputs.append((f, Path(f).read_text(encoding="utf-8", errors="replace")))
        except OSError as exc:
            _err(f"skipped {f}: {exc.strerror or exc}")
            status = 1
    results = [(name, extract(text, published), text) for name, text in inputs]
    if args.json or not sys.stdout.isatty():
        if len(results) == 1 and not args.files[1:]:
            _dump(results[0][1])
        else:
            _dump([{"file": n, **r} for n, r, _ in results])
        return status
    con = _console()
    for name, r, _text in results:
        con.print(_T(name, "bold"))
        t = _table("kind", "type", "text", "value", "offsets")
        for e in r["entities"]:
            t.add_row(_T("entity"), _T(e["type"]), _T(e["text"]), _T(e["name"]),
                      _T(f"{e['start']}–{e['end']}"))
        for d in r["dates"]:
            t.add_row(_T("date"), _T(d["precision"]), _T(d["text"]), _T(d["value"]),
                      _T(f"{d['start']}–{d['end']}"))
        con.print(t)
    return status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
