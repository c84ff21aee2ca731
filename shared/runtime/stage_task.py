"""The Celery base class of every stage task: crash-loop guard and outage retries by cause.

Around the task body (which takes a batch of ids):
- a document that has been taken up before without the run ending sits in a batch of its own
  (the batch is split into single-document messages), and after `max_deliveries` such runs it
  fails with `WorkerLost` instead of taking the worker down again (shared.runtime.deliveries);
- an outage (shared.runtime.failures: by SQLSTATE and connection state, not exception class)
  is retried with backoff and charged to no document;
- any other exception that escapes the body's own per-document isolation is a bug met by some
  document: a batch is split into single-document messages at once, a single document fails
  with that exception recorded. Nothing is re-sent forever.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from celery.exceptions import Retry

from shared.config import load_settings
from shared.runtime import deliveries
from shared.runtime.failures import is_infrastructure
from shared.runtime.handover import send_to
from shared.runtime.stages import Stage, stage_for_task

log = logging.getLogger(__name__)

OUTAGE_RETRIES = 12
OUTAGE_BACKOFF_MAX = 60.0


class StageTask(Task):
    abstract = True

    @property
    def stage(self) -> Stage:
        return stage_for_task(self.name)

    def __call__(self, ids: list[int], *args: Any, **kwargs: Any) -> Any:
        admitted = self._admit(list(ids))
        if not admitted:
            return "split or failed before the run"
        try:
            result = super().__call__(admitted, *args, **kwargs)
        except Retry:
            deliveries.forget(self.stage, admitted)
            raise
        except Exception as exc:
            deliveries.forget(self.stage, admitted)
            if is_infrastructure(exc):
                delay = min(OUTAGE_BACKOFF_MAX, 2.0 ** (self.request.retries + 1))
                raise self.retry(exc=exc, countdown=delay, max_retries=OUTAGE_RETRIES) from exc
            return self._escaped(admitted, exc)
        deliveries.forget(self.stage, admitted)
        return result

    def _admit(self, ids: list[int]) -> list[int]:
        """The ids this run works on; splits a batch holding a document tried before, fails a
        single document tried too often."""
        counts = deliveries.start(self.stage, ids)
        if len(ids) > 1 and max(counts, default=0) > 1:
            log.warning("%s: batch of %d held documents tried before: one message each",
                        self.stage.name, len(ids))  # fmt: skip
            self._split(ids)
            return []
        if len(ids) == 1 and counts[0] > load_settings().max_deliveries:
            exc = deliveries.WorkerLost(
                f"{self.stage.name} was taken up {counts[0] - 1} times for this document "
                "without finishing (the worker died or hung each time)"
            )
            deliveries.fail_documents(self.stage, ids, exc)
            deliveries.forget(self.stage, ids)
            log.error("%s %s failed: %s", self.stage.name, ids[0], exc)
            return []
        return ids

    def _split(self, ids: list[int]) -> None:
        deliveries.forget(self.stage, ids)
        for i in ids:
            send_to(self.stage.name, [i])

    def _escaped(self, ids: list[int], exc: Exception) -> str:
        log.exception("%s: %r escaped the batch of %d", self.stage.name, exc, len(ids))
        if len(ids) > 1:
            self._split(ids)
            return f"error {type(exc).__name__}: batch of {len(ids)} split"
        deliveries.fail_documents(self.stage, ids, exc)
        return f"1 failed ({type(exc).__name__})"
