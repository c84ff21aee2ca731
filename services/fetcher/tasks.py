"""Celery plumbing of the fetch stage: claim documents, be polite, download, store, hand over.

The logic lives in services.fetcher.{http,robots,ratelimit}; this module only moves state.
A fetch message carries a batch of document ids (shared.runtime.handover): one claim statement, one
bulk store per flush and one parse message per flush serve the whole batch.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import Task
from sqlalchemy import Row, bindparam, func, select, update

from services.fetcher.discovery import FeedItem, parse_feed, parse_sitemap
from services.fetcher.errors import RobotsDisallowed, TransientFetchError
from services.fetcher.http import fetch as http_fetch
from services.fetcher.ratelimit import interval_for, reserve
from services.fetcher.robots import RobotsCache
from shared.urls import host_of, normalize_url
from shared.runtime.celery_app import INFRA_ERRORS, INFRA_RETRY, app
from shared.config import Settings, load_settings
from shared.contracts import FetchResult, PipelineError
from shared.db import session_scope
from shared.runtime.handover import send_ids
from shared.runtime.heartbeat import beat
from shared.runtime.intake import enqueue_urls, import_raw
from shared.logs import item_context
from shared.metrics import stage_cpu
from shared.models import DocState, Document, Feed
from shared.pipeline import backoff_seconds, compress, error_fields, transition
from shared.redis_client import get_redis

log = logging.getLogger(__name__)

CLAIMABLE = (DocState.queued, DocState.retrying)  # and `fetching` under a dead or own claim
ROBOTS_RETRY_AFTER = 60.0  # seconds before asking again after robots.txt was unavailable
ROBOTS_MEMO_SECONDS = 30.0  # a batch reuses a site's robots.txt entry for this long
# A batch stores what it has fetched and hands it to parse at least this often (and at least
# three times per lease, which it renews), so a batch of slow sites does not hold finished pages
# back, lose them to a crash, or look dead to the sweeper.
FLUSH_SECONDS = 5.0

_docs = Document.__table__
# One statement for the whole batch; executemany with per-document values.
_STORE = (
    update(_docs)
    .where(_docs.c.id == bindparam("doc_id"), _docs.c.state == DocState.fetching)
    .values(state=DocState.fetched, state_changed_at=func.now())
)


class RobotsUnavailable(TransientFetchError):
    """robots.txt could not be read (5xx, 429, network): retry later, do not fail for good."""


def claim(document_ids: list[int], task_id: str | None, lease_seconds: float) -> list[Row]:
    """Move the documents this task may fetch to `fetching`, under its task id.

    Free: queued or retrying. A `fetching` document is taken only when the claim is this task's
    own (Celery retried or redelivered it) or older than the lease (its holder died); so a
    second message for a page another worker is fetching right now does not fetch it again.
    """
    stale = func.now() - timedelta(seconds=lease_seconds)
    with session_scope() as db:
        return db.execute(
            update(Document)
            .where(
                Document.id.in_(document_ids),
                Document.state.in_(CLAIMABLE)
                | (
                    (Document.state == DocState.fetching)
                    & (
                        (Document.claimed_by == task_id)
                        | Document.claimed_by.is_(None)
                        | (Document.state_changed_at < stale)
                    )
                ),
            )
            .values(state=DocState.fetching, state_changed_at=func.now(), claimed_by=task_id)
            .returning(
                Document.id, Document.url, Document.etag, Document.last_modified,
                Document.attempts,
            )
        ).all()  # fmt: skip


@app.task(name="newsflow.fetch", bind=True, **INFRA_RETRY)
def fetch(self: Task, document_ids: list[int]) -> str:
    """Download a batch of documents; store each raw response and send them on to parse."""
    settings = load_settings()
    claimed = claim(document_ids, self.request.id, settings.lease_seconds)
    outcomes: Counter[str] = Counter(skipped=len(document_ids) - len(claimed))
    done: list[dict[str, Any]] = []
    deferred: list[tuple[int, float]] = []
    busy: dict[str, float] = {}  # host -> seconds until its next slot, seen in this batch
    robots = _robots(settings)  # one per batch: one robots.txt read per site in the batch
    flush_every = min(FLUSH_SECONDS, settings.lease_seconds / 3)
    flushed_at = time.monotonic()
    claimed = sorted(claimed)
    for n, (doc_id, url, etag, last_modified, attempts) in enumerate(claimed, 1):
        beat()
        with item_context(doc_id):
            try:
                # robots.txt rules and the download are the stage's logic; the rate-limit slot
                # is a Redis round trip, counted outside it
                with stage_cpu("fetch", count=False):
                    crawl_delay = robots_crawl_delay(url, settings, robots)
                host = host_of(url)
                wait = busy.get(host) or reserve_slot(url, settings, crawl_delay)
                if wait > 0:
                    # the host's slot is taken: come back later instead of sleeping in the worker
                    # (and do not ask again for the batch's other pages of this host)
                    busy[host] = wait
                    deferred.append((doc_id, wait))
                    continue
                with stage_cpu("fetch"):
                    result = http_fetch(
                        url,
                        settings=settings,
                        etag=etag,
                        last_modified=last_modified,
                        # redirect targets must be allowed by their own robots.txt too
                        before_hop=robots.hop_guard() if robots else None,
                    )
            except INFRA_ERRORS:
                _store_fetched(done)  # keep what is done; INFRA_RETRY runs the batch again
                raise
            except Exception as exc:  # recorded on the document, never dropped
                outcomes[_record_failure(doc_id, exc, attempts + 1, settings)] += 1
                continue
        done.append(_fetched_values(doc_id, attempts, result))
        if time.monotonic() - flushed_at > flush_every:
            outcomes["fetched"] += _store_fetched(done, renew=[c[0] for c in claimed[n:]])
            done, flushed_at = [], time.monotonic()
    outcomes["fetched"] += _store_fetched(done)
    if deferred:
        ids = [d for d, _ in deferred]
        with session_scope() as db:  # back to the queue: the next message may claim them
            db.execute(
                update(Document)
                .where(Document.id.in_(ids), Document.state == DocState.fetching)
                .values(state=DocState.queued, claimed_by=None)
            )
        send_ids("newsflow.fetch", ids, countdown=min(w for _, w in deferred))
        outcomes["deferred"] += len(deferred)
    return ", ".join(f"{n} {what}" for what, n in outcomes.items() if n)


def _fetched_values(doc_id: int, attempts: int, result: FetchResult) -> dict[str, Any]:
    values = {
        "doc_id": doc_id,
        "attempts": attempts + 1,
        "http_status": result.status,
        "etag": result.etag,
        "last_modified": result.last_modified,
        "fetched_at": datetime.now(UTC),
        "last_error_class": None,
        "last_error_message": None,
    }
    if not result.not_modified:  # a 304 keeps the stored page: it is still current
        values |= {
            "final_url": result.final_url,
            "content_type": result.content_type,
            "response_headers": result.headers,
            "raw_body": compress(result.body),
            "raw_size": len(result.body),
        }
    return values


def _store_fetched(done: list[dict[str, Any]], renew: Sequence[int] = ()) -> int:
    """Move fetched documents to `fetched` (one executemany per shape), send them to parse.

    `renew`: documents of the batch still to come; their lease restarts, so a long batch that is
    alive is not taken for a dead one by the sweeper (which re-sends after the lease).
    """
    if not done and not renew:
        return 0
    shapes: dict[frozenset[str], list[dict[str, Any]]] = {}
    for values in done:
        shapes.setdefault(frozenset(values), []).append(values)
    with session_scope() as db:
        for rows in shapes.values():
            db.execute(_STORE, rows)
        if renew:
            db.execute(
                update(Document)
                .where(Document.id.in_(renew), Document.state == DocState.fetching)
                .values(state_changed_at=func.now())
            )
    # a document another delivery already moved on is skipped by parse's state check
    send_ids("newsflow.parse", [v["doc_id"] for v in done])
    return len(done)


def polite_wait(url: str, settings: Settings, robots: RobotsCache | None = None) -> float:
    """robots.txt check, then a slot in the host's shared rate limit: seconds to wait (0 = go)."""
    return reserve_slot(url, settings, robots_crawl_delay(url, settings, robots))


