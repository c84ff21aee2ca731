"""The article title: the page's own headline, without the site's name.

Sources: the declared title (JSON-LD headline, og:title...), the <title> element and every <h1>.
Site names are learnt from the page itself (what <title> adds around the declared title, a
segment that spells the domain) on top of the registry's and og:site_name. The <h1> that best
matches the declared title or <title> is the headline; a promotional or logo <h1> that matches
neither is not.
"""

from __future__ import annotations

import re
import unicodedata

from services.parser.metadata import PageMeta, strip_site_suffix

_SEPARATORS = re.compile(r"\s+[-|–—·:»/]\s+|\s*[|｜_]\s*|(?<=[\u4e00-\u9fff])-(?=[\u4e00-\u9fff])")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_MIN_MATCH = 0.25  # share of the longer title's tokens the <h1> must share
# Off by default for the ablation table (bench/extraction.py --disable).
DISABLED: set[str] = set()


def _key(text: str) -> str:
    return "".join(re.findall(r"[^\W_]", unicodedata.normalize("NFKC", text).casefold()))


def _tokens(text: str) -> list[str]:
    low = unicodedata.normalize("NFKC", text).casefold()
    if _CJK.search(low):
        return re.findall(r"[^\W_]", low)  # characters: CJK titles have no spaces
    return re.findall(r"[^\W_]+", low)


def similarity(a: str, b: str) -> float:
    ta, tb = _tokens(a), _tokens(b)
    if not ta or not tb:
        return 0.0
    common = sum(min(ta.count(t), tb.count(t)) for t in set(ta))
    return common / max(len(ta), len(tb))


def _domain_labels(host: str) -> set[str]:
    parts = [p for p in host.lower().split(".") if p and p not in ("www", "m", "amp", "news")]
    return {p.replace("-", "") for p in parts[:-1] if len(p) >= 3}


def spells_domain(segment: str, host: str) -> bool:
    """ "DerStandard.at", "Der Standard", "BBC News" for bbc.co.uk: the segment names the site."""
    key = _key(segment)
    if len(key) < 3:
        return False
    return any(key == lab or (len(lab) >= 4 and lab in key and len(key) <= len(lab) + 12)
               or (len(key) >= 4 and key in lab) for lab in _domain_labels(host))  # fmt: skip


def learnt_site_names(meta: PageMeta, host: str) -> set[str]:
    """Segments that one title source adds around another's text, and domain-like segments."""
    names: set[str] = set()
    sources = [t for t in (meta.title, meta.title_tag, *meta.h1s[:3]) if t]
    for a in sources:
        for b in sources:
            if a == b or len(b) <= len(a):
                continue
            if b.startswith(a):
                names.add(b[len(a) :].strip(" -_|–—·:»/｜"))
            elif b.endswith(a):
                names.add(b[: -len(a)].strip(" -_|–—·:»/｜"))
    for text in sources:
        for seg in _SEPARATORS.split(text):
            if spells_domain(seg, host):
                names.add(seg.strip())
    return {n for n in names if n and len(n) <= 60}


def choose_title(meta: PageMeta, site_names: set[str], host: str) -> str | None:
    names = set(site_names)
    if "learn-names" not in DISABLED:
        names |= learnt_site_names(meta, host)
    declared = strip_site_suffix(meta.title, names) if meta.title else None
    tag = strip_site_suffix(meta.title_tag, names) if meta.title_tag else None
    refs = [t for t in (declared, tag) if t]
    if "h1-match" not in DISABLED and meta.h1s:
        scored = [
            (max((similarity(h, r) for r in refs), default=0.0), -i, h)
            for i, h in enumerate(meta.h1s[:6])
        ]
        best, _, h1 = max(scored)
        if best >= _MIN_MATCH or not refs:
            return strip_site_suffix(h1, names)
    if declared:
        # An og:title that still carries a suffix the <h1> does not: trust the <h1>.
        if meta.h1 and declared != meta.h1 and declared.startswith(meta.h1) and len(meta.h1) > 5:
            return meta.h1
        return declared
    return tag or meta.h1
