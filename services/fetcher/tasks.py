"""Celery plumbing of the fetch stage: claim a document, be polite, download, store, hand over.

The logic lives in services.fetcher.{http,robots,ratelimit}; this module only moves state.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import urlsplit

from celery import Task

from services.fetcher.http import fetch as http_fetch
from services.fetcher.ratelimit import interval_for, reserve
from services.fetcher.robots import check_robots
from shared.celery_app import app
from shared.config import load_settings
from shared.contracts import PipelineError
from shared.db import session_scope
from shared.models import DocState, Document
from shared.pipeline import backoff_seconds, compress, error_fields, transition
from shared.redis_client import get_redis

log = logging.getLogger(__name__)

CLAIMABLE = (DocState.queued, DocState.retrying, DocState.fetching)


class RobotsDisallowedError(PipelineError):
    """robots.txt forbids this URL for our user agent."""


@app.task(name="newsflow.fetch", bind=True)
def fetch(self: Task, document_id: int) -> str:
    """Download one document; on success store the raw response and send it to parse."""
    settings = load_settings()
    with session_scope() as db:
        if not transition(db, document_id, from_states=CLAIMABLE, to=DocState.fetching):
            return "skipped"  # already fetched (duplicate message) or unknown id
        doc = db.get(Document, document_id)
        assert doc is not None
        url, etag, last_modified, attempts = doc.url, doc.etag, doc.last_modified, doc.attempts

    rds = get_redis()
    host = urlsplit(url).hostname or ""
    try:
        crawl_delay = None
        if settings.obey_robots:
            decision = check_robots(url, rds, settings)
            if not decision.allowed:
                raise RobotsDisallowedError(f"robots.txt disallows {url}")
            crawl_delay = decision.crawl_delay
        wait = reserve(rds, host, interval_for(host, settings, crawl_delay))
        if wait > 0:
            # the host's slot is taken: come back later instead of sleeping in the worker
            fetch.apply_async((document_id,), countdown=wait)
            return "deferred"
        result = http_fetch(url, settings=settings, etag=etag, last_modified=last_modified)
    except Exception as exc:  # recorded on the document, never dropped
        return _record_failure(document_id, exc, attempts + 1, settings)

    with session_scope() as db:
        moved = transition(
            db,
            document_id,
            from_states=(DocState.fetching,),
            to=DocState.fetched,
            attempts=attempts + 1,
            http_status=result.status,
            final_url=result.final_url,
            content_type=result.content_type,
            response_headers=result.headers,
            etag=result.etag,
            last_modified=result.last_modified,
            raw_body=compress(result.body),
            raw_size=len(result.body),
            fetched_at=datetime.now(UTC),
            last_error_class=None,
            last_error_message=None,
        )
    if moved:
        app.send_task("newsflow.parse", (document_id,))
    return "fetched"


def _record_failure(document_id: int, exc: BaseException, attempt: int, settings) -> str:
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
