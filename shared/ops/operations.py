"""Operators' repairs: retry failed documents, re-parse or re-enrich from stored raw responses,
and manage the feeds polled on a schedule. Each returns how many documents it re-sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from shared.db import session_scope
from shared.models import Article, DocState, Document, Feed
from shared.runtime.handover import send_to


def add_feed(url: str, every: int, kind: str = "feed") -> bool:
    """Register a feed (or sitemap) to poll every `every` seconds. True when it was new."""
    from shared.urls import normalize_url

    with session_scope() as db:
        stmt = insert(Feed).values(url=normalize_url(url), kind=kind, interval_seconds=every)
        stmt = stmt.on_conflict_do_update(
            index_elements=[Feed.url],
            set_={"interval_seconds": every, "kind": kind},
        ).returning(Feed.created_at == func.now())  # now() is per transaction: true if inserted
        return bool(db.execute(stmt).scalar())


def list_feeds() -> list[dict]:
    with session_scope() as db:
        feeds = db.scalars(select(Feed).order_by(Feed.id)).all()
        return [
            {
                "url": f.url,
                "kind": f.kind,
                "every_seconds": f.interval_seconds,
                "next_poll_at": f.next_poll_at,
                "last_polled_at": f.last_polled_at,
                "last_status": f.last_status,
                "items_seen": f.items_seen,
            }
            for f in feeds
        ]


def remove_feed(url: str) -> bool:
    from shared.urls import normalize_url

    with session_scope() as db:
        return db.execute(delete(Feed).where(Feed.url == normalize_url(url))).rowcount > 0


def _filters(stmt, domain: str | None, since: datetime | None, error: str | None):
    if domain:
        stmt = stmt.where(
            (Document.domain == domain.lower()) | Document.domain.like(f"%.{domain.lower()}")
        )
    if since:
        stmt = stmt.where(Document.created_at >= since)
    if error:
        stmt = stmt.where(Document.last_error_class == error)
    return stmt


def retry_documents(
    states: list[DocState], domain: str | None = None, error: str | None = None
) -> int:
    """Failed (or other) documents back to the start: fetched ones to parse, others to fetch."""
    with session_scope() as db:
        rows = db.execute(
            _filters(
                select(Document.id, Document.raw_body.is_not(None), Document.origin).where(
                    Document.state.in_(states)
                ),
                domain,
                None,
                error,
            ).with_for_update(skip_locked=True)
        ).all()
        to_parse = [r[0] for r in rows if r[1] and r[2] in ("snapshot", "file", "feed")]
        to_fetch = [r[0] for r in rows if r[0] not in set(to_parse)]
        _reset(db, to_fetch, DocState.queued)
        _reset(db, to_parse, DocState.fetched)
    send_to("fetch", to_fetch)
    send_to("parse", to_parse)
    return len(rows)


def reparse_documents(domain: str | None = None, since: datetime | None = None) -> int:
    """Every document with a stored raw response goes through parse (and enrich) again."""
    with session_scope() as db:
        ids = db.scalars(
            _filters(
                select(Document.id).where(
                    Document.raw_body.is_not(None),
                    Document.state.in_(
                        [
                            DocState.parsed,
                            DocState.enriched,
                            DocState.failed,
                            DocState.rejected,
                            DocState.duplicate,
                        ]
                    ),
                ),
                domain,
                since,
                None,
            )
        ).all()
        _reset(db, list(ids), DocState.fetched)
    send_to("parse", ids)
    return len(ids)


def reenrich_articles(domain: str | None = None, since: datetime | None = None) -> int:
    with session_scope() as db:
        rows = db.execute(
            _filters(
                select(Document.id, Article.id)
                .join(Article, Article.document_id == Document.id)
                .where(Document.state.in_([DocState.enriched, DocState.parsed, DocState.failed])),
                domain,
                since,
                None,
            )
        ).all()
        _reset(db, [r[0] for r in rows], DocState.parsed)
    send_to("enrich", [article_id for _, article_id in rows])
    return len(rows)


def _reset(db, ids: list[int], state: DocState) -> None:
    if ids:
        db.execute(
            update(Document)
            .where(Document.id.in_(ids))
            .values(
                state=state,
                state_changed_at=func.now(),
                attempts=0 if state == DocState.queued else Document.attempts,
                last_error_class=None,
                last_error_message=None,
            )
        )
