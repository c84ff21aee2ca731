"""robots.txt through a real local server and real Redis (own DB in 11-14, flushed)."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from services.fetcher.robots import RobotsCache, check_robots, product_token
from shared.config import Settings
from tests.support.httpserver import LocalServer, Request, claim_redis_db, redirect, static

ROBOTS = """
User-agent: *
Disallow: /

User-agent: newsflow
Allow: /
Disallow: /secret
Crawl-delay: 3
"""


@pytest.fixture(scope="module")
def rds() -> Iterator[redis.Redis]:
    with claim_redis_db() as client:
        yield client


@pytest.fixture()
def r(rds: redis.Redis) -> redis.Redis:
    rds.flushdb()  # never depend on leftovers from another test
    return rds


def cfg(**kw: object) -> Settings:
    base = dict(
        allow_private_hosts=True,
        total_timeout=3.0,
        connect_timeout=1.0,
        read_timeout=2.0,
        user_agent="newsflow/0.1 (+https://example.invalid/bot)",
        robots_ttl=3600,
    )
    base.update(kw)
    return dataclasses.replace(Settings(), **base)  # type: ignore[arg-type]


def test_product_token() -> None:
    assert product_token("newsflow/0.1 (+https://github.com/x)") == "newsflow"
    assert product_token("Mozilla/5.0 (compatible; Foo)") == "mozilla"


def test_allow_deny_crawl_delay_and_single_fetch(srv: LocalServer, r: redis.Redis) -> None:
    srv.route("/robots.txt", static(ROBOTS, content_type="text/plain"))
    s = cfg()
    d = check_robots(srv.url("/news/1"), r, s)
    assert d.allowed and d.crawl_delay == 3.0 and d.source == "rules" and d.status == 200
    assert not check_robots(srv.url("/secret/x"), r, s).allowed
    # another worker (new cache object, same Redis) reuses the cached copy
    assert RobotsCache(r, settings=s).check(srv.url("/a")).allowed
    # other bots fall under "*": disallowed everywhere
    assert not RobotsCache(r, settings=s).check(srv.url("/a"), "otherbot/1.0").allowed
    assert srv.hits("/robots.txt") == 1


def test_cache_ttl_is_robots_ttl(srv: LocalServer, r: redis.Redis) -> None:
    srv.route("/robots.txt", static(ROBOTS, content_type="text/plain"))
    cache = RobotsCache(r, settings=cfg(robots_ttl=1234), prefix="t:")
    cache.check(srv.url("/"))
    ttl = r.ttl(f"t:robots:entry:http://127.0.0.1:{srv.port}")
    assert 1200 < ttl <= 1234


def test_404_allows_everything(srv: LocalServer, r: redis.Redis) -> None:
    d = check_robots(srv.url("/anything"), r, cfg())
    assert d.allowed and d.source == "no-robots" and d.status == 404 and d.crawl_delay is None


def test_403_allows_everything_like_google(srv: LocalServer, r: redis.Redis) -> None:
    srv.route("/robots.txt", static("no", status=403, content_type="text/plain"))
    assert check_robots(srv.url("/x"), r, cfg()).allowed


def test_5xx_disallows_temporarily(srv: LocalServer, r: redis.Redis) -> None:
    srv.route("/robots.txt", static("oops", status=500, content_type="text/plain"))
    cache = RobotsCache(r, settings=cfg(), prefix="t:", error_ttl=120)
    d = cache.check(srv.url("/x"))
    assert not d.allowed and d.source == "unreachable" and d.status == 500
    assert 0 < r.ttl(f"t:robots:entry:http://127.0.0.1:{srv.port}") <= 120  # short, not 1 h
    # once the entry expires and the server recovers, rules apply again
    srv.route("/robots.txt", static(ROBOTS, content_type="text/plain"))
    cache.invalidate(srv.url("/"))
    assert cache.check(srv.url("/x")).allowed


def test_429_disallows_temporarily_honouring_retry_after(srv: LocalServer, r: redis.Redis) -> None:
    srv.route("/robots.txt", static("", status=429, headers={"Retry-After": "300"}))
    cache = RobotsCache(r, settings=cfg(), prefix="t:", error_ttl=60)
    assert not cache.check(srv.url("/x")).allowed
    assert 250 < r.ttl(f"t:robots:entry:http://127.0.0.1:{srv.port}") <= 300


def test_unreachable_host_disallows(r: redis.Redis) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    d = check_robots(f"http://127.0.0.1:{port}/x", r, cfg())
    assert not d.allowed and d.source == "unreachable"


def test_outage_uses_last_good_copy(srv: LocalServer, r: redis.Redis) -> None:
    srv.route("/robots.txt", static(ROBOTS, content_type="text/plain"))
    cache = RobotsCache(r, settings=cfg())
    assert cache.check(srv.url("/ok")).allowed
    cache.invalidate(srv.url("/"))  # as if robots_ttl had passed
    srv.route("/robots.txt", static("down", status=503))
    d = cache.check(srv.url("/ok"))
    assert d.allowed and d.source == "stale-rules"
    assert not cache.check(srv.url("/secret")).allowed


def test_redirect_loop_counts_as_no_robots(srv: LocalServer, r: redis.Redis) -> None:
    srv.route("/robots.txt", redirect("/r2"))
    srv.route("/r2", redirect("/robots.txt"))
    d = check_robots(srv.url("/x"), r, cfg())
    assert d.allowed and d.source == "no-robots"


def test_robots_redirect_followed(srv: LocalServer, r: redis.Redis) -> None:
    srv.route("/robots.txt", redirect("/real-robots.txt", status=301))
    srv.route("/real-robots.txt", static("User-agent: *\nDisallow: /private\n", content_type=None))
    assert not check_robots(srv.url("/private/1"), r, cfg()).allowed
    assert check_robots(srv.url("/public/1"), r, cfg()).allowed


def test_request_rate_becomes_crawl_delay(srv: LocalServer, r: redis.Redis) -> None:
    # "1/10s"; note Protego 0.5 reads a unit-less "1/10" as 1 per 1 s (last char = unit).
    srv.route("/robots.txt", static("User-agent: *\nRequest-rate: 1/10s\n", content_type=None))
    assert check_robots(srv.url("/x"), r, cfg()).crawl_delay == 10.0


def test_bom_and_sitemaps(srv: LocalServer, r: redis.Redis) -> None:
    body = "\ufeffUser-agent: newsflow\nDisallow: /x\nSitemap: https://s.example/sitemap.xml\n"
    srv.route("/robots.txt", static(body.encode("utf-8"), content_type="text/plain"))
    cache = RobotsCache(r, settings=cfg())
    assert not cache.check(srv.url("/x/1")).allowed  # BOM did not hide the first group
    assert cache.sitemaps(srv.url("/")) == ["https://s.example/sitemap.xml"]


def test_hop_guard_stops_redirect_into_disallowed_path(srv: LocalServer, r: redis.Redis) -> None:
    from services.fetcher.errors import RobotsDisallowed
    from services.fetcher.http import fetch

    srv.route("/robots.txt", static(ROBOTS, content_type="text/plain"))
    srv.route("/go", redirect("/secret/page"))
    srv.route("/secret/page", static("<html>secret</html>"))
    cache = RobotsCache(r, settings=cfg())
    with pytest.raises(RobotsDisallowed):
        fetch(srv.url("/go"), settings=cfg(), before_hop=cache.hop_guard())
    assert srv.hits("/secret/page") == 0


def test_obey_robots_off_skips_fetch(srv: LocalServer, r: redis.Redis) -> None:
    srv.route("/robots.txt", static("User-agent: *\nDisallow: /\n"))
    d = check_robots(srv.url("/x"), r, cfg(obey_robots=False))
    assert d.allowed and d.source == "not-obeyed" and srv.hits("/robots.txt") == 0


def test_origin_is_scheme_host_port(r: redis.Redis) -> None:
    with LocalServer() as a, LocalServer() as b:
        a.route("/robots.txt", static("User-agent: *\nDisallow: /\n"))
        assert not check_robots(a.url("/x"), r, cfg()).allowed
        assert check_robots(b.url("/x"), r, cfg()).allowed  # other port: its own robots (404)
        assert a.hits("/robots.txt") == 1 and b.hits("/robots.txt") == 1


def test_concurrent_workers_fetch_robots_once(srv: LocalServer, r: redis.Redis) -> None:
    def slow_robots(req: Request) -> None:
        time.sleep(0.3)  # long enough for all threads to miss the cache together
        req.respond(200, ROBOTS.encode(), {"Content-Type": "text/plain"})

    srv.route("/robots.txt", slow_robots)
    results: list[bool] = []
    start = threading.Barrier(6)

    def worker() -> None:
        client = redis.Redis(connection_pool=r.connection_pool)
        start.wait()
        results.append(RobotsCache(client, settings=cfg()).check(srv.url("/n")).allowed)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [True] * 6
    assert srv.hits("/robots.txt") == 1


def test_deadline_still_enforced_after_nested_robots_fetch(
    srv: LocalServer, r: redis.Redis
) -> None:
    """before_hop fetches robots.txt (a fetch inside the fetch); the outer watchdog must still
    cover the next hop's socket, here one that drips its headers forever."""
    from services.fetcher.errors import FetchTimeout
    from services.fetcher.http import fetch
    from tests.support.httpserver import drip_headers

    srv.route("/robots.txt", static(ROBOTS, content_type="text/plain"))
    srv.route("/go", redirect("/slow"))
    sent: list[int] = []
    srv.route("/slow", drip_headers(delay=0.1, count=60, sent=sent))
    s = cfg(total_timeout=1.5, read_timeout=5.0)
    with pytest.raises(FetchTimeout):
        fetch(srv.url("/go"), settings=s, before_hop=RobotsCache(r, settings=s).hop_guard())
    assert srv.hits("/robots.txt") == 1 and srv.hits("/slow") == 1
    deadline = time.monotonic() + 10
    while not sent and time.monotonic() < deadline:
        time.sleep(0.05)  # the server notices the hang-up on its next write
    assert sent and sent[0] < 60  # the client cut the connection; it did not wait it out


