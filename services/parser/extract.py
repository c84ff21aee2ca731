"""Article body: trafilatura's main-content extraction, framed by general rules before and after.

Before: page furniture named by class/id/data attributes (share bars, newsletter and subscribe
boxes, related links, comments, captions) is removed, <br>-separated text becomes paragraphs,
and a site profile may narrow the page to its article. trafilatura runs in its accurate mode.
After: boilerplate sentences, repeated headlines, bylines, and link lists at the edges are dropped.
docs/parser.md has the list and the reasons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from services.parser.profiles import Profile
from shared.contracts import ParseFailure

_WS = re.compile(r"\s+")
# Rules switched off by name, for the ablation table (bench/extraction.py --disable); the
# product runs with every rule on.
DISABLED: set[str] = set()
# trafilatura's mode: accurate (fallback extractors compared, fast=False) unless "fast" is set.
OPTIONS: dict[str, bool] = {"fast": False, "favor_recall": False, "favor_precision": False}

# class/id tokens of page furniture. Matched against whole "-"/"_"-separated words so that e.g.
# "shared-content" or "commentary" are not hit.
_FURNITURE_WORDS = (
    r"share|sharing|social|newsletter|related|outbrain|taboola|selfpromo|"
    r"breadcrumbs?|caption|img_?descr|pic_?txt|photo_?credit|wp-caption-text"
)
_COMMENT_WORDS = r"comments?|disqus"


def _attr_words(words: str) -> re.Pattern[str]:
    return re.compile(rf"(?:^|[\s_-])(?:{words})(?:$|[\s_-])", re.I)


_JUNK_ATTR = _attr_words(f"{_FURNITURE_WORDS}|{_COMMENT_WORDS}")
# On a discussion thread the posts are the main text, and forum software marks them up as
# comments (Discourse, Invision, Vanilla): there, comment markup is content.
_THREAD_JUNK_ATTR = _attr_words(_FURNITURE_WORDS)
# Elements removed outright, whatever their attributes.
_DROP_TAGS = ("figcaption", "aside", "nav", "footer", "form", "button", "noscript", "template")
_NEVER_DROP = ("html", "body", "article", "main", "p", "h1", "h2", "h3")
_WRAPPER_SHARE = 0.25

# Short paragraphs that are furniture, in the languages we ingest. Anchored so that an article
# sentence merely mentioning a newsletter survives.
_BOILERPLATE = re.compile(
    r"^(?:"
    r"share( this( article| story)?)?\s*[:：]?|分享\s*[:：]?|partager\s*[:：]?|compartir"
    r"|(?:like this story\?|share it with)|follow us\b|suivez-nous"
    r"|follow .{1,40}\b(?:on|sur) (?:twitter|facebook|instagram|linkedin|youtube)"
    r"|.{0,120}\bclick here\b"
    r"|sign up\b|subscribe\b|get the latest\b.*\b(?:inbox|newsletter)|abonnez-vous|inscrivez-vous"
    r"|电邮新闻|订阅|頭條新聞|头条新闻就在|電郵新聞"
    r"|newsletter\b|read more\b|related\s*[:：]|see also\b|also read\b|lire aussi|à lire aussi|a lire aussi"
    r"|相关阅读|延伸阅读|阅读更多|相關閱讀|延伸閱讀"
    r"|advertisement$|publicité$|广告$|廣告$"
    r"|copyright\b|©|\(c\)\s*\d{4}|.{0,40}(?:all rights reserved|版权所有|版權所有)"
    r"|write to .{1,80}\bat\b.*@|email the author|contact the (?:author|reporter)\b|have a tip\?"
    r"|(?:责任编辑|責任編輯|责编|責編|编辑|編輯|来源|來源)\s*[:：]"
    r"|[（(](?:责任编辑|責任編輯|责编|責編|编辑|編輯)"
    r"|this copy is for your personal|order reprints|print article"
    r"|thanks for signing up|there was an error processing|an error has occurred"
    r"|already a subscriber\b|this (?:article|content) is (?:for|reserved for) subscribers"
    r"|il vous reste \d+ ?% de cet article|la suite est réservée aux abonnés"
    r"|cet article est réservé aux abonnés|déjà abonné"
    r"|扫一扫|打开微信|【纠错】|【糾錯】|点击进入专题|點擊進入專題|本文来源|本文來源"
    r"|(?:image|photo|picture)s?\s*(?:credit|source)?\s*[:：]"
    r"|资料图|资料图片|图片来源|图源|圖片來源|資料圖"
    r")",
    re.I,
)
_BOILERPLATE_MAX = 220  # characters; longer paragraphs are content even if they start like this
# "By Jane Doe", "11/19/2019 by Lars Brandle", "by 某某事務所 ／ 2016.12.01": a byline line.
_BYLINE = re.compile(r"^(?:[\d/.\-: ]+\s*)?(?:by|par|por|von)\s+\S.{0,60}$", re.I)
_BARE_URL = re.compile(r"^(?:https?://|www\.)\S+$")


@dataclass
class Extracted:
    paragraphs: list[str]
    bold_lead: str | None  # a fully bold first paragraph: the standfirst many CMSs print
    bylines: list[str]  # "By ..." lines taken off the top of the body
    link_share: float = 0.0  # of the body's characters, the share that was link text


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _xpath_all(tree: lxml_html.HtmlElement, exprs: tuple[str, ...]) -> list[etree._Element]:
    out: list[etree._Element] = []
    for expr in exprs:
        out.extend(tree.xpath(expr))
    return out


def _remove(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    # Keep the tail text: it belongs to the parent, not to the removed node.
    if el.tail and el.tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


# The call-to-action of a newsletter/subscription box, in the languages we ingest.
_SUBSCRIBE = re.compile(
    r"^(?:subscribe|sign up|sign me up|s'inscrire|je m'abonne|abonnez-vous|inscrivez-vous|"
    r"s'abonner|suscr[ií]bete|suscribirse|assine|iscriviti|abonnieren|订阅|訂閱|立即订阅|立即訂閱)"
    r"(?: now| here| today| gratuitement)?[.!]?$",
    re.I,
)
_BOX_MAX = 300  # characters: a box, not an article that ends with a subscribe link


_SHORT_CONTROLS = etree.XPath(".//a[string-length(normalize-space()) < 30] | .//button")


def _subscribe_boxes(root: etree._Element) -> list[etree._Element]:
    """Smallest-enough containers around a "Subscribe" button: newsletter prompts."""
    boxes = []
    for el in _SHORT_CONTROLS(root):
        if not _SUBSCRIBE.match(_norm(el.text_content())):
            continue
        box = el
        for _ in range(3):  # the prompt's text sits beside the button, within a few levels
            parent = box.getparent()
            if parent is None or parent.tag in _NEVER_DROP or len(parent.text_content()) > _BOX_MAX:
                break
            box = parent
        boxes.append(box)
    return boxes


_LONG_PARAGRAPH = 80  # characters


def _paragraph_parents(root: etree._Element) -> dict[etree._Element, int]:
    """Characters of long-paragraph text under each parent element."""
    scores: dict[etree._Element, int] = {}
    for p in root.iter("p"):
        n = len(p.text_content())
        parent = p.getparent()
        if n >= _LONG_PARAGRAPH and parent is not None:
            scores[parent] = scores.get(parent, 0) + n
    return scores


_EMBED_CLASS = re.compile(r"tweet|twitter|instagram|embed|social", re.I)


def _unmask_embeds(root: etree._Element) -> None:
    """Quoted posts (tweets...) are article content, but their class names make trafilatura
    discard them as social widgets: strip those class names from the quote and its wrappers."""
    for bq in root.iter("blockquote"):
        el: etree._Element | None = bq
        for _ in range(3):
            if el is None or el.tag in _NEVER_DROP:
                break
            if _EMBED_CLASS.search(el.get("class") or ""):
                del el.attrib["class"]
            el = el.getparent()


_INLINE = frozenset(
    "a abbr b cite code del em font i img ins label mark q s small span strong sub sup time u".split()
)
_MIN_RUN = 20  # characters of direct text that make a container a paragraph holder


def _has_direct_text(el: etree._Element) -> bool:
    if el.text and len(el.text.strip()) >= _MIN_RUN:
        return True
    return any(c.tail and len(c.tail.strip()) >= _MIN_RUN for c in el)


def paragraphize(root: etree._Element) -> None:
    """Turn "text<br><br>text" written straight into a <div>/<td> into <p> paragraphs.

    Many Chinese portals (and old CMSs) write articles this way; trafilatura looks for <p> and
    otherwise falls back to whole-page text with the navigation in it.
    """
    targets = [
        el
        for el in root.iter("div", "td", "section", "article")
        if el.find("br") is not None and _has_direct_text(el)
    ]
    for el in targets:
        _rebuild_as_paragraphs(el)


def _new_paragraph(parent: etree._Element, text: str | None) -> etree._Element | None:
    if not text or not text.strip():
        return None
    p = etree.SubElement(parent, "p")
    p.text = text
    return p


def _rebuild_as_paragraphs(el: etree._Element) -> None:
    """Runs of text and inline children become <p>; <br> ends a run; blocks stay as they are."""
    children = list(el)
    text, el.text = el.text, None
    for c in children:
        el.remove(c)
    current = _new_paragraph(el, text)
    for c in children:
        tail, c.tail = c.tail, None
        if c.tag == "br":
            current = _new_paragraph(el, tail)
        elif c.tag in _INLINE:
            if current is None:
                current = etree.SubElement(el, "p")
            current.append(c)
            c.tail = tail
        else:
            el.append(c)
            current = _new_paragraph(el, tail)


# Only elements with a naming attribute can be furniture by name (XPath preselects them in C).
_ATTRIBUTED = etree.XPath(
    ".//*[@class or @id or @role or @aria-label or @*[starts-with(name(), 'data-')]]"
)
# Cheap literal prefilter before the word-boundary regex, which is the slower test.
_STEMS = re.compile(
    "shar|social|newsletter|related|outbrain|taboola|comment|disqus|promo|breadcrumb|caption|"
    "descr|pic_?txt|credit"
)


def _visible_chars(el: etree._Element) -> int:
    """Characters of text inside `el` outside <script> and <style>."""
    hidden = sum(len(s.text_content()) for s in el.iter("script", "style"))
    return len(el.text_content()) - hidden


def _all_chars(el: etree._Element) -> int:
    return len(el.text_content())


# Furniture that is made of links (related stories, share bars, breadcrumbs): an element named
# so that is mostly prose is not it (Consumer Reports' article text sits in
# id="more-on-...-related-articles-text").
_LINK_FURNITURE = re.compile(r"shar|social|related|outbrain|taboola|breadcrumb")
_PROSE_CHARS = 400
_PROSE_LINK_SHARE = 0.2


def _prose(el: etree._Element, attrs: str) -> bool:
    if "prose-furniture" in DISABLED or not _LINK_FURNITURE.search(attrs):
        return False
    if _JUNK_ATTR.search(_LINK_FURNITURE.sub("", attrs)):
        return False  # also named as another kind of furniture (comments, captions...)
    text = len(el.text_content())
    if text < _PROSE_CHARS or el.find(".//p") is None:
        return False
    links = sum(len(a.text_content()) for a in el.iter("a"))
    return links < text * _PROSE_LINK_SHARE


def preclean(
    tree: lxml_html.HtmlElement, profile: Profile | None, thread: bool = False
) -> lxml_html.HtmlElement:
    """Remove page furniture in place; returns the subtree to extract from. `thread`: a
    discussion thread, whose comment markup holds its posts."""
    junk = _THREAD_JUNK_ATTR if thread and "thread-posts" not in DISABLED else _JUNK_ATTR
    if profile is not None:
        for el in _xpath_all(tree, profile.drop):
            _remove(el)
    body = tree.find("body")
    root = body if body is not None else tree
    candidates = list(root.iter(*_DROP_TAGS)) if "drop-tags" not in DISABLED else []
    for el in _ATTRIBUTED(root) if "furniture" not in DISABLED else ():
        a = el.attrib
        # Attribute names count too: RFI marks its newsletter box <div data-selfpromo-newsletter>.
        names = " ".join(a.keys())
        attrs = (
            f"{a.get('class', '')} {a.get('id', '')} {a.get('role', '')} {a.get('aria-label', '')}"
        )
        low = f"{names} {attrs}".lower()
        if not _STEMS.search(low) or el.tag in _NEVER_DROP:
            continue
        if junk.search(attrs) or junk.search(names):
            # An embedded post ("social-media-embed" around a tweet) is quoted content.
            if "embed" not in low and el.find(".//blockquote") is None and not _prose(el, low):
                candidates.append(el)
    if "paragraphize" not in DISABLED:
        paragraphize(root)
    if "unmask-embeds" not in DISABLED:
        _unmask_embeds(root)
    if "subscribe-boxes" not in DISABLED:
        candidates += _subscribe_boxes(root)
    if candidates:
        # Class names lie (WordPress puts "tag-x" on posts, ASP.NET wraps pages in <form>): a
        # node holding a large share of the page's text is a wrapper, not furniture.
        # Visible text only: on pages whose inline scripts hold most of the characters, the
        # article's container would otherwise look like a small share.
        size = _visible_chars if "visible-share" not in DISABLED else _all_chars
        limit = size(root) * _WRAPPER_SHARE
        for el in candidates:
            if el.getparent() is not None and size(el) < limit:
                _remove(el)
    if profile is not None:
        # The marked standfirst is the body's first paragraph, whatever element the site uses.
        for el in _xpath_all(tree, profile.lead):
            el.tag = "p"
    if profile is not None and profile.body:
        found = _xpath_all(tree, profile.body)
        if found:
            # One flat container: trafilatura picks a single best node, and sibling containers
            # (standfirst + body) would otherwise lose all but one.
            wrapper = lxml_html.Element("html")
            container = etree.SubElement(etree.SubElement(wrapper, "body"), "article")
            for el in found:
                if el.tag in ("p", "h2", "h3", "blockquote", "ul", "ol", "table"):
                    container.append(el)
                else:
                    container.extend(list(el))
            return wrapper
    return tree


# Link and bold text are wrapped in private-use characters before extraction, so that the output
# (which keeps neither <a> nor formatting: trafilatura's own options for them alter what it
# extracts) still tells how much of each paragraph was link text or bold.
_LINK = ("\ue000", "\ue001")
_BOLD = ("\ue002", "\ue003")
_SPANS = {mark: re.compile(f"{mark[0]}([^{mark[1]}]*){mark[1]}?") for mark in (_LINK, _BOLD)}
_BREAK = "\ue004"
_SENTINELS = str.maketrans("", "", "".join(_LINK + _BOLD))  # _BREAK stays: lines split on it


def _wrap(el: etree._Element, mark: tuple[str, str]) -> None:
    el.text = mark[0] + (el.text or "")
    if len(el):
        el[-1].tail = (el[-1].tail or "") + mark[1]
    else:
        el.text += mark[1]


_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))


def _heading_anchor(a: etree._Element) -> bool:
    """A heading's permalink (<h3 id="x"><a href="#x">Title</a></h3>): no link elsewhere."""
    if "heading-anchors" in DISABLED or not (a.get("href") or "").startswith("#"):
        return False
    return any(el.tag in _HEADINGS for el in a.iterancestors())


