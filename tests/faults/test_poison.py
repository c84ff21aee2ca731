"""Poison pages on real workers: no input may stall the pipeline.

A local site serves ordinary articles and pages that each carry one hostile feature
(tests/faults/poison.py), enqueued interleaved so they share fetch, parse and enrich batches.
Pass: every ordinary page is enriched; every hostile page ends enriched, or failed / rejected
with its reason recorded; `manage.py wait` returns within its timeout; the workers are still
the ones started (none crashed) and still do work; the export is valid UTF-8 JSON. The poison
table (page kind -> final state, error class, seconds to terminal) is printed at the end of the
run (`pytest tests/faults -s`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import pytest

from tests.faults.harness import (
    ALL_QUEUES,
    Pipeline,
    Postgres,
    RedisServer,
    article_html,
    assert_recovered,
    make_root,
    remove_root,
)
from tests.faults.poison import PAGES
from tests.faults.report import POISON, PoisonRow

pytestmark = pytest.mark.faults
NORMAL = 24  # ordinary articles, interleaved with the hostile pages


def _slug(kind: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")


class _Handler(BaseHTTPRequestHandler):
    server: _PoisonServer

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        if path == "/robots.txt":
            return self._send(200, "text/plain", {}, b"User-agent: *\nAllow: /\n")
        if path.startswith("/news/") and path.endswith(".html"):
            n = int(path[len("/news/") : -len(".html")])
            return self._send(200, "text/html; charset=utf-8", {}, article_html(n))
        page = self.server.pages.get(path)
        if page is None:
            return self._send(404, "text/plain", {}, b"no")
        return self._send(200, *page)

    def _send(self, status: int, ctype: str, headers: dict[str, str], body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: Any) -> None:
        pass


class _PoisonServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class PoisonSite:
    """/news/N.html ordinary articles, /poison/<kind>.html the hostile pages."""

    def __init__(self) -> None:
        self.server = _PoisonServer(("127.0.0.1", 0), _Handler)
        self.server.pages = {f"/poison/{_slug(k)}.html": make() for k, make in PAGES.items()}
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def poisoned(redis_db) -> Iterator[Pipeline]:  # noqa: ARG001 (releases conftest's Redis claim)
    root = make_root()
    pg, rds, site = Postgres(root), RedisServer(root), PoisonSite()
    pg.start()
    rds.start()
    pipe = Pipeline(pg, rds, site, "poison", root / "logs")  # type: ignore[arg-type]
    for name in ("NEWSFLOW_BATCH_SIZE", "NEWSFLOW_FETCH_BATCHES"):  # the default batches
        pipe.env.pop(name, None)
    try:
        pipe.start()
        yield pipe
    finally:
        pipe.close()
        site.close()
        rds.kill()
        pg.stop("fast")
        remove_root(root)


def _outcomes(pipe: Pipeline) -> dict[str, tuple[str, str | None, str | None, float]]:
    """url -> (state, error class, error message, seconds from creation to the last move)."""
    with psycopg.connect(pipe.pg.dsn(pipe.dbname)) as conn:
        rows = conn.execute(
            "SELECT url, state::text, last_error_class, last_error_message, "
            "extract(epoch FROM state_changed_at - created_at) FROM documents"
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3], float(r[4])) for r in rows}


def _export_is_valid_utf8_json(pipe: Pipeline) -> int:
    out = pipe.manage("export", timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    raw = out.stdout.encode("utf-8", "surrogatepass")
    raw.decode("utf-8")  # strict: a lone surrogate or invalid byte fails here
    lines = [line for line in raw.decode("utf-8").splitlines() if line.strip()]
    for line in lines:
        json.loads(line)
    return len(lines)


def test_poison_pages_do_not_stall_the_pipeline(poisoned: Pipeline) -> None:
    pipe = poisoned
    base = pipe.site.base
    normal = [f"{base}/news/{n}.html" for n in range(7000, 7000 + NORMAL)]
    hostile = {f"{base}/poison/{_slug(k)}.html": k for k in PAGES}
    mixed: list[str] = []
    for i, url in enumerate(hostile):
        mixed += [
            url,
            *normal[i * len(normal) // len(hostile) : (i + 1) * len(normal) // len(hostile)],
        ]
    pipe.sent += mixed
    pipe.expect_enriched.update(normal)
    pipe.expect_any.update(hostile)
    started = time.monotonic()
    out = pipe.manage("enqueue", "-", input="\n".join(mixed) + "\n")
    assert out.returncode == 0, out.stderr[-2000:]
    waited = pipe.manage("wait", "--timeout", "240", timeout=300)
    wait_seconds = time.monotonic() - started
    outcomes = _outcomes(pipe)
    from shared.urls import normalize_url

    for url, kind in hostile.items():
        state, err, msg, seconds = outcomes.get(normalize_url(url), ("missing", None, None, 0.0))
        POISON.append(PoisonRow(kind, state, err or "", (msg or "")[:70], seconds))
    print(f"\n`manage.py wait` returned {waited.returncode} after {wait_seconds:.0f}s")
    assert waited.returncode == 0, f"wait did not return: {waited.stdout[-2000:]}"
    pipe.settled, pipe.wait_ok = True, True
    audit = pipe.audit()
    assert_recovered(pipe, audit, True)
    unexplained = [
        (hostile[u], s, e)
        for u in hostile
        for s, e, _, _ in [outcomes.get(normalize_url(u), ("missing", None, None, 0))]
        if s not in ("enriched", "duplicate") and not e
    ]
    assert not unexplained, f"hostile pages without a recorded reason: {unexplained}"
    # the workers are the ones started (none died) and they still work
    assert all(pipe.starts[q] == 1 for q in ALL_QUEUES), pipe.starts
    assert all(pipe.workers[q].poll() is None for q in ALL_QUEUES), "a worker exited"
    after = [f"{base}/news/{n}.html" for n in (7900, 7901)]
    assert pipe.enqueue(after).returncode == 0
    assert pipe.manage("wait", "--timeout", "120", timeout=180).returncode == 0
    assert all(_outcomes(pipe)[normalize_url(u)][0] == "enriched" for u in after)
    assert _export_is_valid_utf8_json(pipe) >= NORMAL
