"""The store's running entity counts (store.TALLY_SCHEMA): what ``reader entities`` and the
entity sidebar read instead of a pass over every entity row. They must always equal the counts
taken from the rows, through adds, removals, replaced rows and a library made before them."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from index import store
from index.library import Library
from tests.conftest import CLI, SEEDS


def _tally(lib: Library) -> list[tuple]:
    return sorted(lib.conn.execute(
        "SELECT key, type, mentions, articles, sources FROM entity_totals").fetchall())


def _counted(lib: Library) -> list[tuple]:
    return sorted((e.key, e.type, e.mentions, e.articles, e.sources) for e in lib.entities())


def _drop_tally(db: Path) -> None:
    """Make the library look as one written before the running counts."""
    conn = sqlite3.connect(db)
    for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DROP TABLE entity_sources")
    conn.execute("DROP TABLE entity_totals")
    conn.execute("DELETE FROM meta WHERE key='entity_tally'")
    conn.commit()
    conn.close()


def test_counts_follow_adds_removals_and_replaced_rows(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    with Library(tmp_path / "lib") as lib:
        lib.add([tmp_path / "seeds"])
        assert store.has_tally(lib.conn)
        every = _counted(lib)
        assert len({e[4] for e in every}) > 1  # several sources: the source counts are tested
        assert _tally(lib) == every
        ids = [r.id for r in lib.rows()]
        lib.remove(ids[:2])
        assert _tally(lib) == _counted(lib) != every
        lib.add([tmp_path / "seeds"])  # the removed ones come back
        assert _tally(lib) == every
        # a row replaced in place (INSERT OR REPLACE) and a row edited count once
        with store.transaction(lib.conn):
            row = lib.conn.execute(
                "SELECT article, key, type, name, aliases, mentions FROM entities LIMIT 1"
            ).fetchone()
            lib.conn.execute("INSERT OR REPLACE INTO entities VALUES (?,?,?,?,?,?)",
                             (*row[:5], row[5] + 3))
        assert _tally(lib) == _counted(lib)
        with store.transaction(lib.conn):
            lib.conn.execute("UPDATE entities SET mentions = mentions + 1, key = 'someone else'"
                             " WHERE article = ? AND key = ? AND type = ?", row[:3])
            lib.conn.execute("UPDATE articles SET source = 'Another Outlet' WHERE id = ?",
                             (ids[-1],))
        assert _tally(lib) == _counted(lib)
        top, total = lib.top_entities(3)
        assert top == lib.entities()[:3] and total == len(lib.entities())


def test_a_library_made_before_the_counts_reads_the_same_and_gets_them_once(
        tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    with Library(tmp_path / "lib") as lib:
        lib.add([tmp_path / "seeds"])
        want = lib.entities()
        ids = [r.id for r in lib.rows()]
        reach = {aid: lib.entity_reach(aid) for aid in ids}
    _drop_tally(tmp_path / "lib" / "library.db")
    told: list[tuple[str, int, int]] = []
    with Library(tmp_path / "lib", on_upgrade=lambda *a: told.append(a)) as lib:
        assert not store.has_tally(lib.conn)  # opening to read writes nothing
        assert lib.top_entities(4) == (want[:4], len(want))
        assert {aid: lib.entity_reach(aid) for aid in ids} == reach
        lib.mark(ids[:1], read=True)  # the first write counts them
        assert store.has_tally(lib.conn)
        assert told and told[-1] == ("counting the entities", 1, 1)
        assert _tally(lib) == _counted(lib)
        assert lib.top_entities(4) == (want[:4], len(want))
        assert {aid: lib.entity_reach(aid) for aid in ids} == reach
    # the command line says so on stderr, once
    _drop_tally(tmp_path / "lib" / "library.db")
    r = CLI(tmp_path / "lib")("mark", "unread", ids[0])
    assert r.returncode == 0, r.stderr
    assert "upgrading the library (once): counting the entities" in r.stderr
    r = CLI(tmp_path / "lib")("mark", "unread", ids[0])
    assert "upgrading" not in r.stderr


def test_relinking_an_older_library_says_how_far_it_is(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    with Library(tmp_path / "lib") as lib:
        lib.add([tmp_path / "seeds"])
        stories = lib.stories()
    assert stories  # the seeds make a story: relinking must find it again
    conn = sqlite3.connect(tmp_path / "lib" / "library.db")
    conn.execute("UPDATE pi_meta SET v = 'an older layout' WHERE k = 'schema'")
    conn.commit()
    conn.close()
    told: list[tuple[str, int, int]] = []
    with Library(tmp_path / "lib", on_upgrade=lambda *a: told.append(a)) as lib:
        assert lib.stories() == stories
    steps = [t for t in told if t[0] == "linking the stories again"]
    assert steps[0] == ("linking the stories again", 0, 5)
    assert steps[-1] == ("linking the stories again", 5, 5)
    conn = sqlite3.connect(tmp_path / "lib" / "library.db")
    conn.execute("UPDATE pi_meta SET v = 'an older layout' WHERE k = 'schema'")
    conn.commit()
    conn.close()
    r = CLI(tmp_path / "lib")("list")
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "reader: upgrading the library (once): linking the stories again…"
