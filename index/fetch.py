"""Fetching over HTTP like a good citizen: one httpx client, limits, conditional requests.

:func:`fetch_all` takes :class:`Request` objects and returns one :class:`Fetched` per request, in
order, never raising for a single address: a failure is a ``Fetched`` with ``error`` set (one line).
What it does for every request:

- only ``http`` and ``https`` addresses (also after a redirect);
- connect and read timeouts, plus a deadline for the whole response (a server trickling bytes
  cannot hold a refresh forever);
- redirects followed by hand (at most :data:`MAX_REDIRECTS`); when every hop was permanent
  (301/308) the new address is reported in ``moved_to`` so the caller can update what it stores;
- conditional GET: ``If-None-Match`` / ``If-Modified-Since`` from the stored validators, so an
  unchanged feed costs one ``304``;
- compressed responses (gzip, deflate, and brotli/zstd when their decoders are installed);
- the body is streamed and cut at ``max_bytes`` (decoded bytes, so a compression bomb is cut too);
- at most ``concurrency`` requests at once, and ``per_host`` to any one host;
- a ``User-Agent`` naming reader and its version;
- 429 and 503 honoured: a ``Retry-After`` up to ``max_wait`` seconds is waited out (with backoff
  when the server gives none) and the request retried; a longer one is handed back in
  ``retry_after`` so the caller holds the feed until then;
- ``content_type`` is the response's header as sent, so the parsers can take its charset.

Nothing here parses feeds or pages; nothing imports a UI.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

import httpx

__all__ = [
    "FetchConfig",
    "Fetched",
    "Request",
    "fetch_all",
    "is_fetchable",
    "run_async",
    "user_agent",
]

MAX_REDIRECTS = 5
PERMANENT = (301, 308)
REDIRECTS = (301, 302, 303, 307, 308)
T = TypeVar("T")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("reader")
    except Exception:  # not installed as a distribution (a source checkout)
        return "0.1.0"


def user_agent() -> str:
    """What reader calls itself on the network."""
    return f"reader/{_version()} (terminal news reader; +feeds)"


def is_fetchable(url: str) -> bool:
    """An ``http://`` or ``https://`` address with a host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """Limits of one batch of requests."""

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    deadline: float = 60.0  # seconds for one whole response, body included
    max_bytes: int = 16 * 2**20
    concurrency: int = 16
    per_host: int = 2
    max_wait: float = 10.0  # longest Retry-After waited out in place
    retries: int = 2  # extra attempts after a 429/503
    backoff: float = 1.0  # first wait after a 429/503 that names no Retry-After
    user_agent: str = field(default_factory=user_agent)


