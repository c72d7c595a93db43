"""Following feeds: index.subscriptions over a loopback server (no internet), real libraries."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from index.fetch import FetchConfig
from index.library import Library
from index.opml import OpmlError, Outline, read_opml, write_opml
from index.subscriptions import FeedError, Subscriptions, discover_feed
from tests.conftest import DATA
from tests.loopback import Loopback, Resource

FAST = FetchConfig(connect_timeout=2, read_timeout=1, deadline=4, max_wait=2, backoff=0.05)
FEEDS = DATA / "feeds"
HTML = DATA / "html"

BODY = ("The council voted on Tuesday to rebuild the harbour wall in Portsmouth after the storm, "
        "the mayor, Jane Fielding, told reporters. Work starts in March and costs 4 million "
        "pounds. ")


def rss(items: list[dict], title: str = "Harbour News") -> bytes:
    """An RSS 2.0 feed of ``items`` (guid, title, link, content or summary, date)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
           f"<channel><title>{escape(title)}</title><link>http://example.org/</link>"]
    for it in items:
        out.append("<item>")
        out.append(f"<title>{escape(it['title'])}</title>")
        if it.get("guid"):
            out.append(f'<guid isPermaLink="false">{escape(it["guid"])}</guid>')
        if it.get("link"):
            out.append(f"<link>{escape(it['link'])}</link>")
        when = it.get("date", datetime(2024, 3, 5, 10, 0, tzinfo=timezone.utc))
        if when is not None:  # "date": None, an item without any date
            out.append(f"<pubDate>{format_datetime(when)}</pubDate>")
        if it.get("summary"):
            out.append(f"<description>{escape(it['summary'])}</description>")
        if it.get("content"):
            out.append(f"<content:encoded><![CDATA[{it['content']}]]></content:encoded>")
        out.append("</item>")
    out.append("</channel></rss>")
    return "\n".join(out).encode()


def full_item(n: int, extra: str = "") -> dict:
    paras = "".join(f"<p>{BODY}Paragraph {k} of story {n}. {extra}</p>" for k in range(4))
    return {"guid": f"story-{n}", "title": f"Harbour story number {n}", "content": paras}


@pytest.fixture
def srv():
    with Loopback() as s:
        yield s


@pytest.fixture
def lib(tmp_path: Path):
    with Library(tmp_path / "lib") as library:
        yield library


@pytest.fixture
def subs(lib: Library) -> Subscriptions:
    return Subscriptions(lib, FAST)


def feed_row(subs: Subscriptions, name: str):
    return subs.get(name)


# --- following and refreshing ------------------------------------------------------------------


def test_add_fetches_at_once_and_unchanged_feed_costs_one_304(srv, lib, subs):
    url = srv.add("/h.xml", Resource(rss([full_item(1), full_item(2), full_item(3)]),
                                     "application/rss+xml"))
    row, report = subs.add(url)
    assert row.name == "Harbour News" and row.articles == 3 and row.last_error is None
    assert report is not None and report.new == 3 and len(report.added) == 3
    rows = lib.rows()
    assert {r.source for r in rows} == {"Harbour News"}
    assert {r.title for r in rows} == {f"Harbour story number {n}" for n in (1, 2, 3)}
    assert len(srv.requests_to("/h.xml")) == 1  # the check and the first fetch are one request
    again = subs.refresh()
    assert [f.status for f in again.feeds] == ["unchanged"] and again.added == []
    assert [s.status for s in srv.requests_to("/h.xml")] == [200, 304]
    assert lib.count() == 3
    ua = srv.requests_to("/h.xml")[0].headers["user-agent"]
    assert ua.startswith("reader/")


def test_new_items_are_added_seen_ones_are_not(srv, lib, subs):
    res = Resource(rss([full_item(1)]), "application/rss+xml", conditional=False)
    url = srv.add("/h.xml", res)
    subs.add(url, name="Harbour")
    res.body = rss([full_item(2), full_item(1)])
    report = subs.refresh(["Harbour"])
    assert report.new == 1 and len(report.added) == 1
    assert lib.count() == 2
    row = subs.get("Harbour")
    assert row.articles == 2 and row.last_new == 1
    assert subs.refresh().added == []  # the same body again: nothing parsed into a new article


