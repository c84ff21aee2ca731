"""parse_page / parse_snapshot / parse_feed_item: one extraction path, three kinds of input."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura import metadata as trafilatura_metadata

from services.parser import dates, published
from services.parser.authors import choose_authors, cjk_bylines, people
from services.parser.classify import check_page, classify_page, is_forum
from services.parser.decode import UndecodableContent, decode_html
from services.parser.extract import Extracted, extract_body
from services.parser.language import detect_language
from services.parser.metadata import (
    PageMeta,
    bylines,
    clean_text,
    extract_meta,
    labelled_bylines,
    source_labels,
)
from services.parser.profiles import Profile, profile_for
from services.parser.titles import choose_title, learnt_site_names, similarity
from services.parser.urls import normalize_url, section_from_url, trusted_canonical
from shared.contracts import NotAnArticle, ParsedArticle, ParseFailure
from shared.publishers import host_of, lookup
from shared.snapshot import read_header

EXTRACTOR_VERSION = f"newsflow-parser/0.1+trafilatura-{trafilatura.__version__}"

_HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "application/xml", "text/xml")
_WS = re.compile(r"\s+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# Comments and processing instructions carry no article text and trip up tree walkers.
_PARSER_UTF8 = etree.HTMLParser(
    remove_comments=True, remove_pis=True, collect_ids=False, encoding="utf-8"
)
# Every element an HtmlElement (what trafilatura expects) through lxml's C-level default lookup,
# instead of lxml.html's per-tag Python callback, which costs ~7% of a parse_page call.
_PARSER_UTF8.set_element_class_lookup(
    etree.ElementDefaultClassLookup(element=lxml_html.HtmlElement, comment=lxml_html.HtmlComment)
)


# --------------------------------------------------------------------------- helpers
def _parse_tree(text: str) -> lxml_html.HtmlElement:
    # UTF-8 bytes with the encoding fixed parse ~30% faster than str, and lxml refuses str that
    # carries an XML encoding declaration. Any <meta charset> in the page is ignored: the text is
    # already decoded.
    try:
        return lxml_html.document_fromstring(
            text.encode("utf-8", "surrogatepass"), parser=_PARSER_UTF8
        )
    except (etree.ParserError, ValueError) as exc:
        raise ParseFailure(f"unparseable HTML: {exc}") from exc


def _publisher(url: str) -> tuple[str | None, str | None, str | None, set[str]]:
    """(timezone, edition language, edition path prefix, publisher names) for `url`."""
    found = lookup(url)
    if found is None:
        return None, None, None, set()
    pub, edition = found
    # Every name the outlet goes by: titles end with them, and they are never an author.
    names = {pub.name_en, *pub.aliases, *(name for _, name in pub.names)}
    names |= {e.name for e in pub.editions}
    return (
        pub.timezone,
        edition.language if edition else None,
        edition.path_prefix if edition else None,
        names,
    )


def _min_body(paragraphs: list[str]) -> int:
    sample = "".join(paragraphs)[:400]
    dense = len(_CJK.findall(sample)) > len(sample) * 0.3
    return 50 if dense else 150  # CJK packs a sentence into far fewer characters


_CAPTION_CLASS = re.compile(r"caption|img_?descr|pic_?txt|legend|photo-?text", re.I)
_CREDIT_CLASS = (
    "contains(@class,'credit') or contains(@class,'copyright') or contains(@class,'source')"
)


def _caption_for(
    tree: lxml_html.HtmlElement, image_url: str | None
) -> tuple[str | None, str | None]:
    """Caption and credit of the lead image: its <figcaption>, or a caption-classed sibling."""
    imgs = tree.xpath("//img[@src or @data-src]")
    img = next((i for i in imgs if image_url and _same_image(image_url, _src(i))), None)
    if img is None:
        return None, None
    cap = None
    box = img
    for _ in range(3):
        box = box.getparent()
        if box is None:
            break
        found = box.xpath(".//figcaption") or [
            el
            for el in box.iter()
            if isinstance(el.tag, str) and _CAPTION_CLASS.search(el.get("class") or "")
        ]
        if found:
            cap = found[0]
            break
    if cap is None:
        return None, None
    credit_el = cap.xpath(f".//*[{_CREDIT_CLASS}]")
    credit = clean_text(credit_el[0].text_content()) if credit_el else None
    caption = clean_text(cap.text_content())
    if caption and credit:
        caption = caption.replace(credit, "").strip(" -|") or None
    return caption, credit


_NOT_A_PHOTO = re.compile(r"logo|icon|avatar|sprite|pixel|blank|spacer|badge|\.svg|\.gif", re.I)


def _first_content_image(tree: lxml_html.HtmlElement) -> str | None:
    """The first image that looks like a photo (article images first): no logos, icons,
    tracking pixels or thumbnails under 100 px."""
    for img in tree.xpath("//article//img | //img"):
        src = _src(img)
        if not src or src.startswith("data:") or _NOT_A_PHOTO.search(src):
            continue
        sizes = [img.get("width") or "", img.get("height") or ""]
        if any(x.isdigit() and int(x) < 100 for x in sizes):
            continue
        return src
    return None


def _src(img: etree._Element) -> str:
    return img.get("src") or img.get("data-src") or ""


def _same_image(a: str, b: str) -> bool:
    def stem(u: str) -> str:
        return u.split("?")[0].rstrip("/").rsplit("/", 1)[-1].lower()

    return stem(a) == stem(b.split()[0] if b.split() else b)


def _standfirst(description: str | None, title: str | None) -> str | None:
    """The description as lead, unless it only repeats the headline (some portals put
    "headline,keyword,keyword" there)."""
    if not description:
        return None
    if title and description.startswith(title):
        return None
    return description


# --------------------------------------------------------------------------- core
@dataclass
class _Page:
    """What every field function reads: the tree, its metadata and who published it."""

    tree: lxml_html.HtmlElement
    url: str
    meta: PageMeta
    overrides: Mapping[str, Any]
    fetched_at: datetime | None
    fragment: bool
    profile: Profile | None
    publisher_tz: str | None
    edition_lang: str | None
    edition_prefix: str | None
    site_names: set[str]


def _context(tree, url, meta, overrides, fetched_at, fragment) -> _Page:
    meta = meta or extract_meta(tree)
    if meta.authors and "source-not-author" not in DISABLED:
        sources = source_labels(tree)
        meta = replace(meta, authors=[a for a in meta.authors if a.lower() not in sources])
    profile = profile_for(url)
    tz_name, edition_lang, edition_prefix, pub_names = _publisher(url)
    site_names = set(pub_names) | ({meta.site_name} if meta.site_name else set())
    site_names |= meta.author_orgs
    if profile is not None:
        site_names |= set(profile.site_names)
    return _Page(
        tree, url, meta, overrides or {}, fetched_at, fragment, profile,
        tz_name, edition_lang, edition_prefix, site_names,
    )  # fmt: skip


def _title_field(page: _Page) -> str | None:
    return clean_text(page.overrides.get("title")) or choose_title(
        page.meta, page.site_names, host_of(page.url)
    )


def _headline_element(page: _Page, title: str | None) -> etree._Element | None:
    """The <h1> the title came from (or the closest one): where the byline region starts."""
    best, best_score = None, 0.5
    for h1 in page.tree.iterfind(".//h1"):
        text = clean_text(h1.text_content())
        score = similarity(text, title) if text and title else (0.51 if text else 0)
        if score > best_score:
            best, best_score = h1, score
    return best


def _profile_lead(page: _Page) -> str | None:
    for expr in page.profile.lead if page.profile else ():
        found = page.tree.xpath(expr)
        if found:
            return clean_text(found[0].text_content())
    return None


def _date_signals(page: _Page, headline: etree._Element | None) -> list[published.Candidate]:
    """Every publication-time signal that needs the unpruned tree (read before extraction)."""
    feed = [("feed", v) for v in page.overrides.get("published", [])]
    found = published.declared(feed + page.meta.dates)
    printed = published.header_region(page.tree, headline, from_top=page.fragment)
    if not printed and "dated-elements" not in published.DISABLED:
        printed = published.dated_elements(page.tree)
    found += printed
    if not any(published.RANKS[c.source] <= 4 for c in found):
        if "htmldate" not in published.DISABLED and not page.fragment:
            found += published.from_htmldate(page.tree, page.url, page.fetched_at or _now())
        found += published.from_url(page.url)
    return found


def _now() -> datetime:
    return datetime.now(UTC)


def _body_field(page: _Page, title: str | None, plain: bool = False) -> Extracted:
    profile, meta = page.profile, page.meta
    return extract_body(
        page.tree,
        page.url,
        profile,
        title=title,
        description=None if (profile and profile.lead) else meta.description,
        extra_titles=(meta.h1, meta.title, meta.title_tag, *meta.h1s[:3]),
        plain=plain,
        thread=not page.fragment and is_forum(meta, page.url),
    )


def _page_type_field(page: _Page, extracted: Extracted) -> str:
    """The page type; raises NotAnArticle only when the page has no main text to keep."""
    paragraphs = extracted.paragraphs
    min_body = _min_body(paragraphs)
    if page.fragment:
        if sum(len(p) for p in paragraphs) < min_body:
            raise NotAnArticle("no-body", "no article text in the content")
        return "article"
    return classify_page(page.tree, page.meta, page.url, paragraphs, min_body, extracted.link_share)


def _lead_field(page: _Page, title: str | None, extracted: Extracted, profile_lead) -> str | None:
    if page.overrides.get("lead"):
        return clean_text(page.overrides["lead"])
    return profile_lead or _standfirst(page.meta.description, title) or extracted.bold_lead


def _published_field(
    page: _Page, signals: list[published.Candidate], language: str | None
) -> published.Decision:
    zone = published.zone_for(page.publisher_tz, host_of(page.url), language)
    return published.decide(signals, zone, page.fetched_at)


def _updated_field(page: _Page) -> datetime | None:
    tz_name = page.publisher_tz or dates.zone_for_host(host_of(page.url))
    values = list(page.overrides.get("updated", [])) + page.meta.modified
    for value in values:
        dt = dates.parse_datetime(value)
        if dt is not None:
            try:
                return dates.to_utc(dt, tz_name)[0]
            except OverflowError:  # a time the UTC calendar cannot hold: no update time
                continue
    return None


def _canonical_field(page: _Page) -> str:
    declared = page.overrides.get("canonical") or page.meta.canonical
    if declared and "canonical-guard" not in DISABLED:
        declared = trusted_canonical(page.url, declared)
    try:
        return normalize_url(declared or page.url, base=page.url)
    except ValueError:
        return normalize_url(page.url)


def _absolute_image_url(image_url: str | None, page_url: str) -> str | None:
    """The lead image's absolute URL; a junk one ("http://-/x.jpg") is no image, not a bad page."""
    if not image_url:
        return None
    try:
        return normalize_url(image_url, base=page_url)
    except ValueError:
        return None


