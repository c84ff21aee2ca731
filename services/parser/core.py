"""parse_page / parse_snapshot / parse_feed_item: one extraction path, three kinds of input."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from services.parser import dates
from services.parser.classify import check_listing, check_page
from services.parser.decode import UndecodableContent, decode_html
from services.parser.extract import extract_body
from services.parser.language import detect_language
from services.parser.metadata import (
    PageMeta,
    bylines,
    clean_text,
    extract_meta,
    strip_site_suffix,
)
from services.parser.profiles import Profile, profile_for
from services.parser.urls import normalize_url, section_from_url
from shared.contracts import NotAnArticle, ParsedArticle, ParseFailure
from shared.publishers import all_publishers, host_of, lookup
from shared.snapshot import read_header

EXTRACTOR_VERSION = f"newsflow-parser/0.1+trafilatura-{trafilatura.__version__}"

_HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "application/xml", "text/xml")
_WS = re.compile(r"\s+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_BYLINE_PREFIX = re.compile(
    r"^[\d/.\-: ]*(?:by|par|por|von|作者|记者|記者|文)\s*[:：]?\s+", re.I
)  # "By X", "11/19/2019 by X"
_NOT_A_PERSON = re.compile(
    r"@|https?:|www\.|\d|email|e-mail|staff|editor(?:s|ial)? team|newsroom|rédaction|"
    r"agencies|agences|\bwire\b|contributors?$|编辑部|本报",
    re.I,
)


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


@functools.cache
def _outlet_names() -> frozenset[str]:
    """Every registered outlet's names (agencies included): a byline "AFP" is not a person."""
    names: set[str] = set()
    for pub in all_publishers():
        names |= {pub.name_en, *pub.aliases, *(n for _, n in pub.names)}
        names |= {e.name for e in pub.editions}
    return frozenset(n.lower() for n in names if n)


def _authors(candidates: list[str], exclude: set[str]) -> list[str]:
    """People only: no outlet names, no "Email the author", no agencies; split "A and B"."""
    excluded = {e.lower() for e in exclude if e} | _outlet_names()
    out: list[str] = []
    for raw in candidates:
        for name in re.split(r"\s*(?:,|;|&|\band\b|\bet\b|\bwith\b|\bavec\b|、|，)\s*", raw):
            name = _BYLINE_PREFIX.sub("", _WS.sub(" ", name).strip()).strip(" .|-")
            if not name or len(name) > 60 or _NOT_A_PERSON.search(name):
                continue
            low = name.lower()
            if low in excluded or len(name.split()) > 5:
                continue
            if any(len(low) >= 2 and low in e for e in excluded if len(e) <= 12):
                continue  # "网易" in the title suffix "网易新闻"
                continue
            if name not in out:
                out.append(name)
    return out


def _pick_time(
    candidates: list[str], tz_name: str | None, source: str
) -> tuple[datetime | None, str | None]:
    for value in candidates:
        dt = dates.parse_datetime(value)
        if dt is not None:
            return dates.to_utc(dt, tz_name, source)
    return None, None


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


def _title(meta: PageMeta, site_names: set[str]) -> str | None:
    title = meta.title or meta.h1 or meta.title_tag
    if not title:
        return None
    title = strip_site_suffix(title, site_names)
    # An og:title that still carries a suffix the <h1> does not: trust the <h1>.
    if meta.h1 and title != meta.h1 and title.startswith(meta.h1) and len(meta.h1) > 5:
        title = meta.h1
    return title


