"""What waits in the broker: messages per queue, read straight from Redis."""

from __future__ import annotations

import redis

from shared.redis_client import get_redis
from shared.runtime.celery_app import QUEUES

# kombu's Redis transport keeps one list per queue and priority step (no priority -> the plain name)
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def queue_lengths(rds: redis.Redis | None = None) -> dict[str, int]:
    """Messages waiting per queue (on the configured broker, or on `rds`)."""
    rds = rds or get_redis()
    pipe = rds.pipeline()
    for q in QUEUES:
        for suffix in _PRIORITY_SUFFIXES:
            pipe.llen(q + suffix)
    counts = pipe.execute()
    n = len(_PRIORITY_SUFFIXES)
    return {q: sum(counts[i * n : (i + 1) * n]) for i, q in enumerate(QUEUES)}
