"""The test environment on the real services: a throwaway PostgreSQL database and a Redis DB
number of this run's own, exported as DATABASE_URL / REDIS_URL before any project module reads
its settings. Unit tests (tests/unit) need none of it."""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
REDIS_LOCK = "newsflow:test-db:{n}"


@dataclass(frozen=True)
class TestEnv:
    run_id: str
    database_url: str
    redis_url: str
    redis_db: int


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def claim_redis_db_number(url: str) -> int:
    """A Redis DB number no other concurrent test run holds (lock keys live in DB 0)."""
    r = redis.Redis.from_url(url.rsplit("/", 1)[0] + "/0")
    for n in range(1, 11):
        key = REDIS_LOCK.format(n=n)
        if r.set(key, os.getpid(), nx=True, ex=3 * 3600):
            return n
        holder = r.get(key)
        if holder and not _alive(int(holder)):  # left behind by a run that died
            r.delete(key)
            if r.set(key, os.getpid(), nx=True, ex=3 * 3600):
                return n
    raise RuntimeError("no free Redis DB number (1-10) for tests")


def release_redis_db_number(env: TestEnv) -> None:
    lock = redis.Redis.from_url(env.redis_url.rsplit("/", 1)[0] + "/0")
    if lock.get(REDIS_LOCK.format(n=env.redis_db)) == str(os.getpid()).encode():
        lock.delete(REDIS_LOCK.format(n=env.redis_db))


def start_test_env() -> TestEnv:
    """Make sure PostgreSQL and Redis answer, pick this run's database and Redis DB, and export
    the settings every project module (and every worker subprocess) will read."""
    sys.path.insert(0, str(ROOT))
    from shared.ops.stack import ensure_services

    base = ensure_services(ROOT / ".data", log=lambda m: print(m, file=sys.stderr))
    run_id = uuid.uuid4().hex[:8]
    db_url = (
        make_url(base.database_url)
        .set(database=f"newsflow_test_{run_id}")
        .render_as_string(hide_password=False)
    )
    n = claim_redis_db_number(base.redis_url)
    env = TestEnv(run_id, db_url, base.redis_url.rsplit("/", 1)[0] + f"/{n}", n)
    os.environ.update(
        DATABASE_URL=env.database_url,
        REDIS_URL=env.redis_url,
        NEWSFLOW_ALLOW_PRIVATE_HOSTS="1",
        NEWSFLOW_RETRY_BASE_DELAY="0.5",
        NEWSFLOW_RETRY_MAX_DELAY="5",
        NEWSFLOW_RATE_PER_HOST="50",
        NEWSFLOW_MAX_ATTEMPTS="3",
    )
    return env
