"""A loopback HTTP server for the fetching tests and the refresh benchmark (no internet).

``Loopback`` runs the standard library's ``ThreadingHTTPServer`` on 127.0.0.1 in a thread and
serves :class:`Resource` objects by path. A resource can misbehave on purpose: any status, a
``Retry-After``, redirects, gzip, a wrong charset, a slow body, a body cut short, an endless body.
Every resource answers conditional requests (ETag / Last-Modified) with ``304`` unless told not
to. Requests are recorded (path, headers, status) so tests can count them.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Resource:
    """What one path answers. ``then`` lists (status, headers) answered first, one per request,
    before the normal answer (e.g. ``[(429, {"Retry-After": "1"})]``)."""

    body: bytes = b""
    content_type: str = "application/xml"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True
    last_modified: str | None = field(default_factory=lambda: formatdate(0, usegmt=True))
    gzip: bool = False
    delay: float = 0.0  # seconds before the body is sent
    truncate_to: int | None = None  # send a Content-Length for the whole body, then only this much
    endless: bool = False  # send chunks until the client hangs up
    then: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class Seen:
    """One request the server answered."""

    path: str
    headers: dict[str, str]
    status: int


class _Server(ThreadingHTTPServer):
    # the listen backlog of a production server (socketserver's default is 5: 16 clients
    # connecting at once saw some connections dropped and retried a second later)
    request_queue_size = 128


class Loopback:
    """``with Loopback() as srv: srv.add('/feed.xml', Resource(...)); srv.url('/feed.xml')``."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource | Callable[[], Resource]] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                outer._serve(self)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Loopback:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, resource: Resource | Callable[[], Resource]) -> str:
        """Serve ``resource`` at ``path``; returns its full address."""
        with self.lock:
            self.resources[path] = resource
        return self.url(path)

    def add_file(self, path: str, file: Path, content_type: str, **kw: object) -> str:
        return self.add(path, Resource(file.read_bytes(), content_type, **kw))  # type: ignore[arg-type]

    def requests_to(self, path: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.path == path]

    # --- serving ------------------------------------------------------------------------------
    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        with self.lock:
            res = self.resources.get(path)
        if callable(res):
            res = res()
        headers = {k.lower(): v for k, v in h.headers.items()}
        if res is None:
            self._send(h, path, headers, 404, {"Content-Type": "text/plain"}, b"not here")
            return
        if res.then:
            with self.lock:
                status, extra = res.then.pop(0) if res.then else (None, {})
            if status is not None:
                self._send(h, path, headers, status, {"Content-Type": "text/plain", **extra},
                           b"not now")
                return
        if res.status != 200:
            self._send(h, path, headers, res.status,
                       {"Content-Type": "text/plain", **res.headers}, res.body)
            return
        out = {"Content-Type": res.content_type, **res.headers}
        if res.conditional:
            out["ETag"] = res.etag
            if res.last_modified:
                out["Last-Modified"] = res.last_modified
            if headers.get("if-none-match") == res.etag or (
                "if-none-match" not in headers and res.last_modified
                and headers.get("if-modified-since") == res.last_modified
            ):
                self._send(h, path, headers, 304, out, b"")
                return
        if res.endless:
            self._endless(h, path, headers, out)
            return
        body = res.body
        if res.gzip and "gzip" in headers.get("accept-encoding", ""):
            body = gzip.compress(body)
            out["Content-Encoding"] = "gzip"
        if res.delay:
            # headers first, then nothing for a while: a read timeout, not a connect one
            self._record(path, headers, 200)
            h.send_response(200)
            for k, v in out.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.flush()
            time.sleep(res.delay)
            with contextlib.suppress(OSError):
                h.wfile.write(body)
            return
        if res.truncate_to is not None:
            self._record(path, headers, 200)
            h.send_response(200)
            for k, v in out.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: res.truncate_to])
            h.wfile.flush()
            h.close_connection = True
            return
        self._send(h, path, headers, 200, out, body)

    def _endless(self, h: BaseHTTPRequestHandler, path: str, headers: dict[str, str],
                 out: dict[str, str]) -> None:
        self._record(path, headers, 200)
        h.send_response(200)
        for k, v in out.items():
            h.send_header(k, v)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        chunk = b"<!-- " + b"x" * 65536 + b" -->\n"
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        try:
            for _ in range(200_000):  # ~13 GB at most; the client hangs up long before
                h.wfile.write(frame)
        except OSError:
            pass
        h.close_connection = True

    def _send(self, h: BaseHTTPRequestHandler, path: str, headers: dict[str, str], status: int,
              out: dict[str, str], body: bytes) -> None:
        self._record(path, headers, status)  # before answering: a client may count at once
        h.send_response(status)
        for k, v in out.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if body and status != 304:
            with contextlib.suppress(OSError):
                h.wfile.write(body)

    def _record(self, path: str, headers: dict[str, str], status: int) -> None:
        with self.lock:
            self.seen.append(Seen(path, headers, status))
