"""The WARC format (ISO 28500, WARC/1.1): building records, and reading them back resiliently.

Pure byte handling, no database: `warc_import` and `warc_export` do the storing. Building is
plain Python (it is a few header lines and two SHA-1 digests per record). Reading goes through
FastWARC for the framing and the gzip members (measured against warcio, see
docs/bulk-archives.md), with the HTTP message parsed here: the status line and headers as
received, then the body with transfer and content codings removed under a size bound.

A damaged archive is never the end of a read: a corrupt gzip member or a malformed record is
reported as one `Damage` item and reading resumes at the next record boundary (the next gzip
member, or the next `WARC/1.x` line of an uncompressed file). A source that fails (a broken
download) can be reopened at the start of the first record not handed out yet (`reopen`), so
that reading goes on with nothing lost or handed out twice.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import BinaryIO

import brotli

# --------------------------------------------------------------------------- building
HTTP_RESPONSE_TYPE = "application/http; msgtype=response"
HTTP_REQUEST_TYPE = "application/http; msgtype=request"


def sha1_digest(data: bytes) -> str:
    """A WARC digest value: `sha1:` and the base32 SHA-1, as Heritrix, wget and Common Crawl write."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def warc_date(when: datetime) -> str:
    """WARC/1.1 date: UTC, ISO 8601, with microseconds when there are any."""
    when = when.astimezone(UTC)
    spec = "microseconds" if when.microsecond else "seconds"
    return when.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def build_record(
    warc_type: str,
    block: bytes,
    *,
    target_uri: str | None = None,
    date: datetime | None = None,
    content_type: str | None = None,
    record_id: str | None = None,
    payload: bytes | None = None,
    extra: Iterable[tuple[str, str]] = (),
) -> bytes:
    """One uncompressed WARC/1.1 record. `payload`: the entity body inside `block`, digested as
    WARC-Payload-Digest (response records)."""
    head = [
        ("WARC-Type", warc_type),
        ("WARC-Record-ID", record_id or new_record_id()),
        ("WARC-Date", warc_date(date or datetime.now(UTC))),
    ]
    if target_uri is not None:
        head.append(("WARC-Target-URI", target_uri))
    head += list(extra)
    if content_type:
        head.append(("Content-Type", content_type))
    head.append(("WARC-Block-Digest", sha1_digest(block)))
    if payload is not None:
        head.append(("WARC-Payload-Digest", sha1_digest(payload)))
    head.append(("Content-Length", str(len(block))))
    lines = "".join(f"{k}: {v}\r\n" for k, v in head)
    return b"WARC/1.1\r\n" + lines.encode("utf-8") + b"\r\n" + block + b"\r\n\r\n"


def http_response_head(status: int, headers: Iterable[tuple[str, str]], reason: str = "") -> bytes:
    """Status line and header block of an HTTP/1.1 response, with the blank line."""
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    lines = [f"HTTP/1.1 {status} {reason}".rstrip()]
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


def response_record(
    url: str,
    body: bytes,
    headers: Iterable[tuple[str, str]],
    *,
    status: int = 200,
    date: datetime | None = None,
    record_id: str | None = None,
    extra: Iterable[tuple[str, str]] = (),
) -> bytes:
    """A `response` record for an HTTP exchange whose entity body is `body` (sent as is)."""
    block = http_response_head(status, headers) + body
    return build_record(
        "response",
        block,
        target_uri=url,
        date=date,
        content_type=HTTP_RESPONSE_TYPE,
        record_id=record_id,
        payload=body,
        extra=extra,
    )


def warcinfo_record(fields: dict[str, str], *, filename: str | None = None) -> bytes:
    block = "".join(f"{k}: {v}\r\n" for k, v in fields.items()).encode("utf-8")
    extra = [("WARC-Filename", filename)] if filename else []
    return build_record("warcinfo", block, content_type="application/warc-fields", extra=extra)


def gzip_member(record: bytes, level: int = 6) -> bytes:
    """One record as its own gzip member: the layout tools seek into by offset."""
    return gzip.compress(record, compresslevel=level, mtime=0)


