"""Nothing lost, nothing injected: crashes, concurrent use and damaged libraries (issue 6).

Every test here drives the real ``reader`` command in subprocesses, the way a user (or a crash)
meets it: SIGKILL in the middle of an add, two adds at once, reads during an add, a library folder
whose files were truncated, deleted or written by a newer version.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.parse import content_id, iter_jsonl
from tests.conftest import CLI, REPO, SEEDS, data_file

N_ARTICLES = 600  # >= BULK_THRESHOLD, so the add forks its worker pool and Whoosh's sub-writers


def _sample(tmp_path: Path, n: int, name: str = "sample.jsonl", skip: int = 0) -> Path:
    src = data_file("reuters21578.jsonl.gz")
    out = tmp_path / name
    with gzip.open(src, "rt", encoding="utf-8") as f, out.open("w", encoding="utf-8") as o:
        for i, line in enumerate(f):
            if i < skip:
                continue
            if i >= skip + n:
                break
            o.write(line)
    return out


def _expected_ids(path: Path) -> set[str]:
    """The ids a complete add of ``path`` must hold: content ids of its parseable lines."""
    return {content_id(a) for _, a in iter_jsonl(path) if not isinstance(a, Exception)}


def _popen_add(lib: Path, *paths: Path, log: Path | None = None,
               pause: str | None = None) -> subprocess.Popen:
    """``reader add`` in its own session; output to a file (orphaned workers of a killed
    parent keep inherited pipes open, so pipes would never reach EOF). ``pause`` names a fault
    point where the writer stops until killed (``READER_FAULT_PAUSE``)."""
    out = open(log or os.devnull, "w")  # noqa: SIM115
    env = {**os.environ, "COLUMNS": "200"}
    if pause:
        env["READER_FAULT_PAUSE"] = pause
    env.pop("READER_LIBRARY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reader", "--library", str(lib), "add", *map(str, paths)],
        cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the pool workers and Whoosh's sub-writers
    )
    out.close()
    return proc


def _killpg(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _group_alive(pgid: int) -> list[int]:
    """Pids still alive in a process group (orphaned workers of a killed writer)."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(d.name))
    return pids


