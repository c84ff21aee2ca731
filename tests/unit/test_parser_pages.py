"""parse_page / parse_feed_item on realistic pages in tests/pages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from services.parser import (
    EXTRACTOR_VERSION,
    UndecodableContent,
    decode_html,
    parse_feed_item,
    parse_page,
)
from shared.contracts import NotAnArticle, ParseFailure

PAGES = Path(__file__).resolve().parent.parent / "pages"

RFI_CN_URL = (
    "https://www.rfi.fr/cn/%E5%9B%BD%E9%99%85/20240121-%E4%BF%84%E6%80%BB%E7%BB%9F%E6%99%AE"
    "%E4%BA%AC%E8%A1%A8%E7%A4%BA%E6%84%BF%E6%84%8F-%E5%B0%BD%E5%BF%AB-%E8%AE%BF%E9%97%AE%E5%B9%B3"
    "%E5%A3%A4"
)
SINA_URL = "https://news.sina.com.cn/c/2024-03-31/doc-inaqwert1234567.shtml"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def paragraphs(body: str) -> list[str]:
    return body.split("\n\n")


# --------------------------------------------------------------------------- RFI (profile)
def test_rfi_cn_article() -> None:
    art = parse_page(
        page("rfi_cn_article.html"),
        RFI_CN_URL + "?utm_source=twitter#comments",
        {"Content-Type": "text/html; charset=UTF-8"},
    )
    assert art.canonical_url == RFI_CN_URL  # rel=canonical wins over og:url with utm params
    assert art.title == "平壤：俄总统普京表示愿意尽快访问朝鲜"
    assert art.lead.startswith("据朝中社1月21日报导") and art.lead.endswith("有意尽快访问平壤。")
    paras = paragraphs(art.body)
    assert paras[0] == art.lead  # the standfirst opens the body, as in the saved snapshots
    assert len(paras) == 5
    assert paras[-1].startswith("去年10月") and paras[-1].endswith("深表担忧。")
    for junk in (
        "电邮新闻",
        "头条新闻就在您的每日新闻信里",
        "订阅",
        "分享",
        "阅读更多",
        "相关文章",
    ):
        assert junk not in art.body, junk
    assert "资料图片" not in art.body  # the caption is not body text
    assert art.authors == ["麦欣"]  # the Organization author "RFI" is not a person
    assert art.published_at == datetime(2024, 1, 21, 0, 18, tzinfo=UTC)
    assert art.updated_at == datetime(2024, 1, 21, 0, 45, 10, tzinfo=UTC)
    assert art.time_rule == "page-offset"
    assert art.language == "zh"  # og:locale says en_US: the text decides
    assert art.section == "国际"
    assert art.tags == ["朝鲜", "俄罗斯", "普京"]
    assert art.image_url.endswith("RUSSIA-NORTH-KOREA-PUTIN.JPG")
    assert (
        art.image_caption
        == "资料图片：俄罗斯总统普京2024年1月16日在克里姆林宫会见朝鲜外务相崔善姬。"
    )
    assert art.image_credit == "© Reuters - Sputnik"
    assert art.site_name == "RFI"
    assert art.fetched_at is None and art.flags == []
    assert art.extractor == EXTRACTOR_VERSION


def test_rfi_local_times_across_dst_changes() -> None:
    """Times without offset are Paris wall-clock times; both 2024 DST changes are crossed."""
    art = parse_page(
        page("rfi_fr_dst_local_time.html"),
        "https://www.rfi.fr/fr/france/20241027-changement-heure-boulangers",
    )
    # 27 Oct 2024 02:30 happens twice in Paris; the first (CEST, UTC+2) is taken.
    assert art.published_at == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    # 31 Mar 2024 03:30 is just after the spring-forward: CEST, UTC+2.
    assert art.updated_at == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    assert art.time_rule == "publisher-tz:Europe/Paris"
    assert art.language == "fr"
    assert paragraphs(art.body)[0] == art.lead
    assert "Newsletter" not in art.body and "abonne" not in art.body
    assert art.title == "Changement d'heure : la nuit la plus courte de l'année pour les boulangers"


# --------------------------------------------------------------------------- charsets
def test_gbk_page_declared_gb2312() -> None:
    raw = page("gbk_article.html")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb2312")  # the page uses a GBK-only character (镕) despite its label
    art = parse_page(raw, SINA_URL, {"Content-Type": "text/html"})
    assert (
        art.title == "纪念朱镕基总理主持金融改革三十周年座谈会在京举行"
    )  # "_新闻中心_新浪网" dropped
    assert "朱镕基同志" in art.body
    assert "\ufffd" not in art.body
    assert art.published_at == datetime(2024, 3, 31, 2, 30, tzinfo=UTC)  # +08:00 on the page
    assert art.language == "zh"
    assert art.site_name == "新浪新闻"
    assert "责任编辑" not in art.body and "相关新闻" not in art.body and "分享到" not in art.body
    assert "座谈会现场" not in art.body  # caption
    assert art.image_caption == "座谈会现场。新华社记者 李鑫 摄"
    assert art.image_url == "https://n.sinaimg.cn/news/transform/20240331/a1b2-kcwiw.jpg"
    assert art.section is None  # "/c/" is a code, not a section name
    assert art.tags == ["朱镕基", "金融改革", "座谈会"]


def test_undeclared_charset_is_detected() -> None:
    raw = page("undeclared_charset.html")
    assert b"charset" not in raw
    text = decode_html(raw, {"Content-Type": "text/html"})
    assert "纪念朱镕基总理" in text
    art = parse_page(raw, SINA_URL)
    assert "朱镕基同志主持推进分税制" in art.body


def test_big5_page_with_hkscs_characters() -> None:
    raw = page("big5_article.html")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("big5")  # 綫 is in HKSCS only
    art = parse_page(raw, "https://www.hknews.example/hk/2024/05/06/mtr.html", {})
    assert art.title == "港鐵觀塘綫列車故障 上班時間大批乘客滯留"
    assert art.language == "zh-Hant"
    assert "啲人逼到喺月台" in art.body
    assert art.authors == ["陳家明"]
    assert art.section == "港聞"
    assert art.published_at == datetime(2024, 5, 6, 1, 12, tzinfo=UTC)
    assert "相關新聞" not in art.body and "版權所有" not in art.body


def test_a_page_that_double_encoded_its_own_utf8_is_repaired() -> None:
    """WCXB 4656 stores "Investor’s" as UTF-8 of its Latin-1 reading ("Investorâ\x80\x99s")."""
    title = "A DIY Investor’s Guide – “Retirement” Calculators, café"
    twice = title.encode("utf-8").decode("latin-1").encode("utf-8")
    page = "<html><head><meta charset='utf-8'><title>{}</title></head><body></body></html>"
    assert decode_html(page.format(twice.decode("utf-8")).encode("utf-8"), None) == page.format(
        title
    )
    # text that only looks alike stays as written
    for legit in ("café—bar", "Ça va–oui", "Zürich€", "Élysée : « déjà » 北京"):
        assert decode_html(legit.encode("utf-8"), None) == legit


def test_decode_order_and_failures() -> None:
    text = "Élysée : « déjà » 北京"
    assert decode_html(b"\xef\xbb\xbf" + text.encode("utf-8"), None) == text  # BOM
    assert decode_html(text.encode("utf-16"), {"content-type": "text/html"}) == text
    # The header wins over <meta>; GB2312 is read as GB18030.
    gbk = "<meta charset='utf-8'><p>朱镕基</p>".encode("gbk")
    assert "朱镕基" in decode_html(gbk, {"Content-Type": "text/html; charset=gb2312"})
    # A stale ISO-8859-1 header on UTF-8 bytes must not produce mojibake.
    assert (
        decode_html(text.encode("utf-8"), {"Content-Type": "text/html; charset=ISO-8859-1"}) == text
    )
    # Binary garbage is a recorded failure, not text.
    garbage = bytes(range(256)) * 40
    with pytest.raises(UndecodableContent):
        decode_html(garbage, {"Content-Type": "text/html; charset=utf-8"})
    with pytest.raises(ParseFailure):
        parse_page(garbage, "https://example.com/a")


# --------------------------------------------------------------------------- English / French
def test_english_article() -> None:
    url = "https://www.reuters.com/business/energy/europes-power-prices-turn-negative-solar-output-hits-record-2024-04-14/"
    art = parse_page(page("english_article.html"), url + "?taid=abc")
    assert art.canonical_url == url  # host lowercased, utm_*/fbclid and fragment dropped
    assert art.title == "Europe's power prices turn negative as solar output hits record"
    assert art.authors == ["Nora Buli", "Forrest Crellin"]
    assert art.published_at == datetime(2024, 4, 14, 15, 42, 10, tzinfo=UTC)
    assert art.updated_at == datetime(2024, 4, 14, 18, 3, 55, tzinfo=UTC)
    assert art.language == "en" and art.section == "Energy" and art.site_name == "Reuters"
    paras = paragraphs(art.body)
    assert paras[0].startswith("OSLO/LONDON, April 14 (Reuters) - Wholesale")
    assert len([p for p in paras if len(p) > 150]) == 6
    for junk in (
        "Sign up here",
        "newsletter",
        "Read Next",
        "Email the author",
        "Our Standards",
        "LinkedIn",
    ):
        assert junk not in art.body, junk
    assert "Solar panels at a solar park" not in art.body
    assert (
        art.image_caption == "Solar panels at a solar park in Brandenburg, Germany, April 2, 2024."
    )
    assert art.image_credit == "REUTERS/Annegret Hilse"
    assert art.tags == ["Solar", "Electricity", "Europe"]


def test_french_article() -> None:
    url = "https://www.lemonde.fr/societe/article/2024/03/31/le-gouvernement-presente-son-plan-pour-le-logement-etudiant_6225000_3224.html"
    art = parse_page(page("french_article.html"), url)
    assert art.language == "fr"  # <html lang="en"> and og:locale en_US lie
    assert art.authors == ["Jean Dupont", "Marie Martin"]  # meta author "Le Monde" is the outlet
    assert art.published_at == datetime(2024, 3, 31, 8, 15, 2, tzinfo=UTC)
    assert art.section == "Société"
    paras = paragraphs(art.body)
    assert paras[0].startswith("Le gouvernement a présenté, dimanche 31 mars")
    assert "Des terrains de l'État mobilisés" in paras  # subheading kept as its own paragraph
    assert paras[-1].startswith("Les collectivités locales")
    for junk in ("Lire aussi", "Newsletter", "S'inscrire", "Réactions", "Paul B.", "Tous droits"):
        assert junk not in art.body, junk


# --------------------------------------------------------------------------- not articles
@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("listing_page.html", "https://www.example-times.com/world/"),
        ("cn_listing_page.html", "https://news.sina.com.cn/china/"),
    ],
)
def test_listing_is_flagged_or_rejected(name: str, url: str) -> None:
    """A section front is never an "article": rejected as a listing when it is only links,
    otherwise its main text is kept and flagged with the page type."""
    try:
        art = parse_page(page(name), url)
    except NotAnArticle as exc:
        assert exc.kind == "listing"
    else:
        assert art.page_type == "listing"


@pytest.mark.parametrize(
    ("name", "url", "kind"),
    [
        ("blocked_page.html", "https://www.example-news.com/2024/04/14/story", "blocked"),
        ("soft404_page.html", "https://www.france24.com/fr/europe/20240414-disparu", "soft-404"),
    ],
)
def test_not_an_article(name: str, url: str, kind: str) -> None:
    with pytest.raises(NotAnArticle) as exc:
        parse_page(page(name), url)
    assert exc.value.kind == kind


def test_non_html_and_empty() -> None:
    with pytest.raises(NotAnArticle) as exc:
        parse_page(
            b"%PDF-1.7 ...", "https://example.com/a.pdf", {"Content-Type": "application/pdf"}
        )
    assert exc.value.kind == "not-html"
    with pytest.raises(NotAnArticle) as exc:
        parse_page(b"<html><body><div>Menu</div></body></html>", "https://example.com/x")
    assert exc.value.kind == "no-body"


def test_date_flags() -> None:
    html = page("english_article.html")
    future = html.replace(b"2024-04-14T15:42:10", b"2099-04-14T15:42:10")
    assert "date-in-future" in parse_page(future, "https://www.reuters.com/a/").flags
    old = html.replace(b"2024-04-14T15:42:10", b"1970-01-01T00:00:10")
    assert "date-before-1990" in parse_page(old, "https://www.reuters.com/a/").flags


# --------------------------------------------------------------------------- feed items
def test_feed_item_with_full_content() -> None:
    feed = feedparser.parse(page("rfi_cn_feed.xml"))
    (entry,) = feed.entries
    art = parse_feed_item(entry, "https://www.rfi.fr/cn/rss")
    assert (
        art.title == "俄外长拉夫罗夫抵达平壤 或为普京到访做准备"
    )  # item title, whitespace collapsed
    assert art.canonical_url.startswith("https://www.rfi.fr/cn/%E5%9B%BD%E9%99%85/20231018-")
    assert "utm_" not in art.canonical_url
    assert art.published_at == datetime(2023, 10, 18, 11, 28, tzinfo=UTC)
    assert art.updated_at is None
    assert art.tags == ["国际", "俄罗斯", "朝鲜"]
    assert art.authors == ["安德烈"]
    assert art.image_url.endswith("000_15h9fp_1.jpg")
    assert art.language == "zh" and art.section == "国际"
    paras = paragraphs(art.body)
    assert paras[0] == art.lead and art.lead.startswith("在北京行之后")  # bold first paragraph
    assert len(paras) == 5
    assert "电邮新闻" not in art.body and "订阅" not in art.body


def test_gb2312_portal_with_br_paragraphs() -> None:
    """A People's Daily-style page: GB2312 label, text in a <div> split by <br>, no <p>."""
    art = parse_page(
        page("gb2312_br_paragraphs.html"),
        "http://politics.people.com.cn/n1/2024/0331/c1001-40207000.html",
        {"Content-Type": "text/html"},
    )
    assert art.title == "国务院常务会议部署推动大规模设备更新"  # "--时政--人民网" dropped via <h1>
    paras = paragraphs(art.body)
    assert len(paras) == 4
    assert paras[0].startswith("新华社北京3月30日电 国务院总理主持召开")
    assert paras[-1].endswith("确保各项举措落地见效。")
    for junk in ("人民网首页", "分享到", "责编", "版权所有", "2024年03月31日"):
        assert junk not in art.body, junk
    # <meta name="publishdate"> has the date only; the printed Beijing time is more exact.
    assert art.published_at == datetime(2024, 3, 31, 2, 30, tzinfo=UTC)
    assert art.time_rule.endswith("Asia/Shanghai")
    assert art.language == "zh"
    assert art.authors == []  # meta author "人民网" is the outlet itself


