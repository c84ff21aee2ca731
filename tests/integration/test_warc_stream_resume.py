"""`manage.py import https://...warc.gz` when the connection breaks halfway: the stream is
reopened with `Range: bytes=N-` at the start of the first record not read in full, so every
record is read once; a server without Range support, a changed file, a wrong Content-Range,
whole-file gzip and retries that never get further are told apart. A real local HTTP server
(tests/support/httpserver.py) cuts its answers' sockets mid-body."""

from __future__ import annotations

import io
import itertools
import random
import re
import socket
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from shared.db import session_scope
from shared.models import Document
from shared.ops import warc
from tests.conftest import manage
from tests.integration import warc_samples as ws
from tests.integration.test_warc_import import documents, parse_line
from tests.support.httpserver import Request

PAGES = 300
WORDS = (
    "minister council budget river harbour election court railway festival museum drought "
    "vaccine strike treaty border mayor storm port tariff senate bridge school hospital"
).split()
PATH = "/crawl/CC-NEWS-20240301.warc.gz"


def _records() -> tuple[list[bytes], list[str]]:
    """A warcinfo record, then one HTML response per page (about 2 KB gzipped each)."""
    rng = random.Random(11)
    records = [warc.warcinfo_record({"software": "newsflow tests"})]
    urls = []
    for i in range(PAGES):
        url = f"https://times.example.net/2024/03/01/story-{i}.html"
        words = " ".join(rng.choice(WORDS) for _ in range(1200))
        body = f"<html><head><title>Story {i}</title></head><body><p>{words}</p></body></html>"
        headers = [("Content-Type", "text/html; charset=utf-8")]
        records.append(warc.response_record(url, body.encode(), headers))
        urls.append(url)
    return records, urls


RECORDS, URLS = _records()
MEMBERS = [warc.gzip_member(r) for r in RECORDS]
ARCHIVE = b"".join(MEMBERS)
MEMBER_STARTS = list(itertools.accumulate([0] + [len(m) for m in MEMBERS]))[:-1]


@dataclass
class Served:
    """How the test server answers GETs of one archive, and what it answered."""

    data: bytes
    # answer i sends cuts[i] bytes of its body, then hangs up; answers after the last, whole
    cuts: list[int] = field(default_factory=list)
    ranges: bool = True  # False: Range ignored, the whole file with 200
    shift: int = 0  # added to the start of every part sent: a wrong Content-Range
    # the file's ETag at answer i (the last one from then on): a change is a new ETag
    etags: list[str] = field(default_factory=lambda: ['"v1"'])
    answers: list[int] = field(default_factory=list)  # status of each answer

    def __call__(self, req: Request) -> None:
        n = len(self.answers)
        etag = self.etags[min(n, len(self.etags) - 1)]
        start = self._range_start(req, etag)
        headers = {"ETag": etag, "Last-Modified": "Fri, 01 Mar 2024 00:10:20 GMT"}
        if start is None:
            status, body = 200, self.data
        else:
            status, body = 206, self.data[start + self.shift :]
            end = len(self.data) - 1
            headers["Content-Range"] = f"bytes {start + self.shift}-{end}/{len(self.data)}"
        self.answers.append(status)
        h = req.handler
        h.send_response(status)
        for k, v in {**headers, "Content-Length": str(len(body))}.items():
            h.send_header(k, v)
        h.end_headers()
        if n >= len(self.cuts):
            h.wfile.write(body)
            return
        h.wfile.write(body[: self.cuts[n]])
        h.wfile.flush()
        h.close_connection = True
        h.connection.shutdown(socket.SHUT_RDWR)  # mid-body: the client sees it cut

    def _range_start(self, req: Request, etag: str) -> int | None:
        m = re.fullmatch(r"bytes=(\d+)-", req.headers.get("Range", ""))
        if not self.ranges or m is None:
            return None
        if_range = req.headers.get("If-Range")
        if if_range is not None and if_range != etag:
            return None  # RFC 9110: another version of the file, sent whole
        return int(m.group(1))


