"""Celery plumbing of the parse stage: raw responses -> article rows -> send to enrich.

The extraction itself is services.parser (pure functions of bytes + URL). A parse message
carries a batch of document ids (shared.dispatch): one SELECT loads them, one transaction stores
every outcome, one message sends the new articles on to enrich.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.parser import apply_hints, parse_feed_item, parse_page, parse_snapshot
from shared import minhash
from shared.celery_app import INFRA_RETRY, app
from shared.contracts import NotAnArticle, ParsedArticle
from shared.db import session_scope
from shared.dispatch import send_ids
from shared.heartbeat import beat
from shared.logs import item_context
from shared.metrics import stage_cpu
from shared.models import Article, DocState, Document
from shared.pipeline import decompress, settle_params, settle_statement

log = logging.getLogger(__name__)

_SPACE = re.compile(r"\s+")
T = TypeVar("T")
# Short texts share too many shingles by chance to call them near-duplicates.
MIN_NEAR_DUP_CHARS = 200
_docs = Document.__table__
# Every outcome of a parse is one guarded UPDATE shape, run as one executemany per batch.
_SETTLE = settle_statement(
    DocState.fetched,
    # a snapshot carries its own fetch time; everything else keeps the fetcher's
    fetched_at=func.coalesce(
        bindparam("snapshot_fetched_at", type_=_docs.c.fetched_at.type), _docs.c.fetched_at
    ),
)


def content_hash(body: str) -> str:
    """Hash of the body with whitespace collapsed: equal text, equal hash."""
    return hashlib.sha256(_SPACE.sub(" ", body).strip().encode("utf-8")).hexdigest()


def parse_document(doc: Document | Row, raw: bytes) -> ParsedArticle:
    """Run the right parser for how the document came in (`raw`: its decompressed body)."""
    hints = doc.hints or {}
    if doc.origin == "snapshot":
        return parse_snapshot(raw)
    if hints.get("feed_item"):
        return parse_feed_item(hints["feed_item"], hints.get("feed_url") or doc.url)
    parsed = parse_page(raw, doc.final_url or doc.url, doc.response_headers or {})
    return apply_hints(parsed, hints)


@dataclass(eq=False)
class _Parsed:
    document_id: int
    article: ParsedArticle
    signature: list[int]
    digest: str

    def __post_init__(self) -> None:
        self.bands = minhash.bands(self.signature)
        self.band_set = set(self.bands)
        # short texts share too many shingles by chance to call them near-duplicates
        self.near_dup_eligible = len(self.article.body) >= MIN_NEAR_DUP_CHARS


@app.task(name="newsflow.parse", **INFRA_RETRY)
def parse(document_ids: list[int]) -> str:
    """Raw responses -> article rows, in one transaction; then send the articles to enrich."""
    outcomes: Counter[str] = Counter()
    settle: list[dict[str, Any]] = []
    with session_scope() as db:
        docs = db.execute(
            select(
                Document.id, Document.origin, Document.url, Document.final_url,
                Document.response_headers, Document.hints, Document.raw_body,
            )
            .where(Document.id.in_(document_ids), Document.state == DocState.fetched)
            .order_by(Document.id)
        ).all()  # fmt: skip
        outcomes["skipped"] = len(document_ids) - len(docs)  # unknown, or already parsed
        parsed: list[_Parsed] = []
        for doc in docs:
            beat()
            with item_context(doc.id):
                try:
                    raw = decompress(doc.raw_body) if doc.raw_body is not None else b""
                    # the stage's logic: extraction and the dedup fingerprints of the text
                    with stage_cpu("parse"):
                        article = parse_document(doc, raw)
                        signature = minhash.signature(f"{article.title or ''}\n{article.body}")
                        one = _Parsed(doc.id, article, signature, content_hash(article.body))
                except NotAnArticle as exc:
                    settle.append(_outcome(doc.id, DocState.rejected, exc))
                    continue
                except Exception as exc:  # deterministic: retrying would fail the same way
                    log.warning("document %s: parse failed: %r", doc.id, exc)
                    settle.append(_outcome(doc.id, DocState.failed, exc))
                    continue
            parsed.append(one)
        try:
            with db.begin_nested():
                stored = _store_batch(db, parsed)
        except IntegrityError:
            # another worker stored the same canonical URL or content between our check and
            # our insert: store one document at a time, each deciding its own duplicate
            stored = {p.document_id: _store_one(db, p) for p in parsed}
        for p in parsed:
            article_id = stored[p.document_id]
            if isinstance(article_id, str):  # why it is a duplicate
                settle.append(_outcome(p.document_id, DocState.duplicate, duplicate=article_id))
            else:
                settle.append(
                    _outcome(p.document_id, DocState.parsed, fetched_at=p.article.fetched_at)
                )
        if settle:
            db.execute(_SETTLE, settle)
    for row in settle:
        outcomes[row["to"].value] += 1
    send_ids("newsflow.enrich", [a for a in stored.values() if isinstance(a, int)])
    return ", ".join(f"{n} {what}" for what, n in outcomes.items() if n)


def _outcome(
    document_id: int,
    to: DocState,
    exc: BaseException | None = None,
    *,
    duplicate: str | None = None,
    fetched_at: datetime | None = None,
) -> dict[str, Any]:
    """Parameters of _SETTLE for one document."""
    error = ("Duplicate", duplicate) if duplicate is not None else None
    return settle_params(document_id, to, exc, error=error, snapshot_fetched_at=fetched_at)


def _article_values(p: _Parsed, duplicate_of: int | None) -> dict[str, Any]:
    a = p.article
    return dict(
        document_id=p.document_id,
        url=a.url,
        canonical_url=a.canonical_url,
        title=a.title,
        lead=a.lead,
        body=a.body,
        authors=a.authors,
        published_at=a.published_at,
        updated_at=a.updated_at,
        time_rule=a.time_rule,
        language=a.language,
        section=a.section,
        tags=a.tags,
        image_url=a.image_url,
        image_caption=a.image_caption,
        image_credit=a.image_credit,
        site_name=a.site_name,
        flags=a.flags,
        content_hash=p.digest,
        extractor_version=a.extractor,
        minhash=p.signature,
        lsh_bands=p.bands,
        duplicate_of=duplicate_of,
    )


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


_articles = Article.__table__
# columns the parse stage does not write (set by the database or by enrich)
_NOT_FROM_PARSE = {"id", "parsed_at", "enriched_at", "enricher_version", "publisher_id"}
_UPSERT = _build_upsert()
_LINK_NEAR_DUPLICATE = (
    update(_articles)
    .where(_articles.c.id == bindparam("article_id"))
    .values(duplicate_of=bindparam("cluster"))
)


def _store_batch(db: Session, parsed: list[_Parsed]) -> dict[int, int | str]:
    """Article id per document, or why it is a duplicate (canonical URL / content hash).

    One SELECT finds exact duplicates among stored articles, one finds near-duplicate candidates
    (LSH bands) for the whole batch, one INSERT stores the batch; documents of the batch are
    compared with each other in memory. The unique constraints still guard against a concurrent
    worker (IntegrityError: the caller falls back to one document at a time).
    """
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
    stored_texts = _near_duplicate_candidates(db, parsed)
    stored: dict[int, int | str] = {}
    kept: list[_Parsed] = []
    rows: list[dict[str, Any]] = []
    mates: list[int | None] = []  # per row: the earlier row of this batch it nearly copies
    for p in parsed:
        keys = (("url", p.article.canonical_url), ("hash", p.digest))
        other = next((owner[k] for k in keys if owner.get(k, p.document_id) != p.document_id), None)
        if other is not None:
            stored[p.document_id] = f"same canonical URL or content as document {other}"
            continue
        for k in keys:
            owner[k] = p.document_id
        cluster = _near_duplicate(p, stored_texts)
        mates.append(
            _near_duplicate(p, [(q, i) for i, q in enumerate(kept)]) if cluster is None else None
        )
        rows.append(_article_values(p, cluster))
        kept.append(p)
    by_document = dict((d, i) for i, d in db.execute(_UPSERT, rows)) if rows else {}
    ids = [by_document[p.document_id] for p in kept]
    links = []
    for i, mate in enumerate(mates):
        if mate is not None:  # the mate's row is final by now: rows are resolved in order
            rows[i]["duplicate_of"] = rows[mate]["duplicate_of"] or ids[mate]
            links.append({"article_id": ids[i], "cluster": rows[i]["duplicate_of"]})
    if links:
        db.execute(_LINK_NEAR_DUPLICATE, links)
    stored.update((p.document_id, article_id) for p, article_id in zip(kept, ids, strict=True))
    return stored


@dataclass
class _Text:
    """A stored article as a near-duplicate candidate."""

    signature: list[int]
    band_set: set[int]


def _near_duplicate_candidates(db: Session, parsed: list[_Parsed]) -> list[tuple[_Text, int]]:
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
    return [(_Text(r[1] or [], set(r[3] or ())), r[2] or r[0]) for r in rows]


def _near_duplicate(p: _Parsed, candidates: list[tuple[_Text | _Parsed, T]]) -> T | None:
    """The tag of the first candidate this text nearly duplicates (a shared band, then MinHash
    similarity at or above the threshold)."""
    if not p.near_dup_eligible:
        return None
    for other, tag in candidates:
        if (
            other.signature
            and p.band_set & other.band_set
            and minhash.similarity(p.signature, other.signature) >= minhash.THRESHOLD
        ):
            return tag
    return None


def _store_one(db: Session, p: _Parsed) -> int | str:
    """The careful path: one savepoint per document, the unique constraints decide."""
    values = _article_values(p, _near_duplicate(p, _near_duplicate_candidates(db, [p])))
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
