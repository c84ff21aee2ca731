"""How work enters the pipeline: URLs (to fetch) and saved pages (straight to parse).

Runtime layer: the discovery tasks (feeds, sitemaps) call it as well as manage.py.

Used by manage.py and by the discovery tasks. Every entry point is idempotent: a URL already
known is counted, not inserted again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert

from shared.db import session_scope
from shared.models import DocState, Document
from shared.pipeline import compress
from shared.runtime.handover import send_to
from shared.snapshot import snapshot_header
from shared.urls import host_of, normalize_url


@dataclass
class IntakeReport:
    new: list[int] = field(default_factory=list)  # document ids created
    known: int = 0  # already in the database
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (input, why)


def enqueue_urls(
    urls: Iterable[str],
    *,
    origin: str = "url",
    hints: dict[str, dict[str, Any]] | None = None,
    send: bool = True,
) -> IntakeReport:
    """Normalize, insert unseen URLs as queued documents, send a fetch task for each new one.

    `hints` maps an input URL to metadata that came with it (sitemap news tags, feed item).
    """
    report = IntakeReport()
    rows: dict[str, dict[str, Any]] = {}
    for raw in urls:
        raw = raw.strip()
        if not raw or raw.startswith("#"):
            continue
        try:
            url = normalize_url(raw)
        except Exception as exc:
            report.invalid.append((raw, str(exc)))
            continue
        if url in rows:
            report.known += 1
            continue
        rows[url] = {"url": url, "domain": host_of(url), "origin": origin}
        if hints and raw in hints:
            rows[url]["hints"] = hints[raw]
    if rows:
        with session_scope() as db:
            stmt = (
                insert(Document)
                .values(list(rows.values()))
                .on_conflict_do_nothing(index_elements=[Document.url])
                .returning(Document.id)
            )
            report.new = [r[0] for r in db.execute(stmt)]
        report.known += len(rows) - len(report.new)
    if send:
        send_to("fetch", report.new)
    return report


def import_raw(
    raw: bytes,
    *,
    url: str | None = None,
    origin: str = "file",
    hints: dict[str, Any] | None = None,
    send: bool = True,
) -> tuple[int | None, str]:
    """Store a page we already have (snapshot, saved HTML, feed item) and send it to parse.

    Returns (document id or None, "new" | "known").
    """
    fetched_at = datetime.now(UTC)
    head = snapshot_header(raw)
    if head is not None:
        url, fetched_at = url or head[0], head[1]
        origin = "snapshot"
    if not url:
        raise ValueError("no URL: pass --url for a saved HTML page")
    norm = normalize_url(url)
    with session_scope() as db:
        stmt = (
            insert(Document)
            .values(
                url=norm,
                domain=host_of(norm),
                origin=origin,
                state=DocState.fetched,
                final_url=url,
                raw_body=compress(raw),
                raw_size=len(raw),
                fetched_at=fetched_at,
                hints=hints,
            )
            .on_conflict_do_nothing(index_elements=[Document.url])
            .returning(Document.id)
        )
        doc_id = db.execute(stmt).scalar()
    if doc_id is None:
        return None, "known"
    if send:
        send_to("parse", [doc_id])
    return doc_id, "new"
