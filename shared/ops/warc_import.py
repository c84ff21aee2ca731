"""WARC import: archived HTTP responses become documents at `fetched`, for the parse workers.

`manage.py import FILE.warc.gz` (files, folders, http(s) URLs streamed as they download). Each
`response` record with status 200 and an HTML/XHTML payload is stored as a live fetch would
store it (decoded body Zstandard-compressed, HTTP headers: the charset comes from there), with
final_url = WARC-Target-URI, fetched_at = WARC-Date, origin `warc` and the record's lineage.
Everything else is counted by reason and skipped. Filters run before anything is stored.

Idempotent and resumable: URLs already known are counted and not stored again (documents.url
is unique on the normalized URL), and a known document still waiting at `fetched` (an import
killed between storing a batch and sending it) is sent to parse again. Memory stays flat: the
reader streams, and rows go to PostgreSQL in bounded batches, each sent to parse once stored.

A streamed URL whose connection breaks is reopened with `Range: bytes=N-`, N the start of the
first record not read in full (`HttpArchive`), a bounded number of times without progress;
when it cannot be (a changed file, a wrong Content-Range, whole-file gzip, too many failed
retries) that source ends with an error line, what was read stays stored and the next source
is read.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from services.fetcher.http import sniff
from shared.config import load_settings
from shared.db import session_scope
from shared.models import DocState
from shared.ops import warc
from shared.pipeline import compress
from shared.publishers import lookup
from shared.runtime.handover import send_to
from shared.urls import host_of, normalize_url

if TYPE_CHECKING:
    from requests import Response

WARC_SUFFIXES = (".warc", ".warc.gz")
# a batch is stored in one transaction and sent to parse in one go
BATCH_ROWS = 200
BATCH_BYTES = 32 * 1024 * 1024  # decoded bodies held before a batch is stored
# Parse should not wait for the import: the first batch is one parse message, the next ones
# double up to BATCH_ROWS, and a batch is stored after BATCH_SECONDS however full (an archive
# streamed slowly, or mostly filtered out)
BATCH_SECONDS = 1.0
# One statement per batch whatever its size, the columns as arrays (unnest): psycopg prepares
# it once and sends the bodies in binary, where a multi-row VALUES (SQLAlchemy's executemany)
# was a new query text of 17 placeholders a row for psycopg to parse at every batch.
_COLUMNS = (
    ("url", "text"),
    ("domain", "text"),
    ("http_status", "int2"),
    ("final_url", "text"),
    ("content_type", "text"),
    ("response_headers", "text"),  # JSON text, cast to jsonb below
    ("etag", "text"),
    ("last_modified", "text"),
    ("raw_body", "bytea"),
    ("raw_size", "int4"),
    ("fetched_at", "timestamptz"),
    ("warc_record_id", "text"),
    ("warc_source", "text"),
    ("warc_offset", "int8"),
    ("http_head", "bytea"),
)
_INSERT = (  # %b: binary, the bodies as they are (text would be hex)
    "INSERT INTO documents (origin, state, "
    + ", ".join(c for c, _ in _COLUMNS)
    + ") SELECT 'warc', 'fetched', "
    + ", ".join(f"{c}::jsonb" if c == "response_headers" else c for c, _ in _COLUMNS)
    + " FROM unnest("
    + ", ".join(f"%b::{t}[]" for _, t in _COLUMNS)
    + ") AS batch("
    + ", ".join(c for c, _ in _COLUMNS)
    + ") ON CONFLICT (url) DO NOTHING RETURNING id"
)
_KNOWN = "SELECT url, id, state = 'fetched' FROM documents WHERE url = ANY(%s::text[])"


def is_warc_name(name: str) -> bool:
    return name.lower().endswith(WARC_SUFFIXES)


# --------------------------------------------------------------------------- filters
@dataclass(frozen=True)
class Filters:
    """Which records to keep, decided from the WARC headers before any body is read."""

    domains: frozenset[str] = frozenset()  # a host matches its domain and every parent
    registered: bool = False  # only publishers of the registry (shared/publishers)
    since: datetime | None = None  # on WARC-Date, inclusive
    until: datetime | None = None  # exclusive

    @property
    def active(self) -> bool:
        return bool(self.domains or self.registered or self.since or self.until)

    def refuse(self, host: str, date: datetime | None) -> str | None:
        """Why a record is filtered out, or None when it passes."""
        if self.domains and not _in_domains(host, self.domains):
            return "filtered: domain"
        if self.registered and lookup(f"http://{host}/") is None:
            return "filtered: not registered"
        if (self.since or self.until) and date is None:
            return "filtered: no date"
        if self.since and date < self.since:
            return "filtered: date"
        if self.until and date >= self.until:
            return "filtered: date"
        return None


def _in_domains(host: str, domains: frozenset[str]) -> bool:
    parts = host.split(".")
    return any(".".join(parts[i:]) in domains for i in range(len(parts)))


def read_domains(lines: Iterable[str]) -> set[str]:
    """Domains from a --domains-file: one per line, `#` comments, `www.` and dots trimmed."""
    out = set()
    for line in lines:
        d = line.split("#", 1)[0].strip().lower().rstrip(".")
        if d:
            d = host_of(f"http://{d}/") or d  # IDNA, as documents.domain holds hosts
            out.add(d.removeprefix("www.") if d.count(".") > 1 else d)
    return out


def split_sources(paths: Iterable[str]) -> tuple[list[str], list[str]]:
    """(WARC sources, other paths) of `manage.py import`: http(s) URLs and *.warc[.gz] files
    are archives; a folder gives its archives, and its other files stay snapshots/HTML."""
    archives: list[str] = []
    others: list[str] = []
    for p in paths:
        path = Path(p)
        if p.startswith(("http://", "https://")) or is_warc_name(p):
            archives.append(p)
        elif path.is_dir() and any(is_warc_name(f.name) for f in path.iterdir()):
            for f in sorted(x for x in path.iterdir() if x.is_file()):
                (archives if is_warc_name(f.name) else others).append(str(f))
        else:
            others.append(p)
    return archives, others


# --------------------------------------------------------------------------- classification
def _is_html(resp: warc.HttpResponse) -> bool:
    mime = resp.mime
    if mime in warc.HTML_TYPES:
        return True
    if mime in ("", "application/octet-stream", "unknown/unknown", "application/unknown"):
        return sniff(resp.body) in warc.HTML_TYPES  # as the fetcher sniffs untyped bodies
    return False


def wanted(record: warc.Record, filters: Filters) -> bool:
    """Whether a record's block is worth reading: a complete response that passes the filters."""
    if record.type != "response" or record.truncated:
        return False
    return not filters.active or filters.refuse(host_of(record.target_uri), record.date) is None


