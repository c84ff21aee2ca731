"""Sending stage work: document (or article) ids, a batch per message.

Every stage task takes a list of ids. One message for up to `batch_size` ids amortizes the fixed
cost of a task (Celery, a transaction, the bulk statements) over the batch; a single id is a
batch of one.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.celery_app import app
from shared.config import load_settings


def chunks(ids: Iterable[int], size: int) -> list[list[int]]:
    ids = list(ids)
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def send_ids(
    task: str, ids: Iterable[int], *, countdown: float | None = None, batch_size: int | None = None
) -> int:
    """Send `task` for `ids`, in messages of at most `batch_size` ids; the number of messages."""
    size = batch_size or load_settings().batch_size
    batches = chunks(ids, size)
    for batch in batches:
        app.send_task(task, (batch,), countdown=countdown)
    return len(batches)
