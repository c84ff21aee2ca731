"""Cited sources: outlets an article gives as the source of what it reports.

An outlet name (from the publisher registry, via the gazetteer) counts as cited when a
citation cue stands right before or after it: 据/援引 X, X 报道/援引/称/电, "according to X",
"told X", "X reported", "(X) —" datelines, "selon l'X". 《X报》 + a reporting verb cites a
newspaper not in the registry. The publisher's own name is dropped (its dateline is not a
citation) when the caller says who the publisher is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.contracts import CitedSource
from shared.publishers import Publisher

ZH_BEFORE = re.compile(
    r"(据|根据|據|援引|引述|引用|引据|转引|来源[：:]|來源[：:]|来自|報導|报导指|外电)\s*(?:[^，。；！？\n]{0,6}?)$"
)
ZH_BEFORE_TIGHT = re.compile(r"(据|根据|據|援引|引述|引用|转引|来源[：:]|來源[：:]|报导指)\s*$")
ZH_AFTER = re.compile(
    # the gap may hold a date or place (新华社北京3月5日电) but not an interview (接受X采访时说)
    r"^(?:(?!采访|专访|记者|节目|网站|时说)[^，。；！？\n“”\"]){0,12}?(报道|报导|報導|報道|援引|引述|引用|消息|称|稱|说|說|指出|指|"
    # 电 as in 新华社北京3月5日电, not 电台/电视/电话
    r"(?:电|電)(?![台視视话話影子力网網脑腦池梯商信器动動车車厂廠价價费費缆纜站])|"
    r"表示|透露|披露|发布|發布|公布|获悉|獲悉|报告|報告|的报道|证实|證實)"
)
ZH_PAREN = re.compile(r"^[）)]")
EN_BEFORE = re.compile(
    r"(according to|told|tells|telling|quoted by|cited by|reported by|citing|via|"
    r"interview with|statement to|speaking to|spoke to|spoke with|confirmed to|said to|"
    r"selon|d'après|cité par|citée par|a indiqué à|a déclaré à|a confié à|rapporte|"
    r"a rapporté|ont rapporté|indique|relève)"
    r"\s+(?:(?:the|a|an|an?\s+\w+|l['’]|le|la|les|l['’]agence|l['’]agence de presse|"
    r"state(?:-run)? (?:news agency|media|broadcaster)|(?:state )?news agency|"
    r"the state(?:-run)? (?:news agency|media))\s*)?$",
    re.IGNORECASE,
)
# French: a reporting verb earlier in the clause, then "à l'AFP" (a indiqué la direction à l'AFP)
FR_TOLD = re.compile(
    r"\b(?:indiqué|déclaré|confié|affirmé|précisé|assuré|expliqué|dit|annoncé|confirmé)\b"
    r"[^.;!?]{0,50}\bà\s+(?:l['’]|la |le )?$"
)
EN_AFTER = re.compile(
    r"^(?:['’]s? report\b|\s*news agency\b|\s*(?:news agency\s+)?(?:reported|reports|said|says|"
    r"quoted|cited|cites|quoting|citing|confirmed|learned|reported on|rapporte|a rapporté|"
    r"indique|a indiqué|a appris|cite)\b|\)\s*[-—–])"
)


@dataclass
class Hit:
    start: int
    end: int
    publisher: Publisher


def kind_of(pub: Publisher) -> str:
    k = pub.kind.lower()
    if "agency" in k:
        return "wire-agency"
    if "broadcast" in k:
        return "broadcaster"
    if "newspaper" in k or "magazine" in k:
        return "newspaper"
    if "online" in k:
        return "online"
    return "other"


def is_citation(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 24) : start]
    after = text[end : end + 24]
    if "©" in before[-12:] or "版权" in after[:12] or "版權" in after[:12]:
        return False  # a copyright line names the publisher, it does not cite it
    cjk_context = any("\u4e00" <= c <= "\u9fff" for c in before[-4:] + after[:4])
    if cjk_context or any("\u4e00" <= c <= "\u9fff" for c in text[start:end]):
        if ZH_BEFORE_TIGHT.search(before):
            return True
        # 据法新社莫斯科的报道: 据 a few characters before, the report word after
        if ZH_BEFORE.search(before) and ZH_AFTER.search(after):
            return True
        if ZH_AFTER.search(after):
            return True
        if before.endswith(("（", "(")) and ZH_PAREN.search(after):
            return True  # (法新社) credit
        return False
    if EN_BEFORE.search(before) or FR_TOLD.search(text[max(0, start - 80) : start]):
        return True
    if EN_AFTER.search(after):
        return True
    if before.rstrip().endswith("(") and after.startswith(")"):
        return True  # MOSCOW (Reuters) - dateline credit of another outlet
    return False


NEWSPAPER_TITLE = re.compile(
    r"《([^《》\n]{1,14}?(?:报|報|时报|時報|日报|日報|周刊|週刊|新闻|新聞))》"
)


def cited_sources(
    text: str,
    hits: list[Hit],
    language: str,
    traditional: bool,
    own_domain: str | None,
    to_traditional,
) -> list[CitedSource]:
    counts: dict[str, int] = {}
    pubs: dict[str, Publisher] = {}
    for h in hits:
        if own_domain and (
            h.publisher.domain == own_domain or own_domain.endswith("." + h.publisher.domain)
        ):
            continue
        if is_citation(text, h.start, h.end):
            counts[h.publisher.domain] = counts.get(h.publisher.domain, 0) + 1
            pubs[h.publisher.domain] = h.publisher
    out: list[CitedSource] = []
    for dom, n in counts.items():
        pub = pubs[dom]
        lang = language
        if language == "zh" and traditional:
            lang = "zh-Hant"
        # the agency's own name (新华社), not its website's edition name (新华网)
        names = dict(pub.names)
        name = names.get(lang) or names.get(language) or pub.name_in(lang)
        if traditional and to_traditional and any("\u4e00" <= c <= "\u9fff" for c in name):
            name = to_traditional(name)
        out.append(CitedSource(name, pub.name_en, pub.country, kind_of(pub), n))
    # 《X报》 + a reporting verb: a newspaper that is not in the registry
    known = {c.name for c in out}
    extra: dict[str, int] = {}
    for m in NEWSPAPER_TITLE.finditer(text):
        title = m.group(1)
        if title in known:
            continue
        if is_citation(text, m.start(), m.end()):
            extra[title] = extra.get(title, 0) + 1
    for title, n in extra.items():
        out.append(CitedSource(title, title, None, "newspaper", n))
    out.sort(key=lambda c: (-c.mentions, c.name))
    return out
