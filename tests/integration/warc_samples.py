"""WARC files built by the tests themselves: the record kinds and the damage real archives have.

`sample_records()` is one small crawl: three article pages (one UTF-8, one in chunked transfer
coding with gzip content coding, one GB18030 page whose charset is only in the HTTP header),
around them what a crawler writes (warcinfo, request, metadata, revisit, a 301, an image, a
crawler-truncated record, the first page crawled again) - and `layout()` writes it gzip per
record, whole-file gzip or uncompressed, optionally with a corrupt member or a cut last record.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.ops import warc
from tests.conftest import ROOT

PAGES = ROOT / "tests" / "e2e_pages"
FR_PAGE = ROOT / "tests" / "pages" / "french_article.html"
HOST = "https://news.example.org"
EN_URL = f"{HOST}/world/eu-sanctions"
FR_URL = f"{HOST}/fr/logement-etudiant"
ZH_URL = f"{HOST}/news/world/2024/03/12/japan-fm-beijing.html"
EN_DATE = datetime(2024, 2, 22, 17, 0, 5, tzinfo=UTC)
FR_DATE = datetime(2024, 2, 23, 8, 30, 0, 250000, tzinfo=UTC)
ZH_DATE = datetime(2024, 3, 12, 2, 0, 0, tzinfo=UTC)
ZH_TITLE = "日本外相抵达北京 与王毅举行会谈"


@dataclass
class Sample:
    record: bytes
    kind: str  # what the import should make of it: "keep", a skip reason, or "known"


def _headers(ctype: str, length: int | None = None) -> list[tuple[str, str]]:
    out = [("Server", "nginx"), ("Content-Type", ctype)]
    return out + ([("Content-Length", str(length))] if length is not None else [])


def chunked(body: bytes, size: int = 700) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def gb18030_page() -> bytes:
    """The Chinese e2e page without its meta charset, encoded GB18030."""
    text = (PAGES / "zh_article.html").read_text(encoding="utf-8")
    return text.replace('<meta charset="utf-8">', "").encode("gb18030")


def http_record(url: str, head: bytes, payload: bytes, date: datetime, **kw) -> bytes:
    """A response record whose HTTP message is `head` + `payload` exactly as given."""
    return warc.build_record(
        "response", head + payload, target_uri=url, date=date,
        content_type=warc.HTTP_RESPONSE_TYPE, payload=payload, **kw,
    )  # fmt: skip


def request_record(url: str, date: datetime) -> bytes:
    block = f"GET {url.split('/', 3)[-1]} HTTP/1.1\r\nHost: news.example.org\r\n\r\n".encode()
    return warc.build_record(
        "request", block, target_uri=url, date=date, content_type=warc.HTTP_REQUEST_TYPE
    )


def sample_records() -> list[Sample]:
    en = (PAGES / "en_article.html").read_bytes()
    fr = FR_PAGE.read_bytes()
    fr_gz = gzip.compress(fr)
    zh = gb18030_page()
    en_id = warc.new_record_id()
    utf8 = "text/html; charset=utf-8"
    return [
        Sample(warc.warcinfo_record({"software": "newsflow tests"}), "warcinfo"),
        Sample(request_record(EN_URL, EN_DATE), "request"),
        Sample(warc.response_record(EN_URL, en, _headers(utf8, len(en)), date=EN_DATE, record_id=en_id), "keep"),
        Sample(
            warc.build_record(
                "metadata", b"outlink: https://news.example.org/world\r\n", target_uri=EN_URL,
                date=EN_DATE, content_type="application/warc-fields",
                extra=[("WARC-Concurrent-To", en_id)],
            ),
            "metadata",
        ),
        Sample(request_record(FR_URL, FR_DATE), "request"),
        Sample(
            http_record(
                FR_URL,
                warc.http_response_head(200, [
                    ("Content-Type", "text/html; charset=UTF-8"),
                    ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked"),
                ]),
                chunked(fr_gz), FR_DATE,
            ),
            "keep",
        ),
        Sample(
            warc.response_record(ZH_URL, zh, _headers("text/html; charset=GB18030", len(zh)), date=ZH_DATE),
            "keep",
        ),
        Sample(
            warc.response_record(
                f"{HOST}/old-path", b"", [("Location", EN_URL), ("Content-Length", "0")],
                status=301, date=EN_DATE,
            ),
            "http 301",
        ),
        Sample(
            warc.response_record(f"{HOST}/logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 300,
                                 _headers("image/png", 308), date=EN_DATE),
            "not html",
        ),
        Sample(
            warc.build_record(
                "revisit", warc.http_response_head(200, _headers(utf8)), target_uri=EN_URL,
                date=ZH_DATE, content_type=warc.HTTP_RESPONSE_TYPE,
                extra=[("WARC-Refers-To", en_id), ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest")],
            ),
            "revisit",
        ),
        Sample(
            warc.response_record(
                f"{HOST}/cut-by-crawler", en[:500], _headers(utf8), date=EN_DATE,
                extra=[("WARC-Truncated", "length")],
            ),
            "truncated",
        ),
        # the first page crawled again, a day later: the same document
        Sample(warc.response_record(EN_URL + "?utm_source=rss", en, _headers(utf8, len(en)), date=ZH_DATE), "known"),
    ]  # fmt: skip


def layout(records: list[bytes], how: str = "member") -> bytes:
    """`member`: gzip per record; `whole`: one gzip stream; `plain`: uncompressed."""
    if how == "member":
        return b"".join(warc.gzip_member(r) for r in records)
    if how == "whole":
        return gzip.compress(b"".join(records), mtime=0)
    return b"".join(records)


def corrupt_member(records: list[bytes], index: int) -> bytes:
    """Gzip per record, with the member of `records[index]` damaged in its middle."""
    members = [warc.gzip_member(r) for r in records]
    bad = bytearray(members[index])
    mid = len(bad) // 2
    bad[mid : mid + 16] = b"\xff" * 16
    members[index] = bytes(bad)
    return b"".join(members)


def cut_last(data_records: list[bytes], how: str = "member") -> bytes:
    """The archive with its last record cut in the middle (a download that stopped)."""
    head = layout(data_records[:-1], how)
    last = layout(data_records[-1:], how)
    return head + last[: len(last) // 2]