@dataclass(frozen=True, slots=True)
class Request:
    """One address to fetch, with the validators stored from the last fetch."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    accept: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """What came back for one request.

    ``error`` is None when the response is usable: ``status`` 200 (``content`` holds the body) or
    304 (nothing changed). Otherwise it says in one line what went wrong; ``status`` is the HTTP
    status, or 0 when no response arrived. A body the server stopped sending part-way is an
    error with ``cut_short`` set and what did arrive in ``content`` (a feed's items before the
    cut can still be read; a page is not used).
    """

    url: str
    final_url: str
    status: int
    content: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None
    truncated: bool = False
    cut_short: bool = False  # the connection closed mid-body: ``content`` is what arrived
    retry_after: float | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """A body or a 304 arrived."""
        return self.error is None

    @property
    def not_modified(self) -> bool:
        """The server says nothing changed since the stored validators."""
        return self.status == 304 and self.error is None

    @property
    def gone(self) -> bool:
        """The server says the address is gone for good (410)."""
        return self.status == 410


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A ``Retry-After`` header as seconds from now (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now_ts = time.time() if now is None else now
    return max(0.0, when.timestamp() - now_ts)


_REASONS = {
    304: "not modified",
    400: "bad request",
    401: "needs a login (401)",
    403: "forbidden (403)",
    404: "not found (404)",
    410: "gone (410): the server says it was removed for good",
    429: "rate limited (429)",
    500: "server error (500)",
    502: "bad gateway (502)",
    503: "unavailable (503)",
    504: "gateway timeout (504)",
}


def _status_error(status: int) -> str:
    return _REASONS.get(status, f"HTTP {status}")


def _network_error(exc: BaseException, cfg: FetchConfig) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"no connection within {cfg.connect_timeout:g} s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"the server stopped answering ({cfg.read_timeout:g} s read timeout)"
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return f"the response took longer than {cfg.deadline:g} s"
    if isinstance(exc, httpx.ConnectError):
        detail = str(exc).split("] ")[-1] or "refused"
        return f"cannot connect ({detail})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the response was cut short (the connection closed mid-body)"
    if isinstance(exc, httpx.DecodingError):
        return "the response could not be decompressed"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, httpx.HTTPError):
        return f"network error ({type(exc).__name__}: {exc})"
    return f"could not fetch ({type(exc).__name__}: {exc})"


class _Limits:
    """The overall and per-host request limits of one batch."""

    def __init__(self, cfg: FetchConfig) -> None:
        self.all = asyncio.Semaphore(max(1, cfg.concurrency))
        self.per_host = max(1, cfg.per_host)
        self.hosts: dict[str, asyncio.Semaphore] = {}

    def host(self, url: str) -> asyncio.Semaphore:
        key = (urlsplit(url).hostname or "").lower()
        sem = self.hosts.get(key)
        if sem is None:
            sem = self.hosts[key] = asyncio.Semaphore(self.per_host)
        return sem


_SHORT_BODY = 64 * 1024  # the most of an unwanted body read to keep a connection


class _CutShort(Exception):
    """The connection closed mid-body; ``partial`` is what arrived (decoded)."""

    def __init__(self, response: httpx.Response, partial: bytes) -> None:
        super().__init__("cut short")
        self.response = response
        self.partial = partial


async def _one_hop(client: httpx.AsyncClient, url: str, headers: dict[str, str],
                   cfg: FetchConfig) -> tuple[httpx.Response, bytes, bool]:
    """One GET, its body streamed up to the cap: (response, body, cut at the cap). A body
    that stops part-way raises :class:`_CutShort` with what arrived."""
    async with client.stream("GET", url, headers=headers) as resp:
        if resp.status_code != 200:
            # a 304, a redirect or an error page: the body is not needed, but one that is
            # short is read, so that the connection goes back to the pool (a response left
            # unread closes it: a second refresh's 200 answers of 304 each cost a connection)
            length = resp.headers.get("content-length", "")
            if resp.status_code == 304 or (length.isdigit() and int(length) <= _SHORT_BODY):
                with contextlib.suppress(httpx.HTTPError):
                    await resp.aread()
            return resp, b"", False
        chunks: list[bytes] = []
        try:
            return await _read_body(resp, chunks, cfg)
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise _CutShort(resp, b"".join(chunks)) from exc


async def _read_body(resp: httpx.Response, chunks: list[bytes],
                     cfg: FetchConfig) -> tuple[httpx.Response, bytes, bool]:
    """Stream the body into ``chunks`` up to the cap: (response, body, cut at the cap)."""
    size = 0
    cut = False
    async for chunk in resp.aiter_bytes():
        room = cfg.max_bytes - size
        if len(chunk) >= room:
            chunks.append(chunk[:room])
            size += room
            cut = len(chunk) > room
            if cut:
                break
            continue
        chunks.append(chunk)
        size += len(chunk)
    if not cut and size >= cfg.max_bytes:
        # exactly at the cap: anything more means the body was larger
        async for more in resp.aiter_bytes():
            if more:
                cut = True
                break
    return resp, b"".join(chunks), cut


async def _fetch(client: httpx.AsyncClient, req: Request, cfg: FetchConfig,
                 limits: _Limits) -> Fetched:
    start = time.monotonic()
    if not is_fetchable(req.url):
        return Fetched(req.url, req.url, 0, error="only http:// and https:// addresses are fetched")
    headers: dict[str, str] = {}
    if req.etag:
        headers["If-None-Match"] = req.etag
    if req.last_modified:
        headers["If-Modified-Since"] = req.last_modified
    if req.accept:
        headers["Accept"] = req.accept
    attempt = 0
    while True:
        url = req.url
        permanent = True
        moved: str | None = None
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                async with limits.all, limits.host(url):
                    resp, body, cut = await asyncio.wait_for(
                        _one_hop(client, url, headers, cfg), cfg.deadline)
                status = resp.status_code
                if status in REDIRECTS:
                    location = resp.headers.get("location")
                    if not location:
                        return Fetched(req.url, url, status, error=f"redirect ({status}) "
                                       "without a Location", seconds=time.monotonic() - start)
                    nxt = urljoin(url, location.strip())
                    if not is_fetchable(nxt):
                        return Fetched(req.url, url, status,
                                       error="redirected to an address that is not http(s)",
                                       seconds=time.monotonic() - start)
                    permanent = permanent and status in PERMANENT
                    if permanent:
                        moved = nxt
                    url = nxt
                    continue
                break
            else:
                return Fetched(req.url, url, 0, error=f"more than {MAX_REDIRECTS} redirects",
                               seconds=time.monotonic() - start)
        except _CutShort as cut_short:
            return Fetched(req.url, url, 200, content=cut_short.partial,
                           content_type=cut_short.response.headers.get("content-type"),
                           moved_to=moved, cut_short=True,
                           error=_network_error(cut_short.__cause__ or cut_short, cfg),
                           seconds=time.monotonic() - start)
        except Exception as exc:  # one address's failure is its own, never the batch's
            return Fetched(req.url, url, 0, moved_to=moved, error=_network_error(exc, cfg),
                           seconds=time.monotonic() - start)
        if status in (429, 503):
            wait = retry_after_seconds(resp.headers.get("retry-after"))
            if attempt < cfg.retries and (wait is None or wait <= cfg.max_wait):
                attempt += 1
                await asyncio.sleep(wait if wait is not None else cfg.backoff * 2 ** (attempt - 1))
                continue
            msg = _status_error(status)
            if wait is not None:
                msg += f"; the server asks to wait {_human_wait(wait)}"
            return Fetched(req.url, url, status, moved_to=moved, retry_after=wait, error=msg,
                           seconds=time.monotonic() - start)
        etag = resp.headers.get("etag")
        modified = resp.headers.get("last-modified")
        if status == 304:
            return Fetched(req.url, url, 304, etag=etag or req.etag,
                           last_modified=modified or req.last_modified, moved_to=moved,
                           seconds=time.monotonic() - start)
        if status != 200:
            return Fetched(req.url, url, status, moved_to=moved, error=_status_error(status),
                           seconds=time.monotonic() - start)
        return Fetched(
            req.url, url, 200, content=body, content_type=resp.headers.get("content-type"),
            # a body cut at the cap is not what the validators describe: fetch it whole next time
            etag=None if cut else etag, last_modified=None if cut else modified,
            moved_to=moved, truncated=cut, seconds=time.monotonic() - start,
        )


def _human_wait(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def client(cfg: FetchConfig) -> httpx.AsyncClient:
    """The one well-kept client of a batch."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(cfg.read_timeout, connect=cfg.connect_timeout),
        follow_redirects=False,
        headers={"User-Agent": cfg.user_agent},
        limits=httpx.Limits(max_connections=max(1, cfg.concurrency),
                            max_keepalive_connections=max(1, cfg.concurrency)),
        trust_env=False,
    )


