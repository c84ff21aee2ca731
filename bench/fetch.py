"""Fetch benchmark: one fetch worker at real-world server latency, next to Scrapy's defaults.

A local server listens on the loopback addresses 127.0.0.2, 127.0.0.3, ... (127.0.1.x past 250), one host per
address, and answers every request (robots.txt included) after a fixed delay, with real article
pages from the article-extraction-benchmark (`--data`, env NEWSFLOW_BENCH_DATA, default
../shared/bench-data/article-extraction-benchmark relative to the repository). The pages are
enqueued through `manage.py enqueue` on a real stack: a throwaway database, a Redis DB (flushed),
and one fetch worker started the way `manage.py up` starts it (shared/ops/stack.py). Only the
fetch worker runs: the measurement is the fetch phase, and parse/enrich would take the CPU.
Then Scrapy with its default settings (CONCURRENT_REQUESTS 16, ROBOTSTXT_OBEY, DOWNLOAD_DELAY 1
without jitter) crawls the same URLs on the same server, in the same run.

From the server's own request log, per system (told apart by User-Agent):
  pages/s      pages answered 200 / (last page answered - first request received, robots.txt
               included)
  in flight    the most requests the server held at once
  min gap      the smallest time between two requests to one host (robots.txt included)
and from the worker process: CPU seconds per page (user + system) and peak RSS.

    .venv/bin/python bench/fetch.py                  # the three variants, Scrapy next to each
    .venv/bin/python bench/fetch.py --variant 1 --no-scrapy
    NEWSFLOW_FETCH_CONCURRENCY=64 .venv/bin/python bench/fetch.py --variant 3

Scrapy lives in the bench venv (`.venv-bench`, extra `bench`); when the running interpreter lacks
it, .venv-bench/bin/python runs that part.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from workers import wait_ready  # noqa: E402  (bench/workers.py, beside this script)

DEFAULT_DATA = ROOT.parent / "shared" / "bench-data" / "article-extraction-benchmark"
VARIANTS = {  # hosts, pages per host, server delay (s)
    1: (100, 3, 0.3),
    2: (20, 20, 1.0),
    3: (300, 1, 2.0),
}
SCRAPY_UA = "scrapy-peer/1.0"
ROBOTS = b"User-agent: *\nAllow: /\n"


# --------------------------------------------------------------------------- pages
def load_pages(data: Path) -> list[bytes]:
    files = sorted((data / "html").glob("*.html.gz"))
    if not files:
        raise SystemExit(
            f"no pages under {data}/html: pass --data or NEWSFLOW_BENCH_DATA (the public "
            "article-extraction-benchmark, github.com/scrapinghub/article-extraction-benchmark)"
        )
    return [gzip.decompress(f.read_bytes()) for f in files]


# --------------------------------------------------------------------------- server
def loopback_hosts(n: int) -> list[str]:
    """127.0.0.2, 127.0.0.3, ... (then 127.0.1.2, ... past 250 hosts): one host per address."""
    return [f"127.0.{i // 250}.{i % 250 + 2}" for i in range(n)]


@dataclass
class Hit:
    host: str
    path: str
    agent: str
    received: float
    answered: float = 0.0
    status: int = 200


@dataclass
class DelayServer:
    """Every response after `delay` seconds, on one address per host; keeps a request log."""

    hosts: list[str]
    pages: list[bytes]
    delay: float
    log: list[Hit] = field(default_factory=list)
    port: int = 0

    async def _respond(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                headers: dict[str, str] = {}
                while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                path = line.split()[1].decode("latin-1")
                hit = Hit(host, path, headers.get("user-agent", ""), time.monotonic())
                self.log.append(hit)
                await asyncio.sleep(self.delay)
                status, ctype, body = self._route(host, path)
                hit.status = status
                close = headers.get("connection", "").lower() == "close"
                head = (
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\n"
                    f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                    f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
                )
                writer.write(head.encode("latin-1") + body)
                await writer.drain()
                hit.answered = time.monotonic()
                if close:
                    return
        except (ConnectionError, IndexError):
            return
        finally:
            writer.close()

    def _route(self, host: str, path: str) -> tuple[int, str, bytes]:
        if path == "/robots.txt":
            return 200, "text/plain", ROBOTS
        if path.startswith("/news/") and path.endswith(".html"):
            n = int(path[len("/news/") : -len(".html")])
            i = self.hosts.index(host) if host in self.hosts else 0
            return 200, "text/html; charset=utf-8", self.pages[(i * 31 + n) % len(self.pages)]
        return 404, "text/plain", b"not found"

    def start(self) -> None:
        """Serve from a child process (its own GIL: the timestamps are not the client's)."""
        import multiprocessing
        import socket

        with socket.socket() as s:  # one port free on every address: take it from the first
            s.bind((self.hosts[0], 0))
            self.port = s.getsockname()[1]
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=self._serve, args=(child,), daemon=True)
        self._proc.start()
        if not self._conn.poll(30) or self._conn.recv() != "ready":
            self._proc.kill()
            raise RuntimeError("bench server did not start")

    def _serve(self, conn: Any) -> None:
        try:  # the request log's clock must not wait for a busy machine's scheduler
            os.setpriority(os.PRIO_PROCESS, 0, -10)
        except OSError:
            pass

        async def main() -> None:
            server = await asyncio.start_server(
                self._respond, host=self.hosts, port=self.port, backlog=4096, reuse_address=True
            )
            conn.send("ready")
            async with server:
                await server.serve_forever()

        def answer() -> None:  # log requests from the parent: ("log", since) -> [Hit tuples]
            while True:
                _, since = conn.recv()
                conn.send([dataclasses.astuple(h) for h in self.log[since:]])

        threading.Thread(target=answer, daemon=True).start()
        asyncio.run(main())

    def hits(self, since: int = 0) -> list[Hit]:
        self._conn.send(("log", since))
        return [Hit(*t) for t in self._conn.recv()]

    def count(self) -> int:
        return len(self.hits(0))

    def stop(self) -> None:
        self._proc.kill()
        self._proc.join(5)

    def urls(self, pages_per_host: int, seed: int = 0) -> list[str]:
        urls = [
            f"http://{h}:{self.port}/news/{n}.html"
            for h in self.hosts
            for n in range(pages_per_host)
        ]
        random.Random(seed).shuffle(urls)  # a frontier mixes hosts; both systems get this order
        return urls


