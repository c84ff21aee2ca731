"""What the pipeline is doing: documents per state, messages per queue, workers online."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from shared.config import load_settings
from shared.db import session_scope
from shared.models import IN_PROGRESS, DocState, Document
from shared.redis_client import get_redis
from shared.runtime.celery_app import app
from shared.runtime.maintenance import stale_clause, sweep_cutoffs
from shared.runtime.queues import queue_lengths
from shared.runtime.stages import FEED_TASK, POLL_FEEDS_TASK, SITEMAP_TASK


def document_counts() -> dict[str, int]:
    with session_scope() as db:
        rows = db.execute(select(Document.state, func.count()).group_by(Document.state)).all()
    counts = {s.value: 0 for s in DocState}
    counts.update({state.value: n for state, n in rows})
    return counts


def error_counts() -> dict[str, int]:
    with session_scope() as db:
        rows = db.execute(
            select(Document.last_error_class, func.count())
            .where(Document.state.in_([DocState.failed, DocState.retrying, DocState.rejected]))
            .group_by(Document.last_error_class)
        ).all()
    return {cls or "unknown": n for cls, n in rows}


def error_examples(per_class: int = 3) -> list[dict[str, Any]]:
    """Per (state, error class) of documents that failed, were rejected or wait for a retry:
    the count and the most recent few documents (id, URL), most frequent class first."""
    order = Document.state_changed_at.desc()
    with session_scope() as db:
        rows = db.execute(
            select(
                Document.state,
                Document.last_error_class,
                func.count(),
                func.array_agg(aggregate_order_by(Document.id, order)),
                func.array_agg(aggregate_order_by(Document.url, order)),
                func.array_agg(aggregate_order_by(Document.last_error_message, order)),
            )
            .where(Document.state.in_([DocState.failed, DocState.rejected, DocState.retrying]))
            .group_by(Document.state, Document.last_error_class)
            .order_by(func.count().desc())
        ).all()
    return [
        {
            "state": state.value,
            "error_class": cls or "unknown",
            "count": n,
            "examples": [
                {"id": i, "url": u, "message": (m or "")[:200]}
                for i, u, m in list(zip(ids, urls, msgs, strict=True))[:per_class]
            ],
        }
        for state, cls, n, ids, urls, msgs in rows
    ]


def stalled_documents(limit: int = 20) -> dict[str, Any]:
    """Documents whose state has not moved for longer than their lease, or that lost their
    message (waiting in a state whose queue is empty), oldest first. The sweeper re-sends by the
    same rule (except behind a backlog, which it leaves to drain): a stall that lasts means the
    sweeper is not running or cannot help (e.g. no worker consumes the queue)."""
    settings = load_settings()
    now = datetime.now(UTC)
    cutoffs = sweep_cutoffs(settings, queue_lengths(), behind_backlog=True)
    stale = stale_clause(cutoffs, now)
    with session_scope() as db:
        total = db.scalar(select(func.count()).select_from(Document).where(stale)) or 0
        rows = db.execute(
            select(Document.id, Document.url, Document.state, Document.state_changed_at)
            .where(stale)
            .order_by(Document.state_changed_at)
            .limit(limit)
        ).all()
    return {
        "count": total,
        "documents": [
            {
                "id": i,
                "url": u,
                "state": st.value,
                "unmoved_seconds": round((now - changed).total_seconds()),
                "lease_seconds": cutoffs[st],
            }
            for i, u, st, changed in rows
        ],
    }


def workers_online(timeout: float = 1.0) -> list[str]:
    replies = app.control.ping(timeout=timeout) or []
    return sorted(name for reply in replies for name in reply)


def pipeline_status(with_workers: bool = True) -> dict[str, Any]:
    docs = document_counts()
    return {
        "documents": docs,
        "in_progress": sum(docs[s.value] for s in IN_PROGRESS),
        "queues": queue_lengths(),
        "errors": error_counts(),
        "stalled": stalled_documents(),
        "workers": workers_online() if with_workers else [],
    }


def is_idle() -> bool:
    """Nothing queued or reserved in Redis and no document with work ahead of it."""
    docs = document_counts()
    if sum(docs[s.value] for s in IN_PROGRESS) or any(queue_lengths().values()):
        return False
    return not discovery_in_flight()


# Tasks whose progress no document state shows (they create documents). Stage tasks are
# covered by the documents' states, which the sweeper keeps moving even if a message is lost.
_UNTRACKED_TASKS = {FEED_TASK, SITEMAP_TASK, POLL_FEEDS_TASK}
# A message reserved longer ago than this belongs to a dead worker (a feed fetch is bounded by
# the fetch deadline); Redis gives it back after the visibility timeout.
_RESERVED_STALE_AFTER = 600.0


def discovery_in_flight() -> bool:
    """A feed/sitemap task reserved by a live worker (running, or waiting for its countdown)."""
    rds = get_redis()
    fresh = rds.zrangebyscore("unacked_index", time.time() - _RESERVED_STALE_AFTER, "+inf")
    for tag in fresh:
        raw = rds.hget("unacked", tag)
        if raw is None:
            continue
        try:
            task = json.loads(raw)[0]["headers"]["task"]
        except (ValueError, KeyError, IndexError, TypeError):
            return True  # unknown shape: assume it is work
        if task in _UNTRACKED_TASKS:
            return True
    return False


# A domain is flagged when a field's fill rate over the recent window falls this far below the
# same domain's rate over the window before it (a layout change broke extraction).
DROP_THRESHOLD = 0.3
_SOURCES_SQL = """
WITH a AS (
  SELECT d.domain,
         a.parsed_at >= now() - make_interval(hours => :recent_hours) AS recent,
         (a.title IS NOT NULL AND a.title <> '')::int AS has_title,
         (a.published_at IS NOT NULL)::int AS has_date,
         (cardinality(a.authors) > 0)::int AS has_author,
         (length(a.body) >= 200)::int AS has_body,
         length(a.body) AS body_len
  FROM articles a JOIN documents d ON d.id = a.document_id
  WHERE a.parsed_at >= now() - make_interval(hours => :recent_hours + :past_hours)
)
SELECT domain, recent, count(*), avg(has_title), avg(has_date), avg(has_author), avg(has_body),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY body_len)
FROM a GROUP BY domain, recent
"""


def source_health(recent_hours: int = 24, past_hours: int = 24 * 7) -> list[dict[str, Any]]:
    """Per publisher domain: documents by outcome, field fill rates, and a layout-break flag."""
    from sqlalchemy import text

    with session_scope() as db:
        states = db.execute(
            select(
                Document.domain, Document.state, Document.last_error_class, func.count()
            ).group_by(Document.domain, Document.state, Document.last_error_class)
        ).all()
        rates = db.execute(
            text(_SOURCES_SQL), {"recent_hours": recent_hours, "past_hours": past_hours}
        ).all()
    out: dict[str, dict[str, Any]] = {}
    for domain, state, err, n in states:
        row = out.setdefault(
            domain, {"domain": domain, "documents": 0, "fetched": 0, "parsed": 0, "failed": {}}
        )
        row["documents"] += n
        if state not in (DocState.queued, DocState.fetching, DocState.retrying):
            row["fetched"] += n
        if state in (DocState.parsed, DocState.enriched):
            row["parsed"] += n
        if state in (DocState.failed, DocState.rejected):
            row["failed"][err or "unknown"] = row["failed"].get(err or "unknown", 0) + n
    fields = ("title", "date", "author", "body")
    for domain, recent, n, *vals in rates:
        row = out.setdefault(
            domain, {"domain": domain, "documents": 0, "fetched": 0, "parsed": 0, "failed": {}}
        )
        window = "recent" if recent else "past"
        row[window] = {
            "articles": n,
            **{f: round(float(v), 3) for f, v in zip(fields, vals[:4], strict=True)},
        }
        row[window]["median_body"] = int(vals[4] or 0)
    for row in out.values():
        recent, past = row.get("recent"), row.get("past")
        row["alerts"] = [
            f"{f} {past[f]:.0%} -> {recent[f]:.0%}"
            for f in fields
            if recent and past and past["articles"] >= 5 and recent["articles"] >= 3
            and past[f] - recent[f] >= DROP_THRESHOLD
        ]  # fmt: skip
    return sorted(out.values(), key=lambda r: -r["documents"])
