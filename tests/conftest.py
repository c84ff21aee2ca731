"""Test fixtures on the real services: a throwaway PostgreSQL database and Redis DB per run.

The environment is set in `pytest_configure`, before any test module (and so any project module)
is imported. A run of tests/unit alone starts no service: those tests need none.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.support.commands import manage
from tests.support.services import TestEnv, release_redis_db_number, start_test_env

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "tests" / "unit"
ENV: TestEnv | None = None
# filled in by pytest_configure for runs that touch the services
RUN_ID = TEST_DB_URL = TEST_REDIS_URL = ""
REDIS_DB = 0


def _unit_only(config: pytest.Config) -> bool:
    paths = [Path(a.split("::")[0]).resolve() for a in config.args] or [ROOT / "tests"]
    return all(p == UNIT or UNIT in p.parents for p in paths)


def pytest_configure(config: pytest.Config) -> None:
    global ENV, RUN_ID, TEST_DB_URL, TEST_REDIS_URL, REDIS_DB
    config.addinivalue_line("markers", "unit: needs no service")
    config.addinivalue_line("markers", "integration: real PostgreSQL, Redis and workers")
    config.addinivalue_line("markers", "faults: kills and outages on real services")
    if _unit_only(config):
        return
    ENV = start_test_env()
    RUN_ID, TEST_DB_URL, TEST_REDIS_URL, REDIS_DB = (
        ENV.run_id, ENV.database_url, ENV.redis_url, ENV.redis_db,
    )  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers by folder: `-m unit` / `-m integration` / `-m faults` select a kind."""
    for item in items:
        kind = Path(str(item.fspath)).relative_to(ROOT / "tests").parts[0]
        if kind in ("unit", "integration", "faults"):
            item.add_marker(kind)


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
    if ENV is not None:
        release_redis_db_number(ENV)


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
    """A real local HTTP server (tests/support/httpserver.py) with no routes yet."""
    from tests.support.httpserver import LocalServer

    with LocalServer() as s:
        yield s


@pytest.fixture()
def idle_broker(clean_db):
    """A Redis DB of its own that no worker consumes: messages stay where they were sent."""
    from tests.support.httpserver import claim_redis_db

    with claim_redis_db() as client:
        yield client
