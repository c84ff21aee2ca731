"""Authors: the names the byline gives, people first.

Order: the declared authors (JSON-LD Person, <meta name=author>...), else the first printed byline
that yields a name (the article's own byline comes before the "more from" boxes), else a "By ..."
line taken off the body, else the declared organisation author (an agency or desk: "Associated
Press", "MND Staff"), which is what the page credits when no person is named.
"""

from __future__ import annotations

import functools
import re

from shared.publishers import all_publishers

_WS = re.compile(r"\s+")
_SPLIT = re.compile(
    r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b|\be\b|\bog\b|\ben\b|\bwith\b|\bavec\b|、|，|/)\s*"
)
_PREFIX = re.compile(
    r"^[\d/.\-: ]*(?:(?:(?:written|posted|reported|words|text|story|recipe|review|interview)\s+by|by|authors?|autor|auteur|"
    r"par|por|von|door|av|af|di)(?:\s*[:：]\s*|\s+)|"
    r"(?:作者|记者|記者|撰文|文|责任编辑|責任編輯|责编|責編|编辑|編輯)\s*[:：]?\s*)(?=\S)",
    re.I,
)
# "byScott Miller", "Written ByReyan Perumal": a label and a name, no space between
_GLUED_BY = re.compile(r"^(?:(?:[Ww]ritten|[Pp]osted|[Rr]eported)\s*)?[Bb][Yy](?=[A-Z][a-z])")
# What a byline line carries after the name: "• March 3", "Last updated", "| 5 min read"
_AFTER_NAME = re.compile(
    r"\s*(?:[•|·]|(?:\b|(?<=[a-z]))(?:last\s*)?updated\b|\bpublished\b|\bposted\s+(?:on|at)\b).*$",
    re.I,
)
# "Keith Barry Senior Autos Reporter": the job title printed after the name
_ROLE = (
    r"(?:writer|editor|reporter|correspondent|contributor|columnist|journalist|producer|"
    r"analyst|author|strategist|specialist)s?"
)
_ROLE_WORDS = (
    r"(?:senior|junior|chief|associate|assistant|staff|contributing|managing|executive|deputy|"
    r"lead|principal|content|freelance|guest|special|autos?|news|sports?|features?|science|"
    r"health|tech|technology|political|politics|business|food|travel|digital|web|copy|photo|"
    r"video|data|investigative|legal|finance|markets?)"
)
_ROLE_TAIL = re.compile(rf"(?i:\s+{_ROLE_WORDS}){{0,3}}\s+(?i:{_ROLE})$")
_ROLE_ONLY = re.compile(rf"^(?:[\w-]+\s+){{0,3}}(?i:{_ROLE})$")
_DOUBLED = re.compile(r"^(\S{2,30}?)\1$")  # "YucyYucy": an avatar's alt text and the name
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|jul(?:y)?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)  # not May or June: surnames too
_TRAILING_MONTH = re.compile(rf"\s+(?:{_MONTHS})\.?$", re.I)
_DATE_WORD = re.compile(
    rf"^(?:{_MONTHS}|may|june?|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*)\.?$", re.I
)
_FOLLOW_BUTTON = re.compile(r"\s+(?:\+\s*)?(?:关注|關注|订阅|訂閱|follow)$", re.I)
_CJK_NAME_THEN_TITLE = re.compile(r"^([\u4e00-\u9fff·]{2,4})\s+[\u4e00-\u9fff]{5,}$")
# "CM Craig McCarthy": the avatar's initials before the name they abbreviate
_AVATAR_INITIALS = re.compile(r"^([A-Z]{2,3})\s+(?=[A-Z])")
_NOT_A_PERSON = re.compile(
    r"@|https?:|www\.|\d|email|e-mail|editor(?:s|ial)? team|newsroom|rédaction|more about|"
    r"contributors?$|\bsponsored\b|^foto|^photo|^bild|^quelle|^source|编辑部|本报",
    re.I,
)
_LABEL_ONLY = re.compile(
    r"^(?:by|von|par|por|(?:written|posted|reported|words|story) by|author|autor|auteur|door|"
    r"name|admin)\s*[:：]?$",
    re.I,
)
# Off by default for the ablation table (bench/extraction.py --disable).
DISABLED: set[str] = set()


