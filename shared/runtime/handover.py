"""Sending stage work: ids, a batch per message, to the stage the table names.

Every stage task takes a list of ids. One message for up to `batch_size` ids amortizes the fixed
cost of a task (Celery, a transaction, the bulk statements) over the batch; a single id is a
batch of one. A task never names its successor: it calls `hand_over(its own stage, ids)`.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.config import load_settings
from shared.runtime.celery_app import app
from shared.runtime.stages import stage


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


def send_to(stage_name: str, ids: Iterable[int], *, countdown: float | None = None) -> int:
    """Send ids (of the kind the stage takes) to `stage_name`; the number of messages."""
    return send_ids(stage(stage_name).task, ids, countdown=countdown)


def hand_over(from_stage: str, ids: Iterable[int]) -> int:
    """Pass what `from_stage` produced (ids of the kind the next stage takes) on to the next
    stage of the table; nothing to do after the last stage."""
    nxt = stage(from_stage).next
    return send_to(nxt, ids) if nxt else 0
