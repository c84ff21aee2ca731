"""Pages that are fine HTML but not an article: block pages, soft 404s, listings.

Checks look at the whole visible text only when it is short: a real article that happens to
mention "captcha" or "page not found" is long, and a block page or error page is not.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from services.parser.metadata import ARTICLE_TYPES, LISTING_TYPES, PageMeta
from shared.contracts import NotAnArticle

_BLOCKED = re.compile(
    r"access denied|access to this page has been denied|you don't have permission to access|"
    r"enable javascript|javascript is (?:disabled|required)|please turn on javascript|"
    r"captcha|are you a robot|verify you are (?:a )?human|checking your browser|"
    r"attention required|just a moment\.\.\.|request unsuccessful|unusual traffic|"
    r"accès refusé|activer javascript|访问被拒绝|拒绝访问|请开启javascript|请启用javascript|验证码|"
    r"安全验证|人机验证|存取被拒|請啟用javascript|驗證碼",
    re.I,
)
_NOT_FOUND = re.compile(
    # "404" alone or with an error word: a headline may well say "404 migrants rescued".
    r"^\W*(?:error\W*)?404\W*(?:[-|–:].*)?$|\b404\W{0,3}(?:error|not found|page|erreur|错误|頁面|页面)|"
    r"page not found|not be found|no longer available|does not exist|doesn't exist|"
    r"page introuvable|n'existe pas|n'est plus disponible|"
    r"页面不存在|页面未找到|找不到(?:该|此)?页面|您访问的页面|頁面不存在|找不到網頁|內容不存在|内容不存在",
    re.I,
)
_SHORT_PAGE = 1500  # visible characters


def visible_text(tree: lxml_html.HtmlElement) -> str:
    body = tree.find("body")
    if body is None:
        return ""
    parts = []
    for el in body.iter():
        if el.tag in ("script", "style", "noscript", "template") or not isinstance(el.tag, str):
            if el.tail:
                parts.append(el.tail)
            continue
        if el.text:
            parts.append(el.text)
        if el.tail:
            parts.append(el.tail)
    return " ".join(" ".join(parts).split())


def _visible_length(tree: lxml_html.HtmlElement) -> int:
    """Characters of visible text, cheaply (C-level text_content minus script/style text)."""
    body = tree.find("body")
    if body is None:
        return 0
    hidden = sum(len(el.text or "") for el in body.iter("script", "style", "noscript", "template"))
    return len(body.text_content()) - hidden


def check_page(tree: lxml_html.HtmlElement, meta: PageMeta) -> None:
    """Raise NotAnArticle for block pages and soft 404s (before extraction)."""
    headings = [h for h in (meta.title_tag, meta.h1, meta.title) if h]
    heading = " ".join(headings)
    # Raw length counts indentation too: a cheap upper bound before the exact, slower measure.
    text = visible_text(tree) if _visible_length(tree) < _SHORT_PAGE * 4 else None
    if text is not None and len(text) < _SHORT_PAGE:
        if _BLOCKED.search(heading) or _BLOCKED.search(text):
            raise NotAnArticle("blocked", f"block page: {heading[:80] or text[:80]!r}")
        if any(_NOT_FOUND.search(h) for h in headings):
            raise NotAnArticle("soft-404", f"error page: {heading[:80]!r}")
    elif _BLOCKED.search(meta.title_tag or "") and not meta.ld_types & ARTICLE_TYPES:
        raise NotAnArticle("blocked", f"block page: {meta.title_tag[:80]!r}")
    elif _NOT_FOUND.search(meta.title_tag or "") and not meta.ld_types & ARTICLE_TYPES:
        raise NotAnArticle("soft-404", f"error page: {meta.title_tag[:80]!r}")


def is_article_marked(meta: PageMeta) -> bool:
    return bool(meta.ld_types & ARTICLE_TYPES) or (meta.og_type or "").lower() == "article"


# Links that read like headlines: in h2-h4, or list items long enough to be a title (CJK
# headlines are short: 10+ characters).
_HEADLINE_LINKS = etree.XPath(
    "count(//h2//a[@href] | //h3//a[@href] | //h4//a[@href] | "
    "//li//a[@href][string-length(normalize-space()) >= 10])"
)


# a thread's own types; "Question" alone also marks FAQ blocks inside articles
_THREAD_TYPES = {"discussionforumposting", "qapage"}
_FORUM_TYPES = _THREAD_TYPES | {"question", "forum"}
_PRODUCT_TYPES = {"product", "productgroup", "offer", "aggregateoffer"}
_FORUM_URL = re.compile(
    r"/(?:forums?|threads?|topics?|questions|discussions?|community|boards?|showthread|viewtopic)"
    r"(?:[/.?-]|$)",
    re.I,
)


def is_forum(meta: PageMeta, url: str) -> bool:
    """A discussion thread: its posts (often marked up as comments) are the main text."""
    if meta.ld_types & _THREAD_TYPES:
        return True
    # An article's FAQ block declares Questions, and microdata threads also mark the comments
    # under articles: neither makes an article a thread.
    if is_article_marked(meta):
        return False
    return bool(
        meta.ld_types & _FORUM_TYPES or meta.item_types & _THREAD_TYPES or _FORUM_URL.search(url)
    )


_CONFIDENT_LINK_SHARE = 0.6  # a "body" that is mostly link text with no long paragraph at all


_MARKS = re.compile("[\ue000-\ue004]")
_LINK_TEXTS = etree.XPath("//body//a[@href][string-length(normalize-space()) >= 6]")


def linked_share(tree: lxml_html.HtmlElement, paragraphs: list[str]) -> float:
    """Share of the body's characters that are the text of one of the page's links (found in
    the tree, so it holds whichever extractor path produced the body)."""
    body = "\n".join(paragraphs)
    if not body:
        return 0.0
    # (the extractor's private-use span markers may still be in the tree's text)
    texts = {" ".join(_MARKS.sub("", a.text_content()).split()) for a in _LINK_TEXTS(tree)}
    return min(1.0, sum(len(t) for t in texts if t in body) / len(body))


def classify_page(
    tree: lxml_html.HtmlElement,
    meta: PageMeta,
    url: str,
    paragraphs: list[str],
    min_body: int,
    link_share: float = 0.0,
) -> str:
    """The page type ("article", "listing", "forum", "product"); raises NotAnArticle only when
    there is no main text to keep, or the page is surely a roll of links."""
    body_chars = sum(len(p) for p in paragraphs)
    if body_chars < min_body:
        raise NotAnArticle("no-body", f"only {body_chars} characters of article text")
    marked = is_article_marked(meta)
    link_share = max(link_share, linked_share(tree, paragraphs))
    long_paras = sum(1 for p in paragraphs if len(p) >= min_body // 2)
    if not marked:
        headline_links = _HEADLINE_LINKS(tree)
        few_paragraphs = long_paras < 2 and body_chars < min_body * 4
        if headline_links >= 10 and link_share > _CONFIDENT_LINK_SHARE and long_paras == 0:
            raise NotAnArticle("listing", f"{int(headline_links)} headline links and no paragraph")
        if meta.ld_types & LISTING_TYPES or (
            headline_links >= 10 and (few_paragraphs or link_share > 0.5)
        ):
            return "listing"
    if is_forum(meta, url):
        return "forum"
    if meta.ld_types & _PRODUCT_TYPES and not marked:
        return "product"
    return "article"


def check_listing(
    tree: lxml_html.HtmlElement,
    meta: PageMeta,
    paragraphs: list[str],
    min_body: int,
    link_share: float = 0.0,
) -> None:
    """Raise NotAnArticle when the page is an index of other pages rather than one article."""
    body_chars = sum(len(p) for p in paragraphs)
    marked = is_article_marked(meta)
    if meta.ld_types & LISTING_TYPES and not marked:
        raise NotAnArticle("listing", "JSON-LD declares a collection page")
    if marked and body_chars >= min_body:
        return
    # Many headline links, little running text: a section front or search results.
    headline_links = _HEADLINE_LINKS(tree)
    long_paras = sum(1 for p in paragraphs if len(p) >= min_body // 2)
    few_paragraphs = long_paras < 2 and body_chars < min_body * 4
    # What text there is being mostly link text is the other sign (a roll of headlines).
    if headline_links >= 10 and not marked and (few_paragraphs or link_share > 0.5):
        raise NotAnArticle(
            "listing", f"{int(headline_links)} headline links, {long_paras} paragraphs"
        )
    if body_chars < min_body:
        raise NotAnArticle("no-body", f"only {body_chars} characters of article text")
