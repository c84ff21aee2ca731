"""What the pipeline is doing: documents per state, messages per queue, workers online."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from shared.celery_app import QUEUES, app
from shared.db import session_scope
from shared.models import IN_PROGRESS, DocState, Document
from shared.redis_client import get_redis

# kombu's Redis transport keeps one list per queue and priority step (no priority -> the plain name)
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def queue_lengths() -> dict[str, int]:
    rds = get_redis()
    pipe = rds.pipeline()
    for q in QUEUES:
        for suffix in _PRIORITY_SUFFIXES:
            pipe.llen(q + suffix)
    counts = pipe.execute()
    n = len(_PRIORITY_SUFFIXES)
    return {q: sum(counts[i * n : (i + 1) * n]) for i, q in enumerate(QUEUES)}


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
        "workers": workers_online() if with_workers else [],
    }


def is_idle() -> bool:
    """Nothing queued in Redis and no document with work ahead of it."""
    docs = document_counts()
    return sum(docs[s.value] for s in IN_PROGRESS) == 0 and not any(queue_lengths().values())
