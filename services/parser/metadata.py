"""Article metadata from what the page declares: JSON-LD, OpenGraph, <meta>, microdata, <time>.

Each field keeps the first non-empty value in priority order: JSON-LD (written for search engines,
usually the most exact), then OpenGraph/article:*, then plain <meta> and markup.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml import html as lxml_html

ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "reviewnewsarticle",
    "blogposting",
    "liveblogposting",
    "socialmediaposting",
    "scholarlyarticle",
    "techarticle",
    "report",
}
LISTING_TYPES = {"collectionpage", "itemlist", "searchresultspage", "sitenavigationelement"}

_WS = re.compile(r"\s+")
# soft hyphens, zero-width spaces and joiners, word joiners: invisible in print, noise in text
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


# Rules switched off by name, for the ablation table (bench/extraction.py --disable).
DISABLED: set[str] = set()


def clean_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("text")
    if not isinstance(value, str):
        return None
    if "&" in value:
        value = html.unescape(value)  # meta content escaped twice by the CMS ("&#038;")
    text = _WS.sub(" ", value.translate(_INVISIBLE)).strip()
    return text or None


@dataclass
class PageMeta:
    title: str | None = None
    description: str | None = None
    canonical: str | None = None
    site_name: str | None = None
    authors: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)  # candidate strings, best first
    modified: list[str] = field(default_factory=list)
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image_url: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    og_type: str | None = None
    ld_types: set[str] = field(default_factory=set)
    h1: str | None = None
    title_tag: str | None = None
    author_orgs: set[str] = field(default_factory=set)
    # every publication-time value with its source ("json-ld", "meta", "itemprop", "time")
    dates: list[tuple[str, str]] = field(default_factory=list)
    h1s: list[str] = field(default_factory=list)  # every <h1> text, in page order
    org_authors: list[str] = field(default_factory=list)  # JSON-LD authors that are organisations
    item_types: set[str] = field(default_factory=set)  # microdata itemtypes, lower case


def _iter_ld_objects(data: Any):
    if isinstance(data, list):
        for item in data:
            yield from _iter_ld_objects(item)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in data:
                yield from _iter_ld_objects(data[key])


def _types(obj: dict) -> set[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return {t.lower()}
    if isinstance(t, list):
        return {x.lower() for x in t if isinstance(x, str)}
    return set()


def _load_json(text: str) -> Any:
    text = text.strip().removeprefix("<!--").removesuffix("-->").strip()
    try:
        return json.loads(text)
    except ValueError:
        # CMSs emit raw newlines/tabs inside strings; JSON forbids them, browsers do not care.
        try:
            return json.loads(re.sub(r"[\n\r\t]+", " ", text), strict=False)
        except ValueError:
            return None


def _people(
    value: Any,
    orgs: set[str],
    org_authors: list[str] | None = None,
    nodes: dict[str, dict] | None = None,
) -> list[str]:
    """Names of a JSON-LD author value; `nodes`: the page's objects by @id, for references."""
    out: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and not item.get("name") and nodes and "ld-refs" not in DISABLED:
            # {"@id": ".../#/schema/person/..."}: Yoast's @graph names the author elsewhere
            item = nodes.get(str(item.get("@id")), item)
        if isinstance(item, dict):
            name = clean_text(item.get("name"))
            if not name:
                continue
            if _types(item) & {"organization", "newsmediaorganization", "corporation"}:
                orgs.add(name)
                if org_authors is not None:
                    org_authors.append(name)
                continue
            out.append(name)
        elif isinstance(item, str):
            name = clean_text(item)
            if name:
                out.append(name)
    return out


def _image(value: Any) -> tuple[str | None, str | None, str | None]:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return value.strip() or None, None, None
    if isinstance(value, dict):
        url = value.get("url") or value.get("contentUrl")
        if isinstance(url, list):
            url = url[0] if url else None
        credit = clean_text(
            value.get("creditText") or value.get("copyrightHolder") or value.get("author")
        )
        return (
            (url.strip() if isinstance(url, str) else None),
            clean_text(value.get("caption")),
            credit,
        )
    return None, None, None


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        return [k.strip() for k in re.split(r"[,;，、]", value) if k.strip()]
    if isinstance(value, list):
        return [k for v in value for k in _keywords(v)]
    return []


