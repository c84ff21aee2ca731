"""The trained sequence models: linear-chain CRFs (CRFsuite) for English tokens and Chinese chars.

Features are built here, once, for both training (services/enricher/training/train.py) and
tagging, so the two can never drift apart. Weights live in models/ next to this file.

English: CoNLL-style tokens (punctuation split off, 'U.S.' and '1996-08-22' kept whole), word
identity, shape, affixes and a +-2 window. Chinese: characters of the simplified text, char
n-grams in a +-2 window plus the LAC model's word segmentation and word tag (B/I/E/S + tag),
so the CRF learns where LAC's PER/LOC/ORG are right and where its boundaries are not.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from services.enricher.lac_batch import SOFT_TAGS

MODELS = Path(__file__).parent / "models"
EN_MODEL = MODELS / "en.crfsuite"
ZH_MODEL = MODELS / "zh.crfsuite"
# distributional word clusters of English (training/clusters.py), features of the English CRF
EN_CLUSTERS = Path(__file__).parent / "data" / "en_clusters.tsv"
_LOCK = threading.Lock()
_TAGGERS: dict[str, object] = {}

# --------------------------------------------------------------------------- English

# CoNLL-2003 tokenisation: abbreviations with dots, numbers with separators, words with inner
# hyphens/apostrophes/ampersands, clitics ('s, n't) and any other single character
EN_ABBREVIATIONS = Path(__file__).parent / "data" / "en_abbreviations.txt"


def _abbreviations() -> str:
    words = set()
    for line in EN_ABBREVIATIONS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words |= {line.strip(), line.strip().upper()}
    # longest first: the regex takes the first alternative that matches
    return "|".join(sorted(map(re.escape, words), key=lambda w: (-len(w), w)))


EN_TOKEN = re.compile(
    r"(?:[^\W\d_]\.){2,}(?:-[^\W_]+)*"  # U.S., U.S.-led
    # CoNLL keeps an abbreviation's period ("Inc.", "St. Louis"), an initial's ("P. Simmons")
    # and a list number's at the start of a line ("1. Johnson"): so must we, or the model
    # reads "P" "." "Simmons" as it never saw in training
    rf"|\b(?=[A-Za-z]{{2,5}}\.)(?:{_abbreviations()})\.(?![^\W_])"
    r"|\b[^\W\d_a-z]\.(?=\s+[^\W\d_a-z])"
    r"|(?m:^)\d{1,2}\.(?=\s)"
    r"|(?:A|C|HK|NZ|S|US)\$"  # currencies
    r"|\d+(?:st|nd|rd|th)?(?:-\d+)*(?:-[^\W_]*[^\W\d_][^\W_]*)+"  # 12-year-old, 10th-ranked
    r"|\d+(?:st|nd|rd|th|s)\b"  # ordinals, decades
    r"|(?<!\S)[+.]?\d+(?:[.,:/\-]\d+)*"  # +44 (dialling codes), .500 (averages)
    r"|\d+(?:[.,:/\-]\d+)*"
    r"|n['’]t\b"
    r"|[^\W_]+?(?=n['’]t\b)"  # did|n't
    r"|[^\W_](?:[^\W_]|[-&](?=[^\W_])|['’](?!(?:re|ve|ll)\b)(?=[^\W_]{2,}))*"
    r"|['’](?:[sSmMdD]|re|RE|ve|VE|ll|LL)\b"
    r"|-{2,}|\.{2,}|\*{2,}"  # dash, ellipsis and rule runs
    r"|\S",
)


def en_tokens(text: str) -> list[tuple[int, int]]:
    """(start, end) of each CoNLL-style token of `text`."""
    return [m.span() for m in EN_TOKEN.finditer(text)]


def _shape(w: str) -> str:
    out = []
    for c in w:
        k = "X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c
        if not out or out[-1] != k:
            out.append(k)
    return "".join(out)


_WORD_CACHE: dict[str, tuple[str, ...]] = {}


def _word_feats(w: str) -> tuple[str, ...]:
    """Features of a token on its own (cached: news vocabulary repeats)."""
    hit = _WORD_CACHE.get(w)
    if hit is not None:
        return hit
    lo = w.lower()
    f = [
        "w=" + lo,
        "sh=" + _shape(w),
        "p2=" + lo[:2],
        "p3=" + lo[:3],
        "s2=" + lo[-2:],
        "s3=" + lo[-3:],
        "s4=" + lo[-4:],
    ]
    if w[:1].isupper():
        f.append("cap")
    if w.isupper() and len(w) > 1:
        f.append("upper")
    if any(c.isdigit() for c in w):
        f.append("digit")
    if "-" in w:
        f.append("hyph")
    if "." in w:
        f.append("dot")
    out = tuple(f)
    if len(_WORD_CACHE) < 200_000:
        _WORD_CACHE[w] = out
    return out


def _bies(n: int, spans: Sequence[tuple[int, int, str]], outside: str) -> list[str]:
    """Per item: its position in a span (B/I/E, S for one item) + the span's label."""
    out = [outside] * n
    for s, e, label in spans:
        if e - s == 1:
            out[s] = "S-" + label
            continue
        out[s] = "B-" + label
        for k in range(s + 1, e - 1):
            out[k] = "I-" + label
        out[e - 1] = "E-" + label
    return out


