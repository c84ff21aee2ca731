"""Maintenance tasks run by beat on the `maintenance` queue.

PostgreSQL is the source of truth, Redis is not (it keeps nothing on disk): the sweeper re-sends
work for documents whose state has not moved for longer than a lease, so a lost message or a
Redis restart only delays work.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from shared.celery_app import INFRA_RETRY, app
from shared.config import load_settings
from shared.db import session_scope
from shared.dispatch import send_ids
from shared.models import Article, DocState, Document, Feed
from shared.status import queue_lengths

log = logging.getLogger(__name__)

# Waiting states: their message sits in a queue. While that queue still holds messages the
# document may simply be waiting its turn behind a backlog, so it is not re-sent yet (that would
# pile up copies); once the queue is empty, a document still waiting has lost its message.
_WAITING_QUEUE = {
    DocState.queued: "fetch",
    DocState.fetched: "parse",
    DocState.parsed: "enrich",
}

# state -> the task that moves it on
_NEXT_TASK = {
    DocState.queued: "newsflow.fetch",
    DocState.retrying: "newsflow.fetch",
    DocState.fetching: "newsflow.fetch",
    DocState.fetched: "newsflow.parse",
    DocState.parsed: "newsflow.enrich",
}


@app.task(name="newsflow.sweep", **INFRA_RETRY)
def sweep(lease_seconds: int | None = None, limit: int = 5000) -> dict[str, int]:
    """Re-send the next task for documents stuck in a state for longer than the lease."""
    lease = lease_seconds if lease_seconds is not None else load_settings().lease_seconds
    cutoff = datetime.now(UTC) - timedelta(seconds=lease)
    backlog = queue_lengths()
    states = [s for s in _NEXT_TASK if not backlog.get(_WAITING_QUEUE.get(s, ""), 0)]
    resent: dict[str, int] = {}
    with session_scope() as db:
        rows = db.execute(
            select(Document.id, Document.state, Article.id)
            .outerjoin(Article, Article.document_id == Document.id)
            .where(Document.state.in_(states), Document.state_changed_at < cutoff)
            .order_by(Document.state_changed_at)
            .limit(limit)
            .with_for_update(of=Document, skip_locked=True)
        ).all()
        if rows:
            # restart the lease so the next sweep does not send the same work again
            db.execute(
                update(Document)
                .where(Document.id.in_([r[0] for r in rows]))
                .values(state_changed_at=func.now())
            )
            # a fetch claim this old is dead (its worker was killed): release it, so the
            # re-sent message may claim the document
            dead_claims = [r[0] for r in rows if r[1] == DocState.fetching]
            if dead_claims:
                db.execute(
                    update(Document)
                    .where(Document.id.in_(dead_claims), Document.state == DocState.fetching)
                    .values(state=DocState.queued, claimed_by=None)
                )
    batches: dict[str, list[int]] = {}
    for doc_id, state, article_id in rows:
        task = _NEXT_TASK[state]
        if task == "newsflow.enrich":
            if article_id is None:
                continue
            batches.setdefault(task, []).append(article_id)
        else:
            batches.setdefault(task, []).append(doc_id)
        resent[state.value] = resent.get(state.value, 0) + 1
    for task, ids in batches.items():
        send_ids(task, ids)
    if resent:
        log.warning("sweeper re-sent stale work: %s", resent)
    return resent


@app.task(name="newsflow.poll_feeds", **INFRA_RETRY)
def poll_feeds() -> int:
    """Send a fetch for every feed or sitemap whose next poll is due."""
    now = datetime.now(UTC)
    with session_scope() as db:
        due = db.execute(
            select(Feed.id, Feed.kind, Feed.url, Feed.interval_seconds)
            .where(Feed.next_poll_at <= now)
            .with_for_update(skip_locked=True)
        ).all()
        for feed_id, _, _, interval in due:
            db.execute(
                update(Feed)
                .where(Feed.id == feed_id)
                .values(next_poll_at=now + timedelta(seconds=interval))
            )
    for _, kind, url, _ in due:
        app.send_task(
            "newsflow.fetch_sitemap" if kind == "sitemap" else "newsflow.fetch_feed", (url,)
        )
    return len(due)