def _section_field(page: _Page, canonical_url: str) -> str | None:
    section = clean_text(page.overrides.get("section")) or page.meta.section
    return section or section_from_url(canonical_url, page.edition_prefix)


def _tags_field(page: _Page) -> list[str]:
    tags = list(page.overrides.get("tags") or page.meta.tags)
    return [t for t in dict.fromkeys(clean_text(t) for t in tags) if t]


def _authors_field(
    page: _Page, title: str | None, printed: list[str], labelled: list[str], extracted: Extracted
) -> list[str]:
    names = set(page.site_names)
    meta = page.meta
    # The outlet's own name, even unregistered: what the <title> adds after the headline.
    if title and meta.title_tag and meta.title_tag.startswith(title):
        names.add(meta.title_tag[len(title) :].strip(" -_|–—·:"))
    declared = list(page.overrides.get("authors") or meta.authors)
    branding = (names - page.site_names) | learnt_site_names(meta, host_of(page.url))
    found = choose_authors(declared, printed, extracted.bylines, meta.org_authors, names, branding)
    # no byline markup, no metadata: a "Written by X" line anywhere on the page
    return found or people(labelled, names)


def _trafilatura_author(tree: lxml_html.HtmlElement) -> str | None:
    try:
        return trafilatura_metadata.extract_author(tree)
    except Exception:  # a signal, not a requirement
        return None


