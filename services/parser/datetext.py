"""Dates printed in page text, in the formats of the languages we ingest.

`scan(text)` finds every date in a short text ("Published on March 12th, 2024 17:19PM",
"2024年3月31日 10:30 来源：新华网", "31. März 2024, 10.15 Uhr", "Updated: 21/01/2024 - 01:18")
and says whether a label before it calls it the publication or the update time. Pure regexes:
no locale tables beyond the month names below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    (
        "january jan janvier janv januar jänner jän enero ene gennaio gen janeiro januari stycznia",
        "february feb février fevrier févr fevr februar febrero febbraio fevereiro fev "
        "februari lutego",
        "march mar mars märz maerz marzo março marco maart mrt marca",
        "april apr avril avr abril aprile aprill kwietnia",
        "may mai mayo maggio maio mei maja",
        "june jun juin juni junio giugno junho czerwca",
        "july jul juillet juil juli julio luglio julho lipca",
        "august aug août aout agosto augustus ago sierpnia",
        "september sep sept septembre septiembre settembre setembro set september września",
        "october oct octobre oktober okt octubre ottobre outubro out oktober października",
        "november nov novembre noviembre novembro november listopada",
        "december dec décembre decembre déc dezember dez diciembre dic dicembre dezembro "
        "december grudnia",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS.setdefault(_name, _num)

_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th|er|º|\.)?"
_TIME = (
    r"(?:\s*(?:,|at|à|um|a las|alle|às|om|kl\.?|-|–|\|)?\s*"
    r"(?P<hh>\d{1,2})\s*[:h.：时時]\s*(?P<mi>\d{2})(?:\s*[:：分]\s*(?P<ss>\d{2}))?\s*分?"
    r"\s*(?P<ampm>[ap]\.?\s?m\.?)?"
    r"(?:\s*(?:uhr|h|horas|heures|ore))?"
    r"(?:\s*(?P<tz>(?:GMT|UTC)\s*[+-]\s*\d{1,2}(?::?\d{2})?|[+-]\d{2}:?\d{2}|[A-Z]{2,4}T?|Z))?)?"
)
_PATTERNS = (
    # 2024-03-31T10:30:00+08:00, 2024/03/31 10:30, 2024.03.31, 2024年3月31日 10:30
    re.compile(
        r"(?P<y>(?:19|20)\d{2})\s*(?P<s>[-/.年])\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})"
        r"(?!\d)\s*日?(?:T(?=\d))?" + _TIME,
        re.I,
    ),
    # 31.03.2024, 31/03/2024, 03/31/2024 (order settled in _numeric_dmy)
    re.compile(
        r"(?<![\d.])(?P<a>\d{1,2})\s*(?P<s>[./-])\s*(?P<b>\d{1,2})\s*[./-]\s*(?P<y>(?:19|20)\d{2})"
        r"(?!\d)" + _TIME,
        re.I,
    ),
    # 31 March 2024, 12th of March, 2024, 31 de marzo de 2024, 31. März 2024
    re.compile(
        rf"(?<!\d)(?P<d>\d{{1,2}}){_ORD}\s*(?:of\s+|de\s+)?(?P<mon>{_MONTH_RE})\.?,?\s*(?:de\s+)?"
        rf"(?P<y>(?:19|20)\d{{2}})(?!\d)" + _TIME,
        re.I,
    ),
    # March 12th, 2024 / Mar. 12 2024
    re.compile(
        rf"\b(?P<mon>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}}){_ORD},?\s+(?P<y>(?:19|20)\d{{2}})(?!\d)"
        + _TIME,
        re.I,
    ),
)

_UPDATED = re.compile(
    r"(?:\b(?:updated?|modified|last changed|edited|mis à jour|modifié|aktualisiert|geändert|"
    r"actualizad[oa]|atualizad[oa]|aggiornat[oa]|bijgewerkt)|更新|修改|編輯於)\W*$",
    re.I,
)
_PUBLISHED = re.compile(
    r"(?:\b(?:published|posted|first published|publié|veröffentlicht|erschienen|publicad[oa]|"
    r"pubblicat[oa]|gepubliceerd)|发布|發布|发表|發表|發佈|时间|時間|日期)\W*(?:on|le|am|el|il)?\W*$",
    re.I,
)

_ABBREV_HOURS = {
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7,
    "MDT": -6, "PST": -8, "PDT": -7, "BST": 1, "CET": 1, "CEST": 2, "MEZ": 1, "MESZ": 2,
    "MSK": 3, "HKT": 8, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "WIB": 7, "SGT": 8,
}  # fmt: skip


@dataclass(frozen=True)
class Found:
    value: datetime  # aware when the text gives an offset or a zone name
    has_time: bool
    label: str | None  # "published", "updated" or None
    start: int  # offset in the scanned text


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    t = text.upper().replace(" ", "")
    m = re.fullmatch(r"(?:GMT|UTC)?([+-])(\d{1,2}):?(\d{2})?", t)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        return timezone(sign * timedelta(minutes=minutes)) if minutes <= 14 * 60 else None
    if t in _ABBREV_HOURS:
        return timezone(timedelta(hours=_ABBREV_HOURS[t]))
    return None


def _numeric_dmy(a: int, b: int, sep: str, month_first: bool) -> tuple[int, int]:
    """(day, month) of "a/b/yyyy": dotted is day-first; slashes follow the value or the locale."""
    if sep == "." or a > 12:
        return a, b
    if b > 12:
        return b, a
    return (b, a) if month_first else (a, b)


def _label(text: str, start: int) -> str | None:
    before = text[max(0, start - 40) : start]
    if _UPDATED.search(before):
        return "updated"
    if _PUBLISHED.search(before):
        return "published"
    return None


def _build(m: re.Match, kind: int, month_first: bool) -> tuple[datetime, bool] | None:
    g = m.groupdict()
    year = int(g["y"])
    if kind == 0:
        month, day = int(g["m"]), int(g["d"])
    elif kind == 1:
        day, month = _numeric_dmy(int(g["a"]), int(g["b"]), g["s"], month_first)
    else:
        month, day = _MONTHS[g["mon"].lower()], int(g["d"])
    hour = minute = second = 0
    has_time = g.get("hh") is not None
    if has_time:
        hour, minute, second = int(g["hh"]), int(g["mi"]), int(g["ss"] or 0)
        ampm = (g.get("ampm") or "").lower().replace(".", "").replace(" ", "")
        if ampm == "pm" and hour < 12:
            hour += 12  # "17:19PM": a 24-hour clock with a stray PM stays as it is
        elif ampm == "am" and hour == 12:
            hour = 0
    try:
        value = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    zone = _zone(g.get("tz")) if has_time else None
    return (value.replace(tzinfo=zone) if zone else value), has_time


def scan(text: str, month_first: bool = False) -> list[Found]:
    """Every date in `text`, in text order; overlapping matches keep the earliest pattern."""
    found: list[Found] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in enumerate(_PATTERNS):
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            built = _build(m, min(kind, 2), month_first)
            if built is None:
                continue
            taken.append((m.start(), m.end()))
            found.append(Found(built[0], built[1], _label(text, m.start()), m.start()))
    return sorted(found, key=lambda f: f.start)
