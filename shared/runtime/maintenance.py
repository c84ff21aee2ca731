"""Maintenance tasks run by beat on the `maintenance` queue.

PostgreSQL is the source of truth, Redis is not (it keeps nothing on disk): the sweeper re-sends
work for documents whose state has not moved for longer than a lease, so a lost message or a
Redis restart only delays work.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, func, or_, select, update

from shared.config import Settings, load_settings
from shared.db import session_scope
from shared.models import Article, DocState, Document, Feed
from shared.runtime.celery_app import INFRA_RETRY, app
from shared.runtime.handover import send_to
from shared.runtime.queues import queue_lengths
from shared.runtime.stages import (
    FEED_TASK,
    POLL_FEEDS_TASK,
    SITEMAP_TASK,
    STAGES,
    SWEEP_TASK,
    stage_for_state,
)

log = logging.getLogger(__name__)


def lease_for(state: DocState, settings: Settings) -> float:
    """Seconds a document may stay in `state` without moving before it counts as stalled: the
    lease of the stage that moves it on (a retry's lease starts after its longest backoff)."""
    st = stage_for_state(state)
    if st is None:
        return float("inf")
    leases = {"parse": settings.parse_lease_seconds, "enrich": settings.enrich_lease_seconds}
    lease = float(leases.get(st.name, settings.lease_seconds))
    if state == DocState.retrying:
        lease += settings.retry_max_delay
    return lease


def sweep_cutoffs(
    settings: Settings,
    backlog: dict[str, int],
    lease_seconds: float | None = None,
    behind_backlog: bool = False,
) -> dict[DocState, float]:
    """Per state with work ahead: seconds without a move after which the sweeper re-sends.

    A document in a stage's waiting state has its message in that stage's queue. While the queue
    holds messages the document may be waiting its turn behind a backlog: it is not re-sent
    (that would pile up copies). Once the queue is empty, a document still waiting has lost its
    message (Redis restarted empty, a worker died holding it): re-sent after
    `lost_message_seconds`. The other states (inside a task) are re-sent after their lease.
    `behind_backlog`: waiting behind a backlog counts too, after the stage's lease (`status`:
    a queue that does not drain, e.g. no worker consumes it, is a stall as well).
    """
    cutoffs: dict[DocState, float] = {}
    for st in STAGES:
        for state in st.input_states:
            lease = lease_for(state, settings) if lease_seconds is None else lease_seconds
            if state == st.waiting_state:
                if not backlog.get(st.queue, 0):
                    lease = min(lease, settings.lost_message_seconds)
                elif not behind_backlog:
                    continue
            cutoffs[state] = lease
    return cutoffs


def stale_clause(cutoffs: dict[DocState, float], now: datetime) -> ColumnElement[bool]:
    """Documents in one of the states of `cutoffs` that have not moved for that long."""
    return or_(
        false(),
        *(
            and_(Document.state == state, Document.state_changed_at < now - timedelta(seconds=s))
            for state, s in cutoffs.items()
        ),
    )


@app.task(name=SWEEP_TASK, **INFRA_RETRY)
def sweep(lease_seconds: int | None = None, limit: int = 5000) -> dict[str, int]:
    """Re-send the next task for documents that have lost their message or outlived their
    lease (`lease_seconds` overrides every stage's lease)."""
    now = datetime.now(UTC)
    cutoffs = sweep_cutoffs(load_settings(), queue_lengths(), lease_seconds)
    stale = stale_clause(cutoffs, now)
    resent: dict[str, int] = {}
    with session_scope() as db:
        rows = db.execute(
            select(Document.id, Document.state, Article.id)
            .outerjoin(Article, Article.document_id == Document.id)
            .where(stale)
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
        st = stage_for_state(state)
        item = article_id if st.ids == "article" else doc_id
        if item is None:
            continue
        batches.setdefault(st.name, []).append(item)
        resent[state.value] = resent.get(state.value, 0) + 1
    for name, ids in batches.items():
        send_to(name, ids)
    if resent:
        log.warning("sweeper re-sent stale work: %s", resent)
    return resent


@app.task(name=POLL_FEEDS_TASK, **INFRA_RETRY)
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
        app.send_task(SITEMAP_TASK if kind == "sitemap" else FEED_TASK, (url,))
    return len(due)
