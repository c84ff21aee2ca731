"""`manage.py import FILE.warc.gz` on real PostgreSQL, Redis and workers: what is kept, what is
skipped and why, the stored fields, the articles the workers make of them, idempotency, damaged
archives, filters, and an archive streamed from a local HTTP server."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shared.db import session_scope
from shared.models import Article, DocState, Document
from shared.ops import warc
from shared.pipeline import decompress
from tests.conftest import manage
from tests.integration import warc_samples as ws
from tests.support.httpserver import Request

SAMPLES = ws.sample_records()
RECORDS = [s.record for s in SAMPLES]
KINDS = Counter(s.kind for s in SAMPLES)
KEPT = KINDS["keep"]
SKIPPED = sum(n for k, n in KINDS.items() if k not in ("keep", "known"))
LINE = re.compile(
    r"(\d+) records read, (\d+) kept, (\d+) skipped(?: \((.*)\))?, (\d+) already known"
)


def parse_line(stdout: str) -> dict:
    m = LINE.search(stdout)
    assert m, stdout
    reasons = {}
    for part in (m.group(4) or "").split(", "):
        if part:
            why, _, n = part.rpartition(" ")
            reasons[why] = int(n)
    read, kept, skipped, known = (int(m.group(i)) for i in (1, 2, 3, 5))
    return {"read": read, "kept": kept, "skipped": skipped, "reasons": reasons, "known": known}


def run_import(*args: str) -> dict:
    out = manage("import", *args, timeout=300)
    assert out.returncode == 0, out.stderr
    return parse_line(out.stdout)


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def documents() -> dict[str, Document]:
    with session_scope() as db:
        rows = db.scalars(select(Document).where(Document.origin == "warc")).all()
        return {d.final_url: d for d in rows}


def test_sample_archive_through_the_workers(clean_db, workers, tmp_path):
    path = write(tmp_path, "crawl.warc.gz", ws.layout(RECORDS, "member"))
    res = run_import(path)
    assert res["read"] == len(RECORDS)
    assert (res["kept"], res["skipped"], res["known"]) == (KEPT, SKIPPED, KINDS["known"])
    assert res["reasons"] == {
        "request": 2, "warcinfo": 1, "metadata": 1, "revisit": 1, "http 301": 1,
        "not html": 1, "truncated": 1,
    }  # fmt: skip

    docs = documents()
    assert set(docs) == {ws.EN_URL, ws.FR_URL, ws.ZH_URL}
    en, fr, zh = docs[ws.EN_URL], docs[ws.FR_URL], docs[ws.ZH_URL]
    assert en.fetched_at == ws.EN_DATE and fr.fetched_at == ws.FR_DATE  # WARC-Date, to the µs
    assert zh.response_headers["content-type"] == "text/html; charset=GB18030"
    assert en.warc_record_id.startswith("<urn:uuid:") and en.warc_source == path
    assert en.warc_offset > 0 and en.http_status == 200
    with session_scope() as db:
        raw = db.scalar(select(Document.raw_body).where(Document.id == fr.id))
        head = db.scalar(select(Document.http_head).where(Document.id == fr.id))
    # stored as the fetcher stores bodies: decoded (chunks joined, gunzipped), then zstd
    assert decompress(raw) == ws.FR_PAGE.read_bytes()
    assert b"Transfer-Encoding: chunked" in head  # the head as archived, for export

    assert manage("wait", "--timeout", "180").returncode == 0
    with session_scope() as db:
        states = Counter(d.state for d in db.scalars(select(Document)))
        titles = {a.url: a.title for a in db.scalars(select(Article))}
        zh_body = db.scalar(select(Article.body).where(Article.document_id == zh.id))
    assert states == {DocState.enriched: KEPT}, states
    assert titles[ws.ZH_URL] == ws.ZH_TITLE  # GB18030 read through the HTTP header's charset
    assert "logement" in titles[ws.FR_URL].lower()
    assert "王毅" in zh_body

    # the same archive again adds nothing
    again = run_import(path)
    assert (again["read"], again["kept"], again["known"]) == (
        len(RECORDS),
        0,
        KEPT + KINDS["known"],
    )
    with session_scope() as db:
        assert db.scalar(select(func.count()).select_from(Document)) == KEPT
        assert db.scalar(select(func.count()).select_from(Article)) == KEPT


@pytest.mark.parametrize("how", ["whole", "plain"])
def test_whole_file_gzip_and_uncompressed_read_the_same(clean_db, tmp_path, how):
    name = "crawl.warc.gz" if how == "whole" else "crawl.warc"
    res = run_import(write(tmp_path, name, ws.layout(RECORDS, how)))
    assert (res["read"], res["kept"], res["skipped"]) == (len(RECORDS), KEPT, SKIPPED)
    assert set(documents()) == {ws.EN_URL, ws.FR_URL, ws.ZH_URL}


def test_corrupt_member_and_cut_last_record_are_counted_and_passed(clean_db, tmp_path):
    # the French page's member is damaged: it is lost, every record after it is read
    fr_index = next(
        i for i, s in enumerate(SAMPLES) if s.kind == "keep" and ws.FR_URL.encode() in s.record
    )
    data = ws.corrupt_member(RECORDS, fr_index)
    extra = warc.response_record(
        f"{ws.HOST}/late", b"<html>late</html>", [("Content-Type", "text/html")]
    )
    data += ws.cut_last([extra])  # a download that stopped inside the last record
    res = run_import(write(tmp_path, "damaged.warc.gz", data))
    assert res["reasons"]["corrupt-gzip"] == 1
    assert res["reasons"]["truncated"] == 2  # the crawler's WARC-Truncated one and the cut one
    assert res["read"] == len(RECORDS) + 1  # the damaged member counts once, so does the cut one
    assert set(documents()) == {ws.EN_URL, ws.ZH_URL}

    uncompressed = ws.layout(RECORDS, "plain") + ws.layout([extra], "plain")[:-40]
    res = run_import(write(tmp_path, "cut.warc", uncompressed))
    assert res["reasons"]["truncated"] == 2 and res["kept"] == 1  # the French page now


def test_malformed_record_in_the_middle(clean_db, tmp_path):
    garbage = b"WARC/1.1\r\nthis is not a header line\r\nContent-Length: x\r\n\r\nnoise\r\n\r\n"
    records = RECORDS[:3] + [garbage] + RECORDS[3:]
    for how, name in (("member", "m.warc.gz"), ("plain", "m.warc")):
        with session_scope() as db:
            db.execute(Document.__table__.delete())
        res = run_import(write(tmp_path, name, ws.layout(records, how)))
        assert res["reasons"].get("malformed-record") == 1, res
        assert res["kept"] == KEPT, res


def test_filters(clean_db, tmp_path):
    rfi = warc.response_record(
        "https://www.rfi.fr/fr/monde/20240301-article", ws.FR_PAGE.read_bytes(),
        [("Content-Type", "text/html; charset=utf-8")], date=ws.EN_DATE,
    )  # fmt: skip
    path = write(tmp_path, "mixed.warc.gz", ws.layout(RECORDS + [rfi]))
    res = run_import(path, "--registered")
    # every other complete response: the three pages, the 301, the image, the page crawled again
    assert res["kept"] == 1 and res["reasons"]["filtered: not registered"] == 6
    assert set(documents()) == {"https://www.rfi.fr/fr/monde/20240301-article"}

    res = run_import(path, "--domain", "example.org", "--until", ws.ZH_DATE.isoformat())
    assert res["kept"] == 2, res  # the English and French pages; the Chinese one is not before
    domains = tmp_path / "domains.txt"
    domains.write_text("# outlets\nwww.example.org\n", encoding="utf-8")
    res = run_import(path, "--domains-file", str(domains), "--since", ws.ZH_DATE.isoformat())
    assert res["kept"] == 1 and res["known"] == 1  # the Chinese page; the English one again
    res = run_import(path, "--since", (ws.ZH_DATE + timedelta(days=1)).isoformat())
    assert res["kept"] == 0

    with session_scope() as db:
        db.execute(Document.__table__.delete())
    res = run_import(path, "--limit", "2")
    assert res["kept"] == 2 and res["read"] < len(RECORDS)
    again = run_import(path, "--limit", "2")
    assert again["kept"] == 0 and again["known"] == 2


def _drip(data: bytes, piece: int = 4096):
    def fn(req: Request) -> None:
        req.respond(200, b"", {"Content-Type": "application/warc"}, content_length=False)
        for i in range(0, len(data), piece):
            req.write(data[i : i + piece])

    return fn


def test_streamed_from_http(clean_db, srv):
    data = ws.layout(RECORDS)
    srv.route("/crawl/CC-NEWS-20240222.warc.gz", _drip(data))
    res = run_import(srv.url("/crawl/CC-NEWS-20240222.warc.gz"))
    assert (res["read"], res["kept"], res["skipped"]) == (len(RECORDS), KEPT, SKIPPED)
    docs = documents()
    assert docs[ws.ZH_URL].warc_source == srv.url("/crawl/CC-NEWS-20240222.warc.gz")
    assert srv.hits("/crawl/CC-NEWS-20240222.warc.gz") == 1

    srv.route("/gone.warc.gz", lambda req: req.respond(404, b"no", {"Content-Type": "text/plain"}))
    out = manage("import", srv.url("/gone.warc.gz"))
    assert out.returncode != 0 and "404" in out.stderr
