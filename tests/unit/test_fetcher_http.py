"""fetch() against a real local HTTP server: status mapping, limits, redirects, types, 304."""

from __future__ import annotations

import dataclasses
import gzip
import shutil
import socket
import ssl
import subprocess
import time
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from services.fetcher import errors as E
from services.fetcher.http import fetch, make_session, parse_retry_after, sniff
from shared.config import Settings
from tests.support.httpserver import (
    LocalServer,
    Request,
    drip,
    drip_headers,
    endless,
    gzipped,
    raw_encoded,
    redirect,
    static,
)

HTML = b"<!doctype html><html><head><title>t</title></head><body><p>Hello</p></body></html>"


def cfg(**kw: object) -> Settings:
    """Test settings: the local server is on 127.0.0.1, so private hosts are allowed here."""
    base = dict(
        allow_private_hosts=True,
        connect_timeout=2.0,
        read_timeout=2.0,
        total_timeout=5.0,
        user_agent="newsflow-test/9.9 (+https://example.invalid/bot)",
    )
    base.update(kw)
    return dataclasses.replace(Settings(), **base)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- success paths
def test_plain_html_and_user_agent(srv: LocalServer) -> None:
    srv.route("/a", static(HTML, headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024"}))
    res = fetch(srv.url("/a"), settings=cfg())
    assert res.status == 200 and res.body == HTML and not res.not_modified
    assert res.content_type == "text/html"
    assert res.url == res.final_url == srv.url("/a")
    assert res.etag == '"v1"' and res.last_modified == "Mon, 01 Jan 2024"
    assert res.headers["content-type"].startswith("text/html")
    seen = srv.recorded("/a")[0].headers
    assert seen["User-Agent"] == "newsflow-test/9.9 (+https://example.invalid/bot)"
    assert "gzip" in seen["Accept-Encoding"]


def test_gzip_and_deflate_bodies_are_decoded(srv: LocalServer) -> None:
    srv.route("/gz", gzipped(HTML))
    srv.route("/zlib", raw_encoded(zlib.compress(HTML), encoding="deflate"))
    raw = zlib.compressobj(wbits=-15)
    srv.route("/rawdeflate", raw_encoded(raw.compress(HTML) + raw.flush(), encoding="deflate"))
    for path in ("/gz", "/zlib", "/rawdeflate"):
        assert fetch(srv.url(path), settings=cfg()).body == HTML, path


def test_brotli_body_is_decoded(srv: LocalServer) -> None:
    brotli = pytest.importorskip("brotli")
    srv.route("/br", raw_encoded(brotli.compress(HTML), encoding="br"))
    assert fetch(srv.url("/br"), settings=cfg()).body == HTML


def test_redirect_chain_within_limit(srv: LocalServer) -> None:
    for i in range(3):
        srv.route(f"/r{i}", redirect(f"/r{i + 1}", status=301 if i % 2 else 302))
    srv.route("/r3", static(HTML))
    res = fetch(srv.url("/r0"), settings=cfg(max_redirects=3))
    assert res.final_url == srv.url("/r3") and res.url == srv.url("/r0") and res.body == HTML


def test_missing_content_type_is_sniffed(srv: LocalServer) -> None:
    srv.route("/n", static(HTML, content_type=None))
    srv.route("/o", static(HTML, content_type="application/octet-stream"))
    assert fetch(srv.url("/n"), settings=cfg()).content_type == "text/html"
    assert fetch(srv.url("/o"), settings=cfg()).content_type == "text/html"


def test_feed_types_accepted(srv: LocalServer) -> None:
    rss = b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>'
    srv.route("/rss", static(rss, content_type="application/rss+xml"))
    srv.route("/atom", static(b"<feed xmlns='http://www.w3.org/2005/Atom'/>", content_type=None))
    srv.route("/sm.xml.gz", static(gzip.compress(b"<urlset/>"), content_type="application/gzip"))
    assert fetch(srv.url("/rss"), settings=cfg()).content_type == "application/rss+xml"
    assert fetch(srv.url("/atom"), settings=cfg()).content_type == "application/atom+xml"
    res = fetch(srv.url("/sm.xml.gz"), settings=cfg(), accept_feeds=True)
    assert res.body.startswith(b"\x1f\x8b")  # a gzip *file*: discovery gunzips it
    with pytest.raises(E.BadContentType):  # not for article fetches
        fetch(srv.url("/sm.xml.gz"), settings=cfg())


# --------------------------------------------------------------------------- conditional GET
def test_etag_304_not_modified(srv: LocalServer) -> None:
    def conditional(req: Request) -> None:
        if req.headers.get("If-None-Match") == '"v2"':
            req.respond(304, headers={"ETag": '"v2"'})
        else:
            req.respond(200, HTML, {"Content-Type": "text/html", "ETag": '"v2"'})

    srv.route("/c", conditional)
    first = fetch(srv.url("/c"), settings=cfg())
    assert first.status == 200 and first.etag == '"v2"'
    second = fetch(srv.url("/c"), settings=cfg(), etag=first.etag, last_modified="Sun, 01 Jan 2023")
    assert second.not_modified and second.status == 304 and second.body == b""
    assert second.etag == '"v2"'
    last = srv.recorded("/c")[-1].headers
    assert last["If-None-Match"] == '"v2"'
    assert last["If-Modified-Since"] == "Sun, 01 Jan 2023"


# --------------------------------------------------------------------------- status mapping
def test_429_retry_after_seconds(srv: LocalServer) -> None:
    srv.route("/429", static(b"slow down", status=429, headers={"Retry-After": "120"}))
    with pytest.raises(E.RateLimited) as ei:
        fetch(srv.url("/429"), settings=cfg())
    assert ei.value.transient and ei.value.status == 429 and ei.value.retry_after == 120.0


def test_503_retry_after_http_date(srv: LocalServer) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=300), usegmt=True)
    srv.route("/503", static(b"", status=503, headers={"Retry-After": when}))
    with pytest.raises(E.ServiceUnavailable) as ei:
        fetch(srv.url("/503"), settings=cfg())
    assert ei.value.transient and ei.value.status == 503
    assert ei.value.retry_after is not None and 200 < ei.value.retry_after <= 300


