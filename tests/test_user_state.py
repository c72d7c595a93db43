"""Read and starred marks, ``is:`` queries and saved searches (issue 13 items 1-2): kept in the
store, surviving reindex; ``reader mark`` and ``reader searches``."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from index.library import Library, QueryError
from index.user import split_filters
from tests.conftest import CLI, SEEDS

AFP = "662c503237eed907"
SABAH = "62dbbfbc23f5795f"
TRT = "d899b682e974f0a3"


@pytest.mark.parametrize("query, rest, states", [
    ("is:unread", "", {"unread"}),
    ("Daesh is:starred", "Daesh", {"starred"}),
    ("NOT is:read Daesh", "Daesh", {"unread"}),
    ("-is:starred title:(Iraq offensive)", "title:(Iraq offensive)", {"unstarred"}),
    ("Raqqa AND is:read", "Raqqa", {"read"}),
    ("is:read AND Raqqa", "Raqqa", {"read"}),
    ("is:unread is:starred published:[2017-10-01 to 2017-10-31]",
     "published:[2017-10-01 to 2017-10-31]", {"unread", "starred"}),
    ('"is:read is a phrase"', '"is:read is a phrase"', set()),
    ("Daesh", "Daesh", set()),
])
def test_split_filters(query: str, rest: str, states: set[str]) -> None:
    assert split_filters(query) == (rest, frozenset(states))


@pytest.mark.parametrize("query, says", [
    ("(Daesh is:read)", "outside parentheses"),
    ("Daesh OR is:read", "outside parentheses"),
    ("Daesh OR NOT is:read", "outside parentheses"),
    ("is:new", "is: takes read, unread, starred, unstarred"),
    ("is:read is:unread", "exclude each other"),
])
def test_split_filters_errors(query: str, says: str) -> None:
    with pytest.raises(QueryError, match=says):
        split_filters(query)


@pytest.fixture
def lib(tmp_path: Path):  # type: ignore[no-untyped-def]
    shutil.copytree(SEEDS, tmp_path / "seeds")
    with Library(tmp_path / "lib") as lib:
        lib.add([tmp_path / "seeds"])
        yield lib


def _ids(rows) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.id for r in rows}


def test_marks_filter_queries_and_survive_reindex(lib: Library) -> None:
    everything = _ids(lib.rows())
    assert lib.read_ids() == set() and lib.starred_ids() == set()
    assert _ids(lib.search("is:unread", limit=None)) == everything
    assert lib.mark([AFP, SABAH, "not-an-id"], read=True) == 2
    assert lib.mark([AFP], read=True) == 0  # already read: nothing changed
    assert lib.mark([SABAH], starred=True) == 1
    assert lib.read_ids() == {AFP, SABAH} and lib.starred_ids() == {SABAH}
    assert lib.marks([AFP, SABAH, TRT]) == {AFP: (True, False), SABAH: (True, True),
                                            TRT: (False, False)}
    assert _ids(lib.search("is:unread", limit=None)) == everything - {AFP, SABAH}
    assert _ids(lib.search("Daesh is:read", limit=None)) == {AFP, SABAH}
    assert _ids(lib.search("Daesh NOT is:read", limit=None)) == everything - {AFP, SABAH}
    assert _ids(lib.search("is:starred", limit=None)) == {SABAH}
    assert _ids(lib.search("source:AFP is:starred", limit=None)) == set()
    assert _ids(lib.search("-is:starred is:read", limit=None)) == {AFP}
    # limits apply after the filter, ranked or newest first
    assert len(lib.search("is:unread", limit=2)) == 2
    assert len(lib.search("Daesh is:unread", limit=2)) == 2
    assert lib.query_terms("Daesh is:unread") == {"daesh"}
    lib.reindex()
    assert lib.read_ids() == {AFP, SABAH} and lib.starred_ids() == {SABAH}
    assert lib.mark([AFP], read=False, starred=True) == 1
    assert lib.read_ids() == {SABAH} and lib.starred_ids() == {SABAH, AFP}
    # marks go with a removed article and do not come back with it
    lib.remove([SABAH])
    assert lib.read_ids() == set() and lib.starred_ids() == {AFP}


def test_marks_survive_a_new_connection(lib: Library) -> None:
    lib.mark([TRT], starred=True, read=True)
    with Library(lib.path) as again:
        assert again.starred_ids() == {TRT} and again.read_ids() == {TRT}


def test_reading_an_older_library_writes_nothing(tmp_path: Path) -> None:
    """A library made before these tables existed: reading marks and saved searches finds
    none and leaves the file as it was; the first write creates the tables."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    with Library(tmp_path / "lib") as lib:
        lib.add([tmp_path / "seeds"])
        for t in ("article_state", "saved_searches", "removed_pending"):
            lib.conn.execute(f"DROP TABLE {t}")
    db = tmp_path / "lib" / "library.db"
    with Library(tmp_path / "lib") as lib:
        before = sqlite3.connect(db).execute("SELECT count(*) FROM sqlite_master").fetchone()
        assert lib.read_ids() == set() and lib.saved_searches() == []
        assert len(lib.search("is:unread", limit=None)) == 5
        after = sqlite3.connect(db).execute("SELECT count(*) FROM sqlite_master").fetchone()
        assert before == after
        assert lib.mark([TRT], read=True) == 1
        assert lib.read_ids() == {TRT}


