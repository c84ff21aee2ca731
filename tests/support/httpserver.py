"""A real local HTTP server for tests (threaded http.server on 127.0.0.1, an ephemeral port).

Usage::

    with LocalServer() as srv:
        srv.route("/page", static(b"<html>..</html>", content_type="text/html"))
        srv.route("/old", redirect("/page"))
        fetch(srv.url("/page"))
        assert srv.hits("/page") == 1

A handler is `fn(req: Request) -> None`; it answers through `req.respond(...)` or writes to
`req.handler.wfile` itself for streaming scenarios (drip, endless body). Every request is
recorded (path, headers, server-side arrival time) so tests assert on what the server saw.
Reusable by any test; nothing here is fetcher-specific except `claim_redis_db`.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import redis


@dataclass
class Recorded:
    method: str
    path: str  # with query string
    headers: Message
    at: float  # time.monotonic() when the request line was read, server side


@dataclass
class Request:
    handler: BaseHTTPRequestHandler
    path: str
    query: str
    headers: Message
    server: LocalServer

    def respond(
        self,
        status: int = 200,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        content_length: bool = True,
    ) -> None:
        h = self.handler
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if content_length and status not in (204, 304):
            h.send_header("Content-Length", str(len(body)))
        if not content_length:
            h.send_header("Connection", "close")
            h.close_connection = True
        h.end_headers()
        if body and status not in (204, 304):
            h.wfile.write(body)

    def write(self, data: bytes) -> None:
        self.handler.wfile.write(data)
        self.handler.wfile.flush()


Route = Callable[[Request], None]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self.server.app._dispatch(self, "GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self.server.app._dispatch(self, "HEAD")

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    app: LocalServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up mid-body is the point of several scenarios


@dataclass
class LocalServer:
    host: str = "127.0.0.1"
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._httpd = Server((self.host, 0), Handler)
        self._httpd.app = self
        self.port: int = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> LocalServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- API
    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def hostport(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def route(self, path: str, fn: Route) -> None:
        """Register a handler for an exact path (query string ignored)."""
        self.routes[path] = fn

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if urlsplit(r.path).path == path)

    def recorded(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if urlsplit(r.path).path == path]

    # ----------------------------------------------------------------- internals
    def _dispatch(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        with self._lock:
            self.requests.append(Recorded(method, h.path, h.headers, time.monotonic()))
        fn = self.routes.get(parts.path)
        req = Request(h, parts.path, parts.query, h.headers, self)
        try:
            if fn is None:
                req.respond(404, b"not found", {"Content-Type": "text/plain"})
            else:
                fn(req)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True


# --------------------------------------------------------------------------- route helpers
def static(
    body: bytes | str,
    *,
    status: int = 200,
    content_type: str | None = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> Route:
    data = body.encode("utf-8") if isinstance(body, str) else body
    hdrs = dict(headers or {})
    if content_type is not None:
        hdrs["Content-Type"] = content_type

    def fn(req: Request) -> None:
        req.respond(status, data, hdrs)

    return fn


def redirect(location: str, status: int = 302) -> Route:
    return static(b"", status=status, content_type=None, headers={"Location": location})


def gzipped(
    body: bytes, *, content_type: str = "text/html; charset=utf-8", encoding: str = "gzip"
) -> Route:
    """Serve `body` gzip-compressed with Content-Encoding (or pre-compressed `body` as is if
    encoding is given and body already compressed - see `raw_encoded`)."""
    return raw_encoded(gzip.compress(body), encoding=encoding, content_type=content_type)


def raw_encoded(data: bytes, *, encoding: str, content_type: str = "text/html") -> Route:
    return static(data, content_type=content_type, headers={"Content-Encoding": encoding})


def drip(
    chunks: int, delay: float, *, piece: bytes = b"x", content_type: str = "text/html"
) -> Route:
    """Headers at once, then one `piece` every `delay` seconds (slow-loris body)."""

    def fn(req: Request) -> None:
        req.respond(200, b"", {"Content-Type": content_type}, content_length=False)
        for _ in range(chunks):
            req.write(piece)
            time.sleep(delay)

    return fn


def drip_headers(delay: float, count: int = 200, sent: list[int] | None = None) -> Route:
    """Status line, then one header byte every `delay` seconds (slow headers).

    `sent`, if given, receives how many of the `count` bytes went out before the client hung
    up: less than `count` proves the client cut the connection.
    """

    def fn(req: Request) -> None:
        req.handler.close_connection = True
        n = 0
        try:
            req.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: ")
            for n in range(1, count + 1):  # noqa: B007 - n is reported below
                time.sleep(delay)
                req.write(b"a")
            req.write(b"\r\nContent-Length: 4\r\n\r\n<p/>")
        finally:
            if sent is not None:
                sent.append(n)

    return fn


def endless(
    piece: bytes = b"<p>" + b"a" * 65536 + b"</p>", content_type: str = "text/html"
) -> Route:
    """A body that never ends (until the client hangs up); no Content-Length."""

    def fn(req: Request) -> None:
        req.respond(200, b"", {"Content-Type": content_type}, content_length=False)
        while True:
            req.write(piece)

    return fn


# --------------------------------------------------------------------------- redis for tests
@contextlib.contextmanager
def claim_redis_db(low: int = 11, high: int = 14) -> Iterator[redis.Redis]:
    """A Redis DB number in [low, high] no concurrent test run holds, flushed before and after.

    Same convention as tests/conftest.py (lock keys `newsflow:test-db:N` in DB 0), on the Redis of
    REDIS_URL (conftest points it at the real or locally started server).
    """
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    locks = redis.Redis.from_url(base + "/0")
    for n in range(low, high + 1):
        if locks.set(f"newsflow:test-db:{n}", os.getpid(), nx=True, ex=3600):
            break
    else:
        raise RuntimeError(f"no free Redis DB number in {low}-{high}")
    url = f"{base}/{n}"
    client = redis.Redis.from_url(url)
    client.test_url = url  # type: ignore[attr-defined]  # for subprocesses
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()
        locks.delete(f"newsflow:test-db:{n}")
        locks.close()
