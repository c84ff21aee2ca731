"""The parser's field signals one by one: printed dates, the ranked time decision, canonical
guard, titles against their sources, bylines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml import html as lxml_html

from services.parser import datetext, published
from services.parser.authors import choose_authors, cjk_bylines, people
from services.parser.metadata import PageMeta
from services.parser.titles import choose_title, learnt_site_names
from services.parser.urls import trusted_canonical


@pytest.mark.parametrize(
    ("text", "expected", "has_time", "label"),
    [
        ("Published on March 12th, 2024 17:19PM", datetime(2024, 3, 12, 17, 19), True, "published"),
        ("发布时间：2019-09-07 13:43:45", datetime(2019, 9, 7, 13, 43, 45), True, "published"),
        ("2024年3月31日 10:30 来源：新华网", datetime(2024, 3, 31, 10, 30), True, None),
        ("31. März 2024, 10.15 Uhr", datetime(2024, 3, 31, 10, 15), True, None),
        ("Updated: 21/01/2024 - 01:18", datetime(2024, 1, 21, 1, 18), True, "updated"),
        ("Publié le 3 juin 2024", datetime(2024, 6, 3), False, "published"),
        ("Oct. 5, 2023", datetime(2023, 10, 5), False, None),
    ],
)
def test_printed_dates(text: str, expected: datetime, has_time: bool, label: str | None) -> None:
    (found,) = datetext.scan(text)
    assert found.value.replace(tzinfo=None) == expected
    assert found.has_time is has_time and found.label == label


def test_printed_zone_and_order() -> None:
    (found,) = datetext.scan("Oct. 5, 2023 at 3:15 p.m. EDT")
    assert found.value == datetime(2023, 10, 5, 15, 15, tzinfo=timezone(timedelta(hours=-4)))
    (month_first,) = datetext.scan("10/05/2023", month_first=True)
    assert month_first.value == datetime(2023, 10, 5)
    (day_first,) = datetext.scan("10/05/2023")
    assert day_first.value == datetime(2023, 5, 10)


def test_headline_region_beats_story_dates() -> None:
    tree = lxml_html.document_fromstring(
        "<html><body><nav>Today 2024-05-02</nav><h1>Headline</h1>"
        "<div><a href='/a'>Ann Lee</a> <font>2024年4月30日 08:15</font></div>"
        "<table><tr><td>x</td></tr></table>"
        "<p>On 1 January 2024 something happened, long ago in the story.</p></body></html>"
    )
    found = published.header_region(tree, tree.find(".//h1"))
    zone = published.Zone("Asia/Shanghai", "publisher-tz")
    decision = published.decide(found, zone, datetime(2024, 5, 3, tzinfo=UTC))
    assert decision.published == datetime(2024, 4, 30, 0, 15, tzinfo=UTC)
    assert decision.rule == "publisher-tz:Asia/Shanghai"


def test_decision_ranks_and_never_after_fetch() -> None:
    fetched = datetime(2024, 5, 1, 12, tzinfo=UTC)
    cands = published.declared([("json-ld", "2099-01-01T00:00:00Z"), ("meta", "2024-04-30")])
    cands += [published.Candidate(datetime(2024, 4, 30, 9, 30), True, "header")]
    decision = published.decide(cands, published.Zone("Europe/Paris", "tld-tz"), fetched)
    # the future JSON-LD date is flagged and skipped; the date-only meta takes the printed clock
    assert decision.published == datetime(2024, 4, 30, 7, 30, tzinfo=UTC)
    assert "date-in-future" in decision.flags
    assert decision.local.utcoffset() == timedelta(hours=2)


def test_unknown_zone_is_flagged() -> None:
    zone = published.zone_for(None, "example.com", "en")
    decision = published.decide(published.declared([("meta", "2024-04-30 10:00")]), zone, None)
    assert decision.rule == "assumed-utc" and decision.flags == ["tz-unknown"]
    assert published.zone_for(None, "example.com", "zh").name == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("canonical", "trusted"),
    [
        ("https://news.example.com/", False),  # the home page
        ("https://other.org/", False),  # another domain's root
        ("https://news.example.com/world/", False),  # the section front above the page
        ("https://news.example.com/world/2024/story-slug", True),
        ("https://news.example.com/story-slug", True),  # an AMP copy's canonical keeps the slug
        ("https://syndicated.org/world/story-slug", True),
    ],
)
def test_canonical_guard(canonical: str, trusted: bool) -> None:
    page = "https://news.example.com/amp/world/2024/story-slug"
    assert (trusted_canonical(page, canonical) is not None) is trusted


def test_title_from_matching_h1_and_learnt_site_names() -> None:
    meta = PageMeta(
        title="Fury und Usyk: Der Kampf des Jahres",
        title_tag="Fury und Usyk: Der Kampf des Jahres | Braunschweiger Zeitung",
        h1s=["Newsletter", "Fury und Usyk: Der Kampf des Jahres"],
    )
    assert choose_title(meta, set(), "www.braunschweiger-zeitung.de") == meta.title
    names = learnt_site_names(meta, "www.braunschweiger-zeitung.de")
    assert "Braunschweiger Zeitung" in names
    bare = PageMeta(title_tag="Der Kampf des Jahres - DerStandard.at")
    assert choose_title(bare, set(), "www.derstandard.at") == "Der Kampf des Jahres"


def test_bylines() -> None:
    assert people(["Written by Jane Doe", "byScott Miller"], set()) == ["Jane Doe", "Scott Miller"]
    assert people(["Felix Schröder und Jörg Soldwisch"], set()) == [
        "Felix Schröder",
        "Jörg Soldwisch",
    ]
    assert people(["Diana Resnik"], set()) == ["Diana Resnik"]  # "Di" is no label here
    assert cjk_bylines("正文……（记者唐霁）法国9日……") == ["唐霁"]
    assert cjk_bylines("正文……责任编辑：张迪 ") == ["张迪"]
    org = choose_authors([], [], [], ["Associated Press"], {"VOA"})
    assert org == ["Associated Press"]  # no person: the organisation credited


def test_agencies_credited_beside_a_person_or_alone() -> None:
    # an agency beside the writer is a co-author credit
    both = choose_authors(["Felix Schröder, Jörg Soldwisch, dpa"], [], [], [], set())
    assert both == ["Felix Schröder", "Jörg Soldwisch", "dpa"]
    # a declared agency alone does not hide the writer printed in the byline
    assert choose_authors(["Reuters"], ["By Jane Doe"], [], [], set()) == ["Jane Doe"]
    # and with no writer anywhere the declared agency is the author
    assert choose_authors(["Associated Press"], [], [], [], {"VOA"}) == ["Associated Press"]


def test_labelled_byline_anywhere_on_the_page() -> None:
    from services.parser.metadata import labelled_bylines

    page = (
        "<html><body><nav><p>By Menu Person</p></nav><p>By clicking you agree to cookies.</p>"
        "<div><span>Written by</span> <a href='/a/jc'>John Crenshaw</a></div></body></html>"
    )
    assert labelled_bylines(lxml_html.fromstring(page)) == ["John Crenshaw"]
    assert (
        labelled_bylines(lxml_html.fromstring("<html><body><p>by the sea</p></body></html>")) == []
    )


def test_declared_author_that_the_page_prints_as_its_source_is_not_the_author() -> None:
    from services.parser import parse_page

    story = (
        "<p>" + "北京消息，今日天气晴朗，市民纷纷外出游玩，公园里人头攒动，热闹非凡。" * 12 + "</p>"
    )
    page = (
        '<html><head><meta charset="utf-8"><meta property="article:author" content="参考消息">'
        "<title>公园游人如织</title></head><body><h1>公园游人如织</h1>"
        '<div class="date-source"><a class="source" href="http://x.cn">参考消息</a></div>'
        f"<div class='article'>{story}<p>责任编辑：张迪</p></div></body></html>"
    )
    art = parse_page(page.encode("utf-8"), "https://news.sina.com.cn/c/2019-11-25/doc-1.shtml")
    assert art.authors == ["张迪"]


def test_site_named_authors_as_the_last_resort() -> None:
    from services.parser.metadata import extract_meta

    card = (
        '<html><head><meta name="twitter:label1" content="Written by">'
        '<meta name="twitter:data1" content="Kev"></head><body></body></html>'
    )
    assert extract_meta(lxml_html.fromstring(card)).authors == ["Kev"]
    # a byline that names only the site itself is still what the page credits
    assert choose_authors([], ["By Clay"], [], [], {"Clay"}) == ["Clay"]
    assert choose_authors([], ["By Clay", "By Jane Doe"], [], [], {"Clay"}) == ["Jane Doe"]
