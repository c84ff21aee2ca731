"""Hostile pages for the poison suite: each carries one feature a broken or malicious server
produces, wrapped in an otherwise ordinary news article with text of its own (no two pages share
content, so none is a `duplicate`).

`PAGES[kind]()` -> (Content-Type, extra headers, body bytes).
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable

from tests.faults.harness import _EN_SENTENCES, _ZH_SENTENCES

Page = tuple[str, dict[str, str], bytes]
HTML = "text/html; charset=utf-8"


def _paragraphs(kind: str, zh: bool = False, n: int = 8) -> list[str]:
    rng = random.Random(kind)
    sentences = _ZH_SENTENCES if zh else _EN_SENTENCES
    joiner = "" if zh else " "
    out = [joiner.join(rng.sample(sentences, 3)) for _ in range(n)]
    out.insert(2, f"This page tests the {kind} case, serial {rng.randint(10**6, 10**7)}.")
    return out


def _article(
    kind: str,
    *,
    title: str | None = None,
    head: str = "",
    paragraphs: list[str] | None = None,
    lang: str = "en",
    charset: str = '<meta charset="utf-8">',
    around: tuple[str, str] = ("", ""),
) -> str:
    title = title if title is not None else f"Leaders meet over the {kind} question"
    body = "\n".join(f"<p>{p}</p>" for p in (paragraphs or _paragraphs(kind)))
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head>{charset}
<title>{title} - Harbor Times</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="Harbor Times">
<meta property="og:type" content="article">
<meta property="article:published_time" content="2024-03-05T08:00:00Z">
<meta name="author" content="Jane Doe">
{head}
</head><body><header><nav><a href="/">Home</a></nav></header>
{around[0]}<main><article><h1>{title}</h1>
{body}
</article></main>{around[1]}
<footer><p>© Harbor Times 2024</p></footer></body></html>
"""


def _utf8(text: str) -> Page:
    return HTML, {}, text.encode("utf-8", "surrogatepass")


def nul_bytes() -> Page:
    paras = [p.replace(" ", " \x00", 3) for p in _paragraphs("nul-bytes")]
    return _utf8(_article("nul-bytes", title="Nul\x00 bytes\x00 in the title", paragraphs=paras))


def jsonld_surrogates() -> Page:
    # JSON escapes of lone surrogates and NUL: json.loads turns them into str the database refuses
    ld = (
        '{"@context": "https://schema.org", "@type": "NewsArticle", '
        '"headline": "Head\\ud800line \\u0000 of the day", "author": {"name": "A\\udfffB"}, '
        '"articleSection": "Wor\\ud834ld", "keywords": "x\\u0000y, \\udc00z", '
        '"datePublished": "2024-03-05T08:00:00Z"}'
    )
    head = f'<script type="application/ld+json">{ld}</script>'
    return _utf8(_article("jsonld-surrogates", head=head))


def canonical_10k() -> Page:
    head = f'<link rel="canonical" href="/news/{"c" * 10_000}.html">'
    return _utf8(_article("canonical-10k", head=head))


def title_200k() -> Page:
    return _utf8(_article("title-200k", title="Headline " * 22_000))


def authors_5000() -> Page:
    head = "\n".join(f'<meta name="author" content="Reporter Number {i}">' for i in range(5000))
    ld = json.dumps({"@type": "NewsArticle", "author": [{"name": f"W {i}"} for i in range(5000)]})
    return _utf8(
        _article("authors-5000", head=head + f'<script type="application/ld+json">{ld}</script>')
    )


def tags_5000() -> Page:
    head = "\n".join(f'<meta property="article:tag" content="topic{i}">' for i in range(5000))
    head += f'<meta name="keywords" content="{",".join(f"kw{i}" for i in range(5000))}">'
    return _utf8(_article("tags-5000", head=head))


def impossible_dates() -> Page:
    head = (
        '<meta property="article:modified_time" content="+275760-09-13T00:00:00Z">'
        '<meta name="date" content="0000-00-00T00:00:00Z">'
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"datePublished": "2024-02-30T25:61:00Z", "dateModified": "9999-12-31T23:59:59-12:00"}'
        "</script>"
    )
    page = _article("impossible-dates", head=head)
    page = page.replace("2024-03-05T08:00:00Z", "0001-01-01T00:00:00+14:00")
    return _utf8(page.replace("<h1>", '<time datetime="9999-12-31T23:59:59-12:00">x</time><h1>'))


