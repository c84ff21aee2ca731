"""The crash-loop guard of every stage task (shared.runtime.stage_task), on real PostgreSQL and
Redis: a batch holding a document tried before is split, a document whose runs never end fails
with WorkerLost, a bug that escapes the batch fails its document alone, an outage is not charged.

Each scenario runs in a subprocess whose broker is a Redis DB no worker consumes, so the
messages the guard sends can be read back."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import select

from shared.db import session_scope
from shared.models import DocState, Document
from shared.runtime.intake import import_raw
from tests.conftest import ROOT

PAGE = (ROOT / "tests/e2e_pages/en_article.html").read_bytes()


def _documents(n: int) -> list[int]:
    ids = []
    for i in range(n):
        doc_id, _ = import_raw(PAGE, url=f"https://crash.example.org/{i}", send=False)
        ids.append(doc_id)
    return ids


def _run(broker, code: str) -> str:
    """`code` in a fresh interpreter with the idle broker; its last printed line."""
    import os

    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": broker.test_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


def _messages(broker, queue: str) -> list[list[int]]:
    """The id lists of the messages waiting in `queue`."""
    bodies = [json.loads(m) for m in broker.lrange(queue, 0, -1)]
    import base64

    return [json.loads(base64.b64decode(b["body"]))[0][0] for b in bodies]


def _state(doc_id: int) -> tuple[DocState, str | None]:
    with session_scope() as db:
        row = db.execute(
            select(Document.state, Document.last_error_class).where(Document.id == doc_id)
        ).one()
    return row[0], row[1]


PRELUDE = (
    "from shared.runtime import deliveries\n"
    "from shared.runtime.stages import stage\n"
    "from services.parser.tasks import parse\n"
    "P = stage('parse')\n"
)


def test_a_batch_with_a_document_tried_before_is_split_into_single_messages(idle_broker):
    a, b, c = _documents(3)
    result = _run(
        idle_broker,
        PRELUDE + f"deliveries.start(P, [{b}])\nprint(parse.apply(args=([{a}, {b}, {c}],)).get())",
    )
    assert "split" in result
    assert sorted(_messages(idle_broker, "parse")) == [[a], [b], [c]]
    assert all(_state(i)[0] == DocState.fetched for i in (a, b, c))  # nothing charged yet
    assert not idle_broker.keys("newsflow:deliveries:*")  # the split starts them afresh


def test_a_document_whose_runs_never_end_fails_with_worker_lost(idle_broker):
    (a,) = _documents(1)
    _run(idle_broker, PRELUDE + f"for _ in range(3): deliveries.start(P, [{a}])\nprint('ok')")
    _run(idle_broker, PRELUDE + f"print(parse.apply(args=([{a}],)).get())")
    assert _state(a) == (DocState.failed, "WorkerLost")
    assert _messages(idle_broker, "parse") == []


def test_a_document_that_finishes_leaves_no_count_behind(idle_broker):
    (a,) = _documents(1)
    _run(idle_broker, PRELUDE + f"print(parse.apply(args=([{a}],)).get())")
    assert _state(a)[0] == DocState.parsed
    assert not idle_broker.keys("newsflow:deliveries:*")


BUGGY = (
    "from celery import Celery\n"
    "from shared.runtime.stage_task import StageTask\n"
    "t = Celery('test')\n"
    "@t.task(name='newsflow.parse', base=StageTask)\n"
    "def buggy(ids):\n"
    "    raise RuntimeError('a bug outside the per-document isolation')\n"
)


def test_a_bug_that_escapes_the_batch_splits_it_then_fails_the_document_alone(idle_broker):
    a, b = _documents(2)
    assert "split" in _run(idle_broker, BUGGY + f"print(buggy.apply(args=([{a}, {b}],)).get())")
    assert sorted(_messages(idle_broker, "parse")) == [[a], [b]]
    assert "failed" in _run(idle_broker, BUGGY + f"print(buggy.apply(args=([{a}],)).get())")
    assert _state(a) == (DocState.failed, "RuntimeError")
    assert _state(b)[0] == DocState.fetched


OUTAGE = (
    "from celery import Celery\n"
    "from sqlalchemy import create_engine\n"
    "from shared.runtime import stage_task\n"
    "stage_task.OUTAGE_RETRIES = 2\n"
    "t = Celery('test')\n"
    "@t.task(name='newsflow.parse', base=stage_task.StageTask)\n"
    "def down(ids):\n"
    "    create_engine('postgresql+psycopg://postgres@127.0.0.1:1/none').connect()\n"
)


def test_an_outage_is_retried_and_charged_to_no_document(idle_broker):
    (a,) = _documents(1)
    result = _run(
        idle_broker,
        OUTAGE + f"r = down.apply(args=([{a}],))\nprint(type(r.result).__name__, r.state)",
    )
    assert result == "OperationalError FAILURE"  # retried, then given up to the sweeper
    assert _state(a) == (DocState.fetched, None)
    assert not idle_broker.keys("newsflow:deliveries:*")
