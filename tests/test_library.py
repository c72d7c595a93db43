"""The library: store + derived index, ids, duplicates, atomic adds, reindex, damage."""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from index.library import Cancelled, IndexDamaged, Library, LibraryBusy, QueryError, StoreError
from tests.conftest import SEEDS, data_file


def _titles(lib: Library) -> set[str]:
    return {r.title for r in lib.rows()}


def test_seeds_added_with_titles_dates_sources(seeds_dir: Path, tmp_path: Path) -> None:
    with Library(tmp_path / "lib") as lib:
        report = lib.add([seeds_dir])
        assert len(report.added) == 5 and not report.skipped and report.duplicates == 0
        rows = {r.path.rsplit("/", 1)[-1][:3]: r for r in lib.rows()}
        assert rows["000"].published == "2017-10-26"
        assert rows["001"].published == "2017-10-25"
        assert rows["004"].published == "2017-11-25"
        assert rows["000"].title == "Iraq launches offensive on last Daesh-held territory near Syria border"
        assert rows["001"].source == "Milli Gazete"
        assert rows["004"].source == "AFP"
        # the folder's sources.tsv names the outlets the texts do not name
        assert rows["002"].source == "Saudi Gazette"
        assert rows["003"].source == "Daily Sabah"
        # five distinct sources: the seeds are five outlets
        assert len({r.source for r in rows.values()}) == 5