@functools.cache
def _outlet_names() -> frozenset[str]:
    """Every registered outlet's names (agencies included)."""
    names: set[str] = set()
    for pub in all_publishers():
        names |= {pub.name_en, *pub.aliases, *(n for _, n in pub.names)}
        names |= {e.name for e in pub.editions}
    return frozenset(n.lower() for n in names if n)


@functools.cache
def _outlet_fragments() -> frozenset[str]:
    """Every piece (2+ characters) of the short outlet names: "网易" of "网易新闻"."""
    return frozenset(
        e[i:j] for e in _outlet_names() if len(e) <= 12
        for i in range(len(e)) for j in range(i + 2, len(e) + 1)
    )  # fmt: skip


def _excluded(low: str, site: set[str], outlets: bool) -> bool:
    """The site's own name or an outlet, or a piece of a short one ("网易" in "网易新闻")."""
    if low in site or (outlets and low in _outlet_names()):
        return True
    if len(low) < 2:
        return False
    return any(low in e for e in site if len(e) <= 12) or (outlets and low in _outlet_fragments())


def _outlet_suffix(low: str, site: set[str], outlets: bool) -> str | None:
    """The site or outlet name a byline ends with after the person's name, if any."""
    words = low.split()
    for n in range(min(4, len(words) - 1), 0, -1):
        tail = " ".join(words[-n:])
        if len(tail) > 2 and (tail in site or (outlets and tail in _outlet_names())):
            return tail
    return None


def _clean(name: str) -> str:
    name = _WS.sub(" ", name).strip()
    name = _GLUED_BY.sub("", name)
    name = _PREFIX.sub("", name)
    if "byline-tails" not in DISABLED:
        name = _TRAILING_MONTH.sub("", _AFTER_NAME.sub("", name))
        name = _FOLLOW_BUTTON.sub("", name)
        name = _DOUBLED.sub(r"\1", name)
        m = _CJK_NAME_THEN_TITLE.match(name)
        if m:  # "王文 中国人民大学重阳金融研究院执行院长": the name, then the person's title
            name = m.group(1)
        m = _AVATAR_INITIALS.match(name)
        if m and m.group(1) == "".join(w[0] for w in name[m.end() :].split()):
            name = name[m.end() :]
    return name.strip(" .|-–—:：")


def people(
    candidates: list[str], exclude: set[str], outlets_too: bool = False, roles: bool = False
) -> list[str]:
    """Names from byline strings: labels stripped ("Written by"), "A and B" split, the site's own
    name and (unless `outlets_too`) registered outlets and agencies left out; a job title after
    a name is cut, and one standing alone after a name is dropped (unless `roles`)."""
    site = {e.lower() for e in exclude if e}
    outlets = not outlets_too and "agency-filter" not in DISABLED
    out: list[str] = []
    for raw in candidates:
        for part in _SPLIT.split(_clean(raw)):
            name = _clean(part)
            if not name or _LABEL_ONLY.match(name) or len(name) > 60:
                continue
            if _NOT_A_PERSON.search(name) or len(name.split()) > 5 or _DATE_WORD.match(name):
                continue
            if "byline-tails" not in DISABLED and not roles:
                if out and _ROLE_ONLY.match(name):
                    continue  # "Associate Editor" after the name it describes
                cut = _ROLE_TAIL.sub("", name)
                if len(cut.split()) >= 2 and not cut.lower().startswith("the "):
                    name = cut  # a person's name is left, not "Guardian" of "Guardian staff"
            low = name.lower()
            if "byline-tails" not in DISABLED:  # "Brian Truitt USA TODAY": the outlet after
                outlet = _outlet_suffix(low, site, outlets)
                if outlet:
                    name = name[: -len(outlet)].strip(" ,|-–—")
                    low = name.lower()
            if _excluded(low, site, outlets):
                continue
            # "Brian Truitt USA TODAY" after or before "Brian Truitt": the same person
            if any(low.startswith(o.lower()) or o.lower().startswith(low) for o in out):
                continue
            out.append(name)
    return out


