"""Many downloads in flight in one fetch worker process, polite per host.

`run_batch()` takes the pages of one batch and yields their outcomes as they finish. Requests run
on a process-wide pool of download threads (`Downloads`: at most `concurrency` in flight in the
process, whatever the number of batches running at once); the calling thread schedules by host
(`schedule.HostSchedule`): before a request it takes a capacity token and a place for the host,
then hands the attempt to a thread, which takes the host's slot in the shared rate limit (Redis)
right before the request is written (gate.Slot). The process keeps, per host, when its next slot
opens (`Downloads.note_free`): set when an attempt starts (one interval on), corrected when its
request has left or the limit said busy, so the batches of a process do not race each other for
a host's slot (the loser would only find it taken). A host's robots.txt, when not cached yet, is
fetched first, through the same slot, and the host's pages wait for it; the other hosts go on.

Blocking I/O on threads rather than an event loop: the fetch path (SSRF-guarded urllib3
connections, the socket deadline watchdog, the bounded decoder) stays the one `http.fetch`, and
the measurements in docs/fetching.md show the threads' cost per page is small next to the rest
of the stage.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from services.fetcher.errors import HostBusy
from services.fetcher.politeness import MAX_HOLD_SECONDS, hold_or_defer, server_pause
from services.fetcher.schedule import HostSchedule, Page
from shared.contracts import FetchResult
from shared.urls import InvalidURL, host_of

_SEND_POLL_SECONDS = 0.01  # how soon to look again while an attempt waits for its thread
TICK_SECONDS = 1.0  # run_batch yields None at least this often while waiting (heartbeat, flush)


@dataclass(frozen=True)
class Outcome:
    """What became of one page: a result, an error, or a wait before it may be tried again."""

    page: Page
    result: FetchResult | None = None
    error: BaseException | None = None
    defer: float | None = None  # seconds: back to the queue, not an attempt


class Gate(Protocol):
    """Politeness I/O for run_batch (gate.HostGate: robots.txt cache, shared rate limit)."""

    def robots_known(self, url: str) -> bool: ...
    def fetch_robots(self, url: str) -> None: ...
    def crawl_delay(self, url: str) -> float | None: ...
    def slot(self, host: str, crawl_delay: float | None = None) -> Any: ...
    def base_interval(self, host: str) -> float: ...
    def pause(self, host: str, seconds: float) -> None: ...


class Downloads:
    """The process-wide download threads: one capacity token per request in flight, and per
    host (across every batch of the process) the requests in flight and when it is free next."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self._tokens = threading.BoundedSemaphore(concurrency)
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="download")
        self._lock = threading.Lock()
        self._waiting: list[queue.SimpleQueue] = []  # batches that found no token free
        self._host_flight: dict[str, int] = {}
        self._host_waiting: dict[str, list[queue.SimpleQueue]] = {}
        self._free_at: dict[str, float] = {}  # host -> monotonic time its next slot opens
        self._unsent: dict[str, int] = {}  # host -> attempts handed to a thread, not yet sending

    def try_acquire(self, waiter: queue.SimpleQueue | None = None) -> bool:
        """Take a token; when none is free, `waiter` gets a None as soon as one is."""
        if self._tokens.acquire(blocking=False):
            return True
        if waiter is not None:
            with self._lock:
                self._waiting.append(waiter)
            if self._tokens.acquire(blocking=False):  # one came back meanwhile
                return True
        return False

    def release(self) -> None:
        self._tokens.release()
        with self._lock:
            waiting, self._waiting = self._waiting, []
        for waiter in waiting:
            waiter.put(None)  # wakes the scheduling thread of a batch that wants a token

    def claim_host(self, host: str, per_host: int, waiter: queue.SimpleQueue) -> bool:
        """One of the host's `per_host` places in the process; else `waiter` gets
        ("unblock", host) when one is free again (so batches never race each other for it)."""
        with self._lock:
            if self._host_flight.get(host, 0) < per_host:
                self._host_flight[host] = self._host_flight.get(host, 0) + 1
                return True
            self._host_waiting.setdefault(host, []).append(waiter)
            return False

    def release_host(self, host: str) -> None:
        with self._lock:
            left = self._host_flight.get(host, 1) - 1
            if left > 0:
                self._host_flight[host] = left
            else:
                self._host_flight.pop(host, None)
            waiting = self._host_waiting.pop(host, [])
        for waiter in waiting:
            waiter.put(("unblock", host))

    def note_free(self, host: str, at: float) -> None:
        """What an attempt learnt: the host's next slot opens at `at` (monotonic)."""
        with self._lock:
            if len(self._free_at) > 10_000:  # forget the past, keep the memo small
                now = time.monotonic()
                self._free_at = {h: t for h, t in self._free_at.items() if t > now}
            self._free_at[host] = at

    def free_at(self, host: str) -> float | None:
        return self._free_at.get(host)

    def handed_over(self, host: str) -> None:
        """An attempt of `host` waits for a download thread: its send time is not known yet."""
        with self._lock:
            self._unsent[host] = self._unsent.get(host, 0) + 1

    def sending(self, host: str, free_at: float) -> None:
        """The attempt is leaving now: the host's next slot opens at `free_at` at the earliest."""
        with self._lock:
            left = self._unsent.get(host, 1) - 1
            if left > 0:
                self._unsent[host] = left
            else:
                self._unsent.pop(host, None)
        self.note_free(host, free_at)

    def unsent(self, host: str) -> bool:
        return host in self._unsent

    def submit(
        self, host: str, fn: Callable[[], Any], done: Callable[[Any, BaseException | None], None]
    ) -> None:
        """Run fn() on a download thread (a token and a host place must be held); then
        done(result, error)."""

        def job() -> None:
            try:
                value, error = fn(), None
            except BaseException as exc:  # noqa: BLE001 - handed to the scheduling thread
                value, error = None, exc
            finally:
                self.release()
                self.release_host(host)
            done(value, error)

        self._pool.submit(job)


