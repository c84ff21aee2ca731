"""HTTP fetching: one configured session, manual redirects, strict limits, typed errors.

`fetch()` is pure I/O policy; politeness (robots.txt, per-host spacing) is the caller's job via
`robots.check_robots` and `ratelimit.reserve` before calling it.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import os
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import requests
import urllib3.exceptions
from redis.exceptions import RedisError

from services.fetcher.errors import (
    BadContentType,
    ClientError,
    ConnectionFailed,
    DecompressionBomb,
    FetchError,
    FetchTimeout,
    InvalidURL,
    RateLimited,
    RedirectLoop,
    RequestTimeout,
    ServerError,
    ServiceUnavailable,
    TooLarge,
    TooManyRedirects,
)
from services.fetcher.ssrf import SocketWatch, SSRFPolicy, check_url, make_guarded_adapter
from shared.config import Settings, load_settings
from shared.contracts import FetchResult
from shared.urls import normalize_url, split_url

try:  # optional: only advertise "br" when we can decode it with a bounded output buffer
    import brotli

    _HAVE_BROTLI = hasattr(brotli.Decompressor(), "can_accept_more_data")  # Brotli >= 1.2
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None
    _HAVE_BROTLI = False

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
XML_TYPES = frozenset(
    {
        "application/xml",
        "text/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/x-rss+xml",
        "application/x-atom+xml",
    }
)
ALLOWED_TYPES = HTML_TYPES | XML_TYPES
# With accept_feeds: gzipped sitemaps (sitemap.xml.gz is served as a file, not Content-Encoding)
# and text/plain (text sitemaps, misconfigured feeds) - both still sniffed below.
FEED_EXTRA_TYPES = frozenset({"application/gzip", "application/x-gzip", "text/plain"})
# Declared types we ignore and sniff instead, as browsers do.
SNIFF_TYPES = frozenset({"", "application/octet-stream", "application/unknown", "unknown/unknown"})

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_DECOMPRESSION_RATIO = 100.0  # HTML/XML compresses ~5-20x; bombs are ~1000x
RATIO_CHECK_AFTER = 1024 * 1024  # don't judge the ratio of small bodies
CHUNK = 64 * 1024
ACCEPT_PAGE = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.1"
ACCEPT_FEED = (
    "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,"
    "text/html;q=0.5,*/*;q=0.1"
)
ACCEPT_ENCODING = "gzip, deflate, br" if _HAVE_BROTLI else "gzip, deflate"

_BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"PK\x03\x04",
    b"RIFF",
    b"\x00\x00\x01\x00",
    b"OggS",
    b"ID3",
    b"\x7fELF",
    b"MZ",
    b"BZh",
    b"\xfd7zXZ",
)


# --------------------------------------------------------------------------- session
_sent = threading.local()  # (before_send, url, after_send) of this thread's fetch, until used


class _SendHooksMixin:
    """Runs the current fetch's send hooks around its first request on the connection:
    `before_send(url)` right before the request is written (it may raise HostBusy: nothing is
    sent), `after_send()` once it has been written."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        hooks = getattr(_sent, "hooks", None)
        _sent.hooks = None
        if hooks is not None and hooks[0] is not None:
            hooks[0](hooks[1])
        # a new connection: not connected yet (plain HTTP connects inside request()), or
        # connected (TLS, before request()) but not the socket of this object's last request
        sock = getattr(self, "sock", None)
        _sent.fresh = sock is None or sock is not getattr(self, "_last_sock", None)
        super().request(*args, **kwargs)  # type: ignore[misc]
        self._last_sock = getattr(self, "sock", None)
        if hooks is not None and hooks[2] is not None:
            hooks[2]()


def sent_on_new_connection() -> bool:
    """Whether the request this thread has just written (in an `after_send` hook) opened its
    connection, rather than reusing a kept-alive one."""
    return bool(getattr(_sent, "fresh", False))


