"""Improvements reach existing libraries (issue 14): a library whose names, dates and stories
were made by an older reader says so, and ``reader reindex`` makes them again from the stored
text: with progress, interruptible (what was done is kept and the next reindex resumes),
crash-safe, and readers never wait meanwhile.

The libraries are real (built by ``reader add``), then made to look old the way an older
reader left them: no enrichment version in the store, people's names kept with their titles,
half the dated events missing, every article a story of its own, no mentions."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
from itertools import islice
from pathlib import Path

import pytest

from index.library import Library
from index.pipeline import ENRICH_VERSION
from tests.conftest import CLI, REPO, data_file
from tests.test_promises import _lock_free, _wait_mark, _writer


def _jsonl(tmp_path: Path, name: str, n: int) -> Path:
    """The first ``n`` records of a shared corpus as a JSON Lines file ``reader add`` reads."""
    out = tmp_path / "in.jsonl"
    with gzip.open(data_file(name), "rt", encoding="utf-8") as fh, out.open("w") as w:
        for line in islice(fh, n):
            r = json.loads(line)
            w.write(json.dumps({"title": r.get("title") if r.get("title") != "None" else None,
                                "body": r.get("body") or r["text"], "source": r["source"],
                                "published": r.get("published"), "url": r.get("url")}) + "\n")
    return out


def _state(lib: Path) -> dict:
    """What enrichment made of a library: entity rows, events, mentions, the story partition."""
    conn = sqlite3.connect(lib / "library.db")
    try:
        stories: dict[int, set[str]] = {}
        for aid, story in conn.execute("SELECT id, story FROM pi_article"):
            stories.setdefault(story, set()).add(aid)
        return {
            "entities": sorted(conn.execute("SELECT * FROM entities")),
            "events": sorted(conn.execute("SELECT * FROM events")),
            "mentions": sorted(conn.execute("SELECT id, mentions FROM articles")),
            "stories": sorted(sorted(s) for s in stories.values()),
        }
    finally:
        conn.close()


def _meta(lib: Path, key: str) -> str | None:
    conn = sqlite3.connect(lib / "library.db")
    try:
        row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def _make_old(lib: Path) -> None:
    """Make a library look as an older reader left it (see the module's docstring)."""
    conn = sqlite3.connect(lib / "library.db")
    with conn:
        conn.execute("DELETE FROM meta WHERE key='enrich_version'")
        conn.execute("UPDATE entities SET name = 'Mr. ' || name, key = 'mr ' || key"
                     " WHERE type = 'PER'")
        conn.execute("DELETE FROM events WHERE rowid % 2 = 0")
        conn.execute("UPDATE pi_article SET story = aid")
        conn.execute("DELETE FROM pi_story")
        conn.execute("UPDATE articles SET mentions = '[]'")
    conn.close()


def test_a_new_library_is_current_and_an_old_one_says_so(tmp_path: Path) -> None:
    lib_path = tmp_path / "lib"
    cli = CLI(lib_path)
    assert cli("add", str(_jsonl(tmp_path, "newswcl50.jsonl.gz", 10))).returncode == 0
    assert _meta(lib_path, "enrich_version") == str(ENRICH_VERSION)
    with Library(lib_path) as lib:
        assert not lib.enrichment_outdated()
    r = cli("list")
    assert r.returncode == 0 and "reindex" not in r.stderr, r.stderr
    _make_old(lib_path)
    with Library(lib_path) as lib:
        assert lib.enrichment_outdated()
    mtime = (lib_path / "library.db").stat().st_mtime_ns
    r = cli("list")
    assert r.returncode == 0
    assert "made by an older reader" in r.stderr and "`reader reindex`" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr  # one line, and nothing done
    assert (lib_path / "library.db").stat().st_mtime_ns == mtime
    assert _meta(lib_path, "enrich_version") is None


def test_reindex_makes_names_dates_and_stories_again(tmp_path: Path) -> None:
    """NewsWCL50 as ``reader add`` stores it; made old; ``reader reindex`` gives back exactly
    what a fresh add makes (entities, events, mentions, stories), and the entity list and
    searches show the new names."""
    lib = tmp_path / "lib"
    cli = CLI(lib)
    assert cli("add", str(_jsonl(tmp_path, "newswcl50.jsonl.gz", 50))).returncode == 0
    fresh = _state(lib)
    assert len(fresh["stories"]) < 20  # the 10 events, a few split
    _make_old(lib)
    old = _state(lib)
    assert old != fresh and len(old["stories"]) == 50
    r = cli("entities", "--json", "--limit", "0")
    assert any(e["name"].startswith("Mr. ") for e in json.loads(r.stdout))

    r = cli("reindex")
    assert r.returncode == 0, r.stderr
    assert "made names, dates and stories again and reindexed 50 articles" in r.stdout
    assert _state(lib) == fresh
    assert _meta(lib, "enrich_version") == str(ENRICH_VERSION)
    assert _meta(lib, "enrich_seq") is None
    r = cli("entities", "--json", "--limit", "0")
    names = {e["name"] for e in json.loads(r.stdout)}
    assert "Donald Trump" in names and not any(n.startswith("Mr. ") for n in names)
    assert "reindex" not in r.stderr
    # the search index holds the new names: entity:"Mr. Donald Trump" finds nothing now
    r = cli("search", "--json", 'entity:"Mr. Donald Trump"')
    assert r.returncode == 0 and json.loads(r.stdout) == [], r.stdout
    # an up-to-date library's reindex only rebuilds the search index
    r = cli("reindex")
    assert r.returncode == 0 and r.stdout.strip() == "reindexed 50 articles", r.stdout
    assert _state(lib) == fresh


@pytest.mark.parametrize(("point", "sig", "exit_code"), [
    ("reenrich-page", signal.SIGINT, 130),
    ("reenrich-page", signal.SIGKILL, -signal.SIGKILL),
    ("relink-before-commit", signal.SIGINT, 130),
    ("relink-before-commit", signal.SIGKILL, -signal.SIGKILL),
])
def test_reindex_interrupted_or_killed_keeps_its_work_and_resumes(
        tmp_path: Path, point: str, sig: int, exit_code: int) -> None:
    """200 AllSides articles (names and dates made again in worker processes, 64 at a time),
    made old; a reindex stopped after its first page of names and dates, or just before the
    stories' commit. Meanwhile readers answer with the last committed state; afterwards the
    line says what was kept, nothing is left running or locked, the library is consistent
    (each article's rows all old or all new, the stories as they were), and the next reindex
    finishes from where the first stopped."""
    lib = tmp_path / "lib"
    cli = CLI(lib)
    assert cli("add", str(_jsonl(tmp_path, "allsides-dev.jsonl.gz", 200))).returncode == 0
    fresh = _state(lib)
    _make_old(lib)
    old = _state(lib)

    mark, log = tmp_path / "at-point", tmp_path / "reindex.log"
    proc = _writer(lib, log=log, pause=point, mark=mark, cmd="reindex")
    try:
        _wait_mark(mark, proc, log)
        # readers do not wait for the reindex: they answer, from the last committed state
        r = cli("list", "--json", timeout=120)
        assert r.returncode == 0 and len(json.loads(r.stdout)) == 200, r.stderr
        r = cli("stats", "--json", timeout=120)
        assert r.returncode == 0, r.stderr
        os.killpg(proc.pid, sig)
        assert proc.wait(timeout=60) == exit_code, log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    out = log.read_text()
    if sig == signal.SIGINT:
        lines = [x for x in out.splitlines() if x.startswith("reader: interrupted")]
        assert len(lines) == 1, out
        if point == "reenrich-page":
            assert "names and dates of 64 of 200 articles were made again and kept" in lines[0]
        else:
            assert "names and dates were made again, stories and the search index are as " \
                   "they were" in lines[0]
        assert "run `reader reindex` again to finish" in lines[0]
    assert _lock_free(lib)
    ps = subprocess.run(["pgrep", "-f", f"--library {lib}"], capture_output=True, text=True)
    assert ps.stdout.strip() == "", ps.stdout  # no worker left behind

    mid = _state(lib)
    assert mid["stories"] == old["stories"]  # stories change only in one transaction
    fresh_by_id = {e[0]: [] for e in fresh["mentions"]}
    for e in fresh["entities"]:
        fresh_by_id[e[0]].append(e)
    mid_by_id = {e[0]: [] for e in mid["mentions"]}
    for e in mid["entities"]:
        mid_by_id[e[0]].append(e)
    remade = [a for a in mid_by_id if mid_by_id[a] == fresh_by_id[a] and fresh_by_id[a]]
    if point == "reenrich-page":
        assert 64 <= len(remade) < 200
    else:
        assert len(remade) == sum(1 for a in fresh_by_id if fresh_by_id[a])
    seq = _meta(lib, "enrich_seq")
    assert seq is not None and seq.startswith(f"{ENRICH_VERSION}:"), seq
    with Library(lib) as library:
        assert library.enrichment_outdated()

    r = cli("reindex", timeout=600)
    assert r.returncode == 0, r.stderr
    assert "made names, dates and stories again" in r.stdout
    assert _state(lib) == fresh
    assert _meta(lib, "enrich_seq") is None
    assert _meta(lib, "enrich_version") == str(ENRICH_VERSION)


def test_reindex_enrich_flag_and_progress(tmp_path: Path) -> None:
    """``reindex --enrich`` makes them again on an up-to-date library too; the progress goes
    through each stage (names and dates, stories, search index) in order."""
    from index.library import Progress

    lib_path = tmp_path / "lib"
    assert CLI(lib_path)("add", str(_jsonl(tmp_path, "newswcl50.jsonl.gz", 12))).returncode == 0
    seen: list[Progress] = []
    with Library(lib_path) as lib:
        assert not lib.enrichment_outdated()
        assert lib.reindex(seen.append, enrich=True) == 12
    stages = list(dict.fromkeys(p.stage for p in seen))
    assert stages == ["names and dates", "stories", "search index"], stages
    last = {p.stage: p for p in seen}
    assert all(p.done == p.total == 12 for p in last.values()), last
    r = subprocess.run([sys.executable, "-m", "reader", "--library", str(lib_path), "reindex",
                        "--enrich"], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0 and "made names, dates and stories again" in r.stdout, r


async def test_the_app_says_an_old_library_needs_a_reindex_and_does_not_do_it(
        tmp_path: Path) -> None:
    """The app opens an old library at once, says in a notice that ``reader reindex`` makes
    its names, dates and stories again, and writes nothing; a current library gets no notice."""
    from reader.app import ReaderApp

    lib_path = tmp_path / "lib"
    assert CLI(lib_path)("add", str(_jsonl(tmp_path, "newswcl50.jsonl.gz", 5))).returncode == 0
    told: dict[str, list[str]] = {}
    for label in ("current", "old"):
        if label == "old":
            _make_old(lib_path)
        before = _state(lib_path)
        with Library(lib_path) as lib:
            app = ReaderApp(lib, [], seed=False, poll_interval=None)
            async with app.run_test(size=(120, 35)) as pilot:
                await pilot.pause()
                told[label] = [str(n.message) for n in app._notifications]
        assert _state(lib_path) == before
    assert not any("reader reindex" in m for m in told["current"]), told
    assert any("older reader" in m and "`reader reindex`" in m for m in told["old"]), told
    assert _meta(lib_path, "enrich_version") is None
