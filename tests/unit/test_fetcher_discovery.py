"""Feeds and sitemaps: parse_feed / parse_sitemap on bytes, plus a fetch->parse round trip."""

from __future__ import annotations

import dataclasses
import gzip
from datetime import UTC, datetime

import pytest

from services.fetcher import errors as E
from services.fetcher.discovery import (
    FULL_CONTENT_MIN_CHARS,
    gunzip_capped,
    parse_feed,
    parse_sitemap,
    text_length,
)
from services.fetcher.http import fetch
from shared.config import Settings
from tests.support.httpserver import LocalServer, static

LONG = "<p>" + " ".join(["Paragraph text of a real article, long enough."] * 40) + "</p>"

RSS = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
  <title>Example News</title><link>https://news.example/</link>
  <item>
    <title>Full story &amp; more</title>
    <link>/2024/05/01/full-story</link>
    <guid isPermaLink="false">story-1</guid>
    <pubDate>Wed, 01 May 2024 10:00:00 +0200</pubDate>
    <dc:creator>Jane Doe</dc:creator>
    <category>Politics</category><category>Europe</category>
    <description>Teaser only.</description>
    <content:encoded><![CDATA[{LONG}<script>alert(1)</script>]]></content:encoded>
    <media:content url="https://img.example/a.jpg" medium="image"/>
  </item>
  <item>
    <title>Teaser story</title>
    <guid isPermaLink="true">https://news.example/teaser</guid>
    <pubDate>Thu, 02 May 2024 08:30:00 GMT</pubDate>
    <description><![CDATA[<p>Short teaser <img src="https://img.example/b.png"></p>]]></description>
  </item>
</channel></rss>""".encode()

ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom News</title><id>urn:x</id><updated>2024-05-03T12:00:00Z</updated>
  <entry>
    <title type="html">Atom &lt;b&gt;entry&lt;/b&gt;</title>
    <link rel="alternate" href="https://atom.example/e1"/>
    <id>tag:atom.example,2024:e1</id>
    <published>2024-05-03T09:00:00+09:00</published>
    <updated>2024-05-03T11:00:00Z</updated>
    <author><name>Taro</name></author><author><name>Hanako</name></author>
    <category term="Tech"/>
    <summary>Sum.</summary>
    <content type="html">{LONG.replace("<", "&lt;").replace(">", "&gt;")}</content>
    <link rel="enclosure" type="image/jpeg" href="https://atom.example/e1.jpg"/>
  </entry>
</feed>""".encode()


def test_rss2_items() -> None:
    items = parse_feed(RSS, "https://news.example/feed.xml")
    assert len(items) == 2
    full, teaser = items
    assert full.link == "https://news.example/2024/05/01/full-story"  # made absolute
    assert full.title == "Full story & more"
    assert full.published == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)  # +0200 -> UTC
    assert full.authors == ["Jane Doe"] and full.categories == ["Politics", "Europe"]
    assert full.content_html and "Paragraph text" in full.content_html
    assert "<script" not in full.content_html  # feedparser sanitizes
    assert full.summary == "Teaser only."
    assert full.image_url == "https://img.example/a.jpg"
    assert full.guid == "story-1" and full.has_full_content
    assert full.updated is None  # no <atom:updated>: not a copy of pubDate
    assert teaser.link == "https://news.example/teaser"  # permalink guid, no <link>
    assert teaser.content_html is None and not teaser.has_full_content
    assert teaser.image_url == "https://img.example/b.png"
    assert teaser.published == datetime(2024, 5, 2, 8, 30, tzinfo=UTC)


def test_atom_items() -> None:
    (e,) = parse_feed(ATOM, "https://atom.example/feed")
    assert e.link == "https://atom.example/e1" and e.guid == "tag:atom.example,2024:e1"
    assert e.title == "Atom entry"  # HTML title: markup stripped
    assert e.published == datetime(2024, 5, 3, 0, 0, tzinfo=UTC)
    assert e.updated == datetime(2024, 5, 3, 11, 0, tzinfo=UTC)
    assert e.authors == ["Taro", "Hanako"] and e.categories == ["Tech"]
    assert e.summary == "Sum." and e.has_full_content
    assert e.image_url == "https://atom.example/e1.jpg"


def test_full_article_in_description_counts_as_content() -> None:
    rss = f"""<rss version="2.0"><channel><item><title>a &lt; b</title><link>https://x.example/1</link>
    <description><![CDATA[{LONG}]]></description></item></channel></rss>""".encode()
    (item,) = parse_feed(rss, "https://x.example/feed")
    assert item.title == "a < b"  # plain-text title: not treated as markup
    assert item.has_full_content and item.content_html and "Paragraph text" in item.content_html


def test_not_a_feed() -> None:
    with pytest.raises(E.NotAFeed):
        parse_feed(b"<html><body>hello</body></html>", "https://x.example/")
    with pytest.raises(E.NotAFeed):
        parse_feed(b"\x89PNG\r\n", "https://x.example/")


