"""WARC bench: the archive import alone, the pipeline end to end on an archive, and
news-please's own WARC path on the same file, in one run.

Builds a WARC at bench time in a temporary folder (bench/warc_build.py: every page of
../shared/bench-data and ../shared/dev-data as a `response`, gzip per record, with the request,
metadata, revisit, redirect, robots.txt, 404, image and JSON records a crawl writes around
them), then on a throwaway database `newsflow_bench_<random>` (dropped afterwards) and Redis DB
13 (flushed before and after):

1. readers: FastWARC and warcio on the file, each reading every record and every response's
   HTTP message (the library choice, docs/bulk-archives.md);
2. intake alone: `manage.py import FILE` with no worker running (messages wait in Redis): records
   per CPU-second of the import process, and per wall second;
3. parse + enrich workers draining what the intake left (parse alone: its pages per second);
4. end to end on a fresh database: parse and enrich workers running, `manage.py import` beside
   them; articles per wall second, CPU per article (import process + workers; PostgreSQL and
   Redis server CPU shown apart, as bench/e2e.py does);
5. news-please 1.6.16 as its commoncrawl mode runs: warcio's ArchiveIterator, every `response`
   record through `NewsPlease.from_warc` (no images), in the bench venv.

    .venv-bench/bin/python bench/warc.py [--data ../shared] [--limit N] [--no-newsplease]
                                         [--keep] [--redis-db 13]

Articles are counted per half of the dev-data protocol (bench/splits.py: tune / check by
domain); the throughput figures are for the whole file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.datasets import shared_root  # noqa: E402
from bench.e2e import (  # noqa: E402
    _cpu,
    _drain,
    _newsplease_python,
    _no_strangers,
    server_cpu,
)
from bench.splits import CHECK, TUNE, half_of_url  # noqa: E402
from bench.workers import run_manage, wait_ready  # noqa: E402
from shared.ops import warc  # noqa: E402

WORKERS = ("parse", "enrich")

# --------------------------------------------------------------------------- 1. readers
_READERS = r"""
import json, sys, time
path, which = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
def fastwarc():
    from fastwarc.warc import ArchiveIterator
    from shared.ops.warc import parse_http_response
    n = body = 0
    for r in ArchiveIterator(open(path, "rb"), parse_http=False):
        n += 1
        if r.headers.get("WARC-Type") == "response":
            body += len(parse_http_response(r.reader.read()).body)
    return n, body
def fastwarc_http():
    from fastwarc.warc import ArchiveIterator
    n = body = 0
    for r in ArchiveIterator(open(path, "rb"), parse_http=True, auto_decode="all"):
        n += 1
        if r.headers.get("WARC-Type") == "response":
            r.http_headers.status_code
            body += len(r.reader.read())
    return n, body
def warcio():
    from warcio.archiveiterator import ArchiveIterator
    n = body = 0
    with open(path, "rb") as f:
        for r in ArchiveIterator(f):
            n += 1
            if r.rec_type == "response":
                r.http_headers.get_statuscode()
                body += len(r.content_stream().read())
    return n, body
best = None
for _ in range(3):
    t0 = time.process_time()
    n, body = globals()[which]()
    cpu = time.process_time() - t0
    best = cpu if best is None else min(best, cpu)
