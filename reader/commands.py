"""Commands for living with a library (issue 13): remove, and the ones that follow.

Each command is a parser (``register``) and a handler (``HANDLERS``) over
:class:`index.library.Library`; :mod:`reader.cli` routes to them and owns the error handling
(a ``NotFound`` is one line and exit status 1, a ``UsageError`` exit status 2).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from index.library import Library, QueryError

if TYPE_CHECKING:
    from rich.console import Console

    from index.coverage import Coverage
    from reader.output import Output

COMMANDS = {
    "remove": "remove articles from the library (store and search index together)",
    "mark": "mark articles read or unread, starred or unstarred",
    "searches": "list, save and delete saved searches (with their unread counts)",
    "export": "write articles, a story or a search out as Markdown, JSON or text",
    "coverage": "which outlets carry an article's story, which do not, what only it says",
}

#: ``reader mark ACTION``: (read, starred) to set; None leaves that mark alone
MARKS = {"read": (True, None), "unread": (False, None), "star": (None, True),
         "unstar": (None, False)}


def register(cmd: Callable[[str], argparse.ArgumentParser]) -> None:
    """Add this module's subcommands with ``cmd(name)`` (the CLI's subparser factory)."""
    rm = cmd("remove")
    _selection(rm, "articles to remove")
    rm.add_argument("-y", "--yes", action="store_true",
                    help="do not ask for confirmation on a terminal")
    rm.add_argument("--json", action="store_true", help="print the removed ids as JSON")

    mk = cmd("mark")
    mk.add_argument("action", choices=list(MARKS), help="the mark to set: " + ", ".join(MARKS))
    _selection(mk, "articles to mark")
    mk.add_argument("--json", action="store_true", help="print the result as JSON")

    ss = cmd("searches")
    what = ss.add_mutually_exclusive_group()
    what.add_argument("--save", nargs=2, metavar=("NAME", "QUERY"),
                      help="save QUERY under NAME (replacing a search of that name)")
    what.add_argument("--delete", metavar="NAME", help="forget the saved search NAME")
    ss.add_argument("--json", action="store_true", help="print JSON")

    ex = cmd("export")
    ex.add_argument("ids", nargs="*", metavar="ID", help="articles to export: ids or prefixes")
    ex.add_argument("--story", metavar="ID", help="every article of this article's story")
    ex.add_argument("--search", metavar="QUERY", help="every article matching this query")
    ex.add_argument("--format", choices=["md", "json", "txt"], default="md",
                    help="Markdown (default), JSON or plain text")
    ex.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")

    co = cmd("coverage")
    co.add_argument("id", metavar="ID", help="article id (or a unique prefix)")
    co.add_argument("--json", action="store_true", help="print JSON")


def _selection(p: argparse.ArgumentParser, what: str) -> None:
    """``ID ...`` or ``--search QUERY``: the articles a command acts on."""
    p.add_argument("ids", nargs="*", metavar="ID", help=f"{what}: ids or unique id prefixes")
    p.add_argument("--search", metavar="QUERY",
                   help=f"{what}: every article matching this query (Whoosh syntax)")


def select(lib: Library, args: argparse.Namespace) -> list[str]:
    """The full ids named by ``ID ...`` or ``--search QUERY`` (one of them, not both).

    Every id must resolve: one unknown id is a NotFound and nothing is selected, so a typo
    never acts on the rest of the list."""
    from reader.cli import UsageError

    if bool(args.ids) == bool(args.search):
        raise UsageError("name articles by ID ... or by --search QUERY (one of them)")
    if args.search:
        try:
            return [r.id for r in lib.search(args.search, limit=None)]
        except QueryError as exc:
            raise UsageError(f"malformed query: {exc}") from None
    return list(dict.fromkeys(lib.resolve(ref) for ref in args.ids))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def confirm(question: str) -> bool:
    """Ask on the terminal; True for y/yes. Only asked when stdin and stderr are terminals."""
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except (EOFError, KeyboardInterrupt):
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def cmd_remove(lib: Library, args: argparse.Namespace) -> int:
    """``reader remove ID ... | --search QUERY [--yes]``: store and index together; asks first
    on a terminal."""
    from reader.cli import _T, _err, emit

    ids = select(lib, args)
    if not ids:
        _err("no articles matched; nothing removed")
        return 1
    if not args.yes and sys.stdin.isatty() and sys.stderr.isatty():
        rows = lib.rows_by_id(ids[:5])
        for aid in ids[:5]:
            if aid in rows:
                sys.stderr.write(f"  {aid[:12]}  {_one(rows[aid].source)}: "
                                 f"{_one(rows[aid].title)}\n")
        if len(ids) > 5:
            sys.stderr.write(f"  … and {len(ids) - 5} more\n")
        if not confirm(f"Remove {_plural(len(ids), 'article')}?"):
            _err("nothing removed")
            return 1
    n = lib.remove(ids, on_busy=lambda: _err(
        "the library is busy: another reader is adding to it; waiting for it to finish…"))
    emit(args, lambda: {"removed": n, "ids": ids},
         lambda out: out.console().print(_T(f"removed {_plural(n, 'article')}")), pager=False)
    return 0


def cmd_mark(lib: Library, args: argparse.Namespace) -> int:
    """``reader mark read|unread|star|unstar ID ... | --search QUERY``."""
    from reader.cli import _T, _err, emit

    ids = select(lib, args)
    read, starred = MARKS[args.action]
    changed = lib.mark(ids, read=read, starred=starred, on_busy=lambda: _err(
        "the library is busy: another reader is adding to it; waiting for it to finish…"))
    done = {"read": "marked read", "unread": "marked unread", "star": "starred",
            "unstar": "unstarred"}[args.action]
    text = f"{_plural(len(ids), 'article')} {done}"
    if changed != len(ids):
        text += f" ({len(ids) - changed} already {'were' if len(ids) - changed > 1 else 'was'})"
    emit(args, lambda: {"action": args.action, "ids": ids, "changed": changed},
         lambda out: out.console().print(_T(text)), pager=False)
    return 0 if args.json or ids else 1


def search_counts(lib: Library, query: str) -> tuple[int, int]:
    """(matches, unread matches) of a query."""
    ids = [r.id for r in lib.search(query, limit=None)]
    read = lib.read_ids()
    return len(ids), sum(1 for i in ids if i not in read)


def cmd_searches(lib: Library, args: argparse.Namespace) -> int:
    """``reader searches [--save NAME QUERY | --delete NAME]``: saved searches with counts."""
    from reader.cli import _T, UsageError, _table, emit

    if args.save:
        name, query = args.save
        try:
            lib.save_search(name, query)
        except QueryError as exc:
            raise UsageError(f"malformed query: {exc}") from None
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    elif args.delete:
        lib.delete_search(args.delete)
    saved = lib.saved_searches()
    rows = []
    for name, query in saved:
        total: int | None
        unread: int | None
        try:
            total, unread = search_counts(lib, query)
        except QueryError:  # saved by an older reader whose syntax changed
            total = unread = None
        rows.append({"name": name, "query": query, "matches": total, "unread": unread})

    def as_text(out: Output) -> None:
        con = out.console()
        if args.save or args.delete:
            con.print(_T(f"saved {args.save[0]!r}" if args.save else f"deleted {args.delete!r}"))
        if not rows:
            if not (args.save or args.delete):
                con.print(_T("no saved searches (save one with "
                             "`reader searches --save NAME QUERY`)"))
            return
        t = _table("name", "unread", "matches", "query")
        for r in rows:
            t.add_row(_T(r["name"], "bold"), _T("?" if r["unread"] is None else r["unread"]),
                      _T("?" if r["matches"] is None else r["matches"]), _T(r["query"], "dim"))
        con.print(t)

    emit(args, lambda: rows, as_text, pager=False)
    return 0


def cmd_export(lib: Library, args: argparse.Namespace) -> int:
    """``reader export ID ... | --story ID | --search QUERY [--format md|json|txt] [-o FILE]``."""
    from index.export import export
    from reader.cli import UsageError, _err
    from reader.safe import safe_text

    if sum(map(bool, (args.ids, args.story, args.search))) != 1:
        raise UsageError("name articles by ID ..., --story ID or --search QUERY (one of them)")
    title = None
    if args.story:
        from index.coverage import story_members

        first = lib.resolve(args.story)
        ids = story_members(lib, first)
        rows = lib.rows_by_id(ids)
        ids.sort(key=lambda i: (rows[i].published is None, rows[i].published or "",
                                rows[i].source, i))
        title = f"Story: {lib.article(first).title}"
    else:
        ids = select(lib, args)
        if args.search:
            title = f"Search: {args.search}"
    if not ids:
        _err("no articles matched; nothing exported")
        return 1
    text = export(lib, ids, args.format, title=title)
    if args.output:
        from pathlib import Path

        try:
            Path(args.output).expanduser().write_text(text, encoding="utf-8")
        except OSError as exc:
            _err(f"cannot write {args.output}: {exc.strerror or exc}")
            return 1
        _err(f"exported {_plural(len(ids), 'article')} to {args.output}")
        return 0
    sys.stdout.write(safe_text(text) if sys.stdout.isatty() else text)
    return 0


def cmd_coverage(lib: Library, args: argparse.Namespace) -> int:
    """``reader coverage ID``: the story's outlets with dates, the regular outlets missing it,
    and the article's paragraphs only it carries / every outlet carries."""
    from reader.cli import emit

    cov = lib.coverage(args.id)
    emit(args, cov.to_json, lambda out: _print_coverage(lib, cov, out.console()), pager=False)
    return 0


