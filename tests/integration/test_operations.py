"""Operators' tools on real workers: reparse, reenrich, retry, the sweeper, status --sources,
feeds registry, and the workers' JSON logs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from shared.db import session_scope
from shared.models import Article, DocState, Document
from tests.conftest import ROOT, export_records, manage
from tests.support.httpserver import LocalServer, Request, static


def _import_samples() -> None:
    assert "5 new" in manage("import", str(ROOT / "samples")).stdout
    assert manage("wait", "--timeout", "120").returncode == 0


def test_reparse_and_reenrich_from_stored_raw_responses(clean_db, workers):
    _import_samples()
    before = {a["id"]: a for a in export_records()}
    assert len(before) == 5

    out = manage("reparse", "--all")
    assert "re-sent 5 documents to parse" in out.stdout, out.stdout
    assert manage("wait", "--timeout", "120").returncode == 0
    after = {a["id"]: a for a in export_records()}
    assert set(after) == set(before)  # same articles, updated in place
    for aid, a in after.items():
        assert a["state"] == "enriched"
        assert a["parsed_at"] > before[aid]["parsed_at"]
        assert a["body"] == before[aid]["body"] and a["entities"] == before[aid]["entities"]

    out = manage("reenrich", "--domain", "rfi.fr")
    assert "re-sent 5 articles to enrich" in out.stdout
    assert manage("wait", "--timeout", "120").returncode == 0
    again = {a["id"]: a for a in export_records()}
    assert all(again[i]["enriched_at"] > after[i]["enriched_at"] for i in again)
    assert manage("reenrich", "--domain", "example.org").stdout.startswith("re-sent 0")


@pytest.fixture()
def flaky_site():
    """Answers 404 until `healthy` is set, then the article."""
    page = (ROOT / "tests/e2e_pages/en_article.html").read_bytes()
    state = {"healthy": False}

    def story(req: Request) -> None:
        req.respond(
            *((200, page) if state["healthy"] else (404, b"")), {"Content-Type": "text/html"}
        )

    with LocalServer() as srv:
        srv.route("/story", story)
        srv.route("/robots.txt", static(b"", status=404))
        srv.state = state  # type: ignore[attr-defined]
        yield srv


def test_retry_failed_documents_by_error_class(clean_db, workers, flaky_site):
    url = flaky_site.url("/story")
    assert "1 new" in manage("enqueue", url).stdout
    assert manage("wait", "--timeout", "60").returncode == 0
    status = json.loads(manage("status", "--json").stdout)
    assert status["documents"]["failed"] == 1 and status["errors"] == {"ClientError": 1}

    flaky_site.state["healthy"] = True
    assert "re-sent 0" in manage("retry", "--error", "FetchTimeout").stdout
    assert "re-sent 1" in manage("retry", "--error", "ClientError").stdout
    assert manage("wait", "--timeout", "60").returncode == 0
    [article] = export_records()
    assert article["state"] == "enriched" and article["url"] == url


def test_sweeper_resends_work_whose_message_was_lost(clean_db, workers):
    from shared.runtime.intake import import_raw

    sample = next((ROOT / "samples").glob("001_*.txt")).read_bytes()
    doc_id, _ = import_raw(sample, send=False)  # stored, but its parse message never sent
    with session_scope() as db:
        db.execute(
            update(Document)
            .where(Document.id == doc_id)
            .values(state_changed_at=datetime.now(UTC) - timedelta(hours=2))
        )
    from shared.runtime.maintenance import sweep

    assert sweep(lease_seconds=3600) == {"fetched": 1}
    assert sweep(lease_seconds=3600) == {}  # the lease restarted: not sent twice
    assert manage("wait", "--timeout", "60").returncode == 0
    with session_scope() as db:
        assert db.scalar(select(Document.state).where(Document.id == doc_id)) == DocState.enriched
        assert db.scalar(select(Article.id).where(Article.document_id == doc_id))


def test_status_sources_reports_fill_rates_per_domain(clean_db, workers):
    _import_samples()
    rows = json.loads(manage("status", "--sources", "--json").stdout)
    [rfi] = [r for r in rows if r["domain"] == "www.rfi.fr"]
    assert rfi["documents"] == 5 and rfi["parsed"] == 5 and rfi["failed"] == {}
    assert rfi["recent"]["title"] == 1.0 and rfi["recent"]["date"] == 1.0
    assert rfi["recent"]["median_body"] > 300
    assert rfi["alerts"] == []
    table = manage("status", "--sources").stdout
    assert "www.rfi.fr" in table


def test_feeds_registry_commands(clean_db):
    out = manage("feeds", "add", "https://www.rfi.fr/cn/rss?utm_source=x", "--every", "15m")
    assert "added feed" in out.stdout
    assert (
        "updated feed"
        in manage("feeds", "add", "https://www.rfi.fr/cn/rss", "--every", "15m").stdout
    )
    [feed] = json.loads(manage("feeds", "list", "--json").stdout)
    assert feed["url"] == "https://www.rfi.fr/cn/rss" and feed["every_seconds"] == 900
    assert "removed" in manage("feeds", "remove", "https://www.rfi.fr/cn/rss").stdout
    assert json.loads(manage("feeds", "list", "--json").stdout) == []
    assert manage("feeds", "add", "https://x.org/rss", "--every", "soon").returncode != 0


def test_worker_logs_are_json_with_the_document_id(clean_db, workers):
    _import_samples()
    lines = (workers["logdir"] / "parse.log").read_text().splitlines()
    records = [json.loads(x) for x in lines if x.startswith("{")]
    assert records, "no JSON log lines from the parse worker"
    # a task handles a batch: its lines carry the batch's document ids
    batches = [r["document_ids"] for r in records if r.get("task") == "newsflow.parse"]
    assert batches and all(isinstance(i, int) for batch in batches for i in batch)
    assert sum(len(b) for b in batches if b) >= 5  # the five samples


def test_log_lines_inside_a_batch_carry_their_own_document_id():
    import logging

    from shared.logs import JsonFormatter, item_context, task_context

    def line(msg: str) -> dict:
        record = logging.LogRecord("t", logging.WARNING, __file__, 1, msg, None, None)
        return json.loads(JsonFormatter().format(record))

    with task_context("newsflow.enrich", "tid", [7, 8]):
        assert line("batch")["article_ids"] == [7, 8] and "article_id" not in line("batch")
        with item_context(8):
            assert line("one")["article_id"] == 8


def test_the_publisher_registry_drives_the_feeds(clean_db):
    from shared.publishers import registered_sources

    expected = {url for _, url in registered_sources("fr")}
    assert expected, "the registry lists no French feed"
    out = manage("feeds", "add", "--registered", "--country", "fr", "--every", "1h")
    assert out.returncode == 0, out.stderr
    listed = {f["url"] for f in json.loads(manage("feeds", "list", "--json").stdout)}
    assert listed == expected
