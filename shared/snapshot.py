"""The saved-snapshot format (the seed files): a header, then the page's HTML.

    <!--1705796280000-->          fetch time, epoch milliseconds (or seconds)
    [The title](https://url)      the page's title and URL
    ------
    <html fragment...>

Intake reads the header to file a snapshot under its URL and fetch time; the parser reads the
title and URL from it. An optional UTF-8 BOM may precede the header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_HEAD = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<!--\s*(\d{10,13})\s*-->\s*\n\s*\[(.*?)\]\((\S+?)\)\s*\n\s*-{3,}\s*\n",
    re.S,
)
_SCAN = 4096  # the header is at the very start


@dataclass(frozen=True)
class SnapshotHeader:
    url: bytes
    title: bytes
    fetched_at: datetime
    body_start: int  # offset of the HTML after the header


def read_header(raw: bytes) -> SnapshotHeader | None:
    """The header of a snapshot, or None when `raw` is not one."""
    m = _HEAD.match(raw[:_SCAN])
    if m is None:
        return None
    epoch, title, url = m.groups()
    seconds = int(epoch) / (1000 if len(epoch) == 13 else 1)
    return SnapshotHeader(url, title, datetime.fromtimestamp(seconds, UTC), m.end())


def is_snapshot(raw: bytes) -> bool:
    return read_header(raw) is not None


def snapshot_header(raw: bytes) -> tuple[str, datetime] | None:
    """(url, fetched_at) of a snapshot, or None when `raw` is not one (or its URL is not UTF-8)."""
    head = read_header(raw)
    if head is None:
        return None
    try:
        return head.url.decode("utf-8"), head.fetched_at
    except UnicodeDecodeError:
        return None