def summarize(hits: list[Hit]) -> dict[str, Any]:
    """pages/s of the fetch phase, max requests in flight, smallest same-host gap."""
    pages = [h for h in hits if h.path != "/robots.txt" and h.status == 200 and h.answered]
    if not hits or not pages:
        return {"pages": 0}
    start = min(h.received for h in hits)
    end = max(h.answered for h in pages)
    events = sorted([(h.received, 1) for h in hits] + [(h.answered or end, -1) for h in hits])
    now = peak = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    by_host: dict[str, list[Hit]] = {}
    for h in hits:
        by_host.setdefault(h.host, []).append(h)
    pairs = []
    for host_hits in by_host.values():
        ordered = sorted(host_hits, key=lambda h: h.received)
        pairs += [
            (b.received - a.received, a, b) for a, b in zip(ordered, ordered[1:], strict=False)
        ]
    gaps = [g for g, _, _ in pairs]
    closest = min(pairs, key=lambda p: p[0], default=None)
    return {
        "pages": len(pages),
        "requests": len(hits),
        "robots": sum(h.path == "/robots.txt" for h in hits),
        "seconds": end - start,
        "pages_s": len(pages) / (end - start) if end > start else 0.0,
        "in_flight": peak,
        "min_gap": min(gaps) if gaps else None,
        "closest": [
            (h.path, round(h.received - start, 3), round(h.answered - start, 3))
            for h in sorted(by_host[closest[1].host], key=lambda h: h.received)
        ]
        if closest
        else None,
    }


