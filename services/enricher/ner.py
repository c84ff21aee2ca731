"""Entity extraction: LAC model + gazetteer + rules for Chinese, gazetteer + rules for Latin text.

Design (see docs/enrichment.md):
1. Chinese text is mapped to simplified characters (1:1, offsets kept), split into sentences
   and tagged by LAC in batches (lac_batch.py). LAC gives words and PER/LOC/ORG spans.
2. The gazetteer (Aho-Corasick) finds known names and all their aliases; a 2-character hit only
   counts where LAC also puts word boundaries (so 马里 is not found inside 马里奥).
3. Rules fix LAC's known weak spots: transliterated names joined by '·' / '-', honorifics and
   titles, country + government body (朝鲜 + 外务省), trailing verbs (韩联社报), ORG suffixes
   (克里姆林 + 宫).
4. Overlaps are resolved by priority (rules > gazetteer > model), aliases are merged into one
   entity per article (谢尔盖·拉夫罗夫 / 拉夫罗夫, 外务省 / 朝鲜外务省) and every accepted name
   is searched again so the counts and offsets cover all its mentions.
Latin-script names (English, French, and Latin names inside Chinese text) go through the
gazetteer and capitalisation rules (titles, organisation suffixes, 'said', 'in ...').
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

import ahocorasick

from services.enricher import rules as R
from services.enricher.gazetteer import SEPARATORS, Entry, Gazetteer, has_cjk, is_cjk

ENTITY_LABELS = {"PER", "LOC", "ORG"}
SENT_SPLIT = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]*")
MAX_SENT = 160
NAME_SEPS = "·•‧・-－"


@dataclass
class Span:
    start: int
    end: int
    type: str
    prio: int
    gaz: int = -1  # gazetteer entry index, -1 when the name is not in the gazetteer
    surface: str = ""  # simplified surface for non-gazetteer names
    rule: str = ""


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans; long ones are cut at commas so the model sees bounded inputs."""
    out: list[tuple[int, int]] = []
    for m in SENT_SPLIT.finditer(text):
        s, e = m.start(), m.end()
        while e - s > MAX_SENT:
            cut = max(text.rfind("，", s, s + MAX_SENT), text.rfind(",", s, s + MAX_SENT))
            cut = cut + 1 if cut > s else s + MAX_SENT
            out.append((s, cut))
            s = cut
        if e > s:
            out.append((s, e))
    return out


def norm(s: str) -> str:
    for c in SEPARATORS:
        s = s.replace(c, "")
    return s


# --------------------------------------------------------------------------- Chinese


def _alt(words) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_PER_END = re.compile(f"(?:{_alt(R.ZH_HONORIFICS + R.ZH_TITLES)})$")
_PER_START = re.compile(f"^(?:{_alt(R.ZH_HONORIFICS + R.ZH_TITLES)})")
_BODY_FIRST = frozenset(b[0] for b in R.ZH_GOV_BODIES)
_TITLE_END = re.compile(f"(?:{_alt(R.ZH_TITLES)})$")
_JUNK_END = re.compile(f"(?:{_alt(R.ZH_JUNK_TAIL)})$")


def _trim_zh(surface: str, label: str) -> tuple[int, int] | None:
    """Cut honorifics, titles and glued verbs off a LAC entity: relative (start, end) or None."""
    s, e = 0, len(surface)
    while e - s >= 2:
        cur = surface[s:e]
        if label == "PER":
            m = _PER_END.search(cur)
            if m and m.start() > 0:
                e -= len(m.group())
                continue
            m = _PER_START.match(cur)
            if m and m.end() < len(cur):
                s += m.end()
                continue
        else:
            m = _TITLE_END.search(cur)
            if m and m.start() >= 2:
                e -= len(m.group())  # 香港特首 -> 香港
                continue
            m = _JUNK_END.search(cur)
            if m and m.start() >= 2 and cur[m.start() - 1] in R.ZH_ORG_SUFFIX_CHARS:
                e -= len(m.group())  # 韩联社报 -> 韩联社
                continue
        break
    if e - s < 2:
        return None
    return s, e