def _import(srv, served: Served, rc: int = 0) -> tuple[dict, str, list[str | None]]:  # noqa: ANN001
    """The import of the served archive: its summary line parsed (and as printed, under
    "line"), its stderr, the Range header of each request the server saw. `rc`: the exit
    status expected (1 when a source is given up before its end)."""
    srv.route(PATH, served)
    out = manage("import", srv.url(PATH), timeout=300)
    assert out.returncode == rc, out.stderr
    ranges = [r.headers.get("Range") for r in srv.recorded(PATH)]
    return {**parse_line(out.stdout), "line": out.stdout}, out.stderr, ranges


def _resumed_at(header: str | None) -> int:
    m = re.fullmatch(r"bytes=(\d+)-", header or "")
    assert m, header
    return int(m.group(1))


def _stored_urls() -> set[str]:
    return set(documents())


def _pages_before(offset: int) -> set[str]:
    """The pages whose gzip member starts before `offset` (record 0 is the warcinfo)."""
    return {URLS[i - 1] for i, start in enumerate(MEMBER_STARTS) if i and start < offset}


@pytest.mark.parametrize("how", ["member", "plain"])
def test_a_cut_mid_file_resumes_with_range_at_a_record_boundary(clean_db, srv, how):
    data = ws.layout(RECORDS, how)
    cut = len(data) // 2
    served = Served(data, cuts=[cut])
    res, err, ranges = _import(srv, served)

    assert ranges[0] is None and len(ranges) == 2 and served.answers == [200, 206]
    at = _resumed_at(ranges[1])
    boundaries = (
        MEMBER_STARTS
        if how == "member"
        else list(itertools.accumulate([0] + [len(r) for r in RECORDS]))[:-1]
    )
    assert at in boundaries and 0 < at <= cut, (at, cut)  # a record start before the cut
    assert srv.recorded(PATH)[1].headers.get("If-Range") == '"v1"'  # the first answer's ETag
    assert f"resuming at byte {at}" in err
    # every record read once: none lost, none read twice (that would be "already known")
    assert (res["read"], res["kept"], res["known"]) == (len(RECORDS), PAGES, 0), res
    assert res["reasons"] == {"warcinfo": 1}
    docs = documents()
    assert set(docs) == set(URLS)
    # lineage: offsets of the resumed part are offsets in the whole file
    assert sorted(d.warc_offset for d in docs.values()) == boundaries[1:]
    with session_scope() as db:
        assert db.scalar(select(func.count()).select_from(Document)) == PAGES


def test_breaks_that_complete_records_do_not_spend_the_retry_limit(clean_db, srv):
    # seven cuts, each answer getting about 100 KB further: more breaks than retries allowed
    served = Served(ARCHIVE, cuts=[100_000] * 7)
    res, err, ranges = _import(srv, served)
    starts = [_resumed_at(r) for r in ranges[1:]]
    assert len(starts) == 7 and starts == sorted(set(starts)), starts  # each one further
    assert (res["read"], res["kept"], res["known"]) == (len(RECORDS), PAGES, 0), res
    assert _stored_urls() == set(URLS) and "error:" not in err


