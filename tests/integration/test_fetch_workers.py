"""The fetch stage on real workers: URLs go in through `manage.py enqueue`, two fetch
workers plus a parse and an enrich worker run them against a local HTTP server, and every
assertion is on the documents table (state, last_error_class, http_status, attempts) or on what
the server saw (requests, their headers and arrival times).

Worker settings (see tests/support/fetch_scenarios.py for why this module starts its own workers):
SSRF guard ON with only this module's server `127.0.0.1:PORT` allowlisted, 2 requests/s per host,
3 attempts, 0.5 s base backoff, a 3 s total deadline per fetch, a 2 MB body cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fetch_scenarios import (
    LocalServer6,
    Stack,
    arrivals,
    article_html,
    articles,
    document_rows,
    documents,
    gaps,
    poll_until,
    reset_server,
    running_stack,
    sequence,
)
from tests.support.httpserver import (
    LocalServer,
    Request,
    drip,
    endless,
    raw_encoded,
    redirect,
    static,
)

RATE = 2.0  # NEWSFLOW_RATE_PER_HOST for these workers
TOLERANCE = 0.1  # seconds of scheduling noise allowed on the server-side spacing
TOTAL_TIMEOUT = 3
MAX_ATTEMPTS = 3
MAX_BODY = 2_000_000


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def site() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def victims() -> Iterator[tuple[LocalServer, LocalServer6]]:
    """Private servers the SSRF guard must keep the workers away from (127.0.0.1 on another
    port, [::1]): if a redirect got through, their request logs would show it."""
    with LocalServer() as v4, LocalServer6(host="::1") as v6:
        yield v4, v6


@pytest.fixture(scope="module")
def stack(
    database: str, site: LocalServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    env = {
        "NEWSFLOW_ALLOW_PRIVATE_HOSTS": "0",
        "NEWSFLOW_PRIVATE_HOST_ALLOWLIST": site.hostport,
        "NEWSFLOW_RATE_PER_HOST": str(RATE),
        "NEWSFLOW_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        "NEWSFLOW_RETRY_BASE_DELAY": "0.5",
        "NEWSFLOW_RETRY_MAX_DELAY": "5",
        "NEWSFLOW_TOTAL_TIMEOUT": str(TOTAL_TIMEOUT),
        # below the 10 MB default: the endless body is cut sooner, and a bomb must still be
        # told from a merely large body whatever the cap
        "NEWSFLOW_MAX_BODY_BYTES": str(MAX_BODY),
    }
    workers = [("fetch-a", "fetch"), ("fetch-b", "fetch"), ("parse", "parse"), ("enrich", "enrich")]
    with running_stack(env, workers, Path(tmp_path_factory.mktemp("fetch-workers"))) as st:
        yield st


@pytest.fixture()
def run(clean_db: str, stack: Stack, site: LocalServer) -> Iterator[Stack]:
    """Empty tables, no cached robots.txt or rate-limit slot, a server with no routes."""
    stack.reset()
    reset_server(site)
    stack.pending_ok = False
    yield stack
    if not stack.pending_ok:
        stack.settle()  # nothing of this test may still run during the next one


def _done(run: Stack, site: LocalServer, *paths: str) -> dict[str, dict]:
    out = run.enqueue(*(site.url(p) for p in paths))
    assert f"{len(paths)} new" in out, out
    run.wait()
    docs = documents()
    assert set(paths) <= set(docs), docs.keys()
    return docs


# --------------------------------------------------------------------------- robots.txt
def test_robots_allow_and_deny(run: Stack, site: LocalServer) -> None:
    # our product token's group wins over '*', which would allow everything
    site.route(
        "/robots.txt",
        static(
            "User-agent: *\nDisallow:\n\nUser-agent: newsflow\nDisallow: /private/\n",
            content_type="text/plain",
        ),
    )
    site.route("/news/open", static(article_html("open")))
    site.route("/private/secret", static(article_html("secret")))

    docs = _done(run, site, "/news/open", "/private/secret")

    ok, denied = docs["/news/open"], docs["/private/secret"]
    assert ok["state"] == "enriched", ok
    assert ok["http_status"] == 200 and ok["attempts"] == 1 and ok["last_error_class"] is None
    assert denied["state"] == "failed", denied
    assert denied["last_error_class"] == "RobotsDisallowed"
    assert denied["attempts"] == 1  # permanent: not retried
    assert site.hits("/private/secret") == 0
    assert site.hits("/robots.txt") == 1  # fetched once, then shared through Redis


def test_redirect_into_disallowed_path_is_refused(run: Stack, site: LocalServer) -> None:
    """docs/fetching.md: redirect targets are checked against robots.txt before they are
    followed (RobotsDisallowed), so a redirect cannot smuggle the crawler into /private/."""
    site.route(
        "/robots.txt", static("User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    )
    site.route("/news/moved", redirect("/private/landing"))
    site.route("/private/landing", static(article_html("landing")))

    docs = _done(run, site, "/news/moved")

    doc = docs["/news/moved"]
    assert site.hits("/private/landing") == 0, "the worker followed a redirect robots.txt forbids"
    assert doc["state"] == "failed", doc
    assert doc["last_error_class"] == "RobotsDisallowed"


def test_crawl_delay_spaces_requests_at_the_server(run: Stack, site: LocalServer) -> None:
    delay = 1.5  # longer than the 0.5 s the configured rate asks for
    site.route(
        "/robots.txt", static(f"User-agent: *\nCrawl-delay: {delay}\n", content_type="text/plain")
    )
    paths = [f"/slow-site/{i}" for i in range(3)]
    for p in paths:
        site.route(p, static(article_html(p)))

    docs = _done(run, site, *paths)

    assert all(docs[p]["state"] == "enriched" for p in paths), docs
    spacing = gaps(arrivals(site, "/slow-site/"))
    assert len(spacing) == 2 and min(spacing) >= delay - TOLERANCE, spacing


# --------------------------------------------------------------------------- retries
def test_429_with_retry_after_is_rescheduled_then_succeeds(run: Stack, site: LocalServer) -> None:
    retry_after = 2
    site.route(
        "/busy",
        sequence(
            static(
                b"slow down",
                status=429,
                content_type="text/plain",
                headers={"Retry-After": str(retry_after)},
            ),  # fmt: skip
            static(article_html("busy")),
        ),
    )
    run.enqueue(site.url("/busy"))

    def rescheduled() -> dict | None:
        """the document is 'retrying' with the 429 recorded"""
        doc = documents().get("/busy")
        return doc if doc and doc["state"] == "retrying" else None

    doc = poll_until(rescheduled, timeout=10, interval=0.05)
    assert doc["last_error_class"] == "RateLimited" and doc["http_status"] == 429, doc
    assert doc["attempts"] == 1

    run.wait()
    doc = documents()["/busy"]
    assert doc["state"] == "enriched", doc
    assert doc["attempts"] == 2 and doc["http_status"] == 200
    assert doc["last_error_class"] is None  # cleared by the success
    spacing = gaps(arrivals(site, "/busy"))
    assert len(spacing) == 1 and spacing[0] >= retry_after - TOLERANCE, spacing


def test_500_then_200_is_retried_and_enriched(run: Stack, site: LocalServer) -> None:
    site.route(
        "/flaky",
        sequence(static(b"<html><body>oops</body></html>", status=500), static(article_html("f"))),
    )
    docs = _done(run, site, "/flaky")

    doc = docs["/flaky"]
    assert doc["state"] == "enriched", doc
    assert doc["attempts"] == 2 and doc["http_status"] == 200 and doc["last_error_class"] is None
    assert site.hits("/flaky") == 2
    assert articles()["/flaky"]["enriched_at"] is not None


def test_persistent_500_fails_after_max_attempts(run: Stack, site: LocalServer) -> None:
    site.route("/down", static(b"<html><body>down</body></html>", status=500))
    docs = _done(run, site, "/down")

    doc = docs["/down"]
    assert doc["state"] == "failed", doc
    assert doc["last_error_class"] == "ServerError" and doc["http_status"] == 500
    assert doc["attempts"] == MAX_ATTEMPTS and site.hits("/down") == MAX_ATTEMPTS


def test_slow_drip_hits_total_deadline_and_fails_after_retries(
    run: Stack, site: LocalServer
) -> None:
    # one byte every 0.3 s: each read is quick, only the total deadline can stop it
    site.route("/drip", drip(chunks=60, delay=0.3))
    docs = _done(run, site, "/drip")

    doc = docs["/drip"]
    assert doc["state"] == "failed", doc
    assert doc["last_error_class"] == "FetchTimeout"
    assert doc["attempts"] == MAX_ATTEMPTS and site.hits("/drip") == MAX_ATTEMPTS
    assert doc["raw_size"] is None


# --------------------------------------------------------------------------- limits
def test_endless_body_is_too_large(run: Stack, site: LocalServer) -> None:
    site.route("/endless", endless())
    docs = _done(run, site, "/endless")

    doc = docs["/endless"]
    assert doc["state"] == "failed", doc
    assert doc["last_error_class"] == "TooLarge" and doc["attempts"] == 1
    assert site.hits("/endless") == 1  # permanent: not retried


def test_gzip_bomb_is_refused(run: Stack, site: LocalServer) -> None:
    # 32 MiB of zeros in ~32 KB of gzip: ~1000x, far over the 100x ratio and the 2 MB cap
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = b"".join(z.compress(b"\0" * (1 << 20)) for _ in range(32)) + z.flush()
    site.route("/bomb", raw_encoded(bomb, encoding="gzip"))
    docs = _done(run, site, "/bomb")

    doc = docs["/bomb"]
    assert doc["state"] == "failed", doc
    assert doc["last_error_class"] == "DecompressionBomb" and doc["attempts"] == 1


def test_redirect_loop_fails(run: Stack, site: LocalServer) -> None:
    site.route("/loop/a", redirect("/loop/b"))
    site.route("/loop/b", redirect("/loop/a", status=301))
    docs = _done(run, site, "/loop/a")

    doc = docs["/loop/a"]
    assert doc["state"] == "failed", doc
    assert doc["last_error_class"] == "RedirectLoop" and doc["attempts"] == 1
    assert site.hits("/loop/a") == 1 and site.hits("/loop/b") == 1


def test_redirects_to_private_addresses_are_blocked(
    run: Stack, site: LocalServer, victims: tuple[LocalServer, LocalServer6]
) -> None:
    v4, v6 = victims
    reset_server(v4)
    reset_server(v6)
    for v in victims:
        v.route("/admin", static(article_html("internal")))
    targets = {
        "/to/loopback": v4.url("/admin"),  # 127.0.0.1, but not the allowlisted port
        "/to/localhost": f"http://localhost:{v4.port}/admin",
        "/to/metadata": "http://169.254.169.254/latest/meta-data/",
        "/to/ipv6-loopback": v6.url("/admin"),
    }
    for path, target in targets.items():
        site.route(path, redirect(target))
    site.route("/fine", static(article_html("fine")))  # the allowlisted server itself is fetched

    docs = _done(run, site, *targets, "/fine")

    for path in targets:
        doc = docs[path]
        assert doc["state"] == "failed", (path, doc)
        assert doc["last_error_class"] == "BlockedAddress", (path, doc)
        assert doc["attempts"] == 1, (path, doc)
        assert site.hits(path) == 1
    assert v4.requests == [] and v6.requests == []  # not one packet reached them
    assert docs["/fine"]["state"] == "enriched", docs["/fine"]


def test_private_url_enqueued_directly_is_blocked(
    run: Stack, victims: tuple[LocalServer, LocalServer6]
) -> None:
    v4, v6 = victims
    reset_server(v4)
    reset_server(v6)
    urls = [v4.url("/x"), v6.url("/x"), "http://169.254.169.254/latest/meta-data/"]
    assert "3 new" in run.enqueue(*urls)
    run.wait()

    docs = document_rows()
    assert len(docs) == 3
    for doc in docs:
        assert doc["state"] == "failed" and doc["last_error_class"] == "BlockedAddress", doc
    assert v4.requests == [] and v6.requests == []  # robots.txt included


# --------------------------------------------------------------------------- content types
PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 4


def test_binary_and_wrong_content_types_are_refused(run: Stack, site: LocalServer) -> None:
    site.route("/photo", static(PNG, content_type="image/png"))
    site.route("/disguised", static(PNG, content_type="text/html"))  # binary claiming HTML
    site.route("/untyped.pdf", static(b"%PDF-1.7\n" + bytes(range(256)), content_type=None))
    site.route("/api", static(b'{"title": "not a page"}', content_type="application/json"))
    paths = ["/photo", "/disguised", "/untyped.pdf", "/api"]
    docs = _done(run, site, *paths)

    for path in paths:
        doc = docs[path]
        assert doc["state"] == "failed", (path, doc)
        assert doc["last_error_class"] == "BadContentType", (path, doc)
        assert doc["attempts"] == 1 and site.hits(path) == 1, (path, doc)
    # refused on the declared type: the response status is on record
    assert docs["/photo"]["http_status"] == 200 and docs["/api"]["http_status"] == 200


# --------------------------------------------------------------------------- rate limit
def test_two_fetch_workers_keep_a_host_under_its_rate(run: Stack, site: LocalServer) -> None:
    paths = [f"/rate/{i}" for i in range(10)]
    for p in paths:
        site.route(p, static(article_html(p)))

    docs = _done(run, site, *paths)

    assert all(docs[p]["state"] == "enriched" for p in paths), {p: docs[p]["state"] for p in paths}
    assert all(docs[p]["attempts"] == 1 for p in paths)  # deferrals are not attempts
    times = arrivals(site, "/rate/")
    assert len(times) == 10
    spacing = gaps(times)
    assert min(spacing) >= 1 / RATE - TOLERANCE, [round(g, 3) for g in spacing]
    # both workers took part (otherwise one worker alone would trivially keep the spacing)
    for name in ("fetch-a", "fetch-b"):
        assert "newsflow.fetch[" in run.log(name), f"{name} ran no fetch task"


# --------------------------------------------------------------------------- conditional GET
def test_refetch_answered_304_keeps_the_stored_page(run: Stack, site: LocalServer) -> None:
    """A document re-sent to fetch (`manage.py retry --state enriched`) asks with its stored
    ETag; a 304 means the stored page is still right, so it must not be replaced by the empty
    304 body (which the parser would then reject)."""
    page, etag = article_html("unchanged"), '"page-v1"'

    def handler(req: Request) -> None:
        if req.headers.get("If-None-Match") == etag:
            req.respond(304, headers={"ETag": etag})
        else:
            req.respond(200, page, {"Content-Type": "text/html; charset=utf-8", "ETag": etag})

    site.route("/unchanged", handler)
    first = _done(run, site, "/unchanged")["/unchanged"]
    assert first["state"] == "enriched" and first["etag"] == etag, first
    body = articles()["/unchanged"]["body"]

    out = run.manage("retry", "--state", "enriched")
    assert out.returncode == 0, out.stderr
    run.wait()

    sent = site.recorded("/unchanged")
    assert len(sent) == 2 and sent[1].headers.get("If-None-Match") == etag
    doc = documents()["/unchanged"]
    assert doc["state"] == "enriched", doc
    assert doc["raw_size"] == first["raw_size"], doc  # the stored page was kept
    assert articles()["/unchanged"]["body"] == body


# --------------------------------------------------------------------------- keep this last
def test_unreachable_robots_txt_reschedules_instead_of_failing(
    run: Stack, site: LocalServer
) -> None:
    """docs/fetching.md: a robots.txt answering 5xx means "disallow everything *for a short
    while*" - the site is temporarily off-limits, so its documents must be rescheduled, not
    failed for good as if robots.txt forbade them.

    Last in the module: a correct implementation leaves a fetch scheduled minutes ahead, which
    no later test may meet; the module's workers are stopped and its Redis DB flushed after it.
    """
    site.route(
        "/robots.txt",
        static(b"maintenance", status=503, content_type="text/plain", headers={"Retry-After": "1"}),
    )
    site.route("/news/during-outage", static(article_html("outage")))
    run.pending_ok = True
    assert "1 new" in run.enqueue(site.url("/news/during-outage"))

    def attempted() -> dict | None:
        """the first attempt is over"""
        doc = documents().get("/news/during-outage")
        return doc if doc and doc["state"] not in ("queued", "fetching") else None

    doc = poll_until(attempted, timeout=15, interval=0.05)
    assert site.hits("/news/during-outage") == 0  # robots.txt unknown: the page is not fetched
    assert doc["state"] == "retrying", doc
