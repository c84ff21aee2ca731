"""URL normalization for canonical URLs, and the section a URL path names."""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit

from shared.urls import InvalidURL
from shared.urls import normalize_url as identity_url


def normalize_url(url: str, base: str | None = None) -> str:
    """Absolute URL normalized exactly like document URLs (shared/urls.py), so a
    canonical URL and the URL it was fetched under compare equal. ValueError on junk."""
    url = url.strip()
    if base:
        url = urljoin(base, url)
    try:
        return identity_url(url)
    except InvalidURL as exc:
        raise ValueError(str(exc)) from exc


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


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _site(host: str) -> str:
    """The last two labels of a host (three under a two-letter second level like co.uk)."""
    labels = host.lower().removeprefix("www.").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


def trusted_canonical(url: str, canonical: str) -> str | None:
    """`canonical`, or None when it cannot name this page: the site's home page, another
    domain's root, a section front above the page, or a URL with less path than the page
    (a CMS default copied onto every page makes unrelated articles "duplicates")."""
    try:
        page, canon = urlsplit(url), urlsplit(urljoin(url, canonical.strip()))
    except ValueError:
        return None
    if canon.scheme not in ("http", "https") or not canon.hostname:
        return None
    page_segs, canon_segs = _segments(page.path), _segments(canon.path)
    if not canon_segs and not canon.query:
        # a home page, ours or another domain's: only a home page may point there
        return canonical if not page_segs and not page.query else None
    same_site = _site(canon.hostname) == _site(page.hostname or "")
    if same_site and len(canon_segs) < len(page_segs):
        # A shorter path is the same article only when it keeps the page's last segment (AMP
        # and print copies: /amp/slug -> /slug); a prefix of the page's path is a section front.
        if canon_segs[-1] != page_segs[-1] or page_segs[: len(canon_segs)] == canon_segs:
            return None
    return canonical