def gaz_tags(n: int, hits: Sequence[tuple[int, int, str]]) -> list[str]:
    """Per item: position (B/I/E/S) in a gazetteer name and the name's type, '' outside."""
    return _bies(n, hits, "")


def en_gaz_hits(words: Sequence[str]) -> list[tuple[int, int, str]]:
    """Gazetteer names that cover whole tokens: (first token, end token, type)."""
    from services.enricher.gazetteer import get_gazetteer

    gaz = get_gazetteer()
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    pos = 0
    for k, w in enumerate(words):
        starts[pos] = k
        ends[pos + len(w)] = k + 1
        pos += len(w) + 1
    out = []
    for s, e, idx in gaz.match_latin(" ".join(words)):
        if s in starts and e in ends:
            out.append((starts[s], ends[e], gaz.entries[idx].type))
    return out


def zh_gaz_hits(sent: str) -> list[tuple[int, int, str]]:
    """Gazetteer names in a simplified sentence: (start, end, type)."""
    from services.enricher.gazetteer import get_gazetteer

    gaz = get_gazetteer()
    return [(s, e, gaz.entries[i].type) for s, e, i in gaz.match_zh(sent)]


@functools.cache
def en_clusters(path: Path = EN_CLUSTERS) -> dict[str, tuple[str, ...]]:
    """Word -> (coarse, fine) distributional cluster ids (training/clusters.py)."""
    out: dict[str, tuple[str, ...]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                word, *ids = line.rstrip("\n").split("\t")
                out[word] = tuple(ids)
    return out


def _cluster_feats(ids: Sequence[tuple[str, ...] | None], i: int) -> list[str]:
    """The token's clusters at each granularity, and its neighbours' coarse clusters."""
    own = ids[i]
    f = [f"c{g}=" + c for g, c in enumerate(own)] if own else []
    for d in (-1, 1):
        j = i + d
        if 0 <= j < len(ids) and ids[j]:
            f.append(f"k{d}=" + ids[j][0])
    return f


def en_features(words: Sequence[str]) -> list[list[str]]:
    """One feature list per token of a sentence."""
    n = len(words)
    gz = gaz_tags(n, en_gaz_hits(words))
    lows = [w.lower() for w in words]
    shapes = [_shape(w) for w in words]
    caps_sentence = sum(1 for w in words if w.isupper() and len(w) > 1) > 0.6 * max(n, 1)
    clusters = en_clusters()
    ids = [clusters.get(w) or clusters.get(w.lower()) for w in words]
    out: list[list[str]] = []
    for i, w in enumerate(words):
        f = list(_word_feats(w)) + _cluster_feats(ids, i)
        if i == 0:
            f.append("BOS")
        if caps_sentence:
            f.append("allcaps")
        for d in (-2, -1, 1, 2):
            j = i + d
            if 0 <= j < n:
                f.append(f"w{d}={lows[j]}")
                f.append(f"sh{d}={shapes[j]}")
            else:
                f.append(f"w{d}=<pad>")
        if gz[i]:
            f.append("g=" + gz[i])
        if i > 0:
            f.append(f"b-1={lows[i - 1]}|{lows[i]}")
        if i + 1 < n:
            f.append(f"b+1={lows[i]}|{lows[i + 1]}")
        out.append(f)
    return out


# --------------------------------------------------------------------------- Chinese


def _ctype(c: str) -> str:
    if c.isdigit():
        return "d"
    if c.isascii() and c.isalpha():
        return "a"
    if "\u4e00" <= c <= "\u9fff":
        return "h"
    return "p"


def lac_char_tags(n: int, segs: Sequence[tuple[int, int, str]]) -> list[str]:
    """Per character: position in its LAC word (B/I/E/S) + the word's LAC tag."""
    return _bies(n, segs, "S-w")


def _abbrev_chars() -> frozenset[str]:
    # only the unambiguous ones: 巴, 加, 伊 start many transliterated names (巴加伊)
    from services.enricher.rules import ZH_ONE_CHAR_PLACE

    return frozenset(ZH_ONE_CHAR_PLACE)


_ABBREV = _abbrev_chars()


def _soft_bin(p: float) -> str:
    return "v" if p >= 0.95 else "h" if p >= 0.7 else "m" if p >= 0.3 else "l"


def soft_features(soft: Any) -> list[list[str]]:
    """Per character: LAC's marginal probability of each name tag, binned (the CRF sees how
    sure LAC is, not only its one best path), and the neighbours' likeliest name tag."""
    per: list[list[str]] = []
    top: list[str] = []
    for row in soft.tolist():
        feats = [f"s={SOFT_TAGS[j]}:{_soft_bin(p)}" for j, p in enumerate(row) if p >= 0.1]
        per.append(feats)
        j = max(range(len(row)), key=row.__getitem__)
        top.append(SOFT_TAGS[j] if row[j] >= 0.3 else "-")
    for i, feats in enumerate(per):
        feats.append("s-1=" + (top[i - 1] if i else "^") + "|" + top[i])
        feats.append("s1=" + top[i] + "|" + (top[i + 1] if i + 1 < len(top) else "$"))
    return per


def zh_features(sent: str, segs: Sequence[tuple[int, int, str]], soft: Any) -> list[list[str]]:
    """One feature list per character of a (simplified) sentence; `segs` are LAC's words,
    `soft` LAC's marginals of the name tags (an array, one row of SOFT_TAGS per character).
    `ab` marks runs of one-character place abbreviations (中美, 韩美日: places, not a name)."""
    n = len(sent)
    marginals = soft_features(soft)
    ab = "".join("1" if c in _ABBREV else "0" for c in "^^" + sent + "$$")
    pad = "^^" + sent + "$$"
    lac = lac_char_tags(n, segs)
    gz = gaz_tags(n, zh_gaz_hits(sent))
    word_of = [""] * n
    for s, e, _lab in segs:
        if e - s <= 6:
            w = sent[s:e]
            for k in range(s, e):
                word_of[k] = w
    lpad = ["<s>", *lac, "</s>"]
    out: list[list[str]] = []
    for i in range(n):
        p = i + 2
        c0 = pad[p]
        f = [
            "c0=" + c0,
            "c-1=" + pad[p - 1],
            "c1=" + pad[p + 1],
            "c-2=" + pad[p - 2],
            "c2=" + pad[p + 2],
            "c-10=" + pad[p - 1 : p + 1],
            "c01=" + pad[p : p + 2],
            "c-2-1=" + pad[p - 2 : p],
            "c12=" + pad[p + 1 : p + 3],
            "c-11=" + pad[p - 1] + pad[p + 1],
            "t=" + _ctype(c0),
            "l0=" + lpad[i + 1],
            "l-1=" + lpad[i],
            "l1=" + lpad[i + 2],
            "l-10=" + lpad[i] + "|" + lpad[i + 1],
            "l01=" + lpad[i + 1] + "|" + lpad[i + 2],
            "lc=" + lpad[i + 1] + "|" + c0,
        ]
        if word_of[i]:
            f.append("wd=" + word_of[i])
        if ab[p] == "1":
            f.append("ab=" + ab[p - 2 : p + 3])
            f.append("abl=" + ab[p - 1 : p + 2] + "|" + lpad[i + 1])
        if gz[i]:
            f.append("g=" + gz[i])
            f.append("gl=" + gz[i] + "|" + lpad[i + 1])
        f += marginals[i]
        out.append(f)
    return out


# --------------------------------------------------------------------------- tagging


def bio_spans(labels: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, type) item ranges of a BIO label sequence (a stray I- opens a span)."""
    spans: list[tuple[int, int, str]] = []
    start, typ = -1, ""
    for i, lab in enumerate([*labels, "O"]):
        if lab.startswith("I-") and start >= 0 and lab[2:] == typ:
            continue
        if start >= 0:
            spans.append((start, i, typ))
            start = -1
        if lab != "O":
            start, typ = i, lab[2:]
    return spans


def get_tagger(path: Path):
    """The process-wide CRFsuite tagger for a model file (opened on first use)."""
    key = str(path)
    tagger = _TAGGERS.get(key)
    if tagger is None:
        with _LOCK:
            tagger = _TAGGERS.get(key)
            if tagger is None:
                import pycrfsuite

                tagger = pycrfsuite.Tagger()
                tagger.open(key)
                _TAGGERS[key] = tagger
    return tagger


def tag_en(text: str, model: Path = EN_MODEL) -> list[tuple[int, int, str]]:
    """(start, end, PER/LOC/ORG/MISC) character spans of English names in `text`."""
    toks = en_tokens(text)
    if not toks:
        return []
    tagger = get_tagger(model)
    out: list[tuple[int, int, str]] = []
    for chunk in _en_chunks(text, toks):
        labels = tagger.tag(en_features([text[s:e] for s, e in chunk]))
        for a, b, typ in bio_spans(labels):
            out.append((chunk[a][0], chunk[b - 1][1], typ))
    return out


def _en_chunks(text: str, toks: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Sentence-like runs of tokens: the model was trained on sentences. A run ends at a line
    break, or at '.', '!', '?' followed by space once it has a few tokens (Corp . stays)."""
    chunks: list[list[tuple[int, int]]] = []
    cur: list[tuple[int, int]] = []
    for k, (s, e) in enumerate(toks):
        if cur and "\n" in text[cur[-1][1] : s]:
            chunks.append(cur)
            cur = []
        cur.append((s, e))
        nxt = toks[k + 1][0] if k + 1 < len(toks) else len(text)
        if len(cur) >= 6 and text[s:e] in (".", "!", "?") and e < nxt:
            chunks.append(cur)
            cur = []
    if cur:
        chunks.append(cur)
    return chunks


def tag_zh(
    sents: Sequence[str],
    segs: Sequence[Sequence[tuple[int, int, str]]],
    soft: Sequence[Any],
    model: Path = ZH_MODEL,
) -> list[list[tuple[int, int, str]]]:
    """(start, end, type) spans per sentence (simplified text; LAC's words and name-tag
    marginals of each sentence, from `LacBatch.tag_soft`)."""
    tagger = get_tagger(model)
    return [
        bio_spans(tagger.tag(zh_features(s, sg, sf))) if s else []
        for s, sg, sf in zip(sents, segs, soft, strict=True)
    ]
