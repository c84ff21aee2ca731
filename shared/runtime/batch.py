"""The loop every stage task shares: per-item logic and a guarded store for a batch of ids.

Around each document it keeps the worker's heartbeat, the log context (`document_id` in JSON
logs) and the stage-CPU counter. An exception that is a document's fault never takes the batch
down: the item that raised gets it as its outcome (and fails alone); a store that raises is
redone one item at a time, each in its own savepoint, so the healthy items land and only the
offending one fails. Outages (shared.runtime.failures) propagate: Celery retries the task.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from sqlalchemy.orm import Session

from shared.logs import item_context
from shared.metrics import stage_cpu
from shared.runtime.failures import is_infrastructure
from shared.runtime.heartbeat import beat

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


def _own_fault(exc: Exception) -> Exception:
    """`exc` when it is the item's fault; re-raised when it is an outage."""
    if is_infrastructure(exc):
        raise exc
    return exc


def process_each(
    stage: str, items: Iterable[T], key: Callable[[T], int], work: Callable[[T], R]
) -> list[tuple[T, R | Exception]]:
    """`work(item)` for each item: its result, or the exception that is its outcome."""
    out: list[tuple[T, R | Exception]] = []
    for item in items:
        beat()
        with item_context(key(item)):
            try:
                with stage_cpu(stage):
                    out.append((item, work(item)))
            except Exception as exc:
                log.warning("%s %s failed: %r", stage, key(item), exc, exc_info=True)
                out.append((item, _own_fault(exc)))
    return out


def process_together(
    stage: str,
    items: Sequence[T],
    key: Callable[[T], int],
    work_many: Callable[[Sequence[T]], list[R]],
) -> list[tuple[T, R | Exception]]:
    """`work_many` over the whole batch at once (a model tags all texts together); if it
    raises, each item alone, so one bad item fails alone."""
    beat()
    try:
        with stage_cpu(stage):
            results = work_many(items)
        return list(zip(items, results, strict=True))
    except Exception as exc:
        _own_fault(exc)
        log.warning("%s batch of %d failed (%r): each item alone", stage, len(items), exc)
    return process_each(stage, items, key, lambda item: work_many([item])[0])


def store_isolated(
    db: Session,
    stage: str,
    items: Sequence[T],
    key: Callable[[T], int],
    store: Callable[[Session, Sequence[T]], R],
) -> tuple[list[R], list[tuple[T, Exception]]]:
    """Run `store(db, items)`; if it raises a document's fault, `store(db, [item])` per item.

    Returns the results of the calls that succeeded and the items whose store failed, with why.
    """
    if not items:
        return [], []
    try:
        with db.begin_nested():
            return [store(db, items)], []
    except Exception as exc:
        _own_fault(exc)
        log.warning("%s: storing a batch of %d failed (%r): each alone", stage, len(items), exc)
    results: list[R] = []
    failed: list[tuple[T, Exception]] = []
    for item in items:
        with item_context(key(item)):
            try:
                with db.begin_nested():
                    results.append(store(db, [item]))
            except Exception as exc:
                log.warning("%s %s: store failed: %r", stage, key(item), exc, exc_info=True)
                failed.append((item, _own_fault(exc)))
    return results, failed


def summary(outcomes: Counter[str]) -> str:
    """The task's return value: '3 parsed, 1 failed'."""
    return ", ".join(f"{n} {what}" for what, n in outcomes.items() if n)