def _print_coverage(lib: Library, cov: Coverage, con: Console) -> None:
    from rich.padding import Padding

    from reader.cli import _T, _table

    article = lib.article(cov.article)
    con.print(_T(article.title, "bold"))
    n = len(cov.outlets)
    con.print(_T(f"{n} outlet{'s' if n != 1 else ''} carry this story"
                 + (f" · {cov.story}" if cov.story else ""), "dim"))
    t = _table("id", "date", "source", "paras", "shared", "only here", "title")
    for c in cov.carriers:
        here = c.id == cov.article
        t.add_row(_T(c.id[:12], "dim"), _T(c.published or "—"),
                  _T(c.source + (" (this)" if here else ""), "cyan"), _T(c.paragraphs),
                  _T("—" if here else c.shared), _T(c.only), _T(c.title))
    con.print(Padding(t, (1, 0, 1, 2), expand=False))
    if cov.missing:
        when = f"{cov.window[0]} to {cov.window[1]}" if cov.window else "ever"
        con.print(_T(f"Regular outlets with nothing on it (publishing {when})", "bold"))
        m = _table("source", "articles then")
        for s, k in cov.missing:
            m.add_row(_T(s, "cyan"), _T(k))
        con.print(Padding(m, (0, 0, 1, 2), expand=False))
    else:
        con.print(_T("Every outlet publishing then carries it.", "dim"))
        con.print()
    if len(cov.outlets) > 1:
        for label, paras in (("Only here", cov.only_here), ("Everywhere", cov.everywhere)):
            con.print(_T(f"{label}: {len(paras)} paragraph{'s' if len(paras) != 1 else ''}",
                         "bold"))
            for p in paras:
                text = article.paragraphs[p]
                con.print(Padding(_T(f"¶{p + 1}  " + (text if len(text) <= 160
                                                        else text[:159] + "…")), (0, 0, 0, 2)))
            con.print()
    else:
        con.print(_T("No other outlet carries this story.", "dim"))