def robots_crawl_delay(
    url: str, settings: Settings, robots: RobotsCache | None = None
) -> float | None:
    """Raise unless robots.txt lets us fetch `url`; its Crawl-delay (None when unset)."""
    if not settings.obey_robots:
        return None
    decision = (robots or _robots(settings)).check(url)
    if not decision.allowed and decision.source == "unreachable":
        # robots.txt answered 5xx/429 or not at all: Google's rule is "disallow for now"
        raise RobotsUnavailable(
            f"robots.txt unavailable ({decision.status}) for {url}",
            retry_after=ROBOTS_RETRY_AFTER,
        )
    if not decision.allowed:
        raise RobotsDisallowed(f"robots.txt disallows {url}")
    return decision.crawl_delay


def reserve_slot(url: str, settings: Settings, crawl_delay: float | None) -> float:
    """A slot in the host's rate limit shared by all workers: seconds to wait (0 = go)."""
    host = host_of(url)  # lower-case, punycode: one limit per host however the URL spells it
    return reserve(get_redis(), host, interval_for(host, settings, crawl_delay))


def _robots(settings: Settings) -> RobotsCache | None:
    if not settings.obey_robots:
        return None
    return RobotsCache(get_redis(), settings=settings, memo_seconds=ROBOTS_MEMO_SECONDS)


