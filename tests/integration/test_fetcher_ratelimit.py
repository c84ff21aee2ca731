"""Per-host spacing across processes, measured where it matters: at the server."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from services.fetcher.ratelimit import MAX_CRAWL_DELAY, interval_for, rate_for, reserve
from shared.config import Settings
from tests.support.httpserver import LocalServer, Request, claim_redis_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rds() -> Iterator[redis.Redis]:
    with claim_redis_db() as client:
        yield client


@pytest.fixture()
def r(rds: redis.Redis) -> redis.Redis:
    rds.flushdb()
    return rds


def test_reserve_grants_then_reports_wait(r: redis.Redis) -> None:
    assert reserve(r, "example.com", 5.0) == 0.0
    wait = reserve(r, "example.com", 5.0)
    assert 4.0 < wait <= 5.0  # busy: the slot is not taken again
    assert reserve(r, "other.example", 5.0) == 0.0  # hosts are independent
    assert reserve(r, "EXAMPLE.com", 5.0) > 0  # host key is case-insensitive


def test_zero_interval_never_waits(r: redis.Redis) -> None:
    assert all(reserve(r, "free.example", 0.0) == 0.0 for _ in range(5))


def test_interval_for() -> None:
    s = dataclasses.replace(
        Settings(), rate_per_host=2.0, rate_overrides={"slow.org": 0.1, "fast.com": 10.0}
    )
    assert interval_for("example.com", s) == 0.5
    assert interval_for("www.slow.org", s) == 10.0  # parent-domain override applies
    assert interval_for("slow.org", s, crawl_delay=30) == 30.0  # robots asks for more
    assert interval_for("fast.com", s, crawl_delay=None) == 0.1
    assert interval_for("fast.com", s, crawl_delay=86400) == MAX_CRAWL_DELAY  # clamped
    assert rate_for("notslow.org", s) == 2.0  # not a parent domain
    assert interval_for("x.com", dataclasses.replace(s, rate_per_host=0)) == 0.0


WORKER = textwrap.dedent(
    """
    import sys, time, dataclasses
    import redis
    from services.fetcher.http import fetch
    from services.fetcher.ratelimit import reserve
    from shared.config import Settings

    redis_url, host_key, url, n, interval, name = sys.argv[1:7]
    r = redis.Redis.from_url(redis_url)
    s = dataclasses.replace(Settings(), allow_private_hosts=True, user_agent=name)
    done = 0
    while done < int(n):
        wait = reserve(r, host_key, float(interval))
        if wait > 0:
            time.sleep(wait)  # stands in for the task's retry countdown
            continue
        fetch(url, settings=s)
        done += 1
    """
)


def test_two_processes_are_spaced_at_the_server(r: redis.Redis) -> None:
    interval, per_worker = 0.4, 5

    def page(req: Request) -> None:
        req.respond(200, b"<html><body>ok</body></html>", {"Content-Type": "text/html"})

    with LocalServer() as srv:
        srv.route("/p", page)
        host_key = f"spacing-{uuid.uuid4().hex}.test"
        url_ = r.test_url  # type: ignore[attr-defined]
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, url_, host_key, srv.url("/p"), str(per_worker)]
                + [str(interval), f"worker-{i}"],
                cwd=ROOT,
            )
            for i in range(2)
        ]
        for p in procs:
            assert p.wait(timeout=30) == 0
        hits = srv.recorded("/p")

    assert len(hits) == 2 * per_worker
    assert {h.headers["User-Agent"] for h in hits} == {"worker-0", "worker-1"}  # both worked
    times = sorted(h.at for h in hits)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # Slots are granted on Redis' clock at least `interval` apart; arrival at the server adds
    # each process's own send latency (scheduling on a loaded 2-core box), hence a tolerance.
    # Without the limiter the gaps are a few milliseconds.
    assert min(gaps) >= interval - 0.15, gaps
