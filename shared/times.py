"""Times given on the command line: one parser for every command.

`2026-03-01`, `2026-03-01T12:00`, `2026-03-01T12:00:00Z`, `...+08:00` (ISO 8601; no zone means
UTC), or an age back from now: `90s`, `30m`, `2h`, `3d`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_INTERVAL = re.compile(r"\s*(\d+)\s*([smhd]?)\s*")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> int:
    """`30m`, `2h`, `90s`, `1d` or plain seconds -> seconds."""
    m = _INTERVAL.fullmatch(text)
    if not m:
        raise ValueError(f"not an interval: {text!r} (use 30m, 2h, 90s, 1d)")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def parse_time(text: str, *, now: datetime | None = None) -> datetime:
    """An aware UTC-comparable datetime from ISO 8601 or an age (`2h` = two hours ago)."""
    text = text.strip()
    if re.fullmatch(r"\d+[smhd]", text):
        return (now or datetime.now(UTC)) - timedelta(seconds=parse_interval(text))
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"not a time: {text!r} (use ISO 8601 like 2026-03-01T12:00Z, or an age: 30m, 2h, 3d)"
        ) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def optional_time(text: str | None) -> datetime | None:
    """`parse_time`, with no value meaning no bound."""
    return parse_time(text) if text else None
