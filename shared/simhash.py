"""Near-duplicate detection: 64-bit SimHash over character shingles for CJK text and word
shingles otherwise, with LSH bands so PostgreSQL finds candidates through a GIN index."""

from __future__ import annotations

import hashlib
import re

BITS = 64
BANDS = 4  # 4 bands of 16 bits: any two hashes within 3 bits share at least one band
MAX_DISTANCE = 3

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int | None = None) -> list[str]:
    """Character 4-grams of the CJK characters when the text is mostly CJK, else word 3-grams."""
    cjk = _CJK.findall(text)
    if len(cjk) > len(text) * 0.3:
        chars = "".join(cjk)
        n = size or 4
        return [chars[i : i + n] for i in range(max(1, len(chars) - n + 1))]
    words = [w.lower() for w in _WORD.findall(text)]
    n = size or 3
    return [" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))]


def simhash(text: str) -> int:
    """Signed 64-bit SimHash (fits PostgreSQL bigint)."""
    weights = [0] * BITS
    for sh in shingles(text):
        h = int.from_bytes(hashlib.blake2b(sh.encode("utf-8"), digest_size=8).digest(), "big")
        for i in range(BITS):
            weights[i] += 1 if h >> i & 1 else -1
    value = sum(1 << i for i in range(BITS) if weights[i] > 0)
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def bands(value: int) -> list[int]:
    """The LSH band keys of a hash: band index in the high bits, 16-bit band value below."""
    unsigned = value & ((1 << BITS) - 1)
    width = BITS // BANDS
    return [(b << width) | (unsigned >> (b * width) & ((1 << width) - 1)) for b in range(BANDS)]


def distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << BITS) - 1)).bit_count()
