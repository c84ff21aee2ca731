from shared.contracts import ParsedArticle


def _article(**kw) -> ParsedArticle:
    return ParsedArticle(url="https://x.org/a", canonical_url="https://x.org/a", body="b", **kw)


def test_a_page_that_is_not_an_article_keeps_its_type_among_the_flags():
    from services.parser.store import _flags

    assert _flags(_article(page_type="forum", flags=["tz-unknown"])) == [
        "tz-unknown",
        "page-type:forum",
    ]
    assert _flags(_article(flags=["tz-unknown"])) == ["tz-unknown"]  # an article says nothing