_downloads: dict[int, Downloads] = {}
_downloads_lock = threading.Lock()


def downloads(concurrency: int) -> Downloads:
    """The process's download pool of this size (one per process in practice)."""
    with _downloads_lock:
        pool = _downloads.get(concurrency)
        if pool is None:
            pool = _downloads[concurrency] = Downloads(concurrency)
        return pool


class _Batch:
    """The scheduling state of one run_batch call."""

    def __init__(self, gate: Gate, fetch_page: Callable[[Page, Any], FetchResult], pool: Downloads,
                 per_host: int, max_hold: float, fatal: tuple[type[BaseException], ...]) -> None:  # fmt: skip
        self.gate, self.fetch_page, self.pool = gate, fetch_page, pool
        self.sched = HostSchedule(per_host)
        self.max_hold = max_hold
        self.starved = False
        self.fatal = fatal
        # (host, page, value, error) of a finished attempt, None (a token is free again) or
        # ("unblock", host) (a place for the host is free again)
        self.finished: queue.SimpleQueue[tuple | None] = queue.SimpleQueue()

    # ------------------------------------------------------------------ starting requests
    def start_due(self) -> None:
        """Hand every host that may go now to a download thread (one attempt each)."""
        self.starved = False
        for host in self.sched.due(time.monotonic()):
            known = self.pool.free_at(host)  # another batch of this process may know better
            if known is not None and known > time.monotonic():
                self.sched.hold(host, known)
                continue
            interval = self.gate.base_interval(host)
            if interval > 0 and self.pool.unsent(host):
                # an attempt is waiting for its thread: the interval runs from its send, which
                # a loaded machine can delay past the estimate made when it was started
                self.sched.hold(host, time.monotonic() + _SEND_POLL_SECONDS)
                continue
            if not self.pool.claim_host(host, self.sched.per_host, self.finished):
                self.sched.block(host)  # ("unblock", host) arrives when a place is free
                continue
            if not self.pool.try_acquire(self.finished):
                self.pool.release_host(host)
                self.starved = True  # woken (a None in `finished`) when a token is free again
                return
            page = self.sched.pop(host)
            self.sched.started(host)
            # the host cannot be free again before one interval from now: no attempt before,
            # in this batch nor in the process's others (which would only find the slot taken);
            # a Crawl-delay or another worker may make it longer: the attempt then says so
            until = time.monotonic() + interval
            self.sched.hold(host, until)
            self.pool.note_free(host, until)
            self.pool.handed_over(host)

            def done(value: Any, error: BaseException | None, host=host, page=page) -> None:
                self.finished.put((host, page, value, error))

            self.pool.submit(host, lambda page=page, host=host: self._attempt(host, page), done)

    def _attempt(self, host: str, page: Page) -> tuple[str, Any]:
        """On a download thread: robots.txt first if unknown, then the page.

        Each request takes the host's slot right before it leaves (`before_send`, on this
        thread), so the spacing the rate limit grants is the spacing the server sees.
        """
        self.pool.sending(host, time.monotonic() + self.gate.base_interval(host))
        try:
            if not self.gate.robots_known(page.url):
                self.gate.fetch_robots(page.url)
                return "robots", None
            crawl_delay = self.gate.crawl_delay(page.url)  # RobotsDisallowed, RobotsUnavailable
            slot = self.gate.slot(host, crawl_delay)
            return "page", (self.fetch_page(page, slot), slot.free_at)
        except HostBusy as busy:  # nothing was sent: wait for the slot, not an attempt
            wait = busy.retry_after or 0.0
            self.pool.note_free(host, time.monotonic() + wait)  # the other batches too
            return "wait", wait

    # ------------------------------------------------------------------ finished attempts
    def complete(self, item: tuple) -> Iterator[Outcome]:
        if len(item) == 2:  # ("unblock", host): a place for the host is free in the process
            self.sched.unblock(item[1])
            return
        host, page, value, error = item
        self.sched.finished(host)
        if error is not None:
            if isinstance(error, self.fatal):
                raise error
            yield Outcome(page, error=error)
            yield from self._server_pause(host, error)
            return
        kind, detail = value
        if kind == "page":
            result, free_at = detail
            if free_at is not None:  # when the slot restarted: the next attempt goes then
                self.sched.hold(host, free_at)
                self.pool.note_free(host, free_at)
            yield Outcome(page, result=result)
            return
        self.sched.put_back(host, page)  # robots.txt is known now, or the host is busy
        if kind == "wait":
            if hold_or_defer(detail, self.max_hold) == "defer":
                for waiting in self.sched.drain(host):
                    yield Outcome(waiting, defer=detail)
            else:  # exact: the limit knows better than the estimate made at the start
                self.sched.hold(host, time.monotonic() + detail, exact=True)
                self.pool.note_free(host, time.monotonic() + detail)

    def _server_pause(self, host: str, error: BaseException) -> Iterator[Outcome]:
        paused = server_pause(error)
        if paused is None:
            return
        # Retry-After on a 429/503: the whole host waits, in every worker
        self.gate.pause(host, paused)
        if hold_or_defer(paused, self.max_hold) == "defer":
            for waiting in self.sched.drain(host):
                yield Outcome(waiting, defer=paused)
        else:
            self.sched.hold(host, time.monotonic() + paused)

    def timeout(self) -> float:
        if self.starved:  # nothing can start before a token is back, which wakes us
            return TICK_SECONDS
        wake = self.sched.next_wake()
        timeout = TICK_SECONDS
        if wake is not None:
            timeout = min(timeout, max(0.0, wake - time.monotonic()))
        return timeout