def test_saved_searches(lib: Library) -> None:
    assert lib.saved_searches() == []
    lib.save_search("  iraq   news ", "Iraq is:unread")
    lib.save_search("afp", "source:AFP")
    assert lib.saved_searches() == [("afp", "source:AFP"), ("iraq news", "Iraq is:unread")]
    lib.save_search("afp", "source:Sabah")  # replaced
    assert lib.saved_search("afp") == "source:Sabah"
    with pytest.raises(QueryError):
        lib.save_search("bad", '"unclosed')
    with pytest.raises(ValueError):
        lib.save_search("  ", "Iraq")
    lib.delete_search("afp")
    with pytest.raises(KeyError, match="no saved search named 'afp'"):
        lib.delete_search("afp")
    with pytest.raises(KeyError):
        lib.saved_search("afp")
    lib.reindex()
    assert lib.saved_searches() == [("iraq news", "Iraq is:unread")]


# ---------------------------------------------------------------------------------------------
# the commands


@pytest.fixture
def seeded(tmp_path: Path) -> CLI:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    cli = CLI(tmp_path / "lib")
    out = cli("add", str(tmp_path / "seeds"))
    assert out.returncode == 0, out.stderr
    return cli


def _ok(out) -> object:  # type: ignore[no-untyped-def]
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_cli_mark(seeded: CLI) -> None:
    got = _ok(seeded("mark", "read", AFP[:6], SABAH, "--json"))
    assert got == {"action": "read", "ids": [AFP, SABAH], "changed": 2}
    out = seeded("mark", "read", AFP)
    assert out.returncode == 0 and out.stdout.strip() == "1 article marked read (1 already was)"
    got = _ok(seeded("mark", "star", "--search", "source:AFP OR source:TRTWorld", "--json"))
    assert sorted(got["ids"]) == sorted([AFP, TRT]) and got["changed"] == 2
    unread = {r["id"] for r in _ok(seeded("search", "--json", "is:unread"))}
    assert AFP not in unread and SABAH not in unread and len(unread) == 3
    starred = {r["id"] for r in _ok(seeded("search", "--json", "is:starred"))}
    assert starred == {AFP, TRT}
    assert _ok(seeded("mark", "unstar", TRT, "--json"))["changed"] == 1
    assert _ok(seeded("mark", "unread", AFP, "--json"))["changed"] == 1
    assert {r["id"] for r in _ok(seeded("search", "--json", "is:read"))} == {SABAH}
    assert seeded("reindex").returncode == 0
    assert {r["id"] for r in _ok(seeded("search", "--json", "is:read"))} == {SABAH}