def _apply_json_ld(tree: lxml_html.HtmlElement, meta: PageMeta) -> None:
    scripts = tree.iterfind(".//script[@type='application/ld+json']")
    blocks = [_load_json(script.text or "") for script in scripts]
    objects = [obj for data in blocks if data is not None for obj in _iter_ld_objects(data)]
    nodes = {obj["@id"]: obj for obj in objects if isinstance(obj.get("@id"), str)}
    for obj in objects:
        types = _types(obj)
        meta.ld_types |= types
        if not types & ARTICLE_TYPES:
            continue
        meta.title = meta.title or clean_text(obj.get("headline") or obj.get("name"))
        meta.description = meta.description or clean_text(obj.get("description"))
        if not meta.authors:
            meta.authors = _people(
                obj.get("author") or obj.get("creator"),
                meta.author_orgs,
                meta.org_authors,
                nodes,
            )
        for key in ("datePublished", "dateCreated", "uploadDate"):
            if isinstance(obj.get(key), str):
                meta.published.append(obj[key])
                meta.dates.append(("json-ld", obj[key]))
        if isinstance(obj.get("dateModified"), str):
            meta.modified.append(obj["dateModified"])
        meta.section = meta.section or clean_text(obj.get("articleSection"))
        meta.tags = meta.tags or _keywords(obj.get("keywords"))
        if not meta.image_url:
            meta.image_url, meta.image_caption, meta.image_credit = _image(obj.get("image"))
        pub = obj.get("publisher")
        if isinstance(pub, dict):
            name = clean_text(pub.get("name"))
            if name:
                meta.author_orgs.add(name)
        url = obj.get("url") or obj.get("mainEntityOfPage")
        if isinstance(url, dict):
            url = url.get("@id")
        if isinstance(url, str) and url.startswith("http") and not meta.canonical:
            meta.canonical = url


_ITEM_TYPES = etree.XPath("//@itemtype")


def extract_meta(tree: lxml_html.HtmlElement) -> PageMeta:
    meta = PageMeta()
    _apply_json_ld(tree, meta)
    # "https://schema.org/DiscussionForumPosting" -> "discussionforumposting"
    meta.item_types = {
        t.rstrip("/").rpartition("/")[2].lower() for v in _ITEM_TYPES(tree) for t in v.split()
    }

    props: dict[str, list[str]] = {}
    for el in tree.iterfind(".//meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop")
        content = el.get("content")
        if key and content and content.strip():
            props.setdefault(key.strip().lower(), []).append(content.strip())

    def first(*keys: str) -> str | None:
        for k in keys:
            for v in props.get(k, ()):
                text = clean_text(v)
                if text:
                    return text
        return None

    meta.og_type = first("og:type")
    meta.title = meta.title or first("og:title", "twitter:title", "dc.title", "title")
    meta.description = meta.description or first(
        "og:description", "description", "twitter:description", "dc.description"
    )
    meta.site_name = first("og:site_name", "application-name", "publisher", "dc.publisher")
    for href in tree.xpath(".//link[@rel='canonical']/@href"):
        if href.strip():
            meta.canonical = href.strip()
            break
    else:
        meta.canonical = meta.canonical or first("og:url")
    if not meta.authors:
        for key in (
            "author",
            "article:author",
            "dc.creator",
            "byl",
            "parsely-author",
            "sailthru.author",
        ):
            for v in props.get(key, ()):
                if not v.startswith("http"):
                    meta.authors.append(v)
            if meta.authors:
                break
    if not meta.authors and "written-by-card" not in DISABLED:
        meta.authors = _written_by_card(props)
    _apply_dates(tree, props, meta)
    meta.section = meta.section or first("article:section", "section", "category")
    if not meta.tags:
        meta.tags = props.get("article:tag", []) or _keywords(first("news_keywords", "keywords"))
    meta.image_url = meta.image_url or first("og:image", "og:image:url", "twitter:image")
    meta.image_caption = meta.image_caption or first("og:image:alt", "twitter:image:alt")

    title_el = tree.find(".//title")
    meta.title_tag = clean_text(title_el.text_content()) if title_el is not None else None
    for h1 in tree.iterfind(".//h1"):
        text = clean_text(h1.text_content())
        if text:
            meta.h1 = meta.h1 or text
            meta.h1s.append(text)
    return meta


