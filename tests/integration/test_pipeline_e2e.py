"""End to end on real workers: URLs through `manage.py enqueue`, snapshots through `import`,
three Celery worker processes over Redis, rows in PostgreSQL, checked through `export`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, export_records, manage
from tests.support.httpserver import LocalServer, static

PAGES = Path(__file__).resolve().parents[1] / "e2e_pages"
ZH_PATH = "/news/world/2024/03/12/japan-fm-beijing.html"
EN_PATH = "/en/eu-sanctions"


@pytest.fixture()
def site():
    with LocalServer() as srv:
        srv.route(ZH_PATH, static((PAGES / "zh_article.html").read_bytes()))
        srv.route(
            EN_PATH, static((PAGES / "en_article.html").read_bytes(), content_type="text/html")
        )
        srv.route("/robots.txt", static(b"not found", status=404, content_type="text/plain"))
        srv.route("/missing", static(b"<html><body>Not found</body></html>", status=404))
        srv.route("/broken", static(b"<html><body>Internal error</body></html>", status=500))
        yield srv


def _export() -> dict[str, dict]:
    return {r["canonical_url"]: r for r in export_records()}


def _status() -> dict:
    out = manage("status", "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_urls_and_snapshots_flow_through_three_workers(clean_db, workers, site):
    urls = [
        site.url(ZH_PATH),
        site.url(ZH_PATH + "?utm_source=twitter#comments"),  # same page once normalized
        site.url(EN_PATH),
        site.url("/missing"),
        site.url("/broken"),
    ]
    out = manage("enqueue", *urls)
    assert out.returncode == 0, out.stderr
    assert "4 new, 1 already known" in out.stdout

    # one URL per line on stdin, all known now
    out = manage("enqueue", "-", input="\n".join(urls) + "\n")
    assert "0 new, 5 already known" in out.stdout, out.stdout

    out = manage("import", str(ROOT / "samples"))
    assert out.returncode == 0, out.stderr
    assert "5 new, 0 already known" in out.stdout

    waited = manage("wait", "--timeout", "180")
    assert waited.returncode == 0, (waited.stderr, _status())

    st = _status()
    docs = st["documents"]
    assert docs["enriched"] == 7, st
    assert docs["failed"] == 2, st
    assert st["in_progress"] == 0 and not any(st["queues"].values())
    assert st["errors"].get("ClientError") == 1 or st["errors"].get("HTTPError"), st
    assert site.hits(ZH_PATH) == 1  # fetched once although enqueued three times
    assert site.hits("/broken") >= 2  # a 500 is retried before it fails

    articles = _export()
    assert len(articles) == 7

    # the seeds: Paris local time converted to UTC, fetched_at from the snapshot comment
    seed0 = next(a for a in articles.values() if a["url"].endswith("%E5%B9%B3%E5%A3%A4"))
    assert seed0["published_at"] == "2024-01-21T00:18:00Z"
    assert seed0["fetched_at"] == "2024-01-21T00:45:01Z"
    assert seed0["language"] == "zh" and seed0["section"] == "国际"
    assert seed0["publisher"]["country"] == "FR" and seed0["publisher"]["domain"] == "rfi.fr"
    names = {(e["name"], e["type"]) for e in seed0["entities"]}
    assert ("普京", "PER") in names
    assert "朝中社" in {c["name"] for c in seed0["cited_sources"]}

    zh = articles[site.url(ZH_PATH)]
    assert zh["title"] == "日本外相抵达北京 与王毅举行会谈"
    assert zh["published_at"] == "2024-03-12T01:30:00Z"
    assert zh["language"] == "zh"
    assert "相关新闻" not in zh["body"] and "版权所有" not in zh["body"]
    zh_names = {(e["name"], e["type"]) for e in zh["entities"]}
    assert ("王毅", "PER") in zh_names and ("北京", "LOC") in zh_names
    assert {"新华社", "路透社"} <= {c["name"] for c in zh["cited_sources"]}
    # a picture credit is its own field (role 'credit'), not a citation
    assert [c["name"] for c in zh["credited_sources"]] == ["法新社"]
    assert "法新社" not in {c["name"] for c in zh["cited_sources"]}
    for e in zh["entities"]:
        for start, end in e["offsets"]:
            assert zh["body"][start:end]  # offsets point into the body

    en = next(a for a in articles.values() if a["url"].endswith(EN_PATH))
    assert en["title"] == "EU leaders agree on new sanctions package against Russia"
    assert en["published_at"] == "2024-02-22T16:45:00Z"
    assert en["language"] == "en"
    assert "Jane Doe" in en["authors"]
    assert "Reuters" in {c["name_en"] for c in en["cited_sources"]}

    # the same snapshot again is one article, not two
    out = manage("import", str(ROOT / "samples"))
    assert "0 new, 5 already known" in out.stdout
    assert manage("wait", "--timeout", "30").returncode == 0
    assert len(_export()) == 7
