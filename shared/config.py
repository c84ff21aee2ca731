"""All configuration, read from the environment in one place.

Every variable is documented in README.md ("Configuration"). Read `settings` at call time, not
import time, where tests need to change it (tests set env vars before starting workers).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _list(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name, "")
    return tuple(x.strip() for x in raw.split(",") if x.strip())


def _domain_rates(name: str) -> dict[str, float]:
    """`example.com=0.5,slow.org=0.1` -> requests per second per host."""
    out: dict[str, float] = {}
    for item in _list(name):
        host, _, rate = item.partition("=")
        out[host.strip().lower()] = float(rate)
    return out


@dataclass(frozen=True)
class Settings:
    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/newsflow"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # SSRF switch: allow fetching private/loopback addresses (local tests and the demo)
    allow_private_hosts: bool = False
    private_host_allowlist: tuple[str, ...] = ()
    user_agent: str = "newsflow/0.1 (+https://github.com/newsflow/newsflow)"
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    rate_per_host: float = 1.0  # requests per second per host, shared by all fetch workers
    rate_overrides: dict[str, float] = field(default_factory=dict)
    robots_ttl: int = 24 * 3600
    obey_robots: bool = True
    max_attempts: int = 5
    # a document whose stage run never ends (the worker dies on it) this often is failed
    max_deliveries: int = 3
    retry_base_delay: float = 5.0  # seconds; doubled per attempt, with jitter
    retry_max_delay: float = 900.0
    visibility_timeout: int = 3600  # Redis redelivers unacked messages after this
    # Leases: a document whose state has not moved for longer than its stage's lease is re-sent
    # by the sweeper (and listed as stalled by `status` / `wait`). Fetch batches renew theirs.
    lease_seconds: int = 60  # fetch (`fetching`; `retrying` on top of its backoff)
    parse_lease_seconds: int = 300  # parse and enrich batches take seconds
    enrich_lease_seconds: int = 300
    # a document waiting in a state whose queue is empty has lost its message after this
    lost_message_seconds: int = 60
    sweep_seconds: float = 15.0  # how often beat runs the sweeper
    # ids per stage message: a batch shares one Celery message, one transaction and one bulk
    # statement per step, which is most of the per-document overhead (docs/performance.md)
    batch_size: int = 50
    # one fetch worker process: downloads in flight, connections per host, batches at once
    fetch_concurrency: int = 128
    fetch_per_host: int = 2
    fetch_batches: int = 8
    flower_user: str = "admin"
    flower_password: str = "newsflow"


def load_settings() -> Settings:
    return Settings(
        database_url=os.environ.get("DATABASE_URL", Settings.database_url),
        redis_url=os.environ.get("REDIS_URL", Settings.redis_url),
        allow_private_hosts=_bool("NEWSFLOW_ALLOW_PRIVATE_HOSTS"),
        private_host_allowlist=_list("NEWSFLOW_PRIVATE_HOST_ALLOWLIST"),
        user_agent=os.environ.get("NEWSFLOW_USER_AGENT", Settings.user_agent),
        connect_timeout=_float("NEWSFLOW_CONNECT_TIMEOUT", Settings.connect_timeout),
        read_timeout=_float("NEWSFLOW_READ_TIMEOUT", Settings.read_timeout),
        total_timeout=_float("NEWSFLOW_TOTAL_TIMEOUT", Settings.total_timeout),
        max_body_bytes=_int("NEWSFLOW_MAX_BODY_BYTES", Settings.max_body_bytes),
        max_redirects=_int("NEWSFLOW_MAX_REDIRECTS", Settings.max_redirects),
        rate_per_host=_float("NEWSFLOW_RATE_PER_HOST", Settings.rate_per_host),
        rate_overrides=_domain_rates("NEWSFLOW_RATE_OVERRIDES"),
        robots_ttl=_int("NEWSFLOW_ROBOTS_TTL", Settings.robots_ttl),
        obey_robots=_bool("NEWSFLOW_OBEY_ROBOTS", True),
        max_attempts=_int("NEWSFLOW_MAX_ATTEMPTS", Settings.max_attempts),
        max_deliveries=max(1, _int("NEWSFLOW_MAX_DELIVERIES", Settings.max_deliveries)),
        retry_base_delay=_float("NEWSFLOW_RETRY_BASE_DELAY", Settings.retry_base_delay),
        retry_max_delay=_float("NEWSFLOW_RETRY_MAX_DELAY", Settings.retry_max_delay),
        lease_seconds=_int("NEWSFLOW_LEASE_SECONDS", Settings.lease_seconds),
        parse_lease_seconds=_int("NEWSFLOW_PARSE_LEASE_SECONDS", Settings.parse_lease_seconds),
        enrich_lease_seconds=_int("NEWSFLOW_ENRICH_LEASE_SECONDS", Settings.enrich_lease_seconds),
        lost_message_seconds=_int("NEWSFLOW_LOST_MESSAGE_SECONDS", Settings.lost_message_seconds),
        sweep_seconds=_float("NEWSFLOW_SWEEP_SECONDS", Settings.sweep_seconds),
        visibility_timeout=_int("NEWSFLOW_VISIBILITY_TIMEOUT", Settings.visibility_timeout),
        batch_size=max(1, _int("NEWSFLOW_BATCH_SIZE", Settings.batch_size)),
        fetch_concurrency=max(1, _int("NEWSFLOW_FETCH_CONCURRENCY", Settings.fetch_concurrency)),
        fetch_per_host=max(1, _int("NEWSFLOW_FETCH_PER_HOST", Settings.fetch_per_host)),
        fetch_batches=max(1, _int("NEWSFLOW_FETCH_BATCHES", Settings.fetch_batches)),
        flower_user=os.environ.get("FLOWER_USER", Settings.flower_user),
        flower_password=os.environ.get("FLOWER_PASSWORD", Settings.flower_password),
    )


settings = load_settings()
