"""Discovery: turn feed and sitemap bytes into article URLs (+ metadata). Pure, no I/O."""

from __future__ import annotations

import calendar
import html
import io
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from dateutil import parser as dateparser
from lxml import etree

from services.fetcher.errors import DecompressionBomb, NotAFeed

# Plain-text length from which feed content is taken to be the whole article rather than a teaser.
# CJK characters carry about 3x the information of a Latin letter, so they count triple.
FULL_CONTENT_MIN_CHARS = 1200
# Sitemaps are at most 50 MB uncompressed (sitemaps.org); guards gzip bombs in .xml.gz.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024

NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
IMAGE_NS = "http://www.google.com/schemas/sitemap-image/1.1"

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_IMG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"']", re.I)
_IMAGE_EXT = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)(?:$|\?)", re.I)


@dataclass
class FeedItem:
    link: str | None
    title: str | None = None
    published: datetime | None = None  # UTC, timezone-aware
    updated: datetime | None = None
    categories: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    content_html: str | None = None  # full content (content:encoded, atom:content) when present
    summary: str | None = None
    image_url: str | None = None
    guid: str | None = None
    has_full_content: bool = False  # content_html long enough to be the article itself


@dataclass
class SitemapEntry:
    loc: str
    lastmod: datetime | None = None  # UTC
    news_title: str | None = None
    news_publication_date: datetime | None = None  # UTC
    news_language: str | None = None


@dataclass
class SitemapResult:
    urls: list[SitemapEntry] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # child sitemaps of an index: recurse


# --------------------------------------------------------------------------- helpers
def text_length(html_text: str) -> int:
    """Visible-text length of an HTML fragment, CJK characters weighted x3."""
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", html_text))).strip()
    return len(text) + 2 * len(_CJK.findall(text))


def _utc_from_struct(value: Any) -> datetime | None:
    # feedparser's *_parsed are struct_time already converted to UTC.
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _parse_date(value: str | None) -> datetime | None:
    """W3C datetime (sitemaps) -> aware UTC; a date without zone is taken as UTC."""
    if not value or not value.strip():
        return None
    try:
        dt = dateparser.isoparse(value.strip())
    except (ValueError, OverflowError):
        try:
            dt = dateparser.parse(value.strip())
        except (ValueError, OverflowError, TypeError):
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def gunzip_capped(raw: bytes, limit: int = MAX_SITEMAP_BYTES) -> bytes:
    """Decompress gzip (all members) with a hard cap on output size."""
    out = bytearray()
    data = raw
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += d.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise NotAFeed(f"corrupt gzip: {exc}") from exc
        if len(out) > limit:
            raise DecompressionBomb(f"gzip sitemap expands beyond {limit} bytes")
        if not d.eof:
            break  # truncated: keep what we have, the XML parser recovers what it can
        data = d.unused_data if d.unused_data.startswith(b"\x1f\x8b") else b""
    return bytes(out)


# --------------------------------------------------------------------------- feeds
def _content(entry: Any) -> str | None:
    """The richest HTML body: the longest content element (content:encoded is one)."""
    best: str | None = None
    for c in entry.get("content") or []:
        value = c.get("value") or ""
        if value and (best is None or len(value) > len(best)):
            best = value
    return best


def _image(entry: Any, content: str | None, summary: str | None) -> str | None:
    for key in ("media_content", "media_thumbnail"):
        for media in entry.get(key) or []:
            url = media.get("url")
            medium = media.get("medium") or ""
            mtype = media.get("type") or ""
            if url and (
                key == "media_thumbnail"
                or medium == "image"
                or mtype.startswith("image/")
                or _IMAGE_EXT.search(url)
            ):
                return url
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and (link.get("type") or "").startswith("image/"):
            return link.get("href")
    image = entry.get("image")
    if isinstance(image, dict) and image.get("href"):
        return image["href"]
    for text in (content, summary):
        if text:
            m = _IMG.search(text)
            if m:
                return html.unescape(m.group(1))
    return None


def _title(entry: Any) -> str | None:
    title = entry.get("title")
    if not title:
        return None
    # feedparser already unescapes text titles; HTML ones keep their markup.
    if (entry.get("title_detail") or {}).get("type") in ("text/html", "application/xhtml+xml"):
        title = html.unescape(_TAG.sub("", title))
    return _SPACE.sub(" ", title).strip() or None


