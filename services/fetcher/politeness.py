"""Politeness rules of the fetch stage, pure: what a robots.txt decision means for a page, and
whether a page waiting for its host's next slot is held in the batch or handed back to the queue.

The I/O (robots.txt cache, the shared rate limit in Redis) is in robots.py and ratelimit.py; the
concurrent batch runner (downloader.py) asks these functions what to do with the answers.
"""

from __future__ import annotations

from services.fetcher.errors import RobotsDisallowed, RobotsUnavailable
from services.fetcher.robots import RobotsDecision

ROBOTS_RETRY_AFTER = 60.0  # seconds before asking again after robots.txt was unavailable
# A page whose host is free again within this many seconds waits inside the batch (picked up the
# moment the slot opens); a longer wait hands it back to the queue with that countdown, so one
# slow-to-free host (a long Crawl-delay, a Retry-After) does not keep a batch open.
MAX_HOLD_SECONDS = 15.0


def robots_crawl_delay(decision: RobotsDecision, url: str) -> float | None:
    """Raise unless the decision lets us fetch `url`; its Crawl-delay (None when unset)."""
    if not decision.allowed and decision.source == "unreachable":
        # robots.txt answered 5xx/429 or not at all: Google's rule is "disallow for now"
        raise RobotsUnavailable(
            f"robots.txt unavailable ({decision.status}) for {url}",
            retry_after=ROBOTS_RETRY_AFTER,
        )
    if not decision.allowed:
        raise RobotsDisallowed(f"robots.txt disallows {url}")
    return decision.crawl_delay


def hold_or_defer(wait: float, max_hold: float = MAX_HOLD_SECONDS) -> str:
    """What to do with a page whose host is busy for `wait` more seconds: "go", "hold", "defer"."""
    if wait <= 0:
        return "go"
    return "hold" if wait <= max_hold else "defer"


def server_pause(exc: BaseException) -> float | None:
    """Seconds the server asked every client to stay away (Retry-After on a 429/503), or None.

    The host is then held for that long for all pages and all workers, not only the page that
    got the answer.
    """
    status = getattr(exc, "status", None)
    retry_after = getattr(exc, "retry_after", None)
    if status in (429, 503) and retry_after is not None and retry_after > 0:
        return float(retry_after)
    return None
