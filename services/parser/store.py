"""The parse stage's SQL: load raw responses, store articles (deduplicated), settle documents.

Plumbing beside services/parser/tasks.py: the decisions themselves are services.parser.dedup.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.parser.dedup import Fingerprint, StoredText, decide_batch, near_duplicate
from shared.models import Article, DocState, Document
from shared.pipeline import settle_params, settle_statement

_docs = Document.__table__
_articles = Article.__table__
# Every outcome of a parse is one guarded UPDATE shape, run as one executemany per batch.
SETTLE = settle_statement(
    DocState.fetched,
    # a snapshot carries its own fetch time; everything else keeps the fetcher's
    fetched_at=func.coalesce(
        bindparam("snapshot_fetched_at", type_=_docs.c.fetched_at.type), _docs.c.fetched_at
    ),
)
# columns the parse stage does not write (set by the database or by enrich)
_NOT_FROM_PARSE = {"id", "parsed_at", "enriched_at", "enricher_version", "publisher_id"}
_LINK_NEAR_DUPLICATE = (
    update(_articles)
    .where(_articles.c.id == bindparam("article_id"))
    .values(duplicate_of=bindparam("cluster"))
)


def load_documents(db: Session, document_ids: list[int]) -> list[Row]:
    """The batch's documents still waiting for parse (unknown or already parsed ones drop out)."""
    return db.execute(
        select(
            Document.id, Document.origin, Document.url, Document.final_url,
            Document.response_headers, Document.hints, Document.raw_body, Document.fetched_at,
        )
        .where(Document.id.in_(document_ids), Document.state == DocState.fetched)
        .order_by(Document.id)
    ).all()  # fmt: skip


def outcome(
    document_id: int,
    to: DocState,
    exc: BaseException | None = None,
    *,
    duplicate: str | None = None,
    fetched_at: datetime | None = None,
) -> dict[str, Any]:
    """Parameters of SETTLE for one document."""
    error = ("Duplicate", duplicate) if duplicate is not None else None
    return settle_params(document_id, to, exc, error=error, snapshot_fetched_at=fetched_at)


def _article_values(p: Fingerprint, duplicate_of: int | None) -> dict[str, Any]:
    a = p.article
    return dict(
        document_id=p.document_id, url=a.url, canonical_url=a.canonical_url, title=a.title,
        lead=a.lead, body=a.body, authors=a.authors, published_at=a.published_at,
        updated_at=a.updated_at, time_rule=a.time_rule, language=a.language, section=a.section,
        tags=a.tags, image_url=a.image_url, image_caption=a.image_caption,
        image_credit=a.image_credit, site_name=a.site_name, flags=_flags(a),
        content_hash=p.digest, extractor_version=a.extractor, minhash=p.signature,
        lsh_bands=p.bands, duplicate_of=duplicate_of,
    )  # fmt: skip


def _flags(a) -> list[str]:
    """The article's flags; a page that is not an article (a forum thread, a listing a user
    enqueued) keeps its text and says what it is."""
    kind = [f"page-type:{a.page_type}"] if a.page_type and a.page_type != "article" else []
    return list(dict.fromkeys([*a.flags, *kind]))


def _build_upsert():
    """INSERT articles, or replace a document's earlier article (reparse); (id, document id).

    Built once: executed with a list of rows it becomes one multi-row INSERT per batch.
    """
    stmt = insert(_articles)
    columns = [c.name for c in _articles.c if c.name not in _NOT_FROM_PARSE]
    return stmt.on_conflict_do_update(
        index_elements=[_articles.c.document_id],
        set_={c: stmt.excluded[c] for c in columns if c != "document_id"}
        | {"parsed_at": func.now(), "enriched_at": None},
    ).returning(_articles.c.id, _articles.c.document_id)


_UPSERT = _build_upsert()


def store_articles(db: Session, parsed: list[Fingerprint]) -> dict[int, int | str]:
    """Article id per document, or why it is a duplicate (canonical URL / content hash).

    A concurrent worker may store the same canonical URL or content between our check and our
    insert (IntegrityError): then one document at a time, the unique constraints deciding.
    """
    try:
        with db.begin_nested():
            return _store_batch(db, parsed)
    except IntegrityError:
        return {p.document_id: _store_one(db, p) for p in parsed}


def _store_batch(db: Session, parsed: list[Fingerprint]) -> dict[int, int | str]:
    """One SELECT finds exact duplicates among stored articles, one finds near-duplicate
    candidates (LSH bands), one INSERT stores the batch."""
    if not parsed:
        return {}
    owner: dict[tuple[str, str], int] = {}  # ("url"|"hash", value) -> document id
    for doc_id, canonical, digest in db.execute(
        select(Article.document_id, Article.canonical_url, Article.content_hash).where(
            Article.canonical_url.in_([p.article.canonical_url for p in parsed])
            | Article.content_hash.in_([p.digest for p in parsed])
        )
    ):
        owner.setdefault(("url", canonical), doc_id)
        owner.setdefault(("hash", digest), doc_id)
    decisions, kept = decide_batch(parsed, owner, _near_duplicate_candidates(db, parsed))
    rows = [_article_values(p, decisions[p.document_id].cluster) for p in kept]
    by_document = dict((d, i) for i, d in db.execute(_UPSERT, rows)) if rows else {}
    ids = [by_document[p.document_id] for p in kept]
    links = []
    for i, p in enumerate(kept):
        mate = decisions[p.document_id].mate
        if mate is not None:  # the mate's row is final by now: rows are resolved in order
            rows[i]["duplicate_of"] = rows[mate]["duplicate_of"] or ids[mate]
            links.append({"article_id": ids[i], "cluster": rows[i]["duplicate_of"]})
    if links:
        db.execute(_LINK_NEAR_DUPLICATE, links)
    stored: dict[int, int | str] = {
        doc: d.duplicate for doc, d in decisions.items() if d.duplicate is not None
    }
    stored.update((p.document_id, article_id) for p, article_id in zip(kept, ids, strict=True))
    return stored


def _near_duplicate_candidates(
    db: Session, parsed: list[Fingerprint]
) -> list[tuple[StoredText, int]]:
    """Stored articles sharing an LSH band with any article of the batch, oldest first,
    each with the cluster it belongs to (its duplicate_of, else itself)."""
    bands = sorted({b for p in parsed if p.near_dup_eligible for b in p.bands})
    if not bands:
        return []
    rows = db.execute(
        select(Article.id, Article.minhash, Article.duplicate_of, Article.lsh_bands)
        .where(
            Article.lsh_bands.overlap(bands),
            Article.document_id.not_in([p.document_id for p in parsed]),
        )
        .order_by(Article.id)
        .limit(100 * len(parsed))
    ).all()
    return [(StoredText(r[1] or [], set(r[3] or ())), r[2] or r[0]) for r in rows]


def _store_one(db: Session, p: Fingerprint) -> int | str:
    """The careful path: one savepoint per document, the unique constraints decide."""
    values = _article_values(p, near_duplicate(p, _near_duplicate_candidates(db, [p])))
    try:
        with db.begin_nested():
            return db.execute(_UPSERT, [values]).one()[0]
    except IntegrityError:
        other = db.scalar(
            select(Article.document_id).where(
                Article.document_id != p.document_id,
                (Article.canonical_url == p.article.canonical_url)
                | (Article.content_hash == p.digest),
            )
        )
        return f"same canonical URL or content as document {other}"