def test_edited_item_is_one_article_with_the_latest_text(srv, lib, subs):
    res = Resource(rss([full_item(1), full_item(2)]), "application/rss+xml")
    url = srv.add("/h.xml", res)
    subs.add(url)
    before = {r.title: r.id for r in lib.rows()}
    res.body = rss([full_item(1), full_item(2, extra="Correction: the wall costs 5 million.")])
    report = subs.refresh()
    assert report.feeds[0].updated == 1 and report.removed == 1 and report.added
    rows = lib.rows()
    assert len(rows) == 2
    edited = next(r for r in rows if r.title == "Harbour story number 2")
    assert edited.id != before["Harbour story number 2"]
    assert "Correction" in " ".join(lib.article(edited.id).paragraphs)
    with pytest.raises(KeyError):
        lib.article(before["Harbour story number 2"])
    assert lib.search("Correction")[0].id == edited.id
    assert subs.get(url).articles == 2
    assert sorted(subs.article_ids(url)) == sorted(r.id for r in rows)


def test_summary_items_get_their_page(srv, lib, subs):
    page = srv.add_file("/bbc.html", HTML / "bbc-1" / "source.html", "text/html; charset=utf-8")
    meta = json.loads((HTML / "bbc-1" / "expected-metadata.json").read_text())
    item = {"guid": "g1", "title": "Obama and guns", "link": page,
            "summary": "The US president says gun laws are his biggest frustration… Read more"}
    url = srv.add("/s.xml", Resource(rss([item], "Summaries"), "application/rss+xml"))
    row, report = subs.add(url)
    assert report.feeds[0].pages == 1
    (art,) = [lib.article(r.id) for r in lib.rows()]
    assert art.title == "Obama and guns" or art.title == meta["title"]
    assert len(art.paragraphs) > 10  # the page's text, not the one-line summary
    assert art.source == "Summaries"
    assert not any("<" in p and ">" in p for p in art.paragraphs)


def test_full_text_never_keeps_the_summary_and_fetches_no_page(srv, lib, subs):
    item = {"guid": "g1", "title": "Obama and guns", "link": srv.url("/bbc.html"),
            "summary": "The US president says gun laws are his biggest frustration… Read more"}
    srv.add_file("/bbc.html", HTML / "bbc-1" / "source.html", "text/html")
    url = srv.add("/s.xml", Resource(rss([item]), "application/rss+xml"))
    subs.add(url, full_text="never")
    assert srv.requests_to("/bbc.html") == []
    (row,) = lib.rows()
    assert len(lib.article(row.id).paragraphs) == 1


def test_a_failing_page_leaves_the_feed_text(srv, lib, subs):
    item = {"guid": "g1", "title": "Harbour summary", "link": srv.url("/missing.html"),
            "summary": BODY + "Continue reading"}
    url = srv.add("/s.xml", Resource(rss([item]), "application/rss+xml"))
    _row, report = subs.add(url)
    assert report.feeds[0].pages == 0 and len(report.added) == 1
    assert srv.requests_to("/missing.html")[0].status == 404


def test_one_failure_never_stops_the_others(srv, lib, subs):
    good = srv.add("/good.xml", Resource(rss([full_item(1)]), "application/rss+xml"))
    bad = {
        "/missing.xml": Resource(status=404),
        "/broken.xml": Resource(status=500),
        "/slow.xml": Resource(rss([full_item(2)]), delay=3),
        "/cut.xml": Resource(rss([full_item(3)] * 3), truncate_to=200),
        "/html.xml": Resource(b"<html><body>no feed</body></html>", "text/html"),
        "/invalid.xml": Resource((FEEDS / "rss_2.0_invalid_1.xml").read_bytes()),
    }
    for path, res in bad.items():
        srv.add(path, Resource(rss([full_item(9)], f"feed {path}")))
        subs.add(srv.url(path), name=path.strip("/").split(".")[0], fetch=False)
        srv.add(path, res)
    subs.add(good, fetch=False)
    t = time.monotonic()
    report = subs.refresh()
    assert time.monotonic() - t < 20
    by = {f.name: f for f in report.feeds}
    assert by["Harbour News"].status == "new" if "Harbour News" in by else by["127.0.0.1"]
    assert len(report.added) == 1
    errors = {f.name: f.error for f in report.feeds if f.error}
    assert set(errors) == {"missing", "broken", "slow", "cut", "html", "invalid"}
    assert "not found" in errors["missing"] and "500" in errors["broken"]
    assert "stopped answering" in errors["slow"] or "longer" in errors["slow"]
    assert "cut short" in errors["cut"]
    for e in errors.values():
        assert "\n" not in e
    rows = {r.name: r for r in subs.feeds()}
    now = datetime.now(timezone.utc)
    for name in errors:
        assert rows[name].failures == 1 and rows[name].last_error == errors[name]
        assert datetime.fromisoformat(rows[name].next_due) > now + timedelta(minutes=10)
    # a second failure in a row doubles the wait
    subs.refresh(["missing"])
    row = subs.get("missing")
    assert row.failures == 2
    assert datetime.fromisoformat(row.next_due) > now + timedelta(minutes=25)
    # --due skips what is not due
    due = subs.refresh(due_only=True)
    assert {f.status for f in due.feeds} == {"not due"}


