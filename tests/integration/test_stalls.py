"""Stalls are visible and short with the DEFAULT settings (real PostgreSQL and Redis).

No lease or sweep setting is overridden here: a document waiting in a state whose queue is
empty is re-sent by the sweeper after about a minute; `status` lists what has not moved for
longer than its lease; `wait` reports stalls and names them when it times out; `status --errors`
gives example documents per error class and `retry --error CLASS` sends them back.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from shared.config import Settings
from shared.db import session_scope
from shared.models import DocState, Document
from tests.conftest import ROOT, manage

DEFAULTS = Settings()


def _backdate(doc_id: int, seconds: float, **values) -> None:
    with session_scope() as db:
        db.execute(
            update(Document)
            .where(Document.id == doc_id)
            .values(state_changed_at=datetime.now(UTC) - timedelta(seconds=seconds), **values)
        )


def _sweep(env: dict[str, str]) -> str:
    code = "from shared.runtime.maintenance import sweep; print(sorted(sweep().items()))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def _enqueue(env: dict[str, str], *urls: str) -> list[int]:
    out = manage("enqueue", *urls, env=env)
    assert out.returncode == 0, out.stderr
    with session_scope() as db:
        return list(db.scalars(select(Document.id).where(Document.url.in_(urls))))


def test_default_leases_fit_the_work() -> None:
    assert DEFAULTS.lost_message_seconds <= 60
    assert DEFAULTS.sweep_seconds <= 20  # a lost message is re-sent within about a minute
    assert DEFAULTS.lease_seconds <= 120  # fetch batches renew theirs every few seconds
    assert DEFAULTS.parse_lease_seconds <= 600 and DEFAULTS.enrich_lease_seconds <= 600


def test_a_lost_message_is_resent_after_a_minute_by_default(idle_broker) -> None:
    env = {"REDIS_URL": idle_broker.test_url}
    [doc_id] = _enqueue(env, "https://lost.example.org/1")
    idle_broker.flushdb()  # Redis restarted empty: the fetch message is gone
    _backdate(doc_id, DEFAULTS.lost_message_seconds - 15)
    assert _sweep(env) == "[]"  # not yet: it may be in a worker's hands
    _backdate(doc_id, DEFAULTS.lost_message_seconds + 1)
    assert _sweep(env) == "[('queued', 1)]"
    [message] = [json.loads(m) for m in idle_broker.lrange("fetch", 0, -1)]
    assert json.loads(base64.b64decode(message["body"]))[0] == [[doc_id]]
    assert _sweep(env) == "[]"  # its clock restarted: sent once


def test_a_dead_fetch_claim_is_taken_back_after_the_fetch_lease(idle_broker) -> None:
    env = {"REDIS_URL": idle_broker.test_url}
    [doc_id] = _enqueue(env, "https://dead.example.org/1")
    idle_broker.flushdb()
    _backdate(doc_id, DEFAULTS.lease_seconds - 20, state=DocState.fetching, claimed_by="gone")
    assert _sweep(env) == "[]"  # a live batch renews its lease before this
    _backdate(doc_id, DEFAULTS.lease_seconds + 1)
    assert _sweep(env) == "[('fetching', 1)]"
    with session_scope() as db:
        state, holder = db.execute(
            select(Document.state, Document.claimed_by).where(Document.id == doc_id)
        ).one()
    assert state == DocState.queued and holder is None


def test_status_and_wait_name_stalled_documents(idle_broker) -> None:
    env = {"REDIS_URL": idle_broker.test_url}
    urls = ["https://stall.example.org/a", "https://stall.example.org/b"]
    ids = _enqueue(env, *urls)
    idle_broker.flushdb()
    _backdate(ids[0], DEFAULTS.lost_message_seconds + 30)  # lost its message
    _backdate(ids[1], 5)  # recent: not stalled
    st = json.loads(manage("status", "--json", env=env).stdout)
    assert st["stalled"]["count"] == 1
    [row] = st["stalled"]["documents"]
    assert (row["id"], row["url"], row["state"]) == (ids[0], urls[0], "queued")
    text = manage("status", env=env).stdout
    assert "stalled: 1 documents" in text and urls[0] in text and urls[1] not in text

    out = manage("wait", "--timeout", "12", env=env, timeout=60)
    assert out.returncode == 1
    assert "timed out" in out.stderr
    assert f"{ids[0]}" in out.stderr and urls[0] in out.stderr
    assert out.stderr.count(urls[0]) >= 2  # reported while waiting, and named at the timeout


def test_status_errors_gives_examples_and_retry_sends_a_class_back(idle_broker) -> None:
    env = {"REDIS_URL": idle_broker.test_url}
    urls = [f"https://err.example.org/{i}" for i in range(5)]
    ids = _enqueue(env, *urls)
    idle_broker.flushdb()
    for i, doc_id in enumerate(ids):
        cls = "OverflowError" if i < 3 else "DataError"
        _backdate(doc_id, 100 - i, state=DocState.failed, last_error_class=cls,
                  last_error_message=f"{cls} on page {i}")  # fmt: skip
    rows = json.loads(manage("status", "--errors", "--json", env=env).stdout)
    assert [(r["error_class"], r["state"], r["count"]) for r in rows] == [
        ("OverflowError", "failed", 3),
        ("DataError", "failed", 2),
    ]
    first = rows[0]["examples"][0]
    assert first["id"] == ids[2] and first["url"] == urls[2]  # the most recent first
    assert first["message"] == "OverflowError on page 2"
    text = manage("status", "--errors", env=env).stdout
    assert "OverflowError (failed): 3" in text and urls[0] in text
    assert "retry --error" in text

    out = manage("retry", "--error", "DataError", env=env)
    assert "re-sent 2 documents" in out.stdout, out.stdout + out.stderr
    with session_scope() as db:
        states = dict(db.execute(select(Document.id, Document.state)).all())
    assert [states[i] for i in ids] == [DocState.failed] * 3 + [DocState.queued] * 2
    assert idle_broker.llen("fetch") >= 1


def test_a_queue_nobody_consumes_is_a_stall_the_sweeper_leaves_alone(idle_broker) -> None:
    """Behind a backlog the sweeper does not pile up copies, but once the stage's lease is over
    `status` says the documents are stalled (e.g. no worker consumes the queue)."""
    env = {"REDIS_URL": idle_broker.test_url}
    [doc_id] = _enqueue(env, "https://backlog.example.org/1")
    assert idle_broker.llen("fetch") == 1  # its message waits; no worker here
    _backdate(doc_id, DEFAULTS.lease_seconds + 5)
    assert _sweep(env) == "[]"
    st = json.loads(manage("status", "--json", env=env).stdout)
    assert [d["id"] for d in st["stalled"]["documents"]] == [doc_id]
