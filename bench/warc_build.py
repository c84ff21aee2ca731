"""The benchmark WARC: real pages from ../shared (dev-data and bench-data) as `response`
records, with the records a real crawl writes around them.

Used by bench/warc.py. Layout as Common Crawl and Heritrix write it: one gzip member per record,
a `warcinfo` first, a `request` before every response, `metadata` (outlinks) after some, a
`revisit` for pages crawled twice with the same digest, `http://` -> `https://` redirects (301),
robots.txt per host, 404 pages, images, JSON and CSS. Every page keeps the charset it declares in
its own markup in the HTTP Content-Type, as a server would send it; the pages without a URL of
their own (zh-pages) get one under their site's name.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bench.splits import half_of_url
from shared.ops import warc

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_BASE_DATE = datetime(2025, 6, 1, tzinfo=UTC)


@dataclass
class Page:
    url: str
    body: bytes
    content_type: str
    date: datetime
    set: str  # which data set it comes from

    @property
    def half(self) -> str:
        return half_of_url(self.url)


def _ctype(body: bytes) -> str:
    m = _CHARSET.search(body[:4096])
    return "text/html" + (f"; charset={m.group(1).decode('ascii')}" if m else "")


def _date(i: int) -> datetime:
    return _BASE_DATE + timedelta(seconds=37 * i)


def load_pages(shared: Path) -> list[Page]:
    """Every page of the four page sets, with its URL (or one made from its site's name)."""
    pages: list[Page] = []
    aeb = shared / "bench-data" / "article-extraction-benchmark"
    truth = json.loads((aeb / "ground-truth.json").read_text(encoding="utf-8"))
    for f in sorted((aeb / "html").glob("*.html.gz")):
        key = f.name.removesuffix(".html.gz")
        url = truth.get(key, {}).get("url") or f"https://aeb.example.org/{key}.html"
        pages.append(_page(url, gzip.decompress(f.read_bytes()), "aeb", len(pages)))
    wcxb = shared / "dev-data" / "wcxb-dev"
    for f in sorted((wcxb / "html").glob("*.html.gz")):
        gt = wcxb / "ground-truth" / f.name.replace(".html.gz", ".json")
        url = json.loads(gt.read_text(encoding="utf-8")).get("url") if gt.exists() else None
        url = url or f"https://wcxb.example.org/{f.name}"
        pages.append(_page(url, gzip.decompress(f.read_bytes()), "wcxb", len(pages)))
    for meta in sorted((shared / "dev-data" / "fundus").glob("*/meta.info")):
        info = json.loads(meta.read_text(encoding="utf-8"))
        for name, entry in sorted(info.items()):
            f = meta.parent / name
            if f.exists():
                pages.append(
                    _page(entry["url"], gzip.decompress(f.read_bytes()), "fundus", len(pages))
                )
    for f in sorted((shared / "dev-data" / "zh-pages").glob("*/*.html")):
        url = f"https://www.{f.parent.name}.com/news/{f.stem}.html"
        pages.append(_page(url, f.read_bytes(), "zh-pages", len(pages)))
    return pages


def _page(url: str, body: bytes, data_set: str, i: int) -> Page:
    return Page(url, body, _ctype(body), _date(i), data_set)


def _request(url: str, date: datetime) -> bytes:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    block = (
        f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "User-Agent: CCBot/2.0 (https://commoncrawl.org/faq/)\r\n"
        "Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\n"
        "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n"
    ).encode()
    return warc.build_record(
        "request", block, target_uri=url, date=date, content_type=warc.HTTP_REQUEST_TYPE
    )


def _metadata(url: str, date: datetime, concurrent: str, rng: random.Random) -> bytes:
    host = urlsplit(url).netloc
    links = "".join(
        f"outlink: https://{host}/story/{rng.randrange(10**6)} L a/@href\r\n" for _ in range(12)
    )
    block = f"fetchTimeMs: {rng.randrange(40, 900)}\r\n{links}".encode()
    return warc.build_record(
        "metadata",
        block,
        target_uri=url,
        date=date,
        content_type="application/warc-fields",
        extra=[("WARC-Concurrent-To", concurrent)],
    )


def _server_headers(ctype: str, length: int, date: datetime) -> list[tuple[str, str]]:
    return [
        ("Date", date.strftime("%a, %d %b %Y %H:%M:%S GMT")),
        ("Server", "nginx"),
        ("Content-Type", ctype),
        ("Content-Length", str(length)),
        ("Cache-Control", "max-age=300"),
        ("X-Cache", "HIT"),
    ]


def build(pages: list[Page], out: Path, seed: int = 15) -> Counter[str]:
    """Write the archive to `out` (gzip per record); what it holds, by kind of record."""
    rng = random.Random(seed)
    kinds: Counter[str] = Counter()
    hosts: set[str] = set()
    with open(out, "wb") as f:

        def put(record: bytes, kind: str) -> None:
            f.write(warc.gzip_member(record, level=6))
            kinds[kind] += 1

        put(
            warc.warcinfo_record({"software": "newsflow bench", "format": "WARC File Format 1.1"}),
            "warcinfo",
        )
        for i, p in enumerate(pages):
            host = urlsplit(p.url).netloc
            if host not in hosts:  # a crawler asks every host for robots.txt first
                hosts.add(host)
                robots = b"User-agent: *\nAllow: /\n"
                put(_request(f"https://{host}/robots.txt", p.date), "request")
                put(
                    warc.response_record(
                        f"https://{host}/robots.txt", robots,
                        _server_headers("text/plain", len(robots), p.date), date=p.date,
                    ),
                    "robots.txt (text/plain)",
                )  # fmt: skip
            if i % 5 == 0 and p.url.startswith("https://"):
                http_url = "http://" + p.url.removeprefix("https://")
                put(_request(http_url, p.date), "request")
                moved = [("Location", p.url), ("Content-Length", "0"), ("Server", "nginx")]
                put(warc.response_record(http_url, b"", moved, status=301, date=p.date), "301")
            put(_request(p.url, p.date), "request")
            rid = warc.new_record_id()
            headers = _server_headers(p.content_type, len(p.body), p.date)
            put(warc.response_record(p.url, p.body, headers, date=p.date, record_id=rid), "page")
            if i % 4 == 0:
                put(_metadata(p.url, p.date, rid, rng), "metadata")
            if i % 10 == 3:
                img = rng.randbytes(rng.randrange(2_000, 30_000))
                img_url = f"https://{host}/img/{i}.jpg"
                put(_request(img_url, p.date), "request")
                put(
                    warc.response_record(img_url, img, _server_headers("image/jpeg", len(img), p.date), date=p.date),
                    "image",
                )  # fmt: skip
            if i % 15 == 7:
                api = json.dumps({"id": i, "comments": list(range(40))}).encode()
                put(
                    warc.response_record(
                        f"https://{host}/api/comments/{i}", api,
                        _server_headers("application/json", len(api), p.date), date=p.date,
                    ),
                    "json",
                )  # fmt: skip
            if i % 12 == 5:
                gone = b"<html><body><h1>404 Not Found</h1></body></html>"
                put(
                    warc.response_record(
                        f"https://{host}/old/{i}.html", gone,
                        _server_headers("text/html", len(gone), p.date), status=404, date=p.date,
                    ),
                    "404",
                )  # fmt: skip
            if i % 20 == 11:  # crawled again later, same payload: a revisit, no body
                later = p.date + timedelta(days=1)
                block = warc.http_response_head(200, headers)
                put(
                    warc.build_record(
                        "revisit", block, target_uri=p.url, date=later,
                        content_type=warc.HTTP_RESPONSE_TYPE,
                        extra=[
                            ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
                            ("WARC-Refers-To", rid),
                            ("WARC-Payload-Digest", warc.sha1_digest(p.body)),
                        ],
                    ),
                    "revisit",
                )  # fmt: skip
    return kinds
