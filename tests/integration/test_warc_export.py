"""`manage.py export --warc`: stored raw responses (imported and fetched live) as WARC/1.1 that
digests check out, and the round trip export -> import into an empty database -> same articles."""

from __future__ import annotations

import gzip

from fastwarc.warc import ArchiveIterator, WarcRecordType
from sqlalchemy import text

from shared.db import session_scope
from tests.conftest import export_records, manage
from tests.integration import warc_samples as ws
from tests.integration.test_warc_import import parse_line, write
from tests.support.httpserver import static

LIVE_PATH = "/live/eu-sanctions"
FIELDS = ("url", "title", "body", "published_at", "authors", "language", "fetched_at", "lead")


def _articles() -> dict[str, dict]:
    return {a["canonical_url"]: {k: a.get(k) for k in FIELDS} for a in export_records()}


def _empty_database() -> None:
    with session_scope() as s:
        s.execute(
            text(
                "TRUNCATE documents, articles, article_entities, article_cited_sources, "
                "entities, cited_sources, publishers RESTART IDENTITY CASCADE"
            )
        )


def test_round_trip(clean_db, workers, srv, tmp_path):
    # a live fetch: its status line and headers are rebuilt from what the fetcher stored
    live_page = (ws.ROOT / "tests" / "pages" / "english_article.html").read_bytes()
    srv.route(LIVE_PATH, static(live_page, content_type="text/html; charset=utf-8"))
    srv.route("/robots.txt", static(b"", status=404, content_type="text/plain"))
    assert manage("enqueue", srv.url(LIVE_PATH)).returncode == 0
    crawl = write(tmp_path, "crawl.warc.gz", ws.layout([s.record for s in ws.sample_records()]))
    assert manage("import", crawl).returncode == 0
    assert manage("wait", "--timeout", "180").returncode == 0
    before = _articles()
    assert len(before) == 4

    out = tmp_path / "raw.warc.gz"
    res = manage("export", "--warc", str(out))
    assert res.returncode == 0, res.stderr
    assert "exported 4 responses" in res.stderr
    assert not (tmp_path / "raw.warc.gz.partial").exists()

    # any WARC tool reads it: block and payload digests hold, the payload is the page as stored
    every = [r.record_id for r in ArchiveIterator(open(out, "rb"), parse_http=False)]
    valid = ArchiveIterator(open(out, "rb"), parse_http=False, verify_digests=True)
    assert [r.record_id for r in valid] == every and len(every) == 5  # warcinfo + 4
    responses = {}
    for rec in ArchiveIterator(open(out, "rb"), parse_http=True):
        if rec.record_type == WarcRecordType.response:
            assert rec.verify_payload_digest()
            responses[rec.headers["WARC-Target-URI"]] = rec
    assert set(responses) == {ws.EN_URL, ws.FR_URL, ws.ZH_URL, srv.url(LIVE_PATH)}
    assert responses[ws.EN_URL].headers["WARC-Date"] == "2024-02-22T17:00:05Z"
    assert responses[ws.FR_URL].headers["WARC-Date"] == "2024-02-23T08:30:00.250000Z"
    fr_head = responses[ws.FR_URL].http_headers
    assert fr_head.status_code == 200
    # the wire codings are no longer applied to the stored body: kept under X-Crawler-*
    assert fr_head.get("X-Crawler-Transfer-Encoding") == "chunked"
    assert fr_head.get("X-Crawler-Content-Encoding") == "gzip"
    assert fr_head.get("Content-Encoding") is None
    assert responses[ws.ZH_URL].http_headers.get("Content-Type") == "text/html; charset=GB18030"
    live = responses[srv.url(LIVE_PATH)]
    assert live.http_headers.get("content-type") == "text/html; charset=utf-8"

    # filters
    part = tmp_path / "part.warc.gz"
    assert manage("export", "--warc", str(part), "--domain", "example.org").returncode == 0
    assert gzip.decompress(part.read_bytes()).count(b"WARC-Type: response") == 3
    assert manage("export", "--warc", str(part), "--since", "2024-03-01").returncode == 0
    assert gzip.decompress(part.read_bytes()).count(b"WARC-Type: response") == 2  # zh, live

    # into an empty database: the same articles
    _empty_database()
    res = manage("import", str(out))
    assert res.returncode == 0, res.stderr
    counts = parse_line(res.stdout)
    assert (counts["read"], counts["kept"], counts["skipped"]) == (5, 4, 1)  # + the warcinfo
    assert manage("wait", "--timeout", "180").returncode == 0
    assert _articles() == before