def list_flags(p: argparse.ArgumentParser) -> None:
    """``reader list --unread / --starred``."""
    p.add_argument("--unread", action="store_true", help="only the unread articles")
    p.add_argument("--starred", action="store_true", help="only the starred articles")


def list_rows(lib: Library, args: argparse.Namespace,
              limit: int | None) -> tuple[list, int | None]:
    """The rows ``reader list`` shows (newest first, ``--unread``/``--starred`` applied, at
    most ``limit``) and how many there are in all (None: ``lib.count()``, left for the caller
    to read after the rows are out)."""
    if not (args.unread or args.starred):
        return lib.rows(limit), None
    read = lib.read_ids() if args.unread else set()
    starred = lib.starred_ids() if args.starred else set()
    rows = [r for r in lib.rows()
            if (not args.unread or r.id not in read) and (not args.starred or r.id in starred)]
    return (rows[:limit] if limit is not None else rows), len(rows)


def mark_cell(mark: tuple[bool, bool]) -> str:
    """The list's mark column: ``•`` unread, ``★`` starred."""
    return ("" if mark[0] else "•") + ("★" if mark[1] else "")


def search_query(lib: Library, args: argparse.Namespace) -> str:
    """The query of ``reader search``: the words, or the saved search ``--saved NAME`` (the
    words, if any, narrow it)."""
    from reader.cli import UsageError

    words = " ".join(args.query).strip()
    if args.saved:
        saved = lib.saved_search(args.saved)
        if not words:
            return saved
        from index.user import split_filters

        rest, states = split_filters(saved)  # is: must stay outside the parentheses
        marks = " ".join(f"is:{s}" for s in sorted(states))
        return " ".join(x for x in (f"({rest})" if rest else "", words, marks) if x)
    if not words:
        raise UsageError("search needs a QUERY (or --saved NAME)")
    return words


def _one(text: str) -> str:
    from reader.safe import one_line

    return one_line(text)[:80]


HANDLERS: dict[str, Callable[[Library, argparse.Namespace], int]] = {
    "remove": cmd_remove,
    "mark": cmd_mark,
    "searches": cmd_searches,
    "export": cmd_export,
    "coverage": cmd_coverage,
}