def test_ids_are_content_derived_and_re_adding_changes_nothing(seeds_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(seeds_dir, copy)
    with Library(tmp_path / "lib") as lib:
        first = lib.add([seeds_dir])
        again = lib.add([seeds_dir, copy])
        assert again.added == [] and again.duplicates == 10
        assert lib.count() == 5
        assert lib.index.doc_count() == 5
    with Library(tmp_path / "other") as lib2:
        other = lib2.add([copy])
    assert sorted(first.added) == sorted(other.added)


def test_search_fields_and_date_ranges(seeded_library: Path) -> None:
    with Library(seeded_library) as lib:
        assert len(lib.search("Daesh")) == 5
        assert {r.source for r in lib.search("source:AFP")} == {"AFP"}
        assert [r.source for r in lib.search('title:bastion')] == ["Daily Sabah"]
        assert len(lib.search("published:[2017-11-01 to 2017-11-30]")) == 1
        assert len(lib.search("published:[2017-10-01 to 2017-10-31]")) == 4
        assert len(lib.search('"white flag"')) == 3
        # days, months, years, open and exclusive ranges, comparisons over YYYYMMDD terms
        for query, n in [("published:2017-10-26", 3), ("published:2017-10", 4), ("date:2017", 5),
                         ("published:[2017-10-26 to]", 4), ("published:[to 2017-10-25]", 1),
                         ("published:{2017-10-25 to 2017-10-26]", 3), ("published:>2017-10", 1),
                         ("published:<=2017-10-25", 1), ("published:>=2017-11 Daesh", 1)]:
            assert len(lib.search(query)) == n, query
        with pytest.raises(QueryError, match="expects a date"):
            lib.search("published:yesterday")
        assert lib.search("Raqqa NOT Mosul") == [] or all(
            "Mosul" not in " ".join(lib.article(r.id).paragraphs) for r in lib.search("Raqqa NOT Mosul")
        )


@pytest.mark.parametrize("query", ['"unclosed', "title:(a b", "nosuchfield:x", "published:[2017 to",
                                   "a)"])
def test_malformed_query_raises_query_error(seeded_library: Path, query: str) -> None:
    with Library(seeded_library) as lib, pytest.raises(QueryError):
        lib.search(query)


def test_jsonl_plain_and_gzip_with_bad_lines(tmp_path: Path) -> None:
    good = [{"title": f"Story {i}", "body": f"Body number {i} about cocoa in Bahia.\n\nMore text {i}.",
             "published": "1987-02-26T15:01:01", "source": "Wire", "url": f"http://x/{i}"}
            for i in range(3)]
    lines = [json.dumps(g) for g in good] + ["{not json", json.dumps({"title": "no body"}), ""]
    plain = tmp_path / "a.jsonl"
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    gz = tmp_path / "b.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with Library(tmp_path / "lib") as lib:
        r = lib.add([plain])
        assert len(r.added) == 3 and len(r.skipped) == 2
        assert all(":" in name for name, _ in r.skipped)  # file:line named
        r2 = lib.add([gz])
        assert r2.added == [] and r2.duplicates == 3
        assert lib.rows()[0].published == "1987-02-26"


def test_bad_inputs_skipped_and_named_rest_added(seeds_dir: Path, tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "empty.txt").write_bytes(b"")
    (mixed / "blank.txt").write_text("   \n\n  \n")
    (mixed / "binary.bin").write_bytes(bytes(range(256)) * 64)
    (mixed / "latin1.txt").write_bytes(
        "Café owners protest in Montréal\n\nThe protest began on Monday, organisers said.\n"
        .encode("latin-1"))
    (mixed / "cp1252.txt").write_bytes(
        "Minister\x92s plan criticised\n\nThe minister\x92s plan was \x93unworkable\x94, critics said.\n"
        .encode("latin-1"))
    shutil.copy(seeds_dir / "000_347f4c9c2d9d7093.txt", mixed / "good.txt")
    with Library(tmp_path / "lib") as lib:
        report = lib.add([mixed, tmp_path / "missing.txt"])
        skipped = dict(report.skipped)
        assert set(Path(k).name for k in skipped) == {"empty.txt", "blank.txt", "binary.bin",
                                                      "missing.txt"}
        assert "empty" in skipped[str(mixed / "empty.txt")]
        assert "binary" in skipped[str(mixed / "binary.bin")]
        assert "no such file" in skipped[str(tmp_path / "missing.txt")]
        titles = _titles(lib)
        assert "Café owners protest in Montréal" in titles
        assert "Minister’s plan criticised" in titles
        assert len(report.added) == 3
        assert len(lib.search("Montréal")) == 1


def test_big_file(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    para = ("The committee met again on Tuesday to discuss the budget, officials said. " * 12).strip()
    with big.open("w", encoding="utf-8") as f:
        f.write("A very long report\n\n")
        while f.tell() < 50 * 2**20:
            f.write(para + "\n\n")
    with Library(tmp_path / "lib") as lib:
        report = lib.add([big])
        assert len(report.added) == 1 and not report.skipped
        assert lib.search("committee")[0].title == "A very long report"


def test_cancel_rolls_back_whole_batch(seeds_dir: Path, tmp_path: Path) -> None:
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] >= 4

    with Library(tmp_path / "lib") as lib:
        with pytest.raises(Cancelled):
            lib.add([seeds_dir], cancel=cancel)
        assert lib.count() == 0 and lib.search("Daesh") == []
        assert len(lib.add([seeds_dir]).added) == 5


def test_reindex_rebuilds_from_store(seeded_library: Path, tmp_path: Path) -> None:
    lib_dir = tmp_path / "lib"
    shutil.copytree(seeded_library, lib_dir)
    with Library(lib_dir) as lib:
        before = [r.id for r in lib.search("Mosul")]
        n = lib.reindex()
        assert n == 5
        assert [r.id for r in lib.search("Mosul")] == before
        assert len(list(lib_dir.glob("whoosh-*"))) == 1


def test_deleted_index_is_reported_then_reindex_repairs(seeded_library: Path, tmp_path: Path) -> None:
    lib_dir = tmp_path / "lib"
    shutil.copytree(seeded_library, lib_dir)
    for d in lib_dir.glob("whoosh-*"):
        shutil.rmtree(d)
    with Library(lib_dir) as lib:
        with pytest.raises(IndexDamaged):
            lib.search("Daesh")
        assert any("reindex" in p for p in lib.check())
        lib.reindex()
        assert len(lib.search("Daesh")) == 5


def test_index_catches_up_after_crash_between_store_and_index(seeds_dir: Path, tmp_path: Path) -> None:
    with Library(tmp_path / "lib") as lib:
        lib.add([seeds_dir])
        # simulate a crash after the store committed but before the index did
        with sqlite3.connect(tmp_path / "lib" / "library.db") as c:
            c.execute("UPDATE meta SET value='0' WHERE key='indexed_seq'")
        lib.reindex()  # fresh index...
    with sqlite3.connect(tmp_path / "lib" / "library.db") as c:
        c.execute("UPDATE meta SET value='2' WHERE key='indexed_seq'")
    with Library(tmp_path / "lib") as lib:
        assert lib.ensure_indexed() == 3  # re-indexes only the tail, without duplicates
        assert lib.index.doc_count() == 5
        assert len(lib.search("Daesh")) == 5


def test_future_version_and_corrupt_store(tmp_path: Path, seeded_library: Path) -> None:
    lib_dir = tmp_path / "lib"
    shutil.copytree(seeded_library, lib_dir)
    with sqlite3.connect(lib_dir / "library.db") as c:
        c.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    with pytest.raises(StoreError, match="newer version"):
        Library(lib_dir)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "library.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="damaged"):
        Library(bad)


def test_second_writer_is_told_library_is_busy(seeded_library: Path, tmp_path: Path) -> None:
    lib_dir = tmp_path / "lib"
    shutil.copytree(seeded_library, lib_dir)
    a, b = Library(lib_dir), Library(lib_dir)
    try:
        with a._write_lock():
            with pytest.raises(LibraryBusy), b._write_lock():
                pass
            assert b.ensure_indexed() == 0  # readers never wait for a writer
            assert len(b.search("Daesh")) == 5
    finally:
        a.close()
        b.close()


def test_reuters_sample_ingest(tmp_path: Path) -> None:
    src = data_file("reuters21578.jsonl.gz")
    sample = tmp_path / "sample.jsonl"
    with gzip.open(src, "rt", encoding="utf-8") as f, sample.open("w", encoding="utf-8") as out:
        for i, line in enumerate(f):
            if i >= 300:
                break
            out.write(line)
    with Library(tmp_path / "lib") as lib:
        report = lib.add([sample])
        assert len(report.added) + report.duplicates == 300 and not report.skipped
        assert lib.count() == len(report.added) == lib.index.doc_count()
        hits = lib.search("cocoa")
        assert hits and hits[0].source == "Reuters"
        assert all(r.published and r.published.startswith("1987") for r in lib.rows())


def test_seeds_folder_is_bundled() -> None:
    assert len(list(SEEDS.glob("*.txt"))) == 5


def test_entity_search_merges_spellings_and_surnames(seeded_library: Path) -> None:
    with Library(seeded_library) as lib:
        spelled = [{r.id for r in lib.search(f'entity:"{n}"')}
                   for n in ("Haider al Abadi", "Haider Al-Abadi", "haider al abadi")]
        assert spelled[0] == spelled[1] == spelled[2] and len(spelled[0]) == 4
        assert {r.id for r in lib.search("entity:Abadi")} == spelled[0]
        assert len(lib.search('entity:"Al Qaim"')) == len(lib.search('entity:"al-Qaim"')) == 5
