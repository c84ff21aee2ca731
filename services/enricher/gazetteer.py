"""The gazetteer: curated + generated name lists, matched with Aho-Corasick automata.

Entries come from data/places.tsv (generated, see data/build_places.py), data/curated.tsv
(hand-written general vocabulary) and the publisher registry (shared/publishers: agencies and
outlets, so the registry stays the one source of truth for them). Chinese aliases are matched on
simplified text (traditional input is mapped character by character, which keeps offsets);
Latin aliases are matched case-sensitively on word boundaries.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick

from shared.publishers import Publisher, all_publishers

DATA = Path(__file__).parent / "data"
SEPARATORS = "·•‧・-－ "
_LOCK = threading.Lock()
_GAZ: Gazetteer | None = None


@dataclass
class Entry:
    type: str  # PER / LOC / ORG
    zh: str = ""
    en: str = ""
    fr: str = ""
    group: str = ""
    aliases: set[str] = field(default_factory=set)
    publisher: Publisher | None = None  # set for outlets/agencies from the registry

    def name_for(self, language: str) -> str:
        """Canonical name for a text in `language` ("zh", "en", "fr"...)."""
        if language == "zh":
            return self.zh or self.en or self.fr
        if language == "fr":
            return self.fr or self.en or self.zh
        return self.en or self.fr or self.zh


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def has_cjk(s: str) -> bool:
    return any(is_cjk(c) for c in s)


def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def _load_charmap(path: Path) -> dict[int, str]:
    out: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        a, _, b = line.partition("\t")
        if a and b:
            out[ord(a)] = b
    return out


def _sep_variants(alias: str) -> set[str]:
    """'弗拉基米尔·普京' also as '弗拉基米尔-普京', '弗拉基米尔•普京'...; CJK names only."""
    if not has_cjk(alias) or not any(c in alias for c in SEPARATORS[:-1]):
        return {alias}
    base = alias
    for c in SEPARATORS[:-1]:
        base = base.replace(c, "\x00")
    return {base.replace("\x00", s) for s in ("·", "•", "‧", "・", "-", "－", "")}


class Gazetteer:
    def __init__(self) -> None:
        self.t2s = _load_charmap(DATA / "t2s_chars.tsv")
        # simplified -> traditional (OpenCC's first, most common choice), for canonical names
        # shown in a traditional-script article when its own spelling is not in the text
        self.s2t = {chr(k): v for k, v in _load_charmap(DATA / "s2t_chars.tsv").items()}
        self.entries: list[Entry] = []
        self._index: dict[tuple[str, str], int] = {}
        for entry in _file_entries():
            self._add(entry)
        for pub in all_publishers():
            self._add(_publisher_entry(pub))
        self._build_automata()
        self.loc_zh = frozenset(e.zh for e in self.entries if e.type == "LOC" and e.zh)
        self.loc_zh_prefixes = frozenset(n[:2] for n in self.loc_zh if len(n) >= 2)
        # counting characters with a regex is ~10x faster than a Python loop
        self.trad_re = re.compile("[" + "".join(re.escape(chr(k)) for k in self.t2s) + "]")

    def _add(self, e: Entry) -> None:
        """One entry per (type, name): a second line for the same name fills in the first."""
        key = (e.type, e.zh or e.en)
        if key not in self._index:
            self._index[key] = len(self.entries)
            self.entries.append(e)
            return
        old = self.entries[self._index[key]]
        old.en = old.en or e.en
        old.fr = old.fr or e.fr
        old.zh = old.zh or e.zh
        old.aliases |= e.aliases
        old.publisher = old.publisher or e.publisher
        # the curated line is the more deliberate one
        if e.group and e.group != "places":
            old.group = e.group
            old.en, old.fr = e.en or old.en, e.fr or old.fr

    def _build_automata(self) -> None:
        """Aho-Corasick automata over every surface form: one for CJK, one for Latin script."""
        zh_keys: dict[str, int] = {}
        lat_keys: dict[str, int] = {}
        for i, e in enumerate(self.entries):
            for f in {e.zh, e.en, e.fr} | e.aliases:
                f = f.strip()
                if has_cjk(f):
                    for v in _sep_variants(self.simplify(f)):
                        if len(v) >= 2:
                            zh_keys.setdefault(v, i)
                elif len(f) >= 2:
                    for key in _latin_keys(f, e):
                        lat_keys.setdefault(key, i)
        self.zh_auto = _automaton(zh_keys)
        self.lat_auto = _automaton(lat_keys)
        self.zh_keys = zh_keys
        self.lat_keys = lat_keys

    def simplify(self, text: str) -> str:
        """Traditional -> simplified, one character for one (offsets are preserved)."""
        return text.translate(self.t2s)

    def traditional(self, text: str) -> str:
        return "".join(self.s2t.get(c, c) for c in text)

    def _match(self, auto: ahocorasick.Automaton, text: str) -> list[tuple[int, int, int]]:
        return _leftmost_longest([(end - n + 1, end + 1, i) for end, (n, i) in auto.iter(text)])

    def match_zh(self, simp_text: str) -> list[tuple[int, int, int]]:
        """(start, end, entry index), leftmost-longest, on simplified text."""
        return self._match(self.zh_auto, simp_text)

    def match_latin(self, text: str) -> list[tuple[int, int, int]]:
        """Case-sensitive Latin alias hits that start and end on word boundaries."""
        hits = []
        n = len(text)
        for end, (ln, idx) in self.lat_auto.iter(text):
            s, e = end - ln + 1, end + 1
            if s > 0 and (text[s - 1].isalnum() or text[s - 1] == "-"):
                continue
            if s > 1 and text[s - 1] in "'’" and text[s - 2].isalpha():
                # French elision (l'AFP, d'Interfax) yes, an English possessive tail no
                if not (s < 3 or not text[s - 3].isalpha()) or text[s - 2] not in "lLdD":
                    continue
            if e < n and (
                text[e].isalnum() or (text[e] in "-" and e + 1 < n and text[e + 1].isalnum())
            ):
                continue
            hits.append((s, e, idx))
        return _leftmost_longest(hits)


def _leftmost_longest(hits: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Non-overlapping (start, end, idx) hits: leftmost first, the longest at each start."""
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    out: list[tuple[int, int, int]] = []
    last = 0
    for s, e, idx in hits:
        if s >= last:
            out.append((s, e, idx))
            last = e
    return out


