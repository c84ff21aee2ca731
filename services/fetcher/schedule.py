"""The pages of a fetch batch, scheduled by host rather than by batch order (pure, no I/O).

Each host has its own queue of pages, a time before which it may not be asked again (its next
rate-limit slot, a server's Retry-After), a count of requests in flight (bounded per host) and a
"blocked" flag while its robots.txt is being fetched. `due(now)` lists the hosts that may start a
request now, earliest-waiting first, so a slow or busy host never holds up the pages of the others,
and a page waiting for its host is picked up as soon as the host's slot opens.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One document to download, as claimed from the store."""

    doc_id: int
    url: str
    etag: str | None = None
    last_modified: str | None = None
    attempts: int = 0


@dataclass
class _Host:
    pages: deque[Page]
    not_before: float = 0.0
    in_flight: int = 0
    blocked: bool = False
    order: int = 0  # first seen: ties go to the host that came first in the batch


class HostSchedule:
    """Per-host queues of pages with slot times and in-flight bounds."""

    def __init__(self, per_host: int = 1) -> None:
        self.per_host = max(1, per_host)
        self._hosts: dict[str, _Host] = {}
        self._waiting = 0  # pages not started yet, over all hosts (done() runs every wake-up)
        self._in_flight = 0

    def add(self, host: str, page: Page) -> None:
        entry = self._hosts.get(host)
        if entry is None:
            entry = self._hosts[host] = _Host(deque(), order=len(self._hosts))
        entry.pages.append(page)
        self._waiting += 1

    def _ready(self, entry: _Host) -> bool:
        return bool(entry.pages) and not entry.blocked and entry.in_flight < self.per_host

    def due(self, now: float) -> list[str]:
        """Hosts that may start a request at `now`, the longest-waiting first."""
        ready = [
            (e.not_before, e.order, h)
            for h, e in self._hosts.items()
            if self._ready(e) and e.not_before <= now
        ]
        return [h for _, _, h in sorted(ready)]

    def next_wake(self) -> float | None:
        """The earliest time a host with pages becomes due (None: none is waiting on time)."""
        times = [e.not_before for e in self._hosts.values() if self._ready(e)]
        return min(times) if times else None

    def peek(self, host: str) -> Page:
        return self._hosts[host].pages[0]

    def pop(self, host: str) -> Page:
        page = self._hosts[host].pages.popleft()
        self._waiting -= 1
        return page

    def put_back(self, host: str, page: Page) -> None:
        """`page` goes first again (its attempt only fetched robots.txt or found the host busy)."""
        self._hosts[host].pages.appendleft(page)
        self._waiting += 1

    def hold(self, host: str, until: float, *, exact: bool = False) -> None:
        """Do not start a request to `host` before `until`; an existing later hold stays,
        unless `exact` (the shared rate limit just said when the host is free)."""
        entry = self._hosts[host]
        entry.not_before = until if exact else max(entry.not_before, until)

    def block(self, host: str) -> None:
        self._hosts[host].blocked = True

    def unblock(self, host: str) -> None:
        self._hosts[host].blocked = False

    def started(self, host: str) -> None:
        self._hosts[host].in_flight += 1
        self._in_flight += 1

    def finished(self, host: str) -> None:
        self._hosts[host].in_flight -= 1
        self._in_flight -= 1

    def drain(self, host: str) -> list[Page]:
        """Take every page still waiting for `host` (to hand them back to the queue)."""
        entry = self._hosts[host]
        pages = list(entry.pages)
        entry.pages.clear()
        self._waiting -= len(pages)
        return pages

    def waiting_for(self, host: str) -> int:
        """Pages of `host` not started yet."""
        return len(self._hosts[host].pages)

    def waiting(self) -> int:
        """Pages not started yet."""
        return self._waiting

    def in_flight(self) -> int:
        return self._in_flight

    def done(self) -> bool:
        return self._waiting == 0 and self._in_flight == 0