def parse_feed(raw: bytes, feed_url: str) -> list[FeedItem]:
    """Items of an RSS 0.9x/1.0/2.0 or Atom feed. Raises NotAFeed when it isn't one.

    Links are made absolute against the feed URL; feedparser sanitizes the HTML fields.
    """
    # response_headers gives feedparser the base URL for relative links; passing bytes (not the
    # URL) guarantees feedparser itself never goes to the network.
    parsed = feedparser.parse(
        io.BytesIO(raw),
        response_headers={"content-location": feed_url, "content-type": "application/xml"},
    )
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS/Atom root element"
        raise NotAFeed(f"not a feed: {reason}", url=feed_url)
    items: list[FeedItem] = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            for candidate in entry.get("links") or []:
                if candidate.get("rel") in (None, "alternate") and candidate.get("href"):
                    link = candidate["href"]
                    break
        guid = entry.get("id") or None
        if not link and guid and guid.startswith(("http://", "https://")):
            link = guid  # RSS <guid isPermaLink="true"> without <link>
        if link:
            link = urljoin(feed_url, link.strip())
        content = _content(entry)
        summary = entry.get("summary") or None
        if not content and summary and text_length(summary) >= FULL_CONTENT_MIN_CHARS:
            # Many RSS feeds put the whole article in <description>: treat it as the content.
            content = summary
        if content and summary and content.strip() == summary.strip():
            summary = None if text_length(content) >= FULL_CONTENT_MIN_CHARS else summary
        authors = [a.get("name") for a in entry.get("authors") or [] if a.get("name")]
        if not authors and entry.get("author"):
            authors = [entry["author"]]
        categories = [t.get("term") for t in entry.get("tags") or [] if t.get("term")]
        items.append(
            FeedItem(
                link=link,
                title=_title(entry),
                published=_utc_from_struct(entry.get("published_parsed"))
                or _utc_from_struct(entry.get("created_parsed")),
                # dict.get: FeedParserDict would silently fall back to published_parsed.
                updated=_utc_from_struct(dict.get(entry, "updated_parsed")),
                categories=categories,
                authors=authors,
                content_html=content,
                summary=summary,
                image_url=_image(entry, content, summary),
                guid=guid,
                has_full_content=bool(content) and text_length(content) >= FULL_CONTENT_MIN_CHARS,
            )
        )
    return items


# --------------------------------------------------------------------------- sitemaps
def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(el: Any, name: str, ns: str | None = None) -> str | None:
    for child in el:
        if _local(child.tag) == name and (ns is None or etree.QName(child.tag).namespace == ns):
            return (child.text or "").strip() or None
    return None


def parse_sitemap(raw: bytes, url: str) -> SitemapResult:
    """URLs of a sitemap (XML urlset, gzip-compressed or not, plain text, or an RSS/Atom feed
    used as a sitemap), or the child sitemaps of a sitemap index (the caller fetches and parses
    those; we don't recurse).

    Google News extensions (news:title, news:publication_date, news:language) are read.
    Relative locations are resolved against `url`. Raises NotAFeed on anything else.
    """
    if raw[:2] == b"\x1f\x8b":
        raw = gunzip_capped(raw)
    if len(raw) > MAX_SITEMAP_BYTES:
        raise DecompressionBomb(f"sitemap larger than {MAX_SITEMAP_BYTES} bytes", url=url)
    stripped = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"<"):
        return _parse_text_sitemap(stripped, url)
    # No entity resolution, no network, no huge trees: XML from the internet is hostile.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, recover=True, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(stripped, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise NotAFeed(f"unparseable sitemap: {exc}", url=url) from exc
    if root is None:
        raise NotAFeed("empty or unparseable sitemap", url=url)
    kind = _local(root.tag)
    result = SitemapResult()
    if kind == "sitemapindex":
        for sm in root:
            if _local(sm.tag) == "sitemap":
                loc = _child_text(sm, "loc")
                if loc:
                    result.sitemaps.append(urljoin(url, loc))
        return result
    if kind in ("rss", "feed", "RDF"):
        # Google accepts RSS/Atom feeds as sitemaps; map their items to entries.
        return SitemapResult(
            urls=[
                SitemapEntry(loc=item.link, lastmod=item.updated or item.published)
                for item in parse_feed(raw, url)
                if item.link
            ]
        )
    if kind != "urlset":
        raise NotAFeed(f"not a sitemap: root element <{kind}>", url=url)
    for u in root:
        if _local(u.tag) != "url":
            continue
        loc = _child_text(u, "loc")
        if not loc:
            continue
        entry = SitemapEntry(loc=urljoin(url, loc), lastmod=_parse_date(_child_text(u, "lastmod")))
        for child in u:
            if _local(child.tag) != "news":
                continue
            entry.news_title = _child_text(child, "title")
            entry.news_publication_date = _parse_date(_child_text(child, "publication_date"))
            for pub in child:
                if _local(pub.tag) == "publication":
                    entry.news_language = _child_text(pub, "language")
        result.urls.append(entry)
    return result


def _parse_text_sitemap(raw: bytes, url: str) -> SitemapResult:
    """sitemaps.org text format: one absolute URL per line."""
    text = raw.decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not all(line.startswith(("http://", "https://")) for line in lines):
        raise NotAFeed("not a sitemap (neither XML nor a list of URLs)", url=url)
    return SitemapResult(urls=[SitemapEntry(loc=line) for line in lines])