# --------------------------------------------------------------------------- reading
HTML_TYPES = ("text/html", "application/xhtml+xml")
DEFAULT_MAX_BODY = 20 * 1024 * 1024


@dataclass
class HttpResponse:
    status: int
    reason: str
    headers: list[tuple[str, str]]  # as received: order, case and repeats kept
    body: bytes  # transfer and content codings removed

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def header_dict(self) -> dict[str, str]:
        """Lower-cased names, repeated headers joined by ", " (what the fetcher stores)."""
        out: dict[str, str] = {}
        for k, v in self.headers:
            k = k.lower()
            out[k] = f"{out[k]}, {v}" if k in out else v
        return out

    @property
    def mime(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()


class HttpError(ValueError):
    """The HTTP message inside a record cannot be read (malformed, or too large decoded)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def split_http_head(block: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
    """(status, reason, headers, raw body) of an HTTP response message."""
    end = block.find(b"\r\n\r\n")
    sep = 4
    if end < 0:  # some archives write bare LF line ends
        end, sep = block.find(b"\n\n"), 2
        if end < 0:
            raise HttpError("malformed-http", "no end of headers")
    lines = block[:end].decode("latin-1").replace("\r\n", "\n").split("\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise HttpError("malformed-http", f"status line {lines[0][:80]!r}")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # obsolete line folding
            headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
            continue
        name, colon, value = line.partition(":")
        if colon and name.strip():
            headers.append((name.strip(), value.strip()))
    return int(parts[1]), (parts[2] if len(parts) > 2 else ""), headers, block[end + sep :]


def dechunk(data: bytes, limit: int) -> bytes:
    """Remove chunked transfer coding. A missing last chunk keeps what arrived (a crawler cut)."""
    out = bytearray()
    pos = 0
    while pos < len(data):
        eol = data.find(b"\n", pos)
        if eol < 0:
            break
        size_field = data[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_field, 16)
        except ValueError as exc:
            raise HttpError("malformed-http", f"chunk size {size_field[:20]!r}") from exc
        if size == 0:
            break
        start = eol + 1
        out += data[start : start + size]
        if len(out) > limit:
            raise HttpError("too-large", f"more than {limit} bytes")
        pos = start + size
        if data[pos : pos + 2] == b"\r\n":
            pos += 2
        elif data[pos : pos + 1] == b"\n":
            pos += 1
    return bytes(out)


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    d = zlib.decompressobj(wbits)
    out = d.decompress(data, limit + 1)
    if len(out) > limit:
        raise HttpError("too-large", f"decodes to more than {limit} bytes")
    return out


def decode_content(body: bytes, coding: str, limit: int) -> bytes:
    """Remove Content-Encoding (gzip, deflate, br, identity), bounded to `limit` bytes."""
    for c in reversed([c.strip().lower() for c in coding.split(",") if c.strip()]):
        try:
            if c in ("gzip", "x-gzip"):
                body = _inflate(body, 47, limit)  # 32 + 15: gzip or zlib header
            elif c == "deflate":
                try:
                    body = _inflate(body, 15, limit)
                except zlib.error:  # raw deflate, as some servers send it
                    body = _inflate(body, -15, limit)
            elif c == "br":
                dec = brotli.Decompressor()
                body = dec.process(body, output_buffer_limit=limit + 1)
                if len(body) > limit:
                    raise HttpError("too-large", f"decodes to more than {limit} bytes")
            elif c != "identity":
                raise HttpError("bad-encoding", f"content coding {c!r}")
        except (zlib.error, brotli.error) as exc:
            raise HttpError("bad-encoding", f"{c}: {exc}") from exc
    return body


def parse_http_response(block: bytes, limit: int = DEFAULT_MAX_BODY) -> HttpResponse:
    """An HTTP response message as archived -> status, headers as received, decoded body."""
    status, reason, headers, body = split_http_head(block)
    resp = HttpResponse(status, reason, headers, b"")
    if "chunked" in (resp.header("transfer-encoding") or "").lower():
        body = dechunk(body, limit)
    if len(body) > limit:
        raise HttpError("too-large", f"more than {limit} bytes")
    resp.body = decode_content(body, resp.header("content-encoding") or "", limit)
    return resp


@dataclass
class Record:
    """One WARC record as read: its header fields and its block (the whole HTTP message)."""

    type: str  # response, request, metadata, revisit, warcinfo, resource...
    headers: dict[str, str]  # WARC header fields, names lower-cased
    block: bytes
    offset: int  # where the record starts in the (compressed) source, for lineage
    truncated: bool  # the record says WARC-Truncated, or the source ended inside it

    @property
    def record_id(self) -> str:
        return self.headers.get("warc-record-id", "")

    @property
    def target_uri(self) -> str:
        return self.headers.get("warc-target-uri", "").strip().strip("<>")

    @property
    def date(self) -> datetime | None:
        return parse_warc_date(self.headers.get("warc-date", ""))


@dataclass
class Damage:
    """A part of the source that could not be read as a record; reading went on after it."""

    reason: str  # corrupt-gzip | malformed-record
    offset: int
    detail: str


def parse_warc_date(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MAGIC = b"WARC/1."
# bytes kept behind the reading position to resume after damage; a whole-file gzip (one member)
# cannot be resumed inside anyway, so this is also the bound on memory
_KEEP = 32 * 1024 * 1024


class _Window:
    """A forward-only byte source that FastWARC reads as a file (read, tell). It keeps the bytes
    from the last record handed out on, so that reading can resume past a damaged stretch."""

    def __init__(self, raw: BinaryIO, chunk: int = 1 << 16) -> None:
        self.raw, self.chunk = raw, chunk
        self.buf = bytearray()
        self.start = 0  # absolute offset of buf[0]
        self.pos = 0  # absolute offset of the next read
        self.eof = False
        self.error: BaseException | None = None  # the source's own failure (network, disk)

    def _fill(self) -> bool:
        if self.error is not None:  # told again, should FastWARC have taken it for the end
            raise self.error
        if self.eof:
            return False
        try:
            data = self.raw.read(self.chunk)
        except BaseException as exc:  # handed back to the caller, not taken for damage
            self.error = exc
            raise
        if not data:
            self.eof = True
            return False
        self.buf += data
        if len(self.buf) > 2 * _KEEP:
            self._drop(self.start + len(self.buf) - _KEEP)
        return True

    def _drop(self, upto: int) -> None:
        upto = min(upto, self.pos)
        if upto > self.start:
            del self.buf[: upto - self.start]
            self.start = upto

    def read(self, n: int = -1) -> bytes:
        n = n if n >= 0 else 1 << 62
        while self.pos + n > self.start + len(self.buf) and self._fill():
            pass
        i = self.pos - self.start
        out = bytes(self.buf[i : i + n])
        self.pos += len(out)
        return out

    def tell(self) -> int:
        return self.pos

    def peek(self, n: int) -> bytes:
        at = self.pos
        out = self.read(n)
        self.pos = at
        return out

    def release(self, upto: int) -> None:
        """Bytes before `upto` (a record handed out) are not needed again."""
        self._drop(upto)

    def seek(self, pos: int) -> None:
        self.pos = max(pos, self.start)

    @property
    def received(self) -> int:
        """The offset after the last byte read from the source."""
        return self.start + len(self.buf)

    def holds(self, at: int, magic: bytes) -> bool:
        """Whether the bytes at `at` are still here and start with `magic`."""
        return self.start <= at and self.buf.startswith(magic, at - self.start)

    def reattach(self, raw: BinaryIO, at: int) -> None:
        """Read on from `raw`, a new source whose first byte is this one's byte `at` (at most
        `received`): what was read from `at` on is dropped, to be read again."""
        if not self.start <= at <= self.received:
            raise ValueError(f"cannot reattach at {at}: holding {self.start}-{self.received}")
        del self.buf[at - self.start :]
        self.raw, self.error, self.eof = raw, None, False
        self.pos = min(self.pos, at)

    def find(self, magic: bytes, after: int) -> int | None:
        """The first offset >= `after` where `magic` starts (read on as far as needed)."""
        at = max(after, self.start)
        while True:
            i = self.buf.find(magic, at - self.start)
            if i >= 0:
                return self.start + i
            at = max(at, self.start + len(self.buf) - len(magic) + 1)
            self.pos = self.start + len(self.buf)
            self._drop(at)
            if not self._fill():
                return None


def block_digest_ok(record: Record) -> bool:
    """False when the record's WARC-Block-Digest (sha1) disagrees with the block read."""
    declared = record.headers.get("warc-block-digest", "")
    if not declared.lower().startswith("sha1:") or not record.block:
        return True  # nothing to check against
    return sha1_digest(record.block)[5:] == declared[5:].strip().upper()


