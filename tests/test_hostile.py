"""Hostile article text never styles, links or reaches the terminal, and stays searchable (issue 6).

The articles (plain files and JSON Lines) carry ANSI/OSC escape sequences (an OSC 8 hyperlink, a
title-setting OSC, SGR colours, cursor moves), C0 and C1 control characters (the one-byte CSI
\\x9b), Rich markup, bidi overrides, zero-width characters and a 100,000-character word. The CLI's
human output is read through a real pseudo-terminal, so Rich styles it as it would for a user:
the only escape sequences allowed are Rich's own SGR styles.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from tests.conftest import CLI, REPO

OSC8 = "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\"
TITLE = "\x1b]0;pwned\x07"
SGR = "\x1b[38;5;196m\x1b[5m"  # colours Rich never uses for its own styles (256-colour red, blink)
CURSOR = "\x1b[2J\x1b[H\x1b[10A"
C1_CSI = "\x9b31m\x9b2J"
C0 = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r")  # NUL: in JSON only
C1 = "".join(chr(c) for c in range(0x80, 0xA0) if c != 0x85)  # NEL is a line break
BIDI = "\u202e"
ZW = "\u200b\u200d\ufeff"
LONG = "x" * 100_000

BODY = [
    f"Zanzibarian officials met on Tuesday {OSC8} and the talks went well.",
    f"Quokkaville residents {TITLE} protested {SGR}loudly{CURSOR} outside the hall.",
    "Markup [bold]bolded[/bold] and [link=http://evil.example]clicky[/link] and [/] stay text.",
    f"Control {C0} characters {C1} and the {C1_CSI} one-byte CSI vanish, marmalade remains.",
    f"Reversed {BIDI}gnirts{BIDI} and zero{ZW}width Da{ZW}esh join.",
    f"A very long word {LONG} sits between pumpernickel and sauerkraut.",
    "A very long line " + "lorem ipsum dolor " * 6000 + "ends with wombat.",
]


def _hostile_text() -> str:
    return f"Hostile [bold]headline[/bold] {OSC8} {TITLE} here\n\n" + "\n\n".join(BODY) + "\n"


@pytest.fixture(scope="module")
def hostile_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    folder = root / f"Outlet {TITLE}[red]{BIDI}"  # the folder name becomes the source
    folder.mkdir()
    (folder / "article.txt").write_text(_hostile_text(), encoding="utf-8")
    (folder / f"empty {TITLE}\x1b[31m.txt").write_text("")  # skipped: its name is printed
    rec = {
        "title": f"JSON [link=http://evil.example]title[/link] {SGR}{OSC8} {C1_CSI}",
        "body": "\n\n".join(BODY[:5]).replace("Zanzibarian", "Jsonburgh").replace("vanish", "\x00vanish"),
        "source": f"Wire {TITLE}{SGR}[bold]",
        "byline": f"By {OSC8} Reporter{BIDI}",
        "published": "2017-10-26",
    }
    (root / "feed.jsonl").write_text(json.dumps(rec) + "\n", encoding="utf-8")
    cli = CLI(root / "lib")
    r = cli("add", str(folder), str(root / "feed.jsonl"))
    assert r.returncode == 1, r.stderr  # one skipped (the empty file), the rest added
    assert "Traceback" not in r.stderr
    _assert_clean(r.stdout + r.stderr)
    assert "added 2 articles" in r.stdout
    return root / "lib"


def _run_tty(library: Path, *args: str) -> str:
    """Run ``reader`` with stdout and stderr on a pseudo-terminal; return what it wrote."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "READER_LIBRARY")}
    env.update(TERM="xterm-256color", COLUMNS="200", LINES="50", COLORTERM="truecolor")
    # our output straight to the terminal: a pager's own terminal codes are not ours (the pager
    # path is checked in tests/test_output.py)
    env["READER_PAGER"] = "cat"
    proc = subprocess.Popen(
        [sys.executable, "-m", "reader", "--library", str(library), *args],
        stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO, close_fds=True,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    out = b"".join(chunks).decode("utf-8")
    assert "Traceback" not in out
    return out


_RICH_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _assert_clean(out: str) -> None:
    """Nothing from the articles can act on a terminal: only plain SGR styles, and none of the
    articles' own (256-colour red, blink); no OSC, no C1, no bidi override, no zero-width."""
    for seq in _RICH_SGR.findall(out):
        assert "38;5;196" not in seq and seq not in ("\x1b[5m",), f"article SGR reached: {seq!r}"
    rest = _RICH_SGR.sub("", out)
    assert "\x1b" not in rest, f"escape sequence reached the terminal: {rest[rest.index(chr(27)):][:40]!r}"
    bad = set(rest) & (set(C0) - {"\r"} | set(C1) | {"\x9b", BIDI, "\u200b", "\u200d", "\ufeff"})
    assert not bad, f"control/bidi/zero-width characters reached the terminal: {bad!r}"
    # a skipped file is named as it is on disk, its control characters shown escaped (\\x1b),
    # so the name's payload is visible text there and nowhere else
    names = [ln for ln in rest.splitlines() if ln.startswith("reader: skipped ")]
    for ln in names:
        assert "pwned" not in ln or "\\x1b]0;pwned\\x07" in ln, ln
    rest = "\n".join(ln for ln in rest.splitlines() if not ln.startswith("reader: skipped "))
    assert "pwned" not in rest and "evil.example" not in rest.replace("[link=http://evil.example]", "")


def _ids(library: Path) -> dict[str, str]:
    r = CLI(library)("list", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    for row in rows:  # nothing hostile was stored (the path is the file's real name: data)
        shown = json.dumps([row["title"], row["source"]])
        assert "\\u001b" not in shown and "\\u009b" not in shown and "pwned" not in shown
    return {("json" if row["title"].startswith("JSON") else "file"): row["id"] for row in rows}


def test_list_show_and_search_show_text_not_escapes(hostile_library: Path) -> None:
    ids = _ids(hostile_library)
    out = _run_tty(hostile_library, "list")
    _assert_clean(out)
    assert "\x1b[" in out, "the pty run should be styled by Rich (else this test proves little)"
    assert "[bold]headline[/bold]" in out  # Rich markup is shown literally, not interpreted
    for key in ("file", "json"):
        out = _run_tty(hostile_library, "show", ids[key])
        _assert_clean(out)
        assert "[/]" in out and "[link=http://evil.example]clicky[/link]" in out
        assert "gnirts" in out and "marmalade" in out
    for query in ("Quokkaville", "marmalade", "link", "headline"):
        out = _run_tty(hostile_library, "search", query)
        _assert_clean(out)
        assert "no matches" not in out
    for cmd in (["entities"], ["events"], ["stats"], ["related", ids["file"]]):
        _assert_clean(_run_tty(hostile_library, *cmd))


@pytest.mark.parametrize("word,expect", [
    ("Zanzibarian", {"file"}), ("Jsonburgh", {"json"}), ("Quokkaville", {"file", "json"}),
    ("talks", {"file", "json"}), ("loudly", {"file", "json"}), ("marmalade", {"file", "json"}),
    ("zerowidth", {"file", "json"}), ("Daesh", {"file", "json"}), ("gnirts", {"file", "json"}),
    ("pumpernickel", {"file"}), ("sauerkraut", {"file"}), ("wombat", {"file"}),
    ("bolded", {"file", "json"}), ("clicky", {"file", "json"}),
])
def test_words_around_hostile_sequences_are_found(hostile_library: Path, word: str,
                                                   expect: set[str]) -> None:
    ids = _ids(hostile_library)
    r = CLI(hostile_library)("search", "--json", word)
    assert r.returncode == 0, r.stderr
    found = {k for k, v in ids.items() if v in {h["id"] for h in json.loads(r.stdout)}}
    assert found == expect


def test_nothing_hostile_is_stored(hostile_library: Path) -> None:
    ids = _ids(hostile_library)
    for key in ids.values():
        r = CLI(hostile_library)("show", "--json", key)
        a = json.loads(r.stdout)
        text = json.dumps({k: v for k, v in a.items() if k != "path"}, ensure_ascii=False)
        for ch in ("\x1b", "\x9b", "\x9d", "\x07", BIDI, "\u200b", "\ufeff", "\x00"):
            assert ch not in "".join([a["title"], a["source"], a["byline"] or "", *a["paragraphs"]])
        assert "pwned" not in text and "http://evil.example/" not in text


def test_nothing_around_hostile_sequences_is_lost(hostile_library: Path) -> None:
    """An unterminated OSC (a stray C1 \\x9d, as a cp1252 file can hold) once swallowed the rest
    of the article: every paragraph must survive, minus only the hostile characters."""
    ids = _ids(hostile_library)
    a = json.loads(CLI(hostile_library)("show", "--json", ids["file"]).stdout)
    assert len(a["paragraphs"]) == len(BODY)
    assert a["paragraphs"][3] == "Control characters and the one-byte CSI vanish, marmalade remains."
    assert a["paragraphs"][4] == "Reversed gnirts and zerowidth Daesh join."
    assert a["paragraphs"][5].endswith(LONG + " sits between pumpernickel and sauerkraut.")
    assert a["paragraphs"][6].endswith("ends with wombat.")
    j = json.loads(CLI(hostile_library)("show", "--json", ids["json"]).stdout)
    assert len(j["paragraphs"]) == 5 and j["paragraphs"][3].endswith("marmalade remains.")
