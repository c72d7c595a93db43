"""The command line: the real ``reader`` command on real files, the JSON contract of DESIGN.md."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from reader.cli import COMMANDS, build_parser
from tests.conftest import CLI


@pytest.fixture(scope="module")
def seeded_cli(tmp_path_factory: pytest.TempPathFactory) -> CLI:
    root = tmp_path_factory.mktemp("cli")
    shutil.copytree(Path(__file__).resolve().parents[1] / "seeds", root / "seeds")
    cli = CLI(root / "lib")
    out = cli("add", str(root / "seeds"))
    assert out.returncode == 0, out.stderr
    assert "added 5 articles" in out.stdout
    return cli


def _json(out) -> object:  # type: ignore[no-untyped-def]
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_list_json_shape(seeded_cli: CLI) -> None:
    rows = _json(seeded_cli("list", "--json"))
    assert len(rows) == 5
    for r in rows:
        assert {"id", "title", "source", "published", "path", "story"} <= set(r)
        assert r["published"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["published"])
    dates = [r["published"] for r in rows]
    assert dates == sorted(dates, reverse=True)


def test_show_json_shape_and_prefix_ids(seeded_cli: CLI) -> None:
    rows = _json(seeded_cli("list", "--json"))
    first = next(r for r in rows if r["source"] == "Daily Sabah")
    doc = _json(seeded_cli("show", first["id"][:8], "--json"))
    assert {"id", "title", "source", "published", "byline", "paragraphs", "entities",
            "events"} <= set(doc)
    assert doc["id"] == first["id"] and doc["published"] == "2017-10-26"
    assert all(isinstance(p, str) and p for p in doc["paragraphs"])
    for e in doc["entities"]:
        assert {"name", "type", "mentions"} <= set(e) and e["type"] in ("PER", "LOC", "ORG")
    for ev in doc["events"]:
        assert {"date", "precision", "expression", "text", "paragraph"} <= set(ev)
    assert any("Share on" in p for p in doc["paragraphs"]) is False


def test_show_human_output(seeded_cli: CLI) -> None:
    rows = _json(seeded_cli("list", "--json"))
    out = seeded_cli("show", rows[0]["id"])
    assert out.returncode == 0 and rows[0]["title"].split()[0] in out.stdout


def test_missing_article_is_one_line_exit_1(seeded_cli: CLI) -> None:
    out = seeded_cli("show", "ffffffffffffffff")
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and "no article" in out.stderr


def test_search_json_ranked(seeded_cli: CLI) -> None:
    hits = _json(seeded_cli("search", "white flag", "--json"))
    assert len(hits) == 3
    assert all({"id", "title", "source", "published", "score"} <= set(h) for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    limited = _json(seeded_cli("search", "Daesh", "--limit", "2", "--json"))
    assert len(limited) == 2
    ranged = _json(seeded_cli("search", "published:[2017-11-01 to 2017-11-30]", "--json"))
    assert [h["source"] for h in ranged] == ["AFP"]


@pytest.mark.parametrize("query", ['"white flag', "bogus:field", "(Daesh"])
def test_malformed_query_exit_2_one_line(seeded_cli: CLI, query: str) -> None:
    out = seeded_cli("search", query)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "query" in out.stderr


def test_stats_and_reindex(seeded_cli: CLI) -> None:
    stats = _json(seeded_cli("stats", "--json"))
    assert stats["articles"] == 5 and stats["indexed"] == 5 and stats["sources"] == 5
    out = seeded_cli("reindex")
    assert out.returncode == 0 and "5" in out.stdout
    assert len(_json(seeded_cli("search", "Mosul", "--json"))) == 4


def test_entities_events_related_json(seeded_cli: CLI) -> None:
    ents = _json(seeded_cli("entities", "--json"))
    for e in ents:
        assert {"name", "type", "aliases", "mentions", "articles", "sources"} <= set(e)
    evs = _json(seeded_cli("events", "--json"))
    keys = [e["date"] for e in evs]
    assert keys == sorted(keys)
    for e in evs:
        assert {"date", "precision", "expression", "text", "article", "source", "paragraph"} <= set(e)
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", e["date"])
        assert e["precision"] in ("day", "week", "month", "year")
    rows = _json(seeded_cli("list", "--json"))
    rel = _json(seeded_cli("related", rows[-1]["id"], "--json"))
    for r in rel:
        assert {"id", "source", "title", "score", "passages"} <= set(r)
        for p in r["passages"]:
            assert {"paragraph", "other_paragraph", "similarity"} <= set(p)


def test_add_bad_files_named_exit_1(cli: CLI, tmp_path: Path, seeds_dir: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bin.dat").write_bytes(b"\x00\x01\x02" * 1000)
    out = cli("add", str(tmp_path / "empty.txt"), str(tmp_path / "bin.dat"),
              str(tmp_path / "nope.txt"), str(seeds_dir / "000_347f4c9c2d9d7093.txt"))
    assert out.returncode == 1
    err = out.stderr.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("reader: skipped ") for line in err)
    assert "empty.txt" in out.stderr and "bin.dat" in out.stderr and "nope.txt" in out.stderr
    assert "added 1 article" in out.stdout
    again = cli("add", str(seeds_dir / "000_347f4c9c2d9d7093.txt"))
    assert again.returncode == 0 and "added 0 articles, 1 already in the library" in again.stdout


def test_add_source_option_and_json_report(cli: CLI, tmp_path: Path) -> None:
    f = tmp_path / "inbox" / "note.txt"
    f.parent.mkdir()
    f.write_text("Council approves budget\n\nThe city council approved the budget on Monday.\n")
    report = _json(cli("add", str(f), "--source", "City Wire", "--json"))
    assert len(report["added"]) == 1 and report["skipped"] == []
    rows = _json(cli("list", "--json"))
    assert rows[0]["source"] == "City Wire"


def test_library_from_environment(tmp_path: Path, seeds_dir: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "READER_LIBRARY": str(tmp_path / "envlib")}
    out = subprocess.run([sys.executable, "-m", "reader", "add", str(seeds_dir)], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "envlib" / "library.db").exists()


def test_extract_json_offsets(cli: CLI) -> None:
    text = "Iraqi Prime Minister Haider al Abadi said on Thursday that troops entered Al Qaim."
    out = cli("extract", "--published", "2017-10-26", "--json", input=text)
    doc = _json(out)
    for e in doc["entities"]:
        assert text[e["start"]:e["end"]] == e["text"]
    assert any(e["type"] == "PER" and "Abadi" in e["text"] for e in doc["entities"])
    days = [d for d in doc["dates"] if d["text"] == "Thursday"]
    assert days and days[0]["value"] == "2017-10-26" and days[0]["precision"] == "day"


def test_extract_jsonl(cli: CLI) -> None:
    lines = [json.dumps({"id": "a", "text": "Raqqa fell last week.", "published": "2017-10-26"}),
             "not json",
             json.dumps({"id": "b", "text": "Mosul, in July.", "published": "2017-10-26"})]
    out = cli("extract", "--jsonl", input="\n".join(lines) + "\n")
    assert out.returncode == 1 and "line 2" in out.stderr
    docs = [json.loads(x) for x in out.stdout.splitlines()]
    assert [d["id"] for d in docs] == ["a", "b"]
    assert docs[1]["dates"][0]["value"] == "2017-07"


def test_every_command_has_help() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)
    for name, p in sub.choices.items():
        assert p.description, name
        for action in p._actions:
            if action.dest != "help":
                assert action.help, f"{name} {action.dest}"


def test_help_and_unknown_option(cli: CLI) -> None:
    out = cli("--help")
    assert out.returncode == 0 and "add" in out.stdout and "search" in out.stdout
    bad = cli("list", "--nope")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
