"""The one Celery app. Queues and routes come from the stage table (shared.runtime.stages).

Workers: `celery -A shared.runtime.celery_app worker -Q fetch` (or parse / enrich).
"""

from __future__ import annotations

from celery import Celery
from kombu import Exchange, Queue

from shared.config import load_settings
from shared.runtime.failures import INFRA_ERRORS
from shared.runtime.stages import (
    POLL_FEEDS_TASK,
    STAGES,
    SWEEP_TASK,
    queues,
    routes,
    task_modules,
)

QUEUES = queues()
TASK_ROUTES = routes()

# Infrastructure outages (PostgreSQL restarting, Redis unreachable) are retried by Celery with
# backoff; the document keeps its state meanwhile, and the sweeper is the backstop. Errors of one
# document are not outages (shared.runtime.failures): the batch loop isolates them.
INFRA_RETRY = {
    "autoretry_for": INFRA_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 12,
}


def make_app() -> Celery:
    settings = load_settings()
    # Task modules are imported by workers at start; producers send tasks by name only.
    app = Celery(
        "newsflow",
        broker=settings.redis_url,
        include=task_modules(),
    )
    app.conf.update(
        task_queues=[Queue(name, Exchange(name), routing_key=name) for name in QUEUES],
        task_default_queue=STAGES[0].queue,
        task_routes=TASK_ROUTES,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        # at-least-once: ack after the task ran; a killed worker's message goes back to the queue
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # a message not acked within this window is redelivered: keep it above the longest task
        broker_transport_options={"visibility_timeout": settings.visibility_timeout},
        broker_connection_retry_on_startup=True,
        # task events cost ~5% per task; Flower switches them on in the workers when it runs
        worker_send_task_events=False,
        task_send_sent_event=False,
        worker_hijack_root_logger=False,
        timezone="UTC",
        enable_utc=True,
        beat_schedule={
            "sweep-stale-documents": {"task": SWEEP_TASK, "schedule": settings.sweep_seconds},
            "poll-due-feeds": {"task": POLL_FEEDS_TASK, "schedule": 60.0},
        },
    )
    return app


app = make_app()

from shared import logs  # noqa: E402,F401  (JSON logs: Celery signals)
from shared.runtime import warmup  # noqa: E402,F401  (warm-up: Celery signals)