print(json.dumps({"records": n, "body_bytes": body, "cpu": best}))
"""


def bench_readers(path: Path) -> dict[str, dict[str, Any]]:
    """Best of three CPU times per reader, each in the bench venv's interpreter."""
    out = {}
    for which in ("fastwarc", "fastwarc_http", "warcio"):
        res = subprocess.run(
            [_newsplease_python(), "-c", _READERS, str(path), which, str(ROOT)],
            capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        if res.returncode != 0:
            print(f"reader {which} failed: {res.stderr[-800:]}", file=sys.stderr)
            continue
        out[which] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def intake_breakdown(path: Path) -> dict[str, float]:
    """CPU of the import's steps, in this process (best of two): reading the records (FastWARC:
    gzip members and framing), + classifying them (HTTP parsing and decoding, URL
    normalization), + compressing the kept bodies (zstd, as every stored body)."""
    from shared.ops import warc_import as wi
    from shared.pipeline import compress

    def run(classify: bool, squeeze: bool) -> float:
        t0 = time.process_time()
        flt = wi.Filters()
        wants = (lambda r: wi.wanted(r, flt)) if classify else None
        for item in warc.read_records(open(path, "rb"), wants=wants):
            if classify and isinstance(item, warc.Record):
                _, row = wi.classify(item, flt, 10**8, str(path))
                if row is not None and squeeze:
                    compress(row["raw_body"])
        return time.process_time() - t0

    steps = {"read": (False, False), "classify": (True, False), "compress": (True, True)}
    return {k: min(run(*v), run(*v)) for k, v in steps.items()}


# --------------------------------------------------------------------------- 2-4. the stack
class Stack:
    """A throwaway database and Redis DB, with parse and enrich workers on demand."""

    def __init__(self, redis_db: int, logdir: Path) -> None:
        import redis
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import NullPool

        from shared.ops.stack import postgres_answers, redis_answers

        base_db = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/x")
        base_redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        if not postgres_answers(base_db) or not redis_answers(base_redis):
            raise SystemExit(f"PostgreSQL ({base_db}) and Redis ({base_redis}) must answer")
        self.run = uuid.uuid4().hex[:8]
        self.db_url = (
            make_url(base_db).set(database=f"newsflow_bench_{self.run}").render_as_string(False)
        )
        self.redis_url = base_redis.rsplit("/", 1)[0] + f"/{redis_db}"
        self.env = {**os.environ, "DATABASE_URL": self.db_url, "REDIS_URL": self.redis_url,
                    "NEWSFLOW_METRICS": "1"}  # fmt: skip
        self.rds = redis.Redis.from_url(self.redis_url)
        self.rds.flushdb()
        self.logdir = logdir
        self.procs: dict[str, subprocess.Popen] = {}
        self.manage("migrate")
        self.engine = create_engine(self.db_url, poolclass=NullPool)

    def manage(self, *args: str) -> tuple[str, float, float]:
        """(stdout, CPU seconds, wall seconds) of one manage.py run."""
        return run_manage(self.env, *args, tree=ROOT)

    def start_workers(self) -> dict[str, Any]:
        import psutil

        from shared.ops.stack import start_worker

        for q in WORKERS:
            log = open(self.logdir / f"{q}-{self.run}.log", "w")
            self.procs[q] = start_worker(q, env=self.env, name=f"{q}-warc-{self.run}", log_file=log)
        for q in WORKERS:
            wait_ready(self.logdir / f"{q}-{self.run}.log", self.procs[q])
        _no_strangers(self.redis_url, {f"{q}-warc-{self.run}" for q in WORKERS})
        return {q: psutil.Process(p.pid) for q, p in self.procs.items()}

    def drain(self) -> None:
        _drain(self.engine, self.rds, 3600)

    def query(self, sql: str) -> list[tuple]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]

    def close(self) -> None:
        from shared.db import drop_database
        from shared.ops.stack import stop_processes

        stop_processes(list(self.procs.values()))
        self.engine.dispose()
        drop_database(self.db_url)
        self.rds.flushdb()


def _halves(urls: list[str]) -> dict[str, int]:
    out = {TUNE: 0, CHECK: 0}
    for u in urls:
        out[half_of_url(u)] += 1
    return out


def _enriched_urls(stack: Stack) -> list[str]:
    return [u for (u,) in stack.query(
        "SELECT d.url FROM documents d JOIN articles a ON a.document_id = d.id "
        "WHERE d.state = 'enriched' AND d.origin = 'warc'"
    )]  # fmt: skip


def _states(stack: Stack) -> dict[str, int]:
    return dict(
        stack.query("SELECT state::text, count(*) FROM documents WHERE origin = 'warc' GROUP BY 1")
    )


