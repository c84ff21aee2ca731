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
# X记者 (a reporter of X reports / learned), not an interview given to X's reporter, and not a
# photo credit (新华社记者 张三 摄)
ZH_REPORTER = re.compile(r"^记者(?![^，。；\n]{0,12}?(?:采访|专访|摄))")
ZH_INTERVIEW_BEFORE = re.compile(r"(?:接受|向|对|跟)\s*$")
# photo credits name an outlet without citing it: 图/新华社, 图片来源：法新社, Photo: AFP,
# (Photo by X/AFP via Getty Images), REUTERS/Name, AFP PHOTO, Credit: AP
PHOTO_BEFORE = re.compile(
    r"(?:图|圖|图片|圖片|照片|摄影|攝影|图源|圖源|配图|配圖)\s*(?:来源|來源|提供)?\s*[：:/／]\s*$"
    r"|(?:photo|photos|picture|pictures|image|images|credit|credits|photograph|illustration)"
    r"(?:\s+by)?\s*[:/]?\s*(?:[\w.' -]{0,30}/)?\s*$",
    re.IGNORECASE,
)
PHOTO_AFTER = re.compile(
    r"^(?:\s*(?:photo|photos|picture|/\s*getty|via getty)|/[A-Z][a-z]+(?:\s[A-Z][a-z]+)*\b(?!\)))"
    r"|^[^，。\n]{0,12}?摄(?:影)?(?:[）)]|$|\s)",
    re.IGNORECASE,
)
# "(Xinhua/Reuters) -": two outlets in one dateline credit
EN_SLASH_CREDIT = re.compile(r"^/[A-Z][\w&. ]{1,30}\)\s*[-—–]")
EN_SLASH_BEFORE = re.compile(r"\([A-Z][\w&. ]{1,30}/$")
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


def is_photo_credit(text: str, start: int, end: int) -> bool:
    """A picture credit (图/新华社, Photo: AFP, REUTERS/Name, 新华社记者 张三 摄)."""
    before = text[max(0, start - 40) : start]
    after = text[end : end + 24]
    return bool(PHOTO_BEFORE.search(before) or PHOTO_AFTER.search(after))


def is_citation(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 24) : start]
    after = text[end : end + 24]
    if "©" in before[-12:] or "版权" in after[:12] or "版權" in after[:12]:
        return False  # a copyright line names the publisher, it does not cite it
    if is_photo_credit(text, start, end):
        return False
    if _zh_context(text, start, end, before, after):
        return _zh_citation(before, after)
    return _latin_citation(text, start, before, after)


def _zh_context(text: str, start: int, end: int, before: str, after: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in before[-4:] + after[:4] + text[start:end])


def _zh_citation(before: str, after: str) -> bool:
    if ZH_BEFORE_TIGHT.search(before):
        return True
    # 据法新社莫斯科的报道: 据 a few characters before, the report word after
    if ZH_BEFORE.search(before) and ZH_AFTER.search(after):
        return True
    if ZH_AFTER.search(after):
        return True
    if ZH_REPORTER.search(after) and not ZH_INTERVIEW_BEFORE.search(before):
        return True  # 新华社记者从外交部获悉, 中新社记者报道
    return before.endswith(("（", "(")) and bool(ZH_PAREN.search(after))  # (法新社) credit


def _latin_citation(text: str, start: int, before: str, after: str) -> bool:
    if EN_BEFORE.search(before) or FR_TOLD.search(text[max(0, start - 80) : start]):
        return True
    if EN_AFTER.search(after) or EN_SLASH_CREDIT.search(after):
        return True
    if EN_SLASH_BEFORE.search(before) and re.match(r"\)\s*[-—–]", after):
        return True  # the second outlet of "(Xinhua/Reuters) -"
    # MOSCOW (Reuters) - dateline credit of another outlet
    return before.rstrip().endswith("(") and after.startswith(")")


NEWSPAPER_TITLE = re.compile(
    r"《([^《》\n]{1,14}?(?:报|報|时报|時報|日报|日報|周刊|週刊|新闻|新聞))》"
)