def test_permanent_redirect_updates_the_stored_address(srv, lib, subs):
    new = srv.add("/new.xml", Resource(rss([full_item(1)]), "application/rss+xml"))
    old = srv.add("/old.xml", Resource(rss([full_item(1)]), "application/rss+xml"))
    subs.add(old, name="Harbour")
    srv.add("/old.xml", Resource(status=301, headers={"Location": "/new.xml"}))
    report = subs.refresh()
    assert report.feeds[0].moved_to == new
    assert subs.get("Harbour").url == new
    subs.refresh()
    assert len(srv.requests_to("/old.xml")) == 2  # the add, the 301; never again


def test_temporary_redirect_keeps_the_address(srv, lib, subs):
    srv.add("/new.xml", Resource(rss([full_item(1)]), "application/rss+xml"))
    old = srv.add("/old.xml", Resource(status=302, headers={"Location": "/new.xml"}))
    row, _ = subs.add(old)
    assert row.url == old and row.articles == 1


def test_410_marks_the_feed_gone(srv, lib, subs):
    url = srv.add("/h.xml", Resource(rss([full_item(1)]), "application/rss+xml"))
    subs.add(url, name="Harbour")
    srv.add("/h.xml", Resource(status=410))
    report = subs.refresh()
    assert report.feeds[0].status == "gone"
    assert subs.get("Harbour").gone
    n = len(srv.requests_to("/h.xml"))
    again = subs.refresh()  # not fetched again...
    assert again.feeds[0].status == "gone" and len(srv.requests_to("/h.xml")) == n
    subs.refresh(["Harbour"])  # ...unless named
    assert len(srv.requests_to("/h.xml")) == n + 1
    assert lib.count() == 1  # its articles stay


def test_429_with_a_long_retry_after_holds_the_feed(srv, lib, subs):
    url = srv.add("/h.xml", Resource(rss([full_item(1)]), "application/rss+xml"))
    subs.add(url, name="Harbour")
    srv.add("/h.xml", Resource(rss([full_item(1)]), then=[(429, {"Retry-After": "600"})]))
    report = subs.refresh()
    assert report.feeds[0].status == "error" and "429" in report.feeds[0].error
    row = subs.get("Harbour")
    hold = datetime.fromisoformat(row.hold_until)
    assert timedelta(minutes=9) < hold - datetime.now(timezone.utc) < timedelta(minutes=11)
    n = len(srv.requests_to("/h.xml"))
    held = subs.refresh()
    assert held.feeds[0].status == "held" and len(srv.requests_to("/h.xml")) == n


def test_429_with_a_short_retry_after_is_waited_out(srv, lib, subs):
    url = srv.add("/h.xml", Resource(rss([full_item(1)]), "application/rss+xml",
                                     then=[(429, {"Retry-After": "1"})]))
    row, report = subs.add(url)
    assert row.articles == 1 and row.last_error is None


def test_gzip_and_wrong_charset(srv, lib, subs):
    srv.add("/z.xml", Resource(rss([full_item(1)]), "application/rss+xml", gzip=True))
    latin = (FEEDS / "rss_1.0_iso8859.xml").read_bytes()
    # the header says UTF-8, the bytes (and the XML declaration) are ISO-8859-1
    srv.add("/l.xml", Resource(latin, "application/rss+xml; charset=utf-8"))
    subs.add(srv.url("/z.xml"))
    subs.add(srv.url("/l.xml"), full_text="never")
    titles = {r.title for r in lib.rows()}
    assert "Harbour story number 1" in titles
    assert any("Glasfaserförderung" in t for t in titles), titles


def test_oversized_feed_is_cut_at_the_cap(srv, lib, tmp_path):
    subs = Subscriptions(lib, FetchConfig(max_bytes=16 * 1024, read_timeout=5))
    big = rss([full_item(n) for n in range(200)])
    assert len(big) > 10 * 16 * 1024
    srv.add("/big.xml", Resource(big, "application/rss+xml"))
    srv.add("/endless.xml", Resource(endless=True))
    subs.add(srv.url("/big.xml"), name="Big")
    with pytest.raises(FeedError):
        subs.add(srv.url("/endless.xml"), name="Endless")
    row = subs.get("Big")
    assert 0 < row.articles < 200  # what arrived before the cap