def _store_count(lib: Path) -> int:
    db = lib / "library.db"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
            return int(c.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


def _assert_healthy(cli: CLI, expected: set[str], probe: Path) -> set[str]:
    """The library opens, a writer can take the lock, list/search/stats work, nothing is
    duplicated, and the index holds exactly the store's articles. Returns the ids present."""
    # A writer gets the lock at once: no stale lock (ours, or Whoosh's MAIN_WRITELOCK) is left.
    r = cli("add", str(probe), timeout=20)
    assert r.returncode == 0, r.stderr
    assert "busy" not in r.stderr, "a killed writer left the library locked"
    r = cli("list", "--json", timeout=60)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    ids = [row["id"] for row in json.loads(r.stdout)]
    assert len(ids) == len(set(ids)), "duplicated articles after a crash"
    assert set(ids) <= expected, "articles that were never added appeared"
    r = cli("stats", "--json", timeout=60)
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    assert stats["articles"] == len(ids)
    assert stats["indexed"] == stats["articles"], f"index and store disagree: {stats}"
    r = cli("search", "--json", "--limit", "100000", "said", timeout=60)
    assert r.returncode == 0, r.stderr
    hits = [h["id"] for h in json.loads(r.stdout)]
    assert len(hits) == len(set(hits)) and set(hits) <= set(ids)
    if ids:
        assert hits, "search finds nothing in a library that has articles"
    return set(ids)


def _readd(cli: CLI, sample: Path, expected: set[str]) -> float:
    t0 = time.monotonic()
    r = cli("add", "--json", str(sample), timeout=180)
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    ids = [row["id"] for row in json.loads(cli("list", "--json").stdout)]
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert len(set(report["added"])) == len(report["added"])
    stats = json.loads(cli("stats", "--json").stdout)
    assert stats["articles"] == stats["indexed"] == len(expected)
    return took


def _popen_add_at(lib: Path, sample: Path, point: str, mark: Path, log: Path) -> subprocess.Popen:
    """``reader add`` that stops at fault point ``point`` and touches ``mark`` when there."""
    out = open(log, "w")  # noqa: SIM115
    env = {**os.environ, "COLUMNS": "200", "READER_FAULT_PAUSE": point,
           "READER_FAULT_MARK": str(mark)}
    env.pop("READER_LIBRARY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reader", "--library", str(lib), "add", str(sample)],
        cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    out.close()
    return proc


# Where a kill lands: in the middle of the batch (workers running, the store transaction
# open), just before the store commits, and between the store commit and the index commit.
KILL_POINTS = ("in-store-batch", "before-store-commit", "after-store-commit")


def test_sigkill_during_add_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """SIGKILL ``reader add`` at each fault point, the whole process group or only the parent
    (so its workers are orphaned). After each kill the library opens, a new writer is not
    blocked, list/search/stats work, no article is duplicated and the index matches the store;
    the batch is wholly there (a kill after the store commit) or wholly absent; a re-add
    completes with exactly the articles."""
    sample = _sample(tmp_path, N_ARTICLES)
    expected = _expected_ids(sample)
    assert len(expected) > 500
    probe = tmp_path / "empty.jsonl"
    probe.write_text("")
    lib = tmp_path / "lib"
    cli = CLI(lib)
    for i, (point, mode) in enumerate((p, m) for p in KILL_POINTS for m in ("group", "parent")):
        if lib.exists():
            shutil.rmtree(lib)
        mark = tmp_path / f"mark-{i}"
        log = tmp_path / f"add-{i}.log"
        proc = _popen_add_at(lib, sample, point, mark, log)
        try:
            t0 = time.monotonic()
            while not mark.exists():
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() - t0 < 240, "the add never reached its fault point"
                time.sleep(0.02)
            if mode == "group":
                _killpg(proc.pid)
            else:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
            if mode == "parent":
                # orphaned workers must not outlive their writer holding its locks
                deadline = time.monotonic() + 5
                while _group_alive(proc.pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                assert not _group_alive(proc.pid), "workers outlived the killed writer"
            present = _assert_healthy(cli, expected, probe)
            want = expected if point == "after-store-commit" else set()
            assert present == want, f"{len(present)} of {len(expected)} kept after {point}"
            if i % 2 == 1:
                _readd(cli, sample, expected)
        finally:
            _killpg(proc.pid)


# ---------------------------------------------------------------------------------------------
# Two writers, and readers during a write


def _lock_held(lib: Path) -> bool:
    import fcntl

    try:
        fd = os.open(lib / "write.lock", os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _wait_for_lock(lib: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    t0 = time.monotonic()
    while not _lock_held(lib):
        assert proc.poll() is None, "the add ended before it took the lock"
        assert time.monotonic() - t0 < timeout
        time.sleep(0.01)


def test_two_adds_at_once_second_waits_and_nothing_is_lost(tmp_path: Path) -> None:
    a = _sample(tmp_path, 250, "a.jsonl")
    b = _sample(tmp_path, 250, "b.jsonl", skip=250)
    lib = tmp_path / "lib"
    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    pa = _popen_add(lib, a, log=log_a)
    try:
        _wait_for_lock(lib, pa)
        pb = _popen_add(lib, b, log=log_b)
        try:
            assert pa.wait(timeout=120) == 0, log_a.read_text()
            assert pb.wait(timeout=120) == 0, log_b.read_text()
        finally:
            _killpg(pb.pid)
    finally:
        _killpg(pa.pid)
    said = log_b.read_text()
    assert "the library is busy" in said and "waiting" in said, said
    assert "Traceback" not in said + log_a.read_text()
    cli = CLI(lib)
    ids = [r["id"] for r in json.loads(cli("list", "--json").stdout)]
    assert len(ids) == len(set(ids))
    assert set(ids) == _expected_ids(a) | _expected_ids(b)
    stats = json.loads(cli("stats", "--json").stdout)
    assert stats["indexed"] == stats["articles"] == len(ids)


def test_search_and_list_work_without_waiting_while_an_add_runs(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    cli = CLI(lib)
    assert cli("add", str(SEEDS)).returncode == 0
    sample = _sample(tmp_path, 400)
    proc = _popen_add(lib, sample, log=tmp_path / "add.log")
    try:
        _wait_for_lock(lib, proc)
        rounds = 0
        while proc.poll() is None and rounds < 6:
            t0 = time.monotonic()
            r = cli("search", "--json", "Daesh", timeout=30)
            assert r.returncode == 0 and "busy" not in r.stderr, r.stderr
            assert len(json.loads(r.stdout)) == 5  # the committed articles, not the batch's
            r = cli("list", "--json", timeout=30)
            assert r.returncode == 0 and "busy" not in r.stderr, r.stderr
            n = len(json.loads(r.stdout))
            assert n == 5 or n == 5 + len(_expected_ids(sample))  # never a partial batch
            assert time.monotonic() - t0 < 10, "a reader waited for the writer"
            rounds += 1
        assert rounds >= 2, "the add finished before the readers could overlap it"
        assert proc.wait(timeout=120) == 0
    finally:
        _killpg(proc.pid)
    assert len(json.loads(cli("list", "--json").stdout)) == 5 + len(_expected_ids(sample))


# ---------------------------------------------------------------------------------------------
# A damaged library: one clear line saying what is wrong and what to run, never a traceback


def _one_line_error(r: subprocess.CompletedProcess, *words: str) -> str:
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def _index_files(lib: Path, pattern: str) -> list[Path]:
    found = sorted(lib.glob(f"whoosh-*/{pattern}"))
    assert found, pattern
    return found


@pytest.mark.parametrize("damage", ["truncate-segment", "delete-segment", "delete-toc",
                                    "delete-index", "garbage-toc"])
def test_damaged_index_says_reindex_and_reindex_repairs(seeded_library: Path, tmp_path: Path,
                                                        damage: str) -> None:
    lib = tmp_path / "lib"
    shutil.copytree(seeded_library, lib)
    if damage == "truncate-segment":
        for f in _index_files(lib, "*.seg"):
            with f.open("r+b") as fh:
                fh.truncate(f.stat().st_size // 3)
    elif damage == "delete-segment":
        for f in _index_files(lib, "*.seg"):
            f.unlink()
    elif damage == "delete-toc":
        for f in _index_files(lib, "*.toc"):
            f.unlink()
    elif damage == "garbage-toc":
        for f in _index_files(lib, "*.toc"):
            f.write_bytes(os.urandom(f.stat().st_size))
    else:
        for d in lib.glob("whoosh-*"):
            shutil.rmtree(d)
    cli = CLI(lib)
    _one_line_error(cli("search", "Daesh"), "search index", "reader reindex")
    new = tmp_path / "new.txt"
    new.write_text("Fresh headline\n\nA fresh article about aardvarks, added to a damaged index.\n")
    r = cli("add", str(new))
    # the store takes the article (it is the truth); the index is reported, never a traceback
    assert "Traceback" not in r.stderr
    if r.returncode != 0:
        _one_line_error(r, "search index", "reader reindex")
    r = cli("stats")  # stats still reports, and names the problem and the fix
    assert r.returncode == 0 and "Traceback" not in r.stderr and "reader reindex" in r.stderr
    r = cli("list", "--json")  # the store is intact: listing works
    assert r.returncode == 0 and len(json.loads(r.stdout)) in (5, 6)
    r = cli("reindex")
    assert r.returncode == 0 and "reindexed" in r.stdout, r.stderr
    r = cli("search", "--json", "Daesh")
    assert r.returncode == 0 and len(json.loads(r.stdout)) == 5
    assert cli("add", str(new)).returncode == 0  # (again, if the damaged index refused it)
    assert len(json.loads(cli("search", "--json", "aardvarks").stdout)) == 1
    assert len(json.loads(cli("add", "--json", str(SEEDS)).stdout)["added"]) == 0


@pytest.mark.parametrize("damage", ["garbage", "truncate-header", "truncate-half", "empty"])
@pytest.mark.parametrize("command", [("list",), ("search", "Daesh"), ("add", str(SEEDS)),
                                     ("reindex",), ("stats",)])
def test_corrupt_store_is_one_clear_line(seeded_library: Path, tmp_path: Path, damage: str,
                                         command: tuple[str, ...]) -> None:
    lib = tmp_path / "lib"
    shutil.copytree(seeded_library, lib)
    db = lib / "library.db"
    size = db.stat().st_size
    if damage == "garbage":
        db.write_bytes(b"this is not a database\n" * (size // 23))
    elif damage == "truncate-header":
        with db.open("r+b") as fh:
            fh.truncate(100)
    elif damage == "truncate-half":
        with db.open("r+b") as fh:
            fh.truncate(size // 2)
    else:
        db.write_bytes(b"")
    line = _one_line_error(CLI(lib)(*command), "library store", str(db))
    assert "backup" in line and "add the articles again" in line
    assert db.stat().st_size <= size  # nothing was written over the damaged store


def test_library_from_a_future_version(seeded_library: Path, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    shutil.copytree(seeded_library, lib)
    c = sqlite3.connect(lib / "library.db")
    with c:
        c.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    c.close()
    before = (lib / "library.db").read_bytes()
    for command in (("list",), ("search", "Daesh"), ("add", str(SEEDS)), ("reindex",)):
        _one_line_error(CLI(lib)(*command), "newer version", "upgrade reader")
    assert (lib / "library.db").read_bytes() == before  # left untouched


async def test_app_keeps_working_during_a_cli_add_and_picks_up_its_articles(tmp_path: Path) -> None:
    """``reader add`` (a real subprocess, a bulk batch) while the app is open: the app keeps
    answering, searching and listing the committed articles, then shows the new ones without a
    restart."""
    from index.library import Library
    from reader.app import ReaderApp
    from reader.panes.article_list import ArticleList

    lib_dir = tmp_path / "lib"
    assert CLI(lib_dir)("add", str(SEEDS)).returncode == 0
    sample = _sample(tmp_path, 300)
    expected = len(_expected_ids(sample))
    library = Library(lib_dir)
    app = ReaderApp(library, [], seed=False, poll_interval=0.2)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            for _ in range(100):
                await pilot.pause(0.05)
                if len(app.main.query_one(ArticleList).rows) == 5:
                    break
            proc = _popen_add(lib_dir, sample, log=tmp_path / "add.log")
            try:
                _wait_for_lock(lib_dir, proc)
                during = 0
                while proc.poll() is None:
                    t0 = time.monotonic()
                    await pilot.press("j")
                    await pilot.pause(0.1)
                    # a freeze would last the add (tens of seconds); 5 s leaves room for a loaded machine
                    assert time.monotonic() - t0 < 5, "the app froze during the add"
                    assert len(library.search("Daesh")) == 5  # reads go on, no waiting
                    during += 1
                assert during >= 3, "the add ended before the app could be used during it"
                assert proc.wait(timeout=120) == 0, (tmp_path / "add.log").read_text()
            finally:
                _killpg(proc.pid)
            for _ in range(200):
                await pilot.pause(0.05)
                if len(app.main.query_one(ArticleList).rows) == 5 + expected:
                    break
            assert len(app.main.query_one(ArticleList).rows) == 5 + expected
            assert library.search("cocoa"), "the app's library does not search the new articles"
    finally:
        library.close()
