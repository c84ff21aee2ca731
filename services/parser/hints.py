"""Metadata that came with a URL (its feed item, its news sitemap entry) fills what the fetched
page itself lacks. Pure: the parse task passes the document's stored hints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.contracts import ParsedArticle


def apply_hints(parsed: ParsedArticle, hints: dict[str, Any]) -> ParsedArticle:
    """Fill what the page lacks from the metadata its feed item or news sitemap gave."""
    meta = hints.get("feed_meta") or {}
    title = meta.get("title") or hints.get("news_title")
    published = meta.get("published") or hints.get("news_publication_date")
    if not parsed.title and title:
        parsed.title = title
    if parsed.published_at is None and published:
        parsed.published_at = datetime.fromisoformat(published).astimezone(UTC)
        parsed.time_rule = "feed-item" if meta.get("published") else "news-sitemap"
    for tag in meta.get("categories") or ():
        if tag not in parsed.tags:
            parsed.tags.append(tag)
    if not parsed.authors and meta.get("authors"):
        parsed.authors = list(meta["authors"])
    return parsed