# --------------------------------------------------------------------------- newsflow
def _cpu(proc: Any) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def run_newsflow(
    server: DelayServer,
    urls: list[str],
    redis_db: int,
    code: Path | None = None,
    pyspy: Path | None = None,
) -> dict[str, Any]:
    """`code`: another checkout of newsflow (an earlier commit) whose worker and manage.py run
    instead of this one's, on the same server: the before/after comparison. `pyspy`: sample
    the worker during the fetch phase with py-spy, raw stacks written there."""
    import psutil
    import redis
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from shared.db import drop_database
    from shared.ops.stack import postgres_answers, redis_answers, start_worker, stop_processes

    base_db = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/x")
    base_redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if not postgres_answers(base_db) or not redis_answers(base_redis):
        raise SystemExit(f"PostgreSQL ({base_db}) and Redis ({base_redis}) must answer")
    run = uuid.uuid4().hex[:8]
    db_url = make_url(base_db).set(database=f"newsflow_fetchbench_{run}").render_as_string(False)
    redis_url = base_redis.rsplit("/", 1)[0] + f"/{redis_db}"
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url,
           "NEWSFLOW_ALLOW_PRIVATE_HOSTS": "1", "NEWSFLOW_OBEY_ROBOTS": "1"}  # fmt: skip
    if code is not None:
        env["PYTHONPATH"] = str(code)
    rds = redis.Redis.from_url(redis_url)
    rds.flushdb()
    logdir = Path(tempfile.mkdtemp(prefix="newsflow-fetchbench-"))
    proc = None
    engine = None
    try:
        _manage(env, "migrate", code=code)
        engine = create_engine(db_url, poolclass=NullPool)
        log = logdir / "fetch.log"
        if code is None:
            proc = start_worker(
                "fetch", env=env, name=f"fetch-bench-{run}", log_file=open(log, "w")
            )
        else:
            proc = _old_worker(code, env, f"fetch-bench-{run}", log)
        wait_ready(log, proc)
        _no_strangers(redis_url, f"fetch-bench-{run}")
        ps = psutil.Process(proc.pid)
        _settle(ps)  # warm-up (connections, imports) finished: not counted per page
        rss = _RssSampler(ps)
        rss.start()
        spy = _start_pyspy(proc.pid, pyspy) if pyspy is not None else None
        (logdir / "urls.txt").write_text("\n".join(urls) + "\n", encoding="utf-8")
        first = server.count()
        cpu0, t0 = _cpu(ps), time.monotonic()
        _manage(env, "enqueue", "--file", str(logdir / "urls.txt"), code=code)
        _drain(engine, rds, timeout=600)
        wall, cpu = time.monotonic() - t0, _cpu(ps) - cpu0
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its samples and exits
            spy.wait(60)
        rss.stop.set()
        rss.join()
        with engine.connect() as conn:
            states = dict(
                conn.execute(text("SELECT state::text, count(*) FROM documents GROUP BY 1")).all()
            )
        hits = [h for h in server.hits(first) if h.agent.startswith("newsflow")]
        res = summarize(hits)
        fetched = states.get("fetched", 0)
        res |= {"wall": wall, "cpu_page": cpu / max(1, fetched), "rss": rss.peak,
                "states": states, "logdir": str(logdir)}  # fmt: skip
        return res
    finally:
        if proc is not None:
            stop_processes([proc])
        if engine is not None:
            engine.dispose()
        drop_database(db_url)
        rds.flushdb()


def _settle(proc: Any, timeout: float = 30.0) -> None:
    """Until the idle worker's CPU stops moving (its warm-up after "ready" is over)."""
    deadline = time.monotonic() + timeout
    last = _cpu(proc)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _cpu(proc)
        if now - last < 0.02:
            return
        last = now


