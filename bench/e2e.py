"""End-to-end benchmark: the full pipeline on real pages, against news-please.

Serves the article-extraction-benchmark pages (181 gzipped real news pages, decompressed, with
their charset in Content-Type when the page declares one) from a local HTTP server under their
original paths and runs the real stack on them: a throwaway database `newsflow_bench_<random>`
on PostgreSQL at DATABASE_URL (dropped afterwards), Redis DB 12 at REDIS_URL (flushed before and
after), one solo Celery worker per stage with NEWSFLOW_METRICS=1. The seed snapshots
(samples/*.txt through `manage.py import`) go through first as a warm-up pass that is not
measured. Then news-please 1.6.16's extraction alone (`NewsPlease.from_html`) on the same pages
in a subprocess. Prints one table; `--repeat N` runs the pipeline N times on fresh stacks and
reports the run with the median share outside stage logic (and the spread).

    make bench      # or: .venv-bench/bin/python bench/e2e.py [--limit N] [--redis-db 12]
                    #        [--repeat N] [--no-newsplease] [--profile] [--py-spy] [--cprofile]

news-please lives in the bench venv (`.venv-bench`, extra `bench`), not in the test venv; when
the running interpreter lacks it, .venv-bench/bin/python runs that part.

CPU per stage is the worker process's CPU time (psutil: user + system) from the end of the
warm-up to "drained", divided by the articles enriched; worker start-up (imports, connection,
the enricher's model, loaded at start by shared/warmup.py) is left out. Stage logic is the CPU
that shared/metrics.py recorded inside `stage_cpu(...)`: robots.txt rules and the download
(fetch), extraction and the dedup fingerprints (parse), entities/sources/publisher (enrich).
Everything else is outside: in the task bodies (SQL, Redis rate-limit slots, zstd of raw
bodies, publishing) and outside them (Celery's consumer: receive, ack, its event loop).
`--profile` adds a cProfile of the pure stage functions over the same pages, in process;
`--cprofile` runs each worker under cProfile; `--py-spy` samples each worker.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from datasets import dataset  # noqa: E402  (bench/datasets.py, beside this script)
from workers import wait_ready  # noqa: E402

from shared.runtime.stages import STAGES as PIPELINE  # noqa: E402

BENCH_SET = "bench-data/article-extraction-benchmark"
STAGES = tuple(s.queue for s in PIPELINE)
METRICS_KEY = "newsflow:metrics:stage_cpu"
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)


# --------------------------------------------------------------------------- pages
def load_pages(data: Path, limit: int | None) -> list[dict[str, Any]]:
    """[{path, body, content_type, url}] for the benchmark pages, served under original paths."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    seen: set[str] = set()
    for f in sorted((data / "html").glob("*.html.gz"))[:limit]:
        key = f.name.removesuffix(".html.gz")
        body = gzip.decompress(f.read_bytes())
        orig = truth.get(key, {}).get("url") or f"/{key}.html"
        parts = urlsplit(orig)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        if path in seen or path == "/robots.txt":
            path = f"/{key[:12]}{path}"
        seen.add(path)
        m = _CHARSET.search(body[:4096])
        ctype = "text/html" + (f"; charset={m.group(1).decode('ascii')}" if m else "")
        pages.append({"key": key, "path": path, "body": body, "content_type": ctype})
    return pages