def mark_spans(root: etree._Element) -> None:
    for el in root.iter("a", "strong", "b"):
        if el.tag == "a":
            if el.get("href") is not None and not _heading_anchor(el):
                _wrap(el, _LINK)
        else:
            _wrap(el, _BOLD)


@dataclass
class Block:
    kind: str  # p, head, quote, code, item, row
    text: str  # lines joined by spaces: what the filters judge
    link_share: float  # fraction of the text that was link text
    bold_share: float = 0.0
    lines: tuple[str, ...] = ()  # <br>-separated lines: what the body shows as paragraphs


def _share(raw: str, mark: tuple[str, str], length: int) -> float:
    marked = sum(len(_norm(m.group(1).translate(_SENTINELS))) for m in _SPANS[mark].finditer(raw))
    return min(1.0, marked / length)


def _block(kind: str, raw: str) -> Block | None:
    lines = tuple(filter(None, (_norm(x) for x in raw.translate(_SENTINELS).split(_BREAK))))
    if not lines:
        return None
    text = " ".join(lines)
    return Block(kind, text, _share(raw, _LINK, len(text)), _share(raw, _BOLD, len(text)), lines)


# trafilatura's output tags, and the HTML tags its fallback extractors hand back unconverted
_KINDS = {"p": "p", "head": "head", "quote": "quote", "code": "code", "blockquote": "quote"}
_KINDS |= {f"h{i}": "head" for i in range(1, 7)} | {"pre": "code"}
_LISTS = {"list": "item", "ul": "li", "ol": "li", "dl": "dd"}
_SKIP = frozenset(("script", "style", "noscript", "template", "button", "form", "nav"))