@pytest.mark.parametrize("args, status, says", [
    (("read", AFP, "zzzzzz"), 1, "no article with id 'zzzzzz'"),
    (("read",), 2, "ID ... or by --search"),
    (("finish", AFP), 2, "invalid choice"),
    (("read", "--search", "Daesh OR is:read"), 2, "outside parentheses"),
])
def test_cli_mark_bad_input_changes_nothing(seeded: CLI, args: tuple, status: int,
                                            says: str) -> None:
    out = seeded("mark", *args)
    assert out.returncode == status and says in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert len(_ok(seeded("search", "--json", "is:unread"))) == 5


def test_cli_searches(seeded: CLI) -> None:
    assert _ok(seeded("searches", "--json")) == []
    assert "no saved searches" in seeded("searches").stdout
    _ok(seeded("mark", "read", AFP, "--json"))
    got = _ok(seeded("searches", "--save", "daesh", "Daesh", "--json"))
    assert got == [{"name": "daesh", "query": "Daesh", "matches": 5, "unread": 4}]
    _ok(seeded("searches", "--save", "afp", "source:AFP", "--json"))
    out = seeded("searches")
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["name", "unread", "matches", "query"]
    assert lines[1].split() == ["afp", "0", "1", "source:AFP"]
    assert lines[2].split() == ["daesh", "4", "5", "Daesh"]
    bad = seeded("searches", "--save", "x", '"unclosed')
    assert bad.returncode == 2 and "malformed query" in bad.stderr
    gone = seeded("searches", "--delete", "afp", "--json")
    assert [r["name"] for r in _ok(gone)] == ["daesh"]
    missing = seeded("searches", "--delete", "afp")
    assert missing.returncode == 1 and "no saved search named 'afp'" in missing.stderr


def test_cli_list_unread_starred_and_search_saved(seeded: CLI) -> None:
    _ok(seeded("mark", "read", AFP, SABAH, "--json"))
    _ok(seeded("mark", "star", SABAH, TRT, "--json"))
    rows = _ok(seeded("list", "--json"))
    assert {r["id"]: (r["read"], r["starred"]) for r in rows}[SABAH] == (True, True)
    unread = _ok(seeded("list", "--unread", "--json"))
    assert {r["id"] for r in unread} == {r["id"] for r in rows} - {AFP, SABAH}
    assert {r["id"] for r in _ok(seeded("list", "--starred", "--json"))} == {SABAH, TRT}
    assert [r["id"] for r in _ok(seeded("list", "--unread", "--starred", "--json"))] == [TRT]
    table = seeded("list", "--unread", "--limit", "1")
    assert table.returncode == 0 and table.stdout.splitlines()[1].startswith("•")
    assert "2 more articles" in table.stdout  # the total is of the unread ones
    # search --saved, alone or narrowed by more words (its is: kept at the top level)
    _ok(seeded("searches", "--save", "fresh", "Daesh is:unread", "--json"))
    got = _ok(seeded("search", "--saved", "fresh", "--json"))
    assert {r["id"] for r in got} == {r["id"] for r in rows} - {AFP, SABAH}
    assert all(not r["read"] for r in got)
    narrowed = _ok(seeded("search", "--saved", "fresh", "source:TRTWorld", "--json"))
    assert [r["id"] for r in narrowed] == [TRT] and narrowed[0]["starred"] is True
    missing = seeded("search", "--saved", "nope")
    assert missing.returncode == 1 and "no saved search named 'nope'" in missing.stderr
    empty = seeded("search")
    assert empty.returncode == 2 and "search needs a QUERY" in empty.stderr


def test_cli_show_prints_the_url(tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text(json.dumps({"title": "Linked", "body": "Officials met in Baghdad on Monday.",
                               "source": "Wire", "url": "https://example.org/linked"}) + "\n")
    cli = CLI(tmp_path / "lib")
    _ok(cli("add", str(src), "--json"))
    aid = _ok(cli("list", "--json"))[0]["id"]
    out = cli("show", aid)
    assert out.returncode == 0 and "https://example.org/linked" in out.stdout.splitlines()[2]
    assert _ok(cli("show", aid, "--json"))["url"] == "https://example.org/linked"
