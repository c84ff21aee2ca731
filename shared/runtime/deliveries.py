"""How often a stage has taken up each document without finishing: the crash-loop guard.

A page that kills its worker (out of memory, a segfault in a C library) leaves its message
unacknowledged; Redis hands it out again and the worker dies again, forever. So every stage task
counts, per document, the runs that started and did not end. A batch with a document that has
been tried before is split into single-document messages, so a poison document can only take
itself down; a document whose single runs did not end `max_deliveries` times is failed with
`WorkerLost`. Outages are not counted (the task forgets the run before Celery retries it).
Counters live in Redis (the broker), expire after a day, and restart at zero when Redis does.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update

from shared.db import session_scope
from shared.models import Article, DocState, Document
from shared.pipeline import error_fields
from shared.redis_client import get_redis
from shared.runtime.stages import Stage

KEY = "newsflow:deliveries:{stage}:{id}"
TTL_SECONDS = 24 * 3600


class WorkerLost(Exception):
    """The worker died (or the task never ended) every time it took up this document."""


def start(stage: Stage, ids: Sequence[int]) -> list[int]:
    """Count one more started run for each id; the counts, in order."""
    if not ids:
        return []
    pipe = get_redis().pipeline()
    for i in ids:
        key = KEY.format(stage=stage.name, id=i)
        pipe.incr(key)
        pipe.expire(key, TTL_SECONDS)
    return [int(n) for n in pipe.execute()[::2]]


def forget(stage: Stage, ids: Sequence[int]) -> None:
    """The run ended (well, or by an outage that is retried): nothing to hold against the ids."""
    if ids:
        get_redis().delete(*[KEY.format(stage=stage.name, id=i) for i in ids])


def fail_documents(stage: Stage, ids: Sequence[int], exc: BaseException) -> int:
    """Move the documents behind `ids` (document or article ids, as the stage takes) that are
    still waiting for `stage` to `failed`, with `exc` recorded; how many moved."""
    if not ids:
        return 0
    with session_scope() as db:
        doc_ids = list(ids)
        if stage.ids == "article":
            doc_ids = list(db.scalars(select(Article.document_id).where(Article.id.in_(ids))))
        moved = db.execute(
            update(Document)
            .where(Document.id.in_(doc_ids), Document.state.in_(stage.input_states))
            .values(
                state=DocState.failed,
                state_changed_at=func.now(),
                claimed_by=None,
                **error_fields(exc),
            )
            .returning(Document.id)
        ).all()
    return len(moved)
