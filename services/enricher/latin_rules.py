"""Latin-script candidate names by rules: gazetteer hits, French organisation patterns and
capitalised runs read by titles, organisation words, 'said' and place cues.

This is the path for French and other Latin-script languages and for Latin names inside
Chinese text; English text goes through the trained model (ner.en_model_spans) instead of the
capitalisation rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.enricher import rules as R
from services.enricher.gazetteer import Gazetteer
from services.enricher.ner import Span

LATIN = "A-Za-zÀ-ÖØ-öø-ɏ"
TOKEN = re.compile(rf"[{LATIN}][{LATIN}0-9'’.\-&]*")
ABBREV = frozenset(
    "Mr. Mrs. Ms. Dr. St. Jr. Sr. Gen. Sen. Rep. Gov. Lt. Col. Adm. Sgt. Capt. Prof. Rev. M. "
    "U.S. U.K. U.N. E.U. Co. Corp. Inc. Ltd.".split()
)
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
_THE_BEFORE = re.compile(r"\b(?:the|la|le|les|l['’]|du|des)\s*$")

Tok = tuple[int, int, str]


def tokens(text: str) -> list[Tok]:
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


@dataclass
class Ctx:
    text: str
    toks: list[Tok]
    hits: list[tuple[int, int, int]]
    hit_starts: set[int]
    shouting: bool  # a text in capitals (a shouted headline) says nothing about acronyms
    cjk_doc: bool

    def prev_word(self, s: int) -> str:
        m = re.search(rf"([{LATIN}.']+)[\s,]*$", self.text[max(0, s - 30) : s])
        return m.group(1) if m else ""

    def next_word(self, e: int) -> str:
        m = re.match(rf"[\s,]*([{LATIN}'-]+)", self.text[e : e + 30])
        return m.group(1) if m else ""


def _connector_before_cap(text: str, toks: list[Tok], k: int) -> bool:
    """'of', 'von der', 'de la', 'and'... inside a name: connectors then a capitalised word."""
    j = k
    while j < len(toks) and toks[j][2] in R.EN_CONNECTORS:
        if j + 1 < len(toks) and text[toks[j][1] : toks[j + 1][0]] != " ":
            return False
        j += 1
    return j > k and j < len(toks) and _is_cap(toks[j][2])


def capitalised_runs(text: str, toks: list[Tok]) -> list[list[int]]:
    """Token indexes of capitalised runs (single spaces / hyphens between, connectors only
    before a capital)."""
    runs: list[list[int]] = []
    cur: list[int] = []
    for k, (s, _e, w) in enumerate(toks):
        if cur:
            gap = text[toks[cur[-1]][1] : s]
            if gap in (" ", "-", "\u00a0") and (_is_cap(w) or _connector_before_cap(text, toks, k)):
                cur.append(k)
                continue
            runs.append(cur)
            cur = []
        if _is_cap(w):
            cur.append(k)
    if cur:
        runs.append(cur)
    return runs


def _one_org_with_and(ctx: Ctx, left: list[int], right: list[int]) -> bool:
    """Does 'and' join one organisation (Securities and Exchange Commission, Department of
    Health and Human Services, Centers for Disease Control and Prevention)?"""
    toks = ctx.toks
    left_org = any(toks[k][2] in R.EN_ORG_WORDS for k in left)
    right_org = any(toks[k][2] in R.EN_ORG_WORDS for k in right)
    return bool(
        (
            right_org
            and not left_org
            and not any(toks[k][0] in ctx.hit_starts for k in left)
            and not any(toks[k][2].isupper() for k in left)
        )
        or (
            left
            and toks[left[0]][2] in R.EN_ORG_HEAD
            and any(toks[k][2] in ("of", "for") for k in left)
        )
        or (
            left_org
            and not right_org
            and len(right) <= 2
            and not any(toks[k][0] in ctx.hit_starts for k in right)
        )
    )


def split_at_and(ctx: Ctx, runs: list[list[int]]) -> list[list[int]]:
    """'and' stays inside a run only for one organisation, not between two names (Nvidia and
    Advanced Micro Devices, Belgorod and Kursk)."""
    out: list[list[int]] = []
    for run in runs:
        ands = [i for i, k in enumerate(run) if ctx.toks[k][2] in ("and", "&")]
        if not ands or (
            len(ands) == 1 and _one_org_with_and(ctx, run[: ands[0]], run[ands[0] + 1 :])
        ):
            out.append(run)
            continue
        prev = 0
        for i in [*ands, len(run)]:
            if run[prev:i]:
                out.append(run[prev:i])
            prev = i + 1
    return out


def org_run(ctx: Ctx, run: list[int], cands: list[Span]) -> list[int] | None:
    """An organisation word anywhere makes the run one ORG (Russian Defence Ministry,
    Institute for Fiscal Studies). Returns what is left of the run to read as usual."""
    toks = ctx.toks
    words = [toks[k][2] for k in run]
    lead = 0
    while lead < len(words) and (words[lead] in R.EN_STOP or words[lead] in R.EN_LEAD_STRIP):
        lead += 1
    body, bw = run[lead:], words[lead:]
    org_at = next((i for i, w in enumerate(bw) if w in R.EN_ORG_WORDS), None)
    if org_at is not None and org_at + 1 < len(bw) and bw[org_at + 1] in R.EN_TITLES:
        org_at = None  # "Energy Minister", "Defence Secretary": a portfolio, not an ORG
    if org_at is None or len(bw) < 2:
        return run
    cut = next((i for i in range(org_at + 1, len(bw)) if bw[i] in R.EN_TITLES), len(bw))
    if not (cut >= 2 or (cut == 1 and len(bw) == 1)):
        return run
    s, e = toks[body[0]][0], toks[body[cut - 1]][1]
    if not any(h[0] == s and h[1] == e for h in ctx.hits):
        cands.append(Span(s, e, "ORG", 3, surface=ctx.text[s:e], rule="en-org"))
    return body[cut:] or None  # what follows the title is read as usual


def pieces(ctx: Ctx, run: list[int]) -> list[tuple[list[int], bool]]:
    """Split a run at titles, demonyms, leading stop words and 'and': (tokens, titled)."""
    out: list[tuple[list[int], bool]] = []
    piece: list[int] = []
    titled = False
    for k in run:
        w = ctx.toks[k][2]
        breaker = (
            w in R.EN_TITLES
            or w in R.EN_DEMONYMS
            or (w in R.EN_STOP and not piece)
            or w in ("and", "&", "et")
        )
        if w in R.EN_CONNECTORS and not piece:
            continue
        if breaker and ctx.toks[k][0] not in ctx.hit_starts:
            if piece:
                out.append((piece, titled))
                piece = []
            titled = w in R.EN_TITLES and w not in R.EN_DEMONYMS
            continue
        piece.append(k)
    if piece:
        out.append((piece, titled))
    return out


def multi_word(ctx: Ctx, s: int, e: int, pw: list[str], role: bool, said: bool, covered):
    """A name of two or more words: a place (Gulf of ...), or a person (a title before, a
    given name first, 'said' after)."""
    if pw[0] in R.EN_LOC_WORDS or pw[-1] in R.EN_LOC_WORDS:
        return Span(s, e, "LOC", 3, surface=ctx.text[s:e], rule="en-loc")
    if len(pw) > 4 or any(w.isupper() and len(w) > 1 for w in pw):
        return None
    first = pw[0].split("-")[0]  # Jean-Noël
    # a given name first, or second in a longer name (Alix Didier Fils-Aime)
    given = first in R.GIVEN_NAMES or (len(pw) >= 3 and pw[1].split("-")[0] in R.GIVEN_NAMES)
    if not (role or given or said):
        return None
    # a known multi-word name inside wins over a guessed longer one; a one-word hit does not
    # (Mike Johnson is not Boris Johnson)
    multi = any(" " in ctx.text[h[0] : h[1]] for h in covered)
    return Span(s, e, "PER", 1 if multi else 3, surface=ctx.text[s:e], rule="en-per")


def acronym_or_dateline(ctx: Ctx, s: int, e: int, w: str, nx: str) -> Span | None:
    """An all-capitals word: an unknown dateline city, or an acronym named like an
    institution (la SNCF, the NBA, CGT said)."""
    text = ctx.text
    line_start = re.search(r"(?:^|\n)\s*$", text[max(0, s - 3) : s]) is not None
    if line_start and re.match(r"\s*(?:,|\(|[-—–])", text[e : e + 3]):
        return Span(s, e, "LOC", 1, surface=text[s:e], rule="dateline")  # TOULOUSE, France -
    if not (3 <= len(w) <= 5 and w.isalpha() and w not in R.EN_NOT_ORG_ACRONYMS) or (
        ctx.shouting or ctx.cjk_doc
    ):
        return None
    institution = (
        nx in R.EN_PER_CUES_AFTER
        or nx.lower() in R.EN_ORG_CUES_AFTER
        # "the NBA Finals" yes, "the SLS rocket" (a modifier) no; a verb after it is fine
        or (
            _THE_BEFORE.search(text[max(0, s - 6) : s])
            and (not nx[:1].islower() or nx.endswith(("ed", "s")))
        )
    )
    return Span(s, e, "ORG", 0, surface=text[s:e], rule="acronym") if institution else None


def one_word(ctx: Ctx, s: int, e: int, w: str, role: bool, said: bool) -> Span | None:
    """A single capitalised word read by its context."""
    text, pv, nx = ctx.text, ctx.prev_word(s), ctx.next_word(e)
    if w.isupper() and len(w) > 1:
        return acronym_or_dateline(ctx, s, e, w, nx)
    if w in R.EN_INSTITUTIONS:
        return Span(s, e, "ORG", 1, surface=text[s:e], rule="en-inst")
    if w in R.EN_ORG_WORDS or w in R.EN_TITLES:
        return None  # "the Company said", "Attorney General": not a person
    if role:
        return Span(s, e, "PER", 1, surface=text[s:e], rule="en-title")
    if said and not _sentence_start(text, s) and pv.lower() not in ARTICLES:
        return Span(s, e, "PER", 1, surface=text[s:e], rule="en-said")
    if nx.lower() in R.EN_LOC_NOUNS or R.EN_LOC_OF.search(text[max(0, s - 24) : s]):
        return Span(s, e, "LOC", 0, surface=text[s:e], rule="en-loc")
    return Span(s, e, "", 0, surface=text[s:e], rule="en-single")


def piece_candidate(ctx: Ctx, piece: list[int], titled: bool) -> Span | None:
    toks = ctx.toks
    while piece and toks[piece[-1]][2] in R.EN_CONNECTORS:
        piece = piece[:-1]
    if not piece:
        return None
    s, e = toks[piece[0]][0], toks[piece[-1]][1]
    covered = [h for h in ctx.hits if h[0] >= s and h[1] <= e]
    if covered and covered[0][0] == s and covered[-1][1] == e:
        return None
    pw = [toks[k][2] for k in piece]
    if len(pw) >= 3 and FR_DEPARTMENT_BEFORE.search(ctx.text[max(0, s - 40) : s]):
        piece, pw, titled = piece[1:], pw[1:], True
        s = toks[piece[0]][0]
    role = titled or ctx.prev_word(s).lower() in R.EN_ROLE_WORDS
    said = ctx.next_word(e) in R.EN_PER_CUES_AFTER
    if len(pw) >= 2:
        return multi_word(ctx, s, e, pw, role, said, covered)
    if covered:
        return None
    return one_word(ctx, s, e, pw[0], role, said)


def listed_places(text: str, cands: list[Span]) -> None:
    """A lone capitalised word listed with places is a place: "the Belgorod and Kursk regions"."""
    locs = sorted((c.start, c.end) for c in cands if c.type == "LOC")
    loc_starts = {s for s, _ in locs}
    loc_ends = {e for _, e in locs}
    for c in cands:
        if c.rule != "en-single":
            continue
        after = re.match(r"\s*(?:,|and|or|et|ou)\s+", text[c.end : c.end + 8])
        window = text[max(0, c.start - 8) : c.start]
        before = re.search(r"(?:,|and|or|et|ou)\s+$", window)
        if (after and c.end + after.end() in loc_starts) or (
            before and c.start - (len(window) - before.start()) in loc_ends
        ):
            c.type, c.rule = "LOC", "en-list"


def latin_spans(text: str, gaz: Gazetteer, cjk_doc: bool, rules: bool = True) -> list[Span]:
    """Names in Latin script: gazetteer hits, plus (with `rules`) capitalised-sequence rules."""
    hits = gaz.match_latin(text)
    cands = [Span(s, e, gaz.entries[idx].type, 2, gaz=idx) for s, e, idx in hits]
    if not rules:
        return cands
    if not cjk_doc:
        for rx in (FR_ORG, FR_ORG2):
            for m in rx.finditer(text):
                cands.append(Span(m.start(), m.end(), "ORG", 2, surface=m.group(0), rule="fr-org"))
    toks = tokens(text)
    letters = [c for c in text[:2000] if c.isalpha()]
    shouting = bool(letters) and sum(c.isupper() for c in letters) > 0.5 * len(letters)
    ctx = Ctx(text, toks, hits, {h[0] for h in hits}, shouting, cjk_doc)
    for run in split_at_and(ctx, capitalised_runs(text, toks)):
        while run and toks[run[-1]][2] in R.EN_CONNECTORS:
            run = run[:-1]
        rest = org_run(ctx, run, cands) if run else None
        for piece, titled in pieces(ctx, rest or []):
            c = piece_candidate(ctx, piece, titled)
            if c is not None:
                cands.append(c)
    listed_places(text, cands)
    return cands
