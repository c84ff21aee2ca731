"""robots.txt: fetched once per origin (scheme+host+port), cached in Redis, parsed with Protego.

Status handling follows Google's documented behaviour
(developers.google.com/search/docs/crawling-indexing/robots/robots_txt#http-status-codes):

* 2xx: parse the file (only the first 500 KiB are used, as Google does);
* 3xx: followed up to 5 hops (fetch() does that); more hops or a loop => treated like a 404;
* 4xx other than 429 (401/403/404/408/410...): no restrictions => allow everything;
* 429, 5xx, network/DNS errors, timeouts: disallow everything *temporarily*; the decision is
  cached for a short time (`error_ttl`, or the server's Retry-After) so we retry soon.
  If a previous good copy is still known (kept 30 days), it is used instead of disallowing,
  like Google's "last cached copy". Not implemented: Google's switch to "allow all" after
  30 days of failures with no copy at all (we keep disallowing and retrying).

The user agent is matched on its product token (`newsflow` for `newsflow/0.1 (+https://...)`),
since Protego matches a group when its name is a substring of what we pass.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from protego import Protego

from services.fetcher.errors import (
    BadScheme,
    BlockedAddress,
    ClientError,
    FetchError,
    HostBusy,
    InvalidURL,
    RateLimited,
    RedirectLoop,
    RequestTimeout,
    RobotsDisallowed,
    TooManyRedirects,
)
from shared.config import Settings, load_settings
from shared.contracts import FetchResult
from shared.urls import origin

ROBOTS_MAX_BYTES = 500 * 1024
ERROR_TTL = 600  # seconds a "server error => disallow" decision is kept before retrying
LAST_GOOD_TTL = 30 * 24 * 3600
DEFAULT_PREFIX = "newsflow:"

FetchFn = Callable[[str], FetchResult]


@dataclass(frozen=True)
class RobotsDecision:
    allowed: bool
    crawl_delay: float | None = None  # seconds, from Crawl-delay or Request-rate
    # why: "rules", "no-robots" (4xx), "unreachable" (5xx/network, temporary),
    # "stale-rules" (last good copy used during an outage), "not-obeyed" (obey_robots off)
    source: str = "rules"
    status: int | None = None  # HTTP status of the robots.txt fetch, when there was one


def product_token(user_agent: str) -> str:
    """`newsflow/0.1 (+https://x)` -> `newsflow`."""
    token = user_agent.strip().split(None, 1)[0] if user_agent.strip() else "*"
    return token.split("/", 1)[0].lower() or "*"


@lru_cache(maxsize=256)
def _parse(body: str) -> Protego:
    return Protego.parse(body)


def _decide(
    body: str, url: str, user_agent: str, source: str, status: int | None
) -> RobotsDecision:
    rules = _parse(body)
    token = product_token(user_agent)
    delay = rules.crawl_delay(token)
    rate = rules.request_rate(token)
    if rate is not None and rate.requests > 0:
        per_request = rate.seconds / rate.requests
        delay = per_request if delay is None else max(delay, per_request)
    return RobotsDecision(
        allowed=rules.can_fetch(url, token),
        crawl_delay=float(delay) if delay is not None else None,
        source=source,
        status=status,
    )


@lru_cache(maxsize=4096)
def cached_origin(url: str) -> str:
    return origin(url)  # the pages of a site ask for it again and again


class RobotsMemo:
    """robots.txt entries held in this process, shared by the fetch batches running in it at
    once (each makes its own RobotsCache), and the origins one of its threads is fetching now.

    Kept while some batch is using it (`in_use`), each entry for the cache's `memo_seconds`;
    forgotten when the last batch ends, so a robots.txt changed in Redis (a test resetting its
    state) is read again by the next batch, as with a memo per batch.
    """

    def __init__(self) -> None:
        self.entries: dict[str, tuple[float, dict[str, Any]]] = {}
        self.flights: dict[str, threading.Event] = {}
        self.lock = threading.Lock()
        self.users = 0

    @contextmanager
    def in_use(self) -> Iterator[None]:
        with self.lock:
            self.users += 1
        try:
            yield
        finally:
            with self.lock:
                self.users -= 1
                if self.users == 0:
                    self.entries.clear()
                elif len(self.entries) > 10_000:  # forget the expired, keep the memo small
                    now = time.monotonic()
                    self.entries = {o: e for o, e in self.entries.items() if e[0] > now}

    @contextmanager
    def flight(self, org: str, wait: float) -> Iterator[bool]:
        """Whether this thread is the one to look `org` up (True); otherwise (False) another
        thread of the process was, and it has finished or `wait` seconds have passed."""
        with self.lock:
            event = self.flights.get(org)
            mine = event is None
            if mine:
                event = self.flights[org] = threading.Event()
        if not mine:
            event.wait(wait)  # no polling: woken when the other thread has the entry
            yield False
            return
        try:
            yield True
        finally:
            with self.lock:
                self.flights.pop(org, None)
            event.set()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class RobotsCache:
    """robots.txt decisions shared by all workers through Redis.

    `fetch_fn(robots_url) -> FetchResult` (raising FetchError) defaults to http.fetch with the
    content-type check off. Only one worker fetches a given robots.txt at a time (a short Redis
    lock); the others wait for its result up to `lock_wait` seconds, then fetch themselves.
    `memo_seconds` > 0 also keeps entries in this object for that long (a fetch batch makes one
    cache object, so its pages of one site cost one Redis read, not one each); with `memo`, in a
    RobotsMemo shared with the other batches of the process, whose threads then also wait for
    each other's fetch of a robots.txt instead of polling the Redis lock.
    """

    def __init__(
        self,
        redis: Any,
        fetch_fn: FetchFn | None = None,
        *,
        settings: Settings | None = None,
        prefix: str = DEFAULT_PREFIX,
        error_ttl: int = ERROR_TTL,
        lock_wait: float | None = None,
        memo_seconds: float = 0.0,
        memo: RobotsMemo | None = None,
    ) -> None:
        self.redis = redis
        self.memo_seconds = memo_seconds
        self._shared = memo
        self._memo: dict[str, tuple[float, dict[str, Any]]] = memo.entries if memo else {}
        self.settings = settings or load_settings()
        self.prefix = prefix
        self.error_ttl = error_ttl
        self.lock_wait = lock_wait if lock_wait is not None else self.settings.total_timeout + 1
        if fetch_fn is None:
            from services.fetcher.http import fetch  # late: http imports are heavier

            settings_ = self.settings

            def fetch_fn(robots_url: str) -> FetchResult:
                return fetch(robots_url, settings=settings_, check_content_type=False)

        self.fetch_fn = fetch_fn

    # ----------------------------------------------------------------- keys
    def _key(self, kind: str, org: str) -> str:
        return f"{self.prefix}robots:{kind}:{org}"

    # ----------------------------------------------------------------- public
    def check(self, url: str, user_agent: str | None = None) -> RobotsDecision:
        """May `url` be fetched? Fetches and caches robots.txt for its origin when needed."""
        ua = user_agent or self.settings.user_agent
        if not self.settings.obey_robots:
            return RobotsDecision(True, None, source="not-obeyed")
        entry = self.entry(cached_origin(url))
        kind = entry["kind"]
        status = entry.get("status")
        if kind in ("rules", "stale-rules"):
            return _decide(entry["body"], url, ua, kind, status)
        if kind == "no-robots":
            return RobotsDecision(True, None, source=kind, status=status)
        return RobotsDecision(False, None, source="unreachable", status=status)

    def entry(self, org: str) -> dict[str, Any]:
        """Cached record for an origin: {"kind", "body"?, "status"?, "fetched_at"}."""
        if self.memo_seconds > 0:
            memo = self._memo.get(org)
            if memo is not None and memo[0] > time.monotonic():
                return memo[1]
            if self._shared is None:
                entry = self._entry(org)
                self._memo[org] = (time.monotonic() + self.memo_seconds, entry)
                return entry
            with self._shared.flight(org, self.lock_wait) as mine:
                memo = None if mine else self._memo.get(org)
                if memo is not None and memo[0] > time.monotonic():
                    return memo[1]  # another thread of the process fetched it meanwhile
                entry = self._entry(org)
                self._memo[org] = (time.monotonic() + self.memo_seconds, entry)  # before waking
                return entry
        return self._entry(org)

    def cached(self, org: str) -> dict[str, Any] | None:
        """The origin's record when it is known already (memo or Redis), without fetching."""
        memo = self._memo.get(org)
        if memo is not None and memo[0] > time.monotonic():
            return memo[1]
        cached = _text(self.redis.get(self._key("entry", org)))
        if cached is None:
            return None
        entry = json.loads(cached)
        if self.memo_seconds > 0:
            self._memo[org] = (time.monotonic() + self.memo_seconds, entry)
        return entry

    def _entry(self, org: str) -> dict[str, Any]:
        key = self._key("entry", org)
        cached = _text(self.redis.get(key))
        if cached is not None:
            return json.loads(cached)
        lock_key = self._key("lock", org)
        token = uuid.uuid4().hex
        lock_ms = int((self.settings.total_timeout + 5) * 1000)
        if self.redis.set(lock_key, token, nx=True, px=lock_ms):
            try:
                return self._refresh(org)
            finally:
                # Release only our own lock (it may have expired and been taken by another).
                self.redis.eval(
                    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                    "return redis.call('DEL', KEYS[1]) end return 0",
                    1,
                    lock_key,
                    token,
                )
        # Someone else is fetching it: wait a little for their result rather than hammer the
        # site with N identical requests.
        end = time.monotonic() + self.lock_wait
        while time.monotonic() < end:
            time.sleep(0.05)
            cached = _text(self.redis.get(key))
            if cached is not None:
                return json.loads(cached)
        return self._refresh(org)

    def sitemaps(self, url: str) -> list[str]:
        """`Sitemap:` lines of the origin's robots.txt (for discovery); [] when none/unknown."""
        entry = self.entry(origin(url))
        if entry["kind"] not in ("rules", "stale-rules"):
            return []
        return list(_parse(entry["body"]).sitemaps)

    def hop_guard(self, user_agent: str | None = None) -> Callable[[str], None]:
        """A `before_hop` for http.fetch: RobotsDisallowed when a redirect target is off-limits."""

        def guard(url: str) -> None:
            decision = self.check(url, user_agent)
            if not decision.allowed:
                raise RobotsDisallowed(
                    f"robots.txt ({decision.source}) disallows redirect target {url}", url=url
                )

        return guard

    def invalidate(self, url: str) -> None:
        self._memo.pop(origin(url), None)
        self.redis.delete(self._key("entry", origin(url)))

    # ----------------------------------------------------------------- fetching
    def _refresh(self, org: str) -> dict[str, Any]:
        robots_url = org + "/robots.txt"
        ttl = max(1, int(self.settings.robots_ttl))
        try:
            result = self.fetch_fn(robots_url)
        except HostBusy:
            raise  # nothing was asked: the caller waits for the host's slot and comes back
        except (ClientError, RequestTimeout) as exc:
            # 4xx (not 429; RequestTimeout is 408, a 4xx for Google): as if no robots.txt.
            entry = {"kind": "no-robots", "status": exc.status}
        except (TooManyRedirects, RedirectLoop, BlockedAddress, BadScheme, InvalidURL) as exc:
            # Redirect trouble: Google treats an unreachable-by-redirect robots.txt as a 404.
            entry = {"kind": "no-robots", "status": exc.status}
        except FetchError as exc:
            # 429, 5xx, network, timeouts, oversize...: temporarily disallow (or use last copy).
            ttl = self._error_ttl(exc)
            entry = {"kind": "unreachable", "status": exc.status, "error": str(exc)}
            good = _text(self.redis.get(self._key("good", org)))
            if good is not None:
                entry = {"kind": "stale-rules", "status": exc.status, "body": good}
        else:
            # utf-8-sig: a BOM would otherwise glue itself to the first "User-agent" line.
            body = result.body[:ROBOTS_MAX_BYTES].decode("utf-8-sig", "replace")
            entry = {"kind": "rules", "status": result.status, "body": body}
        entry["fetched_at"] = time.time()
        pipe = self.redis.pipeline(transaction=False)  # one round trip for both
        if entry["kind"] == "rules":
            pipe.set(self._key("good", org), entry["body"], ex=LAST_GOOD_TTL)
        pipe.set(self._key("entry", org), json.dumps(entry), ex=ttl)
        pipe.execute()
        return entry

    def _error_ttl(self, exc: FetchError) -> int:
        ttl = float(self.error_ttl)
        if isinstance(exc, RateLimited) or exc.retry_after is not None:
            # Honour Retry-After, within reason (1 min .. 1 h).
            ttl = min(3600.0, max(60.0, exc.retry_after or ttl))
        return max(1, min(int(ttl), int(self.settings.robots_ttl)))


def check_robots(
    url: str,
    redis_client: Any,
    settings: Settings | None = None,
    *,
    fetch_fn: FetchFn | None = None,
    prefix: str = DEFAULT_PREFIX,
) -> RobotsDecision:
    """One-shot helper: RobotsCache(redis_client, fetch_fn, settings=settings).check(url)."""
    return RobotsCache(redis_client, fetch_fn, settings=settings, prefix=prefix).check(url)
