"""Commands for living with a library (issue 13): remove, and the ones that follow.

Each command is a parser (``register``) and a handler (``HANDLERS``) over
:class:`index.library.Library`; :mod:`reader.cli` routes to them and owns the error handling
(a ``KeyError`` is one line and exit status 1, a ``UsageError`` exit status 2).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from index.library import Library, QueryError

COMMANDS = {
    "remove": "remove articles from the library (store and search index together)",
}


def register(cmd: Callable[[str], argparse.ArgumentParser]) -> None:
    """Add this module's subcommands with ``cmd(name)`` (the CLI's subparser factory)."""
    rm = cmd("remove")
    _selection(rm, "articles to remove")
    rm.add_argument("-y", "--yes", action="store_true",
                    help="do not ask for confirmation on a terminal")
    rm.add_argument("--json", action="store_true", help="print the removed ids as JSON")


def _selection(p: argparse.ArgumentParser, what: str) -> None:
    """``ID ...`` or ``--search QUERY``: the articles a command acts on."""
    p.add_argument("ids", nargs="*", metavar="ID", help=f"{what}: ids or unique id prefixes")
    p.add_argument("--search", metavar="QUERY",
                   help=f"{what}: every article matching this query (Whoosh syntax)")


def select(lib: Library, args: argparse.Namespace) -> list[str]:
    """The full ids named by ``ID ...`` or ``--search QUERY`` (one of them, not both).

    Every id must resolve: one unknown id is a KeyError and nothing is selected, so a typo
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
    from reader.cli import _T, _console, _dump, _err

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
    if args.json:
        _dump({"removed": n, "ids": ids})
    else:
        _console().print(_T(f"removed {_plural(n, 'article')}"))
    return 0


def _one(text: str) -> str:
    from reader.safe import one_line

    return one_line(text)[:80]


HANDLERS: dict[str, Callable[[Library, argparse.Namespace], int]] = {
    "remove": cmd_remove,
}