def _printed_bylines(page: _Page) -> list[str]:
    """Bylines from the markup; on Chinese pages with none, "作者：X" / 责任编辑 in the text."""
    found = bylines(page.tree)
    if not people(found, page.site_names) and "trafilatura-author" not in DISABLED:
        # trafilatura's byline search (its own XPaths over the pruned page) as the next signal
        found += [a for a in (_trafilatura_author(page.tree) or "").split("; ") if a]
    body = page.tree.find("body")
    if body is not None and "cjk-bylines" not in DISABLED:
        text = body.text_content()
        if len(_CJK.findall(text)) > 300 and not people(found, page.site_names):
            found = found + cjk_bylines(text)
    return found


def _labelled_bylines(page: _Page) -> list[str]:
    return [] if "labelled-bylines" in DISABLED else labelled_bylines(page.tree)


def _image_field(page: _Page) -> tuple[str | None, str | None, str | None]:
    """(image URL, caption, credit); read before extraction prunes figcaptions."""
    image_url = page.meta.image_url or _first_content_image(page.tree)
    caption, credit = _caption_for(page.tree, image_url)
    return image_url, caption or page.meta.image_caption, credit or page.meta.image_credit


# Off by default for the ablation table (bench/extraction.py --disable).
DISABLED: set[str] = set()