def get_gazetteer() -> Gazetteer:
    global _GAZ
    if _GAZ is None:
        with _LOCK:
            if _GAZ is None:
                _GAZ = Gazetteer()
    return _GAZ


def _file_entries() -> Iterator[Entry]:
    """The GeoNames places, then the curated names (which refine them)."""
    for fname, group in (("places.tsv", "places"), ("curated.tsv", "")):
        for line in (DATA / fname).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t") + [""] * 6
            typ, zh, en, fr, aliases, grp = cols[:6]
            if typ == "LOC" and en.startswith("The ") and fname == "places.tsv":
                aliases = "|".join(filter(None, [aliases, en]))
                en = en[4:]  # GeoNames' "The Netherlands" -> "Netherlands"
            yield Entry(typ, zh, en, fr, group or grp, {a for a in aliases.split("|") if a})


def _publisher_entry(pub: Publisher) -> Entry:
    """A registry publisher as an ORG entry, under all its names and edition names."""
    names = dict(pub.names)
    aliases = set(pub.aliases) | {n for _, n in pub.names} | {e.name for e in pub.editions}
    zh = names.get("zh", "")
    return Entry("ORG", zh, pub.name_en, names.get("fr", pub.name_en), "publisher", aliases, pub)


def _latin_keys(form: str, e: Entry) -> Iterator[str]:
    """A Latin-script form and the spellings it is also written in."""
    yield form
    plain = _strip_accents(form)
    if plain != form:
        yield plain  # Elysee, Erdogan, Sao Paulo
    if form.startswith("The ") and e.type == "LOC":
        yield form[4:]  # "the Netherlands"
    if (e.type == "LOC" or e.publisher is not None) and len(form) >= 4:
        yield form.upper()  # datelines: MOSCOW (Reuters) -, BEIJING (XINHUA) --


def _automaton(keys: dict[str, int]) -> ahocorasick.Automaton:
    auto = ahocorasick.Automaton()
    for k, i in keys.items():
        auto.add_word(k, (len(k), i))
    auto.make_automaton()
    return auto
