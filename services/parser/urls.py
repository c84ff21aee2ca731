"""URL normalization for canonical URLs, and the section a URL path names."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

# Click-tracking parameters: they never change which article a URL points at.
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gclsrc|msclkid|yclid|mc_cid|mc_eid|_ga|igshid|ocid|cmpid|"
    r"xtor|at_medium|at_campaign|ref_src|spm)$",
    re.I,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str, base: str | None = None) -> str:
    """Absolute URL with lowercase scheme/host, no default port, fragment or tracking params."""
    url = url.strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    netloc = host
    if parts.port and _DEFAULT_PORTS.get(scheme) != parts.port:
        netloc = f"{host}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not _TRACKING.match(k)]
        if len(kept) != len(pairs):  # re-encode only when something was dropped
            query = urlencode(kept)
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


_NOT_SECTION = re.compile(
    r"^(\d+|\d{4}-\d{2}(-\d{2})?|[a-z]{2}(-[a-z]{2,4})?|news|article|articles|story|stories|"
    r"a|p|en|amp|index|content|html|www)$",
    re.I,
)


def section_from_url(url: str, edition_prefix: str | None = None) -> str | None:
    """The first meaningful path segment before the article slug, URL-decoded.

    e.g. https://www.rfi.fr/cn/%E5%9B%BD%E9%99%85/20240121-slug -> "国际" (edition prefix "/cn/").
    """
    path = urlsplit(url).path
    if edition_prefix and edition_prefix != "/" and path.startswith(edition_prefix):
        path = path[len(edition_prefix) - 1 :]
    segments = [unquote(s) for s in path.split("/") if s]
    for seg in segments[:-1]:  # the last segment is the article itself
        # One- and two-letter ASCII segments are codes ("c", "fr"), not section names.
        if (
            _NOT_SECTION.match(seg)
            or "." in seg
            or len(seg) > 40
            or (seg.isascii() and len(seg) < 3)
        ):
            continue
        return seg
    return None