def _record_failure(document_id: int, exc: BaseException, attempt: int, settings: Settings) -> str:
    transient = getattr(exc, "transient", not isinstance(exc, PipelineError))
    status = getattr(exc, "status", None)
    fields = error_fields(exc) | {"attempts": attempt}
    if status is not None:
        fields["http_status"] = status
    if transient and attempt < settings.max_attempts:
        delay = backoff_seconds(attempt, settings, getattr(exc, "retry_after", None))
        with session_scope() as db:
            moved = transition(
                db, document_id, from_states=(DocState.fetching,), to=DocState.retrying, **fields
            )
        if moved:
            send_ids("newsflow.fetch", [document_id], countdown=delay)
        log.info("document %s: %s, retry in %.1fs", document_id, fields["last_error_class"], delay)
        return "retrying"
    with session_scope() as db:
        transition(db, document_id, from_states=(DocState.fetching,), to=DocState.failed, **fields)
    log.warning("document %s failed: %s", document_id, fields["last_error_message"])
    return "failed"


# --------------------------------------------------------------------------- discovery
MAX_SITEMAP_DEPTH = 3
MAX_SITEMAP_BYTES = 50 * 2**20  # the sitemaps.org limit, above the 10 MB page cap


def _feed_item_hint(item: FeedItem, feed_url: str) -> dict[str, Any]:
    """What parse needs to build the article from the item alone (JSON-serializable)."""
    return {
        "feed_url": feed_url,
        "feed_item": {
            "link": item.link,
            "title": item.title,
            "published": item.published.isoformat() if item.published else None,
            "updated": item.updated.isoformat() if item.updated else None,
            "categories": list(item.categories),
            "authors": list(item.authors),
            "content": item.content_html,
            "summary": item.summary,
            "media_content": [{"url": item.image_url, "medium": "image"}] if item.image_url else [],
            "id": item.guid,
        },
    }


