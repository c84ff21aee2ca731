"""The politeness I/O the concurrent downloader needs around each request: robots.txt (cached in
Redis, fetched once per origin through the host's rate limit like any request) and the per-host
slot in the rate limit shared by every worker (Redis), taken right before a request leaves."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests

from services.fetcher.errors import HostBusy
from services.fetcher.http import fetch, make_session, sent_on_new_connection
from services.fetcher.politeness import robots_crawl_delay
from services.fetcher.ratelimit import interval_for, pause, reserve
from services.fetcher.robots import RobotsCache, RobotsMemo, cached_origin
from shared.config import Settings
from shared.contracts import FetchResult
from shared.urls import host_of

ROBOTS_MEMO_SECONDS = 30.0  # a worker reuses a site's robots.txt entry for this long
# The server sees a request a little after it left, and the next one may reach it a little
# faster (an open connection, a less busy moment): the interval restarts with this much slack.
SEND_SLACK = 0.01
# A request that opened its connection (robots.txt, the first page of a host) waits in the
# server's accept queue before the server reads it, and the next request, on the connection
# kept alive, is read at once: measured at the bench server (one process for 100 hosts, a burst
# of new connections), 10-90 ms. After such a request the interval restarts with this slack.
NEW_CONNECTION_SLACK = 0.05


class Slot:
    """One request's place in its host's shared rate limit.

    `take` (before the request leaves) claims the slot or raises HostBusy with the wait;
    `sent` (once the request is on the wire) restarts the interval from that moment, so time
    spent between the claim and the send (a new connection, a busy process) never squeezes two
    requests to the host closer than the interval at the server.
    """

    def __init__(
        self,
        redis: Any,
        host: str,
        interval: float,
        on_sent: Callable[[str, float], None] | None = None,
    ) -> None:
        self.redis, self.host, self.interval = redis, host, interval
        self.on_sent = on_sent  # told (host, free_at) the moment the request has left
        self.free_at: float | None = None  # monotonic time the host is free again, once sent

    def take(self, url: str) -> None:
        wait = reserve(self.redis, self.host, self.interval)
        if wait > 0:
            raise HostBusy(f"{self.host} is busy for {wait:.3f} s", url=url, retry_after=wait)

    def sent(self) -> None:
        if self.interval > 0:
            slack = NEW_CONNECTION_SLACK if sent_on_new_connection() else SEND_SLACK
            pause(self.redis, self.host, self.interval + slack)
            self.free_at = time.monotonic() + self.interval + slack
            if self.on_sent is not None:  # the process's other batches know at once
                self.on_sent(self.host, self.free_at)

    def hooks(self) -> dict[str, Callable[..., None]]:
        """The keyword arguments for http.fetch."""
        return {"before_send": self.take, "after_send": self.sent}


# robots.txt entries this process has read or fetched, shared by every batch it runs (each
# batch makes its own HostGate), and the origins one of its threads is fetching right now.
_robots_memo = RobotsMemo()


class HostGate:
    """downloader.Gate on Redis, with the downloader's shared session for robots.txt.

    `on_sent(host, free_at)`: told when a request to `host` has left and when (monotonic) the
    host's next slot opens, for the downloader to hold the host's other attempts until then.
    """

    def __init__(
        self,
        redis: Any,
        settings: Settings,
        session: requests.Session,
        on_sent: Callable[[str, float], None] | None = None,
        robots_memo: RobotsMemo | None = None,
    ) -> None:
        self.redis = redis
        self.settings = settings
        self.session = session
        self.on_sent = on_sent
        self.robots: RobotsCache | None = None
        if settings.obey_robots:
            self.robots = RobotsCache(
                redis, self._robots_file, settings=settings, memo_seconds=ROBOTS_MEMO_SECONDS,
                memo=robots_memo,
            )  # fmt: skip

    def slot(self, host: str, crawl_delay: float | None = None) -> Slot:
        """http.fetch's `before_send`/`after_send` for one request to `host`."""
        interval = interval_for(host, self.settings, crawl_delay)
        return Slot(self.redis, host, interval, self.on_sent)

    def _robots_file(self, robots_url: str) -> FetchResult:
        return fetch(
            robots_url,
            settings=self.settings,
            session=self.session,
            check_content_type=False,
            **self.slot(host_of(robots_url)).hooks(),  # robots.txt counts in the host's rate
        )

    def robots_known(self, url: str) -> bool:
        return self.robots is None or self.robots.cached(cached_origin(url)) is not None

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


@contextmanager
def batch_gate(
    redis: Any,
    settings: Settings,
    session: requests.Session,
    on_sent: Callable[[str, float], None] | None = None,
) -> Iterator[HostGate]:
    """The HostGate of one fetch batch: the robots.txt entries it reads or fetches are shared
    with the other batches the process runs meanwhile (one Redis read or fetch per site for all
    of them, not one per batch)."""
    with _robots_memo.in_use():
        yield HostGate(redis, settings, session, on_sent, robots_memo=_robots_memo)


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