def classify(
    record: warc.Record, filters: Filters, max_body: int, source: str
) -> tuple[str, dict[str, Any] | None]:
    """("keep", the document row) or (why it is skipped, None)."""
    if record.type != "response":
        return record.type, None
    if record.truncated:
        return "truncated", None
    uri = record.target_uri
    if not uri.lower().startswith(("http://", "https://")):
        return "not http(s)", None
    if filters.active:
        refused = filters.refuse(host_of(uri), record.date)
        if refused:
            return refused, None
    try:
        resp = warc.parse_http_response(record.block, max_body)
    except warc.HttpError as exc:
        return exc.reason, None
    if resp.status != 200:
        return f"http {resp.status}", None
    if not _is_html(resp):
        return "not html", None
    try:
        url = normalize_url(uri)
    except Exception:
        return "invalid url", None
    return "keep", _row(url, uri, resp, record, source)


def _row(
    url: str, uri: str, resp: warc.HttpResponse, record: warc.Record, source: str
) -> dict[str, Any]:
    headers = resp.header_dict()
    if resp.mime not in warc.HTML_TYPES:
        # sniffed as HTML: the parser is told so (http_head keeps the type as archived)
        headers["content-type"] = sniff(resp.body) or "text/html"
    head_end = record.block.find(b"\r\n\r\n")
    head = record.block[: head_end + 4] if head_end >= 0 else None
    return {
        "url": url,
        "domain": host_of(url),
        "origin": "warc",
        "state": DocState.fetched,
        "http_status": resp.status,
        "final_url": uri,
        "content_type": headers["content-type"].split(";", 1)[0],
        "response_headers": headers,
        "etag": headers.get("etag"),
        "last_modified": headers.get("last-modified"),
        "raw_body": resp.body,  # compressed when the batch is stored (only the unknown ones)
        "raw_size": len(resp.body),
        "fetched_at": record.date,
        "warc_record_id": record.record_id,
        "warc_source": source,
        "warc_offset": record.offset,
        "http_head": head,
    }