def run_batch(
    pages: Sequence[Page],
    *,
    gate: Gate,
    fetch_page: Callable[[Page, Any], FetchResult],
    pool: Downloads,
    per_host: int = 1,
    max_hold: float = MAX_HOLD_SECONDS,
    fatal: tuple[type[BaseException], ...] = (),
) -> Iterator[Outcome | None]:
    """Download `pages` concurrently, by host; yield each Outcome as it is known.

    Yields None while nothing finished for a while (at least every TICK_SECONDS), so the caller
    can beat, flush and renew. An error of a `fatal` type (infrastructure down) stops the batch:
    it is raised here, and requests still in flight are abandoned to finish on their own.
    """
    batch = _Batch(gate, fetch_page, pool, per_host, max_hold, fatal)
    for page in pages:
        host = host_of(page.url)
        if not host:
            yield Outcome(page, error=InvalidURL(f"no usable host in {page.url!r}", url=page.url))
            continue
        batch.sched.add(host, page)
    while not batch.sched.done():
        batch.start_due()
        try:
            item = batch.finished.get(timeout=batch.timeout())
        except queue.Empty:
            yield None
            continue
        while item is not None or not batch.finished.empty():
            if item is not None:
                yield from batch.complete(item)
            try:  # take everything else that has finished before starting more
                item = batch.finished.get_nowait()
            except queue.Empty:
                break
