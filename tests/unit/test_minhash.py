"""Near-duplicate fingerprints on real-length news text (the e2e pages and the samples)."""

import re
from pathlib import Path

from shared.minhash import PERMUTATIONS, THRESHOLD, bands, shingles, signature, similarity

ROOT = Path(__file__).resolve().parents[2]


def _paragraphs(path: Path) -> list[str]:
    return [re.sub("<[^>]+>", "", p) for p in re.findall(r"<p>(.*?)</p>", path.read_text())]


EN = " ".join(_paragraphs(ROOT / "tests/e2e_pages/en_article.html"))
ZH = "".join(_paragraphs(ROOT / "tests/e2e_pages/zh_article.html"))
SEED = "".join(_paragraphs(next((ROOT / "samples").glob("000_*.txt"))))


def test_cjk_uses_character_4grams_and_other_text_word_3grams():
    assert all(len(s) == 4 for s in shingles(ZH))
    assert "european union leaders" in shingles(EN)


def test_updated_and_syndicated_copies_are_near_duplicates():
    updated = EN.replace("Thursday", "Friday") + " Reuters contributed to this report."
    syndicated_zh = ZH.replace("周二", "周三") + "（完）"
    assert similarity(signature(EN), signature(updated)) >= THRESHOLD
    assert similarity(signature(ZH), signature(syndicated_zh)) >= THRESHOLD
    assert set(bands(signature(EN))) & set(bands(signature(updated)))


def test_different_stories_are_not():
    assert similarity(signature(ZH), signature(SEED)) < 0.2
    assert similarity(signature(EN), signature(ZH)) < 0.2
    half = EN[: len(EN) // 3]
    assert similarity(signature(EN), signature(half)) < THRESHOLD


def test_signatures_fit_postgres_integer_and_are_stable():
    sig = signature(EN)
    assert len(sig) == PERMUTATIONS and all(0 <= v < 2**31 for v in sig)
    assert sig == signature(EN)
    assert all(0 <= b < 2**31 for b in bands(sig))