@pytest.mark.parametrize(
    ("status", "exc", "transient"),
    [
        (500, E.ServerError, True),
        (502, E.ServerError, True),
        (408, E.RequestTimeout, True),
        (404, E.ClientError, False),
        (410, E.ClientError, False),
        (403, E.ClientError, False),
    ],
)
def test_status_mapping(srv: LocalServer, status: int, exc: type, transient: bool) -> None:
    srv.route("/s", static(b"x", status=status))
    with pytest.raises(exc) as ei:
        fetch(srv.url("/s"), settings=cfg())
    assert ei.value.status == status and ei.value.transient is transient


def test_parse_retry_after() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Mon, 01 Jan 2024 00:01:00 GMT", now) == 60.0
    assert parse_retry_after("Sun, 31 Dec 2023 00:00:00 GMT", now) == 0.0  # past: now
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_connection_refused_is_transient() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(E.ConnectionFailed) as ei:
        fetch(f"http://127.0.0.1:{port}/", settings=cfg())
    assert ei.value.transient


def test_rate_limit_store_outage_is_not_the_pages_fault(srv: LocalServer) -> None:
    """Redis down in the per-host slot hooks: the outage propagates as itself (the task retries
    the batch) instead of becoming ConnectionFailed, an attempt charged to the page."""
    srv.route("/a", static(HTML))

    def redis_down(*_args: object) -> None:
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")

    shared = make_session(cfg(), per_host=2)  # the downloader's session: it runs the hooks
    for hook in ("before_send", "after_send"):
        with pytest.raises(RedisConnectionError):
            fetch(srv.url("/a"), settings=cfg(), session=shared, **{hook: redis_down})


