"""Stories as a reader meets them (issue 14): grouping floors on AllSides and NewsWCL50 through
``reader add``'s own path, undated articles joining their story by content and sorting beside
it, and the list's ``+N`` agreeing with what ``]``/``[`` visit."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from index.library import Library
from tests.conftest import REPO, data_file

_spec = importlib.util.spec_from_file_location("score_stories", REPO / "scripts" / "score_stories.py")
score = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("score_stories", score)
_spec.loader.exec_module(score)  # type: ignore[union-attr]


def test_allsides_floor_overall_and_held_out_half():
    """B-cubed on AllSides dev (short texts, many same-day political stories). Thresholds were
    chosen on half A; half B is held out. Before issue 14: 0.777 (A 0.753, B 0.798)."""
    res = score.score_prepared(*score.allsides_prepared(data_file("allsides-dev.jsonl.gz")),
                               halves=True)
    assert res["all"][2] >= 0.87, res
    assert res["B"][2] >= 0.89, res
    assert res["A"][2] >= 0.85, res
    assert res["count_jump_disagree"] == 0


@pytest.mark.parametrize("dated", [False, True])
def test_newswcl50_as_text_files_floor(dated):
    """NewsWCL50 as plain text files, and with the URLs' dates (HuffPost's stay undated).
    Before issue 14: 0.927 both ways; now 0.9496 both ways (the goal is 0.95)."""
    res = score.score_prepared(*score.newswcl_prepared(data_file("newswcl50.jsonl.gz"), dated))
    assert res["all"][2] >= 0.949, res
    assert res["all"][0] >= 0.99, res
    assert res["count_jump_disagree"] == 0


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
