"""manage.py commands that need no workers: parse (debugging a source), enqueue --file,
import errors, export --since, wait's timeout."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

from tests.conftest import ROOT, manage


def test_parse_shows_what_the_parser_makes_of_a_snapshot_and_a_saved_page():
    out = manage("parse", str(next((ROOT / "samples").glob("001_*.txt"))), "--json")
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert record["published_at"] == "2023-09-14T00:17:00Z"
    assert record["language"] == "zh" and record["section"] == "国际"

    page = ROOT / "tests/pages/gbk_article.html"
    assert manage("parse", str(page)).returncode == 2  # a saved page needs its URL
    out = manage("parse", str(page), "--url", "https://news.example.cn/a/1.html", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["language"].startswith("zh")

    out = manage("parse", str(ROOT / "tests/pages/blocked_page.html"), "--url", "https://x.org/a")
    assert out.returncode == 1 and "NotAnArticle" in out.stderr


def test_enqueue_file_counts_new_known_and_invalid(idle_broker, tmp_path):
    env = {"REDIS_URL": idle_broker.test_url, "NEWSFLOW_BATCH_SIZE": "25"}
    urls = tmp_path / "urls.txt"
    lines = [f"https://news.example.org/story/{i}" for i in range(1200)]
    lines += ["# a comment", "", "ftp://nope.example.org/x", "https://news.example.org/story/1"]
    urls.write_text("\n".join(lines))
    out = manage("enqueue", "--file", str(urls), env=env)
    assert out.returncode == 0, out.stderr
    assert "1200 new, 1 already known, 1 invalid" in out.stdout
    assert "ftp://nope.example.org/x" in out.stderr
    again = manage("enqueue", "--file", str(urls), env=env)
    assert "0 new, 1201 already known" in again.stdout
    status = json.loads(manage("status", "--json", env=env).stdout)
    assert status["documents"]["queued"] == 1200
    # no worker consumes this Redis DB: the messages are all there, 25 document ids each
    assert status["queues"]["fetch"] == 1200 // 25


def test_import_reports_files_it_cannot_use(clean_db, tmp_path):
    bad = tmp_path / "page.html"
    bad.write_text("<html><body><p>hello</p></body></html>")
    out = manage("import", str(bad))
    assert out.returncode == 1 and "--url" in out.stderr


def test_wait_times_out_while_work_is_pending(idle_broker):
    env = {"REDIS_URL": idle_broker.test_url}
    assert "1 new" in manage("enqueue", "https://news.example.org/pending", env=env).stdout
    out = manage("wait", "--timeout", "1", env=env)
    assert out.returncode == 1 and "timed out" in out.stderr


def test_export_since_filters_by_change_time(clean_db):
    out = manage("export", "--since", "2999-01-01T00:00:00Z")
    assert out.returncode == 0 and out.stdout == ""


def test_sweeper_waits_for_a_backlog_and_resends_lost_messages(idle_broker):
    """Queued behind a backlog: not re-sent. Queue emptied (Redis lost it): re-sent once."""
    env = {"REDIS_URL": idle_broker.test_url}
    assert (
        "2 new"
        in manage("enqueue", "https://a.example.org/1", "https://a.example.org/2", env=env).stdout
    )
    code = "from shared.runtime.maintenance import sweep; print(sweep(lease_seconds=0))"

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
        )

    assert run().stdout.strip() == "{}"  # both messages still in the fetch queue
    idle_broker.flushdb()  # Redis restarted empty
    assert run().stdout.strip() == "{'queued': 2}"
    [message] = [json.loads(m) for m in idle_broker.lrange("fetch", 0, -1)]
    args, _, _ = json.loads(base64.b64decode(message["body"]))
    assert len(args[0]) == 2  # both documents, in one batch
