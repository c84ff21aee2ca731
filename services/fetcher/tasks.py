"""Celery plumbing of the fetch stage: claim a document, be polite, download, store, hand over.

The logic lives in services.fetcher.{http,robots,ratelimit}; this module only moves state.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from celery import Task
from sqlalchemy import select, update

from services.fetcher.discovery import FeedItem, parse_feed, parse_sitemap
from services.fetcher.errors import RobotsDisallowed, TransientFetchError
from services.fetcher.http import fetch as http_fetch
from services.fetcher.ratelimit import interval_for, reserve
from services.fetcher.robots import RobotsCache, check_robots
from services.fetcher.urls import host_of, normalize_url
from shared.celery_app import INFRA_ERRORS, INFRA_RETRY, app
from shared.config import Settings, load_settings
from shared.contracts import PipelineError
from shared.db import session_scope
from shared.intake import enqueue_urls, import_raw
from shared.metrics import stage_cpu
from shared.models import DocState, Document, Feed
from shared.pipeline import backoff_seconds, compress, error_fields, transition
from shared.redis_client import get_redis

log = logging.getLogger(__name__)

CLAIMABLE = (DocState.queued, DocState.retrying, DocState.fetching)
ROBOTS_RETRY_AFTER = 60.0  # seconds before asking again after robots.txt was unavailable


class RobotsUnavailable(TransientFetchError):
    """robots.txt could not be read (5xx, 429, network): retry later, do not fail for good."""


@app.task(name="newsflow.fetch", bind=True, **INFRA_RETRY)
def fetch(self: Task, document_id: int) -> str:
    """Download one document; on success store the raw response and send it to parse."""
    settings = load_settings()
    with session_scope() as db:
        claimed = transition(
            db,
            document_id,
            from_states=CLAIMABLE,
            to=DocState.fetching,
            returning=(Document.url, Document.etag, Document.last_modified, Document.attempts),
        )
    if claimed is None:
        return "skipped"  # already fetched (duplicate message) or unknown id
    url, etag, last_modified, attempts = claimed

    try:
        wait = polite_wait(url, settings)
        if wait > 0:
            # the host's slot is taken: come back later instead of sleeping in the worker
            fetch.apply_async((document_id,), countdown=wait)
            return "deferred"
        with stage_cpu("fetch"):
            result = http_fetch(
                url,
                settings=settings,
                etag=etag,
                last_modified=last_modified,
                before_hop=_robots_guard(settings),
            )
    except INFRA_ERRORS:
        raise  # our Redis/PostgreSQL, not the page: INFRA_RETRY runs the task again, uncharged
    except Exception as exc:  # recorded on the document, never dropped
        return _record_failure(document_id, exc, attempts + 1, settings)

    fields = {
        "attempts": attempts + 1,
        "http_status": result.status,
        "etag": result.etag,
        "last_modified": result.last_modified,
        "fetched_at": datetime.now(UTC),
        "last_error_class": None,
        "last_error_message": None,
    }
    if not result.not_modified:  # a 304 keeps the stored page: it is still current
        fields |= {
            "final_url": result.final_url,
            "content_type": result.content_type,
            "response_headers": result.headers,
            "raw_body": compress(result.body),
            "raw_size": len(result.body),
        }
    with session_scope() as db:
        moved = transition(
            db, document_id, from_states=(DocState.fetching,), to=DocState.fetched, **fields
        )
    if moved:
        app.send_task("newsflow.parse", (document_id,))
    return "fetched"


def polite_wait(url: str, settings: Settings) -> float:
    """robots.txt check, then a slot in the host's shared rate limit: seconds to wait (0 = go)."""
    rds = get_redis()
    host = host_of(url)  # lower-case, punycode: one limit per host however the URL spells it
    crawl_delay = None
    if settings.obey_robots:
        decision = check_robots(url, rds, settings)
        if not decision.allowed and decision.source == "unreachable":
            # robots.txt answered 5xx/429 or not at all: Google's rule is "disallow for now"
            raise RobotsUnavailable(
                f"robots.txt unavailable ({decision.status}) for {url}",
                retry_after=ROBOTS_RETRY_AFTER,
            )
        if not decision.allowed:
            raise RobotsDisallowed(f"robots.txt disallows {url}")
        crawl_delay = decision.crawl_delay
    return reserve(rds, host, interval_for(host, settings, crawl_delay))


def _robots_guard(settings: Settings):
    """Redirect targets must be allowed by their own robots.txt too."""
    if not settings.obey_robots:
        return None
    return RobotsCache(get_redis(), settings=settings).hop_guard()


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
            fetch.apply_async((document_id,), countdown=delay)
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

    new = 0
    to_fetch: dict[str, dict[str, Any]] = {}  # teaser items: link -> metadata for the page
    for item in items:
        if not item.link:
            continue
        hint = _feed_item_hint(item, result.final_url)
        if item.has_full_content and item.content_html:
            doc_id, _ = import_raw(
                item.content_html.encode("utf-8"), url=item.link, origin="feed", hints=hint
            )
            new += doc_id is not None
        else:
            # the page will be fetched; keep the item's metadata to fill what the page lacks
            hint["feed_item"]["content"] = None
            to_fetch[item.link] = {"feed_meta": hint["feed_item"], "feed_url": hint["feed_url"]}
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