def intake_then_drain(path: Path, redis_db: int, logdir: Path) -> dict[str, Any]:
    """Intake alone (no worker), then parse + enrich draining what it stored."""
    stack = Stack(redis_db, logdir)
    try:
        # the interpreter's start and imports, measured on an archive of one record
        empty = logdir / "empty.warc.gz"
        empty.write_bytes(warc.gzip_member(warc.warcinfo_record({"software": "bench"})))
        _, start_cpu, start_wall = stack.manage("import", str(empty))
        # a filtered import (the registry's publishers only), then the whole archive afresh
        registered, reg_cpu, _ = stack.manage("import", "--registered", str(path))
        with stack.engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE documents RESTART IDENTITY CASCADE")
        stack.rds.flushdb()
        stdout, cpu, wall = stack.manage("import", str(path))
        servers0 = server_cpu()
        ps = stack.start_workers()  # they start on the waiting messages at once
        t0 = time.monotonic()
        cpu0 = {q: _cpu(p) for q, p in ps.items()}
        stack.drain()
        drain_wall = time.monotonic() - t0
        return {
            "line": stdout.strip().splitlines()[-1],
            "intake_cpu": cpu, "intake_wall": wall,
            "start_cpu": start_cpu, "start_wall": start_wall,
            "registered_line": registered.strip().splitlines()[-1], "registered_cpu": reg_cpu,
            "drain_wall": drain_wall,
            "drain_cpu": {q: _cpu(p) - cpu0[q] for q, p in ps.items()},
            "drain_servers": {k: v - servers0.get(k, 0.0) for k, v in server_cpu().items()},
            "documents": sum(_states(stack).values()),
            "decoded_mb": stack.query("SELECT sum(raw_size) FROM documents")[0][0] / 1e6,
            "states": _states(stack),
        }  # fmt: skip
    finally:
        stack.close()


def end_to_end(path: Path, redis_db: int, logdir: Path) -> dict[str, Any]:
    """Workers running (warmed up on the samples/ snapshots), the import beside them."""
    stack = Stack(redis_db, logdir)
    try:
        ps = stack.start_workers()
        stack.manage("import", str(ROOT / "samples"))
        stack.drain()
        cpu0 = {q: _cpu(p) for q, p in ps.items()}
        servers0 = server_cpu()
        t0 = time.monotonic()
        stdout, intake_cpu, intake_wall = stack.manage("import", str(path))
        stack.drain()
        elapsed = time.monotonic() - t0
        urls = _enriched_urls(stack)
        return {
            "line": stdout.strip().splitlines()[-1],
            "elapsed": elapsed, "intake_cpu": intake_cpu, "intake_wall": intake_wall,
            "cpu": {q: _cpu(p) - cpu0[q] for q, p in ps.items()},
            "servers": {k: v - servers0.get(k, 0.0) for k, v in server_cpu().items()},
            "articles": len(urls), "halves": _halves(urls), "states": _states(stack),
        }  # fmt: skip
    finally:
        stack.close()