def _build(
    tree: lxml_html.HtmlElement,
    url: str,
    *,
    meta: PageMeta | None = None,
    overrides: Mapping[str, Any] | None = None,
    fetched_at: datetime | None = None,
    fragment: bool = False,
    plain: bool = False,
) -> ParsedArticle:
    page = _context(tree, url, meta, overrides, fetched_at, fragment)
    if not fragment:
        check_page(tree, page.meta)
    title = _title_field(page)
    # Read before extraction prunes the tree: image, lead, dates, bylines.
    image_url, caption, credit = _image_field(page)
    profile_lead = _profile_lead(page)
    signals = _date_signals(page, _headline_element(page, title))
    printed_bylines = [] if people(page.meta.authors, page.site_names) else _printed_bylines(page)
    labelled = [] if page.meta.authors or printed_bylines else _labelled_bylines(page)
    extracted = _body_field(page, title, plain)
    page_type = _page_type_field(page, extracted)
    body = "\n\n".join(extracted.paragraphs)
    language = detect_language((title or "") + "\n" + body) or page.edition_lang
    when = _published_field(page, signals, language)
    canonical_url = _canonical_field(page)
    return ParsedArticle(
        url=url,
        canonical_url=canonical_url,
        title=title,
        lead=_lead_field(page, title, extracted, profile_lead),
        body=body,
        authors=_authors_field(page, title, printed_bylines, labelled, extracted),
        published_at=when.published,
        updated_at=_updated_field(page),
        time_rule=when.rule,
        language=language,
        section=_section_field(page, canonical_url),
        tags=_tags_field(page),
        image_url=_absolute_image_url(image_url, url),
        image_caption=caption,
        image_credit=credit,
        site_name=page.meta.site_name,
        fetched_at=fetched_at,
        flags=dates.date_flags(when.published, fetched_at) + when.flags,
        extractor=EXTRACTOR_VERSION,
        published_local=when.local,
        page_type=page_type,
    )


def _check_content_type(headers: Mapping[str, str] | None) -> None:
    if not headers:
        return
    for key, value in headers.items():
        if key.lower() == "content-type" and value:
            mime = value.split(";")[0].strip().lower()
            if mime and not mime.startswith(_HTML_TYPES):
                raise NotAnArticle("not-html", f"content type {mime}")


# --------------------------------------------------------------------------- public API
def parse_page(
    raw: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    fetched_at: datetime | None = None,
) -> ParsedArticle:
    """Parse a fetched HTML page (raw body bytes, final URL, response headers, fetch time)."""
    _check_content_type(headers)
    text = decode_html(raw, headers)
    if not text.strip():
        raise NotAnArticle("no-body", "empty response body")
    try:
        return _build(_parse_tree(text), url, fetched_at=fetched_at)
    except NotAnArticle as exc:
        # The framed extraction found no text: trafilatura alone on a fresh tree, in recall
        # mode (forum threads, pages whose text sits in containers our rules remove).
        if exc.kind != "no-body" or "recall-retry" in DISABLED:
            raise
        return _build(_parse_tree(text), url, fetched_at=fetched_at, plain=True)