_CJK_NAME = r"([\u4e00-\u9fff·]{2,4})(?![\u4e00-\u9fff])"
_CJK_BYLINE = (
    re.compile(r"(?:作者|撰文|文|记者|記者)\s*[:：|丨]\s*" + _CJK_NAME),
    re.compile(r"[（(【\[]\s*(?:记者|記者|通讯员|通訊員)\s*" + _CJK_NAME),
    re.compile(r"(?:^|\s)(?:记者|記者)\s+" + _CJK_NAME),
)
# What the page credits when no writer is named: the responsible editor.
_CJK_EDITOR = re.compile(
    r"(?:责任编辑|責任編輯|责编|責編)\s*[:：]\s*([\u4e00-\u9fff·]{2,4}|[\w\u4e00-\u9fff·]{2,16})"
)


def cjk_bylines(text: str) -> list[str]:
    """Writer names from Chinese page text ("作者：X", "（记者X）"), else the responsible editor."""
    for pattern in _CJK_BYLINE:
        m = pattern.search(text)
        if m:
            return [m.group(1)]
    if "editor-fallback" not in DISABLED:
        m = _CJK_EDITOR.search(text)
        if m:
            return [m.group(1).strip()]
    return []


def with_co_credits(candidates: list[str], site_names: set[str]) -> list[str]:
    """The people of a byline plus the outlets it credits beside them ("Felix Schröder, dpa"):
    an agency is a credit only next to a person, alone it does not stop the search for one."""
    found = people(candidates, site_names)
    if not found or "co-credits" in DISABLED:
        return found
    persons = {n.lower() for n in found}
    outlets = _outlet_names()
    every = people(candidates, site_names, outlets_too=True)
    credits = [n for n in every if n.lower() in outlets and n.lower() not in persons]
    return found + credits


def choose_authors(
    declared: list[str],
    printed: list[str],
    body_bylines: list[str],
    org_authors: list[str],
    site_names: set[str],
    branding: set[str] = frozenset(),
) -> list[str]:
    found = with_co_credits(declared, site_names)
    if found:
        return found
    found = with_co_credits(printed, site_names)
    if len(people(printed, site_names, roles=True)) > 2 and "first-byline" not in DISABLED:
        # many names: the article's byline and the "more from" boxes; the first one that
        # yields a name is the article's
        found = next(filter(None, (with_co_credits([t], site_names) for t in printed)))
    if found:
        return found
    found = with_co_credits(body_bylines, site_names)
    if found or "org-authors" in DISABLED:
        return found
    if "byline-agencies" not in DISABLED:
        # a byline or declared author that names only an agency ("By Associated Press"): the
        # agency wrote it
        found = people(declared + printed + body_bylines, site_names, outlets_too=True)
        if found:
            return found
    # No person anywhere: the organisation declared as author (an agency, a desk, the site
    # itself), unless it is only the branding the <title> carries.
    # A declared author that is the site's own name is still what the page credits (a
    # personal blog, a company's news page), better than nothing.
    found = people(org_authors, set(), outlets_too=True) or people(declared, branding)
    if found or "declared-site-author" in DISABLED:
        return found
    found = people(declared, set())
    if found or "printed-site-author" in DISABLED:
        return found
    # the byline names the site itself ("By Clay" on clay.global): still what the page credits
    return people(printed + body_bylines, set())