# --------------------------------------------------------------------------- storing
@dataclass
class ImportReport:
    read: int = 0  # records read (every record counts once: kept, skipped or known)
    kept: int = 0  # new documents stored and sent to parse
    known: int = 0  # already in the database (or earlier in this import)
    skipped: Counter[str] = field(default_factory=Counter)
    resent: int = 0  # known documents still waiting for parse, sent again
    damaged: list[str] = field(default_factory=list)  # "source @offset: detail"
    broken: list[str] = field(default_factory=list)  # sources given up before their end

    def line(self) -> str:
        reasons = ", ".join(f"{why} {n}" for why, n in self.skipped.most_common())
        out = (
            f"{self.read} records read, {self.kept} kept, {sum(self.skipped.values())} skipped"
            f"{f' ({reasons})' if reasons else ''}, {self.known} already known"
        )
        if self.resent:
            out += f"; {self.resent} of them still waiting for parse, sent again"
        if self.broken:
            out += f"; {len(self.broken)} source(s) not read to the end"
        return out


class _Batch:
    """Rows waiting to be stored: bounded in rows, in decoded bytes and in age."""

    def __init__(self, max_rows: int = BATCH_ROWS) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.bytes = 0
        self.max_rows = max_rows
        self.since = 0.0  # monotonic time of the first row

    def add(self, row: dict[str, Any]) -> bool:
        """False when this URL is already in the batch (the first record of a URL wins)."""
        if row["url"] in self.rows:
            return False
        if not self.rows:
            self.since = time.monotonic()
        self.rows[row["url"]] = row
        self.bytes += row["raw_size"]
        return True

    def full(self) -> bool:
        if not self.rows:
            return False
        return (
            len(self.rows) >= self.max_rows
            or self.bytes >= BATCH_BYTES
            or time.monotonic() - self.since >= BATCH_SECONDS
        )


def store_batch(rows: list[dict[str, Any]], send: bool = True) -> tuple[int, int, int]:
    """Store the rows whose URL is unknown, send them to parse; send again the known ones still
    at `fetched`. Returns (new, known, resent)."""
    if not rows:
        return 0, 0, 0
    with session_scope() as db:
        # raw_body is stored as it comes: no second compression (migration 0006)
        conn = db.connection()
        known = conn.exec_driver_sql(_KNOWN, ([r["url"] for r in rows],)).all()
        waiting = [doc_id for _, doc_id, at_fetched in known if at_fetched]
        seen = {url for url, _, _ in known}
        fresh = [r for r in rows if r["url"] not in seen]
        new_ids: list[int] = []
        if fresh:
            for r in fresh:  # compressed only now: a rerun does not pay for what it has
                r["raw_body"] = compress(r["raw_body"])
                r["response_headers"] = json.dumps(r["response_headers"], ensure_ascii=False)
            columns = tuple([r[c] for r in fresh] for c, _ in _COLUMNS)
            new_ids = [row[0] for row in conn.exec_driver_sql(_INSERT, columns)]
    if send:
        send_to("parse", new_ids + waiting)
    return len(new_ids), len(rows) - len(new_ids), len(waiting)


# --------------------------------------------------------------------------- sources
# A broken stream is reopened at the start of the first record not read in full, after these
# pauses; their number bounds the retries that complete no record (one that does resets it).
RESUME_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0)
_SKIP_CHUNK = 1 << 20
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)


@contextmanager
def open_source(
    source: str, warn: Callable[[str], None] | None = None
) -> Iterator[tuple[BinaryIO, int | None, warc.Reopen | None]]:
    """A readable byte stream of a file or an http(s) URL (streamed, not downloaded first),
    its size when known, and for a URL how to reopen it at an offset after it broke (`warn`
    is told of each retry)."""
    if not source.startswith(("http://", "https://")):
        with open(source, "rb") as f:
            yield f, Path(source).stat().st_size, None
        return
    with closing(HttpArchive(source, warn)) as archive:
        stream = archive.open()
        yield stream, archive.size, archive.reopen


class _BadStatus(Exception):
    """An answer to a Range request neither 206 nor 200 (a 503, say): retried."""


class _Refused(Exception):
    """An answer to a Range request that must not be spliced onto what was read: given up."""


def _retryable() -> tuple[type[BaseException], ...]:
    """How a stream breaks or a reconnection fails: reset, timeout, cut body, no connection."""
    import http.client

    import requests
    import urllib3

    return (
        requests.RequestException,
        urllib3.exceptions.HTTPError,
        http.client.HTTPException,
        OSError,
        _BadStatus,
    )


