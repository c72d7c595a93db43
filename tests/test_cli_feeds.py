"""`reader feed ...`, `reader refresh` and `reader add URL` through the real CLI, against a
loopback server (no internet)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import CLI, DATA
from tests.loopback import Loopback, Resource
from tests.test_subscriptions import full_item, rss

HTML = DATA / "html"


@pytest.fixture
def srv():
    with Loopback() as s:
        yield s


def test_feed_add_list_refresh_remove(cli: CLI, srv) -> None:
    res = Resource(rss([full_item(1), full_item(2)]), "application/rss+xml")
    url = srv.add("/h.xml", res)
    out = cli("feed", "add", url)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"following Harbour News ({url}): 2 articles"
    listed = json.loads(cli("feed", "list", "--json").stdout)
    assert [(f["name"], f["articles"], f["new"], f["last_error"]) for f in listed] == [
        ("Harbour News", 2, 2, None)]
    assert listed[0]["last_success"] and listed[0]["next_due"]
    titles = {a["source"] for a in json.loads(cli("list", "--json").stdout)}
    assert titles == {"Harbour News"}

    res.body = rss([full_item(3), full_item(1), full_item(2)])
    out = cli("refresh")
    assert out.returncode == 0, out.stderr
    assert "1 new  Harbour News" in out.stdout
    assert out.stdout.strip().endswith("refreshed 1 feed, 1 new article")
    again = json.loads(cli("refresh", "--json").stdout)
    assert again["feeds"][0]["status"] == "unchanged" and again["added"] == []

    table = cli("feed", "list")
    assert "Harbour News" in table.stdout and url in table.stdout

    out = cli("feed", "remove", "Harbour News")
    assert out.returncode == 0 and "its 3 articles stay" in out.stdout
    assert json.loads(cli("feed", "list", "--json").stdout) == []
    assert len(json.loads(cli("list", "--json").stdout)) == 3


def test_feed_errors_are_one_line_and_others_go_on(cli: CLI, srv) -> None:
    good = srv.add("/h.xml", Resource(rss([full_item(1)]), "application/rss+xml"))
    srv.add("/b.xml", Resource(rss([full_item(2)], "Broken"), "application/rss+xml"))
    assert cli("feed", "add", srv.url("/b.xml")).returncode == 0
    srv.add("/b.xml", Resource(status=503, headers={"Retry-After": "7200"}))
    assert cli("feed", "add", good, "--name", "Good", "--full-text", "never").returncode == 0
    res = cli("refresh")
    assert res.returncode == 1
    assert res.stderr.strip() == (
        "reader: Broken: unavailable (503); the server asks to wait 2.0 h")
    assert "refreshed 1 feed, 0 new articles, 1 failed" in res.stdout
    held = cli("refresh", "--json")
    feeds = {f["name"]: f for f in json.loads(held.stdout)["feeds"]}
    assert feeds["Broken"]["status"] == "held" and feeds["Good"]["status"] == "unchanged"
    # bad input: one line, the right exit status
    for args, code, words in [
        (("feed", "add", "ftp://example.org/feed"), 1, "only http"),
        (("feed", "add", srv.url("/missing.xml")), 1, "not found"),
        (("feed", "add", good), 1, "already following"),
        (("feed", "remove", "nope"), 1, "no feed named"),
        (("refresh", "nope"), 1, "no feed named"),
        (("feed", "add", good, "--full-text", "sometimes"), 2, "invalid choice"),
    ]:
        got = cli(*args)
        assert got.returncode == code, (args, got.stderr)
        assert words in got.stderr and "Traceback" not in got.stderr
        if code == 1:
            assert got.stderr.count("\n") == 1, got.stderr


def test_opml_import_export_round_trip(cli: CLI, srv, tmp_path) -> None:
    urls = [srv.add(f"/f{n}.xml", Resource(rss([full_item(n)], f"Feed {n}"),
                                           "application/rss+xml")) for n in range(2)]
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="Tech">'
        f'<outline type="rss" text="One" xmlUrl="{urls[0]}"/>'
        f'<outline type="rss" text="Two" xmlUrl="{urls[1]}"/></outline></body></opml>')
    out = cli("feed", "import", str(opml))
    assert out.returncode == 0 and "following 2 new feeds" in out.stdout
    exported = cli("feed", "export").stdout
    second = CLI(tmp_path / "other")
    (tmp_path / "back.opml").write_text(exported)
    assert second("feed", "import", str(tmp_path / "back.opml")).returncode == 0
    assert [(f["name"], f["url"]) for f in json.loads(second("feed", "list", "--json").stdout)] \
        == [("One", urls[0]), ("Two", urls[1])]
    out = second("refresh")
    assert "refreshed 2 feeds, 2 new articles" in out.stdout
    bad = tmp_path / "bad.opml"
    bad.write_text("<html/>")
    got = cli("feed", "import", str(bad))
    assert got.returncode == 1 and got.stderr.startswith("reader: not an OPML file")


def test_add_url_extracts_the_page(cli: CLI, srv) -> None:
    meta = json.loads((HTML / "guardian-1" / "expected-metadata.json").read_text())
    page = srv.add_file("/g.html", HTML / "guardian-1" / "source.html",
                        "text/html; charset=utf-8")
    feed = srv.add("/h.xml", Resource(rss([full_item(1), full_item(2)]), "application/rss+xml"))
    out = cli("add", page, feed, srv.url("/missing.html"), "file:///etc/passwd", "--json")
    report = json.loads(out.stdout)
    assert out.returncode == 1  # two were skipped
    assert len(report["added"]) == 3
    assert {s["path"] for s in report["skipped"]} == {srv.url("/missing.html"),
                                                      "file:///etc/passwd"}
    rows = {a["title"]: a for a in json.loads(cli("list", "--json").stdout)}
    assert meta["title"] in rows
    shown = json.loads(cli("show", rows[meta["title"]]["id"], "--json").stdout)
    assert shown["source"] == "The Guardian" and shown["url"] == page
    assert len(shown["paragraphs"]) > 10
    assert not any("<p" in p or "function(" in p for p in shown["paragraphs"])


def test_a_damaged_feed_keeps_the_items_before_the_damage(cli: CLI, srv) -> None:
    # the server sends a Content-Length for the whole feed, then closes inside the fourth item
    whole = rss([full_item(n) for n in range(1, 6)])
    cut = whole.index(b"Harbour story number 4")
    res = Resource(whole, "application/rss+xml", truncate_to=cut)
    url = srv.add("/cut.xml", res)
    out = cli("feed", "add", url)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"following Harbour News ({url}): 3 articles"
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert out.stderr.startswith(f"reader: Harbour News: the feed was cut short after {cut:,} "
                                 "bytes; kept the 3 items before the cut")
    titles = sorted(a["title"] for a in json.loads(cli("list", "--json").stdout))
    assert titles == [f"Harbour story number {n}" for n in (1, 2, 3)]
    listed = json.loads(cli("feed", "list", "--json").stdout)[0]
    assert "cut short" in listed["last_error"] and listed["last_success"]
    # the whole feed next time: the rest arrives, nothing twice, the damage note goes
    res.truncate_to = None
    out = cli("refresh")
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert "2 new  Harbour News" in out.stdout
    assert len(json.loads(cli("list", "--json").stdout)) == 5
    assert json.loads(cli("feed", "list", "--json").stdout)[0]["last_error"] is None
    # malformed part-way (garbage in the third item): the items are read, the damage is one line
    doc = rss([full_item(n) for n in range(6, 9)], "Quay Post")
    at = doc.index(b"Harbour story number 8")
    url = srv.add("/bad.xml", Resource(doc[:at] + b"<broken & stuff <<" + doc[at:],
                                       "application/rss+xml"))
    out = cli("feed", "add", url, "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    line = got["refresh"]["feeds"][0]["error"]
    assert line.startswith("malformed feed (line ") and line.endswith("; kept the 3 items read")
    assert got["feed"]["articles"] == 3
    titles = {a["title"] for a in json.loads(cli("list", "--json").stdout)}
    assert {"Harbour story number 6", "Harbour story number 7"} <= titles
    # a feed cut before its first item is still refused, in one line
    url = srv.add("/short.xml", Resource(whole, "application/rss+xml", truncate_to=120))
    out = cli("feed", "add", url)
    assert out.returncode == 1 and out.stderr.count("\n") == 1
    assert "cut short" in out.stderr


def test_an_undated_item_is_dated_by_its_fetch_and_says_so(cli: CLI, srv) -> None:
    from datetime import datetime, timezone

    undated = {**full_item(2), "date": None}
    res = Resource(rss([full_item(1), undated]), "application/rss+xml")
    url = srv.add("/h.xml", res)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    assert cli("feed", "add", url).returncode == 0
    rows = {a["title"]: a for a in json.loads(cli("list", "--json").stdout)}
    dated, fetched = rows["Harbour story number 1"], rows["Harbour story number 2"]
    assert dated["published"] == "2024-03-05" and dated["date_is_fetch_time"] is False
    assert fetched["date_is_fetch_time"] is True
    shown = json.loads(cli("show", fetched["id"], "--json").stdout)
    when = datetime.fromisoformat(shown["fetched"])
    assert shown["date_is_fetch_time"] and before <= when <= datetime.now(timezone.utc)
    assert fetched["published"] == shown["published"] == when.date().isoformat()
    assert json.loads(cli("show", dated["id"], "--json").stdout)["fetched"] is None
    # the list and the article say it in words, not as a date of the item's own
    listed = {line.split()[-1]: line for line in cli("list").stdout.splitlines()[1:]
              if "Harbour story" in line}
    assert " fetched " in listed["2"] and "2024-03-05" in listed["1"]
    assert "fetched " in cli("show", fetched["id"]).stdout.splitlines()[1]
    assert "(no date given)" in cli("show", fetched["id"]).stdout
    # refreshed again later: the same item, not a new one, still marked
    res.body = rss([full_item(1), undated, full_item(3)])
    out = cli("refresh")
    assert "1 new  Harbour News" in out.stdout
    rows = {a["title"]: a for a in json.loads(cli("list", "--json").stdout)}
    assert len(rows) == 3 and rows["Harbour story number 2"]["date_is_fetch_time"] is True
    assert rows["Harbour story number 3"]["date_is_fetch_time"] is False
    # removing the feed's articles removes the marks with them
    assert cli("feed", "remove", "Harbour News", "--purge").returncode == 0
    assert json.loads(cli("list", "--json").stdout) == []


def test_an_undated_item_of_a_feed_file_is_marked_too(cli: CLI, tmp_path) -> None:
    feed = tmp_path / "pier.xml"
    feed.write_bytes(rss([{**full_item(9), "date": None}, full_item(8)], "Pier Gazette"))
    assert cli("add", str(feed)).returncode == 0
    rows = {a["title"]: a for a in json.loads(cli("list", "--json").stdout)}
    assert rows["Harbour story number 9"]["date_is_fetch_time"] is True
    assert rows["Harbour story number 8"]["date_is_fetch_time"] is False
    assert rows["Harbour story number 8"]["published"] == "2024-03-05"