@app.task(name="newsflow.fetch_feed", bind=True, max_retries=3)
def fetch_feed(self: Task, feed_url: str) -> str:
    """Poll an RSS/Atom feed: full-content items go straight to parse, others to fetch."""
    settings = load_settings()
    feed_key = normalize_url(feed_url)  # how `feeds add` stored it
    with session_scope() as db:
        feed = db.scalar(select(Feed).where(Feed.url == feed_key))
        etag, last_modified = (feed.etag, feed.last_modified) if feed else (None, None)
    try:
        wait = polite_wait(feed_url, settings)
        if wait > 0:
            fetch_feed.apply_async((feed_url,), countdown=wait)
            return "deferred"
        result = http_fetch(
            feed_url, settings=settings, etag=etag, last_modified=last_modified, accept_feeds=True
        )
        if result.not_modified:
            _feed_polled(feed_key, "not modified (304)")
            return "not-modified"
        items = parse_feed(result.body, result.final_url)
    except Exception as exc:
        _feed_polled(feed_key, f"error: {exc.__class__.__name__}: {exc}")
        if getattr(exc, "transient", False):
            delay = backoff_seconds(self.request.retries + 1, settings)
            raise self.retry(exc=exc, countdown=delay) from exc
        log.warning("feed %s failed: %r", feed_url, exc)
        return "failed"

    imported: list[int] = []
    to_fetch: dict[str, dict[str, Any]] = {}  # teaser items: link -> metadata for the page
    for item in items:
        if not item.link:
            continue
        hint = _feed_item_hint(item, result.final_url)
        if item.has_full_content and item.content_html:
            doc_id, _ = import_raw(
                item.content_html.encode("utf-8"),
                url=item.link,
                origin="feed",
                hints=hint,
                send=False,
            )
            if doc_id is not None:
                imported.append(doc_id)
        else:
            # the page will be fetched; keep the item's metadata to fill what the page lacks
            hint["feed_item"]["content"] = None
            to_fetch[item.link] = {"feed_meta": hint["feed_item"], "feed_url": hint["feed_url"]}
    send_ids("newsflow.parse", imported)
    new = len(imported)
    if to_fetch:
        new += len(enqueue_urls(list(to_fetch), origin="feed", hints=to_fetch).new)
    _feed_polled(
        feed_key,
        f"ok: {len(items)} items, {new} new",
        etag=result.etag,
        last_modified=result.last_modified,
        seen=len(items),
    )
    return f"{len(items)} items, {new} new"


def _feed_polled(url: str, status: str, *, etag=None, last_modified=None, seen: int = 0) -> None:
    values: dict[str, Any] = {"last_polled_at": datetime.now(UTC), "last_status": status[:500]}
    if etag or last_modified:
        values |= {"etag": etag, "last_modified": last_modified}
    if seen:
        values["items_seen"] = Feed.items_seen + seen
    with session_scope() as db:
        db.execute(update(Feed).where(Feed.url == url).values(**values))


@app.task(name="newsflow.fetch_sitemap", bind=True, max_retries=3)
def fetch_sitemap(self: Task, sitemap_url: str, depth: int = 0) -> str:
    """Read a sitemap (or sitemap index, recursively): enqueue its URLs with their news tags."""
    settings = load_settings()
    try:
        wait = polite_wait(sitemap_url, settings)
        if wait > 0:
            fetch_sitemap.apply_async((sitemap_url, depth), countdown=wait)
            return "deferred"
        result = http_fetch(
            sitemap_url, settings=settings, accept_feeds=True, max_bytes=MAX_SITEMAP_BYTES
        )
        parsed = parse_sitemap(result.body, result.final_url)
    except Exception as exc:
        _feed_polled(normalize_url(sitemap_url), f"error: {exc.__class__.__name__}: {exc}")
        if getattr(exc, "transient", False):
            delay = backoff_seconds(self.request.retries + 1, settings)
            raise self.retry(exc=exc, countdown=delay) from exc
        log.warning("sitemap %s failed: %r", sitemap_url, exc)
        return "failed"
    for child in parsed.sitemaps:
        if depth < MAX_SITEMAP_DEPTH:
            fetch_sitemap.delay(child, depth + 1)
    hints = {
        e.loc: {
            "sitemap": sitemap_url,
            "news_title": e.news_title,
            "news_publication_date": e.news_publication_date.isoformat()
            if e.news_publication_date
            else None,
            "news_language": e.news_language,
        }
        for e in parsed.urls
        if e.news_title or e.news_publication_date
    }
    report = enqueue_urls([e.loc for e in parsed.urls], origin="sitemap", hints=hints)
    _feed_polled(
        normalize_url(sitemap_url),
        f"ok: {len(parsed.urls)} urls, {len(report.new)} new",
        seen=len(parsed.urls),
    )
    return f"{len(parsed.urls)} urls, {len(parsed.sitemaps)} sitemaps, {len(report.new)} new"
