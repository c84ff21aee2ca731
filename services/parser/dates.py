"""Page times -> timezone-aware UTC, remembering which rule produced them.

A time with an offset is taken as is ("page-offset"). A local-only time is read in the publisher's
zone from shared.publishers ("publisher-tz:<zone>"), DST-correct through zoneinfo; with no known
publisher it is taken as UTC ("assumed-utc"). Times inside a spring-forward gap or a fall-back
overlap resolve with fold=0 (the offset in force before the change), which is what a CMS printing
wall-clock time most often meant.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

_EPOCH_FLOOR = datetime(1990, 1, 1, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=1)

# "21/01/2024 - 01:18" (day first: European CMS such as RFI's)
_DMY_HM = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\s*[-–,à]?\s*(\d{1,2})[:hH](\d{2})\b")
# "2024年1月21日 01:18" / "2024-01-21 01:18"
_CJK_DATE = re.compile(
    r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?(?:\s*(\d{1,2})[:：时](\d{2}))?"
)
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-]?(\d{2})[/-]?(\d{2})(?=[/-])")


# Unambiguous zone abbreviations seen in printed dates ("IST" is India, Israel or Ireland: left out).
_ABBREV_HOURS = {
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7,
    "MDT": -6, "PST": -8, "PDT": -7, "BST": 1, "CET": 1, "CEST": 2, "MSK": 3, "HKT": 8, "JST": 9,
    "KST": 9, "AEST": 10, "AEDT": 11,
}  # fmt: skip


def _tzinfos(name: str | None, offset: int | None) -> tzinfo | None:
    """dateutil hook: explicit offsets, known abbreviations; unknown names stay naive."""
    if offset is not None:
        return timezone(timedelta(seconds=offset))
    if name and name.upper() in _ABBREV_HOURS:
        return timezone(timedelta(hours=_ABBREV_HOURS[name.upper()]))
    return None


def parse_datetime(value: str | None) -> datetime | None:
    """A datetime from a machine-readable or printed date string; naive when no offset is given."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit() and len(value) in (10, 13):  # epoch seconds / milliseconds
        secs = int(value) / (1000 if len(value) == 13 else 1)
        return datetime.fromtimestamp(secs, UTC)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    m = _CJK_DATE.search(value)
    # Year-first numeric dates, alone or in a CJK line ("2024-03-31 10:30 来源：新华网").
    if m and not re.search(r"[A-Za-z]", value):
        y, mo, d, hh, mm = m.groups()
        try:
            return datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0))
        except ValueError:
            return None
    m = _DMY_HM.search(value)
    if m:
        d, mo, y, hh, mm = (int(x) for x in m.groups())
        try:
            return datetime(y, mo, d, hh, mm)
        except ValueError:
            return None
    for candidate in (value, _french_to_english(value)):
        if not candidate:
            continue
        try:
            return dateparser.parse(candidate, fuzzy=False, tzinfos=_tzinfos)
        except (ValueError, OverflowError, TypeError):
            continue
    return None


_FR_MONTHS = {
    "janvier": "January", "février": "February", "fevrier": "February", "mars": "March",
    "avril": "April", "mai": "May", "juin": "June", "juillet": "July", "août": "August",
    "aout": "August", "septembre": "September", "octobre": "October", "novembre": "November",
    "décembre": "December", "decembre": "December",
}  # fmt: skip
_FR_WORDS = re.compile(
    r"\b(?:publié|mis à jour|modifié|le|à|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b",
    re.I,
)


def _french_to_english(value: str) -> str | None:
    """ "Publié le 31 mars 2024 à 10h15" -> "31 March 2024 10:15" (French sites we ingest)."""
    lowered = value.lower()
    month = next((m for m in _FR_MONTHS if m in lowered), None)
    if month is None:
        return None
    text = lowered.replace(month, _FR_MONTHS[month])
    text = re.sub(r"(\d{1,2})\s*h\s*(\d{2})", r"\1:\2", text)
    text = _FR_WORDS.sub(" ", text)
    return re.sub(r"[,:]\s*$", "", " ".join(text.split()))


def to_utc(dt: datetime, tz_name: str | None, source: str = "publisher-tz") -> tuple[datetime, str]:
    """(UTC datetime, rule) for a parsed page time; `source` names where `tz_name` came from."""
    if dt.tzinfo is not None and dt.utcoffset() is not None:
        return dt.astimezone(UTC), "page-offset"
    if tz_name:
        local = dt.replace(tzinfo=ZoneInfo(tz_name), fold=0)
        return local.astimezone(UTC), f"{source}:{tz_name}"
    return dt.replace(tzinfo=UTC), "assumed-utc"


# Unregistered publishers: the zone a country-code domain's local times are almost always in.
_TLD_ZONES = {
    "cn": "Asia/Shanghai", "hk": "Asia/Hong_Kong", "mo": "Asia/Macau", "tw": "Asia/Taipei",
    "sg": "Asia/Singapore", "jp": "Asia/Tokyo", "kr": "Asia/Seoul", "fr": "Europe/Paris",
    "be": "Europe/Brussels", "ch": "Europe/Zurich", "de": "Europe/Berlin", "it": "Europe/Rome",
    "es": "Europe/Madrid", "uk": "Europe/London", "ie": "Europe/Dublin", "nl": "Europe/Amsterdam",
    "ru": "Europe/Moscow", "ua": "Europe/Kyiv", "in": "Asia/Kolkata",
}  # fmt: skip


def zone_for_host(host: str) -> str | None:
    """IANA zone implied by a host's country-code TLD (None for .com & co.)."""
    return _TLD_ZONES.get(host.rstrip(".").rsplit(".", 1)[-1].lower())


def date_from_url(url: str) -> datetime | None:
    m = _URL_DATE.search(url)
    if not m:
        return None
    try:
        return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=UTC)
    except ValueError:
        return None


def date_flags(published: datetime | None, reference: datetime | None = None) -> list[str]:
    """Sanity flags; `reference` is when the page was fetched (now when unknown)."""
    if published is None:
        return []
    ref = reference or datetime.now(UTC)
    flags = []
    if published > ref + _FUTURE_SLACK:
        flags.append("date-in-future")
    if published < _EPOCH_FLOOR:
        flags.append("date-before-1990")
    return flags
