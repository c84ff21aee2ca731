"""normalize_url and friends."""

from __future__ import annotations

import pytest

from services.fetcher import errors as E
from shared.urls import host_of, normalize_url, origin


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM", "http://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),  # not the default for http
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?a=2&a=1", "https://example.com/a?a=2&a=1"),  # stable for repeats
        (
            "https://example.com/a?utm_source=rss&utm_medium=x&id=7&fbclid=1&gclid=2&xtor=RSS-3",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?UTM_Campaign=x&MC_CID=1&_ga=3", "https://example.com/a"),
        ("https://example.com/a?gallery=2&ref=home&source=x", None),  # kept: not trackers
        ("https://example.com/a?x=&y", "https://example.com/a?x=&y"),  # blank values kept
        ("https://example.com/./a/../b/./c", "https://example.com/b/c"),
        ("https://example.com/%7euser/%2f?q=%e4", "https://example.com/~user/%2F?q=%E4"),
        ("https://example.com/a b?q=a b", "https://example.com/a%20b?q=a%20b"),
        ("https://example.com/新闻", "https://example.com/%E6%96%B0%E9%97%BB"),
        ("https://Bücher.Example/", "https://xn--bcher-kva.example/"),
        ("https://example.com./a", "https://example.com/a"),
        ("http://[::FFFF:7f00:1]:80/", "http://[::ffff:7f00:1]/"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://example.com?a=1", "https://example.com/?a=1"),
    ],
)
def test_normalize(raw: str, expected: str | None) -> None:
    assert normalize_url(raw) == (expected or raw)


def test_idempotent() -> None:
    for u in ["https://Example.com/a/../b?z=1&utm_x=2&a=%7e#f", "http://[::1]:8080/x?b&a"]:
        once = normalize_url(u)
        assert normalize_url(once) == once


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "   ",
        "example.com/a",
        "/relative",
        "http://",
        "http:///path",
        "http://a b.com/",
        "http://exa_mple..com/",
        "http://x.com:99999/",
        "http://x.com:0/",
        "http://[zz::1]/",
        "http://u:p@example.com/",
        "https://exa\nmple.com/",
        42,
    ],
)
def test_junk_raises_invalid_url(junk: object) -> None:
    with pytest.raises(E.InvalidURL):
        normalize_url(junk)  # type: ignore[arg-type]


@pytest.mark.parametrize("url", ["ftp://x.com/f", "javascript:alert(1)", "file:///etc/passwd"])
def test_bad_scheme(url: str) -> None:
    with pytest.raises(E.BadScheme):
        normalize_url(url)


def test_origin_and_host() -> None:
    assert origin("https://Example.com/a?b") == "https://example.com:443"
    assert origin("http://example.com:8080/") == "http://example.com:8080"
    assert origin("http://[::1]/") == "http://[::1]:80"
    assert host_of("https://WWW.Example.com:8443/x") == "www.example.com"
    assert host_of("http://[::1]:80/") == "::1"
