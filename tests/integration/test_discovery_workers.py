"""Discovery on real workers: RSS 2.0 and Atom feeds, conditional GET on a feed
re-poll, sitemap index + Google News sitemap, `manage.py feeds add` + the `newsflow.poll_feeds`
task. Feeds and sitemaps go in through `manage.py enqueue --feed/--sitemap` or the maintenance
worker; outcomes are read from the documents / articles / feeds tables and from the requests the
local server saw. Workers: fetch, parse, enrich, maintenance, with the SSRF guard ON and only this
module's server allowlisted (see tests/support/fetch_scenarios.py).
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import update

from tests.support.fetch_scenarios import (
    Stack,
    article_fragment,
    article_html,
    articles,
    documents,
    feed_row,
    poll_until,
    reset_server,
    running_stack,
    truncate_feeds,
)
from tests.support.httpserver import LocalServer, Request, static

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def site() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def stack(
    database: str, site: LocalServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    env = {
        "NEWSFLOW_ALLOW_PRIVATE_HOSTS": "0",
        "NEWSFLOW_PRIVATE_HOST_ALLOWLIST": site.hostport,
        "NEWSFLOW_MAX_ATTEMPTS": "3",
        "NEWSFLOW_RETRY_BASE_DELAY": "0.5",
    }
    workers = [
        ("fetch", "fetch"),
        ("parse", "parse"),
        ("enrich", "enrich"),
        ("maintenance", "maintenance"),
    ]
    with running_stack(env, workers, Path(tmp_path_factory.mktemp("discovery-workers"))) as st:
        yield st


@pytest.fixture()
def run(clean_db: str, stack: Stack, site: LocalServer) -> Iterator[Stack]:
    truncate_feeds()
    stack.reset()
    reset_server(site)
    yield stack
    stack.settle()  # nothing of this test may still run during the next one


# --------------------------------------------------------------------------- feed builders
def rss(site: LocalServer, items: list[dict]) -> str:
    """RSS 2.0; an item with `full=True` carries the whole article in content:encoded."""
    out = []
    for it in items:
        link = site.url(it["path"])
        content = (
            f"<content:encoded><![CDATA[{article_fragment(it['path'])}]]></content:encoded>"
            if it.get("full")
            else ""
        )
        out.append(
            f"<item><title>{escape(it['title'])}</title><link>{link}</link>"
            f'<guid isPermaLink="true">{link}</guid>'
            "<pubDate>Tue, 14 May 2024 09:30:00 GMT</pubDate><dc:creator>Sam Reed</dc:creator>"
            f"<category>Local</category><description>A short teaser.</description>{content}"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Harbor Times</title>'
        f"<link>{site.url('/')}</link><description>Local news</description>"
        + "".join(out)
        + "</channel></rss>"
    )


def atom(site: LocalServer, entries: list[dict]) -> str:
    out = []
    for e in entries:
        link = site.url(e["path"])
        body = (
            f'<content type="html">{escape(article_fragment(e["path"]))}</content>'
            if e.get("full")
            else "<summary>A short teaser.</summary>"
        )
        out.append(
            f"<entry><title>{escape(e['title'])}</title>"
            f'<link rel="alternate" href="{link}"/><id>{link}</id>'
            "<updated>2024-05-14T09:30:00Z</updated><published>2024-05-14T09:30:00Z</published>"
            f"<author><name>Sam Reed</name></author>{body}</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Harbor Times</title><id>{site.url('/')}</id>"
        "<updated>2024-05-14T09:30:00Z</updated>" + "".join(out) + "</feed>"
    )


def _pages(site: LocalServer, items: list[dict]) -> None:
    for it in items:
        site.route(it["path"], static(article_html(it["path"], title=it["title"])))


def _wait_for_documents(n: int) -> dict[str, dict]:
    """The discovery task has run: `n` documents exist (then `manage.py wait` sees them)."""

    def enough() -> dict[str, dict] | None:
        """all discovered URLs are in the documents table"""
        docs = documents()
        return docs if len(docs) >= n else None

    return poll_until(enough, timeout=30)


def _feed_polled(url: str, what: Callable[[dict], bool]) -> dict:
    def polled() -> dict | None:
        """the feeds row shows the poll"""
        row = feed_row(url)
        return row if row and what(row) else None

    return poll_until(polled, timeout=30)


# --------------------------------------------------------------------------- feeds
def _check_feed_outcome(site: LocalServer, items: list[dict]) -> None:
    docs, arts = documents(), articles()
    assert len(docs) == len(items), docs.keys()
    for it in items:
        doc, path = docs[it["path"]], it["path"]
        assert doc["origin"] == "feed", doc
        assert doc["state"] == "enriched", doc
        assert arts[path]["title"] == it["title"], arts[path]
        assert arts[path]["enriched_at"] is not None
        if it.get("full"):
            # straight to parse: the item's page was never requested
            assert site.hits(path) == 0, path
            assert doc["attempts"] == 0 and doc["http_status"] is None, doc
            assert doc["hints"]["feed_item"]["title"] == it["title"], doc["hints"]
            assert arts[path]["canonical_url"] == site.url(path)
        else:
            assert site.hits(path) == 1, path
            assert doc["attempts"] == 1 and doc["http_status"] == 200, doc


def test_rss_full_content_items_skip_the_fetch(run: Stack, site: LocalServer) -> None:
    items = [
        {"path": "/news/rss-full-1", "title": "Council approves the harbour plan", "full": True},
        {"path": "/news/rss-full-2", "title": "Museum reopens after repairs", "full": True},
        {"path": "/news/rss-teaser", "title": "Ferry timetable changes in June"},
    ]
    site.route("/feed.xml", static(rss(site, items), content_type=RSS_TYPE))
    _pages(site, items)

    out = run.enqueue("--feed", site.url("/feed.xml"))
    assert "sent 1 feed(s)" in out, out
    _wait_for_documents(len(items))
    run.wait()

    _check_feed_outcome(site, items)
    assert site.hits("/feed.xml") == 1


def test_atom_feed(run: Stack, site: LocalServer) -> None:
    entries = [
        {"path": "/atom/full", "title": "Library extends opening hours", "full": True},
        {"path": "/atom/teaser", "title": "Bridge closed for inspection"},
    ]
    site.route("/atom.xml", static(atom(site, entries), content_type=ATOM_TYPE))
    _pages(site, entries)

    run.enqueue("--feed", site.url("/atom.xml"))
    _wait_for_documents(len(entries))
    run.wait()

    _check_feed_outcome(site, entries)


def test_feed_repoll_is_a_conditional_get(run: Stack, site: LocalServer) -> None:
    items = [{"path": "/etag/one", "title": "Station upgrade approved", "full": True}]
    body = rss(site, items).encode()
    etag, modified = '"feed-v1"', "Tue, 14 May 2024 09:30:00 GMT"

    def feed(req: Request) -> None:
        if req.headers.get("If-None-Match") == etag:
            req.respond(304, headers={"ETag": etag})
        else:
            req.respond(
                200, body, {"Content-Type": RSS_TYPE, "ETag": etag, "Last-Modified": modified}
            )

    site.route("/etag-feed.xml", feed)
    url = site.url("/etag-feed.xml")
    out = run.manage("feeds", "add", url, "--every", "1m")
    assert out.returncode == 0 and "added feed" in out.stdout, (out.stdout, out.stderr)

    run.enqueue("--feed", url)
    first = _feed_polled(url, lambda f: f["last_polled_at"] is not None)
    run.wait()
    assert first["last_status"] == "ok: 1 items, 1 new", first
    assert first["etag"] == etag and first["last_modified"] == modified

    run.enqueue("--feed", url)
    second = _feed_polled(url, lambda f: f["last_polled_at"] > first["last_polled_at"])
    run.wait()
    assert second["last_status"] == "not modified (304)", second
    assert second["etag"] == etag  # kept for the next poll

    requests = site.recorded("/etag-feed.xml")
    assert len(requests) == 2
    assert requests[0].headers.get("If-None-Match") is None
    assert requests[1].headers.get("If-None-Match") == etag
    assert requests[1].headers.get("If-Modified-Since") == modified
    docs = documents()
    assert list(docs) == ["/etag/one"] and docs["/etag/one"]["state"] == "enriched", docs


def test_enqueue_feed_updates_the_registered_feed_however_its_url_is_spelled(
    run: Stack, site: LocalServer
) -> None:
    """`feeds add` stores the normalized URL; `enqueue --feed` with the same feed spelled
    differently (upper-case scheme, a tracking parameter, a fragment) is the same feed: its
    row records the poll and its ETag, as for a scheduled poll."""
    items = [{"path": "/spelled/1", "title": "Tunnel reopens to cyclists", "full": True}]
    site.route(
        "/spelled.xml",
        static(rss(site, items), content_type=RSS_TYPE, headers={"ETag": '"s1"'}),
    )
    url = site.url("/spelled.xml")
    assert run.manage("feeds", "add", url, "--every", "1h").returncode == 0

    run.enqueue("--feed", url.replace("http://", "HTTP://") + "?utm_source=newsletter#top")
    _wait_for_documents(1)
    run.wait()

    assert documents()["/spelled/1"]["state"] == "enriched"
    row = feed_row(url)
    assert row is not None and row["last_polled_at"] is not None, row
    assert row["last_status"] == "ok: 1 items, 1 new" and row["etag"] == '"s1"', row


def test_feeds_add_and_poll_feeds_enqueue_only_unseen_items(run: Stack, site: LocalServer) -> None:
    items = [
        {"path": "/polled/1", "title": "Clinic hires two more doctors"},
        {"path": "/polled/2", "title": "Canal path repaved by volunteers"},
    ]
    current = {"items": items}

    def feed(req: Request) -> None:
        req.respond(200, rss(site, current["items"]).encode(), {"Content-Type": RSS_TYPE})

    site.route("/polled.xml", feed)
    url = site.url("/polled.xml")
    out = run.manage("feeds", "add", url, "--every", "1m")
    assert out.returncode == 0 and "added feed" in out.stdout, (out.stdout, out.stderr)
    listed = run.manage("feeds", "list", "--json")
    assert [(f["url"], f["every_seconds"]) for f in json.loads(listed.stdout)] == [(url, 60)]

    # first poll: the feed is due as soon as it is added
    _pages(site, items)
    run.send_task("newsflow.poll_feeds")
    first = _feed_polled(url, lambda f: f["last_polled_at"] is not None)
    _wait_for_documents(2)
    run.wait()
    assert first["last_status"] == "ok: 2 items, 2 new", first
    assert first["next_poll_at"] > datetime.now(UTC)  # next poll a minute later
    docs = documents()
    assert [docs[i["path"]]["state"] for i in items] == ["enriched", "enriched"], docs

    # not due yet: polling again sends nothing
    run.send_task("newsflow.poll_feeds")
    time.sleep(1.5)
    assert site.hits("/polled.xml") == 1

    # a minute later (moved forward in the table), the feed has one new item
    new_item = {"path": "/polled/3", "title": "Stadium lights switched to LED"}
    current["items"] = [new_item, *items]
    _pages(site, [new_item])
    _due_now(url)
    run.send_task("newsflow.poll_feeds")
    second = _feed_polled(url, lambda f: f["last_polled_at"] > first["last_polled_at"])
    _wait_for_documents(3)
    run.wait()

    assert second["last_status"] == "ok: 3 items, 1 new", second
    docs = documents()
    assert len(docs) == 3 and docs["/polled/3"]["state"] == "enriched", docs
    for it in items:  # the known items were neither enqueued nor fetched again
        assert docs[it["path"]]["attempts"] == 1 and site.hits(it["path"]) == 1
    assert site.hits("/polled/3") == 1 and site.hits("/polled.xml") == 2


def _due_now(url: str) -> None:
    from shared.db import session_scope
    from shared.models import Feed

    with session_scope() as db:
        db.execute(update(Feed).where(Feed.url == url).values(next_poll_at=datetime.now(UTC)))


def test_wait_covers_a_feed_poll_in_flight(run: Stack, site: LocalServer) -> None:
    """README: `manage.py wait` blocks "until nothing is queued or in progress". A feed being
    polled is in progress although no document exists yet: wait must not return before its
    items are in (and through the pipeline)."""
    items = [{"path": "/inflight/1", "title": "Orchard harvest starts early", "full": True}]
    body = rss(site, items).encode()

    def slow_feed(req: Request) -> None:
        time.sleep(3)
        req.respond(200, body, {"Content-Type": RSS_TYPE})

    site.route("/slow-feed.xml", slow_feed)
    run.enqueue("--feed", site.url("/slow-feed.xml"))
    run.wait()

    docs = documents()
    assert "/inflight/1" in docs, "manage.py wait returned while the feed poll was running"
    assert docs["/inflight/1"]["state"] == "enriched", docs


# --------------------------------------------------------------------------- sitemaps
SM_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
NEWS_NS = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'


def test_sitemap_index_and_google_news_sitemap(run: Stack, site: LocalServer) -> None:
    news = [
        ("/sm/news-1", "Lighthouse restored", "2024-05-14T08:00:00+02:00"),
        ("/sm/news-2", "Quarry expansion rejected", "2024-05-15T10:15:00Z"),
    ]
    plain = ["/sm/page-1", "/sm/page-2"]
    index = (
        f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex {SM_NS}>'
        f"<sitemap><loc>{site.url('/sitemap-news.xml')}</loc></sitemap>"
        "<sitemap><loc>/sitemap-pages.xml.gz</loc></sitemap></sitemapindex>"
    )
    news_xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><urlset {SM_NS} {NEWS_NS}>'
        + "".join(
            f"<url><loc>{site.url(p)}</loc><news:news><news:publication>"
            "<news:name>Harbor Times</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{d}</news:publication_date>"
            f"<news:title>{t}</news:title></news:news></url>"
            for p, t, d in news
        )
        + "</urlset>"
    )
    pages_xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><urlset {SM_NS}>'
        + "".join(
            f"<url><loc>{site.url(p)}</loc><lastmod>2024-05-01</lastmod></url>" for p in plain
        )
        + "</urlset>"
    )
    site.route("/sitemap_index.xml", static(index, content_type="application/xml"))
    site.route("/sitemap-news.xml", static(news_xml, content_type="text/xml"))
    site.route(
        "/sitemap-pages.xml.gz",
        static(gzip.compress(pages_xml.encode()), content_type="application/x-gzip"),
    )
    for p, t, _ in news:  # undated pages: the date comes from the news sitemap
        site.route(p, static(article_html(p, title=t, published=None)))
    for p in plain:
        site.route(p, static(article_html(p)))

    out = run.enqueue("--sitemap", site.url("/sitemap_index.xml"))
    assert "sent 0 feed(s), 1 sitemap(s)" in out, out
    _wait_for_documents(4)
    run.wait()

    docs, arts = documents(), articles()
    assert set(docs) == {p for p, _, _ in news} | set(plain), docs.keys()
    for p, title, date in news:
        doc = docs[p]
        assert doc["origin"] == "sitemap" and doc["state"] == "enriched", doc
        hints = doc["hints"]
        assert hints["news_title"] == title and hints["news_language"] == "en", hints
        assert hints["sitemap"] == site.url("/sitemap-news.xml")
        expected = datetime.fromisoformat(date).astimezone(UTC)
        assert datetime.fromisoformat(hints["news_publication_date"]) == expected, hints
        assert arts[p]["published_at"] == expected, arts[p]
    for p in plain:
        doc = docs[p]
        assert doc["origin"] == "sitemap" and doc["state"] == "enriched", doc
        assert doc["hints"] is None
    for path in ("/sitemap_index.xml", "/sitemap-news.xml", "/sitemap-pages.xml.gz"):
        assert site.hits(path) == 1, path
