"""The fetch stage's statements: claim a batch, store what was fetched, settle failures and
deferrals, record feed polls. SQL only; what to do is decided by the callers' policies."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, func, select, update

from services.fetcher.schedule import Page
from shared.contracts import FetchResult
from shared.db import session_scope
from shared.models import DocState, Document, Feed
from shared.pipeline import compress, error_fields, transition

CLAIMABLE = (DocState.queued, DocState.retrying)  # and `fetching` under a dead or own claim

_docs = Document.__table__
# One statement for the whole batch; executemany with per-document values.
_STORE = (
    update(_docs)
    .where(_docs.c.id == bindparam("doc_id"), _docs.c.state == DocState.fetching)
    .values(state=DocState.fetched, state_changed_at=func.now())
)


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


def pages(rows: Sequence[Row]) -> list[Page]:
    """Claimed rows as Pages, in id order (attempts NULL counts as none yet). A validator that
    is not text is dropped: it would become a request header (seen once after a PostgreSQL
    restart: an integer in the etag position, which failed every request of the page)."""
    return [
        Page(
            r[0],
            r[1],
            _text_or_none(r[2]),
            _text_or_none(r[3]),
            r[4] if isinstance(r[4], int) else 0,
        )
        for r in sorted(rows, key=lambda r: r[0])
    ]


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def fetched_values(page: Page, result: FetchResult) -> dict[str, Any]:
    """The row values of a fetched document (a 304 keeps the stored page: it is still current)."""
    values = {
        "doc_id": page.doc_id,
        "attempts": page.attempts + 1,
        "http_status": result.status,
        "etag": result.etag,
        "last_modified": result.last_modified,
        "fetched_at": datetime.now(UTC),
        "last_error_class": None,
        "last_error_message": None,
    }
    if not result.not_modified:
        values |= {
            "final_url": result.final_url,
            "content_type": result.content_type,
            "response_headers": result.headers,
            "raw_body": compress(result.body),
            "raw_size": len(result.body),
        }
    return values


def store_fetched(done: list[dict[str, Any]], renew: Sequence[int] = ()) -> list[int]:
    """Move fetched documents to `fetched` (one executemany per shape); their ids.

    `renew`: documents of the batch still to come; their lease restarts, so a long batch that is
    alive is not taken for a dead one by the sweeper (which re-sends after the lease).
    """
    if not done and not renew:
        return []
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
    return [v["doc_id"] for v in done]


def settle_failure(
    doc_id: int, exc: BaseException, decide: Callable[[int], bool]
) -> tuple[int, bool] | None:
    """Count the attempt and record the error: `retrying` when `decide(attempt)` says so, else
    `failed`. (attempt, retried), or None when the document is not this fetch's any more.

    The attempt number is the stored count plus one, incremented in the same UPDATE: whatever a
    claimed row said, every failed attempt counts, so a page cannot be retried forever.
    """
    fields = error_fields(exc)
    status = getattr(exc, "status", None)
    if status is not None:
        fields["http_status"] = status
    with session_scope() as db:
        row = db.execute(
            update(Document)
            .where(Document.id == doc_id, Document.state == DocState.fetching)
            .values(attempts=func.coalesce(Document.attempts, 0) + 1)
            .returning(Document.attempts)
        ).first()
        if row is None:
            return None
        attempt = int(row[0])
        retry = decide(attempt)
        to = DocState.retrying if retry else DocState.failed
        transition(db, doc_id, from_states=(DocState.fetching,), to=to, **fields)
        return attempt, retry


def release(doc_ids: Sequence[int]) -> None:
    """Back to `queued`, unclaimed: the next message may claim them (a deferral, no attempt)."""
    with session_scope() as db:
        db.execute(
            update(Document)
            .where(Document.id.in_(doc_ids), Document.state == DocState.fetching)
            # the clock restarts: the sweeper's lost-message wait counts from the deferral
            .values(state=DocState.queued, claimed_by=None, state_changed_at=func.now())
        )


# --------------------------------------------------------------------------- feeds
def feed_validators(feed_key: str) -> tuple[str | None, str | None]:
    """The stored ETag and Last-Modified of a registered feed (None, None when unknown)."""
    with session_scope() as db:
        feed = db.scalar(select(Feed).where(Feed.url == feed_key))
        return (feed.etag, feed.last_modified) if feed else (None, None)


def feed_polled(url: str, status: str, *, etag=None, last_modified=None, seen: int = 0) -> None:
    values: dict[str, Any] = {"last_polled_at": datetime.now(UTC), "last_status": status[:500]}
    if etag or last_modified:
        values |= {"etag": etag, "last_modified": last_modified}
    if seen:
        values["items_seen"] = Feed.items_seen + seen
    with session_scope() as db:
        db.execute(update(Feed).where(Feed.url == url).values(**values))
