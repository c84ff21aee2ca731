"""Document state machine helpers shared by the stage tasks.

Every transition is a guarded UPDATE (`WHERE state IN (...)`), so a redelivered or duplicated
message can never move a document backwards or do finished work twice.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, func, update
from sqlalchemy.orm import Session

from shared.config import Settings
from shared.models import DocState, Document


def compress(raw: bytes) -> bytes:
    return zlib.compress(raw, 1)  # level 1: most of the gain for a fraction of level 6's CPU


def decompress(stored: bytes) -> bytes:
    return zlib.decompress(stored)


def transition(
    session: Session,
    document_id: int,
    *,
    from_states: Iterable[DocState],
    to: DocState,
    returning: Sequence[Any] = (Document.id,),
    **values: Any,
) -> Row | None:
    """Move a document to `to` if it is in one of `from_states`.

    Returns the `returning` columns of the moved row (truthy), or None when it did not move.
    """
    stmt = (
        update(Document)
        .where(Document.id == document_id, Document.state.in_(list(from_states)))
        .values(state=to, state_changed_at=func.now(), **values)
        .returning(*returning)
    )
    return session.execute(stmt).first()


def error_fields(exc: BaseException) -> dict[str, str]:
    """The columns that record an error: class name and a bounded message."""
    message = str(exc) or exc.__class__.__name__
    return {"last_error_class": exc.__class__.__name__[:64], "last_error_message": message[:2000]}


def backoff_seconds(attempt: int, settings: Settings, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter; a server's Retry-After wins when it is longer."""
    base = min(settings.retry_max_delay, settings.retry_base_delay * 2 ** max(0, attempt - 1))
    delay = random.uniform(base / 2, base)
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.retry_max_delay))
    return delay
