"""Cited sources in the phrasings real articles use, photo credits, outlets outside the registry."""

from __future__ import annotations

import pytest

from services.enricher import enrich


def cited(text: str, language: str) -> list[str]:
    return sorted(c.name for c in enrich(None, text, language).cited_sources)


@pytest.mark.parametrize(
    ("text", "language", "want"),
    [
        ("新华社记者从外交部获悉，会谈将于下周举行。", "zh", ["新华社"]),
        ("中新社记者报道，北京今天降雪。", "zh", ["中新社"]),
        ("据日本共同社报道，东京股市下跌。", "zh", ["共同社"]),
        ("央视报道，长江流域出现强降雨。", "zh", ["央视"]),
        ("据彭博社报道，该公司将裁员。", "zh", ["彭博社"]),
        ("BEIJING (Xinhua/Reuters) - China said on Monday it would cut tariffs.", "en",
         ["Reuters", "Xinhua"]),
        ("The ship sank near Jeju, Yonhap said in a report.", "en", ["Yonhap"]),
        ("XINHUA reported the quake on Tuesday.", "en", ["Xinhua"]),
        ("The minister resigned, the Associated Press reported.", "en", ["Associated Press"]),
        ("ROME (ANSA) - The government fell.", "en", ["ANSA"]),
        ("MADRID, 3 dic (EFE) - El Gobierno aprobó el plan.", "es", ["EFE"]),
        ("记者从新华社获悉，会议将于明天召开。", "zh", ["新华社"]),
        ("新华社北京3月5日电 十四届全国人大二次会议开幕。", "zh", ["新华社"]),
        ("据《人民日报》报道，政策将调整。", "zh", ["人民日报"]),
        ("韩联社援引消息人士称，朝鲜发射导弹。", "zh", ["韩联社"]),
        ("Kyodo News reported that the prime minister would resign.", "en", ["Kyodo News"]),
        ("TASS reported the meeting had been postponed.", "en", ["TASS"]),
        ("The news agency dpa reported heavy flooding in Bavaria.", "en", ["dpa"]),
        ("Selon l'AFP, le ministre a démissionné.", "fr", ["AFP"]),
    ],
)  # fmt: skip
def test_citation_phrasings(text: str, language: str, want: list[str]) -> None:
    assert cited(text, language) == sorted(want)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("（新华社记者 张三 摄）", "zh"),
        ("图/法新社", "zh"),
        ("接受新华社记者采访时说，比赛很艰难。", "zh"),
        ("Photo: AFP", "en"),
        ("(Photo by John Smith/AFP via Getty Images)", "en"),
        ("韩联社的一名记者去年被派往平壤。", "zh"),
    ],
)
def test_photo_credits_and_mentions_are_not_citations(text: str, language: str) -> None:
    assert cited(text, language) == []


@pytest.mark.parametrize(
    ("text", "language", "want"),
    [
        ("（新华社记者 张三 摄）", "zh", ["Xinhua"]),
        ("图/法新社", "zh", ["AFP"]),
        ("Photo: AFP", "en", ["AFP"]),
        ("(Photo by John Smith/AFP via Getty Images)", "en", ["AFP"]),
        ("接受新华社记者采访时说，比赛很艰难。", "zh", []),  # an interview, not a credit
        ("据新华社报道，比赛很艰难。", "zh", []),  # a citation, not a credit
    ],
)  # fmt: skip
def test_picture_credits_are_their_own_field(text: str, language: str, want: list[str]) -> None:
    assert sorted(c.name_en for c in enrich(None, text, language).credited_sources) == want


def test_outlet_outside_the_registry_is_recorded_by_its_name() -> None:
    r = enrich(None, "据湖南日报报道，长沙今天降雪。", "zh")
    assert [(c.name, c.kind, c.country) for c in r.cited_sources] == [
        ("湖南日报", "newspaper", None)
    ]
    r = enrich(None, "The Kathmandu Post reported that the quake killed ten people.", "en")
    assert [c.name for c in r.cited_sources] == ["Kathmandu Post"]
    # an organisation that is not an outlet is not a cited source
    assert (
        enrich(None, "According to the Health Ministry, ten people died.", "en").cited_sources == []
    )
