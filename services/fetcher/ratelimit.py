"""Per-host request spacing shared by every fetch worker, through Redis.

`reserve()` never sleeps: it either grants the slot now (0.0) or says how long until the host is
free, and the Celery task re-queues itself with that countdown. The check-and-set runs as one Lua
script, so two workers can never both get the same slot, and it uses Redis' clock (TIME), so
workers with skewed clocks still agree.

A busy answer does *not* book a future slot: the rescheduled task calls reserve() again when it
wakes, so a booked-but-unused slot would only waste capacity.
"""

from __future__ import annotations

import math
from typing import Any

from shared.config import Settings

DEFAULT_PREFIX = "newsflow:"
MAX_CRAWL_DELAY = 60.0  # robots.txt Crawl-delay above this is clamped (some sites say 3600)

# KEYS[1] = next-free key; ARGV[1] = interval in microseconds.
# Stores the time (us, Redis clock) at which the next request to the host may start.
_RESERVE_LUA = """
if redis.replicate_commands then redis.replicate_commands() end -- TIME then SET on Redis < 5
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local free_at = tonumber(redis.call('GET', KEYS[1]) or '0')
if free_at <= now then
  if interval > 0 then
    redis.call('SET', KEYS[1], tostring(now + interval), 'PX', math.ceil(interval / 1000) + 1000)
  end
  return 0
end
return free_at - now
"""

# KEYS[1] = next-free key; ARGV[1] = pause in microseconds. Moves the host's next free time to
# now + pause unless it is already later (a server's Retry-After holds every worker back).
_PAUSE_LUA = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_ = now + tonumber(ARGV[1])
local free_at = tonumber(redis.call('GET', KEYS[1]) or '0')
if free_at < until_ then
  redis.call('SET', KEYS[1], tostring(until_), 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
end
return 0
"""

_script: Any = None
_pause_script: Any = None


def _run(redis_client: Any, key: str, interval_us: int) -> int:
    # A Script object runs EVALSHA and reloads the script after a SCRIPT FLUSH / on a new server;
    # it is bound per call to the given client, so one object serves every client.
    global _script
    if _script is None:
        _script = redis_client.register_script(_RESERVE_LUA)
    return int(_script(keys=[key], args=[interval_us], client=redis_client))


def reserve(
    redis_client: Any, host: str, min_interval: float, *, prefix: str = DEFAULT_PREFIX
) -> float:
    """Try to take the next request slot for `host`.

    Returns 0.0 when the caller may send its request now (the slot is taken), otherwise the
    number of seconds until the host is free; then the caller should retry later, not sleep.
    """
    interval_us = max(0, int(math.ceil(min_interval * 1_000_000)))
    key = f"{prefix}ratelimit:{host.lower()}"
    wait_us = _run(redis_client, key, interval_us)
    return wait_us / 1_000_000 if wait_us > 0 else 0.0


def pause(redis_client: Any, host: str, seconds: float, *, prefix: str = DEFAULT_PREFIX) -> None:
    """Keep every worker away from `host` for `seconds` (no effect on a later next-free time)."""
    global _pause_script
    if seconds <= 0:
        return
    if _pause_script is None:
        _pause_script = redis_client.register_script(_PAUSE_LUA)
    key = f"{prefix}ratelimit:{host.lower()}"
    _pause_script(keys=[key], args=[int(math.ceil(seconds * 1_000_000))], client=redis_client)


def rate_for(host: str, settings: Settings) -> float:
    """Requests/second for host: the most specific rate_overrides entry, else rate_per_host.

    `www.example.com` matches an override for `example.com` (parent domains apply).
    """
    host = host.lower().rstrip(".")
    overrides = {k.lower().rstrip("."): v for k, v in settings.rate_overrides.items()}
    labels = host.split(".")
    for i in range(len(labels)):
        candidate = ".".join(labels[i:])
        if candidate in overrides:
            return float(overrides[candidate])
    return float(settings.rate_per_host)


def interval_for(host: str, settings: Settings, crawl_delay: float | None = None) -> float:
    """Minimum seconds between two requests to `host`: max(1/rate, robots Crawl-delay).

    A rate <= 0 means "no limit from configuration" (robots Crawl-delay still applies).
    Crawl-delay is clamped to MAX_CRAWL_DELAY.
    """
    rate = rate_for(host, settings)
    interval = 1.0 / rate if rate > 0 else 0.0
    if crawl_delay is not None and crawl_delay > 0:
        interval = max(interval, min(float(crawl_delay), MAX_CRAWL_DELAY))
    return interval
