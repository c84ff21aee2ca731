"""Celery plumbing of the enrich stage: article -> entities, cited sources, publisher rows.

The extraction itself is services.enricher (pure functions of text).
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.enricher import ENRICHER_VERSION, publisher_for
from services.enricher import enrich as extract
from shared.celery_app import INFRA_RETRY, app
from shared.contracts import Enrichment, PublisherInfo
from shared.db import session_scope
from shared.metrics import stage_cpu
from shared.models import (
    Article,
    ArticleCitedSource,
    ArticleEntity,
    CitedSource,
    DocState,
    Document,
    Entity,
    Publisher,
)
from shared.pipeline import error_fields, transition

log = logging.getLogger(__name__)


@app.task(name="newsflow.enrich", **INFRA_RETRY)
def enrich(article_id: int) -> str:
    with session_scope() as db:
        row = db.execute(
            select(Article, Document.state)
            .join(Document, Document.id == Article.document_id)
            .where(Article.id == article_id)
        ).first()
        if row is None or row[1] != DocState.parsed:
            return "skipped"  # unknown, already enriched by an earlier delivery, or reset
        article = row[0]
        document_id = article.document_id
        try:
            with stage_cpu("enrich"):
                result = extract(
                    article.title, article.body, article.language, publisher=article.url
                )
                publisher = publisher_for(article.url, article.site_name, article.language)
        except Exception as exc:
            log.warning("article %s: enrich failed: %r", article_id, exc)
            transition(
                db, document_id, from_states=(DocState.parsed,), to=DocState.failed,
                **error_fields(exc),
            )  # fmt: skip
            return "failed"
        store_enrichment(db, article, result, publisher)
        transition(db, document_id, from_states=(DocState.parsed,), to=DocState.enriched)
    return "enriched"


def store_enrichment(
    db: Session, article: Article, result: Enrichment, publisher: PublisherInfo
) -> None:
    """Replace the article's entity and source links with `result`; upsert shared records."""
    article.publisher_id = _upsert_publisher(db, publisher)
    db.execute(delete(ArticleEntity).where(ArticleEntity.article_id == article.id))
    db.execute(delete(ArticleCitedSource).where(ArticleCitedSource.article_id == article.id))
    if result.entities:
        ids = _upsert_returning(
            db,
            Entity,
            [{"name": e.name, "type": e.type} for e in result.entities],
            ["type", "name"],
        )
        db.execute(
            insert(ArticleEntity),
            [
                {
                    "article_id": article.id,
                    "entity_id": ids[(e.type, e.name)],
                    "mentions": e.mentions,
                    "offsets": [list(o) for o in e.offsets],
                }
                for e in result.entities
            ],
        )
    if result.cited_sources:
        rows = [
            {"name_en": c.name_en, "name": c.name, "country": c.country, "kind": c.kind}
            for c in result.cited_sources
        ]
        ids = _upsert_returning(db, CitedSource, rows, ["name_en"])
        db.execute(
            insert(ArticleCitedSource),
            [
                {
                    "article_id": article.id,
                    "source_id": ids[(c.name_en,)],
                    "name": c.name,
                    "mentions": c.mentions,
                }
                for c in result.cited_sources
            ],
        )
    article.enricher_version = result.enricher or ENRICHER_VERSION
    article.enriched_at = func.now()


def _upsert_returning(db: Session, model, rows: list[dict], keys: list[str]) -> dict[tuple, int]:
    """INSERT ... ON CONFLICT DO UPDATE RETURNING id, keyed by the conflict columns."""
    by_key = {tuple(r[k] for k in keys): r for r in rows}
    unique = [by_key[k] for k in sorted(by_key)]  # one lock order for every worker: no deadlocks
    stmt = insert(model).values(unique)
    update_cols = {c: stmt.excluded[c] for c in unique[0] if c not in keys} or {
        keys[0]: stmt.excluded[keys[0]]  # a no-op update so RETURNING sees existing rows
    }
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_=update_cols).returning(
        model.id, *[getattr(model, k) for k in keys]
    )
    return {tuple(row[1:]): row[0] for row in db.execute(stmt)}


def _upsert_publisher(db: Session, info: PublisherInfo) -> int:
    row = {
        "domain": info.domain,
        "language": info.language or "",
        "name": info.name,
        "name_en": info.name_en,
        "country": info.country,
        "kind": info.kind,
    }
    ids = _upsert_returning(db, Publisher, [row], ["domain", "language"])
    return ids[(info.domain, info.language or "")]
