"""WARC export: the stored raw responses as WARC/1.1 `response` records, one gzip member each.

`manage.py export --warc OUT.warc.gz [--since ...] [--domain ...]`. Every document that holds an
HTTP response (fetched live or imported from an archive) becomes one record: WARC-Target-URI =
the final URL, WARC-Date = fetched_at, block and payload digests. The HTTP head is the one
archived when the document came from a WARC (status line and headers as received); for a live
fetch it is rebuilt from the stored status and headers. Stored bodies are decoded (no transfer
or content coding), so the headers that described the codings on the wire are kept under an
`X-Crawler-` prefix and Content-Length is the stored body's, as Common Crawl writes them:
every WARC tool then reads the payload as it is. Saved snapshots and files are not HTTP
responses and are left out.

The file is written next to OUT as OUT.partial and renamed when complete.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from shared.db import session_scope
from shared.models import Document
from shared.ops import warc
from shared.pipeline import decompress
from shared.urls import host_of

# headers that describe the bytes on the wire, not the decoded body we hold
_WIRE = frozenset({"content-encoding", "transfer-encoding", "content-length"})


@dataclass
class ExportReport:
    records: int = 0
    bytes: int = 0


def wire_safe_headers(headers: Iterable[tuple[str, str]], body_len: int) -> list[tuple[str, str]]:
    """Headers as received, with the wire codings renamed X-Crawler-* and the real length."""
    out = [(f"X-Crawler-{k}" if k.lower() in _WIRE else k, v) for k, v in headers]
    out.append(("Content-Length", str(body_len)))
    return out


def http_head_of(doc: Any, body_len: int) -> bytes:
    """The response's status line and headers for the record (see module docstring)."""
    if doc.http_head:
        try:
            status, reason, headers, _ = warc.split_http_head(bytes(doc.http_head))
        except warc.HttpError:
            status, reason, headers = doc.http_status or 200, "", []
    else:
        status, reason = doc.http_status or 200, ""
        headers = list((doc.response_headers or {}).items())
    return warc.http_response_head(status, wire_safe_headers(headers, body_len), reason)


def _documents(since: datetime | None, domains: Iterable[str]) -> Any:
    d = Document
    stmt = select(
        d.id, d.url, d.final_url, d.fetched_at, d.http_status, d.response_headers,
        d.http_head, d.raw_body,
    ).where(d.raw_body.is_not(None), d.http_status.is_not(None), d.origin.not_in(("snapshot", "file")))  # fmt: skip
    if since is not None:
        stmt = stmt.where(d.fetched_at >= since)
    hosts = [host_of(f"http://{x}/") or x.lower() for x in domains]
    if hosts:
        stmt = stmt.where(or_(*(or_(d.domain == h, d.domain.like(f"%.{h}")) for h in hosts)))
    return stmt.order_by(d.id)


def iter_records(since: datetime | None = None, domains: Iterable[str] = ()) -> Iterator[bytes]:
    """One uncompressed WARC record per stored HTTP response, oldest document first."""
    with session_scope() as db:
        rows = db.execute(_documents(since, domains).execution_options(yield_per=100))
        for doc in rows:
            body = decompress(doc.raw_body)
            head = http_head_of(doc, len(body))
            block = head + body
            yield warc.build_record(
                "response",
                block,
                target_uri=doc.final_url or doc.url,
                date=doc.fetched_at or datetime.now(UTC),
                content_type=warc.HTTP_RESPONSE_TYPE,
                payload=body,
            )


def export_warc(
    out: str | Path,
    since: datetime | None = None,
    domains: Iterable[str] = (),
    progress: bool | None = None,
) -> ExportReport:
    """Write the archive (see module docstring)."""
    from tqdm import tqdm

    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    report = ExportReport()
    show = sys.stderr.isatty() if progress is None else progress
    with open(partial, "wb") as f, tqdm(unit=" rec", file=sys.stderr, disable=not show) as bar:
        info = {"software": "newsflow export", "format": "WARC File Format 1.1"}
        f.write(warc.gzip_member(warc.warcinfo_record(info, filename=out.name)))
        for record in iter_records(since, domains):
            member = warc.gzip_member(record)
            f.write(member)
            report.records += 1
            report.bytes += len(member)
            bar.update()
        f.flush()
        os.fsync(f.fileno())
    partial.replace(out)
    return report