def test_a_server_without_range_support_is_read_again_from_byte_0(clean_db, srv):
    served = Served(ARCHIVE, cuts=[len(ARCHIVE) // 2], ranges=False)
    res, err, ranges = _import(srv, served)
    at = _resumed_at(ranges[1])
    assert served.answers == [200, 200] and 0 < at  # asked for a part, got the whole file
    assert f"no Range support: reading the first {at} bytes again" in err
    assert (res["read"], res["kept"], res["known"]) == (len(RECORDS), PAGES, 0), res
    assert _stored_urls() == set(URLS)


def test_cuts_beyond_the_retry_limit_end_with_a_clear_error(clean_db, srv):
    # the first answer is cut halfway, every later one after 200 bytes: no record completed
    served = Served(ARCHIVE, cuts=[len(ARCHIVE) // 2] + [200] * 10)
    res, err, ranges = _import(srv, served, rc=1)
    at = _resumed_at(ranges[1])
    assert len(ranges) == 1 + 5 and {_resumed_at(r) for r in ranges[1:]} == {at}
    url = srv.url(PATH)
    assert f"error: {url}: stopped at byte {at}: 5 retries in a row completed no record" in err
    # the records before the cut are stored, the summary line still comes
    assert _stored_urls() == _pages_before(at) and len(_pages_before(at)) > 50
    assert res["read"] == 1 + len(_pages_before(at)) and res["known"] == 0, res
    assert "records read" in res["line"] and "1 source(s) not read to the end" in res["line"]


def test_a_206_whose_content_range_starts_elsewhere_is_refused(clean_db, srv):
    served = Served(ARCHIVE, cuts=[len(ARCHIVE) // 2], shift=100)
    res, err, ranges = _import(srv, served, rc=1)
    at = _resumed_at(ranges[1])
    assert served.answers == [200, 206] and len(ranges) == 2  # refused, not retried
    assert (
        f"stopped at byte {at}: asked for bytes from {at}, got Content-Range bytes {at + 100}-"
        in err
    )
    assert _stored_urls() == _pages_before(at)  # nothing spliced from the wrong place
    assert res["read"] == 1 + len(_pages_before(at)), res


def test_a_file_changed_since_the_first_answer_is_not_spliced(clean_db, srv):
    served = Served(ARCHIVE, cuts=[len(ARCHIVE) // 2], etags=['"v1"', '"v2"'])
    res, err, ranges = _import(srv, served, rc=1)
    at = _resumed_at(ranges[1])
    assert served.answers == [200, 200]  # If-Range "v1" against "v2": the new file, whole
    assert f'stopped at byte {at}: the file changed (etag "v1" -> "v2")' in err
    assert _stored_urls() == _pages_before(at)
    assert res["read"] == 1 + len(_pages_before(at)), res


def test_whole_file_gzip_is_given_up_at_the_cut(clean_db, srv):
    data = ws.layout(RECORDS, "whole")
    cut = len(data) // 2
    res, err, ranges = _import(srv, Served(data, cuts=[cut]), rc=1)
    assert ranges == [None]  # no Range request: no record boundary to ask from
    # inside one deflate stream no record offset means anything: the offset is the bytes got
    assert f"stopped at byte {cut}: a whole-file gzip archive has no record boundary" in err
    stored = _stored_urls()
    assert 0 < len(stored) < PAGES and stored == set(URLS[: len(stored)])
    assert res["read"] == 1 + len(stored) and res["kept"] == len(stored), res


# --------------------------------------------------------------------------- the reader alone
class _Cut(io.RawIOBase):
    """The archive from byte `at` on, failing like a reset connection at byte `cut`."""

    def __init__(self, data: bytes, at: int, cut: int | None) -> None:
        self.data, self.pos, self.cut = data, at, cut

    def read(self, n: int = -1) -> bytes:
        if self.cut is not None and self.pos >= self.cut:
            raise ConnectionResetError("connection reset by peer")
        end = min(self.pos + (n if n >= 0 else len(self.data)), len(self.data))
        end = min(end, self.cut) if self.cut is not None else end
        out, self.pos = self.data[self.pos : end], end
        return out


def _read(data: bytes, cuts: list[int]) -> tuple[list[tuple], list[int]]:
    asked: list[int] = []

    def reopen(at: int, error: Exception) -> _Cut:
        asked.append(at)
        return _Cut(data, at, cuts[len(asked)] if len(asked) < len(cuts) else None)

    items = warc.read_records(_Cut(data, 0, cuts[0]), lambda r: True, reopen)
    return [_key(i) for i in items], asked


def _key(item: warc.Record | warc.Damage) -> tuple:
    if isinstance(item, warc.Damage):
        return ("damage", item.reason, item.offset)
    return (item.offset, item.record_id, item.truncated, item.block)


@pytest.mark.parametrize("how", ["member", "plain", "corrupt member"])
def test_the_reader_resumed_at_any_cut_reads_each_record_once(how):
    # the whole archive: FastWARC reads some 64 KB ahead, so shorter ones resume at 0 only
    if how == "corrupt member":
        data = ws.corrupt_member(RECORDS, len(RECORDS) // 2)
    else:
        data = ws.layout(RECORDS, how)
    expected = [_key(i) for i in warc.read_records(io.BytesIO(data), lambda r: True)]
    resumed_after_records = 0
    for cut in range(1, len(data), 4999):
        got, asked = _read(data, [cut, cut + 100_000])
        assert got == expected, (cut, asked)
        assert asked and all(a <= cut + 100_000 for a in asked)
        resumed_after_records += asked[0] > 0
    assert resumed_after_records > 100  # not only restarts from byte 0