class _RssSampler(threading.Thread):
    def __init__(self, proc: Any) -> None:
        super().__init__(daemon=True)
        self.proc, self.peak, self.stop = proc, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.peak = max(self.peak, self.proc.memory_info().rss)
            except Exception:
                pass
            self.stop.wait(0.1)


def _start_pyspy(pid: int, out: Path) -> subprocess.Popen:
    """py-spy on the worker (all threads, idle ones left out), raw collapsed stacks."""
    exe = Path(sys.executable).parent / "py-spy"
    if not exe.exists():
        exe = Path(shutil.which("py-spy") or ROOT / ".venv-bench" / "bin" / "py-spy")
    out.mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen(
        [str(exe), "record", "--pid", str(pid), "--format", "raw", "--rate", "250",
         "--threads", "--nonblocking", "--output", str(out / f"fetch-{pid}.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)  # attached
    return spy


def _old_worker(code: Path, env: dict[str, str], name: str, log: Path) -> subprocess.Popen:
    app = "shared.celery_app" if (code / "shared" / "celery_app.py").exists() else (
        "shared.runtime.celery_app")  # fmt: skip
    pool = ["-P", "solo"]  # the sequential fetch task; a checkout with the downloader: threads
    if (code / "services" / "fetcher" / "downloader.py").exists():
        pool = ["-P", "threads", "-c", env.get("NEWSFLOW_FETCH_BATCHES") or "8"]
    cmd = [sys.executable, "-m", "celery", "-A", app, "worker", "-Q", "fetch", *pool,
           "-n", f"{name}@%h", "--loglevel", "INFO"]  # fmt: skip
    return subprocess.Popen(cmd, cwd=code, env=env, stdout=open(log, "w"),
                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


def _manage(env: dict[str, str], *args: str, code: Path | None = None) -> None:
    root = code or ROOT
    out = subprocess.run([sys.executable, str(root / "manage.py"), *args], cwd=root, env=env,
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {out.stderr[-2000:]}")


def _no_strangers(redis_url: str, ours: str) -> None:
    """Refuse to measure when other workers (a crashed earlier run's) consume from this broker."""
    from celery import Celery

    probe = Celery("bench-probe", broker=redis_url)
    try:
        replies = probe.control.ping(timeout=1.0)
    finally:
        probe.close()
    others = sorted(n for r in replies for n in r if n.split("@")[0] != ours)
    if others:
        raise SystemExit(f"other workers consume from {redis_url}: {others}; pass --redis-db")


def _drain(engine: Any, rds: Any, timeout: float) -> None:
    """Until no document waits for (or is inside) the fetch stage."""
    from sqlalchemy import text

    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            busy = conn.execute(
                text(
                    "SELECT count(*) FROM documents "
                    "WHERE state::text IN ('queued', 'fetching', 'retrying')"
                )
            ).scalar()
        if not busy and not rds.llen("fetch"):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the fetch stage did not drain in {timeout:.0f} s")
        time.sleep(0.1)


# --------------------------------------------------------------------------- Scrapy
SCRAPY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls = json.load(open(sys.argv[1]))

    class Peer(scrapy.Spider):
        name = "peer"
        start_urls = urls
        def parse(self, response):
            return None

    process = CrawlerProcess(settings={
        "ROBOTSTXT_OBEY": True,
        "DOWNLOAD_DELAY": 1.0,
        "DOWNLOAD_DELAY_JITTER": 0,
        "CONCURRENT_REQUESTS": 16,
        "USER_AGENT": sys.argv[2],
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
    })
    process.crawl(Peer)
    process.start()
    """
)


def _scrapy_python() -> str | None:
    try:
        import scrapy  # noqa: F401

        return sys.executable
    except ImportError:
        bench = ROOT / ".venv-bench" / "bin" / "python"
        if bench.exists() and subprocess.run([str(bench), "-c", "import scrapy"],
                                             capture_output=True).returncode == 0:  # fmt: skip
            return str(bench)
    return None


def run_scrapy(server: DelayServer, urls: list[str]) -> dict[str, Any] | None:
    python = _scrapy_python()
    if python is None:
        print("Scrapy not installed (make bench builds .venv-bench with it): peer skipped")
        return None
    work = Path(tempfile.mkdtemp(prefix="newsflow-scrapy-"))
    (work / "peer.py").write_text(SCRAPY_SCRIPT, encoding="utf-8")
    (work / "urls.json").write_text(json.dumps(urls), encoding="utf-8")
    first = server.count()
    proc = subprocess.Popen([python, str(work / "peer.py"), str(work / "urls.json"), SCRAPY_UA],
                            cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    shutil.rmtree(work, ignore_errors=True)
    if proc.returncode != 0:
        print(f"Scrapy failed ({proc.returncode}): {err[-1500:]}")
        return None
    res = summarize([h for h in server.hits(first) if h.agent == SCRAPY_UA])
    res |= {"cpu_page": (usage.ru_utime + usage.ru_stime) / max(1, res["pages"]),
            "rss": usage.ru_maxrss * 1024}  # fmt: skip
    return res


# --------------------------------------------------------------------------- report
def row(name: str, r: dict[str, Any]) -> str:
    gap = f"{r['min_gap']:.3f}" if r.get("min_gap") is not None else "-"
    return (
        f"| {name} | {r['pages']} | {r['requests']} | {r['seconds']:.2f} | {r['pages_s']:.1f} | "
        f"{r['in_flight']} | {gap} | {r['cpu_page'] * 1000:.1f} | {r['rss'] / 2**20:.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variant", type=int, action="append", choices=sorted(VARIANTS))
    ap.add_argument("--data", type=Path,
                    default=Path(os.environ.get("NEWSFLOW_BENCH_DATA", DEFAULT_DATA)))  # fmt: skip
    ap.add_argument("--redis-db", type=int, default=13)
    ap.add_argument("--no-scrapy", action="store_true")
    ap.add_argument(
        "--before",
        type=Path,
        action="append",
        default=[],
        help="an earlier checkout, measured on the same server (repeatable)",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="newsflow runs per checkout, interleaved (load changes during a run)",
    )
    ap.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="sample the worker with py-spy during the fetch phase (raw stacks)",
    )
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the workers on the way out
    pages = load_pages(args.data)
    print("| system | pages | requests | fetch phase s | pages/s | in flight | min same-host gap s "
          "| CPU ms/page | peak RSS MB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for v in args.variant or sorted(VARIANTS):
        n_hosts, per_host, delay = VARIANTS[v]
        server = DelayServer(loopback_hosts(n_hosts), pages, delay)
        server.start()
        urls = server.urls(per_host)
        label = f"{n_hosts} hosts x {per_host} @ {delay:g} s"
        runs = [("", None)] + [(f" before ({b.name})", b) for b in args.before]
        for tag, code in runs * max(1, args.repeat):
            spy = args.py_spy / (code.name if code else "current") if args.py_spy else None
            nf = run_newsflow(server, urls, args.redis_db, code, pyspy=spy)
            print(row(f"newsflow{tag}, one fetch worker ({label})", nf), flush=True)
            print(f"  closest same-host pair: {nf.get('closest')}")
            if nf["states"].get("fetched", 0) != len(urls):
                print(f"  states: {nf['states']} (logs: {nf['logdir']})")
        if not args.no_scrapy:
            sc = run_scrapy(server, urls)
            if sc:
                print(row(f"Scrapy defaults ({label})", sc), flush=True)
        server.stop()
        if v == 2:  # politeness-bound: the limit is hosts x rate (1 request/s per host)
            print(f"| limit: hosts x rate ({label}) | | | | {n_hosts * 1.0:.1f} | | 1.000 | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
