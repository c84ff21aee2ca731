"""Transient or permanent: the one retry policy of the fetch stage (pages, feeds, sitemaps).

A typed error says what it is (`PipelineError.transient`, errors.py). An error without that
attribute is something the fetcher did not foresee (a library raising an exception type we do not
translate): it is treated as transient, because a retry costs little and `max_attempts` bounds it,
while failing a page for good on an unknown cause loses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.config import Settings
from shared.pipeline import backoff_seconds


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt later (typed errors decide; unknown errors are transient)."""
    return bool(getattr(exc, "transient", True))


@dataclass(frozen=True)
class Verdict:
    retry: bool
    delay: float = 0.0  # seconds before the next attempt, when retrying


def verdict(exc: BaseException, attempt: int, settings: Settings) -> Verdict:
    """Retry (with backoff honouring Retry-After) or fail, after attempt number `attempt`."""
    if is_transient(exc) and attempt < settings.max_attempts:
        return Verdict(True, backoff_seconds(attempt, settings, getattr(exc, "retry_after", None)))
    return Verdict(False)
