"""The store boundary: make what a hostile page produced storable, or say why it is not.

Pure functions (no I/O) applied to a ParsedArticle before the parse stage stores it and to an
Enrichment (and its PublisherInfo) before the enrich stage stores them. PostgreSQL refuses some
text outright (NUL characters; lone surrogates cannot even be encoded to UTF-8), a btree index
holds entries of at most ~2.7 kB, a timestamp must be a real instant, and a page can carry sizes
no news article has (a 200,000-character title, thousands of tags, tens of thousands of entity
mentions). Each such value is cleaned, capped or dropped, and the article gets a flag that says
so; what cannot be repaired raises `UnstorableArticle` (a ParseFailure: the document fails with
that reason) or `NotAnArticle` (nothing is left of the body).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from shared.contracts import (
    CitedSource,
    Enrichment,
    EntityMention,
    NotAnArticle,
    ParsedArticle,
    ParseFailure,
    PublisherInfo,
)

# Characters PostgreSQL text and JSONB cannot hold: NUL, and UTF-16 surrogates (a lone one
# cannot be encoded to UTF-8; pages produce them through JSON-LD "\ud800" escapes).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# Indexed text: a btree entry is limited to ~2,700 bytes (a third of a page). Kept well below.
MAX_INDEXED_BYTES = 2000  # articles.canonical_url (unique)
MAX_ENTITY_NAME = 200  # entities (type, name) unique; no real entity name is longer
MAX_SOURCE_NAME = 200  # cited_sources.name_en unique
# Column types (shared/models.py)
MAX_LANGUAGE = 35  # String(35)
MAX_DOMAIN = 255  # publishers.domain String(255)
# Sizes beyond any real news article (the longest seen in the dev data are far below these).
MAX_TITLE = 1000
MAX_LEAD = 5000
MAX_BODY = 200_000
MAX_SHORT = 300  # a section, a site name, an author, a tag, a credit, a time rule
MAX_CAPTION = 2000
MAX_IMAGE_URL = 4000
MAX_AUTHORS = 20
MAX_TAGS = 50
MAX_FLAGS = 50
MAX_ENTITIES = 500  # per article, the most mentioned kept
MAX_OFFSETS = 1000  # per entity; `mentions` keeps the full count
MAX_SOURCES = 50
MAX_INT = 2**31 - 1  # Integer columns (mentions)
ENTITY_TYPES = frozenset({"PER", "LOC", "ORG"})
# A published time before this or more than a year ahead is not a real publication time.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=366)


class UnstorableArticle(ParseFailure):
    """The article cannot be stored even after cleaning (e.g. no URL fits the index)."""


class _Flags:
    """Collects flags in first-seen order, without repeats."""

    def __init__(self, existing: Iterable[str] = ()) -> None:
        self.items: list[str] = list(dict.fromkeys(existing))

    def add(self, flag: str) -> None:
        if flag not in self.items:
            self.items.append(flag)


def clean_text(value: str, flags: _Flags | None = None) -> str:
    """`value` without the characters PostgreSQL cannot store (flagged when any were there)."""
    if value.isascii() and "\x00" not in value:
        return value
    cleaned = _UNSTORABLE.sub("", value)
    if flags is not None and len(cleaned) != len(value):
        flags.add("text-unstorable-chars-removed")
    return cleaned


def _cut(value: str, limit: int, paragraph: bool = False) -> str:
    """The first `limit` characters, ending at a paragraph or word break when one is near."""
    head = value[:limit]
    for sep in ("\n\n", " ") if paragraph else (" ",):
        at = head.rfind(sep)
        if at >= limit * 0.8:
            return head[:at].rstrip()
    return head


def _text(value: str | None, limit: int, flags: _Flags, name: str, **kw: bool) -> str | None:
    if value is None:
        return None
    value = clean_text(str(value), flags)
    if len(value) > limit:
        flags.add(f"{name}-truncated")
        value = _cut(value, limit, **kw)
    return value


def _texts(values: list[str], count: int, limit: int, flags: _Flags, name: str) -> list[str]:
    """A list of short texts: each cleaned, over-long or empty ones dropped, repeats removed,
    at most `count` kept."""
    out: list[str] = []
    for v in values:
        v = clean_text(str(v), flags).strip()
        if len(v) > limit:
            flags.add(f"{name}-too-long-dropped")
        elif v and v not in out:
            out.append(v)
    if len(out) > count:
        flags.add(f"{name}-capped")
        out = out[:count]
    return out


def _url(value: str | None, flags: _Flags, name: str, limit: int) -> str | None:
    if value is None:
        return None
    value = clean_text(value, flags)
    if len(value.encode("utf-8", "replace")) > limit:
        flags.add(f"{name}-too-long-dropped")
        return None
    return value


def clean_time(value: datetime | None, flags: _Flags, name: str, now: datetime) -> datetime | None:
    """A timezone-aware UTC instant, or None (flagged) when it cannot be a real one."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        flags.add(f"{name}-invalid-dropped")
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        flags.add(f"{name}-naive-assumed-utc")
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 at +14:00, year 9999 at -12:00
        flags.add(f"{name}-out-of-range-dropped")
        return None
    if value < EARLIEST or value > now + LATEST_AHEAD:
        flags.add(f"{name}-out-of-range-dropped")
        return None
    return value