# --------------------------------------------------------------------------- limits
def test_slow_drip_hits_total_deadline(srv: LocalServer) -> None:
    srv.route("/drip", drip(chunks=100, delay=0.1))  # 10 s if left alone; each read is quick
    with pytest.raises(E.FetchTimeout) as ei:
        fetch(srv.url("/drip"), settings=cfg(total_timeout=1.0, read_timeout=5.0))
    assert ei.value.transient


def test_slow_headers_hit_total_deadline(srv: LocalServer) -> None:
    # Each header byte arrives well within read_timeout: only the watchdog can stop this.
    sent: list[int] = []
    srv.route("/slowhead", drip_headers(delay=0.1, count=60, sent=sent))
    with pytest.raises(E.FetchTimeout):
        fetch(srv.url("/slowhead"), settings=cfg(total_timeout=1.0, read_timeout=5.0))
    end = time.monotonic() + 10
    while not sent and time.monotonic() < end:
        time.sleep(0.05)  # the server notices the hang-up on its next write
    assert sent and sent[0] < 60  # cut by the watchdog, not waited out


def test_endless_body_hits_size_cap(srv: LocalServer) -> None:
    srv.route("/endless", endless())
    with pytest.raises(E.TooLarge) as ei:
        fetch(srv.url("/endless"), settings=cfg(max_body_bytes=512 * 1024))
    assert not ei.value.transient


