"""Language of an article from its own text (page metadata often lies: templates say "en").

Script decides first (Han, kana, Hangul, Cyrillic, Arabic...); Latin-script text is told apart by
function words. Chinese is "zh-Hant" only when traditional-only characters dominate: a character
that GB2312 cannot encode but Big5 can is traditional-specific, and the reverse simplified-specific,
so no conversion table is needed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_WORD = re.compile(r"[^\W\d_]+")

# Frequent function words; a word shared by two languages counts for both.
_STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and of to in is that for it with as was on are be by this have from at "
        "not but they his her which or an had has were their been will would said who",
        "fr": "le la les des est et un une du que qui dans pour pas sur au aux avec ce se "
        "sont il elle ont été par plus mais son sa ses leur nous vous cette était",
        "es": "el la los las de que y en un una es por con para del se no su al lo como "
        "más pero sus ha fue este esta entre cuando muy también sobre",
        "pt": "o a os as de que e do da em um uma para com não no na por mais dos das se "
        "ao é foi como mas seu sua ou já também pelo pela são",
        "de": "der die das und ist nicht ein eine zu den mit von sich des auf für im dem "
        "auch es als an nach wie aus bei wird hat sind oder noch",
        "it": "il di che e la per un una non in sono del della con si le dei delle è al "
        "gli da anche come più ma questo ha nel alla",
        "nl": "de het een van en is dat op te in niet zijn voor met die er aan ook als bij "
        "door maar om dan naar wordt heeft",
        "id": "yang dan di ini itu dengan untuk tidak dari dalam akan pada juga ke karena "
        "ada oleh mereka bisa sudah atau",
        "vi": "của và là có được cho không những người này với một các trong đã để khi "
        "từ đến về năm cũng như",
    }.items()
}


_SCRIPTS = {
    name: re.compile(pattern)
    for name, pattern in {
        "kana": "[\u3040-\u30ff]",
        "han": "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]",
        "hangul": "[\uac00-\ud7af\u1100-\u11ff]",
        "cyrillic": "[\u0400-\u04ff]",
        "arabic": "[\u0600-\u06ff\u0750-\u077f]",
        "hebrew": "[\u0590-\u05ff]",
        "thai": "[\u0e00-\u0e7f]",
        "greek": "[\u0370-\u03ff]",
        "devanagari": "[\u0900-\u097f]",
        "latin": "[A-Za-z\u00c0-\u024f\u1e00-\u1eff]",
    }.items()
}


def _script_counts(text: str) -> Counter[str]:
    # One C-level regex scan per script beats a Python loop over every character.
    counts: Counter[str] = Counter()
    for name, pattern in _SCRIPTS.items():
        n = len(pattern.findall(text))
        if n:
            counts[name] = n
    return counts


def _chinese_variant(text: str) -> str:
    simp = trad = 0
    for ch in set(text):
        if not ("\u4e00" <= ch <= "\u9fff"):
            continue
        in_gb = _encodable(ch, "gb2312")
        in_big5 = _encodable(ch, "big5")
        if in_gb and not in_big5:
            simp += 1
        elif in_big5 and not in_gb:
            trad += 1
    return "zh-Hant" if trad > simp else "zh"


def _encodable(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _latin_language(text: str) -> str | None:
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return None
    scores = {lang: sum(1 for w in words if w in sw) for lang, sw in _STOPWORDS.items()}
    best = max(scores, key=lambda k: scores[k])
    if scores[best] == 0:
        return None
    # One function word in a long text is noise (a quoted name, a loan word).
    return best if scores[best] >= 2 or len(words) < 20 else None


def _cyrillic_language(text: str) -> str:
    if any(c in text for c in "їєґі"):
        return "uk"
    if any(c in text for c in "ўњљџђћ"):
        return "sr" if "ђ" in text or "ћ" in text else "be"
    return "ru"


def _arabic_language(text: str) -> str:
    # Persian letters that Arabic does not use.
    return "fa" if any(c in text for c in "پچژگ") else "ar"


def detect_language(text: str, sample: int = 4000) -> str | None:
    """BCP 47 tag for `text` (first subtag ISO 639-1), or None when there is too little text."""
    text = unicodedata.normalize("NFC", text[:sample])
    counts = _script_counts(text)
    if not counts:
        return None
    letters = sum(counts.values())
    if counts["kana"] > letters * 0.05:
        return "ja"
    if counts["hangul"] > letters * 0.1:
        return "ko"
    if counts["han"] > letters * 0.2:
        return _chinese_variant(text)
    script, _ = counts.most_common(1)[0]
    if script == "latin":
        return _latin_language(text)
    if script == "cyrillic":
        return _cyrillic_language(text)
    if script == "arabic":
        return _arabic_language(text)
    if script == "han":
        return _chinese_variant(text)
    return {"hebrew": "he", "thai": "th", "greek": "el", "devanagari": "hi", "kana": "ja"}.get(
        script, "ko" if script == "hangul" else None
    )
