"""shared.sanitize: what a hostile page produces becomes storable, flagged, or a typed failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared import sanitize
from shared.contracts import (
    CitedSource,
    Enrichment,
    EntityMention,
    NotAnArticle,
    ParsedArticle,
    ParseFailure,
    PublisherInfo,
)
from shared.sanitize import (
    UnstorableArticle,
    sanitize_article,
    sanitize_enrichment,
    sanitize_publisher,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
URL = "https://news.example.com/2025/12/31/story.html"


def article(**kw) -> ParsedArticle:
    values = dict(url=URL, canonical_url=URL, title="Title", body="First.\n\nSecond paragraph.")
    values.update(kw)
    return ParsedArticle(**values)


def _all_strings(a: ParsedArticle) -> list[str]:
    out = [a.url, a.canonical_url, a.body, *a.authors, *a.tags, *a.flags]
    out += [a.title, a.lead, a.section, a.site_name, a.image_caption, a.image_credit]
    return [s for s in out if s is not None]


def test_a_clean_article_comes_back_unchanged() -> None:
    a = article(authors=["Jane Doe"], tags=["world"], published_at=NOW - timedelta(days=1))
    assert sanitize_article(a, NOW) == a


def test_nul_and_lone_surrogates_are_removed_everywhere_and_flagged() -> None:
    bad = "Bad\x00 ti\ud800tle\udfff"
    a = article(
        title=bad, body="Body\x00 text \ud83d.", authors=[bad], tags=[bad], section=bad, lead=bad
    )
    out = sanitize_article(a, NOW)
    assert out.title == "Bad title"
    assert out.body == "Body text ."
    assert out.authors == ["Bad title"] and out.tags == ["Bad title"]
    assert "text-unstorable-chars-removed" in out.flags
    for s in _all_strings(out):
        s.encode("utf-8")  # would raise on a surrogate
        assert "\x00" not in s


def test_a_real_surrogate_pair_character_survives() -> None:
    out = sanitize_article(article(title="Party 🎉 time"), NOW)
    assert out.title == "Party 🎉 time" and not out.flags


def test_overlong_canonical_url_falls_back_to_the_page_url() -> None:
    out = sanitize_article(article(canonical_url="https://x.example/" + "a" * 10_000), NOW)
    assert out.canonical_url == URL
    assert "canonical-url-too-long-dropped" in out.flags
    assert len(out.canonical_url.encode()) <= sanitize.MAX_INDEXED_BYTES


def test_no_url_fits_the_index_is_a_typed_failure() -> None:
    long = "https://x.example/" + "a" * 10_000
    with pytest.raises(UnstorableArticle) as err:
        sanitize_article(article(url=long, canonical_url=long), NOW)
    assert isinstance(err.value, ParseFailure)
    assert "2000-byte" in str(err.value)


def test_multibyte_canonical_url_is_measured_in_bytes() -> None:
    canonical = "https://x.example/" + "新" * 700  # 2,100 bytes, 718 characters
    out = sanitize_article(article(canonical_url=canonical), NOW)
    assert out.canonical_url == URL


def test_absurd_sizes_are_capped_and_flagged() -> None:
    a = article(
        title="t" * 200_000,
        body=("word " * 30 + "\n\n") * 5000,
        authors=[f"Author {i}" for i in range(5000)],
        tags=[f"tag{i}" for i in range(5000)] + ["x" * 10_000],
        image_url="https://img.example/" + "i" * 10_000,
    )
    out = sanitize_article(a, NOW)
    assert len(out.title) <= sanitize.MAX_TITLE
    assert len(out.body) <= sanitize.MAX_BODY and out.body.endswith("word")
    assert len(out.authors) == sanitize.MAX_AUTHORS and len(out.tags) == sanitize.MAX_TAGS
    assert out.image_url is None
    for flag in ("title-truncated", "body-truncated", "authors-capped", "tags-capped",
                 "tags-too-long-dropped", "image-url-too-long-dropped"):  # fmt: skip
        assert flag in out.flags


def test_body_of_only_unstorable_characters_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle) as err:
        sanitize_article(article(body="\x00\x00\ud800"), NOW)
    assert err.value.kind == "no-body"


@pytest.mark.parametrize(
    "when",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),  # before year 1 in UTC
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-12))),  # after 9999
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1899, 12, 31, tzinfo=UTC),
        NOW + timedelta(days=400),
    ],
)
def test_impossible_times_are_dropped_and_flagged(when: datetime) -> None:
    out = sanitize_article(article(published_at=when, updated_at=when), NOW)
    assert out.published_at is None and out.updated_at is None
    assert "published-at-out-of-range-dropped" in out.flags
    assert "updated-at-out-of-range-dropped" in out.flags


def test_naive_and_offset_times_become_utc() -> None:
    naive = datetime(2025, 6, 1, 12, 0)
    paris = datetime(2025, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    out = sanitize_article(article(published_at=naive, updated_at=paris), NOW)
    assert out.published_at == datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert out.updated_at == datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert out.updated_at.tzinfo is UTC
    assert out.flags == ["published-at-naive-assumed-utc"]


def test_existing_flags_are_kept_and_bounded() -> None:
    out = sanitize_article(article(flags=["date-in-future", "date-in-future"]), NOW)
    assert out.flags == ["date-in-future"]
    many = sanitize_article(article(flags=[f"f{i}" for i in range(500)]), NOW)
    assert len(many.flags) <= sanitize.MAX_FLAGS


def test_overlong_language_is_dropped() -> None:
    out = sanitize_article(article(language="en-" + "x" * 100), NOW)
    assert out.language is None and "language-invalid-dropped" in out.flags


def test_the_input_is_not_modified() -> None:
    a = article(title="t\x00", flags=["date-in-future"])
    sanitize_article(a, NOW)
    assert a.title == "t\x00" and a.flags == ["date-in-future"]


# --------------------------------------------------------------------------- enrichment
def test_entities_equal_after_cleaning_merge_their_mentions() -> None:
    e = Enrichment(
        entities=[
            EntityMention("中国", "LOC", 2, [(0, 2), (10, 12)]),
            EntityMention("中\x00国", "LOC", 1, [(20, 22)]),
            EntityMention("中国", "LOC", 1, [(10, 12)]),  # the same entity emitted twice
        ]
    )
    out, flags = sanitize_enrichment(e)
    assert len(out.entities) == 1
    assert out.entities[0].mentions == 4
    assert out.entities[0].offsets == [(0, 2), (10, 12), (20, 22)]
    assert "entities-merged" in flags and "text-unstorable-chars-removed" in flags


def test_invalid_entities_are_dropped() -> None:
    e = Enrichment(
        entities=[
            EntityMention("x" * 5000, "ORG", 1),
            EntityMention("  ", "PER", 1),
            EntityMention("Paris", "MISC", 1),
            EntityMention("Paris", "LOC", 1, [(5, 3), (-1, 2), (0, 5)]),
        ]
    )
    out, flags = sanitize_enrichment(e)
    assert [(x.name, x.type, x.offsets) for x in out.entities] == [("Paris", "LOC", [(0, 5)])]
    assert "entities-invalid-dropped" in flags and "entity-offsets-invalid-dropped" in flags


def test_tens_of_thousands_of_mentions_are_capped() -> None:
    many = [EntityMention(f"Name {i}", "PER", i % 7 + 1, [(i, i + 1)]) for i in range(20_000)]
    one = EntityMention("Busy", "ORG", 50_000, [(i, i + 4) for i in range(0, 200_000, 4)])
    out, flags = sanitize_enrichment(Enrichment(entities=[*many, one]))
    assert len(out.entities) == sanitize.MAX_ENTITIES
    busy = next(x for x in out.entities if x.name == "Busy")
    assert busy.mentions == 50_000 and len(busy.offsets) == sanitize.MAX_OFFSETS
    assert {"entities-capped", "entity-offsets-capped"} <= set(flags)
    assert min(x.mentions for x in out.entities) >= 7  # the most mentioned are kept


def test_cited_sources_are_one_per_name_en() -> None:
    e = Enrichment(
        cited_sources=[
            CitedSource("路透社", "Reuters", "GB", "wire-agency", 2),
            CitedSource("路透\x00社", "Reuters", "GB", "wire-agency", 1),
            CitedSource("x", "y" * 1000, "ZZZ", None, 1),
        ]
    )
    out, flags = sanitize_enrichment(e)
    assert [(c.name, c.name_en, c.mentions) for c in out.cited_sources] == [
        ("路透社", "Reuters", 3)
    ]
    assert "cited-sources-merged" in flags and "cited-sources-invalid-dropped" in flags


def test_a_clean_enrichment_has_no_flags() -> None:
    e = Enrichment(
        entities=[EntityMention("Paris", "LOC", 1, [(0, 5)])],
        cited_sources=[CitedSource("AFP", "AFP", "FR", "wire-agency", 1)],
        enricher="v1",
    )
    out, flags = sanitize_enrichment(e)
    assert out == e and flags == []


def test_publisher_fields_fit_their_columns() -> None:
    info = PublisherInfo(
        domain="d" * 400, name="N\x00ame" + "n" * 5000, name_en=None, country="FRA",
        language="x" * 40,
    )  # fmt: skip
    out = sanitize_publisher(info)
    assert len(out.domain) == sanitize.MAX_DOMAIN
    assert "\x00" not in out.name and len(out.name) <= sanitize.MAX_SHORT
    assert out.country is None and out.language is None


def test_fields_added_later_are_cleaned_by_type() -> None:
    from dataclasses import fields

    names = {f.name for f in fields(ParsedArticle)}
    a = article(published_at=datetime(1, 1, 1, tzinfo=UTC))
    extra = {}
    for f in fields(ParsedArticle):
        if f.name in sanitize._HANDLED:
            continue
        if f.type in ("datetime | None",):
            extra[f.name] = datetime(1, 1, 1, tzinfo=UTC)
        elif f.type in ("str", "str | None"):
            extra[f.name] = "x\x00" * 1000
    for k, v in extra.items():
        setattr(a, k, v)
    out = sanitize_article(a, NOW)
    for k in extra:
        got = getattr(out, k)
        assert got is None or ("\x00" not in got and len(got) <= sanitize.MAX_SHORT), k
    assert names >= sanitize._HANDLED
