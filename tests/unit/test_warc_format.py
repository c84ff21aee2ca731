"""The WARC reader and writer alone (shared/ops/warc.py): records in, records out, damage passed
over with one report each, HTTP messages decoded under a bound."""

from __future__ import annotations

import gzip
import io
import zlib

import pytest

from shared.ops import warc


def _records(n: int = 4) -> list[bytes]:
    return [
        warc.response_record(f"http://a.example/{i}", b"<html>%d</html>" % i, [("Content-Type", "text/html")])
        for i in range(n)
    ]  # fmt: skip


def _read(data: bytes) -> list[str]:
    out = []
    for item in warc.read_records(io.BytesIO(data)):
        if isinstance(item, warc.Damage):
            out.append(f"damage:{item.reason}")
        else:
            out.append(item.target_uri[-1] + ("T" if item.truncated else ""))
    return out


GARBAGE = b"WARC/1.1\r\nnot a header\r\nContent-Length: zz\r\n\r\nnoise\r\n\r\n"


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("members", lambda r: b"".join(map(warc.gzip_member, r)), ["0", "1", "2", "3"]),
        ("whole gzip", lambda r: gzip.compress(b"".join(r)), ["0", "1", "2", "3"]),
        ("plain", lambda r: b"".join(r), ["0", "1", "2", "3"]),
        (
            "malformed member",
            lambda r: b"".join(map(warc.gzip_member, [r[0], GARBAGE, r[2], r[3]])),
            ["0", "damage:malformed-record", "2", "3"],
        ),
        (
            "malformed plain",
            lambda r: r[0] + GARBAGE + r[2] + r[3],
            ["0", "damage:malformed-record", "2", "3"],
        ),
        (
            "corrupt member",
            lambda r: (lambda m: m[0] + m[1][:20] + b"X" * 30 + m[1][50:] + m[2] + m[3])(
                [warc.gzip_member(x) for x in r]
            ),
            ["0", "damage:corrupt-gzip", "2", "3"],
        ),
        (
            "junk between members",
            lambda r: warc.gzip_member(r[0]) + b"junk" + warc.gzip_member(r[1]),
            ["0", "damage:corrupt-gzip", "1"],
        ),
        (
            "cut member",
            lambda r: (lambda m: m[: len(m) - 40])(b"".join(map(warc.gzip_member, r))),
            ["0", "1", "2", "3T"],  # its header survived: a record marked truncated
        ),
        (
            "cut member in its header",
            lambda r: (lambda m: b"".join(m[:3]) + m[3][:30])([warc.gzip_member(x) for x in r]),
            ["0", "1", "2", "damage:truncated"],
        ),
        ("cut plain", lambda r: b"".join(r)[:-30], ["0", "1", "2", "3T"]),
        ("empty", lambda r: b"", []),
    ],
)
def test_reading_goes_past_damage(name, make, expected):
    assert _read(make(_records())) == expected


def test_a_member_failing_its_crc_after_its_block_was_read_is_dropped():
    members = [warc.gzip_member(r) for r in _records()]
    bad = bytearray(members[1])
    bad[-8] ^= 0xFF  # the CRC-32 in the member's trailer
    assert _read(members[0] + bytes(bad) + members[2]) == ["0", "damage:corrupt-gzip", "2"]


def test_records_written_carry_their_digests():
    rec = warc.response_record("http://a.example/", b"<p>x</p>", [("Content-Type", "text/html")])
    [item] = list(warc.read_records(io.BytesIO(rec), wants=lambda r: True))
    assert item.type == "response" and warc.block_digest_ok(item)
    assert item.headers["warc-payload-digest"] == warc.sha1_digest(b"<p>x</p>")
    item.block = item.block.replace(b"x", b"y")
    assert not warc.block_digest_ok(item)


