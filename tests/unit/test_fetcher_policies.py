"""The fetch stage's pure policies: robots.txt verdicts, hold-or-defer, Retry-After pauses,
transient-vs-permanent, feed/sitemap hints, and the per-host schedule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.fetcher import errors as E
from services.fetcher.discovery import FeedItem, SitemapEntry
from services.fetcher.failures import is_transient, verdict
from services.fetcher.hints import feed_item_hint, sitemap_hints, teaser_hint
from services.fetcher.politeness import (
    ROBOTS_RETRY_AFTER,
    hold_or_defer,
    robots_crawl_delay,
    server_pause,
)
from services.fetcher.robots import RobotsDecision
from services.fetcher.schedule import HostSchedule, Page
from shared.config import Settings
from shared.contracts import NotAnArticle


# --------------------------------------------------------------------------- politeness
def test_robots_rules_allow_with_their_crawl_delay():
    assert robots_crawl_delay(RobotsDecision(True, 2.5), "https://a.example/x") == 2.5
    assert robots_crawl_delay(RobotsDecision(True, None, source="no-robots"), "u") is None


def test_robots_disallow_is_permanent_and_unreachable_is_a_retry_later():
    with pytest.raises(E.RobotsDisallowed) as refused:
        robots_crawl_delay(RobotsDecision(False, None, source="rules"), "https://a.example/p")
    assert not refused.value.transient
    with pytest.raises(E.RobotsUnavailable) as later:
        robots_crawl_delay(RobotsDecision(False, None, source="unreachable", status=503), "u")
    assert later.value.transient and later.value.retry_after == ROBOTS_RETRY_AFTER


@pytest.mark.parametrize(
    ("wait", "action"), [(0.0, "go"), (-1.0, "go"), (0.4, "hold"), (15.0, "hold"), (15.1, "defer")]
)
def test_a_short_wait_is_held_in_the_batch_a_long_one_goes_back_to_the_queue(wait, action):
    assert hold_or_defer(wait, max_hold=15.0) == action


def test_retry_after_on_429_and_503_pauses_the_host_other_errors_do_not():
    assert server_pause(E.RateLimited("x", status=429, retry_after=7)) == 7.0
    assert server_pause(E.ServiceUnavailable("x", status=503, retry_after=3)) == 3.0
    assert server_pause(E.RateLimited("x", status=429)) is None  # no Retry-After given
    assert server_pause(E.ServerError("x", status=500, retry_after=9)) is None
    assert server_pause(ValueError("x")) is None


# --------------------------------------------------------------------------- failures
def test_one_transient_policy_for_typed_and_unknown_errors():
    assert is_transient(E.FetchTimeout("t")) and is_transient(E.HostBusy("b"))
    assert not is_transient(E.ClientError("404")) and not is_transient(E.TooLarge("big"))
    assert not is_transient(NotAnArticle("listing", "a section front"))  # typed: says permanent
    assert is_transient(KeyError("surprise"))  # untyped: retried, bounded by max_attempts


def test_verdict_retries_transient_errors_until_max_attempts_honouring_retry_after():
    settings = Settings(max_attempts=3, retry_base_delay=1.0, retry_max_delay=100.0)
    first = verdict(E.RateLimited("slow down", retry_after=40), 1, settings)
    assert first.retry and first.delay >= 40
    assert verdict(E.ServerError("500"), 2, settings).retry
    assert not verdict(E.ServerError("500"), 3, settings).retry  # attempts used up
    assert not verdict(E.ClientError("404"), 1, settings).retry


# --------------------------------------------------------------------------- hints
def _item(**kw) -> FeedItem:
    base = dict(link="https://a.example/n/1", title="T", content_html="<p>full</p>",
                published=datetime(2026, 1, 2, 3, 4, tzinfo=UTC), categories=["World"],
                authors=["Ann"], summary="S", image_url="https://a.example/i.jpg", guid="g1")  # fmt: skip
    return FeedItem(**(base | kw))


def test_feed_item_hint_carries_what_parse_needs():
    hint = feed_item_hint(_item(), "https://a.example/feed")
    assert hint["feed_url"] == "https://a.example/feed"
    item = hint["feed_item"]
    assert item["content"] == "<p>full</p>" and item["published"] == "2026-01-02T03:04:00+00:00"
    assert item["media_content"] == [{"url": "https://a.example/i.jpg", "medium": "image"}]
    assert item["updated"] is None and item["id"] == "g1"


def test_teaser_hint_keeps_the_metadata_without_the_content():
    hint = teaser_hint(_item(), "https://a.example/feed")
    assert hint["feed_url"] == "https://a.example/feed"
    assert hint["feed_meta"]["content"] is None and hint["feed_meta"]["title"] == "T"


def test_sitemap_hints_only_for_entries_with_news_tags():
    entries = [
        SitemapEntry(loc="https://a.example/1", news_title="One"),
        SitemapEntry(loc="https://a.example/2"),
        SitemapEntry(loc="https://a.example/3",
                     news_publication_date=datetime(2026, 5, 1, tzinfo=UTC), news_language="de"),
    ]  # fmt: skip
    hints = sitemap_hints(entries, "https://a.example/sitemap.xml")
    assert set(hints) == {"https://a.example/1", "https://a.example/3"}
    assert hints["https://a.example/3"]["news_publication_date"] == "2026-05-01T00:00:00+00:00"
    assert hints["https://a.example/1"]["sitemap"] == "https://a.example/sitemap.xml"


# --------------------------------------------------------------------------- schedule
def _page(n: int) -> Page:
    return Page(n, f"https://h/{n}")


def test_hosts_become_due_by_their_own_hold_not_by_batch_order():
    sched = HostSchedule(per_host=1)
    for n, host in enumerate(["slow", "slow", "fast", "fast"]):
        sched.add(host, _page(n))
    sched.hold("slow", until=10.0)
    assert sched.due(now=0.0) == ["fast"]  # the busy host holds up no one
    assert sched.next_wake() == 0.0  # "fast" is due now
    assert sched.due(now=10.0) == ["fast", "slow"]  # the one due longest first


def test_per_host_bound_blocking_and_a_hold_that_does_not_move_back():
    sched = HostSchedule(per_host=2)
    for n in range(3):
        sched.add("h", _page(n))
    sched.started("h")
    assert sched.due(0.0) == ["h"]
    sched.started("h")
    assert sched.due(0.0) == [] and sched.next_wake() is None  # two in flight: the bound
    sched.finished("h")
    sched.block("h")  # its robots.txt is being fetched
    assert sched.due(0.0) == []
    sched.unblock("h")
    sched.hold("h", 5.0)
    sched.hold("h", 2.0)  # an estimate never shortens a hold
    assert sched.next_wake() == 5.0
    sched.hold("h", 2.0, exact=True)  # the shared limit said so
    assert sched.next_wake() == 2.0


def test_pages_go_back_first_and_drain_takes_the_rest():
    sched = HostSchedule()
    for n in range(3):
        sched.add("h", _page(n))
    first = sched.pop("h")
    sched.put_back("h", first)
    assert sched.peek("h") == first and sched.waiting_for("h") == 3
    assert [p.doc_id for p in sched.drain("h")] == [0, 1, 2]
    assert sched.done()