def _blocks(body: etree._Element) -> list[Block]:
    """The blocks of trafilatura's output tree, lists and tables split into items and rows.

    The output is trafilatura's XML (p, head, list, table...) when its own extractor wins, but
    HTML (div, ul, h2...) when a fallback's result is taken: containers are walked into, and
    text written straight into one is a paragraph of its own.
    """
    out: list[Block | None] = []
    _walk(body, out)
    return [b for b in out if b is not None]


def _list_owner(el: etree._Element) -> etree._Element | None:
    """The closest list element around `el`."""
    parent = el.getparent()
    while parent is not None and parent.tag not in _LISTS:
        parent = parent.getparent()
    return parent


# Elements whose text is a line of its own inside a block ("<li><h3>Step</h3><p>Do this</p>",
# "<blockquote><h3>Actions</h3><ul>...", "<td>...costs.<br>Reported by: ...</td>").
_LINE_TAGS = frozenset(
    ("p", "div", "head", "lb", "br", "dt", "dd", "li", "item", "quote", "blockquote", "row", "tr")
    + tuple(_LISTS)
    + tuple(f"h{i}" for i in range(1, 7))
)


def _text_lines(el: etree._Element, skip_lists: bool = False) -> str:
    """The text of `el` with its block-level children on lines of their own (_BREAK between);
    `skip_lists` leaves nested lists out (they are blocks of their own). The recursion is
    bounded: libxml2 stops a parsed tree at depth 255, and comments are removed at parse."""
    parts = [el.text or ""]
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if not (skip_lists and tag in _LISTS):
            text = _text_lines(child, skip_lists)
            parts += [_BREAK, text, _BREAK] if tag in _LINE_TAGS else [text]
        parts.append(child.tail or "")
    return "".join(parts)