def _split_seps(simp: str, segs: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """LAC sometimes keeps the '·' of 谢尔盖·绍伊古 inside a word: make it a word of its own."""
    out = []
    for s, e, lab in segs:
        if e - s > 1 and simp[e - 1] in NAME_SEPS:
            out += [(s, e - 1, lab), (e - 1, e, "w")]
        elif e - s > 1 and simp[s] in NAME_SEPS:
            out += [(s, s + 1, "w"), (s + 1, e, lab)]
        else:
            out.append((s, e, lab))
    return out


def zh_spans(simp: str, segs: list[tuple[int, int, str]], gaz: Gazetteer) -> list[Span]:
    segs = _split_seps(simp, segs)
    starts = {s for s, _, _ in segs}
    ends = {e for _, e, _ in segs}
    seg_at_end = {e: (s, e, lab) for s, e, lab in segs}
    seg_at_start = {s: (s, e, lab) for s, e, lab in segs}
    cands: list[Span] = []

    # gazetteer
    gaz_hits = []
    all_gaz = gaz.match_zh(simp)
    for s, e, idx in all_gaz:
        # short names must agree with the model's word boundaries (马里 is not in 马里奥,
        # 世界报 is not in 全世界报道); long ones stand on their own
        ln = e - s
        ok = ln >= 4 or (ln == 3 and (s in starts or e in ends)) or (s in starts and e in ends)
        if not ok and s in starts:
            # the model glued one stray character to a known name (华沙 + 警); a real suffix
            # (宫, 省, 市...) makes it another name, which the model span then wins with
            seg = seg_at_start[s]
            ok = (
                seg[2] in ENTITY_LABELS
                and seg[1] == e + 1
                and simp[e] not in R.ZH_ORG_SUFFIX_CHARS
                and simp[e] not in R.ZH_PLACE_SUFFIX_CHARS
            )
        if (
            not ok
            and gaz.entries[idx].type == "LOC"
            and simp[e : e + 1] in ("县", "市", "省", "州")
        ):
            # 熊本 + 县 (+ the model's stray characters): the known place with its suffix
            cands.append(Span(s, e + 1, "LOC", 3, gaz=idx))
            continue
        if ok:
            gaz_hits.append((s, e, idx))
            cands.append(Span(s, e, gaz.entries[idx].type, 2, gaz=idx))
    gaz_per_ends = {e for s, e, idx in gaz_hits if gaz.entries[idx].type == "PER"}

    # model entities, trimmed, and extended by a one-character ORG suffix (克里姆林 + 宫)
    for s, e, lab in segs:
        if lab not in ENTITY_LABELS or not is_cjk(simp[s]):
            continue  # Latin-script names are left to latin_spans
        if lab == "PER" and e - s == 2:
            # 金日 + 成 + 同志: a one-character word between a 2-character name and an
            # honorific/title belongs to the name
            nxt = seg_at_start.get(e)
            after = seg_at_start.get(nxt[1]) if nxt else None
            if (
                nxt
                and nxt[1] - nxt[0] == 1
                and is_cjk(simp[nxt[0]])
                and after
                and simp[after[0] : after[1]] in R.ZH_HONORIFICS + R.ZH_TITLES
            ):
                e = nxt[1]
        t = _trim_zh(simp[s:e], lab)
        if t is None:
            continue
        s2, e2 = s + t[0], s + t[1]
        typ = lab
        if simp[e2 - 1] == "奖":
            continue  # 诺贝尔和平奖: an award, none of our types
        if typ == "PER" and e2 - s2 >= 3 and simp[e2 - 1] in "宫府堡":
            typ = "LOC"  # 蒙克洛亚宫: the model read a palace as a person
        if lab == "LOC":
            for d in R.ZH_DIRECTIONS:
                if simp.endswith(d, s2, e2) and e2 - s2 - len(d) >= 2:
                    e2 -= len(d)  # 加沙南部 -> 加沙
                    break
        nxt = seg_at_start.get(e2)
        if lab == "ORG" and nxt and simp[nxt[0] : nxt[1]] == "长":
            continue  # 国务委员 + 长: a title, not a body
        if lab in ("LOC", "ORG") and nxt:
            word = simp[nxt[0] : nxt[1]]
            if word in R.ZH_FACILITY_SUFFIX:
                cands.append(Span(s2, nxt[1], "LOC", 3, surface=simp[s2 : nxt[1]], rule="site"))
                continue
            if lab == "ORG" and word in R.ZH_COMPANY_WORDS:
                cands.append(Span(s2, nxt[1], "ORG", 3, surface=simp[s2 : nxt[1]], rule="company"))
                continue
        if lab in ("LOC", "ORG") and nxt and nxt[1] - nxt[0] == 1 and nxt[2] not in ENTITY_LABELS:
            if simp[nxt[0]] in R.ZH_EXTEND_CHARS:
                e2, typ = nxt[1], "ORG"
        if typ == "LOC" and (
            simp.endswith(R.ZH_ORG_SUFFIX_WORDS, s2, e2) and not simp.endswith("政府", s2, e2)
        ):
            typ = "ORG"  # 俄罗斯国家原子能公司: a place-named company, not a place
        if typ == "LOC":
            inner = [h for h in all_gaz if h[0] >= s2 and h[1] <= e2 and (h[1] - h[0]) < (e2 - s2)]
            head = next((h for h in inner if h[0] == s2), None)
            if head and e2 - head[1] >= 2 and gaz.entries[head[2]].type == "LOC":
                rest = simp[head[1] : e2]
                if (len(rest) >= 3 and rest[-1] in R.ZH_PLACE_SUFFIX_CHARS) or len(rest) >= 4:
                    # 苏丹北达尔富尔州: the known country, then the rest as a place of its own
                    cands.append(Span(head[1], e2, "LOC", 3, surface=rest, rule="loc-split"))
                # else 武汉 + 封城: the model glued a word to the known place
                if head not in gaz_hits:
                    cands.append(Span(head[0], head[1], "LOC", 2, gaz=head[2]))
                continue
            if inner and simp[e2 - 1] in R.ZH_PLACE_SUFFIX_CHARS:
                cands.append(Span(s2, e2, "LOC", 3, surface=simp[s2:e2], rule="loc-long"))
                continue
        sur = simp[s2:e2]
        prio = 1
        if typ == "ORG" and (
            sur[-1] in R.ZH_ORG_SUFFIX_CHARS or sur.endswith(R.ZH_ORG_SUFFIX_WORDS)
        ):
            # a well-formed longer ORG beats the names inside it (延世大学朝鲜研究所 > 朝鲜)
            if any(gs >= s2 and ge <= e2 and (ge - gs) < (e2 - s2) for gs, ge, _ in gaz_hits):
                prio = 3
        cands.append(Span(s2, e2, typ, prio, surface=sur, rule="lac"))

    # transliterated names: 谢尔盖·拉夫罗夫, 德米特里-佩斯科夫 (LAC often splits them)
    i = 0
    n = len(simp)
    while i < n:
        if simp[i] in NAME_SEPS and 0 < i < n - 1 and is_cjk(simp[i - 1]) and is_cjk(simp[i + 1]):
            left = seg_at_end.get(i)
            if left is None:
                i += 1
                continue
            parts = [left]
            j = i
            while j < n and simp[j] in NAME_SEPS:
                right = seg_at_start.get(j + 1)
                if right is None or not is_cjk(simp[right[0]]):
                    break
                parts.append(right)
                j = right[1]
            if len(parts) >= 2:
                s0, e0 = parts[0][0], parts[-1][1]
                words = [simp[a:b] for a, b, _ in parts]
                ok = all(2 <= len(w) <= 8 and all(is_cjk(c) for c in w) for w in words)
                person = any(lab == "PER" for _, _, lab in parts) or e0 in gaz_per_ends
                if ok and person:
                    t = _trim_zh(simp[s0:e0], "PER")
                    if t:
                        cands.append(
                            Span(
                                s0 + t[0],
                                s0 + t[1],
                                "PER",
                                3,
                                surface=simp[s0 + t[0] : s0 + t[1]],
                                rule="translit",
                            )
                        )
                i = e0
                continue
        i += 1

    # country (or any place) + government body: 朝鲜外务省, 美国国家安全委员会
    locs = [c for c in cands if c.type == "LOC"]
    bodies = sorted(R.ZH_GOV_BODIES, key=len, reverse=True)
    for c in locs:
        if simp[c.end : c.end + 1] not in _BODY_FIRST:
            continue
        for b in bodies:
            if simp.startswith(b, c.end) and (c.end + len(b)) in ends:
                e2 = c.end + len(b)
                cands.append(Span(c.start, e2, "ORG", 4, surface=simp[c.start : e2], rule="gov"))
                break
        else:
            nxt = seg_at_start.get(c.end)
            if nxt and nxt[2] == "ORG" and simp[nxt[0] : nxt[1]] in R.ZH_GOV_BODIES:
                cands.append(
                    Span(c.start, nxt[1], "ORG", 4, surface=simp[c.start : nxt[1]], rule="gov")
                )
    return cands


# --------------------------------------------------------------------------- Latin script

LATIN = "A-Za-zÀ-ÖØ-öø-ɏ"
TOKEN = re.compile(rf"[{LATIN}][{LATIN}0-9'’.\-&]*")
ABBREV = {
    "Mr.",
    "Mrs.",
    "Ms.",
    "Dr.",
    "St.",
    "Jr.",
    "Sr.",
    "Gen.",
    "Sen.",
    "Rep.",
    "Gov.",
    "Lt.",
    "Col.",
    "Adm.",
    "Sgt.",
    "Capt.",
    "Prof.",
    "Rev.",
    "M.",
    "U.S.",
    "U.K.",
    "U.N.",
    "E.U.",
    "Co.",
    "Corp.",
    "Inc.",
    "Ltd.",
}


def _tokens(text: str) -> list[tuple[int, int, str]]:
    toks = []
    for m in TOKEN.finditer(text):
        s, e = m.start(), m.end()
        w = text[s:e]
        # sentence-final period, possessive 's, trailing hyphen are not part of the name
        while w and w[-1] in ".-&'’" and w not in ABBREV and not re.fullmatch(r"(?:[A-Z]\.)+", w):
            w = w[:-1]
            e -= 1
        if w.endswith(("'s", "’s")):
            w, e = w[:-2], e - 2
        if w:
            toks.append((s, e, w))
    return toks


def _is_cap(w: str) -> bool:
    return w[0].isupper()


def _sentence_start(text: str, s: int) -> bool:
    return (
        s == 0
        or re.search(r"(?:[.!?\"“”:»«—–-]\s*|\n\s*|^\s*)$", text[max(0, s - 4) : s]) is not None
    )


def _connector_before_cap(text: str, toks: list[tuple[int, int, str]], k: int) -> bool:
    """'of', 'von der', 'de la', 'and'... inside a name: connectors then a capitalised word
    ('and' is split off again unless it joins an organisation name)."""
    j = k
    while j < len(toks) and toks[j][2] in R.EN_CONNECTORS:
        if j + 1 < len(toks) and text[toks[j][1] : toks[j + 1][0]] != " ":
            return False
        j += 1
    return j > k and j < len(toks) and _is_cap(toks[j][2])


FR_ORG = re.compile(
    r"\b(?:ministère|agence|banque|conseil|cour|commission|comité|parti|assemblée|office|"
    r"institut|fédération|union|direction|état-major|tribunal)"
    r"(?:\s+(?:français|française|américain|américaine|russe|chinois|chinoise|ukrainien|"
    r"ukrainienne|allemand|allemande|britannique|européen|européenne|national|nationale|"
    r"fédéral|fédérale|général|générale|central|centrale|international|internationale|"
    r"constitutionnel|constitutionnelle|suprême))?"
    r"\s+(?:de la |de l['’]|des |du |de |d['’])"
    rf"[A-ZÀ-Þ][{LATIN}'’\-]*"
    rf"(?:\s+(?:de la |de l['’]|des |du |de |d['’]|et )?[A-ZÀ-Þ][{LATIN}'’\-]*)*"
    r"(?:\s+(?:étrangères|extérieures|intérieures|nationale|national|publique|publics|sociales|"
    r"économiques|armées))?"
)


FR_ORG2 = re.compile(
    r"\b(?:Conseil|Cour|Assemblée|Banque|Agence|Commission|Parti|Rassemblement|Mouvement|"
    r"Front|Haut Conseil|Haute Autorité|Autorité|Tribunal|Office|Institut)\s+"
    r"(?:constitutionnel|constitutionnelle|national|nationale|européen|européenne|supérieur|"
    r"supérieure|socialiste|communiste|républicain|républicaine|fédéral|fédérale|central|"
    r"centrale|général|générale|administratif|pénal|pénale|suprême|écologiste|populaire|"
    r"insoumis|de cassation|des comptes|d['’]État|de l['’]Europe)\b"
)
# "ministre de la Culture Rachida Dati": the capitalised department is not part of the name
FR_DEPARTMENT_BEFORE = re.compile(
    r"\b(?:ministre|ministère|secrétaire d['’]État|secrétaire|porte-parole|commissaire)"
    r"\s+(?:de la|du|des|de l['’]|de|aux|à la|au)\s*$",
    re.IGNORECASE,
)
ARTICLES = frozenset("le la les l' l’ du des de the a an un une".split())


def latin_spans(text: str, gaz: Gazetteer, cjk_doc: bool) -> list[Span]:
    """Names in Latin script: gazetteer + capitalised-sequence rules."""
    cands: list[Span] = []
    hits = gaz.match_latin(text)
    for s, e, idx in hits:
        cands.append(Span(s, e, gaz.entries[idx].type, 2, gaz=idx))
    if not cjk_doc:
        for rx in (FR_ORG, FR_ORG2):
            for m in rx.finditer(text):
                cands.append(Span(m.start(), m.end(), "ORG", 2, surface=m.group(0), rule="fr-org"))

    toks = _tokens(text)
    # a text in capitals (a shouted headline) says nothing about acronyms
    letters = [c for c in text[:2000] if c.isalpha()]
    shouting = bool(letters) and sum(c.isupper() for c in letters) > 0.5 * len(letters)
    # capitalised runs (single spaces / hyphens between, connectors only before a capital)
    runs: list[list[int]] = []
    cur: list[int] = []
    for k, (s, _e, w) in enumerate(toks):
        if cur:
            pe = toks[cur[-1]][1]
            gap = text[pe:s]
            joined = gap in (" ", "-", "\u00a0")
            if joined and (_is_cap(w) or _connector_before_cap(text, toks, k)):
                cur.append(k)
                continue
            runs.append(cur)
            cur = []
        if _is_cap(w):
            cur.append(k)
    if cur:
        runs.append(cur)

    def prev_word(s: int) -> str:
        m = re.search(rf"([{LATIN}.']+)[\s,]*$", text[max(0, s - 30) : s])
        return m.group(1) if m else ""

    def next_word(e: int) -> str:
        m = re.match(rf"[\s,]*([{LATIN}'-]+)", text[e : e + 30])
        return m.group(1) if m else ""

    # 'and' stays inside a run only for one organisation (Securities and Exchange Commission),
    # not between two names (Nvidia and Advanced Micro Devices, Belgorod and Kursk)
    hit_starts = {h[0] for h in hits}
    split_runs: list[list[int]] = []
    for run in runs:
        ands = [i for i, k in enumerate(run) if toks[k][2] in ("and", "&")]
        if not ands:
            split_runs.append(run)
            continue
        left, right = run[: ands[0]], run[ands[0] + 1 :]
        left_org = any(toks[k][2] in R.EN_ORG_WORDS for k in left)
        right_org = any(toks[k][2] in R.EN_ORG_WORDS for k in right)
        one_org = len(ands) == 1 and (
            # Securities and Exchange Commission (not "SBI and ICICI Bank": two names)
            (
                right_org
                and not left_org
                and not any(toks[k][0] in hit_starts for k in left)
                and not any(toks[k][2].isupper() for k in left)
            )
            # Department of Health and Human Services
            or (
                left
                and toks[left[0]][2] in R.EN_ORG_HEAD
                and any(toks[k][2] in ("of", "for") for k in left)
            )
            # Centers for Disease Control and Prevention
            or (
                left_org
                and not right_org
                and len(right) <= 2
                and not any(toks[k][0] in hit_starts for k in right)
            )
        )
        if one_org:
            split_runs.append(run)
        else:
            prev = 0
            for i in [*ands, len(run)]:
                if run[prev:i]:
                    split_runs.append(run[prev:i])
                prev = i + 1
    runs = split_runs

    for run in runs:
        while run and toks[run[-1]][2] in R.EN_CONNECTORS:
            run = run[:-1]
        if not run:
            continue
        words = [toks[k][2] for k in run]
        lead = 0
        while lead < len(words) and (words[lead] in R.EN_STOP or words[lead] in R.EN_LEAD_STRIP):
            lead += 1
        body = run[lead:]
        bw = words[lead:]
        # an organisation word anywhere makes the whole run one ORG (Russian Defence Ministry,
        # Institute for Fiscal Studies, Advanced Micro Devices)
        org_at = next((i for i, w in enumerate(bw) if w in R.EN_ORG_WORDS), None)
        if org_at is not None and org_at + 1 < len(bw) and bw[org_at + 1] in R.EN_TITLES:
            org_at = None  # "Energy Minister", "Defence Secretary": a portfolio, not an ORG
        if org_at is not None and len(bw) >= 2:
            cut = next((i for i in range(org_at + 1, len(bw)) if bw[i] in R.EN_TITLES), len(bw))
            if cut >= 2 or (cut == 1 and len(bw) == 1):
                s, e = toks[body[0]][0], toks[body[cut - 1]][1]
                exact = any(h[0] == s and h[1] == e for h in hits)
                if not exact:
                    cands.append(Span(s, e, "ORG", 3, surface=text[s:e], rule="en-org"))
                run = body[cut:]  # what follows the title is read as usual
                if not run:
                    continue
        # split at titles / demonyms / leading stop words / 'and'
        pieces: list[tuple[list[int], bool]] = []
        piece: list[int] = []
        titled = False
        for k in run:
            w = toks[k][2]
            breaker = (
                w in R.EN_TITLES
                or w in R.EN_DEMONYMS
                or (w in R.EN_STOP and not piece)
                or w in ("and", "&", "et")
            )
            if w in R.EN_CONNECTORS and not piece:
                continue
            if breaker and toks[k][0] not in hit_starts:
                if piece:
                    pieces.append((piece, titled))
                    piece = []
                titled = w in R.EN_TITLES and w not in R.EN_DEMONYMS
                continue
            piece.append(k)
        if piece:
            pieces.append((piece, titled))

        for piece, titled in pieces:
            while piece and toks[piece[-1]][2] in R.EN_CONNECTORS:
                piece = piece[:-1]
            if not piece:
                continue
            s, e = toks[piece[0]][0], toks[piece[-1]][1]
            covered = [h for h in hits if h[0] >= s and h[1] <= e]
            if covered and covered[0][0] == s and covered[-1][1] == e:
                continue
            pw = [toks[k][2] for k in piece]
            if len(pw) >= 3 and FR_DEPARTMENT_BEFORE.search(text[max(0, s - 40) : s]):
                piece, pw, titled = piece[1:], pw[1:], True
                s = toks[piece[0]][0]
            pv, nx = prev_word(s), next_word(e)
            role = titled or pv.lower() in R.EN_ROLE_WORDS
            said = nx in R.EN_PER_CUES_AFTER
            at_start = _sentence_start(text, s)
            if len(pw) >= 2 and (pw[0] in R.EN_LOC_WORDS or pw[-1] in R.EN_LOC_WORDS):
                cands.append(Span(s, e, "LOC", 3, surface=text[s:e], rule="en-loc"))
                continue
            if len(pw) >= 2:
                if len(pw) > 4 or any(w.isupper() and len(w) > 1 for w in pw):
                    continue
                first = pw[0].split("-")[0]  # Jean-Noël
                # a given name first, or second in a longer name (Alix Didier Fils-Aime)
                given = first in R.GIVEN_NAMES or (
                    len(pw) >= 3 and pw[1].split("-")[0] in R.GIVEN_NAMES
                )
                if role or given or said:
                    # a known multi-word name inside wins over a guessed longer one; a
                    # one-word hit does not (Mike Johnson is not Boris Johnson)
                    multi = any(" " in text[h[0] : h[1]] for h in covered)
                    prio = 1 if multi else 3
                    cands.append(Span(s, e, "PER", prio, surface=text[s:e], rule="en-per"))
                continue
            # one word
            w = pw[0]
            if covered:
                continue
            if w.isupper() and len(w) > 1:
                line_start = re.search(r"(?:^|\n)\s*$", text[max(0, s - 3) : s]) is not None
                if line_start and re.match(r"\s*(?:,|\(|[-—–])", text[e : e + 3]):
                    # TOULOUSE, France (Reuters) -: an unknown dateline city
                    cands.append(Span(s, e, "LOC", 1, surface=text[s:e], rule="dateline"))
                elif (
                    3 <= len(w) <= 5
                    and w.isalpha()
                    and w not in R.EN_NOT_ORG_ACRONYMS
                    and not shouting
                    and not cjk_doc
                    and (
                        nx in R.EN_PER_CUES_AFTER
                        or nx.lower() in R.EN_ORG_CUES_AFTER
                        or (
                            # "the NBA Finals" yes, "the SLS rocket" (a modifier) no
                            re.search(
                                r"\b(?:the|la|le|les|l['’]|du|des)\s*$", text[max(0, s - 6) : s]
                            )
                            # a verb after it is fine (the NBA said / disrupted / announces)
                            and (not nx[:1].islower() or nx.endswith(("ed", "s")))
                        )
                    )
                ):
                    # an unknown acronym named like an institution (la SNCF, the NBA, CGT said)
                    cands.append(Span(s, e, "ORG", 0, surface=text[s:e], rule="acronym"))
                continue
            if w in R.EN_INSTITUTIONS:
                cands.append(Span(s, e, "ORG", 1, surface=text[s:e], rule="en-inst"))
            elif w in R.EN_ORG_WORDS or w in R.EN_TITLES:
                continue  # "the Company said", "Attorney General": not a person
            elif role:
                cands.append(Span(s, e, "PER", 1, surface=text[s:e], rule="en-title"))
            elif said and not at_start and pv.lower() not in ARTICLES:
                cands.append(Span(s, e, "PER", 1, surface=text[s:e], rule="en-said"))
            elif nx.lower() in R.EN_LOC_NOUNS or R.EN_LOC_OF.search(text[max(0, s - 24) : s]):
                cands.append(Span(s, e, "LOC", 0, surface=text[s:e], rule="en-loc"))
            else:
                cands.append(Span(s, e, "", 0, surface=text[s:e], rule="en-single"))
    # a lone capitalised word listed with places is a place: "the Belgorod and Kursk regions"
    locs = sorted((c.start, c.end) for c in cands if c.type == "LOC")
    for c in cands:
        if c.rule != "en-single":
            continue
        after = re.match(r"\s*(?:,|and|or|et|ou)\s+", text[c.end : c.end + 8])
        before = re.search(r"(?:,|and|or|et|ou)\s+$", text[max(0, c.start - 8) : c.start])
        if after and any(ls == c.end + after.end() for ls, _ in locs):
            c.type, c.rule = "LOC", "en-list"
        elif before and any(
            le == c.start - (len(text[max(0, c.start - 8) : c.start]) - before.start())
            for _, le in locs
        ):
            c.type, c.rule = "LOC", "en-list"
    return cands


# --------------------------------------------------------------------------- resolution


def resolve(cands: list[Span]) -> list[Span]:
    """Non-overlapping spans, preferring higher priority, then longer."""
    chosen: list[Span] = []
    taken = bytearray()
    for c in sorted(cands, key=lambda c: (-c.prio, -(c.end - c.start), c.start)):
        if len(taken) < c.end:
            taken.extend(b"\0" * (c.end - len(taken)))
        if any(taken[c.start : c.end]):
            continue
        taken[c.start : c.end] = b"\1" * (c.end - c.start)
        chosen.append(c)
    chosen.sort(key=lambda c: c.start)
    return chosen


def _zh_drop(name: str, is_gaz: bool, typ: str = "") -> bool:
    if is_gaz:
        return False
    if len(name) < 2 or name in R.ZH_STOP:
        return True
    if typ != "PER" and all(c in R.ZH_ABBREV_CHARS for c in name):
        return True  # 朝俄, 韩美日 (a person may well be 巴加伊)
    if len(name) == 2 and name[1] == "方":
        return True
    if any(c.isdigit() for c in name):
        return True
    if name in R.ZH_TITLES:
        return True
    return False


@dataclass
class Entity:
    key: str
    type: str
    name: str
    spans: list[tuple[int, int]]


def build_entities(
    text: str,
    simp: str,
    chosen: list[Span],
    gaz: Gazetteer,
    language: str,
    traditional: bool,
) -> list[Entity]:
    """Merge aliases into entities, search their names again, count mentions."""
    # 1. give every span a key
    keyed: list[tuple[Span, str]] = []
    for c in chosen:
        if c.gaz >= 0:
            keyed.append((c, f"g{c.gaz}"))
            continue
        sur = norm(c.surface) if has_cjk(c.surface) else c.surface
        if not c.type:
            keyed.append((c, f"?{sur}"))
            continue
        if len(sur) > (30 if has_cjk(sur) else 80):
            continue  # no name is that long: a model run-away on repetitive text
        if has_cjk(sur):
            if _zh_drop(sur, False, c.type):
                continue
        elif len(sur) < 2:
            continue
        keyed.append((c, f"s{sur}"))

    # 2. alias merging
    per_full: dict[str, str] = {}  # surname -> key of a multi-part name
    for c, k in keyed:
        if c.type == "PER" and k.startswith("s"):
            parts = re.split(r"[·•‧・\-－ ]+", c.surface)
            if len(parts) >= 2 and len(parts[-1]) >= 2:
                per_full.setdefault(parts[-1], k)
    gaz_keys_by_name: dict[str, str] = {}
    for c, k in keyed:
        if c.gaz >= 0:
            e = gaz.entries[c.gaz]
            for nm in (e.zh, e.en, e.fr):
                if nm:
                    gaz_keys_by_name[nm] = k
    surfaces_by_key: dict[str, set[str]] = defaultdict(set)
    for c, k in keyed:
        surfaces_by_key[k].add(
            c.surface
            if c.gaz < 0
            else simp[c.start : c.end]
            if has_cjk(simp[c.start : c.end])
            else text[c.start : c.end]
        )
    org_keys = [k for c, k in keyed if c.type == "ORG"]
    loc_names = {norm(simp[c.start : c.end]) for c, _ in keyed if c.type == "LOC"} | gaz.loc_zh
    remap: dict[str, str] = {}
    for c, k in keyed:
        if not k.startswith(("s", "?")):
            continue
        sur = k[1:]
        if c.type in ("PER", "") and sur in per_full and per_full[sur] != k:
            remap[k] = per_full[sur]  # 拉夫罗夫 -> 谢尔盖·拉夫罗夫 (named after the surname later)
        elif c.type == "ORG" or (c.type == "" and False):
            # 外务省 -> 朝鲜外务省 when exactly one such longer ORG exists
            longer = {
                ok
                for ok in org_keys
                if ok != k
                and ok[1:].endswith(sur)
                and ok.startswith("s")
                and ok[1:][: -len(sur)] in loc_names
            }
            if len(longer) == 1:
                remap[k] = longer.pop()
        if c.type == "PER" and k not in remap:
            # the surface keeps the separators the key may have dropped (弗拉基米尔-普京)
            parts = re.split(r"[·•‧・\-－ ]+", c.surface)
            if len(parts) >= 2 and parts[-1] in gaz_keys_by_name:
                remap[k] = gaz_keys_by_name[parts[-1]]
    # untyped single words that are a known person's surname
    for c, k in keyed:
        if c.type == "" and k not in remap:
            if k[1:] in per_full:
                remap[k] = per_full[k[1:]]

    groups: dict[str, list[Span]] = defaultdict(list)
    for c, k in keyed:
        k = remap.get(k, k)
        if k.startswith("?"):
            continue
        groups[k].append(c)

    # 3. names and types
    ents: list[Entity] = []
    for k, spans in groups.items():
        if k.startswith("g"):
            e: Entry = gaz.entries[int(k[1:])]
            lang = "zh" if language == "zh" else language
            name = e.name_for(lang)
            if language == "zh" and not has_cjk(name):
                name = e.name_for("en")
            if traditional and has_cjk(name):
                # the article's own spelling of the canonical name (台灣, not 臺灣) if it has it
                own = [
                    text[c.start : c.end]
                    for c in spans
                    if norm(simp[c.start : c.end]) == norm(name)
                ]
                name = Counter(own).most_common(1)[0][0] if own else gaz.traditional(name)
            typ = e.type
        else:
            typ = Counter(c.type for c in spans if c.type).most_common(1)[0][0]
            forms = [text[c.start : c.end] for c in spans]
            full = max(forms, key=len)
            parts = re.split(r"[·•‧・\-－]+", full)
            if (
                typ == "PER"
                and has_cjk(full)
                and len(parts) >= 2
                and any(f == parts[-1] for f in forms)
            ):
                name = parts[-1]  # 谢尔盖·拉夫罗夫 + 拉夫罗夫 -> 拉夫罗夫
            elif has_cjk(full):
                name = full
            else:
                name = full
        ents.append(Entity(k, typ, name, [(c.start, c.end) for c in spans]))

    # 4. search every accepted surface again for mentions the model/rules missed
    loc_prefixes = gaz.loc_zh_prefixes | {n[:2] for n in loc_names - gaz.loc_zh if len(n) >= 2}
    auto = ahocorasick.Automaton()
    forms: dict[str, int] = {}
    for i, ent in enumerate(ents):
        for c in groups[ent.key]:
            f = simp[c.start : c.end] if has_cjk(simp[c.start : c.end]) else text[c.start : c.end]
            if len(f) >= 2:
                forms.setdefault(f, i)
        for c in groups[ent.key]:
            if c.type == "ORG" and c.gaz < 0 and norm(c.surface)[:2] in loc_prefixes:
                # the body alone (外务省) refers back to the country's body (朝鲜外务省)
                for b in R.ZH_GOV_BODIES:
                    sur = norm(c.surface)
                    if sur.endswith(b) and len(b) >= 3 and sur[: -len(b)] in loc_names:
                        forms.setdefault(b, i)
                        break
        if ent.type == "PER" and not ent.key.startswith("g"):
            last = re.split(r"[·•‧・\-－ ]+", ent.name)[-1]
            if len(last) >= 2 and last != ent.name:
                forms.setdefault(last if not has_cjk(last) else gaz.simplify(last), i)
    if forms:
        for f, i in forms.items():
            auto.add_word(f, (len(f), i))
        auto.make_automaton()
        taken = bytearray(len(text))
        for ent in ents:
            for s, e in ent.spans:
                taken[s:e] = b"\1" * (e - s)
        for src in (simp,):
            extra: list[tuple[int, int, int]] = []
            for end, (ln, i) in auto.iter(src):
                s, e = end - ln + 1, end + 1
                if any(taken[s:e]):
                    continue
                f = src[s:e]
                if not has_cjk(f):
                    if (s > 0 and src[s - 1].isalnum()) or (e < len(src) and src[e].isalnum()):
                        continue
                extra.append((s, e, i))
            extra.sort(key=lambda h: (h[0], -(h[1] - h[0])))
            last = -1
            for s, e, i in extra:
                if s >= last and not any(taken[s:e]):
                    ents[i].spans.append((s, e))
                    taken[s:e] = b"\1" * (e - s)
                    last = e
    for ent in ents:
        ent.spans.sort()
    return ents
