"""Progress heartbeats of busy workers.

A solo worker cannot answer Celery pings while it runs a task, and a batch can run for minutes
(50 slow pages). Stage tasks call `beat()` as they go through a batch (one Redis SET at most
every BEAT_SECONDS); the watchdog of `manage.py up` and the compose healthcheck
(`manage.py alive NODE`) count a fresh heartbeat as alive, so a busy worker is never mistaken
for a hung one, while a hung worker (no pings, no progress) still is.
"""

from __future__ import annotations

import time
from typing import Any

KEY = "newsflow:heartbeat:{node}"
BEAT_SECONDS = 5.0
TTL_SECONDS = 600

_last = 0.0


def beat() -> None:
    """Record that this worker is making progress (throttled; never raises)."""
    global _last
    now = time.monotonic()
    if now - _last < BEAT_SECONDS:
        return
    _last = now
    from celery import current_task

    node = getattr(getattr(current_task, "request", None), "hostname", None)
    if not node:
        return  # not inside a worker's task (tests calling the function directly)
    try:
        from shared.redis_client import get_redis

        get_redis().set(KEY.format(node=node), f"{time.time():.3f}", ex=TTL_SECONDS)
    except Exception:  # advisory: Redis trouble shows up in the task itself
        pass


def age(redis_client: Any, node: str) -> float | None:
    """Seconds since `node` last beat, or None when it never did (within the TTL)."""
    value = redis_client.get(KEY.format(node=node))
    return None if value is None else max(0.0, time.time() - float(value))
