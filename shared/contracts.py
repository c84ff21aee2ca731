"""What the stages hand each other: plain dataclasses, no I/O, no ORM.

The Celery tasks (services/*/tasks.py) translate between these and database rows, so the
pure stage logic (parsing, enrichment, fetching) can be tested and benchmarked without a broker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


# --------------------------------------------------------------------------- fetch
@dataclass
class FetchResult:
    """A downloaded response. `body` is the raw (decompressed transfer-encoding) bytes."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]
    body: bytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # a 304 answer to a conditional GET


class PipelineError(Exception):
    """Base of every error a stage records on a document.

    `transient` errors are retried with backoff; others fail the document at once.
    `retry_after` (seconds) is honoured when the server asked for it. `url` and `status` (HTTP)
    say where it happened, when that is known.
    """

    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.retry_after = retry_after


# --------------------------------------------------------------------------- parse
@dataclass
class ParsedArticle:
    """A normalized article: the output of the parse stage. Times are timezone-aware UTC."""

    url: str
    canonical_url: str
    title: str | None = None
    lead: str | None = None
    body: str = ""  # paragraphs separated by "\n\n"
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    updated_at: datetime | None = None
    # how published_at was obtained, e.g. "page-offset", "publisher-tz:Europe/Paris", "url-date"
    time_rule: str | None = None
    language: str | None = None  # BCP 47, first subtag ISO 639-1 ("zh", "en", "zh-Hant")
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image_url: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    site_name: str | None = None  # og:site_name or equivalent, helps publisher enrichment
    fetched_at: datetime | None = None  # only when the input itself says (saved snapshots)
    flags: list[str] = field(default_factory=list)  # e.g. "date-in-future", "date-before-1990"
    extractor: str = ""  # name/version of the code path that produced it
    # published_at in the zone the page or publisher gives (aware), for calendar-day questions
    published_local: datetime | None = None
    # "article", or what else the page is ("listing", "forum"...) when its main text is kept
    page_type: str = "article"


class ParseFailure(PipelineError):
    """The page could not be turned into an article (undecodable, malformed...)."""


class NotAnArticle(ParseFailure):
    """The page is fine but is not an article: listing, soft-404, block page, empty body.

    `kind` is one of: "listing", "soft-404", "blocked", "no-body", "not-html".
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


# --------------------------------------------------------------------------- enrich
@dataclass
class EntityMention:
    """One distinct entity in an article (aliases merged into `name`)."""

    name: str  # canonical name, e.g. "普京"
    type: str  # "PER" | "LOC" | "ORG"
    mentions: int  # occurrences in title + body
    offsets: list[tuple[int, int]] = field(default_factory=list)  # [start, end) into body


@dataclass
class CitedSource:
    """A news outlet the article gives as the source of what it reports."""

    name: str  # canonical display name in the article's language, e.g. "朝中社"
    name_en: str  # e.g. "KCNA"
    country: str | None  # ISO 3166-1 alpha-2, e.g. "KP"
    kind: str  # "wire-agency" | "newspaper" | "broadcaster" | "online" | "other"
    mentions: int


@dataclass
class PublisherInfo:
    """Who published an article."""

    domain: str  # registrable domain, e.g. "rfi.fr"
    name: str  # in the edition's language, e.g. "法国国际广播电台"
    name_en: str | None  # e.g. "RFI"
    country: str | None  # ISO 3166-1 alpha-2, e.g. "FR"
    language: str | None  # edition language, e.g. "zh"
    kind: str | None = None  # e.g. "public international broadcaster"
    timezone: str | None = None  # IANA zone for local-only page times, e.g. "Europe/Paris"


@dataclass
class Enrichment:
    entities: list[EntityMention] = field(default_factory=list)
    cited_sources: list[CitedSource] = field(default_factory=list)
    # outlets named only in picture credits (图/新华社, Photo: AFP): credited, not cited
    credited_sources: list[CitedSource] = field(default_factory=list)
    enricher: str = ""  # name/version of the enricher
    # what the store boundary had to clean or cap (shared.sanitize), added to the article's flags
    flags: list[str] = field(default_factory=list)
