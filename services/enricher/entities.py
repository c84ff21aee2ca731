"""From chosen spans to entities: keys, alias merging, canonical names, every mention.

One entity per (name, type) per article: spans that refer to the same thing (a gazetteer entry
and its aliases, 谢尔盖·拉夫罗夫 and 拉夫罗夫, 外务省 and 朝鲜外务省) share a key, and entities
that still end up with the same (name, type) are merged with their mentions at the end.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

import ahocorasick

from services.enricher import rules as R
from services.enricher.gazetteer import Entry, Gazetteer, has_cjk
from services.enricher.ner import Span, norm

_PARTS = re.compile(r"[·•‧・\-－ ]+")
_PARTS_NO_SPACE = re.compile(r"[·•‧・\-－]+")


@dataclass
class Entity:
    key: str
    type: str
    name: str
    spans: list[tuple[int, int]]


def zh_drop(name: str, is_gaz: bool, typ: str = "") -> bool:
    """Chinese surfaces that are never a name of ours."""
    if is_gaz:
        return False
    if len(name) < 2 or name in R.ZH_STOP or name in R.ZH_TITLES:
        return True
    if typ != "PER" and all(c in R.ZH_ABBREV_CHARS for c in name):
        return True  # 朝俄, 韩美日 (a person may well be 巴加伊)
    if len(name) == 2 and name[1] == "方":
        return True
    return any(c.isdigit() for c in name)


def span_keys(chosen: list[Span]) -> list[tuple[Span, str]]:
    """A key per kept span: g<entry> for gazetteer names, s<surface> for others, ?<surface>
    for untyped words (kept only if an alias rule gives them an entity)."""
    keyed: list[tuple[Span, str]] = []
    for c in chosen:
        if c.gaz >= 0:
            keyed.append((c, f"g{c.gaz}"))
            continue
        cjk = has_cjk(c.surface)
        sur = norm(c.surface) if cjk else c.surface
        if not c.type:
            keyed.append((c, f"?{sur}"))
            continue
        if len(sur) > (30 if cjk else 80):
            continue  # no name is that long: a model run-away on repetitive text
        if c.rule == "one-char":
            if sur in R.ZH_STOP:
                continue
        elif c.rule == "crf":
            # the trained model's names: only the non-names it was never taught about
            if len(sur) < 2 or sur in R.ZH_STOP:
                continue
        elif (cjk and zh_drop(sur, False, c.type)) or (not cjk and len(sur) < 2):
            continue
        keyed.append((c, f"s{sur}"))
    return keyed


def _longer_org(k: str, sur: str, org_keys: list[str], loc_names: set[str]) -> str | None:
    """外务省 -> 朝鲜外务省 when exactly one such place-prefixed ORG exists."""
    longer = {
        ok
        for ok in org_keys
        if ok != k
        and ok.startswith("s")
        and ok[1:].endswith(sur)
        and ok[1:][: -len(sur)] in loc_names
    }
    return longer.pop() if len(longer) == 1 else None


def alias_remap(keyed, gaz: Gazetteer, simp: str) -> dict[str, str]:
    """Key -> key of the entity it is an alias of."""
    per_full: dict[str, str] = {}  # surname -> key of a multi-part name
    for c, k in keyed:
        if c.type == "PER" and k.startswith("s"):
            parts = _PARTS.split(c.surface)
            if len(parts) >= 2 and len(parts[-1]) >= 2:
                per_full.setdefault(parts[-1], k)
    gaz_keys_by_name: dict[str, str] = {}
    for c, k in keyed:
        if c.gaz >= 0:
            e = gaz.entries[c.gaz]
            for nm in (e.zh, e.en, e.fr):
                if nm:
                    gaz_keys_by_name[nm] = k
    org_keys = [k for c, k in keyed if c.type == "ORG"]
    loc_names = {norm(simp[c.start : c.end]) for c, _ in keyed if c.type == "LOC"} | gaz.loc_zh
    remap: dict[str, str] = {}
    for c, k in keyed:
        if not k.startswith(("s", "?")):
            continue
        sur = k[1:]
        if c.type in ("PER", "") and sur in per_full and per_full[sur] != k:
            remap[k] = per_full[sur]  # 拉夫罗夫 -> 谢尔盖·拉夫罗夫 (named after the surname later)
        elif c.type == "ORG":
            longer = _longer_org(k, sur, org_keys, loc_names)
            if longer:
                remap[k] = longer
        if c.type == "PER" and k not in remap:
            # the surface keeps the separators the key may have dropped (弗拉基米尔-普京)
            parts = _PARTS.split(c.surface)
            if len(parts) >= 2 and parts[-1] in gaz_keys_by_name:
                remap[k] = gaz_keys_by_name[parts[-1]]
    return remap


def _remapped(key: str, remap: dict[str, str]) -> str:
    """The key an alias ends at: remaps chain (?Trump -> sMake Trump -> g<Trump>)."""
    seen = {key}
    while key in remap and remap[key] not in seen:
        key = remap[key]
        seen.add(key)
    return key


def _gaz_name(e: Entry, spans: list[Span], text: str, simp: str, gaz, language, traditional):
    name = e.name_for(language)
    if language == "zh" and not has_cjk(name):
        name = e.name_for("en")
    if traditional and has_cjk(name):
        # the article's own spelling of the canonical name (台灣, not 臺灣) if it has it
        own = [text[c.start : c.end] for c in spans if norm(simp[c.start : c.end]) == norm(name)]
        name = Counter(own).most_common(1)[0][0] if own else gaz.traditional(name)
    return name


def name_entities(groups, text, simp, gaz, language, traditional) -> list[Entity]:
    """The canonical name and type of each group of spans."""
    ents: list[Entity] = []
    for k, spans in groups.items():
        if k.startswith("g"):
            e: Entry = gaz.entries[int(k[1:])]
            name = _gaz_name(e, spans, text, simp, gaz, language, traditional)
            # the type the spans were given (the English model may read an alias otherwise)
            typ = Counter(c.type for c in spans if c.type).most_common(1)[0][0]
        else:
            typ = Counter(c.type for c in spans if c.type).most_common(1)[0][0]
            forms = [text[c.start : c.end] for c in spans]
            name = max(forms, key=len)
            parts = _PARTS_NO_SPACE.split(name)
            if typ == "PER" and has_cjk(name) and len(parts) >= 2 and parts[-1] in forms:
                name = parts[-1]  # 谢尔盖·拉夫罗夫 + 拉夫罗夫 -> 拉夫罗夫
        ents.append(Entity(k, typ, name, [(c.start, c.end) for c in spans]))
    return ents


def _search_forms(ents, groups, simp, text, gaz, loc_names) -> dict[str, int]:
    """Surface -> entity index, for finding the mentions the model and rules missed."""
    loc_prefixes = gaz.loc_zh_prefixes | {n[:2] for n in loc_names - gaz.loc_zh if len(n) >= 2}
    forms: dict[str, int] = {}
    for i, ent in enumerate(ents):
        for c in groups[ent.key]:
            f = simp[c.start : c.end] if has_cjk(simp[c.start : c.end]) else text[c.start : c.end]
            if len(f) >= 2:
                forms.setdefault(f, i)
            sur = norm(c.surface)
            if c.type == "ORG" and c.gaz < 0 and sur[:2] in loc_prefixes:
                # the body alone (外务省) refers back to the country's body (朝鲜外务省)
                for b in R.ZH_GOV_BODIES:
                    if sur.endswith(b) and len(b) >= 3 and sur[: -len(b)] in loc_names:
                        forms.setdefault(b, i)
                        break
        if ent.type == "PER" and not ent.key.startswith("g"):
            last = _PARTS.split(ent.name)[-1]
            if len(last) >= 2 and last != ent.name:
                forms.setdefault(last if not has_cjk(last) else gaz.simplify(last), i)
    return forms


def occurrences(forms: dict[str, int], src: str) -> list[tuple[int, int, int]]:
    """(start, end, entity index) of every occurrence of every form in `src`."""
    auto = ahocorasick.Automaton()
    for f, i in forms.items():
        auto.add_word(f, (len(f), i))
    auto.make_automaton()
    return [(end - ln + 1, end + 1, i) for end, (ln, i) in auto.iter(src)]


def add_mentions(ents: list[Entity], forms: dict[str, int], src: str) -> None:
    """Search every accepted surface again; free (untaken) occurrences become mentions."""
    if not forms:
        return
    taken = bytearray(len(src))
    for ent in ents:
        for s, e in ent.spans:
            taken[s:e] = b"\1" * (e - s)
    extra: list[tuple[int, int, int]] = []
    for s, e, i in occurrences(forms, src):
        if any(taken[s:e]):
            continue
        if not has_cjk(src[s:e]) and (
            (s > 0 and src[s - 1].isalnum()) or (e < len(src) and src[e].isalnum())
        ):
            continue
        extra.append((s, e, i))
    extra.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    last = -1
    for s, e, i in extra:
        if s >= last and not any(taken[s:e]):
            ents[i].spans.append((s, e))
            taken[s:e] = b"\1" * (e - s)
            last = e


def drop_nested(ents: list[Entity], forms: dict[str, int], src: str) -> None:
    """Names are flat: a mention inside an occurrence of another entity's longer form is part
    of that name (佩斯 in 佩斯科夫, once 德米特里·佩斯科夫 is a person of the article), not a
    mention of its own. (An entity left without mentions is dropped by the caller.)"""
    longer = {f: i for f, i in forms.items() if len(f) >= 3}
    if not longer:
        return
    # occurrences by start: a span is only looked up against those that can cover it, not
    # against all of them (an article can hold thousands of mentions)
    by_start: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for s, e, i in occurrences(longer, src):
        by_start[s].append((e, i))
    reach = max(map(len, longer))

    def covered(a: int, b: int, j: int) -> bool:
        return any(
            i != j and b <= e and b - a < e - s
            for s in range(max(0, a - reach + 1), a + 1)
            for e, i in by_start.get(s, ())
        )

    for j, ent in enumerate(ents):
        ent.spans = [(a, b) for a, b in ent.spans if not covered(a, b, j)]


def merge_same_name(ents: list[Entity]) -> list[Entity]:
    """One entity per (name, type): two keys can still name the same thing (a gazetteer entry
    and a model surface, 中国 twice); their mentions are merged."""
    out: dict[tuple[str, str], Entity] = {}
    for ent in ents:
        key = (ent.name, ent.type)
        if key in out:
            out[key].spans = sorted(set(out[key].spans) | set(ent.spans))
        else:
            ent.spans = sorted(set(ent.spans))
            out[key] = ent
    return list(out.values())


def build_entities(
    text: str,
    simp: str,
    chosen: list[Span],
    gaz: Gazetteer,
    language: str,
    traditional: bool,
    abbrev_entities: bool = True,
) -> list[Entity]:
    """Merge aliases into entities, search their names again, count mentions."""
    keyed = span_keys(chosen)
    remap = alias_remap(keyed, gaz, simp)
    groups: dict[str, list[Span]] = defaultdict(list)
    for c, k in keyed:
        k = _remapped(k, remap)
        if not k.startswith("?"):
            groups[k].append(c)
    # an untyped word only joins an entity that has typed mentions of its own
    groups = defaultdict(list, {k: v for k, v in groups.items() if any(c.type for c in v)})
    if not abbrev_entities:
        # a one-character abbreviation (韩美日: 韩) only as a mention of a place the article
        # names in full, never an entity of its own
        groups = defaultdict(
            list, {k: v for k, v in groups.items() if any(c.rule != "abbrev" for c in v)}
        )
    ents = name_entities(groups, text, simp, gaz, language, traditional)
    loc_names = {norm(simp[c.start : c.end]) for c, _ in keyed if c.type == "LOC"} | gaz.loc_zh
    forms = _search_forms(ents, groups, simp, text, gaz, loc_names)
    drop_nested(ents, forms, simp)
    add_mentions(ents, forms, simp)
    return merge_same_name([ent for ent in ents if ent.spans])
