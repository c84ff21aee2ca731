"""URL identity for every stage: normalization (the dedup key), the host, and `InvalidURL`.

Written on the standard library rather than `courlan.normalize_url` (courlan 1.3.2 is installed;
w3lib is not). courlan's normalizer is meant for crawl-frontier filtering and is too lossy to be
an identity key for news articles; with 1.3.2 it:

* drops legitimate parameters through a broad regex (`gallery`, `ref`, `source`, `eid`, `keyword`,
  anything starting with `ga`...), which can merge distinct articles into one key;
* drops parameters with blank values (`?a=&b=1` -> `?b=1`);
* strips `:443` from `http://` URLs and `:80` from `https://` ones (a different origin);
* keeps the fragment and does not remove dot segments (`/./a/../b` stays);
* turns punycode hosts into Unicode, which is not what goes on the wire.

So here: an explicit list of tracking parameters, RFC 3986 normalization (case, dot segments,
percent-encoding), ASCII (IDNA) host names, and a stable sort of the query by key.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit, urlunsplit

import idna

from shared.contracts import PipelineError


class InvalidURL(PipelineError):
    """Unparseable or unusable URL."""


class BadScheme(InvalidURL):
    """Only http and https are fetched."""


DEFAULT_PORTS = {"http": 80, "https": 443}

# Parameters that only identify the click/campaign, never the document. Compared lower-case.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "igsh",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "__hstc",
        "__hssc",
        "__hsfp",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "_openstat",
        "xtor",  # AT Internet, very common on French news sites (xtor=RSS-...)
        "xtref",
        "ocid",
        "cmpid",
        "s_cid",
        "smid",
        "sr_share",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "ns_", "at_", "hsa_")

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters allowed unescaped in a path/query component (RFC 3986 pchar + "/" + "?").
_SAFE_PATH = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_SAFE_QUERY_PART = _UNRESERVED | frozenset("!$'()*+,;:@/?")  # '&' and '=' are structure here
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


def _normalize_component(text: str, safe: frozenset[str]) -> str:
    """Uppercase %XX, decode %XX of unreserved chars, escape what may not appear raw."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "%" and _PCT.match(text, i):
            char = chr(int(text[i + 1 : i + 3], 16))
            out.append(char if char in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
            i += 3
            continue
        if ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4."""
    if "." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for seg in segments[1:] if path.startswith("/") else segments:
        if seg == "..":
            if out:
                out.pop()
        elif seg != ".":
            out.append(seg)
    trailing = segments[-1] in (".", "..")
    result = "/" + "/".join(out)
    if trailing and not result.endswith("/"):
        result += "/"
    return result


def _normalize_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if not host:
        raise InvalidURL("URL has no host")
    if host.startswith("[") and host.endswith("]"):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError as exc:
            raise InvalidURL(f"bad IPv6 literal {host!r}") from exc
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise InvalidURL(f"bad international host name {host!r}: {exc}") from exc
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidURL(f"bad host name {host!r}")
    return host


def _is_tracking(key: str) -> bool:
    k = key.lower()
    return k in TRACKING_PARAMS or k.startswith(TRACKING_PREFIXES)


def _normalize_query(query: str) -> str:
    pairs: list[tuple[str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = _normalize_component(key, _SAFE_QUERY_PART)
        if _is_tracking(_PCT.sub(lambda m: chr(int(m.group(1), 16)), key)):
            continue
        pairs.append((key, sep + _normalize_component(value, _SAFE_QUERY_PART | {"="})))
    # Stable sort by key only: repeated keys keep their relative order, which can be meaningful.
    pairs.sort(key=lambda kv: kv[0])
    return "&".join(k + v for k, v in pairs)


def _host(parts: SplitResult) -> str:
    """Normalized host of split parts; IPv6 literals keep their brackets."""
    host = parts.hostname or ""
    return _normalize_host(f"[{host}]" if ":" in host else host)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def split_url(url: str) -> SplitResult:
    """`urlsplit` that raises InvalidURL/BadScheme instead of returning junk."""
    if not isinstance(url, str):
        raise InvalidURL(f"URL must be a string, got {type(url).__name__}")
    url = url.strip()
    if not url or _CONTROL.search(url):
        raise InvalidURL(f"empty URL or control characters in {url!r}", url=url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"unparseable URL {url!r}: {exc}", url=url) from exc
    scheme = parts.scheme.lower()
    if not scheme:
        raise InvalidURL(f"relative or scheme-less URL {url!r}", url=url)
    if scheme not in DEFAULT_PORTS:
        raise BadScheme(f"scheme {scheme!r} is not fetched (only http/https)", url=url)
    if not parts.hostname:
        raise InvalidURL(f"URL has no host: {url!r}", url=url)
    if parts.username is not None or parts.password is not None:
        # Credentials in a news URL are a phishing/SSRF trick (http://good.com@evil/), not data.
        raise InvalidURL(f"URL with user info refused: {url!r}", url=url)
    if port == 0:
        raise InvalidURL(f"bad port in {url!r}", url=url)
    return parts


def normalize_url(url: str) -> str:
    """Canonical form of an absolute http(s) URL.

    Lower-case scheme and host (IDNA to ASCII), default port removed, dot segments resolved,
    percent-encoding normalized, fragment removed, tracking parameters (utm_*, fbclid, gclid, ...)
    removed, remaining query parameters stably sorted by key, empty path -> "/".
    Raises InvalidURL (or its subclass BadScheme) on junk.
    """
    parts = split_url(url)
    scheme = parts.scheme.lower()
    host = _host(parts)
    port = parts.port
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = _remove_dot_segments(_normalize_component(parts.path or "/", _SAFE_PATH))
    query = _normalize_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def origin(url: str) -> str:
    """scheme://host:port (port always explicit): the unit robots.txt applies to."""
    parts = split_url(url)
    scheme = parts.scheme.lower()
    return f"{scheme}://{_host(parts)}:{parts.port or DEFAULT_PORTS[scheme]}"


def host_of(url: str) -> str:
    """Lower-case ASCII (IDNA) host, no port, IPv6 without brackets, no trailing dot: the
    rate-limit key, the publisher-lookup key and `documents.domain`; "" when the URL has no
    usable host (lookups then simply find nothing)."""
    try:
        return _host(split_url(url)).strip("[]").rstrip(".")
    except InvalidURL:
        return ""
