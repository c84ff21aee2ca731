"""Articles as JSON-serializable dicts, the shape `manage.py export` writes (one per line)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from shared.db import session_scope
from shared.models import Article, ArticleCitedSource, ArticleEntity, Document


def iso_z(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC ending in Z (`2024-01-21T00:18:00Z`)."""
    if dt is None:
        return None
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def article_record(a: Article) -> dict[str, Any]:
    pub = a.publisher
    return {
        "id": a.id,
        "url": a.document.url,
        "final_url": a.url,
        "canonical_url": a.canonical_url,
        "title": a.title,
        "lead": a.lead,
        "body": a.body,
        "authors": list(a.authors or []),
        "published_at": iso_z(a.published_at),
        "updated_at": iso_z(a.updated_at),
        "time_rule": a.time_rule,
        "language": a.language,
        "section": a.section,
        "tags": list(a.tags or []),
        "image_url": a.image_url,
        "image_caption": a.image_caption,
        "image_credit": a.image_credit,
        "flags": list(a.flags or []),
        "publisher": None
        if pub is None
        else {
            "name": pub.name,
            "name_en": pub.name_en,
            "domain": pub.domain,
            "country": pub.country,
            "language": pub.language or None,
            "kind": pub.kind,
        },
        "entities": [
            {
                "name": link.entity.name,
                "type": link.entity.type,
                "mentions": link.mentions,
                "offsets": link.offsets,
            }
            for link in sorted(a.entity_links, key=lambda x: (-x.mentions, x.entity.name))
        ],
        "cited_sources": _sources(a, "cited"),
        "credited_sources": _sources(a, "credit"),
        "state": a.document.state.value,
        "attempts": a.document.attempts,
        "fetched_at": iso_z(a.document.fetched_at),
        "parsed_at": iso_z(a.parsed_at),
        "enriched_at": iso_z(a.enriched_at),
        "content_hash": a.content_hash,
        "duplicate_of": a.duplicate_of,
        "cluster": a.duplicate_of or a.id,
        "extractor_version": a.extractor_version,
        "enricher_version": a.enricher_version,
    }


def _sources(a: Article, role: str) -> list[dict[str, Any]]:
    """The article's outlets in one role: "cited" (its sources) or "credit" (picture credits)."""
    return [
        {
            "name": link.name,
            "name_en": link.source.name_en,
            "country": link.source.country,
            "kind": link.source.kind,
            "mentions": link.mentions,
        }
        for link in sorted(a.source_links, key=lambda x: -x.mentions)
        if link.role == role
    ]


def iter_articles(since: datetime | None = None, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Every article (optionally changed since `since`), oldest first, in batches."""
    last_id = 0
    while True:
        with session_scope() as db:
            stmt = (
                select(Article)
                .where(Article.id > last_id)
                .order_by(Article.id)
                .limit(batch)
                .options(
                    selectinload(Article.document).load_only(
                        Document.url, Document.state, Document.fetched_at, Document.attempts
                    ),
                    selectinload(Article.publisher),
                    selectinload(Article.entity_links).selectinload(ArticleEntity.entity),
                    selectinload(Article.source_links).selectinload(ArticleCitedSource.source),
                )
            )
            if since is not None:
                stmt = stmt.where(func.greatest(Article.parsed_at, Article.enriched_at) >= since)
            rows = db.scalars(stmt).all()
            records = [article_record(a) for a in rows]
        if not records:
            return
        yield from records
        last_id = records[-1]["id"]