def _written_by_card(props: dict[str, list[str]]) -> list[str]:
    """The author of a Twitter card's label/data pair (twitter:label1 "Written by",
    twitter:data1 "Kev"), which WordPress SEO plugins emit."""
    for i in range(1, 5):
        labels = props.get(f"twitter:label{i}", [])
        if labels and re.match(
            r"^\s*(?:written by|author|auteur|autor|verfasst von)\s*$", labels[0], re.I
        ):
            return [v for v in props.get(f"twitter:data{i}", [])[:1] if v.strip()]
    return []


def _apply_dates(tree: lxml_html.HtmlElement, props: dict[str, list[str]], meta: PageMeta) -> None:
    """Publication and modification times from <meta>, itemprop and <time>, with their source."""
    declared = [
        v
        for k in (
            "article:published_time",
            "og:published_time",
            "published_time",
            "article:published",
            "article.published",
            "published-date",
            "published_date",
            "publication_date",
            "publish_date",
            "pub_date",
            "date.available",
            "dc.date.created",
            "dcterms.date",
            "dcterms.issued",
            "citation_publication_date",
            "cxenseparse:recs:publishtime",
            "rnews:datepublished",
            "bt:pubdate",
            "datecreated",
            "ptime",
            "og:article:published_time",
            "datepublished",
            "publishdate",
            "pubdate",
            "publish-date",
            "parsely-pub-date",
            "sailthru.date",
            "dc.date.issued",
            "dc.date",
            "date",
            "dcterms.created",
            # Chinese portals
            "weibo: article:create_at",
            "pubtime",
            "publishtime",
            "publish_time",
            "firstpublishedtime",
            "apub:time",
            "release_date",
        )
        for v in props.get(k, ())
    ]
    meta.published += declared
    meta.dates += [("meta", v) for v in declared]
    meta.modified += [
        v
        for k in ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified")
        for v in props.get(k, ())
    ]
    for el in tree.xpath(".//*[@itemprop='datePublished' or @itemprop='dateModified']"):
        # the value in datetime/content, else the element's own printed text
        value = el.get("datetime") or el.get("content") or clean_text(el.text_content())
        if not value or len(value) > 80 or el.tag == "meta" and not el.get("content"):
            continue
        if el.get("itemprop") == "datePublished":
            meta.published.append(value)
            meta.dates.append(("itemprop", value))
        else:
            meta.modified.append(value)
    times = tree.xpath("(.//article//time[@datetime] | .//time[@pubdate][@datetime])[1]/@datetime")
    meta.published += times
    meta.dates += [("time", v) for v in times]


_BYLINE_XPATH = (
    "//*[@rel='author' or @itemprop='author' or contains(@class, 'byline') or "
    "contains(@class, 'author')][not(self::meta or self::link)]"
    "[not(ancestor-or-self::*[contains(@class, 'comment') or contains(@id, 'comment')])]"
)
# Chinese bylines: "记者 王喆", "麦欣 文", "（记者 陈家明 报道）".
_CJK_BYLINE = re.compile(
    r"(?:记者|記者|作者|撰文|文)\s*[:：]?\s*([\u4e00-\u9fff·]{2,4}?)(?=\s|$|[，,）)、]|报道|報道)"
    r"|([\u4e00-\u9fff·]{2,4}?)\s*(?:文|报道|報道|撰)$"
)


_SOURCE_LABEL = re.compile(r"^\s*(?:来源|來源|稿源|出处|出處|source)\s*[:：]\s*", re.I)
_SOURCE_XPATH = "//*[contains(@class, 'source') or contains(@id, 'source')][not(self::script)]"


def source_labels(tree: lxml_html.HtmlElement) -> set[str]:
    """Lower-cased names the page prints as its story's source ("来源：新京报", <a class="source">):
    portals declare that outlet as the author, but it is where the story came from."""
    marked = tree.xpath(_SOURCE_XPATH)
    labelled = (
        el
        for el in tree.iter()
        if isinstance(el.tag, str) and el.text and _SOURCE_LABEL.match(el.text)
    )
    texts = (clean_text(el.text_content()) for el in (*marked, *labelled))
    return {_SOURCE_LABEL.sub("", t).lower() for t in texts if t and len(t) <= 30}