class HttpArchive:
    """An archive streamed over http(s) and reopened with `Range: bytes=N-` after the stream
    broke, N being the start of the first record not read in full (`warc.read_records`)."""

    def __init__(self, url: str, warn: Callable[[str], None] | None = None) -> None:
        self.url, self.warn = url, warn
        self.size: int | None = None  # Content-Length of the first answer
        self.validators: dict[str, str] = {}  # its ETag and Last-Modified
        self.resp: Response | None = None  # the answer being read
        self.opened_at = 0  # offset the current stream started at
        self.stalls = 0  # retries in a row that completed no record

    def open(self) -> BinaryIO:
        """The whole archive (the first GET); its length and validators are kept to tell a
        changed file from the same one when it is reopened."""
        resp = self._get({})
        if resp.status_code != 200:
            raise ValueError(f"{self.url}: HTTP {resp.status_code} {resp.reason}")
        length = resp.headers.get("content-length", "")
        self.size = int(length) if length.isdigit() else None
        self.validators = {
            k: resp.headers[k] for k in ("etag", "last-modified") if resp.headers.get(k)
        }
        return resp.raw

    def close(self) -> None:
        if self.resp is not None:
            self.resp.close()

    def reopen(self, offset: int, error: Exception) -> BinaryIO:
        """The archive from byte `offset` on, after `error` broke the stream (warc.Reopen)."""
        if not isinstance(error, _retryable()):
            raise error
        if offset > self.opened_at:
            self.stalls = 0  # the last stream completed a record: progress
        limit = len(RESUME_DELAYS)
        while self.stalls < limit:
            self.stalls += 1
            self._say(
                f"stream broken ({_short(error)}); resuming at byte {offset}, "
                f"retry {self.stalls} of {limit}"
            )
            time.sleep(RESUME_DELAYS[self.stalls - 1])
            try:
                return self._open_at(offset)
            except _Refused as exc:
                raise warc.StreamBroken(offset, str(exc)) from exc
            except _retryable() as exc:
                error = exc
        reason = f"{limit} retries in a row completed no record (last: {_short(error)})"
        raise warc.StreamBroken(offset, reason) from error

    def _say(self, message: str) -> None:
        if self.warn is not None:
            self.warn(f"{self.url}: {message}")

    def _get(self, headers: dict[str, str]) -> Response:
        import requests

        self.close()
        # identity: Range counts bytes of the file as stored, never of an on-the-fly encoding
        headers = {"Accept-Encoding": "identity", **headers}
        self.resp = requests.get(self.url, headers=headers, stream=True, timeout=(10, 120))
        self.resp.raw.decode_content = False  # the archive's own gzip members, as served
        return self.resp

    def _open_at(self, offset: int) -> BinaryIO:
        headers = {"Range": f"bytes={offset}-"}
        # If-Range: a changed file comes back whole (200) instead of as a part of the new one
        strong = self.validators.get("etag", "")
        if_range = strong if strong and not strong.startswith("W/") else None
        if_range = if_range or self.validators.get("last-modified")
        if if_range:
            headers["If-Range"] = if_range
        resp = self._get(headers)
        self.opened_at = offset
        if resp.status_code == 206:
            self._check_part(resp, offset)
            return resp.raw
        if resp.status_code == 200:  # Range ignored, or If-Range saw another file: which?
            self._check_same_file(resp, resp.headers.get("content-length"))
            return self._skip(resp.raw, offset)
        raise _BadStatus(f"HTTP {resp.status_code} {resp.reason} to a Range request")

    def _check_part(self, resp: Response, offset: int) -> None:
        m = _CONTENT_RANGE.fullmatch(resp.headers.get("content-range", "").strip())
        if m is None or int(m.group(1)) != offset:
            got = resp.headers.get("content-range", "none")
            raise _Refused(f"asked for bytes from {offset}, got Content-Range {got}")
        self._check_same_file(resp, m.group(3))

    def _check_same_file(self, resp: Response, length: str | None) -> None:
        """The answer is of the file first read: ETag, Last-Modified and length agree. A changed
        file is given up, not read on: its records after N need not be the old file's, so
        neither splicing nor skipping what was read (by bytes or by record count) is sound. The
        records stored stay, and a rerun reads the new file from byte 0, known URLs skipped.
        A validator missing from the answer is not a change (a 206 need not repeat
        Last-Modified); with none at all, nothing can tell, and the part is taken."""
        for name, first in self.validators.items():
            now = resp.headers.get(name)
            if now is not None and now != first:
                raise _Refused(f"the file changed ({name} {first} -> {now})")
        if self.size is not None and length is not None and length.isdigit():
            if int(length) != self.size:
                raise _Refused(f"the file changed (length {self.size} -> {length})")

    def _skip(self, raw: BinaryIO, offset: int) -> BinaryIO:
        """A server that ignores Range sends the file from byte 0: the records before `offset`
        were all read already, so their bytes are dropped unread. Rather than giving up: it is
        the same file (`_check_same_file`), reading on costs what a rerun would cost, and the
        rerun would have to decode them again."""
        self._say(f"no Range support: reading the first {offset} bytes again, unused")
        left = offset
        while left:
            data = raw.read(min(left, _SKIP_CHUNK))
            if not data:
                raise _Refused(f"the file ends at byte {offset - left}, before {offset}")
            left -= len(data)
        return raw


