"""Removing articles (issue 13 item 8): store and index together, atomically; stories stay
consistent; a crash between the two commits is repaired; the ``reader remove`` command."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.library import Library
from tests.conftest import CLI, REPO, SEEDS

TRT = "d899b682e974f0a3"  # the seed that founded the four-outlet story (added first)
AFP = "662c503237eed907"  # the seed standing alone


def _seeds(dest: Path, skip: str | None = None) -> Path:
    """A copy of the seeds, without the file of article ``skip`` if given."""
    shutil.copytree(SEEDS, dest)
    if skip is not None:
        with Library(dest.parent / "probe") as probe:
            probe.add([dest], enrich=False)
            path = probe.article(skip).path
        Path(path).unlink()
        shutil.rmtree(dest.parent / "probe")
    return dest


def _tables(lib: Library) -> dict[str, object]:
    """The passage tables keyed by article id (not the internal aid), to compare libraries."""
    c = lib.conn
    ids = dict(c.execute("SELECT aid, id FROM pi_article"))
    return {
        "tdf": sorted(c.execute("SELECT t, e, n FROM pi_tdf WHERE n > 0")),
        "edf": sorted(c.execute("SELECT key, e, n FROM pi_edf WHERE n > 0")),
        "shingle": sorted((h, ids[a], pos) for h, a, pos in
                          c.execute("SELECT h, aid, pos FROM pi_shingle")),
        "entity": sorted((k, d, ids[a]) for k, d, a in
                         c.execute("SELECT key, day, aid FROM pi_entity")),
        "link": sorted((ids[a], p, ids[o], op, round(s, 6), k) for a, p, o, op, s, k in
                       c.execute("SELECT aid, para, oaid, opara, sim, kind FROM pi_link")),
    }


def _assert_consistent(lib: Library) -> None:
    """Every row of the passage tables points at a present article; stories are well formed."""
    c = lib.conn
    aids = {r[0] for r in c.execute("SELECT aid FROM pi_article")}
    for table, cols in (("pi_shingle", ("aid",)), ("pi_entity", ("aid",)),
                        ("pi_link", ("aid", "oaid")), ("pi_pair", ("aid", "oaid"))):
        for col in cols:
            bad = {r[0] for r in c.execute(f"SELECT {col} FROM {table}")} - aids
            assert not bad, f"{table}.{col} points at removed articles {bad}"
    sizes: dict[int, int] = {}
    for (story,) in c.execute("SELECT story FROM pi_article"):
        assert story in aids, "an article's story is named after a removed article"
        sizes[story] = sizes.get(story, 0) + 1
    rows = dict(c.execute("SELECT story, n FROM pi_story"))
    assert rows == {s: n for s, n in sizes.items() if n > 1}
    for s in sizes:
        first = c.execute("SELECT min(aid) FROM pi_article WHERE story = ?", (s,)).fetchone()[0]
        assert first == s, "a story is named after its oldest member"
    store_ids = {r[0] for r in c.execute("SELECT id FROM articles")}
    assert {r[0] for r in c.execute("SELECT id FROM pi_article")} == store_ids


def test_remove_takes_an_article_out_of_store_index_and_links(tmp_path: Path) -> None:
    with Library(tmp_path / "lib") as lib:
        lib.add([_seeds(tmp_path / "seeds")])
        assert lib.story_of(TRT) == f"story:{TRT}"
        members = [a for a, s in lib.stories().items() if s == f"story:{TRT}"]
        assert len(members) == 4
        assert lib.entities(TRT) and lib.events(TRT)

        assert lib.remove([TRT, "no-such-id"]) == 1
        assert lib.count() == 4
        assert lib.index.doc_count() == 4
        assert TRT not in {r.id for r in lib.search("Daesh", limit=None)}
        with pytest.raises(KeyError):
            lib.article(TRT)
        for table in ("entities", "events"):
            assert not lib.conn.execute(f"SELECT 1 FROM {table} WHERE article=?",
                                        (TRT,)).fetchone()
        assert store_pending(lib) == []
        # the story keeps its three other members, renamed after the oldest of them
        stories = lib.stories()
        left = sorted(m for m in members if m != TRT)
        assert {stories[m] for m in left} == {lib.story_of(left[0])}
        assert len({stories[m] for m in left}) == 1 and lib.story_of(left[0]) != f"story:{TRT}"
        for m in left:
            assert TRT not in {r.id for r in lib.related(m)}
            assert all(p.article != TRT for para in range(len(lib.article(m).paragraphs))
                       for p in lib.same_passage(m, para))
        _assert_consistent(lib)
        after = _tables(lib)
    # the same tables as a library that never had the article (counts, postings, links)
    with Library(tmp_path / "without") as ref:
        ref.add([_seeds(tmp_path / "seeds2", skip=TRT)])
        assert ref.count() == 4
        assert _tables(ref) == after


def store_pending(lib: Library) -> list[str]:
    from index import store

    return store.pending_removals(lib.conn)


def test_remove_a_whole_story_and_add_it_back(tmp_path: Path) -> None:
    seeds = _seeds(tmp_path / "seeds")
    with Library(tmp_path / "lib") as lib:
        lib.add([seeds])
        before = _tables(lib)
        story = lib.story_of(TRT)
        members = [a for a, s in lib.stories().items() if s == story]
        assert lib.remove(members) == 4
        assert [r.id for r in lib.rows()] == [AFP]
        assert lib.conn.execute("SELECT count(*) FROM pi_story").fetchone()[0] == 0
        assert lib.related(AFP) == []
        _assert_consistent(lib)
        assert lib.remove(members) == 0  # already gone: nothing to do
        # added back: each article once in the store and the index, a story again
        report = lib.add([seeds])
        assert sorted(report.added) == sorted(members)
        assert lib.count() == 5 and lib.index.doc_count() == 5
        hits = [r.id for r in lib.search("Daesh", limit=None)]
        assert len(hits) == len(set(hits)) == 5
        assert len({lib.story_of(m) for m in members}) == 1
        _assert_consistent(lib)
        assert _tables(lib)["tdf"] == before["tdf"] and _tables(lib)["edf"] == before["edf"]


def _store_count(lib: Path) -> int:
    with sqlite3.connect(f"file:{lib / 'library.db'}?mode=ro", uri=True, timeout=5) as c:
        return int(c.execute("SELECT COUNT(*) FROM articles").fetchone()[0])


def test_crash_between_store_and_index_commits_is_repaired(tmp_path: Path) -> None:
    """SIGKILL ``reader remove`` after the store committed and before the index did: searches
    never show the removed article, and the next command brings the index in line."""
    cli = CLI(tmp_path / "lib")
    assert cli("add", str(_seeds(tmp_path / "seeds"))).returncode == 0
    env = {**os.environ, "READER_FAULT_PAUSE": "after-remove-commit"}
    env.pop("READER_LIBRARY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reader", "--library", str(cli.library), "remove", "--yes", TRT],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        t0 = time.monotonic()
        while _store_count(cli.library) == 5:
            assert proc.poll() is None and time.monotonic() - t0 < 120
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # the index still holds it (the crash came before its commit); the store notes it
    with Library(cli.library) as lib:
        assert lib.index.doc_count() == 5 and store_pending(lib) == [TRT]
        assert TRT not in {r.id for r in lib.search("Daesh", limit=None)}
    out = cli("search", "--json", "--limit", "100", "Daesh")
    assert out.returncode == 0, out.stderr
    assert TRT not in {h["id"] for h in json.loads(out.stdout)}
    stats = json.loads(cli("stats", "--json").stdout)
    assert stats["articles"] == stats["indexed"] == 4
    with Library(cli.library) as lib:
        assert store_pending(lib) == [] and lib.index.doc_count() == 4
        _assert_consistent(lib)


def test_generation_changes_on_removal_even_of_the_newest(tmp_path: Path) -> None:
    """An open app polls the generation to notice other processes' changes."""
    with Library(tmp_path / "lib") as lib:
        lib.add([_seeds(tmp_path / "seeds")])
        seen = {lib.generation()}
        newest = max(lib.rows(), key=lambda r: r.seq).id
        lib.remove([newest])
        assert lib.generation() not in seen
        seen.add(lib.generation())
        lib.add([tmp_path / "seeds"])  # it comes back with a new number
        assert lib.generation() not in seen
        seen.add(lib.generation())
        lib.remove([AFP])
        assert lib.generation() not in seen


