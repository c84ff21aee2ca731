from datetime import UTC, datetime, timedelta

import pytest

from shared.times import optional_time, parse_interval, parse_time

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T12:00Z", datetime(2026, 3, 1, 12, 0, tzinfo=UTC)),
        ("2026-03-01T20:00+08:00", datetime(2026, 3, 1, 12, 0, tzinfo=UTC)),
        ("2h", NOW - timedelta(hours=2)),
        ("3d", NOW - timedelta(days=3)),
        ("90s", NOW - timedelta(seconds=90)),
    ],
)
def test_every_command_reads_the_same_times(text: str, expected: datetime) -> None:
    assert parse_time(text, now=NOW) == expected


def test_bad_times_and_intervals_say_what_to_write() -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_time("yesterday")
    with pytest.raises(ValueError, match="30m"):
        parse_interval("soon")
    assert parse_interval("30m") == 1800
    assert optional_time(None) is None and optional_time("") is None