def test_gbk_portal_caption_paragraph_and_keyword_description() -> None:
    """A NetEase-style page: <meta charset="gbk">, an image caption as a <p>, a description that
    is only "headline,keywords", and the unregistered outlet's own name as author."""
    art = parse_page(
        page("netease_gbk_article.html"),
        "https://www.163.com/dy/article/J0ABCDEF0519QIKK.html",
        {"Content-Type": "text/html"},
    )
    assert art.title == "多地发布楼市新政 首付比例进一步下调"  # "_网易新闻" dropped
    paras = paragraphs(art.body)
    assert paras[0].startswith("中新网4月2日电")  # not the caption "资料图"
    assert len(paras) == 4
    for junk in ("资料图", "责任编辑", "本文来源", "下一篇", "跟贴", "文明上网"):
        assert junk not in art.body, junk
    assert art.lead is None  # the description only repeats the headline and keywords
    assert art.authors == ["网易"]  # the outlet: all the page credits (no byline, no editor)
    assert art.published_at == datetime(2024, 4, 2, 1, 15, 22, tzinfo=UTC)
    assert art.tags == ["楼市", "首付", "房贷"]


def test_rfi_profile_serves_every_edition() -> None:
    """The /tw/ edition shares the /cn/ layout: same profile, traditional text -> zh-Hant."""
    art = parse_page(
        page("rfi_tw_article.html"),
        "https://www.rfi.fr/tw/%E5%8F%B0%E7%81%A3/20240321-%E5%8F%B0%E7%81%A3%E5%A4%AE%E8%A1%8C",
    )
    assert art.title == "台灣央行意外升息半碼 抑制通膨預期"
    assert art.language == "zh-Hant"
    assert art.section == "台灣"
    paras = paragraphs(art.body)
    assert paras[0] == art.lead and len(paras) == 4
    for junk in ("電郵新聞", "頭條新聞就在您的每日新聞信裡", "訂閱", "分享", "Facebook"):
        assert junk not in art.body, junk
    assert art.authors == ["林琳"]
