"""Duplicate detection, as pure logic: exact (canonical URL or body hash) and near (MinHash/LSH).

The parse task's store (services/parser/store.py) loads what the database already holds and asks
these functions what each new article is: new, the exact duplicate of a stored or earlier one, or
a near-duplicate that joins a cluster.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TypeVar

from shared import minhash
from shared.contracts import ParsedArticle

_SPACE = re.compile(r"\s+")
T = TypeVar("T")
# Short texts share too many shingles by chance to call them near-duplicates.
MIN_NEAR_DUP_CHARS = 200


def content_hash(body: str) -> str:
    """Hash of the body with whitespace collapsed: equal text, equal hash."""
    return hashlib.sha256(_SPACE.sub(" ", body).strip().encode("utf-8")).hexdigest()


@dataclass(eq=False)
class Fingerprint:
    """A parsed article with its dedup keys."""

    document_id: int
    article: ParsedArticle
    signature: list[int]
    digest: str
    bands: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.bands = minhash.bands(self.signature)
        self.band_set = set(self.bands)
        self.near_dup_eligible = len(self.article.body) >= MIN_NEAR_DUP_CHARS

    @classmethod
    def of(cls, document_id: int, article: ParsedArticle) -> Fingerprint:
        signature = minhash.signature(f"{article.title or ''}\n{article.body}")
        return cls(document_id, article, signature, content_hash(article.body))

    def exact_keys(self) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("url", self.article.canonical_url), ("hash", self.digest)


@dataclass
class StoredText:
    """A stored article as a near-duplicate candidate."""

    signature: list[int]
    band_set: set[int]


def near_duplicate(
    p: Fingerprint, candidates: list[tuple[StoredText | Fingerprint, T]]
) -> T | None:
    """The tag of the first candidate this text nearly duplicates (a shared band, then MinHash
    similarity at or above the threshold)."""
    if not p.near_dup_eligible:
        return None
    for other, tag in candidates:
        if (
            other.signature
            and p.band_set & other.band_set
            and minhash.similarity(p.signature, other.signature) >= minhash.THRESHOLD
        ):
            return tag
    return None


@dataclass
class Decision:
    """What one article of a batch is. `duplicate`: why it is an exact duplicate (not stored);
    else `cluster`: the stored cluster it nearly copies, or `mate`: the index (in `kept`) of an
    earlier article of the same batch it nearly copies."""

    duplicate: str | None = None
    cluster: int | None = None
    mate: int | None = None


def decide_batch(
    parsed: list[Fingerprint],
    owner: dict[tuple[str, str], int],
    stored_texts: list[tuple[StoredText, int]],
) -> tuple[dict[int, Decision], list[Fingerprint]]:
    """Decisions per document id and the articles to store, in order.

    `owner` maps the exact keys of stored articles to their document ids (updated in place as
    the batch claims keys); `stored_texts` are near-duplicate candidates with their cluster ids.
    Articles of the batch are compared with each other too, earlier ones first.
    """
    decisions: dict[int, Decision] = {}
    kept: list[Fingerprint] = []
    for p in parsed:
        keys = p.exact_keys()
        other = next((owner[k] for k in keys if owner.get(k, p.document_id) != p.document_id), None)
        if other is not None:
            decisions[p.document_id] = Decision(
                duplicate=f"same canonical URL or content as document {other}"
            )
            continue
        for k in keys:
            owner[k] = p.document_id
        cluster = near_duplicate(p, stored_texts)
        mate = near_duplicate(p, [(q, i) for i, q in enumerate(kept)]) if cluster is None else None
        decisions[p.document_id] = Decision(cluster=cluster, mate=mate)
        kept.append(p)
    return decisions, kept
