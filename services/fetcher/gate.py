"""The politeness I/O the concurrent downloader needs around each request: robots.txt (cached in
Redis, fetched once per origin through the host's rate limit like any request) and the per-host
slot in the rate limit shared by every worker (Redis), taken right before a request leaves."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from services.fetcher.errors import HostBusy
from services.fetcher.http import fetch, make_session
from services.fetcher.politeness import robots_crawl_delay
from services.fetcher.ratelimit import interval_for, pause, reserve
from services.fetcher.robots import RobotsCache
from shared.config import Settings
from shared.contracts import FetchResult
from shared.urls import host_of, origin

ROBOTS_MEMO_SECONDS = 30.0  # a worker reuses a site's robots.txt entry for this long
# The server sees a request a little after it left, and the next one may reach it a little
# faster (an open connection, a less busy moment): the interval restarts with this much slack.
SEND_SLACK = 0.01


class Slot:
    """One request's place in its host's shared rate limit.

    `take` (before the request leaves) claims the slot or raises HostBusy with the wait;
    `sent` (once the request is on the wire) restarts the interval from that moment, so time
    spent between the claim and the send (a new connection, a busy process) never squeezes two
    requests to the host closer than the interval at the server.
    """

    def __init__(self, redis: Any, host: str, interval: float) -> None:
        self.redis, self.host, self.interval = redis, host, interval
        self.free_at: float | None = None  # monotonic time the host is free again, once sent

    def take(self, url: str) -> None:
        wait = reserve(self.redis, self.host, self.interval)
        if wait > 0:
            raise HostBusy(f"{self.host} is busy for {wait:.3f} s", url=url, retry_after=wait)

    def sent(self) -> None:
        if self.interval > 0:
            pause(self.redis, self.host, self.interval + SEND_SLACK)
            self.free_at = time.monotonic() + self.interval + SEND_SLACK

    def hooks(self) -> dict[str, Callable[..., None]]:
        """The keyword arguments for http.fetch."""
        return {"before_send": self.take, "after_send": self.sent}


class HostGate:
    """downloader.Gate on Redis, with the downloader's shared session for robots.txt."""

    def __init__(self, redis: Any, settings: Settings, session: requests.Session) -> None:
        self.redis = redis
        self.settings = settings
        self.session = session
        self.robots: RobotsCache | None = None
        if settings.obey_robots:
            self.robots = RobotsCache(
                redis, self._robots_file, settings=settings, memo_seconds=ROBOTS_MEMO_SECONDS
            )

    def slot(self, host: str, crawl_delay: float | None = None) -> Slot:
        """http.fetch's `before_send`/`after_send` for one request to `host`."""
        return Slot(self.redis, host, interval_for(host, self.settings, crawl_delay))

    def _robots_file(self, robots_url: str) -> FetchResult:
        return fetch(
            robots_url,
            settings=self.settings,
            session=self.session,
            check_content_type=False,
            **self.slot(host_of(robots_url)).hooks(),  # robots.txt counts in the host's rate
        )

    def robots_known(self, url: str) -> bool:
        return self.robots is None or self.robots.cached(origin(url)) is not None

    def fetch_robots(self, url: str) -> None:
        if self.robots is not None:
            self.robots.check(url)  # fetches and caches the origin's robots.txt

    def crawl_delay(self, url: str) -> float | None:
        if self.robots is None:
            return None
        return robots_crawl_delay(self.robots.check(url), url)

    def base_interval(self, host: str) -> float:
        """Seconds between two requests to `host` before robots.txt's Crawl-delay is known."""
        return interval_for(host, self.settings, None) + SEND_SLACK

    def hop_guard(self) -> Callable[[str], None] | None:
        """A `before_hop` for http.fetch: redirect targets must be allowed by their robots.txt."""
        return self.robots.hop_guard() if self.robots is not None else None

    def pause(self, host: str, seconds: float) -> None:
        pause(self.redis, host, seconds)


_sessions: dict[tuple[Any, ...], requests.Session] = {}
_sessions_lock = threading.Lock()


def shared_session(settings: Settings) -> requests.Session:
    """The process's keep-alive session for these settings, shared by the download threads."""
    key = (
        settings.user_agent,
        settings.allow_private_hosts,
        tuple(settings.private_host_allowlist),
        settings.fetch_per_host,
        settings.fetch_concurrency,
    )
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = make_session(
                settings,
                per_host=settings.fetch_per_host,
                hosts=max(64, settings.fetch_concurrency),
            )
        return session
