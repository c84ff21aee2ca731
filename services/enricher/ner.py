"""Entity extraction building blocks shared by the Chinese and Latin paths.

Design (see docs/enrichment.md):
1. Chinese text is mapped to simplified characters (1:1, offsets kept), split into sentences
   and tagged by LAC in batches (lac_batch.py); the trained CRF (crf.py) reads LAC's words
   and tags and decides the PER/LOC/ORG names. zh_rules.py adds gazetteer names and the rule
   families that fix what the model leaves (titles, '·' names, country + government body).
2. English text is tagged by the trained English CRF; French and other Latin-script text (and
   Latin names inside Chinese text) go through the gazetteer and capitalisation rules
   (latin_rules.py).
3. Overlaps are resolved by priority (resolve), aliases are merged into one entity per article
   and every accepted name is searched again for all its mentions (entities.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.enricher import rules as R
from services.enricher.gazetteer import SEPARATORS

ENTITY_LABELS = frozenset({"PER", "LOC", "ORG"})
SENT_SPLIT = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]*")
MAX_SENT = 160
NAME_SEPS = "·•‧・-－"
Seg = tuple[int, int, str]  # a model word: (start, end, label)


@dataclass
class Span:
    start: int
    end: int
    type: str
    prio: int
    gaz: int = -1  # gazetteer entry index, -1 when the name is not in the gazetteer
    surface: str = ""  # simplified surface for non-gazetteer names
    rule: str = ""


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans; long ones are cut at commas so the model sees bounded inputs."""
    out: list[tuple[int, int]] = []
    for m in SENT_SPLIT.finditer(text):
        s, e = m.start(), m.end()
        while e - s > MAX_SENT:
            cut = max(text.rfind("，", s, s + MAX_SENT), text.rfind(",", s, s + MAX_SENT))
            cut = cut + 1 if cut > s else s + MAX_SENT
            out.append((s, cut))
            s = cut
        if e > s:
            out.append((s, e))
    return out


def norm(s: str) -> str:
    for c in SEPARATORS:
        s = s.replace(c, "")
    return s


def resolve(cands: list[Span]) -> list[Span]:
    """Non-overlapping spans, preferring higher priority, then longer."""
    chosen: list[Span] = []
    taken = bytearray()
    for c in sorted(cands, key=lambda c: (-c.prio, -(c.end - c.start), c.start)):
        if len(taken) < c.end:
            taken.extend(b"\0" * (c.end - len(taken)))
        if any(taken[c.start : c.end]):
            continue
        taken[c.start : c.end] = b"\1" * (c.end - c.start)
        chosen.append(c)
    chosen.sort(key=lambda c: c.start)
    return chosen


_MODIFIER = re.compile(r"\s+[a-z]+\b")


def _acronym_modifier(text: str, s: int, e: int) -> bool:
    """'the SLS rocket', 'the HDMI port': an unknown acronym used as a modifier of a common
    noun is a product or standard, not an organisation ('the NBA said' stays)."""
    word = text[s:e]
    if not (word.isupper() and word.isalpha() and 2 <= len(word) <= 5):
        return False
    if not re.search(r"\b[Tt]he\s+$", text[max(0, s - 5) : s]):
        return False
    m = _MODIFIER.match(text, e)
    if not m:
        return False
    nxt = m.group().strip()
    cue = nxt in R.EN_ORG_CUES_AFTER or nxt in R.EN_PER_CUES_AFTER
    return not cue and not nxt.endswith(("ed", "s"))


_LEAD_WORD = re.compile(r"([^\W\d_][\w.'’-]*)\s+")


def strip_titles(text: str, s: int, e: int) -> int:
    """The new start of a person's name without the titles before it (Chair Jerome Powell,
    Chief Executive Guillaume Faury): CoNLL-2003 never has them inside PER, the model
    sometimes keeps a capitalised title it did not see in training."""
    while True:
        m = _LEAD_WORD.match(text, s, e)
        if not m or m.group(1).rstrip(".") not in R.EN_TITLES:
            return s
        s = m.end()


def en_model_spans(
    text: str, hits: list[tuple[int, int, int]], gaz, curated_types: bool = False
) -> list[Span]:
    """The English CRF's names as candidates. A name that is exactly a gazetteer alias takes
    the entry (aliases merge: U.S. / United States), with the model's type unless
    `curated_types`; MISC names block the span (a demonym is
    no name of ours) and are dropped later as untyped."""
    from services.enricher.crf import tag_en

    exact = {(s, e): idx for s, e, idx in hits}
    out: list[Span] = []
    for s, e, typ in tag_en(text):
        if typ not in ENTITY_LABELS:
            # below the rules' organisation runs (Russian Foreign Ministry), above gazetteer
            out.append(Span(s, e, "", 3, surface=text[s:e], rule="misc"))
            continue
        if typ == "PER":
            s = strip_titles(text, s, e)
        idx = exact.get((s, e), -1)
        if idx >= 0:
            out.append(Span(s, e, gaz.entries[idx].type if curated_types else typ, 5, gaz=idx))
        elif _acronym_modifier(text, s, e):
            out.append(Span(s, e, "", 5, surface=text[s:e], rule="modifier"))
        else:
            out.append(Span(s, e, typ, 5, surface=text[s:e], rule="crf"))
    return out
