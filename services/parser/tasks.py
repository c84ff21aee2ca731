"""Celery plumbing of the parse stage: raw response -> article row -> send to enrich.

The extraction itself is services.parser (pure functions of bytes + URL).
"""

from __future__ import annotations

import hashlib
import logging
import re

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from services.parser import apply_hints, parse_feed_item, parse_page, parse_snapshot
from shared import minhash
from shared.celery_app import INFRA_RETRY, app
from shared.contracts import NotAnArticle, ParsedArticle
from shared.db import session_scope
from shared.metrics import stage_cpu
from shared.models import Article, DocState, Document
from shared.pipeline import decompress, error_fields, transition

log = logging.getLogger(__name__)

_SPACE = re.compile(r"\s+")


def content_hash(body: str) -> str:
    """Hash of the body with whitespace collapsed: equal text, equal hash."""
    return hashlib.sha256(_SPACE.sub(" ", body).strip().encode("utf-8")).hexdigest()


def parse_document(doc: Document) -> ParsedArticle:
    """Run the right parser for how the document came in."""
    raw = decompress(doc.raw_body) if doc.raw_body is not None else b""
    hints = doc.hints or {}
    if doc.origin == "snapshot":
        return parse_snapshot(raw)
    if hints.get("feed_item"):
        return parse_feed_item(hints["feed_item"], hints.get("feed_url") or doc.url)
    parsed = parse_page(raw, doc.final_url or doc.url, doc.response_headers or {})
    return apply_hints(parsed, hints)


@app.task(name="newsflow.parse", **INFRA_RETRY)
def parse(document_id: int) -> str:
    """Raw response -> article row, in one transaction; then send the article to enrich."""
    with session_scope() as db:
        doc = db.get(Document, document_id, options=[undefer(Document.raw_body)])
        if doc is None or doc.state != DocState.fetched:
            return "skipped"  # unknown, or already parsed by an earlier delivery
        try:
            with stage_cpu("parse"):
                parsed = parse_document(doc)
                signature = minhash.signature(f"{parsed.title or ''}\n{parsed.body}")
        except NotAnArticle as exc:
            transition(
                db, document_id, from_states=(DocState.fetched,), to=DocState.rejected,
                **error_fields(exc),
            )  # fmt: skip
            return "rejected"
        except Exception as exc:  # parsing is deterministic: retrying would fail the same way
            log.warning("document %s: parse failed: %r", document_id, exc)
            transition(
                db, document_id, from_states=(DocState.fetched,), to=DocState.failed,
                **error_fields(exc),
            )  # fmt: skip
            return "failed"
        try:
            article_id = _store(db, document_id, parsed, signature)
        except _Duplicate as dup:
            transition(
                db, document_id, from_states=(DocState.fetched,), to=DocState.duplicate,
                last_error_class="Duplicate", last_error_message=str(dup),
            )  # fmt: skip
            return "duplicate"
    if article_id is not None:
        app.send_task("newsflow.enrich", (article_id,))
    return "parsed"


class _Duplicate(Exception):
    pass


# Short texts share too many shingles by chance to call them near-duplicates.
MIN_NEAR_DUP_CHARS = 200


def _near_duplicate_of(db, document_id: int, signature: list[int], body_len: int) -> int | None:
    """The cluster (oldest article) this text nearly duplicates: LSH candidates, then MinHash."""
    if body_len < MIN_NEAR_DUP_CHARS:
        return None
    rows = db.execute(
        select(Article.id, Article.minhash, Article.duplicate_of)
        .where(
            Article.lsh_bands.overlap(minhash.bands(signature)),
            Article.document_id != document_id,
        )
        .order_by(Article.id)
        .limit(100)
    ).all()
    for article_id, other, cluster in rows:
        if other and minhash.similarity(signature, other) >= minhash.THRESHOLD:
            return cluster or article_id
    return None


def _store(
    db: Session, document_id: int, parsed: ParsedArticle, signature: list[int]
) -> int | None:
    """Upsert the article of this document and move it to parsed; the new article id.

    The unique canonical URL and content hash decide duplicates (no check-then-insert race).
    """
    digest = content_hash(parsed.body)
    values = dict(
        document_id=document_id,
        url=parsed.url,
        canonical_url=parsed.canonical_url,
        title=parsed.title,
        lead=parsed.lead,
        body=parsed.body,
        authors=parsed.authors,
        published_at=parsed.published_at,
        updated_at=parsed.updated_at,
        time_rule=parsed.time_rule,
        language=parsed.language,
        section=parsed.section,
        tags=parsed.tags,
        image_url=parsed.image_url,
        image_caption=parsed.image_caption,
        image_credit=parsed.image_credit,
        site_name=parsed.site_name,
        flags=parsed.flags,
        content_hash=digest,
        extractor_version=parsed.extractor,
        minhash=signature,
        lsh_bands=minhash.bands(signature),
        duplicate_of=_near_duplicate_of(db, document_id, signature, len(parsed.body)),
    )
    stmt = insert(Article).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Article.document_id],
        set_={k: stmt.excluded[k] for k in values if k != "document_id"}
        | {"parsed_at": func.now(), "enriched_at": None},
    ).returning(Article.id)
    try:
        article_id = db.execute(stmt).scalar_one()
    except IntegrityError as exc:
        db.rollback()  # the caller records the duplicate in a fresh transaction
        other = db.scalar(
            select(Article.document_id).where(
                Article.document_id != document_id,
                (Article.canonical_url == parsed.canonical_url) | (Article.content_hash == digest),
            )
        )
        raise _Duplicate(f"same canonical URL or content as document {other}") from exc
    doc_fields = {}
    if parsed.fetched_at is not None:
        doc_fields["fetched_at"] = parsed.fetched_at
    moved = transition(
        db,
        document_id,
        from_states=(DocState.fetched,),
        to=DocState.parsed,
        last_error_class=None,
        last_error_message=None,
        **doc_fields,
    )
    return article_id if moved else None
