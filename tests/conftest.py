"""Test fixtures on the real services: a throwaway PostgreSQL database and Redis DB per run.

Environment is set here, at import time, before any project module reads its settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy.engine import make_url

from tests.commands import manage  # noqa: F401  (tests import it from here)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.ops.stack import ensure_services  # noqa: E402

_base = ensure_services(ROOT / ".data", log=lambda m: print(m, file=sys.stderr))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _claim_redis_db(url: str) -> int:
    """A Redis DB number no other concurrent test run holds (lock keys live in DB 0)."""
    r = redis.Redis.from_url(url.rsplit("/", 1)[0] + "/0")
    for n in range(1, 11):
        key = f"newsflow:test-db:{n}"
        if r.set(key, os.getpid(), nx=True, ex=3 * 3600):
            return n
        holder = r.get(key)
        if holder and not _alive(int(holder)):  # left behind by a run that died
            r.delete(key)
            if r.set(key, os.getpid(), nx=True, ex=3 * 3600):
                return n
    raise RuntimeError("no free Redis DB number (1-10) for tests")


RUN_ID = uuid.uuid4().hex[:8]
TEST_DB_URL = (
    make_url(_base.database_url)
    .set(database=f"newsflow_test_{RUN_ID}")
    .render_as_string(hide_password=False)
)
REDIS_DB = _claim_redis_db(_base.redis_url)
TEST_REDIS_URL = _base.redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"

os.environ.update(
    DATABASE_URL=TEST_DB_URL,
    REDIS_URL=TEST_REDIS_URL,
    NEWSFLOW_ALLOW_PRIVATE_HOSTS="1",
    NEWSFLOW_RETRY_BASE_DELAY="0.5",
    NEWSFLOW_RETRY_MAX_DELAY="5",
    NEWSFLOW_RATE_PER_HOST="50",
    NEWSFLOW_MAX_ATTEMPTS="3",
)


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    """The migrated throwaway database, dropped at the end of the run."""
    from shared.db import drop_database

    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate"],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    yield TEST_DB_URL
    from shared.db import get_engine

    get_engine.cache_clear()
    drop_database(TEST_DB_URL)


@pytest.fixture(scope="session")
def redis_db() -> Iterator[redis.Redis]:
    r = redis.Redis.from_url(TEST_REDIS_URL)
    r.flushdb()
    yield r
    r.flushdb()


def pytest_sessionfinish(session, exitstatus) -> None:
    """Give the Redis DB number back, whichever fixtures this run used."""
    lock = redis.Redis.from_url(TEST_REDIS_URL.rsplit("/", 1)[0] + "/0")
    if lock.get(f"newsflow:test-db:{REDIS_DB}") == str(os.getpid()).encode():
        lock.delete(f"newsflow:test-db:{REDIS_DB}")


@pytest.fixture()
def clean_db(database: str, redis_db: redis.Redis) -> Iterator[str]:
    """An empty database and Redis DB for one test."""
    from sqlalchemy import text

    from shared.db import session_scope

    with session_scope() as s:
        s.execute(
            text(
                "TRUNCATE documents, articles, article_entities, article_cited_sources, "
                "entities, cited_sources, publishers, feeds RESTART IDENTITY CASCADE"
            )
        )
    redis_db.flushdb()
    yield database


def wait_for_workers(names: list[str], timeout: float = 60.0) -> None:
    from shared.runtime.celery_app import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5) or []
        online = {n.split("@")[0] for reply in replies for n in reply}
        if set(names) <= online:
            return
        time.sleep(0.3)
    raise TimeoutError(f"workers {names} did not come online")


@pytest.fixture(scope="session")
def workers(database: str, redis_db: redis.Redis, tmp_path_factory) -> Iterator[dict]:
    """One real Celery worker process per stage queue, for the whole session."""
    from shared.ops.stack import STAGES, start_worker, stop_processes

    logdir = tmp_path_factory.mktemp("worker-logs")
    procs = {}
    for q in STAGES:
        procs[q] = start_worker(q, name=f"{q}-{RUN_ID}", log_file=open(logdir / f"{q}.log", "w"))
    try:
        wait_for_workers([f"{q}-{RUN_ID}" for q in STAGES])
        yield {"procs": procs, "logdir": logdir}
    finally:
        stop_processes(list(procs.values()))


def export_records() -> list[dict]:
    """`manage.py export`, parsed: one dict per article."""
    out = manage("export")
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


@pytest.fixture()
def srv():
    """A real local HTTP server (tests/httpserver.py) with no routes yet."""
    from tests.httpserver import LocalServer

    with LocalServer() as s:
        yield s


@pytest.fixture()
def idle_broker(clean_db):
    """A Redis DB of its own that no worker consumes: messages stay where they were sent."""
    from tests.httpserver import claim_redis_db

    with claim_redis_db() as client:
        yield client
