"""Fault injection on the real pipeline.

Each scenario runs real worker processes (one solo worker per queue: fetch, parse, enrich,
maintenance) against our own PostgreSQL and Redis (started here, on free ports, so they may be
killed), fetching slow pages from a local site, with beat running the sweeper and every lease at
its DEFAULT setting (shared/config.py), as in production. After the fault, `manage.py wait` must see the pipeline drain, and then every URL sent
in has exactly one document, `enriched` (with one article) or `failed` with a reason, no two
articles share a content hash or canonical URL, and nothing failed because the infrastructure
was down. `make faults` / `pytest tests/faults -s` print a table at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.faults.harness import (
    ROOT,
    STAGE_QUEUES,
    Audit,
    Pipeline,
    Postgres,
    RedisServer,
    Site,
    assert_recovered,
    make_root,
    remove_root,
    urls_of,
)
from tests.faults.report import record

pytestmark = pytest.mark.faults


@pytest.fixture(scope="module")
def infra(redis_db) -> Iterator[dict]:  # noqa: ARG001 (releases conftest's Redis DB claim)
    """Our own PostgreSQL cluster, Redis server and news site for the whole module."""
    root = make_root()
    pg = Postgres(root)
    pg.start()
    rds = RedisServer(root)
    rds.start()
    site = Site()
    try:
        yield {"root": root, "pg": pg, "redis": rds, "site": site}
    finally:
        site.close()
        rds.kill()
        pg.stop("fast")
        remove_root(root)


@pytest.fixture()
def pipeline(infra, request) -> Iterator[Pipeline]:
    pg: Postgres = infra["pg"]
    rds: RedisServer = infra["redis"]
    if not pg.answers():  # a failed PostgreSQL scenario may have left it down
        pg.start()
    if not rds.answers():
        rds.start()
    rds.client().flushall()
    site: Site = infra["site"]
    # slow pages (0.3-1 s) where kills must land mid-fetch, a busy but quicker site otherwise
    site.set_delay(*((0.3, 1.0) if "kill" in request.node.name else (0.2, 0.6)))
    name = request.node.name.removeprefix("test_")[:20]
    pipe = Pipeline(pg, rds, infra["site"], name, infra["root"] / "logs")
    try:
        pipe.start()
        yield pipe
    finally:
        pipe.close()


def _count(pipe: Pipeline, state: str) -> int:
    with psycopg.connect(pipe.pg.dsn(pipe.dbname)) as conn:
        return conn.execute("SELECT count(*) FROM documents WHERE state = %s", (state,)).fetchone()[
            0
        ]


def _finish(pipe: Pipeline, fault: str, started: float, notes: str) -> tuple[Audit, bool]:
    recovered = pipe.wait_idle()  # with the watchdog `manage.py up` runs
    restarts = [e for e in pipe.events if e.startswith(("watchdog", "beat"))]
    if restarts:
        notes += "; " + "; ".join(restarts)
    audit = pipe.audit()
    if pipe.settled and not pipe.wait_ok:
        notes += "; `manage.py wait` never idle (stale unacked)"
    record(fault, audit, notes, time.monotonic() - started, pipe.sweeper_resent(),
           after_fault=pipe.after_fault())  # fmt: skip
    return audit, recovered


def _failing_urls(pipe: Pipeline, tag: str) -> list[str]:
    return urls_of([f"/gone/{tag}", f"/broken/{tag}"], pipe.site.base)


# --------------------------------------------------------------------------- 1. kill -9 workers
def test_kill_workers_mid_task(pipeline: Pipeline) -> None:
    """SIGKILL each stage worker while it runs a task, 3 times each, restarting it every time.

    acks_late + reject_on_worker_lost leave the message unacked in Redis; the document stays in
    `fetching` / `fetched` / `parsed`; the sweeper re-sends it: a parse or enrich message as lost
    once its queue is empty (60 s), a dead fetch claim after the fetch lease (60 s). Parse and
    enrich are killed first (a fetch kill holds the round's pages until its lease is over), then
    fetch, on pages sent for it.
    """
    started = time.monotonic()
    mid = {q: 0 for q in STAGE_QUEUES}
    for rnd in range(3):
        pipeline.enqueue(_failing_urls(pipeline, f"k{rnd}"), expect="failed")
        out = pipeline.enqueue(pipeline.site.articles(rnd * 100, 10))
        assert out.returncode == 0, out.stderr
        for q in ("parse", "enrich"):
            mid[q] += pipeline.kill_mid_task(q, timeout=60)
            pipeline.mark_fault()
        assert pipeline.enqueue(pipeline.site.articles(rnd * 100 + 50, 5)).returncode == 0
        # a fetch spends 0.3-1 s in the slow page: let it get into the download first
        mid["fetch"] += pipeline.kill_mid_task("fetch", timeout=60, settle=0.15)
        pipeline.mark_fault()
    kills = ", ".join(f"{q} {mid[q]}/3" for q in STAGE_QUEUES)
    print("\n".join(pipeline.events), f"kills done after {time.monotonic() - started:.0f}s")
    audit, recovered = _finish(pipeline, "kill -9 workers", started, f"mid-task kills: {kills}")
    assert_recovered(pipeline, audit, recovered)
    for q in STAGE_QUEUES:
        assert mid[q] >= 1, f"no kill of the {q} worker landed mid-task ({pipeline.events})"


# --------------------------------------------------------------------------- 2. Redis restart
def test_redis_restart_loses_queued_work(pipeline: Pipeline) -> None:
    """Kill redis-server while fetch messages are queued; a fresh, empty one takes the port.

    Every queued and unacked message, the robots cache and the rate-limit slots are gone; the
    workers reconnect and the sweeper re-sends the work from PostgreSQL's states.
    """
    started = time.monotonic()
    assert pipeline.enqueue(pipeline.site.articles(1000, 60)).returncode == 0
    pipeline.enqueue(_failing_urls(pipeline, "r1"), expect="failed")
    waited = pipeline.rds.client()
    ok = _wait(lambda: _count(pipeline, "enriched") >= 1, 90)
    assert ok, f"nothing enriched before the fault: {pipeline.status()}"
    queued = waited.llen("fetch")
    assert queued > 0, "no fetch message was queued when Redis was killed"
    pipeline.rds.restart_empty(down_seconds=2)
    pipeline.mark_fault()
    pipeline.events.append(f"redis killed with {queued} fetch messages queued")
    # work keeps arriving on the new, empty Redis
    assert pipeline.enqueue(pipeline.site.articles(1100, 6)).returncode == 0
    audit, recovered = _finish(
        pipeline, "Redis restart (data lost)", started, f"{queued} queued fetch messages lost"
    )
    assert_recovered(pipeline, audit, recovered)


# --------------------------------------------------------------------------- 3. PostgreSQL down
def test_postgres_down_30s_under_load(pipeline: Pipeline) -> None:
    """Stop PostgreSQL (immediate: connections drop) for 30 s while all stages are busy.

    Tasks hit OperationalError and are retried by Celery with backoff (INFRA_RETRY); documents
    keep their state meanwhile; the sweeper re-sends anything whose retries were lost.
    """
    started = time.monotonic()
    assert pipeline.enqueue(pipeline.site.articles(2000, 30)).returncode == 0
    pipeline.enqueue(_failing_urls(pipeline, "p1"), expect="failed")
    assert _wait(lambda: _count(pipeline, "enriched") >= 3, 90), pipeline.status()
    done_before = _count(pipeline, "enriched")
    pipeline.pg.stop("immediate")
    pipeline.events.append(f"postgres stopped with {done_before} enriched")
    time.sleep(30)
    pipeline.pg.start()
    pipeline.mark_fault()  # counted from PostgreSQL being back
    pipeline.events.append("postgres started")
    audit, recovered = _finish(
        pipeline, "PostgreSQL down 30 s", started, f"stopped after {done_before} enriched"
    )
    assert_recovered(pipeline, audit, recovered)


# --------------------------------------------------------------------------- 4. same URL x100
def test_same_url_enqueued_100_times_concurrently(pipeline: Pipeline) -> None:
    """5 processes x 4 threads x 5 calls = 100 concurrent enqueues of the same 3 URLs (each
    call spelled differently: tracking parameters, fragment, host case): one document each,
    fetched once, one article."""
    started = time.monotonic()
    base = pipeline.site.base
    host_upper = base.replace("http://", "HTTP://")
    paths = ["/news/3000.html", "/news/3001.html", "/news/3002.html"]
    spellings = [
        [f"{base}{p}" for p in paths],
        [f"{base}{p}?utm_source=rss&utm_medium=feed" for p in paths],
        [f"{host_upper}{p}#comments" for p in paths],
        [f"{base}{p}?utm_campaign=x#top" for p in paths],
        [f"{base}{p}" for p in paths],
    ]
    start_at = time.time() + 8  # every process imported and waiting before the burst
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.faults.burst",
                "--start-at",
                str(start_at),
                "--threads",
                "4",
                "--calls",
                "5",
                *spellings[i],
            ],
            cwd=ROOT,
            env=pipeline.full_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for i in range(5)
    ]
    summaries = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    for s in spellings:
        pipeline.sent += s
        pipeline.expect_enriched.update(s)
    calls = sum(s["calls"] for s in summaries)
    new = sum(s["new"] for s in summaries)
    errors = [e for s in summaries for e in s["errors"]]
    recovered = pipeline.wait_idle(timeout=150)
    hits = {p: pipeline.site.hits(p) for p in paths}
    audit = pipeline.audit()
    record(
        "same URL x100 concurrently",
        audit,
        f"{calls} enqueue calls x 3 URLs, {new} new; fetched {sorted(hits.values())}",
        time.monotonic() - started,
        pipeline.sweeper_resent(),
    )
    assert not errors, f"enqueue calls raised: {errors[:5]}"
    assert calls == 100, summaries
    assert new == len(paths), f"{new} documents created for {len(paths)} URLs: {summaries}"
    assert_recovered(pipeline, audit, recovered)
    assert audit.documents_in == len(paths)
    assert audit.enriched == len(paths), audit
    assert all(n == 1 for n in hits.values()), f"pages fetched more than once: {hits}"


# --------------------------------------------------------------------------- 2b. Redis, robots
def test_redis_outage_is_not_charged_to_the_page(pipeline: Pipeline) -> None:
    """Redis dies while a fetch task downloads robots.txt (slow, 2 s): storing the robots entry
    in Redis raises redis ConnectionError inside the fetch task.

    The Celery app's contract (shared/runtime/celery_app.py INFRA_RETRY) is that infrastructure outages
    are retried with backoff and "the document keeps its state meanwhile". An outage must not
    be charged to the page as a failed fetch attempt: with attempts at NEWSFLOW_MAX_ATTEMPTS it
    would make the document `failed` for good with last_error_class=ConnectionError.
    """
    started = time.monotonic()
    pipeline.site.set_robots_delay(2.0)
    try:
        assert pipeline.enqueue(pipeline.site.articles(5000, 4)).returncode == 0
        assert _wait(pipeline.site.robots_in_progress, 60), "robots.txt was never requested"
        pipeline.rds.kill()  # mid-download of robots.txt; redis-py retries cannot bridge 6 s
        time.sleep(6)
        pipeline.rds.start()
        pipeline.mark_fault()
        pipeline.events.append("redis killed during the robots.txt download, empty after 6 s")
        pipeline.site.set_robots_delay(0.0)
        recovered = pipeline.wait_idle()
        audit = pipeline.audit()
        charged = ", ".join(c.split("/news/")[-1] for c in audit.charged) or "none"
        charged += "".join(f"; {e}" for e in pipeline.events if e.startswith(("watchdog", "beat")))
        record("Redis down mid robots.txt", audit, f"outage charged to page: {charged}",
               time.monotonic() - started, pipeline.sweeper_resent(),
               after_fault=pipeline.after_fault())  # fmt: skip
    finally:
        pipeline.site.set_robots_delay(0.0)
    assert_recovered(pipeline, audit, recovered)
    assert not audit.charged, (
        "BUG services/fetcher/tasks.py fetch(): the `except Exception` around polite_wait() "
        "turns a redis ConnectionError (robots cache / rate limiter) into a failed fetch "
        "attempt (_record_failure: attempts+1, state retrying, last_error_class "
        "ConnectionError; `failed` once attempts reach NEWSFLOW_MAX_ATTEMPTS) instead of "
        f"letting INFRA_RETRY retry the task: {audit.charged} (every page answered 200)"
    )


def _wait(pred, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.3)
    return False


def test_harness_detects_loss(infra) -> None:
    """The auditor is not blind: a URL whose message never reaches a worker is reported lost."""
    pg: Postgres = infra["pg"]
    rds: RedisServer = infra["redis"]
    if not pg.answers():
        pg.start()
    if not rds.answers():
        rds.start()
    pipe = Pipeline(pg, rds, infra["site"], "audit_selfcheck", Path(infra["root"]) / "logs")
    try:
        pipe.migrate()  # no workers at all
        pipe.enqueue(pipe.site.articles(4000, 2))
        audit = pipe.audit()
        assert len(audit.lost) == 2 and audit.enriched == 0, audit
    finally:
        pipe.close()


# --------------------------------------------------------------------------- 5. scale-out parse
def test_syndicated_copies_with_two_parse_workers(pipeline: Pipeline) -> None:
    """`--scale parser=2`: the same article under two URLs (no canonical link), imported back to
    back, is parsed by two workers at the same moment. One copy must become the article, the
    other `duplicate`: never two articles with one content hash."""
    started = time.monotonic()
    pipeline.add_worker("parse", "parse2")
    out = subprocess.run(
        [sys.executable, "-m", "tests.faults.importer", pipeline.site.base, "25"],
        cwd=ROOT, env=pipeline.full_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    pairs = json.loads(out.stdout.strip().splitlines()[-1])
    for pair in pairs:
        pipeline.sent += pair
        pipeline.expect_any.update(pair)
    recovered = pipeline.wait_idle(timeout=120)
    audit = pipeline.audit()
    with psycopg.connect(pipeline.pg.dsn(pipeline.dbname)) as conn:
        state = dict(conn.execute("SELECT url, state::text FROM documents").fetchall())
    both = [p for p in pairs if all(state.get(u) == "enriched" for u in p)]
    record(
        "same content, 2 parse workers",
        audit,
        f"{len(pairs)} pairs imported back to back; {len(both)} pairs both enriched",
        time.monotonic() - started,
        pipeline.sweeper_resent(),
    )
    assert not both, (
        f"BUG services/parser/tasks.py _store(): the duplicate check (SELECT ... content_hash) "
        f"and the INSERT race between parse workers; nothing in the database makes content_hash "
        f"unique, so both copies were stored as articles: {both[:5]}"
    )
    assert_recovered(pipeline, audit, recovered)
    assert audit.states.get("duplicate", 0) == len(pairs), audit.states
