"""The dev-data protocol: tune on one half, report on the other.

Every benchmark splits its set by a stable hash of a key: the page's domain for web pages, the
sentence index for NER corpora. `tune` = hash even, `check` = hash odd. Rules are changed only by
looking at `tune`; `check` is printed next to it so a gain that does not carry over shows.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

TUNE = "tune"
CHECK = "check"


def half_of(key: str | int) -> str:
    """`tune` or `check` for a split key (a domain, or a sentence index)."""
    digest = hashlib.sha1(str(key).encode("utf-8")).digest()
    return TUNE if digest[-1] % 2 == 0 else CHECK


def domain_of(url: str) -> str:
    """The split key of a web page: its host without a leading `www.`."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def half_of_url(url: str) -> str:
    return half_of(domain_of(url))
