"""Readers for the public NER corpora in ../shared/dev-data/ner (training and benchmarks).

Each sentence carries its index in its file: `bench.splits.half_of(index)` puts it in the
`tune` or `check` half. Labels are BIO; MISC (not one of our types) becomes O.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_SHARED = Path(
    os.environ.get("NEWSFLOW_SHARED") or Path(__file__).resolve().parents[3] / ".." / "shared"
)
DATA = Path(os.environ.get("NEWSFLOW_NER_DATA") or _SHARED / "dev-data" / "ner")
EN_TRAIN = "conll2003_train.txt"
EN_VALID = "conll2003_valid.txt"
ZH_SETS = ("msra_dev.txt", "peoples_daily_dev.txt", "peoples_daily_test.txt")
TYPES = frozenset({"PER", "LOC", "ORG"})


@dataclass
class Sentence:
    index: int
    tokens: list[str]
    labels: list[str]


def _label(tag: str, keep_misc: bool) -> str:
    tag = tag.strip().upper()
    if tag in ("", "O") or (tag[2:] not in TYPES and not (keep_misc and tag[2:] == "MISC")):
        return "O"
    return tag


def read(name: str, data: Path = DATA, keep_misc: bool = False) -> list[Sentence]:
    """Sentences of one corpus file (token TAB/SPACE tag, blank line between sentences).
    `keep_misc` keeps CoNLL's MISC names (for training: the model learns that "Russian" is
    not an ORG; MISC is dropped when scoring)."""
    out: list[Sentence] = []
    toks: list[str] = []
    labs: list[str] = []
    with open(data / name, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\r\n")
            if not line.strip():
                if toks:
                    out.append(Sentence(len(out), toks, labs))
                    toks, labs = [], []
                continue
            if line.startswith("-DOCSTART-"):
                continue
            tok, _, tag = line.rpartition("\t") if "\t" in line else line.rpartition(" ")
            if not tok:  # a space character as the token of a char corpus
                tok = " "
            toks.append(tok)
            labs.append(_label(tag, keep_misc))
    if toks:
        out.append(Sentence(len(out), toks, labs))
    return out


def spans(labels: list[str]) -> set[tuple[int, int, str]]:
    """Gold (start, end, type) item spans of a BIO sequence."""
    from services.enricher.crf import bio_spans

    return set(bio_spans(labels))