def _cell_text(cell: etree._Element) -> str:
    if "line-breaks" in DISABLED:
        return "".join(cell.itertext())
    return _text_lines(cell).replace(_BREAK, " ")  # a row is one line: cells' lines spaced


def _kind_text(el: etree._Element) -> str:
    """A paragraph's, heading's or quote's text, split into lines at <br> and block children."""
    if "line-breaks" not in DISABLED:
        return _text_lines(el)
    for lb in el.iter("lb", "br"):
        lb.tail = _BREAK + (lb.tail or "")
    return "".join(el.itertext())


def _list_blocks(lst: etree._Element, out: list[Block | None]) -> None:
    """One block per item of this list; a list nested in an item follows that item, so its
    text is neither repeated inside the outer item nor glued to it."""
    item_tags = ("item",) if lst.tag == "list" else (_LISTS[lst.tag], "li")
    for item in lst.iter(*item_tags):
        if _list_owner(item) is not lst:
            continue
        out.append(_block("item", _text_lines(item, skip_lists=True)))
        for sub in item.iter(*_LISTS):
            if _list_owner(sub) is lst:
                _list_blocks(sub, out)


def _walk(container: etree._Element, out: list[Block | None]) -> None:
    if container.text and container.text.strip() and container.tag not in ("body", "doc"):
        out.append(_block("p", container.text))
    for el in container:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _LISTS and "list-items" in DISABLED:
            item_tag = "item" if tag == "list" else _LISTS[tag]
            items = el.iter(item_tag, "li") if tag != "list" else el.iter("item")
            out.extend(_block("item", "".join(item.itertext())) for item in items)
        elif tag in _LISTS:
            _list_blocks(el, out)
        elif tag == "table":
            for row in el.iter("row", "tr"):
                cells = (_norm(_cell_text(c)) for c in row.iter("cell", "td", "th"))
                out.append(_block("row", " ".join(c for c in cells if c)))
        elif tag in _KINDS:
            # <br> (trafilatura's <lb/>) separates paragraphs on pages that use no <p> at all,
            # e.g. Chinese portals writing "text<br><br>　　text".
            out.append(_block(_KINDS[tag], _kind_text(el)))
        elif tag and tag not in _SKIP and tag not in ("lb", "br", "graphic", "img"):
            _walk(el, out)
        if el.tail and el.tail.strip() and container.tag not in ("body", "doc"):
            out.append(_block("p", el.tail))


