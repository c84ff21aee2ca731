"""The one Celery app. Queues and routes are declared here, nowhere else.

Workers: `celery -A shared.celery_app worker -Q fetch` (or parse / enrich).
"""

from __future__ import annotations

from celery import Celery
from kombu import Exchange, Queue

from shared.config import load_settings

QUEUES = ("fetch", "parse", "enrich", "maintenance")

TASK_ROUTES = {
    "newsflow.fetch": {"queue": "fetch"},
    "newsflow.fetch_feed": {"queue": "fetch"},
    "newsflow.fetch_sitemap": {"queue": "fetch"},
    "newsflow.parse": {"queue": "parse"},
    "newsflow.enrich": {"queue": "enrich"},
    "newsflow.sweep": {"queue": "maintenance"},
    "newsflow.poll_feeds": {"queue": "maintenance"},
}

# Longest task is a fetch bounded by total_timeout (30 s) or a parse of a 10 MB page; a message
# not acked within this window is redelivered by Redis, so keep it well above both.
VISIBILITY_TIMEOUT = 3600


def make_app() -> Celery:
    settings = load_settings()
    # Task modules are imported by workers at start; producers send tasks by name only.
    app = Celery(
        "newsflow",
        broker=settings.redis_url,
        include=[
            "services.fetcher.tasks",
            "services.parser.tasks",
            "services.enricher.tasks",
            "shared.tasks",
        ],
    )
    app.conf.update(
        task_queues=[Queue(name, Exchange(name), routing_key=name) for name in QUEUES],
        task_default_queue="fetch",
        task_routes=TASK_ROUTES,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        # at-least-once: ack after the task ran; a killed worker's message goes back to the queue
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
        broker_connection_retry_on_startup=True,
        worker_send_task_events=True,
        task_send_sent_event=True,
        worker_hijack_root_logger=False,
        timezone="UTC",
        enable_utc=True,
        beat_schedule={
            "sweep-stale-documents": {"task": "newsflow.sweep", "schedule": 60.0},
            "poll-due-feeds": {"task": "newsflow.poll_feeds", "schedule": 60.0},
        },
    )
    return app


app = make_app()

from shared import logs  # noqa: E402,F401  (JSON logs for workers: connects Celery signals)
