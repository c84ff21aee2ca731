"""Celery plumbing of the fetch stage: claim -> download (concurrently, politely) -> store ->
hand over; and the discovery tasks (feeds, sitemaps).

A fetch message carries a batch of document ids. The pages are downloaded by the process's
concurrent downloader (services.fetcher.downloader), scheduled by host; the policies are pure
modules of the stage (politeness, failures, hints), the SQL is in services.fetcher.store.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

from celery import Task

from services.fetcher.discovery import parse_feed, parse_sitemap
from services.fetcher.downloader import Outcome, downloads, run_batch
from services.fetcher.errors import HostBusy
from services.fetcher.failures import Verdict, is_transient, verdict
from services.fetcher.gate import HostGate, batch_gate, shared_session
from services.fetcher.hints import feed_item_hint, sitemap_hints, teaser_hint
from services.fetcher.http import fetch as http_fetch
from services.fetcher.schedule import Page
from services.fetcher.store import (
    claim,
    feed_polled,
    feed_validators,
    fetched_values,
    pages,
    release,
    settle_failure,
    store_fetched,
)
from shared.config import Settings, load_settings
from shared.contracts import FetchResult
from shared.logs import item_context
from shared.metrics import stage_cpu
from shared.pipeline import backoff_seconds
from shared.redis_client import get_redis
from shared.runtime.batch import summary
from shared.runtime.celery_app import INFRA_ERRORS, app
from shared.runtime.handover import hand_over, send_to
from shared.runtime.heartbeat import beat
from shared.runtime.intake import enqueue_urls, import_raw
from shared.runtime.stage_task import StageTask
from shared.runtime.stages import stage
from shared.urls import host_of, normalize_url

log = logging.getLogger(__name__)

STAGE = stage("fetch")
# A batch stores what it has fetched and hands it over at least this often (and at least three
# times per lease, which it renews), so a batch of slow sites does not hold finished pages back,
# lose them to a crash, or look dead to the sweeper.
FLUSH_SECONDS = 5.0
MAX_SITEMAP_DEPTH = 3
MAX_SITEMAP_BYTES = 50 * 2**20  # the sitemaps.org limit, above the 10 MB page cap

__all__ = ["claim", "fetch", "fetch_feed", "fetch_sitemap", "store_and_hand_over"]


@app.task(name=STAGE.task, bind=True, base=StageTask)
def fetch(self: Task, document_ids: list[int]) -> str:
    """Download a batch of documents; store each raw response and hand them over."""
    settings = load_settings()
    claimed = pages(claim(document_ids, self.request.id, settings.lease_seconds))
    batch = _Batch(settings, claimed)
    batch.outcomes["skipped"] = len(document_ids) - len(claimed)
    pool = downloads(settings.fetch_concurrency)
    try:
        with batch_gate(get_redis(), settings, shared_session(settings), pool.note_free) as gate:
            for outcome in run_batch(
                claimed, gate=gate, fetch_page=_page_fetcher(settings, gate), pool=pool,
                per_host=settings.fetch_per_host, fatal=INFRA_ERRORS,
            ):  # fmt: skip
                beat()
                if outcome is not None:
                    batch.settle(outcome)
                batch.flush(due_only=True)
    except INFRA_ERRORS:
        batch.flush()  # keep what is done; StageTask retries the batch after an outage
        raise
    batch.flush()
    batch.send_deferred()
    return summary(batch.outcomes)


def _page_fetcher(settings: Settings, gate: HostGate):
    """fetch_page for run_batch: the download itself, on a download thread."""

    def fetch_page(page: Page, slot: Any) -> FetchResult:
        with item_context(page.doc_id), stage_cpu("fetch"):
            return http_fetch(
                page.url, settings=settings, session=gate.session, etag=page.etag,
                last_modified=page.last_modified,
                before_hop=gate.hop_guard(),  # redirect targets obey their own robots.txt
                **slot.hooks(),
            )  # fmt: skip

    return fetch_page


class _Batch:
    """What one fetch task has to store, retry and defer, flushed as it goes."""

    def __init__(self, settings: Settings, claimed: list[Page]) -> None:
        self.settings = settings
        self.outcomes: Counter[str] = Counter()
        self.open = {p.doc_id for p in claimed}  # no outcome yet: their lease is renewed
        self.done: list[dict[str, Any]] = []
        self.deferred: list[tuple[int, float]] = []
        self.flush_every = min(FLUSH_SECONDS, settings.lease_seconds / 3)
        self.flushed_at = time.monotonic()

    def settle(self, outcome: Outcome) -> None:
        page = outcome.page
        self.open.discard(page.doc_id)
        if outcome.result is not None:
            self.done.append(fetched_values(page, outcome.result))
        elif outcome.defer is not None:
            self.deferred.append((page.doc_id, outcome.defer))
        elif outcome.error is not None:
            with item_context(page.doc_id):
                self.outcomes[_record_failure(page, outcome.error, self.settings)] += 1

    def flush(self, due_only: bool = False) -> None:
        if due_only and time.monotonic() - self.flushed_at <= self.flush_every:
            return
        stored = store_fetched(self.done, renew=sorted(self.open) if due_only else ())
        hand_over(STAGE.name, stored)  # a document moved on already is skipped by its state
        self.outcomes["fetched"] += len(stored)
        self.done, self.flushed_at = [], time.monotonic()

    def send_deferred(self) -> None:
        if self.deferred:  # back to the queue: the next message may claim them
            ids = [d for d, _ in self.deferred]
            release(ids)
            send_to(STAGE.name, ids, countdown=min(w for _, w in self.deferred))
            self.outcomes["deferred"] += len(ids)


def _record_failure(page: Page, exc: BaseException, settings: Settings) -> str:
    decisions: list[Verdict] = []

    def decide(attempt: int) -> bool:  # the stored attempt count decides, not the claimed row
        decisions.append(verdict(exc, attempt, settings))
        return decisions[-1].retry

    settled = settle_failure(page.doc_id, exc, decide)
    if settled is None:
        log.info("document %s: %s, no longer this fetch's", page.doc_id, type(exc).__name__)
        return "skipped"
    if not decisions[-1].retry:
        log.warning("document %s failed: %s", page.doc_id, exc)
        return "failed"
    send_to(STAGE.name, [page.doc_id], countdown=decisions[-1].delay)
    log.info(
        "document %s: %s (attempt %d), retry in %.1fs",
        page.doc_id, type(exc).__name__, settled[0], decisions[-1].delay,
    )  # fmt: skip
    return "retrying"


def store_and_hand_over(done: list[dict[str, Any]], renew: list[int] | tuple = ()) -> int:
    """Store fetched documents and hand them over (the batch's flush, callable alone)."""
    stored = store_fetched(done, renew)
    hand_over(STAGE.name, stored)
    return len(stored)


# --------------------------------------------------------------------------- discovery
def _polite_fetch(url: str, settings: Settings, **kwargs: Any) -> FetchResult:
    """One download with robots.txt and the host's slot (HostBusy: come back later)."""
    gate = HostGate(get_redis(), settings, shared_session(settings))
    crawl_delay = gate.crawl_delay(url)  # RobotsDisallowed, RobotsUnavailable, HostBusy
    slot = gate.slot(host_of(url), crawl_delay)
    return http_fetch(url, settings=settings, session=gate.session, **slot.hooks(), **kwargs)


def _discovery_failed(task: Task, what: str, url: str, exc: Exception, settings: Settings) -> str:
    feed_polled(normalize_url(url), f"error: {exc.__class__.__name__}: {exc}")
    if is_transient(exc):
        delay = backoff_seconds(task.request.retries + 1, settings)
        raise task.retry(exc=exc, countdown=delay) from exc
    log.warning("%s %s failed: %r", what, url, exc)
    return "failed"


@app.task(name="newsflow.fetch_feed", bind=True, max_retries=3)
def fetch_feed(self: Task, feed_url: str) -> str:
    """Poll an RSS/Atom feed: full-content items go straight to parse, others to fetch."""
    settings = load_settings()
    feed_key = normalize_url(feed_url)  # how `feeds add` stored it
    etag, last_modified = feed_validators(feed_key)
    try:
        result = _polite_fetch(
            feed_url, settings, etag=etag, last_modified=last_modified, accept_feeds=True
        )
        if result.not_modified:
            feed_polled(feed_key, "not modified (304)")
            return "not-modified"
        items = parse_feed(result.body, result.final_url)
    except HostBusy as busy:
        fetch_feed.apply_async((feed_url,), countdown=busy.retry_after)
        return "deferred"
    except Exception as exc:
        return _discovery_failed(self, "feed", feed_url, exc, settings)
    imported: list[int] = []
    to_fetch: dict[str, dict[str, Any]] = {}  # teaser items: link -> metadata for the page
    for item in (i for i in items if i.link):
        if item.has_full_content and item.content_html:
            doc_id, _ = import_raw(item.content_html.encode("utf-8"), url=item.link, origin="feed",
                                   hints=feed_item_hint(item, result.final_url), send=False)  # fmt: skip
            imported += [doc_id] if doc_id is not None else []
        else:  # the page will be fetched; the item's metadata fills what the page lacks
            to_fetch[item.link] = teaser_hint(item, result.final_url)
    hand_over(STAGE.name, imported)
    new = len(imported)
    if to_fetch:
        new += len(enqueue_urls(list(to_fetch), origin="feed", hints=to_fetch).new)
    feed_polled(feed_key, f"ok: {len(items)} items, {new} new", etag=result.etag,
                last_modified=result.last_modified, seen=len(items))  # fmt: skip
    return f"{len(items)} items, {new} new"


@app.task(name="newsflow.fetch_sitemap", bind=True, max_retries=3)
def fetch_sitemap(self: Task, sitemap_url: str, depth: int = 0) -> str:
    """Read a sitemap (or sitemap index, recursively): enqueue its URLs with their news tags."""
    settings = load_settings()
    try:
        result = _polite_fetch(
            sitemap_url, settings, accept_feeds=True, max_bytes=MAX_SITEMAP_BYTES
        )
        parsed = parse_sitemap(result.body, result.final_url)
    except HostBusy as busy:
        fetch_sitemap.apply_async((sitemap_url, depth), countdown=busy.retry_after)
        return "deferred"
    except Exception as exc:
        return _discovery_failed(self, "sitemap", sitemap_url, exc, settings)
    for child in parsed.sitemaps:
        if depth < MAX_SITEMAP_DEPTH:
            fetch_sitemap.delay(child, depth + 1)
    hints = sitemap_hints(parsed.urls, sitemap_url)
    report = enqueue_urls([e.loc for e in parsed.urls], origin="sitemap", hints=hints)
    feed_polled(normalize_url(sitemap_url), f"ok: {len(parsed.urls)} urls, "
                f"{len(report.new)} new", seen=len(parsed.urls))  # fmt: skip
    return f"{len(parsed.urls)} urls, {len(parsed.sitemaps)} sitemaps, {len(report.new)} new"