def test_hostile_feeds_do_not_expand_or_read_files(srv, lib, subs, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRETVALUE")
    laughs = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;'
              '&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;'
              '&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>'
              '<rss version="2.0"><channel><title>Laughs</title><item><guid>1</guid>'
              f'<title>Laugh &e;</title><description>{escape(BODY)} &e;</description>'
              '</item></channel></rss>').encode()
    xxe = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://'
           f'{secret}">]><rss version="2.0"><channel><title>XXE</title><item><guid>1</guid>'
           f'<title>Leak &x;</title><description>{escape(BODY)} &x;</description></item>'
           '</channel></rss>').encode()
    script = rss([{"guid": "s", "title": "Scripted <b>title</b>",
                   "content": f"<script>alert('PWNED')</script><style>body{{color:red}}</style>"
                              f"<p>{BODY}</p><p>\x1b[31mred\x1b[0m [bold]markup[/bold]</p>"}],
                 "Scripts")
    for path, body in (("/laughs.xml", laughs), ("/xxe.xml", xxe), ("/script.xml", script)):
        srv.add(path, Resource(body, "application/rss+xml"))
        with contextlib.suppress(FeedError):  # refusing is fine; expanding or reading is not
            subs.add(srv.url(path), full_text="never")
    for r in lib.rows():
        a = lib.article(r.id)
        text = " ".join((a.title, *a.paragraphs))
        assert "TOPSECRETVALUE" not in text
        assert "lollollol" not in text
        assert "PWNED" not in text and "color:red" not in text
        assert "\x1b" not in text
    assert lib.count() >= 1


def test_local_feed_file(lib, subs, tmp_path):
    f = tmp_path / "local.xml"
    f.write_bytes(rss([full_item(1)], "Local"))
    row, _ = subs.add(str(f))
    assert row.name == "Local" and row.articles == 1 and row.is_file
    assert subs.refresh().feeds[0].status == "unchanged"
    f.write_bytes(rss([full_item(1), full_item(2)], "Local"))
    assert subs.refresh().new == 1


def test_add_refuses_what_is_not_a_feed(srv, lib, subs):
    with pytest.raises(FeedError, match="only http"):
        subs.add("file:///etc/passwd")
    with pytest.raises(FeedError, match="not found"):
        subs.add(srv.url("/nothing.xml"))
    srv.add("/page.html", Resource(b"<html><head><title>x</title></head><body><p>hi</p></body>"
                                   b"</html>", "text/html"))
    with pytest.raises(FeedError, match="links to no feed"):
        subs.add(srv.url("/page.html"))
    assert subs.feeds() == []


def test_add_follows_a_page_to_its_feed(srv, lib, subs):
    srv.add("/feed.xml", Resource(rss([full_item(1)]), "application/rss+xml"))
    srv.add("/", Resource(b'<html><head><link rel="alternate" type="application/rss+xml" '
                          b'href="/feed.xml"></head><body>home</body></html>', "text/html"))
    row, _ = subs.add(srv.url("/"))
    assert row.url == srv.url("/feed.xml") and row.articles == 1
    assert discover_feed(b"<link rel=stylesheet href=x.css>", "http://a/") is None


def test_duplicate_subscriptions_and_names(srv, lib, subs):
    url = srv.add("/h.xml", Resource(rss([full_item(1)]), "application/rss+xml"))
    other = srv.add("/o.xml", Resource(rss([full_item(2)]), "application/rss+xml"))
    subs.add(url, name="Harbour")
    with pytest.raises(FeedError, match="already following"):
        subs.add(url)
    with pytest.raises(FeedError, match="already named"):
        subs.add(other, name="harbour")
    with pytest.raises(KeyError):
        subs.get("nope")


def test_remove_keeps_articles_unless_purged(srv, lib, subs):
    a = srv.add("/a.xml", Resource(rss([full_item(1), full_item(2)], "A"), "application/rss+xml"))
    b = srv.add("/b.xml", Resource(rss([full_item(2), full_item(3)], "B"), "application/rss+xml"))
    subs.add(a)
    subs.add(b)
    assert lib.count() == 3
    _row, removed = subs.remove("A")
    assert removed == 0 and lib.count() == 3
    subs.add(a, name="A again")
    _row, removed = subs.remove("A again", purge=True)
    # story 2 is also B's: it stays
    assert removed == 1 and lib.count() == 2
    assert [f.name for f in subs.feeds()] == ["B"]


