"""Command-line output at human speed: streamed tables, a pager on a terminal, default limits
with a closing "N more" line, complete JSON; and the cheap reads behind them give what the full
reads give (real libraries, the real CLI on a pseudo-terminal)."""

from __future__ import annotations

import fcntl
import json
import os
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from index.library import Library
from reader.safe import shorten
from tests.conftest import CLI, REPO


def run_tty(library: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``reader`` with stdout on a pseudo-terminal (as a person does); what it wrote."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    full = {k: v for k, v in os.environ.items()
            if k not in ("READER_LIBRARY", "PAGER", "READER_PAGER", "LESS")}
    full.update(TERM="xterm-256color", COLUMNS="120", LINES="40", **(env or {}))
    proc = subprocess.Popen([sys.executable, "-m", "reader", "--library", str(library), *args],
                            stdin=slave, stdout=slave, stderr=slave, env=full, cwd=REPO,
                            close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_terminal_output_goes_through_the_pager(seeded_library: Path, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    out = run_tty(seeded_library, "list", env={"READER_PAGER": f"cat > {paged}"})
    text = paged.read_text(encoding="utf-8")
    assert "title" in text and "Daily Sabah" in text  # the table went to the pager …
    assert "Daily Sabah" not in out  # … not around it
    with Library(seeded_library) as lib:
        titles = [r.title for r in lib.rows()]
    assert all(t[:30] in text for t in titles)


def test_no_pager_and_pipes_print_straight(seeded_library: Path, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    out = run_tty(seeded_library, "list", "--no-pager",
                  env={"READER_PAGER": f"cat > {paged}"})
    assert "Daily Sabah" in out and not paged.exists()
    out = run_tty(seeded_library, "list", env={"PAGER": "cat"})  # $PAGER=cat: no pager
    assert "Daily Sabah" in out
    r = CLI(seeded_library)("list", env={"READER_PAGER": f"cat > {paged}"})  # a pipe
    assert r.returncode == 0 and "Daily Sabah" in r.stdout and not paged.exists()


def test_pager_quit_early_is_not_an_error(seeded_library: Path) -> None:
    # the reader quits the pager after one line: the command stops quietly, exit 0
    out = run_tty(seeded_library, "events", "--limit", "0",
                  env={"READER_PAGER": "head -n 1 > /dev/null"})
    assert "Traceback" not in out and "Broken pipe" not in out


def test_default_limit_and_more_line(seeded_library: Path) -> None:
    cli = CLI(seeded_library)
    r = cli("list", "--limit", "2")
    assert r.returncode == 0, r.stderr
    body = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(body) == 1 + 2 + 1, r.stdout  # header, two rows, the closing line
    assert body[-1].startswith("3 more articles — use --limit")
    r = cli("list", "--limit", "0")
    assert "more articles" not in r.stdout and len(r.stdout.strip().splitlines()) == 6
    assert len(json.loads(cli("list", "--json").stdout)) == 5  # JSON is complete
    r = cli("list", "--limit", "-1")
    assert r.returncode == 2 and r.stderr.count("\n") == 1


def test_events_stream_in_order_and_json_complete(seeded_library: Path) -> None:
    with Library(seeded_library) as lib:
        every = lib.events()
        assert list(lib.iter_events()) == every
        assert lib.count_events() == len(every)
    cli = CLI(seeded_library)
    data = json.loads(cli("events", "--json").stdout)
    assert [(e["date"], e["article"], e["paragraph"], e["text"]) for e in data] == \
        [(e.date, e.article, e.paragraph, e.text) for e in every]
    r = cli("events", "--limit", "3")
    assert r.stdout.splitlines()[-1].startswith(f"{len(every) - 3} more events")


def test_cheap_reads_match_the_full_ones(seeded_library: Path) -> None:
    with Library(seeded_library) as lib:
        every = lib.entities()
        for n in (1, 3, 10, len(every), len(every) + 5):
            top, total = lib.top_entities(n)
            assert top == every[:n] and total == len(every)
        stories = lib.stories()
        sizes = {}
        for sid in stories.values():
            sizes[sid] = sizes.get(sid, 0) + 1
        ids = [r.id for r in lib.rows()]
        assert lib.story_sizes(ids) == {i: (stories[i], sizes[stories[i]]) for i in ids}
        assert [r.id for r in lib.rows(2)] == ids[:2]
        cache: dict = {}
        for aid in ids:
            full = [(e.key, e.name, e.type, e.mentions, e.articles, e.sources)
                    for e in lib.entities(aid)]
            for c in (None, cache):  # cold, and from what earlier articles filled in
                reach = [(e.key, e.name, e.type, e.mentions, e.articles, e.sources)
                         for e in lib.entity_reach(aid, c)]
                assert reach == full


@pytest.mark.parametrize(("text", "width", "want"), [
    ("New York Times", 10, "New York…"),
    ("TRTWorld and Agencies", 12, "TRTWorld…"),
    ("Reuters", 10, "Reuters"),
    ("Supercalifragilistic", 8, "Superca…"),
    ("Al Jazeera English", 11, "Al Jazeera…"),
])
def test_shorten_cuts_at_word_boundaries(text: str, width: int, want: str) -> None:
    assert shorten(text, width) == want