def test_declared_length_over_cap_is_refused_before_reading(srv: LocalServer) -> None:
    srv.route("/big", static(b"a" * 300_000))
    with pytest.raises(E.TooLarge):
        fetch(srv.url("/big"), settings=cfg(max_body_bytes=100_000))


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """64 MiB of zeros gzip-compressed to ~64 KiB."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    return b"".join(z.compress(block) for _ in range(64)) + z.flush()


def test_gzip_bomb_over_decoded_cap(srv: LocalServer, bomb: bytes) -> None:
    srv.route("/bomb", raw_encoded(bomb, encoding="gzip"))
    with pytest.raises(E.DecompressionBomb) as ei:
        fetch(srv.url("/bomb"), settings=cfg(max_body_bytes=10 * 1024 * 1024))
    assert not ei.value.transient


def test_gzip_bomb_caught_by_ratio_under_cap(srv: LocalServer, bomb: bytes) -> None:
    # Decoded cap is huge here, so only the expansion-ratio check can stop it.
    srv.route("/bomb", raw_encoded(bomb, encoding="gzip"))
    with pytest.raises(E.DecompressionBomb, match="expands"):
        fetch(srv.url("/bomb"), settings=cfg(), max_decoded_bytes=1 << 30)


def test_brotli_bomb(srv: LocalServer) -> None:
    brotli = pytest.importorskip("brotli")
    srv.route("/brbomb", raw_encoded(brotli.compress(b"\0" * (16 << 20), quality=5), encoding="br"))
    with pytest.raises(E.DecompressionBomb):
        fetch(srv.url("/brbomb"), settings=cfg())


def test_truncated_gzip_is_a_connection_failure(srv: LocalServer) -> None:
    srv.route("/trunc", raw_encoded(gzip.compress(HTML * 50)[:-20], encoding="gzip"))
    with pytest.raises(E.ConnectionFailed):
        fetch(srv.url("/trunc"), settings=cfg())


# --------------------------------------------------------------------------- redirects
def test_redirect_loop(srv: LocalServer) -> None:
    srv.route("/a", redirect("/b"))
    srv.route("/b", redirect(srv.url("/a")))
    with pytest.raises(E.RedirectLoop):
        fetch(srv.url("/a"), settings=cfg(max_redirects=10))
    assert srv.hits("/a") == 1 and srv.hits("/b") == 1  # stopped at the first repeat


def test_self_redirect_with_tracking_param_is_a_loop(srv: LocalServer) -> None:
    srv.route("/self", redirect("/self?utm_source=x"))
    with pytest.raises(E.RedirectLoop):
        fetch(srv.url("/self"), settings=cfg())


def test_too_many_redirects(srv: LocalServer) -> None:
    for i in range(10):
        srv.route(f"/h{i}", redirect(f"/h{i + 1}"))
    with pytest.raises(E.TooManyRedirects):
        fetch(srv.url("/h0"), settings=cfg(max_redirects=3))
    assert srv.hits("/h4") == 0  # hops 0..3 requested, the 4th redirect not followed


def test_redirect_without_location_and_to_bad_scheme(srv: LocalServer) -> None:
    srv.route("/noloc", static(b"", status=302, content_type=None))
    srv.route("/ftp", redirect("ftp://example.com/file"))
    with pytest.raises(E.ClientError):
        fetch(srv.url("/noloc"), settings=cfg())
    with pytest.raises(E.BadScheme):
        fetch(srv.url("/ftp"), settings=cfg())


# --------------------------------------------------------------------------- content types
PNG = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + bytes(range(256))


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (PNG, "image/png"),  # honest binary
        (PNG, "text/html"),  # binary lying about its type
        (PNG, None),  # binary, no type: sniffed
        (b"%PDF-1.7\n...", "application/octet-stream"),
        (b'{"a": 1}', "application/json"),  # wrong type
        (b"just words, no markup", None),
        (HTML, "text/plain"),  # text/plain pages are not articles (feeds mode only)
    ],
)
def test_bad_content_types(srv: LocalServer, body: bytes, ctype: str | None) -> None:
    srv.route("/x", static(body, content_type=ctype))
    with pytest.raises(E.BadContentType):
        fetch(srv.url("/x"), settings=cfg())


def test_unknown_content_encoding(srv: LocalServer) -> None:
    srv.route("/z", raw_encoded(b"whatever", encoding="compress"))
    with pytest.raises(E.BadContentType):
        fetch(srv.url("/z"), settings=cfg())


def test_invalid_urls() -> None:
    with pytest.raises(E.BadScheme):
        fetch("file:///etc/passwd", settings=cfg())
    with pytest.raises(E.InvalidURL):
        fetch("http://", settings=cfg())
    with pytest.raises(E.InvalidURL):
        fetch("not a url", settings=cfg())


def test_sniff() -> None:
    assert sniff(b"\xef\xbb\xbf  <!DOCTYPE html><html>") == "text/html"
    assert sniff(b'<?xml version="1.0"?>\n<rss version="2.0">') == "application/rss+xml"
    assert sniff(b"<?xml version='1.0'?><urlset>") == "application/xml"
    assert sniff("<html>".encode("utf-16")) == "text/html"
    assert sniff(PNG) is None and sniff(b"hello") is None


# --------------------------------------------------------------------------- more edges
def test_read_timeout_before_headers(srv: LocalServer) -> None:
    def stall(req: Request) -> None:
        time.sleep(1.5)
        req.respond(200, HTML, {"Content-Type": "text/html"})

    srv.route("/stall", stall)
    with pytest.raises(E.FetchTimeout):
        fetch(srv.url("/stall"), settings=cfg(read_timeout=0.3))


def test_utf8_location_header(srv: LocalServer) -> None:
    def moved(req: Request) -> None:
        # raw UTF-8 bytes in the header, as many servers send them
        h = req.handler
        h.send_response(302)
        h.send_header("Location", "/新闻".encode().decode("latin-1"))
        h.send_header("Content-Length", "0")
        h.end_headers()

    srv.route("/moved", moved)
    srv.route("/%E6%96%B0%E9%97%BB", static(HTML))
    res = fetch(srv.url("/moved"), settings=cfg())
    assert res.body == HTML and res.final_url == srv.url("/新闻")


def test_max_bytes_override(srv: LocalServer) -> None:
    srv.route("/big", static(b"<html>" + b"a" * 300_000 + b"</html>"))
    with pytest.raises(E.TooLarge):
        fetch(srv.url("/big"), settings=cfg(max_body_bytes=100_000))
    assert len(fetch(srv.url("/big"), settings=cfg(max_body_bytes=100_000), max_bytes=1 << 20).body)


def test_deflate_in_one_byte_pieces(srv: LocalServer) -> None:
    data = zlib.compress(HTML)

    def trickle(req: Request) -> None:
        req.respond(
            200,
            b"",
            {"Content-Type": "text/html", "Content-Encoding": "deflate"},
            content_length=False,
        )
        for i in range(len(data)):
            req.write(data[i : i + 1])

    srv.route("/trickle", trickle)
    assert fetch(srv.url("/trickle"), settings=cfg()).body == HTML


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for `localhost` (openssl CLI)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not available")
    d = tmp_path_factory.mktemp("tls")
    cert, key = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_https_keeps_hostname_verification(tls_files: tuple[str, str]) -> None:
    """The guard connects to the vetted IP, yet TLS must still verify the *name*."""
    cert, key = tls_files
    with LocalServer(host="127.0.0.1") as tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        tls._httpd.socket = ctx.wrap_socket(tls._httpd.socket, server_side=True)
        tls.route("/s", static(HTML))
        s = cfg(allow_private_hosts=False, private_host_allowlist=(f"localhost:{tls.port}",))
        session = make_session(s)
        session.verify = cert  # trust our self-signed CA
        res = fetch(f"https://localhost:{tls.port}/s", settings=s, session=session)
        assert res.body == HTML
        # same certificate, but the name asked for (127.0.0.1) is not in it: refused
        s2 = cfg(allow_private_hosts=True)
        session2 = make_session(s2)
        session2.verify = cert
        with pytest.raises(E.ConnectionFailed, match="(?i)certificate|hostname|match"):
            fetch(f"https://127.0.0.1:{tls.port}/s", settings=s2, session=session2)
        # and untrusted by default
        with pytest.raises(E.ConnectionFailed):
            fetch(f"https://localhost:{tls.port}/s", settings=s2)


def test_one_watchdog_thread_serves_every_deadline() -> None:
    """The total deadline of every fetch is kept by one thread: an earlier deadline armed after
    a later one still fires on time, a disarmed one never fires, and fetches start no thread."""
    import threading

    from services.fetcher.http import _Watchdog
    from services.fetcher.ssrf import SocketWatch

    dog = _Watchdog()
    late, early, disarmed = SocketWatch(), SocketWatch(), SocketWatch()
    dog.arm(time.monotonic() + 60, late)
    dog.disarm(dog.arm(time.monotonic() + 0.05, disarmed))
    dog.arm(time.monotonic() + 0.1, early)
    deadline = time.monotonic() + 5
    while not early.fired and time.monotonic() < deadline:
        time.sleep(0.01)
    assert early.fired and not late.fired and not disarmed.fired
    before = threading.active_count()
    for _ in range(20):
        dog.disarm(dog.arm(time.monotonic() + 30, SocketWatch()))
    assert threading.active_count() == before


def test_after_send_knows_whether_the_request_opened_its_connection(srv: LocalServer) -> None:
    """The rate limit restarts with more slack after a request that opened its connection (the
    server reads it later than one on a kept-alive connection): after_send can tell which."""
    from services.fetcher.http import sent_on_new_connection

    srv.route("/a", static(HTML))
    shared = make_session(cfg(), per_host=1)  # keep-alive, as the downloader's
    fresh: list[bool] = []
    for _ in range(3):
        fetch(srv.url("/a"), settings=cfg(), session=shared,
              after_send=lambda: fresh.append(sent_on_new_connection()))  # fmt: skip
    assert fresh[0] is True
    assert fresh[1:] == [False, False]  # the kept-alive connection