def _route_key(path: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Path and sorted query: the fetcher asks for normalized URLs (query parameters sorted)."""
    parts = urlsplit(path)
    return parts.path, tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))


class _Handler(BaseHTTPRequestHandler):
    routes: dict[tuple, tuple[str, bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/robots.txt":
            ctype, body = "text/plain", b"User-agent: *\nAllow: /\n"
        elif _route_key(self.path) in self.routes:
            ctype, body = self.routes[_route_key(self.path)]
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def serve(pages: list[dict[str, Any]]) -> tuple[ThreadingHTTPServer, str]:
    _Handler.routes = {_route_key(p["path"]): (p["content_type"], p["body"]) for p in pages}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# --------------------------------------------------------------------------- the stack
class RssSampler(threading.Thread):
    """Peak RSS of each worker process, sampled every 0.2 s."""

    def __init__(self, procs: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.procs = procs
        self.peak = {q: 0 for q in procs}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for q, p in self.procs.items():
                try:
                    self.peak[q] = max(self.peak[q], p.memory_info().rss)
                except Exception:
                    pass
            self.stop.wait(0.2)


def _drain(engine: Any, rds: Any, timeout: float) -> None:
    """Until no document is in progress and no stage queue holds a message."""
    from sqlalchemy import text

    in_progress = "('queued','fetching','retrying','fetched','parsed')"
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            busy = conn.execute(
                text(f"SELECT count(*) FROM documents WHERE state::text IN {in_progress}")
            ).scalar()
        if not busy and not sum(rds.llen(q) for q in STAGES):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the pipeline did not drain in {timeout:.0f} s")
        time.sleep(0.25)


def _no_strangers(redis_url: str, ours: set[str]) -> None:
    """Refuse to measure when other workers (a crashed earlier run's) consume from this broker:
    they would take part of the work."""
    from celery import Celery

    probe = Celery("bench-probe", broker=redis_url)
    try:
        replies = probe.control.ping(timeout=1.0)
    finally:
        probe.close()
    others = sorted(n.split("@")[0] for r in replies for n in r if n.split("@")[0] not in ours)
    if others:
        raise SystemExit(
            f"other workers consume from {redis_url}: {others}; stop them or pass --redis-db"
        )


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    out = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {out.stderr[-2000:]}")
    return out


def server_cpu() -> dict[str, float]:
    """CPU seconds of the PostgreSQL and Redis server processes alive now (the other side of
    SQL and Redis, not in the workers' numbers). The backends of the workers' pooled connections
    live through the run; short-lived connections' backends are missed, and other clients' load
    on the same servers is counted: run the bench on a quiet machine."""
    import psutil

    total = {"PostgreSQL": 0.0, "Redis": 0.0}
    for proc in psutil.process_iter(["name"]):
        name = proc.info["name"] or ""
        kind = "PostgreSQL" if name.startswith("postgres") else "Redis" if "redis" in name else None
        if kind:
            try:
                total[kind] += _cpu(proc)
            except psutil.Error:
                pass
    return total


def _cpu(p) -> float:
    t = p.cpu_times()
    return t.user + t.system


def run_pipeline(
    pages: list[dict[str, Any]],
    base: str,
    redis_db: int,
    pyspy: bool = False,
    cprofile: bool = False,
) -> dict[str, Any]:
    import psutil
    import redis
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from shared.db import drop_database
    from shared.metrics import FLUSH_SECONDS
    from shared.ops.stack import postgres_answers, redis_answers, start_worker, stop_processes

    base_db = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/x")
    base_redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if not postgres_answers(base_db) or not redis_answers(base_redis):
        raise SystemExit(f"PostgreSQL ({base_db}) and Redis ({base_redis}) must answer")
    run = uuid.uuid4().hex[:8]
    db_url = make_url(base_db).set(database=f"newsflow_bench_{run}").render_as_string(False)
    redis_url = base_redis.rsplit("/", 1)[0] + f"/{redis_db}"
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "NEWSFLOW_METRICS": "1",
        "NEWSFLOW_ALLOW_PRIVATE_HOSTS": "1",
        "NEWSFLOW_RATE_PER_HOST": "1000",
        "NEWSFLOW_OBEY_ROBOTS": "1",
    }
    rds = redis.Redis.from_url(redis_url)
    rds.flushdb()
    logdir = Path(tempfile.mkdtemp(prefix="newsflow-bench-"))
    if cprofile:
        env["NEWSFLOW_PROFILE_DIR"] = str(logdir)
    procs: dict[str, subprocess.Popen] = {}
    pids: dict[str, int] = {}
    engine = None
    try:
        _manage(env, "migrate")
        engine = create_engine(db_url, poolclass=NullPool)
        for q in STAGES:
            procs[q] = start_worker(
                q, env=env, name=f"{q}-bench-{run}", log_file=open(logdir / f"{q}.log", "w")
            )
        for q in STAGES:
            wait_ready(logdir / f"{q}.log", procs[q])
        _no_strangers(redis_url, {f"{q}-bench-{run}" for q in STAGES})
        ps = {q: psutil.Process(p.pid) for q, p in procs.items()}
        pids = {q: p.pid for q, p in procs.items()}
        # Warm-up: the seed snapshots go through first, so that the measured pages meet warm
        # workers (connections, compiled statements, robots entry), as in a long-running
        # pipeline; worker start-up and this pass are not measured.
        _manage(env, "import", str(ROOT / "samples"))
        _drain(engine, rds, 900)
        time.sleep(4 * FLUSH_SECONDS)
        rds.delete(METRICS_KEY)
        sampler = RssSampler(ps)
        sampler.start()
        spies: dict[str, subprocess.Popen] = {}
        if pyspy:
            spies = {q: start_pyspy(p.pid, logdir / f"{q}.pyspy.txt") for q, p in procs.items()}
            time.sleep(1.0)  # py-spy attached
        cpu0 = {q: _cpu(p) for q, p in ps.items()}
        servers0 = server_cpu()
        urls = logdir / "urls.txt"
        urls.write_text("\n".join(base + p["path"] for p in pages) + "\n", encoding="utf-8")

        t0 = time.monotonic()
        _manage(env, "enqueue", "--file", str(urls))
        _drain(engine, rds, 900)
        elapsed = time.monotonic() - t0
        time.sleep(4 * FLUSH_SECONDS)  # the workers' last stage/task counts reach Redis
        cpu = {q: _cpu(p) - cpu0[q] for q, p in ps.items()}
        servers = {k: v - servers0.get(k, 0.0) for k, v in server_cpu().items()}
        sampler.stop.set()
        sampler.join()
        for spy in spies.values():
            spy.send_signal(signal.SIGINT)
        for spy in spies.values():
            spy.wait(30)

        metrics = {k.decode(): float(v) for k, v in rds.hgetall(METRICS_KEY).items()}
        with engine.connect() as conn:
            states = dict(
                conn.execute(
                    text(
                        "SELECT state::text, count(*) FROM documents "
                        "WHERE origin <> 'snapshot' GROUP BY 1"
                    )
                ).all()
            )
            lat = [
                float(x)
                for (x,) in conn.execute(
                    text(
                        "SELECT extract(epoch FROM a.enriched_at - d.created_at) FROM articles a "
                        "JOIN documents d ON d.id = a.document_id "
                        "WHERE a.enriched_at IS NOT NULL AND d.origin <> 'snapshot'"
                    )
                )
            ]
            errors = dict(
                conn.execute(
                    text(
                        "SELECT coalesce(last_error_class, '?'), count(*) FROM documents "
                        "WHERE state::text IN ('failed', 'rejected', 'duplicate') "
                        "AND origin <> 'snapshot' GROUP BY 1"
                    )
                ).all()
            )
        return {
            "elapsed": elapsed,
            "states": states,
            "errors": errors,
            "articles": states.get("enriched", 0),
            "documents": sum(states.values()),
            "cpu": cpu,
            "stage_cpu": {q: metrics.get(f"{q}:cpu", 0.0) for q in STAGES},
            "stage_calls": {q: int(metrics.get(f"{q}:calls", 0)) for q in STAGES},
            "task_cpu": {q: metrics.get(f"{q}:task_cpu", 0.0) for q in STAGES},
            "tasks": {q: int(metrics.get(f"{q}:tasks", 0)) for q in STAGES},
            "peak_rss": sampler.peak,
            "servers": servers,
            "latency": lat,
            "logdir": str(logdir),
            "pyspy": pyspy_breakdown({q: logdir / f"{q}.pyspy.txt" for q in spies}),
            "cprofile": {q: logdir / f"{pid}.pstats" for q, pid in pids.items()}
            if cprofile
            else {},
        }
    finally:
        stop_processes(list(procs.values()))
        if engine is not None:
            engine.dispose()
        drop_database(db_url)
        rds.flushdb()


# --------------------------------------------------------------------------- py-spy breakdown
# Where a worker's CPU goes, from py-spy's raw (collapsed) stacks: the first rule whose marker is
# in a sampled stack names it. Stage logic first (the calls wrapped in stage_cpu), then the rest.
_RULES = [
    # py-spy samples some sleeping threads as active: they cost no CPU
    ("idle (sleeping/polling, sampled as active)", ("_flush_loop (shared/metrics.py",
                                                    "Condition.wait", "_epoll.poll")),
    ("metrics accounting (stage_cpu -> Redis)", ("stage_cpu (shared/metrics.py",
                                                 "flush (shared/metrics.py")),
    ("stage logic: model/gazetteer load (once)", ("LacBatch.__init__", "Gazetteer.__init__")),
    ("stage logic", ("parse_document (services/parser/tasks.py", "extract (services/enricher",
                     "enrich (services/enricher/core.py", "publisher_for (",
                     "fetch (services/fetcher/http.py:")),
    ("robots + rate limit (Redis)", ("polite_wait (",)),
    ("minhash (signature: stage logic; similarity in the store)", ("shared/minhash.py",)),
    ("raw body (de)compression (zstd)", ("compress (shared/pipeline.py",)),
    ("SQL: SQLAlchemy ORM/Core + psycopg", ("sqlalchemy/", "psycopg/")),
    ("send_task / publish (kombu)", ("send_task (", "apply_async (")),
    ("logging (JSON logs)", ("logging/__init__.py", "shared/logs.py")),
    ("Celery events (task-sent/received/started/succeeded)", ("celery/events/", "send_event")),
    ("Celery/kombu consumer loop, Redis I/O", ("celery/", "kombu/", "redis/")),
]  # fmt: skip


def _category(stack: str) -> str:
    for name, markers in _RULES:
        if any(m in stack for m in markers):
            # the http fetch of robots.txt runs under polite_wait: not stage logic
            if name.startswith("stage logic") and "polite_wait (" in stack:
                return "robots + rate limit (Redis)"
            return name
    return "other (interpreter, imports, GC...)"


def pyspy_breakdown(raw_files: dict[str, Path]) -> str:
    lines = []
    for q, path in raw_files.items():
        counts: dict[str, int] = {}
        total = 0
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            stack, _, n = line.rpartition(" ")
            if not n.isdigit():
                continue
            counts[_category(stack)] = counts.get(_category(stack), 0) + int(n)
            total += int(n)
        if not total:
            continue
        parts = sorted(counts.items(), key=lambda kv: -kv[1])
        lines.append(f"{q} worker ({total} samples): " + ", ".join(
            f"{name} {c / total:.0%}" for name, c in parts if c / total >= 0.01
        ))  # fmt: skip
    return "\n".join(lines)


def start_pyspy(pid: int, out: Path) -> subprocess.Popen:
    exe = Path(sys.executable).parent / "py-spy"
    if not exe.exists():
        exe = Path(shutil.which("py-spy") or ROOT / ".venv-bench" / "bin" / "py-spy")
    return subprocess.Popen(
        [str(exe), "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
         "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def cprofile_report(files: dict[str, Path], top: int = 25) -> str:
    """Each worker's CPU by function (cProfile on a CPU clock, from ready to shutdown)."""
    import io
    import pstats

    buf = io.StringIO()
    for q, path in files.items():
        if not path.exists():
            buf.write(f"{q}: no profile written ({path})\n")
            continue
        buf.write(f"==== {q} worker ====\n")
        stats = pstats.Stats(str(path), stream=buf)
        stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


# --------------------------------------------------------------------------- news-please
_NEWSPLEASE = r"""
import json, resource, sys, time, warnings, logging
warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)
pages = json.load(open(sys.argv[1], encoding="utf-8"))
t_import = time.process_time()
from newsplease import NewsPlease
t_import = time.process_time() - t_import
ok = 0
t0 = time.process_time()
for p in pages:
    try:
        art = NewsPlease.from_html(p["html"], url=p["url"], fetch_images=False)
        ok += bool(getattr(art, "maintext", None))
    except Exception:
        pass
cpu = time.process_time() - t0
print(json.dumps({"pages": len(pages), "with_text": ok, "cpu": cpu, "import_cpu": t_import,
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def _newsplease_python() -> str:
    """This interpreter when it has news-please, else the bench venv's."""
    import importlib.util

    if importlib.util.find_spec("newsplease") is not None:
        return sys.executable
    bench = ROOT / ".venv-bench" / "bin" / "python"
    return str(bench) if bench.exists() else sys.executable


def _decode(body: bytes, ctype: str) -> str:
    m = re.search(r"charset=([\w.:-]+)", ctype)
    try:
        return body.decode(m.group(1) if m else "utf-8", "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


def run_newsplease(pages: list[dict[str, Any]], base: str) -> dict[str, Any] | None:
    """news-please's extraction alone on the same pages (decoded before timing starts)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(
            [
                {"url": base + p["path"], "html": _decode(p["body"], p["content_type"])}
                for p in pages
            ],
            f,
        )
    try:
        out = subprocess.run(
            [_newsplease_python(), "-c", _NEWSPLEASE, f.name], capture_output=True, text=True,
            timeout=1800,
        )  # fmt: skip
        if out.returncode != 0:
            print(f"news-please failed: {out.stderr[-1500:]}", file=sys.stderr)
            return None
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        os.unlink(f.name)


# --------------------------------------------------------------------------- profile
def profile_stages(pages: list[dict[str, Any]], base: str, top: int = 18) -> str:
    """cProfile of the pure stage logic (parse_page, enrich) over the pages, in this process."""
    import cProfile
    import io
    import pstats

    from services.enricher import enrich
    from services.parser import parse_page
    from shared.contracts import NotAnArticle

    parsed = []
    prof = cProfile.Profile()
    prof.enable()
    for p in pages:
        try:
            parsed.append(
                parse_page(p["body"], base + p["path"], {"content-type": p["content_type"]})
            )
        except NotAnArticle:
            pass
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(top)
    prof = cProfile.Profile()
    prof.enable()
    for a in parsed:
        enrich(a.title, a.body, a.language)
    prof.disable()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


# --------------------------------------------------------------------------- report
def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def outside_share(res: dict[str, Any]) -> float:
    total = sum(res["cpu"].values())
    return (total - sum(res["stage_cpu"].values())) / total if total else float("nan")


def table(res: dict[str, Any], np_res: dict[str, Any] | None) -> str:
    n = max(1, res["articles"])
    cpu, stage, task = res["cpu"], res["stage_cpu"], res["task_cpu"]
    total_cpu = sum(cpu.values())
    total_stage = sum(stage.values())
    mb = 1024 * 1024
    rows: list[tuple[str, ...]] = [
        ("metric", "fetch", "parse", "enrich", "pipeline", "news-please")
    ]

    def share(q: str | None) -> str:
        c = total_cpu if q is None else cpu[q]
        s = total_stage if q is None else stage[q]
        return f"{(c - s) / c:.0%}" if c else "-"

    np_ms = np_res["cpu"] * 1000 / max(1, np_res["pages"]) if np_res else None
    pipe_ms = total_cpu * 1000 / n
    rows += [
        ("CPU ms per article (worker)", *(f"{cpu[q] * 1000 / n:.1f}" for q in STAGES),
         f"{pipe_ms:.1f}", f"{np_ms:.1f} /page" if np_ms else "n/a"),
        ("  of which stage logic", *(f"{stage[q] * 1000 / n:.1f}" for q in STAGES),
         f"{total_stage * 1000 / n:.1f}", ""),
        ("  in tasks, outside stage logic (SQL, Redis, zstd)",
         *(f"{(task[q] - stage[q]) * 1000 / n:.1f}" for q in STAGES),
         f"{(sum(task.values()) - total_stage) * 1000 / n:.1f}", ""),
        ("  outside tasks (Celery consumer, ack, idle loop)",
         *(f"{(cpu[q] - task[q]) * 1000 / n:.1f}" for q in STAGES),
         f"{(total_cpu - sum(task.values())) * 1000 / n:.1f}", ""),
        ("share outside stage logic", *(share(q) for q in STAGES), share(None), ""),
        ("stage calls / tasks (messages)",
         *(f"{res['stage_calls'][q]} / {res['tasks'][q]}" for q in STAGES), "", ""),
        ("peak RSS MB", *(f"{res['peak_rss'][q] / mb:.0f}" for q in STAGES),
         f"{sum(res['peak_rss'].values()) / mb:.0f} (sum)",
         f"{np_res['peak_rss'] / mb:.0f}" if np_res else "n/a"),
        ("server CPU ms per article: PostgreSQL / Redis", "", "", "",
         " / ".join(f"{res['servers'].get(k, 0.0) * 1000 / n:.1f}" for k in ("PostgreSQL", "Redis")),
         "not in the share"),
        ("articles/s (wall)", "", "", "", f"{res['articles'] / res['elapsed']:.2f}", ""),
        ("latency enqueue->enriched p50/p95 s", "", "", "",
         f"{_pct(res['latency'], 0.5):.1f} / {_pct(res['latency'], 0.95):.1f}", ""),
        ("pipeline CPU/article : news-please CPU/page", "", "", "",
         f"{pipe_ms / np_ms:.2f}" if np_ms else "n/a", "target <= 1"),
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data", type=Path, default=None, help=f"default: $NEWSFLOW_SHARED/{BENCH_SET}"
    )
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--redis-db", type=int, default=12)
    ap.add_argument("--no-newsplease", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile the pure stage functions")
    ap.add_argument("--py-spy", action="store_true", help="where each worker's CPU goes (py-spy)")
    ap.add_argument(
        "--cprofile", action="store_true", help="each worker under cProfile (CPU clock)"
    )
    ap.add_argument("--repeat", type=int, default=1, help="pipeline runs on fresh stacks")
    args = ap.parse_args(argv)

    # a SIGTERM (timeout, kill) still stops the workers and drops the database: `finally`
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    pages = load_pages(dataset(BENCH_SET, args.data), args.limit)
    server, base = serve(pages)
    try:
        runs = [
            run_pipeline(pages, base, args.redis_db, pyspy=args.py_spy, cprofile=args.cprofile)
            for _ in range(max(1, args.repeat))
        ]
        runs.sort(key=outside_share)
        res = runs[len(runs) // 2]
        np_res = None if args.no_newsplease else run_newsplease(pages, base)
        prof = profile_stages(pages, base) if args.profile else None
    finally:
        server.shutdown()
    print(
        f"\n{len(pages)} benchmark pages (after a warm-up pass of the samples/ seeds); "
        f"documents {res['states']}; "
        f"not enriched: {res['errors']}; {res['elapsed']:.1f} s wall; worker logs {res['logdir']}"
    )
    if np_res:
        print(
            f"news-please 1.6.16 from_html (no images): {np_res['pages']} pages, "
            f"{np_res['with_text']} with text; import {np_res['import_cpu']:.1f} s CPU (excluded)"
        )
    if len(runs) > 1:
        print(
            f"{len(runs)} pipeline runs; share outside stage logic per run: "
            + ", ".join(f"{outside_share(r):.1%}" for r in runs)
            + "; the table shows the median run"
        )
    print()
    print(table(res, np_res))
    if res.get("pyspy"):
        print("\nwhere the worker CPU goes (py-spy samples, first matching rule):")
        print(res["pyspy"])
    if res.get("cprofile"):
        print("\n" + cprofile_report(res["cprofile"]))
    if prof:
        print("\n" + prof)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