def _is_damage(exc: BaseException) -> bool:
    """FastWARC's errors for unreadable input (not the source's own failures)."""
    return isinstance(exc, (OSError, ValueError)) or type(exc).__name__ == "PanicException"


def _to_record(rec, wants) -> Record | Damage:  # noqa: ANN001 (a fastwarc.warc.WarcRecord)
    headers = {k.lower(): v for k, v in rec.headers.items()}
    kind = headers.get("warc-type", "").strip().lower()
    if not kind or "warc-record-id" not in headers or "content-length" not in headers:
        return Damage(
            "malformed-record", rec.stream_pos, "missing WARC-Type, -Record-ID or Content-Length"
        )
    item = Record(kind, headers, b"", rec.stream_pos, "warc-truncated" in headers)
    if wants is None or wants(item):
        item.block = rec.reader.read()
        if len(item.block) < rec.content_length:  # the source ended inside the record
            item.truncated = True
    return item


class StreamBroken(Exception):
    """The source failed and reading cannot go on: every record before `offset` was handed out,
    the one starting there was not read in full."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"stopped at byte {offset}: {reason}")
        self.offset, self.reason = offset, reason


# reopen(offset, error): a new source whose first byte is byte `offset` of the archive, after
# the source failed with `error`; it raises (StreamBroken, or `error`) when it will not
Reopen = Callable[[int, Exception], BinaryIO]


def read_records(
    source: BinaryIO,
    wants=None,  # noqa: ANN001
    reopen: Reopen | None = None,
) -> Iterator[Record | Damage]:
    """Every record of a WARC stream (gzip per record, whole-file gzip, or uncompressed) in
    order, and one `Damage` per unreadable stretch, after which reading resumes at the next
    record boundary. `source` needs only `read(n)`. `wants(record) -> bool` says which
    records need their block read (the others are skipped without copying it). When the
    source itself fails (a network error), `reopen` gives the rest of the archive from the
    start of the first record not handed out yet, so no record is lost or handed out twice;
    without it, or when it raises, the failure is raised here."""
    return _Reader(source, wants, reopen).items()


class _Reader:
    """The state of one read: FastWARC restarted at record boundaries after damage, and on a
    reopened source after the source failed."""

    def __init__(self, source: BinaryIO, wants, reopen: Reopen | None) -> None:  # noqa: ANN001
        self.win, self.wants, self.reopen = _Window(source), wants, reopen
        self.boundary = _WARC_MAGIC
        self.start = 0  # where FastWARC (re)starts
        self.last = -1  # offset of the last record FastWARC gave
        self.done = False  # no record boundary after the last damage
        # one item behind: a broken last record is "truncated"
        self.held: Record | Damage | None = None

    def items(self) -> Iterator[Record | Damage]:
        from fastwarc.warc import ArchiveIterator

        win = self.win
        head = self._resuming(lambda: win.peek(2), lambda: 0)
        self.boundary = _GZIP_MAGIC if head == _GZIP_MAGIC[:2] else _WARC_MAGIC
        while not self.done:
            win.seek(self.start)
            try:
                for rec in ArchiveIterator(win, parse_http=False):
                    item = _to_record(rec, self.wants)
                    if self.held is not None:
                        yield self.held
                    self.held, self.last = item, rec.stream_pos
                    win.release(self.last)
                if win.error is None:
                    break
                self._resume_at_record()  # FastWARC took the source's failure for the end
            except BaseException as exc:
                if win.error is not None:
                    self._resume_at_record()
                    continue
                if not _is_damage(exc):
                    raise
                yield from self._pass_damage(exc)
        yield from self._tail()

    def _resume_at_record(self) -> None:
        """Read on from the start of the first record not handed out: the held one (its gzip
        member is checked only once the next one starts), else where FastWARC last started."""
        at = self.held.offset if isinstance(self.held, Record) else self.start
        if not self.win.holds(at, self.boundary):
            self._fail_unresumable(at)
        self._reopen(at)
        if isinstance(self.held, Record):
            self.held = None  # read again from its start
        self.start = at

    def _fail_unresumable(self, at: int) -> None:
        error = self._resumable_error()
        if at < self.win.start:
            reason = f"the record there is longer than the {_KEEP >> 20} MB held to resume"
        elif self.boundary == _GZIP_MAGIC:
            # one deflate stream for the whole file: FastWARC's offsets in it are not member
            # starts, and byte 0 is the only place to inflate from again. Given up rather than
            # read again from 0: that re-reads and inflates everything before the cut at each
            # break, which a rerun of the import costs too (and a rerun skips what is known)
            at = self.win.received  # the only meaningful offset: how far the download got
            reason = "a whole-file gzip archive has no record boundary to resume at"
        else:
            reason = "no record boundary there"
        raise StreamBroken(at, reason) from error

    def _resumable_error(self) -> Exception:
        """The source's failure, raised again unless `reopen` may be asked to resume."""
        error = self.win.error
        if self.reopen is None or not isinstance(error, Exception):
            raise error  # no way to reopen, or not a failure of the source (KeyboardInterrupt)
        return error

    def _reopen(self, at: int) -> None:
        error = self._resumable_error()
        assert self.reopen is not None
        self.win.reattach(self.reopen(at, error), at)

    def _resuming(self, read, at):  # noqa: ANN001, ANN202
        """read(), reopening at `at()` while the source fails (outside any record)."""
        while True:
            try:
                return read()
            except BaseException:
                if self.win.error is None:
                    raise
                self._reopen(at())

    def _pass_damage(self, exc: BaseException) -> Iterator[Record | Damage]:
        """Tell a damaged stretch once, however many restarts it takes to get past it, and find
        the next record boundary after it."""
        held, since = self.held, max(self.last, self.start)
        if isinstance(held, Record) and not block_digest_ok(held):
            held = None  # its gzip member failed its CRC after its block was read
        if not isinstance(held, Damage):
            if held is not None:
                yield held
            reason = "corrupt-gzip" if "zip" in str(exc).lower() else "malformed-record"
            held = Damage(reason, since, str(exc)[:200])
        self.held = held
        # no record is being read here: the search goes on from the last byte received
        win = self.win
        nxt = self._resuming(lambda: win.find(self.boundary, since + 1), lambda: win.received)
        self.done = nxt is None
        self.start = self.start if nxt is None else nxt

    def _tail(self) -> Iterator[Record | Damage]:
        held, win = self.held, self.win
        if isinstance(held, Damage) and held.reason == "malformed-record" and win.eof:
            held.reason = "truncated"  # the stream ended inside its last record
        if held is not None:
            yield held
        cut = _cut_member(win, max(self.last, self.start))
        if cut is not None:
            yield Damage("truncated", cut, "the archive ends inside a record's header")


def _cut_member(win: _Window, last: int) -> int | None:
    """Where a gzip member that starts a record but ends before its header does begins, after
    the last record read (FastWARC passes over such a tail in silence)."""
    data = bytes(win.buf[max(0, last - win.start) :])
    if not data.startswith(_GZIP_MAGIC) or not win.eof:
        return None
    at = data.find(_GZIP_MAGIC, 1)
    while at >= 0:
        d = zlib.decompressobj(31)
        try:
            head: bytes | None = d.decompress(data[at:], 64)
        except zlib.error:  # the magic bytes inside compressed data, most likely
            head = None
        # an unfinished member that decodes so far (too short to show its WARC line, maybe)
        if head is not None and not d.eof and (not head or head.startswith(_WARC_MAGIC)):
            return win.start + max(0, last - win.start) + at
        at = data.find(_GZIP_MAGIC, at + 1)
    return None
