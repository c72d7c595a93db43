"""index.fetch against a loopback server that misbehaves on purpose (no internet)."""

from __future__ import annotations

import gzip
import time

import pytest

from index.fetch import FetchConfig, Request, fetch_all, is_fetchable, retry_after_seconds
from tests.loopback import Loopback, Resource

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
FAST = FetchConfig(connect_timeout=2, read_timeout=0.5, deadline=3, max_wait=2, backoff=0.05)


@pytest.fixture
def srv():
    with Loopback() as s:
        yield s


def one(req, cfg=FAST):
    return fetch_all([req], cfg)[0]


def test_body_type_validators_and_user_agent(srv):
    url = srv.add("/f.xml", Resource(FEED, "application/rss+xml; charset=utf-8"))
    got = one(url)
    assert got.ok and got.status == 200 and got.content == FEED
    assert got.content_type == "application/rss+xml; charset=utf-8"
    assert got.etag and got.last_modified
    ua = srv.requests_to("/f.xml")[0].headers["user-agent"]
    assert ua.startswith("reader/")


def test_unchanged_costs_one_304(srv):
    url = srv.add("/f.xml", Resource(FEED))
    first = one(url)
    again = one(Request(url, etag=first.etag, last_modified=first.last_modified))
    assert again.not_modified and again.content == b"" and again.etag == first.etag
    assert [s.status for s in srv.requests_to("/f.xml")] == [200, 304]


def test_last_modified_alone_also_gives_304(srv):
    res = Resource(FEED)
    url = srv.add("/f.xml", res)
    got = one(Request(url, last_modified=res.last_modified))
    assert got.not_modified


def test_gzip_is_decoded(srv):
    body = FEED * 200
    url = srv.add("/z.xml", Resource(body, gzip=True))
    got = one(url)
    assert got.content == body
    assert srv.requests_to("/z.xml")[0].headers.get("accept-encoding", "").count("gzip")


def test_gzip_bomb_is_cut_at_the_cap(srv):
    body = b"<rss>" + b" " * (8 * 2**20) + b"</rss>"
    url = srv.add("/bomb.xml", Resource(body, gzip=True))
    assert len(gzip.compress(body)) < 100_000
    got = one(url, FetchConfig(max_bytes=2**20, read_timeout=5))
    assert got.ok and got.truncated and len(got.content) == 2**20
    assert got.etag is None  # fetched whole next time, not 304'd on a cut body


def test_endless_body_is_cut_at_the_cap(srv):
    url = srv.add("/endless.xml", Resource(endless=True))
    t = time.monotonic()
    got = one(url, FetchConfig(max_bytes=4 * 2**20, read_timeout=5))
    assert got.truncated and len(got.content) == 4 * 2**20
    assert time.monotonic() - t < 30


def test_permanent_redirects_report_the_new_address(srv):
    final = srv.add("/new.xml", Resource(FEED))
    srv.add("/mid.xml", Resource(status=308, headers={"Location": "/new.xml"}))
    srv.add("/old.xml", Resource(status=301, headers={"Location": srv.url("/mid.xml")}))
    got = one(srv.url("/old.xml"))
    assert got.ok and got.content == FEED and got.moved_to == final and got.final_url == final


def test_temporary_redirect_keeps_the_address(srv):
    srv.add("/new.xml", Resource(FEED))
    srv.add("/tmp.xml", Resource(status=302, headers={"Location": "/new.xml"}))
    srv.add("/perm.xml", Resource(status=301, headers={"Location": "/tmp.xml"}))
    got = one(srv.url("/perm.xml"))
    assert got.ok and got.content == FEED
    assert got.moved_to == srv.url("/tmp.xml")  # only the permanent part of the chain


def test_redirect_loop_and_non_http_redirect(srv):
    srv.add("/a", Resource(status=302, headers={"Location": "/b"}))
    srv.add("/b", Resource(status=302, headers={"Location": "/a"}))
    assert "redirects" in one(srv.url("/a")).error
    srv.add("/f", Resource(status=301, headers={"Location": "file:///etc/passwd"}))
    got = one(srv.url("/f"))
    assert got.error == "redirected to an address that is not http(s)" and not got.content


@pytest.mark.parametrize("status,word", [(404, "not found"), (410, "gone"), (500, "server error")])
def test_error_statuses_are_one_line(srv, status, word):
    url = srv.add("/x", Resource(status=status))
    got = one(url)
    assert got.status == status and word in got.error and "\n" not in got.error
    assert got.gone == (status == 410)


def test_429_with_short_retry_after_is_waited_out(srv):
    url = srv.add("/busy", Resource(FEED, then=[(429, {"Retry-After": "1"})]))
    t = time.monotonic()
    got = one(url)
    assert got.ok and got.content == FEED
    assert time.monotonic() - t >= 0.9
    assert [s.status for s in srv.requests_to("/busy")] == [429, 200]


def test_503_without_retry_after_backs_off_then_gives_up(srv):
    url = srv.add("/down", Resource(FEED, then=[(503, {})] * 5))
    got = one(url)
    assert got.status == 503 and "unavailable" in got.error
    assert len(srv.requests_to("/down")) == 1 + FAST.retries


def test_long_retry_after_is_handed_back(srv):
    url = srv.add("/later", Resource(FEED, then=[(429, {"Retry-After": "3600"})]))
    got = one(url)
    assert got.status == 429 and got.retry_after == 3600 and "1.0 h" not in got.error
    assert "60 min" in got.error
    assert len(srv.requests_to("/later")) == 1


def test_slow_body_times_out(srv):
    url = srv.add("/slow", Resource(FEED, delay=3))
    t = time.monotonic()
    got = one(url)
    assert got.status == 0 and "stopped answering" in got.error
    assert time.monotonic() - t < 2.5


def test_truncated_body_is_an_error(srv):
    url = srv.add("/cut", Resource(FEED * 50, truncate_to=100))
    got = one(url)
    assert not got.ok and "cut short" in got.error and got.etag is None
    assert got.cut_short and got.status == 200 and got.content == (FEED * 50)[:100]


def test_only_http_and_https(srv):
    for bad in ("file:///etc/passwd", "ftp://example.org/x", "javascript:alert(1)", "/etc/passwd",
                "http://"):
        assert not is_fetchable(bad)
        got = one(bad)
        assert not got.ok and "http" in got.error and got.content == b""
    assert srv.seen == []


def test_connection_refused_is_one_line():
    got = one("http://127.0.0.1:9/feed.xml")
    assert got.status == 0 and got.error.startswith("cannot connect")


def test_per_host_limit(srv):
    active = [0, 0]

    def slow() -> Resource:
        active[0] += 1
        active[1] = max(active[1], active[0])
        time.sleep(0.2)
        active[0] -= 1
        return Resource(FEED)

    for i in range(6):
        srv.add(f"/s{i}", slow)
    got = fetch_all([srv.url(f"/s{i}") for i in range(6)],
                    FetchConfig(per_host=2, concurrency=8, read_timeout=5))
    assert all(g.ok for g in got)
    assert active[1] <= 2


def test_retry_after_http_date():
    assert retry_after_seconds("Thu, 01 Jan 1970 00:01:00 GMT", now=0) == 60
    assert retry_after_seconds("soon") is None