def mentions_30000() -> Page:
    line = "Paris, London and Berlin replied to Vladimir Putin, Reuters reported."
    paras = [" ".join([line] * 100) for _ in range(100)]  # 10,000 sentences, ~40,000 mentions
    return _utf8(_article("mentions-30000", paragraphs=_paragraphs("mentions-30000") + paras))


def nesting_5000() -> Page:
    return _utf8(_article("nesting-5000", around=("<div>" * 5000, "</div>" * 5000)))


def bad_bytes_utf8() -> Page:
    page = _article("bad-bytes-utf8").encode("utf-8")
    junk = b"\xff\xfe\xc3\x28 \xa0\xa1 " + "中文混入".encode("gbk") + b" \xed\xa0\x80 "
    return HTML, {}, page.replace(b"<p>", b"<p>" + junk, 4)


def charset_unknown() -> Page:
    page = _article("charset-unknown", charset='<meta charset="x-klingon-9">')
    return "text/html; charset=x-klingon-9", {}, page.encode("utf-8")


def paragraph_100k_zh() -> Page:
    rng = random.Random(7)
    chars = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
    huge = "".join(rng.choice(chars) for _ in range(100_000))
    paras = _paragraphs("paragraph-100k", zh=True) + [huge]
    return _utf8(_article("paragraph-100k", title="长段落测试", paragraphs=paras, lang="zh-CN"))


def aliases_zh() -> Page:
    s = (
        "俄罗斯总统普京周二在莫斯科表示，弗拉基米尔·普京愿意与中国合作。"
        "弗拉基米尔-普京说，中华人民共和国和中国是老朋友，普京总统与习近平会谈，習近平也表示欢迎。"
        "新华社、新華社和路透社报道称，中国外交部长王毅与王毅外长同日抵达北京，北京市政府表示欢迎。"
    )
    paras = _paragraphs("aliases-zh", zh=True) + [s * 3 for _ in range(30)]
    return _utf8(_article("aliases-zh", title="普京与中国", paragraphs=paras, lang="zh-CN"))


def lang_100() -> Page:
    return _utf8(_article("lang-100", lang="en-" + "x" * 100))


def control_chars() -> Page:
    ctl = "".join(chr(c) for c in range(1, 32) if c not in (9, 10, 13)) + "\x7f\ufffe\uffff\u202e"
    paras = [p + ctl for p in _paragraphs("control-chars")]
    return _utf8(_article("control-chars", title=f"Control{ctl} characters", paragraphs=paras))


def image_and_lead_100k() -> Page:
    head = (
        f'<meta property="og:image" content="https://img.example/{"i" * 10_000}.jpg">'
        f'<meta property="og:description" content="{"Lead sentence goes on. " * 5000}">'
    )
    return _utf8(_article("image-lead-100k", head=head))


def binary_garbage() -> Page:
    return "text/html", {}, random.Random(3).randbytes(50_000)


def empty_body() -> Page:
    return HTML, {}, b""


def gzip_bomb() -> Page:
    # 64 MiB of spaces in ~64 KiB: more than the fetcher's body limit once decompressed
    return HTML, {"Content-Encoding": "gzip"}, gzip.compress(b" " * (64 * 1024 * 1024), 9)


def script_shell() -> Page:
    shell = '<html><head><title>App</title></head><body><div id="root"></div>'
    return _utf8(shell + "<script>" + "var a=1;" * 5000 + "</script></body></html>")


PAGES: dict[str, Callable[[], Page]] = {
    "NUL bytes": nul_bytes,
    "JSON-LD lone surrogates": jsonld_surrogates,
    "canonical URL 10k chars": canonical_10k,
    "title 200k chars": title_200k,
    "5000 authors": authors_5000,
    "5000 tags": tags_5000,
    "impossible dates": impossible_dates,
    "~40k entity mentions": mentions_30000,
    "nesting 5000 deep": nesting_5000,
    "invalid bytes in utf-8": bad_bytes_utf8,
    "unknown charset label": charset_unknown,
    "100k-char zh paragraph": paragraph_100k_zh,
    "alias-heavy Chinese": aliases_zh,
    "lang attribute 103 chars": lang_100,
    "control characters": control_chars,
    "og:image 10k, lead 115k": image_and_lead_100k,
    "binary garbage": binary_garbage,
    "empty 200 body": empty_body,
    "gzip bomb 64 MiB": gzip_bomb,
    "script-only shell": script_shell,
}
