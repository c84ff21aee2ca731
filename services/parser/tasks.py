"""Celery plumbing of the parse stage: raw responses -> article rows -> hand over.

A parse message carries a batch of document ids. The task loads them (services.parser.store),
runs the pure extraction (services.parser) on each, stores the articles in one transaction with
the dedup decisions (services.parser.dedup) and hands the new articles over to the next stage.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Row

from services.parser import apply_hints, parse_feed_item, parse_page, parse_snapshot
from services.parser.dedup import Fingerprint
from services.parser.store import SETTLE, load_documents, outcome, store_articles
from shared.contracts import NotAnArticle, ParsedArticle
from shared.db import session_scope
from shared.models import DocState
from shared.pipeline import decompress
from shared.runtime.batch import process_each, store_isolated, summary
from shared.runtime.celery_app import app
from shared.runtime.handover import hand_over
from shared.runtime.stage_task import StageTask
from shared.runtime.stages import stage
from shared.sanitize import sanitize_article

STAGE = stage("parse")


def parse_document(doc: Row, raw: bytes) -> ParsedArticle:
    """Run the right parser for how the document came in (`raw`: its decompressed body)."""
    hints = doc.hints or {}
    if doc.origin == "snapshot":
        return parse_snapshot(raw)
    if hints.get("feed_item"):
        return parse_feed_item(hints["feed_item"], hints.get("feed_url") or doc.url)
    # the fetch time bounds the publication time: a page cannot be published after it was fetched
    parsed = parse_page(
        raw, doc.final_url or doc.url, doc.response_headers or {}, fetched_at=doc.fetched_at
    )
    return apply_hints(parsed, hints)


def _fingerprinted(doc: Row) -> Fingerprint:
    raw = decompress(doc.raw_body) if doc.raw_body is not None else b""
    # storable or a typed failure: hostile values are cleaned, capped and flagged first
    return Fingerprint.of(doc.id, sanitize_article(parse_document(doc, raw)))


@app.task(name=STAGE.task, base=StageTask)
def parse(document_ids: list[int]) -> str:
    """Raw responses -> article rows, in one transaction; then hand the articles over."""
    stored: dict[int, int | str] = {}
    with session_scope() as db:
        docs = load_documents(db, document_ids)
        outcomes = Counter(skipped=len(document_ids) - len(docs))
        results = process_each(STAGE.name, docs, lambda d: d.id, _fingerprinted)
        settle: list[dict[str, Any]] = []
        parsed: list[Fingerprint] = []
        for doc, result in results:
            if isinstance(result, Fingerprint):
                parsed.append(result)
            else:  # deterministic: retrying would fail the same way
                to = DocState.rejected if isinstance(result, NotAnArticle) else DocState.failed
                settle.append(outcome(doc.id, to, result))
        done, failed = store_isolated(
            db, STAGE.name, parsed, lambda p: p.document_id, store_articles
        )
        for part in done:
            stored.update(part)
        settle += [outcome(p.document_id, DocState.failed, exc) for p, exc in failed]
        for p in parsed:
            article_id = stored.get(p.document_id)
            if isinstance(article_id, str):  # why it is a duplicate
                settle.append(outcome(p.document_id, DocState.duplicate, duplicate=article_id))
            elif article_id is not None:
                settle.append(
                    outcome(p.document_id, DocState.parsed, fetched_at=p.article.fetched_at)
                )
        if settle:
            db.execute(SETTLE, settle)
    outcomes.update(row["to"].value for row in settle)
    hand_over(STAGE.name, [a for a in stored.values() if isinstance(a, int)])
    return summary(outcomes)
