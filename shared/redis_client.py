"""The process-wide Redis client (broker URL doubles as the store for robots and rate limits)."""

from __future__ import annotations

from functools import lru_cache

import redis

from shared.config import load_settings


@lru_cache(maxsize=4)
def get_redis(url: str | None = None) -> redis.Redis:
    return redis.Redis.from_url(url or load_settings().redis_url, socket_timeout=10)