def sanitize_article(article: ParsedArticle, now: datetime | None = None) -> ParsedArticle:
    """A storable copy of `article`, with a flag per repair in `flags`.

    Raises UnstorableArticle when no URL fits the canonical URL index, NotAnArticle when no
    body text is left after cleaning.
    """
    now = now or datetime.now(UTC)
    flags = _Flags(_texts(list(article.flags), MAX_FLAGS, MAX_SHORT, _Flags(), "flags"))
    url = clean_text(article.url, flags)
    canonical = _url(article.canonical_url, flags, "canonical-url", MAX_INDEXED_BYTES)
    if canonical is None:  # the page's own URL stands in for an absurd canonical link
        canonical = _url(url, flags, "url", MAX_INDEXED_BYTES)
        if canonical is None:
            raise UnstorableArticle(
                f"canonical URL ({len(article.canonical_url.encode('utf-8', 'replace'))} bytes) "
                f"and page URL ({len(url.encode('utf-8', 'replace'))} bytes) both exceed the "
                f"{MAX_INDEXED_BYTES}-byte limit of the canonical URL index"
            )
    body = _text(article.body or "", MAX_BODY, flags, "body", paragraph=True) or ""
    if not body.strip():
        raise NotAnArticle("no-body", "no article text left after removing unstorable characters")
    language = clean_text(article.language or "", flags).strip() or None
    if language is not None and len(language) > MAX_LANGUAGE:
        flags.add("language-invalid-dropped")
        language = None
    cleaned = dataclasses.replace(
        article,
        url=url,
        canonical_url=canonical,
        title=_text(article.title, MAX_TITLE, flags, "title"),
        lead=_text(article.lead, MAX_LEAD, flags, "lead"),
        body=body,
        authors=_texts(list(article.authors), MAX_AUTHORS, MAX_SHORT, flags, "authors"),
        published_at=clean_time(article.published_at, flags, "published-at", now),
        updated_at=clean_time(article.updated_at, flags, "updated-at", now),
        time_rule=_text(article.time_rule, MAX_SHORT, flags, "time-rule"),
        language=language,
        section=_text(article.section, MAX_SHORT, flags, "section"),
        tags=_texts(list(article.tags), MAX_TAGS, MAX_SHORT, flags, "tags"),
        image_url=_url(article.image_url, flags, "image-url", MAX_IMAGE_URL),
        image_caption=_text(article.image_caption, MAX_CAPTION, flags, "image-caption"),
        image_credit=_text(article.image_credit, MAX_SHORT, flags, "image-credit"),
        site_name=_text(article.site_name, MAX_SHORT, flags, "site-name"),
        fetched_at=clean_time(article.fetched_at, flags, "fetched-at", now),
        extractor=clean_text(article.extractor or "", flags)[:MAX_SHORT],
    )
    _other_fields(cleaned, flags, now)
    cleaned.flags = flags.items[:MAX_FLAGS]
    return cleaned


_HANDLED = frozenset(
    "url canonical_url title lead body authors published_at updated_at time_rule language "
    "section tags image_url image_caption image_credit site_name fetched_at extractor flags".split()
)


def _other_fields(article: ParsedArticle, flags: _Flags, now: datetime) -> None:
    """Fields added to ParsedArticle later get the generic treatment by type (times keep their
    zone: e.g. the publication time in the page's own zone)."""
    for f in dataclasses.fields(article):
        value = getattr(article, f.name)
        name = f.name.replace("_", "-")
        if f.name in _HANDLED or value is None:
            continue
        if isinstance(value, datetime):
            utc = clean_time(value, flags, name, now)
            if utc is None or article.published_at is None and f.name.startswith("published"):
                setattr(article, f.name, None)
            elif value.tzinfo is None:
                setattr(article, f.name, utc)
        elif isinstance(value, str):
            setattr(article, f.name, _text(value, MAX_SHORT, flags, name))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            setattr(article, f.name, _texts(value, MAX_TAGS, MAX_SHORT, flags, name))


