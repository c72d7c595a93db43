"""Stories as a reader meets them (issue 14): grouping floors on AllSides and NewsWCL50 through
``reader add``'s own path, undated articles joining their story by content and sorting beside
it, and the list's ``+N`` agreeing with what ``]``/``[`` visit."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from itertools import islice
from pathlib import Path

import pytest

from index.library import Library
from index.pipeline import Unit
from tests.conftest import REPO, data_file

_spec = importlib.util.spec_from_file_location("score_stories", REPO / "scripts" / "score_stories.py")
score = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("score_stories", score)
_spec.loader.exec_module(score)  # type: ignore[union-attr]


def test_allsides_floor_overall_and_held_out_half():
    """B-cubed on AllSides dev (short texts, many same-day political stories). Thresholds were
    chosen on half A; half B is held out. Before issue 14: 0.777 (A 0.753, B 0.798); session
    3: 0.874 (A 0.855, B 0.892); now 0.879 (A 0.860, B 0.897)."""
    res = score.score_prepared(*score.allsides_prepared(data_file("allsides-dev.jsonl.gz")),
                               halves=True)
    assert res["all"][2] >= 0.877, res
    assert res["B"][2] >= 0.895, res
    assert res["A"][2] >= 0.858, res
    assert res["count_jump_disagree"] == 0


@pytest.mark.parametrize("dated", [False, True])
def test_newswcl50_as_text_files_floor(dated):
    """NewsWCL50 as plain text files, and with the URLs' dates (HuffPost's stay undated).
    Before issue 14: 0.927 both ways; session 3: 0.9496 both ways; now 0.967 both ways (the
    goal is 0.95). The same articles arriving in other orders (reversed, story by story
    interleaved, three shuffles) stay apart as they should (precision) and mostly together:
    mean F1 over the six orders 0.952 as text, 0.959 dated (session 3: 0.923, 0.927)."""
    prepared, gold = score.newswcl_prepared(data_file("newswcl50.jsonl.gz"), dated)
    res = score.score_prepared(prepared, gold)
    assert res["all"][2] >= 0.96, res
    assert res["all"][0] >= 0.99, res
    assert res["count_jump_disagree"] == 0
    f1s = [res["all"][2]]
    for name, order in score.arrival_orders(prepared, gold):
        r = score.score_prepared(order, gold)
        assert r["all"][0] >= 0.99, (name, r)
        assert r["all"][2] >= 0.91, (name, r)
        f1s.append(r["all"][2])
    assert sum(f1s) / len(f1s) >= 0.95, f1s


@pytest.mark.parametrize("dated", [False, True])
def test_newswcl50_with_reuters_before_and_after_floor(dated):
    """NewsWCL50 arriving into a library of 3,000 Reuters articles (through the same path,
    titles and dates as given), and the Reuters articles arriving after it: the stories stay
    whole and take in no Reuters article. Now 0.984 / 0.967 as text, 0.967 / 0.967 dated (on
    all 19,043 Reuters articles, as the script prints: 0.984 / 0.967, 0.967 / 0.967; session
    3 was 0.933 / 0.950 and 0.918 / 0.950 on all of them)."""
    prepared, gold = score.newswcl_prepared(data_file("newswcl50.jsonl.gz"), dated)
    rows = list(islice(score.read_jsonl(data_file("reuters21578.jsonl.gz")), 3000))
    reuters = score.pipeline_prepared(
        [Unit(r["id"], None, None, None, True, line=json.dumps(r).encode()) for r in rows])
    for first in (True, False):
        res = score.score_mixed(prepared, gold, reuters, first)
        assert res["all"][2] >= 0.96, (first, res)
        assert res["distractors_in_stories"] == 0, (first, res)


def _wcl_rows(stories: set[str]) -> list[dict]:
    with gzip.open(data_file("newswcl50.jsonl.gz"), "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [r for r in rows if r["story"] in stories]


def _library_of(tmp_path: Path, rows: list[dict]) -> Library:
    path = tmp_path / "in.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            d = score.url_date(r["url"])
            fh.write(json.dumps({"body": r["text"], "source": r["source"],
                                 "published": d.isoformat() if d else None}) + "\n")
    lib = Library(tmp_path / "lib")
    lib.add([path], procs=1)
    return lib


def test_undated_article_joins_its_story_and_sorts_beside_it(tmp_path):
    """Two NewsWCL50 events of the same days (the Comey memos, the DNC lawsuit); HuffPost's URLs carry no date, so its copies
    are undated. Each joins its own event's story by content, and the list shows it right
    after its story's newest dated article, not at the bottom."""
    rows = _wcl_rows({"newswcl50_01", "newswcl50_03"})
    with _library_of(tmp_path, rows) as lib:
        listed = lib.rows()
        stories = lib.stories()
        by_source_story = {}
        for r in listed:
            by_source_story.setdefault(stories[r.id], []).append(r)
        undated = [r for r in listed if r.published is None]
        assert len(undated) == 2  # the two HuffPost copies
        for u in undated:
            members = by_source_story[stories[u.id]]
            assert len({m.source for m in members}) >= 4, [m.source for m in members]
            k = listed.index(u)
            # beside its story: the row above is of the same story
            assert k > 0 and stories[listed[k - 1].id] == stories[u.id]
        assert [r.published for r in listed if r.published is not None] == sorted(
            (r.published for r in listed if r.published is not None), reverse=True)


def test_list_count_and_source_jumps_agree(tmp_path):
    """The list's "+N other sources" and the sources ]/[ cycle through come from one answer:
    the story's members (an article merely sharing a passage is not counted by one and
    visited by the other)."""
    from reader.gate import Gate

    rows = _wcl_rows({"newswcl50_00", "newswcl50_01", "newswcl50_02"})
    with _library_of(tmp_path, rows) as lib:
        gate = Gate(lib)
        for row in gate.list_rows():
            sources = {m[1] for m in gate.story_members(row.id)}
            assert row.others == len(sources) - 1, (row, sources)