def test_http_message_decoded():
    body = b"<html>" + b"a" * 3000 + b"</html>"
    coded = gzip.compress(body)
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(coded[i : i + 500]), coded[i : i + 500])
        for i in range(0, len(coded), 500)
    )
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nX-A: 2\r\n\r\n"
    resp = warc.parse_http_response(head + chunks + b"0\r\n\r\n")
    assert resp.status == 200 and resp.body == body
    assert resp.headers[2:] == [("X-A", "1"), ("X-A", "2")]  # as received
    assert resp.header_dict()["x-a"] == "1, 2"
    deflated = zlib.compress(body)[2:-4]  # raw deflate, as some servers send "deflate"
    assert warc.decode_content(deflated, "deflate", 10**6) == body
    lf_only = warc.parse_http_response(b"HTTP/1.0 404 Not Found\nContent-Type: text/html\n\n<p/>")
    assert (lf_only.status, lf_only.reason, lf_only.body) == (404, "Not Found", b"<p/>")


def test_http_bounds_and_errors():
    bomb = gzip.compress(b"\0" * 5_000_000)
    with pytest.raises(warc.HttpError, match="too-large"):
        warc.parse_http_response(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + bomb, 1_000_000
        )
    with pytest.raises(warc.HttpError, match="malformed-http"):
        warc.parse_http_response(b"GARBAGE\r\n\r\n")
    with pytest.raises(warc.HttpError, match="bad-encoding"):
        warc.parse_http_response(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\nnot gzip")
    # a crawler cut inside a chunked body keeps what arrived
    assert warc.dechunk(b"5\r\nhello\r\n10\r\nwor", 100) == b"hellowor"


def test_dates():
    assert warc.parse_warc_date("2024-02-23T08:30:00.25Z").microsecond == 250000
    assert warc.parse_warc_date("garbage") is None
    when = warc.parse_warc_date("2024-02-23T08:30:00Z")
    assert warc.warc_date(when) == "2024-02-23T08:30:00Z"


def _classify(url: str, body: bytes, headers: list[tuple[str, str]], status: int = 200, **filters):
    from shared.ops.warc_import import Filters, classify

    rec = warc.response_record(url, body, headers, status=status)
    [item] = list(warc.read_records(io.BytesIO(rec), wants=lambda r: True))
    return classify(item, Filters(**filters), 10**6, "test.warc")


def test_classification():
    page = b"<!doctype html><html><body><p>x</p></body></html>"
    why, row = _classify(
        "https://a.example/p?utm_source=x", page, [("Content-Type", "application/octet-stream")]
    )
    assert why == "keep" and row["content_type"] == "text/html"  # sniffed, as the fetcher does
    assert (
        row["url"] == "https://a.example/p"
        and row["final_url"] == "https://a.example/p?utm_source=x"
    )
    assert (
        _classify("https://a.example/x", b"{}", [("Content-Type", "application/json")])[0]
        == "not html"
    )
    assert (
        _classify("https://a.example/x", page, [("Content-Type", "text/html")], status=404)[0]
        == "http 404"
    )
    assert _classify("ftp://a.example/x", page, [])[0] == "not http(s)"
    kept = _classify("https://news.a.example/x", page, [], domains=frozenset({"a.example"}))
    assert kept[0] == "keep"
    other = _classify("https://b.example/x", page, [], domains=frozenset({"a.example"}))
    assert other == ("filtered: domain", None)
    assert _classify("https://www.rfi.fr/fr/x", page, [], registered=True)[0] == "keep"


class _Dropping(io.BytesIO):
    """A stream that fails like a dropped connection after `n` bytes."""

    def __init__(self, data: bytes, n: int) -> None:
        super().__init__(data)
        self.n = n

    def read(self, size: int = -1) -> bytes:
        if self.tell() >= self.n:
            raise ConnectionResetError("connection reset by peer")
        return super().read(min(size if size >= 0 else self.n, self.n - self.tell()))


def test_a_failing_source_is_an_error_not_damage():
    data = b"".join(warc.gzip_member(r) for r in _records(40))
    with pytest.raises(ConnectionResetError):
        list(warc.read_records(_Dropping(data, len(data) // 2)))