def parse_snapshot(raw: bytes) -> ParsedArticle:
    """Parse a saved snapshot; the link line gives title and URL, the comment the fetch time."""
    head = read_header(raw)
    if head is None:
        raise ParseFailure("not a snapshot: expected <!--epoch_ms-->, [title](url), ------")
    try:
        title = head.title.decode("utf-8")
        url = head.url.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UndecodableContent(f"snapshot header is not UTF-8: {exc}") from exc
    html_text = decode_html(raw[head.body_start :], None)  # same charset rules as fetched pages
    fetched_at = head.fetched_at
    tree = _parse_tree(f"<html><body>{html_text}</body></html>")
    return _build(
        tree,
        url,
        overrides={"title": title, "canonical": url},
        fetched_at=fetched_at,
        fragment=True,
    )


def _feed_values(item: Mapping[str, Any], *keys: str) -> list[str]:
    out = []
    present = set(item.keys())  # not item.get: feedparser aliases "updated" to "published"
    for key in keys:
        value = item[key] if key in present else None
        if isinstance(value, str) and value.strip():
            out.append(value)
    return out


def _feed_content(item: Mapping[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, list):
        values = [c.get("value", "") for c in content if isinstance(c, Mapping)]
        html_values = [v for v in values if v]
        if html_values:
            return max(html_values, key=len)
    elif isinstance(content, str) and content.strip():
        return content
    for key in ("content:encoded", "summary_detail", "summary", "description"):
        value = item.get(key)
        if isinstance(value, Mapping):
            value = value.get("value")
        if isinstance(value, str) and value.strip():
            return value
    return ""


def _feed_image(item: Mapping[str, Any]) -> str | None:
    for key in ("media_content", "media_thumbnail", "enclosures", "links"):
        for entry in item.get(key) or ():
            if not isinstance(entry, Mapping):
                continue
            kind = str(entry.get("type") or entry.get("medium") or "image")
            href = entry.get("url") or entry.get("href")
            if (
                href
                and kind.startswith("image")
                and (key != "links" or entry.get("rel") == "enclosure")
            ):
                return str(href)
    image = item.get("image")
    if isinstance(image, Mapping):
        return image.get("href") or image.get("url")
    return image if isinstance(image, str) else None


def parse_feed_item(item: Mapping[str, Any], feed_url: str) -> ParsedArticle:
    """Parse an RSS/Atom item carrying the full article HTML (a feedparser entry or alike).

    The content goes through the same extraction as pages; the item's own title, times,
    categories, authors and image win over what the HTML says.
    """
    link = item.get("link") or item.get("id") or feed_url
    url = urljoin(feed_url, str(link).strip())
    content = _feed_content(item)
    if not content.strip():
        raise NotAnArticle("no-body", "feed item has no content")
    tree = _parse_tree(f"<html><body>{content}</body></html>")
    tags = []
    for tag in item.get("tags") or item.get("categories") or ():
        term = tag.get("term") or tag.get("label") if isinstance(tag, Mapping) else tag
        if isinstance(term, str) and term.strip():
            tags.append(term)
    authors = []
    for a in item.get("authors") or ():
        name = a.get("name") if isinstance(a, Mapping) else a
        if isinstance(name, str):
            authors.append(name)
    if not authors:
        authors = _feed_values(item, "author", "dc_creator")
    published = _feed_values(item, "published", "pubDate", "issued", "created")
    meta = extract_meta(tree)
    image = _feed_image(item)
    if image:
        meta.image_url = image
    return _build(
        tree,
        url,
        meta=meta,
        overrides={
            "title": item.get("title"),
            "published": published,
            "updated": _feed_values(item, "updated", "modified"),
            "tags": tags,
            "authors": authors,
            "canonical": url,
            "lead": None,
        },
        fragment=True,
    )