def _short(error: BaseException) -> str:
    """The error in a few words (urllib3's ProtocolError repeats its cause in its text)."""
    cause = error.args[-1] if error.args else None
    error = cause if isinstance(cause, BaseException) else error
    text, name = str(error), type(error).__name__
    return (text if text.startswith(name) else f"{name}: {text}")[:160]


# --------------------------------------------------------------------------- the import
def import_warc(
    sources: Iterable[str],
    filters: Filters | None = None,
    *,
    limit: int | None = None,
    progress: bool | None = None,
    send: bool = True,
    on_damage: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import every record of `sources` (see module docstring). `limit`: stop after that many
    records passed the filters (kept or known), so that a rerun with the same limit adds
    nothing. `progress`: a tqdm bar on stderr (None: when stderr is a terminal)."""
    from tqdm import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(unit=" rec", file=sys.stderr, disable=not show, mininterval=0.5, smoothing=0.1)
    run = _Import(filters or Filters(), limit, send, bar, on_damage)
    try:
        for source in sources:
            bar.set_description(Path(source).name[:40])
            if run.source(source):
                break
        run.flush()
    finally:
        bar.close()
    return run.report


class _Import:
    """The state of one import: counts, the batch being filled, the progress bar."""

    def __init__(self, filters: Filters, limit, send, bar, on_damage) -> None:  # noqa: ANN001
        self.filters, self.limit, self.send, self.bar = filters, limit, send, bar
        self.on_damage = on_damage
        self.max_body = load_settings().max_body_bytes
        self.report = ImportReport()
        self.batch = _Batch(load_settings().batch_size)
        self._posted = time.monotonic()

    def flush(self) -> None:
        new, known, resent = store_batch(list(self.batch.rows.values()), send=self.send)
        self.report.kept += new
        self.report.known += known
        self.report.resent += resent
        self.batch = _Batch(min(BATCH_ROWS, 2 * self.batch.max_rows))

    def source(self, source: str) -> bool:
        """Every record of one source into the batch (stored as it fills). True at the limit."""
        with open_source(source, warn=self._warn) as (stream, _size, reopen):
            records = warc.read_records(stream, lambda r: wanted(r, self.filters), reopen)
            try:
                for item in records:
                    if self._take(source, item):
                        return True
            except warc.StreamBroken as exc:  # what was read is kept; the next source is read
                self.report.broken.append(f"{source}: {exc}")
                self._warn(
                    f"error: {source}: {exc}; the records read until then are stored, "
                    "a rerun of the import reads the rest"
                )
        return False

    def _take(self, source: str, item: warc.Record | warc.Damage) -> bool:
        """One record into the batch (stored when full). True at the limit."""
        report = self.report
        report.read += 1
        self.bar.update()
        if isinstance(item, warc.Damage):
            self._damage(source, item)
            return False
        why, row = classify(item, self.filters, self.max_body, source)
        if row is None:
            report.skipped[why] += 1
        elif not self.batch.add(row):
            report.known += 1  # the same URL earlier in this batch
        if self.batch.full():
            self.flush()
        self._post()
        return self.limit is not None and self._passed() >= self.limit

    def _warn(self, message: str) -> None:
        if self.on_damage:
            self.on_damage(message)

    def _passed(self) -> int:
        return self.report.kept + self.report.known + len(self.batch.rows)

    def _damage(self, source: str, item: warc.Damage) -> None:
        self.report.skipped[item.reason] += 1
        self.report.damaged.append(f"{source} @{item.offset}: {item.reason}: {item.detail}")
        if self.on_damage:
            self.on_damage(self.report.damaged[-1])

    def _post(self) -> None:
        if time.monotonic() - self._posted > 0.5:
            r = self.report
            skipped = sum(r.skipped.values())
            self.bar.set_postfix(kept=r.kept, skipped=skipped, known=r.known, refresh=False)
            self._posted = time.monotonic()