def test_full_content_heuristic_counts_cjk_heavier() -> None:
    assert text_length("<p>a&amp;b</p>") == 3
    cjk = "<p>" + "新" * (FULL_CONTENT_MIN_CHARS // 3 + 1) + "</p>"
    assert text_length(cjk) >= FULL_CONTENT_MIN_CHARS


INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example/sitemap-news.xml</loc><lastmod>2024-05-01</lastmod></sitemap>
  <sitemap><loc> /sitemap-2024.xml.gz </loc></sitemap>
</sitemapindex>"""

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://news.example/a1</loc>
    <lastmod>2024-05-01T10:00:00+02:00</lastmod>
    <news:news>
      <news:publication><news:name>Example</news:name><news:language>fr</news:language>
      </news:publication>
      <news:publication_date>2024-05-01T09:30:00+02:00</news:publication_date>
      <news:title>Un titre</news:title>
    </news:news>
  </url>
  <url><loc>https://news.example/a2</loc><lastmod>2024-05-02</lastmod></url>
  <url><lastmod>2024-05-02</lastmod></url>
</urlset>"""


def test_sitemap_index() -> None:
    res = parse_sitemap(INDEX, "https://news.example/sitemap.xml")
    assert res.urls == []
    assert res.sitemaps == [
        "https://news.example/sitemap-news.xml",
        "https://news.example/sitemap-2024.xml.gz",
    ]


def test_news_sitemap() -> None:
    res = parse_sitemap(NEWS, "https://news.example/sitemap-news.xml")
    assert [u.loc for u in res.urls] == ["https://news.example/a1", "https://news.example/a2"]
    a1, a2 = res.urls
    assert a1.news_title == "Un titre" and a1.news_language == "fr"
    assert a1.news_publication_date == datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
    assert a1.lastmod == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert a2.lastmod == datetime(2024, 5, 2, tzinfo=UTC) and a2.news_title is None


def test_gzip_and_text_sitemaps() -> None:
    res = parse_sitemap(gzip.compress(NEWS), "https://news.example/s.xml.gz")
    assert len(res.urls) == 2
    text = b"https://a.example/1\nhttps://a.example/2\n"
    assert [u.loc for u in parse_sitemap(text, "https://a.example/s.txt").urls] == [
        "https://a.example/1",
        "https://a.example/2",
    ]


def test_sitemap_gzip_bomb_capped() -> None:
    bomb = gzip.compress(b"\0" * (4 << 20))
    with pytest.raises(E.DecompressionBomb):
        gunzip_capped(bomb, limit=1 << 20)


def test_sitemap_xxe_not_resolved() -> None:
    evil = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://x.example/&xxe;</loc></url></urlset>"""
    res = parse_sitemap(evil, "https://x.example/s.xml")
    host = open("/etc/hostname").read().strip()
    assert all(host not in u.loc for u in res.urls)


def test_feed_as_sitemap() -> None:
    res = parse_sitemap(RSS, "https://news.example/feed.xml")
    assert [u.loc for u in res.urls] == [
        "https://news.example/2024/05/01/full-story",
        "https://news.example/teaser",
    ]
    assert res.urls[0].lastmod == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def test_feed_xxe_not_resolved() -> None:
    evil = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<rss version="2.0"><channel><item><title>t&xxe;</title><link>https://x.example/1</link>
</item></channel></rss>"""
    host = open("/etc/hostname").read().strip()
    items = parse_feed(evil, "https://x.example/feed")
    assert all(host not in (i.title or "") for i in items)


def test_not_a_sitemap() -> None:
    with pytest.raises(E.NotAFeed):
        parse_sitemap(b"<html><body>x</body></html>", "https://x.example/")
    with pytest.raises(E.NotAFeed):
        parse_sitemap(b"hello world", "https://x.example/")


def test_fetch_index_then_children_from_server() -> None:
    """Round trip the way the tasks use it: fetch(accept_feeds) -> parse -> recurse."""
    s = dataclasses.replace(Settings(), allow_private_hosts=True)
    with LocalServer() as srv:
        index = (
            b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<sitemap><loc>/news.xml</loc></sitemap><sitemap><loc>/old.xml.gz</loc></sitemap>"
            b"</sitemapindex>"
        )
        srv.route("/sitemap.xml", static(index, content_type="application/xml"))
        srv.route("/news.xml", static(NEWS, content_type="text/xml"))
        srv.route("/old.xml.gz", static(gzip.compress(NEWS), content_type="application/x-gzip"))
        srv.route("/feed", static(RSS, content_type="application/rss+xml; charset=utf-8"))
        top = fetch(srv.url("/sitemap.xml"), settings=s, accept_feeds=True)
        children = parse_sitemap(top.body, top.final_url).sitemaps
        assert children == [srv.url("/news.xml"), srv.url("/old.xml.gz")]
        locs = []
        for child in children:
            res = fetch(child, settings=s, accept_feeds=True)
            locs += [u.loc for u in parse_sitemap(res.body, res.final_url).urls]
        assert locs == ["https://news.example/a1", "https://news.example/a2"] * 2
        feed = fetch(srv.url("/feed"), settings=s, accept_feeds=True)
        assert len(parse_feed(feed.body, feed.final_url)) == 2
