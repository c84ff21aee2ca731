"""SQLAlchemy 2.0 models. Alembic (migrations/) owns the schema; these must agree with it
(`alembic check` reports nothing)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names so migrations and models agree.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DocState(enum.StrEnum):
    queued = "queued"  # waiting for fetch
    fetching = "fetching"
    retrying = "retrying"  # a transient failure; a fetch is scheduled again
    fetched = "fetched"  # raw stored, waiting for parse
    parsed = "parsed"  # article stored, waiting for enrich
    enriched = "enriched"  # done
    failed = "failed"  # permanent error, see last_error_*
    rejected = "rejected"  # not an article (listing, block page, soft-404...), reason recorded
    duplicate = "duplicate"  # same canonical URL / content as another document's article


# States in which a document still has work ahead of it.
IN_PROGRESS = (
    DocState.queued,
    DocState.fetching,
    DocState.retrying,
    DocState.fetched,
    DocState.parsed,
)

doc_state = Enum(DocState, name="doc_state", values_callable=lambda e: [m.value for m in e])

TZ = DateTime(timezone=True)


class Publisher(Base):
    """An outlet's language edition (rfi.fr in Chinese, rfi.fr in French...)."""

    __tablename__ = "publishers"
    __table_args__ = (UniqueConstraint("domain", "language", name="uq_publishers_domain_language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(35), server_default="")
    name: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    kind: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())


class Document(Base):
    """One per normalized URL: the unit of work that moves through the stages."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_state_changed", "state", "state_changed_at"),
        Index("ix_documents_domain", "domain"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)  # normalized
    domain: Mapped[str] = mapped_column(String(255))
    origin: Mapped[str] = mapped_column(
        String(16), server_default="url"
    )  # url|feed|sitemap|snapshot|file|warc
    state: Mapped[DocState] = mapped_column(doc_state, server_default=DocState.queued.value)
    state_changed_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    # the Celery task id holding the document in `fetching` (services/fetcher/tasks.py claim)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error_class: Mapped[str | None] = mapped_column(String(64))
    last_error_message: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(SmallInteger)
    final_url: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(Text)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    # the raw response body, Zstandard-compressed (shared.pipeline): anything can be re-parsed
    # deferred: loaded only by code that reads it (parse), not with every document
    raw_body: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    raw_size: Mapped[int | None] = mapped_column(Integer)
    # metadata that came with the URL (feed item, sitemap news tags), JSON
    hints: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    fetched_at: Mapped[datetime | None] = mapped_column(TZ)
    # lineage of a WARC import (shared/ops/warc_import.py): the record, its archive and byte
    # offset there, and the HTTP head as archived (export --warc writes it back); NULL otherwise
    warc_record_id: Mapped[str | None] = mapped_column(Text)
    warc_source: Mapped[str | None] = mapped_column(Text)
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    http_head: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())

    article: Mapped[Article | None] = relationship(back_populates="document", uselist=False)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        # exact copies under another URL are one article: the second document is a `duplicate`
        Index("ix_articles_content_hash", "content_hash", unique=True),
        Index("ix_articles_published_at", "published_at"),
        Index("ix_articles_lsh_bands", "lsh_bands", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), unique=True
    )
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("publishers.id"))
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    lead: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    published_at: Mapped[datetime | None] = mapped_column(TZ)
    updated_at: Mapped[datetime | None] = mapped_column(TZ)
    time_rule: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    section: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    image_url: Mapped[str | None] = mapped_column(Text)
    image_caption: Mapped[str | None] = mapped_column(Text)
    image_credit: Mapped[str | None] = mapped_column(Text)
    site_name: Mapped[str | None] = mapped_column(Text)
    flags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    content_hash: Mapped[str] = mapped_column(String(64))
    # near-duplicates (syndicated copies, updated versions): MinHash + LSH (shared/minhash.py)
    minhash: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    lsh_bands: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    extractor_version: Mapped[str] = mapped_column(Text)
    enricher_version: Mapped[str | None] = mapped_column(Text)
    parsed_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
    enriched_at: Mapped[datetime | None] = mapped_column(TZ)

    document: Mapped[Document] = relationship(back_populates="article")
    publisher: Mapped[Publisher | None] = relationship()
    entity_links: Mapped[list[ArticleEntity]] = relationship(
        back_populates="article", cascade="all, delete-orphan"
    )
    source_links: Mapped[list[ArticleCitedSource]] = relationship(
        back_populates="article", cascade="all, delete-orphan"
    )


class Entity(Base):
    __tablename__ = "entities"
    __table_args__ = (UniqueConstraint("type", "name", name="uq_entities_type_name"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(3))  # PER | LOC | ORG


class ArticleEntity(Base):
    __tablename__ = "article_entities"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    mentions: Mapped[int] = mapped_column(Integer)
    offsets: Mapped[list[list[int]]] = mapped_column(JSONB, server_default="[]")

    article: Mapped[Article] = relationship(back_populates="entity_links")
    entity: Mapped[Entity] = relationship()


class CitedSource(Base):
    """A news outlet that articles cite as their source (KCNA, Reuters, TASS...)."""

    __tablename__ = "cited_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_en: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    kind: Mapped[str | None] = mapped_column(Text)


class ArticleCitedSource(Base):
    __tablename__ = "article_cited_sources"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("cited_sources.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # "cited": given as the source of what the article reports; "credit": named only in a
    # picture credit (图/新华社, Photo: AFP), which is not a citation
    role: Mapped[str] = mapped_column(String(8), primary_key=True, server_default="cited")
    # the name as the article's language gives it ("朝中社"), the canonical record keeps name_en
    name: Mapped[str] = mapped_column(Text)
    mentions: Mapped[int] = mapped_column(Integer)

    article: Mapped[Article] = relationship(back_populates="source_links")
    source: Mapped[CitedSource] = relationship()


class Feed(Base):
    """An RSS/Atom feed or sitemap polled on a schedule by beat (`manage.py feeds add`)."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(String(8), server_default="feed")  # feed | sitemap
    interval_seconds: Mapped[int] = mapped_column(Integer, server_default="1800")
    next_poll_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now(), index=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(TZ)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[str | None] = mapped_column(Text)  # "ok: 12 items, 3 new" / error
    items_seen: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
