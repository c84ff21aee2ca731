"""The publication time: a ranked decision over every signal the page gives.

Signals, best first: what the page declares for machines (JSON-LD, then <meta> and itemprop,
then <time> elements), the date printed in the headline/byline region (the one nearest the
headline wins over dates inside the story, a "published" label over an "updated" one), htmldate's
extensive search, and the date in the URL. A declared date without a clock time takes the time of
a printed one on the same day. Nothing after the fetch time is ever taken.

Local times are read in the page's own offset, else the publisher's zone (registry), else the
zone of the domain's country, else the zone of a one-zone language (zh, ja, ko); with none of
these the time is taken as UTC and flagged "tz-unknown".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lxml import etree
from lxml import html as lxml_html

from services.parser import dates, datetext

RANKS = {"feed": 0, "json-ld": 1, "meta": 2, "itemprop": 2, "time": 3, "header": 4}
RANKS |= {"htmldate": 5, "url": 6}
_REGION_AFTER = 600  # characters of text after the headline that make its byline region
_REGION_BEFORE = 160  # and before it (kicker, dateline above the headline)
_DATE_CLASS = re.compile(r"date|time|publish|posted|byline|dateline|article-?info|meta|info", re.I)
_CLOCK = re.compile(r"\d\s*[:：时時hH]\s*\d{2}")
_LANGUAGE_ZONES = {"zh": "Asia/Shanghai", "ja": "Asia/Tokyo", "ko": "Asia/Seoul"}
# Off by default for the ablation table (bench/extraction.py --disable).
DISABLED: set[str] = set()


@dataclass(frozen=True)
class Candidate:
    value: datetime  # aware when the source gives an offset
    has_time: bool
    source: str  # a key of RANKS
    label: str | None = None  # "published" / "updated" for printed dates
    distance: int = 0  # printed dates: characters from the headline


@dataclass
class Decision:
    published: datetime | None = None  # UTC
    local: datetime | None = None  # the same instant in the page's or publisher's zone
    rule: str | None = None
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Zone:
    name: str | None  # IANA zone for local-only times
    source: str  # "publisher-tz", "tld-tz", "language-tz", "assumed-utc"


def zone_for(publisher_tz: str | None, host: str, language: str | None) -> Zone:
    if publisher_tz:
        return Zone(publisher_tz, "publisher-tz")
    tld = dates.zone_for_host(host)
    if tld:
        return Zone(tld, "tld-tz")
    lang = (language or "").split("-")[0]
    if lang in _LANGUAGE_ZONES and language != "zh-Hant" and "language" not in DISABLED:
        return Zone(_LANGUAGE_ZONES[lang], "language-tz")
    return Zone(None, "assumed-utc")


# --------------------------------------------------------------------------- signals
def declared(values: list[tuple[str, str]]) -> list[Candidate]:
    """Candidates from machine-readable values: (source, string) pairs in page order."""
    out = []
    for source, value in values:
        dt = dates.parse_datetime(value)
        if dt is not None:
            has_time = bool(_CLOCK.search(value)) or value.strip().isdigit()
            out.append(Candidate(dt, has_time, source))
    return out


def _text_chunks(body: etree._Element) -> list[tuple[etree._Element, str]]:
    """(element, text) for every text node in document order; script/style skipped."""
    out: list[tuple[etree._Element, str]] = []
    for el in body.iter():
        if not isinstance(el.tag, str):
            if el.tail:
                out.append((el, el.tail))
            continue
        if el.tag not in ("script", "style", "noscript", "template") and el.text:
            out.append((el, el.text))
        if el.tail:
            out.append((el.getparent() if el.getparent() is not None else el, el.tail))
    return out


def header_region(
    tree: lxml_html.HtmlElement, headline: etree._Element | None, from_top: bool = False
) -> list[Candidate]:
    """Dates printed around the headline, ranked by distance from it; with `from_top` (a
    fragment: snapshot or feed content, whose headline is outside) the region is its start."""
    body = tree.find("body")
    if body is None or (headline is None and not from_top):
        return []
    chunks = _text_chunks(body)
    if headline is None:
        idx = [-1]
    else:
        inside = set(headline.iter())
        idx = [i for i, (el, _) in enumerate(chunks) if el in inside]
    if not idx:
        return []
    out: list[Candidate] = []
    after, n = [], 0
    for _, text in chunks[idx[-1] + 1 :]:
        after.append(" ".join(text.split()))
        n += len(after[-1])
        if n > _REGION_AFTER:
            break
    before, n = [], 0
    for _, text in reversed(chunks[: max(idx[0], 0)]):
        before.insert(0, " ".join(text.split()))
        n += len(before[0])
        if n > _REGION_BEFORE:
            break
    after_text = " | ".join(t for t in after if t)
    for f in datetext.scan(after_text):
        out.append(Candidate(f.value, f.has_time, "header", f.label, f.start))
    before_text = " | ".join(t for t in before if t)
    for f in datetext.scan(before_text):
        distance = len(before_text) - f.start
        out.append(Candidate(f.value, f.has_time, "header", f.label, distance))
    return out


def dated_elements(tree: lxml_html.HtmlElement, limit: int = 40) -> list[Candidate]:
    """Dates in short date/byline-classed elements and <time> texts (pages with no headline)."""
    out: list[Candidate] = []
    for i, el in enumerate(tree.xpath("//body//*[@class or @id] | //body//time")):
        if i > 3000 or len(out) >= limit:
            break
        if el.tag != "time" and not _DATE_CLASS.search(f"{el.get('class', '')} {el.get('id', '')}"):
            continue
        text = " ".join(el.text_content().split())
        if not 6 <= len(text) <= 200:
            continue
        for f in datetext.scan(text):
            out.append(Candidate(f.value, f.has_time, "header", f.label, 10_000 + i))
    return out


def from_htmldate(tree: lxml_html.HtmlElement, url: str, fetched: datetime) -> list[Candidate]:
    import htmldate

    try:
        found = htmldate.find_date(
            tree,
            url=url,
            extensive_search="htmldate-extensive" not in DISABLED,
            original_date=True,
            outputformat="%Y-%m-%d %H:%M:%S",
            max_date=fetched.strftime("%Y-%m-%d"),
        )
    except Exception:  # a signal, not a requirement: a crash in it leaves the others
        return []
    if not found:
        return []
    dt = datetime.fromisoformat(found)
    return [Candidate(dt, dt.time() != time(0), "htmldate")]


def from_url(url: str) -> list[Candidate]:
    dt = dates.date_from_url(url)
    return [Candidate(dt.replace(tzinfo=None), False, "url")] if dt else []


# --------------------------------------------------------------------------- decision
def _localize(c: Candidate, zone: Zone) -> tuple[datetime, datetime, str]:
    """(UTC, local, rule) for a candidate."""
    if c.value.tzinfo is not None and c.value.utcoffset() is not None:
        return c.value.astimezone(UTC), c.value, "page-offset"
    if zone.name:
        local = c.value.replace(tzinfo=ZoneInfo(zone.name), fold=0)
        return local.astimezone(UTC), local, f"{zone.source}:{zone.name}"
    local = c.value.replace(tzinfo=UTC)
    return local, local, "assumed-utc"


def _implausible(c: Candidate, utc: datetime, local: datetime, fetched: datetime) -> str | None:
    """Why a candidate cannot be the publication time, or None."""
    if local.date() < date(1990, 1, 1):
        return "date-before-1990"
    if c.has_time and utc > fetched + timedelta(minutes=5):
        return "date-in-future"
    if local.date() > (fetched + timedelta(hours=14)).date():  # date-only: any zone's today
        return "date-in-future"
    return None


def _order(c: Candidate) -> tuple:
    label = {"published": 0, None: 1, "updated": 2}[c.label]
    return (RANKS[c.source], label, c.distance)


def decide(candidates: list[Candidate], zone: Zone, fetched: datetime | None) -> Decision:
    """The best plausible candidate; a date-only winner takes the clock of a same-day one."""
    fetched = fetched or datetime.now(UTC)
    ranked, flags = [], []
    # An "Updated:" date only when nothing else is left.
    last = (lambda c: c.label == "updated") if "updated-last" not in DISABLED else (lambda c: 0)
    for c in sorted(candidates, key=lambda c: (last(c), _order(c))):
        try:
            utc, local, rule = _localize(c, zone)
        except OverflowError:  # year 1 with a +14:00 offset has no UTC time
            utc = local = None
        why = "date-out-of-range" if utc is None else _implausible(c, utc, local, fetched)
        if why is None:
            ranked.append((c, utc, local, rule))
        elif RANKS[c.source] <= 2 and why not in flags:
            flags.append(why)  # the page declares an impossible time: say so
    if not ranked:
        return Decision(flags=flags)
    best, utc, local, rule = ranked[0]
    if not best.has_time and "refine-clock" not in DISABLED:
        for c, u, loc, r in ranked[1:]:
            if c.has_time and loc.date() == local.date():
                utc, local, rule = u, loc, r
                break
    if best.source == "url" and rule != "page-offset":
        rule = "url-date"
    if rule.endswith("assumed-utc"):
        flags.append("tz-unknown")
    return Decision(utc, local, rule, flags)