class Session:
    """A client and its limits for one batch, used from coroutines (see :func:`run_async`)."""

    def __init__(self, cfg: FetchConfig | None = None) -> None:
        self.cfg = cfg or FetchConfig()
        self.client = client(self.cfg)
        self.limits = _Limits(self.cfg)

    async def fetch(self, req: Request | str) -> Fetched:
        """Fetch one address (never raises for the address's own failure)."""
        if isinstance(req, str):
            req = Request(req)
        return await _fetch(self.client, req, self.cfg, self.limits)

    async def aclose(self) -> None:
        await self.client.aclose()


def run_async(make: Callable[[Session], Awaitable[T]], cfg: FetchConfig | None = None) -> T:
    """Run ``make(session)`` on a fresh event loop (from any thread) and close the client."""

    async def main() -> T:
        session = Session(cfg)
        try:
            return await make(session)
        finally:
            await session.aclose()

    return asyncio.run(main())


def fetch_all(requests: Sequence[Request | str], cfg: FetchConfig | None = None,
              progress: Callable[[int, int], None] | None = None) -> list[Fetched]:
    """Fetch every request concurrently within the limits; one :class:`Fetched` each, in order."""

    async def go(session: Session) -> list[Fetched]:
        done = 0

        async def one(r: Request | str) -> Fetched:
            nonlocal done
            out = await session.fetch(r)
            done += 1
            if progress is not None:
                progress(done, len(requests))
            return out

        return list(await asyncio.gather(*(one(r) for r in requests)))

    return run_async(go, cfg)


def http_date(when: datetime) -> str:
    """An HTTP date (for tests and ``If-Modified-Since``)."""
    return email.utils.format_datetime(when.astimezone(timezone.utc), usegmt=True)