def _is_boilerplate(text: str, profile: Profile | None) -> bool:
    if len(text) <= _BOILERPLATE_MAX and _BOILERPLATE.match(text):
        return True
    if profile is not None:
        return any(p.search(text) for p in profile.drop_text)
    return False


def _teaser_run(blocks: list[Block]) -> int:
    """Length of the trailing run of list items that each lead with a link (headline + blurb)."""
    n = 0
    while n < len(blocks) and blocks[-1 - n].kind == "item" and blocks[-1 - n].link_share >= 0.2:
        n += 1
    return n if n >= 3 else 0


def _drop_tail(blocks: list[Block]) -> None:
    """Remove what hangs after the article: link lists, teaser lists, headings with no text."""
    while blocks:
        last = blocks[-1]
        if last.link_share >= 0.6 or _BARE_URL.match(last.text):
            blocks.pop()
        elif last.kind == "head" and len(last.text) < 100:
            blocks.pop()
        elif run := _teaser_run(blocks):
            del blocks[-run:]
        else:
            return


_NON_WORD = re.compile(r"[\W_]+")


_FLAT_TEXT = 1000  # characters in a single extracted block that mean no paragraphs were found


def _trafilatura_blocks(
    root: etree._Element, url: str | None, recall: bool = False, thread: bool = False
) -> list[Block]:
    """trafilatura's main text as blocks; on a thread, the replies it files as comments too."""
    try:
        doc = _extract(root, url, recall, thread)
    except Exception as exc:  # a crash on one odd page is a recorded failure, not a dead task
        raise ParseFailure(f"extraction failed: {type(exc).__name__}: {exc}") from exc
    if doc is None or doc.body is None:
        return []
    blocks = _blocks(doc.body)
    if thread and doc.commentsbody is not None:
        blocks += _blocks(doc.commentsbody)
    return blocks


