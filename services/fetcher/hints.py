"""Feed and sitemap entries -> the hints parse uses to fill what a page lacks (JSON-serializable).

Pure: the discovery tasks pass parsed feed items and sitemap entries, and store what comes back.
"""

from __future__ import annotations

from typing import Any

from services.fetcher.discovery import FeedItem, SitemapEntry


def feed_item_hint(item: FeedItem, feed_url: str) -> dict[str, Any]:
    """What parse needs to build the article from the item alone."""
    return {
        "feed_url": feed_url,
        "feed_item": {
            "link": item.link,
            "title": item.title,
            "published": item.published.isoformat() if item.published else None,
            "updated": item.updated.isoformat() if item.updated else None,
            "categories": list(item.categories),
            "authors": list(item.authors),
            "content": item.content_html,
            "summary": item.summary,
            "media_content": [{"url": item.image_url, "medium": "image"}] if item.image_url else [],
            "id": item.guid,
        },
    }


def teaser_hint(item: FeedItem, feed_url: str) -> dict[str, Any]:
    """A teaser item's page will be fetched: keep the item's metadata (without its content)."""
    hint = feed_item_hint(item, feed_url)
    hint["feed_item"]["content"] = None
    return {"feed_meta": hint["feed_item"], "feed_url": hint["feed_url"]}


def sitemap_hints(entries: list[SitemapEntry], sitemap_url: str) -> dict[str, dict[str, Any]]:
    """loc -> news tags, for the entries that carry Google News tags."""
    return {
        e.loc: {
            "sitemap": sitemap_url,
            "news_title": e.news_title,
            "news_publication_date": e.news_publication_date.isoformat()
            if e.news_publication_date
            else None,
            "news_language": e.news_language,
        }
        for e in entries
        if e.news_title or e.news_publication_date
    }
