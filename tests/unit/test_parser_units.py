"""The parser's small general rules: URLs, titles, language, times, body cleanup."""

from __future__ import annotations

from datetime import UTC, datetime

import lxml.html
import pytest

from services.parser import parse_page
from services.parser.dates import date_flags, parse_datetime, to_utc
from services.parser.extract import preclean
from services.parser.language import detect_language
from services.parser.metadata import strip_site_suffix
from services.parser.urls import normalize_url, section_from_url
from shared.contracts import NotAnArticle


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://WWW.Example.COM:443/a/b?utm_source=x&id=7&fbclid=abc#top",
            "https://www.example.com/a/b?id=7",
        ),
        ("http://example.com", "http://example.com/"),
        ("https://example.com/p?q=%E4%B8%AD&gclid=1", "https://example.com/p?q=%E4%B8%AD"),
        ("https://example.com/x?b=2&a=1", "https://example.com/x?a=1&b=2"),  # stable key order
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_relative_canonical_resolves_against_page() -> None:
    assert normalize_url("/world/story", base="https://Example.com/a/b") == (
        "https://example.com/world/story"
    )


def test_section_from_url() -> None:
    rfi = "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/20240121-slug"
    assert section_from_url(rfi, "/cn/") == "中国"
    assert section_from_url("https://example.com/politics/2024/01/02/slug.html") == "politics"
    assert section_from_url("https://example.com/2024/01/02/slug") is None
    assert section_from_url("https://news.example.cn/c/2024-03-31/doc-1.shtml") is None


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Europe's power prices turn negative | Reuters", "Europe's power prices turn negative"),
        ("平壤：俄总统普京表示愿意尽快访问朝鲜 - RFI", "平壤：俄总统普京表示愿意尽快访问朝鲜"),
        ("纪念座谈会在京举行_新闻中心_新浪网", "纪念座谈会在京举行"),
        ("俄罗斯总统普京访华-新华网", "俄罗斯总统普京访华"),
        ("弗拉基米尔-普京访问朝鲜", "弗拉基米尔-普京访问朝鲜"),  # a hyphenated name stays
        ("Opinion | Why it matters", "Opinion | Why it matters"),
    ],
)
def test_strip_site_suffix(title: str, expected: str) -> None:
    assert strip_site_suffix(title, {"Reuters", "RFI"}) == expected


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("俄罗斯总统普京表示有意尽快访问平壤，这将是他时隔二十四年再次访问朝鲜。", "zh"),
        ("港鐵觀塘綫今日早上繁忙時間發生列車故障，多個車站月台擠滿乘客。", "zh-Hant"),
        ("The government said on Sunday that it would not change the plan for the year.", "en"),
        ("Le gouvernement a présenté dimanche un plan pour le logement des étudiants.", "fr"),
        ("El gobierno presentó el domingo un plan para la vivienda de los estudiantes.", "es"),
        ("Правительство в воскресенье представило план строительства жилья.", "ru"),
        ("政府は日曜日、学生向け住宅の計画を発表した。", "ja"),
        ("정부는 일요일 학생 주택 계획을 발표했다.", "ko"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_parse_datetime_forms() -> None:
    assert parse_datetime("2024-01-21T00:18:00Z") == datetime(2024, 1, 21, 0, 18, tzinfo=UTC)
    assert parse_datetime("21/01/2024 - 01:18") == datetime(2024, 1, 21, 1, 18)
    assert parse_datetime("2024年03月31日 10:30") == datetime(2024, 3, 31, 10, 30)
    assert parse_datetime("Publié le 31 mars 2024 à 10h15") == datetime(2024, 3, 31, 10, 15)
    assert parse_datetime("Wed, 18 Oct 2023 11:28:00 GMT") == datetime(
        2023, 10, 18, 11, 28, tzinfo=UTC
    )
    assert parse_datetime("Nov. 19, 2019 10:30 AM EST").utcoffset().total_seconds() == -5 * 3600
    assert parse_datetime("not a date") is None


def test_local_time_rules() -> None:
    winter, rule = to_utc(datetime(2024, 1, 21, 1, 18), "Europe/Paris")
    assert (winter, rule) == (datetime(2024, 1, 21, 0, 18, tzinfo=UTC), "publisher-tz:Europe/Paris")
    summer, _ = to_utc(datetime(2023, 9, 14, 2, 17), "Europe/Paris")
    assert summer == datetime(2023, 9, 14, 0, 17, tzinfo=UTC)
    shanghai, _ = to_utc(datetime(2024, 3, 31, 10, 30), "Asia/Shanghai")
    assert shanghai == datetime(2024, 3, 31, 2, 30, tzinfo=UTC)
    assert to_utc(datetime(2024, 1, 1, 12, 0), None)[1] == "assumed-utc"


def test_date_flags() -> None:
    fetched = datetime(2024, 1, 21, tzinfo=UTC)
    assert date_flags(datetime(2024, 1, 25, tzinfo=UTC), fetched) == ["date-in-future"]
    assert date_flags(datetime(2024, 1, 21, 12, tzinfo=UTC), fetched) == []
    assert date_flags(datetime(1989, 12, 31, tzinfo=UTC), fetched) == ["date-before-1990"]


ARTICLE = """<html><head><title>{title}</title></head><body>
<nav><a href="/"><img src="/static/site-logo.png" alt="Example News"></a></nav>
<img src="https://ads.example.net/track.jpg" width="1" height="1">
<article>
<h1>{title}</h1>
<img src="/photos/council.jpg" width="800" alt="The council chamber">
<p>By Jane Doe</p>
{paras}
<div class="social-share-bar"><a href="https://facebook.com/share">Share on Facebook</a></div>
<div class="newsletter-box"><p>Get our morning briefing.</p><a href="/nl">Sign up</a></div>
<p>Follow Jane on Twitter for more updates from the capital.</p>
</article>
<section><h2>More stories</h2><ul>{links}</ul></section>
</body></html>"""


def _link_items(href: str, text: str, count: int) -> str:
    """`count` list items of story links; `{i}` in href and text is the item's number."""
    return "".join(
        f'<li><a href="{href.format(i=i)}">{text.format(i=i)}</a></li>' for i in range(count)
    )


def test_generic_cleanup_on_a_plain_page() -> None:
    paras = "".join(
        f"<p>Paragraph {i} tells what happened in the city council on Tuesday, "
        f"when members voted on the budget for the coming year after a long debate.</p>"
        for i in range(1, 6)
    )
    links = _link_items("/story/{i}", "Another story headline number {i} about the city", 8)
    page = ARTICLE.format(title="Council passes budget", paras=paras, links=links)
    art = parse_page(page.encode(), "https://news.example.com/local/council-passes-budget")
    paras_out = art.body.split("\n\n")
    assert paras_out[0].startswith("Paragraph 1 ") and paras_out[-1].startswith("Paragraph 5 ")
    assert len(paras_out) == 5
    assert art.title == "Council passes budget"
    assert art.authors == ["Jane Doe"]
    assert art.section == "local"
    assert art.language == "en"
    assert art.image_url == "https://news.example.com/photos/council.jpg"  # not logo or pixel


def test_a_junk_image_url_is_no_image_not_a_failed_page() -> None:
    """A real page (WCXB 0367) declares an image on host "-": the article keeps its body."""
    paras = "".join(
        f"<p>Paragraph {i} tells what happened in the city council on Tuesday, "
        f"when members voted on the budget for the coming year after a long debate.</p>"
        for i in range(1, 6)
    )
    page = ARTICLE.format(title="Council passes budget", paras=paras, links="")
    page = page.replace("<head>", '<head><meta property="og:image" content="https://-/x.jpg">')
    art = parse_page(page.encode(), "https://news.example.com/local/council-passes-budget")
    assert art.image_url is None or "://-/" not in art.image_url
    assert art.body.startswith("Paragraph 1 ")


BLOCK_PAGES = {
    "akamai": """<html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>
        You don't have permission to access "http://www.example.com/news/a.html" on this server.
        <p>Reference #18.5f1d2417.1700000000.2a1b3c4d</p></body></html>""",
    "captcha": """<html><head><title>example.com</title></head><body>
        <div id="cmsg">Please enable JS and disable any ad blocker</div>
        <p>Are you a robot? Complete the CAPTCHA below to continue.</p></body></html>""",
    "zh": """<html><head><meta charset="utf-8"><title>安全验证</title></head><body>
        <p>请开启JavaScript并刷新该页.</p><p>访问被拒绝，请稍后再试。</p></body></html>""",
}


@pytest.mark.parametrize("name", sorted(BLOCK_PAGES))
def test_block_pages(name: str) -> None:
    with pytest.raises(NotAnArticle) as exc:
        parse_page(BLOCK_PAGES[name].encode("utf-8"), "https://www.example.com/news/a.html")
    assert exc.value.kind == "blocked"


def test_404_in_a_headline_is_not_an_error_page() -> None:
    body = "".join(
        f"<p>Rescuers brought {n} people ashore on Tuesday after a long night at sea, "
        "the coast guard said in a statement.</p>"
        for n in range(3)
    )
    page = f"<html><head><title>404 migrants rescued off Lampedusa</title></head><body><article><h1>404 migrants rescued off Lampedusa</h1>{body}</article></body></html>"
    art = parse_page(page.encode(), "https://news.example.com/world/404-migrants-rescued")
    assert art.title == "404 migrants rescued off Lampedusa"
    with pytest.raises(NotAnArticle) as exc:
        parse_page(
            b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>",
            "https://news.example.com/gone",
        )
    assert exc.value.kind == "soft-404"


@pytest.mark.parametrize(
    ("lang", "para", "junk"),
    [
        (
            "fr",
            "Le conseil municipal a voté mardi le budget de l'année prochaine après un long débat "
            "entre la majorité et l'opposition sur les investissements.",
            [
                "Lire aussi | Le budget 2023 en chiffres",
                "Il vous reste 62 % de cet article à lire.",
            ],
        ),
        (
            "zh",
            "市议会周二在经过多数派与反对派之间关于投资的长时间辩论后，表决通过了明年的预算。",
            ["【纠错】", "责编：王明", "扫一扫，分享到微信"],
        ),
    ],
)
def test_boilerplate_sentences_dropped(lang: str, para: str, junk: list[str]) -> None:
    paras = [f"{n}. {para}" for n in range(1, 5)]
    body = "".join(f"<p>{p}</p>" for p in paras) + "".join(f"<p>{j}</p>" for j in junk)
    page = f"<html><head><meta charset='utf-8'></head><body><article><h1>Budget</h1>{body}</article></body></html>"
    art = parse_page(page.encode("utf-8"), "https://news.example.com/local/budget")
    assert art.language == lang
    assert art.body.split("\n\n") == paras  # once each, even on a short page


def test_authors_are_people_and_co_credited_agencies_not_the_site() -> None:
    ld = (
        '{"@type": "NewsArticle", "headline": "Grève à la SNCF", "author": ['
        '{"@type": "Person", "name": "FRANCE 24"}, {"@type": "Person", "name": "AFP"}, '
        '{"@type": "Person", "name": "Jean Dupont"}]}'
    )
    para = (
        "<p>Les syndicats de cheminots ont appelé à une grève reconductible à partir de mardi, "
        "pour protester contre la réforme des retraites présentée par le gouvernement.</p>"
    )
    page = (
        f'<html><head><meta charset="utf-8"><script type="application/ld+json">{ld}</script>'
        f"</head><body><article><h1>Grève à la SNCF</h1>{para * 3}</article></body></html>"
    )
    art = parse_page(page.encode("utf-8"), "https://www.france24.com/fr/france/20240401-greve")
    # the outlet itself is not an author; the wire agency credited beside the writer is
    assert art.authors == ["Jean Dupont", "AFP"]


def test_feed_and_sitemap_hints_fill_only_what_the_page_lacks():
    from datetime import UTC, datetime

    from services.parser import apply_hints
    from shared.contracts import ParsedArticle

    page = ParsedArticle(url="https://x.org/a", canonical_url="https://x.org/a", tags=["World"])
    hints = {
        "feed_meta": {
            "title": "From the feed",
            "published": "2024-03-12T09:30:00+08:00",
            "categories": ["World", "Asia"],
            "authors": ["Li Ming"],
        }
    }
    out = apply_hints(page, hints)
    assert out.title == "From the feed" and out.tags == ["World", "Asia"]
    assert out.published_at == datetime(2024, 3, 12, 1, 30, tzinfo=UTC)
    assert out.time_rule == "feed-item" and out.authors == ["Li Ming"]

    dated = ParsedArticle(
        url="https://x.org/b",
        canonical_url="https://x.org/b",
        title="Own title",
        published_at=datetime(2024, 1, 1, tzinfo=UTC),
        time_rule="page-offset",
    )
    sitemap = {"news_title": "Other", "news_publication_date": "2023-01-01T00:00:00+00:00"}
    out = apply_hints(dated, sitemap)
    assert out.title == "Own title" and out.time_rule == "page-offset"
    undated = ParsedArticle(url="https://x.org/c", canonical_url="https://x.org/c")
    assert apply_hints(undated, sitemap).time_rule == "news-sitemap"


def _article_body(title: str, paras: str, where: str) -> str:
    """The body parsed from ARTICLE with these paragraphs, at https://{where}/<slug>."""
    page = ARTICLE.format(title=title, paras=paras, links="")
    slug = "-".join(title.lower().split())
    return parse_page(page.encode(), f"https://{where}/{slug}").body


def _paragraphs(sentence: str, count: int = 3) -> str:
    """`count` article paragraphs, "Paragraph 1 <sentence>" and so on."""
    return "".join(f"<p>Paragraph {i} {sentence}</p>" for i in range(1, count + 1))


def test_nested_lists_and_block_items_are_read_once_and_not_glued() -> None:
    """WCXB pages nest lists (CDC's tips, a wine guide's regions) and put a heading and a
    paragraph in one item (a solar guide's steps): each text once, on a line of its own."""
    intro = _paragraphs(
        "explains what a beginner should know before planning the first trip to the wine "
        "regions of Europe, and why each region tastes different."
    )
    regions = (
        "<ul><li><b>France</b><br><ul>"
        "<li><b>Bordeaux</b>: red blends of Cabernet Sauvignon and Merlot from the left bank.</li>"
        "<li><b>Burgundy</b>: Pinot Noir and Chardonnay from the Côte d'Or slopes.</li>"
        "</ul></li><li><div><h3>Plan Your Route</h3><p>Before you book, choose two regions "
        "that are close to each other and to a railway station.</p></div></li></ul>"
    )
    body = _article_body("Wine regions for beginners", intro + regions, "wine.example.com/guides")
    assert body.count("Bordeaux: red blends") == 1
    assert body.count("Burgundy: Pinot Noir") == 1
    assert "FranceBordeaux" not in body and "RouteBefore" not in body
    assert "Plan Your Route\n\nBefore you book" in body


def test_block_children_of_a_quote_or_cell_are_not_glued_to_each_other() -> None:
    """WCXB 0253 quotes a heading and a list ("HR actions to takeContribute to..."), WCXB 4701
    writes a photo credit paragraph right after a paragraph inside one block."""
    intro = _paragraphs(
        "explains how human resources teams plan for the coming year and why the budget "
        "talks with finance start earlier than they used to."
    )
    quote = (
        "<blockquote><h3>HR actions to take</h3><ul><li><strong>Contribute to planning:"
        "</strong> bring workforce data into the budget decisions of the year.</li>"
        "<li><strong>Audit the tools:</strong> list every system that touches staff data.</li>"
        "</ul></blockquote>"
    )
    body = _article_body("HR trends for the year", intro + quote, "hr.example.com/blog")
    assert "takeContribute" not in body and "year.Audit" not in body
    assert "Contribute to planning:" in body and "Audit the tools:" in body


def test_prose_named_like_link_furniture_is_kept_and_real_link_boxes_still_go() -> None:
    """Consumer Reports writes the end of its article in id="more-on-...-related-articles-text"
    (WCXB 4184); a "related" box of story links is still furniture. The page cleanup alone:
    what trafilatura then keeps is its own decision."""
    prose = "".join(
        f"<p><strong>Point {i}:</strong> Stick with the owner's manual, says a mechanic who "
        f"has serviced cars for twenty years and seen every upsell a shop can make.</p>"
        for i in range(1, 5)
    )
    links = _link_items("/cars/story-{i}", "How to save money on car repairs, part {i}", 6)
    page = (
        "<html><body><article><p>" + "An article paragraph about car maintenance. " * 80
        + '</p><div id="more-on-car-repair-related-articles-text">' + prose + "</div>"
        + f'<div class="related-articles"><ul>{links}</ul></div></article></body></html>'
    )  # fmt: skip
    root = preclean(lxml.html.fromstring(page), None)
    text = root.text_content()
    assert "Point 1:" in text and "Point 3:" in text
    assert "How to save money on car repairs" not in text


def _thread_page(og_type: str, main_attrs: str = "") -> bytes:
    """A question and three replies, the replies marked up as comments (as Discourse, Lemmy
    and lobste.rs do)."""
    replies = "".join(
        f'<div class="comment" id="post-{i}"><div class="author">user{i}</div>'
        f"<p>Reply {i}: I had the same trouble with my router last winter, and what fixed it "
        f"was resetting the DNS settings and updating the firmware from the vendor's site.</p>"
        "</div>"
        for i in range(1, 4)
    )
    return (
        f'<html><head><title>Router drops the connection</title><meta property="og:type" '
        f'content="{og_type}"></head><body><main{main_attrs}><h1>Router drops the connection</h1>'
        "<p>My router drops the connection every evening at about nine. I have tried a new "
        "cable and another power socket, and the logs show nothing unusual. Any ideas?</p>"
        f'<section class="comments">{replies}</section></main></body></html>'
    ).encode()


def test_a_threads_replies_are_its_main_text_and_an_articles_comments_are_not() -> None:
    """WCXB's forum pages (Kerbal, PrestaShop, Vanilla) hold their replies in comment markup,
    and the replies are the main text: the comment junk rule dropped them all."""
    thread = parse_page(_thread_page("website"), "https://forum.example.org/threads/router.123/")
    assert thread.page_type == "forum"
    assert all(f"Reply {i}:" in thread.body for i in (1, 2, 3)), thread.body
    article = parse_page(_thread_page("article"), "https://news.example.org/2024/router-drops")
    assert article.page_type == "article"
    assert "Reply" not in article.body and "every evening" in article.body
    # a thread known by its microdata alone (Tapatalk), not by its URL
    marked = ' itemscope itemtype="https://schema.org/DiscussionForumPosting"'
    tapatalk = parse_page(_thread_page("website", marked), "https://groups.example.org/t123")
    assert tapatalk.page_type == "forum" and "Reply 3:" in tapatalk.body


def test_heading_permalinks_are_not_link_teasers() -> None:
    """WCXB tune: a music guide's headings are permalinks (<h3 id="x"><a href="#x">): the
    teaser rule (a short block that is mostly link) took every one of them."""
    sections = "".join(
        f'<h3 id="s{i}"><a href="#s{i}">Section {i} heading</a></h3>'
        + _paragraphs(f"of section {i} explains the point in a few plain words.", 2)
        for i in range(1, 4)
    )
    body = _article_body("A beginner's guide", sections, "guides.example.com")
    assert all(f"Section {i} heading" in body for i in (1, 2, 3)), body


@pytest.mark.parametrize(
    "byline",
    [
        "<div><span>By</span><span>Daryl Austin</span></div>",  # no space between the two
        "<div><div>Written by</div><div>Daryl Austin</div></div>",
        "<div><h2>Article by</h2><div>Daryl Austin</div></div>",
    ],
)
def test_a_byline_label_and_the_name_in_sibling_elements(byline: str) -> None:
    """WCXB tune (National Geographic, a blog's author box): the label and the name sit in
    two elements, glued together in the parent's text."""
    page = ARTICLE.format(
        title="Walking every day", paras=byline + _paragraphs("is about walking.", 4), links=""
    ).replace("<p>By Jane Doe</p>", "")
    art = parse_page(page.encode(), "https://health.example.com/walking-every-day")
    assert art.authors == ["Daryl Austin"], art.authors


def test_an_articles_faq_questions_do_not_make_it_a_thread() -> None:
    """WCXB tune (a software price guide): an article's FAQ declares JSON-LD Questions; the
    page stays an article and its comment section stays out of the body."""
    faq = (
        '{"@type": "FAQPage", "mainEntity": [{"@type": "Question", "name": "Why?", '
        '"acceptedAnswer": {"@type": "Answer", "text": "Because."}}]}'
    )
    page = _thread_page("article").replace(
        b"</head>", f'<script type="application/ld+json">{faq}</script></head>'.encode()
    )
    art = parse_page(page, "https://news.example.org/2024/router-drops")
    assert art.page_type == "article" and "Reply" not in art.body