def _entities(entities: list[EntityMention], flags: _Flags) -> list[EntityMention]:
    """Cleaned entities, one per (name, type): cleaning can make two names equal, and two rows
    with one key break the article_entities primary key."""
    merged: dict[tuple[str, str], EntityMention] = {}
    for e in entities:
        name = clean_text(str(e.name), flags).strip()
        if e.type not in ENTITY_TYPES or not name or len(name) > MAX_ENTITY_NAME:
            flags.add("entities-invalid-dropped")
            continue
        mentions = max(0, min(int(e.mentions), MAX_INT))
        offsets = [(int(a), int(b)) for a, b in e.offsets if 0 <= int(a) <= int(b) <= MAX_INT]
        if len(offsets) != len(e.offsets):
            flags.add("entity-offsets-invalid-dropped")
        key = (name, e.type)
        if key in merged:
            flags.add("entities-merged")
            seen = merged[key]
            seen.mentions = min(seen.mentions + mentions, MAX_INT)
            seen.offsets = sorted(set(seen.offsets) | set(offsets))
        else:
            merged[key] = EntityMention(name=name, type=e.type, mentions=mentions, offsets=offsets)
    out = list(merged.values())
    for e in out:
        if len(e.offsets) > MAX_OFFSETS:
            flags.add("entity-offsets-capped")
            e.offsets = e.offsets[:MAX_OFFSETS]
    if len(out) > MAX_ENTITIES:
        flags.add("entities-capped")
        out = sorted(out, key=lambda e: -e.mentions)[:MAX_ENTITIES]
    return out


def _sources(sources: list[CitedSource], flags: _Flags) -> list[CitedSource]:
    """Cleaned cited sources, one per name_en (the article_cited_sources key)."""
    merged: dict[str, CitedSource] = {}
    for c in sources:
        name_en = clean_text(str(c.name_en), flags).strip()
        name = clean_text(str(c.name), flags).strip() or name_en
        if not name_en or len(name_en) > MAX_SOURCE_NAME or len(name) > MAX_SOURCE_NAME:
            flags.add("cited-sources-invalid-dropped")
            continue
        mentions = max(0, min(int(c.mentions), MAX_INT))
        if name_en in merged:
            flags.add("cited-sources-merged")
            merged[name_en].mentions = min(merged[name_en].mentions + mentions, MAX_INT)
            continue
        country = c.country if c.country and len(c.country) == 2 else None
        kind = clean_text(c.kind or "", flags)[:MAX_SHORT] or "other"
        merged[name_en] = CitedSource(name, name_en, country, kind, mentions)
    out = list(merged.values())
    if len(out) > MAX_SOURCES:
        flags.add("cited-sources-capped")
        out = sorted(out, key=lambda c: -c.mentions)[:MAX_SOURCES]
    return out


def sanitize_enrichment(enrichment: Enrichment) -> tuple[Enrichment, list[str]]:
    """A storable copy of `enrichment` and the flags to add to its article's `flags`."""
    flags = _Flags()
    cleaned = Enrichment(
        entities=_entities(enrichment.entities, flags),
        cited_sources=_sources(enrichment.cited_sources, flags),
        credited_sources=_sources(enrichment.credited_sources, flags),
        enricher=clean_text(enrichment.enricher or "", flags)[:MAX_SHORT],
    )
    return cleaned, flags.items


def sanitize_publisher(info: PublisherInfo) -> PublisherInfo:
    """A storable publisher record (its domain and language are bounded columns)."""
    flags = _Flags()
    domain = clean_text(info.domain, flags)[:MAX_DOMAIN]
    language = clean_text(info.language or "", flags)
    return dataclasses.replace(
        info,
        domain=domain,
        name=_text(info.name, MAX_SHORT, flags, "name") or domain,
        name_en=_text(info.name_en, MAX_SHORT, flags, "name"),
        country=info.country if info.country and len(info.country) == 2 else None,
        language=language if 0 < len(language) <= MAX_LANGUAGE else None,
        kind=_text(info.kind, MAX_SHORT, flags, "kind"),
        timezone=_text(info.timezone, MAX_SHORT, flags, "timezone"),
    )
