"""Worker start-up: connect to PostgreSQL and load what the worker's stage needs before the
first task, so the first documents do not pay for imports, the connection and the model load
(and a worker that cannot reach its database fails at start, where it is seen).

Solo/thread pools warm up when the worker is ready; prefork pools in each child process
(connections must not cross a fork).
"""

from __future__ import annotations

import logging

from celery.signals import worker_process_init, worker_ready

from shared import metrics

log = logging.getLogger(__name__)


def warm_up(queues: set[str]) -> None:
    from sqlalchemy import text

    from shared.db import get_engine

    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # tasks retry on infrastructure errors; say it now, go on
        log.warning("warm-up: PostgreSQL not reachable yet: %r", exc)
    if "enrich" in queues:
        from services.enricher import load_models

        load_models()


def _queues(app) -> set[str]:
    try:
        return set(app.amqp.queues.consume_from or app.amqp.queues)
    except Exception:
        return set()


@worker_ready.connect
def _on_ready(sender=None, **_: object) -> None:
    pool = getattr(sender, "pool", None)
    if pool is not None and type(pool).__module__.endswith(".prefork"):
        return  # the children warmed up themselves
    warm_up(_queues(sender.app))
    metrics.start_profile()


@worker_process_init.connect
def _on_child_start(**_: object) -> None:
    from shared.runtime.celery_app import app

    warm_up(_queues(app))
    metrics.start_profile()
