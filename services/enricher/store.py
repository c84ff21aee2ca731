"""The enrich stage's SQL: load articles, store entities, cited sources and publishers.

Plumbing beside services/enricher/tasks.py: each table is written with one bulk statement for
the whole batch.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Row, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.enricher import ENRICHER_VERSION
from shared.contracts import Enrichment, PublisherInfo
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
from shared.pipeline import settle_statement

_articles = Article.__table__
SETTLE = settle_statement(DocState.parsed)
_MARK_ENRICHED = (
    update(_articles)
    .where(_articles.c.id == bindparam("article_id"))
    .values(
        publisher_id=bindparam("publisher"),
        enricher_version=bindparam("version"),
        enriched_at=func.now(),
        flags=bindparam("flags"),
    )
)


def load_articles(db: Session, article_ids: list[int]) -> list[Row]:
    """The batch's articles still waiting for enrich (unknown, already enriched by an earlier
    delivery, or reset ones drop out)."""
    return db.execute(
        select(
            Article.id, Article.document_id, Article.title, Article.body, Article.language,
            Article.url, Article.site_name, Article.enricher_version, Article.flags,
        )
        .join(Document, Document.id == Article.document_id)
        .where(Article.id.in_(article_ids), Document.state == DocState.parsed)
        .order_by(Article.id)
    ).all()  # fmt: skip


def store_enrichments(
    db: Session, done: list[tuple[int, Enrichment, PublisherInfo]], replace: list[int]
) -> None:
    """Store each article's entity and source links (`replace`: articles enriched before,
    whose old links go first); upsert the shared records. One statement per table per batch."""
    if not done:
        return
    publishers = _upsert_returning(
        db, Publisher, [_publisher_row(pub) for _, _, pub in done], ["domain", "language"]
    )
    if replace:
        db.execute(delete(ArticleEntity).where(ArticleEntity.article_id.in_(replace)))
        db.execute(delete(ArticleCitedSource).where(ArticleCitedSource.article_id.in_(replace)))
    entity_rows = [{"name": e.name, "type": e.type} for _, res, _ in done for e in res.entities]
    if entity_rows:
        entity_ids = _upsert_returning(db, Entity, entity_rows, ["type", "name"])
        db.execute(
            insert(ArticleEntity.__table__),
            [
                {
                    "article_id": article_id,
                    "entity_id": entity_ids[(e.type, e.name)],
                    "mentions": e.mentions,
                    "offsets": [list(o) for o in e.offsets],
                }
                for article_id, res, _ in done
                for e in res.entities
            ],
        )
    links = [
        (article_id, role, c)
        for article_id, res, _ in done
        for role, sources in (("cited", res.cited_sources), ("credit", res.credited_sources))
        for c in sources
    ]
    if links:
        source_rows = [
            {"name_en": c.name_en, "name": c.name, "country": c.country, "kind": c.kind}
            for _, _, c in links
        ]
        source_ids = _upsert_returning(db, CitedSource, source_rows, ["name_en"])
        db.execute(
            insert(ArticleCitedSource.__table__),
            [
                {
                    "article_id": article_id,
                    "source_id": source_ids[(c.name_en,)],
                    "role": role,
                    "name": c.name,
                    "mentions": c.mentions,
                }
                for article_id, role, c in links
            ],
        )
    db.execute(
        _MARK_ENRICHED,
        [
            {
                "article_id": article_id,
                "publisher": publishers[(pub.domain, pub.language or "")],
                "version": res.enricher or ENRICHER_VERSION,
                "flags": res.flags,
            }
            for article_id, res, pub in done
        ],
    )


def _upsert_returning(db: Session, model, rows: list[dict], keys: list[str]) -> dict[tuple, int]:
    """INSERT ... ON CONFLICT DO UPDATE RETURNING id, keyed by the conflict columns.

    One statement shape per table (cached), run with the whole list of rows: SQLAlchemy sends
    it as multi-row INSERTs ("insertmanyvalues") and returns every row's id with its key.
    """
    by_key = {tuple(r[k] for k in keys): r for r in rows}
    order = sorted(by_key)  # one lock order for every worker: no deadlocks
    stmt = _upsert_statement(model.__table__, tuple(keys), tuple(rows[0]))
    return {tuple(row[1:]): row[0] for row in db.execute(stmt, [by_key[k] for k in order])}


@lru_cache(maxsize=16)
def _upsert_statement(table: Table, keys: tuple[str, ...], columns: tuple[str, ...]):
    stmt = insert(table)
    update_cols = {c: stmt.excluded[c] for c in columns if c not in keys} or {
        keys[0]: stmt.excluded[keys[0]]  # a no-op update so RETURNING sees existing rows
    }
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=update_cols).returning(
        table.c.id, *[table.c[k] for k in keys]
    )


def _publisher_row(info: PublisherInfo) -> dict[str, Any]:
    return {
        "domain": info.domain,
        "language": info.language or "",
        "name": info.name,
        "name_en": info.name_en,
        "country": info.country,
        "kind": info.kind,
    }
