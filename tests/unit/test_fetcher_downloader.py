"""run_batch's scheduling, against an in-memory gate and page function (no network, no Redis):
robots.txt first and once per host, busy hosts not holding up the others, waits held or handed
back, Retry-After pausing a host, outages stopping the batch."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from services.fetcher import errors as E
from services.fetcher.downloader import Downloads, Outcome, run_batch
from services.fetcher.schedule import Page
from shared.contracts import FetchResult
from shared.urls import host_of


class Gate:
    """Busy answers per host (seconds to wait, used up one per attempt), an event log."""

    def __init__(self, busy: dict[str, list[float]] | None = None) -> None:
        self.busy = {h: list(w) for h, w in (busy or {}).items()}
        self.events: list[tuple[str, str]] = []
        self.known: set[str] = set()
        self.paused: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    def take(self, host: str) -> None:
        with self.lock:
            waits = self.busy.get(host)
            if waits:
                raise E.HostBusy(f"{host} busy", retry_after=waits.pop(0))

    def robots_known(self, url: str) -> bool:
        return host_of(url) in self.known

    def fetch_robots(self, url: str) -> None:
        host = host_of(url)
        self.take(host)
        with self.lock:
            self.events.append((host, "robots"))
            self.known.add(host)

    def crawl_delay(self, url: str) -> float | None:
        if "/private/" in url:
            raise E.RobotsDisallowed(f"robots.txt disallows {url}")
        return None

    def slot(self, host: str, crawl_delay: float | None = None) -> SimpleNamespace:
        return SimpleNamespace(host=host, free_at=None)  # free_at: when the slot restarted

    def base_interval(self, host: str) -> float:
        return 0.0

    def pause(self, host: str, seconds: float) -> None:
        self.paused.append((host, seconds))


def page_fetcher(gate: Gate, answers: dict[str, Exception] | None = None):
    def fetch_page(page: Page, slot: SimpleNamespace) -> FetchResult:
        gate.take(slot.host)
        with gate.lock:
            gate.events.append((slot.host, page.url))
        if answers and page.url in answers:
            raise answers[page.url]
        return FetchResult(page.url, page.url, 200, {}, b"<html></html>", "text/html")

    return fetch_page


def pages(*urls: str) -> list[Page]:
    return [Page(n, u) for n, u in enumerate(urls)]


def run(gate: Gate, batch: list[Page], **kw) -> list[Outcome]:
    fetch_page = page_fetcher(gate, kw.pop("answers", None))
    out = run_batch(batch, gate=gate, fetch_page=fetch_page, pool=Downloads(8), **kw)
    return [o for o in out if o is not None]


def test_robots_txt_comes_first_and_once_per_host():
    gate = Gate()
    batch = pages(*(f"https://{h}.example/{n}" for h in "abc" for n in range(3)))
    outcomes = run(gate, batch, per_host=1)
    assert sorted(o.page.doc_id for o in outcomes if o.result) == list(range(9))
    for host in ("a.example", "b.example", "c.example"):
        mine = [what for h, what in gate.events if h == host]
        assert mine[0] == "robots" and mine.count("robots") == 1, mine


def test_a_busy_host_does_not_hold_up_the_pages_of_other_hosts():
    gate = Gate(busy={"slow.example": [0.3, 0.3]})
    batch = pages("https://slow.example/1", "https://slow.example/2",
                  *(f"https://fast{n}.example/1" for n in range(5)))  # fmt: skip
    outcomes = run(gate, batch)
    order = [host_of(o.page.url) for o in outcomes]
    assert all(o.result is not None for o in outcomes), outcomes
    assert order.index("slow.example") > max(i for i, h in enumerate(order) if "fast" in h)


def test_a_long_wait_hands_the_hosts_pages_back_without_an_attempt():
    gate = Gate(busy={"crawl-delay.example": [120.0]})
    batch = pages("https://crawl-delay.example/1", "https://crawl-delay.example/2",
                  "https://other.example/1")  # fmt: skip
    outcomes = {o.page.doc_id: o for o in run(gate, batch, max_hold=15.0)}
    assert outcomes[0].defer == 120.0 and outcomes[1].defer == 120.0
    assert outcomes[2].result is not None
    assert not any(what.startswith("https://crawl-delay") for _, what in gate.events)


def test_robots_refusal_settles_the_page_and_the_next_one_goes_on():
    gate = Gate()
    outcomes = {o.page.doc_id: o for o in run(gate, pages("https://a.example/private/x",
                                                          "https://a.example/ok"))}  # fmt: skip
    assert isinstance(outcomes[0].error, E.RobotsDisallowed)
    assert outcomes[1].result is not None


def test_retry_after_pauses_the_host_for_everyone_and_defers_its_other_pages():
    gate = Gate()
    busy = E.RateLimited("slow down", status=429, retry_after=60.0)
    batch = pages("https://a.example/1", "https://a.example/2", "https://a.example/3")
    outcomes = {o.page.doc_id: o for o in run(gate, batch, max_hold=15.0,
                                              answers={"https://a.example/1": busy})}  # fmt: skip
    assert outcomes[0].error is busy
    assert outcomes[1].defer == 60.0 and outcomes[2].defer == 60.0
    assert gate.paused == [("a.example", 60.0)]


def test_an_outage_stops_the_batch():
    class Outage(Exception):
        pass

    gate = Gate()
    batch = pages("https://a.example/1", "https://b.example/1")
    with pytest.raises(Outage):
        run(gate, batch, answers={"https://a.example/1": Outage("redis down")}, fatal=(Outage,))


def test_a_url_without_a_host_fails_alone():
    gate = Gate()
    outcomes = {
        o.page.doc_id: o for o in run(gate, pages("https:///nohost", "https://a.example/1"))
    }
    assert isinstance(outcomes[0].error, E.InvalidURL)
    assert outcomes[1].result is not None


def test_batches_sharing_the_process_pool_do_not_race_for_a_hosts_slot():
    """Two batches with pages of the same host: once one has started an attempt, the other
    holds the host for the interval instead of trying too (which could only find the slot
    taken), and an attempt's send is known to every batch at once."""

    class SpacedGate(Gate):
        def __init__(self) -> None:
            super().__init__()
            self.known = {"a.example"}
            self.takes: list[float] = []

        def take(self, host: str) -> None:
            with self.lock:
                now = time.monotonic()
                if self.takes and now - self.takes[-1] < 0.2:
                    self.events.append((host, "busy"))
                    raise E.HostBusy(f"{host} busy", retry_after=0.2 - (now - self.takes[-1]))
                self.takes.append(now)

        def base_interval(self, host: str) -> float:
            return 0.2

    gate = SpacedGate()
    pool = Downloads(8)
    fetch_page = page_fetcher(gate)
    results: list[list[Outcome]] = []

    def batch(n: int) -> None:
        batch = [Page(n * 10 + i, f"https://a.example/{n}/{i}") for i in range(2)]
        out = run_batch(batch, gate=gate, fetch_page=fetch_page, pool=pool, per_host=2)
        results.append([o for o in out if o is not None])

    threads = [threading.Thread(target=batch, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(len(r) for r in results) == [2, 2]
    assert all(o.result is not None for r in results for o in r)
    assert ("a.example", "busy") not in gate.events, gate.events
    assert all(b - a >= 0.2 for a, b in zip(gate.takes, gate.takes[1:], strict=False))
