"""Celery plumbing of the enrich stage: articles -> entities, cited sources, publisher rows.

An enrich message carries a batch of article ids. The task loads them (services.enricher.store),
tags all their texts together with the pure enricher (services.enricher), and stores every
table with one bulk statement for the batch; an article whose enrichment or store fails, fails
alone (shared.runtime.batch).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Row

from services.enricher import enrich_many, publisher_for
from services.enricher.store import SETTLE, load_articles, store_enrichments
from shared.contracts import Enrichment, PublisherInfo
from shared.db import session_scope
from shared.models import DocState
from shared.pipeline import settle_params
from shared.runtime.batch import process_together, store_isolated, summary
from shared.runtime.celery_app import app
from shared.runtime.handover import hand_over
from shared.runtime.stage_task import StageTask
from shared.runtime.stages import stage
from shared.sanitize import sanitize_enrichment, sanitize_publisher

STAGE = stage("enrich")
Done = tuple[int, Enrichment, PublisherInfo]


def _enrich_rows(rows: Sequence[Row]) -> list[tuple[Enrichment, PublisherInfo]]:
    results = enrich_many(
        [(r.title, r.body, r.language) for r in rows], publishers=[r.url for r in rows]
    )
    return [
        # storable: entities one per (name, type), bounded sizes, no unstorable characters
        (
            _storable(res, r.flags or []),
            sanitize_publisher(publisher_for(r.url, r.site_name, r.language)),
        )
        for r, res in zip(rows, results, strict=True)
    ]


def _storable(res: Enrichment, article_flags: list[str]) -> Enrichment:
    """The enrichment as the store boundary leaves it; what it cleaned joins the article's flags."""
    cleaned, flags = sanitize_enrichment(res)
    return replace(cleaned, flags=list(dict.fromkeys([*article_flags, *flags])))


@app.task(name=STAGE.task, base=StageTask)
def enrich(article_ids: list[int]) -> str:
    """Enrich a batch of articles and store the results in one transaction."""
    with session_scope() as db:
        rows = load_articles(db, article_ids)
        outcomes = Counter(skipped=len(article_ids) - len(rows))
        results = process_together(STAGE.name, rows, lambda r: r.id, _enrich_rows)
        errors = {row.id: res for row, res in results if isinstance(res, Exception)}
        done: list[Done] = [(row.id, *res) for row, res in results if row.id not in errors]
        # enricher_version survives a reparse (enriched_at does not): links may exist
        enriched_before = {row.id for row in rows if row.enricher_version is not None}

        def store(db, items: Sequence[Done]) -> None:
            store_enrichments(
                db, list(items), replace=[d[0] for d in items if d[0] in enriched_before]
            )

        _, failed = store_isolated(db, STAGE.name, done, lambda d: d[0], store)
        errors.update((d[0], exc) for d, exc in failed)
        settle = [
            settle_params(row.document_id, DocState.failed, errors[row.id])
            if row.id in errors
            else settle_params(row.document_id, DocState.enriched)
            for row in rows
        ]
        if settle:
            db.execute(SETTLE, settle)
    outcomes.update(row["to"].value for row in settle)
    hand_over(STAGE.name, [row.id for row in rows if row.id not in errors])
    return summary(outcomes)
