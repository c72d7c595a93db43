"""The input walk of an add: files, folders, JSON Lines, feeds and mailboxes saved as files,
into :class:`pipeline.Unit`s, one at a time.

Only what is cheap and must be decided in order happens here (which files, which outlet, a
feed's items, the lines of a JSON Lines file); the parsing of a file, a record or a message is
the workers' (``pipeline.article_of``). A folder's ``sources.tsv`` (``NAME<TAB>outlet``) names
the outlet of its files. What cannot be read goes to the caller's ``skip``, one line each.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from index.pipeline import Unit

__all__ = ["JSONL_SUFFIXES", "SOURCES_FILE", "is_jsonl", "source_map", "units"]

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
SOURCES_FILE = "sources.tsv"

Skip = Callable[[str, str], None]  # (input's name, why it was skipped)


def source_map(folder: Path, cache: dict[Path, dict[str, str]]) -> dict[str, str]:
    """File name -> source from a folder's ``sources.tsv`` (tab-separated), if it has one."""
    if folder not in cache:
        mapping: dict[str, str] = {}
        f = folder / SOURCES_FILE
        with contextlib.suppress(OSError, UnicodeDecodeError):
            for line in f.read_text(encoding="utf-8").splitlines():
                if "\t" in line and not line.startswith("#"):
                    name, src = line.split("\t", 1)
                    if name.strip() and src.strip():
                        mapping[name.strip()] = src.strip()
        cache[folder] = mapping
    return cache[folder]


def is_jsonl(path: Path) -> bool:
    return path.name.lower().endswith(JSONL_SUFFIXES)


def head(path: Path) -> bytes:
    """The first bytes of a file, enough to tell what it holds (index.parse.sniff)."""
    from index.parse import SNIFF_BYTES

    try:
        with path.open("rb") as fh:
            return fh.read(SNIFF_BYTES)
    except OSError:
        return b""  # the worker's read reports the error


def many_units(
    path: Path, kind: str, explicit: str | None, fallback: str | None, enrich: bool,
    skip: Skip,
) -> Iterator[Unit]:
    """The units of a file or folder holding several articles: a feed's items (parsed here,
    feedparser is fast), an mbox's or a Maildir's messages (parsed by the workers). As for a
    text file, the outlet the file names wins (the feed's title, a message's sender), else
    ``explicit`` (sources.tsv or --source), else ``fallback`` (the folder's name). Problems go
    to ``skip``, one line each."""
    from index.parse import DEFAULT_MAX_BYTES, ParseError

    if kind == "feed":
        from datetime import datetime, timezone

        from index.feeds import item_article, parse_feed

        try:
            size = path.stat().st_size
            if size > DEFAULT_MAX_BYTES:
                raise ParseError(f"file too big ({size / 2**20:.1f} MiB)")
            feed = parse_feed(path.read_bytes(), fetched_at=datetime.now(timezone.utc))
        except ParseError as exc:
            skip(str(path), str(exc))
            return
        except OSError as exc:
            skip(str(path), exc.strerror or str(exc))
            return
        outlet = feed.title or explicit or fallback or "unknown"
        if feed.problem:
            n = len(feed.items)
            skip(str(path), f"{feed.problem}; {n} item{'s' if n != 1 else ''} read")
        for n, item in enumerate(feed.items, 1):
            name = f"{path}:{n}"
            try:
                yield Unit(name, str(path), item_article(item, outlet=outlet), outlet, enrich)
            except ParseError as exc:
                skip(name, str(exc))
        return
    from index.mail import iter_maildir, iter_mbox

    try:
        messages = iter_maildir(path) if kind == "maildir" else iter_mbox(path)
        for name, raw in messages:
            if isinstance(raw, ParseError):
                skip(name, str(raw))
            else:
                yield Unit(name, str(path), None, explicit or fallback, enrich, raw, "email")
    except ParseError as exc:
        skip(str(path), str(exc))


def units(
    paths: Iterable[Path | str], source: str | None, enrich: bool, skip: Skip,
) -> Iterator[Unit]:
    """The work of an add, one unit at a time (a file, a JSON Lines record, a feed item,
    a message), streamed: nothing holds them all. An input that cannot be read is passed to
    ``skip(name, reason)`` and the walk goes on."""
    from index.mail import is_maildir
    from index.parse import iter_jsonl_lines, sniff

    maps: dict[Path, dict[str, str]] = {}

    def hint(p: Path) -> str | None:
        named = source_map(p.parent, maps).get(p.name)
        if named:
            return named
        if source:
            return source
        parent = p.parent.name
        return parent or None

    def files_of(p: Path, top: bool = True) -> Iterator[Path]:
        """Files under ``p`` (sorted; hidden ones and saved pages' NAME_files/ assets
        skipped); a Maildir is yielded whole."""
        if p.is_dir():
            if is_maildir(p):
                yield p
                return
            subs = sorted(p.iterdir())
            # a page saved "complete" by a browser keeps its scripts, styles and images
            # in NAME_files/ beside NAME.html: assets, not articles
            pages = {s.stem for s in subs if s.suffix.lower() in (".html", ".htm", ".xhtml")}
            for sub in subs:
                if sub.name.startswith("."):
                    continue
                if sub.is_dir():
                    if sub.name.endswith("_files") and sub.name[:-6] in pages:
                        continue
                    if not sub.is_symlink():
                        yield from files_of(sub, False)
                elif sub.is_file() and sub.name != SOURCES_FILE:
                    yield sub
        else:
            yield p

    for raw in paths:
        top = Path(raw).expanduser()
        try:
            exists = top.exists()
        except OSError as exc:  # a name too long, a loop of links
            skip(str(raw), exc.strerror or str(exc))
            continue
        if not exists:
            skip(str(raw), "no such file or directory")
            continue
        for p in files_of(top):
            if p.is_dir():  # a Maildir
                yield from many_units(p, "maildir", source_map(p.parent, maps).get(p.name)
                                      or source, p.parent.name or None, enrich, skip)
                continue
            if not p.is_file():
                skip(str(p), "not a regular file")
                continue
            if not os.access(p, os.R_OK):
                skip(str(p), "permission denied")
                continue
            if is_jsonl(p):
                try:
                    # lines are parsed where the work is done (in the workers)
                    for line_no, raw_line in iter_jsonl_lines(p):
                        name = f"{p}:{line_no}"
                        if isinstance(raw_line, Exception):
                            skip(name, str(raw_line))
                            continue
                        yield Unit(name, None, None, source, enrich, raw_line)
                except OSError as exc:
                    skip(str(p), exc.strerror or str(exc))
                except Exception as exc:
                    skip(str(p), f"cannot read as JSON Lines ({exc})")
            else:
                # a feed or an mbox holds several articles: split here; other files
                # (text, pages, .eml) are recognised and parsed by the workers
                kind = sniff(head(p))
                if kind in ("feed", "mbox"):
                    explicit = source_map(p.parent, maps).get(p.name) or source
                    yield from many_units(p, kind, explicit, p.parent.name or None,
                                          enrich, skip)
                else:
                    yield Unit(str(p), str(p), None, hint(p), enrich)
