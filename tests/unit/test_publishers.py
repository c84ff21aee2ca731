"""The publisher registry (shared/publishers): lookups, editions and record sanity."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from shared.publishers import REGISTRY, all_publishers, lookup

KINDS = {
    "wire agency",
    "newspaper",
    "magazine",
    "broadcaster",
    "public broadcaster",
    "public international broadcaster",
    "online",
}


def test_records_are_well_formed() -> None:
    assert len(REGISTRY) >= 100
    for pub in all_publishers():
        assert re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", pub.domain), pub.domain
        assert re.fullmatch(r"[A-Z]{2}", pub.country), pub
        assert pub.kind in KINDS, pub
        ZoneInfo(pub.timezone)  # raises for an unknown zone
        for ed in pub.editions:
            assert ed.path_prefix.startswith("/") and ed.name and ed.language


def test_countries_covered() -> None:
    countries = {p.country for p in all_publishers()}
    for cc in ("CN", "US", "GB", "FR", "DE", "RU", "JP", "KR", "KP", "TW", "HK", "QA"):
        assert cc in countries, cc


def test_lookup_by_host_and_edition() -> None:
    pub, ed = lookup("https://www.rfi.fr/cn/中国/20240101-x")
    assert pub.domain == "rfi.fr" and pub.profile == "rfi"
    assert ed is not None and ed.language == "zh" and ed.name == "法国国际广播电台"
    pub, ed = lookup("https://www.rfi.fr/tw/x")
    assert ed is not None and ed.language == "zh-Hant"
    pub, ed = lookup("http://english.news.cn/20250101/x.htm")
    assert pub.name_en == "Xinhua"
    assert lookup("https://example.org/x") is None
    assert lookup("https://notrfi.fr/cn/x") is None  # a suffix, not a parent domain


def test_agencies_have_chinese_and_english_names() -> None:
    want = {
        "新华社": "Xinhua",
        "路透社": "Reuters",
        "美联社": "Associated Press",
        "法新社": "AFP",
        "塔斯社": "TASS",
        "俄新社": "RIA Novosti",
        "国际文传电讯社": "Interfax",
        "朝中社": "KCNA",
        "韩联社": "Yonhap",
        "共同社": "Kyodo News",
        "中央社": "Central News Agency",
        "德新社": "dpa",
    }
    by_zh = {dict(p.names).get("zh"): p for p in all_publishers()}
    for zh, en in want.items():
        assert zh in by_zh, zh
        assert by_zh[zh].name_en == en
        assert by_zh[zh].kind == "wire agency"


def test_name_in_language() -> None:
    reuters = REGISTRY["reuters.com"]
    assert reuters.name_in("zh") == "路透社"
    assert reuters.name_in("zh-Hant") == "路透社"
    assert reuters.name_in("en") == "Reuters"
    assert reuters.name_in("de") == "Reuters"
    assert REGISTRY["rfi.fr"].name_in("zh-TW") == "法國國際廣播電台"
