"""Typed fetch errors.

Every error is a `PipelineError`, so the task layer can record it on a document as is and decide
from `transient` whether to retry (with `retry_after` when the server asked for a delay).
`status` is the HTTP status that caused it, when there was one.
"""

from __future__ import annotations

from shared.contracts import PipelineError
from shared.urls import BadScheme, InvalidURL  # URL identity is ground level; re-exported


class FetchError(PipelineError):
    """Base of all fetch-stage errors."""

    transient = False


# --------------------------------------------------------------------------- transient
class TransientFetchError(FetchError):
    """Worth retrying later with backoff."""

    transient = True


class FetchTimeout(TransientFetchError):
    """Connect/read timeout or the total deadline of one fetch was exceeded."""


class ConnectionFailed(TransientFetchError):
    """DNS failure, refused/reset connection, TLS handshake failure, broken stream."""


class ServerError(TransientFetchError):
    """HTTP 5xx."""


class ServiceUnavailable(ServerError):
    """HTTP 503, usually with Retry-After."""


class RequestTimeout(TransientFetchError):
    """HTTP 408."""


class RateLimited(TransientFetchError):
    """HTTP 429; `retry_after` holds the server's Retry-After in seconds when given."""


class HostBusy(TransientFetchError):
    """The host's rate-limit slot is taken: nothing was sent; try again in `retry_after` s.

    Raised by the downloader's `before_send` hook; it is a wait, never recorded as an attempt.
    """


class RobotsUnavailable(TransientFetchError):
    """robots.txt could not be read (5xx, 429, network): retry later, do not fail for good."""


# --------------------------------------------------------------------------- permanent
class ClientError(FetchError):
    """HTTP 4xx other than 408/429 (404, 410, 403...), or an unusable 3xx."""


class RobotsDisallowed(FetchError):
    """robots.txt forbids this URL for our user agent."""


class BadContentType(FetchError):
    """Not HTML/XHTML/XML/RSS/Atom (declared or sniffed), binary, or unsupported encoding."""


class TooLarge(FetchError):
    """Body (on the wire or decoded) exceeds the configured cap."""


class DecompressionBomb(FetchError):
    """Content-Encoding expands beyond the decoded-size cap or the allowed ratio."""


class TooManyRedirects(FetchError):
    """More than `max_redirects` hops."""


class RedirectLoop(FetchError):
    """A redirect points back to a URL already visited in this fetch."""


class BlockedAddress(FetchError):
    """SSRF guard: the host resolves to (or connected to) a non-public address."""


class NotAFeed(FetchError):
    """discovery: the bytes are neither RSS/Atom nor a sitemap we can read."""


__all__ = [
    "BadContentType",
    "BadScheme",
    "BlockedAddress",
    "ClientError",
    "ConnectionFailed",
    "DecompressionBomb",
    "FetchError",
    "FetchTimeout",
    "HostBusy",
    "InvalidURL",
    "NotAFeed",
    "RateLimited",
    "RedirectLoop",
    "RequestTimeout",
    "RobotsDisallowed",
    "RobotsUnavailable",
    "ServerError",
    "ServiceUnavailable",
    "TooLarge",
    "TooManyRedirects",
    "TransientFetchError",
]