def test_batches_of_a_process_share_robots_and_fetch_it_once(
    srv: LocalServer, r: redis.Redis
) -> None:
    """RobotsMemo: the batches running at once in a worker (one RobotsCache each) wait for each
    other's fetch of a robots.txt instead of polling the Redis lock, then read it from memory;
    when the last batch ends the memo is forgotten, so a changed entry is read again."""
    from services.fetcher.robots import RobotsMemo

    def slow_robots(req: Request) -> None:
        time.sleep(0.3)
        req.respond(200, ROBOTS.encode(), {"Content-Type": "text/plain"})

    srv.route("/robots.txt", slow_robots)
    memo = RobotsMemo()
    results: list[bool] = []
    start = threading.Barrier(4)

    def batch() -> None:
        cache = RobotsCache(r, settings=cfg(), memo_seconds=30.0, memo=memo)
        with memo.in_use():
            start.wait()
            results.append(cache.check(srv.url("/n")).allowed)
            results.append(cache.check(srv.url("/secret")).allowed)
            start.wait()  # every batch is still running: the entry is in the memo

    threads = [threading.Thread(target=batch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results.count(True) == 4 and results.count(False) == 4
    assert srv.hits("/robots.txt") == 1
    assert memo.entries == {} and memo.flights == {}  # the last batch ended: forgotten

    r.flushdb()  # robots.txt changed meanwhile (a test resetting Redis): read again
    srv.route("/robots.txt", static(b"User-agent: *\nDisallow: /n\n", content_type="text/plain"))
    cache = RobotsCache(r, settings=cfg(), memo_seconds=30.0, memo=memo)
    with memo.in_use():
        assert not cache.check(srv.url("/n")).allowed
    assert srv.hits("/robots.txt") == 2
