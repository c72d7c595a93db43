"""Coverage of a story and export (issue 13 items 6-7): the library API and the commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.export import export, md_escape
from index.library import Library
from tests.conftest import CLI

WIRE = ("The United Nations Security Council voted on Monday to extend the peacekeeping mission in "
        "Southern Sudan for another twelve months, despite objections from several member states.")
ARTICLES = [
    ("Alpha Times", "UN extends Sudan mission", "2020-03-02",
     [WIRE, "Alpha's own correspondent in Juba said the streets were quiet after the vote and "
            "shops reopened early."]),
    ("Beta Herald", "Security Council renews South Sudan peacekeepers", "2020-03-02",
     ["Diplomats in New York described a tense session before the ballot was called by the "
      "president of the council.", WIRE]),
    ("Gamma Post", "Sudan mission extended for a year", "2020-03-03",
     [WIRE, "Gamma's analysts expect the mission budget to be debated again in the autumn "
            "session of the assembly."]),
    ("Delta News", "Local elections postponed in Portugal", "2020-03-04",
     ["The Portuguese government postponed municipal elections because of flooding in the "
      "northern districts around Braga."]),
    ("Epsilon Daily", "Harvest festival opens", "2020-01-10",  # publishing, but not then
     ["The annual harvest festival opened in the village square with music and dancing."]),
    ("Zeta Wire", "# [Click](http://evil.example) *now* \x1b[31m<b>", "2020-03-02",
     ["- a line that looks like a list item, with `code` and _emphasis_ and \x1b]0;title\x07"
      " an escape sequence."]),
]


def _write(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for source, title, day, paras in ARTICLES:
            f.write(json.dumps({"title": title, "body": "\n\n".join(paras), "published": day,
                                "source": source,
                                "url": f"https://{source.split()[0].lower()}.example/a"}) + "\n")
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("coverage")
    with Library(root / "lib") as lib:
        report = lib.add([_write(root / "a.jsonl")])
        assert len(report.added) == len(ARTICLES), report
        ids = {r.source: r.id for r in lib.rows()}
    return root / "lib", ids


def test_coverage_of_a_story(made: tuple[Path, dict[str, str]]) -> None:
    path, ids = made
    with Library(path) as lib:
        cov = lib.coverage(ids["Alpha Times"])
        assert cov.outlets == ["Alpha Times", "Beta Herald", "Gamma Post"]
        assert [(c.source, c.published) for c in cov.carriers] == [
            ("Alpha Times", "2020-03-02"), ("Beta Herald", "2020-03-02"),
            ("Gamma Post", "2020-03-03")]
        by = {c.source: c for c in cov.carriers}
        assert by["Beta Herald"].shared == 1 and by["Beta Herald"].only == 1
        assert by["Gamma Post"].shared == 1 and by["Alpha Times"].only == 1
        # outlets publishing in the story's days (widened by 3) that have nothing on it
        assert cov.window == ("2020-02-28", "2020-03-06")
        assert dict(cov.missing) == {"Delta News": 1, "Zeta Wire": 1}
        assert cov.only_here == (1,) and cov.everywhere == (0,)
        assert cov.carried == {0: ("Beta Herald", "Gamma Post")}
        # Beta carries the wire copy in its second paragraph
        beta = lib.coverage(ids["Beta Herald"])
        assert beta.only_here == (0,) and beta.everywhere == (1,)
        # a lone article: itself, no marks
        lone = lib.coverage(ids["Delta News"])
        assert [c.source for c in lone.carriers] == ["Delta News"]
        assert lone.only_here == () and lone.everywhere == ()
        assert {s for s, _ in lone.missing} == {"Alpha Times", "Beta Herald", "Gamma Post",
                                                "Zeta Wire"}
        with pytest.raises(KeyError):
            lib.coverage("nope-nope")


def test_coverage_on_the_seeds(seeded_library: Path) -> None:
    with Library(seeded_library) as lib:
        trt = next(r.id for r in lib.rows() if r.source.startswith("TRT"))
        cov = lib.coverage(trt)
        assert set(cov.outlets) == {"TRTWorld and agencies", "Milli Gazete", "Saudi Gazette",
                                    "Daily Sabah"}
        assert cov.missing == ()  # AFP wrote a month later: not a regular outlet then
        carried = lib.paragraph_sources(trt)
        assert set(cov.only_here) == {p for p in range(len(lib.article(trt).paragraphs))
                                      if not carried.get(p)}


def test_cli_coverage(made: tuple[Path, dict[str, str]]) -> None:
    path, ids = made
    cli = CLI(path)
    out = cli("coverage", ids["Alpha Times"][:8], "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert [o["source"] for o in got["outlets"]] == ["Alpha Times", "Beta Herald", "Gamma Post"]
    assert got["only_here"] == [1] and got["everywhere"] == [0]
    assert {m["source"] for m in got["missing"]} == {"Delta News", "Zeta Wire"}
    assert got["carried_by"] == {"0": ["Beta Herald", "Gamma Post"]}
    text = cli("coverage", ids["Alpha Times"])
    assert text.returncode == 0, text.stderr
    assert "3 outlets carry this story" in text.stdout
    assert "Regular outlets with nothing on it (publishing 2020-02-28 to 2020-03-06)" in text.stdout
    assert "Only here: 1 paragraph" in text.stdout and "Everywhere: 1 paragraph" in text.stdout
    assert "\x1b" not in text.stdout
    bad = cli("coverage", "zzzzzzzz")
    assert bad.returncode == 1 and "no article with id" in bad.stderr


def test_export_formats(made: tuple[Path, dict[str, str]]) -> None:
    path, ids = made
    with Library(path) as lib:
        alpha = ids["Alpha Times"]
        md = export(lib, [alpha], "md")
        assert md.startswith("# UN extends Sudan mission\n\n*Alpha Times · 2020-03-02*\n\n"
                             "<https://alpha.example/a>\n\n")
        assert WIRE in md
        data = json.loads(export(lib, [alpha], "json"))
        assert [d["id"] for d in data] == [alpha]
        assert data[0]["url"] == "https://alpha.example/a" and data[0]["paragraphs"][0] == WIRE
        assert {e["name"] for e in data[0]["entities"]} >= {"Juba"}
        assert any(e["expression"] == "Monday" for e in data[0]["events"])
        assert "## Dated events" in md and "Monday" in md.split("## Dated events")[1]
        txt = export(lib, [alpha], "txt")
        assert txt.splitlines()[:3] == ["UN extends Sudan mission", "Alpha Times · 2020-03-02",
                                        "https://alpha.example/a"]
        # untrusted text: no escape sequence, Markdown structure escaped
        zeta = export(lib, [ids["Zeta Wire"]], "md")
        assert "\x1b" not in zeta and "\x07" not in zeta
        assert zeta.startswith(r"# \# \[Click\](http://evil.example) \*now\*")
        assert r"\- a line that looks like a list item, with \`code\` and \_emphasis\_" in zeta
        with pytest.raises(ValueError):
            export(lib, [alpha], "pdf")
    assert md_escape("1. not a list") == r"1\. not a list"


def test_cli_export(made: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, ids = made
    cli = CLI(path)
    out = cli("export", "--story", ids["Gamma Post"], "--format", "json")
    assert out.returncode == 0, out.stderr
    assert [d["source"] for d in json.loads(out.stdout)] == ["Alpha Times", "Beta Herald",
                                                            "Gamma Post"]
    md = cli("export", "--story", ids["Gamma Post"])
    assert md.stdout.startswith("# Story: Sudan mission extended for a year\n\n## UN extends")
    assert md.stdout.count("\n---\n") == 2
    txt = cli("export", "--search", "Sudan", "--format", "txt", "-o", str(tmp_path / "x.txt"))
    assert txt.returncode == 0 and "exported 3 articles to" in txt.stderr
    body = (tmp_path / "x.txt").read_text(encoding="utf-8")
    assert body.startswith("Search: Sudan\n") and body.count("=" * 72) == 2
    one = cli("export", ids["Delta News"][:10], "--format", "txt")
    assert one.stdout.startswith("Local elections postponed in Portugal\n")
    for args, status in [((), 2), ((ids["Delta News"], "--story", ids["Alpha Times"]), 2),
                         (("zzzzzzzz",), 1), (("--search", "nothingmatchesthis"), 1),
                         ((ids["Delta News"], "--format", "pdf"), 2),
                         ((ids["Delta News"], "-o", str(tmp_path / "no" / "such" / "dir")), 1)]:
        bad = cli("export", *args)
        assert bad.returncode == status, (args, bad.stderr)
        assert "Traceback" not in bad.stderr
        if "usage:" not in bad.stderr:  # argparse's own errors come with the usage
            assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def test_export_seed_with_entities_and_events(seeded_library: Path) -> None:
    with Library(seeded_library) as lib:
        sabah = next(r.id for r in lib.rows() if r.source == "Daily Sabah")
        md = export(lib, [sabah], "md")
        assert "## Entities" in md and "Haider Al-Abadi" in md
        assert "## Dated events" in md