def test_reindex_after_remove_and_read_back(tmp_path: Path) -> None:
    with Library(tmp_path / "lib") as lib:
        lib.add([_seeds(tmp_path / "seeds")])
        lib.remove([AFP])
        assert lib.reindex() == 4
        assert AFP not in {r.id for r in lib.search("Daesh", limit=None)}


# ---------------------------------------------------------------------------------------------
# the command


@pytest.fixture
def seeded(tmp_path: Path) -> CLI:
    cli = CLI(tmp_path / "lib")
    out = cli("add", str(_seeds(tmp_path / "seeds")))
    assert out.returncode == 0, out.stderr
    return cli


def _ids(cli: CLI) -> set[str]:
    return {r["id"] for r in json.loads(cli("list", "--json").stdout)}


def test_cli_remove_ids_prefixes_and_json(seeded: CLI) -> None:
    out = seeded("remove", AFP[:8], "--json")  # not a terminal: no question asked
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"removed": 1, "ids": [AFP]}
    assert AFP not in _ids(seeded) and len(_ids(seeded)) == 4
    out = seeded("remove", TRT)
    assert out.returncode == 0 and out.stdout.strip() == "removed 1 article"


def test_cli_remove_by_search(seeded: CLI) -> None:
    out = seeded("remove", "--search", "source:AFP OR source:Sabah", "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["removed"] == 2 and AFP in got["ids"]
    assert {r["source"] for r in json.loads(seeded("list", "--json").stdout)} == {
        "TRTWorld and agencies", "Milli Gazete", "Saudi Gazette"}
    none = seeded("remove", "--search", "source:AFP")
    assert none.returncode == 1 and "no articles matched" in none.stderr


@pytest.mark.parametrize("args, status, says", [
    ((AFP, "zzzzzzzz"), 1, "no article with id 'zzzzzzzz'"),  # one bad id: nothing removed
    ((), 2, "ID ... or by --search"),
    ((AFP, "--search", "Daesh"), 2, "ID ... or by --search"),
    (("--search", '"unclosed'), 2, "malformed query"),
])
def test_cli_remove_bad_input_removes_nothing(seeded: CLI, args: tuple, status: int,
                                              says: str) -> None:
    out = seeded("remove", *args)
    assert out.returncode == status and says in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert len(_ids(seeded)) == 5


def _on_terminal(cli: CLI, answer: str, *args: str) -> tuple[int, str]:
    """Run ``reader remove`` with a pseudo-terminal for stdin and stderr; answer the question."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("READER_LIBRARY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reader", "--library", str(cli.library), "remove", *args],
        cwd=REPO, env=env, stdin=slave, stderr=slave, stdout=subprocess.PIPE,
    )
    os.close(slave)
    seen = b""
    try:
        while b"[y/N]" not in seen:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, f"no question asked: {seen!r}"
            seen += os.read(master, 4096)
        os.write(master, answer.encode() + b"\n")
        out, _ = proc.communicate(timeout=60)
        try:
            while select.select([master], [], [], 0.2)[0]:
                seen += os.read(master, 4096)
        except OSError:
            pass
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, seen.decode(errors="replace") + out.decode()


def test_cli_remove_asks_on_a_terminal(seeded: CLI) -> None:
    status, text = _on_terminal(seeded, "n", "--search", "source:AFP")
    assert status == 1 and "Remove 1 article?" in text and "Iraqi forces open new front" in text
    assert "nothing removed" in text and len(_ids(seeded)) == 5
    status, text = _on_terminal(seeded, "y", "--search", "source:AFP")
    assert status == 0 and "removed 1 article" in text
    assert AFP not in _ids(seeded)