# --------------------------------------------------------------------------- core
def _build(
    tree: lxml_html.HtmlElement,
    url: str,
    *,
    meta: PageMeta | None = None,
    overrides: Mapping[str, Any] | None = None,
    fetched_at: datetime | None = None,
    fragment: bool = False,
) -> ParsedArticle:
    overrides = overrides or {}
    meta = meta or extract_meta(tree)
    if not fragment:
        check_page(tree, meta)
    profile: Profile | None = profile_for(url)
    tz_name, edition_lang, edition_prefix, pub_names = _publisher(url)
    site_names = set(pub_names) | ({meta.site_name} if meta.site_name else set())
    site_names |= meta.author_orgs
    if profile is not None:
        site_names |= set(profile.site_names)

    title = clean_text(overrides.get("title")) or _title(meta, site_names)
    image_url = meta.image_url or _first_content_image(tree)
    caption, credit = _caption_for(tree, image_url)  # before extraction prunes figcaptions
    profile_lead = None
    for expr in profile.lead if profile else ():
        found = tree.xpath(expr)
        if found:
            profile_lead = clean_text(found[0].text_content())
            break

    declared_times = list(overrides.get("published", [])) + meta.published
    # Printed times only when the metadata gives none with a clock time; read before extraction
    # prunes the tree, like the bylines below.
    printed_times = [] if any(map(_has_clock, declared_times)) else _printed_times(tree)
    # Markup bylines only when metadata names no person; read before extraction prunes the tree.
    printed_bylines = [] if _authors(meta.authors, site_names) else bylines(tree)
    extracted = extract_body(
        tree,
        url,
        profile,
        title=title,
        description=None if (profile and profile.lead) else meta.description,
        extra_titles=(meta.h1, meta.title, meta.title_tag),
    )
    paragraphs = extracted.paragraphs
    if not fragment:
        check_listing(tree, meta, paragraphs, _min_body(paragraphs), extracted.link_share)
    elif sum(len(p) for p in paragraphs) < _min_body(paragraphs):
        raise NotAnArticle("no-body", "no article text in the content")

    body = "\n\n".join(paragraphs)
    lead = profile_lead or _standfirst(meta.description, title) or extracted.bold_lead
    if overrides.get("lead"):
        lead = clean_text(overrides["lead"])

    # Times: the item's or page's declared values, refined or replaced by a printed time, then
    # the URL's date. Local times are read in the publisher's zone, else the ccTLD's.
    tz_source = "publisher-tz"
    if tz_name is None:
        tz_name, tz_source = dates.zone_for_host(host_of(url)), "tld-tz"
    published, rule = _pick_time(declared_times, tz_name, tz_source)
    if printed_times and (published is None or not any(map(_has_clock, declared_times))):
        # A printed "2024年03月31日10:30" is more exact than a date-only <meta>, if it agrees.
        shown, shown_rule = _pick_time(printed_times, tz_name, tz_source)
        if shown is not None and (published is None or abs(shown - published).days < 1):
            published, rule = shown, shown_rule
    if published is None:
        url_date = dates.date_from_url(url)
        if url_date is not None:
            published, rule = url_date, "url-date"
    updated, _ = _pick_time(list(overrides.get("updated", [])) + meta.modified, tz_name, tz_source)

    canonical = overrides.get("canonical") or meta.canonical or url
    try:
        canonical_url = normalize_url(canonical, base=url)
    except ValueError:
        canonical_url = normalize_url(url)

    language = detect_language((title or "") + "\n" + body) or edition_lang
    section = clean_text(overrides.get("section")) or meta.section
    if not section:
        section = section_from_url(canonical_url, edition_prefix)
    tags = list(overrides.get("tags") or meta.tags)
    # The outlet's own name, even unregistered: what the <title> adds after the headline.
    if title and meta.title_tag and meta.title_tag.startswith(title):
        site_names.add(meta.title_tag[len(title) :].strip(" -_|–—·:"))
    authors = _authors(list(overrides.get("authors") or meta.authors), site_names) or _authors(
        printed_bylines + extracted.bylines, site_names
    )

    flags = dates.date_flags(published, fetched_at)
    return ParsedArticle(
        url=url,
        canonical_url=canonical_url,
        title=title,
        lead=lead,
        body=body,
        authors=authors,
        published_at=published,
        updated_at=updated,
        time_rule=rule,
        language=language,
        section=section,
        tags=[t for t in dict.fromkeys(clean_text(t) for t in tags) if t],
        image_url=normalize_url(image_url, base=url) if image_url else None,
        image_caption=caption or meta.image_caption,
        image_credit=credit or meta.image_credit,
        site_name=meta.site_name,
        fetched_at=fetched_at,
        flags=flags,
        extractor=EXTRACTOR_VERSION,
    )


_NUMERIC_DATE = re.compile(r"\d{1,4}[/.\-年]\d{1,2}[/.\-月]\d{1,4}")
_WORDY_DATE = re.compile(
    r"\d{1,2}(?:er)?\s+[^\W\d]{3,}\.?\s+\d{4}|[^\W\d]{3,}\.?\s+\d{1,2},?\s+\d{4}"
)
_DATE_CLASS = re.compile(r"date|time|publish|posted|meta", re.I)


def _has_clock(value: str) -> bool:
    return bool(re.search(r"\d\s*[:：时時hH]\s*\d{2}", value))


def _printed_times(tree: lxml_html.HtmlElement, limit: int = 5) -> list[str]:
    """Printed dates ("21/01/2024 - 01:18", "31 mars 2024 à 10h15"), in page order.

    Numeric dates are taken from any short text node; dates with month names only from <time> or
    date-classed elements, where they are less likely to be part of a sentence.
    """
    out: list[str] = []
    for el in tree.iter("time", "div", "span", "p", "li"):
        text = " ".join((el.text or "").split())
        if el.tag == "time" and el.get("datetime"):
            out.append(el.get("datetime"))
        elif 8 <= len(text) <= 60 and _NUMERIC_DATE.search(text):
            out.append(text)
        elif (
            8 <= len(text) <= 60
            and (el.tag == "time" or _DATE_CLASS.search(el.get("class") or ""))
            and _WORDY_DATE.search(text)
        ):
            out.append(text)
        if len(out) >= limit:
            break
    return out


def _check_content_type(headers: Mapping[str, str] | None) -> None:
    if not headers:
        return
    for key, value in headers.items():
        if key.lower() == "content-type" and value:
            mime = value.split(";")[0].strip().lower()
            if mime and not mime.startswith(_HTML_TYPES):
                raise NotAnArticle("not-html", f"content type {mime}")


# --------------------------------------------------------------------------- public API
def parse_page(raw: bytes, url: str, headers: Mapping[str, str] | None = None) -> ParsedArticle:
    """Parse a fetched HTML page (raw body bytes, final URL, response headers)."""
    _check_content_type(headers)
    text = decode_html(raw, headers)
    if not text.strip():
        raise NotAnArticle("no-body", "empty response body")
    tree = _parse_tree(text)
    return _build(tree, url)


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
