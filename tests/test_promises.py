"""The library's promises under contention and faults (issue 11), through the real command.

Readers never wait for a writer and never write; Ctrl-C and SIGTERM end an add within 2 s with
one true line; a full disk is an error, not a hang; a read-only library still reads; bad
arguments, oversized inputs and queries get one line. Writers are stopped at named fault points
(``READER_FAULT_PAUSE`` / ``READER_FAULT_MARK`` / ``READER_FAULT_RAISE``), never by timing.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CLI, REPO, SEEDS
from tests.test_faults import _expected_ids, _group_alive, _killpg, _sample, _store_count

HELD = 60  # seconds a fault point holds the batch open


def _writer(lib: Path, *args: str, log: Path, pause: str | None = None, mark: Path | None = None,
            raise_at: str | None = None, seconds: float = HELD, cmd: str = "add",
            ) -> subprocess.Popen:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("READER_LIBRARY", None)
    if pause:
        env.update(READER_FAULT_PAUSE=pause, READER_FAULT_SECONDS=str(seconds))
    if mark:
        env["READER_FAULT_MARK"] = str(mark)
    if raise_at:
        env["READER_FAULT_RAISE"] = raise_at
    out = open(log, "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "reader", "--library", str(lib), cmd, *args], cwd=REPO, env=env,
        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    out.close()
    return proc


def _wait_mark(mark: Path, proc: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    t0 = time.monotonic()
    while not mark.exists():
        assert proc.poll() is None, f"the writer ended before its fault point: {log.read_text()}"
        assert time.monotonic() - t0 < timeout, "the writer never reached its fault point"
        time.sleep(0.02)


def _lock_free(lib: Path) -> bool:
    fd = os.open(lib / "write.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def _timed(cli: CLI, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.monotonic()
    r = cli(*args, timeout=120)
    return r, time.monotonic() - t0


READS = [
    ("list", "--json"),
    ("search", "--json", "Daesh"),
    ("stats", "--json"),
    ("entities", "--json", "--limit", "5"),
    ("events", "--json"),
]


def _new_article(tmp_path: Path, n: int = 0) -> Path:
    f = tmp_path / f"new-{n}.txt"
    f.write_text(f"Council votes on the harbour plan {n}\n\nThe city council of Portsmouth voted "
                 f"on Tuesday on the harbour plan number {n}, officials said.\n")
    return f


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    lib = tmp_path / "lib"
    assert CLI(lib)("add", str(SEEDS)).returncode == 0
    return lib


# ---------------------------------------------------------------------------------------------
# 1. Readers never wait and never write


def test_readers_answer_at_once_while_a_batch_is_held_open(tmp_path: Path, seeded: Path) -> None:
    cli = CLI(seeded)
    baseline = {}
    for args in READS:
        r, took = _timed(cli, *args)
        assert r.returncode == 0, r.stderr
        baseline[args] = (r.stdout, took)
    db_before = (seeded / "library.db").stat().st_mtime_ns
    sample = _sample(tmp_path, 300)
    mark, log = tmp_path / "held", tmp_path / "add.log"
    proc = _writer(seeded, str(sample), log=log, pause="in-store-batch", mark=mark)
    try:
        _wait_mark(mark, proc, log)
        for args in READS:
            r, took = _timed(cli, *args)
            assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
            assert took < baseline[args][1] + 1.0, f"{args[0]} waited {took:.1f} s for the writer"
            assert r.stdout == baseline[args][0] or args[0] == "stats", \
                f"{args[0]} saw part of the uncommitted batch"
        stats = json.loads(cli("stats", "--json").stdout)
        assert stats["articles"] == 5  # the last committed state, not the open batch
        # a second writer says it waits, and waits
        log2 = tmp_path / "add2.log"
        second = _writer(seeded, str(_new_article(tmp_path)), log=log2, cmd="add")
        t0 = time.monotonic()
        while "waiting" not in log2.read_text() and time.monotonic() - t0 < 60:
            assert second.poll() is None, log2.read_text()
            time.sleep(0.05)
        said = log2.read_text()
        assert "busy" in said and "adding to it" in said and "waiting" in said, said
        assert second.poll() is None  # still waiting
        # the held writer is interrupted: the waiting one then runs and succeeds
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=10) == 130
        assert second.wait(timeout=120) == 0, log2.read_text()
        assert "Traceback" not in log2.read_text() + log.read_text()
    finally:
        _killpg(proc.pid)
    # reading commands wrote nothing to the store on their way
    assert "Traceback" not in log.read_text()
    assert db_before <= (seeded / "library.db").stat().st_mtime_ns


def test_opening_a_library_to_read_writes_nothing(seeded: Path) -> None:
    cli = CLI(seeded)
    assert cli("list").returncode == 0  # any catch-up has happened
    files = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in seeded.rglob("*")
             if p.is_file() and not p.name.startswith(".readers-")}
    for args in READS:
        assert cli(*args).returncode == 0
    after = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in seeded.rglob("*")
             if p.is_file() and not p.name.startswith(".readers-")}
    changed = [str(p.relative_to(seeded)) for p in after if files.get(p) != after[p]]
    # the -shm file is SQLite's shared memory of readers, not data
    assert [c for c in changed if not c.endswith("-shm")] == [], changed


async def test_app_lists_at_once_while_a_batch_is_held_open(tmp_path: Path, seeded: Path) -> None:
    from index.library import Library
    from reader.app import ReaderApp
    from reader.panes.article_list import ArticleList

    sample = _sample(tmp_path, 300)
    mark, log = tmp_path / "held", tmp_path / "add.log"
    proc = _writer(seeded, str(sample), log=log, pause="in-store-batch", mark=mark)
    try:
        _wait_mark(mark, proc, log)
        t0 = time.monotonic()
        library = Library(seeded)
        app = ReaderApp(library, [], seed=False)
        try:
            async with app.run_test(size=(160, 45)) as pilot:
                for _ in range(200):
                    await pilot.pause(0.02)
                    if len(app.main.query_one(ArticleList).rows) == 5:
                        break
                assert len(app.main.query_one(ArticleList).rows) == 5
                assert time.monotonic() - t0 < 10, "the app waited for the writer"
                assert "Traceback" not in app.main.status_text
        finally:
            library.close()
    finally:
        _killpg(proc.pid)


# ---------------------------------------------------------------------------------------------
# 2. Interrupts end cleanly within 2 s


@pytest.mark.parametrize("sig,target,point,kept", [
    (signal.SIGINT, "group", "in-store-batch", "nothing"),
    (signal.SIGINT, "process", "in-store-batch", "nothing"),
    (signal.SIGTERM, "process", "in-store-batch", "nothing"),
    (signal.SIGINT, "group", "after-store-commit", "stored"),
    (signal.SIGTERM, "process", "after-store-commit", "stored"),
])
def test_interrupt_ends_cleanly_and_says_what_was_kept(
    tmp_path: Path, sig: int, target: str, point: str, kept: str
) -> None:
    lib = tmp_path / "lib"
    sample = _sample(tmp_path, 300)
    expected = _expected_ids(sample)
    mark, log = tmp_path / "mark", tmp_path / "add.log"
    proc = _writer(lib, str(sample), log=log, pause=point, mark=mark)
    try:
        _wait_mark(mark, proc, log)
        t0 = time.monotonic()
        if target == "group":
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
        status = proc.wait(timeout=10)
        took = time.monotonic() - t0
        deadline = time.monotonic() + 2
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _group_alive(proc.pid), "worker processes outlived the interrupted add"
    finally:
        _killpg(proc.pid)
    said = log.read_text()
    assert took < 2.0, f"the add took {took:.1f} s to end"
    assert status == (130 if sig == signal.SIGINT else 143), said
    assert "Traceback" not in said
    lines = [ln for ln in said.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("reader: interrupted"), said
    assert _lock_free(lib)
    if kept == "nothing":
        assert "nothing from this batch was kept" in said
        assert _store_count(lib) == 0
    else:
        assert "stored" in said and "nothing" not in said
        assert _store_count(lib) == len(expected)
    # the library is consistent and a re-run completes the batch
    cli = CLI(lib)
    r = cli("add", "--json", str(sample))
    assert r.returncode == 0, r.stderr
    stats = json.loads(cli("stats", "--json").stdout)
    assert stats["articles"] == stats["indexed"] == len(expected)


# ---------------------------------------------------------------------------------------------
# 3. Resource exhaustion is an error, not a hang


def test_full_disk_at_a_fault_point_is_one_line_and_keeps_nothing(tmp_path: Path,
                                                                   seeded: Path) -> None:
    sample = _sample(tmp_path, 300)
    log = tmp_path / "add.log"
    proc = _writer(seeded, str(sample), log=log, raise_at="in-store-batch:ENOSPC")
    status = proc.wait(timeout=240)
    said = log.read_text()
    assert status == 3 and "Traceback" not in said, said
    lines = [ln for ln in said.splitlines() if ln.strip()]
    assert len(lines) == 1, said
    assert "no space left" in said and "nothing from this batch was kept" in said
    assert _lock_free(seeded)
    cli = CLI(seeded)
    stats = json.loads(cli("stats", "--json").stdout)
    assert stats["articles"] == stats["indexed"] == 5


@contextlib.contextmanager
def _tmpfs(where: Path, size: str):  # type: ignore[no-untyped-def]
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here ({r.stderr.strip()})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_a_really_full_disk_ends_in_one_line_and_loses_nothing(tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "small", "6m") as fs:
        lib = fs / "lib"
        cli = CLI(lib)
        assert cli("add", str(SEEDS)).returncode == 0
        sample = _sample(tmp_path, 2000)
        log = tmp_path / "add.log"
        proc = _writer(lib, str(sample), log=log)
        status = proc.wait(timeout=300)
        said = log.read_text()
        assert status == 3 and "Traceback" not in said, said
        assert "no space left" in said and "damaged" not in said, said
        assert len([ln for ln in said.splitlines() if ln.strip()]) == 1, said
        assert _lock_free(lib)
        # with no room at all, the library still reads and is not called damaged
        filler = fs / "filler"
        with contextlib.suppress(OSError), filler.open("wb") as f:
            while True:
                f.write(b"\0" * 2**16)
        for args in READS:
            r = cli(*args)
            assert r.returncode == 0 and "damaged" not in r.stderr, (args, r.stderr)
        assert json.loads(cli("stats", "--json").stdout)["articles"] == 5
        r = cli("add", str(sample))
        assert r.returncode == 3 and "no space left" in r.stderr and "Traceback" not in r.stderr
        # room again: the same add completes
        filler.unlink()
        subprocess.run(["mount", "-o", "remount,size=200m", str(fs)], check=True)
        r = cli("add", "--json", str(sample))
        assert r.returncode == 0, r.stderr
        stats = json.loads(cli("stats", "--json").stdout)
        assert stats["articles"] == stats["indexed"] == 5 + len(_expected_ids(sample))


_MEASURE = """
import json, resource, subprocess, sys
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(json.dumps({"status": r.returncode, "stdout": r.stdout, "stderr": r.stderr,
                  "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def _peak_rss_mb_of(cli: CLI, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run the command under a fresh parent, so the peak is its own (and its workers')."""
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("READER_LIBRARY", None)
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, sys.executable, "-m", "reader", "--library",
         str(cli.library), *args], capture_output=True, text=True, timeout=600, cwd=REPO,
        env=env)
    got = json.loads(out.stdout)
    r = subprocess.CompletedProcess(args, got["status"], got["stdout"], got["stderr"])
    return r, got["peak_kb"] / 1024


def test_memory_stays_bounded_on_small_hostile_inputs(tmp_path: Path) -> None:
    big_line = tmp_path / "one-line.jsonl.gz"
    with gzip.open(big_line, "wb", compresslevel=1) as f:  # one 300 MB record in ~300 KB
        f.write(b'{"title": "Huge", "body": "')
        for _ in range(300):
            f.write(b"a" * 2**20)
        f.write(b'"}\n{"title": "Small one", "body": "Officials met on Tuesday in Baghdad."}\n')
    sparse = tmp_path / "sparse.jsonl"
    with sparse.open("wb") as f:
        f.truncate(2 * 2**30)  # 2 GiB of nothing, one line
    many = tmp_path / "many.jsonl.gz"
    with gzip.open(many, "wb") as f:
        f.write(b"x\n" * 300_000)
    lib = tmp_path / "lib"
    cli = CLI(lib)
    r, peak = _peak_rss_mb_of(cli, "add", str(big_line), str(sparse), str(many))
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    assert r.returncode == 1  # some skipped
    assert "over 64 MiB" in r.stderr and "added 1 article" in r.stdout, r.stderr[-2000:]
    assert "more skipped" in r.stderr  # 300,000 bad lines are counted, not all named
    assert len(r.stderr.splitlines()) < 1100
    assert peak < 600, f"peak memory {peak:.0f} MB"


# ---------------------------------------------------------------------------------------------
# 4. Diagnoses that are true


@contextlib.contextmanager
def _read_only_view(lib: Path, where: Path):  # type: ignore[no-untyped-def]
    where.mkdir()
    r = subprocess.run(["mount", "--bind", str(lib), str(where)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot bind-mount here ({r.stderr.strip()})")
    try:
        r = subprocess.run(["mount", "-o", "remount,bind,ro", str(where)], capture_output=True,
                           text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot remount read-only here ({r.stderr.strip()})")
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_a_read_only_library_reads_and_refuses_writes_truthfully(tmp_path: Path,
                                                                 seeded: Path) -> None:
    with _read_only_view(seeded, tmp_path / "ro") as ro:
        cli = CLI(ro)
        for args in READS:
            r = cli(*args)
            assert r.returncode == 0, (args, r.stderr)
            assert "damaged" not in r.stderr
        assert len(json.loads(cli("search", "--json", "Daesh").stdout)) == 5
        r = cli("add", str(_new_article(tmp_path)))
        assert r.returncode == 3 and "Traceback" not in r.stderr
        assert "read-only" in r.stderr and "damaged" not in r.stderr and "backup" not in r.stderr
        r = cli("reindex")
        assert r.returncode == 3 and "read-only" in r.stderr, r.stderr


def test_search_limit_zero_means_all_not_damage(seeded: Path) -> None:
    r = CLI(seeded)("search", "--json", "--limit", "0", "Daesh")
    assert r.returncode == 0 and "damaged" not in r.stderr, r.stderr
    assert len(json.loads(r.stdout)) == 5


@pytest.mark.parametrize("args,status,words", [
    (("search", "--limit", "-1", "Daesh"), 2, "0 (all) or more"),
    (("list", "--limit", "-5"), 2, "0 (all) or more"),
    (("entities", "--limit", "x"), 2, "whole number"),
    (("show", "ffffffffffff"), 1, "no article"),
    (("search", "Daesh " * 15000), 2, "too long"),
    (("search", "x" * 100_000), 2, "too long"),
    (("search", "a " * 150), 2, "too many words"),
])
def test_mistakes_get_one_true_line(seeded: Path, args: tuple, status: int, words: str) -> None:
    r = CLI(seeded)(*args, timeout=60)
    assert r.returncode == status, r.stderr
    assert "Traceback" not in r.stderr and "damaged" not in r.stderr
    assert words in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_too_broad_query_is_refused_in_one_line(tmp_path: Path) -> None:
    from index import search
    from index.library import Library, QueryError

    lib = Library(tmp_path / "lib")
    lib.add([_sample(tmp_path, 250)])
    limit = search.MAX_EXPANSION
    try:
        search.MAX_EXPANSION = 50
        with pytest.raises(QueryError, match="too broad"):
            lib.search("s* OR a* OR c*")
        search.MAX_EXPANSION = limit
        assert lib.search("oil* AND NOT zzz")
    finally:
        search.MAX_EXPANSION = limit
        lib.close()


@pytest.mark.parametrize("where", ["file", "under-file", "env-file"])
def test_a_library_path_that_cannot_be_a_folder(tmp_path: Path, where: str) -> None:
    f = tmp_path / "plain.txt"
    f.write_text("not a folder")
    path = f if where != "under-file" else f / "lib"
    env = {**os.environ}
    args = [sys.executable, "-m", "reader"]
    if where == "env-file":
        env["READER_LIBRARY"] = str(f)
    else:
        args += ["--library", str(path)]
    r = subprocess.run([*args, "list"], capture_output=True, text=True, env=env, cwd=REPO,
                       timeout=60)
    assert r.returncode == 3 and "Traceback" not in r.stderr, r.stderr
    assert "not a folder" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_an_unexpected_error_is_reported_as_a_bug(seeded: Path) -> None:
    cli = CLI(seeded)
    r = cli("list", env={"READER_FAULT_RAISE": "rows:BUG"})
    assert r.returncode == 70 and "Traceback" not in r.stderr
    assert "bug" in r.stderr and "--debug" in r.stderr and "not found" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = cli("--debug", "list", env={"READER_FAULT_RAISE": "rows:BUG"})
    assert r.returncode == 70 and "Traceback" in r.stderr


# ---------------------------------------------------------------------------------------------
# 5. Reindex waits, never deletes an index a reader has open, and leaves nothing behind


def test_a_second_reindex_waits_and_says_why(tmp_path: Path, seeded: Path) -> None:
    mark, log = tmp_path / "mark", tmp_path / "first.log"
    first = _writer(seeded, log=log, pause="reindex-before-commit", mark=mark, seconds=3,
                    cmd="reindex")
    try:
        _wait_mark(mark, first, log)
        r = CLI(seeded)("reindex", timeout=120)
        assert r.returncode == 0, r.stderr
        assert "busy" in r.stderr and "rebuilding its search index" in r.stderr
        assert first.wait(timeout=60) == 0, log.read_text()
    finally:
        _killpg(first.pid)
    assert len(list(seeded.glob("whoosh-*"))) == 1


def test_a_killed_reindex_leaves_nothing_the_next_writer_does_not_clean(
    tmp_path: Path, seeded: Path
) -> None:
    mark, log = tmp_path / "mark", tmp_path / "r.log"
    proc = _writer(seeded, log=log, pause="reindex-before-commit", mark=mark, cmd="reindex")
    _wait_mark(mark, proc, log)
    _killpg(proc.pid)
    proc.wait(timeout=30)
    assert len(list(seeded.glob("whoosh-*"))) == 2  # the partial one
    cli = CLI(seeded)
    assert len(json.loads(cli("search", "--json", "Daesh").stdout)) == 5
    assert cli("add", str(_new_article(tmp_path))).returncode == 0
    assert [p.name for p in seeded.glob("whoosh-*")] == ["whoosh-1"]


def test_reindex_never_deletes_an_index_a_reader_has_open(tmp_path: Path, seeded: Path) -> None:
    from index.library import Library

    reader = Library(seeded)
    try:
        assert len(reader.search("Daesh")) == 5
        old = reader._index_dir
        with Library(seeded) as writer:
            writer.reindex()
        assert (seeded / old).is_dir(), "the index a reader had open was deleted"
        assert len(reader.search("Daesh")) == 5  # (now through the new index)
        assert reader._index_dir != old
        with Library(seeded) as writer:
            writer.add([_new_article(tmp_path)])  # the next writer cleans up
        assert not (seeded / old).exists()
    finally:
        reader.close()


# ---------------------------------------------------------------------------------------------
# 8. Smaller things


def test_json_lines_with_a_byte_order_mark_and_clear_column_errors(tmp_path: Path) -> None:
    f = tmp_path / "bom.jsonl"
    f.write_bytes(b'\xef\xbb\xbf{"title": "First", "body": "Officials met on Tuesday."}\n'
                  b'{"title": "Second", "body": "unterminated}\n')
    r = CLI(tmp_path / "lib")("add", str(f))
    assert "added 1 article" in r.stdout, r.stderr
    assert "at at" not in r.stderr and "column" in r.stderr, r.stderr


def test_file_names_are_shown_escaped(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    (d / "two\nlines.txt").write_text("")
    (d / "\x1b]0;title\x07.txt").write_text("")
    r = CLI(tmp_path / "lib")("add", str(d))
    assert "two\\nlines.txt" in r.stderr and "\\x1b]0;title\\x07.txt" in r.stderr, r.stderr
    assert "\x1b" not in r.stderr