def make_session(
    settings: Settings | None = None, *, per_host: int | None = None, hosts: int = 256
) -> requests.Session:
    """The one configured session: SSRF-guarded connections, our UA, no env proxies/netrc.

    `per_host` set: a session shared by the concurrent downloader's threads, keeping up to that
    many connections alive per host (for up to `hosts` hosts); otherwise one request per
    connection.
    """
    settings = settings or load_settings()
    session = requests.Session()
    session.trust_env = False  # env proxies would bypass the connect-time SSRF check
    policy = SSRFPolicy.from_settings(settings)
    if per_host is None:
        adapter = make_guarded_adapter(policy, pool_connections=16, pool_maxsize=16, max_retries=0)
    else:
        adapter = make_guarded_adapter(
            policy, reuse=True, conn_mixins=(_SendHooksMixin,), pool_connections=hosts,
            pool_maxsize=per_host, max_retries=0,
        )  # fmt: skip
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.clear()
    session.headers.update({"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING})
    if per_host is None:
        # One request per connection, so a fresh socket per fetch lets the deadline watchdog cut
        # exactly this fetch.
        session.headers["Connection"] = "close"
    return session


_sessions: dict[tuple[Any, ...], requests.Session] = {}
_sessions_lock = threading.Lock()


def get_session(settings: Settings) -> requests.Session:
    """Per-thread cached session for these settings (requests sessions aren't thread-safe)."""
    key = (
        threading.get_ident(),
        settings.user_agent,
        settings.allow_private_hosts,
        tuple(settings.private_host_allowlist),
    )
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = make_session(settings)
    return session


# --------------------------------------------------------------------------- helpers
def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or HTTP-date; None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def _location(value: str) -> str:
    """Location as sent: http.client decodes header bytes as latin-1, servers send UTF-8."""
    value = value.strip()
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _mime(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _strip_bom(head: bytes) -> bytes:
    if head.startswith(b"\xef\xbb\xbf"):
        return head[3:]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        enc = "utf-16-le" if head.startswith(b"\xff\xfe") else "utf-16-be"
        return head[2:].decode(enc, "ignore").encode("utf-8", "ignore")
    return head


def sniff(body: bytes) -> str | None:
    """Guess a type from the first bytes; None means binary or not markup at all."""
    if body.startswith(b"\x1f\x8b"):
        return "application/gzip"
    head = _strip_bom(body[:2048])
    if b"\x00" in head or head.startswith(_BINARY_MAGIC):
        return None
    text = head.lstrip().lower()
    if text.startswith(b"<?xml") or text.startswith(b"<!--"):
        for marker, kind in (
            (b"<rss", "application/rss+xml"),
            (b"<feed", "application/atom+xml"),
            (b"<rdf:rdf", "application/rdf+xml"),
            (b"<html", "application/xhtml+xml"),
        ):
            if marker in text:
                return kind
        return "application/xml" if text.startswith(b"<?xml") else "text/html"
    if text.startswith(b"<rss"):
        return "application/rss+xml"
    if text.startswith(b"<feed"):
        return "application/atom+xml"
    if text.startswith((b"<urlset", b"<sitemapindex")):
        return "application/xml"
    if text.startswith(
        (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title", b"<div", b"<p")
    ):
        return "text/html"
    return None


def _is_binary(body: bytes) -> bool:
    head = body[:2048]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text has NULs
    return b"\x00" in head or head.startswith(_BINARY_MAGIC)


# --------------------------------------------------------------------------- decoding
class _Stage:
    """One incremental Content-Encoding decoder whose output per call is bounded."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._zlib: Any = None
        self._brotli: Any = None
        self._pending = b""  # deflate: first bytes, until we can tell zlib from raw
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "br" and _HAVE_BROTLI:
            self._brotli = brotli.Decompressor()
        elif encoding != "deflate":
            raise BadContentType(f"unsupported Content-Encoding {encoding!r}")

    @property
    def unconsumed(self) -> int:
        """Input bytes zlib has not decoded yet because the output hit its limit."""
        return len(self._zlib.unconsumed_tail) if self._zlib is not None else 0

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decode `data`; returns at most limit+1 bytes (more than `limit` means: over cap)."""
        if self.encoding == "deflate" and self._zlib is None:
            # "deflate" should be zlib-wrapped, but many servers send raw deflate: look at the
            # 2-byte zlib header (buffering a 1-byte first read) to tell which.
            data = self._pending + data
            if len(data) < 2:
                self._pending = data
                return b""
            wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        try:
            if self._brotli is not None:
                if not data:
                    return b""
                return self._brotli.process(data, output_buffer_limit=limit + 1)
            if self._zlib is None:
                return b""
            out = self._zlib.decompress(data, limit + 1)
            # A second gzip member after the first (concatenated gzip is legal).
            if (
                self._zlib.eof
                and self._zlib.unused_data.startswith(b"\x1f\x8b")
                and len(out) <= limit
            ):
                rest = self._zlib.unused_data
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
                out += self.feed(rest, limit - len(out))
            return out
        except FetchError:
            raise
        except Exception as exc:  # zlib.error, brotli.error
            raise BadContentType(f"corrupt {self.encoding} body: {exc}") from exc

    @property
    def finished(self) -> bool:
        if self._brotli is not None:
            return bool(self._brotli.is_finished())
        return self._zlib is None or bool(self._zlib.eof)


class _Decoder:
    """Content-Encoding chain with caps on decoded size and expansion ratio."""

    def __init__(self, header: str | None, max_decoded: int, max_ratio: float) -> None:
        names = [e.strip().lower() for e in (header or "").split(",")]
        names = [n for n in names if n and n != "identity"]
        self.stages = [_Stage(n) for n in reversed(names)]  # applied in order -> undo in reverse
        self.max_decoded = max_decoded
        self.max_ratio = max_ratio
        self.decoded = 0
        self.wire = 0

    def feed(self, data: bytes) -> bytes:
        self.wire += len(data)
        if not self.stages:
            self.decoded += len(data)
            return data
        budget = self.max_decoded - self.decoded
        for stage in self.stages:
            data = stage.feed(data, budget)
            if len(data) > budget:
                self._over_cap()
        self.decoded += len(data)
        if self.decoded > RATIO_CHECK_AFTER and self.decoded > self.max_ratio * self.wire:
            raise DecompressionBomb(
                f"Content-Encoding expands {self.decoded / self.wire:.0f}x "
                f"(limit {self.max_ratio:.0f}x)"
            )
        return data

    def _over_cap(self) -> None:
        # judge the expansion on the input actually decoded, not on what zlib left untouched
        consumed = max(1, self.wire - self.stages[0].unconsumed)
        ratio = (self.max_decoded + 1) / consumed
        if ratio > self.max_ratio:
            raise DecompressionBomb(
                f"decoded body exceeds {self.max_decoded} bytes from {consumed} on the wire"
            )
        raise TooLarge(f"decoded body exceeds {self.max_decoded} bytes")

    def check_complete(self) -> None:
        if any(not s.finished for s in self.stages):
            raise ConnectionFailed("compressed body ended before the end of the stream")


# --------------------------------------------------------------------------- fetch
def _map_status(resp: requests.Response, url: str) -> FetchError:
    status = resp.status_code
    retry_after = parse_retry_after(resp.headers.get("Retry-After"))
    reason = f"HTTP {status} {resp.reason or ''}".strip() + f" for {url}"
    if status == 408:
        return RequestTimeout(reason, url=url, status=status, retry_after=retry_after)
    if status == 429:
        return RateLimited(reason, url=url, status=status, retry_after=retry_after)
    if status == 503:
        return ServiceUnavailable(reason, url=url, status=status, retry_after=retry_after)
    if status >= 500:
        return ServerError(reason, url=url, status=status, retry_after=retry_after)
    return ClientError(reason, url=url, status=status)


def _translate(exc: BaseException, url: str, watch: SocketWatch) -> FetchError:
    """requests/urllib3/socket exceptions -> typed errors."""
    if isinstance(exc, FetchError | InvalidURL):
        if exc.url is None:
            exc.url = url
        return exc
    if watch.fired:
        return FetchTimeout(f"total deadline exceeded for {url}", url=url)
    if isinstance(
        exc,
        requests.exceptions.Timeout | urllib3.exceptions.TimeoutError | TimeoutError,
    ):
        return FetchTimeout(f"timeout fetching {url}: {exc}", url=url)
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return InvalidURL(f"invalid URL {url}: {exc}", url=url)
    return ConnectionFailed(f"connection failed for {url}: {exc}", url=url)


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()


class _Watchdog:
    """One thread for the total deadline of every fetch in the process: at its deadline a
    fetch's SocketWatch fires (its sockets are shut down). A Timer thread per fetch cost a thread
    start and exit per request; here arming is a heap push, and the thread wakes only for the
    earliest deadline (fetches that end in time are disarmed, and skipped when they come up).
    """

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # the thread does not survive a fork

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[list[Any]] = []  # [monotonic deadline, sequence, SocketWatch or None]
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, at: float, watch: SocketWatch) -> list[Any]:
        entry = [at, next(self._seq), watch]
        with self._cond:
            heapq.heappush(self._heap, entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="fetch-deadlines",
                                                daemon=True)  # fmt: skip
                self._thread.start()
            elif self._heap[0] is entry:  # earlier than what the thread waits for
                self._cond.notify()
        return entry

    def disarm(self, entry: list[Any]) -> None:
        entry[2] = None  # left in the heap until its time comes; nothing fires then

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                due = []
                while self._heap and (self._heap[0][2] is None or self._heap[0][0] <= now):
                    watch = heapq.heappop(self._heap)[2]
                    if watch is not None:
                        due.append(watch)
                if due:
                    self._cond.release()
                    try:
                        for watch in due:
                            watch.fire()
                    finally:
                        self._cond.acquire()
                    continue
                self._cond.wait(self._heap[0][0] - now if self._heap else None)


_watchdog = _Watchdog()


@dataclasses.dataclass
class _Call:
    """One fetch() call: its settings, limits and the state shared by its redirect hops."""

    url: str
    settings: Settings
    session: requests.Session
    headers: dict[str, str]
    etag: str | None
    last_modified: str | None
    accept_feeds: bool
    max_decoded: int
    max_ratio: float
    check_content_type: bool
    before_hop: Callable[[str], None] | None
    before_send: Callable[[str], None] | None
    after_send: Callable[[], None] | None
    policy: SSRFPolicy = dataclasses.field(init=False)
    deadline: _Deadline = dataclasses.field(init=False)
    watch: SocketWatch = dataclasses.field(default_factory=SocketWatch)
    current: str = ""

    def __post_init__(self) -> None:
        self.policy = SSRFPolicy.from_settings(self.settings)
        self.deadline = _Deadline(self.settings.total_timeout)
        self.current = self.url


def fetch(
    url: str,
    *,
    settings: Settings | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    accept_feeds: bool = False,
    session: requests.Session | None = None,
    max_bytes: int | None = None,
    max_decoded_bytes: int | None = None,
    max_ratio: float = MAX_DECOMPRESSION_RATIO,
    check_content_type: bool = True,
    before_hop: Callable[[str], None] | None = None,
    before_send: Callable[[str], None] | None = None,
    after_send: Callable[[], None] | None = None,
) -> FetchResult:
    """GET `url` and return the decoded body, or raise a typed FetchError.

    * redirects: at most settings.max_redirects, followed here so each hop is SSRF-checked;
      a hop back to an already visited URL is a RedirectLoop.
    * limits: connect/read timeouts, a total deadline (settings.total_timeout) enforced by a
      watchdog that shuts the socket down, settings.max_body_bytes on the wire and decoded,
      `max_ratio` expansion for Content-Encoding.
    * content types: HTML, XHTML, XML, RSS, Atom (sniffed when missing/octet-stream); with
      `accept_feeds` also gzip files and text/plain (for sitemaps and robots-like text).
      `check_content_type=False` skips the type check (robots.txt).
    * `max_bytes` overrides settings.max_body_bytes (e.g. 50 MB sitemaps); `max_decoded_bytes`
      the decoded cap (default: the same as the wire cap).
    * conditional GET: `etag`/`last_modified` -> FetchResult(not_modified=True) on 304.
    * `before_hop(url)` is called before following each redirect; it may raise (e.g.
      RobotsDisallowed when the target's robots.txt forbids it) to stop the fetch.
    * `before_send(url)` is called once, right before the first request is written to its
      connection (after the URL and address checks); it may raise (HostBusy: the host's
      rate-limit slot is taken) to stop the fetch before anything is sent. `after_send()` is called once that first request
      has been written to the socket (the rate limit restarts the host's interval there).
    """
    settings = settings or load_settings()
    if max_bytes is not None:
        settings = dataclasses.replace(settings, max_body_bytes=max_bytes)
    headers = {"Accept": ACCEPT_FEED if accept_feeds else ACCEPT_PAGE}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    call = _Call(
        url, settings, session or get_session(settings), headers, etag, last_modified,
        accept_feeds,
        max_decoded_bytes if max_decoded_bytes is not None else settings.max_body_bytes,
        max_ratio, check_content_type, before_hop, before_send, after_send,
    )  # fmt: skip
    split_url(url)  # InvalidURL / BadScheme before anything else
    timer: list[Any] | None = None
    try:
        with call.watch:
            timer = _watchdog.arm(call.deadline.end, call.watch)
            return _follow(call)
    except (FetchError, InvalidURL) as exc:
        if call.watch.fired and isinstance(exc, ConnectionFailed):
            raise FetchTimeout(f"total deadline exceeded for {url}", url=url) from exc
        if exc.url is None:
            exc.url = call.current
        raise
    except RedisError:
        raise  # the rate limit's store (before/after_send) is down: an outage, not the page's
    except Exception as exc:
        raise _translate(exc, call.current, call.watch) from exc
    finally:
        if timer is not None:
            _watchdog.disarm(timer)


def _follow(call: _Call) -> FetchResult:
    """Request, follow redirects (each hop checked), finish on the first non-redirect answer."""
    visited = {normalize_url(call.url)}
    for hop in range(call.settings.max_redirects + 1):
        resp = _request(call, first=hop == 0)
        if resp.status_code not in REDIRECT_STATUSES:
            return _finish(
                resp, call.url, call.current, call.settings, call.deadline, call.watch,
                etag=call.etag, last_modified=call.last_modified, accept_feeds=call.accept_feeds,
                max_decoded=call.max_decoded, max_ratio=call.max_ratio,
                check_content_type=call.check_content_type,
            )  # fmt: skip
        call.current = _next_hop(call, resp, visited, hop)
    raise AssertionError("unreachable")  # pragma: no cover


def _next_hop(call: _Call, resp: requests.Response, visited: set[str], hop: int) -> str:
    """The redirect target of `resp`, once it passed the loop, hop-count and before_hop checks."""
    location = resp.headers.get("Location")
    resp.close()
    current = call.current
    if not location:
        raise ClientError(
            f"HTTP {resp.status_code} without Location for {current}",
            url=current,
            status=resp.status_code,
        )
    nxt = urljoin(current, _location(location))
    key = normalize_url(nxt)  # InvalidURL/BadScheme for junk targets
    if key in visited:
        raise RedirectLoop(f"redirect loop: {current} -> {nxt}", url=call.url)
    if hop >= call.settings.max_redirects:
        raise TooManyRedirects(
            f"more than {call.settings.max_redirects} redirects from {call.url}", url=call.url
        )
    visited.add(key)
    if call.before_hop is not None:
        call.before_hop(nxt)
    return nxt


def _request(call: _Call, *, first: bool) -> requests.Response:
    url, settings = call.current, call.settings
    remaining = call.deadline.remaining()
    if remaining <= 0 or call.watch.fired:
        raise FetchTimeout(f"total deadline exceeded before requesting {url}", url=url)
    check_url(url, call.policy)  # early, readable refusal; the adapter re-checks at connect time
    timeout = (min(settings.connect_timeout, remaining), min(settings.read_timeout, remaining))
    _sent.hooks = (call.before_send, url, call.after_send) if first else None
    try:
        return call.session.get(
            url, headers=call.headers, timeout=timeout, stream=True, allow_redirects=False
        )
    finally:
        _sent.hooks = None


def _finish(
    resp: requests.Response,
    url: str,
    final_url: str,
    settings: Settings,
    deadline: _Deadline,
    watch: SocketWatch,
    *,
    etag: str | None,
    last_modified: str | None,
    accept_feeds: bool,
    max_decoded: int,
    max_ratio: float,
    check_content_type: bool,
) -> FetchResult:
    with resp:
        status = resp.status_code
        hdrs = {k.lower(): v for k, v in resp.headers.items()}
        if status == 304:
            return FetchResult(
                url=url,
                final_url=final_url,
                status=304,
                headers=hdrs,
                body=b"",
                content_type=_mime(hdrs.get("content-type")) or None,
                etag=hdrs.get("etag", etag),
                last_modified=hdrs.get("last-modified", last_modified),
                not_modified=True,
            )
        if not 200 <= status < 300:
            raise _map_status(resp, final_url)

        declared = _mime(hdrs.get("content-type"))
        allowed = ALLOWED_TYPES | (FEED_EXTRA_TYPES if accept_feeds else frozenset())
        if check_content_type and declared not in allowed and declared not in SNIFF_TYPES:
            raise BadContentType(
                f"content type {declared!r} not accepted", url=final_url, status=status
            )
        length = hdrs.get("content-length", "")
        if length.isdigit() and int(length) > settings.max_body_bytes:
            raise TooLarge(
                f"Content-Length {length} exceeds {settings.max_body_bytes}",
                url=final_url,
                status=status,
            )

        body = _read_body(resp, settings, deadline, watch, max_decoded, max_ratio)

        content_type: str | None = declared or None
        if check_content_type:
            content_type = _check_body_type(declared, body, accept_feeds, final_url)
        return FetchResult(
            url=url,
            final_url=final_url,
            status=status,
            headers=hdrs,
            body=body,
            content_type=content_type,
            etag=hdrs.get("etag"),
            last_modified=hdrs.get("last-modified"),
        )


def _check_body_type(declared: str, body: bytes, accept_feeds: bool, url: str) -> str:
    if declared in SNIFF_TYPES or declared in FEED_EXTRA_TYPES:
        sniffed = sniff(body)
        if sniffed is None or (sniffed == "application/gzip" and not accept_feeds):
            what = "binary" if _is_binary(body) else "non-markup"
            raise BadContentType(f"{what} body served as {declared or 'no type'}", url=url)
        return sniffed
    if _is_binary(body) or (body.startswith(b"\x1f\x8b") and not accept_feeds):
        raise BadContentType(f"binary body served as {declared}", url=url)
    return declared


def _read_body(
    resp: requests.Response,
    settings: Settings,
    deadline: _Deadline,
    watch: SocketWatch,
    max_decoded: int,
    max_ratio: float,
) -> bytes:
    decoder = _Decoder(resp.headers.get("Content-Encoding"), max_decoded, max_ratio)
    raw = resp.raw
    out = bytearray()
    read: Callable[..., bytes] = raw.read1
    while True:
        if deadline.remaining() <= 0 or watch.fired:
            raise FetchTimeout(f"total deadline exceeded reading {resp.url}", url=resp.url)
        # read1: return what has arrived (one recv) so the deadline is checked between drips.
        chunk = read(CHUNK, decode_content=False)
        if not chunk:
            break
        if decoder.wire + len(chunk) > settings.max_body_bytes:
            raise TooLarge(f"body exceeds {settings.max_body_bytes} bytes", url=resp.url)
        out += decoder.feed(chunk)
    if watch.fired:  # the watchdog's shutdown looks like EOF
        raise FetchTimeout(f"total deadline exceeded reading {resp.url}", url=resp.url)
    decoder.check_complete()
    return bytes(out)