def test_feed_tables_survive_reindex(srv, lib, subs):
    url = srv.add("/h.xml", Resource(rss([full_item(1)]), "application/rss+xml"))
    subs.add(url, name="Harbour")
    lib.reindex()
    assert subs.get("Harbour").articles == 1
    assert subs.refresh().feeds[0].status == "unchanged"


def test_reading_a_library_writes_no_feed_tables(tmp_path):
    with Library(tmp_path / "lib") as lib:
        lib.conn.execute("DROP TABLE feed_items")
        lib.conn.execute("DROP TABLE feeds")
        subs = Subscriptions(lib, FAST)
        assert subs.feeds() == [] and subs.article_ids(1) == []
        with pytest.raises(KeyError):
            subs.get("x")
        assert lib.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name='feeds'"
                                ).fetchone()[0] == 0


# --- OPML -----------------------------------------------------------------------------------------


def test_opml_round_trip(srv, lib, subs, tmp_path):
    urls = [srv.add(f"/f{n}.xml", Resource(rss([full_item(n)], f"Feed {n}"),
                                           "application/rss+xml")) for n in range(3)]
    doc = f"""<?xml version="1.0"?>
<opml version="1.0"><head><title>newsboat</title></head><body>
  <outline text="News">
    <outline type="rss" text="First &amp; best" xmlUrl="{urls[0]}"/>
    <outline type="rss" title="Second" xmlUrl="{urls[1]}"/>
  </outline>
  <outline type="rss" xmlUrl="{urls[2]}" readerFullText="never"/>
  <outline type="rss" text="dup" xmlUrl="{urls[0]}"/>
  <outline type="rss" text="local" xmlUrl="file:///etc/passwd"/>
</body></opml>""".encode()
    added, skipped = subs.import_opml(doc)
    assert [r.name for r in added] == ["First & best", "Second", "127.0.0.1"]
    assert skipped == [("file:///etc/passwd", "only http:// and https:// addresses are followed")]
    again, skipped2 = subs.import_opml(doc)
    assert again == [] and len(skipped2) == 4
    assert lib.count() == 0  # imported, not fetched
    out = subs.export_opml()
    back = read_opml(out.encode())
    assert sorted((o.url, o.name, o.full_text) for o in back) == sorted([
        (urls[0], "First & best", None), (urls[1], "Second", None),
        (urls[2], "127.0.0.1", "never")])
    report = subs.refresh()
    assert report.new == 3


def test_opml_refuses_entities_and_non_opml():
    with pytest.raises(OpmlError, match="entities"):
        read_opml(b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "b">]><opml/>')
    with pytest.raises(OpmlError, match="not an OPML"):
        read_opml(b"<rss/>")
    with pytest.raises(OpmlError, match="not valid XML"):
        read_opml(b"<opml><body>")
    text = write_opml([Outline("http://a/?x=1&y=2", 'Q "quoted" <name>')])
    assert read_opml(text.encode()) == [Outline("http://a/?x=1&y=2", 'Q "quoted" <name>')]



def test_a_page_without_an_article_leaves_the_feed_text(srv, lib, subs):
    """The page is fetched, but what it holds is no article: the feed's own text stands."""
    item = {"guid": "g1", "title": "Harbour summary", "link": srv.url("/empty.html"),
            "summary": BODY + "Continue reading"}
    srv.add("/empty.html", Resource(b"<html><body><nav>Home</nav></body></html>", "text/html"))
    url = srv.add("/s.xml", Resource(rss([item]), "application/rss+xml"))
    _row, report = subs.add(url)
    assert len(report.added) == 1 and not report.skipped
    assert srv.requests_to("/empty.html")[0].status == 200
    (row,) = lib.rows()
    assert lib.article(row.id).paragraphs[0].startswith("The council voted")


def test_a_big_refresh_extracts_pages_in_the_add_workers(srv, lib, subs):
    """Enough items for the add's worker processes: the summary items' pages are extracted
    there and their text is what is stored."""
    from index.library import BULK_THRESHOLD

    page = srv.add_file("/bbc.html", HTML / "bbc-1" / "source.html", "text/html; charset=utf-8")
    items = [full_item(n) for n in range(BULK_THRESHOLD)]
    items.append({"guid": "s1", "title": "Obama and guns", "link": page,
                  "summary": "The US president says gun laws are his biggest frustration… "
                             "Read more"})
    url = srv.add("/big.xml", Resource(rss(items), "application/rss+xml"))
    subs.add(url, fetch=False)
    report = subs.refresh()
    assert len(report.added) == BULK_THRESHOLD + 1
    obama = next(r for r in lib.rows() if r.title == "Obama and guns")
    assert len(lib.article(obama.id).paragraphs) > 10