# --------------------------------------------------------------------------- 5. news-please
_NEWSPLEASE = r"""
import json, logging, resource, sys, time, warnings
warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)
t_import = time.process_time()
from newsplease import NewsPlease
from warcio.archiveiterator import ArchiveIterator
t_import = time.process_time() - t_import
responses = with_text = html200 = 0
cpu_html = 0.0
urls = []
t0 = time.process_time()
with open(sys.argv[1], "rb") as stream:
    for record in ArchiveIterator(stream):  # as newsplease/crawler/commoncrawl_extractor.py
        if record.rec_type != "response":
            continue
        responses += 1
        status = record.http_headers.get_statuscode()
        ctype = (record.http_headers.get_header("Content-Type") or "").lower()
        is_html = status == "200" and ctype.startswith(("text/html", "application/xhtml"))
        r0 = time.process_time()
        try:
            art = NewsPlease.from_warc(record, decode_errors="replace", fetch_images=False)
            if getattr(art, "maintext", None):
                with_text += 1
                urls.append(record.rec_headers.get_header("WARC-Target-URI"))
        except Exception:
            pass
        if is_html:
            html200 += 1
            cpu_html += time.process_time() - r0
cpu = time.process_time() - t0
print(json.dumps({"responses": responses, "html200": html200, "with_text": with_text,
                  "urls": urls, "cpu": cpu, "cpu_html": cpu_html, "import_cpu": t_import,
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def run_newsplease(path: Path) -> dict[str, Any] | None:
    out = subprocess.run(
        [_newsplease_python(), "-c", _NEWSPLEASE, str(path)], capture_output=True, text=True,
        timeout=7200,
    )  # fmt: skip
    if out.returncode != 0:
        print(f"news-please failed: {out.stderr[-1500:]}", file=sys.stderr)
        return None
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["halves"] = _halves(res.pop("urls"))
    return res


# --------------------------------------------------------------------------- report
def _rows(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(lines)


def readers_table(readers: dict[str, dict[str, Any]], size: int) -> str:
    rows = [
        (
            "reader (every record; every response's HTTP message decoded)",
            "records/CPU-s",
            "MB/CPU-s (file)",
            "vs warcio",
        )
    ]
    base = readers.get("warcio", {}).get("cpu")
    names = {
        "fastwarc": "FastWARC 2.0 framing + our HTTP parser (what the import uses)",
        "fastwarc_http": "FastWARC 2.0 with its own HTTP parsing (auto_decode=all)",
        "warcio": "warcio 1.8 (content_stream: dechunked, decoded)",
    }
    for k, r in readers.items():
        rows.append((names[k], f"{r['records'] / r['cpu']:,.0f}", f"{size / 1e6 / r['cpu']:.0f}",
                     f"{base / r['cpu']:.2f}x" if base else "n/a"))  # fmt: skip
    return _rows(rows)


def breakdown_table(parts: dict[str, float], intake: dict, records: int) -> str:
    full = intake["intake_cpu"] - intake["start_cpu"]
    steps = [
        ("read the records (FastWARC: gzip members, WARC framing)", parts["read"]),
        ("classify (HTTP head, chunked/gzip decoding, URL normalization)", parts["classify"] - parts["read"]),
        ("compress the kept bodies (zstd level 1, shared/pipeline.py)", parts["compress"] - parts["classify"]),
        ("store: known-URL lookup, INSERT, hand-over to parse (rest of the import)", full - parts["compress"]),
    ]  # fmt: skip
    rows = [("where the intake's CPU goes (whole archive)", "CPU s", "share", "us/record")]
    for name, cpu in steps:
        rows.append((name, f"{cpu:.2f}", f"{cpu / full:.0%}", f"{cpu * 1e6 / records:.0f}"))
    rows.append(("total (manage.py import, without the interpreter's start)", f"{full:.2f}", "100%",
                 f"{full * 1e6 / records:.0f}"))  # fmt: skip
    return _rows(rows)


def main_table(intake: dict, e2e: dict, npl: dict | None, records: int) -> str:
    n = max(1, e2e["articles"])
    worker_cpu = sum(e2e["cpu"].values())
    total = worker_cpu + e2e["intake_cpu"]
    docs = intake["documents"]
    parse_alone = docs / intake["drain_wall"]
    e2e_pages = docs / e2e["elapsed"]
    ours = n / total
    rows: list[tuple[str, ...]] = [("metric", "newsflow", "news-please 1.6.16 (from_warc)")]
    np_all = np_html = None
    if npl:
        np_all = npl["with_text"] / npl["cpu"]
        np_html = npl["with_text"] / npl["cpu_html"] if npl["cpu_html"] else None
    rows += [
        ("intake alone: records per CPU-s (one process; without its start)",
         f"{records / (intake['intake_cpu'] - intake['start_cpu']):,.0f} "
         f"({records / intake['intake_cpu']:,.0f} with the {intake['start_cpu']:.1f} s start)", ""),
        ("intake alone, --registered (most records filtered): records per CPU-s",
         f"{records / (intake['registered_cpu'] - intake['start_cpu']):,.0f}", ""),
        ("intake alone: records/s wall; decoded MB/s", f"{records / intake['intake_wall']:,.0f}; "
         f"{intake['decoded_mb'] / (intake['intake_cpu'] - intake['start_cpu']):.0f} MB per CPU-s", ""),
        ("parse+enrich draining alone: pages/s wall", f"{parse_alone:.1f}", ""),
        ("end to end (intake beside workers): pages/s wall", f"{e2e_pages:.1f} ({e2e_pages / parse_alone:.0%} of parse alone)", ""),
        ("end to end: articles/s wall", f"{e2e['articles'] / e2e['elapsed']:.1f}", ""),
        ("articles (tune / check)", f"{e2e['halves'][TUNE]} / {e2e['halves'][CHECK]}",
         f"{npl['halves'][TUNE]} / {npl['halves'][CHECK]} with text" if npl else "n/a"),
        ("CPU ms per article: intake / parse / enrich",
         f"{e2e['intake_cpu'] * 1000 / n:.1f} / {e2e['cpu']['parse'] * 1000 / n:.1f} / {e2e['cpu']['enrich'] * 1000 / n:.1f}", ""),
        ("CPU ms per article (total)", f"{total * 1000 / n:.1f}",
         f"{npl['cpu'] * 1000 / max(1, npl['with_text']):.1f}" if npl else "n/a"),
        ("server CPU ms per article: PostgreSQL / Redis (not in the total)",
         " / ".join(f"{e2e['servers'].get(k, 0.0) * 1000 / n:.1f}" for k in ("PostgreSQL", "Redis")), ""),
        ("articles per CPU-second", f"{ours:.2f}",
         f"{np_all:.2f} (all {npl['responses']} responses, as commoncrawl mode); "
         f"{np_html:.2f} (CPU of the {npl['html200']} HTML 200 ones only)" if npl else "n/a"),
        ("ratio newsflow : news-please (target >= 6x)", "",
         f"{ours / np_all:.1f}x / {ours / np_html:.1f}x (HTML-only CPU)" if npl and np_html else "n/a"),
    ]  # fmt: skip
    return _rows(rows)


def main(argv: list[str] | None = None) -> int:
    from bench.warc_build import build, load_pages

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="the shared folder (NEWSFLOW_SHARED)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages")
    ap.add_argument("--redis-db", type=int, default=15)
    ap.add_argument("--no-newsplease", action="store_true")
    ap.add_argument("--no-readers", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `finally` still cleans up

    shared = args.data or shared_root()
    tmp = Path(tempfile.mkdtemp(prefix="newsflow-warc-bench-"))
    try:
        pages = load_pages(shared)[: args.limit]
        path = tmp / "bench.warc.gz"
        t0 = time.monotonic()
        kinds = build(pages, path)
        records = sum(kinds.values())
        size = path.stat().st_size
        print(
            f"archive: {records} records ({', '.join(f'{k} {n}' for k, n in kinds.most_common())}), "
            f"{size / 1e6:.0f} MB gzip per record, built in {time.monotonic() - t0:.0f} s; "
            f"pages tune / check: {_halves([p.url for p in pages])}",
            flush=True,
        )
        readers = {} if args.no_readers else bench_readers(path)
        parts = intake_breakdown(path)
        intake = intake_then_drain(path, args.redis_db, tmp)
        print(f"intake alone: {intake['line']}", flush=True)
        print(f"intake alone, --registered: {intake['registered_line']}", flush=True)
        e2e = end_to_end(path, args.redis_db, tmp)
        print(f"end to end: {e2e['line']}; documents {e2e['states']}", flush=True)
        if readers:
            print("\n" + readers_table(readers, size))
        print("\n" + breakdown_table(parts, intake, records))
        print("\n" + main_table(intake, e2e, None, records) + "\n", flush=True)  # if the peer fails
        npl = None if args.no_newsplease else run_newsplease(path)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if npl:
        print(
            f"\nnews-please: {npl['responses']} responses through from_warc, {npl['with_text']} "
            f"with a main text; import {npl['import_cpu']:.1f} s CPU (excluded)"
        )
    print("\n" + main_table(intake, e2e, npl, records))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
