"""The five saved RFI snapshots (shared/seeds) must parse exactly right.

Expected bodies are rebuilt here from the snapshot HTML with a deliberately naive reader (every
<p>, tags stripped, whitespace collapsed): independent of the parser's code path.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest

from services.parser import EXTRACTOR_VERSION, is_snapshot, parse_snapshot

ROOT = Path(__file__).resolve().parents[2]
# the copies shipped in samples/ (always there), plus the reference set beside the repo if present
SEEDS = {p.name: p for p in sorted((ROOT / "samples").glob("*.txt"))}
SEEDS |= {p.name: p for p in sorted((ROOT.parent / "shared" / "seeds").glob("*.txt"))}
SEED_FILES = [SEEDS[name] for name in sorted(SEEDS)]
assert len(SEED_FILES) >= 5, "the five seed snapshots are missing from samples/"


def _naive(raw: bytes) -> dict:
    text = raw.decode("utf-8")
    epoch = int(re.match(r"<!--(\d+)-->", text).group(1))
    title, url = re.search(r"^\[(.*)\]\((.*)\)$", text, re.M).groups()
    html_part = text.split("------", 1)[1]

    def strip(fragment: str) -> str:
        return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())

    paras = [strip(p) for p in re.findall(r"<p>(.*?)</p>", html_part, re.S)]
    lead = strip(re.search(r"<p><strong>(.*?)</strong></p>", html_part, re.S).group(1))
    img = re.search(r'<img src="([^"]+)"', html_part).group(1)
    return {
        "fetched_at": datetime.fromtimestamp(epoch / 1000, UTC),
        "title": " ".join(title.split()),
        "url": url,
        "body": "\n\n".join(p for p in paras if p),
        "lead": lead,
        "image_url": img,
    }


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name[:3])
def test_seed_exact(path: Path) -> None:
    raw = path.read_bytes()
    assert is_snapshot(raw)
    exp = _naive(raw)
    art = parse_snapshot(raw)
    assert art.title == exp["title"]
    assert "  " not in art.title
    assert art.url == exp["url"]
    assert art.canonical_url == exp["url"]
    assert art.lead == exp["lead"]
    assert art.body == exp["body"]
    assert art.body.startswith(art.lead + "\n\n")  # lead paragraph comes first in the body
    assert "分享" not in art.body and "facebook" not in art.body.lower()
    assert art.image_url == exp["image_url"]
    assert art.section == "国际" == unquote(exp["url"].split("/")[4])
    assert art.language == "zh"
    assert art.fetched_at == exp["fetched_at"]
    assert art.fetched_at.tzinfo is not None and art.published_at.tzinfo is not None
    assert art.time_rule == "publisher-tz:Europe/Paris"
    assert art.published_at <= art.fetched_at
    assert art.flags == []
    assert art.extractor == EXTRACTOR_VERSION


@pytest.mark.parametrize(
    ("prefix", "published"),
    [
        ("000", datetime(2024, 1, 21, 0, 18, tzinfo=UTC)),  # CET, UTC+1
        ("001", datetime(2023, 9, 14, 0, 17, tzinfo=UTC)),  # CEST, UTC+2
        ("002", datetime(2023, 10, 18, 11, 28, tzinfo=UTC)),
        ("003", datetime(2023, 9, 14, 17, 27, tzinfo=UTC)),
        ("004", datetime(2023, 10, 19, 9, 31, tzinfo=UTC)),
    ],
)
def test_seed_published_at_paris_dst(prefix: str, published: datetime) -> None:
    (path,) = [p for p in SEED_FILES if p.name.startswith(prefix)]
    assert parse_snapshot(path.read_bytes()).published_at == published


def test_seed_bold_subheadings_stay_in_body() -> None:
    (path,) = [p for p in SEED_FILES if p.name.startswith("003")]
    paras = parse_snapshot(path.read_bytes()).body.split("\n\n")
    assert "朝鲜宇航员" in paras and "破坏地区稳定" in paras


def test_not_a_snapshot() -> None:
    assert not is_snapshot(b"<html><body><p>hi</p></body></html>")
    assert not is_snapshot(b"<!--123-->\nno link line\n------\n<p>x</p>")


def test_snapshot_with_byte_order_mark() -> None:
    raw = b"\xef\xbb\xbf" + SEED_FILES[0].read_bytes()
    assert is_snapshot(raw)
    assert parse_snapshot(raw).body == _naive(SEED_FILES[0].read_bytes())["body"]