# A line that is only a label and a name: "Written by John Crenshaw", "Von Anna Fink".
_LEAD_WORDS = r"(?:written|posted|reported|words|story|article)"
_BY_WORDS = r"(?:by|von|par|por|door|di|av|af)"
_LABELLED_BYLINE = re.compile(
    rf"^(?:{_LEAD_WORDS}\s+)?{_BY_WORDS}\s*:?\s+"
    r"([^\W\d_][\w'’.\-]*(?:\s+[^\W\d_][\w'’.\-]*){1,3})$",
    re.I,
)
_LABEL_START = re.compile(rf"^\s*(?:{_LEAD_WORDS}|{_BY_WORDS})\b", re.I)
_NO_BYLINE_HERE = frozenset({"script", "style", "nav", "footer", "noscript", "template"})


def _spaced_text(el: etree._Element) -> str:
    """The element's text with its children's texts apart: "<span>By</span><span>Name</span>"
    reads "By Name", not "ByName" (switch `labelled-siblings`)."""
    if "labelled-siblings" in DISABLED:
        return " ".join(el.text_content().split())
    return " ".join(" ".join(el.itertext()).split())


def labelled_bylines(tree: lxml_html.HtmlElement) -> list[str]:
    """Names from the first element anywhere in <body> whose whole text is a byline label and
    a capitalised name ("Written by John Crenshaw"), for pages with no byline markup."""
    body = tree.find("body")
    for el in body.iter() if body is not None else ():
        if not isinstance(el.tag, str) or not el.text or not _LABEL_START.match(el.text):
            continue
        if any(a.tag in _NO_BYLINE_HERE for a in el.iterancestors()) or el.tag in _NO_BYLINE_HERE:
            continue
        # "<span>By</span> <a>Name</a>": the label's element, then its parent
        for holder in (el, el.getparent()):
            text = _spaced_text(holder) if holder is not None else ""
            m = _LABELLED_BYLINE.match(text) if len(text) <= 60 else None
            if m and m.group(1)[0].isupper():
                return [m.group(1)]
    return []


def bylines(tree: lxml_html.HtmlElement) -> list[str]:
    """Short byline texts from the markup, CJK names pulled out of "记者 X" forms."""
    out: list[str] = []
    for el in tree.xpath(_BYLINE_XPATH):
        text = clean_text(el.text_content())
        if not text or len(text) > 100:
            continue
        if re.search(r"[\u4e00-\u9fff]", text):
            out.extend(a or b for a, b in _CJK_BYLINE.findall(text))
        else:
            out.append(text)
    return out


# " - ", " | ", " · "...; "|", "｜" and "_" also without spaces (Chinese portals: "标题_新浪网"),
# "-" without spaces only between CJK characters ("标题-新华网").
_SEPARATORS = re.compile(r"\s+[-|–—·:»]\s+|\s*[|｜_]\s*|(?<=[\u4e00-\u9fff])-(?=[\u4e00-\u9fff])")
# A trailing segment shaped like an outlet's name even when the page never names itself.
_SITE_LIKE = re.compile(
    r"(?:网|網|网站|網站|新闻|新聞|新闻中心|新聞中心|在线|在線|日报|日報|晚报|晚報|早报|早報|时报|時報|"
    r"周刊|週刊|电视台|電視台|频道|頻道|\.com|\.cn|\.net|\.org|\.fr)$",
    re.I,
)


def _is_site_name(segment: str, names: set[str]) -> bool:
    seg = segment.strip().lower()
    if not seg:
        return False
    if seg in names or any(len(seg) > 2 and (seg in n or n in seg) for n in names):
        return True
    return len(seg) <= 12 and bool(_SITE_LIKE.search(seg))


def strip_site_suffix(title: str, site_names: set[str]) -> str:
    """Drop trailing (or a leading) site names: "Headline - RFI", "标题_新闻中心_新浪网"."""
    names = {n.lower() for n in site_names if n}
    while True:
        seps = list(_SEPARATORS.finditer(title))
        if not seps:
            return title
        last = seps[-1]
        if _is_site_name(title[last.end() :], names) and title[: last.start()].strip():
            title = title[: last.start()].strip()
            continue
        first = seps[0]
        if _is_site_name(title[: first.start()], names) and title[first.end() :].strip():
            title = title[first.end() :].strip()
            continue
        return title