# an organisation name ending like an outlet (a newspaper, a broadcaster, an agency, a
# programme): cited by its name when it is not in the registry
OUTLET_NAME = re.compile(
    r"(?:\b(?:Times|Post|News|Journal|Herald|Tribune|Telegraph|Guardian|Gazette|Daily|Radio|TV|"
    r"Television|Broadcasting|Agency|Press|Magazine|Chronicle|Observer|Independent|Mail|"
    r"Express|Mirror|Review|Weekly|Newspaper|Network|Channel|Today|Nachrichten|Zeitung)"
    r"|(?:报|報|卫视|衛視|日报|日報|晚报|晚報|时报|時報|周刊|週刊|杂志|雜誌|电视台|電視台|电台|電台|广播公司|"
    r"廣播公司|通讯社|通訊社|新闻社|新聞社|新闻网|新聞網|频道|頻道|新闻|新聞))$"
)


def outlet_kind(name: str) -> str:
    if re.search(r"(?:Agency|Press|通讯社|通訊社|新闻社|新聞社)$", name):
        return "wire-agency"
    if re.search(r"(?:Radio|TV|Television|Broadcasting|Channel|Network|卫视|衛視|电视台|電視台|电台|電台|"
                 r"广播公司|廣播公司|频道|頻道)$", name):  # fmt: skip
        return "broadcaster"
    if re.search(r"(?:新闻网|新聞網)$", name):
        return "online"
    return "newspaper"


def _unregistered(text: str, names: list[tuple[int, int]], known: set[str]) -> dict[str, int]:
    """Outlet-like organisation names outside the registry that are cited: name -> count."""
    out: dict[str, int] = {}
    for s, e in names:
        name = text[s:e]
        if name in known or not OUTLET_NAME.search(name) or not is_citation(text, s, e):
            continue
        out[name] = out.get(name, 0) + 1
    return out


def cited_sources(
    text: str,
    hits: list[Hit],
    language: str,
    traditional: bool,
    own_domain: str | None,
    to_traditional,
    org_names: list[tuple[int, int]] = (),
) -> list[CitedSource]:
    """Outlets cited in `text`: registry outlets (`hits`) with a citation cue, newspapers
    quoted as 《X报》, and `org_names` (organisation spans outside the registry) that are
    named like an outlet and cited."""

    def cited(h: Hit) -> bool:
        own = own_domain and (
            h.publisher.domain == own_domain or own_domain.endswith("." + h.publisher.domain)
        )
        return not own and is_citation(text, h.start, h.end)

    out = _records([h for h in hits if cited(h)], language, traditional, to_traditional)
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
    known |= set(extra) | {c.name_en for c in out}
    for name, n in _unregistered(text, list(org_names), known).items():
        out.append(CitedSource(name, name, None, outlet_kind(name), n))
    out.sort(key=lambda c: (-c.mentions, c.name))
    return out


def credited_sources(
    text: str, hits: list[Hit], language: str, traditional: bool, to_traditional
) -> list[CitedSource]:
    """Registry outlets named in a picture credit (图/新华社, Photo: AFP, REUTERS/Name,
    新华社记者 张三 摄): credited for the picture, which is not a citation of the story."""
    credits = [h for h in hits if is_photo_credit(text, h.start, h.end)]
    out = _records(credits, language, traditional, to_traditional)
    out.sort(key=lambda c: (-c.mentions, c.name))
    return out


def _records(
    hits: list[Hit], language: str, traditional: bool, to_traditional
) -> list[CitedSource]:
    """One record per outlet of `hits`, its mentions counted, in first-mention order."""
    counts: dict[str, int] = {}
    pubs: dict[str, Publisher] = {}
    for h in hits:
        counts[h.publisher.domain] = counts.get(h.publisher.domain, 0) + 1
        pubs[h.publisher.domain] = h.publisher
    return [
        _record(pubs[dom], n, language, traditional, to_traditional) for dom, n in counts.items()
    ]


def _record(pub: Publisher, mentions: int, language: str, traditional: bool, to_traditional):
    """The outlet's record under its own name in the article's language (新华社, not its
    website's edition name 新华网)."""
    lang = "zh-Hant" if language == "zh" and traditional else language
    names = dict(pub.names)
    name = names.get(lang) or names.get(language) or pub.name_in(lang)
    if traditional and to_traditional and any("\u4e00" <= c <= "\u9fff" for c in name):
        name = to_traditional(name)
    return CitedSource(name, pub.name_en, pub.country, kind_of(pub), mentions)