def _extract(
    root: etree._Element, url: str | None, recall: bool = False, thread: bool = False
) -> trafilatura.settings.Document | None:
    return trafilatura.bare_extraction(
        root,
        url=url,
        fast=OPTIONS["fast"],
        favor_recall=OPTIONS["favor_recall"] or recall,
        favor_precision=OPTIONS["favor_precision"],
        include_comments=thread,
        include_formatting=False,
        include_links=False,  # True misplaces text after links (trafilatura 2.0.0)
        include_images=False,
        include_tables=True,
        with_metadata=False,
        output_format="xml",  # not "python": skips rendering a text version we do not use
        deduplicate=False,
    )


def _wrap_in_page(*elements: etree._Element) -> lxml_html.HtmlElement:
    """A minimal <html><body><article> holding `elements` (moved, not copied)."""
    wrapper = lxml_html.Element("html")
    container = etree.SubElement(etree.SubElement(wrapper, "body"), "article")
    for el in elements:
        container.append(el)
    return wrapper


def _key(text: str) -> str:
    """Comparison key: case, spacing and punctuation do not make a different sentence."""
    return _NON_WORD.sub("", text.lower())


def extract_body(
    tree: lxml_html.HtmlElement,
    url: str | None,
    profile: Profile | None = None,
    title: str | None = None,
    description: str | None = None,
    extra_titles: tuple[str | None, ...] = (),
    plain: bool = False,
    thread: bool = False,
) -> Extracted:
    """Paragraphs of the article body (the tree is modified in place). `plain`: trafilatura
    alone in its recall mode on the untouched page, for pages the framed path found empty.
    `thread`: a discussion thread, whose replies are main text too."""
    thread = thread and "thread-posts" not in DISABLED
    root = preclean(tree, profile, thread) if "preclean" not in DISABLED and not plain else tree
    if "mark-spans" not in DISABLED:
        mark_spans(root)
    blocks = _trafilatura_blocks(root, url, recall=plain, thread=thread)
    if len(blocks) == 1 and len(blocks[0].text) > _FLAT_TEXT and "refocus" not in DISABLED:
        # One huge block is trafilatura's whole-page fallback: its main extractor failed. Give it
        # the element holding the most paragraph text instead, which keeps paragraphs apart.
        scores = _paragraph_parents(root)
        if scores:
            best = max(scores, key=lambda el: scores[el])
            focused = _trafilatura_blocks(_wrap_in_page(best), url)
            if len(focused) > 1 and sum(len(b.text) for b in focused) > len(blocks[0].text) / 2:
                blocks = focused
    if "boilerplate" not in DISABLED:
        blocks = [b for b in blocks if not _is_boilerplate(b.text, profile)]

    # The headline repeated in the body belongs to the title; so does a heading equal to the
    # description (a dek). A <p> equal to the description is the article's real first paragraph.
    heads = [t for t in (title, *extra_titles) if t]
    headlines = {_key(t) for t in heads}
    desc = _key(description or "")
    longest = max(map(len, [*heads, description or ""])) + 10  # longer blocks are no repeat
    if "headline-dedupe" not in DISABLED:
        blocks = [
            b
            for b in blocks
            if len(b.text) > longest
            or (_key(b.text) not in headlines and not (b.kind == "head" and _key(b.text) == desc))
        ]
    printed_bylines = []
    while blocks and (_BARE_URL.match(blocks[0].text) or _BYLINE.match(blocks[0].text)):
        if _BYLINE.match(blocks[0].text):
            printed_bylines.append(blocks[0].text)
        if "byline-strip" in DISABLED:
            break
        blocks.pop(0)
    if "drop-tail" not in DISABLED:
        _drop_tail(blocks)
    # Elsewhere, a short paragraph that is mostly link is a teaser ("SEE MORE: ..."), not prose.
    if "link-teasers" not in DISABLED:
        blocks = [b for b in blocks if not (b.link_share >= 0.8 and len(b.text) < 300)]

    first = blocks[0] if blocks else None
    bold_lead = first.text if first and first.kind == "p" and first.bold_share >= 0.9 else None
    chars = sum(len(b.text) for b in blocks)
    linked = sum(len(b.text) * b.link_share for b in blocks)
    return Extracted(
        [line for b in blocks for line in b.lines],
        bold_lead,
        printed_bylines,
        linked / chars if chars else 0.0,
    )
