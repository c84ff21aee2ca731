"""An import killed (kill -9) halfway, then run again: nothing lost, nothing duplicated; and a
batch stored but never sent to parse (the import died between the two) is sent by the rerun."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from shared.db import session_scope
from shared.models import Article, DocState, Document
from shared.ops import warc
from shared.ops.warc_import import Filters, classify, store_batch
from tests.conftest import ROOT, manage
from tests.integration.test_warc_import import parse_line, write
from tests.support.httpserver import Request

N = 300
WORDS = (
    "minister council budget river harbour election court railway festival museum drought "
    "vaccine strike treaty border mayor storm port tariff senate bridge school hospital "
    "farmers energy grid satellite coalition protest verdict inflation airline"
).split()


def _page(i: int, rng: random.Random) -> bytes:
    paras = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(45)) + f" (report {i}-{k}).</p>"
        for k in range(4)
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Story {i}: "
        f"{rng.choice(WORDS)} and {rng.choice(WORDS)} | Test Times</title>"
        f"<meta property='og:type' content='article'>"
        f"<meta property='article:published_time' content='2024-05-01T10:{i % 60:02d}:00Z'>"
        f"</head><body><article><h1>Story {i}</h1>{paras}</article></body></html>"
    ).encode()


def _archive() -> tuple[bytes, list[str]]:
    rng = random.Random(7)
    records, urls = [], []
    for i in range(N):
        url = f"https://times.example.net/2024/05/01/story-{i}.html"
        urls.append(url)
        req = f"GET /2024/05/01/story-{i}.html HTTP/1.1\r\nHost: times.example.net\r\n\r\n"
        records.append(
            warc.build_record("request", req.encode(), target_uri=url, content_type=warc.HTTP_REQUEST_TYPE)
        )  # fmt: skip
        body = _page(i, rng)
        records.append(
            warc.response_record(url, body, [("Content-Type", "text/html; charset=utf-8")])
        )
    return b"".join(warc.gzip_member(r) for r in records), urls


def _slow(data: bytes, piece: int = 2048, delay: float = 0.01):
    def fn(req: Request) -> None:
        req.respond(200, b"", {"Content-Type": "application/warc"}, content_length=False)
        for i in range(0, len(data), piece):
            req.write(data[i : i + piece])
            time.sleep(delay)

    return fn


def _count() -> int:
    with session_scope() as db:
        return db.scalar(select(func.count()).select_from(Document))


def test_kill_9_halfway_then_rerun(clean_db, workers, srv, tmp_path):
    data, urls = _archive()
    srv.route("/big.warc.gz", _slow(data))
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "import", srv.url("/big.warc.gz")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while _count() == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    stored_at_kill = _count()
    assert proc.returncode == -signal.SIGKILL, "the import ended before it could be killed"
    assert 0 < stored_at_kill < N

    res = parse_line(manage("import", write(tmp_path, "big.warc.gz", data)).stdout)
    assert res["read"] == 2 * N and res["skipped"] == N  # the request records
    assert res["kept"] + res["known"] == N and res["known"] >= stored_at_kill
    assert manage("wait", "--timeout", "300").returncode == 0
    with session_scope() as db:
        stored = db.execute(select(Document.url, Document.state)).all()
        articles = db.scalar(select(func.count()).select_from(Article))
    assert sorted(u for u, _ in stored) == sorted(urls)  # each once, none missing
    assert {s for _, s in stored} == {DocState.enriched} and articles == N


def test_stored_but_never_sent_is_sent_by_the_rerun(clean_db, workers, tmp_path):
    data, urls = _archive()
    path = write(tmp_path, "big.warc.gz", data)
    # what an import killed between storing a batch and sending it leaves: rows at `fetched`
    rows = []
    for item in warc.read_records(open(path, "rb")):
        why, row = classify(item, Filters(), 10**7, path)
        if row is not None and len(rows) < 50:
            rows.append(row)
    assert store_batch(rows, send=False)[0] == 50
    time.sleep(1.0)
    with session_scope() as db:
        waiting = db.scalar(select(func.count()).where(Document.state == DocState.fetched))
    assert waiting == 50  # nobody else sends them

    out = manage("import", path)
    assert "50 of them still waiting for parse, sent again" in out.stdout, out.stdout
    assert manage("wait", "--timeout", "300").returncode == 0
    with session_scope() as db:
        states = db.execute(select(Document.state, func.count()).group_by(Document.state)).all()
    assert dict(states) == {DocState.enriched: N}
